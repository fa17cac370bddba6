//! Cross-origin reads for scripts ([`Policy::cors`]): the CORS protocol of the Fetch
//! standard (§3.2), answered by the server so that a page of another origin may `fetch`
//! its files.
//!
//! - Any origin ([`Cors::origins`] empty): every response says
//!   `Access-Control-Allow-Origin: *`, whatever the request, so that it never depends on
//!   `Origin` and caches need no `Vary`. `*` never comes with credentials (Fetch §3.2.5):
//!   a page can send a password it knows (`Authorization`), but never ride one the browser
//!   keeps for this server.
//! - Listed origins: a request whose `Origin` is one of them gets that origin back, with
//!   `Access-Control-Allow-Credentials: true` (its owner trusts it, as with a password the
//!   browser keeps); any other gets no CORS field; every response says `Vary: Origin`.
//! - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) from an
//!   allowed origin is answered 204 with the methods, the request fields the server reads,
//!   and how long a browser may keep the answer. The methods include PUT and DELETE only
//!   when the server takes writes and either the origins are listed or writes need a
//!   password: otherwise any page the user opens could upload and delete.
//! - `Access-Control-Expose-Headers` lets scripts read `ETag`, `Content-Range` and the
//!   other fields a file server's client wants, and the [`Policy::headers`].
//!
//! The connection engine adds these fields to every final response
//! ([`decorate`]), so errors and the outcomes of uploads carry them too; [`decide`] answers
//! the preflight.
//!
//! [`Policy::cors`]: super::Policy::cors
//! [`Policy::headers`]: super::Policy::headers
//! [`decide`]: super::decide

use super::{Policy, ALLOW_ALL, ALLOW_READ};
use crate::head::{Method, RequestHead};
use crate::reply::{HeaderValue, Reply};
use crate::rule::Rule;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// Which origins' scripts may read responses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cors {
    /// The allowed origins, as [`Cors::parse_origin`] gives them; empty allows any.
    pub origins: Vec<String>,
}

/// A `--cors-origin` that is not an origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginError;

impl fmt::Display for OriginError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(
            "wants an origin, scheme://host[:port] without a path, such as \
             https://app.example or http://localhost:3000",
        )
    }
}

/// How long a browser may keep a preflight's answer, in seconds. Short: a cached answer
/// lets a page send writes without asking again, even after the server stopped allowing
/// them (Chromium keeps it at most 2 hours, Firefox 24).
const MAX_AGE: &str = "600";
/// The request fields the server reads, beyond the CORS-safelisted ones (Fetch §2.2.2).
/// `Authorization` must be named: a `*` never covers it.
const ALLOW_HEADERS: &str = "Authorization, Content-Type, If-Match, If-Modified-Since, \
     If-None-Match, If-Range, If-Unmodified-Since, Range";
/// The response fields scripts may read beyond the safelisted ones (Fetch §2.2.6).
const EXPOSE: &str = "Accept-Ranges, Allow, Content-Range, Date, ETag, Location, WWW-Authenticate";

impl Cors {
    /// The origin in `s` in the form browsers send it (RFC 6454 §6.2): the scheme and host
    /// in lower case, the port only when it is not the scheme's default.
    ///
    /// ```
    /// use simplehttp_core::decide::Cors;
    /// assert_eq!(Cors::parse_origin("HTTPS://App.Example:443").unwrap(), "https://app.example");
    /// assert_eq!(Cors::parse_origin("http://[::1]:3000").unwrap(), "http://[::1]:3000");
    /// assert!(Cors::parse_origin("https://app.example/").is_err());
    /// assert!(Cors::parse_origin("null").is_err());
    /// ```
    pub fn parse_origin(s: &str) -> Result<String, OriginError> {
        let lower = s.to_ascii_lowercase();
        let (scheme, rest) = lower.split_once("://").ok_or(OriginError)?;
        // RFC 3986 §3.1.
        let mut sb = scheme.bytes();
        if !sb.next().is_some_and(|b| b.is_ascii_alphabetic())
            || !sb.all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
        {
            return Err(OriginError);
        }
        let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
            let (addr, after) = v6.split_once(']').ok_or(OriginError)?;
            addr.parse::<core::net::Ipv6Addr>()
                .map_err(|_| OriginError)?;
            let port = match after {
                "" => None,
                p => Some(p.strip_prefix(':').ok_or(OriginError)?),
            };
            (&rest[..addr.len() + 2], port)
        } else {
            let (host, port) = match rest.split_once(':') {
                Some((h, p)) => (h, Some(p)),
                None => (rest, None),
            };
            let name_ok = !host.is_empty()
                && host
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
            if !name_ok {
                return Err(OriginError);
            }
            (host, port)
        };
        let port = match port {
            None => None,
            Some(p) => {
                if p.is_empty() || p.len() > 5 || !p.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(OriginError);
                }
                let n: u32 = p.parse().map_err(|_| OriginError)?;
                if n == 0 || n > 65535 {
                    return Err(OriginError);
                }
                Some(n)
            }
        };
        let default = match scheme {
            "http" => Some(80),
            "https" => Some(443),
            _ => None,
        };
        let mut origin = String::with_capacity(lower.len());
        origin.push_str(scheme);
        origin.push_str("://");
        origin.push_str(host);
        if let Some(n) = port.filter(|&n| Some(n) != default) {
            use core::fmt::Write as _;
            let _ = write!(origin, ":{n}");
        }
        Ok(origin)
    }

    /// The allowed origin of `req` to send back, when origins are listed and its `Origin`
    /// is one of them.
    #[must_use]
    pub fn listed_origin(&self, req: &RequestHead<'_>) -> Option<String> {
        if self.origins.is_empty() {
            return None;
        }
        let origin = req.header_str("origin")?;
        self.origins
            .iter()
            .find(|o| o.eq_ignore_ascii_case(origin))
            .cloned()
    }
}

