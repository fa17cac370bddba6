//! `simple-server --hash-password USER`: asks for a password and prints the
//! `--auth-file` line `USER:$argon2id$...` for it.
//!
//! On a terminal the password is read twice with echo off (restored on Ctrl-C too);
//! otherwise it is the first line of standard input, for scripts
//! (`printf '%s\n' "$pw" | simple-server --hash-password alice`).

use super::access::hash_password;
use rustix::termios::{self, LocalModes, OptionalActions, Termios};
use std::io::{self, BufRead as _, Read as _, Write as _};

/// The longest password read: anything longer is not typed.
const PASSWORD_MAX: usize = 4096;

/// Reads the password and prints `user:hash` on stdout. The error is one line.
pub fn print_line(user: &str) -> Result<(), String> {
    if user.is_empty()
        || user.contains(':')
        || user.chars().any(|c| c.is_control() || c.is_whitespace())
    {
        return Err(
            "--hash-password wants a user name without a colon, a space or a control character"
                .into(),
        );
    }
    let password = if termios::isatty(io::stdin()) {
        let first = ask("Password: ")?;
        let again = ask("Again: ")?;
        if first != again {
            return Err("--hash-password: the passwords differ".into());
        }
        first
    } else {
        read_line().map_err(|e| format!("--hash-password: cannot read stdin: {e}"))?
    };
    if password.is_empty() {
        return Err("--hash-password: the password is empty".into());
    }
    let hash = hash_password(password.as_bytes())?;
    let mut out = io::stdout().lock();
    writeln!(out, "{user}:{hash}")
        .and_then(|()| out.flush())
        .map_err(|e| format!("--hash-password: cannot write: {}", super::io_reason(&e)))
}

/// The first line of stdin, without its line ending.
fn read_line() -> io::Result<String> {
    let mut line = String::new();
    io::stdin()
        .lock()
        .take(PASSWORD_MAX as u64 + 2)
        .read_line(&mut line)?;
    if line.len() > PASSWORD_MAX + 1 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the line is too long",
        ));
    }
    let trimmed = line.strip_suffix('\n').unwrap_or(&line);
    Ok(trimmed.strip_suffix('\r').unwrap_or(trimmed).to_string())
}

/// Prompts on stderr and reads a line from the terminal with echo off.
fn ask(prompt: &str) -> Result<String, String> {
    let stdin = io::stdin();
    let before: Termios =
        termios::tcgetattr(&stdin).map_err(|e| format!("--hash-password: {e}"))?;
    let mut quiet = before.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    quiet.local_modes.insert(LocalModes::ECHONL);
    let _ = write!(io::stderr(), "{prompt}");
    termios::tcsetattr(&stdin, OptionalActions::Flush, &quiet)
        .map_err(|e| format!("--hash-password: {e}"))?;
    // Ctrl-C or SIGTERM while echo is off: put it back before stopping.
    let restore = before.clone();
    let mut signals = signal_hook::iterator::Signals::new([
        signal_hook::consts::SIGINT,
        signal_hook::consts::SIGTERM,
    ])
    .map_err(|e| format!("--hash-password: {e}"))?;
    let handle = signals.handle();
    let watcher = std::thread::spawn(move || {
        if signals.forever().next().is_some() {
            let _ = termios::tcsetattr(io::stdin(), OptionalActions::Now, &restore);
            let _ = writeln!(io::stderr());
            std::process::exit(130);
        }
    });
    let line = read_line();
    let _ = termios::tcsetattr(&stdin, OptionalActions::Now, &before);
    handle.close();
    let _ = watcher.join();
    line.map_err(|e| format!("--hash-password: cannot read the password: {e}"))
}
