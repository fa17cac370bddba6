//! Errors of each layer: what the peer got wrong (with the status it earns) and what the
//! caller got wrong.

use core::fmt;

/// Something the peer sent that breaks HTTP/1.1 or a [`Limits`](crate::Limits) bound.
///
/// Every variant knows the status a server answers with ([`ParseError::status`]). Errors
/// are sticky: once a parser returned one, every later call returns the same.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseError {
    /// The request line is longer than `Limits::max_request_line` (414).
    RequestLineTooLong,
    /// The head is longer than `Limits::max_head_bytes` (431).
    HeadTooLarge,
    /// More header fields than `Limits::max_headers` (431).
    TooManyHeaders,
    /// The declared or received body is larger than `Limits::max_body` (413).
    BodyTooLarge,
    /// The trailer section is larger than `Limits::max_trailer_bytes` (431).
    TrailersTooLarge,
    /// The method is not a token (400).
    InvalidMethod,
    /// The request-target is empty, has bytes outside visible ASCII, or has a form the
    /// method does not allow (400).
    InvalidTarget,
    /// The request or status line is not `a SP b SP c` (400).
    MalformedStartLine,
    /// The HTTP-version is not `HTTP/d.d` (400).
    InvalidVersion,
    /// The HTTP major version is not 1 (505).
    UnsupportedVersion,
    /// A line ends in a bare LF, or a CR is not followed by LF (400).
    InvalidLineEnding,
    /// A field name is empty or has a byte that is not a token character (400).
    InvalidHeaderName,
    /// Whitespace between a field name and its colon, RFC 9112 §5.1 (400).
    WhitespaceBeforeColon,
    /// A field line has no colon (400).
    MissingColon,
    /// A field line starts with whitespace (obs-fold, RFC 9112 §5.2) (400).
    ObsoleteLineFolding,
    /// A field value holds NUL, a bare CR or another control byte (400).
    InvalidHeaderValue,
    /// An HTTP/1.1 request has no Host field (400).
    MissingHost,
    /// A request has more than one Host field (400).
    MultipleHost,
    /// A request has an invalid Host field value (400).
    InvalidHost,
    /// Both Content-Length and Transfer-Encoding are present (400).
    ContentLengthWithTransferEncoding,
    /// Content-Length values disagree (400).
    ConflictingContentLength,
    /// A Content-Length is not plain digits, or overflows (400).
    InvalidContentLength,
    /// Transfer-Encoding names a coding this engine does not implement (501).
    UnknownTransferCoding,
    /// Transfer-Encoding's last coding is not chunked, or chunked appears twice (400).
    ChunkedNotLast,
    /// Transfer-Encoding in an HTTP/1.0 message (RFC 9112 §6.1: faulty framing) (400).
    TransferEncodingInHttp10,
    /// A chunk-size is not hex digits or is followed by junk (400).
    InvalidChunkSize,
    /// A chunk-size does not fit in 64 bits (400).
    ChunkSizeOverflow,
    /// A chunk-size line (with extensions) is longer than `Limits::max_chunk_line` (400).
    ChunkLineTooLong,
    /// A chunk extension is not `;name[=value]` (400).
    InvalidChunkExtension,
    /// Chunk data is not followed by CRLF (400).
    MissingChunkTerminator,
    /// A response status line is malformed (client side).
    InvalidStatusLine,
    /// A response status code is not three digits in 100..=599 (client side).
    InvalidStatusCode,
    /// The connection ended before the message was complete.
    UnexpectedEof,
}

