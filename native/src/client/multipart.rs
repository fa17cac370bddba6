//! `-F/--form`: a `multipart/form-data` body (RFC 7578), streamed with its length.
//!
//! - `name=value`: a text field, the value as typed (a `;` in it is just a character).
//! - `name=@FILE[;type=TYPE][;filename=NAME]`: a file, sent with a filename (FILE's own
//!   name unless `filename=`) and a Content-Type (TYPE, or guessed from the name, or
//!   `application/octet-stream`). `@-` reads stdin. FILE may be quoted (`@"a;b.txt"`).
//! - `name=<FILE[;type=TYPE]`: FILE's contents as a field's value, without a filename.
//!
//! Field names and filenames are escaped as browsers do (the HTML standard's
//! multipart/form-data encoding): `"` becomes `%22`, CR `%0D` and LF `%0A`, so a name cannot
//! end its header line or its quoted string. The boundary is random and checked not to occur
//! in any part, files included (each file is read once for that before it is sent); only
//! stdin, which can be read only once, is not checked, and relies on the boundary's 128
//! random bits.

use super::body_data::{self, OpenPayload, Piece};
use super::error::Failure;
use std::os::unix::ffi::OsStrExt as _;
use std::path::PathBuf;

/// One `-F` field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// The field name, as typed.
    pub name: Vec<u8>,
    /// What it holds.
    pub content: Content,
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Content {
    /// `name=value`.
    Text(Vec<u8>),
    /// `name=@FILE` (`as_value`: `name=<FILE`).
    File {
        /// The file, or `None` for stdin (`-`).
        path: Option<PathBuf>,
        /// `filename=` in the part's head (`None` for `<FILE`).
        filename: Option<Vec<u8>>,
        /// The part's Content-Type.
        content_type: Option<String>,
    },
}

/// Parses one `-F` value.
pub fn parse(spec: &std::ffi::OsStr) -> Result<Part, Failure> {
    let bytes = spec.as_bytes();
    let shown = || super::show::sanitize(bytes);
    let Some(eq) = bytes.iter().position(|&b| b == b'=') else {
        return Err(Failure::usage(format!(
            "-F wants name=value, name=@FILE or name=<FILE, not \"{}\"",
            shown()
        )));
    };
    let (name, rest) = (bytes[..eq].to_vec(), &bytes[eq + 1..]);
    if name.is_empty() {
        return Err(Failure::usage(format!(
            "-F \"{}\": the field has no name",
            shown()
        )));
    }
    let (file, as_value) = match rest.first() {
        Some(b'@') => (&rest[1..], false),
        Some(b'<') => (&rest[1..], true),
        _ => {
            return Ok(Part {
                name,
                content: Content::Text(rest.to_vec()),
            })
        }
    };
    let mut params =
        split_params(file).map_err(|why| Failure::usage(format!("-F \"{}\": {why}", shown())))?;
    let path = params.remove(0);
    if path.is_empty() {
        return Err(Failure::usage(format!("-F \"{}\": no file name", shown())));
    }
    let path = (path != b"-").then(|| PathBuf::from(std::ffi::OsStr::from_bytes(&path)));
    let mut content_type = None;
    let mut filename = None;
    for p in params {
        if let Some(t) = p.strip_prefix(b"type=") {
            let t = String::from_utf8(t.to_vec())
                .ok()
                .filter(|t| !t.is_empty() && t.bytes().all(|b| b.is_ascii_graphic() || b == b' '))
                .ok_or_else(|| Failure::usage(format!("-F \"{}\": invalid type=", shown())))?;
            content_type = Some(t);
        } else if let (Some(f), false) = (p.strip_prefix(b"filename="), as_value) {
            filename = Some(f.to_vec());
        } else {
            return Err(Failure::usage(format!(
                "-F \"{}\": unknown parameter \"{}\" (type= and, for @FILE, filename=)",
                shown(),
                super::show::sanitize(&p)
            )));
        }
    }
    if !as_value && filename.is_none() {
        filename = Some(match &path {
            Some(p) => p
                .file_name()
                .map_or_else(|| b"file".to_vec(), |n| n.as_bytes().to_vec()),
            None => b"-".to_vec(),
        });
    }
    if !as_value && content_type.is_none() {
        let guess = filename
            .as_deref()
            .and_then(|f| std::str::from_utf8(f).ok())
            .and_then(|f| mime_guess::from_path(f).first_raw());
        content_type = Some(guess.unwrap_or("application/octet-stream").to_string());
    }
    Ok(Part {
        name,
        content: Content::File {
            path,
            filename,
            content_type,
        },
    })
}

