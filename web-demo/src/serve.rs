//! Answers requests the way `simple-server` does, against an in-memory file store: the
//! core's connection engine sequences the connection, and this carries out its actions
//! (read a file, take an upload, remove a file). Plain Rust values; `lib.rs` converts them.

use crate::explore::{lint_response, LintRecord};
use simplehttp_core::server::{Action, ConnEvent, Now, ServerConfig, ServerConnection, Transmit};
use simplehttp_core::store::MemoryStore;
use simplehttp_core::{Event, Limits, Method, RequestParser, ResponseParser, Step};
use simplehttp_core::{
    FileStore, Kind, ParseError, Policy, StoreError, StorePath, Timestamp, Upload,
};
use std::sync::Arc;

/// A file or directory of the explorer's store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// `a/b.txt` (no leading slash).
    pub path: String,
    /// A directory (then `data` is empty).
    pub dir: bool,
    /// The content.
    pub data: Vec<u8>,
    /// Last modification, seconds since the Unix epoch.
    pub modified: u64,
}

/// One request and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    /// Which message of the input (0 for the first).
    pub message: usize,
    /// `METHOD target`, when the head could be parsed.
    pub request: Option<String>,
    /// The final status.
    pub status: u16,
    /// The rule of `decide` (or `finish`, `reply_to_error`) that gave it, by name
    /// ([`Rule::name`](simplehttp_core::Rule::name)).
    pub rule: &'static str,
    /// That rule in words.
    pub explain: &'static str,
    /// The RFC sections stating it.
    pub rfc: &'static str,
    /// `100 Continue` went out before the body was read.
    pub sent_continue: bool,
    /// The connection closes after this response.
    pub close: bool,
    /// The parse error this answers, when the request was refused.
    pub error: Option<Refusal>,
    /// The response bytes: head, then body.
    pub response: Vec<u8>,
    /// How many of `response` are the head.
    pub head_len: usize,
    /// What the response says well or could say better ([`simplehttp_core::lint`]), with
    /// offsets into `response`.
    pub lints: Vec<LintRecord>,
}

/// A request the parser refused: the core's own account of the error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// [`ParseError::name`].
    pub name: &'static str,
    /// Its `Display` text.
    pub text: String,
    /// [`ParseError::rfc`].
    pub rfc: &'static str,
    /// [`ParseError::status`].
    pub status: u16,
}

impl From<ParseError> for Refusal {
    fn from(e: ParseError) -> Self {
        Refusal {
            name: e.name(),
            text: e.to_string(),
            rfc: e.rfc(),
            status: e.status(),
        }
    }
}

/// One thing that happened on the connection, in the order the engine did it: the
/// conversation between the client (the input) and the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Turn {
    /// The server read bytes `from..to` of the input as part of request `message`; `head`
    /// when a request head began in them (later turns of the same request carry its body,
    /// after a `100 Continue` for instance).
    Request {
        /// Which request (0 for the first).
        message: usize,
        /// First byte read.
        from: usize,
        /// One past the last byte read.
        to: usize,
        /// A request head began in these bytes.
        head: bool,
    },
    /// The server's parser refused the bytes from `from` on, as request `message`.
    Refused {
        /// Which request.
        message: usize,
        /// Where the refused request starts.
        from: usize,
    },
    /// The server sent an interim `100 Continue`: these bytes.
    Continue {
        /// Which request it answers.
        message: usize,
        /// Its bytes.
        bytes: Vec<u8>,
    },
    /// The server sent the final response of exchange `exchange` (an index into
    /// [`Outcome::exchanges`]).
    Response {
        /// Which exchange.
        exchange: usize,
    },
    /// The client closed its side after its last byte.
    ClientClosed {
        /// Where: the end of the input.
        at: usize,
        /// A request was under way (not read whole).
        mid_request: bool,
    },
    /// The server closed the connection (`lingering`: it shut its write side first and
    /// reads and drops what still comes, so the client reads the response, not a reset).
    ServerClosed {
        /// It shut down its write side and lingers before the close.
        lingering: bool,
        /// Why, in words, from what the engine did.
        why: String,
        /// The RFC section behind it.
        rfc: &'static str,
    },
    /// Bytes `from..to` the server read and dropped while closing.
    Dropped {
        /// First byte dropped.
        from: usize,
        /// One past the last.
        to: usize,
    },
    /// The input ended with the connection still open.
    Open {
        /// What the server waits for, in words.
        waiting: String,
    },
}

