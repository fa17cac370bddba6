//! The server's connection engine: one HTTP/1.1 connection's sequencing, without I/O.
//!
//! A [`ServerConnection`] owns the request parser and everything a file server decides per
//! connection: it calls [`decide`] on each head, keeps the connection alive or closes it,
//! answers pipelined requests in order, sends `100 Continue`, reads and drops a small
//! refused body (or answers at once and closes), renders in-memory and listing bodies,
//! carries an upload from its start to its final status, removes files, answers errors
//! with their status, and keeps the deadlines: header, body progress, minimum body rate,
//! idle, send progress and lingering. Every final response it writes carries the policy's
//! CORS fields ([`decorate`](crate::decide::decorate)) and extra fields
//! ([`Policy::headers`]), whichever rule or outcome made it.
//!
//! The shell moves bytes, files and time, and does what the engine asks:
//!
//! ```text
//!  bytes ─► handle_bytes / handle_eof ─┐                  ┌─► poll_transmit: bytes to write,
//!  time  ─► handle_timeout ────────────┤ ServerConnection ├─►   or a range of a file to send
//!  store ─► handle_outcome ────────────┤                  ├─► poll_action: open, begin upload,
//!  sent  ─► handle_progress/drained ───┘                  │     commit, abort, remove, close
//!                                                         └─► poll_timeout, poll_event
//! ```
//!
//! The states, and what moves between them:
//!
//! ```text
//!              ┌──────────────── drained, keep-alive: next request ───────────────┐
//!              ▼                                                                  │
//!          ┌──────┐ head: decide ┌───────┐ End ┌───────┐ response  ┌─────────┐    │
//!   ─────► │ Head │ ───────────► │ Body  │ ──► │ Await │ ────────► │ Sending │ ───┘
//!          └──────┘              └───────┘     └───────┘ queued    └─────────┘
//!             │ │  begin/remove/open ▲  │ data → the upload            │ drained, close
//!             │ └──► Await ──────────┘  │                              ▼
//!             │       (store outcome)   │ stall, too slow: 408   ┌───────────┐ EOF or
//!             └ error, header timeout ──┴──────────────────────► │ Lingering │ deadline
//!               (reply with its status)                          └───────────┘ ──► Closed
//! ```
//!
//! Time is a value the shell passes in ([`Now`]): a monotonic clock in milliseconds for the
//! deadlines, and the wall clock for `Date` and conditional requests. The engine reports
//! its next deadline ([`ServerConnection::poll_timeout`]) and is told when it has passed.
//!
//! A whole exchange with literal bytes: a pipelined pair of GETs, then an upload with
//! `100 Continue`.
//!
//! ```
//! use simplehttp_core::server::{Action, Now, ServerConfig, ServerConnection, Transmit};
//! use simplehttp_core::{FileStore, MemoryStore, Timestamp, Upload};
//! use std::sync::Arc;
//!
//! let store = MemoryStore::new().with_file("a.txt", b"hello\n", Timestamp(0));
//! let now = Now { ms: 0, wall: Timestamp(0) };
//! let mut conn = ServerConnection::new(Arc::new(ServerConfig::default()), now);
//! let mut out = Vec::new();
//!
//! // Drives the connection until it has nothing more to do, like a shell's loop.
//! fn drive(conn: &mut ServerConnection, store: &MemoryStore, input: &[u8], out: &mut Vec<u8>) {
//!     let now = Now { ms: 0, wall: Timestamp(0) };
//!     let mut at = 0;
//!     let mut upload = None;
//!     loop {
//!         let mut busy = false;
//!         while let Some(action) = conn.poll_action() {
//!             busy = true;
//!             let outcome = match action {
//!                 Action::Open { .. } => Ok(()),
//!                 Action::BeginUpload(path) => store.begin_upload(&path).map(|u| upload = Some(u)),
//!                 Action::Commit => upload.take().unwrap().commit(),
//!                 Action::Abort => { upload = None; continue }
//!                 Action::Remove(path) => store.remove(&path),
//!                 Action::ShutdownWrite | Action::Close => continue,
//!             };
//!             conn.handle_outcome(outcome, store, now);
//!         }
//!         while let Some(t) = conn.poll_transmit(out) {
//!             busy = true;
//!             if let Transmit::File { path, start, len } = t {
//!                 out.extend(store.read(&path, start, len).unwrap());
//!             }
//!         }
//!         if busy {
//!             conn.handle_drained(now);
//!         }
//!         if conn.wants_input() {
//!             let got = conn.handle_bytes(&input[at..], store, now);
//!             if let Some(data) = got.body {
//!                 upload.as_mut().unwrap().write(data).unwrap();
//!             }
//!             at += got.consumed;
//!             busy |= got.consumed > 0 || !conn.wants_input();
//!         }
//!         if !busy {
//!             return;
//!         }
//!     }
//! }
//!
//! drive(&mut conn, &store, b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n\
//!                            HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n", &mut out);
//! let text = String::from_utf8(out.clone()).unwrap();
//! assert!(text.starts_with("HTTP/1.1 200 OK\r\n"));
//! assert_eq!(text.matches("HTTP/1.1 200 OK\r\n").count(), 2);
//! assert_eq!(text.matches("hello\n").count(), 1, "HEAD has no body");
//!
//! out.clear();
//! drive(&mut conn, &store, b"PUT /b.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n\
//!                            Expect: 100-continue\r\n\r\nhi", &mut out);
//! let text = String::from_utf8(out).unwrap();
//! assert!(text.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"), "{text}");
//! assert_eq!(store.get("b.txt").unwrap(), b"hi");
//! ```

