//! One request and its response over one connection: the client's only loop.
//!
//! The core writes the request head and parses the response; this module moves bytes
//! between the socket, the upload source and the [`Sink`], and turns events into output.
//!
//! ```text
//!  connect ─► send head ─┬─(no Expect)──► send body ─► read response
//!                        └─(Expect: 100-continue)─► wait ≤ 1 s ─┬─ 100 ──────► send body
//!                                                              ├─ silence ──► send body
//!                                                              └─ final status: body not sent
//!  read response: Head (1xx: shown, skipped) ─► Head (final) ─► Data… ─► End ─► rename output
//! ```

use super::config::{BodySource, Config};
use super::error::Failure;
use super::output::{Sink, WriteFailure};
use super::show;
use super::url::Url;
use simplehttp_core::write::{write_chunk, write_last_chunk, write_request_head};
use simplehttp_core::{Event, Framing, Limits, Method, ParseError, ResponseHead, ResponseParser};
use std::fs::File;
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// How long to wait for `100 Continue` before sending the body anyway (RFC 9110 §10.1.1).
const CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// The socket read buffer: large, so a download takes few system calls.
const READ_BUFFER: usize = 256 * 1024;

/// Chunk size for a body read from stdin.
const STDIN_CHUNK: usize = 64 * 1024;

/// How an exchange ended.
#[derive(Debug)]
pub enum Outcome {
    /// A final response, its body written.
    Final {
        /// The status code.
        status: u16,
    },
    /// A redirect to follow (`-L`); its body was not read.
    Redirect {
        /// The status code.
        status: u16,
        /// The Location value.
        location: String,
    },
    /// The reader of stdout went away while the body was written.
    StdoutClosed {
        /// The status code.
        status: u16,
    },
}

/// The request body, opened.
enum OpenBody {
    None,
    File { file: File, len: u64, name: String },
    Stdin,
}

impl OpenBody {
    fn open(source: &BodySource) -> Result<OpenBody, Failure> {
        Ok(match source {
            BodySource::None => OpenBody::None,
            BodySource::Stdin => OpenBody::Stdin,
            BodySource::File(path) => {
                let name = path.display().to_string();
                let file = File::open(path)
                    .map_err(|e| Failure::local(format!("cannot read {name}: {e}")))?;
                let meta = file
                    .metadata()
                    .map_err(|e| Failure::local(format!("cannot read {name}: {e}")))?;
                if meta.is_dir() {
                    return Err(Failure::local(format!("cannot upload {name}: a directory")));
                }
                OpenBody::File {
                    file,
                    len: meta.len(),
                    name,
                }
            }
        })
    }
}

/// Why sending the body stopped.
enum SendError {
    /// The socket failed (the server may still have answered).
    Net(io::Error),
    /// The local source failed.
    Local(Failure),
}

/// The socket and its receive buffer: bytes `start..end` are received and not yet consumed.
struct Conn {
    stream: TcpStream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Bytes consumed by the parser so far, over the whole response.
    consumed_total: u64,
    /// The socket's read timeout as last set.
    read_timeout: Duration,
}

impl Conn {
    /// [`fill`](Conn::fill), giving up after `wait` without a byte.
    fn fill_within(&mut self, wait: Duration) -> io::Result<usize> {
        if wait != self.read_timeout {
            self.stream.set_read_timeout(Some(wait))?;
            self.read_timeout = wait;
        }
        self.fill()
    }

    fn fill(&mut self) -> io::Result<usize> {
        if self.start == self.end {
            self.start = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let len = self.buf.len();
                self.buf.resize(len * 2, 0);
            }
        }
        let n = loop {
            match self.stream.read(&mut self.buf[self.end..]) {
                // A signal (Ctrl-C is handled on another thread) is not a failure.
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                r => break r?,
            }
        };
        self.end += n;
        if n == 0 {
            self.eof = true;
        }
        Ok(n)
    }
}

/// A response parser for a request with `method`.
fn parser_for(method: Method<'_>) -> ResponseParser {
    let limits = Limits {
        // The client streams the body to its output; it never holds it, so no cap.
        max_body: u64::MAX,
        ..Limits::default()
    };
    ResponseParser::new(limits, method)
}

/// The request body still to send, and what became of sending it.
struct Upload {
    body: OpenBody,
    /// Set while the body waits for `100 Continue`: when to send it anyway.
    wait_until: Option<Instant>,
    /// When the request (head, and body once sent) was last done sending: the final
    /// response head is due within `--timeout` of it.
    sent_at: Instant,
    /// Sending failed on the socket: reported if no response explains it.
    error: Option<io::Error>,
}