/// Everything that happened to the input, and the store afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exchanges, in order.
    pub exchanges: Vec<Exchange>,
    /// The conversation: requests read, interim and final responses sent, and the close,
    /// in the order the engine did them.
    pub turns: Vec<Turn>,
    /// Why the server stopped reading, when not at a clean end of the input.
    pub stopped: Option<String>,
    /// The store after the requests (PUT and DELETE change it), sorted by path.
    pub files: Vec<Entry>,
    /// Entries of the given store that could not be created, with why.
    pub rejected: Vec<String>,
}

fn store_path(path: &str) -> Option<StorePath> {
    path.split('/')
        .filter(|s| !s.is_empty())
        .try_fold(StorePath::root(), |p, seg| p.join(seg))
}

/// The entries of `store`, sorted by path.
#[must_use]
pub fn entries(store: &MemoryStore) -> Vec<Entry> {
    let mut out: Vec<Entry> = store
        .paths()
        .into_iter()
        .filter_map(|p| {
            let meta = store.metadata(&store_path(&p)?).ok()??;
            let dir = meta.kind == Kind::Dir;
            let data = if dir {
                Vec::new()
            } else {
                store.get(&p).unwrap_or_default()
            };
            Some(Entry {
                path: p,
                dir,
                data,
                modified: meta.modified.0,
            })
        })
        .collect();
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out
}

/// A store holding `files`; entries it refuses are listed in the second value.
#[must_use]
pub fn make_store(files: &[Entry], now: u64) -> (MemoryStore, Vec<String>) {
    let store = MemoryStore::new();
    let mut rejected = Vec::new();
    for f in files {
        let r = if f.dir {
            store.insert_dir(&f.path, Timestamp(f.modified))
        } else {
            store.insert(&f.path, f.data.clone(), Timestamp(f.modified))
        };
        if let Err(e) = r {
            rejected.push(format!("{}: {e}", f.path));
        }
    }
    store.set_now(Timestamp(now));
    (store, rejected)
}

