//! One request and its response over one connection: the client's only loop.
//!
//! The core's [`ClientConnection`] owns the protocol: it writes the request head and frames
//! the body, reads the response, says when the body of an `Expect: 100-continue` request
//! may go and whether a final status withheld it, and offers redirects. This module moves
//! bytes between the socket, the upload source and the [`Sink`], keeps the time (the wait
//! for `100 Continue`, `--timeout`), and turns events into output. For `https://`,
//! connecting ends with the TLS handshake, and the [`tls::Stream`] between the socket and
//! the engine encrypts and decrypts.
//!
//! ```text
//!  send_request ─► connect ─► write head ─┬─ body_state() Send ─► send the body ─► read
//!                                         └─ body_state() Wait ─► read, ≤ 1 s:
//!                                              100 ──────────────────► Send ─► send the body
//!                                              silence: handle_timeout ► Send ─► send the body
//!                                              a final head ─────────► Withheld: not sent
//!  read: Interim (shown) ─► Head ─┬─ -L and redirect(): Outcome::Redirect, body unread
//!                                 └─ Data… ─► End ─► rename the output into place
//! ```

use super::body_data;
use super::config::{BodySource, Config, Output, USER_AGENT};
use super::error::Failure;
use super::output::{Sink, SpliceFailure, WriteFailure};
use super::proxy::{self, Proxy};
use super::resume::{self, Ask, Plan, Resume};
use super::show;
use super::tls::{self, Stream};
use super::url::{Scheme, Url};
use super::writeout::{self, Mark};
use simplehttp_core::client::{BodyState, ClientConnection, Event, Request, RequestBody, Reuse};
use simplehttp_core::{ClientError, Framing, Limits, Method, ParseError, ResponseHead};
use std::fs::File;
use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

/// How long to wait for `100 Continue` before sending the body anyway (RFC 9110 §10.1.1).
const CONTINUE_WAIT: Duration = Duration::from_secs(1);

/// The socket read buffer: large, so a download takes few system calls.
const READ_BUFFER: usize = 256 * 1024;

/// How much of the request body is read, framed and written at a time.
const BODY_CHUNK: usize = 64 * 1024;

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
        /// The next request's method (RFC 9110 §15.4, as the core says).
        method: String,
        /// Whether the next request sends the same body again.
        resend_body: bool,
    },
    /// The reader of stdout went away while the body was written.
    StdoutClosed {
        /// The status code.
        status: u16,
    },
    /// A 416 said the partial download was complete already (`-C -`): nothing written.
    Complete,
    /// A status worth trying again (`--retry`); its body was not read.
    Retry {
        /// The status code.
        status: u16,
        /// The Retry-After value, as sent.
        retry_after: Option<String>,
    },
}

/// What one attempt asks beyond the configured request.
#[derive(Debug, Default)]
pub struct Attempt<'a> {
    /// Where a partial download lives (an `-o`/`-O` file with `-C -` or `--retry`).
    pub resume: Option<&'a Resume>,
    /// The range asked for: the rest of the partial download.
    pub ask: Option<Ask>,
    /// Another try follows a retryable status: give it back ([`Outcome::Retry`]) unread.
    pub retry_status: bool,
}

/// What the final head says that the shell acts on, copied out of the receive buffer.
#[derive(Debug, Default)]
struct HeadFacts {
    content_range: Option<String>,
    validator: Option<String>,
    retry_after: Option<String>,
}

/// The request body, opened.
enum OpenBody {
    None,
    File {
        file: File,
        len: u64,
        name: String,
    },
    Stdin,
    /// `-d`, `--json`, `-F`: pieces, and the fields they imply (Content-Type, Accept).
    Data {
        payload: body_data::OpenPayload,
        fields: Vec<(&'static str, String)>,
    },
}

impl OpenBody {
    /// How the body is framed: a file by its length, stdin in chunks.
    fn framing(&self) -> RequestBody {
        match self {
            OpenBody::None => RequestBody::None,
            OpenBody::File { len, .. } => RequestBody::Length(*len),
            OpenBody::Stdin => RequestBody::Chunked,
            OpenBody::Data { payload, .. } => match payload.len {
                Some(n) => RequestBody::Length(n),
                None => RequestBody::Chunked,
            },
        }
    }

