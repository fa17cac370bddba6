//! `-x/--proxy`, the proxy environment variables, and `--noproxy`, by curl's rules.
//!
//! - `-x URL` is used for every URL; `-x ""` uses no proxy, whatever the environment says.
//! - Otherwise `http://` URLs use `http_proxy` (lowercase only: a CGI program gets the
//!   request's `Proxy:` header as `HTTP_PROXY`, so that name is never trusted), and
//!   `https://` URLs `https_proxy` or `HTTPS_PROXY`.
//! - `--noproxy LIST`, else `no_proxy`/`NO_PROXY`: comma-separated hosts that are reached
//!   directly. `*` is every host; a name matches itself and the names under it
//!   (`example.com` and `.example.com` both cover `www.example.com`); an IP address matches
//!   itself, or an address within `ADDR/BITS`.
//!
//! A proxy URL is `[http://][USER[:PASSWORD]@]HOST[:PORT]` (port 1080 by default, as curl);
//! its credentials, percent-decoded, go to the proxy as `Proxy-Authorization: Basic`. Plain
//! requests go to the proxy in absolute form (RFC 9112 §3.2.2); `https://` goes through a
//! `CONNECT` tunnel (RFC 9110 §9.3.6), and TLS is then spoken with the server itself.

use super::error::{Exit, Failure};
use super::show;
use super::url::{percent_decode, split_host_port, Scheme, Url};
use base64::Engine as _;
use simplehttp_core::client::{ClientConnection, Event, Request};
use simplehttp_core::{Limits, Method};
use std::io::{Read, Write};
use std::net::{IpAddr, TcpStream};
use std::time::Duration;

/// A proxy to go through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proxy {
    /// Where it listens (an `http://` URL, the target unused).
    pub url: Url,
    /// The `Proxy-Authorization` value, from the URL's credentials.
    pub authorization: Option<String>,
}

impl Proxy {
    /// Parses a proxy URL; `from` names where it came from, for errors.
    pub fn parse(text: &str, from: &str) -> Result<Proxy, Failure> {
        let bad = |why: &str| {
            Failure::usage(format!(
                "{from}: {why}: {}",
                show::sanitize(strip_credentials(text).as_bytes())
            ))
        };
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some(_) => return Err(bad("only http:// proxies are supported")),
            None => text,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if !rest[authority.len()..].trim_start_matches('/').is_empty() {
            return Err(bad("a proxy URL has no path"));
        }
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((u, h)) => (Some(u), h),
            None => (None, authority),
        };
        let (host, port) = split_host_port(hostport).map_err(|e| bad(&e.0))?;
        if host.is_empty() {
            return Err(bad("no host"));
        }
        let authorization = userinfo.map(|u| {
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            let pair = format!("{}:{}", percent_decode(user), percent_decode(pass));
            format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(pair)
            )
        });
        Ok(Proxy {
            url: Url {
                scheme: Scheme::Http,
                host,
                port: port.unwrap_or(1080),
                target: "/".into(),
            },
            authorization,
        })
    }

    /// `host:port`, for messages (never the credentials).
    pub fn name(&self) -> String {
        format!("{}:{}", self.url.host_field_host(), self.url.port)
    }
}

/// A proxy URL for messages: its credentials replaced with `***`.
fn strip_credentials(text: &str) -> String {
    let (scheme, rest) = match text.split_once("://") {
        Some((s, r)) => (format!("{s}://"), r),
        None => (String::new(), text),
    };
    match rest
        .split(['/', '?', '#'])
        .next()
        .and_then(|a| a.rsplit_once('@'))
    {
        Some((_, host)) => format!("{scheme}***@{host}"),
        None => text.to_string(),
    }
}

/// Which proxy each URL goes through.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProxySettings {
    /// For `http://` URLs.
    pub http: Option<Proxy>,
    /// For `https://` URLs.
    pub https: Option<Proxy>,
    /// The hosts reached directly.
    pub no_proxy: Vec<String>,
}

impl ProxySettings {
    /// From `-x` and `--noproxy` as given, and the environment as `env` reads it.
    pub fn new(
        flag: Option<&str>,
        noproxy: Option<&str>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<ProxySettings, Failure> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let (http, https) = match flag {
            Some("") => (None, None),
            Some(url) => {
                let p = Proxy::parse(url, "-x")?;
                (Some(p.clone()), Some(p))
            }
            None => {
                let http = env("http_proxy")
                    .map(|v| Proxy::parse(&v, "http_proxy"))
                    .transpose()?;
                let (name, value) = match env("https_proxy") {
                    Some(v) => ("https_proxy", Some(v)),
                    None => ("HTTPS_PROXY", env("HTTPS_PROXY")),
                };
                let https = value.map(|v| Proxy::parse(&v, name)).transpose()?;
                (http, https)
            }
        };
        let list = match noproxy {
            Some(l) => Some(l.to_string()),
            None => env("no_proxy").or_else(|| env("NO_PROXY")),
        };
        let no_proxy = list
            .iter()
            .flat_map(|l| l.split(','))
            .map(|e| e.trim().trim_start_matches('.').to_ascii_lowercase())
            .filter(|e| !e.is_empty())
            .collect();
        Ok(ProxySettings {
            http,
            https,
            no_proxy,
        })
    }