/// Answers every request in `input` (one read; then the peer waits, or with `eof` closes its
/// side, which the engine hears through [`ServerConnection::handle_eof`]) against a store holding
/// `files`, at time `now` (seconds since the Unix epoch), with writes allowed unless
/// `read_only`. The core's [`ServerConnection`] sequences the connection, as it does for
/// `simple-server`; this only carries out its actions against the in-memory store.
#[must_use]
pub fn serve(input: &[u8], files: &[Entry], read_only: bool, now: u64, eof: bool) -> Outcome {
    let (store, rejected) = make_store(files, now);
    store.set_read_only(read_only);
    let now = Now {
        ms: 0,
        wall: Timestamp(now),
    };
    let config = ServerConfig {
        policy: Policy {
            read_only,
            ..Policy::default()
        },
        ..ServerConfig::default()
    };
    let mut conn = ServerConnection::new(Arc::new(config), now);
    let mut exchanges: Vec<Exchange> = Vec::new();
    let mut stopped = None;
    let mut at = 0;
    let mut upload = None;
    let mut requests = Vec::new();
    let mut sent_continue = false;
    let mut refused: Option<ParseError> = None;
    // Whether the close reached the engine, and whether a request was under way then.
    let mut eof_sent = false;
    let mut closed_mid_request = false;
    let mut turns: Vec<Turn> = Vec::new();
    // Whether the server's close is in `turns` yet.
    let mut server_closed = false;
    for _ in 0..4 * input.len() + 64 {
        let mut busy = false;
        let mut closing = false;
        while let Some(action) = conn.poll_action() {
            busy = true;
            let outcome = match action {
                Action::Open { .. } => Ok(()),
                Action::BeginUpload(path) => store.begin_upload(&path).map(|u| upload = Some(u)),
                Action::Commit => upload.take().map_or(Err(StoreError::Io), Upload::commit),
                Action::Abort => {
                    upload = None;
                    continue;
                }
                Action::Remove(path) => store.remove(&path),
                Action::ShutdownWrite | Action::Close => {
                    closing = true;
                    continue;
                }
            };
            conn.handle_outcome(outcome, &store, now);
        }
        if closing && !server_closed {
            server_closed = true;
            let (why, rfc) = close_why(input, &turns, &exchanges, eof_sent, closed_mid_request);
            turns.push(Turn::ServerClosed {
                lingering: !conn.is_closed(),
                why,
                rfc,
            });
        }
        // Each output, then what it says: a new response starts with its head.
        loop {
            let mut piece = Vec::new();
            let Some(t) = conn.poll_transmit(&mut piece) else {
                break;
            };
            busy = true;
            if let Transmit::File { path, start, len } = t {
                match store.read(&path, start, len) {
                    Ok(data) => piece.extend_from_slice(&data),
                    Err(e) => piece.extend_from_slice(
                        format!("[the store could not read the file: {e}]").as_bytes(),
                    ),
                }
            }
            let mut interim = false;
            while let Some(event) = conn.poll_event() {
                match event {
                    // Its bytes are these; they are not part of the final response.
                    ConnEvent::Continue => {
                        sent_continue = true;
                        interim = true;
                    }
                    ConnEvent::Response {
                        status,
                        rule,
                        close,
                        head_len,
                    } => {
                        turns.push(Turn::Response {
                            exchange: exchanges.len(),
                        });
                        exchanges.push(Exchange {
                            message: exchanges.len(),
                            request: requests.get(exchanges.len()).cloned(),
                            status,
                            rule: rule.name(),
                            explain: rule.explain(),
                            rfc: rule.rfc(),
                            sent_continue: core::mem::take(&mut sent_continue),
                            close,
                            error: refused.take().map(Refusal::from),
                            response: Vec::new(),
                            head_len,
                            lints: Vec::new(),
                        });
                    }
                    ConnEvent::Malformed(e) => {
                        turns.push(Turn::Refused {
                            message: exchanges.len(),
                            from: at,
                        });
                        refused = Some(e);
                        stopped = Some(format!(
                            "the request was refused ({e}): the server closes the connection"
                        ));
                    }
                }
            }
            if interim {
                turns.push(Turn::Continue {
                    message: requests.len().saturating_sub(1),
                    bytes: piece,
                });
            } else if let Some(last) = exchanges.last_mut() {
                last.response.append(&mut piece);
            }
        }
        if busy {
            conn.handle_drained(now);
        }
        if conn.wants_input() && !conn.is_closed() {
            let got = conn.handle_bytes(&input[at..], &store, now);
            let head = got.request_line.is_some();
            let n = took(
                got,
                &input[at..],
                &mut requests,
                &mut upload,
                &mut conn,
                &store,
                now,
            );
            note_read(&mut turns, requests.len(), at..at + n, head, server_closed);
            at += n;
            busy |= n > 0 || !conn.wants_input();
        }
        if !busy && eof && !eof_sent && !conn.is_closed() {
            // The peer closes after its last byte: the engine decides what that means.
            eof_sent = true;
            busy = true;
            closed_mid_request = at < input.len() || !conn.is_idle();
            turns.push(Turn::ClientClosed {
                at: input.len(),
                mid_request: closed_mid_request,
            });
            let got = conn.handle_eof(&input[at..], &store, now);
            let head = got.request_line.is_some();
            let n = took(
                got,
                &input[at..],
                &mut requests,
                &mut upload,
                &mut conn,
                &store,
                now,
            );
            note_read(&mut turns, requests.len(), at..at + n, head, server_closed);
            at += n;
        }
        if !busy {
            break;
        }
    }
    if !conn.is_closed() && !server_closed {
        let waiting = if conn.is_idle() && at == input.len() {
            "the next request (the connection is persistent)".into()
        } else {
            format!(
                "the rest of request {}: it is incomplete",
                exchanges.len() + 1
            )
        };
        turns.push(Turn::Open { waiting });
    }
    if stopped.is_none() {
        if closed_mid_request && conn.is_closed() && refused.is_none() {
            stopped = Some(
                "the peer closed in the middle of a request: the server closes the connection \
                 without an answer"
                    .into(),
            );
        } else if eof_sent && conn.is_idle() && at == input.len() {
            // A clean close between requests.
        } else if conn.is_closed() || exchanges.last().is_some_and(|e| e.close) {
            if at < input.len() {
                stopped =
                    Some("the response closes the connection: later bytes are not read".into());
            }
        } else if at < input.len() || !conn.is_idle() {
            stopped = Some("the request is incomplete: the server waits for more bytes".into());
        }
    }
    for x in &mut exchanges {
        x.lints = lint(x);
    }
    Outcome {
        exchanges,
        turns,
        stopped,
        files: entries(&store),
        rejected,
    }
}

