//! The client side of one HTTP/1.1 connection: [`ClientConnection`].
//!
//! The engine owns the sequencing a client would otherwise write again in each shell: it
//! writes the request head and frames the request body into the caller's `Vec<u8>`, reads
//! the response (interim 1xx heads, the final head, the body), decides when the body of an
//! `Expect: 100-continue` request may go, and says whether the connection can carry another
//! request ([`Reuse`]) and where a redirect leads ([`Redirect`]). It never touches a socket
//! or a clock: the caller moves the bytes, and owns the one timer (the wait for
//! `100 Continue`), telling the engine when it ran out ([`ClientConnection::handle_timeout`]).
//!
//! ```text
//!                send_request                   Head (final)
//!     ┌──────┐ ──────────────► ┌──────┐ ──────────────────────► ┌──────┐
//!     │ Idle │                 │ Head │ ◄─┐ Interim (1xx),      │ Body │ ◄─┐ ChunkHeader,
//!     └──────┘                 └──────┘ ──┘ at most 32          └──────┘ ──┘ Data, Trailers
//!                                 ▲                                │ End
//!                                 │ send_request, when             ▼
//!                                 │ reuse() is KeepAlive        ┌──────┐ handle_eof ┌────────┐
//!                                 └─────────────────────────────│ Done │ ─────────► │ Closed │
//!                                                               └──────┘  (Closed)  └────────┘
//!     Any error, the server's or the caller's: Failed, sticky (every later call returns it).
//!
//!     The request body, beside it (body_state()):
//!     send_request ─┬─ no content ────────────────────────────────────────────► Done
//!                   ├─ Expect: 100-continue ─► Wait ─┬─ 100, or handle_timeout ─► Send
//!                   │                                └─ a final status first ───► Withheld
//!                   └─ otherwise ───────────────────► Send ─ send_body…, finish_body ─► Done
//!                        Send ─ a final status that closes the connection ─► Withheld
//! ```
//!
//! Reading works as in the [parsers](crate::parse): the caller passes every received byte
//! not yet consumed; each call returns a [`Step`] saying how many bytes it consumed and what
//! happened. Any split of the input gives the same events (with `Data` split differently).
//!
//! A GET answered with a chunked body:
//!
//! ```
//! use simplehttp_core::client::{ClientConnection, Event, Request, Reuse};
//! use simplehttp_core::{Limits, Method};
//!
//! let mut conn = ClientConnection::new(Limits::default());
//! let mut out = Vec::new();
//! let request = Request::new(Method::Get, "/hello.txt", &[("Host", "example.com")]);
//! conn.send_request(&request, &mut out)?;
//! assert_eq!(out, b"GET /hello.txt HTTP/1.1\r\nHost: example.com\r\n\r\n");
//!
//! let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
//! let (mut at, mut body) = (0, Vec::new());
//! loop {
//!     let step = conn.handle_bytes(&wire[at..])?;
//!     at += step.consumed;
//!     match step.event {
//!         Event::Head(head) => assert_eq!(head.status(), 200),
//!         Event::Data(data) => body.extend_from_slice(data),
//!         Event::End => break,
//!         Event::NeedMore => unreachable!("the whole response is here"),
//!         _ => {} // chunk headers
//!     }
//! }
//! assert_eq!((at, &body[..]), (wire.len(), &b"hello"[..]));
//! assert_eq!(conn.reuse(), Reuse::KeepAlive);
//! # Ok::<(), simplehttp_core::ClientError>(())
//! ```
//!
//! A PUT that waits for `100 Continue`:
//!
//! ```
//! use simplehttp_core::client::{BodyState, ClientConnection, Event, Request, RequestBody, Reuse};
//! use simplehttp_core::{Limits, Method};
//!
//! let mut conn = ClientConnection::new(Limits::default());
//! let mut out = Vec::new();
//! let request = Request::new(Method::Put, "/up.txt", &[("Host", "example.com")])
//!     .with_body(RequestBody::Length(5))
//!     .with_expect_continue();
//! conn.send_request(&request, &mut out)?;
//! assert_eq!(
//!     out,
//!     b"PUT /up.txt HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\
//!       Expect: 100-continue\r\n\r\n"
//! );
//! // Not yet: read the response, and start a timer (handle_timeout when it runs out).
//! assert_eq!(conn.body_state(), BodyState::Wait);
//!
//! let step = conn.handle_bytes(b"HTTP/1.1 100 Continue\r\n\r\n")?;
//! assert!(matches!(step.event, Event::Interim(head) if head.status() == 100));
//! assert_eq!(conn.body_state(), BodyState::Send);
//! out.clear();
//! conn.send_body(b"hello", &mut out)?;
//! conn.finish_body(&mut out)?;
//! assert_eq!((&out[..], conn.body_state()), (&b"hello"[..], BodyState::Done));
//!
//! let wire = b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n";
//! let step = conn.handle_bytes(wire)?;
//! assert_eq!(step.consumed, wire.len());
//! assert!(matches!(step.event, Event::Head(head) if head.status() == 201));
//! assert!(matches!(conn.handle_bytes(b"")?.event, Event::End));
//! assert_eq!(conn.reuse(), Reuse::KeepAlive);
//! # Ok::<(), simplehttp_core::ClientError>(())
//! ```
//!
//! Left out on purpose: pipelining (one request at a time), protocol upgrades (a `101` ends
//! the exchange and the connection), following redirects by itself (the caller decides,
//! and bounds how many), and any timer but the caller's.

use crate::error::ParseError;
use crate::head::{Fields, Framing, FramingRule, Method, ResponseHead};
use crate::limits::Limits;
use crate::parse::{self, ResponseParser};
use crate::write::{write_chunk, write_last_chunk, write_request_head, WriteError};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// How a request's body is framed (RFC 9112 §6): the engine writes the field that says so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestBody {
    /// No body: neither Content-Length nor Transfer-Encoding.
    None,
    /// Exactly this many bytes: `Content-Length: n`.
    Length(u64),
    /// A body of unknown length, sent in chunks: `Transfer-Encoding: chunked`.
    Chunked,
}

/// A request to send: what [`ClientConnection::send_request`] writes.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The method.
    pub method: Method<'a>,
    /// The request-target (origin form `/path?query`, or absolute form for a proxy).
    pub target: &'a str,
    /// The header fields, in order; the caller includes Host (RFC 9112 §3.2). Not
    /// Content-Length or Transfer-Encoding: the engine writes those from [`body`](Self::body).
    pub fields: &'a [(&'a str, &'a str)],
    /// How the body is framed.
    pub body: RequestBody,
    /// Wait for `100 Continue` before sending the body (RFC 9110 §10.1.1): the engine adds
    /// `Expect: 100-continue` after the framing field. A request whose `fields` already hold
    /// that expectation waits all the same. Ignored for a request without content, which
    /// must not ask (§10.1.1).
    pub expect_continue: bool,
}

impl<'a> Request<'a> {
    /// A request without a body.
    #[must_use]
    pub fn new(method: Method<'a>, target: &'a str, fields: &'a [(&'a str, &'a str)]) -> Self {
        Request {
            method,
            target,
            fields,
            body: RequestBody::None,
            expect_continue: false,
        }
    }

    /// The same request with a body framed as `body`.
    #[must_use]
    pub fn with_body(self, body: RequestBody) -> Self {
        Request { body, ..self }
    }

    /// The same request, asking for `100 Continue` before its body.
    #[must_use]
    pub fn with_expect_continue(self) -> Self {
        Request {
            expect_continue: true,
            ..self
        }
    }
}

/// Where the request body stands: whether to send it now, wait, or not at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyState {
    /// Nothing (more) to send: the request has no content, or all of it was sent.
    Done,
    /// The request asked for `100 Continue`: keep reading the response, and call
    /// [`handle_timeout`](ClientConnection::handle_timeout) when your own wait runs out (a
    /// client need not wait long, RFC 9110 §10.1.1; one second is common).
    Wait,
    /// Send the body: [`send_body`](ClientConnection::send_body), then
    /// [`finish_body`](ClientConnection::finish_body).
    Send,
    /// A final status arrived before the body was sent (RFC 9110 §10.1.1), or one that
    /// closes the connection while it was being sent (RFC 9112 §9.5): send no more of it.
    /// The connection then cannot carry another request unless the request is completed
    /// anyway: a chunked body ended at once with `finish_body` (an empty last chunk), or all
    /// of a Content-Length body sent.
    Withheld,
}