impl Upload {
    fn send(&mut self, stream: &mut TcpStream) -> Result<(), Failure> {
        self.wait_until = None;
        let sent = send_body(stream, &mut self.body);
        self.sent_at = Instant::now();
        match sent {
            Ok(()) => Ok(()),
            Err(SendError::Local(f)) => Err(f),
            Err(SendError::Net(e)) => {
                self.error = Some(e);
                Ok(())
            }
        }
    }

    /// The send error, as the failure to report, when there is no final response.
    fn take_failure(&mut self, timeout_secs: f64) -> Option<Failure> {
        let e = self.error.take()?;
        Some(Failure::socket(
            &e,
            "sending the request body",
            timeout_secs,
        ))
    }
}

/// What the loop does after an event.
enum Next {
    Go,
    Read,
    SendBody,
    Done,
    Redirect(String),
    StdoutClosed,
}

/// What has been received of the response so far, and where its body goes.
struct Reception<'c> {
    cfg: &'c Config,
    may_redirect: bool,
    sink: Option<Sink>,
    status: Option<u16>,
    framing: Framing,
    seen_head: bool,
    /// Interim (1xx) heads so far: bounded, so that a server cannot stall the client
    /// forever with them while each one counts as progress.
    interim: u32,
}

/// The most interim responses accepted before the final one.
const MAX_INTERIM: u32 = 32;

impl Reception<'_> {
    fn on_event(
        &mut self,
        event: Event<'_, ResponseHead<'_>>,
        upload: &mut Upload,
    ) -> Result<Next, Failure> {
        let cfg = self.cfg;
        Ok(match event {
            Event::NeedMore => Next::Read,
            Event::Head(h) => return self.on_head(&h, upload),
            Event::ChunkHeader { size, extensions } => {
                if cfg.trace {
                    let ext = if extensions.is_empty() {
                        String::new()
                    } else {
                        format!(", extensions {}", show::sanitize(extensions))
                    };
                    let what = if size == 0 { "last chunk" } else { "chunk" };
                    show::eprint_lines("* ", [format!("{what}: {size} bytes{ext}")]);
                }
                Next::Go
            }
            Event::Data(data) => {
                if cfg.trace {
                    show::eprint_lines("* ", [format!("data: {} bytes", data.len())]);
                }
                match self.sink.as_mut().map(|s| s.write_body(data)) {
                    None | Some(Ok(())) => Next::Go,
                    Some(Err(WriteFailure::Closed(_))) => Next::StdoutClosed,
                    Some(Err(WriteFailure::Failed(f))) => return Err(f),
                }
            }
            Event::Trailers(fields) => {
                if cfg.trace {
                    show::eprint_lines("* ", show::trace_fields("trailer", &fields));
                }
                if cfg.verbose {
                    let lines = fields
                        .iter()
                        .map(|f| format!("{}: {}", f.name, show::sanitize(f.value)));
                    show::eprint_lines("< ", lines);
                }
                Next::Go
            }
            Event::End if self.status.is_some() => {
                if cfg.trace {
                    show::eprint_lines("* ", ["end of response"]);
                }
                Next::Done
            }
            // The parser only pauses after End, which ends the exchange.
            Event::End | Event::Paused => {
                return Err(Failure::protocol(
                    "the response ended before its final head",
                ))
            }
        })
    }

    fn on_head(&mut self, h: &ResponseHead<'_>, upload: &mut Upload) -> Result<Next, Failure> {
        let cfg = self.cfg;
        self.seen_head = true;
        if cfg.verbose {
            show::eprint_lines("< ", show::head_lines(h.raw()));
        }
        if cfg.trace {
            show::eprint_lines("* ", show::trace_head(h));
        }
        if h.is_interim() {
            self.interim += 1;
            if self.interim > MAX_INTERIM {
                return Err(Failure::protocol(format!(
                    "more than {MAX_INTERIM} interim responses before the final one"
                )));
            }
            let send = h.status() == 100 && upload.wait_until.is_some();
            return Ok(if send { Next::SendBody } else { Next::Go });
        }
        self.status = Some(h.status());
        self.framing = h.framing();
        // RFC 9110 §10.1.1: a final status before 100 Continue means the body is not wanted.
        if upload.wait_until.take().is_some() && cfg.verbose {
            show::eprint_lines(
                "* ",
                ["the server answered before the body was sent: not sending it"],
            );
        }
        if self.may_redirect && matches!(h.status(), 301 | 302 | 303 | 307 | 308) {
            if let Some(location) = h.header("location") {
                return Ok(Next::Redirect(
                    String::from_utf8_lossy(location).into_owned(),
                ));
            }
        }
        let total = match h.framing() {
            Framing::Length(n) => Some(n),
            _ => None,
        };
        let sink = self
            .sink
            .insert(Sink::open(&cfg.output, total, cfg.progress && !cfg.trace)?);
        if cfg.include {
            match sink.write_head(h.raw()) {
                Ok(()) => {}
                Err(WriteFailure::Closed(_)) => return Ok(Next::StdoutClosed),
                Err(WriteFailure::Failed(f)) => return Err(f),
            }
        }
        Ok(Next::Go)
    }

    /// The parser failed: the failure to report.
    fn parse_failure(&self, e: ParseError, conn: &Conn, upload: &mut Upload) -> Failure {
        let timeout_secs = self.cfg.timeout.as_secs_f64();
        if self.status.is_none() {
            if let Some(f) = upload.take_failure(timeout_secs) {
                return f;
            }
            if e == ParseError::UnexpectedEof && !self.seen_head && conn.start == conn.end {
                return Failure::protocol("the server closed the connection without a response");
            }
        }
        if e == ParseError::UnexpectedEof {
            let got = self.sink.as_ref().map_or(0, Sink::written);
            return Failure::protocol(match self.framing {
                Framing::Length(n) => format!(
                    "the connection closed after {got} of {n} body bytes: the response is truncated"
                ),
                Framing::Chunked => format!(
                    "the connection closed inside the chunked body after {got} bytes: \
                     the response is truncated"
                ),
                _ => "the connection closed before the response was complete".to_string(),
            });
        }
        Failure::protocol(format!("malformed response: {e}"))
    }

    /// A socket read failed: the failure to report.
    fn read_failure(&self, e: &io::Error, upload: &mut Upload) -> Failure {
        let timeout_secs = self.cfg.timeout.as_secs_f64();
        if self.status.is_none() {
            if let Some(f) = upload.take_failure(timeout_secs) {
                return f;
            }
        }
        let doing = if self.status.is_some() {
            "reading the response body"
        } else {
            "waiting for the response"
        };
        Failure::socket(e, doing, timeout_secs)
    }
}

