//! The reserved path `/.simplehttp/`: the listing's script and stylesheet, embedded in the
//! core ([`crate::assets`]), and nothing else. No file of the store is ever served, written
//! or removed there, so an upload cannot replace the script every listing page runs.

use super::conditional::{preconditions, Current};
use super::{options, Cx, ALLOW_READ};
use crate::assets::find;
use crate::head::Method;
use crate::reply::{Body, HeaderValue, Reply};
use crate::rule::Rule;
use crate::target::StorePath;
use alloc::string::String;
use core::fmt::Write as _;

/// A year: the page links each asset with its hash (`?v=…`), so a changed asset has a new
/// URL and an old one may be kept this long (RFC 9111 §5.2.2.1; `immutable`, RFC 8246).
const CACHE: &str = "public, max-age=31536000, immutable";

pub(super) fn reserved(cx: &Cx<'_, '_>, path: &StorePath) -> Reply {
    match cx.req.method() {
        Method::Get | Method::Head => {}
        Method::Options => {
            let mut r = options(cx, ALLOW_READ);
            r.rule = Rule::ReservedPath;
            return r;
        }
        // RFC 9110 §15.5.6: 405 MUST come with Allow.
        _ => {
            return cx.error_with(
                405,
                Rule::ReservedPath,
                "Allow",
                HeaderValue::Static(ALLOW_READ),
            )
        }
    }
    let mut names = path.segments().skip(1);
    let asset = match (names.next(), names.next()) {
        (Some(name), None) => find(name),
        _ => None,
    };
    // RFC 9110 §15.5.5.
    let Some(asset) = asset else {
        return cx.error(404, Rule::ReservedPath);
    };
    let mut tag = String::with_capacity(18);
    let _ = write!(tag, "\"{:016x}\"", asset.hash);
    let current = Current {
        etag: Some(&tag),
        modified: None,
    };
    let mut r = match preconditions(cx, Some(&current)) {
        Ok(()) => cx.reply(200, Rule::ListingAsset),
        // RFC 9110 §15.4.5: a 304 carries the validators and caching fields a 200 would.
        Err((304, rule)) => cx.reply(304, rule),
        Err((status, rule)) => return cx.error(status, rule),
    };
    r.headers.push(("ETag", HeaderValue::Owned(tag)));
    r.headers
        .push(("Cache-Control", HeaderValue::Static(CACHE)));
    if r.status == 304 {
        return r;
    }
    r.headers
        .push(("Content-Type", HeaderValue::Static(asset.content_type)));
    r.headers
        .push(("X-Content-Type-Options", HeaderValue::Static("nosniff")));
    r.headers.push((
        "Content-Length",
        HeaderValue::Number(asset.bytes.len() as u64),
    ));
    if !cx.is_head {
        r.body = Body::Bytes(asset.bytes.to_vec());
    }
    r
}
