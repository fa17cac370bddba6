//! `http://` and `https://` URLs: parsing, the Host field, and resolving a redirect's Location.

use std::fmt;

/// How a URL is reached: in clear text, or over TLS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// `http://`: TCP, port 80 by default.
    Http,
    /// `https://`: TLS over TCP, port 443 by default.
    Https,
}

impl Scheme {
    /// The port used when the URL names none (RFC 9110 §4.2.1, §4.2.2).
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }

    /// The scheme as written in a URL, lower-case.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }
}

/// Where a request goes: scheme, host, port and request-target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// A name, an IPv4 address, or an IPv6 address without its brackets.
    pub host: String,
    /// The TCP port.
    pub port: u16,
    /// The origin-form request-target: `/path?query`, percent-encoded where needed.
    pub target: String,
}

/// Why a URL or host was refused; the text is shown after `simple-client: `.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Url {
    /// Parses `http[s]://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]` (the fragment is dropped).
    ///
    /// Dot segments (`.`, `..`, also percent-encoded) are removed from the path, as curl
    /// does (RFC 3986 §5.2.4), unless `path_as_is` (`--path-as-is`).
    pub fn parse(input: &str, path_as_is: bool) -> Result<Url, UrlError> {
        let Some((scheme, rest)) = input.split_once("://") else {
            return Err(UrlError(format!("not a URL: {input}")));
        };
        let scheme = check_scheme(scheme)?;
        let rest = rest.split('#').next().unwrap_or("");
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return Err(UrlError("user names in URLs are not supported".into()));
        }
        let (host, port) = split_host_port(authority)?;
        let port = port.unwrap_or(scheme.default_port());
        let target = if path.starts_with('?') {
            format!("/{path}")
        } else if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        };
        Ok(Url {
            scheme,
            host,
            port,
            target: origin_form(&target, path_as_is),
        })
    }

    /// The host as written in a URL (IPv6 bracketed), without the port.
    pub fn host_field_host(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]", self.host)
        } else {
            self.host.clone()
        }
    }

    /// The value of the Host field: the host (bracketed if IPv6) and the port unless it is
    /// the scheme's default.
    pub fn host_field(&self) -> String {
        let host = self.host_field_host();
        if self.port == self.scheme.default_port() {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// Whether `other` has the same origin (RFC 6454: scheme, host and port). Host names
    /// compare without regard to case.
    pub fn same_origin(&self, other: &Url) -> bool {
        self.scheme == other.scheme
            && self.port == other.port
            && self.host.eq_ignore_ascii_case(&other.host)
    }

    /// Resolves a Location value against this URL (RFC 9110 §10.2.2) by RFC 3986 §5, with
    /// the `url` crate: a relative reference keeps this host and port, dot segments are
    /// removed, the fragment is dropped. Anything but an `http:` or `https:` result is refused.
    pub fn join(&self, location: &str) -> Result<Url, UrlError> {
        let base = url::Url::parse(&self.to_string())
            .map_err(|e| UrlError(format!("invalid base URL {self}: {e}")))?;
        let next = base
            .join(location.trim())
            .map_err(|e| UrlError(format!("not a valid URL reference: {e}")))?;
        let scheme = check_scheme(next.scheme())?;
        if !next.username().is_empty() || next.password().is_some() {
            return Err(UrlError("user names in URLs are not supported".into()));
        }
        let host = match next.host() {
            Some(url::Host::Domain(name)) => {
                check_host(name)?;
                name.to_string()
            }
            Some(url::Host::Ipv4(addr)) => addr.to_string(),
            Some(url::Host::Ipv6(addr)) => addr.to_string(),
            None => return Err(UrlError("the URL has no host".into())),
        };
        let port = match next.port_or_known_default() {
            Some(0) | None => return Err(UrlError("invalid port 0".into())),
            Some(p) => p,
        };
        Ok(Url {
            scheme,
            host,
            port,
            target: encode_target(&resolved_target(&next)),
        })
    }

    /// This URL with `data` added to its query (after `?`, or `&` when it has one), bytes
    /// that may not appear in a request-target percent-encoded (`-G`).
    pub fn with_query(&self, data: &[u8]) -> Url {
        let sep = if self.target.contains('?') { '&' } else { '?' };
        let mut target = self.target.clone();
        target.push(sep);
        target.push_str(&encode_target_bytes(data));
        Url {
            target,
            ..self.clone()
        }
    }

    /// The name `-O` saves under: the last segment of the path, percent-decoded, if it
    /// makes a plain file name. Refused, with the reason: no name (`/dir/`, `.`, `..`), a
    /// path separator or NUL, a control character, or a bidi control (U+202A–U+202E,
    /// U+2066–U+2069, U+200E, U+200F, U+061C), which can make a name show as another
    /// (`invoice\u{202e}fdp.exe` shows as `invoiceexe.pdf`).
    pub fn file_name(&self) -> Result<String, UrlError> {
        let path = self.target.split('?').next().unwrap_or("");
        let last = path.rsplit('/').next().unwrap_or("");
        let name = percent_decode(last);
        let refuse = |why: String| {
            Err(UrlError(format!(
                "-O: the remote name \"{}\" {why}; name the file with -o FILE",
                super::show::sanitize(name.as_bytes())
            )))
        };
        if name.is_empty() || name == "." || name == ".." {
            return Err(UrlError(format!(
                "-O: the path {} has no file name to save under",
                self.target
            )));
        }
        if name.contains(['/', '\\']) {
            return refuse("holds a path separator".into());
        }
        if let Some(c) = name.chars().find(|c| c.is_control()) {
            return refuse(format!("holds a control character (U+{:04X})", c as u32));
        }
        if let Some(c) = name.chars().find(|&c| super::show::is_bidi_control(c)) {
            return refuse(format!(
                "holds a bidi control (U+{:04X}), which can make it show as another name",
                c as u32
            ));
        }
        Ok(name)
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}://{}{}",
            self.scheme.as_str(),
            self.host_field(),
            self.target
        )
    }
}

