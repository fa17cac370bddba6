//! Deciding the answer to a request: a pure function of the request head, a [`FileStore`]
//! and the time, returning a [`Reply`] whose body is a plan for the shell to carry out.
//!
//! # The rules, in the order they are tried
//!
//! | # | condition | answer | [`Rule`] |
//! |---|-----------|--------|----------|
//! | 0 | `Host` (or an absolute-form target's host) not in [`Policy::allowed_hosts`] | 421, close | `HostNotAllowed` |
//! | 1 | `Expect` other than `100-continue` | 417 | `ExpectationFailed` |
//! | 2 | method not GET, HEAD, PUT, DELETE, OPTIONS | 405 + `Allow` | `MethodNotAllowed` |
//! | 3 | OPTIONS (`*` or a path) | 204 + `Allow` | `Options` |
//! | 3a | a CORS preflight from an allowed origin, with [`Policy::cors`] | 204 + `Allow` and `Access-Control-Allow-Methods`, ... | `CorsPreflight` |
//! | 4 | target not a safe path | 400 | `BadTarget` |
//! | 4′ | any method but OPTIONS, [`Auth::reads`] on, credentials not granted | 401 + `WWW-Authenticate`, or 429 + `Retry-After` | `Unauthorized`, `TooManyAttempts` |
//! | 4a | GET/HEAD of `/.simplehttp/<asset>` | the embedded asset, 200 / 304 | `ListingAsset` |
//! | 4b | anything else below `/.simplehttp/` | 404 (GET/HEAD), 405 + `Allow` (PUT/DELETE), 204 (OPTIONS) | `ReservedPath` |
//! | 4c | a path with a segment starting with `.`, unless [`Policy::hidden`] | 404, every method | `HiddenPath` |
//! | 5 | PUT/DELETE, policy or store read-only | 405 + `Allow` | `ReadOnly` |
//! | 6 | PUT/DELETE, [`Policy::auth`] set, credentials not granted | 401 + `WWW-Authenticate`, or 429 + `Retry-After` | `Unauthorized`, `TooManyAttempts` |
//! | 7 | GET/HEAD of a missing path | 404 | `NotFound` |
//! | 8 | GET/HEAD of a directory without its `/` | 301 to the `/` form | `DirectoryRedirect` |
//! | 9 | GET/HEAD of a directory | its `index.html` as a file, else a listing (HTML or JSON) | `DirectoryListing` |
//! | 10 | GET/HEAD of a file: preconditions (§13.2.2 order) | 412 / 304 | `IfMatchFailed`, ... |
//! | 11 | GET of a file with one satisfiable range | 206 / 416 | `PartialContent`, ... |
//! | 12 | GET/HEAD of a file | 200 | `ServeFile` |
//! | 13 | PUT to `/`, a path ending in `/`, a directory, below a file | 409 | `PutToDirectory`, ... |
//! | 14 | PUT with Content-Range | 400 | `PutWithContentRange` |
//! | 15 | PUT preconditions | 412 | `IfMatchFailed`, `IfNoneMatchFailed`, ... |
//! | 16 | PUT | plan the upload: 201 or 204 after [`finish`] | `PutCreate`, `PutReplace` |
//! | 17 | DELETE of a missing path / a directory | 404 / 409 | `NotFound`, `DeleteDirectory` |
//! | 18 | DELETE | plan the removal: 204 after [`finish`] | `Delete` |
//!
//! Before any of these, the parser refuses what is not HTTP/1.1 and what goes past its
//! [`Limits`](crate::Limits), and [`reply_to_error`] answers it. That includes the upload
//! limit, which is [`Limits::max_body`](crate::Limits::max_body) and nothing here: a
//! Content-Length above it is refused with the head (413, [`Rule::UploadTooLarge`]), before
//! any body byte is read or `100 Continue` sent, and a chunked body as soon as it grows
//! past it. One setting, enforced in one place, so decide never sees an upload too large.
//!
//! One concern per file:
//! - `decide/mod.rs`: [`decide`] and the order of the rules above, [`Policy`], and the
//!   replies decided without a request ([`reply_to_error`], [`reply_with_status`]);
//! - `decide/host.rs`: the allowed-hosts check (rule 0);
//! - `decide/auth.rs`: HTTP Basic credentials (rules 4′ and 6), the [`Authenticator`]
//!   that checks them, and [`PlainUsers`];
//! - `decide/get.rs`: GET and HEAD of files and directories (rules 7 to 12);
//! - `decide/conditional.rs`: ETags and preconditions (rules 10 and 15, `If-Range`);
//! - `decide/range.rs`: the `Range` field (rule 11);
//! - `decide/upload.rs`: PUT and DELETE (rules 13 to 18) and [`finish`];
//! - `decide/reserved.rs`: the reserved path `/.simplehttp/` (rules 4a and 4b);
//! - `decide/content_type.rs`: `Content-Type`, `nosniff`, the CSP sandbox and the
//!   listing's strict CSP;
//! - `decide/cors.rs`: CORS for scripts of other origins (rule 3a, and [`decorate`], which
//!   the connection engine applies to every final response);
//! - `decide/headers.rs`: the checked fields of [`Policy::headers`], which the connection
//!   engine writes on every final response.
//!
//! The values returned live beside this module: [`Reply`], [`Body`] and the head writer in
//! `reply.rs`, the [`Rule`] catalogue in `rule.rs`.
//!
//! Choices where RFC 9110 leaves room, and why:
//! - Unknown methods get 405 with `Allow` rather than 501 (§9.1 says SHOULD 501): a file
//!   server knows every method it will ever allow, and `Allow` tells the client which.
//! - PUT to the root or to a path ending in `/` is 409: such a target names a directory,
//!   which cannot hold bytes, the same conflict as a PUT onto an existing directory.
//!   DELETE of a directory is also 409: directories are never removed by this server.
//! - A file asked for with a trailing `/` is 404 (`a.txt/` names a directory that is not
//!   there), so relative links can never resolve against a file.
//! - `Range` is honoured for GET only; HEAD gets the 200 head (§14.2: a server MUST ignore
//!   Range for methods other than GET). Several ranges get the whole file (200), which
//!   §14.2 allows; so does a range over a zero-length file.
//! - A listing is sent chunked to HTTP/1.1 clients and with `Content-Length` to HTTP/1.0
//!   ones (which cannot read chunked), so the connection can still be kept alive.
//! - A reply that leaves a request body unread (anything but a planned upload) sets
//!   [`Reply::close`]: the shell need not drain a body it will never use.
//! - Preconditions are ignored when the answer without them would not be 2xx or 412
//!   (§13.2.1), so a missing file is 404 whatever its `If-Match`.
//! - Every reply with a body type says `X-Content-Type-Options: nosniff`, so a browser
//!   never runs an upload named `.txt` or `.png` as the HTML or script it may hold. HTML,
//!   SVG and XML from a writable store also get `Content-Security-Policy: sandbox` (unless
//!   [`Policy::trusted_html`]): anyone who can write may have put them there, and sandboxed,
//!   their scripts run in an opaque origin, not the server's.
//! - A listing is not sandboxed: its page is the core's own, every name escaped, and its
//!   script must run. It gets a strict `Content-Security-Policy` instead
//!   ([`LISTING_CSP`]): no inline script or style, scripts and styles only from this
//!   origin, no plugins, no framing, forms and `fetch` only to this origin. Its script and
//!   stylesheet come from `/.simplehttp/`, which decide answers and no upload can take.
//! - A listing is HTML unless the query says `format=json` or `Accept` prefers
//!   `application/json` to `text/html`; both say `Vary: Accept` (§12.5.5).
//! - Names starting with `.` (`.git`, `.env`, `.ssh/id_ed25519`) are not served, written,
//!   removed or listed unless [`Policy::hidden`]: a folder shared whole often holds a
//!   repository or a secret its owner forgot (static-web-server and dufs hide them too).
//!   The answer is 404, the same as for a name that does not exist, and a listing leaves
//!   them out without counting them. The rule is on the names in the request: a symlink
//!   with a plain name is served wherever it leads beneath the root.
//! - Credentials are checked by an [`Authenticator`]; decide parses the field and answers
//!   what it says: 401 with a challenge (RFC 9110 §11.6.1) or, after too many failures
//!   from one peer, 429 with `Retry-After` (RFC 6585 §4) whatever is presented, so that
//!   guessing cannot go on. With [`Auth::reads`], OPTIONS needs none: it tells only the
//!   methods, and a CORS preflight never carries credentials.
//! - A name the server does not answer to gets 421 before anything else (§15.5.20 lets an
//!   origin refuse a request "not intended" for it). That is the guard against DNS
//!   rebinding: a page that points its own name at 127.0.0.1 reaches a loopback server, but
//!   its requests carry that name in `Host`. An HTTP/1.0 request without `Host` (and with
//!   an origin-form target) names no host and is answered: browsers always send `Host`, so
//!   only a program on a machine that can reach the server sends one without it.

