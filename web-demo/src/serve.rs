//! Answers requests the way `simple-server` does, against an in-memory file store: the
//! core's connection engine sequences the connection, and this carries out its actions
//! (read a file, take an upload, remove a file). Plain Rust values; `lib.rs` converts them.

use crate::explore::{lint_response, LintRecord};
use simplehttp_core::server::{Action, ConnEvent, Now, ServerConfig, ServerConnection, Transmit};
use simplehttp_core::store::MemoryStore;
use simplehttp_core::{Event, Limits, Method, ResponseParser};
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

/// Everything that happened to the input, and the store afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The exchanges, in order.
    pub exchanges: Vec<Exchange>,
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
    for _ in 0..4 * input.len() + 64 {
        let mut busy = false;
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
                Action::ShutdownWrite | Action::Close => continue,
            };
            conn.handle_outcome(outcome, &store, now);
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
                    } => exchanges.push(Exchange {
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
                    }),
                    ConnEvent::Malformed(e) => {
                        refused = Some(e);
                        stopped = Some(format!(
                            "the request was refused ({e}): the server closes the connection"
                        ));
                    }
                }
            }
            if let (false, Some(last)) = (interim, exchanges.last_mut()) {
                last.response.append(&mut piece);
            }
        }
        if busy {
            conn.handle_drained(now);
        }
        if conn.wants_input() && !conn.is_closed() {
            let got = conn.handle_bytes(&input[at..], &store, now);
            let n = took(
                got,
                &input[at..],
                &mut requests,
                &mut upload,
                &mut conn,
                &store,
                now,
            );
            at += n;
            busy |= n > 0 || !conn.wants_input();
        }
        if !busy && eof && !eof_sent && !conn.is_closed() {
            // The peer closes after its last byte: the engine decides what that means.
            eof_sent = true;
            busy = true;
            closed_mid_request = at < input.len() || !conn.is_idle();
            let got = conn.handle_eof(&input[at..], &store, now);
            at += took(
                got,
                &input[at..],
                &mut requests,
                &mut upload,
                &mut conn,
                &store,
                now,
            );
        }
        if !busy {
            break;
        }
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
        stopped,
        files: entries(&store),
        rejected,
    }
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
}