/// `http` or `https` (case-insensitive); every other scheme is refused.
fn check_scheme(scheme: &str) -> Result<Scheme, UrlError> {
    if scheme.eq_ignore_ascii_case("http") {
        Ok(Scheme::Http)
    } else if scheme.eq_ignore_ascii_case("https") {
        Ok(Scheme::Https)
    } else {
        Err(UrlError(format!(
            "unsupported URL scheme {scheme:?}: only http:// and https:// are supported"
        )))
    }
}

/// The origin-form request-target (`/path?query`) for `target`, which starts with `/`:
/// percent-encoded where needed and, unless `path_as_is`, without dot segments
/// (RFC 3986 §5.2.4, through the `url` crate, as in [`Url::join`]).
pub fn origin_form(target: &str, path_as_is: bool) -> String {
    if path_as_is {
        return encode_target(target);
    }
    // `target` starts with '/', so it stays the path of this URL (never an authority).
    match url::Url::parse(&format!("http://h{target}")) {
        Ok(u) => encode_target(&resolved_target(&u)),
        Err(_) => encode_target(target),
    }
}

/// Path and query of a parsed URL, the fragment left out.
fn resolved_target(u: &url::Url) -> String {
    match u.query() {
        Some(q) => format!("{}?{q}", u.path()),
        None => u.path().to_string(),
    }
}

/// Splits `host[:port]` or `[v6][:port]`, checking both parts.
pub fn split_host_port(authority: &str) -> Result<(String, Option<u16>), UrlError> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let Some((v6, after)) = rest.split_once(']') else {
            return Err(UrlError(format!("unclosed '[' in host {authority:?}")));
        };
        if v6.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(UrlError(format!("invalid IPv6 address [{v6}]")));
        }
        let port = match after {
            "" => None,
            p => Some(
                p.strip_prefix(':')
                    .ok_or_else(|| UrlError(format!("junk after ']' in host {authority:?}")))?,
            ),
        };
        (v6.to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) if !h.contains(':') => (h.to_string(), Some(p)),
            Some(_) => {
                return Err(UrlError(format!(
                    "IPv6 addresses must be bracketed, as in [::1]: {authority:?}"
                )))
            }
            None => (authority.to_string(), None),
        }
    };
    check_host(&host)?;
    let port = match port {
        None | Some("") => None,
        Some(p) => Some(parse_port(p)?),
    };
    Ok((host, port))
}

