//! `-C -`: resuming a download cut short, and `--retry` picking up where an attempt stopped.
//!
//! On disk, beside the destination `NAME` (after symbolic links are followed):
//!
//! ```text
//!   NAME                               only ever a complete download (renamed into place)
//!   .NAME.simple-client-part           the bytes received so far, from offset 0
//!   .NAME.simple-client-resume         the validator they belong to, one line:
//!                                      "If-Range: <the ETag, or Last-Modified>"
//! ```
//!
//! A partial file is used only with its sidecar: without a validator nothing proves the rest
//! the server would send belongs to the same version, so the download starts over. The
//! sidecar is removed before a partial file is replaced and written after, so a crash in
//! between leaves a partial file without one (started over), never a wrong pairing.
//!
//! The request asks for `Range: bytes=LEN-` with `If-Range`. The answer decides:
//! - 206 whose `Content-Range` starts at LEN: the rest is appended to the partial file, which
//!   is renamed to `NAME` once complete;
//! - 200 (the file changed, or ranges are not supported): the whole body goes to a new
//!   temporary file, renamed over `NAME` when complete; cut short, it becomes the partial;
//! - 416 whose `Content-Range` says `bytes */LEN`: the partial file was complete already;
//! - anything else: as without `-C` (an error's body written, the partial left as it is).
//!
//! With `-C -` and no partial file, an existing `NAME` is the one to continue (as curl
//! does): its size is asked for without `If-Range`, and a 206 appends to a copy of it.
//!
//! Without `-C`, `--retry` uses the same mechanism under names that hold the process id
//! (`.NAME.PID.simple-client-part`), removed when the run ends without success.

use super::error::Failure;
use super::show;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Where a download's partial file and its sidecar live.
#[derive(Debug, Clone)]
pub struct Resume {
    /// The destination, links followed.
    pub dest: PathBuf,
    part: PathBuf,
    sidecar: PathBuf,
    /// `-C -`: a partial file outlives the run, and an existing `NAME` may be continued.
    persist: bool,
}

/// What a partial file becomes when a download stops short: the partial to resume from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keep {
    part: PathBuf,
    sidecar: PathBuf,
    /// The validator the bytes belong to; without one they are of no use and removed.
    validator: Option<String>,
    /// `-C -`: the partial file outlives the run.
    persist: bool,
}

impl Keep {
    /// Whether the bytes stay on disk for a later run to continue.
    pub fn outlives_run(&self) -> bool {
        self.persist && self.validator.is_some()
    }
}

/// The range a request asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// The bytes already here: the request asks from this offset on.
    pub from: u64,
    /// The `If-Range` value, if any.
    pub if_range: Option<String>,
    /// Whether the bytes are the partial file (or `NAME` itself).
    in_part: bool,
}

impl Ask {
    /// The request fields that ask for the rest.
    pub fn fields(&self) -> Vec<(String, String)> {
        let mut v = vec![("Range".to_string(), format!("bytes={}-", self.from))];
        if let Some(value) = &self.if_range {
            v.push(("If-Range".to_string(), value.clone()));
        }
        v
    }
}

/// Where the body of a response goes, given the range that was asked.
#[derive(Debug, PartialEq, Eq)]
pub enum Plan {
    /// A new temporary file, renamed into place when complete; kept as the partial file
    /// if cut short (when `Some`).
    Fresh(Option<Keep>),
    /// Appended to the partial file, which is renamed into place when complete.
    Append {
        /// The partial file.
        part: PathBuf,
        /// Bytes already in it.
        offset: u64,
        /// What to keep when cut short again.
        keep: Keep,
    },
    /// The file was complete already: nothing to write.
    Complete,
}

/// The sidecar's one line starts with this.
const SIDECAR_FIELD: &str = "If-Range: ";

impl Resume {
    /// The partial file and sidecar names for `dest` (links already followed).
    pub fn new(dest: &Path, persist: bool) -> Result<Resume, Failure> {
        let dir = match dest.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let name = dest
            .file_name()
            .ok_or_else(|| Failure::local(format!("{} is not a file name", dest.display())))?
            .to_string_lossy()
            .into_owned();
        let stem = if persist {
            format!(".{name}")
        } else {
            format!(".{name}.{}", std::process::id())
        };
        Ok(Resume {
            dest: dest.to_path_buf(),
            part: dir.join(format!("{stem}.simple-client-part")),
            sidecar: dir.join(format!("{stem}.simple-client-resume")),
            persist,
        })
    }

