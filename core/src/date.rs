//! HTTP-dates (RFC 9110 §5.6.7): IMF-fixdate out, the three formats in.

use crate::Timestamp;

/// Formats `t` as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (29 bytes).
#[must_use]
pub fn format_http_date(t: Timestamp) -> [u8; 29] {
    let _ = t;
    todo!()
}

/// Parses an HTTP-date in any of the three formats RFC 9110 §5.6.7 requires recipients
/// to accept; `None` when it is not one.
#[must_use]
pub fn parse_http_date(s: &[u8]) -> Option<Timestamp> {
    let _ = s;
    todo!()
}