/// Makes an `OPTIONS` reply (204 with `Allow`) the answer to a preflight, when it is one
/// from an allowed origin.
pub(super) fn answer_preflight(r: &mut Reply, req: &RequestHead<'_>, policy: &Policy, allow: &str) {
    let Some(cors) = &policy.cors else { return };
    let preflight = req.method() == Method::Options
        && req.header("origin").is_some()
        && req.header("access-control-request-method").is_some();
    if !preflight || (!cors.origins.is_empty() && cors.listed_origin(req).is_none()) {
        return;
    }
    // Writes only for origins named, or with a password: `*` and no password would let any
    // page the user opens upload and delete.
    let writes = allow == ALLOW_ALL && (!cors.origins.is_empty() || policy.auth.is_some());
    let methods = if writes { ALLOW_ALL } else { ALLOW_READ };
    r.rule = Rule::CorsPreflight;
    r.headers.extend([
        ("Access-Control-Allow-Methods", HeaderValue::Static(methods)),
        (
            "Access-Control-Allow-Headers",
            HeaderValue::Static(ALLOW_HEADERS),
        ),
        ("Access-Control-Max-Age", HeaderValue::Static(MAX_AGE)),
    ]);
}

/// Adds the CORS fields of `policy` to a final response: `origin` is the request's listed
/// origin ([`Cors::listed_origin`]), if any. Without [`Policy::cors`], nothing.
///
/// ```
/// use simplehttp_core::decide::{reply_with_status, Cors, Policy, decorate};
/// use simplehttp_core::{HeaderValue, Rule, Timestamp};
///
/// let policy = Policy { cors: Some(Cors::default()), ..Policy::default() };
/// let mut reply = reply_with_status(408, Rule::Timeout, "late\n", Timestamp(0));
/// decorate(&mut reply, &policy, None);
/// assert_eq!(reply.header("access-control-allow-origin"), Some(&HeaderValue::Static("*")));
/// assert_eq!(reply.header("vary"), None);
/// ```
pub fn decorate(r: &mut Reply, policy: &Policy, origin: Option<&str>) {
    let Some(cors) = &policy.cors else { return };
    let listed = !cors.origins.is_empty();
    if listed {
        // The answer depends on Origin, whether it was allowed or not (Fetch §3.2.5 and
        // RFC 9110 §12.5.5).
        match r
            .headers
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case("vary"))
        {
            Some((_, v)) => {
                let mut both = String::from(value_str(v));
                both.push_str(", Origin");
                *v = HeaderValue::Owned(both);
            }
            None => r.headers.push(("Vary", HeaderValue::Static("Origin"))),
        }
    }
    let allow = match (listed, origin) {
        (false, _) => HeaderValue::Static("*"),
        (true, Some(o)) => HeaderValue::Owned(String::from(o)),
        (true, None) => return,
    };
    r.headers.push(("Access-Control-Allow-Origin", allow));
    if listed {
        r.headers.push((
            "Access-Control-Allow-Credentials",
            HeaderValue::Static("true"),
        ));
    }
    if r.rule != Rule::CorsPreflight {
        let expose = if policy.headers.is_empty() {
            HeaderValue::Static(EXPOSE)
        } else {
            let mut names = String::from(EXPOSE);
            for h in &policy.headers {
                names.push_str(", ");
                names.push_str(h.name());
            }
            HeaderValue::Owned(names)
        };
        r.headers.push(("Access-Control-Expose-Headers", expose));
    }
}

fn value_str(v: &HeaderValue) -> &str {
    match v {
        HeaderValue::Static(s) => s,
        HeaderValue::Owned(s) => s,
        // Vary is never a number or a date.
        HeaderValue::Number(_) | HeaderValue::Date(_) => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_origins_as_browsers_send_them() {
        let ok = |s: &str| Cors::parse_origin(s).unwrap();
        assert_eq!(ok("https://app.example"), "https://app.example");
        assert_eq!(ok("HTTP://LOCALHOST:3000"), "http://localhost:3000");
        assert_eq!(ok("http://a.example:80"), "http://a.example");
        assert_eq!(ok("https://a.example:443"), "https://a.example");
        assert_eq!(ok("http://a.example:443"), "http://a.example:443");
        assert_eq!(ok("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
        assert_eq!(ok("http://[::1]"), "http://[::1]");
        assert_eq!(ok("http://[FE80::1]:9"), "http://[fe80::1]:9");
        assert_eq!(ok("tauri://localhost"), "tauri://localhost");
        for bad in [
            "",
            "*",
            "null",
            "app.example",
            "//app.example",
            "https://",
            "https://app.example/",
            "https://app.example/x",
            "https://app.example:",
            "https://app.example:0",
            "https://app.example:65536",
            "https://app.example:12345678",
            "https://app.example:8o",
            "https://user@app.example",
            "https://app.example?x",
            "https://a b",
            "https://[::1",
            "https://[nope]",
            "https://[::1]x",
            "1http://a",
            "ht tp://a",
        ] {
            assert_eq!(Cors::parse_origin(bad), Err(OriginError), "{bad:?}");
        }
    }
}
