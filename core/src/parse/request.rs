//! The request parser (server side).
//!
//! ```text
//! request-line   = method SP request-target SP HTTP-version CRLF   (RFC 9112 §3)
//! HTTP-version   = "HTTP/" DIGIT "." DIGIT                         (RFC 9112 §2.3)
//! ```

use super::body::Decoder;
use super::facts::{head_fields, valid_host, Facts};
use super::fields::{http_version, scan_token, scan_visible, Fail, Parsed};
use super::machine::{head_limit, step, Machine, State};
use super::{Event, Step};
use crate::error::{ParseError, UsageError};
use crate::head::{
    FieldSpan, Fields, Framing, FramingRule, Method, RequestHead, TargetForm, Version,
};
use crate::limits::Limits;
use alloc::vec::Vec;

/// An incremental HTTP/1.1 request parser: bytes in, [`Event`]s out.
///
/// ```
/// use simplehttp_core::{Event, Limits, RequestParser};
///
/// let wire = b"PUT /notes.txt HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5\r\n\r\nhello";
/// let mut parser = RequestParser::new(Limits::default());
/// let step = parser.handle_bytes(wire).unwrap();
/// let Event::Head(head) = step.event else { panic!() };
/// assert_eq!(head.target(), "/notes.txt");
/// let consumed = step.consumed;
/// let step = parser.handle_bytes(&wire[consumed..]).unwrap();
/// assert!(matches!(step.event, Event::Data(b"hello")));
/// let step = parser.handle_bytes(&[]).unwrap();
/// assert!(matches!(step.event, Event::End));
/// ```
#[derive(Debug, Clone)]
pub struct RequestParser {
    m: Machine,
}

/// A request head found complete.
struct Parsed1 {
    len: usize,
    line: (usize, usize),
    method: (usize, usize),
    target: (usize, usize),
    form: TargetForm,
    version: Version,
    framing: Framing,
    rule: FramingRule,
    keep_alive: bool,
    expect_continue: bool,
}

impl RequestParser {
    /// A parser enforcing `limits`.
    #[must_use]
    pub fn new(limits: Limits) -> Self {
        RequestParser {
            m: Machine::new(limits),
        }
    }

    /// The limits in force.
    #[must_use]
    pub fn limits(&self) -> &Limits {
        &self.m.limits
    }

    /// Reads from `buf`, which holds every received byte not yet consumed.
    ///
    /// # Errors
    /// The peer broke HTTP/1.1 or a limit; the error names the status to answer. Errors
    /// are sticky.
    pub fn handle_bytes<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> Result<Step<'a, RequestHead<'a>>, ParseError> {
        match self.m.state {
            State::Failed(e) => Err(e),
            State::Done => Ok(step(0, Event::Paused)),
            State::Head => self.head(buf, false),
            // No body (most GETs): the end, without a trip through the decoder.
            State::Body(Decoder::Finished) => {
                self.m.state = State::Done;
                Ok(step(0, Event::End))
            }
            State::Body(_) => self.m.body(buf, false),
        }
    }