impl ParseError {
    /// The status a server answers this error with: 400, 413, 414, 431, 501 or 505.
    ///
    /// For client-side errors (status line, early EOF) it is 400, though a client only
    /// reports them.
    #[must_use]
    pub fn status(self) -> u16 {
        use ParseError::*;
        match self {
            RequestLineTooLong => 414,
            HeadTooLarge | TooManyHeaders | TrailersTooLarge => 431,
            BodyTooLarge => 413,
            UnknownTransferCoding => 501,
            UnsupportedVersion => 505,
            _ => 400,
        }
    }
    /// The variant's name, as written in the source (`"ConflictingContentLength"`), for
    /// programs and logs: stable, unlike the `Display` text, and no `Debug` parsing.
    #[must_use]
    pub fn name(self) -> &'static str {
        use ParseError::*;
        match self {
            RequestLineTooLong => "RequestLineTooLong",
            HeadTooLarge => "HeadTooLarge",
            TooManyHeaders => "TooManyHeaders",
            BodyTooLarge => "BodyTooLarge",
            TrailersTooLarge => "TrailersTooLarge",
            InvalidMethod => "InvalidMethod",
            InvalidTarget => "InvalidTarget",
            MalformedStartLine => "MalformedStartLine",
            InvalidVersion => "InvalidVersion",
            UnsupportedVersion => "UnsupportedVersion",
            InvalidLineEnding => "InvalidLineEnding",
            InvalidHeaderName => "InvalidHeaderName",
            WhitespaceBeforeColon => "WhitespaceBeforeColon",
            MissingColon => "MissingColon",
            ObsoleteLineFolding => "ObsoleteLineFolding",
            InvalidHeaderValue => "InvalidHeaderValue",
            MissingHost => "MissingHost",
            MultipleHost => "MultipleHost",
            InvalidHost => "InvalidHost",
            ContentLengthWithTransferEncoding => "ContentLengthWithTransferEncoding",
            ConflictingContentLength => "ConflictingContentLength",
            InvalidContentLength => "InvalidContentLength",
            UnknownTransferCoding => "UnknownTransferCoding",
            ChunkedNotLast => "ChunkedNotLast",
            TransferEncodingInHttp10 => "TransferEncodingInHttp10",
            InvalidChunkSize => "InvalidChunkSize",
            ChunkSizeOverflow => "ChunkSizeOverflow",
            ChunkLineTooLong => "ChunkLineTooLong",
            InvalidChunkExtension => "InvalidChunkExtension",
            MissingChunkTerminator => "MissingChunkTerminator",
            InvalidStatusLine => "InvalidStatusLine",
            InvalidStatusCode => "InvalidStatusCode",
            UnexpectedEof => "UnexpectedEof",
        }
    }

    /// The RFC section that states the rule the peer broke (`"RFC 9112 §6.3"`), or, for a
    /// bound of [`Limits`](crate::Limits), the one that defines the status it earns.
    #[must_use]
    pub fn rfc(self) -> &'static str {
        use ParseError::*;
        match self {
            RequestLineTooLong => "RFC 9112 §3, RFC 9110 §15.5.15",
            HeadTooLarge | TooManyHeaders | TrailersTooLarge => "RFC 6585 §5",
            BodyTooLarge => "RFC 9110 §15.5.14",
            InvalidMethod => "RFC 9110 §9.1",
            InvalidTarget | MissingHost | MultipleHost => "RFC 9112 §3.2",
            MalformedStartLine => "RFC 9112 §3",
            InvalidVersion => "RFC 9112 §2.3",
            UnsupportedVersion => "RFC 9110 §15.6.6",
            InvalidLineEnding => "RFC 9112 §2.2",
            InvalidHeaderName => "RFC 9110 §5.1",
            WhitespaceBeforeColon => "RFC 9112 §5.1",
            MissingColon => "RFC 9112 §5",
            ObsoleteLineFolding => "RFC 9112 §5.2",
            InvalidHeaderValue => "RFC 9110 §5.5",
            InvalidHost => "RFC 9110 §7.2",
            ContentLengthWithTransferEncoding => "RFC 9112 §6.1, §6.3",
            ConflictingContentLength => "RFC 9112 §6.3",
            InvalidContentLength => "RFC 9110 §8.6",
            UnknownTransferCoding | ChunkedNotLast | TransferEncodingInHttp10 => "RFC 9112 §6.1",
            InvalidChunkSize | ChunkSizeOverflow | ChunkLineTooLong | MissingChunkTerminator => {
                "RFC 9112 §7.1"
            }
            InvalidChunkExtension => "RFC 9112 §7.1.1",
            InvalidStatusLine => "RFC 9112 §4",
            InvalidStatusCode => "RFC 9110 §15",
            UnexpectedEof => "RFC 9112 §8",
        }
    }

    /// For a framing fault, the rule of RFC 9112 §6.3's ordered list of message-length
    /// rules (1 to 8) that refused the message: 3 for Content-Length with
    /// Transfer-Encoding, 4 for a Transfer-Encoding that cannot frame it, 5 for an invalid
    /// or conflicting Content-Length. `None` for every other error, framing included when
    /// it is refused before the rules apply (Transfer-Encoding in HTTP/1.0, §6.1).
    #[must_use]
    pub fn message_length_rule(self) -> Option<u8> {
        use ParseError::*;
        match self {
            ContentLengthWithTransferEncoding => Some(3),
            ChunkedNotLast | UnknownTransferCoding => Some(4),
            InvalidContentLength | ConflictingContentLength => Some(5),
            _ => None,
        }
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ParseError::*;
        f.write_str(match self {
            RequestLineTooLong => "request line too long",
            HeadTooLarge => "header section too large",
            TooManyHeaders => "too many header fields",
            BodyTooLarge => "body larger than allowed",
            TrailersTooLarge => "trailer section too large",
            InvalidMethod => "method is not a token",
            InvalidTarget => "invalid request-target",
            MalformedStartLine => "malformed start line",
            InvalidVersion => "malformed http version",
            UnsupportedVersion => "http major version not supported",
            InvalidLineEnding => "line not ended by crlf",
            InvalidHeaderName => "invalid field name",
            WhitespaceBeforeColon => "whitespace between field name and colon",
            MissingColon => "field line without colon",
            ObsoleteLineFolding => "obsolete line folding",
            InvalidHeaderValue => "invalid byte in field value",
            MissingHost => "http/1.1 request without host",
            MultipleHost => "more than one host field",
            InvalidHost => "invalid host field",
            ContentLengthWithTransferEncoding => {
                "content-length and transfer-encoding both present"
            }
            ConflictingContentLength => "conflicting content-length values",
            InvalidContentLength => "invalid content-length",
            UnknownTransferCoding => "unknown transfer coding",
            ChunkedNotLast => "chunked is not the last transfer coding",
            TransferEncodingInHttp10 => "transfer-encoding in an http/1.0 message",
            InvalidChunkSize => "invalid chunk size",
            ChunkSizeOverflow => "chunk size overflows",
            ChunkLineTooLong => "chunk size line too long",
            InvalidChunkExtension => "invalid chunk extension",
            MissingChunkTerminator => "chunk data not followed by crlf",
            InvalidStatusLine => "malformed status line",
            InvalidStatusCode => "invalid status code",
            UnexpectedEof => "connection closed before the message was complete",
        })
    }
}

