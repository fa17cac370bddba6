//! Writing request heads and chunked bodies into a caller's `Vec<u8>`, and the reason
//! phrases of status lines. A reply's head is written by
//! [`Reply::write_head`](crate::Reply::write_head).
//!
//! Nothing here allocates per header: names and values are copied straight into `out`,
//! numbers go through a stack buffer.

use crate::head::Method;
use alloc::vec::Vec;
use core::fmt;

/// A request the caller asked to write is not valid HTTP: a misuse, never the peer's fault.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteError {
    /// The target is empty or holds bytes outside visible ASCII.
    InvalidTarget,
    /// A field name is not a token.
    InvalidHeaderName,
    /// A field value holds CR, LF, NUL or another control byte.
    InvalidHeaderValue,
    /// The method is not a token.
    InvalidMethod,
}

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            WriteError::InvalidTarget => "request-target is empty or not visible ascii",
            WriteError::InvalidHeaderName => "field name is not a token",
            WriteError::InvalidHeaderValue => "field value holds a control byte",
            WriteError::InvalidMethod => "method is not a token",
        })
    }
}

impl core::error::Error for WriteError {}

/// The reason phrase for a status code (empty for unknown codes), RFC 9110 §15.
#[must_use]
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        101 => "Switching Protocols",
        200 => "OK",
        201 => "Created",
        202 => "Accepted",
        203 => "Non-Authoritative Information",
        204 => "No Content",
        205 => "Reset Content",
        206 => "Partial Content",
        300 => "Multiple Choices",
        301 => "Moved Permanently",
        302 => "Found",
        303 => "See Other",
        304 => "Not Modified",
        305 => "Use Proxy",
        307 => "Temporary Redirect",
        308 => "Permanent Redirect",
        400 => "Bad Request",
        401 => "Unauthorized",
        402 => "Payment Required",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        409 => "Conflict",
        410 => "Gone",
        411 => "Length Required",
        412 => "Precondition Failed",
        413 => "Content Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        416 => "Range Not Satisfiable",
        417 => "Expectation Failed",
        421 => "Misdirected Request",
        422 => "Unprocessable Content",
        426 => "Upgrade Required",
        // Not in RFC 9110, but statuses this engine answers with (RFC 6585).
        428 => "Precondition Required",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        505 => "HTTP Version Not Supported",
        // RFC 4918, the answer to a full disk.
        507 => "Insufficient Storage",
        _ => "",
    }
}

/// Decimal digits of `n` in a stack buffer: `(buf, start)`, the digits being `buf[start..]`.
pub(crate) fn itoa(mut n: u64) -> ([u8; 20], usize) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return (buf, i);
        }
    }
}

/// Lower-case hex digits of `n` in a stack buffer, as [`itoa`].
fn hex(mut n: u64) -> ([u8; 16], usize) {
    let mut buf = [0u8; 16];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b"0123456789abcdef"[(n & 15) as usize];
        n >>= 4;
        if n == 0 {
            return (buf, i);
        }
    }
}

fn is_token(s: &str) -> bool {
    crate::parse::is_token(s.as_bytes())
}

/// field-value, RFC 9110 §5.5: visible characters, SP, HTAB and obs-text; no leading or
/// trailing whitespace.
fn is_field_value(s: &str) -> bool {
    let b = s.as_bytes();
    let ok = b
        .iter()
        .all(|&c| c == b'\t' || c == b' ' || (0x21..=0x7e).contains(&c) || c >= 0x80);
    let trimmed =
        !matches!(b.first(), Some(b' ' | b'\t')) && !matches!(b.last(), Some(b' ' | b'\t'));
    ok && trimmed
}

