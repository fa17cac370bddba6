//! `Content-Type`, and the fields beside it that keep a browser from running what someone
//! uploaded: `X-Content-Type-Options: nosniff` always, `Content-Security-Policy: sandbox`
//! for HTML, SVG and XML from a writable store, and a strict policy for the listing page.

use crate::reply::{HeaderValue, Reply};
use alloc::borrow::Cow;

/// `Content-Type`, and `X-Content-Type-Options: nosniff` beside it: a browser uses the type
/// given and never guesses one from the bytes (Fetch §3.5, `nosniff`), so a `.txt` or
/// `.png` upload holding HTML or script is never run as such. With `sandbox`, HTML, SVG
/// and XML also get `Content-Security-Policy: sandbox` (CSP Level 3 §6.3.2): the page
/// runs in an opaque origin, without the server's cookies or same-origin access.
pub(super) fn push_type(r: &mut Reply, value: HeaderValue, sandbox: bool) {
    let active = match &value {
        HeaderValue::Static(t) => active_type(t),
        HeaderValue::Owned(t) => active_type(t),
        HeaderValue::Number(_) | HeaderValue::Date(_) => false,
    };
    r.headers.push(("Content-Type", value));
    r.headers
        .push(("X-Content-Type-Options", HeaderValue::Static("nosniff")));
    if sandbox && active {
        r.headers
            .push(("Content-Security-Policy", HeaderValue::Static("sandbox")));
    }
}

/// A listing page's `Content-Type` and fields: `nosniff`, and instead of the sandbox (which
/// would stop its script) the strict [`LISTING_CSP`](super::LISTING_CSP).
pub(super) fn push_listing_type(r: &mut Reply, html: &'static str) {
    r.headers.push(("Content-Type", HeaderValue::Static(html)));
    r.headers
        .push(("X-Content-Type-Options", HeaderValue::Static("nosniff")));
    r.headers.push((
        "Content-Security-Policy",
        HeaderValue::Static(super::LISTING_CSP),
    ));
}

/// Whether a browser would render a type as a document that can run script: HTML, XHTML,
/// SVG, XSLT and any other XML (an XML document may hold XHTML `script` elements).
fn active_type(t: &str) -> bool {
    let essence = t.split(';').next().unwrap_or("").trim();
    let is = |name: &str| essence.eq_ignore_ascii_case(name);
    is("text/html")
        || is("text/xml")
        || is("application/xml")
        || is("text/xsl")
        || essence
            .as_bytes()
            .rsplit(|&b| b == b'/')
            .next()
            .is_some_and(|sub| sub.len() > 4 && sub[sub.len() - 4..].eq_ignore_ascii_case(b"+xml"))
}

pub(super) fn header_text(s: Cow<'static, str>) -> HeaderValue {
    match s {
        Cow::Borrowed(s) => HeaderValue::Static(s),
        Cow::Owned(s) => HeaderValue::Owned(s),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn knows_which_types_can_run_script() {
        for t in [
            "text/html; charset=utf-8",
            "TEXT/HTML",
            "image/svg+xml",
            "application/xhtml+xml",
            "text/xml; charset=utf-8",
            "application/xml",
            "text/xsl",
            "application/xslt+xml",
            "application/rss+xml",
            "application/mathml+xml",
        ] {
            assert!(super::active_type(t), "{t}");
        }
        for t in [
            "text/plain; charset=utf-8",
            "text/javascript; charset=utf-8",
            "application/json",
            "image/png",
            "application/octet-stream",
            "text/css",
            "+xml",
            "",
        ] {
            assert!(!super::active_type(t), "{t}");
        }
    }
}
