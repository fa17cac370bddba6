//! Parsed message heads: borrowed views over the caller's buffer.
//!
//! A head never copies the bytes it describes: names, values and the target are slices of
//! the buffer handed to the parser, and each field carries its byte offsets, so a viewer can
//! highlight exactly what was read.

use core::fmt;
use core::ops::Range;

/// A request method. The common ones are variants; any other valid token is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method<'a> {
    /// `GET`, RFC 9110 §9.3.1.
    Get,
    /// `HEAD`, RFC 9110 §9.3.2.
    Head,
    /// `POST`, RFC 9110 §9.3.3.
    Post,
    /// `PUT`, RFC 9110 §9.3.4.
    Put,
    /// `DELETE`, RFC 9110 §9.3.5.
    Delete,
    /// `CONNECT`, RFC 9110 §9.3.6.
    Connect,
    /// `OPTIONS`, RFC 9110 §9.3.7.
    Options,
    /// `TRACE`, RFC 9110 §9.3.8.
    Trace,
    /// `PATCH`, RFC 5789.
    Patch,
    /// Any other token (methods are case-sensitive, RFC 9110 §9.1).
    Other(&'a str),
}

impl<'a> Method<'a> {
    /// Classifies a method token. The caller vouches that `token` is a valid token.
    #[must_use]
    pub fn from_token(token: &'a str) -> Self {
        match token {
            "GET" => Method::Get,
            "HEAD" => Method::Head,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            "CONNECT" => Method::Connect,
            "OPTIONS" => Method::Options,
            "TRACE" => Method::Trace,
            "PATCH" => Method::Patch,
            other => Method::Other(other),
        }
    }

    /// Classifies a method token given as bytes; `text` turns it into a `&str` only for
    /// `Other`, so the common methods cost no UTF-8 check.
    pub(crate) fn from_bytes(token: &'a [u8], text: impl FnOnce(&'a [u8]) -> &'a str) -> Self {
        match token {
            b"GET" => Method::Get,
            b"HEAD" => Method::Head,
            b"POST" => Method::Post,
            b"PUT" => Method::Put,
            b"DELETE" => Method::Delete,
            b"CONNECT" => Method::Connect,
            b"OPTIONS" => Method::Options,
            b"TRACE" => Method::Trace,
            b"PATCH" => Method::Patch,
            other => Method::Other(text(other)),
        }
    }

    /// The method as it appears on the wire.
    #[must_use]
    pub fn as_str(&self) -> &'a str {
        match self {
            Method::Get => "GET",
            Method::Head => "HEAD",
            Method::Post => "POST",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Connect => "CONNECT",
            Method::Options => "OPTIONS",
            Method::Trace => "TRACE",
            Method::Patch => "PATCH",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The protocol version of a message. A higher HTTP/1.x minor version is handled as 1.1
/// (RFC 9110 §2.5); other major versions are refused with 505.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Version {
    /// HTTP/1.0.
    Http10,
    /// HTTP/1.1 (or a later 1.x).
    Http11,
}

impl Version {
    /// `HTTP/1.0` or `HTTP/1.1`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Version::Http10 => "HTTP/1.0",
            Version::Http11 => "HTTP/1.1",
        }
    }
}

/// The form of a request-target, RFC 9112 §3.2.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetForm {
    /// `/path?query`.
    Origin,
    /// `http://host/path`.
    Absolute,
    /// `host:port`, only with CONNECT.
    Authority,
    /// `*`, only with OPTIONS.
    Asterisk,
}

/// How the body of a message is delimited, RFC 9112 §6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// No body at all.
    None,
    /// Exactly this many bytes.
    Length(u64),
    /// Chunked transfer coding.
    Chunked,
    /// Everything until the connection closes (responses only).
    Close,
}