use crate::decide::{
    decide_from, decorate, finish, reply_to_error, reply_with_status, Body, Policy, Reply, Rule,
};
use crate::head::{Framing, Method, Version};
use crate::listing::Listing;
use crate::parse::{Event, RequestParser};
use crate::store::{FileStore, StoreError};
use crate::target::StorePath;
use crate::write::{write_chunk, write_last_chunk};
use crate::{Limits, ParseError, Timestamp};
use alloc::boxed::Box;
use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::ops::Range;

/// The time, as the shell knows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Now {
    /// A monotonic clock, in milliseconds from any origin: the deadlines run on it.
    pub ms: u64,
    /// The wall clock, for `Date` and conditional requests.
    pub wall: Timestamp,
}

/// How long the engine waits for a peer, in milliseconds, and how slow a body may be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timeouts {
    /// A whole request head must arrive within this (408 when part of it came). Default
    /// 10 s, as `simple-server --header-timeout`.
    pub header_ms: u64,
    /// A request body, or the peer's reading of a response, may go this long without
    /// progress. Default 60 s.
    pub body_ms: u64,
    /// An idle keep-alive connection is closed after this. Default 30 s.
    pub idle_ms: u64,
    /// After [`Timeouts::min_rate_grace_ms`], a request body must have averaged at least
    /// this many bytes a second since its start, or it is answered 408 (Apache's
    /// `mod_reqtimeout` `MinRate`: a byte every few seconds must not hold a connection for
    /// minutes). 0 turns it off. Default 500, as Apache's.
    pub min_rate: u64,
    /// How long a body may take before its average rate counts. Default 10 s.
    pub min_rate_grace_ms: u64,
    /// How long a closing connection reads and drops what the peer still sends, so that
    /// it reads the reply rather than a reset. Default 2 s.
    pub linger_ms: u64,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_ms: 10_000,
            body_ms: 60_000,
            idle_ms: 30_000,
            min_rate: 500,
            min_rate_grace_ms: 10_000,
            linger_ms: 2_000,
        }
    }
}

/// Everything a connection is configured with.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerConfig {
    /// The parser's bounds.
    pub limits: Limits,
    /// What `decide` allows.
    pub policy: Policy,
    /// The deadlines.
    pub timeouts: Timeouts,
}

/// A refused request body of at most this size, already on its way, is read and dropped
/// before the reply, so that closing afterwards cannot reset the connection under the
/// reply; a larger one (or one that waits for `100 Continue`) is answered at once, and the
/// connection closes.
const DISCARD_MAX: u64 = 64 * 1024;
/// About how much of a listing is rendered at a time.
const LISTING_PIECE: usize = 16 * 1024;
/// Most bytes lingering reads and drops before closing.
const LINGER_BYTES: u64 = 1 << 20;

