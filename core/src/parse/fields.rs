//! Field lines, shared by heads and trailer sections, and the byte classes of RFC 9110 §5.6.
//!
//! ```text
//! field-line   = field-name ":" OWS field-value OWS          (RFC 9112 §5)
//! field-name   = token = 1*tchar
//! tchar        = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
//!                "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
//! field-value  = *( VCHAR / obs-text / SP / HTAB )            (no CR, LF, NUL, DEL)
//! ```

use crate::error::ParseError;
use crate::head::FieldSpan;
use alloc::vec::Vec;

/// `tchar` as a byte table (RFC 9110 §5.6.2).
pub(crate) static TCHAR: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        t[i] = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
            );
        i += 1;
    }
    t
};

/// Bytes allowed inside a field value: VCHAR, obs-text, SP and HTAB.
static VALUE: [bool; 256] = {
    let mut t = [false; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = (i >= 0x20 && i != 0x7f) || i == b'\t' as usize;
        i += 1;
    }
    t
};

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Reads eight bytes as a little-endian word.
#[inline(always)]
fn word(b: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&b[..8]);
    u64::from_le_bytes(w)
}

/// The high bit of each byte of `x` below `n` (n <= 128). The lowest set bit is exact
/// ("hasless" in Bit Twiddling Hacks); bits above it may be spurious.
#[inline(always)]
fn less_mask(x: u64, n: u8) -> u64 {
    x.wrapping_sub(LO * u64::from(n)) & !x & HI
}

/// The high bit of each byte of `x` equal to `b`; the lowest set bit is exact.
#[inline(always)]
fn eq_mask(x: u64, b: u8) -> u64 {
    let y = x ^ (LO * u64::from(b));
    y.wrapping_sub(LO) & !y & HI
}

/// The byte index within the word of the lowest set high bit.
#[inline(always)]
fn first(m: u64) -> usize {
    (m.trailing_zeros() / 8) as usize
}

/// The index of the first byte at or after `i` that may not stand in a field value, or
/// `end`. Eight bytes at a time; HTAB (allowed) is stepped over.
#[inline(always)]
pub(crate) fn scan_value(buf: &[u8], mut i: usize, end: usize) -> usize {
    // Sixteen bytes at a time with a branch-free test the compiler turns into vector
    // compares; long values (cookies, user agents) go by in a few steps.
    while i + 16 <= end {
        let mut block = [0u8; 16];
        block.copy_from_slice(&buf[i..i + 16]);
        let bad = block.iter().fold(false, |acc, &b| {
            acc | ((b < 0x20) & (b != b'\t')) | (b == 0x7f)
        });
        if bad {
            break;
        }
        i += 16;
    }
    while i + 8 <= end {
        let x = word(&buf[i..]);
        let m = less_mask(x, 0x20) | eq_mask(x, 0x7f);
        if m != 0 {
            let p = i + first(m);
            if buf[p] != b'\t' {
                return p;
            }
            i = p + 1;
            continue;
        }
        i += 8;
    }
    i + buf[i..end]
        .iter()
        .position(|&b| !VALUE[b as usize])
        .unwrap_or(end - i)
}

/// The index of the first byte at or after `i` that is not visible ASCII (0x21-0x7e), or
/// `end`: the extent of a request-target.
#[inline]
pub(crate) fn scan_visible(buf: &[u8], mut i: usize, end: usize) -> usize {
    while i + 8 <= end {
        let x = word(&buf[i..]);
        let m = less_mask(x, 0x21) | (x & HI) | eq_mask(x, 0x7f);
        if m != 0 {
            return i + first(m);
        }
        i += 8;
    }
    i + buf[i..end]
        .iter()
        .position(|&b| !(0x21..=0x7e).contains(&b))
        .unwrap_or(end - i)
}

/// The index of the first byte at or after `start` that is not a tchar, or `end`.
///
/// Through the table, four bytes per step: names are short, and this beats finding the
/// end first and checking the bytes after.
#[inline]
pub(crate) fn scan_token(buf: &[u8], start: usize, end: usize) -> usize {
    let mut i = start;
    let mut rest = &buf[start..end];
    // Four bytes per step while all four are tchar, then the last few one by one.
    while let Some((&[a, b, c, d], tail)) = rest.split_first_chunk::<4>() {
        let t = |x: u8| TCHAR[x as usize];
        if !(t(a) & t(b) & t(c) & t(d)) {
            break;
        }
        i += 4;
        rest = tail;
    }
    i + rest
        .iter()
        .position(|&b| !TCHAR[b as usize])
        .unwrap_or(rest.len())
}

/// Reads `HTTP-version = "HTTP/" DIGIT "." DIGIT` (RFC 9112 §2.3) at `i`: the index after
/// it and its two digits, or `None` when the input ends at `avail` first. A wrong prefix is
/// `bad_prefix`; a wrong digit or dot is `InvalidVersion`.
pub(crate) fn http_version(
    buf: &[u8],
    mut i: usize,
    avail: usize,
    bad_prefix: ParseError,
) -> Result<Option<(usize, [u8; 2])>, Fail> {
    for &want in b"HTTP/" {
        if i >= avail {
            return Ok(None);
        }
        if buf[i] != want {
            return Err((bad_prefix, i));
        }
        i += 1;
    }
    let mut digits = [0u8; 2];
    for (k, d) in digits.iter_mut().enumerate() {
        if k == 1 {
            if i >= avail {
                return Ok(None);
            }
            if buf[i] != b'.' {
                return Err((ParseError::InvalidVersion, i));
            }
            i += 1;
        }
        if i >= avail {
            return Ok(None);
        }
        if !buf[i].is_ascii_digit() {
            return Err((ParseError::InvalidVersion, i));
        }
        *d = buf[i] - b'0';
        i += 1;
    }
    Ok(Some((i, digits)))
}