/// Why a message got its [`Framing`]: the rule of RFC 9112 §6.3 that decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FramingRule {
    /// A response to HEAD has no body (§6.3 rule 1).
    HeadResponse,
    /// 1xx, 204 and 304 responses have no body (§6.3 rule 1).
    StatusWithoutBody,
    /// A 2xx response to CONNECT switches to a tunnel (§6.3 rule 2).
    ConnectTunnel,
    /// Transfer-Encoding ends in chunked (§6.3 rule 4).
    Chunked,
    /// A response whose Transfer-Encoding does not end in chunked runs to close (§6.3 rule 4).
    TransferEncodingToClose,
    /// A valid Content-Length (§6.3 rule 6).
    ContentLength,
    /// A request with neither field has no body (§6.3 rule 7).
    RequestWithoutLength,
    /// A response with neither field runs until the connection closes (§6.3 rule 8).
    ResponseToClose,
}

impl FramingRule {
    /// A one-line explanation, for people.
    #[must_use]
    pub fn explain(self) -> &'static str {
        match self {
            FramingRule::HeadResponse => "a response to HEAD never has a body",
            FramingRule::StatusWithoutBody => "1xx, 204 and 304 responses never have a body",
            FramingRule::ConnectTunnel => "a 2xx response to CONNECT starts a tunnel",
            FramingRule::Chunked => "transfer-encoding ends in chunked: the body is chunked",
            FramingRule::TransferEncodingToClose => {
                "transfer-encoding does not end in chunked: the body runs until the connection closes"
            }
            FramingRule::ContentLength => "content-length gives the body's length",
            FramingRule::RequestWithoutLength => {
                "a request with neither content-length nor transfer-encoding has no body"
            }
            FramingRule::ResponseToClose => {
                "a response with neither content-length nor transfer-encoding runs until the connection closes"
            }
        }
    }

    /// The RFC section that states the rule.
    #[must_use]
    pub fn rfc(self) -> &'static str {
        "RFC 9112 §6.3"
    }

    /// The number of the rule in RFC 9112 §6.3's ordered list of message-length rules
    /// (1 to 8) that decided: the rules before it did not apply.
    ///
    /// ```
    /// use simplehttp_core::{Event, Limits, RequestParser};
    /// let mut p = RequestParser::new(Limits::default());
    /// let step = p.handle_bytes(b"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi").unwrap();
    /// let Event::Head(head) = step.event else { panic!() };
    /// assert_eq!(head.framing_rule().number(), 6);
    /// ```
    #[must_use]
    pub fn number(self) -> u8 {
        match self {
            FramingRule::HeadResponse | FramingRule::StatusWithoutBody => 1,
            FramingRule::ConnectTunnel => 2,
            FramingRule::Chunked | FramingRule::TransferEncodingToClose => 4,
            FramingRule::ContentLength => 6,
            FramingRule::RequestWithoutLength => 7,
            FramingRule::ResponseToClose => 8,
        }
    }

    /// The variant's name, as written in the source (`"ContentLength"`), for programs and
    /// pages: stable, and no `Debug` parsing.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            FramingRule::HeadResponse => "HeadResponse",
            FramingRule::StatusWithoutBody => "StatusWithoutBody",
            FramingRule::ConnectTunnel => "ConnectTunnel",
            FramingRule::Chunked => "Chunked",
            FramingRule::TransferEncodingToClose => "TransferEncodingToClose",
            FramingRule::ContentLength => "ContentLength",
            FramingRule::RequestWithoutLength => "RequestWithoutLength",
            FramingRule::ResponseToClose => "ResponseToClose",
        }
    }
}

/// Which messages a rule of RFC 9112 §6.3's message-length list speaks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Applies {
    /// Requests only.
    Requests,
    /// Responses only.
    Responses,
    /// Requests and responses.
    Both,
}

impl Applies {
    /// `"requests"`, `"responses"` or `"both"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Applies::Requests => "requests",
            Applies::Responses => "responses",
            Applies::Both => "both",
        }
    }
}

