//! `http://` URLs: parsing, the Host field, and resolving a redirect's Location.

use std::fmt;

/// Where a request goes: host, port and request-target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
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
    /// Parses `http://HOST[:PORT][/PATH][?QUERY][#FRAGMENT]` (the fragment is dropped).
    pub fn parse(input: &str) -> Result<Url, UrlError> {
        let Some((scheme, rest)) = input.split_once("://") else {
            return Err(UrlError(format!("not a URL: {input}")));
        };
        if scheme.eq_ignore_ascii_case("https") {
            return Err(UrlError(
                "https:// is not supported (no TLS in simple-client); use http://".into(),
            ));
        }
        if !scheme.eq_ignore_ascii_case("http") {
            return Err(UrlError(format!(
                "unsupported URL scheme {scheme:?}: only http:// is supported"
            )));
        }
        let rest = rest.split('#').next().unwrap_or("");
        let split = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(split);
        if authority.contains('@') {
            return Err(UrlError("user names in URLs are not supported".into()));
        }
        let (host, port) = split_host_port(authority)?;
        let port = port.unwrap_or(80);
        let target = if path.starts_with('?') {
            format!("/{path}")
        } else if path.is_empty() {
            "/".to_string()
        } else {
            path.to_string()
        };
        Ok(Url {
            host,
            port,
            target: encode_target(&target),
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

    /// The value of the Host field: the host (bracketed if IPv6) and the port unless 80.
    pub fn host_field(&self) -> String {
        let host = self.host_field_host();
        if self.port == 80 {
            host
        } else {
            format!("{host}:{}", self.port)
        }
    }

    /// Resolves a Location value against this URL (RFC 9110 §10.2.2, RFC 3986 §5).
    pub fn join(&self, location: &str) -> Result<Url, UrlError> {
        let location = location.trim();
        if location.contains("://") {
            return Url::parse(location);
        }
        if let Some(rest) = location.strip_prefix("//") {
            return Url::parse(&format!("http://{rest}"));
        }
        let location = location.split('#').next().unwrap_or("");
        let target = if location.starts_with('/') {
            location.to_string()
        } else if location.is_empty() {
            self.target.clone()
        } else if location.starts_with('?') {
            let path = self.target.split('?').next().unwrap_or("/");
            format!("{path}{location}")
        } else {
            let path = self.target.split('?').next().unwrap_or("/");
            let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
            format!("{dir}{location}")
        };
        Ok(Url {
            host: self.host.clone(),
            port: self.port,
            target: encode_target(&remove_dot_segments(&target)),
        })
    }

    /// The last segment of the path, percent-decoded, if it makes a plain file name.
    pub fn file_name(&self) -> Option<String> {
        let path = self.target.split('?').next().unwrap_or("");
        let last = path.rsplit('/').next().unwrap_or("");
        let name = percent_decode(last);
        let bad = name.is_empty()
            || name == "."
            || name == ".."
            || name.contains(['/', '\\', '\0'])
            || name.chars().any(char::is_control);
        (!bad).then_some(name)
    }
}

impl fmt::Display for Url {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "http://{}{}", self.host_field(), self.target)
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
    let mut out = String::with_capacity(target.len());
    for &b in target.as_bytes() {
        if b.is_ascii_graphic() && b != b'#' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(s: &str) -> String {
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

fn remove_dot_segments(target: &str) -> String {
    let (path, query) = match target.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (target, None),
    };
    let mut segments: Vec<&str> = Vec::new();
    let parts: Vec<&str> = path.split('/').skip(1).collect();
    for (i, seg) in parts.iter().enumerate() {
        let last = i + 1 == parts.len();
        match *seg {
            "." => {
                if last {
                    segments.push("");
                }
            }
            ".." => {
                segments.pop();
                if last {
                    segments.push("");
                }
            }
            s => segments.push(s),
        }
    }
    let mut out = String::from("/");
    out.push_str(&segments.join("/"));
    if let Some(q) = query {
        out.push('?');
        out.push_str(q);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(host: &str, port: u16, target: &str) -> Url {
        Url {
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
        ];
        for (input, want) in rows {
            assert_eq!(Url::parse(input).unwrap(), want, "{input}");
        }
    }

    #[test]
    fn refuses_bad_urls() {
        for input in [
            "https://x/",
            "ftp://x/",
            "http://::1/",
            "http://[::1/",
            "http://h:0/",
            "http://h:99999/",
            "http://u@h/",
            "http:///x",
            "http://h h/",
        ] {
            assert!(Url::parse(input).is_err(), "{input}");
        }
        assert!(Url::parse("https://x/")
            .unwrap_err()
            .0
            .contains("not supported"));
    }

    #[test]
    fn host_field_brackets_ipv6_and_drops_port_80() {
        assert_eq!(url("::1", 8080, "/").host_field(), "[::1]:8080");
        assert_eq!(url("example", 80, "/").host_field(), "example");
    }

    #[test]
    fn joins_locations() {
        let base = url("h", 81, "/a/b/c?q");
        let rows = [
            ("/x", "/x"),
            ("d", "/a/b/d"),
            ("../d", "/a/d"),
            ("./", "/a/b/"),
            ("?z", "/a/b/c?z"),
        ];
        for (loc, want) in rows {
            assert_eq!(base.join(loc).unwrap(), url("h", 81, want), "{loc}");
        }
        assert_eq!(base.join("http://o:1/p").unwrap(), url("o", 1, "/p"));
        assert_eq!(base.join("//o/p").unwrap(), url("o", 80, "/p"));
        assert!(base.join("https://o/p").is_err());
    }

    #[test]
    fn file_names() {
        assert_eq!(
            url("h", 80, "/a/b%20c.txt?x").file_name().as_deref(),
            Some("b c.txt")
        );
        assert_eq!(url("h", 80, "/a/").file_name(), None);
        assert_eq!(url("h", 80, "/a/..").file_name(), None);
        assert_eq!(url("h", 80, "/a%2Fb").file_name(), None);
    }
}
