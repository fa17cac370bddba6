//! The server engine driven in memory, as a shell would: bytes in (whole or in pieces),
//! time in, the store's outcomes in; bytes and actions out.

use simplehttp_core::server::{Action, ConnEvent, Now, ServerConfig, ServerConnection, Transmit};
use simplehttp_core::store::{FileStore, Listed, MemoryStore, Metadata, StoreError, Upload};
use simplehttp_core::{Rule, StorePath, Timestamp};

/// A store that can be told to fail.
struct Flaky {
    inner: MemoryStore,
    fail_begin: Option<StoreError>,
    fail_open: Option<StoreError>,
}

impl FileStore for Flaky {
    type Upload = <MemoryStore as FileStore>::Upload;
    fn metadata(&self, path: &StorePath) -> Result<Option<Metadata>, StoreError> {
        self.inner.metadata(path)
    }
    fn list(&self, dir: &StorePath) -> Result<Listed, StoreError> {
        self.inner.list(dir)
    }
    fn read(&self, path: &StorePath, start: u64, len: u64) -> Result<Vec<u8>, StoreError> {
        self.inner.read(path, start, len)
    }
    fn begin_upload(&self, path: &StorePath) -> Result<Self::Upload, StoreError> {
        match self.fail_begin {
            Some(e) => Err(e),
            None => self.inner.begin_upload(path),
        }
    }
    fn remove(&self, path: &StorePath) -> Result<(), StoreError> {
        self.inner.remove(path)
    }
}

struct Driver {
    conn: ServerConnection,
    store: Flaky,
    input: Vec<u8>,
    at: usize,
    out: Vec<u8>,
    upload: Option<<MemoryStore as FileStore>::Upload>,
    fail_write: Option<StoreError>,
    actions: Vec<Action>,
    events: Vec<ConnEvent>,
    now: Now,
    closed: bool,
    shut: bool,
}

fn store() -> MemoryStore {
    MemoryStore::new()
        .with_file("a.txt", b"hello\n", Timestamp(1_000))
        .with_file("big/x.txt", b"x", Timestamp(1_000))
        .with_file("big/y.txt", b"yy", Timestamp(1_000))
}

impl Driver {
    fn new(config: ServerConfig) -> Driver {
        let now = Now {
            ms: 1_000_000,
            wall: Timestamp(2_000),
        };
        Driver {
            conn: ServerConnection::new(std::sync::Arc::new(config), now),
            store: Flaky {
                inner: store(),
                fail_begin: None,
                fail_open: None,
            },
            input: Vec::new(),
            at: 0,
            out: Vec::new(),
            upload: None,
            fail_write: None,
            actions: Vec::new(),
            events: Vec::new(),
            now,
            closed: false,
            shut: false,
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        self.input.extend_from_slice(bytes);
        self.run();
    }

    fn eof(&mut self) {
        let rest = self.input[self.at..].to_vec();
        let got = self.conn.handle_eof(&rest, &self.store, self.now);
        self.at += got.consumed;
        self.run();
    }

    fn advance(&mut self, ms: u64) {
        self.now.ms += ms;
        self.conn.handle_timeout(self.now);
        self.run();
    }

    fn run(&mut self) {
        for _ in 0..10_000 {
            let mut busy = false;
            while let Some(action) = self.conn.poll_action() {
                busy = true;
                self.actions.push(action.clone());
                let outcome = match action {
                    Action::Open { .. } => match self.store.fail_open {
                        Some(e) => Err(e),
                        None => Ok(()),
                    },
                    Action::BeginUpload(path) => self
                        .store
                        .begin_upload(&path)
                        .map(|u| self.upload = Some(u)),
                    Action::Commit => self.upload.take().expect("an upload").commit(),
                    Action::Abort => {
                        self.upload = None;
                        continue;
                    }
                    Action::Remove(path) => self.store.remove(&path),
                    Action::ShutdownWrite => {
                        self.shut = true;
                        continue;
                    }
                    Action::Close => {
                        self.closed = true;
                        continue;
                    }
                };
                self.conn.handle_outcome(outcome, &self.store, self.now);
            }
            while let Some(t) = self.conn.poll_transmit(&mut self.out) {
                assert!(!self.shut, "output after the write side was shut");
                busy = true;
                if let Transmit::File { path, start, len } = t {
                    self.out
                        .extend(self.store.read(&path, start, len).expect("file"));
                }
            }
            while let Some(e) = self.conn.poll_event() {
                self.events.push(e);
            }
            if busy {
                self.conn.handle_drained(self.now);
            }
            if self.conn.wants_input() && !self.closed {
                let input = &self.input[self.at..];
                let got = self.conn.handle_bytes(input, &self.store, self.now);
                if let Some(data) = got.body {
                    let res = match self.fail_write {
                        Some(e) => Err(e),
                        None => self.upload.as_mut().expect("an upload").write(data),
                    };
                    if res.is_err() {
                        self.conn.handle_outcome(res, &self.store, self.now);
                    }
                }
                self.at += got.consumed;
                busy |= got.consumed > 0 || !self.conn.wants_input();
            }
            if !busy {
                return;
            }
        }
        panic!("the engine does not settle");
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out).into_owned()
    }