/// What the shell is asked to do. Those that have an outcome (`Open`, `BeginUpload`,
/// `Commit`, `Remove`) wait for [`ServerConnection::handle_outcome`]; nothing else happens
/// on the connection meanwhile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Check that this file can be opened for sending (and keep it open): its head is
    /// written only after the outcome, which may turn the reply into an error.
    Open {
        /// The file.
        path: StorePath,
        /// The range of it the response sends: a shell that copies small files into its
        /// output may read them now, so that a failed read is still answered as an error.
        start: u64,
        /// How many bytes.
        len: u64,
    },
    /// Start an upload to this path. The body's bytes then come out of
    /// [`ServerConnection::handle_bytes`] as [`Received::body`], to be written to it; a
    /// failed write is told with `handle_outcome(Err(..))`.
    BeginUpload(StorePath),
    /// The body is complete: make the upload durable and visible.
    Commit,
    /// Drop the upload, leaving nothing behind (no outcome expected).
    Abort,
    /// Remove this file.
    Remove(StorePath),
    /// Shut down the write side (everything is sent) and keep reading, passing what comes
    /// to `handle_bytes` (it is dropped), until `Close`.
    ShutdownWrite,
    /// Close the connection.
    Close,
}

/// Output to send, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transmit {
    /// Bytes were appended to the caller's buffer.
    Bytes,
    /// After what is in the buffer, send `len` bytes of this file from `start`.
    File {
        /// The file (the shell opened it for the [`Action::Open`] before).
        path: StorePath,
        /// First byte.
        start: u64,
        /// How many.
        len: u64,
    },
}

/// What the engine did, for logs and the explorer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnEvent {
    /// `100 Continue` was queued.
    Continue,
    /// The head of a final response was just written by `poll_transmit`.
    Response {
        /// Its status.
        status: u16,
        /// The rule that gave it.
        rule: Rule,
        /// The connection closes after it.
        close: bool,
        /// The length of its head in bytes.
        head_len: usize,
    },
    /// The parser refused the input; the response to it follows.
    Malformed(ParseError),
}

/// What [`ServerConnection::handle_bytes`] took.
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Received<'b> {
    /// How many bytes of the input were used: the caller drops them and passes the rest
    /// again, with any new ones, when [`ServerConnection::wants_input`] says so.
    pub consumed: usize,
    /// Bytes of an upload's body, borrowed from the input, to write to the upload.
    pub body: Option<&'b [u8]>,
    /// Where the request line of a head that arrived lies in the input (for a log).
    pub request_line: Option<Range<usize>>,
}

impl Received<'_> {
    fn nothing() -> Self {
        Received {
            consumed: 0,
            body: None,
            request_line: None,
        }
    }
}

/// Where a body goes.
#[derive(Debug)]
enum Sink {
    Discard,
    Upload,
}

/// What an outcome is awaited for.
#[derive(Debug)]
enum Awaiting {
    /// The file of a reply being opened.
    Open(Box<Reply>),
    /// The upload being begun, and whether the head asks for `100 Continue`.
    Begin(Box<Reply>, BodyPlan),
    /// The removal.
    Remove(Box<Reply>, BodyPlan),
    /// The upload's commit.
    Commit(Box<Reply>),
}

/// What the head said of its body.
#[derive(Debug, Clone, Copy)]
struct BodyPlan {
    /// Declared length (`None`: chunked).
    len: Option<u64>,
    expects_continue: bool,
    http11: bool,
}

#[derive(Debug)]
enum State {
    /// Waiting for a head; `started`: some bytes of it came (header timeout, else idle).
    Head { started: bool },
    /// Receiving a body: where it goes, the reply decided for it, and its progress.
    Body {
        sink: Sink,
        reply: Box<Reply>,
        started_ms: u64,
        received: u64,
    },
    /// A store outcome is awaited.
    Await(Awaiting),
    /// A response is queued or being written; `close` after it.
    Sending { close: bool },
    /// Write side shut: dropping input until EOF, the deadline or the byte bound.
    Lingering { until_ms: u64, dropped: u64 },
    /// Closed: nothing more happens.
    Closed,
}

