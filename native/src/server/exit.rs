//! How simple-server ends: the documented exit codes, and the one place that prints why.

use std::fmt;
use std::io;
use std::process::ExitCode;

/// The documented exit codes of simple-server (see `--help`, README.md and native/README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// Stopped by Ctrl-C or SIGTERM after finishing the requests in flight (or
    /// `--hash-password` printed its line).
    Stopped = 0,
    /// An unexpected error while running.
    Failed = 1,
    /// A bad command line (clap uses it too).
    Usage = 2,
    /// An address cannot be listened on.
    Listen = 3,
    /// The root cannot be served.
    Root = 4,
    /// The TLS certificate or key cannot be used.
    Tls = 5,
    /// A second Ctrl-C or SIGTERM during the grace period: stopped at once.
    Interrupted = 130,
}

impl Exit {
    /// The code handed to the OS.
    #[must_use]
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Every exit code with its meaning, in order: the table `--help` prints.
    pub const ALL: [Exit; 7] = [
        Exit::Stopped,
        Exit::Failed,
        Exit::Usage,
        Exit::Listen,
        Exit::Root,
        Exit::Tls,
        Exit::Interrupted,
    ];

    /// What the code means, for `--help`.
    #[must_use]
    pub fn meaning(self) -> &'static str {
        match self {
            Exit::Stopped => "stopped by Ctrl-C or SIGTERM after finishing the requests in flight",
            Exit::Failed => "an unexpected error while running",
            Exit::Usage => "bad command line",
            Exit::Listen => {
                "cannot listen on an address (port in use, or below 1024 without privileges)"
            }
            Exit::Root => {
                "the root directory cannot be served (missing, not a directory, unreadable)"
            }
            Exit::Tls => {
                "the TLS certificate or key cannot be used (unreadable, not PEM, expired, or a \
                 key that is not the certificate's)"
            }
            Exit::Interrupted => {
                "a second Ctrl-C or SIGTERM during the grace period: stopped at once"
            }
        }
    }
}

impl From<Exit> for ExitCode {
    fn from(e: Exit) -> Self {
        ExitCode::from(e.code())
    }
}

/// Why simple-server stops with an error: its exit code and one line saying why.
#[derive(Debug)]
pub struct Failure {
    /// The exit code it earns.
    pub exit: Exit,
    /// Why, for `simple-server: <why>`.
    pub why: String,
}

impl Failure {
    /// A failure with this exit code.
    pub fn new(exit: Exit, why: impl Into<String>) -> Failure {
        Failure {
            exit,
            why: why.into(),
        }
    }

    /// A bad flag or setting (exit 2).
    pub fn usage(why: impl Into<String>) -> Failure {
        Failure::new(Exit::Usage, why)
    }

    /// A root that cannot be served (exit 4).
    pub fn root(why: impl Into<String>) -> Failure {
        Failure::new(Exit::Root, why)
    }

    /// Prints the one line on stderr and gives the exit code: the only place simple-server
    /// says why it stops.
    pub fn report(&self) -> ExitCode {
        use io::Write as _;
        // A closed or broken stderr must not turn into a panic.
        let _ = writeln!(io::stderr(), "simple-server: {}", self.why);
        self.exit.into()
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.why)
    }
}

/// An I/O error while running (exit 1), in the words of [`super::io_reason`].
impl From<io::Error> for Failure {
    fn from(e: io::Error) -> Failure {
        Failure::new(Exit::Failed, super::io_reason(&e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_the_documented_ones() {
        let codes: Vec<u8> = Exit::ALL.iter().map(|e| e.code()).collect();
        assert_eq!(codes, [0, 1, 2, 3, 4, 5, 130]);
    }

    #[test]
    fn the_help_table_lists_every_code_with_its_meaning() {
        let help = crate::server::cli::exit_status_help();
        let words = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        let flat = words(&help);
        for e in Exit::ALL {
            let line = words(&format!("{} {}", e.code(), e.meaning()));
            assert!(flat.contains(&line), "{line:?} missing from:\n{help}");
        }
        assert_eq!(
            help.lines().count(),
            8,
            "one line a code, the TLS one wrapped:\n{help}"
        );
        assert!(help.lines().all(|l| l.len() <= 90), "{help}");
    }
}
