//! The response parser (client side).
//!
//! ```text
//! status-line = HTTP-version SP status-code SP [ reason-phrase ] CRLF   (RFC 9112 §4)
//! status-code = 3DIGIT
//! reason-phrase = 1*( HTAB / SP / VCHAR / obs-text )
//! ```
//!
//! A missing SP before an empty reason phrase (`HTTP/1.1 200\r\n`) is accepted: servers
//! send it, and it is unambiguous.

use super::body::Decoder;
use super::facts::{head_fields, Facts};
use super::fields::{http_version, Fail, Parsed};
use super::machine::{head_limit, step, Machine, State};
use super::{Event, Step};
use crate::error::{ParseError, UsageError};
use crate::head::{FieldSpan, Fields, Framing, FramingRule, Method, ResponseHead, Version};
use crate::limits::Limits;
use alloc::vec::Vec;

/// What the request was, as far as the response's framing cares (RFC 9112 §6.3 rules 1-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Asked {
    Head,
    Connect,
    Other,
}

impl Asked {
    fn from(m: Method<'_>) -> Self {
        match m {
            Method::Head => Asked::Head,
            Method::Connect => Asked::Connect,
            _ => Asked::Other,
        }
    }
}

/// An incremental HTTP/1.1 response parser: bytes in, [`Event`]s out.
///
/// It must know the request's method: a response to HEAD has no body whatever its fields say.
///
/// ```
/// use simplehttp_core::{Event, Limits, Method, ResponseParser};
///
/// let wire = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n";
/// let mut parser = ResponseParser::new(Limits::default(), Method::Get);
/// let mut at = 0;
/// let mut body = Vec::new();
/// loop {
///     let step = parser.handle_bytes(&wire[at..]).unwrap();
///     at += step.consumed;
///     match step.event {
///         Event::Head(head) => assert_eq!(head.status(), 200),
///         Event::Data(d) => body.extend_from_slice(d),
///         Event::End => break,
///         _ => {}
///     }
/// }
/// assert_eq!(body, b"hello");
/// ```
#[derive(Debug, Clone)]
pub struct ResponseParser {
    m: Machine,
    asked: Asked,
}

struct Parsed1 {
    len: usize,
    line: (usize, usize),
    version: Version,
    status: u16,
    reason: (usize, usize),
    framing: Framing,
    rule: FramingRule,
    keep_alive: bool,
}

impl ResponseParser {
    /// A parser for the response to a request made with `method`, enforcing `limits`.
    #[must_use]
    pub fn new(limits: Limits, method: Method<'_>) -> Self {
        ResponseParser {
            m: Machine::new(limits),
            asked: Asked::from(method),
        }
    }

    /// Reads from `buf`, which holds every received byte not yet consumed.
    ///
    /// # Errors
    /// The response is malformed or breaks a limit. Errors are sticky.
    pub fn handle_bytes<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        match self.m.state {
            State::Failed(e) => Err(e),
            State::Done => Ok(step(0, Event::Paused)),
            State::Head => self.head(buf, false),
            State::Body(_) => self.m.body(buf, false),
        }
    }

    /// The server closed the connection; `buf` holds the bytes not yet consumed.
    ///
    /// This ends a close-delimited body ([`Event::End`]); anywhere else before the end of
    /// the message it is [`ParseError::UnexpectedEof`] (or the error the partial message
    /// already shows).
    ///
    /// # Errors
    /// As above; errors are sticky.
    pub fn handle_eof<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        match self.m.state {
            State::Failed(e) => Err(e),
            State::Done => Ok(step(0, Event::Paused)),
            State::Head => self.head(buf, true),
            State::Body(Decoder::Close) if buf.is_empty() => {
                self.m.state = State::Done;
                Ok(step(0, Event::End))
            }
            State::Body(_) => self.m.body(buf, true),
        }
    }

    /// After [`Event::End`], expects the response to a next request made with `method`.
    ///
    /// # Errors
    /// [`UsageError::MessageNotFinished`] when the current response has not ended.
    pub fn start_next(&mut self, method: Method<'_>) -> Result<(), UsageError> {
        self.m.start_next()?;
        self.asked = Asked::from(method);
        Ok(())
    }

    /// While reading a Content-Length body: how many of its bytes are still due. The
    /// caller may move them itself, without passing them through the parser (splicing them
    /// from the socket to a file, say), and then says so with
    /// [`pass_body`](ResponseParser::pass_body). `None` for other framings, outside a
    /// body, and once every byte of it has come (`End` is next).
    #[must_use]
    pub fn body_left(&self) -> Option<u64> {
        self.m.length_left()
    }

    /// The caller moved `n` bytes of the Content-Length body (at most
    /// [`body_left`](ResponseParser::body_left)) past the parser: the state is as if
    /// `handle_bytes` had returned them as `Data`. The next call that reaches the end of the
    /// body returns `End`.
    ///
    /// # Errors
    /// [`UsageError::NotInBody`] outside a Content-Length body, or for more bytes than it
    /// has left; nothing changes then.
    pub fn pass_body(&mut self, n: u64) -> Result<(), UsageError> {
        self.m.pass_body(n)
    }

    /// Where the error was found: an offset into the `buf` of the call that returned it.
    #[must_use]
    pub fn error_offset(&self) -> Option<usize> {
        self.m.error_offset()
    }

    /// Reads a head when it is whole; at `eof`, an incomplete one is an error.
    fn head<'a>(
        &'a mut self,
        buf: &'a [u8],
        eof: bool,
    ) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        let soft = self.m.limits.max_status_line;
        let asked = self.asked;
        let parse = |b: &[u8], l: &Limits, f: &mut Vec<FieldSpan>| parse_response(b, l, asked, f);
        let Some(p) = self.m.try_head(buf, soft, eof, parse)? else {
            if eof {
                return Err(self.m.fail((ParseError::UnexpectedEof, buf.len())));
            }
            return Ok(step(0, Event::NeedMore));
        };
        let interim = (100..200).contains(&p.status) && p.status != 101;
        // After an interim response the final one follows: stay in Head.
        if !interim {
            self.m.state = State::Body(Decoder::new(p.framing));
        }
        let raw = &buf[..p.len];
        let head = ResponseHead {
            raw,
            version: p.version,
            status: p.status,
            reason: &raw[p.reason.0..p.reason.1],
            fields: Fields::new(raw, &self.m.fields),
            framing: p.framing,
            framing_rule: p.rule,
            keep_alive: p.keep_alive,
            status_line: p.line,
        };
        Ok(step(p.len, Event::Head(head)))
    }
}

