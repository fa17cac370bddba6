//! The fields that decide framing and connection handling, gathered while a head is read:
//! Content-Length (RFC 9110 §8.6), Transfer-Encoding (RFC 9112 §6.1), Connection
//! (RFC 9110 §7.6.1), Host (RFC 9110 §7.2) and Expect (RFC 9110 §10.1.1).

use super::fields::{parse_fields, Fail, Parsed};
use crate::error::ParseError;
use crate::head::FieldSpan;
use crate::limits::Limits;
use alloc::vec::Vec;

/// What the special fields of one head said.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Facts {
    /// The Content-Length, once valid; `cl_error` if not.
    pub content_length: Option<u64>,
    pub cl_error: Option<(ParseError, usize)>,
    pub cl_at: usize,
    /// Transfer-Encoding was present (at this line).
    pub te_at: Option<usize>,
    pub te_last_chunked: bool,
    pub te_chunked_count: u32,
    pub te_other: bool,
    /// Connection: close / keep-alive.
    pub close: bool,
    pub keep_alive: bool,
    /// Host fields: how many, the first value's range and line.
    pub host_count: u32,
    pub host: (usize, usize),
    pub host_at: usize,
    pub second_host_at: usize,
    /// Expect: 100-continue.
    pub expect_continue: bool,
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// The non-empty elements of a comma-separated list (RFC 9110 §5.6.1: empty ones are ignored).
fn elements(v: &[u8]) -> impl Iterator<Item = &[u8]> {
    v.split(|&b| b == b',').map(trim).filter(|e| !e.is_empty())
}

/// The first letter (lower case) of the field names `Facts` looks at, by name length;
/// 0 where none has that length.
static FIRST_BY_LEN: [u8; 18] = {
    let mut t = [0u8; 18];
    t[4] = b'h'; // host
    t[6] = b'e'; // expect
    t[10] = b'c'; // connection
    t[14] = b'c'; // content-length
    t[17] = b't'; // transfer-encoding
    t
};

impl Facts {
    /// Looks at one field line: `name` and `value` as read, `value_at` the value's offset
    /// and `line_at` the line's.
    ///
    /// Length and first letter pass over most names here, without a call.
    #[inline(always)]
    pub(crate) fn see(&mut self, name: &[u8], value: &[u8], value_at: usize, line_at: usize) {
        if let (Some(&want), Some(&first)) = (FIRST_BY_LEN.get(name.len()), name.first()) {
            if first | 0x20 == want {
                self.see_special(name, value, value_at, line_at);
            }
        }
    }

    /// `see` for a name that may be one of those looked at.
    #[inline]
    fn see_special(&mut self, name: &[u8], value: &[u8], value_at: usize, line_at: usize) {
        match name.len() {
            4 if name.eq_ignore_ascii_case(b"host") => {
                self.host_count += 1;
                if self.host_count == 1 {
                    self.host = (value_at, value_at + value.len());
                    self.host_at = line_at;
                } else if self.host_count == 2 {
                    self.second_host_at = line_at;
                }
            }
            6 if name.eq_ignore_ascii_case(b"expect")
                && value.eq_ignore_ascii_case(b"100-continue") =>
            {
                self.expect_continue = true;
            }
            10 if name.eq_ignore_ascii_case(b"connection") => {
                // One option alone (values arrive without OWS around them) needs no split.
                if value.eq_ignore_ascii_case(b"keep-alive") {
                    self.keep_alive = true;
                    return;
                }
                if value.eq_ignore_ascii_case(b"close") {
                    self.close = true;
                    return;
                }
                for e in elements(value) {
                    if e.eq_ignore_ascii_case(b"close") {
                        self.close = true;
                    } else if e.eq_ignore_ascii_case(b"keep-alive") {
                        self.keep_alive = true;
                    }
                }
            }
            14 if name.eq_ignore_ascii_case(b"content-length") => {
                self.see_content_length(value, line_at)
            }
            17 if name.eq_ignore_ascii_case(b"transfer-encoding") => {
                self.te_at.get_or_insert(line_at);
                for e in elements(value) {
                    if e.eq_ignore_ascii_case(b"chunked") {
                        self.te_chunked_count += 1;
                        self.te_last_chunked = true;
                    } else {
                        self.te_other = true;
                        self.te_last_chunked = false;
                    }
                }
            }
            _ => {}
        }
    }