/// One rule of RFC 9112 §6.3's ordered list of message-length rules, as this engine applies
/// it: the first rule that applies decides how the body is delimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageLengthRule {
    /// Its number in the list, 1 to 8 ([`FramingRule::number`] and
    /// [`ParseError::message_length_rule`](crate::ParseError::message_length_rule) name
    /// the rule that decided a message).
    pub number: u8,
    /// Which messages it speaks of.
    pub applies: Applies,
    /// What it says, and what this engine does, in words.
    pub text: &'static str,
}

/// RFC 9112 §6.3's message-length rules, in the order they are tried. The parsers follow
/// this list; a viewer shows it as a checklist.
///
/// ```
/// use simplehttp_core::MESSAGE_LENGTH_RULES;
/// assert_eq!(MESSAGE_LENGTH_RULES.len(), 8);
/// assert!(MESSAGE_LENGTH_RULES.iter().enumerate().all(|(i, r)| usize::from(r.number) == i + 1));
/// ```
pub const MESSAGE_LENGTH_RULES: [MessageLengthRule; 8] = [
    MessageLengthRule {
        number: 1,
        applies: Applies::Responses,
        text: "a response to HEAD, or with status 1xx, 204 or 304, has no body, whatever its fields say",
    },
    MessageLengthRule {
        number: 2,
        applies: Applies::Responses,
        text: "a 2xx response to CONNECT has no body: the connection becomes a tunnel",
    },
    MessageLengthRule {
        number: 3,
        applies: Applies::Both,
        text: "Transfer-Encoding with Content-Length: Transfer-Encoding overrides, and the message ought to be handled as an error; this engine refuses it and closes the connection (a server answers 400)",
    },
    MessageLengthRule {
        number: 4,
        applies: Applies::Both,
        text: "Transfer-Encoding whose final coding is chunked: the body is chunked; in a response whose final coding is not chunked the body runs until the connection closes; in such a request the length cannot be known: refused and closed (a server answers 400)",
    },
    MessageLengthRule {
        number: 5,
        applies: Applies::Both,
        text: "an invalid Content-Length (not digits, or a list of differing values) is an unrecoverable error: refused and closed (a server answers 400)",
    },
    MessageLengthRule {
        number: 6,
        applies: Applies::Both,
        text: "a valid Content-Length gives the body's length in bytes",
    },
    MessageLengthRule {
        number: 7,
        applies: Applies::Requests,
        text: "a request with neither Transfer-Encoding nor Content-Length has no body (length 0)",
    },
    MessageLengthRule {
        number: 8,
        applies: Applies::Responses,
        text: "a response with neither Transfer-Encoding nor Content-Length has a body that runs until the connection closes",
    },
];

/// Where one field line sits in the buffer: offsets relative to the start of the head (or
/// of the trailer section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FieldSpan {
    pub(crate) line_start: u32,
    pub(crate) name_end: u32,
    pub(crate) value_start: u32,
    pub(crate) value_end: u32,
    pub(crate) line_end: u32,
}

impl FieldSpan {
    /// The whole line, CRLF included.
    #[must_use]
    pub fn line(&self) -> Range<usize> {
        self.line_start as usize..self.line_end as usize
    }
    /// The field name.
    #[must_use]
    pub fn name(&self) -> Range<usize> {
        self.line_start as usize..self.name_end as usize
    }
    /// The field value, without surrounding whitespace.
    #[must_use]
    pub fn value(&self) -> Range<usize> {
        self.value_start as usize..self.value_end as usize
    }
}

/// One field line: its name, its value (trimmed of surrounding whitespace) and its place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field<'a> {
    /// The name as sent (compare it case-insensitively).
    pub name: &'a str,
    /// The value, which may hold obs-text (bytes 0x80–0xFF).
    pub value: &'a [u8],
    /// Where the line sits, relative to the start of the head or trailer section.
    pub span: FieldSpan,
}

/// The field lines of a head or trailer section, in order.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    raw: &'a [u8],
    spans: &'a [FieldSpan],
}

impl<'a> Fields<'a> {
    pub(crate) fn new(raw: &'a [u8], spans: &'a [FieldSpan]) -> Self {
        Fields { raw, spans }
    }