fn parse_response(
    buf: &[u8],
    limits: &Limits,
    asked: Asked,
    fields: &mut Vec<FieldSpan>,
) -> Result<Parsed<Parsed1>, Fail> {
    let head_limit = head_limit(limits);
    let n = buf.len();
    let line_limit = limits.max_status_line.min(head_limit);
    let avail = n.min(line_limit);
    let short = || {
        if avail == line_limit {
            Err((ParseError::InvalidStatusLine, line_limit))
        } else {
            Ok(Parsed::Incomplete)
        }
    };
    let mut i = 0;
    // HTTP-version
    let Some((next, digits)) = http_version(buf, i, avail, ParseError::InvalidStatusLine)? else {
        return short();
    };
    i = next;
    if i >= avail {
        return short();
    }
    if buf[i] != b' ' {
        return Err((ParseError::InvalidStatusLine, i));
    }
    if digits[0] != 1 {
        return Err((ParseError::UnsupportedVersion, 5));
    }
    let version = if digits[1] == 0 {
        Version::Http10
    } else {
        Version::Http11
    };
    i += 1;
    let mut status: u16 = 0;
    let code_at = i;
    for _ in 0..3 {
        if i >= avail {
            return short();
        }
        if !buf[i].is_ascii_digit() {
            return Err((ParseError::InvalidStatusCode, i));
        }
        status = status * 10 + u16::from(buf[i] - b'0');
        i += 1;
    }
    if !(100..=599).contains(&status) {
        return Err((ParseError::InvalidStatusCode, code_at));
    }
    if i >= avail {
        return short();
    }
    match buf[i] {
        b' ' => i += 1,
        b'\r' => {}
        _ => return Err((ParseError::InvalidStatusCode, i)),
    }
    let rs = i;
    while i < avail && (buf[i] == b'\t' || buf[i] >= 0x20) && buf[i] != 0x7f {
        i += 1;
    }
    if i >= avail {
        return short();
    }
    if buf[i] != b'\r' {
        let e = if buf[i] == b'\n' {
            ParseError::InvalidLineEnding
        } else {
            ParseError::InvalidStatusLine
        };
        return Err((e, i));
    }
    if i + 1 >= avail {
        return short();
    }
    if buf[i + 1] != b'\n' {
        return Err((ParseError::InvalidLineEnding, i));
    }
    let reason = (rs, i);
    let line_end = i + 2;

    let mut facts = Facts::default();
    let len = match head_fields(buf, line_end, head_limit, limits, fields, &mut facts)? {
        Parsed::Complete(end) => end,
        Parsed::Incomplete => return Ok(Parsed::Incomplete),
    };

    // RFC 9112 §6.3, in its order.
    let (framing, rule) = if asked == Asked::Head {
        (Framing::None, FramingRule::HeadResponse)
    } else if status < 200 || status == 204 || status == 304 {
        (Framing::None, FramingRule::StatusWithoutBody)
    } else if asked == Asked::Connect && (200..300).contains(&status) {
        (Framing::None, FramingRule::ConnectTunnel)
    } else if facts.te_at.is_some() {
        facts.check_transfer_encoding(version == Version::Http10, false)?;
        if facts.te_last_chunked {
            (Framing::Chunked, FramingRule::Chunked)
        } else {
            (Framing::Close, FramingRule::TransferEncodingToClose)
        }
    } else if let Some(e) = facts.cl_error {
        return Err(e);
    } else if let Some(n) = facts.content_length {
        if n > limits.max_body {
            return Err((ParseError::BodyTooLarge, facts.cl_at));
        }
        (Framing::Length(n), FramingRule::ContentLength)
    } else {
        (Framing::Close, FramingRule::ResponseToClose)
    };
    let keep_alive = framing != Framing::Close
        && rule != FramingRule::ConnectTunnel
        && status != 101
        && !facts.close
        && (version == Version::Http11 || facts.keep_alive);
    Ok(Parsed::Complete(Parsed1 {
        len,
        line: (0, line_end),
        version,
        status,
        reason,
        framing,
        rule,
        keep_alive,
    }))
}
