//! HTTP Basic authentication (RFC 7617) of the requests that write.

use super::trim;
use crate::head::RequestHead;
use alloc::vec::Vec;

/// Whether `Authorization: Basic base64(user:pass)` matches `creds` (RFC 7617 §2),
/// compared in time that does not depend on where they differ.
pub(super) fn authorized(req: &RequestHead<'_>, creds: &str) -> bool {
    let Some(v) = req.header("authorization") else {
        return false;
    };
    let v = trim(v);
    // RFC 9110 §11.1: the scheme is case-insensitive.
    if v.len() < 6 || !v[..5].eq_ignore_ascii_case(b"basic") || v[5] != b' ' {
        return false;
    }
    match base64_decode(trim(&v[6..])) {
        Some(given) => constant_time_eq(&given, creds.as_bytes()),
        None => false,
    }
}

/// Standard base64 (RFC 4648 §4), padding optional.
fn base64_decode(s: &[u8]) -> Option<Vec<u8>> {
    let s = s
        .strip_suffix(b"==")
        .or_else(|| s.strip_suffix(b"="))
        .unwrap_or(s);
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &c in s {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        acc = (acc << 6 | u32::from(v)) & 0xffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    // One leftover sextet cannot end a valid encoding.
    (bits < 6).then_some(out)
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
    }
    diff == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn b64(s: &[u8]) -> String {
        const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut out = String::new();
        for c in s.chunks(3) {
            let n = c
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
            for i in 0..4 {
                if i <= c.len() {
                    out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
                } else {
                    out.push('=');
                }
            }
        }
        out
    }

    #[test]
    fn base64_round_trips() {
        for s in [
            &b""[..],
            b"a",
            b"ab",
            b"abc",
            b"user:pass",
            b"\xff\xfe\x00:\x01",
        ] {
            let e = b64(s);
            assert_eq!(base64_decode(e.as_bytes()).as_deref(), Some(s), "{e}");
            assert_eq!(
                base64_decode(e.trim_end_matches('=').as_bytes()).as_deref(),
                Some(s),
                "{e}"
            );
        }
        assert_eq!(b64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        for bad in [&b"a"[..], b"ab!c", b"ab c", b"abcde", b"=abc"] {
            assert_eq!(base64_decode(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn compares_in_constant_time_shape() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"ab\0", b"ab"));
    }
}
