//! One TCP connection: a plain state machine around the core's [`RequestParser`].
//!
//! ```text
//!            ┌──────────────── response sent, keep-alive: start_next ─────────────┐
//!            ▼                                                                    │
//!        ┌──────┐  Head (decide)  ┌──────┐  Data… discarded, End          ┌──────┐ │
//!  ────► │ Head │ ──────────────► │ Body │ ─────────────────────────────► │ Send │─┘
//!        └──────┘                 └──────┘                                └──────┘
//!            │                       │  Data… → upload, End   ┌────────┐   ▲   │ close
//!            │                       └───────────────────────►│ Commit │───┘   ▼
//!            │                         (to the commit pool)   └────────┘  ┌────────┐
//!            │ parse error, header or body timeout (408),    outcome:     │ Linger │ drain
//!            └ body refused, upload error: reply, close      finish       └────────┘ input,
//!                                                                                    then close
//! ```
//!
//! Output is written as far as the socket takes it and resumed on the next writable
//! event; input is read only while the parser needs more, so pipelined requests wait in
//! the buffer (bounded by the core's limits) and are answered in order.

use super::fs_store::{store_error, FsUpload};
use super::worker::Ctx;
use simplehttp_core::write::{write_chunk, write_last_chunk};
use simplehttp_core::{
    decide, finish, reply_to_error, reply_with_status, Body, Event, FileStore, Framing, Listing,
    Method, ParseError, Reply, RequestHead, RequestParser, Rule, Step, StoreError, Upload, Version,
};
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Files up to this size go out in the same write as the head.
const INLINE_FILE: u64 = 16 * 1024;
/// Most bytes of a file one connection sends before the worker turns to the others (a
/// fast reader on loopback would otherwise keep the worker to itself for a whole file).
/// One `sendfile` call: the worker polls between calls, as lighttpd does.
const DRIVE_BUDGET: u64 = SENDFILE_CHUNK;
/// Most bytes of a file handed to one `sendfile` call.
const SENDFILE_CHUNK: u64 = 256 * 1024;
/// About how much of a listing is rendered at a time: a connection holds one piece of its
/// HTML, never the whole page.
const LISTING_PIECE: usize = 16 * 1024;
/// Read size while waiting for a head.
const HEAD_READ: usize = 16 * 1024;
/// Read size while receiving an upload.
const BODY_READ: usize = 64 * 1024;
/// A refused request body of at most this size, already on its way, is read and dropped
/// before the reply, so that closing afterwards (as the core asks) cannot reset the
/// connection under the reply; a larger one is answered at once and drained while lingering.
const DISCARD_MAX: u64 = 64 * 1024;
/// How long, and how much, a closing connection's input is drained so the peer reads the
/// reply instead of a reset.
const LINGER_TIME: Duration = Duration::from_secs(2);
const LINGER_BYTES: usize = 1 << 20;
/// Most buffers of each kind a worker keeps for reuse.
const POOLED: usize = 256;
/// Output buffers larger than this are freed rather than kept.
const POOLED_WBUF_MAX: usize = 64 * 1024;

/// What the worker does with a connection after driving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Keep it; it waits for readiness or a deadline.
    Keep,
    /// Close it now.
    Close,
}

enum State {
    /// Waiting for a request head.
    Head,
    /// Receiving the request body (boxed: idle connections stay small).
    Body(Box<Receiving>),
    /// Sending a response: `wbuf`, then `file` or the rest of `listing`.
    Send {
        file: Option<FileSend>,
        listing: Option<Box<ListingSend>>,
        close: bool,
    },
    /// Reply sent, write side shut down: drain input until EOF or the deadline.
    Linger { drained: usize },
    /// The upload's body is in; the commit pool makes it durable. The reply it was planned
    /// with waits here for the outcome ([`Conn::committed`]); input waits unread.
    Commit(Box<Reply>),
}

/// Where a request body goes, and the reply decided for it (the planned one for an upload).
struct Receiving {
    sink: Sink,
    reply: Reply,
}

