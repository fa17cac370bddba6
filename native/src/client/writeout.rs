//! `-w/--write-out FORMAT`: facts about the run, printed on stdout after the body, with
//! curl's variables where they make sense.
//!
//! The exchange records what it sees in one [`Stats`] for the run ([`record`]); the format
//! is expanded once the run has ended, so `%{exitcode}` and `%{errormsg}` are known. Times
//! are seconds since the run started, to the microsecond, taken from one monotonic clock in
//! the order things happen, so `time_namelookup ≤ time_connect ≤ time_appconnect ≤
//! time_pretransfer ≤ time_starttransfer ≤ time_total` (as in curl, `time_appconnect` is 0
//! without TLS). After redirects they describe the last request, still counted from the
//! start of the run.
//!
//! Syntax as in curl: `%{name}`, `%%` for `%`, `\n`, `\r`, `\t` and `\\`; `%{json}` is every
//! variable as one JSON object; `%{stdout}` and `%{stderr}` switch where the rest goes. An
//! unknown variable prints nothing and a warning on stderr. `-w @FILE` reads the format
//! from FILE (`@-`: stdin).

use super::show;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What the run saw, for `-w`.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    start: Option<Instant>,
    namelookup: Option<Duration>,
    connect: Option<Duration>,
    appconnect: Option<Duration>,
    pretransfer: Option<Duration>,
    starttransfer: Option<Duration>,
    /// Body bytes received (last response).
    pub size_download: u64,
    /// Body bytes sent (last request).
    pub size_upload: u64,
    /// Bytes of the last response head.
    pub size_header: u64,
    /// The last final status, if one arrived.
    pub http_code: Option<u16>,
    /// The last final response's Content-Type, sanitized.
    pub content_type: Option<String>,
    /// The last URL asked for.
    pub url_effective: String,
    /// The last method used.
    pub method: String,
    /// Redirects followed.
    pub num_redirects: usize,
    /// The address of the last connection.
    pub remote: Option<std::net::SocketAddr>,
}

/// A moment of an exchange.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The name was looked up (or needed no lookup).
    NameLookup,
    /// TCP connected.
    Connect,
    /// The TLS handshake finished.
    AppConnect,
    /// The request is about to be sent.
    PreTransfer,
    /// The first byte of the response arrived.
    StartTransfer,
}

static STATS: Mutex<Option<Stats>> = Mutex::new(None);

/// Starts keeping stats (only with `-w`): the run's clock starts now.
pub fn begin() {
    *STATS.lock().unwrap_or_else(|e| e.into_inner()) = Some(Stats {
        start: Some(Instant::now()),
        ..Stats::default()
    });
}

/// Changes the stats, if they are kept.
pub fn record(f: impl FnOnce(&mut Stats)) {
    if let Some(s) = STATS.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
        f(s);
    }
}

/// Records a moment (the first one of its kind in this exchange).
pub fn mark(m: Mark) {
    record(|s| {
        let Some(start) = s.start else { return };
        let slot = match m {
            Mark::NameLookup => &mut s.namelookup,
            Mark::Connect => &mut s.connect,
            Mark::AppConnect => &mut s.appconnect,
            Mark::PreTransfer => &mut s.pretransfer,
            Mark::StartTransfer => &mut s.starttransfer,
        };
        if slot.is_none() {
            *slot = Some(start.elapsed());
        }
    });
}

/// A new request (the first, or one after a redirect): its moments and sizes start over.
pub fn new_exchange(url: &str, method: &str, redirects: usize) {
    record(|s| {
        s.namelookup = None;
        s.connect = None;
        s.appconnect = None;
        s.pretransfer = None;
        s.starttransfer = None;
        s.size_download = 0;
        s.size_upload = 0;
        s.size_header = 0;
        s.url_effective = url.to_string();
        s.method = method.to_string();
        s.num_redirects = redirects;
    });
}

/// The stats at the end of the run (`None` unless [`begin`] was called).
pub fn finish() -> Option<(Stats, Duration)> {
    let s = STATS.lock().unwrap_or_else(|e| e.into_inner()).clone()?;
    let total = s.start.map_or(Duration::ZERO, |t| t.elapsed());
    Some((s, total))
}

/// Where expanded text goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    /// Standard output.
    Stdout,
    /// Standard error.
    Stderr,
}