pub mod auth;
mod conditional;
mod content_type;
mod cors;
mod get;
mod headers;
mod host;
mod range;
mod reserved;
mod upload;

pub use auth::{Auth, Authenticator, PlainUsers, Presented, Verdict};
pub(crate) use conditional::etag;
pub use cors::{decorate, Cors, OriginError};
pub use headers::{ExtraHeader, HeaderError};
pub use upload::finish;
// The values decide returns, also at the crate root.
#[doc(no_inline)]
pub use crate::reply::{Body, HeaderValue, Reply, UploadPlan};
#[doc(no_inline)]
pub use crate::rule::Rule;

use crate::assets::RESERVED;
use crate::head::{Framing, Method, RequestHead, TargetForm, Version};
use crate::store::{FileStore, StoreError};
use crate::target::resolve_full;
use crate::write::reason_phrase;
use crate::{ParseError, Timestamp};
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write as _;
use core::net::SocketAddr;

use auth::{basic_token, presented, CHALLENGE};
use content_type::push_type;
use get::get;
use host::{host_allowed, host_refusal};
use reserved::reserved;
use upload::{delete, put};

/// The names a server on loopback addresses answers to: what a browser sends in `Host` when
/// the user types a loopback URL. See [`Policy::allowed_hosts`].
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// What a server allows, beyond what the store allows.
///
/// The largest upload is not here: it is [`Limits::max_body`](crate::Limits::max_body),
/// which the parser enforces before decide runs (see the [module docs](self)).
///
/// The default answers any host, allows writes without credentials, hides names that
/// start with `.` and sandboxes HTML.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    /// The host names the server answers to (RFC 9110 §7.2), without ports; `None` answers
    /// any. A request whose `Host`, or whose absolute-form target's host, is not one of
    /// them gets 421 ([`Rule::HostNotAllowed`]). Names compare case-insensitively, on the
    /// host alone (any port), and a trailing `.` is ignored (`localhost.` is `localhost`).
    /// A server listening only on loopback addresses sets this to [`LOOPBACK_HOSTS`] and
    /// the names its owner allows, so a web page cannot reach it by pointing its own name
    /// at 127.0.0.1 (DNS rebinding).
    pub allowed_hosts: Option<Vec<String>>,
    /// Refuse PUT and DELETE with 405.
    pub read_only: bool,
    /// Credentials required (HTTP Basic, RFC 7617) for PUT and DELETE, or for every
    /// request ([`Auth::reads`]); `None`: nobody logs in.
    pub auth: Option<Auth>,
    /// Serve, write, remove and list names that start with `.` (dotfiles and
    /// dot-folders). Off (the default), they are 404 and left out of listings.
    pub hidden: bool,
    /// Serve HTML, SVG and XML from a writable store without `Content-Security-Policy:
    /// sandbox`, so their scripts run in the server's origin (with its cookies, able to
    /// read every file and write with the user's credentials). Only for a site whose every
    /// writer is trusted; a read-only store's pages never get the sandbox.
    pub trusted_html: bool,
    /// Fields added to every final response, after the server's own (the connection
    /// engine writes them: [`Reply::write_head_with`]).
    pub headers: Vec<ExtraHeader>,
    /// Answer CORS for scripts of other origins ([`Cors`]); `None` sends no CORS field.
    pub cors: Option<Cors>,
}