/// Output waiting for `poll_transmit`.
#[derive(Debug)]
enum Out {
    Bytes(&'static [u8]),
    /// A reply's head and its in-memory body, rendered into the caller's buffer.
    Reply(Reply),
    File {
        path: StorePath,
        start: u64,
        len: u64,
    },
    Listing {
        listing: Box<Listing>,
        chunked: bool,
    },
}

/// One server connection. See the [module docs](self).
#[derive(Debug)]
pub struct ServerConnection {
    config: Arc<ServerConfig>,
    parser: RequestParser,
    state: State,
    out: VecDeque<Out>,
    actions: VecDeque<Action>,
    events: VecDeque<ConnEvent>,
    /// When the current wait times out.
    deadline_ms: u64,
    /// The request being answered is a HEAD (its reply has no body bytes).
    is_head: bool,
    /// The request being answered was read to its end.
    complete: bool,
    /// The last `handle_bytes` left input unconsumed.
    unconsumed: bool,
    /// The peer closed its side.
    eof: bool,
    /// Stop after the response in progress (graceful shutdown).
    shutting_down: bool,
    /// The peer's address, for the policy's authenticator.
    peer: Option<SocketAddr>,
    /// The request's `Origin`, when it is one of the listed CORS origins: sent back.
    cors_origin: Option<String>,
}

impl ServerConnection {
    /// A new connection, waiting for its first head.
    #[must_use]
    pub fn new(config: Arc<ServerConfig>, now: Now) -> Self {
        ServerConnection {
            parser: RequestParser::new(config.limits),
            deadline_ms: now.ms + config.timeouts.header_ms,
            config,
            state: State::Head { started: true },
            out: VecDeque::new(),
            actions: VecDeque::new(),
            events: VecDeque::new(),
            is_head: false,
            complete: false,
            unconsumed: false,
            eof: false,
            shutting_down: false,
            peer: None,
            cors_origin: None,
        }
    }

    /// Tells the engine who the peer is: [`decide_from`] passes it to the policy's
    /// [`Authenticator`](crate::decide::Authenticator), which may count failed logins per
    /// address. [`ServerConnection::recycle`] forgets it.
    pub fn set_peer(&mut self, peer: SocketAddr) {
        self.peer = Some(peer);
    }

    /// Makes an engine whose connection ended (or is idle) new, for another connection:
    /// a shell may keep engines of idle connections in a pool, remembering only
    /// [`ServerConnection::poll_timeout`], so that thousands of idle connections cost
    /// little memory.
    pub fn recycle(&mut self, now: Now) {
        // An idle connection's parser is clean and waits for a head: it is kept, with its
        // buffers; any other one starts over.
        if !self.is_idle() {
            self.parser = RequestParser::new(self.config.limits);
        }
        self.state = State::Head { started: true };
        self.out.clear();
        self.actions.clear();
        self.events.clear();
        self.deadline_ms = now.ms + self.config.timeouts.header_ms;
        self.is_head = false;
        self.complete = false;
        self.unconsumed = false;
        self.eof = false;
        self.shutting_down = false;
        self.peer = None;
        self.cors_origin = None;
    }

    /// Whether the engine takes input now. It does not while a response is queued or being
    /// written, or a store outcome is awaited: pipelined requests wait in the shell's
    /// buffer, answered in order.
    #[must_use]
    pub fn wants_input(&self) -> bool {
        self.actions.is_empty()
            && self.out.is_empty()
            && matches!(
                self.state,
                State::Head { .. } | State::Body { .. } | State::Lingering { .. }
            )
    }

    /// Whether the connection is between requests with nothing of the next one received:
    /// it can be closed without cutting anything short.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        matches!(self.state, State::Head { started: false }) && !self.unconsumed
    }

    /// Whether output is waiting for `poll_transmit` (a response not yet handed out whole).
    #[must_use]
    pub fn has_output(&self) -> bool {
        !self.out.is_empty()
    }