    /// How many field lines there are.
    #[must_use]
    pub fn len(&self) -> usize {
        self.spans.len()
    }

    /// Whether there are none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.spans.is_empty()
    }

    /// The `i`th field line.
    #[must_use]
    pub fn get(&self, i: usize) -> Option<Field<'a>> {
        self.spans.get(i).map(|s| self.field(*s))
    }

    fn field(&self, s: FieldSpan) -> Field<'a> {
        let name = &self.raw[s.name()];
        Field {
            // Names were checked to be tokens, which are ASCII.
            name: core::str::from_utf8(name).unwrap_or(""),
            value: &self.raw[s.value()],
            span: s,
        }
    }

    /// Every field line, in order.
    pub fn iter(&self) -> impl Iterator<Item = Field<'a>> + '_ {
        self.spans.iter().map(|s| self.field(*s))
    }

    /// Every value of the fields called `name` (case-insensitive), in order.
    pub fn all(&self, name: &'a str) -> impl Iterator<Item = &'a [u8]> + '_ {
        self.iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value)
    }

    /// The value of the first field called `name` (case-insensitive).
    #[must_use]
    pub fn first(&self, name: &str) -> Option<&'a [u8]> {
        self.iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value)
    }

    /// The value of the first field called `name`, if it is valid UTF-8.
    #[must_use]
    pub fn first_str(&self, name: &str) -> Option<&'a str> {
        self.first(name).and_then(|v| core::str::from_utf8(v).ok())
    }
}

/// A parsed request head, borrowed from the caller's buffer.
///
/// Produced by [`RequestParser`](crate::RequestParser) as [`Event::Head`](crate::Event::Head);
/// everything a server needs to decide is here, already validated.
#[derive(Debug, Clone, Copy)]
pub struct RequestHead<'a> {
    pub(crate) raw: &'a [u8],
    pub(crate) method: Method<'a>,
    pub(crate) target: &'a str,
    pub(crate) target_form: TargetForm,
    pub(crate) version: Version,
    pub(crate) fields: Fields<'a>,
    pub(crate) framing: Framing,
    pub(crate) framing_rule: FramingRule,
    pub(crate) keep_alive: bool,
    pub(crate) expect_continue: bool,
    pub(crate) request_line: (usize, usize),
}

impl<'a> RequestHead<'a> {
    /// The method.
    #[must_use]
    pub fn method(&self) -> Method<'a> {
        self.method
    }
    /// The request-target exactly as sent (visible ASCII).
    #[must_use]
    pub fn target(&self) -> &'a str {
        self.target
    }
    /// Which form the target has.
    #[must_use]
    pub fn target_form(&self) -> TargetForm {
        self.target_form
    }
    /// The protocol version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }
    /// The header fields, in order.
    #[must_use]
    pub fn fields(&self) -> Fields<'a> {
        self.fields
    }
    /// The value of the first field called `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.fields.first(name)
    }
    /// The value of the first field called `name`, if it is valid UTF-8.
    #[must_use]
    pub fn header_str(&self, name: &str) -> Option<&'a str> {
        self.fields.first_str(name)
    }
    /// How the request body is delimited.
    #[must_use]
    pub fn framing(&self) -> Framing {
        self.framing
    }
    /// Why the body got that framing.
    #[must_use]
    pub fn framing_rule(&self) -> FramingRule {
        self.framing_rule
    }
    /// Whether the connection may stay open after this exchange (RFC 9112 §9.3).
    #[must_use]
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }
    /// Whether the client sent `Expect: 100-continue` (RFC 9110 §10.1.1).
    #[must_use]
    pub fn expects_continue(&self) -> bool {
        self.expect_continue
    }
    /// The whole head, request line to the blank line.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }
    /// Where the request line sits in [`raw`](Self::raw), CRLF included.
    #[must_use]
    pub fn request_line_span(&self) -> Range<usize> {
        self.request_line.0..self.request_line.1
    }
}

