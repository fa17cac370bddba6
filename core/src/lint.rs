//! Expert info: what a message says that is accepted but suspicious, and what a response
//! could say better, in the spirit of Wireshark's expert info and REDbot.
//!
//! Nothing here changes what the parsers or the server do: a message that reaches these
//! functions has already been accepted. They only point at the bytes worth a second look.
//!
//! ```
//! use simplehttp_core::{lint, Event, Limits, RequestParser};
//! let mut p = RequestParser::new(Limits::default());
//! let input = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Lenght: 5\r\n\r\n";
//! let Event::Head(head) = p.handle_bytes(input).unwrap().event else { panic!() };
//! let found = lint::request(&head);
//! assert_eq!(found[0].lint, lint::Lint::NearKnownName { known: "Content-Length" });
//! assert_eq!(&input[found[0].at.clone()], b"Content-Lenght");
//! ```

use crate::head::{Fields, Method, RequestHead, ResponseHead, TargetForm};
use alloc::vec::Vec;
use core::fmt;
use core::ops::Range;

/// How much a finding matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    /// Done well: worth knowing.
    Good,
    /// Allowed, but a reader may want to know.
    Note,
    /// Allowed, but likely a mistake, or something other software reads differently.
    Warning,
}

impl Level {
    /// `"good"`, `"note"` or `"warning"`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Level::Good => "good",
            Level::Note => "note",
            Level::Warning => "warning",
        }
    }
}

/// One kind of finding.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lint {
    // Requests (and any message).
    /// A field name that is not one of the well-known ones but one edit (a letter added,
    /// dropped, changed, or two swapped) from one: most likely a typo, and read as an
    /// unknown field, so a mistyped `Content-Length` leaves its body to be read as the next
    /// request.
    NearKnownName {
        /// The well-known name it is one edit from.
        known: &'static str,
    },
    /// Empty lines before the request line, which a server ignores (RFC 9112 §2.2).
    LeadingEmptyLines,
    /// Content-Length repeated (several fields, or a list) with equal values: accepted as one
    /// value (RFC 9112 §6.3 rule 5), but some parsers refuse it or take another.
    RepeatedContentLength,
    /// An absolute-form target whose authority differs from Host: the target wins (RFC 9112
    /// §3.2.2), but software that reads Host instead sees another host.
    HostDiffersFromTarget,
    /// Bytes after a complete message, read as the start of the next one. The message
    /// declared its own length, so these bytes are not its body.
    NextMessageFollows,
    // Responses.
    /// No Date field (RFC 9110 §6.6.1: an origin server with a clock sends one in 2xx, 3xx
    /// and 4xx responses).
    MissingDate,
    /// ETag or Last-Modified: a cache can revalidate the response (RFC 9110 §8.8).
    Validators,
    /// Neither ETag nor Last-Modified: a cache can only fetch it again in full.
    NoValidator,
    /// Neither Cache-Control nor Expires: a cache may choose a heuristic freshness lifetime
    /// (RFC 9111 §4.2.2).
    NoExplicitFreshness,
    /// `Accept-Ranges: bytes`: the client may ask for a part (RFC 9110 §14.3).
    AcceptsRanges,
    /// No Accept-Ranges on a full response with a known length: a client does not learn
    /// whether range requests would work (RFC 9110 §14.3).
    NoAcceptRanges,
    /// A 206 without Content-Range (RFC 9110 §15.3.7 requires it).
    PartialWithoutContentRange,
    /// A 416 without `Content-Range: bytes */length` (RFC 9110 §15.5.17).
    UnsatisfiableWithoutContentRange,
    /// A Vary field: caches keep one copy per value of the fields it names (RFC 9110 §12.5.5).
    Varies,
    /// `Vary: *`: no cache can reuse the response (RFC 9110 §12.5.5).
    VaryStar,
    /// Content-Encoding without `Vary: Accept-Encoding`: a cache may hand the encoded body
    /// to a client that cannot decode it (RFC 9110 §12.5.5, §8.4).
    EncodingWithoutVary,
    /// A 405 without Allow (RFC 9110 §15.5.6 requires it).
    MissingAllow,
    /// A 401 without WWW-Authenticate (RFC 9110 §15.5.2 requires it).
    MissingWwwAuthenticate,
    /// A body without Content-Type: the client has to guess (RFC 9110 §8.3).
    MissingContentType,
}

