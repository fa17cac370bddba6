//! Request bodies built from the command line: `-d`, `--data-binary`, `--data-raw`,
//! `--json` (and, through [`multipart`](super::multipart), `-F`).
//!
//! A body is a list of [`Piece`]s: bytes given on the command line, files, or stdin. It is
//! opened into [`Segment`]s just before the request is written, with its length known
//! whenever no piece is stdin: files are never read whole into memory, only measured (and
//! for `-d @FILE`, counted without their CR and LF bytes), then streamed.
//!
//! As in curl:
//! - `-d DATA` sends DATA as given (no encoding); `-d @FILE` sends the file without its
//!   carriage returns and newlines; `@-` is stdin.
//! - `--data-binary @FILE` sends the file's exact bytes; `--data-raw DATA` never reads a file.
//! - Pieces of `-d`, `--data-binary` and `--data-raw` are joined with `&`, in command-line
//!   order; pieces of `--json` are concatenated.
//! - The body implies POST and `Content-Type: application/x-www-form-urlencoded`
//!   (`application/json` and `Accept: application/json` for `--json`), unless `-X` or `-H`
//!   say otherwise; `-G` moves it into the query of a GET instead.

use super::error::Failure;
use std::ffi::OsString;
use std::fs::File;
use std::io::{self, Read};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

/// A flag's value with its place among the values of all the body flags, so pieces from
/// `-d` and `--data-binary` join in the order they were typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ordered {
    /// Increases from one parsed value to the next.
    pub seq: u64,
    /// The value as typed (any bytes).
    pub value: OsString,
}

/// clap's parser for [`Ordered`] values: clap parses values in command-line order, so a
/// counter taken as each is parsed orders them across flags.
#[derive(Debug, Clone, Copy, Default)]
pub struct OrderedParser;

static NEXT_SEQ: AtomicU64 = AtomicU64::new(0);

impl clap::builder::TypedValueParser for OrderedParser {
    type Value = Ordered;
    fn parse_ref(
        &self,
        _cmd: &clap::Command,
        _arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<Ordered, clap::Error> {
        Ok(Ordered {
            seq: NEXT_SEQ.fetch_add(1, Ordering::Relaxed),
            value: value.to_os_string(),
        })
    }
}

/// One part of a request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Bytes given on the command line (or made by the client: separators, part heads).
    Bytes(Vec<u8>),
    /// A file's contents; `strip` leaves out its CR and LF bytes (`-d @FILE`).
    File {
        /// The file.
        path: PathBuf,
        /// Leave out `\r` and `\n`.
        strip: bool,
    },
    /// Standard input, to its end; the body is then sent chunked.
    Stdin {
        /// Leave out `\r` and `\n`.
        strip: bool,
    },
}

/// Which flag a piece came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DataFlag {
    /// `-d`: `@FILE` read without CR/LF.
    Data,
    /// `--data-binary`: `@FILE` read exactly.
    Binary,
    /// `--data-raw`: never a file.
    Raw,
    /// `--json`: `@FILE` read exactly; pieces concatenated.
    Json,
}

impl DataFlag {
    /// The flag's name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            DataFlag::Data => "-d",
            DataFlag::Binary => "--data-binary",
            DataFlag::Raw => "--data-raw",
            DataFlag::Json => "--json",
        }
    }
}

/// The piece one flag's value stands for.
pub fn piece(flag: DataFlag, value: &std::ffi::OsStr) -> Piece {
    use std::os::unix::ffi::OsStrExt as _;
    let bytes = value.as_bytes();
    match (flag, bytes.strip_prefix(b"@")) {
        (DataFlag::Raw, _) | (_, None) => Piece::Bytes(bytes.to_vec()),
        (_, Some(b"-")) => Piece::Stdin {
            strip: flag == DataFlag::Data,
        },
        (_, Some(path)) => Piece::File {
            path: PathBuf::from(std::ffi::OsStr::from_bytes(path)),
            strip: flag == DataFlag::Data,
        },
    }
}

/// A body from the data flags: the pieces in order, and the fields it implies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Payload {
    /// The pieces, separators included.
    pub pieces: Vec<Piece>,
    /// The Content-Type it implies (unless `-H` gives one).
    pub content_type: String,
    /// The Accept it implies instead of `*/*` (unless `-H` gives one).
    pub accept: Option<&'static str>,
}

