//! Resolved settings: what the server will do, checked and made absolute.

use super::cli::Cli;
use super::tls::CertSource;
use simplehttp_core::decide::{Cors, ExtraHeader};
use simplehttp_core::{Limits, Policy, LOOPBACK_HOSTS};
use std::ffi::OsString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Everything the server needs to run, resolved from the command line.
#[derive(Debug, Clone)]
pub struct Config {
    /// The port (0: an ephemeral one, chosen when binding).
    pub port: u16,
    /// The served directory, absolute and canonical.
    pub root: PathBuf,
    /// Addresses to listen on.
    pub addrs: Vec<IpAddr>,
    /// Whether `addrs` are the defaults (an unavailable ::1 is then skipped quietly).
    pub default_addrs: bool,
    /// Worker threads.
    pub threads: usize,
    /// What writes are allowed.
    pub policy: Policy,
    /// Parser bounds.
    pub limits: Limits,
    /// Time to receive a whole request head.
    pub header_timeout: Duration,
    /// Time an idle keep-alive connection is kept.
    pub idle_timeout: Duration,
    /// Time a body (either way) may go without progress.
    pub body_timeout: Duration,
    /// The slowest average a request body may arrive at after its first 10 s, in bytes a
    /// second (0: no minimum).
    pub min_rate: u64,
    /// Time requests in flight get to finish at shutdown.
    pub shutdown_grace: Duration,
    /// No access log.
    pub quiet: bool,
    /// HTTPS: where the certificate comes from.
    pub tls: Option<CertSource>,
    /// Print a QR code of the first address other machines can reach.
    pub qr: bool,
}

impl Config {
    /// What each connection's engine is configured with.
    #[must_use]
    pub fn engine_config(&self) -> simplehttp_core::server::ServerConfig {
        let ms = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
        simplehttp_core::server::ServerConfig {
            limits: self.limits,
            policy: self.policy.clone(),
            timeouts: simplehttp_core::server::Timeouts {
                header_ms: ms(self.header_timeout),
                body_ms: ms(self.body_timeout),
                idle_ms: ms(self.idle_timeout),
                min_rate: self.min_rate,
                ..simplehttp_core::server::Timeouts::default()
            },
        }
    }
}

/// A setting that cannot be used, with the exit code it earns.
#[derive(Debug)]
pub struct ConfigError {
    /// One line saying what is wrong.
    pub message: String,
    /// 2 for a bad flag, 4 for an unusable root.
    pub code: u8,
}

/// The environment variable that may hold `USER:PASS` for `--auth`.
pub const AUTH_ENV: &str = "SIMPLE_SERVER_AUTH";

impl Config {
    /// Resolves and checks the flags, with `SIMPLE_SERVER_AUTH` from the environment.
    pub fn from_cli(cli: Cli) -> Result<Config, ConfigError> {
        Self::from_cli_env(cli, std::env::var_os(AUTH_ENV))
    }

