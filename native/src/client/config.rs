//! Settings resolved from the command line: everything checked, nothing left to guess.

use super::cli::Args;
use super::error::Failure;
use super::url::{check_host, parse_port, split_host_port, Scheme, Url};
use std::path::PathBuf;
use std::time::Duration;

/// Where the request body comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodySource {
    /// No body.
    None,
    /// A local file, sent with Content-Length.
    File(PathBuf),
    /// Standard input, sent chunked.
    Stdin,
    /// `-d`, `--data-binary`, `--data-raw`, `--json`: pieces sent with their length.
    Data(super::body_data::Payload),
    /// `-F`: a multipart form, its boundary chosen when it is sent.
    Form {
        /// The fields, in order.
        parts: Vec<super::multipart::Part>,
        /// `multipart/form-data`, or the `-H Content-Type` given (the boundary is added).
        media_type: String,
    },
}

impl BodySource {
    /// Whether the body reads stdin, which cannot be sent a second time.
    pub fn reads_stdin(&self) -> bool {
        match self {
            BodySource::Stdin => true,
            BodySource::Data(p) => p
                .pieces
                .iter()
                .any(|p| matches!(p, super::body_data::Piece::Stdin { .. })),
            BodySource::Form { parts, .. } => parts.iter().any(|p| {
                matches!(
                    p.content,
                    super::multipart::Content::File { path: None, .. }
                )
            }),
            BodySource::None | BodySource::File(_) => false,
        }
    }
}

/// Where the response body goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Output {
    /// Standard output. On a terminal, control characters in the body are shown escaped
    /// unless `exact` (`-o -`): then the bytes go there as they are.
    Stdout {
        /// `-o -`: the exact bytes, even to a terminal.
        exact: bool,
    },
    /// A file, written through a temporary file renamed into place when complete.
    File(PathBuf),
}

/// One resolved run of the client.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the first request goes.
    pub url: Url,
    /// The method token.
    pub method: String,
    /// Extra `-H` fields, in order; an empty value removes a default field of that name.
    pub extra_headers: Vec<(String, String)>,
    /// The request body.
    pub body: BodySource,
    /// The response body's destination.
    pub output: Output,
    /// `-i`: the response head goes before the body.
    pub include: bool,
    /// `-v`: heads on stderr.
    pub verbose: bool,
    /// `--trace`: parse events on stderr.
    pub trace: bool,
    /// A progress bar may be shown (not `-s`).
    pub progress: bool,
    /// `-L`: follow redirects.
    pub follow: bool,
    /// `--location-trusted`: send the `-H` credentials to other hosts after a redirect too.
    pub location_trusted: bool,
    /// Budget for connecting (all addresses together).
    pub connect_timeout: Duration,
    /// Longest time without progress, and for a response head to arrive.
    pub timeout: Duration,
    /// `-m`: longest time for the whole run.
    pub max_time: Option<Duration>,
    /// How `https://` servers are verified.
    pub tls: TlsSettings,
    /// `--resolve`: addresses used for these hosts and ports instead of a lookup.
    pub resolve: Vec<super::connect::Pin>,
    /// `--max-filesize`: the largest body accepted, in bytes.
    pub max_filesize: Option<u64>,
    /// `-C -`: continue a partial download.
    pub continue_at: bool,
    /// `--retry`, `--retry-delay`, `--retry-max-time`.
    pub retry: super::retry::RetryPolicy,
    /// `-x`, `--noproxy` and the proxy environment variables.
    pub proxy: super::proxy::ProxySettings,
    /// Every URL of the run, in order, with where its body goes (the first is `url` and
    /// `output`).
    pub jobs: Vec<(Url, Output)>,
    /// How many URLs are fetched at once (`-Z`, `--parallel-max`); 1 without `-Z`.
    pub parallel: usize,
    /// `-J`: the `-O` name comes from Content-Disposition.
    pub remote_header_name: bool,
    /// `--clobber`: `-J` may overwrite an existing file.
    pub clobber: bool,
    /// `-w`: the format to print after the body.
    pub write_out: Option<String>,
    /// `-u`: the login and maybe the password.
    pub user: Option<super::auth::UserFlag>,
    /// `-n`, `--netrc-file`, `--netrc-optional`.
    pub netrc: super::auth::NetrcUse,
    /// The `Authorization` value from `-u` or netrc, once resolved
    /// ([`auth::authorization`](super::auth::authorization)); a credential field.
    pub authorization: Option<String>,
}

