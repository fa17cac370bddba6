//! simple-server: a concurrent, event-driven file server on `simplehttp-core`.
//!
//! - [`cli`]: the flags as typed; [`config`]: the settings they resolve to.
//! - [`access`]: the users, their password hashes, and the failed logins that earn 429;
//!   [`password`]: `--hash-password`.
//! - [`listen`]: one SO_REUSEPORT listening socket per address, a duplicate per worker.
//! - [`worker`]: one thread per core, each with its own `mio` poll and connections.
//! - [`conn`]: one connection's state machine around the core's parser.
//! - [`commit`]: a few threads that make uploads durable off the event loop.
//! - [`fs_store`]: the core's `FileStore` on a directory (no escapes, atomic uploads).
//! - [`log`]: the access log.
//! - [`tls`]: HTTPS: the certificate, and rustls between a connection's socket and engine.
//! - [`announce`]: the URLs the start lines list, and `--qr`'s code.
//! - [`exit`]: the exit codes, and the one printer of why the server stops.
//!
//! Every protocol decision (parsing, framing, what to answer) is the core's; this module
//! moves bytes, files and time.

pub mod access;
pub mod announce;
pub mod cli;
pub mod commit;
pub mod config;
pub mod conn;
pub mod exit;
pub mod fs_store;
pub mod listen;
pub mod log;
pub mod password;
pub mod tls;
pub mod worker;

use cli::Cli;
use config::Config;
use exit::{Exit, Failure};
use mio::{Poll, Waker};
use std::io;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use worker::Shared;

/// Prints a line on stderr, ignoring failures: a closed or broken stderr must not stop
/// the server (`eprintln!` would panic).
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

/// A short, lower-case reason for an I/O error, without the "(os error N)" suffix.
#[must_use]
pub fn io_reason(e: &io::Error) -> String {
    match e.kind() {
        io::ErrorKind::PermissionDenied => "permission denied".into(),
        io::ErrorKind::AddrInUse => "address already in use".into(),
        io::ErrorKind::AddrNotAvailable => "address not available".into(),
        io::ErrorKind::NotFound => "no such file or directory".into(),
        _ => {
            let s = e.to_string();
            let s = match s.find(" (os error") {
                Some(i) => s[..i].to_string(),
                None => s,
            };
            let mut chars = s.chars();
            match chars.next() {
                Some(c) => c.to_lowercase().chain(chars).collect(),
                None => s,
            }
        }
    }
}

/// Raises the soft limit on open files to the hard limit: each connection is one.
fn raise_nofile_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let lim = getrlimit(Resource::Nofile);
    if lim.current != lim.maximum {
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: lim.maximum,
                maximum: lim.maximum,
            },
        );
    }
}

/// Overwrites the password of `--auth USER:PASS` with `*` in this process's own argument
/// strings, which every local user can read in /proc/PID/cmdline (and so in `ps`), as curl
/// does for `-u` ([`crate::argv::hide_secret_values`]). Returns whether there was one to
/// hide. What remains visible is the moment between exec and this call: hence
/// SIMPLE_SERVER_AUTH and --auth-file.
pub fn hide_auth_argument() -> io::Result<bool> {
    use clap::CommandFactory as _;
    crate::argv::hide_secret_values(&Cli::command(), "auth")
}

/// Runs the server with the parsed command line until SIGINT or SIGTERM.
pub fn run(cli: Cli) -> ExitCode {
    match start(cli) {
        Ok(exit) => exit.into(),
        Err(failure) => failure.report(),
    }
}

fn start(cli: Cli) -> Result<Exit, Failure> {
    if let Some(user) = &cli.hash_password {
        password::print_line(user).map_err(Failure::usage)?;
        return Ok(Exit::Stopped);
    }
    if !cli.auth.is_empty() {
        if let Err(e) = hide_auth_argument() {
            say!(
                "simple-server: warning: cannot hide the --auth password from other users \
                 ({}); prefer {} or --auth-file",
                io_reason(&e),
                config::AUTH_ENV
            );
        }
    }
    serve(Config::from_cli(cli)?)
}

