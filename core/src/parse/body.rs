//! Body framing: Content-Length, chunked (extensions and trailers), close-delimited
//! (RFC 9112 §6 and §7.1).
//!
//! ```text
//! chunked-body   = *chunk last-chunk trailer-section CRLF
//! chunk          = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//! chunk-size     = 1*HEXDIG
//! last-chunk     = 1*("0") [ chunk-ext ] CRLF
//! chunk-ext      = *( BWS ";" BWS chunk-ext-name [ BWS "=" BWS chunk-ext-val ] )
//! chunk-ext-val  = token / quoted-string
//! ```

use super::fields::{parse_fields, Fail, Parsed, Rescan, TCHAR};
use crate::error::ParseError;
use crate::head::{FieldSpan, Framing};
use crate::limits::Limits;
use alloc::vec::Vec;

/// Where a body decoder is.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Decoder {
    /// `remaining` bytes still to come.
    Length { remaining: u64 },
    /// A chunked body; `received` counts payload bytes so far.
    Chunked { at: Chunk, received: u64 },
    /// Until the connection closes.
    Close,
    /// The body is complete (or there is none): the next step is `End`.
    Finished,
}

/// Where inside a chunked body.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Chunk {
    /// Before a chunk-size line.
    Size,
    /// Inside chunk data.
    Data { remaining: u64 },
    /// After chunk data, before its CRLF.
    DataEnd,
    /// After the last chunk: the trailer section.
    Trailers,
}

/// What the decoder found.
pub(crate) enum BodyEvent<'a> {
    NeedMore,
    ChunkHeader {
        size: u64,
        extensions: &'a [u8],
    },
    Data(&'a [u8]),
    /// Trailer fields were parsed into the spans vector.
    Trailers,
    End,
}

impl Decoder {
    pub(crate) fn new(framing: Framing) -> Self {
        match framing {
            Framing::None | Framing::Length(0) => Decoder::Finished,
            Framing::Length(n) => Decoder::Length { remaining: n },
            Framing::Chunked => Decoder::Chunked {
                at: Chunk::Size,
                received: 0,
            },
            Framing::Close => Decoder::Close,
        }
    }

    /// One step over `buf`: bytes consumed and what was found.
    pub(crate) fn decode<'a>(
        &mut self,
        buf: &'a [u8],
        limits: &Limits,
        rescan: &mut Rescan,
        trailers: &mut Vec<FieldSpan>,
    ) -> Result<(usize, BodyEvent<'a>), Fail> {
        match self {
            Decoder::Finished => Ok((0, BodyEvent::End)),
            Decoder::Length { remaining } => {
                if buf.is_empty() {
                    return Ok((0, BodyEvent::NeedMore));
                }
                let take = clamp(*remaining, buf.len());
                *remaining -= take as u64;
                if *remaining == 0 {
                    *self = Decoder::Finished;
                }
                Ok((take, BodyEvent::Data(&buf[..take])))
            }
            Decoder::Close => {
                if buf.is_empty() {
                    return Ok((0, BodyEvent::NeedMore));
                }
                Ok((buf.len(), BodyEvent::Data(buf)))
            }
            Decoder::Chunked { at, received } => {
                let mut consumed = 0;
                loop {
                    let rest = &buf[consumed..];
                    match *at {
                        Chunk::Data { remaining } => {
                            if rest.is_empty() {
                                return Ok((consumed, BodyEvent::NeedMore));
                            }
                            let take = clamp(remaining, rest.len());
                            let left = remaining - take as u64;
                            *at = if left == 0 {
                                Chunk::DataEnd
                            } else {
                                Chunk::Data { remaining: left }
                            };
                            return Ok((consumed + take, BodyEvent::Data(&rest[..take])));
                        }
                        Chunk::DataEnd => {
                            match rest {
                                [] | [b'\r'] => return Ok((consumed, BodyEvent::NeedMore)),
                                [b'\r', b'\n', ..] => {}
                                _ => return Err((ParseError::MissingChunkTerminator, consumed)),
                            }
                            consumed += 2;
                            *at = Chunk::Size;
                            rescan.reset();
                        }
                        Chunk::Size => {
                            if rest.is_empty() {
                                return Ok((consumed, BodyEvent::NeedMore));
                            }
                            let limit = limits.max_chunk_line;
                            if !rescan.should_parse(rest, limit, limit, false, true) {
                                return Ok((consumed, BodyEvent::NeedMore));
                            }
                            let (size, ext, len) = match parse_chunk_line(rest, limit) {
                                Ok(Parsed::Complete(c)) => c,
                                Ok(Parsed::Incomplete) => {
                                    rescan.parsed(rest.len());
                                    return Ok((consumed, BodyEvent::NeedMore));
                                }
                                Err((e, off)) => return Err((e, consumed + off)),
                            };
                            rescan.reset();
                            let total = received.saturating_add(size);
                            if total > limits.max_body {
                                return Err((ParseError::BodyTooLarge, consumed));
                            }
                            *received = total;
                            *at = if size == 0 {
                                Chunk::Trailers
                            } else {
                                Chunk::Data { remaining: size }
                            };
                            return Ok((
                                consumed + len,
                                BodyEvent::ChunkHeader {
                                    size,
                                    extensions: &rest[ext.0..ext.1],
                                },
                            ));
                        }
                        Chunk::Trailers => {
                            if rest.is_empty() {
                                return Ok((consumed, BodyEvent::NeedMore));
                            }
                            let limit = limits.max_trailer_bytes;
                            if !rescan.should_parse(rest, limit, limit, true, false) {
                                return Ok((consumed, BodyEvent::NeedMore));
                            }
                            trailers.clear();
                            let parsed = parse_fields(
                                rest,
                                0,
                                limit,
                                ParseError::TrailersTooLarge,
                                limits.max_headers,
                                ParseError::TooManyHeaders,
                                trailers,
                                |_, _, _| {},
                            );
                            match parsed {
                                Ok(Parsed::Complete(end)) => {
                                    rescan.reset();
                                    *self = Decoder::Finished;
                                    let event = if trailers.is_empty() {
                                        BodyEvent::End
                                    } else {
                                        BodyEvent::Trailers
                                    };
                                    return Ok((consumed + end, event));
                                }
                                Ok(Parsed::Incomplete) => {
                                    rescan.parsed(rest.len());
                                    return Ok((consumed, BodyEvent::NeedMore));
                                }
                                Err((e, off)) => return Err((e, consumed + off)),
                            }
                        }
                    }
                }
            }
        }
    }
}