    /// The proxy for `url`, if any.
    pub fn for_url(&self, url: &Url) -> Option<&Proxy> {
        let proxy = match url.scheme {
            Scheme::Http => self.http.as_ref(),
            Scheme::Https => self.https.as_ref(),
        }?;
        let host = url.host.to_ascii_lowercase();
        let direct = self
            .no_proxy
            .iter()
            .any(|entry| no_proxy_match(entry, &host));
        (!direct).then_some(proxy)
    }
}

/// Whether one `no_proxy` entry (lowercase, leading dot removed) covers `host` (lowercase).
fn no_proxy_match(entry: &str, host: &str) -> bool {
    if entry == "*" {
        return true;
    }
    let entry = entry.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = host.parse::<IpAddr>() {
        if let Some((net, bits)) = entry.split_once('/') {
            let (Ok(net), Ok(bits)) = (net.parse::<IpAddr>(), bits.parse::<u32>()) else {
                return false;
            };
            return in_network(ip, net, bits);
        }
        return entry.parse::<IpAddr>() == Ok(ip);
    }
    host == entry
        || host
            .strip_suffix(entry)
            .is_some_and(|head| head.ends_with('.'))
}

fn in_network(ip: IpAddr, net: IpAddr, bits: u32) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(b)) if bits <= 32 => {
            let mask = u32::MAX.checked_shl(32 - bits).unwrap_or(0);
            u32::from(a) & mask == u32::from(b) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(b)) if bits <= 128 => {
            let mask = u128::MAX.checked_shl(128 - bits).unwrap_or(0);
            u128::from(a) & mask == u128::from(b) & mask
        }
        _ => false,
    }
}

/// Request head lines for `-v`, the Proxy-Authorization value replaced with `(hidden)`.
pub fn hide_credentials(lines: Vec<String>) -> impl Iterator<Item = String> {
    lines.into_iter().map(|l| match l.split_once(':') {
        Some((n, _)) if n.eq_ignore_ascii_case("proxy-authorization") => {
            format!("{n}: (hidden)")
        }
        _ => l,
    })
}

/// A refused or unreachable proxy: a network failure (exit 4) that names it.
pub fn unreachable(proxy: &Proxy, f: Failure) -> Failure {
    Failure {
        why: format!("cannot reach the proxy {}: {}", proxy.name(), f.why),
        ..f
    }
}

/// Most bytes of a `CONNECT` answer's head.
const MAX_CONNECT_HEAD: usize = 16 * 1024;