impl core::error::Error for ParseError {}

/// A parser was used out of order: a bug in the caller, never the peer's fault.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UsageError {
    /// `start_next` was called before the current message reached `End`.
    MessageNotFinished,
    /// Body bytes were passed by the caller while no Content-Length body was being read,
    /// or more of them than it has left.
    NotInBody,
}

impl fmt::Display for UsageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UsageError::MessageNotFinished => f.write_str("the current message is not finished"),
            UsageError::NotInBody => {
                f.write_str("more body bytes passed than the content-length has left")
            }
        }
    }
}

impl core::error::Error for UsageError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;

    /// Every variant, in declaration order.
    const ALL: [ParseError; 33] = [
        ParseError::RequestLineTooLong,
        ParseError::HeadTooLarge,
        ParseError::TooManyHeaders,
        ParseError::BodyTooLarge,
        ParseError::TrailersTooLarge,
        ParseError::InvalidMethod,
        ParseError::InvalidTarget,
        ParseError::MalformedStartLine,
        ParseError::InvalidVersion,
        ParseError::UnsupportedVersion,
        ParseError::InvalidLineEnding,
        ParseError::InvalidHeaderName,
        ParseError::WhitespaceBeforeColon,
        ParseError::MissingColon,
        ParseError::ObsoleteLineFolding,
        ParseError::InvalidHeaderValue,
        ParseError::MissingHost,
        ParseError::MultipleHost,
        ParseError::InvalidHost,
        ParseError::ContentLengthWithTransferEncoding,
        ParseError::ConflictingContentLength,
        ParseError::InvalidContentLength,
        ParseError::UnknownTransferCoding,
        ParseError::ChunkedNotLast,
        ParseError::TransferEncodingInHttp10,
        ParseError::InvalidChunkSize,
        ParseError::ChunkSizeOverflow,
        ParseError::ChunkLineTooLong,
        ParseError::InvalidChunkExtension,
        ParseError::MissingChunkTerminator,
        ParseError::InvalidStatusLine,
        ParseError::InvalidStatusCode,
        ParseError::UnexpectedEof,
    ];

    #[test]
    fn every_parse_error_has_its_name_section_and_a_lower_case_text() {
        for e in ALL {
            assert_eq!(e.name(), format!("{e:?}"));
            assert!(e.rfc().starts_with("RFC "), "{e:?}");
            let text = format!("{e}");
            assert!(
                text.chars().next().is_some_and(char::is_lowercase),
                "{text}"
            );
            assert!(
                matches!(e.status(), 400 | 413 | 414 | 431 | 501 | 505),
                "{e:?}"
            );
        }
    }
}