/// A parsed response head, borrowed from the caller's buffer.
#[derive(Debug, Clone, Copy)]
pub struct ResponseHead<'a> {
    pub(crate) raw: &'a [u8],
    pub(crate) version: Version,
    pub(crate) status: u16,
    pub(crate) reason: &'a [u8],
    pub(crate) fields: Fields<'a>,
    pub(crate) framing: Framing,
    pub(crate) framing_rule: FramingRule,
    pub(crate) keep_alive: bool,
    pub(crate) status_line: (usize, usize),
}

impl<'a> ResponseHead<'a> {
    /// The protocol version.
    #[must_use]
    pub fn version(&self) -> Version {
        self.version
    }
    /// The status code, 100..=599.
    #[must_use]
    pub fn status(&self) -> u16 {
        self.status
    }
    /// The reason phrase as sent (may be empty; clients should ignore it, RFC 9112 §4).
    #[must_use]
    pub fn reason(&self) -> &'a [u8] {
        self.reason
    }
    /// Whether this is an interim (1xx, other than 101) response; a final one follows.
    #[must_use]
    pub fn is_interim(&self) -> bool {
        (100..200).contains(&self.status) && self.status != 101
    }
    /// The header fields, in order.
    #[must_use]
    pub fn fields(&self) -> Fields<'a> {
        self.fields
    }
    /// The value of the first field called `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&'a [u8]> {
        self.fields.first(name)
    }
    /// The value of the first field called `name`, if it is valid UTF-8.
    #[must_use]
    pub fn header_str(&self, name: &str) -> Option<&'a str> {
        self.fields.first_str(name)
    }
    /// How the body is delimited.
    #[must_use]
    pub fn framing(&self) -> Framing {
        self.framing
    }
    /// Why the body got that framing.
    #[must_use]
    pub fn framing_rule(&self) -> FramingRule {
        self.framing_rule
    }
    /// Whether the connection may be reused after this response.
    #[must_use]
    pub fn keep_alive(&self) -> bool {
        self.keep_alive
    }
    /// The whole head, status line to the blank line.
    #[must_use]
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }
    /// Where the status line sits in [`raw`](Self::raw), CRLF included.
    #[must_use]
    pub fn status_line_span(&self) -> Range<usize> {
        self.status_line.0..self.status_line.1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_framing_rule_is_in_the_message_length_list_for_its_messages() {
        use FramingRule::*;
        let all = [
            (HeadResponse, Applies::Responses),
            (StatusWithoutBody, Applies::Responses),
            (ConnectTunnel, Applies::Responses),
            (Chunked, Applies::Both),
            (TransferEncodingToClose, Applies::Both),
            (ContentLength, Applies::Both),
            (RequestWithoutLength, Applies::Requests),
            (ResponseToClose, Applies::Responses),
        ];
        for (rule, applies) in all {
            let listed = MESSAGE_LENGTH_RULES[usize::from(rule.number()) - 1];
            assert_eq!(listed.number, rule.number(), "{}", rule.name());
            assert_eq!(listed.applies, applies, "{}", rule.name());
            assert!(!rule.name().is_empty() && !listed.text.is_empty());
        }
        for (i, r) in MESSAGE_LENGTH_RULES.iter().enumerate() {
            assert_eq!(usize::from(r.number), i + 1);
        }
    }

    #[test]
    fn framing_faults_name_a_rule_that_speaks_of_both_directions() {
        use crate::ParseError::*;
        for e in [
            ContentLengthWithTransferEncoding,
            ChunkedNotLast,
            UnknownTransferCoding,
            InvalidContentLength,
            ConflictingContentLength,
        ] {
            let n = e.message_length_rule().expect("a framing fault");
            assert!((3..=5).contains(&n), "{}", e.name());
            assert_eq!(
                MESSAGE_LENGTH_RULES[usize::from(n) - 1].applies,
                Applies::Both
            );
        }
        assert_eq!(TransferEncodingInHttp10.message_length_rule(), None);
    }
}
