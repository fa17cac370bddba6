//! Whether a request is for a host this server answers to (RFC 9110 §7.2, §15.5.20): the
//! guard against DNS rebinding behind [`Policy::allowed_hosts`](super::Policy::allowed_hosts).

use super::trim;
use crate::head::{RequestHead, TargetForm};
use alloc::string::String;

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
pub(super) fn host_allowed(req: &RequestHead<'_>, allowed: &[String]) -> bool {
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
pub(super) fn host_refusal(allowed: &[String]) -> String {
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
