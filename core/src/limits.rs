//! Every bound the core enforces, in one place.

/// The bounds a parser enforces. Going past one is a [`ParseError`](crate::ParseError)
/// that names the status to answer.
///
/// Each default says why it was chosen; all can be raised or lowered by the embedder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest request line (method, target, version and CRLF), in bytes. Past it: 414.
    ///
    /// Default 8 KiB: RFC 9112 §3 recommends supporting at least 8000 octets; nginx's
    /// `large_client_header_buffers` and Apache's `LimitRequestLine` both use 8 KiB.
    pub max_request_line: usize,
    /// Longest response status line, in bytes (client side). Past it: a malformed response.
    ///
    /// Default 8 KiB, the same reasoning as `max_request_line`.
    pub max_status_line: usize,
    /// Most bytes in a whole head (start line, fields and the blank line). Past it: 431.
    ///
    /// Default 64 KiB: well above what browsers send (cookies included) and h11's 16 KiB,
    /// below what lets a peer make the server buffer much per connection.
    pub max_head_bytes: usize,
    /// Most header fields in one head (trailers count separately). Past it: 431.
    ///
    /// Default 100: Apache's `LimitRequestFields` and Tomcat's `maxHeaderCount` use 100.
    pub max_headers: usize,
    /// Largest body, in bytes, declared or received (sum of chunks). Past it: 413.
    ///
    /// This is the upload limit too (`simple-server --max-upload` sets it), checked only
    /// here: a request whose Content-Length is above it is refused with its head, before
    /// any body byte is read or `100 Continue` sent, and a chunked body as soon as its
    /// chunks pass it. [`decide`](crate::decide()) never sees a larger upload.
    ///
    /// Default 1 GiB, the server's default `--max-upload`.
    pub max_body: u64,
    /// Longest chunk-size line (size, extensions and CRLF), in bytes. Past it: 400.
    ///
    /// Default 4 KiB: extensions are nearly never used; node caps the whole line near 16 KiB.
    pub max_chunk_line: usize,
    /// Most bytes of trailer section after the last chunk. Past it: 431.
    ///
    /// Default 16 KiB: trailers are rare and small.
    pub max_trailer_bytes: usize,
    /// Most interim (1xx) responses a client accepts before the final one. Past it: the
    /// response is refused ([`ClientError::TooManyInterim`](crate::ClientError)).
    ///
    /// Default 32: a server sends one `100 Continue` and perhaps a `103 Early Hints` or a few
    /// `102 Processing`; each one is progress, so without a bound a server could hold a client
    /// forever while no read ever times out.
    pub max_interim_responses: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_request_line: 8 * 1024,
            max_status_line: 8 * 1024,
            max_head_bytes: 64 * 1024,
            max_headers: 100,
            max_body: 1 << 30,
            max_chunk_line: 4 * 1024,
            max_trailer_bytes: 16 * 1024,
            max_interim_responses: 32,
        }
    }
}