/// Splits `a;b=c;d="e;f"` at the semicolons outside double quotes, unquoting (`\"` and
/// `\\` inside quotes stand for themselves).
fn split_params(s: &[u8]) -> Result<Vec<Vec<u8>>, &'static str> {
    let mut out = vec![Vec::new()];
    let mut quoted = false;
    let mut i = 0;
    while i < s.len() {
        let b = s[i];
        let cur = out.last_mut().expect("never empty");
        match (b, quoted) {
            (b'"', _) => quoted = !quoted,
            (b'\\', true) if i + 1 < s.len() => {
                i += 1;
                cur.push(s[i]);
            }
            (b';', false) => out.push(Vec::new()),
            _ => cur.push(b),
        }
        i += 1;
    }
    if quoted {
        return Err("unclosed quote");
    }
    Ok(out)
}

/// A name or filename as browsers put it in a quoted string: `"`, CR and LF
/// percent-encoded.
pub fn escape(name: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len());
    for &b in name {
        match b {
            b'"' => out.extend_from_slice(b"%22"),
            b'\r' => out.extend_from_slice(b"%0D"),
            b'\n' => out.extend_from_slice(b"%0A"),
            _ => out.push(b),
        }
    }
    out
}

/// The body's pieces for `boundary`.
pub fn pieces(parts: &[Part], boundary: &str) -> Vec<Piece> {
    let mut out = Vec::with_capacity(parts.len() * 3 + 1);
    for part in parts {
        let mut head = Vec::with_capacity(128);
        head.extend_from_slice(b"--");
        head.extend_from_slice(boundary.as_bytes());
        head.extend_from_slice(b"\r\nContent-Disposition: form-data; name=\"");
        head.extend_from_slice(&escape(&part.name));
        head.push(b'"');
        match &part.content {
            Content::Text(value) => {
                head.extend_from_slice(b"\r\n\r\n");
                out.push(Piece::Bytes(head));
                out.push(Piece::Bytes(value.clone()));
            }
            Content::File {
                path,
                filename,
                content_type,
            } => {
                if let Some(f) = filename {
                    head.extend_from_slice(b"; filename=\"");
                    head.extend_from_slice(&escape(f));
                    head.push(b'"');
                }
                if let Some(t) = content_type {
                    head.extend_from_slice(b"\r\nContent-Type: ");
                    head.extend_from_slice(t.as_bytes());
                }
                head.extend_from_slice(b"\r\n\r\n");
                out.push(Piece::Bytes(head));
                out.push(match path {
                    Some(p) => Piece::File {
                        path: p.clone(),
                        strip: false,
                    },
                    None => Piece::Stdin { strip: false },
                });
            }
        }
        out.push(Piece::Bytes(b"\r\n".to_vec()));
    }
    out.push(Piece::Bytes(format!("--{boundary}--\r\n").into_bytes()));
    body_data::merge_bytes(out)
}

/// A new random boundary: 32 letters and digits after dashes (about 190 bits).
fn random_boundary() -> Result<String, Failure> {
    use ring::rand::SecureRandom as _;
    const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    let mut bytes = [0u8; 32];
    ring::rand::SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| Failure::local("no randomness for a multipart boundary"))?;
    let tail: String = bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect();
    Ok(format!("----------------simplehttp{tail}"))
}

