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
//! | 4 | target not a safe path | 400 | `BadTarget` |
//! | 5 | PUT/DELETE, policy or store read-only | 405 + `Allow` | `ReadOnly` |
//! | 6 | PUT/DELETE, credentials required and not given | 401 + `WWW-Authenticate` | `Unauthorized` |
//! | 7 | GET/HEAD of a missing path | 404 | `NotFound` |
//! | 8 | GET/HEAD of a directory without its `/` | 301 to the `/` form | `DirectoryRedirect` |
//! | 9 | GET/HEAD of a directory | its `index.html` as a file, else a listing | `DirectoryListing` |
//! | 10 | GET/HEAD of a file: preconditions (§13.2.2 order) | 412 / 304 | `IfMatchFailed`, ... |
//! | 11 | GET of a file with one satisfiable range | 206 / 416 | `PartialContent`, ... |
//! | 12 | GET/HEAD of a file | 200 | `ServeFile` |
//! | 13 | PUT to `/`, a path ending in `/`, a directory, below a file | 409 | `PutToDirectory`, ... |
//! | 14 | PUT with Content-Length above the limit; with Content-Range | 413, close; 400 | `UploadTooLarge`, `PutWithContentRange` |
//! | 15 | PUT preconditions | 412 | `IfMatchFailed`, `IfNoneMatchFailed`, ... |
//! | 16 | PUT | plan the upload: 201 or 204 after [`finish`] | `PutCreate`, `PutReplace` |
//! | 17 | DELETE of a missing path / a directory | 404 / 409 | `NotFound`, `DeleteDirectory` |
//! | 18 | DELETE | plan the removal: 204 after [`finish`] | `Delete` |
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
//! - A name the server does not answer to gets 421 before anything else (§15.5.20 lets an
//!   origin refuse a request "not intended" for it). That is the guard against DNS
//!   rebinding: a page that points its own name at 127.0.0.1 reaches a loopback server, but
//!   its requests carry that name in `Host`. An HTTP/1.0 request without `Host` (and with
//!   an origin-form target) names no host and is answered: browsers always send `Host`, so
//!   only a program on a machine that can reach the server sends one without it.

use crate::date::parse_http_date;
use crate::head::{Framing, Method, RequestHead, TargetForm, Version};
use crate::listing::Listing;
use crate::mime::content_type;
use crate::store::{FileStore, Kind, Listed, Metadata, StoreError};
use crate::target::{resolve_full, Resolved, StorePath};
use crate::write::reason_phrase;
use crate::{ParseError, Timestamp};
use alloc::borrow::Cow;
use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt::Write as _;

/// The names a server on loopback addresses answers to: what a browser sends in `Host` when
/// the user types a loopback URL. See [`Policy::allowed_hosts`].
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// What a server allows, beyond what the store allows.
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// `user:password` required (HTTP Basic, RFC 7617) for PUT and DELETE; 401 otherwise.
    pub write_credentials: Option<String>,
    /// Largest upload accepted, in bytes; a larger declared Content-Length gets 413 before
    /// any body is read.
    pub max_upload: u64,
    /// Serve HTML, SVG and XML from a writable store without `Content-Security-Policy:
    /// sandbox`, so their scripts run in the server's origin (with its cookies, able to
    /// read every file and write with the user's credentials). Only for a site whose every
    /// writer is trusted; a read-only store's pages never get the sandbox.
    pub trusted_html: bool,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            allowed_hosts: None,
            read_only: false,
            write_credentials: None,
            max_upload: 1 << 30,
            trusted_html: false,
        }
    }
}

/// A header value in a [`Reply`], formatted only when the head is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// A fixed string.
    Static(&'static str),
    /// A computed string.
    Owned(String),
    /// A decimal number.
    Number(u64),
    /// An HTTP-date (IMF-fixdate).
    Date(Timestamp),
}

/// The plan for the body of a reply, carried out by the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body bytes (HEAD, 204, 304, ...; Content-Length may still describe a file).
    Empty,
    /// These bytes, sent as they are.
    Bytes(Vec<u8>),
    /// A directory listing, rendered a piece at a time ([`Listing::write_next`]) as the
    /// connection drains. To an HTTP/1.1 client the head says `Transfer-Encoding: chunked`
    /// and each piece is a chunk; to an HTTP/1.0 client it has a `Content-Length`
    /// ([`Listing::total_len`]) and the pieces go as they are.
    Listing(Box<Listing>),
    /// `len` bytes of a file from offset `start`.
    File {
        /// The file.
        path: StorePath,
        /// First byte to send.
        start: u64,
        /// How many bytes.
        len: u64,
    },
    /// Read the request body into this upload, then call [`finish`] with the outcome.
    Upload(UploadPlan),
    /// Remove this file, then call [`finish`] with the outcome.
    Remove(StorePath),
}

