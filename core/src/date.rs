//! HTTP-dates (RFC 9110 §5.6.7): IMF-fixdate out, the three formats in.
//!
//! # One code path
//! Formatting and parsing IMF-fixdate (the only format a sender may produce, and the one
//! every current client sends) use the small internal code below on every target, with or
//! without `std`: it needs no allocation, cannot panic on far-future times (it clamps to the
//! last second of year 9999) and keeps the server and the WebAssembly explorer byte-for-byte
//! identical on the hot path (`Date`, `Last-Modified`, `If-Modified-Since`).
//!
//! The two obsolete formats (RFC 850 and asctime) are rare. With the `std` feature they are
//! handed to the `httpdate` crate, whose handling of them is long tested in the field;
//! without `std`, an internal parser of the same rules (two-digit years below 70 are 20xx,
//! as in `httpdate`) takes its place. The tests check the two against each other.

use crate::Timestamp;

const DAYS: [&[u8; 3]; 7] = [b"Thu", b"Fri", b"Sat", b"Sun", b"Mon", b"Tue", b"Wed"];
const MONTHS: [&[u8; 3]; 12] = [
    b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov", b"Dec",
];
/// 9999-12-31T23:59:59Z, the last second an IMF-fixdate can show.
const MAX_SECS: u64 = 253_402_300_799;

/// Formats `t` as an IMF-fixdate, e.g. `Sun, 06 Nov 1994 08:49:37 GMT` (29 bytes).
///
/// Times after the year 9999 are shown as its last second.
///
/// ```
/// use simplehttp_core::{date::format_http_date, Timestamp};
/// assert_eq!(&format_http_date(Timestamp(784_111_777)), b"Sun, 06 Nov 1994 08:49:37 GMT");
/// ```
#[must_use]
pub fn format_http_date(t: Timestamp) -> [u8; 29] {
    let secs = t.0.min(MAX_SECS);
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    let mut buf = *b"Thu, 01 Jan 1970 00:00:00 GMT";
    buf[..3].copy_from_slice(DAYS[(days % 7) as usize]);
    put2(&mut buf[5..7], day);
    buf[8..11].copy_from_slice(MONTHS[(month - 1) as usize]);
    put2(&mut buf[12..14], year / 100);
    put2(&mut buf[14..16], year % 100);
    put2(&mut buf[17..19], (rem / 3600) as u32);
    put2(&mut buf[20..22], (rem / 60 % 60) as u32);
    put2(&mut buf[23..25], (rem % 60) as u32);
    buf
}

/// Formats `t` as an RFC 3339 UTC date-time, e.g. `1994-11-06T08:49:37Z` (20 bytes), the
/// form of HTML's `<time datetime>`. Times after the year 9999 are shown as its last second.
///
/// ```
/// use simplehttp_core::{date::format_rfc3339, Timestamp};
/// assert_eq!(&format_rfc3339(Timestamp(784_111_777)), b"1994-11-06T08:49:37Z");
/// ```
#[must_use]
pub fn format_rfc3339(t: Timestamp) -> [u8; 20] {
    let secs = t.0.min(MAX_SECS);
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(secs / 86_400);
    let mut buf = *b"1970-01-01T00:00:00Z";
    put2(&mut buf[0..2], year / 100);
    put2(&mut buf[2..4], year % 100);
    put2(&mut buf[5..7], month);
    put2(&mut buf[8..10], day);
    put2(&mut buf[11..13], (rem / 3600) as u32);
    put2(&mut buf[14..16], (rem / 60 % 60) as u32);
    put2(&mut buf[17..19], (rem % 60) as u32);
    buf
}