/// Asks `proxy` (connected as `tcp`) for a tunnel to `url`'s host and port, and returns the
/// socket once the proxy answered 2xx. Each read waits at most `timeout`.
pub fn tunnel(
    mut tcp: TcpStream,
    proxy: &Proxy,
    url: &Url,
    user_agent: &str,
    timeout: Duration,
    verbose: bool,
) -> Result<TcpStream, Failure> {
    let authority = format!("{}:{}", url.host_field_host(), url.port);
    let mut fields = vec![("Host", authority.as_str()), ("User-Agent", user_agent)];
    if let Some(a) = &proxy.authorization {
        fields.push(("Proxy-Authorization", a.as_str()));
    }
    let mut conn = ClientConnection::new(Limits {
        max_head_bytes: MAX_CONNECT_HEAD,
        ..Limits::default()
    });
    let mut out = Vec::new();
    conn.send_request(
        &Request::new(Method::Connect, &authority, &fields),
        &mut out,
    )
    .map_err(|e| Failure::usage(format!("cannot write the CONNECT request: {e}")))?;
    if verbose {
        show::eprint_lines("> ", hide_credentials(show::head_lines(&out)));
    }
    let name = proxy.name();
    let net = |e: std::io::Error, doing: &str| {
        unreachable(proxy, Failure::socket(&e, doing, timeout.as_secs_f64()))
    };
    tcp.write_all(&out).map_err(|e| net(e, "sending CONNECT"))?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    loop {
        let step = conn.handle_bytes(&buf).map_err(|e| {
            Failure::new(
                Exit::Network,
                format!("the proxy {name} answered CONNECT wrongly: {e}"),
            )
        })?;
        match step.event {
            Event::NeedMore => {}
            Event::Interim(_) => {
                buf.drain(..step.consumed);
                continue;
            }
            Event::Head(h) => {
                let status = h.status();
                if verbose {
                    show::eprint_lines("< ", show::head_lines(h.raw()));
                }
                if !(200..300).contains(&status) {
                    let reason = show::sanitize(h.reason());
                    let hint = if status == 407 {
                        " (it wants credentials: -x http://USER:PASSWORD@HOST:PORT)"
                    } else {
                        ""
                    };
                    return Err(Failure::new(
                        Exit::Network,
                        format!(
                            "the proxy {name} refused the tunnel to {authority}: {status} {reason}{hint}"
                        ),
                    ));
                }
                // TLS speaks first: nothing may follow the proxy's answer yet.
                if step.consumed != buf.len() {
                    return Err(Failure::protocol(format!(
                        "the proxy {name} sent bytes after its CONNECT answer"
                    )));
                }
                return Ok(tcp);
            }
            _ => {
                return Err(Failure::protocol(format!(
                    "the proxy {name} answered CONNECT wrongly"
                )))
            }
        }
        let n = loop {
            match tcp.read(&mut chunk) {
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                r => break r.map_err(|e| net(e, "waiting for the CONNECT answer"))?,
            }
        };
        if n == 0 {
            return Err(Failure::network(format!(
                "the proxy {name} closed the connection instead of answering CONNECT"
            )));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(flag: Option<&str>, noproxy: Option<&str>, env: &[(&str, &str)]) -> ProxySettings {
        let env: Vec<(String, String)> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ProxySettings::new(flag, noproxy, move |name| {
            env.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
        })
        .unwrap()
    }

    fn via(s: &ProxySettings, url: &str) -> Option<String> {
        s.for_url(&Url::parse(url, false).unwrap()).map(Proxy::name)
    }

    #[test]
    fn proxy_urls() {
        let p = Proxy::parse("http://u%40x:p%3Aw@proxy.lan:3128/", "-x").unwrap();
        assert_eq!(p.name(), "proxy.lan:3128");
        // base64("u@x:p:w")
        assert_eq!(p.authorization.as_deref(), Some("Basic dUB4OnA6dw=="));
        let p = Proxy::parse("127.0.0.1", "-x").unwrap();
        assert_eq!(
            (p.name().as_str(), p.authorization),
            ("127.0.0.1:1080", None)
        );
        assert_eq!(Proxy::parse("[::1]:8", "-x").unwrap().name(), "[::1]:8");
        for bad in [
            "socks5://h:1",
            "https://h:1",
            "http://h:1/path",
            "http://:1",
            "http://h:x",
            "h h",
        ] {
            let e = Proxy::parse(bad, "-x").expect_err(bad);
            assert_eq!(e.exit, Exit::Usage, "{bad}");
        }
        let e = Proxy::parse("ftp://user:secret@h", "-x").unwrap_err();
        assert!(!e.why.contains("secret"), "{}", e.why);
    }

    #[test]
    fn environment_by_curls_rules() {
        let s = settings(
            None,
            None,
            &[("HTTP_PROXY", "http://evil:1"), ("HTTPS_PROXY", "h2:2")],
        );
        assert_eq!(via(&s, "http://a/"), None, "HTTP_PROXY is never used");
        assert_eq!(via(&s, "https://a/").as_deref(), Some("h2:2"));
        let s = settings(
            None,
            None,
            &[
                ("http_proxy", "h1:1"),
                ("https_proxy", "h3:3"),
                ("HTTPS_PROXY", "h2:2"),
            ],
        );
        assert_eq!(via(&s, "http://a/").as_deref(), Some("h1:1"));
        assert_eq!(via(&s, "https://a/").as_deref(), Some("h3:3"));
        let s = settings(Some(""), None, &[("http_proxy", "h1:1")]);
        assert_eq!(
            via(&s, "http://a/"),
            None,
            "-x '' turns the environment off"
        );
        let s = settings(Some("x:9"), None, &[("http_proxy", "h1:1")]);
        assert_eq!(via(&s, "http://a/").as_deref(), Some("x:9"));
        assert_eq!(via(&s, "https://a/").as_deref(), Some("x:9"));
    }

    #[test]
    fn no_proxy_lists() {
        let env = [
            ("http_proxy", "p:1"),
            ("NO_PROXY", "example.com, .lan,10.0.0.0/8,::1,[fe80::1]"),
        ];
        let s = settings(None, None, &env);
        for direct in [
            "http://example.com/",
            "http://www.Example.com/",
            "http://a.lan/",
            "http://lan/",
            "http://10.1.2.3/",
            "http://[::1]/",
            "http://[fe80::1]/",
        ] {
            assert_eq!(via(&s, direct), None, "{direct}");
        }
        for proxied in [
            "http://notexample.com/",
            "http://example.com.evil/",
            "http://11.0.0.1/",
            "http://[::2]/",
        ] {
            assert_eq!(via(&s, proxied).as_deref(), Some("p:1"), "{proxied}");
        }
        let s = settings(None, Some("other"), &env);
        assert_eq!(
            via(&s, "http://example.com/").as_deref(),
            Some("p:1"),
            "--noproxy wins"
        );
        let s = settings(None, Some("*"), &env);
        assert_eq!(via(&s, "http://anything/"), None);
    }
}