/// The outcome of parsing a section that may still be incomplete.
pub(crate) enum Parsed<T> {
    Complete(T),
    Incomplete,
}

/// An error and the offset of the byte that revealed it.
pub(crate) type Fail = (ParseError, usize);

/// Parses field lines from `buf[start..]` up to and including the empty line that ends the
/// section; returns the offset just past it. Spans (relative to `buf`) go into `out`.
///
/// Needing a byte at or past `limit` is `too_large`; more than `max_fields` lines is
/// `too_many`. `on_field(name, value, span)` sees each line as it is read.
#[allow(clippy::too_many_arguments)]
pub(crate) fn parse_fields(
    buf: &[u8],
    start: usize,
    limit: usize,
    too_large: ParseError,
    max_fields: usize,
    too_many: ParseError,
    out: &mut Vec<FieldSpan>,
    mut on_field: impl FnMut(&[u8], &[u8], FieldSpan),
) -> Result<Parsed<usize>, Fail> {
    let avail = buf.len().min(limit);
    // Out of bytes at `avail`: the section is too large, or we wait for more.
    let short = |_: usize| -> Result<Parsed<usize>, Fail> {
        if avail == limit {
            Err((too_large, limit))
        } else {
            Ok(Parsed::Incomplete)
        }
    };
    let mut i = start;
    loop {
        if i >= avail {
            return short(i);
        }
        match buf[i] {
            b'\r' => {
                if i + 1 >= avail {
                    return short(i + 1);
                }
                if buf[i + 1] == b'\n' {
                    return Ok(Parsed::Complete(i + 2));
                }
                return Err((ParseError::InvalidLineEnding, i));
            }
            b'\n' => return Err((ParseError::InvalidLineEnding, i)),
            b' ' | b'\t' => return Err((ParseError::ObsoleteLineFolding, i)),
            _ => {}
        }
        let line_start = i;
        i = scan_token(buf, i, avail);
        if i >= avail {
            return short(i);
        }
        match buf[i] {
            b':' if i > line_start => {}
            b' ' | b'\t' if i > line_start => return Err((ParseError::WhitespaceBeforeColon, i)),
            b'\r' | b'\n' if i > line_start => return Err((ParseError::MissingColon, i)),
            _ => return Err((ParseError::InvalidHeaderName, i)),
        }
        let name_end = i;
        i += 1;
        while i < avail && (buf[i] == b' ' || buf[i] == b'\t') {
            i += 1;
        }
        let value_start = i;
        i = scan_value(buf, i, avail);
        if i >= avail {
            return short(i);
        }
        match buf[i] {
            b'\r' => {
                if i + 1 >= avail {
                    return short(i + 1);
                }
                if buf[i + 1] != b'\n' {
                    return Err((ParseError::InvalidHeaderValue, i));
                }
            }
            b'\n' => return Err((ParseError::InvalidLineEnding, i)),
            _ => return Err((ParseError::InvalidHeaderValue, i)),
        }
        let mut value_end = i;
        while value_end > value_start && matches!(buf[value_end - 1], b' ' | b'\t') {
            value_end -= 1;
        }
        i += 2;
        if out.len() >= max_fields {
            return Err((too_many, line_start));
        }
        // Offsets fit in u32: callers keep `limit` below 4 GiB.
        let span = FieldSpan {
            line_start: line_start as u32,
            name_end: name_end as u32,
            value_start: value_start as u32,
            value_end: value_end as u32,
            line_end: i as u32,
        };
        out.push(span);
        on_field(
            &buf[line_start..name_end],
            &buf[value_start..value_end],
            span,
        );
    }
}

/// Decides when an incomplete section is worth parsing again, so that feeding one byte per
/// call stays linear: when the section may have ended (a blank line), when a line ended
/// without CR (an error the parse will name), when the input doubled since the last try
/// (so errors show early), or when a limit is reached.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rescan {
    /// Bytes already looked at.
    scanned: usize,
    /// Input length at the last full parse.
    parsed_at: usize,
}

impl Rescan {
    /// Forget everything: a new section starts at the beginning of the next input.
    pub(crate) fn reset(&mut self) {
        *self = Rescan::default();
    }

    /// Whether `buf` (the same section, grown since the last call) should be parsed now.
    /// `lone_crlf_ends`: a lone CRLF at the very start ends the section (trailers).
    /// `soft_limit`: parse once when the input first reaches it (the request-line bound).
    /// `any_lf`: every line end may finish it (a chunk-size line).
    pub(crate) fn should_parse(
        &mut self,
        buf: &[u8],
        limit: usize,
        soft_limit: usize,
        lone_crlf_ends: bool,
        any_lf: bool,
    ) -> bool {
        let n = buf.len();
        if self.parsed_at == 0
            || n >= limit
            || n >= 2 * self.parsed_at
            || (n >= soft_limit && self.parsed_at < soft_limit)
        {
            return true;
        }
        let from = self.scanned;
        self.scanned = n;
        let mut p = from;
        while let Some(off) = buf[p..].iter().position(|&b| b == b'\n') {
            let lf = p + off;
            if any_lf || lf == 0 || buf[lf - 1] != b'\r' {
                return true;
            }
            if lf >= 3 && &buf[lf - 3..=lf] == b"\r\n\r\n" {
                return true;
            }
            if lf == 1 && lone_crlf_ends {
                return true;
            }
            p = lf + 1;
        }
        false
    }

    /// Record that `buf.len()` bytes were parsed and found incomplete.
    pub(crate) fn parsed(&mut self, n: usize) {
        self.parsed_at = n.max(1);
        self.scanned = n;
    }
}