/// An accepted upload: where it goes and what to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPlan {
    /// The target.
    pub path: StorePath,
    /// Whether a file was there before (204 on success) or not (201 with Location).
    pub existed: bool,
    /// Whether to send `100 Continue` before reading the body.
    pub send_continue: bool,
}

/// A reply: status, fields and a body plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Header fields, in order.
    pub headers: Vec<(&'static str, HeaderValue)>,
    /// What to send (or do) after the head.
    pub body: Body,
    /// Which rule decided it, for logs and the explorer.
    pub rule: Rule,
    /// Close the connection after this reply. A shell may set it (e.g. while shutting down);
    /// the head then says `Connection: close`.
    pub close: bool,
    /// The request was HTTP/1.0 with `Connection: keep-alive`: say `Connection: keep-alive`.
    pub http10_keep_alive: bool,
}

impl Reply {
    /// Whether the head says `Transfer-Encoding: chunked`: the body goes out in chunks
    /// (a [`Body::Listing`]'s pieces, each one chunk, then the last chunk).
    #[must_use]
    pub fn is_chunked(&self) -> bool {
        self.headers.iter().any(|(name, value)| {
            name.eq_ignore_ascii_case("transfer-encoding")
                && match value {
                    HeaderValue::Static(v) => v.eq_ignore_ascii_case("chunked"),
                    HeaderValue::Owned(v) => v.eq_ignore_ascii_case("chunked"),
                    _ => false,
                }
        })
    }

    /// The value of the first header called `name` (case-insensitive).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&HeaderValue> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }
}

/// The rule of [`decide`] (or [`finish`], [`reply_to_error`]) that produced a reply.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The parser refused the request; its error names the status.
    MalformedRequest,
    /// `Host` names a host the server does not answer to → 421.
    HostNotAllowed,
    /// The target cannot name a safe store path → 400.
    BadTarget,
    /// `Expect` asks for something other than `100-continue` → 417.
    ExpectationFailed,
    /// A method this server does not implement → 405 with `Allow`.
    MethodNotAllowed,
    /// OPTIONS → 204 with `Allow`.
    Options,
    /// PUT or DELETE while writes are off → 405 with `Allow`.
    ReadOnly,
    /// PUT or DELETE without the required credentials → 401.
    Unauthorized,
    /// Nothing at the path → 404.
    NotFound,
    /// A file asked for with a trailing `/` → 404.
    FileWithTrailingSlash,
    /// The store failed; its error names the status.
    StoreFailed,
    /// GET or HEAD of a file → 200.
    ServeFile,
    /// `If-None-Match` matches the current ETag → 304.
    NotModifiedEtag,
    /// Not modified since `If-Modified-Since` → 304.
    NotModifiedDate,
    /// `If-Match` does not match (strong comparison) → 412.
    IfMatchFailed,
    /// Modified after `If-Unmodified-Since` → 412.
    IfUnmodifiedSinceFailed,
    /// `If-None-Match` matches on a method other than GET/HEAD → 412.
    IfNoneMatchFailed,
    /// One satisfiable byte range → 206.
    PartialContent,
    /// The range starts past the end → 416.
    RangeNotSatisfiable,
    /// Several ranges: the whole file → 200.
    MultipleRanges,
    /// `If-Range` does not match: the whole file → 200.
    IfRangeStale,
    /// A directory without its trailing `/` → 301.
    DirectoryRedirect,
    /// A directory without `index.html` → 200 with a listing.
    DirectoryListing,
    /// PUT of a new file → 201 once stored.
    PutCreate,
    /// PUT over a file → 204 once stored.
    PutReplace,
    /// PUT onto a directory, the root or a path ending in `/` → 409.
    PutToDirectory,
    /// PUT below a file → 409.
    PutParentIsFile,
    /// PUT with a Content-Length above the limit → 413.
    UploadTooLarge,
    /// PUT with Content-Range (a partial update) → 400.
    PutWithContentRange,
    /// DELETE of a file → 204 once removed.
    Delete,
    /// DELETE of a directory → 409.
    DeleteDirectory,
    /// The head or the body did not arrive in time → 408 ([`reply_with_status`]).
    Timeout,
}

