//! GET and HEAD: a file (with its validators, preconditions and range), a directory's
//! redirect to its `/` form, its `index.html`, or its listing.

use super::conditional::{etag, if_range_matches, preconditions, Current};
use super::content_type::{header_text, push_listing_type, push_type};
use super::range::{parse_range, RangeAsk};
use super::{store_error, trim, Cx, HTML, JSON};
use crate::head::{Method, Version};
use crate::listing::{Format, Listing, ListingQuery, View};
use crate::mime::content_type;
use crate::reply::{Body, HeaderValue, Reply};
use crate::rule::Rule;
use crate::store::{FileStore, Kind, Listed, Metadata};
use crate::target::{Resolved, StorePath};
use alloc::boxed::Box;
use alloc::string::String;
use core::fmt::Write as _;

pub(super) fn get<S: FileStore + ?Sized>(cx: &Cx<'_, '_>, store: &S, target: Resolved) -> Reply {
    let meta = match store.metadata(&target.path) {
        Ok(Some(m)) => m,
        // RFC 9110 §15.5.5.
        Ok(None) => return cx.error(404, Rule::NotFound),
        Err(e) => return store_error(cx, e),
    };
    if meta.kind == Kind::File {
        if target.trailing_slash {
            // RFC 9110 §15.5.5: `a.txt/` names a directory, and there is none.
            return cx.error(404, Rule::FileWithTrailingSlash);
        }
        return serve_file(cx, target.path, &meta);
    }
    if !target.trailing_slash {
        // RFC 9110 §15.4.2: 301 with Location, so relative links in the listing resolve
        // under the directory. The query goes along.
        let mut location = target.path.to_url_path();
        location.push('/');
        if let Some(q) = &target.query {
            location.push('?');
            location.push_str(q);
        }
        return cx.error_with(
            301,
            Rule::DirectoryRedirect,
            "Location",
            HeaderValue::Owned(location),
        );
    }
    // RFC 9110 §9.3.1: GET of a directory transfers its index page when it has one...
    if let Some(index) = target.path.join("index.html") {
        match store.metadata(&index) {
            Ok(Some(m)) if m.kind == Kind::File => return serve_file(cx, index, &m),
            Ok(_) => {}
            Err(e) => return store_error(cx, e),
        }
    }
    // ...and a generated listing otherwise.
    match store.list(&target.path) {
        Ok(entries) => listing(cx, &target, entries),
        Err(e) => store_error(cx, e),
    }
}

fn serve_file(cx: &Cx<'_, '_>, path: StorePath, meta: &Metadata) -> Reply {
    let tag = etag(meta);
    let current = Current {
        etag: Some(&tag),
        modified: Some(meta.modified),
    };
    let validators = |r: &mut Reply, tag: String| {
        r.headers
            .push(("Last-Modified", HeaderValue::Date(meta.modified)));
        r.headers.push(("ETag", HeaderValue::Owned(tag)));
    };
    match preconditions(cx, Some(&current)) {
        Ok(()) => {}
        Err((304, rule)) => {
            // RFC 9110 §15.4.5: a 304 carries the validators a 200 would, no content.
            let mut r = cx.reply(304, rule);
            validators(&mut r, tag);
            return r;
        }
        Err((status, rule)) => return cx.error(status, rule),
    }
    let len = meta.len;
    let (mut start, mut count, mut status, mut rule) = (0, len, 200, Rule::ServeFile);
    // RFC 9110 §14.2: Range only for GET; If-Range only with Range.
    if let (Method::Get, Some(range)) = (cx.req.method(), cx.req.header("range")) {
        let fresh = cx
            .req
            .header("if-range")
            .is_none_or(|v| if_range_matches(v, &tag, meta.modified, cx.now));
        match parse_range(range, len) {
            _ if !fresh => rule = Rule::IfRangeStale,
            RangeAsk::Ignore => {}
            RangeAsk::Multiple => rule = Rule::MultipleRanges,
            RangeAsk::Unsatisfiable => {
                // RFC 9110 §15.5.17: 416 SHOULD carry `Content-Range: bytes */len`.
                let mut cr = String::with_capacity(24);
                let _ = write!(cr, "bytes */{len}");
                return cx.error_with(
                    416,
                    Rule::RangeNotSatisfiable,
                    "Content-Range",
                    HeaderValue::Owned(cr),
                );
            }
            RangeAsk::Bytes(first, last) => {
                (start, count, status, rule) = (first, last - first + 1, 206, Rule::PartialContent);
            }
        }
    }
    let mut r = cx.reply(status, rule);
    validators(&mut r, tag);
    let ty = header_text(content_type(path.file_name().unwrap_or("")));
    push_type(&mut r, ty, cx.sandbox);
    if status == 206 {
        // RFC 9110 §14.4: `bytes first-last/complete-length`.
        let mut cr = String::with_capacity(48);
        let _ = write!(cr, "bytes {}-{}/{}", start, start + count - 1, len);
        r.headers.push(("Content-Range", HeaderValue::Owned(cr)));
    }
    r.headers
        .push(("Content-Length", HeaderValue::Number(count)));
    // RFC 9110 §14.3: advertise range support.
    r.headers
        .push(("Accept-Ranges", HeaderValue::Static("bytes")));
    // RFC 9110 §9.3.2: HEAD gets the same head and no content.
    if !cx.is_head && count > 0 {
        r.body = Body::File {
            path,
            start,
            len: count,
        };
    }
    r
}