/// The variables, in the order `%{json}` lists them.
const VARIABLES: &[&str] = &[
    "content_type",
    "errormsg",
    "exitcode",
    "http_code",
    "http_version",
    "method",
    "num_redirects",
    "remote_ip",
    "remote_port",
    "response_code",
    "scheme",
    "size_download",
    "size_header",
    "size_upload",
    "speed_download",
    "speed_upload",
    "time_appconnect",
    "time_connect",
    "time_namelookup",
    "time_pretransfer",
    "time_starttransfer",
    "time_total",
    "url_effective",
];

/// A variable's value: text, or a number (unquoted in JSON).
enum Value {
    Text(String),
    Number(String),
}

/// Everything a format is expanded from.
pub struct Facts<'a> {
    /// The stats.
    pub stats: &'a Stats,
    /// The whole run's duration.
    pub total: Duration,
    /// The exit code.
    pub exit: u8,
    /// The error message, if the run failed.
    pub error: Option<&'a str>,
}

impl Facts<'_> {
    fn value(&self, name: &str) -> Option<Value> {
        let s = self.stats;
        let secs = |d: Option<Duration>| {
            Value::Number(format!("{:.6}", d.unwrap_or_default().as_secs_f64()))
        };
        let speed = |bytes: u64| {
            let t = self.total.as_secs_f64();
            Value::Number(if t > 0.0 {
                format!("{}", (bytes as f64 / t) as u64)
            } else {
                "0".into()
            })
        };
        let num = |n: u64| Value::Number(n.to_string());
        Some(match name {
            "content_type" => Value::Text(s.content_type.clone().unwrap_or_default()),
            "errormsg" => Value::Text(self.error.unwrap_or("").to_string()),
            "exitcode" => num(self.exit.into()),
            "http_code" | "response_code" => {
                Value::Number(format!("{:03}", s.http_code.unwrap_or(0)))
            }
            "http_version" => Value::Text(if s.http_code.is_some() { "1.1" } else { "0" }.into()),
            "method" => Value::Text(s.method.clone()),
            "num_redirects" => num(s.num_redirects as u64),
            "remote_ip" => Value::Text(s.remote.map_or(String::new(), |a| a.ip().to_string())),
            "remote_port" => Value::Number(s.remote.map_or("0".into(), |a| a.port().to_string())),
            "scheme" => Value::Text(
                s.url_effective
                    .split_once("://")
                    .map_or("", |(sch, _)| sch)
                    .to_string(),
            ),
            "size_download" => num(s.size_download),
            "size_header" => num(s.size_header),
            "size_upload" => num(s.size_upload),
            "speed_download" => speed(s.size_download),
            "speed_upload" => speed(s.size_upload),
            "time_appconnect" => secs(s.appconnect),
            "time_connect" => secs(s.connect),
            "time_namelookup" => secs(s.namelookup),
            "time_pretransfer" => secs(s.pretransfer),
            "time_starttransfer" => secs(s.starttransfer),
            "time_total" => secs(Some(self.total)),
            "url_effective" => Value::Text(s.url_effective.clone()),
            _ => return None,
        })
    }

    fn json(&self) -> String {
        let mut out = String::from("{");
        for (i, name) in VARIABLES.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "\"{name}\":");
            match self.value(name) {
                Some(Value::Number(n)) => out.push_str(&n),
                Some(Value::Text(t)) => json_string(&mut out, &t),
                None => out.push_str("null"),
            }
        }
        out.push('}');
        out
    }

    /// Expands `format`: the pieces of text in order, each with where it goes, and the
    /// unknown variables met.
    pub fn expand(&self, format: &str) -> (Vec<(Stream, String)>, Vec<String>) {
        let mut out: Vec<(Stream, String)> = vec![(Stream::Stdout, String::new())];
        let mut unknown = Vec::new();
        let mut rest = format;
        while let Some(c) = rest.chars().next() {
            let cur = &mut out.last_mut().expect("never empty").1;
            if let Some(after) = rest.strip_prefix("%{") {
                if let Some(end) = after.find('}') {
                    let name = &after[..end];
                    rest = &after[end + 1..];
                    match name {
                        "json" => cur.push_str(&self.json()),
                        "stdout" => out.push((Stream::Stdout, String::new())),
                        "stderr" => out.push((Stream::Stderr, String::new())),
                        _ => match self.value(name) {
                            Some(Value::Text(t) | Value::Number(t)) => cur.push_str(&t),
                            None => unknown.push(name.to_string()),
                        },
                    }
                    continue;
                }
            }
            if let Some(after) = rest.strip_prefix("%%") {
                cur.push('%');
                rest = after;
                continue;
            }
            if let Some(after) = rest.strip_prefix('\\') {
                let escaped = match after.chars().next() {
                    Some('n') => Some('\n'),
                    Some('r') => Some('\r'),
                    Some('t') => Some('\t'),
                    Some('\\') => Some('\\'),
                    _ => None,
                };
                if let Some(e) = escaped {
                    cur.push(e);
                    rest = &after[1..];
                    continue;
                }
            }
            cur.push(c);
            rest = &rest[c.len_utf8()..];
        }
        (out, unknown)
    }
}