    /// The range to ask for, if there is something to continue.
    pub fn ask(&self) -> Option<Ask> {
        let is_file = |p: &Path| {
            fs::symlink_metadata(p)
                .ok()
                .filter(|m| m.is_file())
                .map(|m| m.len())
        };
        if let Some(len) = is_file(&self.part) {
            let validator = read_sidecar(&self.sidecar);
            return match validator {
                Some(v) if len > 0 => Some(Ask {
                    from: len,
                    if_range: Some(v),
                    in_part: true,
                }),
                _ => None,
            };
        }
        match fs::metadata(&self.dest) {
            Ok(m) if self.persist && m.is_file() && m.len() > 0 => Some(Ask {
                from: m.len(),
                if_range: None,
                in_part: false,
            }),
            _ => None,
        }
    }

    /// Where the body of a response with `status` goes. `content_range` and `validator`
    /// (a strong ETag, else Last-Modified) come from its head.
    pub fn plan(
        &self,
        ask: Option<&Ask>,
        status: u16,
        content_range: Option<&str>,
        validator: Option<String>,
    ) -> Result<Plan, Failure> {
        let keep = |validator| Keep {
            part: self.part.clone(),
            sidecar: self.sidecar.clone(),
            validator,
            persist: self.persist,
        };
        match (status, ask) {
            (206, Some(ask)) => {
                let range = content_range.and_then(parse_content_range);
                match range {
                    Some(ContentRange::Bytes { first, .. }) if first == ask.from => {}
                    _ => {
                        return Err(Failure::protocol(format!(
                            "the server answered 206 with Content-Range {}, not from byte {}: \
                             the partial file is kept as it was",
                            content_range.map_or("(none)".into(), |c| show::sanitize(c.as_bytes())),
                            ask.from
                        )))
                    }
                }
                if !ask.in_part {
                    // Continue a copy of NAME, so NAME stays whole until the copy is.
                    copy_to(&self.dest, &self.part)?;
                }
                let kept = if ask.in_part {
                    read_sidecar(&self.sidecar)
                } else {
                    validator
                };
                if !ask.in_part {
                    write_sidecar(&self.sidecar, kept.as_deref());
                }
                Ok(Plan::Append {
                    part: self.part.clone(),
                    offset: ask.from,
                    keep: keep(kept),
                })
            }
            (416, Some(ask)) => match content_range.and_then(parse_content_range) {
                Some(ContentRange::Unsatisfied { complete }) if complete == ask.from => {
                    if ask.in_part {
                        fs::rename(&self.part, &self.dest).map_err(|e| {
                            Failure::local(format!(
                                "could not move the download into {}: {e}",
                                self.dest.display()
                            ))
                        })?;
                        let _ = fs::remove_file(&self.sidecar);
                    }
                    Ok(Plan::Complete)
                }
                _ => Err(Failure::protocol(format!(
                    "the server refused the range from byte {} (416, Content-Range {}): \
                     the file there is not what is here; remove it to start over",
                    ask.from,
                    content_range.map_or("(none)".into(), |c| show::sanitize(c.as_bytes()))
                ))),
            },
            (200..=299, _) => Ok(Plan::Fresh(Some(keep(validator)))),
            _ => Ok(Plan::Fresh(None)),
        }
    }

    /// The run ends without the download: without `-C`, its partial file goes too.
    pub fn finish_run(&self) {
        if !self.persist {
            let _ = fs::remove_file(&self.part);
            let _ = fs::remove_file(&self.sidecar);
        }
    }
}

/// A download stopped short in `temp`: make it the partial file (with its sidecar), or
/// remove it when it cannot be resumed. Called when a [`Sink`](super::output::Sink) is
/// dropped unfinished, and on Ctrl-C or `--max-time`.
pub fn keep_partial(temp: &Path, keep: &Keep) {
    if temp == keep.part {
        // Appended in place: the sidecar already describes it.
        return;
    }
    let Some(validator) = keep.validator.as_deref() else {
        let _ = fs::remove_file(temp);
        return;
    };
    let _ = fs::remove_file(&keep.sidecar);
    if fs::rename(temp, &keep.part).is_err() {
        let _ = fs::remove_file(temp);
        return;
    }
    write_sidecar(&keep.sidecar, Some(validator));
}

