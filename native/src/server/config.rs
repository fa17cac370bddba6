//! Resolved settings: what the server will do, checked and made absolute.

use super::access::{load_file, Access};
use super::cli::Cli;
use super::exit::Failure;
use super::tls::CertSource;
use simplehttp_core::decide::{Cors, ExtraHeader};
use simplehttp_core::{Auth, Limits, Policy, LOOPBACK_HOSTS};
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
    /// `--share-port`: join a port another simple-server listens on.
    pub share_port: bool,
    /// Listening sockets passed by a service manager (socket activation, `LISTEN_FDS`):
    /// used instead of binding `addrs`, which are then their addresses.
    pub inherited: Option<std::sync::Arc<Vec<std::net::TcpListener>>>,
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

/// The environment variable that may hold `USER:PASS` for `--auth`.
pub const AUTH_ENV: &str = "SIMPLE_SERVER_AUTH";

impl Config {
    /// Resolves and checks the flags, with `SIMPLE_SERVER_AUTH` from the environment.
    pub fn from_cli(cli: Cli) -> Result<Config, Failure> {
        Self::from_cli_env(cli, std::env::var_os(AUTH_ENV))
    }

    /// Resolves and checks the flags; `env_auth` is the value of `SIMPLE_SERVER_AUTH`.
    pub fn from_cli_env(cli: Cli, env_auth: Option<OsString>) -> Result<Config, Failure> {
        let usage = |why: String| Failure::usage(why);
        let root_arg = match cli.root {
            Some(r) => r,
            None => std::env::current_dir().map_err(|e| {
                Failure::root(format!(
                    "cannot read the current directory: {}",
                    super::io_reason(&e)
                ))
            })?,
        };
        let root = std::fs::canonicalize(&root_arg).map_err(|e| {
            Failure::root(format!(
                "cannot serve {}: {}",
                root_arg.display(),
                super::io_reason(&e)
            ))
        })?;
        if !root.is_dir() {
            return Err(Failure::root(format!(
                "cannot serve {}: not a directory",
                root.display()
            )));
        }
        let auth = users(&cli.auth, cli.auth_file.as_deref(), env_auth)
            .map_err(usage)?
            .map(|users| Auth::new(users, cli.auth_read));
        if cli.auth_read && auth.is_none() {
            return Err(usage(format!(
                "--auth-read needs users: --auth USER:PASS, --auth-file FILE or {AUTH_ENV}"
            )));
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
        let inherited = super::listen::inherited().map_err(|why| {
            Failure::new(
                super::exit::Exit::Listen,
                format!("socket activation: {why}"),
            )
        })?;
        if inherited.is_some() && (!cli.bind.is_empty() || cli.share_port) {
            return Err(usage(
                "--bind and --share-port cannot be used with sockets passed by the service \
                 manager (LISTEN_FDS): the sockets say where to listen"
                    .into(),
            ));
        }
        let mut port = cli.port;
        let default_addrs = cli.bind.is_empty() && inherited.is_none();
        let mut addrs = if let Some(sockets) = &inherited {
            let local: Vec<SocketAddr> =
                sockets.iter().filter_map(|s| s.local_addr().ok()).collect();
            port = local.first().map_or(port, SocketAddr::port);
            local.iter().map(SocketAddr::ip).collect()
        } else if default_addrs {
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
            auth,
            hidden: cli.hidden,
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
            port,
            root,
            addrs,
            default_addrs,
            share_port: cli.share_port,
            inherited: inherited.map(std::sync::Arc::new),
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
            && self.policy.auth.is_none()
            && self.addrs.iter().any(|a| !a.is_loopback())
    }

    /// Whether a write password would cross the network unencrypted: Basic
    /// authentication on a non-loopback address without TLS.
    #[must_use]
    pub fn password_in_clear(&self) -> bool {
        self.tls.is_none()
            && self.policy.auth.is_some()
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

/// The users of `--auth` (repeated) and `--auth-file`, or of `SIMPLE_SERVER_AUTH` when
/// neither is given; `None` when there are none. No message repeats a value after its
/// user name: it may be the password.
fn users(
    flags: &[String],
    file: Option<&Path>,
    env: Option<OsString>,
) -> Result<Option<Access>, String> {
    let mut plain: Vec<(String, &str)> = Vec::new();
    let env = match env {
        Some(env) if flags.is_empty() && file.is_none() => Some(
            env.into_string()
                .map_err(|_| format!("{AUTH_ENV} is not valid UTF-8"))?,
        ),
        _ => None,
    };
    let given = flags
        .iter()
        .map(|f| (f, "--auth"))
        .chain(env.iter().map(|e| (e, AUTH_ENV)));
    for (pair, from) in given {
        let Some((user, pass)) = pair.split_once(':').filter(|(u, _)| !u.is_empty()) else {
            return Err(format!(
                "{from} wants USER:PASS: a user name, a colon, then the password"
            ));
        };
        if pass.is_empty() {
            return Err(format!("{from}: the password of {user} is empty"));
        }
        if plain.iter().any(|(u, _)| u == user) {
            return Err(format!("{from}: user {user} is given twice"));
        }
        plain.push((user.to_string(), pair));
    }
    let names: Vec<String> = plain.iter().map(|(u, _)| u.clone()).collect();
    let file = file.map(|f| load_file(f, &names)).transpose()?;
    if plain.is_empty() && file.is_none() {
        return Ok(None);
    }
    let pairs: Vec<String> = plain.iter().map(|(_, p)| (*p).to_string()).collect();
    Ok(Some(Access::new(&pairs, file)))
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
            assert_eq!(err.exit, super::super::exit::Exit::Usage, "{bad:?}");
            assert!(err.why.starts_with("--allow-host wants"), "{}", err.why);
        }
    }

    /// Which of `tries` (user, password) the configuration of `args` and `env` grants,
    /// and whether reads need them; `None` without users.
    fn auth_of(
        args: &[&str],
        env: Option<&str>,
        tries: &[(&str, &str)],
    ) -> Result<Option<(Vec<bool>, bool)>, String> {
        use simplehttp_core::{Presented, Verdict};
        let mut argv = vec!["simple-server", "0", "--root", "/"];
        argv.extend_from_slice(args);
        let c =
            Config::from_cli_env(Cli::parse_from(argv), env.map(Into::into)).map_err(|e| e.why)?;
        Ok(c.policy.auth.map(|auth| {
            let granted = tries
                .iter()
                .map(|(user, password)| {
                    let presented = Presented::Basic {
                        user: user.as_bytes(),
                        password: password.as_bytes(),
                    };
                    auth.users.check(None, presented) == Verdict::Granted
                })
                .collect();
            (granted, auth.reads)
        }))
    }

    /// `openssl passwd -6 -salt saltsalt s3cret`.
    const ALICE_SHA512: &str = "$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nFnNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1";

    #[test]
    fn takes_users_from_the_flags_a_file_or_the_environment() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("simple-server-auth-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = |name: &str, text: &str, mode: u32| {
            let p = dir.join(name);
            std::fs::write(&p, text).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
            p.to_str().unwrap().to_string()
        };
        let good = file(
            "good",
            &format!("# the users\n\n  alice:{ALICE_SHA512}  \r\n"),
            0o600,
        );
        let open = file("open", &format!("alice:{ALICE_SHA512}\n"), 0o644);
        let plain = file("plain", "alice:s3cret\n", 0o600);
        let bad = file("bad", "# fine\ns3cret\n", 0o600);
        let unknown = file(
            "unknown",
            "bob:$2y$10$abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV\n",
            0o600,
        );
        let empty = file("empty", &format!("alice:{ALICE_SHA512}\nbob:\n"), 0o600);
        let twice = file(
            "twice",
            &format!("alice:{ALICE_SHA512}\nbob:{ALICE_SHA512}\nalice:{ALICE_SHA512}\n"),
            0o600,
        );
        let none = file("none", "# nobody yet\n", 0o600);
        let tries = [("a", "b"), ("c", "d"), ("env", "pw"), ("alice", "s3cret")];
        let granted = |args: &[&str], env| auth_of(args, env, &tries).map(|a| a.map(|a| a.0));
        let yes = |v: [bool; 4]| Ok(Some(v.to_vec()));

        assert_eq!(granted(&[], None), Ok(None));
        assert_eq!(
            granted(&["--auth", "a:b"], None),
            yes([true, false, false, false])
        );
        assert_eq!(
            granted(&["--auth", "a:b", "--auth=c:d"], None),
            yes([true, true, false, false])
        );
        assert_eq!(
            granted(&[], Some("env:pw")),
            yes([false, false, true, false])
        );
        // The environment counts only when no flag gives users.
        assert_eq!(
            granted(&["--auth", "a:b"], Some("env:pw")),
            yes([true, false, false, false])
        );
        assert_eq!(
            granted(&["--auth-file", &good], None),
            yes([false, false, false, true])
        );
        assert_eq!(
            granted(&["--auth-file", &good], Some("env:pw")),
            yes([false, false, false, true])
        );
        assert_eq!(
            granted(&["--auth-file", &good, "--auth", "a:b"], None),
            yes([true, false, false, true])
        );
        assert_eq!(
            auth_of(&["--auth", "a:b"], None, &[]),
            Ok(Some((vec![], false)))
        );
        assert_eq!(
            auth_of(&["--auth", "a:b", "--auth-read"], None, &[]),
            Ok(Some((vec![], true)))
        );

        let err = |args: &[&str], env: Option<&str>| auth_of(args, env, &[]).unwrap_err();
        assert_eq!(
            err(&["--auth-file", &open], None),
            format!("--auth-file {open} is open to other users (mode 0644); run chmod 600 {open}")
        );
        let e = err(&["--auth-file", &plain], None);
        assert!(
            e.starts_with(&format!(
                "--auth-file {plain} line 1: holds a plain password, not a hash"
            )),
            "{e}"
        );
        assert!(e.contains("simple-server --hash-password USER"), "{e}");
        assert!(!e.contains("s3cret"), "{e}");
        assert_eq!(
            err(&["--auth-file", &bad], None),
            format!("--auth-file {bad} line 2: wants USER:HASH, a user name, a colon, then a password hash")
        );
        let e = err(&["--auth-file", &unknown], None);
        assert!(
            e.starts_with(&format!(
                "--auth-file {unknown} line 1: unknown hash scheme"
            )),
            "{e}"
        );
        assert_eq!(
            err(&["--auth-file", &empty], None),
            format!("--auth-file {empty} line 2: the password is empty")
        );
        assert_eq!(
            err(&["--auth-file", &twice], None),
            format!("--auth-file {twice} line 3: user alice appears again (first on line 1)")
        );
        assert_eq!(
            err(&["--auth-file", &good, "--auth", "alice:other"], None),
            format!("--auth-file {good} line 3: user alice is also given by --auth")
        );
        assert_eq!(
            err(&["--auth-file", &none], None),
            format!("--auth-file {none} names no user")
        );
        assert_eq!(
            err(&["--auth-file", "/nonexistent/auth"], None),
            "cannot read --auth-file /nonexistent/auth: no such file or directory"
        );
        assert_eq!(
            err(&["--auth", "a:"], None),
            "--auth: the password of a is empty"
        );
        assert_eq!(
            err(&["--auth", "a:b", "--auth", "a:c"], None),
            "--auth: user a is given twice"
        );
        assert_eq!(
            err(&["--auth", ":b"], None),
            "--auth wants USER:PASS: a user name, a colon, then the password"
        );
        let e = err(&[], Some("nocolon"));
        assert!(e.starts_with("SIMPLE_SERVER_AUTH wants USER:PASS"), "{e}");
        assert!(!e.contains("nocolon"));
        assert!(auth_of(&[], Some(""), &[]).is_err());
        assert_eq!(
            err(&["--auth-read"], None),
            "--auth-read needs users: --auth USER:PASS, --auth-file FILE or SIMPLE_SERVER_AUTH"
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