impl Payload {
    /// Joins the values of the data flags, given as (flag, value) in command-line order.
    /// `None` when there are none. `--json` with the others is a usage error.
    pub fn from_flags(values: &[(DataFlag, &Ordered)]) -> Result<Option<Payload>, Failure> {
        let Some(first) = values.first() else {
            return Ok(None);
        };
        let json = first.0 == DataFlag::Json;
        if let Some(other) = values.iter().find(|(f, _)| (*f == DataFlag::Json) != json) {
            let (a, b) = if json {
                ("--json", other.0.name())
            } else {
                (other.0.name(), first.0.name())
            };
            return Err(Failure::usage(format!("{a} cannot be combined with {b}")));
        }
        let mut sorted = values.to_vec();
        sorted.sort_by_key(|(_, v)| v.seq);
        let mut pieces = Vec::with_capacity(sorted.len() * 2);
        for (i, (flag, v)) in sorted.iter().enumerate() {
            if i > 0 && !json {
                pieces.push(Piece::Bytes(b"&".to_vec()));
            }
            pieces.push(piece(*flag, &v.value));
        }
        if pieces
            .iter()
            .filter(|p| matches!(p, Piece::Stdin { .. }))
            .count()
            > 1
        {
            return Err(Failure::usage("stdin (@-) can be read only once"));
        }
        Ok(Some(Payload {
            pieces: merge_bytes(pieces),
            content_type: if json {
                "application/json".into()
            } else {
                "application/x-www-form-urlencoded".into()
            },
            accept: json.then_some("application/json"),
        }))
    }

    /// `-G`: the whole body as one string for the query, files read (at most `limit` bytes
    /// in all, as a URL must stay short).
    pub fn to_query(&self, limit: usize) -> Result<Vec<u8>, Failure> {
        let mut out = Vec::new();
        let too_long = || {
            Failure::usage(format!(
                "-G: the data is longer than {limit} bytes for a URL"
            ))
        };
        for piece in &self.pieces {
            let (mut reader, strip, name): (Box<dyn Read>, bool, String) = match piece {
                Piece::Bytes(b) => {
                    out.extend_from_slice(b);
                    if out.len() > limit {
                        return Err(too_long());
                    }
                    continue;
                }
                Piece::File { path, strip } => {
                    let name = path.display().to_string();
                    let file = File::open(path)
                        .map_err(|e| Failure::local(format!("cannot read {name}: {e}")))?;
                    (Box::new(file), *strip, name)
                }
                Piece::Stdin { strip } => (Box::new(io::stdin()), *strip, "stdin".into()),
            };
            let mut buf = Vec::new();
            let room = (limit + 1 - out.len().min(limit)) as u64;
            reader
                .by_ref()
                .take(room)
                .read_to_end(&mut buf)
                .map_err(|e| Failure::local(format!("cannot read {name}: {e}")))?;
            if strip {
                buf.retain(|b| !matches!(b, b'\r' | b'\n'));
            }
            out.extend_from_slice(&buf);
            if out.len() > limit {
                return Err(too_long());
            }
        }
        Ok(out)
    }
}

/// Adjacent byte pieces as one.
pub fn merge_bytes(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut out: Vec<Piece> = Vec::with_capacity(pieces.len());
    for p in pieces {
        match (out.last_mut(), p) {
            (Some(Piece::Bytes(a)), Piece::Bytes(b)) => a.extend_from_slice(&b),
            (_, p) => out.push(p),
        }
    }
    out
}

/// A piece opened for sending.
#[derive(Debug)]
pub enum Segment {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// An open file and the number of bytes it contributes (after stripping).
    File {
        /// The open file.
        file: File,
        /// Bytes it contributes.
        len: u64,
        /// Leave out `\r` and `\n`.
        strip: bool,
        /// Its name, for messages.
        name: String,
    },
    /// Standard input.
    Stdin {
        /// Leave out `\r` and `\n`.
        strip: bool,
    },
}

/// A body opened for sending: its segments and, unless stdin is one, its length.
#[derive(Debug)]
pub struct OpenPayload {
    /// What is sent, in order.
    pub segments: Vec<Segment>,
    /// The total length, or `None` (stdin: sent chunked).
    pub len: Option<u64>,
}

