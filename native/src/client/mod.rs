//! simple-client: a dependable command-line HTTP client.
//!
//! The protocol is `simplehttp-core`'s `ClientConnection`: it writes requests, frames their
//! bodies, reads responses, handles `100 Continue` and says where a redirect leads. This
//! module only moves bytes between a blocking socket (TLS over it for `https://`), the
//! upload source and the output, keeps the time, and turns the outcome into an exit code a
//! script can rely on ([`Exit`]).
//!
//! - [`cli`]: the flags as typed; [`config`]: the settings they resolve to.
//! - [`connect`]: resolving and connecting, every address in turn.
//! - [`tls`]: `https://` with rustls: verification, the handshake, the encrypted stream.
//! - [`exchange`]: one request and its response, driving the core's engine.
//! - [`multi`]: several URLs in one run, in order or `-Z` in parallel.
//! - [`output`]: stdout, or a temporary file renamed into place when complete.
//! - [`proxy`]: `-x`, the proxy environment variables, `--noproxy`, CONNECT tunnels.
//! - [`resume`]: `-C -` and the partial file kept beside the destination.
//! - [`retry`]: `--retry` with backoff, and which failures earn another try.
//! - [`show`]: `-v` and `--trace` text, sanitized.
//! - [`body_data`]: `-d`, `--data-binary`, `--json` bodies, streamed with their length.
//! - [`multipart`]: `-F` forms, streamed with their length.
//! - [`writeout`]: `-w` and its variables; [`disposition`]: `-J`'s safe file name.
//! - [`auth`]: `-u` and the password prompt; [`netrc`]: `-n`, `--netrc-file`.

pub mod auth;
pub mod body_data;
pub mod cli;
pub mod config;
pub mod connect;
pub mod disposition;
pub mod error;
pub mod exchange;
pub mod multi;
pub mod multipart;
pub mod netrc;
pub mod output;
pub mod proxy;
pub mod resume;
pub mod retry;
pub mod show;
pub mod tls;
pub mod url;
pub mod writeout;

pub use error::{Exit, Failure};

use config::{BodySource, Config, MAX_REDIRECTS};
use exchange::Outcome;
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once Ctrl-C arrived or `--max-time` passed: another thread is cleaning up and
/// exiting (130, or 4).
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// Runs the client for parsed arguments and returns the exit code to use.
pub fn run(args: cli::Args) -> Result<Exit, Failure> {
    if args.user.as_deref().is_some_and(|u| u.contains(':')) {
        use clap::CommandFactory as _;
        if let Err(e) = crate::argv::hide_secret_values(&cli::Args::command(), "user") {
            show::eprint_lines(
                "simple-client: ",
                [format!(
                    "warning: cannot hide the -u password from other users ({e}); \
                     prefer a netrc file (-n)"
                )],
            );
        }
    }
    let mut cfg = Config::from_args(args)?;
    if cfg.write_out.is_some() {
        writeout::begin();
    }
    install_interrupt_handler();
    cfg.authorization =
        auth::authorization(cfg.user.as_ref(), &cfg.netrc, &cfg.url.host, cfg.verbose)?;
    if let Some(limit) = cfg.max_time {
        start_max_time_watchdog(limit)?;
    }
    let result = run_config(&cfg);
    if let Some(format) = &cfg.write_out {
        let (exit, error) = match &result {
            Ok(exit) => (exit.code(), None),
            Err(f) => (f.exit.code(), Some(f.why.as_str())),
        };
        writeout::print(format, exit, error);
    }
    // A signal can make a socket call fail with EINTR: that is not the error to report.
    // Leave the exit (130) to the handler thread.
    while INTERRUPTED.load(Ordering::SeqCst) {
        std::thread::park();
    }
    result
}

fn run_config(cfg: &Config) -> Result<Exit, Failure> {
    if cfg.jobs.len() == 1 {
        let mut tls = tls::Connector::new(&cfg.tls);
        return run_one(cfg, &mut tls, &mut exchange::Pool::default());
    }
    Ok(multi::run(cfg))
}

/// One URL of the run, with its retries and redirects, on connections from `pool`.
pub fn run_one(
    cfg: &Config,
    tls: &mut tls::Connector,
    pool: &mut exchange::Pool,
) -> Result<Exit, Failure> {
    // A file download keeps what it received for the next try (`--retry`) or run (`-C -`).
    let resume = match &cfg.output {
        config::Output::File(dest) if cfg.continue_at || cfg.retry.retries > 0 => {
            let dest = output::resolve_links(dest)?;
            Some(resume::Resume::new(&dest, cfg.continue_at)?)
        }
        _ => None,
    };
    let result = retry::run(&cfg.retry, |more| {
        let ask = resume.as_ref().and_then(resume::Resume::ask);
        if cfg.verbose {
            if let Some(a) = &ask {
                show::eprint_lines("* ", [format!("continuing from byte {}", a.from)]);
            }
        }
        let attempt = exchange::Attempt {
            resume: resume.as_ref(),
            ask,
            retry_status: more,
        };
        match fetch(cfg, tls, pool, &attempt) {
            Ok(Outcome::Retry {
                status,
                retry_after,
            }) => retry::Tried::Again {
                failure: Failure::new(
                    Exit::for_status(status),
                    format!("the server answered {status}"),
                ),
                retry_after,
            },
            Err(f) if f.transient => retry::Tried::Again {
                failure: f,
                retry_after: None,
            },
            Ok(Outcome::Final { status } | Outcome::StdoutClosed { status }) => {
                retry::Tried::Done(Ok(Exit::for_status(status)))
            }
            Ok(Outcome::Complete) => {
                if cfg.verbose {
                    show::eprint_lines("* ", ["the file was complete already"]);
                }
                retry::Tried::Done(Ok(Exit::Success))
            }
            Ok(Outcome::Redirect { .. }) => unreachable!("fetch follows redirects"),
            Err(f) => retry::Tried::Done(Err(f)),
        }
    });
    if let Some(r) = &resume {
        if !matches!(result, Ok(Exit::Success)) {
            r.finish_run();
        }
    }
    result
}

