//! Several URLs in one run: in order over one kept-alive connection per host, or with
//! `-Z` up to `--parallel-max` at once, each worker with connections of its own.
//!
//! Each URL is fetched as if it were alone (its retries, redirects, `-C -`); a failure is
//! reported on one line naming the URL, and the run goes on. The exit code is the highest
//! code any URL earned: 0 only when every URL succeeded.

use super::config::Config;
use super::error::{Exit, Failure};
use super::exchange::Pool;
use super::{run_one, show, tls};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// Fetches every URL of `cfg.jobs` and returns the run's exit code.
pub fn run(cfg: &Config) -> Exit {
    let next = AtomicUsize::new(0);
    let worst = Mutex::new(Exit::Success);
    let workers = cfg.parallel.min(cfg.jobs.len()).max(1);
    let work = || {
        let mut tls = tls::Connector::new(&cfg.tls);
        let mut pool = Pool::default();
        loop {
            let i = next.fetch_add(1, Ordering::SeqCst);
            if i >= cfg.jobs.len() {
                break;
            }
            let job = cfg.job(i);
            let exit = match run_one(&job, &mut tls, &mut pool) {
                Ok(exit) => exit,
                Err(f) => report(&job, &f),
            };
            let mut w = worst.lock().unwrap_or_else(|e| e.into_inner());
            if exit.code() > w.code() {
                *w = exit;
            }
        }
    };
    if workers == 1 {
        work();
    } else {
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(work);
            }
        });
    }
    worst.into_inner().unwrap_or_else(|e| e.into_inner())
}

/// Reports one URL's failure on its own line; returns its exit code.
fn report(job: &Config, f: &Failure) -> Exit {
    show::eprint_lines(
        "simple-client: ",
        [format!(
            "{}: {}",
            show::sanitize(job.url.to_string().as_bytes()),
            f.why
        )],
    );
    f.exit
}
