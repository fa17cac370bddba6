//! Writing heads and chunked bodies into a caller's `Vec<u8>`.

use crate::decide::Reply;
use crate::head::Method;
use alloc::vec::Vec;

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
}

/// The reason phrase for a status code (empty for unknown codes).
#[must_use]
pub fn reason_phrase(status: u16) -> &'static str {
    let _ = status;
    todo!()
}

impl Reply {
    /// Appends the status line and header section (ending in the blank line) to `out`.
    pub fn write_head(&self, out: &mut Vec<u8>) {
        let _ = out;
        todo!()
    }
}

/// Appends an HTTP/1.1 request head: `METHOD target HTTP/1.1`, then `fields` in order,
/// then the blank line. The caller includes Host.
pub fn write_request_head(
    out: &mut Vec<u8>,
    method: Method<'_>,
    target: &str,
    fields: &[(&str, &str)],
) -> Result<(), WriteError> {
    let _ = (out, method, target, fields);
    todo!()
}

/// Appends one chunk holding `data` (nothing when `data` is empty: an empty chunk would end
/// the body).
pub fn write_chunk(out: &mut Vec<u8>, data: &[u8]) {
    let _ = (out, data);
    todo!()
}

/// Appends the last chunk, the given trailer fields and the final CRLF.
pub fn write_last_chunk(out: &mut Vec<u8>, trailers: &[(&str, &str)]) -> Result<(), WriteError> {
    let _ = (out, trailers);
    todo!()
}