/// What one call to `handle_bytes` or `handle_eof` found.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a> {
    /// Nothing more can be read until more bytes arrive.
    NeedMore,
    /// An interim (1xx) response head; the final one follows. A `100 Continue` while the body
    /// waits turns [`BodyState::Wait`] into [`BodyState::Send`].
    Interim(ResponseHead<'a>),
    /// The final response head.
    Head(ResponseHead<'a>),
    /// The start of a chunk of `size` bytes (chunked bodies only; size 0 is the last chunk).
    ChunkHeader {
        /// The chunk's size.
        size: u64,
        /// The raw chunk extensions (`;name=value...`), possibly empty.
        extensions: &'a [u8],
    },
    /// Body bytes (de-chunked), borrowed from the input.
    Data(&'a [u8]),
    /// The trailer fields after the last chunk (only when there are some).
    Trailers(Fields<'a>),
    /// The response is complete. [`reuse`](ClientConnection::reuse) says what may follow.
    End,
    /// The server closed the connection while no response was due: nothing was lost, and
    /// no further request can be sent on it.
    Closed,
}

/// The outcome of one call: how many bytes were consumed, and the event.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Step<'a> {
    /// Bytes of the input consumed by this step; the caller drops them.
    pub consumed: usize,
    /// What happened.
    pub event: Event<'a>,
}

/// Whether the connection can carry another request (RFC 9112 §9.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reuse {
    /// It can: send the next request on it.
    KeepAlive,
    /// It cannot: close it, for this reason.
    Close(CloseReason),
}

/// Why a connection cannot be reused.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The exchange has not finished: the response is still being read.
    Unfinished,
    /// The request's body was not sent whole, so the server cannot tell where the next
    /// request would start (RFC 9112 §9.5).
    RequestIncomplete,
    /// The request said `Connection: close` (RFC 9112 §9.6).
    RequestAskedClose,
    /// The response said `Connection: close`, or was HTTP/1.0 without keep-alive (RFC 9112
    /// §9.3).
    ServerAskedClose,
    /// The body ran until the connection closed (RFC 9112 §6.3 rule 8).
    CloseDelimited,
    /// The connection switched to another protocol: a `101`, or a tunnel after CONNECT.
    Switched,
    /// The server closed the connection.
    PeerClosed,
    /// The exchange failed.
    Failed,
}

impl fmt::Display for CloseReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CloseReason::Unfinished => "the exchange has not finished",
            CloseReason::RequestIncomplete => "the request body was not sent whole",
            CloseReason::RequestAskedClose => "the request asked to close the connection",
            CloseReason::ServerAskedClose => "the server asked to close the connection",
            CloseReason::CloseDelimited => "the body ran until the connection closed",
            CloseReason::Switched => "the connection switched protocols",
            CloseReason::PeerClosed => "the server closed the connection",
            CloseReason::Failed => "the exchange failed",
        })
    }
}

/// A redirect the caller may follow: where to, and with which request (RFC 9110 §15.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Redirect<'a> {
    /// The status: 301, 302, 303, 307 or 308.
    pub status: u16,
    /// The Location value as sent: a URI reference, to resolve against the request's URL
    /// (RFC 3986 §5). Bytes that are not UTF-8 are replaced with U+FFFD.
    pub location: &'a str,
    /// The method of the next request.
    pub method: Method<'a>,
    /// Whether the next request carries the same body again; otherwise it has none.
    pub resend_body: bool,
}

/// What went wrong: the server's fault or the caller's ([`ClientError::is_misuse`]).
///
/// Errors are sticky: once a call returned one, every later call returns the same.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClientError {
    /// The response breaks HTTP/1.1 or a [`Limits`] bound.
    Malformed(ParseError),
    /// More interim (1xx) responses than `Limits::max_interim_responses` (the limit).
    TooManyInterim(usize),
    /// The server closed the connection before sending any of a response.
    ClosedWithoutResponse,
    /// The server closed the connection inside a response head.
    ClosedInHead,
    /// The server closed the connection inside a body that was not close-delimited.
    ClosedInBody {
        /// Body bytes received.
        received: u64,
        /// How the body was framed.
        framing: Framing,
    },
    /// The server sent bytes while no response was due.
    UnexpectedBytes,
    /// (Misuse) the request cannot be written: a method, target or field that is not HTTP.
    InvalidRequest(WriteError),
    /// (Misuse) the request's fields hold Content-Length or Transfer-Encoding, which the
    /// engine writes from [`Request::body`].
    FramingField,
    /// (Misuse) a request was sent while the previous exchange is still going on.
    Busy,
    /// (Misuse) a request was sent on a connection that cannot be reused.
    NotReusable(CloseReason),
    /// (Misuse) body bytes were sent for a request with no body, or after its end.
    NoBody,
    /// (Misuse) more body bytes than the Content-Length declared.
    BodyTooLong {
        /// The declared Content-Length.
        declared: u64,
    },
    /// (Misuse) the body was finished short of the Content-Length declared.
    BodyTooShort {
        /// The declared Content-Length.
        declared: u64,
        /// The bytes sent.
        sent: u64,
    },
    /// (Misuse) response body bytes were passed by the caller
    /// ([`ClientConnection::pass_body`]) outside a Content-Length body, or more of them
    /// than it has left.
    PassedPastBody,
}

impl ClientError {
    /// Whether the caller, not the server, is at fault (a bug in the caller).
    #[must_use]
    pub fn is_misuse(&self) -> bool {
        use ClientError::*;
        match self {
            Malformed(_)
            | TooManyInterim(_)
            | ClosedWithoutResponse
            | ClosedInHead
            | ClosedInBody { .. }
            | UnexpectedBytes => false,
            InvalidRequest(_)
            | FramingField
            | Busy
            | NotReusable(_)
            | NoBody
            | BodyTooLong { .. }
            | BodyTooShort { .. }
            | PassedPastBody => true,
        }
    }
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ClientError::*;
        match self {
            Malformed(e) => write!(f, "malformed response: {e}"),
            TooManyInterim(n) => write!(f, "more than {n} interim responses before the final one"),
            ClosedWithoutResponse => f.write_str("the server closed the connection without a response"),
            ClosedInBody {
                received,
                framing: Framing::Length(n),
            } => write!(
                f,
                "the connection closed after {received} of {n} body bytes: the response is truncated"
            ),
            ClosedInBody {
                received,
                framing: Framing::Chunked,
            } => write!(
                f,
                "the connection closed inside the chunked body after {received} bytes: \
                 the response is truncated"
            ),
            ClosedInHead | ClosedInBody { .. } => {
                f.write_str("the connection closed before the response was complete")
            }
            UnexpectedBytes => f.write_str("the server sent bytes while no response was due"),
            InvalidRequest(e) => write!(f, "{e}"),
            FramingField => f.write_str(
                "content-length and transfer-encoding are written from the request body, not given as fields",
            ),
            Busy => f.write_str("a request is already in progress on this connection"),
            NotReusable(why) => write!(f, "the connection cannot be reused: {why}"),
            NoBody => f.write_str("no request body is due"),
            BodyTooLong { declared } => {
                write!(f, "more body bytes than the content-length of {declared}")
            }
            BodyTooShort { declared, sent } => {
                write!(f, "the body ended after {sent} of its {declared} bytes")
            }
            PassedPastBody => f.write_str(
                "response body bytes passed outside a content-length body, or past its end",
            ),
        }
    }
}

impl core::error::Error for ClientError {}

/// Where the exchange stands on the response side.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No request yet: `send_request` starts one.
    Idle,
    /// Waiting for the final head; interim heads may come first.
    Head,
    /// Reading the final response's body.
    Body,
    /// The response ended; `reuse()` says whether `send_request` may follow.
    Done,
    /// The server closed the connection between exchanges.
    Closed,
    /// A fatal error, returned by every later call.
    Failed(ClientError),
}

