//! `--retry N`: trying again after a failure that may pass, with exponential backoff.
//!
//! Retried: network failures (a lookup, connect or TLS handshake that failed, a reset, a
//! timeout), a response cut short, and the statuses 408, 429, 500, 502, 503 and 504. Never
//! other 4xx or 5xx, a local file error, a usage error or a failed certificate check.
//!
//! The n-th wait is `--retry-delay` (1 s by default) times 2^(n-1), at most
//! [`MAX_WAIT`], less up to a quarter at random so that many clients do not come back at
//! once. A `Retry-After` (seconds or an HTTP-date, RFC 9110 §10.2.3) replaces it, cut to
//! [`MAX_WAIT`]. With `--retry-max-time`, no wait runs past that time from the start, and
//! no retry starts after it. Each retry is announced on stderr in one line.

use super::error::Failure;
use super::show;
use std::time::{Duration, Instant, SystemTime};

/// The longest single wait between two tries.
pub const MAX_WAIT: Duration = Duration::from_secs(600);

/// The first wait when `--retry-delay` is not given.
const FIRST_WAIT: Duration = Duration::from_secs(1);

/// `--retry`, `--retry-delay` and `--retry-max-time`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetryPolicy {
    /// How many times to try again.
    pub retries: u32,
    /// The first wait (`--retry-delay`).
    pub delay: Option<Duration>,
    /// No retry after this long from the start (`--retry-max-time`).
    pub max_time: Option<Duration>,
}

/// The statuses worth trying again (RFC 9110 §15.5.9, §15.6; RFC 6585 §4).
pub fn is_retryable_status(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// What one try ended with, as the retry loop sees it.
pub enum Tried<T> {
    /// Done: success or a failure not worth retrying.
    Done(Result<T, Failure>),
    /// A failure worth another try: why, and the wait the server asked for.
    Again {
        /// The failure to report if no try is left.
        failure: Failure,
        /// `Retry-After`, as sent.
        retry_after: Option<String>,
    },
}

/// Runs `attempt` until it is done or the retries run out; `attempt` is told whether
/// another try may follow it.
pub fn run<T>(
    policy: &RetryPolicy,
    mut attempt: impl FnMut(bool) -> Tried<T>,
) -> Result<T, Failure> {
    let start = Instant::now();
    let mut n = 0u32;
    loop {
        let more = n < policy.retries && policy.max_time.is_none_or(|m| start.elapsed() < m);
        let (failure, retry_after) = match attempt(more) {
            Tried::Done(result) => return result,
            Tried::Again { failure, .. } if !more => return Err(failure),
            Tried::Again {
                failure,
                retry_after,
            } => (failure, retry_after),
        };
        n += 1;
        let asked = retry_after.as_deref().and_then(parse_retry_after);
        let mut wait = asked.unwrap_or_else(|| backoff(policy.delay.unwrap_or(FIRST_WAIT), n));
        wait = wait.min(MAX_WAIT);
        if let Some(max) = policy.max_time {
            let left = max.saturating_sub(start.elapsed());
            if left.is_zero() {
                return Err(failure);
            }
            wait = wait.min(left);
        }
        show::eprint_lines(
            "simple-client: ",
            [format!(
                "{}; retrying in {:.1} s ({n} of {}){}",
                failure.why,
                wait.as_secs_f64(),
                policy.retries,
                if asked.is_some() {
                    ", as Retry-After asks"
                } else {
                    ""
                }
            )],
        );
        std::thread::sleep(wait);
    }
}

/// The n-th wait (n from 1): `first` doubled n-1 times, at most [`MAX_WAIT`], less up to a
/// quarter at random.
fn backoff(first: Duration, n: u32) -> Duration {
    let full = first
        .checked_mul(1u32 << (n - 1).min(20))
        .unwrap_or(MAX_WAIT)
        .min(MAX_WAIT);
    full.mul_f64(1.0 - 0.25 * random_fraction())
}

/// A number in [0, 1) that differs between runs and calls (std's hasher keys are random).
fn random_fraction() -> f64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// A `Retry-After` value: delay-seconds, or an HTTP-date (a date past is no wait).
fn parse_retry_after(value: &str) -> Option<Duration> {
    let value = value.trim();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) {
        return Some(value.parse::<u64>().map_or(MAX_WAIT, Duration::from_secs));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(
        date.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_forms() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 "), Some(Duration::ZERO));
        assert_eq!(parse_retry_after("99999999999999999999"), Some(MAX_WAIT));
        assert_eq!(
            parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"),
            Some(Duration::ZERO)
        );
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(120));
        let d = parse_retry_after(&later).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        assert_eq!(parse_retry_after("soon"), None);
        assert_eq!(parse_retry_after("-1"), None);
    }

    #[test]
    fn backoff_doubles_within_bounds() {
        let first = Duration::from_secs(1);
        for n in 1..=12 {
            let full = first.saturating_mul(1 << (n - 1)).min(MAX_WAIT);
            let w = backoff(first, n);
            assert!(w <= full && w >= full.mul_f64(0.75), "{n}: {w:?}");
        }
        assert!(backoff(first, 40) <= MAX_WAIT);
    }

    #[test]
    fn only_transient_statuses_are_retried() {
        for s in [408, 429, 500, 502, 503, 504] {
            assert!(is_retryable_status(s));
        }
        for s in [200, 206, 400, 401, 403, 404, 409, 416, 501, 505] {
            assert!(!is_retryable_status(s));
        }
    }
}