/// How `https://` servers are verified (the trust store is read on the first `https://` URL).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsSettings {
    /// `--cacert FILE`: PEM certificates trusted besides the system's.
    pub cacert: Option<PathBuf>,
    /// `-k`: do not verify the server's certificate at all.
    pub insecure: bool,
}

/// Most transfers at once with `-Z` (`--parallel-max`).
pub const MAX_PARALLEL: usize = 50;

/// Most redirects followed with `-L`.
pub const MAX_REDIRECTS: usize = 10;

/// Most bytes of data `-G` puts in a URL's query.
pub const MAX_QUERY_DATA: usize = 64 * 1024;

/// Bodies larger than this are sent with `Expect: 100-continue`.
pub const EXPECT_CONTINUE_ABOVE: u64 = 1 << 20;

/// Request fields that carry credentials: sent only to the first URL's origin unless
/// `--location-trusted` (as curl does), so a redirect cannot hand them to another host.
pub const CREDENTIAL_FIELDS: [&str; 3] = ["authorization", "cookie", "proxy-authorization"];

/// The User-Agent field value.
pub const USER_AGENT: &str = concat!("simple_client/", env!("CARGO_PKG_VERSION"));

impl Config {
    /// Checks and resolves the command line.
    pub fn from_args(args: Args) -> Result<Config, Failure> {
        let usage = |e: super::url::UrlError| Failure::usage(e.0);
        let p = &args.positionals;
        let data = data_payload(&args)?;
        let form = form_parts(&args, data.is_some())?;
        let several = p.len() > 1 && p[0].contains("://");
        let (url, method, seed_path) = if p.len() == 1 || several {
            let url = Url::parse(&p[0], args.path_as_is).map_err(usage)?;
            let method = match (&args.method, &args.upload) {
                (Some(m), _) => m.clone(),
                (None, Some(_)) => "PUT".to_string(),
                (None, None) if (data.is_some() && !args.get) || form.is_some() => {
                    "POST".to_string()
                }
                (None, None) => "GET".to_string(),
            };
            (url, method, None)
        } else {
            if p.iter().any(|a| a.contains("://")) {
                return Err(Failure::usage(
                    "give either a URL or HOST [PORT] METHOD PATH, not both",
                ));
            }
            if args.method.is_some() {
                return Err(Failure::usage(
                    "-X is for the URL form; the HOST [PORT] METHOD PATH form names the method",
                ));
            }
            let second_is_port = p.len() > 1 && p[1].bytes().all(|b| b.is_ascii_digit());
            let (hostarg, port, method, path) = match (p.len(), second_is_port) {
                (4, true) => (&p[0], Some(parse_port(&p[1]).map_err(usage)?), &p[2], &p[3]),
                (3, false) => (&p[0], None, &p[1], &p[2]),
                (4, false) => {
                    return Err(Failure::usage(format!("invalid port {:?}", p[1])));
                }
                _ => {
                    return Err(Failure::usage(
                        "expected http://HOST[:PORT]/PATH or HOST [PORT] METHOD PATH",
                    ))
                }
            };
            // HOST may be a name, an IPv4 address, [IPv6] or a bare IPv6 address, and may
            // carry its port (`localhost:8080`) when no PORT argument follows.
            let (host, inline_port) = if hostarg.parse::<std::net::Ipv6Addr>().is_ok() {
                check_host(hostarg).map_err(usage)?;
                (hostarg.clone(), None)
            } else {
                split_host_port(hostarg).map_err(usage)?
            };
            if port.is_some() && inline_port.is_some() {
                return Err(Failure::usage(format!("two ports: {hostarg} and {}", p[1])));
            }
            let port = port.or(inline_port).unwrap_or(80);
            let target = if path.starts_with('/') {
                path.clone()
            } else {
                format!("/{path}")
            };
            let url = Url {
                scheme: Scheme::Http,
                host,
                port,
                target: super::url::origin_form(&target, args.path_as_is),
            };
            (url, method.clone(), Some(PathBuf::from(path)))
        };
        if method.is_empty() || !method.bytes().all(is_tchar) {
            return Err(Failure::usage(format!("invalid method {method:?}")));
        }

        let (url, data) = match data {
            Some(d) if args.get => (url.with_query(&d.to_query(MAX_QUERY_DATA)?), None),
            d => (url, d),
        };
        let mut extra_headers = Vec::new();
        for h in &args.headers {
            extra_headers.push(parse_header(h)?);
        }
        let data = match form {
            Some(parts) => Some(form_body(parts, &mut extra_headers)?),
            None => data.map(BodySource::Data),
        };
        let body = match (&args.upload, method.as_str(), &seed_path, data) {
            (_, _, _, Some(d)) => d,
            (Some(p), _, _, None) if p.as_os_str() == "-" => BodySource::Stdin,
            (Some(p), _, _, None) => BodySource::File(p.clone()),
            (None, "PUT", Some(path), None) => BodySource::File(path.clone()),
            (None, "PUT", None, None) => {
                return Err(Failure::usage(
                    "PUT needs a body: give -T FILE (or -T - to send stdin)",
                ))
            }
            (None, _, _, None) => BodySource::None,
        };

        let urls = if several {
            p.iter()
                .map(|u| Url::parse(u, args.path_as_is).map_err(usage))
                .collect::<Result<Vec<_>, _>>()?
        } else {
            vec![url.clone()]
        };
        if args.output.len() > urls.len() {
            return Err(Failure::usage(format!(
                "{} -o for {} URL(s): give -o once per URL",
                args.output.len(),
                urls.len()
            )));
        }
        if several && args.upload.is_some() {
            return Err(Failure::usage("-T sends one body: give one URL"));
        }
        let mut jobs = Vec::with_capacity(urls.len());
        for (i, u) in urls.into_iter().enumerate() {
            let output = if let Some(o) = args.output.get(i) {
                if o.as_os_str() == "-" {
                    Output::Stdout { exact: true }
                } else {
                    Output::File(o.clone())
                }
            } else if args.remote_name {
                Output::File(PathBuf::from(u.file_name().map_err(usage)?))
            } else {
                Output::Stdout { exact: false }
            };
            jobs.push((u, output));
        }
        let output = jobs[0].1.clone();
        let parallel = match (args.parallel, args.parallel_max) {
            (false, _) => 1,
            (true, n @ 1..=MAX_PARALLEL) => n,
            (true, n) => {
                return Err(Failure::usage(format!(
                    "--parallel-max wants 1 to {MAX_PARALLEL}, not {n}"
                )))
            }
        };
        if parallel > 1
            && jobs.len() > 1
            && jobs.iter().any(|(_, o)| matches!(o, Output::Stdout { .. }))
        {
            return Err(Failure::usage(
                "-Z writes each body to a file: give -O, or -o once per URL",
            ));
        }

        let is_file = matches!(output, Output::File(_));
        let netrc = netrc_use(&args);
        if args.remote_header_name && !args.remote_name {
            return Err(Failure::usage("-J names the file of -O: give -O too"));
        }
        if args.write_out.as_deref() == Some("@-") && body.reads_stdin() {
            return Err(Failure::usage(
                "-w @- and the request body cannot both read stdin",
            ));
        }
        let write_out = args
            .write_out
            .as_deref()
            .map(super::writeout::load_format)
            .transpose()?;
        Ok(Config {
            url,
            method,
            extra_headers,
            body,
            output,
            include: args.include,
            verbose: args.verbose,
            trace: args.trace,
            progress: !args.silent,
            follow: args.follow || args.location_trusted,
            location_trusted: args.location_trusted,
            connect_timeout: seconds(args.connect_timeout, "--connect-timeout")?,
            timeout: seconds(args.timeout, "--timeout")?,
            max_time: args
                .max_time
                .map(|m| seconds(m, "--max-time"))
                .transpose()?,
            resolve: args
                .resolve
                .iter()
                .map(|r| super::connect::Pin::parse(r))
                .collect::<Result<_, _>>()?,
            max_filesize: args
                .max_filesize
                .as_deref()
                .map(|s| parse_size(s, "--max-filesize"))
                .transpose()?,
            continue_at: match args.continue_at.as_deref() {
                None => false,
                Some("-") if is_file && !args.include => true,
                Some("-") if args.include => {
                    return Err(Failure::usage("-C - cannot be used with -i"));
                }
                Some("-") => {
                    return Err(Failure::usage("-C - continues a file: give -o FILE or -O"));
                }
                Some(other) => {
                    return Err(Failure::usage(format!(
                        "-C takes only '-' (continue from the partial file's size), not {other:?}"
                    )))
                }
            },
            retry: super::retry::RetryPolicy {
                retries: args.retry,
                delay: args
                    .retry_delay
                    .map(|s| seconds(s, "--retry-delay"))
                    .transpose()?,
                max_time: args
                    .retry_max_time
                    .map(|s| seconds(s, "--retry-max-time"))
                    .transpose()?,
            },
            proxy: super::proxy::ProxySettings::new(
                args.proxy.as_deref(),
                args.noproxy.as_deref(),
                |name| std::env::var(name).ok(),
            )?,
            jobs,
            parallel,
            tls: TlsSettings {
                cacert: args.cacert,
                insecure: args.insecure,
            },
            user: args.user.as_deref().map(super::auth::UserFlag::parse),
            netrc,
            remote_header_name: args.remote_header_name,
            clobber: args.clobber,
            authorization: None,
            write_out,
        })
    }