impl Lint {
    /// The variant's name (`"NearKnownName"`), for programs.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Lint::NearKnownName { .. } => "NearKnownName",
            Lint::LeadingEmptyLines => "LeadingEmptyLines",
            Lint::RepeatedContentLength => "RepeatedContentLength",
            Lint::HostDiffersFromTarget => "HostDiffersFromTarget",
            Lint::NextMessageFollows => "NextMessageFollows",
            Lint::MissingDate => "MissingDate",
            Lint::Validators => "Validators",
            Lint::NoValidator => "NoValidator",
            Lint::NoExplicitFreshness => "NoExplicitFreshness",
            Lint::AcceptsRanges => "AcceptsRanges",
            Lint::NoAcceptRanges => "NoAcceptRanges",
            Lint::PartialWithoutContentRange => "PartialWithoutContentRange",
            Lint::UnsatisfiableWithoutContentRange => "UnsatisfiableWithoutContentRange",
            Lint::Varies => "Varies",
            Lint::VaryStar => "VaryStar",
            Lint::EncodingWithoutVary => "EncodingWithoutVary",
            Lint::MissingAllow => "MissingAllow",
            Lint::MissingWwwAuthenticate => "MissingWwwAuthenticate",
            Lint::MissingContentType => "MissingContentType",
        }
    }

    /// How much it matters.
    #[must_use]
    pub fn level(self) -> Level {
        match self {
            Lint::Validators | Lint::AcceptsRanges | Lint::Varies => Level::Good,
            Lint::LeadingEmptyLines
            | Lint::NextMessageFollows
            | Lint::NoValidator
            | Lint::NoExplicitFreshness
            | Lint::NoAcceptRanges
            | Lint::UnsatisfiableWithoutContentRange
            | Lint::MissingContentType => Level::Note,
            Lint::NearKnownName { .. }
            | Lint::RepeatedContentLength
            | Lint::HostDiffersFromTarget
            | Lint::MissingDate
            | Lint::PartialWithoutContentRange
            | Lint::VaryStar
            | Lint::EncodingWithoutVary
            | Lint::MissingAllow
            | Lint::MissingWwwAuthenticate => Level::Warning,
        }
    }

    /// The RFC section behind it.
    #[must_use]
    pub fn rfc(self) -> &'static str {
        match self {
            Lint::NearKnownName { .. } => "RFC 9110 §5.1, RFC 9112 §6.3",
            Lint::LeadingEmptyLines => "RFC 9112 §2.2",
            Lint::RepeatedContentLength => "RFC 9110 §8.6, RFC 9112 §6.3",
            Lint::HostDiffersFromTarget => "RFC 9112 §3.2.2",
            Lint::NextMessageFollows => "RFC 9112 §6.3, §9.3",
            Lint::MissingDate => "RFC 9110 §6.6.1",
            Lint::Validators | Lint::NoValidator => "RFC 9110 §8.8",
            Lint::NoExplicitFreshness => "RFC 9111 §4.2.2",
            Lint::AcceptsRanges | Lint::NoAcceptRanges => "RFC 9110 §14.3",
            Lint::PartialWithoutContentRange => "RFC 9110 §15.3.7",
            Lint::UnsatisfiableWithoutContentRange => "RFC 9110 §15.5.17",
            Lint::Varies | Lint::VaryStar | Lint::EncodingWithoutVary => "RFC 9110 §12.5.5",
            Lint::MissingAllow => "RFC 9110 §15.5.6",
            Lint::MissingWwwAuthenticate => "RFC 9110 §15.5.2",
            Lint::MissingContentType => "RFC 9110 §8.3",
        }
    }
}

