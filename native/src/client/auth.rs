//! `-u/--user USER[:PASSWORD]` and netrc: the credentials for HTTP Basic (RFC 7617).
//!
//! The password comes from `-u USER:PASSWORD`, else from the netrc entry for the URL's
//! host ([`netrc`](super::netrc), with `-n`, `--netrc-file` or `--netrc-optional`), else
//! from the terminal: with only `USER`, the client asks on `/dev/tty` without echo, and
//! without a terminal it stops with one line (exit 2). The `Authorization` field made from
//! them is a credential like one given with `-H`: sent only to the first URL's host and
//! port unless `--location-trusted`. `-H 'Authorization: ...'` replaces it.

use super::error::Failure;
use super::netrc;
use std::path::PathBuf;
use std::sync::Mutex;

/// `-u USER[:PASSWORD]`, split at the first colon.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserFlag {
    /// The login.
    pub login: String,
    /// The password, if given.
    pub password: Option<String>,
}

impl UserFlag {
    /// Splits `-u`'s value.
    pub fn parse(value: &str) -> UserFlag {
        match value.split_once(':') {
            Some((l, p)) => UserFlag {
                login: l.into(),
                password: Some(p.into()),
            },
            None => UserFlag {
                login: value.into(),
                password: None,
            },
        }
    }
}

/// Whether and where a netrc file is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NetrcUse {
    /// No netrc.
    Off,
    /// `-n` or `--netrc-file FILE`: the file must exist (`None`: no `$HOME` to find it in).
    Required(Option<PathBuf>),
    /// `--netrc-optional`: read if it exists.
    Optional(Option<PathBuf>),
}

/// The `Authorization` value for the run, if any, for `host`.
pub fn authorization(
    user: Option<&UserFlag>,
    netrc_use: &NetrcUse,
    host: &str,
    verbose: bool,
) -> Result<Option<String>, Failure> {
    let mut login = user.map(|u| u.login.clone());
    let mut password = user.and_then(|u| u.password.clone());
    let (path, optional) = match netrc_use {
        NetrcUse::Off => (None, false),
        NetrcUse::Required(p) => (Some(p), false),
        NetrcUse::Optional(p) => (Some(p), true),
    };
    if let (Some(path), None) = (path, &password) {
        let Some(path) = path else {
            return Err(Failure::usage(
                "no netrc file: $HOME is not set (give --netrc-file FILE)",
            ));
        };
        match netrc::lookup(path, host, login.as_deref(), optional)? {
            Some(entry) => {
                if verbose {
                    super::show::eprint_lines(
                        "* ",
                        [format!(
                            "using the netrc entry for {host} (login {})",
                            super::show::sanitize(entry.login.as_bytes())
                        )],
                    );
                }
                login = Some(entry.login);
                password = entry.password;
            }
            None if verbose => super::show::eprint_lines(
                "* ",
                [format!("no netrc entry for {host} in {}", path.display())],
            ),
            None => {}
        }
    }
    let Some(login) = login else {
        return Ok(None);
    };
    let password = match password {
        Some(p) => p,
        None => prompt_password(&login, host)?,
    };
    Ok(Some(basic(&login, &password)))
}

/// `Basic base64(login:password)` (RFC 7617 §2).
pub fn basic(login: &str, password: &str) -> String {
    use base64::Engine as _;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{login}:{password}"));
    format!("Basic {token}")
}

/// The terminal's settings while echo is off, to put back on Ctrl-C.
static SAVED: Mutex<Option<(std::fs::File, rustix::termios::Termios)>> = Mutex::new(None);

/// Puts the terminal's echo back if a password prompt turned it off (called on Ctrl-C).
pub fn restore_terminal() {
    let saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((tty, termios)) = saved.as_ref() {
        let _ = rustix::termios::tcsetattr(tty, rustix::termios::OptionalActions::Now, termios);
    }
}

/// Most bytes read for a password.
const MAX_PASSWORD: usize = 4096;

/// Asks for the password of `login` on the terminal, without echo.
fn prompt_password(login: &str, host: &str) -> Result<String, Failure> {
    use rustix::termios::{tcgetattr, tcsetattr, LocalModes, OptionalActions};
    use std::io::{Read as _, Write as _};
    let shown = super::show::sanitize(login.as_bytes());
    let no_terminal = || {
        Failure::usage(format!(
            "-u {shown}: no password given and no terminal to ask for it on; \
             give -u USER:PASSWORD or use a netrc file (-n)"
        ))
    };
    let mut tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| no_terminal())?;
    let original = tcgetattr(&tty).map_err(|_| no_terminal())?;
    let mut quiet = original.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    let failed = |e: std::io::Error| Failure::local(format!("reading the password: {e}"));
    *SAVED.lock().unwrap_or_else(|e| e.into_inner()) =
        Some((tty.try_clone().map_err(failed)?, original.clone()));
    // Echo goes off before the prompt shows, so nothing typed after it is ever echoed
    // (or thrown away by the flush of what was typed before it).
    tcsetattr(&tty, OptionalActions::Flush, &quiet).map_err(|e| failed(e.into()))?;
    write!(tty, "Enter the password for {shown} at {host}: ").map_err(failed)?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    let read = loop {
        match tty.read(&mut byte) {
            Ok(0) => break Ok(()),
            Ok(_) if byte[0] == b'\n' => break Ok(()),
            Ok(_) if line.len() >= MAX_PASSWORD => {
                break Err(Failure::usage(format!(
                    "the password is longer than {MAX_PASSWORD} bytes"
                )))
            }
            Ok(_) => line.push(byte[0]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(failed(e)),
        }
    };
    let _ = tcsetattr(&tty, OptionalActions::Now, &original);
    *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = None;
    read?;
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    String::from_utf8(line).map_err(|_| Failure::usage("the password is not UTF-8"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_is_rfc_7617() {
        // RFC 7617 §2's example.
        assert_eq!(
            basic("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(
            UserFlag::parse("a:b:c"),
            UserFlag {
                login: "a".into(),
                password: Some("b:c".into())
            }
        );
        assert_eq!(UserFlag::parse("a").password, None);
    }

    #[test]
    fn the_flag_wins_over_netrc() {
        let missing = NetrcUse::Required(Some("/nonexistent/netrc".into()));
        let user = UserFlag::parse("u:p");
        assert_eq!(
            authorization(Some(&user), &missing, "h", false).unwrap(),
            Some(basic("u", "p"))
        );
        assert_eq!(
            authorization(None, &missing, "h", false).unwrap_err().exit,
            super::super::error::Exit::LocalFile
        );
        let optional = NetrcUse::Optional(Some("/nonexistent/netrc".into()));
        assert_eq!(authorization(None, &optional, "h", false).unwrap(), None);
        assert_eq!(
            authorization(None, &NetrcUse::Off, "h", false).unwrap(),
            None
        );
        assert_eq!(
            authorization(None, &NetrcUse::Required(None), "h", false)
                .unwrap_err()
                .why,
            "no netrc file: $HOME is not set (give --netrc-file FILE)"
        );
    }
}