/// Whether `boundary` occurs in any piece; files are read through for it.
fn occurs(pieces: &[Piece], parts: &[Part], boundary: &str) -> Result<bool, Failure> {
    let finder = memchr::memmem::Finder::new(boundary.as_bytes());
    // In the pieces made here, the boundary occurs where it was put; look in what was given.
    for part in parts {
        if finder.find(&part.name).is_some() {
            return Ok(true);
        }
        match &part.content {
            Content::Text(v) if finder.find(v).is_some() => return Ok(true),
            Content::File {
                filename: Some(f), ..
            } if finder.find(f).is_some() => return Ok(true),
            _ => {}
        }
    }
    for piece in pieces {
        if let Piece::File { path, .. } = piece {
            if file_contains(path, &finder)? {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

/// Reads `path` through, looking for the finder's needle (also across read boundaries).
fn file_contains(
    path: &std::path::Path,
    finder: &memchr::memmem::Finder<'_>,
) -> Result<bool, Failure> {
    let name = path.display().to_string();
    let fail = |e: std::io::Error| Failure::local(format!("cannot read {name}: {e}"));
    let mut file = std::fs::File::open(path).map_err(fail)?;
    let keep = finder.needle().len() - 1;
    let mut buf = vec![0u8; 256 * 1024];
    let mut filled = 0;
    loop {
        let n = body_data::read_some(&mut file, &mut buf[filled..]).map_err(fail)?;
        if n == 0 {
            return Ok(false);
        }
        filled += n;
        if finder.find(&buf[..filled]).is_some() {
            return Ok(true);
        }
        let tail = filled.min(keep);
        buf.copy_within(filled - tail..filled, 0);
        filled = tail;
    }
}

/// Opens the form for sending: a boundary found in no part, the pieces opened, and the
/// Content-Type (`media_type` with the boundary).
pub fn open(parts: &[Part], media_type: &str) -> Result<(OpenPayload, String), Failure> {
    for _ in 0..8 {
        let boundary = random_boundary()?;
        let pieces = pieces(parts, &boundary);
        if occurs(&pieces, parts, &boundary)? {
            continue;
        }
        let open = body_data::open(&pieces)?;
        return Ok((open, format!("{media_type}; boundary={boundary}")));
    }
    Err(Failure::local(
        "no random multipart boundary avoided the parts' contents",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Result<Part, Failure> {
        parse(std::ffi::OsStr::new(s))
    }

    #[test]
    fn parses_the_three_forms() {
        assert_eq!(
            p("a=b;type=x").unwrap(),
            Part {
                name: b"a".to_vec(),
                content: Content::Text(b"b;type=x".to_vec())
            }
        );
        assert_eq!(
            p("f=@dir/x.txt").unwrap().content,
            Content::File {
                path: Some("dir/x.txt".into()),
                filename: Some(b"x.txt".to_vec()),
                content_type: Some("text/plain".into()),
            }
        );
        assert_eq!(
            p("f=@\"a;b\";type=image/png;filename=\"q\\\"\"")
                .unwrap()
                .content,
            Content::File {
                path: Some("a;b".into()),
                filename: Some(b"q\"".to_vec()),
                content_type: Some("image/png".into()),
            }
        );
        assert_eq!(
            p("v=<notes").unwrap().content,
            Content::File {
                path: Some("notes".into()),
                filename: None,
                content_type: None,
            }
        );
        assert_eq!(
            p("s=@-").unwrap().content,
            Content::File {
                path: None,
                filename: Some(b"-".to_vec()),
                content_type: Some("application/octet-stream".into()),
            }
        );
    }

    #[test]
    fn refuses_bad_specs() {
        for (spec, why) in [
            ("novalue", "-F wants name=value, name=@FILE or name=<FILE, not \"novalue\""),
            ("=x", "-F \"=x\": the field has no name"),
            ("f=@", "-F \"f=@\": no file name"),
            ("f=@\"x", "-F \"f=@\"x\": unclosed quote"),
            (
                "f=@x;headers=a",
                "-F \"f=@x;headers=a\": unknown parameter \"headers=a\" (type= and, for @FILE, filename=)",
            ),
            (
                "f=<x;filename=y",
                "-F \"f=<x;filename=y\": unknown parameter \"filename=y\" (type= and, for @FILE, filename=)",
            ),
            ("f=@x;type=", "-F \"f=@x;type=\": invalid type="),
        ] {
            assert_eq!(p(spec).unwrap_err().why, why, "{spec}");
        }
    }

    #[test]
    fn escapes_names_as_browsers_do() {
        assert_eq!(escape(b"a\"b\r\nc"), b"a%22b%0D%0Ac");
        let part = Part {
            name: b"n\"".to_vec(),
            content: Content::File {
                path: Some("/x".into()),
                filename: Some(b"evil\r\nX-Injected: 1\".txt".to_vec()),
                content_type: Some("text/plain".into()),
            },
        };
        let pieces = pieces(&[part], "B");
        let Piece::Bytes(head) = &pieces[0] else {
            panic!("a head first")
        };
        assert_eq!(
            String::from_utf8_lossy(head),
            "--B\r\nContent-Disposition: form-data; name=\"n%22\"; \
             filename=\"evil%0D%0AX-Injected: 1%22.txt\"\r\nContent-Type: text/plain\r\n\r\n"
        );
        assert_eq!(pieces[2], Piece::Bytes(b"\r\n--B--\r\n".to_vec()));
    }

    #[test]
    fn boundary_is_not_in_any_part() {
        let dir = std::env::temp_dir().join(format!("multipart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("f");
        let mut data = vec![b'x'; 300 * 1024];
        data.extend_from_slice(b"--XYZ");
        std::fs::write(&f, &data).unwrap();
        let finder = memchr::memmem::Finder::new(b"--XYZ");
        assert!(file_contains(&f, &finder).unwrap());
        let finder = memchr::memmem::Finder::new(b"--XYQ");
        assert!(!file_contains(&f, &finder).unwrap());
        let parts = [Part {
            name: b"a".to_vec(),
            content: Content::Text(b"v".to_vec()),
        }];
        let (open, ctype) = open(&parts, "multipart/form-data").unwrap();
        let boundary = ctype
            .strip_prefix("multipart/form-data; boundary=")
            .unwrap();
        assert_eq!(boundary.len(), 16 + 10 + 32);
        assert_eq!(
            open.len,
            Some(
                pieces(&parts, boundary)
                    .iter()
                    .map(|p| match p {
                        Piece::Bytes(b) => b.len() as u64,
                        _ => 0,
                    })
                    .sum()
            )
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
