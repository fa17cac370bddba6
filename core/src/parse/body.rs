//! Body framing: Content-Length, chunked (extensions and trailers), close-delimited.