enum Sink {
    Discard,
    Upload(FsUpload),
}

/// A directory listing going out a piece at a time, each rendered when the last has left.
struct ListingSend {
    listing: Box<Listing>,
    /// Each piece is a chunk, and the last chunk ends it.
    chunked: bool,
    piece: Vec<u8>,
}

impl ListingSend {
    /// Appends the next piece to `out`; false once there is nothing left.
    fn next_piece(&mut self, out: &mut Vec<u8>) -> bool {
        if self.listing.is_done() {
            return false;
        }
        self.piece.clear();
        let done = self.listing.write_next(&mut self.piece, LISTING_PIECE);
        if self.chunked {
            write_chunk(out, &self.piece);
            if done {
                let _ = write_last_chunk(out, &[]);
            }
        } else {
            out.extend_from_slice(&self.piece);
        }
        true
    }
}

struct FileSend {
    file: Rc<File>,
    offset: u64,
    remaining: u64,
    /// Bytes of the response written before the next file byte (the head, then what
    /// `sendfile` sent): calls are cut at multiples of [`SENDFILE_CHUNK`] of this.
    stream: u64,
}

/// The request being answered, for the access log.
struct Current {
    line: String,
    started: Instant,
    is_head: bool,
    status: u16,
    bytes: u64,
}

/// One connection.
pub struct Conn {
    sock: mio::net::TcpStream,
    /// Its slot in the worker, and a number no other connection of the worker has had:
    /// an upload's commit comes back to (slot, serial).
    slot: usize,
    serial: u64,
    peer: SocketAddr,
    /// The core's parser; `None` while idle (it waits in the worker's pool).
    parser: Option<RequestParser>,
    /// Input: `rbuf[rstart..rend]` are received bytes the parser has not consumed.
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    /// Output: `wbuf[wpos..]` is still to be written.
    wbuf: Vec<u8>,
    wpos: usize,
    state: State,
    /// When the current wait (head, idle, body or send progress, linger) times out.
    pub deadline: Instant,
    /// Whether bytes of the current head arrived (header timeout) or not (idle timeout).
    head_started: bool,
    eof: bool,
    /// Whether a read may find bytes: cleared by a short read or `WouldBlock`, set by a
    /// readable event (edge-triggered polls report every arrival), so the common case
    /// does not pay a read that only says "nothing yet".
    readable: bool,
    /// The poll said the peer closed its side (or the socket failed): read until EOF,
    /// whatever the size of the reads.
    hup: bool,
    /// The last `drive` stopped with output still writable (see [`Conn::yielded`]).
    yielded: bool,
    /// Whether the request being answered was read to its end (nothing of it is left
    /// unread, so closing cannot reset the connection under the reply).
    complete: bool,
    cur: Current,
}

enum Act {
    NeedMore,
    Continue,
    Respond(Reply),
    End,
    UploadFailed(StoreError),
    Paused,
}

enum Flush {
    Done,
    Blocked,
    /// The socket still takes more, but this connection had its share for now.
    Yield,
    Failed,
}

enum Fill {
    Got,
    Eof,
    Blocked,
    Failed,
}

impl Conn {
    /// A new connection, waiting for its first head.
    pub fn new(sock: mio::net::TcpStream, peer: SocketAddr, slot: usize, ctx: &mut Ctx) -> Conn {
        ctx.serial += 1;
        Conn {
            sock,
            slot,
            serial: ctx.serial,
            peer,
            parser: None,
            rbuf: Vec::new(),
            rstart: 0,
            rend: 0,
            wbuf: Vec::new(),
            wpos: 0,
            state: State::Head,
            deadline: ctx.now + ctx.header_timeout,
            head_started: true,
            eof: false,
            readable: true,
            hup: false,
            yielded: false,
            complete: false,
            cur: Current {
                line: String::new(),
                started: ctx.now,
                is_head: false,
                status: 0,
                bytes: 0,
            },
        }
    }

