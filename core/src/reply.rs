//! What [`decide`](crate::decide()) and its neighbours return: a [`Reply`] (status, header
//! fields, a [`Body`] plan for the shell to carry out), and the writer of its head.
//!
//! Nothing here allocates per header: names and values are copied straight into `out`,
//! numbers go through a stack buffer, dates through [`format_http_date`]'s fixed array.

use crate::date::format_http_date;
use crate::decide::ExtraHeader;
use crate::listing::Listing;
use crate::rule::Rule;
use crate::target::StorePath;
use crate::write::{itoa, reason_phrase};
use crate::Timestamp;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;

/// A header value in a [`Reply`], formatted only when the head is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// A fixed string.
    Static(&'static str),
    /// A computed string.
    Owned(String),
    /// A decimal number.
    Number(u64),
    /// An HTTP-date (IMF-fixdate).
    Date(Timestamp),
}

/// The plan for the body of a reply, carried out by the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body bytes (HEAD, 204, 304, ...; Content-Length may still describe a file).
    Empty,
    /// These bytes, sent as they are.
    Bytes(Vec<u8>),
    /// A directory listing, rendered a piece at a time ([`Listing::write_next`]) as the
    /// connection drains. To an HTTP/1.1 client the head says `Transfer-Encoding: chunked`
    /// and each piece is a chunk; to an HTTP/1.0 client it has a `Content-Length`
    /// ([`Listing::total_len`]) and the pieces go as they are.
    Listing(Box<Listing>),
    /// `len` bytes of a file from offset `start`.
    File {
        /// The file.
        path: StorePath,
        /// First byte to send.
        start: u64,
        /// How many bytes.
        len: u64,
    },
    /// Read the request body into this upload, then call [`finish`](crate::finish) with the outcome.
    Upload(UploadPlan),
    /// Remove this file, then call [`finish`](crate::finish) with the outcome.
    Remove(StorePath),
}

/// An accepted upload: where it goes and what to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPlan {
    /// The target.
    pub path: StorePath,
    /// Whether a file was there before (204 on success) or not (201 with Location).
    pub existed: bool,
    /// Whether to send `100 Continue` before reading the body.
    pub send_continue: bool,
}

/// A reply: status, fields and a body plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Header fields, in order.
    pub headers: Vec<(&'static str, HeaderValue)>,
    /// What to send (or do) after the head.
    pub body: Body,
    /// Which rule decided it, for logs and the explorer.
    pub rule: Rule,
    /// Close the connection after this reply. A shell may set it (e.g. while shutting down);
    /// the head then says `Connection: close`.
    pub close: bool,
    /// The request was HTTP/1.0 with `Connection: keep-alive`: say `Connection: keep-alive`.
    pub http10_keep_alive: bool,
}

