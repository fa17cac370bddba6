//! The `Range` field (RFC 9110 §14): a single `bytes=` range, judged against a file's
//! length. Multipart ranges are left out on purpose: several ranges get the whole file.

use super::trim;

/// A parsed `Range` field (RFC 9110 §14.1.2), judged against a length.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum RangeAsk {
    /// Not bytes, or malformed: ignored (§14.2: a server MAY ignore it).
    Ignore,
    /// More than one range: the whole file is sent (§14.2 allows ignoring Range).
    Multiple,
    /// No byte of the range exists (§15.5.17).
    Unsatisfiable,
    /// First and last byte, inclusive.
    Bytes(u64, u64),
}

pub(super) fn parse_range(v: &[u8], len: u64) -> RangeAsk {
    let v = trim(v);
    let Some(eq) = v.iter().position(|&b| b == b'=') else {
        return RangeAsk::Ignore;
    };
    // §14.1: range units are case-insensitive.
    if !trim(&v[..eq]).eq_ignore_ascii_case(b"bytes") {
        return RangeAsk::Ignore;
    }
    let mut specs = v[eq + 1..]
        .split(|&b| b == b',')
        .map(trim)
        .filter(|s| !s.is_empty());
    let Some(spec) = specs.next() else {
        return RangeAsk::Ignore;
    };
    let more = specs.next().is_some();
    let Some(dash) = spec.iter().position(|&b| b == b'-') else {
        return RangeAsk::Ignore;
    };
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    let ask = if first.is_empty() {
        // suffix-range: the last n bytes.
        match number(last) {
            None => RangeAsk::Ignore,
            Some(0) => RangeAsk::Unsatisfiable,
            // §14.1.3: over a zero-length file only a suffix range is satisfiable, and
            // there is nothing to send: the 200 says it all.
            Some(_) if len == 0 => RangeAsk::Ignore,
            Some(n) => RangeAsk::Bytes(len.saturating_sub(n), len - 1),
        }
    } else {
        match (number(first), last.is_empty(), number(last)) {
            (None, _, _) | (_, false, None) => RangeAsk::Ignore,
            (Some(a), _, Some(b)) if b < a => RangeAsk::Ignore,
            (Some(a), _, _) if a >= len => RangeAsk::Unsatisfiable,
            (Some(a), true, _) => RangeAsk::Bytes(a, len - 1),
            (Some(a), false, Some(b)) => RangeAsk::Bytes(a, b.min(len - 1)),
        }
    };
    match ask {
        RangeAsk::Ignore => RangeAsk::Ignore,
        _ if more => RangeAsk::Multiple,
        ask => ask,
    }
}

/// Decimal digits, saturating at `u64::MAX` (a position past any file); `None` when empty
/// or not digits.
fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ranges() {
        use RangeAsk::*;
        let table: &[(&str, u64, RangeAsk)] = &[
            ("bytes=0-4", 10, Bytes(0, 4)),
            ("bytes=2-", 10, Bytes(2, 9)),
            ("bytes=-3", 10, Bytes(7, 9)),
            ("bytes=-30", 10, Bytes(0, 9)),
            ("bytes=5-100", 10, Bytes(5, 9)),
            ("bytes=9-9", 10, Bytes(9, 9)),
            ("BYTES = 0-0", 10, Bytes(0, 0)),
            ("bytes=0-0,", 10, Bytes(0, 0)),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-5", 0, Ignore),
            ("bytes=99999999999999999999999-", 10, Unsatisfiable),
            ("bytes=0-99999999999999999999999", 10, Bytes(0, 9)),
            ("bytes=0-1,3-4", 10, Multiple),
            ("bytes=0-1, -2", 10, Multiple),
            ("bytes=5-4", 10, Ignore),
            ("bytes=a-b", 10, Ignore),
            ("bytes=1", 10, Ignore),
            ("bytes=", 10, Ignore),
            ("bytes=-", 10, Ignore),
            ("bytes=+1-2", 10, Ignore),
            ("items=0-1", 10, Ignore),
            ("0-1", 10, Ignore),
        ];
        for (v, len, want) in table {
            assert_eq!(parse_range(v.as_bytes(), *len), *want, "{v} of {len}");
        }
    }
}