/// `--qr`: the first URL another machine can open, as a QR code on stdout when it is a
/// terminal; otherwise one line on stderr saying why there is none.
fn show_qr(reachable: &[announce::Reachable]) {
    use std::io::{IsTerminal as _, Write as _};
    let Some(lan) = announce::first_lan(reachable) else {
        say!(
            "simple-server: --qr: no address other machines can reach (loopback only); \
             add --bind 0.0.0.0 or --bind ::"
        );
        return;
    };
    let stdout = std::io::stdout();
    if !stdout.is_terminal() {
        say!(
            "simple-server: --qr: stdout is not a terminal; no QR code for {}",
            lan.url
        );
        return;
    }
    let Some(lines) = announce::qr_lines(&lan.url) else {
        say!("simple-server: --qr: {} is too long for a QR code", lan.url);
        return;
    };
    let mut out = stdout.lock();
    let _ = writeln!(out, "{}", lan.url);
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
    let _ = out.flush();
}

/// Tells the main thread that a worker ended, however it ended (a panic included).
struct WorkerEnded(std::sync::mpsc::Sender<bool>);

impl Drop for WorkerEnded {
    fn drop(&mut self) {
        let _ = self.0.send(false);
    }
}

/// The wall-clock time, as the core takes it.
fn wall_now() -> simplehttp_core::Timestamp {
    simplehttp_core::Timestamp(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
    )
}