    /// Whether the connection is closed.
    #[must_use]
    pub fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    /// When [`ServerConnection::handle_timeout`] is due, on the monotonic clock; `None`
    /// while a store outcome is awaited (the store's work finishes whatever the peer does).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<u64> {
        match &self.state {
            State::Await(_) | State::Closed => None,
            State::Body {
                started_ms,
                received,
                ..
            } => Some(
                self.deadline_ms
                    .min(self.rate_deadline(*started_ms, *received)),
            ),
            _ => Some(self.deadline_ms),
        }
    }

    /// The next thing to do, if any.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// The next thing that happened, if any.
    pub fn poll_event(&mut self) -> Option<ConnEvent> {
        self.events.pop_front()
    }

    /// Appends the next output to `out` (at most one piece of a listing), or says which
    /// file range to send next. `None`: nothing to send until something else happens.
    pub fn poll_transmit(&mut self, out: &mut Vec<u8>) -> Option<Transmit> {
        match self.out.pop_front()? {
            Out::Bytes(b) => {
                out.extend_from_slice(b);
                Some(Transmit::Bytes)
            }
            Out::Reply(reply) => {
                let at = out.len();
                reply.write_head_with(out, &self.config.policy.headers);
                self.events.push_back(ConnEvent::Response {
                    status: reply.status,
                    rule: reply.rule,
                    close: reply.close,
                    head_len: out.len() - at,
                });
                if let Body::Bytes(b) = &reply.body {
                    out.extend_from_slice(b);
                }
                Some(Transmit::Bytes)
            }
            Out::File { path, start, len } => Some(Transmit::File { path, start, len }),
            Out::Listing {
                mut listing,
                chunked,
            } => {
                let mut piece = Vec::new();
                let done = listing.write_next(&mut piece, LISTING_PIECE);
                if chunked {
                    write_chunk(out, &piece);
                    if done {
                        // No trailers: cannot fail.
                        let _ = write_last_chunk(out, &[]);
                    }
                } else {
                    out.extend_from_slice(&piece);
                }
                if !done {
                    self.out.push_front(Out::Listing { listing, chunked });
                }
                Some(Transmit::Bytes)
            }
        }
    }

    /// Input from the peer. Runs the parser over `input` (the bytes not yet consumed,
    /// with any new ones) until it needs more, a body's bytes are to be written, or
    /// something is queued. See [`Received`].
    ///
    /// Call it again, even with no new bytes, as long as it consumed some or
    /// [`ServerConnection::wants_input`] stays true after an upload's bytes: the end of a
    /// body may need no more input.
    pub fn handle_bytes<'b, S: FileStore + ?Sized>(
        &mut self,
        input: &'b [u8],
        store: &S,
        now: Now,
    ) -> Received<'b> {
        let got = self.take(input, false, store, now);
        self.unconsumed = got.consumed < input.len();
        got
    }

    /// The peer closed its side; `input` is what it sent that was not consumed yet.
    /// Complete requests in it are still answered.
    pub fn handle_eof<'b, S: FileStore + ?Sized>(
        &mut self,
        input: &'b [u8],
        store: &S,
        now: Now,
    ) -> Received<'b> {
        self.eof = true;
        let got = self.take(input, true, store, now);
        self.unconsumed = got.consumed < input.len();
        got
    }

    /// The outcome of the last [`Action`] that has one, or a failed write to the upload.
    pub fn handle_outcome<S: FileStore + ?Sized>(
        &mut self,
        outcome: Result<(), StoreError>,
        store: &S,
        now: Now,
    ) {
        let _ = store;
        match core::mem::replace(&mut self.state, State::Closed) {
            State::Await(Awaiting::Open(reply)) => match outcome {
                Ok(()) => self.respond(*reply, now),
                Err(e) => {
                    let mut err = reply_with_status(
                        e.status(),
                        Rule::StoreFailed,
                        "the file could not be opened\n",
                        now.wall,
                    );
                    err.close |= reply.close;
                    self.respond(err, now);
                }
            },
            State::Await(Awaiting::Begin(mut reply, plan)) => match outcome {
                Ok(()) => {
                    if plan.expects_continue && plan.http11 {
                        if let Body::Upload(p) = &reply.body {
                            if p.send_continue {
                                self.out
                                    .push_back(Out::Bytes(b"HTTP/1.1 100 Continue\r\n\r\n"));
                                self.events.push_back(ConnEvent::Continue);
                            }
                        }
                    }
                    self.receive(Sink::Upload, reply, now);
                }
                Err(e) => {
                    *reply = finish(&reply, Err(e), now.wall);
                    self.refuse_body(*reply, plan, now);
                }
            },
            State::Await(Awaiting::Remove(reply, plan)) => {
                let reply = finish(&reply, outcome, now.wall);
                self.refuse_body(reply, plan, now);
            }
            State::Await(Awaiting::Commit(reply)) => {
                let reply = finish(&reply, outcome, now.wall);
                self.complete = true;
                self.queue_response(reply, now);
            }
            State::Body {
                sink: Sink::Upload,
                reply,
                started_ms,
                received,
            } => {
                if outcome.is_ok() {
                    self.state = State::Body {
                        sink: Sink::Upload,
                        reply,
                        started_ms,
                        received,
                    };
                } else if let Err(e) = outcome {
                    // A write failed: the rest of the body is not read.
                    self.actions.push_back(Action::Abort);
                    let mut reply = finish(&reply, Err(e), now.wall);
                    reply.close = true;
                    self.queue_response(reply, now);
                }
            }
            // An outcome nobody asked for: a shell bug; nothing changes.
            other => self.state = other,
        }
    }

    /// The shell wrote some of the output: the peer is reading.
    pub fn handle_progress(&mut self, now: Now) {
        if let State::Sending { .. } = self.state {
            self.deadline_ms = now.ms + self.config.timeouts.body_ms;
        }
    }

    /// Everything `poll_transmit` gave has been written. A finished response then closes
    /// the connection or makes way for the next request.
    pub fn handle_drained(&mut self, now: Now) {
        let State::Sending { close } = self.state else {
            return;
        };
        if !self.out.is_empty() {
            self.deadline_ms = now.ms + self.config.timeouts.body_ms;
            return;
        }
        if close || self.shutting_down || self.parser.start_next().is_err() {
            self.close(now);
            return;
        }
        self.complete = false;
        self.cors_origin = None;
        self.state = State::Head {
            started: self.unconsumed,
        };
        self.deadline_ms = now.ms
            + if self.unconsumed {
                self.config.timeouts.header_ms
            } else {
                self.config.timeouts.idle_ms
            };
    }

    /// Time passed: a deadline may have come.
    pub fn handle_timeout(&mut self, now: Now) {
        let rate_due = match &self.state {
            State::Body {
                started_ms,
                received,
                ..
            } => now.ms >= self.rate_deadline(*started_ms, *received),
            _ => false,
        };
        if now.ms < self.deadline_ms && !rate_due {
            return;
        }
        match &self.state {
            State::Head { started: true } if self.unconsumed => {
                self.is_head = false;
                let reply = reply_with_status(
                    408,
                    Rule::Timeout,
                    "request timeout: the head took too long\n",
                    now.wall,
                );
                self.queue_response(reply, now);
            }
            State::Body { sink, .. } => {
                if matches!(sink, Sink::Upload) {
                    self.actions.push_back(Action::Abort);
                }
                let text = if rate_due && now.ms < self.deadline_ms {
                    "request timeout: the body arrives too slowly\n"
                } else {
                    "request timeout: the body stalled\n"
                };
                let reply = reply_with_status(408, Rule::Timeout, text, now.wall);
                self.queue_response(reply, now);
            }
            State::Await(_) | State::Closed => {}
            // Idle, a peer that does not read, or lingering done.
            _ => self.close_now(),
        }
    }

    /// The server is stopping: an idle connection closes now, a busy one after its
    /// response.
    pub fn handle_shutdown(&mut self) {
        self.shutting_down = true;
        if self.is_idle() {
            self.close_now();
        }
    }

    /// When a body that arrived `received` bytes since `started_ms` falls below the
    /// minimum rate.
    fn rate_deadline(&self, started_ms: u64, received: u64) -> u64 {
        let t = &self.config.timeouts;
        if t.min_rate == 0 {
            return u64::MAX;
        }
        let earned = received.saturating_mul(1000) / t.min_rate;
        started_ms.saturating_add(t.min_rate_grace_ms.max(earned))
    }

    fn take<'b, S: FileStore + ?Sized>(
        &mut self,
        input: &'b [u8],
        at_eof: bool,
        store: &S,
        now: Now,
    ) -> Received<'b> {
        if let State::Lingering { dropped, until_ms } = &mut self.state {
            *dropped += input.len() as u64;
            if at_eof || *dropped > LINGER_BYTES || now.ms >= *until_ms {
                self.close_now();
            }
            return Received {
                consumed: input.len(),
                ..Received::nothing()
            };
        }
        if !self.wants_input() {
            return Received::nothing();
        }
        let mut got = Received::nothing();
        loop {
            let buf = &input[got.consumed..];
            if let State::Head { .. } = self.state {
                if buf.is_empty() {
                    // Between requests with nothing received, EOF is a clean end.
                    if at_eof {
                        self.close_now();
                    }
                    return got;
                }
            }
            let first = self.parser.handle_bytes(buf);
            let step = match first {
                Ok(s) if at_eof && matches!(s.event, Event::NeedMore) => {
                    self.parser.handle_eof(buf)
                }
                other => other,
            };
            let step = match step {
                Ok(step) => step,
                Err(e) => {
                    self.fail(e, now);
                    return got;
                }
            };
            let start = got.consumed;
            got.consumed += step.consumed;
            match step.event {
                Event::NeedMore => {
                    // A head is consumed whole: bytes here are the start of one.
                    if let State::Head { started: false } = self.state {
                        self.state = State::Head { started: true };
                        self.deadline_ms = now.ms + self.config.timeouts.header_ms;
                    }
                    if at_eof {
                        // The parser answers EOF with an error or Paused, never NeedMore.
                        self.close_now();
                    }
                    return got;
                }
                Event::Head(head) => {
                    let line = head.request_line_span();
                    got.request_line = Some(start + line.start..start + line.end);
                    self.is_head = head.method() == Method::Head;
                    let policy = &self.config.policy;
                    self.cors_origin = policy.cors.as_ref().and_then(|c| c.listed_origin(&head));
                    let mut reply = decide_from(&head, store, policy, now.wall, self.peer);
                    if !head.keep_alive() || self.shutting_down {
                        reply.close = true;
                    }
                    let plan = BodyPlan {
                        len: match head.framing() {
                            Framing::None => Some(0),
                            Framing::Length(n) => Some(n),
                            Framing::Chunked | Framing::Close => None,
                        },
                        expects_continue: head.expects_continue(),
                        http11: head.version() == Version::Http11,
                    };
                    self.on_head(reply, plan, now);
                    if !self.wants_input() {
                        return got;
                    }
                }
                Event::Data(data) => {
                    // The same bytes, borrowed from the input rather than through the
                    // parser.
                    let at = start + (data.as_ptr() as usize - buf.as_ptr() as usize);
                    let data = &input[at..at + data.len()];
                    let body_ms = self.config.timeouts.body_ms;
                    if let State::Body {
                        sink,
                        received,
                        started_ms,
                        ..
                    } = &mut self.state
                    {
                        *received += data.len() as u64;
                        let upload = matches!(sink, Sink::Upload);
                        let (started, so_far) = (*started_ms, *received);
                        self.deadline_ms = now.ms + body_ms;
                        if now.ms >= self.rate_deadline(started, so_far) {
                            self.handle_timeout(now);
                            return got;
                        }
                        if upload {
                            got.body = Some(data);
                            return got;
                        }
                    }
                }
                Event::ChunkHeader { .. } | Event::Trailers(_) => {}
                Event::End => {
                    match core::mem::replace(&mut self.state, State::Closed) {
                        State::Body {
                            sink: Sink::Upload,
                            reply,
                            ..
                        } => {
                            self.actions.push_back(Action::Commit);
                            self.state = State::Await(Awaiting::Commit(reply));
                        }
                        State::Body { reply, .. } => {
                            self.complete = true;
                            self.queue_response(*reply, now);
                        }
                        other => self.state = other,
                    }
                    return got;
                }
                // Paused between messages at EOF: the peer is done.
                Event::Paused => {
                    self.close_now();
                    return got;
                }
            }
        }
    }

    /// A head was decided: carry out what needs no body, and pick where the body goes.
    fn on_head(&mut self, mut reply: Reply, plan: BodyPlan, now: Now) {
        match core::mem::replace(&mut reply.body, Body::Empty) {
            Body::Upload(up) => {
                self.actions.push_back(Action::BeginUpload(up.path.clone()));
                reply.body = Body::Upload(up);
                self.state = State::Await(Awaiting::Begin(Box::new(reply), plan));
            }
            Body::Remove(path) => {
                self.actions.push_back(Action::Remove(path.clone()));
                reply.body = Body::Remove(path);
                self.state = State::Await(Awaiting::Remove(Box::new(reply), plan));
            }
            other => {
                reply.body = other;
                self.refuse_body(reply, plan, now);
            }
        }
    }

    /// Whatever body the request has is not wanted: read and drop a small one on its
    /// way, otherwise answer now and close, since it may never come (it waits for
    /// `100 Continue`) or be huge.
    fn refuse_body(&mut self, mut reply: Reply, plan: BodyPlan, now: Now) {
        let discard = match plan.len {
            Some(0) => true,
            Some(n) => n <= DISCARD_MAX && !plan.expects_continue,
            None => false,
        };
        if discard {
            self.receive(Sink::Discard, Box::new(reply), now);
        } else {
            reply.close = true;
            self.queue_response(reply, now);
        }
    }

    fn receive(&mut self, sink: Sink, reply: Box<Reply>, now: Now) {
        self.state = State::Body {
            sink,
            reply,
            started_ms: now.ms,
            received: 0,
        };
        self.deadline_ms = now.ms + self.config.timeouts.body_ms;
    }

    /// The parser refused the input: answer its status and close.
    fn fail(&mut self, e: ParseError, now: Now) {
        if let State::Body {
            sink: Sink::Upload, ..
        } = self.state
        {
            self.actions.push_back(Action::Abort);
        }
        if e == ParseError::UnexpectedEof {
            self.close_now();
            return;
        }
        self.events.push_back(ConnEvent::Malformed(e));
        if let State::Head { .. } = self.state {
            self.is_head = false;
        }
        let reply = reply_to_error(e, now.wall);
        self.queue_response(reply, now);
    }

    /// A reply is final: a file body is opened first; anything else goes out now.
    fn queue_response(&mut self, reply: Reply, now: Now) {
        if let Body::File { path, start, len } = &reply.body {
            if !self.is_head && *len > 0 {
                self.actions.push_back(Action::Open {
                    path: path.clone(),
                    start: *start,
                    len: *len,
                });
                self.state = State::Await(Awaiting::Open(Box::new(reply)));
                return;
            }
        }
        self.respond(reply, now);
    }

    /// Queues the reply's head and body, with the policy's CORS fields (its extra fields
    /// are written with the head).
    fn respond(&mut self, mut reply: Reply, now: Now) {
        if self.shutting_down {
            reply.close = true;
        }
        decorate(&mut reply, &self.config.policy, self.cors_origin.as_deref());
        let body = core::mem::replace(&mut reply.body, Body::Empty);
        let chunked = reply.is_chunked();
        let close = reply.close;
        let mut tail = None;
        match body {
            Body::Bytes(b) if !self.is_head => reply.body = Body::Bytes(b),
            Body::File { path, start, len } if len > 0 && !self.is_head => {
                tail = Some(Out::File { path, start, len });
            }
            Body::Listing(listing) if !self.is_head => {
                tail = Some(Out::Listing { listing, chunked });
            }
            _ => {}
        }
        self.out.push_back(Out::Reply(reply));
        if let Some(t) = tail {
            self.out.push_back(t);
        }
        self.state = State::Sending { close };
        self.deadline_ms = now.ms + self.config.timeouts.body_ms;
    }

    /// After a closing response: close at once when nothing is unread, otherwise shut the
    /// write side and drain for a while, so the peer reads the reply rather than a reset.
    fn close(&mut self, now: Now) {
        if self.eof || (self.complete && !self.unconsumed) {
            self.actions.push_back(Action::ShutdownWrite);
            self.close_now();
        } else {
            self.actions.push_back(Action::ShutdownWrite);
            self.state = State::Lingering {
                until_ms: now.ms + self.config.timeouts.linger_ms,
                dropped: 0,
            };
            self.deadline_ms = now.ms + self.config.timeouts.linger_ms;
        }
    }

    fn close_now(&mut self) {
        if !matches!(self.state, State::Closed) {
            if let State::Body {
                sink: Sink::Upload, ..
            } = self.state
            {
                self.actions.push_back(Action::Abort);
            }
            self.state = State::Closed;
            self.actions.push_back(Action::Close);
        }
    }
}