/// Adds bytes `read` of the input, read by the server with `requests` request heads seen
/// so far (`head`: one began in them), to the conversation: a request's turn, or bytes
/// dropped once the server is closing.
fn note_read(
    turns: &mut Vec<Turn>,
    requests: usize,
    read: core::ops::Range<usize>,
    head: bool,
    closing: bool,
) {
    if read.is_empty() {
        return;
    }
    let message = requests.saturating_sub(1);
    match turns.last_mut() {
        Some(Turn::Dropped { to, .. }) if closing => *to = read.end,
        _ if closing => turns.push(Turn::Dropped {
            from: read.start,
            to: read.end,
        }),
        Some(Turn::Request { message: m, to, .. }) if !head && *m == message => *to = read.end,
        _ => turns.push(Turn::Request {
            message,
            from: read.start,
            to: read.end,
            head,
        }),
    }
}

/// Why the server closes, in words, from what the engine did: the client's close, a
/// refused request, a request that asked for the close (the core's own
/// [`RequestHead::keep_alive`](simplehttp_core::RequestHead::keep_alive)), or a response
/// the engine marked as closing.
fn close_why(
    input: &[u8],
    turns: &[Turn],
    exchanges: &[Exchange],
    client_closed: bool,
    mid_request: bool,
) -> (String, &'static str) {
    let last = exchanges.last();
    let n = exchanges.len();
    if client_closed && mid_request {
        return (
            "the client closed in the middle of a request: no answer can go out, so the server \
             closes too"
                .into(),
            "RFC 9112 §9.6",
        );
    }
    if client_closed && !last.is_some_and(|x| x.close) {
        return (
            "the client closed its side between requests: a clean end".into(),
            "RFC 9112 §9.6",
        );
    }
    let Some(last) = last else {
        return ("the connection ended".into(), "RFC 9112 §9.6");
    };
    if let Some(e) = &last.error {
        return (
            format!(
                "it refused request {n} ({}): after an error the bytes that follow cannot be \
                 trusted to start a request",
                e.name
            ),
            "RFC 9112 §9.6",
        );
    }
    // The request's own head, read by the core: did it ask to close?
    let from = turns.iter().rev().find_map(|t| match t {
        Turn::Request {
            message,
            from,
            head: true,
            ..
        } if *message == last.message => Some(*from),
        _ => None,
    });
    let asked = from.is_some_and(|from| {
        let mut p = RequestParser::new(Limits::default());
        matches!(p.handle_bytes(&input[from..]), Ok(Step { event: Event::Head(h), .. }) if !h.keep_alive())
    });
    if asked {
        return (
            format!(
                "request {n} asked for it (Connection: close, or HTTP/1.0 without keep-alive), \
                 and response {n} says Connection: close"
            ),
            "RFC 9112 §9.3, §9.6",
        );
    }
    (
        format!(
            "response {n} ({}) closes it: the server does not read the rest of request {n}, \
             so it could not tell where a next request begins",
            last.rule
        ),
        "RFC 9112 §9.3, §9.6",
    )
}

/// Expert info about the response of `x`, read as the client that sent its request does.
fn lint(x: &Exchange) -> Vec<LintRecord> {
    let method = x
        .request
        .as_deref()
        .and_then(|r| r.split(' ').next())
        .unwrap_or("GET");
    let method = Method::from_token(method);
    let mut parser = ResponseParser::new(Limits::default(), method);
    match parser.handle_bytes(&x.response) {
        Ok(step) => match step.event {
            Event::Head(h) => lint_response(&h, method, 0),
            _ => Vec::new(),
        },
        Err(_) => Vec::new(),
    }
}