    /// The peer closed its side; `buf` holds the bytes not yet consumed.
    ///
    /// Between messages this is a clean end ([`Event::Paused`]); inside one it is
    /// [`ParseError::UnexpectedEof`], or the error the partial message already shows.
    ///
    /// # Errors
    /// As above; errors are sticky.
    pub fn handle_eof<'a>(
        &'a mut self,
        buf: &'a [u8],
    ) -> Result<Step<'a, RequestHead<'a>>, ParseError> {
        match self.m.state {
            State::Failed(e) => Err(e),
            State::Done => Ok(step(0, Event::Paused)),
            State::Head if buf.is_empty() => Ok(step(0, Event::Paused)),
            State::Head => self.head(buf, true),
            State::Body(_) => self.m.body(buf, true),
        }
    }

    /// After [`Event::End`], starts reading the next message.
    ///
    /// # Errors
    /// [`UsageError::MessageNotFinished`] when the current message has not ended.
    pub fn start_next(&mut self) -> Result<(), UsageError> {
        self.m.start_next()
    }

    /// Whether the parser is between messages, with nothing of the next one read.
    #[must_use]
    pub fn is_idle(&self) -> bool {
        matches!(self.m.state, State::Head | State::Done)
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
    ) -> Result<Step<'a, RequestHead<'a>>, ParseError> {
        let soft = self.m.limits.max_request_line;
        let Some(p) = self.m.try_head(buf, soft, eof, parse_request)? else {
            if eof {
                return Err(self.m.fail((ParseError::UnexpectedEof, buf.len())));
            }
            return Ok(step(0, Event::NeedMore));
        };
        self.m.state = State::Body(Decoder::new(p.framing));
        let raw = &buf[..p.len];
        // Method and target were checked to be ASCII tokens / visible ASCII.
        let text = |r: &'a [u8]| core::str::from_utf8(r).unwrap_or("");
        let head = RequestHead {
            raw,
            method: Method::from_bytes(&raw[p.method.0..p.method.1], text),
            target: text(&raw[p.target.0..p.target.1]),
            target_form: p.form,
            version: p.version,
            fields: Fields::new(raw, &self.m.fields),
            framing: p.framing,
            framing_rule: p.rule,
            keep_alive: p.keep_alive,
            expect_continue: p.expect_continue,
            request_line: p.line,
        };
        Ok(step(p.len, Event::Head(head)))
    }
}

/// Parses a whole request head from the start of `buf` (a pure function of its bytes, so
/// that every split of the input reaches the same verdict).
fn parse_request(
    buf: &[u8],
    limits: &Limits,
    fields: &mut Vec<FieldSpan>,
) -> Result<Parsed<Parsed1>, Fail> {
    let head_limit = head_limit(limits);
    let n = buf.len();
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request-line.
    let mut i = 0;
    while i + 1 < n && i + 2 <= head_limit && buf[i] == b'\r' && buf[i + 1] == b'\n' {
        i += 2;
    }
    if i + 1 == n && buf[i] == b'\r' {
        // Maybe another empty line: wait for its LF.
        return Ok(Parsed::Incomplete);
    }
    let line_start = i;
    let line_limit = (line_start + limits.max_request_line).min(head_limit);
    let avail = n.min(line_limit);
    let short = || {
        if avail == line_limit {
            Err((ParseError::RequestLineTooLong, line_limit))
        } else {
            Ok(Parsed::Incomplete)
        }
    };
    // method = token
    i = scan_token(buf, i, avail);
    if i >= avail {
        return short();
    }
    if i == line_start {
        let e = if matches!(buf[i], b'\r' | b'\n') {
            ParseError::InvalidLineEnding
        } else {
            ParseError::InvalidMethod
        };
        return Err((e, i));
    }
    if buf[i] != b' ' {
        return Err((ParseError::InvalidMethod, i));
    }
    let method = (line_start, i);
    i += 1;
    // request-target: visible ASCII, checked for its form below.
    let ts = i;
    i = scan_visible(buf, i, avail);
    if i >= avail {
        return short();
    }
    if i == ts {
        return Err((
            if buf[i] == b' ' {
                ParseError::MalformedStartLine
            } else {
                ParseError::InvalidTarget
            },
            i,
        ));
    }
    match buf[i] {
        b' ' => {}
        b'\r' | b'\n' => return Err((ParseError::MalformedStartLine, i)),
        _ => return Err((ParseError::InvalidTarget, i)),
    }
    let target = (ts, i);
    i += 1;
    // HTTP-version = "HTTP/" DIGIT "." DIGIT
    let vs = i;
    let (version, line_end) = if buf[i..avail].starts_with(b"HTTP/1.1\r\n") {
        // The version nearly every request has, compared at once.
        (Version::Http11, i + 10)
    } else {
        let Some((next, digits)) = http_version(buf, i, avail, ParseError::InvalidVersion)? else {
            return short();
        };
        i = next;
        if i >= avail {
            return short();
        }
        match buf[i] {
            b'\r' => {}
            b'\n' => return Err((ParseError::InvalidLineEnding, i)),
            _ => return Err((ParseError::InvalidVersion, i)),
        }
        if i + 1 >= avail {
            return short();
        }
        if buf[i + 1] != b'\n' {
            return Err((ParseError::InvalidLineEnding, i));
        }
        // RFC 9110 §2.5: a higher minor version of 1.x is handled as 1.1; another major: 505.
        if digits[0] != 1 {
            return Err((ParseError::UnsupportedVersion, vs));
        }
        let version = if digits[1] == 0 {
            Version::Http10
        } else {
            Version::Http11
        };
        (version, i + 2)
    };
    let form = target_form(&buf[method.0..method.1], &buf[target.0..target.1])
        .map_err(|e| (e, target.0))?;

    let mut facts = Facts::default();
    let len = match head_fields(buf, line_end, head_limit, limits, fields, &mut facts)? {
        Parsed::Complete(end) => end,
        Parsed::Incomplete => return Ok(Parsed::Incomplete),
    };

    // The head is whole: the checks below see all of it, in a fixed order.
    facts.check_transfer_encoding(version == Version::Http10, true)?;
    if let Some(e) = facts.cl_error {
        return Err(e);
    }
    // RFC 9112 §3.2: 400 for an HTTP/1.1 request without Host, for several Host lines and
    // for an invalid Host value.
    match facts.host_count {
        0 if version == Version::Http11 => return Err((ParseError::MissingHost, len - 2)),
        0 => {}
        1 => {
            if !valid_host(&buf[facts.host.0..facts.host.1]) {
                return Err((ParseError::InvalidHost, facts.host.0));
            }
        }
        _ => return Err((ParseError::MultipleHost, facts.second_host_at)),
    }
    let (framing, rule) = if facts.te_at.is_some() {
        (Framing::Chunked, FramingRule::Chunked)
    } else if let Some(n) = facts.content_length {
        if n > limits.max_body {
            return Err((ParseError::BodyTooLarge, facts.cl_at));
        }
        (Framing::Length(n), FramingRule::ContentLength)
    } else {
        // RFC 9112 §6.3 rule 6: a request with neither field has no body.
        (Framing::None, FramingRule::RequestWithoutLength)
    };
    // RFC 9112 §9.3: 1.1 persists unless "close"; 1.0 only with "keep-alive".
    let keep_alive = !facts.close && (version == Version::Http11 || facts.keep_alive);
    Ok(Parsed::Complete(Parsed1 {
        len,
        line: (line_start, line_end),
        method,
        target,
        form,
        version,
        framing,
        rule,
        keep_alive,
        // RFC 9110 §10.1.1: a 100-continue expectation in an HTTP/1.0 request MUST be ignored.
        expect_continue: facts.expect_continue && version == Version::Http11,
    }))
}