/// The request method, kept for the response's framing and for redirects.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verb {
    Known(Method<'static>),
    Other(String),
}

impl Verb {
    fn of(m: Method<'_>) -> Verb {
        Verb::Known(match m {
            Method::Get => Method::Get,
            Method::Head => Method::Head,
            Method::Post => Method::Post,
            Method::Put => Method::Put,
            Method::Delete => Method::Delete,
            Method::Connect => Method::Connect,
            Method::Options => Method::Options,
            Method::Trace => Method::Trace,
            Method::Patch => Method::Patch,
            Method::Other(s) => return Verb::Other(String::from(s)),
        })
    }

    fn get(&self) -> Method<'_> {
        match self {
            Verb::Known(m) => *m,
            Verb::Other(s) => Method::Other(s),
        }
    }
}

/// Everything but the parser: split from it so that events borrowed from the parser can be
/// returned while the sequencing is updated.
#[derive(Debug, Clone)]
struct State {
    limits: Limits,
    phase: Phase,
    method: Verb,
    body: RequestBody,
    /// Body bytes framed so far.
    sent: u64,
    send: BodyState,
    /// The request said `Connection: close`.
    close_requested: bool,
    interim: usize,
    /// The final status, once its head arrived.
    status: Option<u16>,
    framing: Framing,
    /// Body bytes received.
    received: u64,
    /// Why the response does not let the connection be reused, if it does not.
    response_close: Option<CloseReason>,
    /// The Location of a redirect status.
    location: Option<String>,
}

/// One HTTP/1.1 client connection: requests out, response events in, one exchange at a time.
///
/// See the [module docs](self) for the state diagram and whole exchanges.
#[derive(Debug, Clone)]
pub struct ClientConnection {
    parser: Option<ResponseParser>,
    s: State,
}

impl ClientConnection {
    /// A connection with no request yet, reading responses within `limits`.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        ClientConnection {
            parser: None,
            s: State {
                limits,
                phase: Phase::Idle,
                method: Verb::Known(Method::Get),
                body: RequestBody::None,
                sent: 0,
                send: BodyState::Done,
                close_requested: false,
                interim: 0,
                status: None,
                framing: Framing::None,
                received: 0,
                response_close: None,
                location: None,
            },
        }
    }

    /// Appends the request head to `out` and starts the exchange. The body, if any, follows
    /// when [`body_state`](Self::body_state) says [`BodyState::Send`].
    ///
    /// On error nothing is appended.
    ///
    /// # Errors
    /// [`ClientError::InvalidRequest`] or [`ClientError::FramingField`] for a request that
    /// cannot be written; [`ClientError::Busy`] or [`ClientError::NotReusable`] when the
    /// connection cannot take a request now. Errors are sticky.
    pub fn send_request(
        &mut self,
        req: &Request<'_>,
        out: &mut Vec<u8>,
    ) -> Result<(), ClientError> {
        let s = &mut self.s;
        match s.phase {
            Phase::Failed(e) => return Err(e),
            Phase::Idle => {}
            Phase::Done | Phase::Closed => {
                if let Reuse::Close(why) = s.reuse() {
                    return Err(s.fail(ClientError::NotReusable(why)));
                }
            }
            Phase::Head | Phase::Body => return Err(s.fail(ClientError::Busy)),
        }
        let mut expect_field = false;
        let mut close = false;
        for (name, value) in req.fields {
            if name.eq_ignore_ascii_case("content-length")
                || name.eq_ignore_ascii_case("transfer-encoding")
            {
                return Err(s.fail(ClientError::FramingField));
            }
            // RFC 9110 §10.1.1: the expectation is compared case-insensitively.
            if name.eq_ignore_ascii_case("expect") && has_token(value, "100-continue") {
                expect_field = true;
            }
            // RFC 9112 §9.6: the request closes the connection after its response.
            if name.eq_ignore_ascii_case("connection") && has_token(value, "close") {
                close = true;
            }
        }
        let content = !matches!(req.body, RequestBody::None | RequestBody::Length(0));
        let mut fields: Vec<(&str, &str)> = Vec::with_capacity(req.fields.len() + 2);
        fields.extend_from_slice(req.fields);
        let length: String;
        match req.body {
            RequestBody::None => {}
            RequestBody::Length(n) => {
                length = alloc::format!("{n}");
                fields.push(("Content-Length", &length));
            }
            RequestBody::Chunked => fields.push(("Transfer-Encoding", "chunked")),
        }
        // RFC 9110 §10.1.1: a client MUST NOT generate a 100-continue expectation in a request
        // without content.
        if req.expect_continue && content && !expect_field {
            fields.push(("Expect", "100-continue"));
        }
        if let Err(e) = write_request_head(out, req.method, req.target, &fields) {
            return Err(s.fail(ClientError::InvalidRequest(e)));
        }

        match &mut self.parser {
            Some(p) => {
                if p.start_next(req.method).is_err() {
                    // Cannot happen: a reusable exchange has ended its response.
                    *p = ResponseParser::new(s.limits, req.method);
                }
            }
            None => self.parser = Some(ResponseParser::new(s.limits, req.method)),
        }
        s.phase = Phase::Head;
        s.method = Verb::of(req.method);
        s.body = req.body;
        s.sent = 0;
        s.send = if !content {
            BodyState::Done
        } else if req.expect_continue || expect_field {
            BodyState::Wait
        } else {
            BodyState::Send
        };
        s.close_requested = close;
        s.interim = 0;
        s.status = None;
        s.framing = Framing::None;
        s.received = 0;
        s.response_close = None;
        s.location = None;
        Ok(())
    }

    /// Appends `data`, framed (as it is for Content-Length, as one chunk for chunked), to
    /// `out`. Sending while the body waits for `100 Continue`, or after it was withheld, is
    /// the caller's choice to send it anyway (RFC 9110 §10.1.1 allows it).
    ///
    /// A Content-Length body is done once all its bytes are sent.
    ///
    /// # Errors
    /// [`ClientError::NoBody`] when no body is due, [`ClientError::BodyTooLong`] past the
    /// Content-Length (nothing is appended). Errors are sticky.
    pub fn send_body(&mut self, data: &[u8], out: &mut Vec<u8>) -> Result<(), ClientError> {
        let s = &mut self.s;
        if let Phase::Failed(e) = s.phase {
            return Err(e);
        }
        if s.send == BodyState::Done {
            return Err(s.fail(ClientError::NoBody));
        }
        s.send = BodyState::Send;
        let n = data.len() as u64;
        match s.body {
            RequestBody::None => return Err(s.fail(ClientError::NoBody)),
            RequestBody::Length(declared) => {
                if s.sent.saturating_add(n) > declared {
                    return Err(s.fail(ClientError::BodyTooLong { declared }));
                }
                out.extend_from_slice(data);
                s.sent += n;
                if s.sent == declared {
                    s.send = BodyState::Done;
                }
            }
            RequestBody::Chunked => {
                write_chunk(out, data);
                s.sent = s.sent.saturating_add(n);
            }
        }
        Ok(())
    }

    /// Ends the body: appends the last chunk of a chunked body to `out`; checks that a
    /// Content-Length body was sent whole. Nothing happens when the body is already done.
    ///
    /// A chunked body withheld after an early final status may be ended here at once: the
    /// request is then complete and the connection can be reused.
    ///
    /// # Errors
    /// [`ClientError::BodyTooShort`] for a Content-Length body not sent whole. Errors are
    /// sticky.
    pub fn finish_body(&mut self, out: &mut Vec<u8>) -> Result<(), ClientError> {
        let s = &mut self.s;
        if let Phase::Failed(e) = s.phase {
            return Err(e);
        }
        if s.send == BodyState::Done {
            return Ok(());
        }
        match s.body {
            RequestBody::Length(declared) => {
                return Err(s.fail(ClientError::BodyTooShort {
                    declared,
                    sent: s.sent,
                }))
            }
            RequestBody::Chunked => {
                // Trailers are empty: an empty list is always valid.
                let _ = write_last_chunk(out, &[]);
            }
            RequestBody::None => {}
        }
        s.send = BodyState::Done;
        Ok(())
    }

    /// The caller's wait for `100 Continue` ran out: the body may go now (RFC 9110 §10.1.1:
    /// a client need not wait for ever). Nothing happens unless the body was waiting.
    pub fn handle_timeout(&mut self) {
        if self.s.send == BodyState::Wait && !matches!(self.s.phase, Phase::Failed(_)) {
            self.s.send = BodyState::Send;
        }
    }

    /// Reads from `buf`, which holds every received byte not yet consumed.
    ///
    /// # Errors
    /// The response is malformed or breaks a limit, or bytes arrived while no response was
    /// due. Errors are sticky.
    pub fn handle_bytes<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a>, ClientError> {
        self.read(buf, false)
    }

    /// The server closed the connection; `buf` holds the bytes not yet consumed.
    ///
    /// This ends a close-delimited body ([`Event::End`]) and an idle connection
    /// ([`Event::Closed`]); anywhere else it is an error saying where the response was cut.
    ///
    /// # Errors
    /// As above; errors are sticky.
    pub fn handle_eof<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a>, ClientError> {
        self.read(buf, true)
    }

    fn read<'a>(&'a mut self, buf: &'a [u8], eof: bool) -> Result<Step<'a>, ClientError> {
        let s = &mut self.s;
        match s.phase {
            Phase::Failed(e) => return Err(e),
            Phase::Head | Phase::Body => {}
            Phase::Idle | Phase::Done | Phase::Closed => {
                if !buf.is_empty() {
                    return Err(s.fail(ClientError::UnexpectedBytes));
                }
                if !eof {
                    return Ok(step(0, Event::NeedMore));
                }
                s.phase = Phase::Closed;
                return Ok(step(0, Event::Closed));
            }
        }
        let Some(parser) = self.parser.as_mut() else {
            // Cannot happen: Head and Body follow send_request, which makes the parser.
            return Err(s.fail(ClientError::UnexpectedBytes));
        };
        let r = if eof {
            parser.handle_eof(buf)
        } else {
            parser.handle_bytes(buf)
        };
        s.on_parsed(r, eof, buf.len())
    }

    /// Where the body stands: send it, wait, or not at all.
    #[must_use]
    pub fn body_state(&self) -> BodyState {
        self.s.send
    }

    /// Whether the connection can carry another request now.
    #[must_use]
    pub fn reuse(&self) -> Reuse {
        self.s.reuse()
    }

    /// The final status, once its head arrived (until the next request).
    #[must_use]
    pub fn status(&self) -> Option<u16> {
        self.s.status
    }

    /// The redirect the final response offers, if it is one (301, 302, 303, 307 or 308 with
    /// a Location), from its head until the next request. Following it is the caller's
    /// choice, and so is how many to follow.
    ///
    /// The next request's method follows RFC 9110 §15.4: 303 asks for a GET (a HEAD stays
    /// HEAD); 301 and 302 turn POST into GET, as browsers and curl do (§15.4.2, §15.4.3);
    /// otherwise, and always for 307 and 308, the method and body stay.
    #[must_use]
    pub fn redirect(&self) -> Option<Redirect<'_>> {
        let s = &self.s;
        let location = s.location.as_deref()?;
        let status = s.status?;
        let method = s.method.get();
        let body = s.body != RequestBody::None;
        let (method, resend_body) = match (status, method) {
            (303, Method::Head) => (Method::Head, false),
            (303, _) | (301 | 302, Method::Post) => (Method::Get, false),
            _ => (method, body),
        };
        Some(Redirect {
            status,
            location,
            method,
            resend_body,
        })
    }

    /// While the final response's Content-Length body is being read: how many of its bytes
    /// are still due. A shell may move them itself rather than pass them through
    /// [`handle_bytes`](ClientConnection::handle_bytes) (splicing them from the socket
    /// straight to a file, without copying them into its memory), then tells the engine with
    /// [`pass_body`](ClientConnection::pass_body). `None` for a chunked or close-delimited
    /// body, outside a body, and once every byte of it has come (`End` is next).
    #[must_use]
    pub fn body_left(&self) -> Option<u64> {
        match self.s.phase {
            Phase::Body => self.parser.as_ref().and_then(ResponseParser::body_left),
            _ => None,
        }
    }

    /// The shell moved `n` bytes of the Content-Length body (at most
    /// [`body_left`](ClientConnection::body_left)) itself: the engine counts them as if
    /// `handle_bytes` had returned them as [`Event::Data`]. Once none are left, the next
    /// `handle_bytes` returns [`Event::End`] (and an `handle_eof` before that is the
    /// truncation it would have been).
    ///
    /// # Errors
    /// [`ClientError::PassedPastBody`] outside a Content-Length body, or for more bytes than
    /// it has left. Errors are sticky.
    pub fn pass_body(&mut self, n: u64) -> Result<(), ClientError> {
        if let Phase::Failed(e) = self.s.phase {
            return Err(e);
        }
        let passed = match (self.s.phase, self.parser.as_mut()) {
            (Phase::Body, Some(p)) => p.pass_body(n).is_ok(),
            _ => false,
        };
        if !passed {
            return Err(self.s.fail(ClientError::PassedPastBody));
        }
        self.s.received += n;
        Ok(())
    }

    /// Where the parse error was found: an offset into the `buf` of the call that returned it.
    #[must_use]
    pub fn error_offset(&self) -> Option<usize> {
        self.parser.as_ref().and_then(ResponseParser::error_offset)
    }
}