impl Rule {
    /// A one-line explanation, for people.
    #[must_use]
    pub fn explain(self) -> &'static str {
        use Rule::*;
        match self {
            MalformedRequest => "the request could not be parsed; the error names the status",
            HostNotAllowed => {
                "Host is not a name this server answers to (a guard against DNS rebinding) → 421"
            }
            BadTarget => {
                "the target does not name a safe path (.., NUL, backslash, bad escape) → 400"
            }
            ExpectationFailed => "Expect holds something other than 100-continue → 417",
            MethodNotAllowed => "this method is not allowed on files → 405 with Allow",
            Options => "OPTIONS → 204 with Allow listing the methods",
            ReadOnly => "writes are turned off → 405 with Allow",
            Unauthorized => {
                "PUT/DELETE without the right Basic credentials → 401 with WWW-Authenticate"
            }
            NotFound => "nothing exists at this path → 404",
            FileWithTrailingSlash => "a file was asked for as a directory (trailing /) → 404",
            StoreFailed => "the file store failed; its error names the status",
            ServeFile => {
                "GET/HEAD of a file → 200 with Last-Modified, ETag, Content-Type, Content-Length"
            }
            NotModifiedEtag => "If-None-Match matches the current ETag → 304",
            NotModifiedDate => "the file was not modified since If-Modified-Since → 304",
            IfMatchFailed => "If-Match does not match the current ETag (strong comparison) → 412",
            IfUnmodifiedSinceFailed => "the file was modified after If-Unmodified-Since → 412",
            IfNoneMatchFailed => "If-None-Match matches and the method is not GET/HEAD → 412",
            PartialContent => "one satisfiable byte range → 206 with Content-Range",
            RangeNotSatisfiable => {
                "the range starts past the end of the file → 416 with Content-Range: bytes */len"
            }
            MultipleRanges => "several ranges were asked for: the whole file is sent → 200",
            IfRangeStale => {
                "If-Range does not match the current file: the whole file is sent → 200"
            }
            DirectoryRedirect => {
                "a directory was asked for without its trailing / → 301 to the / form"
            }
            DirectoryListing => "a directory without index.html → 200 with an HTML listing",
            PutCreate => "PUT of a new file → 201 Created with Location once stored",
            PutReplace => "PUT over an existing file → 204 once stored",
            PutToDirectory => "PUT onto a directory (the root, or a path ending in /) → 409",
            PutParentIsFile => "PUT below a file, which cannot hold children → 409",
            UploadTooLarge => "Content-Length is above the upload limit → 413, connection closed",
            PutWithContentRange => {
                "PUT with Content-Range asks for a partial update, which is refused → 400"
            }
            Delete => "DELETE of a file → 204 once removed",
            DeleteDirectory => "DELETE of a directory: directories are not removed → 409",
            Timeout => {
                "the head or the body did not arrive in time → 408, and the connection closes"
            }
        }
    }

    /// The RFC section that states the rule.
    #[must_use]
    pub fn rfc(self) -> &'static str {
        use Rule::*;
        match self {
            MalformedRequest => "RFC 9112 §2.2",
            HostNotAllowed => "RFC 9110 §15.5.20, §7.2",
            BadTarget => "RFC 9110 §15.5.1, RFC 3986 §3.3",
            ExpectationFailed => "RFC 9110 §10.1.1",
            MethodNotAllowed | ReadOnly => "RFC 9110 §15.5.6",
            Options => "RFC 9110 §9.3.7",
            Unauthorized => "RFC 9110 §11.6.1, RFC 7617",
            NotFound | FileWithTrailingSlash => "RFC 9110 §15.5.5",
            StoreFailed => "RFC 9110 §15.6.1",
            ServeFile => "RFC 9110 §9.3.1",
            NotModifiedEtag | IfNoneMatchFailed => "RFC 9110 §13.1.2",
            NotModifiedDate => "RFC 9110 §13.1.3",
            IfMatchFailed => "RFC 9110 §13.1.1",
            IfUnmodifiedSinceFailed => "RFC 9110 §13.1.4",
            PartialContent => "RFC 9110 §14.2, §15.3.7",
            RangeNotSatisfiable => "RFC 9110 §15.5.17",
            MultipleRanges => "RFC 9110 §14.2",
            IfRangeStale => "RFC 9110 §13.1.5",
            DirectoryRedirect => "RFC 9110 §15.4.2",
            DirectoryListing => "RFC 9110 §9.3.1",
            PutCreate | PutReplace => "RFC 9110 §9.3.4",
            PutToDirectory | PutParentIsFile | DeleteDirectory => "RFC 9110 §15.5.10",
            UploadTooLarge => "RFC 9110 §15.5.14",
            PutWithContentRange => "RFC 9110 §14.5",
            Delete => "RFC 9110 §9.3.5",
            Timeout => "RFC 9110 §15.5.9",
        }
    }
}

const ALLOW_ALL: &str = "GET, HEAD, PUT, DELETE, OPTIONS";
const ALLOW_READ: &str = "GET, HEAD, OPTIONS";
const TEXT_PLAIN: &str = "text/plain; charset=utf-8";
const HTML: &str = "text/html; charset=utf-8";