    /// The socket, for registering it with the poll.
    pub fn sock_mut(&mut self) -> &mut mio::net::TcpStream {
        &mut self.sock
    }

    /// Whether the connection is between requests with nothing received: it can be closed
    /// at shutdown without cutting anything short.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head)
            && self.rstart == self.rend
            && self.wpos >= self.wbuf.len()
    }

    /// Whether the last `drive` stopped to give other connections their turn while its
    /// socket still took more: the worker drives it again soon without waiting for an
    /// event (edge-triggered polls would not report it again).
    #[must_use]
    pub fn yielded(&self) -> bool {
        self.yielded
    }

    /// Does everything that can be done without blocking: write, parse, decide, read.
    /// `readable`: the poll reported new input; `hup`: it reported the peer's EOF or an
    /// error (which a short read does not reveal).
    pub fn drive(&mut self, ctx: &mut Ctx, readable: bool, hup: bool) -> Next {
        self.readable |= readable || hup;
        self.hup |= hup;
        self.yielded = false;
        loop {
            match self.flush(ctx) {
                Flush::Failed => return Next::Close,
                Flush::Yield => {
                    self.yielded = true;
                    return Next::Keep;
                }
                Flush::Blocked => {
                    // A pending `100 Continue` does not stop the body from being read.
                    if !matches!(self.state, State::Body(_)) {
                        return Next::Keep;
                    }
                }
                Flush::Done => {
                    if let State::Send { close, .. } = self.state {
                        if !self.finish_response(ctx, close) {
                            return Next::Close;
                        }
                        continue;
                    }
                }
            }
            if let State::Commit(_) = self.state {
                return Next::Keep;
            }
            if let State::Linger { .. } = self.state {
                return self.linger();
            }
            match self.parse(ctx) {
                Some(Next::Close) => return Next::Close,
                Some(Next::Keep) => continue,
                None => {}
            }
            // A `100 Continue` queued by the head goes out before waiting for the body.
            if self.wpos < self.wbuf.len() {
                if let Flush::Failed = self.flush(ctx) {
                    return Next::Close;
                }
            }
            match self.fill(ctx) {
                Fill::Got => {}
                Fill::Eof => self.eof = true,
                Fill::Blocked => return Next::Keep,
                Fill::Failed => return Next::Close,
            }
        }
    }

    /// The deadline passed: answer 408 where a request was under way, or close.
    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        match &self.state {
            State::Head if self.head_started && self.rend > self.rstart => {
                self.cur.line.clear();
                self.cur.line.push('-');
                self.cur.started = ctx.now;
                // Not the previous request's method: this reply has its body.
                self.cur.is_head = false;
                let reply = reply_with_status(
                    408,
                    Rule::Timeout,
                    "request timeout: the head took too long\n",
                    ctx.ts,
                );
                self.respond(reply, ctx);
                self.drive(ctx, false, false)
            }
            State::Body(_) => {
                // Dropping the state drops the upload: no partial file.
                let reply = reply_with_status(
                    408,
                    Rule::Timeout,
                    "request timeout: the body stalled\n",
                    ctx.ts,
                );
                self.respond(reply, ctx);
                self.drive(ctx, false, false)
            }
            State::Commit(_) => {
                // The commit finishes whatever the peer does; its outcome is still owed.
                self.deadline = ctx.now + ctx.body_timeout;
                Next::Keep
            }
            _ => Next::Close,
        }
    }

    /// The commit pool is done with this connection's upload: reply with the outcome.
    /// `serial` tells whether the outcome is this connection's at all.
    pub fn committed(
        &mut self,
        serial: u64,
        outcome: Result<(), StoreError>,
        ctx: &mut Ctx,
    ) -> Next {
        if serial != self.serial || !matches!(self.state, State::Commit(_)) {
            return Next::Keep;
        }
        let State::Commit(reply) = std::mem::replace(&mut self.state, State::Head) else {
            return Next::Keep;
        };
        let reply = finish(&reply, outcome, ctx.ts);
        self.respond(reply, ctx);
        self.complete = true;
        self.drive(ctx, false, false)
    }

    /// Writes what is pending: `wbuf`, then the file being sent.
    fn flush(&mut self, ctx: &mut Ctx) -> Flush {
        // The last bytes before closing are sent with MSG_MORE: held back, they leave in
        // one segment with the FIN that closing adds, instead of two.
        let last = matches!(
            self.state,
            State::Send {
                file: None,
                listing: None,
                close: true
            }
        );
        let mut budget = DRIVE_BUDGET;
        loop {
            while self.wpos < self.wbuf.len() {
                let out = &self.wbuf[self.wpos..];
                let sent = if last {
                    send_last(&self.sock, out)
                } else {
                    self.sock.write(out)
                };
                match sent {
                    Ok(0) => return Flush::Failed,
                    Ok(n) => {
                        self.wpos += n;
                        self.deadline = ctx.now + ctx.body_timeout;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Flush::Blocked,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Flush::Failed,
                }
            }
            self.wbuf.clear();
            self.wpos = 0;
            // The socket took everything: the next piece of a listing, if any.
            let State::Send {
                listing: Some(ls), ..
            } = &mut self.state
            else {
                break;
            };
            if budget == 0 {
                return Flush::Yield;
            }
            if !ls.next_piece(&mut self.wbuf) {
                break;
            }
            self.cur.bytes += self.wbuf.len() as u64;
            budget = budget.saturating_sub(self.wbuf.len() as u64);
        }
        if let State::Send { file: Some(fs), .. } = &mut self.state {
            while fs.remaining > 0 {
                if budget == 0 {
                    return Flush::Yield;
                }
                match send_file_part(&self.sock, fs) {
                    // The file shrank under us: the promised length cannot be sent.
                    Ok(0) => return Flush::Failed,
                    Ok(n) => {
                        self.deadline = ctx.now + ctx.body_timeout;
                        budget = budget.saturating_sub(n as u64);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Flush::Blocked,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Flush::Failed,
                }
            }
        }
        Flush::Done
    }

    /// The response is out: log it, then wait for the next request or close.
    /// Returns false when the connection is to be closed at once.
    fn finish_response(&mut self, ctx: &mut Ctx, close: bool) -> bool {
        if !ctx.quiet {
            super::log::access(
                &mut ctx.log_scratch,
                self.peer,
                if self.cur.line.is_empty() {
                    "-"
                } else {
                    &self.cur.line
                },
                self.cur.status,
                self.cur.bytes,
                self.cur.started.elapsed(),
            );
        }
        let next_ok = self.parser.as_mut().is_some_and(|p| p.start_next().is_ok());
        if close || ctx.shutting_down || !next_ok {
            if self.eof || (self.complete && self.rend == self.rstart) {
                // Nothing unread: close at once. The FIN goes first, with the reply's
                // last bytes (held back by MSG_MORE): a close() that finds input the
                // peer sent meanwhile resets the connection and drops what is unsent.
                let _ = self.sock.shutdown(Shutdown::Write);
                return false;
            }
            // Unread input (a refused body, pipelined requests after an error): shut the
            // write side and drain for a while, so the peer reads the reply rather than
            // a reset.
            let _ = self.sock.shutdown(Shutdown::Write);
            self.state = State::Linger { drained: 0 };
            self.deadline = ctx.now + LINGER_TIME;
            return true;
        }
        self.state = State::Head;
        self.head_started = self.rend > self.rstart;
        self.deadline = ctx.now
            + if self.head_started {
                ctx.header_timeout
            } else {
                ctx.idle_timeout
            };
        if self.rend == self.rstart {
            // An idle connection holds no buffers: they go back to the worker's pools,
            // so thousands of idle keep-alive connections cost little memory, and busy
            // ones neither allocate nor zero a buffer per request.
            self.rstart = 0;
            self.rend = 0;
            self.release_rbuf(ctx);
            if let Some(parser) = self.parser.take() {
                if ctx.ppool.len() < POOLED {
                    ctx.ppool.push(parser);
                }
            }
            let mut wbuf = std::mem::take(&mut self.wbuf);
            self.wpos = 0;
            if (1..=POOLED_WBUF_MAX).contains(&wbuf.capacity()) && ctx.wpool.len() < POOLED {
                wbuf.clear();
                ctx.wpool.push(wbuf);
            }
        }
        true
    }

    /// Gives the (empty) input buffer back to the worker's pool.
    fn release_rbuf(&mut self, ctx: &mut Ctx) {
        let rbuf = std::mem::take(&mut self.rbuf);
        if rbuf.len() == HEAD_READ && ctx.rpool.len() < POOLED {
            ctx.rpool.push(rbuf);
        }
    }

    fn linger(&mut self) -> Next {
        let mut scratch = [0u8; 4096];
        loop {
            match self.sock.read(&mut scratch) {
                Ok(0) => return Next::Close,
                Ok(n) => {
                    if let State::Linger { drained } = &mut self.state {
                        *drained += n;
                        if *drained > LINGER_BYTES {
                            return Next::Close;
                        }
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Next::Keep,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Next::Close,
            }
        }
    }

    /// Reads more input into the buffer.
    fn fill(&mut self, ctx: &mut Ctx) -> Fill {
        if !self.readable {
            return Fill::Blocked;
        }
        if self.rstart == self.rend {
            self.rstart = 0;
            self.rend = 0;
        }
        if self.rbuf.is_empty() {
            self.rbuf = ctx.rpool.pop().unwrap_or_else(|| vec![0; HEAD_READ]);
        }
        let want = if matches!(&self.state, State::Body(r) if matches!(r.sink, Sink::Upload(_))) {
            BODY_READ
        } else {
            HEAD_READ
        };
        if self.rbuf.len() - self.rend < want / 2 {
            if self.rstart > 0 {
                self.rbuf.copy_within(self.rstart..self.rend, 0);
                self.rend -= self.rstart;
                self.rstart = 0;
            }
            // The parser refuses heads, chunk lines and trailers past its limits, so this
            // bound is only a guard against a parser that asks for more forever.
            let cap = ctx.limits.max_head_bytes + ctx.limits.max_trailer_bytes + 2 * BODY_READ;
            if self.rend >= cap {
                return Fill::Failed;
            }
            let new_len = (self.rend + want).max(self.rbuf.len());
            self.rbuf.resize(new_len, 0);
        }
        loop {
            let space = self.rbuf.len() - self.rend;
            match self.sock.read(&mut self.rbuf[self.rend..]) {
                Ok(0) => return Fill::Eof,
                Ok(n) => {
                    self.rend += n;
                    if n < space && !self.hup {
                        self.readable = false;
                    }
                    match self.state {
                        State::Head if !self.head_started => {
                            self.head_started = true;
                            self.deadline = ctx.now + ctx.header_timeout;
                        }
                        State::Body(_) => self.deadline = ctx.now + ctx.body_timeout,
                        _ => {}
                    }
                    return Fill::Got;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.readable = false;
                    if self.rend == 0 {
                        // Nothing buffered: an idle connection holds no input buffer.
                        self.release_rbuf(ctx);
                    }
                    return Fill::Blocked;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Fill::Failed,
            }
        }
    }

    /// Runs the parser over the buffered input. `None`: it needs more bytes;
    /// `Some(Keep)`: something changed (a reply is queued); `Some(Close)`: close now.
    fn parse(&mut self, ctx: &mut Ctx) -> Option<Next> {
        loop {
            if !matches!(self.state, State::Head | State::Body(_)) {
                return Some(Next::Keep);
            }
            if matches!(self.state, State::Head) && self.rstart == self.rend {
                // Between requests with nothing received the parser has nothing to say
                // (a head is consumed whole): EOF here is a clean end.
                return if self.eof { Some(Next::Close) } else { None };
            }
            let parser = self.parser.get_or_insert_with(|| {
                ctx.ppool
                    .pop()
                    .unwrap_or_else(|| RequestParser::new(ctx.limits))
            });
            let buf = &self.rbuf[self.rstart..self.rend];
            // Complete messages before the peer's EOF are answered (a client may send its
            // requests and shut down its side); EOF matters only once more is needed.
            let first = parser.handle_bytes(buf);
            let at_eof = self.eof
                && matches!(
                    first,
                    Ok(Step {
                        event: Event::NeedMore,
                        ..
                    })
                );
            let result = if at_eof {
                parser.handle_eof(buf)
            } else {
                first
            };
            let step = match result {
                Ok(step) => step,
                Err(e) => return Some(self.fail(e, ctx)),
            };
            let consumed = step.consumed;
            let is_head = matches!(step.event, Event::Head(_));
            let act = match step.event {
                Event::NeedMore => Act::NeedMore,
                Event::Head(head) => {
                    on_head(&head, ctx, &mut self.state, &mut self.cur, &mut self.wbuf)
                }
                Event::Data(data) => match &mut self.state {
                    State::Body(r) => match &mut r.sink {
                        Sink::Upload(up) => match up.write(data) {
                            Ok(()) => Act::Continue,
                            Err(e) => Act::UploadFailed(e),
                        },
                        Sink::Discard => Act::Continue,
                    },
                    _ => Act::Continue,
                },
                Event::ChunkHeader { .. } | Event::Trailers(_) => Act::Continue,
                Event::End => Act::End,
                Event::Paused => Act::Paused,
            };
            self.rstart = (self.rstart + consumed).min(self.rend);
            if is_head && matches!(self.state, State::Body(_)) {
                // From here on the body must make progress (the head's own timeout no
                // longer applies).
                self.deadline = ctx.now + ctx.body_timeout;
            }
            match act {
                Act::NeedMore => {
                    // At EOF the parser answers with Paused or an error, never NeedMore;
                    // a parser that does would otherwise spin.
                    return if self.eof { Some(Next::Close) } else { None };
                }
                Act::Continue => {}
                Act::Respond(reply) => {
                    self.respond(reply, ctx);
                    return Some(Next::Keep);
                }
                Act::End => {
                    let State::Body(r) = std::mem::replace(&mut self.state, State::Head) else {
                        return Some(Next::Close);
                    };
                    let Receiving { sink, reply } = *r;
                    let reply = match sink {
                        Sink::Upload(up) => {
                            ctx.commits.commit(up, self.slot, self.serial);
                            self.state = State::Commit(Box::new(reply));
                            return Some(Next::Keep);
                        }
                        Sink::Discard => reply,
                    };
                    self.respond(reply, ctx);
                    self.complete = true;
                    return Some(Next::Keep);
                }
                Act::UploadFailed(e) => {
                    let State::Body(r) = std::mem::replace(&mut self.state, State::Head) else {
                        return Some(Next::Close);
                    };
                    let mut reply = finish(&r.reply, Err(e), ctx.ts);
                    // The rest of the body is not read: the connection cannot be reused.
                    reply.close = true;
                    self.respond(reply, ctx);
                    return Some(Next::Keep);
                }
                // Paused between messages at EOF: the peer is done. Anything else is a
                // parser used out of order; close rather than guess.
                Act::Paused => return Some(Next::Close),
            }
        }
    }

    /// The parser refused the input: answer its status and close.
    fn fail(&mut self, e: ParseError, ctx: &mut Ctx) -> Next {
        let in_head = matches!(self.state, State::Head);
        // Dropping the body state drops any upload.
        self.state = State::Head;
        if e == ParseError::UnexpectedEof {
            return Next::Close;
        }
        if in_head {
            self.cur.line.clear();
            self.cur.line.push('-');
            self.cur.started = ctx.now;
            self.cur.is_head = false;
        }
        let mut reply = reply_to_error(e, ctx.ts);
        reply.close = true;
        self.respond(reply, ctx);
        Next::Keep
    }

    /// Queues `reply` (head and body plan) and moves to `Send`.
    fn respond(&mut self, mut reply: Reply, ctx: &mut Ctx) {
        self.complete = false;
        if ctx.shutting_down {
            reply.close = true;
        }
        let (body, listing_body) = match std::mem::replace(&mut reply.body, Body::Empty) {
            Body::Listing(l) => (Body::Empty, Some(l)),
            other => (other, None),
        };
        let mut file = None;
        if let Body::File { path, start, len } = &body {
            if !self.cur.is_head && *len > 0 {
                match ctx.store.open_file(path) {
                    Ok(f) => {
                        file = Some(FileSend {
                            file: f,
                            offset: *start,
                            remaining: *len,
                            stream: 0,
                        })
                    }
                    Err(e) => {
                        let close = reply.close;
                        reply = reply_with_status(
                            e.status(),
                            Rule::StoreFailed,
                            "the file could not be opened\n",
                            ctx.ts,
                        );
                        reply.close |= close;
                    }
                }
            }
        }
        let chunked = reply.is_chunked();
        if self.wbuf.capacity() == 0 {
            if let Some(b) = ctx.wpool.pop() {
                self.wbuf = b;
            }
        }
        let before = self.wbuf.len();
        reply.write_head(&mut self.wbuf);
        if !self.cur.is_head {
            match (&body, reply.body) {
                (_, Body::Bytes(b)) => self.wbuf.extend_from_slice(&b),
                (Body::Bytes(b), _) => self.wbuf.extend_from_slice(b),
                _ => {}
            }
        }
        let mut listing = None;
        if let (false, Some(l)) = (self.cur.is_head, listing_body) {
            let mut ls = Box::new(ListingSend {
                listing: l,
                chunked,
                piece: Vec::new(),
            });
            // The first piece leaves with the head.
            ls.next_piece(&mut self.wbuf);
            listing = Some(ls);
        }
        if let Some(fs) = &mut file {
            fs.stream = (self.wbuf.len() - before) as u64;
        }
        if let (Some(fs), Body::File { path, .. }) = (&file, &body) {
            if fs.remaining <= INLINE_FILE {
                let at = self.wbuf.len();
                // Bounded by INLINE_FILE above.
                self.wbuf.resize(at + fs.remaining as usize, 0);
                let buf = &mut self.wbuf[at..];
                if let Err(e) = ctx.store.read_small(path, &fs.file, fs.offset, buf) {
                    // The file changed under us, so the head promises what is not there.
                    // Nothing of it has been sent yet: answer the error in its place.
                    self.wbuf.truncate(before);
                    let close = reply.close;
                    reply = reply_with_status(
                        store_error(&e).status(),
                        Rule::StoreFailed,
                        "the file could not be read\n",
                        ctx.ts,
                    );
                    reply.close |= close;
                    reply.write_head(&mut self.wbuf);
                    if let Body::Bytes(b) = &reply.body {
                        self.wbuf.extend_from_slice(b);
                    }
                }
                file = None;
            }
        }
        ctx.store.forget_open();
        self.cur.status = reply.status;
        self.cur.bytes =
            (self.wbuf.len() - before) as u64 + file.as_ref().map_or(0, |f| f.remaining);
        self.state = State::Send {
            file,
            listing,
            close: reply.close,
        };
        self.deadline = ctx.now + ctx.body_timeout;
    }
}

/// A new head: decide, carry out what needs no body, and pick where the body goes.
fn on_head(
    head: &RequestHead<'_>,
    ctx: &mut Ctx,
    state: &mut State,
    cur: &mut Current,
    wbuf: &mut Vec<u8>,
) -> Act {
    cur.started = ctx.now;
    cur.is_head = head.method() == Method::Head;
    cur.line.clear();
    if !ctx.quiet {
        let raw = head.raw();
        let span = head.request_line_span();
        let line = raw.get(span).unwrap_or_default();
        let line = line.strip_suffix(b"\r\n").unwrap_or(line);
        super::log::push_sanitized(&mut cur.line, line);
    }
    let mut reply = decide(head, &ctx.store, &ctx.policy, ctx.ts);
    if !head.keep_alive() || ctx.shutting_down {
        reply.close = true;
    }
    let body_len = match head.framing() {
        Framing::None => Some(0),
        Framing::Length(n) => Some(n),
        Framing::Chunked | Framing::Close => None,
    };
    match std::mem::replace(&mut reply.body, Body::Empty) {
        Body::Upload(plan) => match ctx.store.begin_upload(&plan.path) {
            Ok(up) => {
                if plan.send_continue && head.version() == Version::Http11 {
                    wbuf.extend_from_slice(b"HTTP/1.1 100 Continue\r\n\r\n");
                }
                reply.body = Body::Upload(plan);
                *state = State::Body(Box::new(Receiving {
                    sink: Sink::Upload(up),
                    reply,
                }));
                return Act::Continue;
            }
            Err(e) => {
                // The plan goes back first: `finish` answers it with the error's status.
                reply.body = Body::Upload(plan);
                reply = finish(&reply, Err(e), ctx.ts);
            }
        },
        Body::Remove(path) => {
            let outcome = ctx.store.remove(&path);
            reply.body = Body::Remove(path);
            reply = finish(&reply, outcome, ctx.ts);
        }
        other => reply.body = other,
    }
    if ctx.shutting_down {
        reply.close = true;
    }
    // A body nobody wants: read and drop a small one that is on its way; otherwise answer
    // now and close, as the body may never come (Expect: 100-continue) or be huge.
    let discard = match body_len {
        Some(0) => true,
        Some(n) => n <= DISCARD_MAX && !head.expects_continue(),
        None => false,
    };
    if discard {
        *state = State::Body(Box::new(Receiving {
            sink: Sink::Discard,
            reply,
        }));
        Act::Continue
    } else {
        reply.close = true;
        Act::Respond(reply)
    }
}

/// Sends the last bytes before the connection closes: with MSG_MORE on Linux, so that the
/// FIN that follows leaves in the same segment.
fn send_last(sock: &mio::net::TcpStream, buf: &[u8]) -> io::Result<usize> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::net::SendFlags;
        Ok(rustix::net::send(
            sock,
            buf,
            SendFlags::MORE | SendFlags::NOSIGNAL,
        )?)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        let mut sock = sock;
        sock.write(buf)
    }
}

/// Sends part of a file: `sendfile` on Linux, a read/write loop elsewhere.
fn send_file_part(sock: &mio::net::TcpStream, fs: &mut FileSend) -> io::Result<usize> {
    // At most 256 KiB a call: on loopback one huge call keeps the socket busy in a single
    // copy while the reader waits (1 GiB file: unbounded calls about 2.8 GB/s, 512 KiB
    // calls 3.5–3.7, 256 KiB 3.6–4.0). Calls end where the response's bytes reach a
    // multiple of 256 KiB, as lighttpd's do, so the first one is short by the head's
    // length: 4.3–4.4 GB/s against 3.4–3.6 with calls of 256 KiB from the file's start,
    // medians of 15 downloads in three rounds, lighttpd 4.1–4.4 in the same rounds.
    let count = fs
        .remaining
        .min(SENDFILE_CHUNK - fs.stream % SENDFILE_CHUNK) as usize;
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        let n = rustix::fs::sendfile(sock, &fs.file, Some(&mut fs.offset), count)?;
        fs.remaining -= n as u64;
        fs.stream += n as u64;
        Ok(n)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        use std::os::unix::fs::FileExt;
        let mut buf = [0u8; 64 * 1024];
        let want = count.min(buf.len());
        let got = fs.file.read_at(&mut buf[..want], fs.offset)?;
        if got == 0 {
            return Ok(0);
        }
        let mut sock = sock;
        let n = sock.write(&buf[..got])?;
        fs.offset += n as u64;
        fs.remaining -= n as u64;
        fs.stream += n as u64;
        Ok(n)
    }
}