    /// The settings for the `i`-th URL of the run: its URL and output in place of the first's.
    pub fn job(&self, i: usize) -> Config {
        let (url, output) = self.jobs[i].clone();
        Config {
            url,
            output,
            // A progress bar per transfer would fight over one terminal line.
            progress: self.progress && self.parallel == 1,
            ..self.clone()
        }
    }

    /// The request's header fields for `url`: Host, User-Agent and Accept (unless removed or
    /// replaced with `-H`), then the `-H` fields. The core writes the body's framing fields
    /// after them, and `Expect: 100-continue` when [`Fields::expect`] says to ask.
    ///
    /// `body` is the length of a body read from a file: over [`EXPECT_CONTINUE_ABOVE`], the
    /// request asks for `100 Continue` unless `-H` gave an Expect field of its own.
    ///
    /// When `url` has another host or port than the first URL (after a redirect), the `-H`
    /// credential fields ([`CREDENTIAL_FIELDS`]) are left out unless `--location-trusted`.
    pub fn request_fields(&self, url: &Url, body: Option<u64>) -> Fields {
        self.request_fields_with(url, body, &[])
    }

    /// [`request_fields`](Config::request_fields) with the fields a body implies
    /// (Content-Type, Accept): they replace the defaults of the same name, and `-H` replaces
    /// them in turn.
    pub fn request_fields_with(
        &self,
        url: &Url,
        body: Option<u64>,
        implied: &[(&str, String)],
    ) -> Fields {
        let mut fields: Vec<(String, String)> = vec![
            ("Host".into(), url.host_field()),
            ("User-Agent".into(), USER_AGENT.into()),
            ("Accept".into(), "*/*".into()),
        ];
        for (name, value) in implied {
            match fields
                .iter_mut()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
            {
                Some(f) => f.1 = value.clone(),
                None => fields.push((name.to_string(), value.clone())),
            }
        }
        let defaults = fields.len();
        let mut expect = body.is_some_and(|n| n > EXPECT_CONTINUE_ABOVE);
        let credentials = self.location_trusted || url.same_origin(&self.url);
        let mut withheld: Vec<String> = Vec::new();
        let given_auth = self
            .extra_headers
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("authorization"));
        let basic = self
            .authorization
            .iter()
            .filter(|_| !given_auth)
            .map(|v| ("Authorization".to_string(), v.clone()));
        let extra: Vec<_> = basic.chain(self.extra_headers.iter().cloned()).collect();
        for (name, value) in &extra {
            let is_credential = CREDENTIAL_FIELDS
                .iter()
                .any(|c| name.eq_ignore_ascii_case(c));
            if is_credential && !credentials {
                if !value.is_empty() {
                    withheld.push(name.clone());
                }
                continue;
            }
            if name.eq_ignore_ascii_case("expect") && value.is_empty() {
                expect = false;
            }
            if let Some(i) = fields
                .iter()
                .position(|(n, _)| n.eq_ignore_ascii_case(name))
                .filter(|&i| i < defaults)
            {
                fields.remove(i);
                if value.is_empty() {
                    continue;
                }
                fields.insert(i, (name.clone(), value.clone()));
                continue;
            }
            if !value.is_empty() {
                fields.push((name.clone(), value.clone()));
            }
        }
        if fields.iter().any(|(n, _)| n.eq_ignore_ascii_case("expect")) {
            expect = false;
        }
        Fields {
            list: fields,
            expect,
            withheld,
        }
    }
}

