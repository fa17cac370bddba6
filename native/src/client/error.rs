//! What can go wrong, and the exit code each outcome earns.

use std::fmt;
use std::io;

/// The documented exit codes of simple-client (see `--help` and native/README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// The server answered 1xx, 2xx or 3xx.
    Success = 0,
    /// A local file could not be read or written.
    LocalFile = 1,
    /// Bad flags, URL, method or header.
    Usage = 2,
    /// Name resolution failed, or the connection was refused, reset or timed out.
    Network = 4,
    /// The server's TLS certificate could not be verified.
    Verification = 5,
    /// The response was malformed or cut short, or TLS broke its rules.
    Protocol = 7,
    /// The server answered 4xx or 5xx (the body was still written).
    HttpError = 8,
    /// The body is larger than `--max-filesize` (curl's code).
    FileTooLarge = 63,
    /// Ctrl-C.
    Interrupted = 130,
}

impl Exit {
    /// The code handed to the OS.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// The exit code for a final response status.
    pub fn for_status(status: u16) -> Exit {
        if status >= 400 {
            Exit::HttpError
        } else {
            Exit::Success
        }
    }
}

impl From<Exit> for std::process::ExitCode {
    fn from(e: Exit) -> Self {
        std::process::ExitCode::from(e.code())
    }
}

/// A failure: its exit code and a one-line explanation.
#[derive(Debug)]
pub struct Failure {
    /// The exit code it earns.
    pub exit: Exit,
    /// Why, for `simple-client: <why>`.
    pub why: String,
    /// Worth trying again with `--retry` (a network failure, a response cut short).
    pub transient: bool,
}

impl Failure {
    /// A failure with this exit code.
    pub fn new(exit: Exit, why: impl Into<String>) -> Failure {
        Failure {
            exit,
            why: why.into(),
            transient: false,
        }
    }
    /// A usage error (exit 2).
    pub fn usage(why: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::Usage,
            why: why.into(),
            transient: false,
        }
    }
    /// A network failure (exit 4), worth a retry.
    pub fn network(why: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::Network,
            why: why.into(),
            transient: true,
        }
    }
    /// A TLS verification failure (exit 5).
    pub fn verification(why: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::Verification,
            why: why.into(),
            transient: false,
        }
    }
    /// A protocol error (exit 7).
    pub fn protocol(why: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::Protocol,
            why: why.into(),
            transient: false,
        }
    }
    /// A body over `--max-filesize` (exit 63).
    pub fn too_large(why: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::FileTooLarge,
            why: why.into(),
            transient: false,
        }
    }
    /// A local file error (exit 1).
    pub fn local(why: impl Into<String>) -> Failure {
        Failure {
            exit: Exit::LocalFile,
            why: why.into(),
            transient: false,
        }
    }

    /// The same failure, marked worth a retry.
    pub fn transient(self) -> Failure {
        Failure {
            transient: true,
            ..self
        }
    }

    /// A socket error while talking to `peer`, worded for people.
    pub fn socket(err: &io::Error, doing: &str, timeout_secs: f64) -> Failure {
        // After the handshake, TLS errors (an alert, a record that does not decrypt) come
        // wrapped in the socket's error.
        if let Some(tls) = err
            .get_ref()
            .and_then(|e| e.downcast_ref::<rustls::Error>())
        {
            return Failure::protocol(format!(
                "TLS error {doing}: {}",
                super::show::sanitize(tls.to_string().as_bytes())
            ));
        }
        let why = match err.kind() {
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => {
                format!("timed out {doing}: no progress for {timeout_secs} s")
            }
            io::ErrorKind::ConnectionReset => format!("connection reset by the server {doing}"),
            io::ErrorKind::BrokenPipe => format!("connection closed by the server {doing}"),
            // Only TLS reports this: the TCP connection ended without a close_notify, so
            // whatever came last may have been cut off by someone on the path.
            io::ErrorKind::UnexpectedEof => {
                return Failure::protocol(format!(
                    "the server closed the TLS connection without close_notify {doing}"
                ))
            }
            _ => format!("{doing}: {err}"),
        };
        Failure::network(why)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn socket_errors_are_worded_for_people() {
        let rows = [
            (
                io::Error::from(io::ErrorKind::TimedOut),
                Exit::Network,
                "timed out reading: no progress for 2 s",
            ),
            (
                io::ErrorKind::ConnectionReset.into(),
                Exit::Network,
                "connection reset by the server reading",
            ),
            (
                io::ErrorKind::UnexpectedEof.into(),
                Exit::Protocol,
                "the server closed the TLS connection without close_notify reading",
            ),
            (
                io::Error::new(io::ErrorKind::InvalidData, rustls::Error::DecryptError),
                Exit::Protocol,
                "TLS error reading: cannot decrypt peer's message",
            ),
        ];
        for (err, exit, why) in rows {
            let f = Failure::socket(&err, "reading", 2.0);
            assert_eq!((f.exit, f.why.as_str()), (exit, why));
        }
    }
}
