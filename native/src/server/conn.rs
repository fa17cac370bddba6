//! One TCP connection: the core's [`ServerConnection`] engine, driven over a socket.
//!
//! The engine decides everything HTTP: what to answer, when to send `100 Continue`, what
//! to do with a refused body, when to close and when a peer is too slow. This shell moves
//! bytes and files and carries out the engine's actions:
//!
//! ```text
//!   socket ──read──► rbuf ──handle_bytes──► engine ──poll_transmit──► wbuf ──write──► socket
//!                                             │  ▲                     └─ file ranges: sendfile
//!                        actions: open, begin │  │ outcomes (the commit's from its pool)
//!                upload, commit, remove, close ▼  │
//!                                            FsStore, commit pool
//! ```
//!
//! With TLS, a [`TlsStream`] sits between the socket and both buffers: reads give
//! plaintext, writes take it, and files are read into the worker's scratch buffer for
//! rustls to encrypt instead of going out with `sendfile`.
//!
//! Output is written as far as the socket takes it and resumed on the next writable
//! event; input is passed in only while the engine wants it, so pipelined requests wait
//! in the buffer (bounded by the core's limits) and are answered in order. An idle
//! connection gives its engine and buffers back to the worker's pools.

use super::fs_store::{store_error, FsUpload};
use super::tls::TlsStream;
use super::worker::Ctx;
use simplehttp_core::server::{Action, ConnEvent, Now, ServerConnection, Transmit};
use simplehttp_core::{FileStore, StoreError, Upload};
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

/// Files up to this size go out in the same write as the head.
const INLINE_FILE: u64 = 16 * 1024;
/// Most bytes one connection sends before the worker turns to the others (a fast reader
/// on loopback would otherwise keep the worker to itself for a whole file). One
/// `sendfile` call: the worker polls between calls, as lighttpd does.
const DRIVE_BUDGET: u64 = SENDFILE_CHUNK;
/// Most bytes of a file handed to one `sendfile` call.
const SENDFILE_CHUNK: u64 = 256 * 1024;
/// Read size while waiting for a head.
const HEAD_READ: usize = 16 * 1024;
/// Read size while receiving an upload.
const BODY_READ: usize = 64 * 1024;
/// Output is taken from the engine while less than this is waiting to be written.
const WBUF_LOW: usize = 64 * 1024;
/// Most buffers and engines of each kind a worker keeps for reuse.
const POOLED: usize = 256;
/// Output buffers larger than this are freed rather than kept.
const POOLED_WBUF_MAX: usize = 64 * 1024;
/// A deadline for an engine that has none (it waits for the store).
const FAR: Duration = Duration::from_secs(24 * 3600);

/// What the worker does with a connection after driving it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Keep it; it waits for readiness or a deadline.
    Keep,
    /// Close it now.
    Close,
}

struct FileSend {
    file: Rc<File>,
    offset: u64,
    remaining: u64,
    /// Bytes of the response written before the next file byte (the head, then what
    /// `sendfile` sent): calls are cut at multiples of [`SENDFILE_CHUNK`] of this.
    stream: u64,
}

/// The response being sent, for the access log.
struct Current {
    line: String,
    started: Instant,
    status: u16,
    bytes: u64,
    head_len: u64,
    /// The connection closes after it.
    close: bool,
    /// A final response is under way and not logged yet.
    pending: bool,
}

/// One connection.
pub struct Conn {
    sock: mio::net::TcpStream,
    /// The TLS layer, when the server speaks HTTPS.
    tls: Option<Box<TlsStream>>,
    /// Its slot in the worker, and a number no other connection of the worker has had:
    /// an upload's commit comes back to (slot, serial).
    slot: usize,
    serial: u64,
    peer: SocketAddr,
    /// The engine; `None` while idle (it waits in the worker's pool).
    engine: Option<Box<ServerConnection>>,
    /// Input: `rbuf[rstart..rend]` are received bytes the engine has not consumed.
    rbuf: Vec<u8>,
    rstart: usize,
    rend: usize,
    /// Output: `wbuf[wpos..]` is still to be written, then `file`.
    wbuf: Vec<u8>,
    wpos: usize,
    file: Option<FileSend>,
    /// What the last [`Action::Open`] opened (a small file's bytes wait in `Ctx::inline`).
    opened: Option<Rc<File>>,
    /// Output could not be made whole: close.
    broken: bool,
    upload: Option<FsUpload>,
    /// The upload is with the commit pool; its outcome comes to [`Conn::committed`].
    committing: bool,
    /// Something was handed to the socket since the engine was last told it drained.
    sent: bool,
    /// The engine was told the server is shutting down.
    told_shutdown: bool,
    /// When the engine's current wait times out.
    pub deadline: Instant,
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
    cur: Current,
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

impl Ctx {
    /// The time as the engine takes it.
    fn now_value(&self) -> Now {
        Now {
            ms: u64::try_from(self.now.duration_since(self.epoch).as_millis()).unwrap_or(u64::MAX),
            wall: self.ts,
        }
    }