fn put_fields(out: &mut Vec<u8>, fields: &[(&str, &str)]) -> Result<(), WriteError> {
    for (name, value) in fields {
        if !is_token(name) {
            return Err(WriteError::InvalidHeaderName);
        }
        if !is_field_value(value) {
            return Err(WriteError::InvalidHeaderValue);
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    Ok(())
}

/// Appends an HTTP/1.1 request head: `METHOD target HTTP/1.1`, then `fields` in order,
/// then the blank line. The caller includes Host.
///
/// On error nothing is appended.
///
/// ```
/// use simplehttp_core::{write::write_request_head, Method};
/// let mut out = Vec::new();
/// write_request_head(&mut out, Method::Get, "/a.txt", &[("Host", "example.com")]).unwrap();
/// assert_eq!(out, b"GET /a.txt HTTP/1.1\r\nHost: example.com\r\n\r\n");
/// ```
pub fn write_request_head(
    out: &mut Vec<u8>,
    method: Method<'_>,
    target: &str,
    fields: &[(&str, &str)],
) -> Result<(), WriteError> {
    if !is_token(method.as_str()) {
        return Err(WriteError::InvalidMethod);
    }
    if target.is_empty() || !target.bytes().all(|b| (0x21..=0x7e).contains(&b)) {
        return Err(WriteError::InvalidTarget);
    }
    let mark = out.len();
    out.extend_from_slice(method.as_str().as_bytes());
    out.push(b' ');
    out.extend_from_slice(target.as_bytes());
    out.extend_from_slice(b" HTTP/1.1\r\n");
    if let Err(e) = put_fields(out, fields) {
        out.truncate(mark);
        return Err(e);
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

/// Appends one chunk holding `data` (nothing when `data` is empty: an empty chunk would end
/// the body).
///
/// ```
/// let mut out = Vec::new();
/// simplehttp_core::write::write_chunk(&mut out, b"hello, world");
/// assert_eq!(out, b"c\r\nhello, world\r\n");
/// ```
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    if data.is_empty() {
        return;
    }
    let (buf, start) = hex(data.len() as u64);
    out.reserve(data.len() + 20);
    out.extend_from_slice(&buf[start..]);
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(data);
    out.extend_from_slice(b"\r\n");
}

/// Appends the last chunk, the given trailer fields and the final CRLF.
///
/// On error nothing is appended.
pub fn write_last_chunk(out: &mut Vec<u8>, trailers: &[(&str, &str)]) -> Result<(), WriteError> {
    let mark = out.len();
    out.extend_from_slice(b"0\r\n");
    if let Err(e) = put_fields(out, trailers) {
        out.truncate(mark);
        return Err(e);
    }
    out.extend_from_slice(b"\r\n");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    #[test]
    fn every_rfc_9110_status_has_a_reason() {
        let codes = [
            100, 101, 200, 201, 202, 203, 204, 205, 206, 300, 301, 302, 303, 304, 305, 307, 308,
            400, 401, 402, 403, 404, 405, 406, 407, 408, 409, 410, 411, 412, 413, 414, 415, 416,
            417, 421, 422, 426, 500, 501, 502, 503, 504, 505,
        ];
        for c in codes {
            assert!(!reason_phrase(c).is_empty(), "{c}");
        }
        assert_eq!(reason_phrase(599), "");
        assert_eq!(reason_phrase(413), "Content Too Large");
    }

    #[test]
    fn itoa_and_hex_cover_the_extremes() {
        for n in [0u64, 9, 10, 99, 100, 12345, u64::MAX] {
            let (b, s) = itoa(n);
            assert_eq!(
                core::str::from_utf8(&b[s..]).unwrap(),
                alloc::format!("{n}")
            );
            let (b, s) = hex(n);
            assert_eq!(
                core::str::from_utf8(&b[s..]).unwrap(),
                alloc::format!("{n:x}")
            );
        }
    }

    #[test]
    fn request_head_refuses_what_is_not_http() {
        type Row<'a> = (Method<'a>, &'a str, &'a [(&'a str, &'a str)], WriteError);
        let table: &[Row<'_>] = &[
            (Method::Get, "", &[], WriteError::InvalidTarget),
            (Method::Get, "/a b", &[], WriteError::InvalidTarget),
            (Method::Get, "/a\r\nX: y", &[], WriteError::InvalidTarget),
            (Method::Get, "/é", &[], WriteError::InvalidTarget),
            (Method::Other("GE T"), "/", &[], WriteError::InvalidMethod),
            (Method::Other(""), "/", &[], WriteError::InvalidMethod),
            (
                Method::Get,
                "/",
                &[("Ho st", "x")],
                WriteError::InvalidHeaderName,
            ),
            (
                Method::Get,
                "/",
                &[("", "x")],
                WriteError::InvalidHeaderName,
            ),
            (
                Method::Get,
                "/",
                &[("Host:", "x")],
                WriteError::InvalidHeaderName,
            ),
            (
                Method::Get,
                "/",
                &[("X", "a\r\nEvil: 1")],
                WriteError::InvalidHeaderValue,
            ),
            (
                Method::Get,
                "/",
                &[("X", "a\nb")],
                WriteError::InvalidHeaderValue,
            ),
            (
                Method::Get,
                "/",
                &[("X", "a\0b")],
                WriteError::InvalidHeaderValue,
            ),
            (
                Method::Get,
                "/",
                &[("X", "a\x7fb")],
                WriteError::InvalidHeaderValue,
            ),
            (
                Method::Get,
                "/",
                &[("X", " a")],
                WriteError::InvalidHeaderValue,
            ),
        ];
        for (method, target, fields, want) in table {
            let mut out = vec![b'k'];
            assert_eq!(
                write_request_head(&mut out, *method, target, fields),
                Err(*want),
                "{target} {fields:?}"
            );
            assert_eq!(out, b"k", "nothing appended on error");
        }
    }

    #[test]
    fn request_head_writes_fields_in_order() {
        let mut out = Vec::new();
        let fields = [
            ("Host", "example.com:8080"),
            ("Accept", "*/*"),
            ("X-Tab", "a\tb"),
            ("Empty", ""),
        ];
        write_request_head(
            &mut out,
            Method::Other("PROPFIND"),
            "http://example.com/x?y",
            &fields,
        )
        .unwrap();
        assert_eq!(
            out,
            b"PROPFIND http://example.com/x?y HTTP/1.1\r\nHost: example.com:8080\r\nAccept: */*\r\n\
              X-Tab: a\tb\r\nEmpty: \r\n\r\n"
        );
    }

    #[test]
    fn chunks_are_hex_sized_and_empty_data_writes_nothing() {
        let mut out = Vec::new();
        write_chunk(&mut out, b"");
        assert!(out.is_empty());
        write_chunk(&mut out, &[b'x'; 255]);
        assert!(out.starts_with(b"ff\r\nxxx"));
        assert!(out.ends_with(b"xx\r\n"));
        assert_eq!(out.len(), 2 + 2 + 255 + 2);
    }

    #[test]
    fn last_chunk_carries_trailers() {
        let mut out = Vec::new();
        write_last_chunk(&mut out, &[]).unwrap();
        assert_eq!(out, b"0\r\n\r\n");
        out.clear();
        write_last_chunk(&mut out, &[("Digest", "sha-256=abc"), ("X", "1")]).unwrap();
        assert_eq!(out, b"0\r\nDigest: sha-256=abc\r\nX: 1\r\n\r\n");
        out.clear();
        assert_eq!(
            write_last_chunk(&mut out, &[("X", "a\r\n")]),
            Err(WriteError::InvalidHeaderValue)
        );
        assert!(out.is_empty());
    }

    #[test]
    fn write_error_display_is_lower_case() {
        for e in [
            WriteError::InvalidTarget,
            WriteError::InvalidHeaderName,
            WriteError::InvalidHeaderValue,
            WriteError::InvalidMethod,
        ] {
            let s = alloc::format!("{e}");
            assert!(s.chars().next().unwrap().is_lowercase(), "{s}");
        }
    }
}
