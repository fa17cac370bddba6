//! `-n/--netrc`, `--netrc-file FILE`, `--netrc-optional`: a login and password for the
//! URL's host from a netrc file (`~/.netrc` unless `--netrc-file`).
//!
//! The format is ftp's and curl's: whitespace-separated tokens, `machine NAME` starting an
//! entry, `default` an entry for every other host, `login`, `password` (and `account`,
//! ignored) inside one; `macdef NAME` skips a macro up to its blank line. A token may be
//! double-quoted, with `\"` and `\\` inside. The first entry naming the host wins (with the
//! `-u USER` login, when one is given); `default` only when none names it.
//!
//! Unlike curl, a netrc file that group or others may read or write is refused, as ssh
//! refuses such a private key (and simple-server such an `--auth-file`): `chmod 600` it.

use super::error::Failure;
use std::path::{Path, PathBuf};

/// Longest netrc file read (it is a list of passwords, never large).
const MAX_NETRC: u64 = 1 << 20;

/// A login and password found for a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// The login.
    pub login: String,
    /// The password (empty when the entry gives none).
    pub password: Option<String>,
}

/// The netrc file to read: `--netrc-file`, else `$HOME/.netrc`.
pub fn default_path() -> Option<PathBuf> {
    std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(|h| Path::new(&h).join(".netrc"))
}

/// Reads `path` and finds the entry for `host` (and `login`, when given). `optional`: a
/// missing file is no entry rather than an error.
pub fn lookup(
    path: &Path,
    host: &str,
    login: Option<&str>,
    optional: bool,
) -> Result<Option<Entry>, Failure> {
    use std::io::Read as _;
    use std::os::unix::fs::PermissionsExt as _;
    let shown = path.display();
    let file = match std::fs::File::open(path) {
        Err(e) if optional && e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        r => r.map_err(|e| Failure::local(format!("cannot read the netrc file {shown}: {e}")))?,
    };
    let meta = file
        .metadata()
        .map_err(|e| Failure::local(format!("cannot read the netrc file {shown}: {e}")))?;
    let mode = meta.permissions().mode() & 0o7777;
    if meta.is_file() && mode & 0o077 != 0 {
        return Err(Failure::usage(format!(
            "the netrc file {shown} is open to other users (mode {mode:04o}); run chmod 600 {shown}"
        )));
    }
    let mut text = Vec::new();
    file.take(MAX_NETRC + 1)
        .read_to_end(&mut text)
        .map_err(|e| Failure::local(format!("cannot read the netrc file {shown}: {e}")))?;
    if text.len() as u64 > MAX_NETRC {
        return Err(Failure::local(format!(
            "the netrc file {shown} is larger than {MAX_NETRC} bytes"
        )));
    }
    let text = String::from_utf8_lossy(&text);
    find(&text, host, login).map_err(|why| Failure::usage(format!("the netrc file {shown}: {why}")))
}

/// Finds the entry for `host` in netrc `text`.
pub fn find(text: &str, host: &str, login: Option<&str>) -> Result<Option<Entry>, String> {
    let tokens = tokens(text)?;
    let mut i = 0;
    // The entry being read: whether it applies, and what it gave so far.
    let mut current: Option<(bool, Option<String>, Option<String>)> = None;
    let mut default: Option<Entry> = None;
    let mut is_default = false;
    let finish = |cur: &mut Option<(bool, Option<String>, Option<String>)>,
                  is_default: bool,
                  default: &mut Option<Entry>|
     -> Option<Entry> {
        let (applies, l, p) = cur.take()?;
        let l = l?;
        if login.is_some_and(|want| want != l) {
            return None;
        }
        let entry = Entry {
            login: l,
            password: p,
        };
        if is_default {
            if default.is_none() {
                *default = Some(entry);
            }
            None
        } else {
            applies.then_some(entry)
        }
    };
    while i < tokens.len() {
        let tok = tokens[i].as_str();
        let arg = tokens.get(i + 1).cloned();
        match tok {
            "machine" | "default" => {
                if let Some(e) = finish(&mut current, is_default, &mut default) {
                    return Ok(Some(e));
                }
                if tok == "machine" {
                    let name = arg.ok_or("\"machine\" without a host name")?;
                    current = Some((name.eq_ignore_ascii_case(host), None, None));
                    is_default = false;
                    i += 2;
                } else {
                    current = Some((true, None, None));
                    is_default = true;
                    i += 1;
                }
            }
            "login" | "password" | "account" => {
                let value = arg.ok_or_else(|| format!("\"{tok}\" without a value"))?;
                let Some(cur) = current.as_mut() else {
                    return Err(format!("\"{tok}\" outside a machine entry"));
                };
                match tok {
                    "login" => cur.1 = Some(value),
                    "password" => cur.2 = Some(value),
                    _ => {}
                }
                i += 2;
            }
            "macdef" => {
                // The macro's body runs to the first empty line; the tokenizer marks it.
                i += 2;
                while i < tokens.len() && tokens[i] != "\n\n" {
                    i += 1;
                }
                i += 1;
            }
            "\n\n" => i += 1,
            other => {
                return Err(format!(
                    "unexpected \"{}\"",
                    super::show::sanitize(other.as_bytes())
                ))
            }
        }
    }
    if let Some(e) = finish(&mut current, is_default, &mut default) {
        return Ok(Some(e));
    }
    Ok(default)
}