    /// Resolves and checks the flags; `env_auth` is the value of `SIMPLE_SERVER_AUTH`.
    pub fn from_cli_env(cli: Cli, env_auth: Option<OsString>) -> Result<Config, ConfigError> {
        let usage = |message: String| ConfigError { message, code: 2 };
        let root_arg = match cli.root {
            Some(r) => r,
            None => std::env::current_dir().map_err(|e| ConfigError {
                message: format!(
                    "cannot read the current directory: {}",
                    super::io_reason(&e)
                ),
                code: 4,
            })?,
        };
        let root = std::fs::canonicalize(&root_arg).map_err(|e| ConfigError {
            message: format!(
                "cannot serve {}: {}",
                root_arg.display(),
                super::io_reason(&e)
            ),
            code: 4,
        })?;
        if !root.is_dir() {
            return Err(ConfigError {
                message: format!("cannot serve {}: not a directory", root.display()),
                code: 4,
            });
        }
        // The command line wins over the file, and both over the environment. No message
        // repeats the value: it may be the password.
        let auth = match (cli.auth, &cli.auth_file, env_auth) {
            (Some(auth), _, _) => Some((auth, "--auth")),
            (None, Some(file), _) => Some((read_auth_file(file).map_err(usage)?, "--auth-file")),
            (None, None, Some(env)) => match env.into_string() {
                Ok(auth) => Some((auth, AUTH_ENV)),
                Err(_) => return Err(usage(format!("{AUTH_ENV} is not valid UTF-8"))),
            },
            (None, None, None) => None,
        };
        if let Some((auth, from)) = &auth {
            if !auth.contains(':') || auth.starts_with(':') {
                return Err(usage(format!(
                    "{from} wants USER:PASS: a user name, a colon, then the password"
                )));
            }
        }
        let max_upload = parse_size(&cli.max_upload).ok_or_else(|| {
            usage(format!(
                "--max-upload wants a size such as 10M or 1G, got {:?}",
                cli.max_upload
            ))
        })?;
        let secs = |name: &str, v: f64| {
            if v.is_finite() && v > 0.0 && v < 1e7 {
                Ok(Duration::from_secs_f64(v))
            } else {
                Err(usage(format!(
                    "--{name} wants a positive number of seconds, got {v}"
                )))
            }
        };
        let header_timeout = secs("header-timeout", cli.header_timeout)?;
        let idle_timeout = secs("idle-timeout", cli.idle_timeout)?;
        let body_timeout = secs("body-timeout", cli.body_timeout)?;
        let shutdown_grace = secs("shutdown-grace", cli.shutdown_grace)?;
        let default_addrs = cli.bind.is_empty();
        let mut addrs = if default_addrs {
            vec![
                IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(Ipv6Addr::LOCALHOST),
            ]
        } else {
            cli.bind
        };
        addrs.dedup();
        for name in &cli.allow_host {
            if !valid_host_name(name) {
                return Err(usage(format!(
                    "--allow-host wants a host name or address without a port, such as \
                     files.example, 192.168.1.5 or [fe80::1], got {name:?}"
                )));
            }
        }
        // A loopback server answers only to loopback names (and those allowed), so that a
        // web page cannot reach it through DNS rebinding; see `Policy::allowed_hosts`.
        let allowed_hosts = (!cli.allow_host.is_empty() || addrs.iter().all(IpAddr::is_loopback))
            .then(|| {
                LOOPBACK_HOSTS
                    .iter()
                    .map(|&h| h.to_string())
                    .chain(cli.allow_host)
                    .collect()
            });
        let threads = match cli.threads {
            Some(n) => usize::from(n),
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };
        // The upload limit is the parser's body bound: a Content-Length above it gets 413
        // with the head, before the body is read (see `Limits::max_body`).
        let limits = Limits {
            max_body: max_upload,
            ..Limits::default()
        };
        let (headers, cors) = sharing(&cli.header, cli.cors, &cli.cors_origin).map_err(usage)?;
        let policy = Policy {
            allowed_hosts,
            read_only: cli.read_only,
            write_credentials: auth.map(|(auth, _)| auth),
            trusted_html: cli.trusted_html,
            headers,
            cors,
        };
        let tls = if let (Some(cert), Some(key)) = (cli.tls_cert, cli.tls_key) {
            Some(CertSource::Files { cert, key })
        } else if cli.tls_self_signed {
            Some(CertSource::SelfSigned(self_signed_names(
                &addrs,
                &policy.allowed_hosts,
            )))
        } else {
            None
        };
        Ok(Config {
            tls,
            port: cli.port,
            root,
            addrs,
            default_addrs,
            threads,
            policy,
            limits,
            header_timeout,
            idle_timeout,
            body_timeout,
            min_rate: cli.min_rate,
            shutdown_grace,
            quiet: cli.quiet,
            qr: cli.qr,
        })
    }

    /// Whether other machines can reach the server while it accepts writes without a password.
    #[must_use]
    pub fn exposed_writable(&self) -> bool {
        !self.policy.read_only
            && self.policy.write_credentials.is_none()
            && self.addrs.iter().any(|a| !a.is_loopback())
    }

    /// Whether a write password would cross the network unencrypted: Basic
    /// authentication on a non-loopback address without TLS.
    #[must_use]
    pub fn password_in_clear(&self) -> bool {
        self.tls.is_none()
            && self.policy.write_credentials.is_some()
            && self.addrs.iter().any(|a| !a.is_loopback())
    }
}