/// A request's header fields, and whether to ask for `100 Continue`.
#[derive(Debug, Clone)]
pub struct Fields {
    /// Name and value, in order.
    pub list: Vec<(String, String)>,
    /// Whether to ask for `100 Continue` (the core adds the field).
    pub expect: bool,
    /// The `-H` credential fields left out because `url` is another origin than the first.
    pub withheld: Vec<String>,
}

/// The request body of the data flags, checked against the other ways to send one.
fn data_payload(args: &Args) -> Result<Option<super::body_data::Payload>, Failure> {
    use super::body_data::{DataFlag, Payload};
    let mut values = Vec::new();
    for (flag, list) in [
        (DataFlag::Data, &args.data),
        (DataFlag::Binary, &args.data_binary),
        (DataFlag::Raw, &args.data_raw),
        (DataFlag::Json, &args.json),
    ] {
        values.extend(list.iter().map(|v| (flag, v)));
    }
    let payload = Payload::from_flags(&values)?;
    match (&payload, &args.upload) {
        (Some(_), Some(_)) => Err(Failure::usage(format!(
            "{} and -T both give the request body: use one",
            values[0].0.name()
        ))),
        (None, Some(_)) if args.get => Err(Failure::usage("-G and -T cannot be combined")),
        _ => Ok(payload),
    }
}