/// What every reply to one request shares.
struct Cx<'r, 'a> {
    req: &'r RequestHead<'a>,
    now: Timestamp,
    is_head: bool,
    /// HTML, SVG and XML get `Content-Security-Policy: sandbox`: anyone may have written
    /// them.
    sandbox: bool,
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

/// `Content-Type`, and `X-Content-Type-Options: nosniff` beside it: a browser uses the type
/// given and never guesses one from the bytes (Fetch §3.5, `nosniff`), so a `.txt` or
/// `.png` upload holding HTML or script is never run as such. With `sandbox`, HTML, SVG
/// and XML also get `Content-Security-Policy: sandbox` (CSP Level 3 §6.3.2): the page
/// runs in an opaque origin, without the server's cookies or same-origin access.
fn push_type(r: &mut Reply, value: HeaderValue, sandbox: bool) {
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

/// The host a request is for (RFC 9110 §7.2), without its port: the authority of an
/// absolute-form target, which RFC 9112 §3.2.2 says overrides `Host`, else the `Host`
/// field. `None` when the request names no host (HTTP/1.0 without `Host`). A target of
/// another scheme (`file://`) names no host here: it is refused later as a bad target.
fn request_host<'a>(req: &RequestHead<'a>) -> Option<&'a [u8]> {
    let t = req.target().as_bytes();
    let http = |s: &[u8]| s.eq_ignore_ascii_case(b"http") || s.eq_ignore_ascii_case(b"https");
    let scheme_end = t
        .windows(3)
        .position(|w| w == b"://")
        .filter(|&i| http(&t[..i]));
    let authority = if let (TargetForm::Absolute, Some(i)) = (req.target_form(), scheme_end) {
        let rest = &t[i + 3..];
        let end = rest
            .iter()
            .position(|&b| matches!(b, b'/' | b'?' | b'#'))
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        // RFC 3986 §3.2: userinfo "@" host ":" port.
        match authority.iter().rposition(|&b| b == b'@') {
            Some(at) => &authority[at + 1..],
            None => authority,
        }
    } else {
        trim(req.header("host")?)
    };
    // RFC 3986 §3.2.2: an IP-literal is bracketed; otherwise a port follows the only colon.
    let host = if authority.first() == Some(&b'[') {
        match authority.iter().position(|&b| b == b']') {
            Some(close) => &authority[..=close],
            None => authority,
        }
    } else {
        match authority.iter().rposition(|&b| b == b':') {
            Some(colon) => &authority[..colon],
            None => authority,
        }
    };
    Some(host)
}

/// Whether the request's host is one of `allowed`; a request naming no host is.
fn host_allowed(req: &RequestHead<'_>, allowed: &[String]) -> bool {
    let Some(host) = request_host(req) else {
        return true;
    };
    // RFC 1034 §3.1: a trailing dot names the same (absolute) domain name.
    let bare = |h: &[u8]| h.strip_suffix(b".").unwrap_or(h).to_vec();
    let host = bare(host);
    !host.is_empty()
        && allowed
            .iter()
            .any(|a| bare(a.as_bytes()).eq_ignore_ascii_case(&host))
}

/// The one-line body of a 421: which names are answered, and how to add one.
fn host_refusal(allowed: &[String]) -> String {
    let mut text = String::from("this server answers only to ");
    for (i, name) in allowed.iter().enumerate() {
        if i > 0 {
            text.push_str(if i + 1 == allowed.len() {
                " and "
            } else {
                ", "
            });
        }
        text.push_str(name);
    }
    text.push_str("; start it with --allow-host NAME to allow NAME\n");
    text
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
///      ETag: \"6-2ebc98a1-1\"\r\n\
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
    let cx = Cx {
        req,
        now,
        is_head: req.method() == Method::Head,
        sandbox: !policy.trusted_html && !policy.read_only && !store.is_read_only(),
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
    let writable = !policy.read_only && !store.is_read_only();
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
        return options(cx, allow);
    }
    // RFC 9110 §15.5.1 and RFC 3986 §3.3: the target must name a path under the root.
    let target = match resolve_full(req.target(), req.target_form()) {
        Ok(t) => t,
        Err(e) => return cx.error(e.status(), Rule::BadTarget),
    };
    match method {
        Method::Options => options(cx, allow),
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
            if let Some(creds) = &policy.write_credentials {
                if !authorized(req, creds) {
                    // RFC 9110 §11.6.1 / §15.5.2: 401 MUST carry WWW-Authenticate.
                    let challenge =
                        HeaderValue::Static("Basic realm=\"simplehttp\", charset=\"UTF-8\"");
                    return cx.error_with(401, Rule::Unauthorized, "WWW-Authenticate", challenge);
                }
            }
            if method == Method::Put {
                put(cx, store, policy, target)
            } else {
                delete(cx, store, target)
            }
        }
        _ => get(cx, store, target),
    }
}