/// Opens a file piece, measuring what it contributes: its size, or for `strip` the count of
/// its bytes other than CR and LF (the file is read once for that, not kept).
pub fn open_file(path: &std::path::Path, strip: bool) -> Result<Segment, Failure> {
    let name = path.display().to_string();
    let fail = |e: io::Error| Failure::local(format!("cannot read {name}: {e}"));
    let mut file = File::open(path).map_err(fail)?;
    let meta = file.metadata().map_err(fail)?;
    if meta.is_dir() {
        return Err(Failure::local(format!("cannot send {name}: a directory")));
    }
    let len = if strip || !meta.is_file() {
        // Not a regular file (a FIFO, /dev/stdin): its size says nothing; it cannot be read
        // twice either, so it is refused rather than guessed.
        if !meta.is_file() {
            return Err(Failure::local(format!(
                "cannot send {name}: not a regular file (use @- for a pipe)"
            )));
        }
        let mut count = 0u64;
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = read_some(&mut file, &mut buf).map_err(fail)?;
            if n == 0 {
                break;
            }
            count += buf[..n]
                .iter()
                .filter(|b| !matches!(b, b'\r' | b'\n'))
                .count() as u64;
        }
        use std::io::Seek as _;
        file.rewind().map_err(fail)?;
        count
    } else {
        meta.len()
    };
    Ok(Segment::File {
        file,
        len,
        strip,
        name,
    })
}

/// Opens every piece.
pub fn open(pieces: &[Piece]) -> Result<OpenPayload, Failure> {
    let mut segments = Vec::with_capacity(pieces.len());
    let mut len = Some(0u64);
    for p in pieces {
        let seg = match p {
            Piece::Bytes(b) => Segment::Bytes(b.clone()),
            Piece::File { path, strip } => open_file(path, *strip)?,
            Piece::Stdin { strip } => Segment::Stdin { strip: *strip },
        };
        len = match (&seg, len) {
            (Segment::Bytes(b), Some(n)) => Some(n + b.len() as u64),
            (Segment::File { len: l, .. }, Some(n)) => Some(n + l),
            _ => None,
        };
        segments.push(seg);
    }
    Ok(OpenPayload { segments, len })
}