const ALLOW_ALL: &str = "GET, HEAD, PUT, DELETE, OPTIONS";
const ALLOW_READ: &str = "GET, HEAD, OPTIONS";
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";
const JSON: &str = "application/json";

/// The `Content-Security-Policy` of a listing page (CSP Level 3): nothing inline, script
/// and style only from this origin (the reserved `/.simplehttp/` assets), `fetch` and forms
/// only to it, images only from it or `data:`, no `<base>`, no framing by other pages.
pub const LISTING_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// What every reply to one request shares.
struct Cx<'r, 'a> {
    req: &'r RequestHead<'a>,
    now: Timestamp,
    is_head: bool,
    /// HTML, SVG and XML get `Content-Security-Policy: sandbox`: anyone may have written
    /// them.
    sandbox: bool,
    /// The policy and the store allow PUT and DELETE.
    writable: bool,
    /// Who sent the request, for the authenticator.
    peer: Option<SocketAddr>,
    /// Names starting with `.` are served and listed.
    hidden: bool,
}

impl Cx<'_, '_> {
    /// A reply with just `Date` (RFC 9110 §6.6.1: an origin server with a clock MUST send
    /// Date in 2xx, 3xx and 4xx responses, and may in the others).
    fn reply(&self, status: u16, rule: Rule) -> Reply {
        let keep_alive = self.req.keep_alive();
        // Room for a file's fields (Date, Last-Modified, ETag, Content-Type,
        // X-Content-Type-Options, Content-Security-Policy, Content-Range, Content-Length,
        // Accept-Ranges): one allocation, no regrowth.
        let mut headers = Vec::with_capacity(10);
        headers.push(("Date", HeaderValue::Date(self.now)));
        Reply {
            status,
            headers,
            body: Body::Empty,
            rule,
            close: !keep_alive,
            http10_keep_alive: keep_alive && self.req.version() == Version::Http10,
        }
    }

