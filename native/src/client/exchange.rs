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
use super::error::{Exit, Failure};
use super::output::{Sink, WriteFailure};
use super::show;
use super::url::Url;
use simplehttp_core::write::{write_chunk, write_last_chunk, write_request_head};
use simplehttp_core::{Event, Framing, Limits, Method, ParseError, ResponseParser};
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
}

impl Conn {
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

/// Sends one request to `url` and handles its response.
pub fn exchange(
    cfg: &Config,
    url: &Url,
    method: &str,
    body: &BodySource,
    may_redirect: bool,
) -> Result<Outcome, Failure> {
    let mut body = OpenBody::open(body)?;
    let (len, chunked) = match &body {
        OpenBody::None => (None, false),
        OpenBody::File { len, .. } => (Some(*len), false),
        OpenBody::Stdin => (None, true),
    };
    let fields = cfg.request_fields(url, len, chunked);
    let field_refs: Vec<(&str, &str)> = fields
        .list
        .iter()
        .map(|(n, v)| (n.as_str(), v.as_str()))
        .collect();
    let method_token = Method::from_token(method);
    let mut head = Vec::with_capacity(512);
    write_request_head(&mut head, method_token, &url.target, &field_refs)
        .map_err(|e| Failure::usage(format!("cannot write the request: {e:?}")))?;

    let stream = super::connect::connect(url, cfg.connect_timeout, cfg.timeout, cfg.verbose)?;
    if cfg.verbose {
        show::eprint_lines("> ", show::head_lines(&head));
    }
    let timeout_secs = cfg.timeout.as_secs_f64();
    let mut conn = Conn {
        stream,
        buf: vec![0; READ_BUFFER],
        start: 0,
        end: 0,
        eof: false,
    };
    conn.stream
        .write_all(&head)
        .map_err(|e| Failure::socket(&e, "sending the request", timeout_secs))?;

    // The body still to send, and until when to wait for 100 Continue before sending it.
    let mut pending: Option<Instant> = None;
    let mut send_error: Option<io::Error> = None;
    match (&body, fields.expect) {
        (OpenBody::None, _) => {}
        (_, true) => pending = Some(Instant::now() + CONTINUE_WAIT),
        (_, false) => match send_body(&mut conn.stream, &mut body) {
            Ok(()) => {}
            Err(SendError::Local(f)) => return Err(f),
            Err(SendError::Net(e)) => send_error = Some(e),
        },
    }

    let mut parser = parser_for(method_token);
    let mut sink: Option<Sink> = None;
    let mut status: Option<u16> = None;
    let mut framing = Framing::None;
    let mut seen_head = false;

    enum Next {
        Go,
        Read,
        SendBody,
        Done,
        Redirect(String),
        Closed,
    }

    loop {
        let slice = &conn.buf[conn.start..conn.end];
        let step = if conn.eof {
            parser.handle_eof(slice)
        } else {
            parser.handle_bytes(slice)
        };
        let step = match step {
            Ok(step) => step,
            Err(e) => {
                if status.is_none() {
                    if let Some(e) = send_error.take() {
                        return Err(Failure::socket(
                            &e,
                            "sending the request body",
                            timeout_secs,
                        ));
                    }
                    if e == ParseError::UnexpectedEof && !seen_head && conn.start == conn.end {
                        return Err(Failure::protocol(
                            "the server closed the connection without a response",
                        ));
                    }
                }
                return Err(parse_failure(e, framing, sink.as_ref()));
            }
        };
        let consumed = step.consumed;
        let next = match step.event {
            Event::NeedMore if conn.eof => {
                return Err(parse_failure(
                    ParseError::UnexpectedEof,
                    framing,
                    sink.as_ref(),
                ))
            }
            Event::NeedMore => Next::Read,
            Event::Head(h) => {
                seen_head = true;
                if cfg.verbose {
                    show::eprint_lines("< ", show::head_lines(h.raw()));
                }
                if cfg.trace {
                    show::eprint_lines("* ", show::trace_head(&h));
                }
                if h.is_interim() {
                    if h.status() == 100 && pending.is_some() {
                        Next::SendBody
                    } else {
                        Next::Go
                    }
                } else {
                    status = Some(h.status());
                    framing = h.framing();
                    if pending.take().is_some() && cfg.verbose {
                        show::eprint_lines(
                            "* ",
                            ["the server answered before the body was sent: not sending it"],
                        );
                    }
                    let location = h.header("location").map(|v| String::from_utf8_lossy(v));
                    match location {
                        Some(loc)
                            if may_redirect
                                && matches!(h.status(), 301 | 302 | 303 | 307 | 308) =>
                        {
                            Next::Redirect(loc.into_owned())
                        }
                        _ => {
                            let total = match h.framing() {
                                Framing::Length(n) => Some(n),
                                _ => None,
                            };
                            let mut s = Sink::open(&cfg.output, total, cfg.progress && !cfg.trace)?;
                            let r = if cfg.include {
                                s.write_head(h.raw())
                            } else {
                                Ok(())
                            };
                            sink = Some(s);
                            match r {
                                Ok(()) => Next::Go,
                                Err(WriteFailure::Closed(_)) => Next::Closed,
                                Err(WriteFailure::Failed(f)) => return Err(f),
                            }
                        }
                    }
                }
            }
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
                match sink.as_mut().map(|s| s.write_body(data)) {
                    None | Some(Ok(())) => Next::Go,
                    Some(Err(WriteFailure::Closed(_))) => Next::Closed,
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
            Event::End | Event::Paused if status.is_some() => {
                if cfg.trace {
                    show::eprint_lines("* ", ["end of response"]);
                }
                Next::Done
            }
            Event::End => Next::Go,
            Event::Paused => {
                // Only after End, which ends the loop; never before a final head.
                return Err(Failure::protocol(
                    "the response ended before its final head",
                ));
            }
        };
        conn.start += consumed;
        match next {
            Next::Go => {}
            Next::Read => {
                if let Some(deadline) = pending {
                    let left = deadline.saturating_duration_since(Instant::now());
                    let waited = if left.is_zero() {
                        Err(io::ErrorKind::TimedOut.into())
                    } else {
                        let _ = conn.stream.set_read_timeout(Some(left));
                        let r = conn.fill();
                        let _ = conn.stream.set_read_timeout(Some(cfg.timeout));
                        r
                    };
                    match waited {
                        Ok(_) => {}
                        Err(e) if is_timeout(&e) => {
                            pending = None;
                            if cfg.verbose {
                                show::eprint_lines("* ", ["no 100 Continue yet: sending the body"]);
                            }
                            send_now(&mut conn.stream, &mut body, &mut send_error)?;
                        }
                        Err(e) => return Err(read_failure(&e, status, timeout_secs)),
                    }
                } else if let Err(e) = conn.fill() {
                    if let Some(se) = send_error.take().filter(|_| status.is_none()) {
                        return Err(Failure::socket(
                            &se,
                            "sending the request body",
                            timeout_secs,
                        ));
                    }
                    return Err(read_failure(&e, status, timeout_secs));
                }
            }
            Next::SendBody => {
                pending = None;
                send_now(&mut conn.stream, &mut body, &mut send_error)?;
            }
            Next::Done => {
                let status = status.unwrap_or(0);
                return match sink.map(Sink::finish) {
                    None | Some(Ok(())) => Ok(Outcome::Final { status }),
                    Some(Err(WriteFailure::Closed(_))) => Ok(Outcome::StdoutClosed { status }),
                    Some(Err(WriteFailure::Failed(f))) => Err(f),
                };
            }
            Next::Redirect(location) => {
                return Ok(Outcome::Redirect {
                    status: status.unwrap_or(0),
                    location,
                })
            }
            Next::Closed => {
                return Ok(Outcome::StdoutClosed {
                    status: status.unwrap_or(0),
                })
            }
        }
    }
}

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

fn send_now(
    stream: &mut TcpStream,
    body: &mut OpenBody,
    send_error: &mut Option<io::Error>,
) -> Result<(), Failure> {
    match send_body(stream, body) {
        Ok(()) => Ok(()),
        Err(SendError::Local(f)) => Err(f),
        Err(SendError::Net(e)) => {
            *send_error = Some(e);
            Ok(())
        }
    }
}

fn read_failure(e: &io::Error, status: Option<u16>, timeout_secs: f64) -> Failure {
    let doing = if status.is_some() {
        "reading the response body"
    } else {
        "waiting for the response"
    };
    Failure::socket(e, doing, timeout_secs)
}

fn parse_failure(e: ParseError, framing: Framing, sink: Option<&Sink>) -> Failure {
    if e == ParseError::UnexpectedEof {
        let got = sink.map_or(0, Sink::written);
        return Failure::protocol(match framing {
            Framing::Length(n) => format!(
                "the connection closed after {got} of {n} body bytes: the response is truncated"
            ),
            Framing::Chunked => format!(
                "the connection closed inside the chunked body after {got} bytes: the response is truncated"
            ),
            _ => "the connection closed before the response was complete".to_string(),
        });
    }
    Failure::protocol(format!("malformed response: {e}"))
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
            write_last_chunk(&mut out, &[])
                .map_err(|e| SendError::Local(Failure::usage(format!("{e:?}"))))?;
            stream.write_all(&out).map_err(SendError::Net)
        }
    }
}

/// The exit code of a final status.
pub fn exit_for(status: u16) -> Exit {
    Exit::for_status(status)
}