/// Reads into `buf`, retrying when a signal interrupts.
pub fn read_some(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match source.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// Why streaming a body stopped.
pub enum StreamError {
    /// Writing failed (the socket).
    Write(io::Error),
    /// A local source failed, or a file changed size while it was sent.
    Local(Failure),
}

impl OpenPayload {
    /// Streams every segment through `send`, `chunk` bytes at a time at most. A file that
    /// ends before its measured length is an error; one that grew is cut at it.
    pub fn stream(
        &mut self,
        chunk: usize,
        mut send: impl FnMut(&[u8]) -> Result<(), StreamError>,
    ) -> Result<u64, StreamError> {
        let mut buf = vec![0u8; chunk];
        let mut kept = Vec::with_capacity(chunk);
        let mut total = 0u64;
        for seg in &mut self.segments {
            match seg {
                Segment::Bytes(b) => {
                    for part in b.chunks(chunk) {
                        send(part)?;
                    }
                    total += b.len() as u64;
                }
                Segment::File {
                    file,
                    len,
                    strip,
                    name,
                } => {
                    let mut sent = 0u64;
                    while sent < *len {
                        let want = if *strip {
                            buf.len()
                        } else {
                            buf.len()
                                .min(usize::try_from(*len - sent).unwrap_or(usize::MAX))
                        };
                        let n = read_some(file, &mut buf[..want]).map_err(|e| {
                            StreamError::Local(Failure::local(format!("cannot read {name}: {e}")))
                        })?;
                        if n == 0 {
                            return Err(StreamError::Local(Failure::local(format!(
                                "{name} shrank while it was sent ({sent} of {len} bytes)"
                            ))));
                        }
                        let out: &[u8] = if *strip {
                            kept.clear();
                            kept.extend(buf[..n].iter().filter(|b| !matches!(b, b'\r' | b'\n')));
                            let room = usize::try_from(*len - sent).unwrap_or(usize::MAX);
                            kept.truncate(room);
                            &kept
                        } else {
                            &buf[..n]
                        };
                        if !out.is_empty() {
                            send(out)?;
                        }
                        sent += out.len() as u64;
                    }
                    total += sent;
                }
                Segment::Stdin { strip } => {
                    let mut input = io::stdin().lock();
                    loop {
                        let n = read_some(&mut input, &mut buf).map_err(|e| {
                            StreamError::Local(Failure::local(format!("reading stdin: {e}")))
                        })?;
                        if n == 0 {
                            break;
                        }
                        let out: &[u8] = if *strip {
                            kept.clear();
                            kept.extend(buf[..n].iter().filter(|b| !matches!(b, b'\r' | b'\n')));
                            &kept
                        } else {
                            &buf[..n]
                        };
                        if !out.is_empty() {
                            send(out)?;
                        }
                        total += out.len() as u64;
                    }
                }
            }
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ordered(seq: u64, v: &str) -> Ordered {
        Ordered {
            seq,
            value: v.into(),
        }
    }

    #[test]
    fn pieces_follow_curl() {
        let p = |f, v: &str| piece(f, std::ffi::OsStr::new(v));
        assert_eq!(p(DataFlag::Data, "a=1"), Piece::Bytes(b"a=1".to_vec()));
        assert_eq!(
            p(DataFlag::Data, "@f"),
            Piece::File {
                path: "f".into(),
                strip: true
            }
        );
        assert_eq!(
            p(DataFlag::Binary, "@f"),
            Piece::File {
                path: "f".into(),
                strip: false
            }
        );
        assert_eq!(p(DataFlag::Raw, "@f"), Piece::Bytes(b"@f".to_vec()));
        assert_eq!(p(DataFlag::Json, "@-"), Piece::Stdin { strip: false });
        assert_eq!(p(DataFlag::Data, "@-"), Piece::Stdin { strip: true });
    }

    #[test]
    fn joins_in_typed_order() {
        let (a, b, c) = (ordered(5, "b=2"), ordered(3, "a=1"), ordered(9, "c"));
        let values = [
            (DataFlag::Data, &a),
            (DataFlag::Raw, &c),
            (DataFlag::Binary, &b),
        ];
        let p = Payload::from_flags(&values).unwrap().unwrap();
        assert_eq!(p.pieces, [Piece::Bytes(b"a=1&b=2&c".to_vec())]);
        assert_eq!(p.content_type, "application/x-www-form-urlencoded");
        assert_eq!(p.accept, None);
        let (j1, j2) = (ordered(1, "{\"a\":"), ordered(2, "1}"));
        let p = Payload::from_flags(&[(DataFlag::Json, &j2), (DataFlag::Json, &j1)])
            .unwrap()
            .unwrap();
        assert_eq!(p.pieces, [Piece::Bytes(b"{\"a\":1}".to_vec())]);
        assert_eq!(p.accept, Some("application/json"));
        assert!(Payload::from_flags(&[]).unwrap().is_none());
    }

    #[test]
    fn refuses_mixed_json_and_two_stdins() {
        let (a, b) = (ordered(1, "x"), ordered(2, "@-"));
        let err = Payload::from_flags(&[(DataFlag::Data, &a), (DataFlag::Json, &b)]).unwrap_err();
        assert_eq!(err.why, "--json cannot be combined with -d");
        let err = Payload::from_flags(&[(DataFlag::Data, &b), (DataFlag::Binary, &b)]).unwrap_err();
        assert_eq!(err.why, "stdin (@-) can be read only once");
    }

    #[test]
    fn streams_files_measured_and_stripped() {
        let dir = std::env::temp_dir().join(format!("body-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let f = dir.join("lines");
        std::fs::write(&f, b"one\r\ntwo\nthree\n").unwrap();
        let pieces = vec![
            Piece::Bytes(b"x=".to_vec()),
            Piece::File {
                path: f.clone(),
                strip: true,
            },
            Piece::Bytes(b"&".to_vec()),
            Piece::File {
                path: f.clone(),
                strip: false,
            },
        ];
        let mut open = open(&pieces).unwrap();
        assert_eq!(open.len, Some(2 + 11 + 1 + 15));
        let mut got = Vec::new();
        let sent = open
            .stream(3, |b| {
                got.extend_from_slice(b);
                Ok(())
            })
            .unwrap_or_else(|_| panic!("stream"));
        assert_eq!(got, b"x=onetwothree&one\r\ntwo\nthree\n");
        assert_eq!(sent, got.len() as u64);
        let err = super::open(&[Piece::File {
            path: dir.join("missing"),
            strip: false,
        }])
        .unwrap_err();
        assert_eq!(err.exit, super::super::error::Exit::LocalFile);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn query_is_bounded() {
        let p = Payload {
            pieces: vec![Piece::Bytes(b"a=1&b=2".to_vec())],
            content_type: String::new(),
            accept: None,
        };
        assert_eq!(p.to_query(100).unwrap(), b"a=1&b=2");
        assert_eq!(
            p.to_query(3).unwrap_err().why,
            "-G: the data is longer than 3 bytes for a URL"
        );
    }
}