/// Carries out what one `handle_bytes` or `handle_eof` took: notes the request line and
/// writes body bytes to the upload. Returns how many bytes of `input` were consumed.
fn took(
    got: simplehttp_core::server::Received<'_>,
    input: &[u8],
    requests: &mut Vec<String>,
    upload: &mut Option<simplehttp_core::store::MemoryUpload>,
    conn: &mut ServerConnection,
    store: &MemoryStore,
    now: Now,
) -> usize {
    if let Some(line) = got.request_line {
        let line = String::from_utf8_lossy(&input[line]);
        let mut words = line.split(' ');
        let method = words.next().unwrap_or("");
        requests.push(format!("{method} {}", words.next().unwrap_or("")));
    }
    if let Some(data) = got.body {
        if let Some(Err(e)) = upload.as_mut().map(|u| u.write(data)) {
            conn.handle_outcome(Err(e), store, now);
        }
    }
    got.consumed
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_700_000_100;
    const THEN: u64 = 1_700_000_000; // Tue, 14 Nov 2023 22:13:20 GMT

    fn files() -> Vec<Entry> {
        vec![
            Entry {
                path: "hello.txt".into(),
                dir: false,
                data: b"hello, world\n".to_vec(),
                modified: THEN,
            },
            Entry {
                path: "docs".into(),
                dir: true,
                data: vec![],
                modified: THEN,
            },
        ]
    }

    fn one(input: &str) -> (Exchange, Outcome) {
        let out = serve(input.as_bytes(), &files(), false, NOW, false);
        (
            out.exchanges
                .first()
                .cloned()
                .unwrap_or_else(|| panic!("no exchange: {out:?}")),
            out,
        )
    }

    fn text(e: &Exchange) -> String {
        String::from_utf8_lossy(&e.response).into_owned()
    }

    #[test]
    fn get_of_a_file_is_200_with_the_file() {
        let (e, _) = one("GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!((e.status, e.rule), (200, "ServeFile"));
        assert!(text(&e).starts_with("HTTP/1.1 200 OK\r\n"), "{}", text(&e));
        assert!(text(&e).ends_with("\r\n\r\nhello, world\n"));
        assert_eq!(&e.response[e.head_len - 4..e.head_len], b"\r\n\r\n");
    }

    #[test]
    fn missing_file_is_404_and_path_escape_is_refused() {
        assert_eq!(one("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n").0.status, 404);
        let (e, _) = one("GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n");
        assert!(e.status >= 400, "{e:?}");
    }

    #[test]
    fn put_creates_a_file_and_delete_removes_it() {
        let (e, out) = one("PUT /docs/new.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc");
        assert_eq!(e.status, 201, "{}", text(&e));
        let f = out
            .files
            .iter()
            .find(|f| f.path == "docs/new.txt")
            .expect("stored");
        assert_eq!((f.data.as_slice(), f.modified), (&b"abc"[..], NOW));

        let (e, out) = one("DELETE /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(e.status, 204);
        assert!(!out.files.iter().any(|f| f.path == "hello.txt"));
    }

    #[test]
    fn chunked_put_over_a_file_is_204() {
        let (e, out) = one("PUT /hello.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n");
        assert_eq!(e.status, 204, "{}", text(&e));
        assert_eq!(
            out.files
                .iter()
                .find(|f| f.path == "hello.txt")
                .map(|f| f.data.clone()),
            Some(b"hi".to_vec())
        );
    }

    #[test]
    fn pipelined_requests_are_answered_in_order() {
        let out = serve(
            b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\n\r\n",
            &files(),
            false,
            NOW,
            false,
        );
        let statuses: Vec<u16> = out.exchanges.iter().map(|e| e.status).collect();
        assert_eq!(statuses, [200, 200, 404]);
        assert_eq!(
            out.exchanges[1].response.len(),
            out.exchanges[1].head_len,
            "HEAD has no body"
        );
        assert_eq!(out.stopped, None);
    }

    #[test]
    fn a_parse_error_is_answered_and_closes() {
        let (e, out) = one("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
        assert_eq!((e.status, e.close), (400, true));
        assert!(out.stopped.is_some());
    }

    #[test]
    fn conditional_get_is_304_and_read_only_refuses_put() {
        let (e, _) = one("GET /hello.txt HTTP/1.1\r\nHost: x\r\nIf-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n");
        assert_eq!((e.status, e.rule), (304, "NotModifiedDate"));
        let out = serve(
            b"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na",
            &files(),
            true,
            NOW,
            false,
        );
        assert_eq!(out.exchanges[0].status, 405);
    }

    #[test]
    fn a_put_with_100_continue_says_so_and_answers_201() {
        let (e, _) = one(
            "PUT /n.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
        );
        assert!(e.sent_continue);
        assert!(
            text(&e).starts_with("HTTP/1.1 201 Created\r\n"),
            "{}",
            text(&e)
        );
    }

    #[test]
    fn a_large_refused_body_is_answered_at_once_as_the_server_does() {
        let out = serve(
            b"POST /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc",
            &files(),
            false,
            NOW,
            false,
        );
        assert_eq!(out.exchanges[0].status, 405);
        assert!(out.exchanges[0].close);
    }

    #[test]
    fn incomplete_input_says_the_server_waits() {
        let out = serve(
            b"GET / HTTP/1.1\r\nHost: x\r\n",
            &files(),
            false,
            NOW,
            false,
        );
        assert!(out.exchanges.is_empty());
        assert!(out
            .stopped
            .is_some_and(|s| s.contains("waits for more bytes")));
    }

    #[test]
    fn a_close_in_the_middle_of_a_request_is_not_answered() {
        let out = serve(
            b"PUT /x HTTP/1.1\r\nHost: x\r\nContent-Length: 9\r\n\r\nabc",
            &files(),
            false,
            NOW,
            true,
        );
        assert!(out.exchanges.is_empty(), "{out:?}");
        assert!(out
            .stopped
            .is_some_and(|s| s.contains("closed in the middle")));
    }

    #[test]
    fn a_close_after_complete_requests_still_answers_them() {
        let out = serve(
            b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            &files(),
            false,
            NOW,
            true,
        );
        assert_eq!(out.exchanges.len(), 1);
        assert_eq!((out.exchanges[0].status, out.stopped), (200, None));
    }

    #[test]
    fn a_refused_request_names_its_own_error() {
        let (e, _) = one("GET / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip, chunked\r\n\r\n");
        let r = e.error.expect("refused");
        assert_eq!(
            (e.status, r.status, r.name),
            (501, 501, "UnknownTransferCoding")
        );
        assert_eq!(r.rfc, "RFC 9112 §6.1");
    }

    fn kinds(out: &Outcome) -> Vec<String> {
        out.turns
            .iter()
            .map(|t| match t {
                Turn::Request { message, head, .. } => {
                    format!("req{message}{}", if *head { "" } else { " body" })
                }
                Turn::Refused { message, .. } => format!("refused{message}"),
                Turn::Continue { .. } => "100".into(),
                Turn::Response { exchange } => format!("resp{exchange}"),
                Turn::ClientClosed { .. } => "client-close".into(),
                Turn::ServerClosed { .. } => "server-close".into(),
                Turn::Dropped { .. } => "dropped".into(),
                Turn::Open { .. } => "open".into(),
            })
            .collect()
    }

    #[test]
    fn the_conversation_interleaves_pipelined_requests_and_their_answers() {
        let input = b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nHEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nGET /x HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
        let out = serve(input, &files(), false, NOW, false);
        assert_eq!(
            kinds(&out),
            [
                "req0",
                "resp0",
                "req1",
                "resp1",
                "req2",
                "resp2",
                "server-close"
            ]
        );
        let Turn::Request { from, to, .. } = out.turns[2] else {
            panic!()
        };
        assert_eq!(
            &input[from..to],
            b"HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n"
        );
        let Turn::ServerClosed { why, .. } = &out.turns[6] else {
            panic!()
        };
        assert!(why.contains("request 3 asked for it"), "{why}");
    }

    #[test]
    fn the_conversation_shows_100_continue_before_the_body() {
        let out = serve(
            b"PUT /n.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi",
            &files(),
            false,
            NOW,
            false,
        );
        assert_eq!(kinds(&out), ["req0", "100", "req0 body", "resp0", "open"]);
        let Turn::Continue { bytes, .. } = &out.turns[1] else {
            panic!()
        };
        assert_eq!(bytes, b"HTTP/1.1 100 Continue\r\n\r\n");
    }

    #[test]
    fn the_conversation_says_who_closed_and_why() {
        let out = serve(
            b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            &files(),
            false,
            NOW,
            true,
        );
        assert_eq!(
            kinds(&out),
            ["req0", "resp0", "client-close", "server-close"]
        );
        let Turn::ServerClosed { why, .. } = &out.turns[3] else {
            panic!()
        };
        assert!(why.contains("a clean end"), "{why}");

        let out = serve(
            b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
            &files(),
            false,
            NOW,
            false,
        );
        assert_eq!(kinds(&out)[..2], ["refused0", "resp0"]);
        let why = out.turns.iter().find_map(|t| match t {
            Turn::ServerClosed { why, .. } => Some(why.clone()),
            _ => None,
        });
        assert!(
            why.as_deref()
                .is_some_and(|w| w.contains("refused request 1")),
            "{:?}",
            out.turns
        );
    }
}