/// The `-F` fields, checked against the other ways to send a body.
fn form_parts(args: &Args, data: bool) -> Result<Option<Vec<super::multipart::Part>>, Failure> {
    if args.form.is_empty() {
        return Ok(None);
    }
    let other = if data {
        Some("-d")
    } else if args.upload.is_some() {
        Some("-T")
    } else if args.get {
        Some("-G")
    } else {
        None
    };
    if let Some(other) = other {
        return Err(Failure::usage(format!(
            "-F cannot be combined with {other}"
        )));
    }
    let parts = args
        .form
        .iter()
        .map(|f| super::multipart::parse(f))
        .collect::<Result<Vec<_>, _>>()?;
    if parts
        .iter()
        .filter(|p| {
            matches!(
                p.content,
                super::multipart::Content::File { path: None, .. }
            )
        })
        .count()
        > 1
    {
        return Err(Failure::usage("stdin (@-) can be read only once"));
    }
    Ok(Some(parts))
}

/// The `-F` body; a `-H Content-Type` becomes its media type (the boundary is added to it).
fn form_body(
    parts: Vec<super::multipart::Part>,
    extra_headers: &mut Vec<(String, String)>,
) -> Result<BodySource, Failure> {
    let mut media_type = "multipart/form-data".to_string();
    if let Some(i) = extra_headers
        .iter()
        .position(|(n, _)| n.eq_ignore_ascii_case("content-type"))
    {
        let (_, value) = extra_headers.remove(i);
        if value.to_ascii_lowercase().contains("boundary=") {
            return Err(Failure::usage(
                "-F chooses the multipart boundary: give -H Content-Type without one",
            ));
        }
        if !value.is_empty() {
            media_type = value;
        }
    }
    Ok(BodySource::Form { parts, media_type })
}

/// Which netrc file `-n`, `--netrc-file` and `--netrc-optional` ask for.
fn netrc_use(args: &Args) -> super::auth::NetrcUse {
    use super::auth::NetrcUse;
    let path = args.netrc_file.clone().or_else(super::netrc::default_path);
    if args.netrc_optional {
        NetrcUse::Optional(path)
    } else if args.netrc || args.netrc_file.is_some() {
        NetrcUse::Required(path)
    } else {
        NetrcUse::Off
    }
}