/// A port number, 1..=65535.
pub fn parse_port(text: &str) -> Result<u16, UrlError> {
    match text.parse::<u16>() {
        Ok(p) if p > 0 && text.bytes().all(|b| b.is_ascii_digit()) => Ok(p),
        _ => Err(UrlError(format!("invalid port {text:?}"))),
    }
}

/// A host name (letters, digits, `-`, `.`, `_`) or an address.
pub fn check_host(host: &str) -> Result<(), UrlError> {
    let ok = !host.is_empty()
        && (host.parse::<std::net::Ipv6Addr>().is_ok()
            || host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_')));
    if ok {
        Ok(())
    } else {
        Err(UrlError(format!("invalid host {host:?}")))
    }
}

/// Percent-encodes every byte that may not appear in a request-target (spaces, controls,
/// non-ASCII, `#`), leaving existing `%XX` escapes alone.
pub fn encode_target(target: &str) -> String {
    encode_target_bytes(target.as_bytes())
}

/// [`encode_target`] for any bytes.
pub fn encode_target_bytes(target: &[u8]) -> String {
    let mut out = String::with_capacity(target.len());
    for &b in target {
        if b.is_ascii_graphic() && b != b'#' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes `%XX` escapes (an invalid one stays as it is); bytes that are not UTF-8 become U+FFFD.
pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            if let (Some(h), Some(l)) = (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn https(host: &str, port: u16, target: &str) -> Url {
        Url {
            scheme: Scheme::Https,
            ..url(host, port, target)
        }
    }

    fn url(host: &str, port: u16, target: &str) -> Url {
        Url {
            scheme: Scheme::Http,
            host: host.into(),
            port,
            target: target.into(),
        }
    }

    #[test]
    fn parses_urls() {
        let rows = [
            ("http://localhost", url("localhost", 80, "/")),
            (
                "http://localhost:8080/a/b?c=d#e",
                url("localhost", 8080, "/a/b?c=d"),
            ),
            ("http://[::1]:99/x", url("::1", 99, "/x")),
            ("http://[::1]/x", url("::1", 80, "/x")),
            ("HTTP://127.0.0.1?q", url("127.0.0.1", 80, "/?q")),
            ("http://h/a b", url("h", 80, "/a%20b")),
            ("https://h/x", https("h", 443, "/x")),
            ("HTTPS://[::1]:8443", https("::1", 8443, "/")),
            ("https://127.0.0.1:80/", https("127.0.0.1", 80, "/")),
        ];
        for (input, want) in rows {
            assert_eq!(Url::parse(input, false).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn removes_dot_segments_unless_path_as_is() {
        let rows = [
            ("http://h/a/./b/../c", "/a/c", "/a/./b/../c"),
            (
                "http://h/../../etc/passwd",
                "/etc/passwd",
                "/../../etc/passwd",
            ),
            (
                "http://h/a/%2e%2E/b?x=/../y",
                "/b?x=/../y",
                "/a/%2e%2E/b?x=/../y",
            ),
            ("http://h/a/..", "/", "/a/.."),
            ("http://h//double/./x", "//double/x", "//double/./x"),
        ];
        for (input, normal, as_is) in rows {
            assert_eq!(Url::parse(input, false).unwrap().target, normal, "{input}");
            assert_eq!(Url::parse(input, true).unwrap().target, as_is, "{input}");
        }
    }

    #[test]
    fn refuses_bad_urls() {
        for input in [
            "ftp://x/",
            "https://u@x/",
            "http://::1/",
            "http://[::1/",
            "http://h:0/",
            "http://h:99999/",
            "http://u@h/",
            "http:///x",
            "http://h h/",
        ] {
            assert!(Url::parse(input, false).is_err(), "{input}");
        }
        assert!(Url::parse("ftp://x/", false)
            .unwrap_err()
            .0
            .contains("only http:// and https://"));
    }

    #[test]
    fn host_field_brackets_ipv6_and_drops_port_80() {
        assert_eq!(url("::1", 8080, "/").host_field(), "[::1]:8080");
        assert_eq!(url("example", 80, "/").host_field(), "example");
        assert_eq!(https("example", 443, "/").host_field(), "example");
        assert_eq!(https("example", 80, "/").host_field(), "example:80");
        assert_eq!(url("example", 443, "/").host_field(), "example:443");
        assert_eq!(https("::1", 443, "/a").to_string(), "https://[::1]/a");
    }

    #[test]
    fn joins_locations() {
        let base = url("h", 81, "/a/b/c?q");
        let rows = [
            ("/x", url("h", 81, "/x")),
            ("d", url("h", 81, "/a/b/d")),
            ("../d", url("h", 81, "/a/d")),
            ("../../../../d", url("h", 81, "/d")),
            ("./", url("h", 81, "/a/b/")),
            ("?z", url("h", 81, "/a/b/c?z")),
            ("", url("h", 81, "/a/b/c?q")),
            ("#frag", url("h", 81, "/a/b/c?q")),
            // A URL in the query is data, not a scheme (RFC 3986 §4.2).
            ("/x?next=http://e/", url("h", 81, "/x?next=http://e/")),
            ("d?u=ftp://e/#f", url("h", 81, "/a/b/d?u=ftp://e/")),
            ("/a b", url("h", 81, "/a%20b")),
            ("  /trimmed ", url("h", 81, "/trimmed")),
            ("http://o:1/p/../q", url("o", 1, "/q")),
            ("HTTP://O/p", url("o", 80, "/p")),
            ("//o/p", url("o", 80, "/p")),
            ("//[::1]:8/p", url("::1", 8, "/p")),
            ("http://127.0.0.1:9/", url("127.0.0.1", 9, "/")),
            ("https://o/p", https("o", 443, "/p")),
            ("HTTPS://o:8443/p", https("o", 8443, "/p")),
        ];
        for (loc, want) in rows {
            assert_eq!(base.join(loc).unwrap(), want, "{loc}");
        }
        // An https page's relative reference stays https; `//o/p` keeps the scheme too.
        let secure = https("h", 443, "/a");
        assert_eq!(secure.join("/b").unwrap(), https("h", 443, "/b"));
        assert_eq!(secure.join("//o/p").unwrap(), https("o", 443, "/p"));
        assert_eq!(secure.join("http://h/b").unwrap(), url("h", 80, "/b"));
        for (loc, why) in [
            (
                "javascript:alert(1)",
                "unsupported URL scheme \"javascript\"",
            ),
            ("data:text/html,hi", "unsupported URL scheme \"data\""),
            ("ftp://o/p", "unsupported URL scheme \"ftp\""),
            ("mailto:a@b", "unsupported URL scheme \"mailto\""),
            ("http://u:p@o/", "user names"),
            ("http://o:0/", "invalid port"),
            ("http://[::1/", "not a valid URL reference"),
        ] {
            let err = base.join(loc).expect_err(loc);
            assert!(err.0.contains(why), "{loc}: {err}");
        }
    }

    #[test]
    fn file_names() {
        assert_eq!(
            url("h", 80, "/a/b%20c.txt?x").file_name().as_deref(),
            Ok("b c.txt")
        );
        assert_eq!(
            url("h", 80, "/caf%C3%A9.txt").file_name().as_deref(),
            Ok("caf\u{e9}.txt")
        );
        for (target, why) in [
            ("/a/", "has no file name"),
            ("/a/..", "has no file name"),
            ("/a/.", "has no file name"),
            ("/a%2Fb", "path separator"),
            ("/a%5Cb", "path separator"),
            ("/a%00b", "control character (U+0000)"),
            ("/a%1B]0;t%07", "control character (U+001B)"),
            ("/a%0Ab", "control character (U+000A)"),
            ("/a%C2%9Bb", "control character (U+009B)"),
            ("/invoice%E2%80%AEfdp.exe", "bidi control (U+202E)"),
            ("/a%E2%80%AAb", "bidi control (U+202A)"),
            ("/a%E2%81%A6b", "bidi control (U+2066)"),
            ("/a%E2%81%A9b", "bidi control (U+2069)"),
            ("/a%E2%80%8Eb", "bidi control (U+200E)"),
            ("/a%E2%80%8Fb", "bidi control (U+200F)"),
            ("/a%D8%9Cb", "bidi control (U+061C)"),
        ] {
            let err = url("h", 80, target).file_name().expect_err(target);
            assert!(err.0.contains(why), "{target}: {err}");
            assert!(err.0.starts_with("-O: "), "{target}: {err}");
            assert!(!err
                .0
                .chars()
                .any(|c| c.is_control() || super::super::show::is_bidi_control(c)));
        }
    }
}