/// The names a self-signed certificate is made for: localhost, the bound addresses (for an
/// unspecified one, loopback and the machine's interface addresses, as the start lines
/// list them) and the allowed names.
fn self_signed_names(addrs: &[IpAddr], allowed: &Option<Vec<String>>) -> Vec<String> {
    let mut names = vec!["localhost".to_string()];
    for a in addrs {
        if a.is_unspecified() {
            names.extend(["127.0.0.1".to_string(), "::1".to_string()]);
            // The addresses the start lines list, so that their URLs match the certificate.
            let any = [(SocketAddr::new(*a, 0), a.is_ipv6())];
            let ifs = super::announce::interface_addrs();
            let found = super::announce::reachable(&any, &ifs, false);
            names.extend(found.iter().map(|r| r.addr.ip().to_string()));
        } else {
            names.push(a.to_string());
        }
    }
    for n in allowed.iter().flatten() {
        names.push(n.trim_start_matches('[').trim_end_matches(']').to_string());
    }
    let mut seen = std::collections::HashSet::new();
    names.retain(|n| seen.insert(n.clone()));
    names
}

/// The `--header` fields and the CORS settings, checked; each error is one line naming
/// the flag and the value as given (escaped: it may hold control characters).
fn sharing(
    headers: &[String],
    cors: bool,
    origins: &[String],
) -> Result<(Vec<ExtraHeader>, Option<Cors>), String> {
    let headers = headers
        .iter()
        .map(|h| ExtraHeader::parse(h).map_err(|e| format!("--header {h:?} {e}")))
        .collect::<Result<_, _>>()?;
    let origins = origins
        .iter()
        .map(|o| Cors::parse_origin(o).map_err(|e| format!("--cors-origin {o:?} {e}")))
        .collect::<Result<Vec<_>, _>>()?;
    let cors = (cors || !origins.is_empty()).then_some(Cors { origins });
    Ok((headers, cors))
}

/// The `USER:PASS` line of an `--auth-file`, which group and others may neither read nor
/// write (as ssh asks of a private key). One trailing line ending is dropped; nothing else.
fn read_auth_file(path: &Path) -> Result<String, String> {
    use std::io::Read as _;
    use std::os::unix::fs::PermissionsExt as _;
    let shown = path.display();
    let cannot =
        |e: std::io::Error| format!("cannot read --auth-file {shown}: {}", super::io_reason(&e));
    let file = std::fs::File::open(path).map_err(cannot)?;
    let meta = file.metadata().map_err(cannot)?;
    let mode = meta.permissions().mode() & 0o7777;
    if meta.is_file() && mode & 0o077 != 0 {
        return Err(format!(
            "--auth-file {shown} is open to other users (mode {mode:04o}); run chmod 600 {shown}"
        ));
    }
    // A password line is short; anything much longer is the wrong file.
    let mut text = String::new();
    file.take(64 * 1024)
        .read_to_string(&mut text)
        .map_err(|_| format!("--auth-file {shown} is not a USER:PASS line of text"))?;
    let line = text
        .strip_suffix('\n')
        .map_or(text.as_str(), |l| l.strip_suffix('\r').unwrap_or(l));
    if line.contains(['\n', '\r']) {
        return Err(format!(
            "--auth-file {shown} holds more than one line; it wants one USER:PASS line"
        ));
    }
    Ok(line.to_string())
}