fn step(consumed: usize, event: Event<'_>) -> Step<'_> {
    Step { consumed, event }
}

/// Whether the comma-separated list `value` holds `token` (case-insensitive), RFC 9110 §5.6.1.
fn has_token(value: &str, token: &str) -> bool {
    value
        .split(',')
        .any(|t| t.trim_matches([' ', '\t']).eq_ignore_ascii_case(token))
}

impl State {
    fn fail(&mut self, e: ClientError) -> ClientError {
        self.phase = Phase::Failed(e);
        e
    }

    fn reuse(&self) -> Reuse {
        let why = match self.phase {
            Phase::Idle => return Reuse::KeepAlive,
            Phase::Head | Phase::Body => CloseReason::Unfinished,
            Phase::Closed => CloseReason::PeerClosed,
            Phase::Failed(_) => CloseReason::Failed,
            Phase::Done => {
                if let Some(why) = self.response_close {
                    why
                } else if self.send != BodyState::Done {
                    CloseReason::RequestIncomplete
                } else if self.close_requested {
                    CloseReason::RequestAskedClose
                } else {
                    return Reuse::KeepAlive;
                }
            }
        };
        Reuse::Close(why)
    }

    /// The error for an end of input the parser did not expect, or the parser's own error.
    fn read_error(&self, e: ParseError, unconsumed: usize) -> ClientError {
        if e != ParseError::UnexpectedEof {
            return ClientError::Malformed(e);
        }
        match self.phase {
            Phase::Head if self.interim == 0 && unconsumed == 0 => {
                ClientError::ClosedWithoutResponse
            }
            Phase::Head => ClientError::ClosedInHead,
            _ => ClientError::ClosedInBody {
                received: self.received,
                framing: self.framing,
            },
        }
    }

    fn on_parsed<'a>(
        &mut self,
        r: Result<parse::Step<'a, ResponseHead<'a>>, ParseError>,
        eof: bool,
        unconsumed: usize,
    ) -> Result<Step<'a>, ClientError> {
        let parsed = match r {
            Ok(p) => p,
            Err(e) => {
                let e = self.read_error(e, unconsumed);
                return Err(self.fail(e));
            }
        };
        let event = match parsed.event {
            parse::Event::NeedMore if eof => {
                let e = self.read_error(ParseError::UnexpectedEof, unconsumed);
                return Err(self.fail(e));
            }
            // The parser pauses only after End, which leaves Body.
            parse::Event::NeedMore | parse::Event::Paused => Event::NeedMore,
            parse::Event::Head(h) if h.is_interim() => {
                self.interim += 1;
                let limit = self.limits.max_interim_responses;
                if self.interim > limit {
                    return Err(self.fail(ClientError::TooManyInterim(limit)));
                }
                // RFC 9110 §15.2.1: 100 Continue invites the body; other 1xx do not.
                if h.status() == 100 && self.send == BodyState::Wait {
                    self.send = BodyState::Send;
                }
                Event::Interim(h)
            }
            parse::Event::Head(h) => {
                self.on_final(&h);
                Event::Head(h)
            }
            parse::Event::ChunkHeader { size, extensions } => {
                Event::ChunkHeader { size, extensions }
            }
            parse::Event::Data(d) => {
                self.received += d.len() as u64;
                Event::Data(d)
            }
            parse::Event::Trailers(t) => Event::Trailers(t),
            parse::Event::End => {
                self.phase = Phase::Done;
                Event::End
            }
        };
        Ok(step(parsed.consumed, event))
    }

    fn on_final(&mut self, h: &ResponseHead<'_>) {
        self.phase = Phase::Body;
        self.status = Some(h.status());
        self.framing = h.framing();
        self.response_close = if h.keep_alive() {
            None
        } else if h.framing() == Framing::Close {
            Some(CloseReason::CloseDelimited)
        } else if h.status() == 101 || h.framing_rule() == FramingRule::ConnectTunnel {
            Some(CloseReason::Switched)
        } else {
            Some(CloseReason::ServerAskedClose)
        };
        self.send = match self.send {
            // RFC 9110 §10.1.1: a final status before 100 Continue answers the request
            // without its content.
            BodyState::Wait => BodyState::Withheld,
            // RFC 9112 §9.5: a server that answers and closes while the body is sent does
            // not want the rest of it.
            BodyState::Send if self.response_close.is_some() => BodyState::Withheld,
            other => other,
        };
        self.location = if matches!(h.status(), 301 | 302 | 303 | 307 | 308) {
            h.header("location")
                .map(|v| String::from_utf8_lossy(v).into_owned())
        } else {
            None
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    /// An event as owned data: what must be the same however the input was split.
    #[derive(Debug, Clone, PartialEq, Eq)]
    enum Ev {
        Interim(u16),
        Head(u16),
        Chunk(u64),
        Data(Vec<u8>),
        Trailers(usize),
        End,
        Closed,
        /// The body state changed to this.
        Body(BodyState),
    }

    /// What a run produced: the events, the error it ended on, and the bytes left unconsumed.
    type Run = (Vec<Ev>, Option<ClientError>, usize);

    fn push(evs: &mut Vec<Ev>, ev: Ev) {
        if let (Some(Ev::Data(prev)), Ev::Data(d)) = (evs.last_mut(), &ev) {
            prev.extend_from_slice(d);
        } else if ev != Ev::Data(Vec::new()) {
            evs.push(ev);
        }
    }

    /// Feeds `wire` to `conn` in pieces of the given sizes (the last repeated), then EOF when
    /// `eof`, stopping at End or Closed.
    fn feed(conn: &mut ClientConnection, wire: &[u8], pieces: &[usize], eof: bool) -> Run {
        let mut evs = Vec::new();
        let mut pending: Vec<u8> = Vec::new();
        let mut given = 0;
        let mut i = 0;
        let mut state = conn.body_state();
        loop {
            let at_eof = given == wire.len();
            let r = if at_eof && eof {
                conn.handle_eof(&pending)
            } else {
                conn.handle_bytes(&pending)
            };
            let step = match r {
                Ok(step) => step,
                // What was left unread depends on the split: not compared.
                Err(e) => return (evs, Some(e), 0),
            };
            let consumed = step.consumed;
            let (ev, stop) = match step.event {
                Event::NeedMore => (None, false),
                Event::Interim(h) => (Some(Ev::Interim(h.status())), false),
                Event::Head(h) => (Some(Ev::Head(h.status())), false),
                Event::ChunkHeader { size, .. } => (Some(Ev::Chunk(size)), false),
                Event::Data(d) => (Some(Ev::Data(d.to_vec())), false),
                Event::Trailers(t) => (Some(Ev::Trailers(t.len())), false),
                Event::End => (Some(Ev::End), true),
                Event::Closed => (Some(Ev::Closed), true),
            };
            let need_more = ev.is_none();
            if let Some(ev) = ev {
                push(&mut evs, ev);
            }
            pending.drain(..consumed);
            if conn.body_state() != state {
                state = conn.body_state();
                push(&mut evs, Ev::Body(state));
            }
            if stop {
                return (evs, None, pending.len() + wire.len() - given);
            }
            if need_more {
                if at_eof {
                    // Without EOF, the response is simply not over yet.
                    assert!(!eof, "NeedMore at EOF");
                    return (evs, None, pending.len());
                }
                let n = pieces[i.min(pieces.len() - 1)].min(wire.len() - given);
                i += 1;
                pending.extend_from_slice(&wire[given..given + n]);
                given += n;
            }
        }
    }

    fn fresh(method: Method<'_>, body: RequestBody, expect: bool) -> ClientConnection {
        let mut conn = ClientConnection::new(Limits::default());
        let mut req = Request::new(method, "/x", &[("Host", "h")]).with_body(body);
        req.expect_continue = expect;
        conn.send_request(&req, &mut Vec::new()).unwrap();
        conn
    }

    /// One response case: the request, the response bytes, whether the server closes after them.
    struct Case {
        method: Method<'static>,
        body: RequestBody,
        expect: bool,
        wire: &'static [u8],
        eof: bool,
    }

    const fn get(wire: &'static [u8]) -> Case {
        Case {
            method: Method::Get,
            body: RequestBody::None,
            expect: false,
            wire,
            eof: false,
        }
    }

    fn cases() -> Vec<Case> {
        vec![
            get(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
            get(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;a=b\r\nhello\r\n2\r\n, \r\n0\r\nT: 1\r\n\r\n"),
            get(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"),
            Case { eof: true, ..get(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nall of this") },
            Case { eof: true, ..get(b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nshort") },
            Case { eof: true, ..get(b"HTTP/1.1 200 OK\r\nContent-") },
            Case { eof: true, ..get(b"") },
            get(b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n"),
            get(b"HTTP/1.1 204 No Content\r\n\r\n"),
            Case { method: Method::Head, ..get(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n") },
            Case {
                method: Method::Put,
                body: RequestBody::Length(10),
                expect: true,
                wire: b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
                eof: false,
            },
            Case {
                method: Method::Put,
                body: RequestBody::Chunked,
                expect: true,
                wire: b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno\n",
                eof: false,
            },
        ]
    }

    fn run_case(c: &Case, pieces: &[usize]) -> Run {
        let mut conn = fresh(c.method, c.body, c.expect);
        feed(&mut conn, c.wire, pieces, c.eof)
    }

    #[test]
    fn body_bytes_moved_by_the_shell_count_as_data() {
        let get = Request::new(Method::Get, "/", &[("Host", "h")]);
        let mut conn = ClientConnection::new(Limits::default());
        let mut out = Vec::new();
        conn.send_request(&get, &mut out).unwrap();
        assert_eq!(conn.body_left(), None, "no head yet");
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc";
        let head = conn.handle_bytes(wire).unwrap().consumed;
        assert_eq!(conn.body_left(), Some(10));
        let step = conn.handle_bytes(&wire[head..]).unwrap();
        assert!(matches!(step.event, Event::Data(b"abc")));
        assert_eq!(conn.body_left(), Some(7));
        conn.pass_body(4).unwrap();
        assert_eq!(conn.body_left(), Some(3));
        conn.pass_body(3).unwrap();
        assert_eq!(conn.body_left(), None, "nothing is due: End comes next");
        assert!(matches!(conn.handle_bytes(b"").unwrap().event, Event::End));
        assert_eq!(conn.body_left(), None);
        assert_eq!(conn.reuse(), Reuse::KeepAlive);

        // The same body cut short by the server after the moved bytes is a truncation.
        let mut conn = ClientConnection::new(Limits::default());
        conn.send_request(&get, &mut out).unwrap();
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n";
        let _ = conn.handle_bytes(wire).unwrap();
        conn.pass_body(6).unwrap();
        assert_eq!(
            conn.handle_eof(b"").err(),
            Some(ClientError::ClosedInBody {
                received: 6,
                framing: Framing::Length(10)
            })
        );

        // Past the end, or outside a Content-Length body: misuse, and sticky.
        let mut conn = ClientConnection::new(Limits::default());
        conn.send_request(&get, &mut out).unwrap();
        let _ = conn
            .handle_bytes(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n")
            .unwrap();
        assert_eq!(conn.pass_body(3), Err(ClientError::PassedPastBody));
        assert!(ClientError::PassedPastBody.is_misuse());
        assert_eq!(
            conn.handle_bytes(b"ab").err(),
            Some(ClientError::PassedPastBody)
        );
        let mut conn = ClientConnection::new(Limits::default());
        conn.send_request(&get, &mut out).unwrap();
        let _ = conn
            .handle_bytes(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            .unwrap();
        assert_eq!(conn.body_left(), None);
        assert_eq!(conn.pass_body(0), Err(ClientError::PassedPastBody));
    }

    #[test]
    fn whole_and_byte_at_a_time_give_the_same_events() {
        for c in cases() {
            let whole = run_case(&c, &[c.wire.len().max(1)]);
            let bytes = run_case(&c, &[1]);
            assert_eq!(whole, bytes, "{:?}", core::str::from_utf8(c.wire));
        }
    }

    #[test]
    fn trailing_bytes_after_the_response_are_left_unconsumed() {
        let next = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx";
        for c in cases().into_iter().filter(|c| !c.eof) {
            let mut wire = c.wire.to_vec();
            wire.extend_from_slice(next);
            let wire: &'static [u8] = alloc::boxed::Box::leak(wire.into_boxed_slice());
            let (evs, err, left) = run_case(&Case { wire, ..c }, &[wire.len()]);
            if err.is_none() {
                assert_eq!(evs.last(), Some(&Ev::End), "{evs:?}");
                assert_eq!(left, next.len(), "{evs:?}");
            }
        }
    }

    #[test]
    fn events_of_a_chunked_response() {
        let (evs, err, _) = run_case(&cases()[1], &[3]);
        assert_eq!(err, None);
        assert_eq!(
            evs,
            [
                Ev::Head(200),
                Ev::Chunk(5),
                Ev::Data(b"hello".to_vec()),
                Ev::Chunk(2),
                Ev::Data(b", ".to_vec()),
                Ev::Chunk(0),
                Ev::Trailers(1),
                Ev::End
            ]
        );
    }

    #[test]
    fn interim_heads_come_before_the_final_one() {
        let (evs, err, _) = run_case(&cases()[2], &[1]);
        assert_eq!(err, None);
        assert_eq!(
            evs,
            [
                Ev::Interim(100),
                Ev::Interim(103),
                Ev::Head(200),
                Ev::Data(b"ok".to_vec()),
                Ev::End
            ]
        );
    }

    #[test]
    fn head_204_and_304_end_without_a_body_whatever_the_fields() {
        let rows: [(Method<'_>, &[u8]); 4] = [
            (
                Method::Head,
                b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n",
            ),
            (
                Method::Head,
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
            ),
            (Method::Get, b"HTTP/1.1 204 No Content\r\n\r\n"),
            (
                Method::Get,
                b"HTTP/1.1 304 Not Modified\r\nContent-Length: 1000\r\n\r\n",
            ),
        ];
        for (method, wire) in rows {
            let mut conn = fresh(method, RequestBody::None, false);
            let (evs, err, left) = feed(&mut conn, wire, &[wire.len()], false);
            let status = evs.first().cloned();
            assert_eq!((err, left), (None, 0));
            assert_eq!(evs.len(), 2, "{evs:?}");
            assert!(matches!(status, Some(Ev::Head(_))));
            assert_eq!(evs[1], Ev::End);
            assert_eq!(conn.reuse(), Reuse::KeepAlive);
        }
    }

    #[test]
    fn a_close_delimited_body_ends_at_eof_and_closes() {
        let mut conn = fresh(Method::Get, RequestBody::None, false);
        let wire = b"HTTP/1.1 200 OK\r\n\r\nto the end";
        let (evs, err, _) = feed(&mut conn, wire, &[4], true);
        assert_eq!(err, None);
        assert_eq!(
            evs,
            [Ev::Head(200), Ev::Data(b"to the end".to_vec()), Ev::End]
        );
        assert_eq!(conn.reuse(), Reuse::Close(CloseReason::CloseDelimited));
    }

    #[test]
    fn an_early_final_status_withholds_the_body() {
        // Content-Length: the request cannot be completed without the body, so the
        // connection is not reused even though the server keeps it open.
        let mut conn = fresh(Method::Put, RequestBody::Length(1 << 20), true);
        assert_eq!(conn.body_state(), BodyState::Wait);
        let wire = b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 0\r\n\r\n";
        let (evs, err, _) = feed(&mut conn, wire, &[7], false);
        assert_eq!(err, None);
        assert_eq!(evs, [Ev::Head(413), Ev::Body(BodyState::Withheld), Ev::End]);
        assert_eq!(conn.reuse(), Reuse::Close(CloseReason::RequestIncomplete));

        // Chunked: an empty last chunk completes the request, and the connection is reusable.
        let mut conn = fresh(Method::Put, RequestBody::Chunked, true);
        let (_, err, _) = feed(&mut conn, wire, &[wire.len()], false);
        assert_eq!((err, conn.body_state()), (None, BodyState::Withheld));
        let mut out = Vec::new();
        conn.finish_body(&mut out).unwrap();
        assert_eq!(out, b"0\r\n\r\n");
        assert_eq!(conn.reuse(), Reuse::KeepAlive);

        // The server closes: never reused, whatever the caller sends.
        let mut conn = fresh(Method::Put, RequestBody::Chunked, true);
        let (_, err, _) = run_case(&cases()[11], &[1]);
        assert_eq!(err, None);
        let wire = cases()[11].wire;
        feed(&mut conn, wire, &[wire.len()], false);
        conn.finish_body(&mut Vec::new()).unwrap();
        assert_eq!(conn.reuse(), Reuse::Close(CloseReason::ServerAskedClose));
    }

    #[test]
    fn a_final_status_that_closes_stops_a_body_being_sent() {
        let mut conn = fresh(Method::Put, RequestBody::Length(100), false);
        assert_eq!(conn.body_state(), BodyState::Send);
        conn.send_body(&[b'x'; 10], &mut Vec::new()).unwrap();
        let wire =
            b"HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n";
        let (evs, _, _) = feed(&mut conn, wire, &[wire.len()], false);
        assert_eq!(evs, [Ev::Head(500), Ev::Body(BodyState::Withheld), Ev::End]);
        // A server that keeps the connection open still reads the body: keep sending.
        let mut conn = fresh(Method::Put, RequestBody::Length(100), false);
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        feed(&mut conn, wire, &[wire.len()], false);
        assert_eq!(conn.body_state(), BodyState::Send);
        assert_eq!(conn.reuse(), Reuse::Close(CloseReason::RequestIncomplete));
        conn.send_body(&[b'x'; 100], &mut Vec::new()).unwrap();
        assert_eq!(conn.reuse(), Reuse::KeepAlive);
    }

    #[test]
    fn the_callers_timer_releases_the_body_and_only_100_invites_it() {
        let mut conn = fresh(Method::Put, RequestBody::Length(3), true);
        let wire = b"HTTP/1.1 102 Processing\r\n\r\n";
        let step = conn.handle_bytes(wire).unwrap();
        assert!(matches!(step.event, Event::Interim(h) if h.status() == 102));
        assert_eq!(conn.body_state(), BodyState::Wait);
        conn.handle_timeout();
        assert_eq!(conn.body_state(), BodyState::Send);
        let mut out = Vec::new();
        conn.send_body(b"abc", &mut out).unwrap();
        assert_eq!(
            (&out[..], conn.body_state()),
            (&b"abc"[..], BodyState::Done)
        );
        // A late 100 changes nothing.
        let step = conn.handle_bytes(b"HTTP/1.1 100 Continue\r\n\r\n").unwrap();
        assert!(matches!(step.event, Event::Interim(_)));
        assert_eq!(conn.body_state(), BodyState::Done);
        conn.handle_timeout();
        assert_eq!(conn.body_state(), BodyState::Done);
    }

    #[test]
    fn more_interim_responses_than_the_limit_is_an_error() {
        let mut wire = Vec::new();
        for _ in 0..32 {
            wire.extend_from_slice(b"HTTP/1.1 102 Processing\r\n\r\n");
        }
        let last = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
        let mut ok = wire.clone();
        ok.extend_from_slice(last);
        let mut conn = fresh(Method::Get, RequestBody::None, false);
        let (evs, err, _) = feed(&mut conn, &ok, &[5], false);
        assert_eq!((err, evs.len()), (None, 34));

        wire.extend_from_slice(b"HTTP/1.1 103 Early Hints\r\n\r\n");
        wire.extend_from_slice(last);
        let mut conn = fresh(Method::Get, RequestBody::None, false);
        let (evs, err, _) = feed(&mut conn, &wire, &[5], false);
        assert_eq!(err, Some(ClientError::TooManyInterim(32)));
        assert_eq!(evs.len(), 32);
        // Sticky.
        assert_eq!(conn.handle_bytes(b"").err(), err);
        assert_eq!(conn.handle_eof(b"").err(), err);
        assert_eq!(conn.reuse(), Reuse::Close(CloseReason::Failed));
        assert_eq!(
            conn.send_request(&Request::new(Method::Get, "/", &[]), &mut Vec::new()),
            Err(ClientError::TooManyInterim(32))
        );
    }

    #[test]
    fn reuse_follows_the_response_and_the_request() {
        type Row = (
            &'static [(&'static str, &'static str)],
            &'static [u8],
            Reuse,
        );
        use CloseReason::*;
        let rows: &[Row] = &[
            (
                &[],
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                Reuse::KeepAlive,
            ),
            (
                &[],
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
                Reuse::Close(ServerAskedClose),
            ),
            (
                &[],
                b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n",
                Reuse::Close(ServerAskedClose),
            ),
            (
                &[],
                b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n",
                Reuse::KeepAlive,
            ),
            (
                &[("Connection", "Close")],
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                Reuse::Close(RequestAskedClose),
            ),
            (
                &[("Connection", "keep-alive")],
                b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
                Reuse::KeepAlive,
            ),
            (
                &[],
                b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\n\r\n",
                Reuse::Close(Switched),
            ),
        ];
        for (fields, wire, want) in rows {
            let mut conn = ClientConnection::new(Limits::default());
            conn.send_request(&Request::new(Method::Get, "/", fields), &mut Vec::new())
                .unwrap();
            assert_eq!(conn.reuse(), Reuse::Close(Unfinished));
            let (evs, err, _) = feed(&mut conn, wire, &[wire.len()], false);
            assert_eq!((err, evs.last()), (None, Some(&Ev::End)));
            assert_eq!(conn.reuse(), *want, "{:?}", core::str::from_utf8(wire));
            let again = conn.send_request(&Request::new(Method::Get, "/", &[]), &mut Vec::new());
            match want {
                Reuse::KeepAlive => assert_eq!(again, Ok(())),
                Reuse::Close(why) => assert_eq!(again, Err(ClientError::NotReusable(*why))),
            }
        }
        // CONNECT: a 2xx is a tunnel.
        let mut conn = fresh(Method::Connect, RequestBody::None, false);
        feed(&mut conn, b"HTTP/1.1 200 OK\r\n\r\n", &[100], false);
        assert_eq!(conn.reuse(), Reuse::Close(Switched));
    }

    #[test]
    fn a_kept_connection_carries_the_next_exchange() {
        let mut conn = fresh(Method::Get, RequestBody::None, false);
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        feed(&mut conn, wire, &[wire.len()], false);
        let mut out = Vec::new();
        conn.send_request(
            &Request::new(Method::Head, "/next", &[("Host", "h")]),
            &mut out,
        )
        .unwrap();
        assert_eq!(out, b"HEAD /next HTTP/1.1\r\nHost: h\r\n\r\n");
        // The parser now reads a response to HEAD: no body.
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n";
        let (evs, err, _) = feed(&mut conn, wire, &[wire.len()], false);
        assert_eq!((evs, err), (vec![Ev::Head(200), Ev::End], None));
        // The server closes the idle connection: no error, no more requests.
        let (evs, err, _) = feed(&mut conn, b"", &[1], true);
        assert_eq!((evs, err), (vec![Ev::Closed], None));
        assert_eq!(conn.reuse(), Reuse::Close(CloseReason::PeerClosed));
    }

    #[test]
    fn eof_errors_say_where_the_response_was_cut() {
        let rows: [(&[u8], ClientError); 6] = [
            (b"", ClientError::ClosedWithoutResponse),
            (b"HTTP/1.1 20", ClientError::ClosedInHead),
            (b"HTTP/1.1 100 Continue\r\n\r\n", ClientError::ClosedInHead),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
                ClientError::ClosedInBody {
                    received: 3,
                    framing: Framing::Length(10),
                },
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
                ClientError::ClosedInBody {
                    received: 5,
                    framing: Framing::Chunked,
                },
            ),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
                ClientError::ClosedInBody {
                    received: 5,
                    framing: Framing::Chunked,
                },
            ),
        ];
        for (wire, want) in rows {
            for piece in [1, wire.len().max(1)] {
                let mut conn = fresh(Method::Get, RequestBody::None, false);
                let (_, err, _) = feed(&mut conn, wire, &[piece], true);
                assert_eq!(err, Some(want), "{:?}", core::str::from_utf8(wire));
            }
        }
    }

    #[test]
    fn a_malformed_response_is_sticky_and_located() {
        let mut conn = fresh(Method::Get, RequestBody::None, false);
        let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nBad Header\r\n\r\nhello";
        let e = conn.handle_bytes(wire).err();
        let want = Some(ClientError::Malformed(ParseError::WhitespaceBeforeColon));
        assert_eq!(e, want);
        assert_eq!(conn.error_offset(), Some(39));
        assert_eq!(conn.handle_bytes(wire).err(), want);
        assert_eq!(conn.send_body(b"x", &mut Vec::new()).err(), want);
    }

    #[test]
    fn bytes_while_no_response_is_due_are_an_error() {
        let mut conn = ClientConnection::new(Limits::default());
        assert!(matches!(
            conn.handle_bytes(b"").unwrap().event,
            Event::NeedMore
        ));
        assert_eq!(
            conn.handle_bytes(b"HTTP/1.1 408 Request Timeout\r\n\r\n")
                .err(),
            Some(ClientError::UnexpectedBytes)
        );
    }

    #[test]
    fn the_request_head_carries_its_framing_and_expectation() {
        type Row = (
            RequestBody,
            bool,
            &'static [(&'static str, &'static str)],
            &'static [u8],
            BodyState,
        );
        let rows: &[Row] = &[
            (RequestBody::None, false, &[], b"", BodyState::Done),
            (
                RequestBody::Length(7),
                false,
                &[],
                b"Content-Length: 7\r\n",
                BodyState::Send,
            ),
            (
                RequestBody::Chunked,
                false,
                &[],
                b"Transfer-Encoding: chunked\r\n",
                BodyState::Send,
            ),
            (
                RequestBody::Length(7),
                true,
                &[],
                b"Content-Length: 7\r\nExpect: 100-continue\r\n",
                BodyState::Wait,
            ),
            // No content: no expectation (RFC 9110 §10.1.1), nothing to wait for.
            (RequestBody::None, true, &[], b"", BodyState::Done),
            (
                RequestBody::Length(0),
                true,
                &[],
                b"Content-Length: 0\r\n",
                BodyState::Done,
            ),
            // The caller's own Expect field is honoured, not repeated.
            (
                RequestBody::Chunked,
                true,
                &[("Expect", "100-Continue")],
                b"Expect: 100-Continue\r\nTransfer-Encoding: chunked\r\n",
                BodyState::Wait,
            ),
            (
                RequestBody::Chunked,
                false,
                &[("Expect", "100-continue")],
                b"Expect: 100-continue\r\nTransfer-Encoding: chunked\r\n",
                BodyState::Wait,
            ),
        ];
        for (body, expect, fields, want, state) in rows {
            let mut conn = ClientConnection::new(Limits::default());
            let mut req = Request::new(Method::Put, "/f", fields).with_body(*body);
            req.expect_continue = *expect;
            let mut out = Vec::new();
            conn.send_request(&req, &mut out).unwrap();
            let mut head = b"PUT /f HTTP/1.1\r\n".to_vec();
            head.extend_from_slice(want);
            head.extend_from_slice(b"\r\n");
            assert_eq!(out, head, "{body:?}");
            assert_eq!(conn.body_state(), *state, "{body:?}");
        }
    }

    #[test]
    fn chunked_bodies_are_framed_and_ended() {
        let mut conn = fresh(Method::Put, RequestBody::Chunked, false);
        let mut out = Vec::new();
        conn.send_body(b"hello", &mut out).unwrap();
        conn.send_body(b"", &mut out).unwrap();
        conn.send_body(&[b'x'; 17], &mut out).unwrap();
        conn.finish_body(&mut out).unwrap();
        conn.finish_body(&mut out).unwrap();
        let mut want = b"5\r\nhello\r\n11\r\n".to_vec();
        want.extend_from_slice(&[b'x'; 17]);
        want.extend_from_slice(b"\r\n0\r\n\r\n");
        assert_eq!(out, want);
        assert_eq!(conn.body_state(), BodyState::Done);
    }

    #[test]
    fn misuse_is_refused_and_named() {
        let mut out = vec![b'k'];
        let mut conn = ClientConnection::new(Limits::default());
        let req = Request::new(Method::Put, "/", &[("Content-Length", "3")]);
        assert_eq!(
            conn.send_request(&req, &mut out),
            Err(ClientError::FramingField)
        );
        let mut conn = ClientConnection::new(Limits::default());
        let req = Request::new(Method::Get, "/", &[("X", "a\r\nb")]);
        assert_eq!(
            conn.send_request(&req, &mut out),
            Err(ClientError::InvalidRequest(WriteError::InvalidHeaderValue))
        );
        assert_eq!(out, b"k", "nothing appended on error");

        let mut conn = fresh(Method::Get, RequestBody::None, false);
        assert_eq!(conn.send_body(b"x", &mut out), Err(ClientError::NoBody));
        let mut conn = fresh(Method::Get, RequestBody::None, false);
        let again = conn.send_request(&Request::new(Method::Get, "/", &[]), &mut out);
        assert_eq!(again, Err(ClientError::Busy));

        let mut conn = fresh(Method::Put, RequestBody::Length(3), false);
        conn.send_body(b"ab", &mut out).unwrap();
        assert_eq!(
            conn.send_body(b"cd", &mut out),
            Err(ClientError::BodyTooLong { declared: 3 })
        );
        assert_eq!(out, b"kab");
        let mut conn = fresh(Method::Put, RequestBody::Length(3), false);
        conn.send_body(b"ab", &mut out).unwrap();
        assert_eq!(
            conn.finish_body(&mut out),
            Err(ClientError::BodyTooShort {
                declared: 3,
                sent: 2
            })
        );
        let mut conn = fresh(Method::Put, RequestBody::Length(3), false);
        conn.send_body(b"abc", &mut out).unwrap();
        assert_eq!(conn.send_body(b"d", &mut out), Err(ClientError::NoBody));
        assert!(ClientError::NoBody.is_misuse());
        assert!(!ClientError::ClosedInHead.is_misuse());
    }

    #[test]
    fn redirects_say_where_and_with_which_request() {
        type Row = (
            Method<'static>,
            RequestBody,
            u16,
            Option<(Method<'static>, bool)>,
        );
        let body = RequestBody::Length(1);
        let rows: &[Row] = &[
            (
                Method::Get,
                RequestBody::None,
                301,
                Some((Method::Get, false)),
            ),
            (Method::Post, body, 301, Some((Method::Get, false))),
            (Method::Post, body, 302, Some((Method::Get, false))),
            (Method::Put, body, 302, Some((Method::Put, true))),
            (Method::Put, body, 303, Some((Method::Get, false))),
            (
                Method::Head,
                RequestBody::None,
                303,
                Some((Method::Head, false)),
            ),
            (Method::Post, body, 307, Some((Method::Post, true))),
            (
                Method::Other("PROPFIND"),
                body,
                308,
                Some((Method::Other("PROPFIND"), true)),
            ),
            (Method::Get, RequestBody::None, 300, None),
            (Method::Get, RequestBody::None, 304, None),
            (Method::Get, RequestBody::None, 200, None),
        ];
        for (method, body, status, want) in rows {
            let mut conn = fresh(*method, *body, false);
            let wire = alloc::format!(
                "HTTP/1.1 {status} X\r\nLocation: /next?a=1\r\nContent-Length: 0\r\n\r\n"
            );
            let step = conn.handle_bytes(wire.as_bytes()).unwrap();
            assert!(matches!(step.event, Event::Head(_)));
            let got = conn.redirect();
            assert_eq!(
                got.map(|r| (r.method, r.resend_body)),
                *want,
                "{method} {status}"
            );
            if let Some(r) = got {
                assert_eq!((r.status, r.location), (*status, "/next?a=1"));
            }
        }
        // No Location: no redirect.
        let mut conn = fresh(Method::Get, RequestBody::None, false);
        let _ = conn.handle_bytes(b"HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n");
        assert_eq!(conn.redirect(), None);
    }

    #[test]
    fn error_and_reason_text_is_lower_case() {
        use CloseReason::*;
        let errors = [
            ClientError::Malformed(ParseError::InvalidStatusLine),
            ClientError::TooManyInterim(32),
            ClientError::ClosedWithoutResponse,
            ClientError::ClosedInHead,
            ClientError::ClosedInBody {
                received: 1,
                framing: Framing::Length(2),
            },
            ClientError::ClosedInBody {
                received: 1,
                framing: Framing::Chunked,
            },
            ClientError::UnexpectedBytes,
            ClientError::InvalidRequest(WriteError::InvalidTarget),
            ClientError::FramingField,
            ClientError::Busy,
            ClientError::NotReusable(PeerClosed),
            ClientError::NoBody,
            ClientError::BodyTooLong { declared: 1 },
            ClientError::BodyTooShort {
                declared: 2,
                sent: 1,
            },
            ClientError::PassedPastBody,
        ];
        for e in errors {
            let s = alloc::format!("{e}");
            assert!(s.starts_with(|c: char| c.is_lowercase()), "{s}");
        }
        assert_eq!(
            alloc::format!("{}", errors[4]),
            "the connection closed after 1 of 2 body bytes: the response is truncated"
        );
        for r in [
            Unfinished,
            RequestIncomplete,
            RequestAskedClose,
            ServerAskedClose,
            CloseDelimited,
            Switched,
            PeerClosed,
            Failed,
        ] {
            let s = alloc::format!("{r}");
            assert!(s.starts_with("the "), "{s}");
        }
    }

    mod props {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Any split of a response gives the same events, body states and error as the
            /// whole of it, even when a byte of it is changed. The server closes after it, so
            /// that a damaged head is found however it was split.
            #[test]
            fn any_split_gives_the_same_events(
                which in 0usize..12,
                pieces in proptest::collection::vec(1usize..12, 1..40),
                mutate in proptest::option::of((0usize..200, any::<u8>())),
            ) {
                let c = &cases()[which];
                let mut wire = c.wire.to_vec();
                if let Some((at, byte)) = mutate {
                    if !wire.is_empty() {
                        let len = wire.len();
                        wire[at % len] = byte;
                    }
                }
                let run = |pieces: &[usize]| {
                    let mut conn = fresh(c.method, c.body, c.expect);
                    feed(&mut conn, &wire, pieces, true)
                };
                let whole = run(&[wire.len().max(1)]);
                prop_assert_eq!(whole, run(&pieces));
            }
        }
    }
}
