//! Conditional requests (RFC 9110 §13): the ETag this server gives a file, and the
//! preconditions `If-Match`, `If-None-Match`, `If-Modified-Since`, `If-Unmodified-Since`
//! and `If-Range` evaluated against it.

use super::{trim, Cx};
use crate::date::parse_http_date;
use crate::head::{Method, RequestHead};
use crate::rule::Rule;
use crate::store::Metadata;
use crate::Timestamp;
use alloc::string::String;
use core::fmt::Write as _;

/// A strong ETag from what changes when the content does: length, seconds and sub-second
/// part of the modification time (RFC 9110 §8.8.3: the server chooses how to build it).
pub(crate) fn etag(meta: &Metadata) -> String {
    let mut s = String::with_capacity(32);
    let _ = write!(
        s,
        "\"{:x}-{:x}-{:x}\"",
        meta.len, meta.modified.0, meta.modified_nanos
    );
    s
}

/// What the current representation can be compared against.
pub(super) struct Current<'e> {
    pub(super) etag: Option<&'e str>,
    pub(super) modified: Option<Timestamp>,
}

/// Evaluates the preconditions in the order of RFC 9110 §13.2.2; `Err` carries the status
/// (304 or 412) and the rule. `current` is `None` when nothing exists at the target.
pub(super) fn preconditions(
    cx: &Cx<'_, '_>,
    current: Option<&Current<'_>>,
) -> Result<(), (u16, Rule)> {
    let req = cx.req;
    let safe = matches!(req.method(), Method::Get | Method::Head);
    // Step 1, §13.1.1: If-Match, strong comparison; `*` is true when anything exists.
    if req.header("if-match").is_some() {
        let ok = current.is_some_and(|c| tag_list_matches(req, "if-match", c.etag, true));
        if !ok {
            return Err((412, Rule::IfMatchFailed));
        }
    } else if let Some(v) = req.header("if-unmodified-since") {
        // Step 2, §13.1.4: only without If-Match; an invalid date is ignored.
        let modified = current.and_then(|c| c.modified);
        if let (Some(since), Some(modified)) = (parse_http_date(v), modified) {
            if modified > since {
                return Err((412, Rule::IfUnmodifiedSinceFailed));
            }
        }
    }
    // Step 3, §13.1.2: If-None-Match, weak comparison; a match means 304 for GET/HEAD,
    // 412 for the others.
    if req.header("if-none-match").is_some() {
        let matched =
            current.is_some_and(|c| tag_list_matches(req, "if-none-match", c.etag, false));
        if matched {
            return Err(if safe {
                (304, Rule::NotModifiedEtag)
            } else {
                (412, Rule::IfNoneMatchFailed)
            });
        }
    } else if let (true, Some(v)) = (safe, req.header("if-modified-since")) {
        // Step 4, §13.1.3: only GET/HEAD, only without If-None-Match; an invalid date, or
        // one later than now, is ignored.
        let modified = current.and_then(|c| c.modified);
        if let (Some(since), Some(modified)) = (parse_http_date(v), modified) {
            if since <= cx.now && modified <= since {
                return Err((304, Rule::NotModifiedDate));
            }
        }
    }
    Ok(())
}

/// Whether any entity-tag in the `name` fields matches `current` (RFC 9110 §8.8.3.2):
/// `*` matches anything that exists; `strong` comparison needs both tags strong. Parsing
/// stops at the first malformed member of a line.
fn tag_list_matches(
    req: &RequestHead<'_>,
    name: &'static str,
    current: Option<&str>,
    strong: bool,
) -> bool {
    for line in req.fields().all(name) {
        if trim(line) == b"*" {
            return true;
        }
        let Some(current) = current else { continue };
        let mut s = line;
        loop {
            while let [b' ' | b'\t' | b',', rest @ ..] = s {
                s = rest;
            }
            if s.is_empty() {
                break;
            }
            let weak = s.starts_with(b"W/");
            if weak {
                s = &s[2..];
            }
            if s.first() != Some(&b'"') {
                break;
            }
            let Some(close) = s[1..].iter().position(|&b| b == b'"') else {
                break;
            };
            let tag = &s[..close + 2];
            if tag == current.as_bytes() && !(strong && weak) {
                return true;
            }
            s = &s[close + 2..];
        }
    }
    false
}

/// RFC 9110 §13.1.5: an entity-tag must match strongly; a date must equal Last-Modified
/// and be a strong validator, which §8.8.2.2 allows only when the file cannot have changed
/// twice within that second: here, when that second is over (`modified < now`).
pub(super) fn if_range_matches(v: &[u8], etag: &str, modified: Timestamp, now: Timestamp) -> bool {
    let v = trim(v);
    if v.starts_with(b"W/") {
        return false;
    }
    if v.first() == Some(&b'"') {
        return v == etag.as_bytes();
    }
    parse_http_date(v) == Some(modified) && modified < now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_if_range_strongly() {
        let (tag, t0, t1) = ("\"5-0-0\"", Timestamp(0), Timestamp(1));
        let table: &[(&[u8], Timestamp, bool)] = &[
            (b"\"5-0-0\"", t1, true),
            (b" \"5-0-0\" ", t1, true),
            (b"W/\"5-0-0\"", t1, false),
            (b"\"other\"", t1, false),
            (b"Thu, 01 Jan 1970 00:00:00 GMT", t1, true),
            // Modified within the current second: the date is a weak validator.
            (b"Thu, 01 Jan 1970 00:00:00 GMT", t0, false),
            (b"Thu, 01 Jan 1970 00:00:01 GMT", t1, false),
            (b"garbage", t1, false),
        ];
        for (v, now, want) in table {
            let got = if_range_matches(v, tag, t0, *now);
            assert_eq!(got, *want, "{}", String::from_utf8_lossy(v));
        }
    }
}
