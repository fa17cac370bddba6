//! Hiding a password given on the command line from other users, for both binaries
//! (`simple-server --auth USER:PASS`, `simple-client -u USER:PASS`).

use std::io;

/// Overwrites the password part (after the first colon) of each value of the flag with the
/// clap id `secret` with `*`, in this process's own argument strings, which every local
/// user can read in /proc/PID/cmdline (and so in `ps`), as curl does for `-u`. `cmd` is the
/// binary's clap command: it tells which flags take a value, so that a value that looks
/// like the flag (`-H -u`) is left alone. Returns whether there was a password to hide.
///
/// The kernel shows the bytes between `arg_start` and `arg_end` of /proc/self/stat (fields
/// 48 and 49, Linux 3.5 and later): the argv strings on the initial stack. Writing to them
/// through /proc/self/mem, which a process may always do to itself, needs no unsafe code
/// and no pointer to argv. The bytes are first checked to be exactly the arguments the
/// process started with, so nothing else is ever overwritten. What remains visible is the
/// moment between exec and this call.
pub fn hide_secret_values(cmd: &clap::Command, secret: &str) -> io::Result<bool> {
    use std::os::unix::ffi::OsStrExt as _;
    use std::os::unix::fs::FileExt as _;
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The command name (field 2) is in parentheses and may hold anything; count after it.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let field = |n: usize| -> io::Result<u64> {
        after_name
            .split_whitespace()
            .nth(n - 3)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, "no argv range in /proc"))
    };
    let (start, end) = (field(48)?, field(49)?);
    let len = usize::try_from(end.saturating_sub(start))
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "argv range too large"))?;
    let mem = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/proc/self/mem")?;
    let mut args = vec![0; len];
    mem.read_exact_at(&mut args, start)?;
    let expected: Vec<u8> = std::env::args_os()
        .flat_map(|a| a.as_bytes().iter().copied().chain([0]).collect::<Vec<_>>())
        .collect();
    if args != expected {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            "the argument strings have changed since start",
        ));
    }
    let mut offsets = Vec::new();
    let mut at = 0;
    for arg in args.split(|&b| b == 0).take(std::env::args_os().count()) {
        offsets.push((at, arg));
        at += arg.len() + 1;
    }
    let secrets = secret_spans(cmd, secret, &offsets);
    for &(at, len) in &secrets {
        mem.write_all_at(&vec![b'*'; len], start + at as u64)?;
    }
    Ok(!secrets.is_empty())
}

/// Where the passwords are among `args` (each with its offset; the first is the program):
/// (offset, length) of what follows the first colon of each value of flag `secret`.
fn secret_spans(cmd: &clap::Command, secret: &str, args: &[(usize, &[u8])]) -> Vec<(usize, usize)> {
    let takes_value = |a: &clap::Arg| a.get_action().takes_values();
    let flag = cmd.get_arguments().find(|a| a.get_id() == secret);
    let long = flag.and_then(|a| a.get_long()).map(|l| format!("--{l}"));
    let short = flag.and_then(|a| a.get_short());
    let long_with_value = |name: &[u8]| {
        cmd.get_arguments()
            .filter(|a| takes_value(a))
            .filter_map(|a| a.get_long())
            .any(|l| name.strip_prefix(b"--") == Some(l.as_bytes()))
    };
    let short_with_value = |c: char| {
        cmd.get_arguments()
            .filter(|a| takes_value(a))
            .any(|a| a.get_short() == Some(c))
    };
    let mut values = Vec::new();
    let mut next_is: Option<bool> = None; // Some(secret?) when the next argument is a value
    for &(at, arg) in args.iter().skip(1) {
        if let Some(is_secret) = next_is.take() {
            if is_secret {
                values.push((at, arg));
            }
            continue;
        }
        if arg == b"--" {
            break;
        }
        if let Some(l) = &long {
            if arg == l.as_bytes() {
                next_is = Some(true);
                continue;
            }
            if let Some(v) = arg
                .strip_prefix(l.as_bytes())
                .and_then(|r| r.strip_prefix(b"="))
            {
                values.push((at + l.len() + 1, v));
                continue;
            }
        }
        if arg.starts_with(b"--") {
            if !arg.contains(&b'=') && long_with_value(arg) {
                next_is = Some(false);
            }
            continue;
        }
        if arg.len() < 2 || arg[0] != b'-' {
            continue;
        }
        // A cluster of short flags: the first that takes a value takes the rest.
        for (i, &b) in arg.iter().enumerate().skip(1) {
            let c = char::from(b);
            if !b.is_ascii() || !short_with_value(c) {
                continue;
            }
            let rest = &arg[i + 1..];
            let is_secret = short == Some(c);
            if rest.is_empty() {
                next_is = Some(is_secret);
            } else if is_secret {
                values.push((at + i + 1, rest));
            }
            break;
        }
    }
    values
        .into_iter()
        .filter_map(|(at, v)| {
            let colon = v.iter().position(|&b| b == b':')?;
            Some((at + colon + 1, v.len() - colon - 1))
        })
        .filter(|&(_, len)| len > 0)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spans(argv: &[&str]) -> Vec<String> {
        let cmd = clap::Command::new("t")
            .arg(clap::Arg::new("user").short('u').long("user"))
            .arg(clap::Arg::new("header").short('H').long("header"))
            .arg(
                clap::Arg::new("silent")
                    .short('s')
                    .long("silent")
                    .action(clap::ArgAction::SetTrue),
            )
            .arg(clap::Arg::new("url"));
        let joined: Vec<u8> = argv.iter().flat_map(|a| a.bytes().chain([0])).collect();
        let mut offsets = Vec::new();
        let mut at = 0;
        for a in argv {
            offsets.push((at, a.as_bytes()));
            at += a.len() + 1;
        }
        secret_spans(&cmd, "user", &offsets)
            .into_iter()
            .map(|(at, len)| String::from_utf8_lossy(&joined[at..at + len]).into_owned())
            .collect()
    }

    #[test]
    fn finds_every_spelling_of_the_flag() {
        assert_eq!(spans(&["t", "-u", "a:pw1", "u"]), ["pw1"]);
        assert_eq!(spans(&["t", "-ua:pw2"]), ["pw2"]);
        assert_eq!(spans(&["t", "-su", "a:pw3"]), ["pw3"]);
        assert_eq!(spans(&["t", "-sua:p:w4"]), ["p:w4"]);
        assert_eq!(spans(&["t", "--user", "a:pw5"]), ["pw5"]);
        assert_eq!(spans(&["t", "--user=a:pw6"]), ["pw6"]);
        assert_eq!(spans(&["t", "-u", "a:1", "--user", "b:2"]), ["1", "2"]);
    }

    #[test]
    fn leaves_other_values_alone() {
        assert!(spans(&["t", "-H", "-u", "x:y"]).is_empty());
        assert!(spans(&["t", "-Hu", "x:y"]).is_empty());
        assert!(spans(&["t", "--header", "--user", "x:y"]).is_empty());
        assert!(spans(&["t", "--", "-u", "x:y"]).is_empty());
        assert!(spans(&["t", "-u", "nocolon"]).is_empty());
        assert!(spans(&["t", "-u", "empty:"]).is_empty());
    }
}