impl Reply {
    /// Whether the head says `Transfer-Encoding: chunked`: the body goes out in chunks
    /// (a [`Body::Listing`]'s pieces, each one chunk, then the last chunk).
    #[must_use]
    pub fn is_chunked(&self) -> bool {
        self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("transfer-encoding")
                && match value {
                    HeaderValue::Static(v) => v.eq_ignore_ascii_case("chunked"),
                    HeaderValue::Owned(v) => v.eq_ignore_ascii_case("chunked"),
                    _ => false,
                }
        })
    }

    /// The value of the first header called `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    /// Appends the status line and header section (ending in the blank line) to `out`.
    ///
    /// The status line always says `HTTP/1.1` (RFC 9110 §6.2: a server sends its own
    /// highest version). `Connection: close` ends the head when [`Reply::close`] is set,
    /// `Connection: keep-alive` when [`Reply::http10_keep_alive`] is.
    ///
    /// ```
    /// use simplehttp_core::{Body, HeaderValue, Reply, Rule, Timestamp};
    /// let reply = Reply {
    ///     status: 404,
    ///     headers: vec![
    ///         ("Date", HeaderValue::Date(Timestamp(784_111_777))),
    ///         ("Content-Length", HeaderValue::Number(0)),
    ///     ],
    ///     body: Body::Empty,
    ///     rule: Rule::NotFound,
    ///     close: true,
    ///     http10_keep_alive: false,
    /// };
    /// let mut out = Vec::new();
    /// reply.write_head(&mut out);
    /// assert_eq!(out, b"HTTP/1.1 404 Not Found\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
    ///                   Content-Length: 0\r\nConnection: close\r\n\r\n");
    /// ```
    pub fn write_head(&self, out: &mut Vec<u8>) {
        self.write_head_with(out, &[]);
    }

    /// [`Reply::write_head`] with `extra` fields after the reply's own: the
    /// [`Policy::headers`](crate::Policy::headers), which the connection engine writes on
    /// every final response.
    ///
    /// ```
    /// use simplehttp_core::decide::ExtraHeader;
    /// use simplehttp_core::{Body, Reply, Rule};
    /// let reply = Reply {
    ///     status: 204,
    ///     headers: vec![],
    ///     body: Body::Empty,
    ///     rule: Rule::Delete,
    ///     close: true,
    ///     http10_keep_alive: false,
    /// };
    /// let mut out = Vec::new();
    /// reply.write_head_with(&mut out, &[ExtraHeader::parse("Cache-Control: no-cache").unwrap()]);
    /// assert_eq!(out, b"HTTP/1.1 204 No Content\r\nCache-Control: no-cache\r\n\
    ///                   Connection: close\r\n\r\n");
    /// ```
    pub fn write_head_with(&self, out: &mut Vec<u8>, extra: &[ExtraHeader]) {
        out.reserve(64 + (self.headers.len() + extra.len()) * 32);
        out.extend_from_slice(b"HTTP/1.1 ");
        let (buf, start) = itoa(u64::from(self.status));
        out.extend_from_slice(&buf[start..]);
        out.push(b' ');
        out.extend_from_slice(reason_phrase(self.status).as_bytes());
        out.extend_from_slice(b"\r\n");
        for (name, value) in &self.headers {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            match value {
                HeaderValue::Static(s) => out.extend_from_slice(s.as_bytes()),
                HeaderValue::Owned(s) => out.extend_from_slice(s.as_bytes()),
                HeaderValue::Number(n) => put_number(out, *n),
                HeaderValue::Date(t) => out.extend_from_slice(&format_http_date(*t)),
            }
            out.extend_from_slice(b"\r\n");
        }
        for field in extra {
            out.extend_from_slice(field.name().as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(field.value().as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        if self.close {
            out.extend_from_slice(b"Connection: close\r\n");
        } else if self.http10_keep_alive {
            out.extend_from_slice(b"Connection: keep-alive\r\n");
        }
        out.extend_from_slice(b"\r\n");
    }
}

fn put_number(out: &mut Vec<u8>, n: u64) {
    let (buf, start) = itoa(n);
    out.extend_from_slice(&buf[start..]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec;

    fn reply(status: u16, headers: Vec<(&'static str, HeaderValue)>) -> Reply {
        Reply {
            status,
            headers,
            body: Body::Empty,
            rule: Rule::NotFound,
            close: false,
            http10_keep_alive: false,
        }
    }

    #[test]
    fn writes_each_header_value_kind() {
        let mut r = reply(
            200,
            vec![
                ("Date", HeaderValue::Date(Timestamp(0))),
                ("Content-Length", HeaderValue::Number(1234567890123)),
                ("Content-Type", HeaderValue::Static("text/plain")),
                ("ETag", HeaderValue::Owned(String::from("\"x\""))),
                ("X-Zero", HeaderValue::Number(0)),
            ],
        );
        let mut out = Vec::new();
        r.write_head(&mut out);
        assert_eq!(
            out,
            b"HTTP/1.1 200 OK\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\nContent-Length: 1234567890123\r\n\
              Content-Type: text/plain\r\nETag: \"x\"\r\nX-Zero: 0\r\n\r\n"
        );
        r.http10_keep_alive = true;
        out.clear();
        r.write_head(&mut out);
        assert!(out.ends_with(b"X-Zero: 0\r\nConnection: keep-alive\r\n\r\n"));
        r.close = true;
        out.clear();
        r.write_head(&mut out);
        assert!(out.ends_with(b"X-Zero: 0\r\nConnection: close\r\n\r\n"));
    }

    #[test]
    fn writes_unknown_status_with_empty_reason() {
        let mut out = Vec::new();
        reply(599, vec![]).write_head(&mut out);
        assert_eq!(out, b"HTTP/1.1 599 \r\n\r\n");
    }
}