fn listing(cx: &Cx<'_, '_>, target: &Resolved, listed: Listed) -> Reply {
    // A listing has no validators, so only `*` preconditions can apply (§13.2.1).
    match preconditions(
        cx,
        Some(&Current {
            etag: None,
            modified: None,
        }),
    ) {
        Ok(()) => {}
        Err((304, rule)) => return cx.reply(304, rule),
        Err((status, rule)) => return cx.error(status, rule),
    }
    let query = ListingQuery::parse(target.query.as_deref());
    let format = query
        .format
        .unwrap_or_else(|| negotiate(cx.req.fields().all("accept")));
    let view = View {
        sort: query.sort,
        order: query.order,
        format,
        writable: cx.writable,
        hidden: cx.hidden,
    };
    let page = Listing::with_view(target.path.clone(), listed, view);
    let mut r = cx.reply(200, Rule::DirectoryListing);
    match format {
        Format::Html => push_listing_type(&mut r, HTML),
        Format::Json => push_type(&mut r, HeaderValue::Static(JSON), false),
    }
    // RFC 9110 §12.5.5: the answer depends on Accept.
    r.headers.push(("Vary", HeaderValue::Static("Accept")));
    if cx.req.version() == Version::Http10 {
        // An HTTP/1.0 client cannot read chunked (RFC 9112 §6.1): send the length.
        r.headers
            .push(("Content-Length", HeaderValue::Number(page.total_len())));
    } else {
        // RFC 9112 §7.1: chunked, so the shell streams it a piece at a time.
        r.headers
            .push(("Transfer-Encoding", HeaderValue::Static("chunked")));
    }
    if !cx.is_head {
        r.body = Body::Listing(Box::new(page));
    }
    r
}

/// JSON when the `Accept` fields rank `application/json` above `text/html` (RFC 9110
/// §12.5.1: exact media ranges, `q` weights, `q=0` is "not acceptable"); HTML otherwise, as
/// for a browser (`text/html,…,*/*;q=0.8`) or a client that sends `*/*` or nothing.
fn negotiate<'a>(accept: impl Iterator<Item = &'a [u8]>) -> Format {
    let (mut json, mut html) = (0u16, 0u16);
    for line in accept {
        for range in line.split(|&b| b == b',') {
            let mut parts = range.split(|&b| b == b';');
            let media = trim(parts.next().unwrap_or(b""));
            let q = parts
                .filter_map(|p| {
                    let p = trim(p);
                    let v = p.strip_prefix(b"q=").or_else(|| p.strip_prefix(b"Q="))?;
                    Some(qvalue(v))
                })
                .next()
                .unwrap_or(1000);
            if media.eq_ignore_ascii_case(b"application/json") {
                json = json.max(q);
            } else if media.eq_ignore_ascii_case(b"text/html") {
                html = html.max(q);
            }
        }
    }
    if json > 0 && json > html {
        Format::Json
    } else {
        Format::Html
    }
}

/// A `qvalue` (RFC 9110 §12.4.2) in thousandths; a malformed one counts as 0.
fn qvalue(v: &[u8]) -> u16 {
    match v {
        [b'1', rest @ ..] if rest.iter().all(|&b| b == b'.' || b == b'0') => 1000,
        [b'0'] | [b'0', b'.'] => 0,
        [b'0', b'.', digits @ ..] if digits.len() <= 3 && digits.iter().all(u8::is_ascii_digit) => {
            let mut n = 0u16;
            for i in 0..3 {
                n = n * 10 + digits.get(i).map_or(0, |d| u16::from(d - b'0'));
            }
            n
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_json_only_when_preferred_to_html() {
        let json = |lines: &[&str]| negotiate(lines.iter().map(|l| l.as_bytes())) == Format::Json;
        for (lines, want) in [
            (&[][..], false),
            (&["*/*"][..], false),
            (&["application/json"][..], true),
            (&["Application/JSON; charset=utf-8"][..], true),
            (&["text/html,application/xhtml+xml,*/*;q=0.8"][..], false),
            (&["text/html;q=0.5, application/json"][..], true),
            (&["application/json;q=0.9, text/html"][..], false),
            (&["application/json;q=0"][..], false),
            (&["text/html;q=0.1", "application/json;q=0.2"][..], true),
            (&["application/json;q=bad"][..], false),
        ] {
            assert_eq!(json(lines), want, "{lines:?}");
        }
    }

    #[test]
    fn reads_qvalues() {
        for (v, want) in [
            ("1", 1000),
            ("1.000", 1000),
            ("0", 0),
            ("0.5", 500),
            ("0.25", 250),
            ("0.125", 125),
            ("0.1234", 0),
            ("2", 0),
            ("", 0),
        ] {
            assert_eq!(qvalue(v.as_bytes()), want, "{v}");
        }
    }
}