/// A host for `--allow-host`: a DNS name (letters, digits, `-`, `_`, `.`), an IPv4 address,
/// or an IPv6 address in brackets; never a port.
fn valid_host_name(s: &str) -> bool {
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    !s.is_empty()
        && s != "."
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Parses `10M`, `1G`, `512k`, `1.5G`, `2GiB`, `100` (bytes). Units are powers of 1024.
#[must_use]
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    if num.is_empty() {
        return None;
    }
    let mult: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return None,
    };
    if let Ok(n) = num.parse::<u64>() {
        return n.checked_mul(mult);
    }
    let f: f64 = num.parse().ok()?;
    let v = f * mult as f64;
    if v.is_finite() && v >= 0.0 && v < u64::MAX as f64 {
        Some(v as u64)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::{parse_size, CertSource, Cli, Config};
    use clap::Parser;
    use std::net::IpAddr;

    fn config(args: &[&str]) -> Config {
        let mut argv = vec!["simple-server", "0", "--root", "/"];
        argv.extend_from_slice(args);
        Config::from_cli_env(Cli::parse_from(argv), None).unwrap()
    }

    #[test]
    fn warns_of_a_clear_text_password_only_off_loopback_without_tls() {
        assert!(!config(&["--auth", "a:b"]).password_in_clear());
        assert!(config(&["--bind", "0.0.0.0", "--auth", "a:b"]).password_in_clear());
        assert!(!config(&["--bind", "0.0.0.0"]).password_in_clear());
        assert!(
            !config(&["--bind", "0.0.0.0", "--auth", "a:b", "--tls-self-signed"])
                .password_in_clear()
        );
    }

    #[test]
    fn makes_the_self_signed_certificate_for_the_bound_names() {
        let names = |args: &[&str]| match config(args).tls {
            Some(CertSource::SelfSigned(names)) => names,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            names(&["--tls-self-signed"]),
            ["localhost", "127.0.0.1", "::1"]
        );
        // `::` also covers each interface address the start lines list.
        let all = names(&[
            "--tls-self-signed",
            "--bind",
            "::",
            "--allow-host",
            "files.test",
        ]);
        assert_eq!(all[..3], ["localhost", "127.0.0.1", "::1"]);
        assert_eq!(all.last().map(String::as_str), Some("files.test"));
        for ip in super::super::announce::interface_addrs() {
            let link_local = matches!(ip, IpAddr::V6(a) if a.is_unicast_link_local());
            assert_eq!(
                all.contains(&ip.to_string()),
                !link_local,
                "{ip} in {all:?}"
            );
        }
        assert_eq!(config(&[]).tls, None);
    }

    #[test]
    fn warns_only_when_writable_and_exposed_without_auth() {
        assert!(!config(&[]).exposed_writable());
        assert!(!config(&["--bind", "::1"]).exposed_writable());
        assert!(config(&["--bind", "0.0.0.0"]).exposed_writable());
        assert!(config(&["--bind", "127.0.0.1", "--bind", "::"]).exposed_writable());
        assert!(!config(&["--bind", "0.0.0.0", "--read-only"]).exposed_writable());
        assert!(!config(&["--bind", "0.0.0.0", "--auth", "a:b"]).exposed_writable());
    }

    #[test]
    fn defaults_are_loopback_and_safe() {
        let c = config(&[]);
        assert!(c.default_addrs);
        assert!(c.addrs.iter().all(|a| a.is_loopback()));
        assert_eq!(c.limits.max_body, 1 << 30);
        assert!(c.threads >= 1);
        assert_eq!(config(&["--max-upload", "10M"]).limits.max_body, 10 << 20);
        assert!(Config::from_cli_env(
            Cli::parse_from(["simple-server", "--auth", "nocolon"]),
            None
        )
        .is_err());
        assert!(
            Config::from_cli(Cli::parse_from(["simple-server", "--header-timeout", "0"])).is_err()
        );
    }

    #[test]
    fn a_loopback_server_answers_only_to_loopback_names() {
        let loopback = ["localhost", "127.0.0.1", "[::1]"]
            .map(String::from)
            .to_vec();
        assert_eq!(config(&[]).policy.allowed_hosts, Some(loopback.clone()));
        assert_eq!(
            config(&["--bind", "::1"]).policy.allowed_hosts,
            Some(loopback.clone())
        );
        assert_eq!(config(&["--bind", "0.0.0.0"]).policy.allowed_hosts, None);
        assert_eq!(
            config(&["--bind", "127.0.0.1", "--bind", "::"])
                .policy
                .allowed_hosts,
            None
        );
        let mut more = loopback;
        more.extend(["files.example".into(), "[fe80::1]".into()]);
        assert_eq!(
            config(&["--allow-host", "files.example", "--allow-host", "[fe80::1]"])
                .policy
                .allowed_hosts,
            Some(more.clone())
        );
        assert_eq!(
            config(&[
                "--bind",
                "0.0.0.0",
                "--allow-host",
                "files.example",
                "--allow-host",
                "[fe80::1]"
            ])
            .policy
            .allowed_hosts,
            Some(more)
        );
        for bad in ["", "a:80", "a/b", "[fe80::1]:80", "[nope]", "a b", "*"] {
            let argv = ["simple-server", "0", "--root", "/", "--allow-host", bad];
            let err = Config::from_cli(Cli::parse_from(argv)).unwrap_err();
            assert_eq!(err.code, 2, "{bad:?}");
            assert!(
                err.message.starts_with("--allow-host wants"),
                "{}",
                err.message
            );
        }
    }

    fn auth_of(args: &[&str], env: Option<&str>) -> Result<Option<String>, String> {
        let mut argv = vec!["simple-server", "0", "--root", "/"];
        argv.extend_from_slice(args);
        Config::from_cli_env(Cli::parse_from(argv), env.map(Into::into))
            .map(|c| c.policy.write_credentials)
            .map_err(|e| e.message)
    }

    #[test]
    fn takes_the_password_from_the_flag_a_file_or_the_environment() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("simple-server-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, text: &str, mode: u32| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            p.to_str().unwrap().to_string()
        };
        let good = file("good", "alice:s3cret\n", 0o600);
        let crlf = file("crlf", "alice:pass word\r\n", 0o400);
        let open = file("open", "alice:s3cret\n", 0o644);
        let two = file("two", "alice:s3cret\nbob:x\n", 0o600);
        let bad = file("bad", "s3cret\n", 0o600);
        let some = |s: &str| Ok(Some(s.to_string()));

        assert_eq!(auth_of(&[], None), Ok(None));
        assert_eq!(auth_of(&["--auth", "a:b"], None), some("a:b"));
        assert_eq!(auth_of(&[], Some("env:pw")), some("env:pw"));
        assert_eq!(auth_of(&["--auth", "a:b"], Some("env:pw")), some("a:b"));
        assert_eq!(auth_of(&["--auth-file", &good], None), some("alice:s3cret"));
        assert_eq!(
            auth_of(&["--auth-file", &good], Some("env:pw")),
            some("alice:s3cret")
        );
        assert_eq!(
            auth_of(&["--auth-file", &crlf], None),
            some("alice:pass word")
        );

        let err = auth_of(&["--auth-file", &open], None).unwrap_err();
        assert_eq!(
            err,
            format!("--auth-file {open} is open to other users (mode 0644); run chmod 600 {open}")
        );
        let err = auth_of(&["--auth-file", &two], None).unwrap_err();
        assert!(err.contains("more than one line"), "{err}");
        let err = auth_of(&["--auth-file", &bad], None).unwrap_err();
        assert_eq!(
            err,
            "--auth-file wants USER:PASS: a user name, a colon, then the password"
        );
        assert!(!err.contains("s3cret"));
        let err = auth_of(&["--auth-file", "/nonexistent/auth"], None).unwrap_err();
        assert_eq!(
            err,
            "cannot read --auth-file /nonexistent/auth: no such file or directory"
        );
        let err = auth_of(&[], Some("nocolon")).unwrap_err();
        assert!(
            err.starts_with("SIMPLE_SERVER_AUTH wants USER:PASS"),
            "{err}"
        );
        assert!(!err.contains("nocolon"));
        assert!(auth_of(&[], Some("")).is_err());
        assert!(
            Cli::try_parse_from(["simple-server", "--auth", "a:b", "--auth-file", &good]).is_err()
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn parses_sizes_with_binary_units() {
        assert_eq!(parse_size("100"), Some(100));
        assert_eq!(parse_size("10M"), Some(10 << 20));
        assert_eq!(parse_size("1G"), Some(1 << 30));
        assert_eq!(parse_size("2GiB"), Some(2 << 30));
        assert_eq!(parse_size("512k"), Some(512 << 10));
        assert_eq!(parse_size("1.5K"), Some(1536));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size("10Q"), None);
        assert_eq!(parse_size(""), None);
    }
}