impl fmt::Display for Lint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Lint::NearKnownName { known } => write!(
                f,
                "one edit from {known}: most likely a typo, and read as an unknown field"
            ),
            Lint::LeadingEmptyLines => f.write_str("empty lines before the request line, skipped"),
            Lint::RepeatedContentLength => f.write_str(
                "content-length repeated with equal values: taken as one, but some parsers refuse it",
            ),
            Lint::HostDiffersFromTarget => f.write_str(
                "host differs from the target's authority: the target wins, software reading host sees another host",
            ),
            Lint::NextMessageFollows => f.write_str(
                "bytes after the message, which declared its own length: read as the next message",
            ),
            Lint::MissingDate => f.write_str("no date field"),
            Lint::Validators => f.write_str("has a validator: a cache can revalidate it"),
            Lint::NoValidator => f.write_str(
                "neither etag nor last-modified: a cache can only fetch it again in full",
            ),
            Lint::NoExplicitFreshness => f.write_str(
                "neither cache-control nor expires: a cache may guess how long it stays fresh",
            ),
            Lint::AcceptsRanges => f.write_str("accepts byte ranges"),
            Lint::NoAcceptRanges => f.write_str("does not say whether it accepts ranges"),
            Lint::PartialWithoutContentRange => f.write_str("206 without content-range"),
            Lint::UnsatisfiableWithoutContentRange => {
                f.write_str("416 without content-range: bytes */length")
            }
            Lint::Varies => f.write_str("varies: caches keep one copy per value of what it names"),
            Lint::VaryStar => f.write_str("vary: * makes it unusable by any cache"),
            Lint::EncodingWithoutVary => {
                f.write_str("content-encoding without vary: accept-encoding")
            }
            Lint::MissingAllow => f.write_str("405 without allow"),
            Lint::MissingWwwAuthenticate => f.write_str("401 without www-authenticate"),
            Lint::MissingContentType => f.write_str("a body without content-type"),
        }
    }
}

/// One finding and the bytes it is about, relative to the start of the head (its `raw`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What was found.
    pub lint: Lint,
    /// Where.
    pub at: Range<usize>,
}

/// Field names people send every day, as usually written. A name one edit from one of
/// these, and not one of them, is flagged.
const KNOWN: &[&str] = &[
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Accept-Ranges",
    "Allow",
    "Authorization",
    "Cache-Control",
    "Connection",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Location",
    "Content-Range",
    "Content-Type",
    "Cookie",
    "Date",
    "ETag",
    "Expect",
    "Expires",
    "Host",
    "If-Match",
    "If-Modified-Since",
    "If-None-Match",
    "If-Range",
    "If-Unmodified-Since",
    "Last-Modified",
    "Location",
    "Origin",
    "Range",
    "Referer",
    "Server",
    "Set-Cookie",
    "Trailer",
    "Transfer-Encoding",
    "Upgrade",
    "User-Agent",
    "Vary",
    "WWW-Authenticate",
];

/// Whether `a` and `b` (ASCII, compared case-insensitively) are exactly one edit apart: one
/// byte inserted, deleted or replaced, or two neighbours swapped.
fn one_edit(a: &[u8], b: &[u8]) -> bool {
    let eq = |x: u8, y: u8| x.eq_ignore_ascii_case(&y);
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    match long.len() - short.len() {
        0 => {
            let mut diff = short
                .iter()
                .zip(long)
                .enumerate()
                .filter(|(_, (x, y))| !eq(**x, **y));
            match (diff.next(), diff.next(), diff.next()) {
                (Some(_), None, _) => true,
                (Some((i, _)), Some((j, _)), None) => {
                    j == i + 1 && eq(a[i], b[j]) && eq(a[j], b[i])
                }
                _ => false,
            }
        }
        1 => {
            let first = short.iter().zip(long).position(|(x, y)| !eq(*x, *y));
            let i = first.unwrap_or(short.len());
            short[i..]
                .iter()
                .zip(&long[i + 1..])
                .all(|(x, y)| eq(*x, *y))
        }
        _ => false,
    }
}