    /// An error reply with a short text body ("404 Not Found\n"); to HEAD, the same head
    /// without the body (RFC 9110 §9.3.2).
    fn error(&self, status: u16, rule: Rule) -> Reply {
        let mut r = self.reply(status, rule);
        text_body(&mut r, self.is_head);
        r
    }

    fn error_with(&self, status: u16, rule: Rule, name: &'static str, value: HeaderValue) -> Reply {
        let mut r = self.reply(status, rule);
        r.headers.push((name, value));
        text_body(&mut r, self.is_head);
        r
    }
}

fn text_body(r: &mut Reply, is_head: bool) {
    let mut text = String::with_capacity(32);
    let _ = writeln!(text, "{} {}", r.status, reason_phrase(r.status));
    text_line(r, &text, is_head);
}

/// `text` as a `text/plain` body; to HEAD, the same head without the body.
fn text_line(r: &mut Reply, text: &str, is_head: bool) {
    push_type(r, HeaderValue::Static(TEXT_PLAIN), false);
    r.headers
        .push(("Content-Length", HeaderValue::Number(text.len() as u64)));
    r.body = if is_head {
        Body::Empty
    } else {
        Body::Bytes(text.as_bytes().to_vec())
    };
}

/// Decides the reply to `req` against `store` at time `now`. Reads the store, never changes it.
///
/// See the [module docs](self) for the rules and the order they are tried in.
///
/// ```
/// use simplehttp_core::store::MemoryStore;
/// use simplehttp_core::{decide, Body, Event, Limits, Policy, RequestParser, Rule, Timestamp};
///
/// let store = MemoryStore::new().with_file("hello.txt", b"hello\n", Timestamp(784_111_777));
/// let mut parser = RequestParser::new(Limits::default());
/// let step = parser.handle_bytes(b"GET /hello.txt HTTP/1.1\r\nHost: example.com\r\n\r\n").unwrap();
/// let Event::Head(head) = step.event else { panic!("a whole head") };
///
/// let reply = decide(&head, &store, &Policy::default(), Timestamp(784_111_800));
/// assert_eq!(reply.rule, Rule::ServeFile);
/// let mut out = Vec::new();
/// reply.write_head(&mut out);
/// assert_eq!(
///     String::from_utf8(out).unwrap(),
///     "HTTP/1.1 200 OK\r\n\
///      Date: Sun, 06 Nov 1994 08:50:00 GMT\r\n\
///      Last-Modified: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
///      ETag: \"6-2ebc98a1-0\"\r\n\
///      Content-Type: text/plain; charset=utf-8\r\n\
///      X-Content-Type-Options: nosniff\r\n\
///      Content-Length: 6\r\n\
///      Accept-Ranges: bytes\r\n\
///      \r\n"
/// );
/// assert!(matches!(reply.body, Body::File { start: 0, len: 6, .. }));
/// ```
#[must_use]
pub fn decide<S: FileStore + ?Sized>(
    req: &RequestHead<'_>,
    store: &S,
    policy: &Policy,
    now: Timestamp,
) -> Reply {
    decide_from(req, store, policy, now, None)
}

/// [`decide`] for a request from `peer`, which the policy's [`Authenticator`] is told
/// (so that it can count failed attempts per address).
#[must_use]
pub fn decide_from<S: FileStore + ?Sized>(
    req: &RequestHead<'_>,
    store: &S,
    policy: &Policy,
    now: Timestamp,
    peer: Option<SocketAddr>,
) -> Reply {
    let cx = Cx {
        peer,
        hidden: policy.hidden,
        req,
        now,
        is_head: req.method() == Method::Head,
        sandbox: !policy.trusted_html && !policy.read_only && !store.is_read_only(),
        writable: !policy.read_only && !store.is_read_only(),
    };
    let mut reply = decide_inner(&cx, store, policy);
    // RFC 9112 §9.3: a body left unread would be parsed as the next request; closing is
    // the simple way out (the shell need not drain what it will never use).
    let unread_body = match req.framing() {
        Framing::None | Framing::Length(0) => false,
        Framing::Length(_) | Framing::Chunked | Framing::Close => true,
    };
    if unread_body && !matches!(reply.body, Body::Upload(_)) {
        reply.close = true;
    }
    if reply.close {
        reply.http10_keep_alive = false;
    }
    reply
}