/// Appends `s` as a JSON string.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Most bytes of a `-w @FILE` format.
pub const MAX_FORMAT: u64 = 64 * 1024;

/// `-w`'s value: the format itself, or read from `@FILE` (`@-`: stdin).
pub fn load_format(value: &str) -> Result<String, super::error::Failure> {
    use std::io::Read as _;
    let Some(path) = value.strip_prefix('@') else {
        return Ok(value.to_string());
    };
    let mut text = Vec::new();
    let read = if path == "-" {
        std::io::stdin().take(MAX_FORMAT + 1).read_to_end(&mut text)
    } else {
        std::fs::File::open(path).and_then(|f| f.take(MAX_FORMAT + 1).read_to_end(&mut text))
    };
    read.map_err(|e| {
        super::error::Failure::local(format!("cannot read the -w format {path}: {e}"))
    })?;
    if text.len() as u64 > MAX_FORMAT {
        return Err(super::error::Failure::usage(format!(
            "the -w format {path} is longer than {MAX_FORMAT} bytes"
        )));
    }
    Ok(String::from_utf8_lossy(&text).into_owned())
}

/// Prints `format` expanded, after the run (the body is complete and flushed by then).
pub fn print(format: &str, exit: u8, error: Option<&str>) {
    use std::io::Write as _;
    let Some((stats, total)) = finish() else {
        return;
    };
    let facts = Facts {
        stats: &stats,
        total,
        exit,
        error,
    };
    let (pieces, unknown) = facts.expand(format);
    for name in unknown {
        show::eprint_lines(
            "simple-client: ",
            [format!(
                "warning: unknown --write-out variable: '{}'",
                show::sanitize(name.as_bytes())
            )],
        );
    }
    for (stream, text) in pieces {
        // A closed stdout or stderr is not worth a second error.
        let _ = match stream {
            Stream::Stdout => std::io::stdout().write_all(text.as_bytes()),
            Stream::Stderr => std::io::stderr().write_all(text.as_bytes()),
        };
    }
    let _ = std::io::stdout().flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts_for(stats: &Stats) -> Facts<'_> {
        Facts {
            stats,
            total: Duration::from_millis(1500),
            exit: 8,
            error: None,
        }
    }

    #[test]
    fn expands_curls_syntax() {
        let stats = Stats {
            http_code: Some(404),
            size_download: 3000,
            url_effective: "http://h/x".into(),
            connect: Some(Duration::from_micros(1234)),
            content_type: Some("text/plain".into()),
            ..Stats::default()
        };
        let f = facts_for(&stats);
        let (out, unknown) =
            f.expand("%{http_code} %{size_download}B %{speed_download}/s %%{x} \\t%{nope}\\n\\q %");
        assert_eq!(
            out,
            [(
                Stream::Stdout,
                "404 3000B 2000/s %{x} \t\n\\q %".to_string()
            )]
        );
        assert_eq!(unknown, ["nope"]);
        let (out, _) =
            f.expand("%{time_connect} %{time_appconnect} %{exitcode}%{stderr}%{url_effective}");
        assert_eq!(
            out,
            [
                (Stream::Stdout, "0.001234 0.000000 8".to_string()),
                (Stream::Stderr, "http://h/x".to_string())
            ]
        );
        let (out, _) = f.expand("%{http_code}");
        assert_eq!(out[0].1, "404");
        let none = Stats::default();
        assert_eq!(facts_for(&none).expand("%{http_code}").0[0].1, "000");
    }

    #[test]
    fn json_lists_every_variable() {
        let stats = Stats {
            http_code: Some(200),
            content_type: Some("a\"b".into()),
            ..Stats::default()
        };
        let json = facts_for(&stats).json();
        assert!(
            json.starts_with(
                "{\"content_type\":\"a\\\"b\",\"errormsg\":\"\",\"exitcode\":8,\"http_code\":200,"
            ),
            "{json}"
        );
        assert!(
            json.ends_with(",\"time_total\":1.500000,\"url_effective\":\"\"}"),
            "{json}"
        );
        for name in VARIABLES {
            assert!(json.contains(&format!("\"{name}\":")), "{name}");
        }
    }
}