/// The well-known name `name` is one edit from, if it is not one itself.
fn near_known(name: &str) -> Option<&'static str> {
    let n = name.as_bytes();
    if n.len() < 4 || KNOWN.iter().any(|k| k.eq_ignore_ascii_case(name)) {
        return None;
    }
    KNOWN
        .iter()
        .copied()
        .find(|k| k.len() >= 4 && one_edit(n, k.as_bytes()))
}

fn field_findings(fields: &Fields<'_>, out: &mut Vec<Finding>) {
    for f in fields.iter() {
        if let Some(known) = near_known(f.name) {
            out.push(Finding {
                lint: Lint::NearKnownName { known },
                at: f.span.name(),
            });
        }
    }
    let mut lengths = fields
        .iter()
        .filter(|f| f.name.eq_ignore_ascii_case("content-length"));
    if let Some(first) = lengths.next() {
        // A message that reaches here had equal values: a second field or a list repeats it.
        let second = lengths.next();
        if second.is_some() || first.value.contains(&b',') {
            out.push(Finding {
                lint: Lint::RepeatedContentLength,
                at: second.map_or(first.span.value(), |s| s.span.line()),
            });
        }
    }
}

/// The authority of an absolute-form target (`http://host:port/path` → `host:port`),
/// without user info.
fn authority(target: &str) -> Option<&str> {
    let rest = target.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let auth = &rest[..end];
    Some(auth.rsplit_once('@').map_or(auth, |(_, h)| h))
}

/// `host[:port]` without a port that is the scheme's default.
fn without_default_port<'a>(hostport: &'a str, scheme: &str) -> &'a str {
    let default = if scheme.eq_ignore_ascii_case("https") {
        ":443"
    } else {
        ":80"
    };
    if hostport.len() > default.len() && hostport.ends_with(default) && !hostport.ends_with(']') {
        &hostport[..hostport.len() - default.len()]
    } else {
        hostport
    }
}

/// What is suspicious in an accepted request head: field names one edit from well-known
/// ones, empty lines before the request line, a repeated Content-Length, a Host that
/// differs from an absolute-form target.
#[must_use]
pub fn request(head: &RequestHead<'_>) -> Vec<Finding> {
    let mut out = Vec::new();
    let line = head.request_line_span();
    if line.start > 0 {
        out.push(Finding {
            lint: Lint::LeadingEmptyLines,
            at: 0..line.start,
        });
    }
    let fields = head.fields();
    field_findings(&fields, &mut out);
    if head.target_form() == TargetForm::Absolute {
        let scheme = head.target().split_once("://").map_or("http", |(s, _)| s);
        let host = fields.iter().find(|f| f.name.eq_ignore_ascii_case("host"));
        if let (Some(auth), Some(host)) = (authority(head.target()), host) {
            let value = core::str::from_utf8(host.value).unwrap_or("");
            if !without_default_port(auth, scheme)
                .eq_ignore_ascii_case(without_default_port(value, scheme))
            {
                out.push(Finding {
                    lint: Lint::HostDiffersFromTarget,
                    at: host.span.value(),
                });
            }
        }
    }
    out.sort_by_key(|f| f.at.start);
    out
}