    fn statuses(&self) -> Vec<u16> {
        self.events
            .iter()
            .filter_map(|e| match e {
                ConnEvent::Response { status, .. } => Some(*status),
                _ => None,
            })
            .collect()
    }
}

fn run_whole(input: &[u8]) -> Driver {
    let mut d = Driver::new(ServerConfig::default());
    d.feed(input);
    d
}

fn run_bytewise(input: &[u8]) -> Driver {
    let mut d = Driver::new(ServerConfig::default());
    for b in input {
        d.feed(&[*b]);
    }
    d
}

const PIPELINE: &[u8] = b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n\
    HEAD /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n\
    GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n\
    GET /big/ HTTP/1.1\r\nHost: localhost\r\n\r\n";

#[test]
fn pipelined_requests_are_answered_in_order_however_the_input_is_split() {
    let whole = run_whole(PIPELINE);
    assert_eq!(whole.statuses(), [200, 200, 404, 200]);
    let text = whole.text();
    let first = text.find("hello\n").unwrap();
    let not_found = text.find("404 Not Found").unwrap();
    let listing = text.find("Index of /big/").unwrap();
    assert!(first < not_found && not_found < listing, "{text}");
    assert_eq!(text.matches("hello\n").count(), 1);
    assert!(
        text.ends_with("0\r\n\r\n"),
        "the listing ends with the last chunk"
    );
    assert!(!whole.closed);
    assert_eq!(run_bytewise(PIPELINE).out, whole.out);
    for cut in [1, 7, 40, 41, 90] {
        let mut d = Driver::new(ServerConfig::default());
        d.feed(&PIPELINE[..cut]);
        d.feed(&PIPELINE[cut..]);
        assert_eq!(d.out, whole.out, "cut at {cut}");
    }
}

#[test]
fn a_put_with_100_continue_is_stored_and_answered_201() {
    let req = b"PUT /new/b.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\
                Expect: 100-continue\r\n\r\nabcde";
    for d in [run_whole(req), run_bytewise(req)] {
        assert!(
            d.text()
                .starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\n"),
            "{}",
            d.text()
        );
        assert_eq!(d.store.inner.get("new/b.txt").unwrap(), b"abcde");
        assert!(d.events.contains(&ConnEvent::Continue));
        assert!(!d.closed);
    }
}