/// Writes the request head for `method` to `url`; also says whether it asks for
/// `100 Continue`.
fn request_head(
    cfg: &Config,
    url: &Url,
    method: Method<'_>,
    body: &OpenBody,
) -> Result<(Vec<u8>, bool), Failure> {
    let (len, chunked) = match body {
        OpenBody::None => (None, false),
        OpenBody::File { len, .. } => (Some(*len), false),
        OpenBody::Stdin => (None, true),
    };
    let fields = cfg.request_fields(url, len, chunked);
    if cfg.verbose && !fields.withheld.is_empty() {
        show::eprint_lines(
            "* ",
            [format!(
                "not sending {} to {}: another host or port than the first URL's \
                 (--location-trusted sends them)",
                fields.withheld.join(", "),
                url.host_field()
            )],
        );
    }
    let refs: Vec<(&str, &str)> = fields
        .list
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let mut head = Vec::with_capacity(512);
    write_request_head(&mut head, method, &url.target, &refs)
        .map_err(|e| Failure::usage(format!("cannot write the request: {e}")))?;
    Ok((head, fields.expect))
}

/// Sends one request to `url` and handles its response.
pub fn exchange(
    cfg: &Config,
    url: &Url,
    method: &str,
    body: &BodySource,
    may_redirect: bool,
) -> Result<Outcome, Failure> {
    let method = Method::from_token(method);
    let body = OpenBody::open(body)?;
    let (head, expect) = request_head(cfg, url, method, &body)?;
    let stream = super::connect::connect(url, cfg.connect_timeout, cfg.timeout, cfg.verbose)?;
    if cfg.verbose {
        show::eprint_lines("> ", show::head_lines(&head));
    }
    let mut conn = Conn {
        stream,
        buf: vec![0; READ_BUFFER],
        start: 0,
        end: 0,
        eof: false,
        consumed_total: 0,
        read_timeout: cfg.timeout,
    };
    conn.stream
        .write_all(&head)
        .map_err(|e| Failure::socket(&e, "sending the request", cfg.timeout.as_secs_f64()))?;

    let mut upload = Upload {
        body,
        wait_until: None,
        sent_at: Instant::now(),
        error: None,
    };
    if !matches!(upload.body, OpenBody::None) {
        if expect {
            upload.wait_until = Some(Instant::now() + CONTINUE_WAIT);
        } else {
            upload.send(&mut conn.stream)?;
        }
    }

    let mut parser = parser_for(method);
    let mut rx = Reception {
        cfg,
        may_redirect,
        sink: None,
        status: None,
        framing: Framing::None,
        seen_head: false,
        interim: 0,
    };
    loop {
        let slice = &conn.buf[conn.start..conn.end];
        let step = if conn.eof {
            parser.handle_eof(slice)
        } else {
            parser.handle_bytes(slice)
        };
        let next = match step {
            Ok(step) if conn.eof && matches!(step.event, Event::NeedMore) => {
                Err(ParseError::UnexpectedEof)
            }
            Ok(step) => {
                let consumed = step.consumed;
                let next = rx.on_event(step.event, &mut upload)?;
                conn.start += consumed;
                conn.consumed_total += consumed as u64;
                Ok(next)
            }
            Err(e) => Err(e),
        };
        let next = match next {
            Ok(next) => next,
            Err(e) => {
                if cfg.trace {
                    let at = parser.error_offset().map_or(String::new(), |off| {
                        format!(
                            " at byte {} of the response",
                            conn.consumed_total + off as u64
                        )
                    });
                    show::eprint_lines("* ", [format!("parse error{at}: {e}")]);
                }
                return Err(rx.parse_failure(e, &conn, &mut upload));
            }
        };
        match next {
            Next::Go => {}
            Next::Read => {
                // Each read may wait --timeout for a byte, but no longer than the wait for
                // 100 Continue, and the final head must arrive whole within --timeout of the
                // request: a server that sends its head a byte at a time cannot stretch it.
                let now = Instant::now();
                let head_due = rx.status.is_none().then(|| upload.sent_at + cfg.timeout);
                let mut wait = (cfg.timeout, Wait::Progress);
                for (due, why) in [(head_due, Wait::Head), (upload.wait_until, Wait::Continue)] {
                    if let Some(left) = due.map(|d| d.saturating_duration_since(now)) {
                        if left <= wait.0 {
                            wait = (left, why);
                        }
                    }
                }
                let read = if wait.0.is_zero() {
                    Err(io::ErrorKind::TimedOut.into())
                } else {
                    conn.fill_within(wait.0)
                };
                match read {
                    Ok(_) => {}
                    Err(e) if is_timeout(&e) && wait.1 == Wait::Continue => {
                        if cfg.verbose {
                            show::eprint_lines("* ", ["no 100 Continue yet: sending the body"]);
                        }
                        upload.send(&mut conn.stream)?;
                    }
                    Err(e) if is_timeout(&e) && wait.1 == Wait::Head => {
                        if let Some(f) = upload.take_failure(cfg.timeout.as_secs_f64()) {
                            return Err(f);
                        }
                        return Err(Failure::network(format!(
                            "timed out waiting for the response head: it did not arrive \
                             within {} s (--timeout)",
                            cfg.timeout.as_secs_f64()
                        )));
                    }
                    Err(e) => return Err(rx.read_failure(&e, &mut upload)),
                }
            }
            Next::SendBody => upload.send(&mut conn.stream)?,
            Next::Done => {
                let status = rx.status.unwrap_or(0);
                return match rx.sink.take().map(Sink::finish) {
                    None | Some(Ok(())) => Ok(Outcome::Final { status }),
                    Some(Err(WriteFailure::Closed(_))) => Ok(Outcome::StdoutClosed { status }),
                    Some(Err(WriteFailure::Failed(f))) => Err(f),
                };
            }
            Next::Redirect(location) => {
                return Ok(Outcome::Redirect {
                    status: rx.status.unwrap_or(0),
                    location,
                })
            }
            Next::StdoutClosed => {
                return Ok(Outcome::StdoutClosed {
                    status: rx.status.unwrap_or(0),
                })
            }
        }
    }
}