fn decide_inner<S: FileStore + ?Sized>(cx: &Cx<'_, '_>, store: &S, policy: &Policy) -> Reply {
    let req = cx.req;
    // RFC 9110 §7.2 and §15.5.20: a request for a host this server does not answer to is
    // misdirected; 421 says so, and nothing about the files.
    if let Some(allowed) = &policy.allowed_hosts {
        if !host_allowed(req, allowed) {
            let mut r = cx.reply(421, Rule::HostNotAllowed);
            text_line(&mut r, &host_refusal(allowed), cx.is_head);
            r.close = true;
            return r;
        }
    }
    // RFC 9110 §10.1.1: an expectation other than 100-continue MAY be answered with 417.
    if req
        .fields()
        .all("expect")
        .any(|v| !trim(v).eq_ignore_ascii_case(b"100-continue"))
    {
        return cx.error(417, Rule::ExpectationFailed);
    }
    let writable = cx.writable;
    let allow = if writable { ALLOW_ALL } else { ALLOW_READ };
    let method = req.method();
    match method {
        Method::Get | Method::Head | Method::Put | Method::Delete | Method::Options => {}
        // RFC 9110 §15.5.6: 405 MUST come with Allow.
        _ => {
            return cx.error_with(
                405,
                Rule::MethodNotAllowed,
                "Allow",
                HeaderValue::Static(allow),
            )
        }
    }
    // RFC 9110 §9.3.7: OPTIONS * asks about the server, OPTIONS /path about a resource.
    if method == Method::Options && req.target_form() == TargetForm::Asterisk {
        return options_or_preflight(cx, policy, allow);
    }
    // RFC 9110 §15.5.1 and RFC 3986 §3.3: the target must name a path under the root.
    let target = match resolve_full(req.target(), req.target_form()) {
        Ok(t) => t,
        Err(e) => return cx.error(e.status(), Rule::BadTarget),
    };
    if let Some(auth) = policy.auth.as_ref().filter(|a| a.reads) {
        if method != Method::Options {
            if let Some(refusal) = gate(cx, auth) {
                return refusal;
            }
        }
    }
    // `/.simplehttp/…` is the listing's own: never a file of the store.
    if target.path.segments().next() == Some(RESERVED) {
        return reserved(cx, &target.path);
    }
    // RFC 9110 §15.5.5: a hidden name is answered as one that does not exist.
    if !policy.hidden && target.path.segments().any(|s| s.starts_with('.')) {
        return cx.error(404, Rule::HiddenPath);
    }
    match method {
        Method::Options => options_or_preflight(cx, policy, allow),
        Method::Put | Method::Delete => {
            if !writable {
                // RFC 9110 §15.5.6: the method is known but not allowed on this resource.
                return cx.error_with(
                    405,
                    Rule::ReadOnly,
                    "Allow",
                    HeaderValue::Static(ALLOW_READ),
                );
            }
            if let Some(auth) = policy.auth.as_ref().filter(|a| !a.reads) {
                if let Some(refusal) = gate(cx, auth) {
                    return refusal;
                }
            }
            if method == Method::Put {
                put(cx, store, target)
            } else {
                delete(cx, store, target)
            }
        }
        _ => get(cx, store, target),
    }
}

/// The refusal of a request whose credentials `auth` does not grant, if it does not.
fn gate(cx: &Cx<'_, '_>, auth: &Auth) -> Option<Reply> {
    let token = basic_token(cx.req);
    match auth.users.check(cx.peer, presented(&token)) {
        Verdict::Granted => None,
        // RFC 9110 §11.6.1 / §15.5.2: 401 MUST carry WWW-Authenticate.
        Verdict::Denied => Some(cx.error_with(
            401,
            Rule::Unauthorized,
            "WWW-Authenticate",
            HeaderValue::Static(CHALLENGE),
        )),
        // RFC 6585 §4: 429 MAY say how long to wait, in Retry-After (RFC 9110 §10.2.3).
        Verdict::Throttled { retry_after: secs } => Some(cx.error_with(
            429,
            Rule::TooManyAttempts,
            "Retry-After",
            HeaderValue::Number(u64::from(secs)),
        )),
    }
}