/// RFC 9110 §9.3.7: 204 with Allow (204 has no Content-Length, §8.6).
fn options(cx: &Cx<'_, '_>, allow: &'static str) -> Reply {
    let mut r = cx.reply(204, Rule::Options);
    r.headers.push(("Allow", HeaderValue::Static(allow)));
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

fn get<S: FileStore + ?Sized>(cx: &Cx<'_, '_>, store: &S, target: Resolved) -> Reply {
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
        Ok(entries) => listing(cx, &target.path, entries),
        Err(e) => store_error(cx, e),
    }
}

/// A strong ETag from what changes when the content does: length, seconds and sub-second
/// part of the modification time (RFC 9110 §8.8.3: the server chooses how to build it).
fn etag(meta: &Metadata) -> String {
    let mut s = String::with_capacity(32);
    let _ = write!(
        s,
        "\"{:x}-{:x}-{:x}\"",
        meta.len, meta.modified.0, meta.modified_nanos
    );
    s
}

/// What the current representation can be compared against.
struct Current<'e> {
    etag: Option<&'e str>,
    modified: Option<Timestamp>,
}

/// Evaluates the preconditions in the order of RFC 9110 §13.2.2; `Err` carries the status
/// (304 or 412) and the rule. `current` is `None` when nothing exists at the target.
fn preconditions(cx: &Cx<'_, '_>, current: Option<&Current<'_>>) -> Result<(), (u16, Rule)> {
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
fn if_range_matches(v: &[u8], etag: &str, modified: Timestamp, now: Timestamp) -> bool {
    let v = trim(v);
    if v.starts_with(b"W/") {
        return false;
    }
    if v.first() == Some(&b'"') {
        return v == etag.as_bytes();
    }
    parse_http_date(v) == Some(modified) && modified < now
}

/// A parsed `Range` field (RFC 9110 §14.1.2), judged against a length.
#[derive(Debug, PartialEq, Eq)]
enum RangeAsk {
    /// Not bytes, or malformed: ignored (§14.2: a server MAY ignore it).
    Ignore,
    /// More than one range: the whole file is sent (§14.2 allows ignoring Range).
    Multiple,
    /// No byte of the range exists (§15.5.17).
    Unsatisfiable,
    /// First and last byte, inclusive.
    Bytes(u64, u64),
}

fn parse_range(v: &[u8], len: u64) -> RangeAsk {
    let v = trim(v);
    let Some(eq) = v.iter().position(|&b| b == b'=') else {
        return RangeAsk::Ignore;
    };
    // §14.1: range units are case-insensitive.
    if !trim(&v[..eq]).eq_ignore_ascii_case(b"bytes") {
        return RangeAsk::Ignore;
    }
    let mut specs = v[eq + 1..]
        .split(|&b| b == b',')
        .map(trim)
        .filter(|s| !s.is_empty());
    let Some(spec) = specs.next() else {
        return RangeAsk::Ignore;
    };
    let more = specs.next().is_some();
    let Some(dash) = spec.iter().position(|&b| b == b'-') else {
        return RangeAsk::Ignore;
    };
    let (first, last) = (&spec[..dash], &spec[dash + 1..]);
    let ask = if first.is_empty() {
        // suffix-range: the last n bytes.
        match number(last) {
            None => RangeAsk::Ignore,
            Some(0) => RangeAsk::Unsatisfiable,
            // §14.1.3: over a zero-length file only a suffix range is satisfiable, and
            // there is nothing to send: the 200 says it all.
            Some(_) if len == 0 => RangeAsk::Ignore,
            Some(n) => RangeAsk::Bytes(len.saturating_sub(n), len - 1),
        }
    } else {
        match (number(first), last.is_empty(), number(last)) {
            (None, _, _) | (_, false, None) => RangeAsk::Ignore,
            (Some(a), _, Some(b)) if b < a => RangeAsk::Ignore,
            (Some(a), _, _) if a >= len => RangeAsk::Unsatisfiable,
            (Some(a), true, _) => RangeAsk::Bytes(a, len - 1),
            (Some(a), false, Some(b)) => RangeAsk::Bytes(a, b.min(len - 1)),
        }
    };
    match ask {
        RangeAsk::Ignore => RangeAsk::Ignore,
        _ if more => RangeAsk::Multiple,
        ask => ask,
    }
}

/// Decimal digits, saturating at `u64::MAX` (a position past any file); `None` when empty
/// or not digits.
fn number(s: &[u8]) -> Option<u64> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(s.iter().fold(0u64, |n, &d| {
        n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
    }))
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

fn header_text(s: Cow<'static, str>) -> HeaderValue {
    match s {
        Cow::Borrowed(s) => HeaderValue::Static(s),
        Cow::Owned(s) => HeaderValue::Owned(s),
    }
}

fn listing(cx: &Cx<'_, '_>, dir: &StorePath, listed: Listed) -> Reply {
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
    let page = Listing::new(dir.clone(), listed);
    let mut r = cx.reply(200, Rule::DirectoryListing);
    push_type(&mut r, HeaderValue::Static(HTML), cx.sandbox);
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

fn put<S: FileStore + ?Sized>(
    cx: &Cx<'_, '_>,
    store: &S,
    policy: &Policy,
    target: Resolved,
) -> Reply {
    // RFC 9110 §14.5: a server that allows PUT MUST answer 400 to one with Content-Range,
    // rather than store the part as if it were the whole.
    if cx.req.header("content-range").is_some() {
        return cx.error(400, Rule::PutWithContentRange);
    }
    // RFC 9110 §15.5.10: a directory cannot hold bytes.
    if target.path.is_root() || target.trailing_slash {
        return cx.error(409, Rule::PutToDirectory);
    }
    if let Framing::Length(n) = cx.req.framing() {
        if n > policy.max_upload {
            // RFC 9110 §15.5.14: 413, and close rather than read what we refuse.
            let mut r = cx.error(413, Rule::UploadTooLarge);
            r.close = true;
            return r;
        }
    }
    let existing = match store.metadata(&target.path) {
        Ok(m) => m,
        Err(e) => return store_error(cx, e),
    };
    if existing.is_some_and(|m| m.kind == Kind::Dir) {
        return cx.error(409, Rule::PutToDirectory);
    }
    if existing.is_none() {
        for a in target.path.ancestors().filter(|a| !a.is_root()) {
            match store.metadata(&a) {
                Ok(Some(m)) if m.kind == Kind::File => return cx.error(409, Rule::PutParentIsFile),
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => return store_error(cx, e),
            }
        }
    }
    // RFC 9110 §13.2.2: If-Match / If-None-Match: * guard against lost updates.
    let tag = existing.as_ref().map(etag);
    let current = existing.as_ref().map(|m| Current {
        etag: tag.as_deref(),
        modified: Some(m.modified),
    });
    if let Err((status, rule)) = preconditions(cx, current.as_ref()) {
        return cx.error(status, rule);
    }
    let existed = existing.is_some();
    // RFC 9110 §9.3.4: 201 when created, 204 when replaced; set now, confirmed by finish.
    let (status, rule) = if existed {
        (204, Rule::PutReplace)
    } else {
        (201, Rule::PutCreate)
    };
    let mut r = cx.reply(status, rule);
    r.body = Body::Upload(UploadPlan {
        path: target.path,
        existed,
        // RFC 9110 §10.1.1: a 100-continue expectation in HTTP/1.0 MUST be ignored.
        send_continue: cx.req.expects_continue() && cx.req.version() == Version::Http11,
    });
    r
}

fn delete<S: FileStore + ?Sized>(cx: &Cx<'_, '_>, store: &S, target: Resolved) -> Reply {
    let meta = match store.metadata(&target.path) {
        Ok(Some(m)) => m,
        // RFC 9110 §15.5.5.
        Ok(None) => return cx.error(404, Rule::NotFound),
        Err(e) => return store_error(cx, e),
    };
    if meta.kind == Kind::Dir {
        // RFC 9110 §15.5.10: directories are not removed (see the module docs).
        return cx.error(409, Rule::DeleteDirectory);
    }
    if target.trailing_slash {
        // RFC 9110 §15.5.5, as for GET.
        return cx.error(404, Rule::FileWithTrailingSlash);
    }
    // RFC 9110 §13.2.2: If-Match guards against deleting a version the client never saw.
    let tag = etag(&meta);
    if let Err((status, rule)) = preconditions(
        cx,
        Some(&Current {
            etag: Some(&tag),
            modified: Some(meta.modified),
        }),
    ) {
        return cx.error(status, rule);
    }
    // RFC 9110 §9.3.5: 204 once removed.
    let mut r = cx.reply(204, Rule::Delete);
    r.body = Body::Remove(target.path);
    r
}

/// Whether `Authorization: Basic base64(user:pass)` matches `creds` (RFC 7617 §2),
/// compared in time that does not depend on where they differ.
fn authorized(req: &RequestHead<'_>, creds: &str) -> bool {
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

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// The final reply once a [`Body::Upload`] or [`Body::Remove`] plan was carried out.
///
/// Success: 201 with `Location` for a new file, 204 for a replaced or removed one. Failure:
/// the store error's status with a short text body; a failed upload also closes the
/// connection, since the rest of its body may be unread. A failed outcome always gives the
/// error reply, whatever `planned` says, so a plan that could not be carried out is never
/// answered as if it had been (a shell that lost the plan gets an error, not a 201). A
/// successful outcome for any other plan returns it as it was.
///
/// The 201 and 204 carry no `ETag` or `Last-Modified`: the stored file's metadata is not
/// known here, and RFC 9110 §9.3.4 lets a client do without (it may send a GET).
///
/// ```
/// use simplehttp_core::store::{FileStore, MemoryStore, Upload};
/// use simplehttp_core::{decide, finish, Body, Event, Limits, Policy, RequestParser, Timestamp};
///
/// let store = MemoryStore::new();
/// let raw = b"PUT /notes/a.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
/// let mut parser = RequestParser::new(Limits::default());
/// let Event::Head(head) = parser.handle_bytes(raw).unwrap().event else { panic!() };
/// let planned = decide(&head, &store, &Policy::default(), Timestamp(0));
/// let Body::Upload(plan) = &planned.body else { panic!("{planned:?}") };
///
/// let mut upload = store.begin_upload(&plan.path).unwrap();
/// upload.write(b"hi").unwrap(); // the shell streams the request body here
/// let reply = finish(&planned, upload.commit(), Timestamp(0));
/// let mut out = Vec::new();
/// reply.write_head(&mut out);
/// assert_eq!(
///     out,
///     b"HTTP/1.1 201 Created\r\nDate: Thu, 01 Jan 1970 00:00:00 GMT\r\n\
///       Location: /notes/a.txt\r\nContent-Length: 0\r\n\r\n"
/// );
/// ```
#[must_use]
pub fn finish(planned: &Reply, outcome: Result<(), StoreError>, now: Timestamp) -> Reply {
    let mut r = Reply {
        status: planned.status,
        headers: vec![("Date", HeaderValue::Date(now))],
        body: Body::Empty,
        rule: planned.rule,
        close: planned.close,
        http10_keep_alive: planned.http10_keep_alive,
    };
    match (&planned.body, outcome) {
        (Body::Upload(plan), Ok(())) if !plan.existed => {
            // RFC 9110 §9.3.4 and §15.3.2: 201 with the new file's Location.
            r.status = 201;
            r.rule = Rule::PutCreate;
            r.headers
                .push(("Location", HeaderValue::Owned(plan.path.to_url_path())));
            r.headers.push(("Content-Length", HeaderValue::Number(0)));
        }
        (Body::Upload(_), Ok(())) => (r.status, r.rule) = (204, Rule::PutReplace),
        (Body::Remove(_), Ok(())) => (r.status, r.rule) = (204, Rule::Delete),
        (_, Err(e)) => {
            r.status = e.status();
            r.rule = Rule::StoreFailed;
            if e == StoreError::ReadOnly {
                r.rule = Rule::ReadOnly;
                r.headers.push(("Allow", HeaderValue::Static(ALLOW_READ)));
            }
            text_body(&mut r, false);
            // Only a removal is known to have no body left unread.
            if !matches!(planned.body, Body::Remove(_)) {
                r.close = true;
            }
        }
        (_, Ok(())) => return planned.clone(),
    }
    if r.close {
        r.http10_keep_alive = false;
    }
    r
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
#[must_use]
pub fn reply_to_error(err: ParseError, now: Timestamp) -> Reply {
    let mut r = Reply {
        status: err.status(),
        headers: vec![("Date", HeaderValue::Date(now))],
        body: Body::Empty,
        rule: Rule::MalformedRequest,
        close: true,
        http10_keep_alive: false,
    };
    text_body(&mut r, false);
    r
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
    use super::*;

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

    #[test]
    fn parses_ranges() {
        use RangeAsk::*;
        let table: &[(&str, u64, RangeAsk)] = &[
            ("bytes=0-4", 10, Bytes(0, 4)),
            ("bytes=2-", 10, Bytes(2, 9)),
            ("bytes=-3", 10, Bytes(7, 9)),
            ("bytes=-30", 10, Bytes(0, 9)),
            ("bytes=5-100", 10, Bytes(5, 9)),
            ("bytes=9-9", 10, Bytes(9, 9)),
            ("BYTES = 0-0", 10, Bytes(0, 0)),
            ("bytes=0-0,", 10, Bytes(0, 0)),
            ("bytes=10-", 10, Unsatisfiable),
            ("bytes=10-20", 10, Unsatisfiable),
            ("bytes=-0", 10, Unsatisfiable),
            ("bytes=0-", 0, Unsatisfiable),
            ("bytes=-5", 0, Ignore),
            ("bytes=99999999999999999999999-", 10, Unsatisfiable),
            ("bytes=0-99999999999999999999999", 10, Bytes(0, 9)),
            ("bytes=0-1,3-4", 10, Multiple),
            ("bytes=0-1, -2", 10, Multiple),
            ("bytes=5-4", 10, Ignore),
            ("bytes=a-b", 10, Ignore),
            ("bytes=1", 10, Ignore),
            ("bytes=", 10, Ignore),
            ("bytes=-", 10, Ignore),
            ("bytes=+1-2", 10, Ignore),
            ("items=0-1", 10, Ignore),
            ("0-1", 10, Ignore),
        ];
        for (v, len, want) in table {
            assert_eq!(parse_range(v.as_bytes(), *len), *want, "{v} of {len}");
        }
    }

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

    #[test]
    fn every_rule_has_an_explanation_and_a_section() {
        use Rule::*;
        let all = [
            MalformedRequest,
            HostNotAllowed,
            BadTarget,
            ExpectationFailed,
            MethodNotAllowed,
            Options,
            ReadOnly,
            Unauthorized,
            NotFound,
            FileWithTrailingSlash,
            StoreFailed,
            ServeFile,
            NotModifiedEtag,
            NotModifiedDate,
            IfMatchFailed,
            IfUnmodifiedSinceFailed,
            IfNoneMatchFailed,
            PartialContent,
            RangeNotSatisfiable,
            MultipleRanges,
            IfRangeStale,
            DirectoryRedirect,
            DirectoryListing,
            PutCreate,
            PutReplace,
            PutToDirectory,
            PutParentIsFile,
            UploadTooLarge,
            PutWithContentRange,
            Delete,
            DeleteDirectory,
            Timeout,
        ];
        for r in all {
            assert!(!r.explain().is_empty());
            assert!(r.rfc().starts_with("RFC "), "{r:?}");
        }
    }

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

    fn planned(body: Body, status: u16, close: bool) -> Reply {
        Reply {
            status,
            headers: vec![],
            body,
            rule: Rule::PutCreate,
            close,
            http10_keep_alive: !close,
        }
    }

    #[test]
    fn finish_turns_outcomes_into_statuses() {
        let path = StorePath::root().join("new file").unwrap();
        let up = |existed| {
            Body::Upload(UploadPlan {
                path: path.clone(),
                existed,
                send_continue: false,
            })
        };
        let t = Timestamp(5);

        let r = finish(&planned(up(false), 201, false), Ok(()), t);
        assert_eq!((r.status, r.rule, r.close), (201, Rule::PutCreate, false));
        assert_eq!(
            r.header("location"),
            Some(&HeaderValue::Owned(String::from("/new%20file")))
        );
        assert_eq!(r.header("content-length"), Some(&HeaderValue::Number(0)));

        let r = finish(&planned(up(true), 204, false), Ok(()), t);
        assert_eq!(
            (r.status, r.rule, &r.body),
            (204, Rule::PutReplace, &Body::Empty)
        );
        assert_eq!(r.header("content-length"), None);

        let r = finish(&planned(Body::Remove(path.clone()), 204, false), Ok(()), t);
        assert_eq!((r.status, r.rule), (204, Rule::Delete));

        let table = [
            (StoreError::NoSpace, 507),
            (StoreError::Io, 500),
            (StoreError::Conflict, 409),
            (StoreError::Forbidden, 403),
            (StoreError::NotFound, 404),
            (StoreError::ReadOnly, 405),
            (StoreError::Unavailable, 503),
            (StoreError::NameTooLong, 414),
        ];
        for (e, status) in table {
            let r = finish(&planned(up(false), 201, false), Err(e), t);
            assert_eq!(
                (r.status, r.close, r.http10_keep_alive),
                (status, true, false),
                "{e:?}"
            );
            assert!(matches!(r.body, Body::Bytes(_)));
            let r = finish(&planned(Body::Remove(path.clone()), 204, false), Err(e), t);
            assert_eq!((r.status, r.close), (status, false), "{e:?}");
        }
        let r = finish(
            &planned(up(false), 201, false),
            Err(StoreError::ReadOnly),
            t,
        );
        assert_eq!(r.header("allow"), Some(&HeaderValue::Static(ALLOW_READ)));

        let other = planned(Body::Empty, 200, false);
        assert_eq!(finish(&other, Ok(()), t), other);
    }

    #[test]
    fn finish_never_answers_a_failed_outcome_with_the_plan() {
        // A shell that moved the body plan out before the store failed must still get the
        // error, with its length: never the planned 201 or 204.
        let t = Timestamp(5);
        for e in [
            StoreError::NameTooLong,
            StoreError::Forbidden,
            StoreError::NoSpace,
        ] {
            let r = finish(&planned(Body::Empty, 201, false), Err(e), t);
            assert_eq!(
                (r.status, r.rule, r.close),
                (e.status(), Rule::StoreFailed, true)
            );
            let Body::Bytes(text) = &r.body else {
                panic!("{r:?}")
            };
            assert_eq!(
                r.header("content-length"),
                Some(&HeaderValue::Number(text.len() as u64))
            );
        }
    }
}