/// What a read's time limit comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wait {
    /// `--timeout` without a byte.
    Progress,
    /// The final response head is due.
    Head,
    /// Time to send the body without `100 Continue`.
    Continue,
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Sends the whole body: a file as it is (Content-Length), stdin as chunks.
fn send_body(stream: &mut TcpStream, body: &mut OpenBody) -> Result<(), SendError> {
    match body {
        OpenBody::None => Ok(()),
        OpenBody::File { file, len, name } => {
            // std::io::copy uses sendfile/splice for a file into a socket where it can.
            let sent =
                io::copy(&mut Read::take(&mut *file, *len), stream).map_err(SendError::Net)?;
            if sent < *len {
                return Err(SendError::Local(Failure::local(format!(
                    "{name} shrank while it was sent ({sent} of {len} bytes)"
                ))));
            }
            Ok(())
        }
        OpenBody::Stdin => {
            let mut input = io::stdin().lock();
            let mut buf = vec![0u8; STDIN_CHUNK];
            let mut out = Vec::with_capacity(STDIN_CHUNK + 32);
            loop {
                let n = match input.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => {
                        return Err(SendError::Local(Failure::local(format!(
                            "reading stdin: {e}"
                        ))))
                    }
                };
                out.clear();
                write_chunk(&mut out, &buf[..n]);
                stream.write_all(&out).map_err(SendError::Net)?;
            }
            out.clear();
            write_last_chunk(&mut out, &[]).map_err(|e| {
                SendError::Local(Failure::usage(format!("cannot end the chunked body: {e}")))
            })?;
            stream.write_all(&out).map_err(SendError::Net)
        }
    }
}