/// The download in `temp` was renamed into place: the partial file and sidecar go.
pub fn completed(keep: &Keep) {
    let _ = fs::remove_file(&keep.part);
    let _ = fs::remove_file(&keep.sidecar);
}

fn copy_to(from: &Path, to: &Path) -> Result<(), Failure> {
    fs::copy(from, to).map(drop).map_err(|e| {
        let _ = fs::remove_file(to);
        Failure::local(format!(
            "cannot copy {} to continue it: {e}",
            from.display()
        ))
    })
}

fn read_sidecar(path: &Path) -> Option<String> {
    let text = fs::read_to_string(path).ok()?;
    let line = text.lines().next()?;
    let value = line.strip_prefix(SIDECAR_FIELD)?;
    (!value.is_empty()
        && value
            .bytes()
            .all(|b| (0x20..0x7f).contains(&b) || b == b'\t'))
    .then(|| value.to_string())
}

/// Writes the sidecar through a temporary renamed over it; without a validator, removes it.
fn write_sidecar(path: &Path, validator: Option<&str>) {
    let Some(v) = validator else {
        let _ = fs::remove_file(path);
        return;
    };
    let tmp = path.with_extension(format!("{}.tmp", std::process::id()));
    let written = fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(format!("{SIDECAR_FIELD}{v}\n").as_bytes()))
        .and_then(|()| fs::rename(&tmp, path));
    if written.is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

/// The validator for `If-Range` from a response's ETag and Last-Modified: a strong ETag,
/// else the date (RFC 9110 §13.1.5: a weak entity tag cannot be used there).
pub fn validator(etag: Option<&str>, last_modified: Option<&str>) -> Option<String> {
    let printable = |v: &&str| !v.is_empty() && v.bytes().all(|b| (0x20..0x7f).contains(&b));
    match etag.map(str::trim).filter(printable) {
        Some(tag) if !tag.starts_with("W/") => Some(tag.to_string()),
        _ => last_modified
            .map(str::trim)
            .filter(printable)
            .map(str::to_string),
    }
}

/// A `Content-Range` value (RFC 9110 §14.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ContentRange {
    /// `bytes first-last/complete` (complete `None` for `*`).
    Bytes {
        first: u64,
        last: u64,
        complete: Option<u64>,
    },
    /// `bytes */complete`.
    Unsatisfied { complete: u64 },
}

fn parse_content_range(value: &str) -> Option<ContentRange> {
    let digits = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let rest = value.trim().strip_prefix("bytes ")?.trim_start();
    let (range, complete) = rest.split_once('/')?;
    if range == "*" {
        return Some(ContentRange::Unsatisfied {
            complete: digits(complete)?,
        });
    }
    let (first, last) = range.split_once('-')?;
    let (first, last) = (digits(first)?, digits(last)?);
    let complete = if complete == "*" {
        None
    } else {
        Some(digits(complete)?)
    };
    if last < first || complete.is_some_and(|c| last >= c) {
        return None;
    }
    Some(ContentRange::Bytes {
        first,
        last,
        complete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_ranges() {
        use ContentRange::*;
        let rows: [(&str, Option<ContentRange>); 9] = [
            (
                "bytes 10-19/20",
                Some(Bytes {
                    first: 10,
                    last: 19,
                    complete: Some(20),
                }),
            ),
            (
                "bytes 0-0/*",
                Some(Bytes {
                    first: 0,
                    last: 0,
                    complete: None,
                }),
            ),
            ("bytes */20", Some(Unsatisfied { complete: 20 })),
            ("bytes 10-19/15", None),
            ("bytes 19-10/20", None),
            ("bytes -1-2/3", None),
            ("items 0-1/2", None),
            ("bytes 0-1", None),
            ("bytes */x", None),
        ];
        for (text, want) in rows {
            assert_eq!(parse_content_range(text), want, "{text}");
        }
    }

    #[test]
    fn validators() {
        assert_eq!(
            validator(Some("\"a\""), Some("d")).as_deref(),
            Some("\"a\"")
        );
        assert_eq!(validator(Some("W/\"a\""), Some("d")).as_deref(), Some("d"));
        assert_eq!(validator(None, None), None);
        assert_eq!(validator(Some("\"\x01\""), None), None);
    }
}