fn seconds(value: f64, flag: &str) -> Result<Duration, Failure> {
    if value.is_finite() && value > 0.0 && value < 1e9 {
        Ok(Duration::from_secs_f64(value))
    } else {
        Err(Failure::usage(format!(
            "{flag} wants a positive number of seconds"
        )))
    }
}

/// Parses a size: digits, then optionally K, M, G or T (powers of 1024, either case).
pub fn parse_size(text: &str, flag: &str) -> Result<u64, Failure> {
    let bad = || {
        Failure::usage(format!(
            "{flag} wants a size such as 500000, 10M or 1G, not {text:?}"
        ))
    };
    let (digits, shift) = match text.as_bytes().last().map(u8::to_ascii_uppercase) {
        Some(b'K') => (&text[..text.len() - 1], 10),
        Some(b'M') => (&text[..text.len() - 1], 20),
        Some(b'G') => (&text[..text.len() - 1], 30),
        Some(b'T') => (&text[..text.len() - 1], 40),
        _ => (text, 0),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let n: u64 = digits.parse().map_err(|_| bad())?;
    n.checked_mul(1u64 << shift).ok_or_else(bad)
}

/// `tchar` of RFC 9110 §5.6.2.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// Parses one `-H 'Name: value'`.
fn parse_header(h: &str) -> Result<(String, String), Failure> {
    let Some((name, value)) = h.split_once(':') else {
        return Err(Failure::usage(format!(
            "invalid header {h:?}: expected 'Name: value'"
        )));
    };
    if name.is_empty() || !name.bytes().all(is_tchar) {
        return Err(Failure::usage(format!("invalid header name {name:?}")));
    }
    let value = value.trim_matches([' ', '\t']);
    if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
        return Err(Failure::usage(format!(
            "invalid header value for {name}: control characters are not allowed"
        )));
    }
    for reserved in ["content-length", "transfer-encoding"] {
        if name.eq_ignore_ascii_case(reserved) {
            return Err(Failure::usage(format!(
                "{name} is set by simple-client from the body; it cannot be given with -H"
            )));
        }
    }
    Ok((name.to_string(), value.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn config(argv: &[&str]) -> Result<Config, Failure> {
        let mut all = vec!["simple-client"];
        all.extend_from_slice(argv);
        Config::from_args(Args::try_parse_from(all).expect("clap accepts"))
    }

    #[test]
    fn seed_forms() {
        let c = config(&["localhost", "2020", "GET", "index.html"]).unwrap();
        assert_eq!((c.url.host.as_str(), c.url.port), ("localhost", 2020));
        assert_eq!(c.url.target, "/index.html");
        assert_eq!(c.method, "GET");
        let c = config(&["localhost", "GET", "index.html"]).unwrap();
        assert_eq!(c.url.port, 80);
        let c = config(&["[::1]", "8080", "DELETE", "/a"]).unwrap();
        assert_eq!((c.url.host.as_str(), c.url.port), ("::1", 8080));
        let c = config(&["::1", "GET", "/a"]).unwrap();
        assert_eq!((c.url.host.as_str(), c.url.port), ("::1", 80));
        let c = config(&["localhost:8080", "GET", "/a"]).unwrap();
        assert_eq!((c.url.host.as_str(), c.url.port), ("localhost", 8080));
        let c = config(&["127.0.0.1", "9", "PUT", "up.bin"]).unwrap();
        assert_eq!(c.body, BodySource::File("up.bin".into()));
    }

    #[test]
    fn url_form() {
        let c = config(&["-X", "OPTIONS", "http://h:81/x"]).unwrap();
        assert_eq!(c.method, "OPTIONS");
        let c = config(&["-T", "-", "http://h/x"]).unwrap();
        assert_eq!((c.method.as_str(), c.body), ("PUT", BodySource::Stdin));
        let c = config(&["-O", "http://h/dir/f.txt"]).unwrap();
        assert_eq!(c.output, Output::File("f.txt".into()));
    }

    #[test]
    fn data_implies_post_or_a_query() {
        let c = config(&["-d", "a=1", "http://h/x"]).unwrap();
        assert_eq!(c.method, "POST");
        assert!(matches!(c.body, BodySource::Data(_)));
        let c = config(&["-d", "a=1", "-X", "PATCH", "http://h/x"]).unwrap();
        assert_eq!(c.method, "PATCH");
        let c = config(&["-G", "-d", "a=1", "-d", "b", "http://h/x?q"]).unwrap();
        assert_eq!((c.method.as_str(), c.body), ("GET", BodySource::None));
        assert_eq!(c.url.target, "/x?q&a=1&b");
        let c = config(&["-d", "a", "h", "PUT", "/x"]).unwrap();
        assert!(matches!(c.body, BodySource::Data(_)));
        let c = config(&["--json", "{}", "http://h/"]).unwrap();
        let f = c.request_fields_with(&c.url, Some(2), &[("Accept", "application/json".into())]);
        assert_eq!(f.list[2], ("Accept".into(), "application/json".into()));
        assert_eq!(f.list.len(), 3);
    }

    #[test]
    fn form_implies_post_and_takes_the_content_type() {
        let c = config(&[
            "-F",
            "a=b",
            "-H",
            "Content-Type: multipart/mixed",
            "http://h/",
        ])
        .unwrap();
        assert_eq!(c.method, "POST");
        let BodySource::Form { parts, media_type } = &c.body else {
            panic!("a form: {:?}", c.body)
        };
        assert_eq!((parts.len(), media_type.as_str()), (1, "multipart/mixed"));
        assert!(c.extra_headers.is_empty());
        let c = config(&["-F", "a=b", "h", "PUT", "/x"]).unwrap();
        assert!(matches!(c.body, BodySource::Form { .. }));
        assert!(config(&["-F", "a=@-", "http://h/"])
            .unwrap()
            .body
            .reads_stdin());
    }

    #[test]
    fn usage_errors() {
        for argv in [
            &["h", "GET"][..],
            &["h", "80", "GET"],
            &["h", "x80", "GET", "/"],
            &["h", "99999", "GET", "/"],
            &["-X", "G ET", "http://h/"],
            &["-H", "NoColon", "http://h/"],
            &["-H", "Bad Name: v", "http://h/"],
            &["-H", "Content-Length: 3", "http://h/"],
            &["-X", "PUT", "http://h/"],
            &["-O", "http://h/"],
            &["--timeout", "0", "http://h/"],
            &["-m", "0", "http://h/"],
            &["--max-time", "nan", "http://h/"],
            &["-X", "GET", "h", "GET", "/"],
            &["h:81", "82", "GET", "/"],
            &["--resolve", "h:80", "http://h/"],
            &["h h", "GET", "/"],
            &["--max-filesize", "", "http://h/"],
            &["--max-filesize", "10X", "http://h/"],
            &["--max-filesize", "+1", "http://h/"],
            &["--max-filesize", "1.5M", "http://h/"],
            &["--max-filesize", "M", "http://h/"],
            &["--max-filesize", "99999999999T", "http://h/"],
            &["-C", "-", "http://h/f"],
            &["-C", "-", "-o", "-", "http://h/f"],
            &["-C", "100", "-O", "http://h/f"],
            &["-C", "-", "-i", "-O", "http://h/f"],
            &["--retry-delay", "0", "http://h/"],
            &["--retry-max-time", "inf", "http://h/"],
            &["-x", "socks5://h:1080", "http://h/"],
            &["-x", "http://h:99999", "http://h/"],
            &["-o", "a", "-o", "b", "http://h/a"],
            &["http://h/a", "h", "GET", "/"],
            &["http://h/a", "not a url"],
            &["-T", "f", "http://h/a", "http://h/b"],
            &["-Z", "http://h/a", "http://h/b"],
            &["-Z", "-o", "a", "http://h/a", "http://h/b"],
            &[
                "-Z",
                "--parallel-max",
                "0",
                "-O",
                "http://h/a",
                "http://h/b",
            ],
            &[
                "-Z",
                "--parallel-max",
                "51",
                "-O",
                "http://h/a",
                "http://h/b",
            ],
            &["-d", "x", "-T", "f", "http://h/"],
            &["-G", "-T", "f", "http://h/"],
            &["--json", "x", "--data-raw", "y", "http://h/"],
            &["-F", "a=b", "-d", "x", "http://h/"],
            &["-F", "a=b", "-G", "http://h/"],
            &["-F", "a", "http://h/"],
            &["-F", "a=@-", "-F", "b=@-", "http://h/"],
            &["-w", "@-", "-T", "-", "http://h/"],
            &["-J", "http://h/x"],
            &["-J", "-o", "f", "http://h/x"],
            &["-w", "@-", "-d", "@-", "http://h/"],
        ] {
            let err = config(argv).expect_err(&format!("{argv:?}"));
            assert_eq!(err.exit, super::super::error::Exit::Usage, "{argv:?}");
        }
    }

    #[test]
    fn several_urls() {
        let c = config(&["-o", "x", "http://h/a", "http://g:81/b/c.txt"]).unwrap();
        assert_eq!(c.jobs.len(), 2);
        assert_eq!(c.jobs[0].1, Output::File("x".into()));
        assert_eq!(c.jobs[1].1, Output::Stdout { exact: false });
        assert_eq!((c.jobs[1].0.host.as_str(), c.parallel), ("g", 1));
        let c = config(&["-O", "-Z", "http://h/a", "http://h/b"]).unwrap();
        assert_eq!(c.jobs[1].1, Output::File("b".into()));
        assert_eq!(c.parallel, 4);
        let c = config(&[
            "-Z",
            "--parallel-max",
            "2",
            "-o",
            "a",
            "-o",
            "b",
            "http://h/a",
            "http://h/b",
        ])
        .unwrap();
        assert_eq!(c.parallel, 2);
    }

    #[test]
    fn sizes() {
        for (text, n) in [
            ("0", 0),
            ("500", 500),
            ("10k", 10 << 10),
            ("10M", 10 << 20),
            ("1G", 1 << 30),
            ("2t", 2 << 40),
        ] {
            assert_eq!(parse_size(text, "--max-filesize").unwrap(), n, "{text}");
        }
    }

    #[test]
    fn default_fields_can_be_replaced_and_removed() {
        let c = config(&[
            "-H",
            "Accept: text/plain",
            "-H",
            "User-Agent:",
            "-H",
            "X-A: 1",
            "http://h:8/",
        ])
        .unwrap();
        let f = c.request_fields(&c.url, Some(5));
        let names: Vec<_> = f.list.iter().map(|(n, v)| format!("{n}: {v}")).collect();
        assert_eq!(names, ["Host: h:8", "Accept: text/plain", "X-A: 1"]);
        assert!(!f.expect);
        let f = c.request_fields(&c.url, Some(2 << 20));
        assert!(f.expect);
        assert_eq!(f.list.len(), 3);
        let c = config(&["-H", "Expect:", "http://h:8/"]).unwrap();
        assert!(!c.request_fields(&c.url, Some(2 << 20)).expect);
    }

    #[test]
    fn credentials_go_only_to_the_first_origin_unless_trusted() {
        let argv = [
            "-H",
            "Authorization: Basic YTpi",
            "-H",
            "cookie: s=1",
            "-H",
            "Proxy-Authorization: Basic eDp5",
            "-H",
            "X-A: 1",
            "http://h:8/",
        ];
        let names = |c: &Config, url: &str| -> Vec<String> {
            let url = Url::parse(url, false).unwrap();
            let f = c.request_fields(&url, None);
            f.list.into_iter().skip(3).map(|(n, _)| n).collect()
        };
        let c = config(&argv).unwrap();
        let all = ["Authorization", "cookie", "Proxy-Authorization", "X-A"];
        assert_eq!(names(&c, "http://H:8/elsewhere"), all);
        for other in [
            "http://h:9/",
            "http://other:8/",
            "http://127.0.0.1:8/",
            "https://h:8/",
        ] {
            assert_eq!(names(&c, other), ["X-A"], "{other}");
            let url = Url::parse(other, false).unwrap();
            let f = c.request_fields(&url, None);
            assert_eq!(
                f.withheld,
                ["Authorization", "cookie", "Proxy-Authorization"]
            );
        }
        let mut trusted = vec!["--location-trusted"];
        trusted.extend_from_slice(&argv);
        let c = config(&trusted).unwrap();
        assert!(c.follow);
        assert_eq!(names(&c, "http://other:9/"), all);
    }
}