    fn open(source: &BodySource) -> Result<OpenBody, Failure> {
        Ok(match source {
            BodySource::None => OpenBody::None,
            BodySource::Stdin => OpenBody::Stdin,
            BodySource::Form { parts, media_type } => {
                let (payload, content_type) = super::multipart::open(parts, media_type)?;
                OpenBody::Data {
                    payload,
                    fields: vec![("Content-Type", content_type)],
                }
            }
            BodySource::Data(p) => {
                let mut fields = vec![("Content-Type", p.content_type.clone())];
                fields.extend(p.accept.map(|a| ("Accept", a.to_string())));
                OpenBody::Data {
                    payload: body_data::open(&p.pieces)?,
                    fields,
                }
            }
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
struct Socket {
    stream: Stream,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    eof: bool,
    /// Bytes consumed by the engine so far, over the whole response.
    consumed_total: u64,
    /// The socket's read timeout as last set.
    read_timeout: Duration,
}

impl Socket {
    /// Whether an idle kept-alive connection is still open: nothing to read yet (the server
    /// did not close it, nor send what no request asked for).
    fn is_idle_open(&self) -> bool {
        self.start == self.end && !self.stream.holds_received() && !self.has_bytes_now()
    }

    /// Whether a read would return at once: bytes (or the end, or an error) are waiting on
    /// the socket. Under TLS, decrypted bytes may be waiting in rustls too; this does not
    /// see them. One peek that does not wait, rather than switching the socket to
    /// non-blocking and back (three system calls).
    fn has_bytes_now(&self) -> bool {
        use rustix::net::{recv, RecvFlags};
        let mut probe = [0u8; 1];
        let peeked = recv(
            self.stream.tcp(),
            &mut probe[..],
            RecvFlags::PEEK | RecvFlags::DONTWAIT,
        );
        !matches!(peeked, Err(e) if e == rustix::io::Errno::AGAIN)
    }

    /// Hands the bytes received and not yet consumed to the engine (and the end of the
    /// stream, once the server closed it).
    fn feed<'a>(
        &'a self,
        conn: &'a mut ClientConnection,
    ) -> Result<simplehttp_core::client::Step<'a>, ClientError> {
        let slice = &self.buf[self.start..self.end];
        if self.eof {
            conn.handle_eof(slice)
        } else {
            conn.handle_bytes(slice)
        }
    }

    /// [`fill`](Socket::fill), giving up after `wait` without a byte.
    fn fill_within(&mut self, wait: Duration) -> io::Result<usize> {
        self.set_wait(wait)?;
        self.fill()
    }

    /// Makes each read give up after `wait` without a byte.
    fn set_wait(&mut self, wait: Duration) -> io::Result<()> {
        if wait != self.read_timeout {
            self.stream.tcp().set_read_timeout(Some(wait))?;
            self.read_timeout = wait;
        }
        Ok(())
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

/// Most bytes of a response head (status line, fields, blank line): 100 KiB, the header
/// section curl accepts. Servers behind big cookie jars or long CSP lists send far more
/// than the server side's 64 KiB request heads; past this the response is refused (exit 7).
pub const MAX_RESPONSE_HEAD: usize = 100 * 1024;

/// The connection engine for one exchange.
fn engine() -> ClientConnection {
    ClientConnection::new(Limits {
        // The client streams the body to its output; it never holds it, so no cap.
        max_body: u64::MAX,
        max_head_bytes: MAX_RESPONSE_HEAD,
        // Bounded by bytes, not by a count: the shortest field line ("a:" CRLF) is 4 bytes.
        max_headers: MAX_RESPONSE_HEAD / 4,
        ..Limits::default()
    })
}

/// The request body still to send, and what became of sending it.
struct Upload {
    body: OpenBody,
    /// Set while the body waits for `100 Continue`: when to send it anyway.
    wait_until: Option<Instant>,
    /// Sending was tried (it happens once).
    tried: bool,
    /// When the request (head, and body once sent) was last done sending: the final
    /// response head is due within `--timeout` of it.
    sent_at: Instant,
    /// Sending failed on the socket: reported if no response explains it.
    error: Option<io::Error>,
}

impl Upload {
    /// Sends the body if the engine says it is due and it was not tried yet.
    fn send_if_due(
        &mut self,
        conn: &mut ClientConnection,
        stream: &mut Stream,
    ) -> Result<(), Failure> {
        if conn.body_state() != BodyState::Wait {
            self.wait_until = None;
        }
        if self.tried || conn.body_state() != BodyState::Send {
            return Ok(());
        }
        self.tried = true;
        let sent = send_body(stream, &mut self.body, conn);
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
    /// The final head arrived: a redirect to offer, or the body to receive.
    Final,
    Done,
    StdoutClosed,
}

/// What has been received of the response so far, and where its body goes.
struct Reception<'c> {
    cfg: &'c Config,
    attempt: &'c Attempt<'c>,
    sink: Option<Sink>,
    status: Option<u16>,
    framing: Framing,
    facts: HeadFacts,
    /// The final head's Content-Disposition, for `-J`.
    disposition: Option<Vec<u8>>,
}

impl Reception<'_> {
    fn on_event(&mut self, event: Event<'_>) -> Result<Next, Failure> {
        let cfg = self.cfg;
        Ok(match event {
            Event::NeedMore => Next::Read,
            Event::Interim(h) => {
                self.show_head(&h);
                Next::Go
            }
            Event::Head(h) => {
                self.show_head(&h);
                writeout::record(|s| {
                    s.http_code = Some(h.status());
                    s.size_header = h.raw().len() as u64;
                    s.content_type = h.header("content-type").map(show::sanitize);
                });
                self.status = Some(h.status());
                self.framing = h.framing();
                self.facts = HeadFacts {
                    content_range: h.header_str("content-range").map(str::to_string),
                    validator: resume::validator(
                        h.header_str("etag"),
                        h.header_str("last-modified"),
                    ),
                    retry_after: h.header_str("retry-after").map(str::to_string),
                };
                self.disposition = h.header("content-disposition").map(<[u8]>::to_vec);
                Next::Final
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
                let so_far = self.sink.as_ref().map_or(0, Sink::written);
                check_max_filesize(cfg, so_far + data.len() as u64, false)?;
                if self.sink.as_ref().is_some_and(Sink::in_place) && !data.is_empty() {
                    ON_STDOUT.with(|w| w.set(true));
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
            Event::End => {
                if cfg.trace {
                    show::eprint_lines("* ", ["end of response"]);
                }
                Next::Done
            }
            // Only between exchanges, and this loop reads only during one.
            Event::Closed => {
                return Err(Failure::protocol(
                    ClientError::ClosedWithoutResponse.to_string(),
                ))
            }
        })
    }

    fn show_head(&self, h: &ResponseHead<'_>) {
        if self.cfg.verbose {
            show::eprint_lines("< ", show::head_lines(h.raw()));
        }
        if self.cfg.trace {
            show::eprint_lines("* ", show::trace_head(h));
        }
    }

    /// Opens the output for the final response's body, with the head first for `-i`; or
    /// says the exchange ends here (a status to retry, a download complete already).
    fn open_sink(&mut self, head: &[u8]) -> Result<Result<Next, Outcome>, Failure> {
        let cfg = self.cfg;
        let status = self.status.unwrap_or(0);
        if self.attempt.retry_status && super::retry::is_retryable_status(status) {
            return Ok(Err(Outcome::Retry {
                status,
                retry_after: self.facts.retry_after.take(),
            }));
        }
        let total = match self.framing {
            Framing::Length(n) => Some(n),
            _ => None,
        };
        // -J: the name from Content-Disposition, made safe (a resumed download keeps its own).
        let output = match &cfg.output {
            Output::File(url_name) if cfg.remote_header_name => {
                super::disposition::output(self.disposition.as_deref(), url_name, cfg)?
            }
            other => other.clone(),
        };
        let plan = match (self.attempt.resume, &cfg.output) {
            (Some(r), Output::File(_)) => r.plan(
                self.attempt.ask.as_ref(),
                status,
                self.facts.content_range.as_deref(),
                self.facts.validator.take(),
            )?,
            _ => Plan::Fresh(None),
        };
        let progress = cfg.progress && !cfg.trace;
        let sink = match plan {
            Plan::Complete => return Ok(Err(Outcome::Complete)),
            Plan::Append { part, offset, keep } => {
                if let Some(n) = total {
                    check_max_filesize(cfg, offset + n, true)?;
                }
                let dest = self
                    .attempt
                    .resume
                    .map(|r| r.dest.clone())
                    .unwrap_or_default();
                Sink::append(&part, &dest, offset, keep, total, progress)?
            }
            Plan::Fresh(keep) => {
                if let Some(n) = total {
                    check_max_filesize(cfg, n, true)?;
                }
                let mut sink = Sink::open(&output, total, progress)?;
                if let Some(keep) = keep {
                    sink.keep_on_failure(keep);
                }
                if cfg.remote_header_name && !cfg.clobber {
                    sink.never_replace();
                }
                sink
            }
        };
        let sink = self.sink.insert(sink);
        if cfg.include {
            match sink.write_head(head) {
                Ok(()) => {}
                Err(WriteFailure::Closed(_)) => return Ok(Ok(Next::StdoutClosed)),
                Err(WriteFailure::Failed(f)) => return Err(f),
            }
        }
        Ok(Ok(Next::Go))
    }

    /// The engine refused the response: the failure to report.
    fn engine_failure(&self, e: ClientError, upload: &mut Upload) -> Failure {
        if self.status.is_none() {
            if let Some(f) = upload.take_failure(self.cfg.timeout.as_secs_f64()) {
                return f;
            }
        }
        match e {
            ClientError::Malformed(ParseError::HeadTooLarge | ParseError::TooManyHeaders) => {
                Failure::protocol(format!(
                    "the response head is larger than {} KiB: refused",
                    MAX_RESPONSE_HEAD / 1024
                ))
            }
            // Cut short by the server: another try may get (the rest of) it.
            ClientError::ClosedInBody { .. }
            | ClientError::ClosedInHead
            | ClientError::ClosedWithoutResponse => Failure::protocol(e.to_string()).transient(),
            e => Failure::protocol(e.to_string()),
        }
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

/// Writes the request head for `method` to `url` into a new engine.
fn request_head(
    cfg: &Config,
    url: &Url,
    method: Method<'_>,
    body: &OpenBody,
    attempt: &Attempt<'_>,
    proxy: Option<&Proxy>,
    conn: &mut ClientConnection,
) -> Result<Vec<u8>, Failure> {
    let (len, implied) = match body {
        OpenBody::File { len, .. } => (Some(*len), &[][..]),
        OpenBody::Data { payload, fields } => (payload.len, &fields[..]),
        OpenBody::None | OpenBody::Stdin => (None, &[][..]),
    };
    let mut fields = cfg.request_fields_with(url, len, implied);
    if let Some(ask) = &attempt.ask {
        fields.list.extend(ask.fields());
    }
    // Through a proxy, a plain request names the whole URL and carries the proxy's
    // credentials (RFC 9112 §3.2.2, RFC 9110 §11.7.2); a tunnel's do not.
    let mut target = url.target.clone();
    if let (Some(p), Scheme::Http) = (proxy, url.scheme) {
        target = url.to_string();
        let given = fields
            .list
            .iter()
            .any(|(n, _)| n.eq_ignore_ascii_case("proxy-authorization"));
        if let (Some(a), false) = (&p.authorization, given) {
            fields.list.push(("Proxy-Authorization".into(), a.clone()));
        }
    }
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
    let mut request = Request::new(method, &target, &refs).with_body(body.framing());
    request.expect_continue = fields.expect;
    let mut head = Vec::with_capacity(512);
    conn.send_request(&request, &mut head)
        .map_err(|e| Failure::usage(format!("cannot write the request: {e}")))?;
    Ok(head)
}

/// Connections kept open after an exchange (keep-alive), for the next request to the same
/// place: one per scheme, host, port and proxy, at most [`MAX_IDLE`].
#[derive(Default)]
pub struct Pool {
    idle: Vec<(String, Socket, ClientConnection)>,
}

/// Most idle connections a [`Pool`] keeps; the oldest goes first.
const MAX_IDLE: usize = 4;

impl Pool {
    /// An idle connection to `key` that the server has not closed meanwhile.
    fn take(&mut self, key: &str) -> Option<(Socket, ClientConnection)> {
        let i = self.idle.iter().position(|(k, _, _)| k == key)?;
        let (_, socket, conn) = self.idle.remove(i);
        socket.is_idle_open().then_some((socket, conn))
    }

    fn put(&mut self, key: String, socket: Socket, conn: ClientConnection) {
        if self.idle.len() >= MAX_IDLE {
            self.idle.remove(0);
        }
        self.idle.push((key, socket, conn));
    }
}

/// Connects to `url` (through `proxy` if any), with TLS for `https://`.
fn open_socket(
    cfg: &Config,
    tls: &mut tls::Connector,
    url: &Url,
    proxy: Option<&Proxy>,
) -> Result<Socket, Failure> {
    let tls_config = match url.scheme {
        Scheme::Http => None,
        Scheme::Https => Some(tls.config(cfg.verbose)?),
    };
    let start = Instant::now();
    let tcp = match proxy {
        None => super::connect::connect(
            url,
            &cfg.resolve,
            cfg.connect_timeout,
            cfg.timeout,
            cfg.verbose,
        )?,
        Some(p) => {
            if cfg.verbose {
                show::eprint_lines("* ", [format!("through the proxy {}", p.name())]);
            }
            let tcp = super::connect::connect(
                &p.url,
                &cfg.resolve,
                cfg.connect_timeout,
                cfg.timeout,
                cfg.verbose,
            )
            .map_err(|f| proxy::unreachable(p, f))?;
            match url.scheme {
                Scheme::Http => tcp,
                Scheme::Https => proxy::tunnel(tcp, p, url, USER_AGENT, cfg.timeout, cfg.verbose)?,
            }
        }
    };
    let stream = match tls_config {
        None => Stream::Plain(tcp),
        Some(config) => tls::handshake(
            tcp,
            url,
            config,
            start + cfg.connect_timeout,
            cfg.timeout,
            cfg.verbose,
        )?,
    };
    if url.scheme == Scheme::Https {
        writeout::mark(Mark::AppConnect);
    }
    Ok(Socket {
        stream,
        buf: vec![0; READ_BUFFER],
        start: 0,
        end: 0,
        eof: false,
        consumed_total: 0,
        read_timeout: cfg.timeout,
    })
}

/// Sends one request to `url` and handles its response, on a connection from `pool` when
/// one is open to the same place; `tls` connects `https://` URLs.
#[allow(clippy::too_many_arguments)]
pub fn exchange(
    cfg: &Config,
    tls: &mut tls::Connector,
    pool: &mut Pool,
    url: &Url,
    method: &str,
    body: &BodySource,
    may_redirect: bool,
    attempt: &Attempt<'_>,
) -> Result<Outcome, Failure> {
    let method = Method::from_token(method);
    let body = OpenBody::open(body)?;
    let proxy = cfg.proxy.for_url(url);
    let key = format!(
        "{}://{}:{} {}",
        url.scheme.as_str(),
        url.host.to_ascii_lowercase(),
        url.port,
        proxy.map_or(String::new(), Proxy::name)
    );
    let bodiless = matches!(body, OpenBody::None);
    let (socket, conn, reused) = match pool.take(&key) {
        Some((mut socket, conn)) => {
            if cfg.verbose {
                show::eprint_lines(
                    "* ",
                    [format!("reusing the connection to {}", url.host_field())],
                );
            }
            socket.consumed_total = 0;
            (socket, conn, true)
        }
        None => (open_socket(cfg, tls, url, proxy)?, engine(), false),
    };
    let mut received = false;
    let on = Exchange {
        cfg,
        url,
        method,
        attempt,
        proxy,
        may_redirect,
    };
    let result = match on.run(pool, key.clone(), body, socket, conn, &mut received) {
        // A kept-alive connection the server closed just as the request went (RFC 9112
        // §9.3.1): nothing of a response came, so a request without a body goes again on a
        // new connection.
        Err(_) if reused && !received && bodiless => {
            if cfg.verbose {
                show::eprint_lines(
                    "* ",
                    ["the kept-alive connection was closed: connecting again"],
                );
            }
            let socket = open_socket(cfg, tls, url, proxy)?;
            on.run(pool, key, OpenBody::None, socket, engine(), &mut received)
        }
        r => r,
    };
    // Body bytes already on stdout (or a device) cannot be taken back: trying again would
    // write them twice.
    let written = ON_STDOUT.with(|w| w.replace(false));
    result.map_err(|f| {
        if written {
            Failure {
                transient: false,
                ..f
            }
        } else {
            f
        }
    })
}

thread_local! {
    /// Set once body bytes went to an output written in place (stdout, a device) during
    /// the current exchange.
    static ON_STDOUT: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One request on one connection: what does not change when it is sent again.
struct Exchange<'a> {
    cfg: &'a Config,
    url: &'a Url,
    method: Method<'a>,
    attempt: &'a Attempt<'a>,
    proxy: Option<&'a Proxy>,
    may_redirect: bool,
}

impl Exchange<'_> {
    /// Sends the request on `socket` and handles its response; sets `received` once any
    /// byte of a response arrived. A connection that can carry another request goes back
    /// to `pool` under `key`.
    fn run(
        &self,
        pool: &mut Pool,
        key: String,
        body: OpenBody,
        mut socket: Socket,
        mut conn: ClientConnection,
        received: &mut bool,
    ) -> Result<Outcome, Failure> {
        let Exchange {
            cfg,
            url,
            method,
            attempt,
            proxy,
            may_redirect,
        } = *self;
        let head = request_head(cfg, url, method, &body, attempt, proxy, &mut conn)?;
        writeout::mark(Mark::PreTransfer);
        if cfg.verbose {
            let lines = show::head_lines(&head);
            if proxy.is_some_and(|p| p.authorization.is_some()) {
                show::eprint_lines("> ", proxy::hide_credentials(lines));
            } else {
                show::eprint_lines("> ", lines);
            }
        }
        socket
            .stream
            .write_all(&head)
            .map_err(|e| Failure::socket(&e, "sending the request", cfg.timeout.as_secs_f64()))?;

        let mut upload = Upload {
            body,
            wait_until: None,
            tried: false,
            sent_at: Instant::now(),
            error: None,
        };
        if conn.body_state() == BodyState::Wait {
            upload.wait_until = Some(Instant::now() + CONTINUE_WAIT);
        }
        upload.send_if_due(&mut conn, &mut socket.stream)?;

        let mut rx = Reception {
            cfg,
            attempt,
            sink: None,
            status: None,
            framing: Framing::None,
            facts: HeadFacts::default(),
            disposition: None,
        };
        loop {
            let (consumed, next) = match socket.feed(&mut conn) {
                Ok(step) => (step.consumed, rx.on_event(step.event)?),
                Err(e) => {
                    if cfg.trace {
                        let at = conn.error_offset().map_or(String::new(), |off| {
                            format!(
                                " at byte {} of the response",
                                socket.consumed_total + off as u64
                            )
                        });
                        let what = match e {
                            ClientError::Malformed(p) => p.to_string(),
                            other => other.to_string(),
                        };
                        show::eprint_lines("* ", [format!("parse error{at}: {what}")]);
                    }
                    return Err(rx.engine_failure(e, &mut upload));
                }
            };
            let head = socket.start..socket.start + consumed;
            socket.start += consumed;
            socket.consumed_total += consumed as u64;
            let next = match next {
                Next::Final => {
                    if upload.wait_until.is_some()
                        && conn.body_state() == BodyState::Withheld
                        && cfg.verbose
                    {
                        show::eprint_lines(
                            "* ",
                            ["the server answered before the body was sent: not sending it"],
                        );
                    }
                    let redirect = may_redirect.then(|| conn.redirect()).flatten().map(|r| {
                        Outcome::Redirect {
                            status: r.status,
                            location: r.location.to_string(),
                            method: r.method.as_str().to_string(),
                            resend_body: r.resend_body,
                        }
                    });
                    let next = match redirect {
                        Some(outcome) => Err(outcome),
                        None => rx.open_sink(&socket.buf[head])?,
                    };
                    match next {
                        Ok(next) => next,
                        // The body is not wanted: a small one is read past, so the next
                        // request (the redirect's, the retry's, the next URL's) can go on
                        // the same connection.
                        Err(outcome) => {
                            drain(cfg, pool, key, socket, conn, rx.framing);
                            return Ok(outcome);
                        }
                    }
                }
                other => other,
            };
            upload.send_if_due(&mut conn, &mut socket.stream)?;
            match next {
                Next::Go | Next::Final => {}
                Next::Read => {
                    // Each read may wait --timeout for a byte, but no longer than the wait for
                    // 100 Continue, and the final head must arrive whole within --timeout of the
                    // request: a server that sends its head a byte at a time cannot stretch it.
                    let now = Instant::now();
                    let head_due = rx.status.is_none().then(|| upload.sent_at + cfg.timeout);
                    let mut wait = (cfg.timeout, Wait::Progress);
                    for (due, why) in [(head_due, Wait::Head), (upload.wait_until, Wait::Continue)]
                    {
                        if let Some(left) = due.map(|d| d.saturating_duration_since(now)) {
                            if left <= wait.0 {
                                wait = (left, why);
                            }
                        }
                    }
                    // Bytes of a download kept to resume wait in the write buffer only while
                    // more arrive: after a short silence they go to the file (Sink::flush_kept).
                    if rx.sink.as_ref().is_some_and(Sink::holds_kept) && KEEP_WAIT < wait.0 {
                        wait = (KEEP_WAIT, Wait::Flush);
                    }
                    let read = if wait.0.is_zero() {
                        Err(io::ErrorKind::TimedOut.into())
                    } else {
                        match splice_body(cfg, &mut socket, &mut conn, &mut rx, wait.0)? {
                            Spliced::Not => socket.fill_within(wait.0),
                            Spliced::Read(r) => r,
                            Spliced::StdoutClosed => {
                                return Ok(Outcome::StdoutClosed {
                                    status: rx.status.unwrap_or(0),
                                })
                            }
                        }
                    };
                    match read {
                        Ok(n) => {
                            *received |= n > 0;
                            if n > 0 {
                                writeout::mark(Mark::StartTransfer);
                            }
                        }
                        Err(e) if is_timeout(&e) && wait.1 == Wait::Flush => {
                            match rx.sink.as_mut().map(Sink::flush_kept) {
                                None | Some(Ok(())) => {}
                                Some(Err(WriteFailure::Closed(_))) => {
                                    return Ok(Outcome::StdoutClosed {
                                        status: rx.status.unwrap_or(0),
                                    })
                                }
                                Some(Err(WriteFailure::Failed(f))) => return Err(f),
                            }
                        }
                        Err(e) if is_timeout(&e) && wait.1 == Wait::Continue => {
                            if cfg.verbose {
                                show::eprint_lines("* ", ["no 100 Continue yet: sending the body"]);
                            }
                            conn.handle_timeout();
                            upload.send_if_due(&mut conn, &mut socket.stream)?;
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
                Next::Done => {
                    let status = rx.status.unwrap_or(0);
                    let downloaded = rx.sink.as_ref().map_or(0, Sink::written);
                    writeout::record(|s| s.size_download = downloaded);
                    let finished = rx.sink.take().map(Sink::finish);
                    if conn.reuse() == Reuse::KeepAlive && socket.start == socket.end {
                        pool.put(key, socket, conn);
                    }
                    return match finished {
                        None | Some(Ok(())) => Ok(Outcome::Final { status }),
                        Some(Err(WriteFailure::Closed(_))) => Ok(Outcome::StdoutClosed { status }),
                        Some(Err(WriteFailure::Failed(f))) => Err(f),
                    };
                }
                Next::StdoutClosed => {
                    return Ok(Outcome::StdoutClosed {
                        status: rx.status.unwrap_or(0),
                    })
                }
            }
        }
    }
}

/// Most body bytes one splice moves.
const SPLICE_MAX: usize = 1 << 20;

/// What [`splice_body`] did.
enum Spliced {
    /// Nothing: the body is read into the buffer as usual.
    Not,
    /// Body bytes went from the socket to the output (0: the server closed), or reading the
    /// socket failed, as a read would have.
    Read(io::Result<usize>),
    /// The reader of stdout went away.
    StdoutClosed,
}

/// Moves the next piece of a Content-Length body from the socket straight to the output
/// (`splice`: the bytes never enter this process), when nothing needs to see them: plain
/// HTTP, the receive buffer empty, no `--trace`, and an output that takes a splice (a file,
/// `/dev/null`, a pipe; not a terminal). The engine is told how many bytes passed.
fn splice_body(
    cfg: &Config,
    socket: &mut Socket,
    conn: &mut ClientConnection,
    rx: &mut Reception<'_>,
    wait: Duration,
) -> Result<Spliced, Failure> {
    let (Stream::Plain(_), Some(sink), Some(left)) =
        (&socket.stream, &mut rx.sink, conn.body_left())
    else {
        return Ok(Spliced::Not);
    };
    if cfg.trace || left == 0 || socket.start != socket.end || socket.eof {
        return Ok(Spliced::Not);
    }
    if let Err(e) = socket.set_wait(wait) {
        return Ok(Spliced::Read(Err(e)));
    }
    let max = usize::try_from(left).unwrap_or(usize::MAX).min(SPLICE_MAX);
    let n = match sink.splice_from(socket.stream.tcp(), max) {
        Ok(None) => return Ok(Spliced::Not),
        Ok(Some(n)) => n,
        Err(SpliceFailure::Read(e)) => return Ok(Spliced::Read(Err(e))),
        Err(SpliceFailure::Write(WriteFailure::Closed(_))) => return Ok(Spliced::StdoutClosed),
        Err(SpliceFailure::Write(WriteFailure::Failed(f))) => return Err(f),
    };
    if n == 0 {
        socket.eof = true;
        return Ok(Spliced::Read(Ok(0)));
    }
    if sink.in_place() {
        ON_STDOUT.with(|w| w.set(true));
    }
    conn.pass_body(n as u64)
        .map_err(|e| Failure::protocol(e.to_string()))?;
    socket.consumed_total += n as u64;
    check_max_filesize(cfg, sink.written(), false)?;
    Ok(Spliced::Read(Ok(n)))
}

/// Most body bytes read past to keep a connection after a response whose body is not
/// wanted (a redirect followed, a status retried, a 416 on a complete download): a short
/// error page or redirect body costs less to read than a new connection (and a TLS
/// handshake); a large one would cost more.
const DRAIN_MAX: u64 = 64 * 1024;

/// How long reading past such a body may take before the connection is closed instead.
const DRAIN_WAIT: Duration = Duration::from_secs(1);

/// Reads the rest of a response whose body is not wanted, when it is small and its end is
/// known (a length of at most [`DRAIN_MAX`], or chunks adding up to no more), then puts the
/// connection back in `pool` if the engine says it can carry another request. Anything
/// else (a close-delimited body, a larger one, a slow server, an error) drops it, closing.
fn drain(
    cfg: &Config,
    pool: &mut Pool,
    key: String,
    mut socket: Socket,
    mut conn: ClientConnection,
    framing: Framing,
) {
    match framing {
        Framing::None | Framing::Chunked => {}
        Framing::Length(n) if n <= DRAIN_MAX => {}
        Framing::Length(_) | Framing::Close => return,
    }
    let until = Instant::now() + DRAIN_WAIT.min(cfg.timeout);
    let mut body = 0u64;
    loop {
        let Ok(step) = socket.feed(&mut conn) else {
            return;
        };
        let (consumed, more, end) = match step.event {
            Event::NeedMore => (step.consumed, true, false),
            Event::End => (step.consumed, false, true),
            Event::Data(d) => {
                body += d.len() as u64;
                (step.consumed, false, false)
            }
            _ => (step.consumed, false, false),
        };
        socket.start += consumed;
        if end {
            break;
        }
        if body > DRAIN_MAX {
            return;
        }
        if more {
            let left = until.saturating_duration_since(Instant::now());
            if left.is_zero() || !matches!(socket.fill_within(left), Ok(n) if n > 0) {
                return;
            }
        }
    }
    if conn.reuse() == Reuse::KeepAlive && socket.start == socket.end {
        if cfg.verbose {
            show::eprint_lines(
                "* ",
                ["read past the unwanted body: keeping the connection"],
            );
        }
        pool.put(key, socket, conn);
    }
}

/// `--max-filesize`: refuses a body of `size` bytes (`declared` by Content-Length, or
/// received so far) over the limit; the output's temporary file goes with the error.
fn check_max_filesize(cfg: &Config, size: u64, declared: bool) -> Result<(), Failure> {
    match cfg.max_filesize {
        Some(max) if size > max => Err(Failure::too_large(if declared {
            format!("the body is {size} bytes, more than --max-filesize {max}: not downloaded")
        } else {
            format!("the body passed --max-filesize {max} bytes: download stopped and removed")
        })),
        _ => Ok(()),
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
    /// Time to write a download kept to resume from the buffer to its file.
    Flush,
}

/// How long a download kept to resume (`-C -`, `--retry`) holds received bytes in its write
/// buffer while none arrive; then they go to the file, where Ctrl-C and `-m` find them. A
/// stall lasts this much beyond `--timeout` before it is reported.
const KEEP_WAIT: Duration = Duration::from_millis(50);

fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}

/// Reads into `buf`, retrying when a signal interrupts.
fn read_some(source: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match source.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            r => return r,
        }
    }
}

/// The engine refused a piece of the body: a misuse, reported as such.
fn engine_failure(e: ClientError) -> Failure {
    Failure::usage(format!("cannot send the request body: {e}"))
}

/// Sends the whole body, framed by the engine: a file by its length, stdin in chunks.
fn send_body(
    stream: &mut Stream,
    body: &mut OpenBody,
    conn: &mut ClientConnection,
) -> Result<(), SendError> {
    let engine = |e: ClientError| SendError::Local(engine_failure(e));
    let mut buf = vec![0u8; BODY_CHUNK];
    let mut out = Vec::with_capacity(BODY_CHUNK + 32);
    match body {
        OpenBody::None => return Ok(()),
        OpenBody::Data { payload, .. } => {
            payload
                .stream(BODY_CHUNK, |data| {
                    out.clear();
                    conn.send_body(data, &mut out)
                        .map_err(|e| body_data::StreamError::Local(engine_failure(e)))?;
                    stream
                        .write_all(&out)
                        .map_err(body_data::StreamError::Write)?;
                    writeout::record(|s| s.size_upload += data.len() as u64);
                    Ok(())
                })
                .map_err(|e| match e {
                    body_data::StreamError::Write(e) => SendError::Net(e),
                    body_data::StreamError::Local(f) => SendError::Local(f),
                })?;
        }
        OpenBody::File { file, len, name } => {
            let mut sent = 0;
            while sent < *len {
                let want = buf
                    .len()
                    .min(usize::try_from(*len - sent).unwrap_or(usize::MAX));
                let n = read_some(file, &mut buf[..want]).map_err(|e| {
                    SendError::Local(Failure::local(format!("cannot read {name}: {e}")))
                })?;
                if n == 0 {
                    return Err(SendError::Local(Failure::local(format!(
                        "{name} shrank while it was sent ({sent} of {len} bytes)"
                    ))));
                }
                out.clear();
                conn.send_body(&buf[..n], &mut out).map_err(engine)?;
                stream.write_all(&out).map_err(SendError::Net)?;
                sent += n as u64;
                writeout::record(|s| s.size_upload = sent);
            }
        }
        OpenBody::Stdin => {
            let mut input = io::stdin().lock();
            loop {
                let n = read_some(&mut input, &mut buf)
                    .map_err(|e| SendError::Local(Failure::local(format!("reading stdin: {e}"))))?;
                if n == 0 {
                    break;
                }
                out.clear();
                conn.send_body(&buf[..n], &mut out).map_err(engine)?;
                stream.write_all(&out).map_err(SendError::Net)?;
                writeout::record(|s| s.size_upload += n as u64);
            }
        }
    }
    out.clear();
    conn.finish_body(&mut out).map_err(engine)?;
    stream.write_all(&out).map_err(SendError::Net)
}