    /// Content-Length = 1*DIGIT. A list of identical values (or repeated identical fields)
    /// stands for that one value; differing values are an error (RFC 9110 §8.6,
    /// RFC 9112 §6.3 rule 5).
    fn see_content_length(&mut self, value: &[u8], line_at: usize) {
        if self.cl_error.is_some() {
            return;
        }
        self.cl_at = line_at;
        let mut any = false;
        for part in value.split(|&b| b == b',') {
            let part = trim(part);
            any = true;
            let mut n: u64 = 0;
            let ok = !part.is_empty()
                && part.iter().all(|&d| {
                    d.is_ascii_digit()
                        && match n
                            .checked_mul(10)
                            .and_then(|m| m.checked_add(u64::from(d - b'0')))
                        {
                            Some(m) => {
                                n = m;
                                true
                            }
                            None => false,
                        }
                });
            if !ok {
                self.cl_error = Some((ParseError::InvalidContentLength, line_at));
                return;
            }
            match self.content_length {
                Some(prev) if prev != n => {
                    self.cl_error = Some((ParseError::ConflictingContentLength, line_at));
                    return;
                }
                _ => self.content_length = Some(n),
            }
        }
        if !any {
            self.cl_error = Some((ParseError::InvalidContentLength, line_at));
        }
    }

    /// Transfer-Encoding checks shared by both directions: not in HTTP/1.0 (RFC 9112 §6.1),
    /// never with Content-Length (§6.3 rule 3, treated as an error as the RFC advises),
    /// chunked at most once, and no coding besides chunked (§6.1; we implement no other).
    pub(crate) fn check_transfer_encoding(
        &self,
        http10: bool,
        request: bool,
    ) -> Result<(), (ParseError, usize)> {
        let Some(at) = self.te_at else { return Ok(()) };
        if http10 {
            return Err((ParseError::TransferEncodingInHttp10, at));
        }
        if self.content_length.is_some() || self.cl_error.is_some() {
            return Err((ParseError::ContentLengthWithTransferEncoding, at));
        }
        if self.te_chunked_count > 1 || (request && !self.te_last_chunked) {
            // A request whose final coding is not chunked cannot be delimited: 400 (§6.3 rule 4).
            return Err((ParseError::ChunkedNotLast, at));
        }
        if self.te_other && self.te_last_chunked {
            return Err((ParseError::UnknownTransferCoding, at));
        }
        Ok(())
    }
}

/// Bytes of a reg-name or IPv4 address: unreserved, sub-delims and `%` (RFC 3986 §3.2.2).
static HOST: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'-' | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'%'
            );
        i += 1;
    }
    t
};

/// Host = uri-host [ ":" port ] (RFC 9110 §7.2); empty is allowed.
pub(crate) fn valid_host(h: &[u8]) -> bool {
    if let [b'[', ..] = h {
        // IP-literal, then an optional port.
        let Some(close) = h.iter().position(|&b| b == b']') else {
            return false;
        };
        let inner = &h[1..close];
        let port = match &h[close + 1..] {
            [] => &b""[..],
            [b':', port @ ..] => port,
            _ => return false,
        };
        return !inner.is_empty()
            && inner
                .iter()
                .all(|&b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
            && port.iter().all(u8::is_ascii_digit);
    }
    // reg-name or IPv4, then an optional port: one pass over the bytes, counting colons.
    let mut colons = 0u32;
    let mut last_colon = h.len();
    let mut ok = true;
    for (i, &b) in h.iter().enumerate() {
        if b == b':' {
            colons += 1;
            last_colon = i;
        } else {
            ok &= HOST[b as usize];
        }
    }
    ok && (colons == 0 || (colons == 1 && h[last_colon + 1..].iter().all(u8::is_ascii_digit)))
}

/// Reads the field lines of a head from `line_end` (just past the start line) to the blank
/// line, gathering `facts` on the way; returns the head's length.
#[inline]
pub(crate) fn head_fields(
    buf: &[u8],
    line_end: usize,
    head_limit: usize,
    limits: &Limits,
    fields: &mut Vec<FieldSpan>,
    facts: &mut Facts,
) -> Result<Parsed<usize>, Fail> {
    parse_fields(
        buf,
        line_end,
        head_limit,
        ParseError::HeadTooLarge,
        limits.max_headers,
        ParseError::TooManyHeaders,
        fields,
        |name, value, span| {
            facts.see(
                name,
                value,
                span.value_start as usize,
                span.line_start as usize,
            )
        },
    )
}