fn clamp(remaining: u64, available: usize) -> usize {
    if remaining < available as u64 {
        remaining as usize
    } else {
        available
    }
}

fn hex(b: u8) -> Option<u64> {
    match b {
        b'0'..=b'9' => Some(u64::from(b - b'0')),
        b'a'..=b'f' => Some(u64::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u64::from(b - b'A' + 10)),
        _ => None,
    }
}

/// A chunk-size line: the size, the extensions' range and the line's length.
type ChunkLine = (u64, (usize, usize), usize);

/// Parses `chunk-size [chunk-ext] CRLF`.
pub(crate) fn parse_chunk_line(buf: &[u8], limit: usize) -> Result<Parsed<ChunkLine>, Fail> {
    let avail = buf.len().min(limit);
    let short = || {
        if avail == limit {
            Err((ParseError::ChunkLineTooLong, limit))
        } else {
            Ok(Parsed::Incomplete)
        }
    };
    let mut i = 0;
    let mut size: u64 = 0;
    while i < avail {
        let Some(v) = hex(buf[i]) else { break };
        if size > u64::MAX >> 4 {
            return Err((ParseError::ChunkSizeOverflow, i));
        }
        size = size << 4 | v;
        i += 1;
    }
    if i >= avail {
        return short();
    }
    if i == 0 {
        return Err((ParseError::InvalidChunkSize, 0));
    }
    let ext_start = i;
    let mut any_ext = false;
    loop {
        let ws = i;
        while i < avail && matches!(buf[i], b' ' | b'\t') {
            i += 1;
        }
        if i >= avail {
            return short();
        }
        let bad = if any_ext {
            ParseError::InvalidChunkExtension
        } else {
            ParseError::InvalidChunkSize
        };
        match buf[i] {
            b';' => {
                any_ext = true;
                i += 1;
                while i < avail && matches!(buf[i], b' ' | b'\t') {
                    i += 1;
                }
                let name = i;
                while i < avail && TCHAR[buf[i] as usize] {
                    i += 1;
                }
                if i >= avail {
                    return short();
                }
                if i == name {
                    return Err((ParseError::InvalidChunkExtension, i));
                }
                let after_name = i;
                while i < avail && matches!(buf[i], b' ' | b'\t') {
                    i += 1;
                }
                if i >= avail {
                    return short();
                }
                if buf[i] != b'=' {
                    // No value: the whitespace (if any) must lead to the next ';'.
                    i = after_name;
                    continue;
                }
                i += 1;
                while i < avail && matches!(buf[i], b' ' | b'\t') {
                    i += 1;
                }
                if i >= avail {
                    return short();
                }
                if buf[i] == b'"' {
                    i += 1;
                    loop {
                        if i >= avail {
                            return short();
                        }
                        match buf[i] {
                            b'"' => {
                                i += 1;
                                break;
                            }
                            b'\\' => {
                                if i + 1 >= avail {
                                    return short();
                                }
                                let q = buf[i + 1];
                                if !(q == b'\t'
                                    || q == b' '
                                    || (0x21..=0x7e).contains(&q)
                                    || q >= 0x80)
                                {
                                    return Err((ParseError::InvalidChunkExtension, i + 1));
                                }
                                i += 2;
                            }
                            b'\t' | b' ' | 0x21 | 0x23..=0x5b | 0x5d..=0x7e | 0x80..=0xff => i += 1,
                            _ => return Err((ParseError::InvalidChunkExtension, i)),
                        }
                    }
                } else {
                    let value = i;
                    while i < avail && TCHAR[buf[i] as usize] {
                        i += 1;
                    }
                    if i >= avail {
                        return short();
                    }
                    if i == value {
                        return Err((ParseError::InvalidChunkExtension, i));
                    }
                }
            }
            _ if i != ws => return Err((bad, ws)),
            b'\r' => {
                if i + 1 >= avail {
                    return short();
                }
                if buf[i + 1] != b'\n' {
                    return Err((ParseError::InvalidLineEnding, i));
                }
                return Ok(Parsed::Complete((size, (ext_start, i), i + 2)));
            }
            b'\n' => return Err((ParseError::InvalidLineEnding, i)),
            _ => return Err((bad, i)),
        }
    }
}