/// RFC 9110 §9.3.7: 204 with Allow (204 has no Content-Length, §8.6).
fn options(cx: &Cx<'_, '_>, allow: &'static str) -> Reply {
    let mut r = cx.reply(204, Rule::Options);
    r.headers.push(("Allow", HeaderValue::Static(allow)));
    r
}

/// [`options`], and what a CORS preflight asks for (Fetch §3.2.3).
fn options_or_preflight(cx: &Cx<'_, '_>, policy: &Policy, allow: &'static str) -> Reply {
    let mut r = options(cx, allow);
    cors::answer_preflight(&mut r, cx.req, policy, allow);
    r
}

fn store_error(cx: &Cx<'_, '_>, e: StoreError) -> Reply {
    // RFC 9110 §15.5.6: a 405 (read-only store) MUST come with Allow.
    if e == StoreError::ReadOnly {
        return cx.error_with(
            405,
            Rule::ReadOnly,
            "Allow",
            HeaderValue::Static(ALLOW_READ),
        );
    }
    cx.error(e.status(), Rule::StoreFailed)
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

/// A reply the server decides itself, around [`decide`]: a request that timed out (408,
/// [`Rule::Timeout`]), a file that could not be opened after all ([`Rule::StoreFailed`]
/// with the error's status). `text` is the body (`text/plain`); the reply closes the
/// connection, whose state the server can no longer vouch for.
///
/// ```
/// use simplehttp_core::{reply_with_status, Rule, Timestamp};
///
/// let reply = reply_with_status(408, Rule::Timeout, "the head took too long\n", Timestamp(0));
/// let mut out = Vec::new();
/// reply.write_head(&mut out);
/// assert!(out.starts_with(b"HTTP/1.1 408 Request Timeout\r\n"));
/// assert!(reply.close);
/// ```
#[must_use]
pub fn reply_with_status(status: u16, rule: Rule, text: &str, now: Timestamp) -> Reply {
    Reply {
        status,
        headers: vec![
            ("Date", HeaderValue::Date(now)),
            ("Content-Type", HeaderValue::Static(TEXT_PLAIN)),
            ("X-Content-Type-Options", HeaderValue::Static("nosniff")),
            ("Content-Length", HeaderValue::Number(text.len() as u64)),
        ],
        body: Body::Bytes(text.as_bytes().to_vec()),
        rule,
        close: true,
        http10_keep_alive: false,
    }
}

/// The reply to a request the parser refused: the error's status, a short text body, and
/// `Connection: close` (the rest of the stream cannot be trusted, RFC 9112 §9.6).
///
/// Its rule is [`Rule::MalformedRequest`], except for a body above
/// [`Limits::max_body`](crate::Limits::max_body) ([`ParseError::BodyTooLarge`]): that is
/// the upload limit, [`Rule::UploadTooLarge`] (413, RFC 9110 §15.5.14).
#[must_use]
pub fn reply_to_error(err: ParseError, now: Timestamp) -> Reply {
    let rule = match err {
        ParseError::BodyTooLarge => Rule::UploadTooLarge,
        _ => Rule::MalformedRequest,
    };
    let mut r = Reply {
        status: err.status(),
        headers: vec![("Date", HeaderValue::Date(now))],
        body: Body::Empty,
        rule,
        close: true,
        http10_keep_alive: false,
    };
    text_body(&mut r, false);
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_to_error_closes_with_a_text_body() {
        let r = reply_to_error(ParseError::HeadTooLarge, Timestamp(0));
        assert_eq!(
            (r.status, r.close, r.rule),
            (431, true, Rule::MalformedRequest)
        );
        assert_eq!(
            r.body,
            Body::Bytes(b"431 Request Header Fields Too Large\n".to_vec())
        );
        assert_eq!(r.header("content-length"), Some(&HeaderValue::Number(36)));
    }

    #[test]
    fn reply_to_a_body_above_the_limit_names_the_upload_limit() {
        let r = reply_to_error(ParseError::BodyTooLarge, Timestamp(0));
        assert_eq!(
            (r.status, r.close, r.rule),
            (413, true, Rule::UploadTooLarge)
        );
        assert_eq!(r.body, Body::Bytes(b"413 Content Too Large\n".to_vec()));
    }
}