/// Splits netrc text into tokens; an empty line becomes the token `"\n\n"` (it ends a
/// macdef, and is skipped elsewhere).
fn tokens(text: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut newlines = 0;
    while let Some(&c) = chars.peek() {
        if c == '\n' {
            newlines += 1;
            if newlines == 2 {
                out.push("\n\n".to_string());
            }
            chars.next();
            continue;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        newlines = 0;
        if c == '#' && out.last().is_none_or(|t| t != "macdef") {
            // A comment to the end of the line.
            while chars.peek().is_some_and(|&c| c != '\n') {
                chars.next();
            }
            continue;
        }
        let mut tok = String::new();
        if c == '"' {
            chars.next();
            loop {
                match chars.next() {
                    None => return Err("unclosed quote".into()),
                    Some('"') => break,
                    Some('\\') => match chars.next() {
                        Some('n') => tok.push('\n'),
                        Some('r') => tok.push('\r'),
                        Some('t') => tok.push('\t'),
                        Some(c) => tok.push(c),
                        None => return Err("unclosed quote".into()),
                    },
                    Some(c) => tok.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                tok.push(c);
                chars.next();
            }
        }
        out.push(tok);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(login: &str, password: &str) -> Option<Entry> {
        Some(Entry {
            login: login.into(),
            password: Some(password.into()),
        })
    }

    #[test]
    fn finds_the_host_then_the_default() {
        let text = "# comment\nmachine a.example login alice password s3cret\n\
                    machine B.example\n  login bob\n  password \"with space \\\" q\"\n\
                    macdef init\ncd /x\nmachine evil login x password y\n\n\
                    default login anon password guest\n";
        assert_eq!(find(text, "a.example", None), Ok(entry("alice", "s3cret")));
        assert_eq!(
            find(text, "b.EXAMPLE", None),
            Ok(entry("bob", "with space \" q"))
        );
        assert_eq!(find(text, "evil", None), Ok(entry("anon", "guest")));
        assert_eq!(find(text, "other", None), Ok(entry("anon", "guest")));
        assert_eq!(find(text, "a.example", Some("bob")), Ok(None));
        let two = "machine h login a password 1\nmachine h login b password 2\n";
        assert_eq!(find(two, "h", Some("b")), Ok(entry("b", "2")));
        assert_eq!(find(two, "h", None), Ok(entry("a", "1")));
        assert_eq!(
            find("machine h login a", "h", None),
            Ok(Some(Entry {
                login: "a".into(),
                password: None
            }))
        );
        assert_eq!(find("machine h password p", "h", None), Ok(None));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        for (text, why) in [
            ("machine", "\"machine\" without a host name"),
            ("login x", "\"login\" outside a machine entry"),
            ("machine h login", "\"login\" without a value"),
            ("machine h frobnicate x", "unexpected \"frobnicate\""),
            ("machine h login \"x", "unclosed quote"),
        ] {
            assert_eq!(find(text, "h", None), Err(why.to_string()), "{text}");
        }
    }

    #[test]
    fn refuses_a_file_others_may_read() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = std::env::temp_dir().join(format!("netrc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("netrc");
        std::fs::write(&f, "machine h login a password b\n").unwrap();
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = lookup(&f, "h", None, false).unwrap_err();
        assert_eq!(err.exit, super::super::error::Exit::Usage);
        let shown = f.display();
        assert_eq!(
            err.why,
            format!(
                "the netrc file {shown} is open to other users (mode 0644); run chmod 600 {shown}"
            )
        );
        std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(lookup(&f, "h", None, false).unwrap(), entry("a", "b"));
        let missing = dir.join("missing");
        assert_eq!(lookup(&missing, "h", None, true).unwrap(), None);
        assert_eq!(
            lookup(&missing, "h", None, false).unwrap_err().exit,
            super::super::error::Exit::LocalFile
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