/// Parses an HTTP-date in any of the three formats RFC 9110 §5.6.7 requires recipients
/// to accept; `None` when it is not one (or names a day before 1970, or a weekday that
/// does not match the date).
///
/// ```
/// use simplehttp_core::{date::parse_http_date, Timestamp};
/// let t = Some(Timestamp(784_111_777));
/// assert_eq!(parse_http_date(b"Sun, 06 Nov 1994 08:49:37 GMT"), t);
/// assert_eq!(parse_http_date(b"Sunday, 06-Nov-94 08:49:37 GMT"), t);
/// assert_eq!(parse_http_date(b"Sun Nov  6 08:49:37 1994"), t);
/// assert_eq!(parse_http_date(b"yesterday"), None);
/// ```
#[must_use]
pub fn parse_http_date(s: &[u8]) -> Option<Timestamp> {
    let s = trim(s);
    if s.len() == 29 {
        return parse_imf_fixdate(s);
    }
    parse_obsolete(s)
}

#[cfg(feature = "std")]
fn parse_obsolete(s: &[u8]) -> Option<Timestamp> {
    let s = core::str::from_utf8(s).ok()?;
    let t = httpdate::parse_http_date(s).ok()?;
    let secs = t.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
    Some(Timestamp(secs))
}

#[cfg(not(feature = "std"))]
fn parse_obsolete(s: &[u8]) -> Option<Timestamp> {
    parse_rfc850(s).or_else(|| parse_asctime(s))
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

fn put2(out: &mut [u8], n: u32) {
    out[0] = b'0' + (n / 10 % 10) as u8;
    out[1] = b'0' + (n % 10) as u8;
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() {
        return None;
    }
    s.iter().try_fold(0u32, |acc, &b| {
        b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
    })
}

fn month(s: &[u8]) -> Option<u32> {
    MONTHS
        .iter()
        .position(|m| &m[..] == s)
        .map(|i| i as u32 + 1)
}

/// Seconds since the epoch of a UTC date and time in 1970..=9999, for the other dates a
/// shell meets (a certificate's validity); `None` for a field out of range.
///
/// ```
/// use simplehttp_core::{date::from_utc, Timestamp};
/// assert_eq!(from_utc(1994, 11, 6, 8, 49, 37), Some(Timestamp(784_111_777)));
/// assert_eq!(from_utc(1994, 2, 30, 0, 0, 0), None);
/// ```
#[must_use]
pub fn from_utc(year: u32, month: u32, day: u32, h: u32, m: u32, s: u32) -> Option<Timestamp> {
    if !(1..=12).contains(&month) {
        return None;
    }
    let wday = (days_from_civil(year.max(1970), month, day.max(1)) % 7) as usize;
    assemble(year, month, day, h, m, s, wday)
}

/// Checks the fields and turns them into seconds since the epoch; `wday` is the weekday's
/// index in [`DAYS`] (0 = Thursday), checked against the date.
fn assemble(
    year: u32,
    month: u32,
    day: u32,
    h: u32,
    m: u32,
    s: u32,
    wday: usize,
) -> Option<Timestamp> {
    if !(1970..=9999).contains(&year) || day == 0 || day > days_in_month(year, month) {
        return None;
    }
    if h > 23 || m > 59 || s > 59 {
        return None;
    }
    let days = days_from_civil(year, month, day);
    if (days % 7) as usize != wday {
        return None;
    }
    Some(Timestamp(days * 86_400 + u64::from(h * 3600 + m * 60 + s)))
}

/// `Sun, 06 Nov 1994 08:49:37 GMT`.
fn parse_imf_fixdate(s: &[u8]) -> Option<Timestamp> {
    if s.len() != 29 || &s[3..5] != b", " || s[7] != b' ' || s[11] != b' ' || s[16] != b' ' {
        return None;
    }
    if s[19] != b':' || s[22] != b':' || &s[25..] != b" GMT" {
        return None;
    }
    let wday = DAYS.iter().position(|d| d[..] == s[..3])?;
    assemble(
        digits(&s[12..16])?,
        month(&s[8..11])?,
        digits(&s[5..7])?,
        digits(&s[17..19])?,
        digits(&s[20..22])?,
        digits(&s[23..25])?,
        wday,
    )
}

/// `Sunday, 06-Nov-94 08:49:37 GMT`.
#[cfg_attr(feature = "std", allow(dead_code))]
fn parse_rfc850(s: &[u8]) -> Option<Timestamp> {
    const LONG: [&[u8]; 7] = [
        b"Thursday",
        b"Friday",
        b"Saturday",
        b"Sunday",
        b"Monday",
        b"Tuesday",
        b"Wednesday",
    ];
    let comma = s.iter().position(|&b| b == b',')?;
    let wday = LONG.iter().position(|d| *d == &s[..comma])?;
    let s = &s[comma..];
    // ", 06-Nov-94 08:49:37 GMT"
    if s.len() != 24 || s[1] != b' ' || s[4] != b'-' || s[8] != b'-' || s[11] != b' ' {
        return None;
    }
    if s[14] != b':' || s[17] != b':' || &s[20..] != b" GMT" {
        return None;
    }
    let yy = digits(&s[9..11])?;
    let year = if yy < 70 { 2000 + yy } else { 1900 + yy };
    assemble(
        year,
        month(&s[5..8])?,
        digits(&s[2..4])?,
        digits(&s[12..14])?,
        digits(&s[15..17])?,
        digits(&s[18..20])?,
        wday,
    )
}

/// `Sun Nov  6 08:49:37 1994`.
#[cfg_attr(feature = "std", allow(dead_code))]
fn parse_asctime(s: &[u8]) -> Option<Timestamp> {
    if s.len() != 24 || s[3] != b' ' || s[7] != b' ' || s[10] != b' ' || s[19] != b' ' {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let wday = DAYS.iter().position(|d| d[..] == s[..3])?;
    let day = if s[8] == b' ' {
        digits(&s[9..10])?
    } else {
        digits(&s[8..10])?
    };
    assemble(
        digits(&s[20..24])?,
        month(&s[4..7])?,
        day,
        digits(&s[11..13])?,
        digits(&s[14..16])?,
        digits(&s[17..19])?,
        wday,
    )
}

fn is_leap(y: u32) -> bool {
    y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days since 1970-01-01 of a date in 1970..=9999 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: u32, m: u32, d: u32) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    u64::from(era) * 146_097 + u64::from(doe) - 719_468
}

/// The date of a day since 1970-01-01: (year, month 1..=12, day 1..=31).
fn civil_from_days(days: u64) -> (u32, u32, u32) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = (z % 146_097) as u32;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = era as u32 * 400 + yoe + u32::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    #[test]
    fn formats_known_dates() {
        let table: &[(u64, &[u8; 29])] = &[
            (0, b"Thu, 01 Jan 1970 00:00:00 GMT"),
            (784_111_777, b"Sun, 06 Nov 1994 08:49:37 GMT"),
            (951_782_400, b"Tue, 29 Feb 2000 00:00:00 GMT"),
            (1_700_000_000, b"Tue, 14 Nov 2023 22:13:20 GMT"),
            (4_102_444_799, b"Thu, 31 Dec 2099 23:59:59 GMT"),
            (MAX_SECS, b"Fri, 31 Dec 9999 23:59:59 GMT"),
            (u64::MAX, b"Fri, 31 Dec 9999 23:59:59 GMT"),
        ];
        for (t, want) in table {
            assert_eq!(&format_http_date(Timestamp(*t)), *want, "{t}");
        }
    }

    #[test]
    fn parses_the_three_formats() {
        let t = Some(Timestamp(784_111_777));
        let table: &[(&[u8], Option<Timestamp>)] = &[
            (b"Sun, 06 Nov 1994 08:49:37 GMT", t),
            (b"  Sun, 06 Nov 1994 08:49:37 GMT ", t),
            (b"Sunday, 06-Nov-94 08:49:37 GMT", t),
            (b"Sun Nov  6 08:49:37 1994", t),
            (b"Thu, 01 Jan 1970 00:00:00 GMT", Some(Timestamp(0))),
            (
                b"Tue, 29 Feb 2000 00:00:00 GMT",
                Some(Timestamp(951_782_400)),
            ),
            (b"Thursday, 01-Jan-70 00:00:00 GMT", Some(Timestamp(0))),
            (
                b"Wednesday, 01-Jan-25 00:00:00 GMT",
                Some(Timestamp(1_735_689_600)),
            ),
        ];
        for (s, want) in table {
            assert_eq!(parse_http_date(s), *want, "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn rejects_malformed_dates() {
        let table: &[&[u8]] = &[
            b"",
            b"yesterday",
            b"Mon, 06 Nov 1994 08:49:37 GMT", // wrong weekday
            b"Sun, 06 Nov 1994 08:49:37 UTC",
            b"Sun, 6 Nov 1994 08:49:37 GMT",
            b"Sun, 06 nov 1994 08:49:37 GMT",
            b"Sun, 31 Nov 1994 08:49:37 GMT",
            b"Mon, 29 Feb 1999 00:00:00 GMT",
            b"Sun, 06 Nov 1994 24:00:00 GMT",
            b"Sun, 06 Nov 1994 08:60:37 GMT",
            b"Sun, 06 Nov 1994 08:49:60 GMT",
            b"Wed, 31 Dec 1969 23:59:59 GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT, Sun, 06 Nov 1994 08:49:37 GMT",
            b"Sun, 06 Nov 1994 08:49:3x GMT",
            b"Sun, 06 Nov 1994 08:49:37 GMT\0",
            b"Sunday, 06-Nov-1994 08:49:37 GMT",
            b"Sun Nov 06 08:49:37 94",
            b"Sun, +6 Nov 1994 08:49:37 GMT",
        ];
        for s in table {
            assert_eq!(parse_http_date(s), None, "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn round_trips_every_day_for_centuries() {
        let mut t = 0u64;
        while t < 253_402_300_799 {
            let s = format_http_date(Timestamp(t));
            assert_eq!(
                parse_http_date(&s),
                Some(Timestamp(t)),
                "{}",
                String::from_utf8_lossy(&s)
            );
            t += 86_400 * 13 + 3_607;
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn internal_obsolete_parsers_agree_with_httpdate() {
        // The no_std fallback must answer as httpdate does under std.
        let mut t = 0u64;
        while t < 4_000_000_000 {
            let imf = format_http_date(Timestamp(t));
            let asctime = alloc::format!(
                "{} {} {:>2} {} {}",
                core::str::from_utf8(&imf[..3]).unwrap(),
                core::str::from_utf8(&imf[8..11]).unwrap(),
                core::str::from_utf8(&imf[5..7])
                    .unwrap()
                    .trim_start_matches('0'),
                core::str::from_utf8(&imf[17..25]).unwrap(),
                core::str::from_utf8(&imf[12..16]).unwrap()
            );
            assert_eq!(
                parse_asctime(asctime.as_bytes()),
                parse_obsolete(asctime.as_bytes()),
                "{asctime}"
            );
            assert_eq!(
                parse_asctime(asctime.as_bytes()),
                Some(Timestamp(t)),
                "{asctime}"
            );
            t += 86_400 * 7 + 12_345;
        }
        let table: &[&[u8]] = &[
            b"Sunday, 06-Nov-94 08:49:37 GMT",
            b"Saturday, 01-Jan-00 00:00:00 GMT",
            b"Friday, 31-Dec-69 23:59:59 GMT",
            b"Monday, 06-Nov-94 08:49:37 GMT",
            b"Sunday, 6-Nov-94 08:49:37 GMT",
            b"Sun Nov 6 08:49:37 1994",
            b"Sun Nov 06 08:49:37 1994",
            b"Sun Nov  6 08:49:37 1994",
            b"Mon Nov  6 08:49:37 1994",
            b"Sun Nov  6 08:49:37 1994 ",
        ];
        for s in table {
            let internal = parse_rfc850(s).or_else(|| parse_asctime(trim(s)));
            assert_eq!(
                internal,
                parse_obsolete(trim(s)),
                "{}",
                String::from_utf8_lossy(s)
            );
        }
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn format_then_parse_is_identity(t in 0u64..=MAX_SECS) {
                let s = format_http_date(Timestamp(t));
                prop_assert_eq!(parse_http_date(&s), Some(Timestamp(t)));
            }

            #[test]
            fn parse_never_panics(s in proptest::collection::vec(any::<u8>(), 0..40)) {
                let _ = parse_http_date(&s);
            }
        }
    }
}