    /// An engine for a connection from `peer`, from the pool if it has one.
    fn engine(&mut self, peer: SocketAddr) -> Box<ServerConnection> {
        let now = self.now_value();
        let mut engine = match self.engines.pop() {
            Some(mut e) => {
                e.recycle(now);
                e
            }
            None => Box::new(ServerConnection::new(self.engine_config.clone(), now)),
        };
        engine.set_peer(peer);
        engine
    }
}

impl Conn {
    /// A new connection, waiting for its first head.
    pub fn new(sock: mio::net::TcpStream, peer: SocketAddr, slot: usize, ctx: &mut Ctx) -> Conn {
        ctx.serial += 1;
        let mut broken = false;
        let tls = ctx.tls.as_ref().and_then(|certs| {
            TlsStream::new(certs.current())
                .map_err(|_| broken = true)
                .ok()
                .map(Box::new)
        });
        Conn {
            sock,
            tls,
            slot,
            serial: ctx.serial,
            peer,
            engine: Some(ctx.engine(peer)),
            rbuf: Vec::new(),
            rstart: 0,
            rend: 0,
            wbuf: Vec::new(),
            wpos: 0,
            file: None,
            opened: None,
            broken,
            upload: None,
            committing: false,
            sent: false,
            told_shutdown: false,
            deadline: ctx.now + Duration::from_millis(ctx.engine_config.timeouts.header_ms),
            eof: false,
            readable: true,
            hup: false,
            yielded: false,
            cur: Current {
                line: String::new(),
                started: ctx.now,
                status: 0,
                bytes: 0,
                head_len: 0,
                close: false,
                pending: false,
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
        self.engine.as_ref().is_none_or(|e| e.is_idle())
            && self.rstart == self.rend
            && self.wpos >= self.wbuf.len()
            && self.file.is_none()
    }

    /// Whether the last `drive` stopped to give other connections their turn while its
    /// socket still took more: the worker drives it again soon without waiting for an
    /// event (edge-triggered polls would not report it again).
    #[must_use]
    pub fn yielded(&self) -> bool {
        self.yielded
    }

    /// Does everything that can be done without blocking: write, carry out the engine's
    /// actions, take its output, read and pass input in. `readable`: the poll reported new
    /// input; `hup`: it reported the peer's EOF or an error (which a short read does not
    /// reveal).
    pub fn drive(&mut self, ctx: &mut Ctx, readable: bool, hup: bool) -> Next {
        self.readable |= readable || hup;
        self.hup |= hup;
        self.yielded = false;
        let next = self.run(ctx);
        if next == Next::Keep {
            self.sync_deadline(ctx);
        }
        next
    }

    fn run(&mut self, ctx: &mut Ctx) -> Next {
        loop {
            if ctx.shutting_down && !self.told_shutdown {
                self.told_shutdown = true;
                if let Some(e) = &mut self.engine {
                    e.handle_shutdown();
                }
            }
            // First, so that a close the engine decided (a peer that stopped reading)
            // does not wait for a socket that will never drain.
            if let Some(next) = self.act(ctx) {
                return next;
            }
            match self.flush(ctx) {
                Flush::Failed => return Next::Close,
                Flush::Yield => {
                    self.yielded = true;
                    return Next::Keep;
                }
                Flush::Blocked => {
                    // A pending `100 Continue` does not stop the body from being read.
                    if !self.engine.as_ref().is_some_and(|e| e.wants_input()) {
                        return Next::Keep;
                    }
                }
                Flush::Done => {
                    if self.sent {
                        self.sent = false;
                        self.drained(ctx);
                    }
                }
            }
            if let Some(next) = self.act(ctx) {
                return next;
            }
            if self.take_output(ctx) {
                continue;
            }
            if self.broken {
                return Next::Close;
            }
            if self.engine.is_none() && self.rstart == self.rend {
                // Idle: nothing to do until bytes come.
                if self.eof {
                    return Next::Close;
                }
            } else if self.feed(ctx) {
                continue;
            }
            if self.committing || self.engine.as_ref().is_some_and(|e| !e.wants_input()) {
                return Next::Keep;
            }
            match self.fill(ctx) {
                Fill::Got => {}
                Fill::Eof => self.eof = true,
                Fill::Blocked => return Next::Keep,
                Fill::Failed => return Next::Close,
            }
            if self.eof && self.engine.is_none() && self.rstart == self.rend {
                return Next::Close;
            }
        }
    }

    /// A deadline passed (the worker checks [`Conn::deadline`]).
    pub fn on_timeout(&mut self, ctx: &mut Ctx) -> Next {
        let Some(engine) = &mut self.engine else {
            // Idle for the whole idle timeout the engine gave.
            return Next::Close;
        };
        engine.handle_timeout(ctx.now_value());
        self.drive(ctx, false, false)
    }

    /// The commit pool is done with this connection's upload. `serial` tells whether the
    /// outcome is this connection's at all.
    pub fn committed(
        &mut self,
        serial: u64,
        outcome: Result<(), StoreError>,
        ctx: &mut Ctx,
    ) -> Next {
        if serial != self.serial || !self.committing {
            return Next::Keep;
        }
        self.committing = false;
        if let Some(engine) = &mut self.engine {
            engine.handle_outcome(outcome, &ctx.store, ctx.now_value());
        }
        self.drive(ctx, false, false)
    }

    fn sync_deadline(&mut self, ctx: &Ctx) {
        if let Some(engine) = &self.engine {
            self.deadline = match engine.poll_timeout() {
                Some(ms) => ctx.epoch + Duration::from_millis(ms),
                None => ctx.now + FAR,
            };
        }
    }

    /// Carries out the engine's actions. `Some`: what the worker is to do now.
    fn act(&mut self, ctx: &mut Ctx) -> Option<Next> {
        let engine = self.engine.as_mut()?;
        while let Some(action) = engine.poll_action() {
            let outcome = match action {
                Action::Open { path, start, len } => {
                    let opened = ctx.store.open_file(&path).and_then(|f| {
                        if len <= INLINE_FILE {
                            // Read now, so a file that changed under us is still answered
                            // with an error rather than a head that promises too much. The
                            // worker's scratch holds it until the head is written, later
                            // in this same turn.
                            ctx.inline.clear();
                            // Bounded by INLINE_FILE.
                            ctx.inline.resize(len as usize, 0);
                            ctx.inline_owner = self.serial;
                            ctx.store
                                .read_small(&path, &f, start, &mut ctx.inline)
                                .map_err(|e| store_error(&e))?;
                        }
                        Ok(f)
                    });
                    opened.map(|f| self.opened = Some(f))
                }
                Action::BeginUpload(path) => ctx
                    .store
                    .begin_upload(&path)
                    .map(|up| self.upload = Some(up)),
                Action::Commit => match self.upload.take() {
                    Some(up) => {
                        ctx.commits.commit(up, self.slot, self.serial);
                        self.committing = true;
                        continue;
                    }
                    None => Err(StoreError::Io),
                },
                Action::Abort => {
                    self.upload = None;
                    continue;
                }
                Action::Remove(path) => ctx.store.remove(&path),
                Action::ShutdownWrite => {
                    if let Some(tls) = &mut self.tls {
                        tls.close_notify(&mut self.sock);
                    }
                    // The FIN goes with the reply's last bytes (held back by MSG_MORE).
                    let _ = self.sock.shutdown(Shutdown::Write);
                    continue;
                }
                Action::Close => return Some(Next::Close),
            };
            engine.handle_outcome(outcome, &ctx.store, ctx.now_value());
        }
        // The file the last decision looked at is not kept open past it (a HEAD, a 304 or
        // a PUT never asks for it).
        ctx.store.forget_open();
        None
    }

    /// Takes output from the engine into `wbuf` (or the file to send). Returns whether
    /// there is something new to write.
    fn take_output(&mut self, ctx: &mut Ctx) -> bool {
        let Some(engine) = &mut self.engine else {
            return false;
        };
        let mut any = false;
        while self.file.is_none() && self.wbuf.len() - self.wpos < WBUF_LOW {
            if self.wbuf.capacity() == 0 {
                if let Some(b) = ctx.wpool.pop() {
                    self.wbuf = b;
                }
            }
            let before = self.wbuf.len();
            let Some(t) = engine.poll_transmit(&mut self.wbuf) else {
                break;
            };
            any = true;
            while let Some(event) = engine.poll_event() {
                if let ConnEvent::Response {
                    status,
                    head_len,
                    close,
                    ..
                } = event
                {
                    self.cur.status = status;
                    self.cur.head_len = head_len as u64;
                    self.cur.close = close;
                    self.cur.bytes = 0;
                    self.cur.pending = true;
                }
            }
            match t {
                Transmit::Bytes => self.cur.bytes += (self.wbuf.len() - before) as u64,
                Transmit::File { start, len, .. } => {
                    self.cur.bytes += len;
                    let file = self.opened.take();
                    if len <= INLINE_FILE {
                        if ctx.inline_owner != self.serial || ctx.inline.len() as u64 != len {
                            // Not what was read at the open (it cannot happen): close
                            // rather than send a head without its body.
                            self.broken = true;
                            break;
                        }
                        ctx.inline_owner = 0;
                        self.wbuf.extend_from_slice(&ctx.inline);
                    } else if let Some(file) = file {
                        self.file = Some(FileSend {
                            file,
                            offset: start,
                            remaining: len,
                            stream: self.cur.head_len,
                        });
                    }
                }
            }
        }
        self.sent |= any;
        any
    }

    /// Passes buffered input to the engine. Returns whether anything changed.
    fn feed(&mut self, ctx: &mut Ctx) -> bool {
        if self.engine.is_none() {
            self.engine = Some(ctx.engine(self.peer));
        }
        let Some(engine) = &mut self.engine else {
            return false;
        };
        if !engine.wants_input() {
            return false;
        }
        let now = ctx.now_value();
        let input = &self.rbuf[self.rstart..self.rend];
        let got = if self.eof {
            engine.handle_eof(input, &ctx.store, now)
        } else {
            engine.handle_bytes(input, &ctx.store, now)
        };
        if let Some(line) = got.request_line.clone() {
            self.cur.started = ctx.now;
            self.cur.line.clear();
            if !ctx.quiet {
                let line = &input[line];
                let line = line.strip_suffix(b"\r\n").unwrap_or(line);
                super::log::push_sanitized(&mut self.cur.line, line);
            }
        }
        if let Some(data) = got.body {
            if let Some(up) = &mut self.upload {
                if let Err(e) = up.write(data) {
                    engine.handle_outcome(Err(e), &ctx.store, now);
                }
            }
        }
        self.rstart += got.consumed;
        if self.rstart == self.rend {
            self.rstart = 0;
            self.rend = 0;
        }
        // At EOF the engine answers or closes; it never waits for more.
        got.consumed > 0 || !engine.wants_input() || self.eof
    }

    /// Everything handed out was written: the engine moves on. A response that is done is
    /// logged; an engine that is then idle, with nothing buffered, goes back to the pool.
    fn drained(&mut self, ctx: &mut Ctx) {
        let Some(engine) = &mut self.engine else {
            return;
        };
        engine.handle_drained(ctx.now_value());
        if self.cur.pending && !engine.has_output() {
            self.cur.pending = false;
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
            self.cur.line.clear();
        }
        if engine.is_idle() && self.rstart == self.rend {
            // An idle connection holds no engine and no buffers: they go back to the
            // worker's pools, so thousands of idle keep-alive connections cost little
            // memory, and busy ones neither allocate nor zero a buffer per request.
            self.sync_deadline(ctx);
            if let Some(engine) = self.engine.take() {
                if ctx.engines.len() < POOLED {
                    ctx.engines.push(engine);
                }
            }
            self.release_rbuf(ctx);
            let mut wbuf = std::mem::take(&mut self.wbuf);
            self.wpos = 0;
            if (1..=POOLED_WBUF_MAX).contains(&wbuf.capacity()) && ctx.wpool.len() < POOLED {
                wbuf.clear();
                ctx.wpool.push(wbuf);
            }
        }
    }

    /// Writes what is pending: `wbuf`, then the file being sent.
    fn flush(&mut self, ctx: &mut Ctx) -> Flush {
        if self.tls.is_some() {
            return self.flush_tls(ctx);
        }
        // The last bytes before closing are sent with MSG_MORE: held back, they leave in
        // one segment with the FIN that closing adds, instead of two.
        let last = self.cur.pending && self.cur.close && self.file.is_none();
        let mut wrote = false;
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
                    wrote = true;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.progress(ctx, wrote);
                    return Flush::Blocked;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return Flush::Failed,
            }
        }
        self.wbuf.clear();
        self.wpos = 0;
        if let Some(fs) = &mut self.file {
            let mut budget = DRIVE_BUDGET;
            while fs.remaining > 0 {
                if budget == 0 {
                    self.progress(ctx, true);
                    return Flush::Yield;
                }
                match send_file_part(&self.sock, fs) {
                    // The file shrank under us: the promised length cannot be sent.
                    Ok(0) => return Flush::Failed,
                    Ok(n) => {
                        wrote = true;
                        budget = budget.saturating_sub(n as u64);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                        self.progress(ctx, wrote);
                        return Flush::Blocked;
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(_) => return Flush::Failed,
                }
            }
            self.file = None;
        }
        Flush::Done
    }

    /// [`Conn::flush`] over TLS: rustls' records first, then `wbuf`, then the file, each
    /// handed over only once the socket took everything before it.
    fn flush_tls(&mut self, ctx: &mut Ctx) -> Flush {
        let Some(tls) = &mut self.tls else {
            return Flush::Done;
        };
        let mut wrote = false;
        let mut budget = DRIVE_BUDGET;
        let out = loop {
            match tls.push(&mut self.sock) {
                Ok(n) => wrote |= n > 0,
                Err(_) => return Flush::Failed,
            }
            if tls.pending() {
                break Flush::Blocked;
            }
            if self.wpos < self.wbuf.len() {
                match tls.write(&mut self.sock, &self.wbuf[self.wpos..]) {
                    Ok(n) => self.wpos += n,
                    Err(_) => return Flush::Failed,
                }
                continue;
            }
            let Some(fs) = &mut self.file else {
                break Flush::Done;
            };
            if fs.remaining == 0 {
                self.file = None;
                continue;
            }
            if budget == 0 {
                break Flush::Yield;
            }
            // The worker's scratch, reused: read the next part and hand it to rustls,
            // which takes all of it (nothing is pending).
            if ctx.tls_buf.is_empty() {
                ctx.tls_buf = vec![0; super::tls::PLAIN_CHUNK];
            }
            let want = fs.remaining.min(ctx.tls_buf.len() as u64) as usize;
            let got = {
                use std::os::unix::fs::FileExt;
                match fs.file.read_at(&mut ctx.tls_buf[..want], fs.offset) {
                    // The file shrank under us: the promised length cannot be sent.
                    Ok(0) | Err(_) => return Flush::Failed,
                    Ok(n) => n,
                }
            };
            match tls.write(&mut self.sock, &ctx.tls_buf[..got]) {
                Ok(n) => {
                    fs.offset += n as u64;
                    fs.remaining -= n as u64;
                    budget = budget.saturating_sub(n as u64);
                }
                Err(_) => return Flush::Failed,
            }
        };
        match out {
            Flush::Done => {
                self.wbuf.clear();
                self.wpos = 0;
            }
            Flush::Yield => self.progress(ctx, true),
            _ => self.progress(ctx, wrote),
        }
        out
    }

    /// Tells the engine the peer is reading, when it is.
    fn progress(&mut self, ctx: &Ctx, wrote: bool) {
        if wrote {
            if let Some(e) = &mut self.engine {
                e.handle_progress(ctx.now_value());
            }
        }
    }

    /// Gives the (empty) input buffer back to the worker's pool.
    fn release_rbuf(&mut self, ctx: &mut Ctx) {
        self.rstart = 0;
        self.rend = 0;
        let rbuf = std::mem::take(&mut self.rbuf);
        if rbuf.len() == HEAD_READ && ctx.rpool.len() < POOLED {
            ctx.rpool.push(rbuf);
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
        let want = if self.upload.is_some() {
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
            let limits = &ctx.engine_config.limits;
            let cap = limits.max_head_bytes + limits.max_trailer_bytes + 2 * BODY_READ;
            if self.rend >= cap {
                return Fill::Failed;
            }
            let new_len = (self.rend + want).max(self.rbuf.len());
            self.rbuf.resize(new_len, 0);
        }
        loop {
            let space = self.rbuf.len() - self.rend;
            let buf = &mut self.rbuf[self.rend..];
            let got = match &mut self.tls {
                None => self.sock.read(buf),
                Some(tls) => tls.read(&mut self.sock, buf, self.hup),
            };
            match got {
                Ok(0) => return Fill::Eof,
                Ok(n) => {
                    self.rend += n;
                    // Over TLS a short read of plaintext says nothing about the socket;
                    // the TLS layer knows whether it emptied it.
                    let drained = match &self.tls {
                        None => n < space,
                        Some(tls) => tls.drained(),
                    };
                    if drained && !self.hup {
                        self.readable = false;
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
