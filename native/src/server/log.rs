//! The access log: one line per request on stderr.
//!
//! `2026-11-24T11:00:00Z 127.0.0.1:53412 "GET /a.txt HTTP/1.1" 200 1024 0.31ms`:
//! time (UTC), peer, request line, status, bytes sent (head and body), duration.

use std::fmt::Write as _;
use std::io::Write as _;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Appends `bytes` to `out`, escaping anything that is not printable ASCII (and `"` and
/// `\`), so peer-supplied text cannot drive a terminal.
pub fn push_sanitized(out: &mut String, bytes: &[u8]) {
    for &b in bytes {
        match b {
            b'"' | b'\\' => {
                out.push('\\');
                out.push(char::from(b));
            }
            0x20..=0x7e => out.push(char::from(b)),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
}

/// Formats `t` as `YYYY-MM-DDTHH:MM:SSZ`.
pub fn push_utc(out: &mut String, t: SystemTime) {
    let secs = t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs());
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil from days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let _ = write!(
        out,
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    );
}

/// Writes one access-log line. `request_line` is already sanitized (or `-`).
pub fn access(
    scratch: &mut String,
    peer: SocketAddr,
    request_line: &str,
    status: u16,
    bytes: u64,
    took: Duration,
) {
    scratch.clear();
    push_utc(scratch, SystemTime::now());
    let ms = took.as_secs_f64() * 1000.0;
    let _ = writeln!(
        scratch,
        " {peer} \"{request_line}\" {status} {bytes} {ms:.2}ms"
    );
    let _ = std::io::stderr().lock().write_all(scratch.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_utc_dates() {
        let mut s = String::new();
        push_utc(&mut s, UNIX_EPOCH + Duration::from_secs(784_111_777));
        assert_eq!(s, "1994-11-06T08:49:37Z");
        s.clear();
        push_utc(&mut s, UNIX_EPOCH + Duration::from_secs(951_782_400));
        assert_eq!(s, "2000-02-29T00:00:00Z");
    }

    #[test]
    fn escapes_control_bytes() {
        let mut s = String::new();
        push_sanitized(&mut s, b"GET /\x1b[2J\"x\\ \xff");
        assert_eq!(s, "GET /\\x1b[2J\\\"x\\\\ \\xff");
    }
}