/// What a response says well or could say better, for a response to a request with
/// `method`: Date, validators, freshness, ranges, Vary, and the fields some statuses
/// require. `has_body` is whether the response carries a body (none for HEAD, 204, 304).
#[must_use]
pub fn response(head: &ResponseHead<'_>, method: Method<'_>, has_body: bool) -> Vec<Finding> {
    let mut out = Vec::new();
    let status = head.status();
    let line = head.status_line_span();
    let fields = head.fields();
    let field = |name: &str| fields.iter().find(|f| f.name.eq_ignore_ascii_case(name));
    field_findings(&fields, &mut out);
    let mut push = |lint, at: Range<usize>| out.push(Finding { lint, at });
    if (200..500).contains(&status) && field("date").is_none() {
        push(Lint::MissingDate, line.clone());
    }
    let get = matches!(method, Method::Get | Method::Head);
    if get && status == 200 {
        match field("etag").or_else(|| field("last-modified")) {
            Some(v) => push(Lint::Validators, v.span.line()),
            None => push(Lint::NoValidator, line.clone()),
        }
        if field("cache-control").is_none() && field("expires").is_none() {
            push(Lint::NoExplicitFreshness, line.clone());
        }
        match field("accept-ranges") {
            Some(v) if v.value.eq_ignore_ascii_case(b"bytes") => {
                push(Lint::AcceptsRanges, v.span.line());
            }
            Some(_) => {}
            None if field("content-length").is_some() => push(Lint::NoAcceptRanges, line.clone()),
            None => {}
        }
    }
    if status == 206 && field("content-range").is_none() {
        push(Lint::PartialWithoutContentRange, line.clone());
    }
    if status == 416 && field("content-range").is_none() {
        push(Lint::UnsatisfiableWithoutContentRange, line.clone());
    }
    let vary = field("vary");
    match vary {
        Some(v)
            if v.value
                .split(|&b| b == b',')
                .any(|e| e.trim_ascii() == b"*") =>
        {
            push(Lint::VaryStar, v.span.line());
        }
        Some(v) => push(Lint::Varies, v.span.line()),
        None => {}
    }
    if let Some(enc) = field("content-encoding") {
        let named = vary.is_some_and(|v| {
            v.value
                .split(|&b| b == b',')
                .any(|e| e.trim_ascii().eq_ignore_ascii_case(b"accept-encoding"))
        });
        if !named {
            push(Lint::EncodingWithoutVary, enc.span.line());
        }
    }
    if status == 405 && field("allow").is_none() {
        push(Lint::MissingAllow, line.clone());
    }
    if status == 401 && field("www-authenticate").is_none() {
        push(Lint::MissingWwwAuthenticate, line.clone());
    }
    if has_body && field("content-type").is_none() {
        push(Lint::MissingContentType, line);
    }
    out.sort_by_key(|f| f.at.start);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Event, Limits, RequestParser, ResponseParser};
    use alloc::string::String;

    fn lints_of_request(input: &[u8]) -> Vec<(Lint, &[u8])> {
        let mut p = RequestParser::new(Limits::default());
        let step = p.handle_bytes(input).expect("accepted");
        let Event::Head(h) = step.event else {
            panic!("no head")
        };
        request(&h)
            .into_iter()
            .map(|f| (f.lint, &input[f.at]))
            .collect()
    }

    fn lints_of_response(input: &[u8], method: Method<'_>) -> Vec<Lint> {
        let mut p = ResponseParser::new(Limits::default(), method);
        let step = p.handle_bytes(input).expect("accepted");
        let Event::Head(h) = step.event else {
            panic!("no head")
        };
        let body = h.framing() != crate::Framing::None && h.framing() != crate::Framing::Length(0);
        response(&h, method, body)
            .into_iter()
            .map(|f| f.lint)
            .collect()
    }

    #[test]
    fn one_edit_counts_insertions_deletions_changes_and_swaps() {
        for (a, b) in [
            ("Content-Lenght", "Content-Length"),
            ("content-lngth", "Content-Length"),
            ("Content-Lengths", "Content-Length"),
            ("Transfer-Encodinh", "Transfer-Encoding"),
            ("Hots", "Host"),
        ] {
            assert!(one_edit(a.as_bytes(), b.as_bytes()), "{a} / {b}");
        }
        for (a, b) in [
            ("Content-Length", "Content-Length"),
            ("Content-Lenhgt", "Content-Length"),
            ("Content-Type", "Content-Range"),
            ("Accept", "Expect"),
        ] {
            assert!(!one_edit(a.as_bytes(), b.as_bytes()), "{a} / {b}");
        }
        assert_eq!(near_known("content-lenght"), Some("Content-Length"));
        assert_eq!(
            near_known("Content-Length"),
            None,
            "a known name is not a typo"
        );
        assert_eq!(near_known("X-Custom"), None);
    }

    #[test]
    fn flags_a_mistyped_name_where_it_is() {
        let found =
            lints_of_request(b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encodign: chunked\r\n\r\n");
        assert_eq!(
            found,
            [(
                Lint::NearKnownName {
                    known: "Transfer-Encoding"
                },
                &b"Transfer-Encodign"[..]
            )]
        );
    }

    #[test]
    fn flags_leading_empty_lines_repeated_lengths_and_a_host_unlike_the_target() {
        let found = lints_of_request(b"\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(found, [(Lint::LeadingEmptyLines, &b"\r\n\r\n"[..])]);
        let found = lints_of_request(
            b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx",
        );
        assert_eq!(
            found,
            [(Lint::RepeatedContentLength, &b"Content-Length: 1\r\n"[..])]
        );
        let found = lints_of_request(b"PUT / HTTP/1.1\r\nHost: x\r\nContent-Length: 1, 1\r\n\r\nx");
        assert_eq!(found, [(Lint::RepeatedContentLength, &b"1, 1"[..])]);
        let found = lints_of_request(b"GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n");
        assert_eq!(found, [(Lint::HostDiffersFromTarget, &b"b.example"[..])]);
        for same in [
            &b"GET http://a.example/x HTTP/1.1\r\nHost: A.example\r\n\r\n"[..],
            b"GET http://a.example:80/x HTTP/1.1\r\nHost: a.example\r\n\r\n",
            b"GET http://u@a.example?q HTTP/1.1\r\nHost: a.example:80\r\n\r\n",
        ] {
            assert_eq!(
                lints_of_request(same),
                [],
                "{}",
                String::from_utf8_lossy(same)
            );
        }
        assert_eq!(
            lints_of_request(b"GET / HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n"),
            []
        );
    }

    #[test]
    fn lints_responses() {
        let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi";
        assert_eq!(
            lints_of_response(plain, Method::Get),
            [
                Lint::MissingDate,
                Lint::NoValidator,
                Lint::NoExplicitFreshness,
                Lint::NoAcceptRanges,
                Lint::MissingContentType
            ]
        );
        let good = b"HTTP/1.1 200 OK\r\nDate: Tue, 14 Nov 2023 22:13:20 GMT\r\nETag: \"x\"\r\n\
                     Cache-Control: no-cache\r\nAccept-Ranges: bytes\r\nContent-Type: text/plain\r\n\
                     Vary: Accept\r\nContent-Length: 2\r\n\r\nhi";
        assert_eq!(
            lints_of_response(good, Method::Get),
            [Lint::Validators, Lint::AcceptsRanges, Lint::Varies]
        );
        let partial = b"HTTP/1.1 206 Partial Content\r\nDate: x\r\nContent-Type: a/b\r\nContent-Length: 1\r\n\r\nh";
        assert_eq!(
            lints_of_response(partial, Method::Get),
            [Lint::PartialWithoutContentRange]
        );
        let refused = b"HTTP/1.1 405 Method Not Allowed\r\nDate: x\r\nVary: *\r\nContent-Encoding: gzip\r\nContent-Length: 0\r\n\r\n";
        assert_eq!(
            lints_of_response(refused, Method::Other("BREW")),
            [
                Lint::MissingAllow,
                Lint::VaryStar,
                Lint::EncodingWithoutVary
            ]
        );
    }
}