fn serve(config: Config) -> Result<Exit, Failure> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    raise_nofile_limit();
    let (tls, fingerprint) = match config.tls.clone().map(|s| tls::Certs::load(s, wall_now())) {
        None => (None, None),
        Some(Ok(loaded)) => (Some(Arc::new(loaded.certs)), loaded.fingerprint),
        Some(Err(e)) => return Err(Failure::new(Exit::Tls, e.to_string())),
    };
    let mut config = config;
    let bound = match config.inherited.take() {
        Some(sockets) => listen::share_inherited(&sockets, config.threads),
        None => listen::bind_all(
            &config.addrs,
            config.port,
            config.threads,
            config.default_addrs,
            config.share_port,
        ),
    };
    let bound = match bound {
        Ok(b) => b,
        Err(e) => return Err(Failure::new(Exit::Listen, e.describe())),
    };
    // Which IPv6 sockets also take IPv4 (`::` alone, unless the system says otherwise).
    let bound_addrs: Vec<(std::net::SocketAddr, bool)> = bound
        .addrs
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            let dual = a.is_ipv6()
                && bound.per_worker[0]
                    .get(i)
                    .is_some_and(|l| socket2::SockRef::from(l).only_v6().is_ok_and(|v6| !v6));
            (a, dual)
        })
        .collect();
    // Signals are caught from here on, before anything is served.
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;

    let shared = Arc::new(Shared {
        config,
        shutdown: AtomicBool::new(false),
        tls: tls.clone(),
    });
    let commits = commit::Pool::start()?;
    // The main thread sleeps until a signal arrives (true) or a worker ends (false): an
    // idle server does not wake up to check.
    let (events, stop) = std::sync::mpsc::channel::<bool>();
    let mut wakers = Vec::new();
    let mut handles = Vec::new();
    for (i, listeners) in bound.per_worker.into_iter().enumerate() {
        let poll = Poll::new()?;
        worker::register_listeners(&poll, &listeners)?;
        let waker = Arc::new(Waker::new(poll.registry(), worker::WAKER)?);
        let (back, committed) = std::sync::mpsc::channel();
        let link = commits.link(back, Arc::clone(&waker));
        wakers.push(waker);
        let shared = Arc::clone(&shared);
        let ended = WorkerEnded(events.clone());
        let handle = std::thread::Builder::new()
            .name(format!("worker-{i}"))
            .spawn(move || {
                let _ended = ended;
                worker::run(shared, i, poll, listeners, link, committed)
            })?;
        handles.push(handle);
    }

    let config = &shared.config;
    let everywhere = bound.addrs.iter().any(|a| a.ip().is_unspecified());
    let interfaces = if everywhere {
        announce::interface_addrs()
    } else {
        Vec::new()
    };
    let reachable = announce::reachable(&bound_addrs, &interfaces, tls.is_some());
    let urls: Vec<String> = reachable.iter().map(|r| r.url.clone()).collect();
    // Where the warnings say the server can be reached: every URL would be a long line.
    let reach = if everywhere {
        format!(
            "port {} of any address of this machine",
            bound.addrs[0].port()
        )
    } else {
        urls.join(" and ")
    };
    let mode = match (config.policy.read_only, &config.policy.auth) {
        (true, Some(a)) if a.reads => "read-only, every request needs a password",
        (true, _) => "read-only",
        (false, Some(a)) if a.reads => "read-write, every request needs a password",
        (false, Some(_)) => "read-write, writes need a password",
        (false, None) => "read-write",
    };
    if everywhere && urls.len() > 1 {
        // One URL a line, to copy; the first is loopback, for the machine itself.
        say!(
            "Serving {} on {} ({mode}), and on:",
            config.root.display(),
            urls[0]
        );
        for url in &urls[1..] {
            say!("  {url}");
        }
    } else {
        say!(
            "Serving {} on {} ({mode})",
            config.root.display(),
            urls.join(" and ")
        );
    }
    if config.qr {
        show_qr(&reachable);
    }
    if let Some(fp) = &fingerprint {
        say!("simple-server: self-signed certificate, SHA-256 fingerprint {fp}");
    }
    // Stale upload temporaries are swept beside serving, not before: on a large tree the
    // walk takes a while, and nothing served depends on it (temporaries are never served
    // or listed).
    if !config.policy.read_only {
        let root = config.root.clone();
        let _ = std::thread::Builder::new()
            .name("sweep".into())
            .spawn(move || {
                let stale = fs_store::remove_stale_temporaries(&root);
                if stale > 0 {
                    say!(
                        "simple-server: removed {stale} unfinished upload(s) left by an \
                         earlier run"
                    );
                }
            });
    }
    if config.exposed_writable() {
        say!(
            "simple-server: warning: anyone who can reach {reach} may upload and delete \
             files; add --auth-file FILE (or SIMPLE_SERVER_AUTH=USER:PASS) or --read-only"
        );
    }

    if config.password_in_clear() {
        say!(
            "simple-server: warning: the --auth password travels in clear text to {reach}; \
             add --tls-cert and --tls-key (or --tls-self-signed)"
        );
    }
    // SIGHUP reads the certificate and key again, for new connections.
    if let Some(certs) = tls {
        let mut hups = signal_hook::iterator::Signals::new([SIGHUP])?;
        std::thread::Builder::new()
            .name("reload".into())
            .spawn(move || {
                for _ in hups.forever() {
                    match certs.reload(wall_now()) {
                        Ok(true) => say!("simple-server: reloaded the TLS certificate"),
                        Ok(false) => {}
                        Err(e) => say!("simple-server: kept the old TLS certificate: {e}"),
                    }
                }
            })?;
    }
    // Wait for Ctrl-C or SIGTERM (or for every worker to have stopped on an error).
    let signals_handle = signals.handle();
    let watcher = {
        let shared = Arc::clone(&shared);
        std::thread::spawn(move || {
            let first = signals.forever().next();
            shared.shutdown.store(true, Ordering::SeqCst);
            let _ = events.send(true);
            if first.is_some() {
                // A second signal stops at once.
                if signals.forever().next().is_some() {
                    say!("simple-server: stopping now");
                    std::process::exit(Exit::Interrupted.code().into());
                }
            }
        })
    };
    // Why the server failed, if it did: the first worker's reason; the others are logged.
    let mut failure: Option<Failure> = None;
    let mut fail = |why: String| match &failure {
        None => failure = Some(Failure::new(Exit::Failed, why)),
        Some(_) => say!("simple-server: {why}"),
    };
    let mut running = handles.len();
    loop {
        match stop.recv() {
            Ok(true) | Err(_) => break,
            Ok(false) => {
                running -= 1;
                if running == 0 {
                    shared.shutdown.store(true, Ordering::SeqCst);
                    break;
                }
            }
        }
    }
    for waker in &wakers {
        let _ = waker.wake();
    }
    for handle in handles {
        match handle.join() {
            Ok(Ok(())) => {}
            Ok(Err(e)) => fail(format!("a worker stopped: {}", io_reason(&e))),
            Err(_) => fail("a worker stopped: it panicked".into()),
        }
    }
    if running == 0 && failure.is_none() {
        failure = Some(Failure::new(Exit::Failed, "every worker stopped"));
    }
    // Uploads handed over before the workers stopped are committed before exiting.
    commits.finish();
    signals_handle.close();
    drop(watcher);
    match failure {
        None => Ok(Exit::Stopped),
        Some(f) => Err(f),
    }
}