#[test]
fn an_upload_that_cannot_start_gets_its_error_never_the_planned_status() {
    let mut d = Driver::new(ServerConfig::default());
    d.store.fail_begin = Some(StoreError::NoSpace);
    d.feed(b"PUT /c.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabcGET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(d.statuses(), [507]);
    let text = d.text();
    assert!(text.contains("Content-Length: 25\r\n"), "{text}");
    assert!(text.ends_with("507 Insufficient Storage\n"), "{text}");
    assert!(d.store.inner.get("c.txt").is_none());
    assert!(d.shut, "a failed upload closes");
}

#[test]
fn a_failed_write_aborts_the_upload_and_closes() {
    let mut d = Driver::new(ServerConfig::default());
    d.fail_write = Some(StoreError::NoSpace);
    d.feed(b"PUT /c.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n\r\nabc");
    assert_eq!(d.statuses(), [507]);
    assert!(d.actions.contains(&Action::Abort));
    assert!(!d.actions.contains(&Action::Commit));
    assert!(d.store.inner.get("c.txt").is_none());
}

#[test]
fn a_file_that_cannot_be_opened_is_answered_with_the_error() {
    let mut d = Driver::new(ServerConfig::default());
    d.store.fail_open = Some(StoreError::Unavailable);
    d.feed(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(d.statuses(), [503]);
    assert!(!d.text().contains("hello"));
}

#[test]
fn a_small_refused_body_is_read_before_the_reply_then_the_connection_closes() {
    let mut d = Driver::new(ServerConfig::default());
    d.feed(b"POST /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhel");
    assert!(
        d.statuses().is_empty(),
        "the reply waits for the small body"
    );
    d.feed(b"loGET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(d.statuses(), [405], "{}", d.text());
    // A request with a body the server did not want is not followed by another.
    assert!(d.shut && !d.closed, "lingers over the unread request");
    d.eof();
    assert!(d.closed);
}

#[test]
fn a_large_refused_body_is_answered_at_once_and_the_connection_lingers() {
    let mut d = Driver::new(ServerConfig::default());
    d.feed(b"POST /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\nxxxx");
    assert_eq!(d.statuses(), [405]);
    assert!(d.shut && !d.closed, "write side shut, lingering");
    d.feed(&[b'x'; 5000]);
    assert!(!d.closed);
    d.advance(2_001);
    assert!(d.closed);
}

#[test]
fn a_removal_happens_when_the_head_arrives() {
    let d = run_whole(b"DELETE /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(d.statuses(), [204]);
    assert!(d.store.inner.get("a.txt").is_none());
}

#[test]
fn a_malformed_request_is_answered_with_its_status_and_closed() {
    let mut d = Driver::new(ServerConfig::default());
    d.feed(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n");
    assert_eq!(d.statuses(), [400]);
    assert!(d.shut);
    d.eof();
    assert!(d.closed);
}

#[test]
fn a_slow_head_gets_408_and_an_idle_connection_just_closes() {
    let mut d = Driver::new(ServerConfig::default());
    d.feed(b"GET /a.txt HTTP/1.1\r\nHo");
    d.advance(9_999);
    assert!(d.statuses().is_empty());
    d.advance(2);
    assert_eq!(d.statuses(), [408]);
    assert!(d.text().contains("the head took too long"));

    let mut idle = Driver::new(ServerConfig::default());
    idle.feed(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    assert_eq!(idle.statuses(), [200]);
    idle.advance(29_000);
    assert!(!idle.closed);
    idle.advance(1_001);
    assert!(idle.closed);
    assert_eq!(idle.statuses(), [200], "no reply to an idle connection");
}

#[test]
fn a_body_that_trickles_below_the_minimum_rate_gets_408() {
    let mut d = Driver::new(ServerConfig::default());
    d.feed(b"PUT /slow.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 100000\r\n\r\n");
    // A byte every five seconds: progress, so the 60 s body timeout never comes, but
    // once the 10 s of grace are over the average is far below 500 bytes a second.
    d.advance(5_000);
    d.feed(b"x");
    d.advance(4_900);
    d.feed(b"x");
    assert!(d.statuses().is_empty());
    d.advance(200);
    assert_eq!(d.statuses(), [408]);
    assert!(d.text().contains("too slowly"), "{}", d.text());
    assert!(d.actions.contains(&Action::Abort));
    assert!(d.store.inner.get("slow.txt").is_none());

    // The same body at a good pace is stored.
    let mut ok = Driver::new(ServerConfig::default());
    ok.feed(b"PUT /fast.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 20000\r\n\r\n");
    for _ in 0..20 {
        ok.advance(900);
        ok.feed(&[b'y'; 1000]);
    }
    assert_eq!(ok.statuses(), [201]);
}

#[test]
fn a_stalled_body_gets_408_after_the_body_timeout() {
    let mut config = ServerConfig::default();
    config.timeouts.min_rate = 0;
    let mut d = Driver::new(config);
    d.feed(b"PUT /s.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 10\r\n\r\nab");
    d.advance(59_999);
    assert!(d.statuses().is_empty());
    d.advance(2);
    assert_eq!(d.statuses(), [408]);
    assert!(d.text().contains("stalled"));
}

#[test]
fn shutting_down_closes_idle_connections_and_ends_busy_ones_after_their_response() {
    let mut idle = Driver::new(ServerConfig::default());
    idle.feed(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    idle.conn.handle_shutdown();
    idle.run();
    assert!(idle.closed);

    let mut busy = Driver::new(ServerConfig::default());
    busy.feed(b"PUT /b.txt HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\n\r\nab");
    busy.conn.handle_shutdown();
    busy.feed(b"cd");
    assert_eq!(busy.statuses(), [201]);
    assert!(busy.text().contains("Connection: close"));
    assert!(busy.closed);
}

#[test]
fn the_connection_ends_at_eof_between_requests() {
    let mut d = run_whole(b"GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n");
    d.eof();
    assert!(d.closed);
    let rules: Vec<Rule> = d
        .events
        .iter()
        .filter_map(|e| match e {
            ConnEvent::Response { rule, .. } => Some(*rule),
            _ => None,
        })
        .collect();
    assert_eq!(rules, [Rule::ServeFile]);
}