/// RFC 9112 §3.2: origin-form for most requests, absolute-form for any (proxies' form),
/// authority-form only with CONNECT, asterisk-form only with OPTIONS.
fn target_form(method: &[u8], target: &[u8]) -> Result<TargetForm, ParseError> {
    if target == b"*" {
        return if method == b"OPTIONS" {
            Ok(TargetForm::Asterisk)
        } else {
            Err(ParseError::InvalidTarget)
        };
    }
    if method == b"CONNECT" {
        // authority-form = uri-host ":" port
        return match target.iter().rposition(|&b| b == b':') {
            Some(c)
                if c > 0
                    && c + 1 < target.len()
                    && target[c + 1..].iter().all(u8::is_ascii_digit)
                    && !target.contains(&b'/') =>
            {
                Ok(TargetForm::Authority)
            }
            _ => Err(ParseError::InvalidTarget),
        };
    }
    if target[0] == b'/' {
        return Ok(TargetForm::Origin);
    }
    // absolute-URI: scheme ":" hier-part; scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    let colon = target
        .iter()
        .position(|&b| b == b':')
        .ok_or(ParseError::InvalidTarget)?;
    let scheme = &target[..colon];
    let ok = !scheme.is_empty()
        && scheme[0].is_ascii_alphabetic()
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if ok {
        Ok(TargetForm::Absolute)
    } else {
        Err(ParseError::InvalidTarget)
    }
}