/// One try at the URL: the request, and the redirects it leads to with `-L`.
fn fetch(
    cfg: &Config,
    tls: &mut tls::Connector,
    pool: &mut exchange::Pool,
    attempt: &exchange::Attempt<'_>,
) -> Result<Outcome, Failure> {
    let mut url = cfg.url.clone();
    let mut method = cfg.method.clone();
    let mut body = cfg.body.clone();
    let mut hops = 0;
    loop {
        writeout::new_exchange(&url.to_string(), &method, hops);
        let outcome =
            exchange::exchange(cfg, tls, pool, &url, &method, &body, cfg.follow, attempt)?;
        match outcome {
            Outcome::Redirect {
                location,
                method: next_method,
                resend_body,
                ..
            } => {
                hops += 1;
                if hops > MAX_REDIRECTS {
                    return Err(Failure::protocol(format!(
                        "too many redirects (more than {MAX_REDIRECTS})"
                    )));
                }
                let next = url.join(&location).map_err(|e| {
                    Failure::protocol(format!(
                        "cannot follow the redirect to {}: {e}",
                        show::sanitize(location.as_bytes())
                    ))
                })?;
                // The core says which request follows (RFC 9110 §15.4); the body read from
                // stdin is gone, so it cannot be the one sent again.
                if !resend_body {
                    body = BodySource::None;
                } else if body.reads_stdin() {
                    return Err(Failure::usage(format!(
                        "the server redirected to {next}, but the body read from stdin cannot be sent again"
                    )));
                }
                if url.scheme == url::Scheme::Https && next.scheme == url::Scheme::Http {
                    show::eprint_lines(
                        "simple-client: ",
                        [format!(
                            "warning: following the redirect from https:// to {next}: \
                             the rest is not encrypted"
                        )],
                    );
                }
                method = next_method;
                if cfg.verbose {
                    show::eprint_lines("* ", [format!("following the redirect to {next}")]);
                }
                url = next;
            }
            other => return Ok(other),
        }
    }
}

/// `-m SECS`: once the run has lasted that long, wherever it is (a lookup, a connect, a
/// trickling body, a stalled stdin), remove a partial download and exit with 4. Blocking
/// calls cannot all be given one deadline, so a thread keeps it, as for Ctrl-C.
fn start_max_time_watchdog(limit: std::time::Duration) -> Result<(), Failure> {
    std::thread::Builder::new()
        .name("max-time".into())
        .spawn(move || {
            std::thread::sleep(limit);
            INTERRUPTED.store(true, Ordering::SeqCst);
            output::remove_partial_for_exit();
            show::eprint_lines(
                "simple-client: ",
                [format!(
                    "timed out: the run took longer than --max-time {} s",
                    limit.as_secs_f64()
                )],
            );
            std::process::exit(Exit::Network.code().into());
        })
        .map(drop)
        // Without the thread there is no overall limit: refuse to run without one.
        .map_err(|e| Failure::network(format!("cannot keep the --max-time limit: {e}")))
}

/// On Ctrl-C (or SIGTERM): remove a partial download and exit with 130 (or 143) at once.
/// Closing the socket is left to the exit.
fn install_interrupt_handler() {
    use signal_hook::consts::{SIGINT, SIGTERM, SIGXFSZ};
    // Past a file size limit (RLIMIT_FSIZE) the kernel sends SIGXFSZ, which would kill the
    // client with its temporary file in place: with a handler, the write fails with EFBIG
    // instead and the download is cleaned up like on a full disk.
    let _ = signal_hook::flag::register(SIGXFSZ, std::sync::Arc::new(AtomicBool::new(false)));
    let Ok(mut signals) = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]) else {
        return;
    };
    std::thread::spawn(move || {
        if let Some(sig) = signals.forever().next() {
            INTERRUPTED.store(true, Ordering::SeqCst);
            auth::restore_terminal();
            output::remove_partial_for_exit();
            std::process::exit(if sig == SIGINT {
                Exit::Interrupted.code().into()
            } else {
                128 + sig
            });
        }
    });
}
