//! The server engine driven by a fuzzed script: the wire bytes, how they are split, timer
//! events, a peer that stops reading, EOF, shutdown and failing store operations, against a
//! small writable `MemoryStore`. Checks, besides never panicking or spinning:
//! - every request is answered once and in order (a head is decided only once the one
//!   before it has been answered; a response with no head is for malformed input or a
//!   slow head, 408); only a request that the peer's EOF cut short may go unanswered
//!   (RFC 9112 §8: the server MAY answer an incomplete request);
//! - nothing is transmitted after `ShutdownWrite`, nothing at all happens after `Close`;
//! - no upload is committed after an error: `Commit` needs a begun upload that was neither
//!   aborted nor failed a write;
//! - a file range to send lies inside the file;
//! - while the connection waits, `poll_timeout` never goes backwards, and a due deadline
//!   makes something happen.
//!
//! Input: byte 0 holds the script's length (low 6 bits; bit 6: a read-only policy, bit 7:
//! writes need credentials), then the script, one op a byte (`op >> 5`, `arg = op & 31`),
//! then the wire bytes. When the script ends the rest is fed, EOF follows and the
//! deadlines are run until the connection closes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simplehttp_core::server::{
    Action, ConnEvent, Now, ServerConfig, ServerConnection, Timeouts, Transmit,
};
use simplehttp_core::{
    Auth, FileStore, Limits, Listed, MemoryStore, Metadata, PlainUsers, Policy, Rule, StoreError, StorePath,
    Timestamp, Upload,
};
use std::cell::Cell;
use std::sync::Arc;

type MemUpload = <MemoryStore as FileStore>::Upload;

/// A store whose next open, begin, write, commit or removal can be made to fail.
struct Faulty {
    inner: MemoryStore,
    /// Bits: 1 open, 2 begin, 4 write, 8 commit, 16 remove.
    fail: Cell<u8>,
}

impl Faulty {
    /// Whether the operation with this bit fails (once).
    fn fails(&self, bit: u8) -> bool {
        let f = self.fail.get();
        self.fail.set(f & !bit);
        f & bit != 0
    }
}

impl FileStore for Faulty {
    type Upload = MemUpload;
    fn metadata(&self, path: &StorePath) -> Result<Option<Metadata>, StoreError> {
        self.inner.metadata(path)
    }
    fn list(&self, dir: &StorePath) -> Result<Listed, StoreError> {
        self.inner.list(dir)
    }
    fn read(&self, path: &StorePath, start: u64, len: u64) -> Result<Vec<u8>, StoreError> {
        self.inner.read(path, start, len)
    }
    fn begin_upload(&self, path: &StorePath) -> Result<MemUpload, StoreError> {
        match self.fails(2) {
            true => Err(StoreError::Io),
            false => self.inner.begin_upload(path),
        }
    }
    fn remove(&self, path: &StorePath) -> Result<(), StoreError> {
        match self.fails(16) {
            true => Err(StoreError::Io),
            false => self.inner.remove(path),
        }
    }
}

struct Driver {
    conn: ServerConnection,
    store: Faulty,
    /// Fed and not yet consumed.
    input: Vec<u8>,
    now: Now,
    upload: Option<MemUpload>,
    /// A write to the current upload failed.
    upload_failed: bool,
    /// The peer does not read: output is taken but not drained.
    blocked: bool,
    /// Taken by `poll_transmit` and not yet reported drained.
    undrained: bool,
    shut: bool,
    closed: bool,
    eof: bool,
    /// A decided head not answered yet.
    unanswered: bool,
    /// The connection closed at EOF with a request unanswered: it was cut short.
    cut_short: bool,
    /// Malformed input was reported: a response without a head may follow.
    malformed: bool,
    /// Something happened in the last `run`.
    progress: bool,
}

impl Driver {
    fn new(policy: Policy) -> Driver {
        let now = Now {
            ms: 1_000,
            wall: Timestamp(1_700_000_000),
        };
        let config = ServerConfig {
            limits: Limits {
                max_head_bytes: 2048,
                max_request_line: 512,
                max_headers: 24,
                max_body: 8192,
                ..Limits::default()
            },
            policy,
            timeouts: Timeouts {
                header_ms: 1_000,
                body_ms: 2_000,
                idle_ms: 3_000,
                min_rate: 500,
                min_rate_grace_ms: 1_000,
                linger_ms: 500,
            },
        };
        let inner = MemoryStore::new()
            .with_file("a.txt", b"hello\n", Timestamp(1_600_000_000))
            .with_file("dir/b.html", b"<p>b</p>", Timestamp(1_600_000_000))
            .with_file("dir/big.bin", &[7; 5000], Timestamp(1_600_000_000))
            .with_capacity_limit(12_000);
        inner.set_now(now.wall);
        Driver {
            conn: ServerConnection::new(Arc::new(config), now),
            store: Faulty {
                inner,
                fail: Cell::new(0),
            },
            input: Vec::new(),
            now,
            upload: None,
            upload_failed: false,
            blocked: false,
            undrained: false,
            shut: false,
            closed: false,
            eof: false,
            unanswered: false,
            cut_short: false,
            malformed: false,
            progress: false,
        }
    }

    fn on_request_line(&mut self, line: Option<core::ops::Range<usize>>) {
        if line.is_some() {
            assert!(
                !self.unanswered,
                "a head decided before the last one was answered"
            );
            self.unanswered = true;
        }
    }

    fn events(&mut self) {
        while let Some(e) = self.conn.poll_event() {
            match e {
                ConnEvent::Malformed(_) => self.malformed = true,
                ConnEvent::Response { rule, status, .. } => {
                    assert!(
                        self.unanswered || self.malformed || rule == Rule::Timeout,
                        "a response ({status}, {rule:?}) to no request"
                    );
                    self.unanswered = false;
                    self.malformed = false;
                }
                ConnEvent::Continue => assert!(self.unanswered, "100 Continue to no request"),
            }
        }
    }

    /// Does what the engine asks until it waits for the peer or time.
    fn run(&mut self) {
        self.progress = false;
        for _ in 0..10_000 {
            let mut busy = false;
            while let Some(action) = self.conn.poll_action() {
                assert!(!self.closed, "{action:?} after Close");
                busy = true;
                let outcome = match action {
                    Action::Open { path, start, len } => {
                        let size = self.store.inner.metadata(&path).unwrap().unwrap().len;
                        assert!(start.checked_add(len).is_some_and(|end| end <= size));
                        match self.store.fails(1) {
                            true => Err(StoreError::Io),
                            false => Ok(()),
                        }
                    }
                    Action::BeginUpload(path) => {
                        assert!(self.upload.is_none(), "two uploads at once");
                        self.upload_failed = false;
                        self.store
                            .begin_upload(&path)
                            .map(|u| self.upload = Some(u))
                    }
                    Action::Commit => {
                        let up = self
                            .upload
                            .take()
                            .expect("Commit with no upload (or aborted)");
                        assert!(!self.upload_failed, "Commit after a failed write");
                        match self.store.fails(8) {
                            true => Err(StoreError::Io),
                            false => up.commit(),
                        }
                    }
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
                        self.cut_short = self.eof && self.unanswered;
                        continue;
                    }
                };
                self.conn.handle_outcome(outcome, &self.store, self.now);
            }
            let mut out = Vec::new();
            while let Some(t) = self.conn.poll_transmit(&mut out) {
                assert!(
                    !self.shut && !self.closed,
                    "output after the write side was shut"
                );
                busy = true;
                self.undrained = true;
                if let Transmit::File { path, start, len } = t {
                    let data = self.store.read(&path, start, len).expect("an opened file");
                    assert_eq!(data.len() as u64, len, "a range past the end of the file");
                }
            }
            self.events();
            if self.undrained && !self.blocked {
                self.undrained = false;
                self.conn.handle_drained(self.now);
            }
            if self.conn.wants_input() && !self.closed {
                let got = if self.eof {
                    self.conn.handle_eof(&self.input, &self.store, self.now)
                } else {
                    self.conn.handle_bytes(&self.input, &self.store, self.now)
                };
                assert!(got.consumed <= self.input.len());
                let (consumed, line) = (got.consumed, got.request_line.clone());
                if let Some(data) = got.body {
                    let up = self.upload.as_mut().expect("body bytes with no upload");
                    let res = match self.store.fails(4) {
                        true => Err(StoreError::Io),
                        false => up.write(data),
                    };
                    if res.is_err() {
                        self.upload_failed = true;
                        self.conn.handle_outcome(res, &self.store, self.now);
                    }
                }
                self.on_request_line(line);
                self.input.drain(..consumed);
                busy |= consumed > 0 || !self.conn.wants_input();
            }
            self.events();
            if !busy {
                return;
            }
            self.progress = true;
        }
        panic!("the engine does not settle");
    }

    /// Time passes to `ms`; checks the deadline while waiting.
    fn tick(&mut self, ms: u64) {
        let before = self.conn.poll_timeout();
        self.now.ms = ms.max(self.now.ms);
        self.conn.handle_timeout(self.now);
        self.run();
        if self.progress || self.closed {
            return;
        }
        let after = self.conn.poll_timeout();
        if let (Some(b), Some(a)) = (before, after) {
            assert!(
                a >= b,
                "poll_timeout went back from {b} to {a} while waiting"
            );
        }
        if let Some(a) = after {
            assert!(
                a > self.now.ms,
                "deadline {a} due at {} did nothing",
                self.now.ms
            );
        }
    }

    fn feed(&mut self, bytes: &[u8]) {
        if self.eof || self.closed {
            return;
        }
        self.input.extend_from_slice(bytes);
        self.run();
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let (script, mut wire) = rest.split_at(usize::from(first & 63).min(rest.len()));
    let policy = Policy {
        read_only: first & 64 != 0,
        auth: (first & 128 != 0).then(|| Auth::new(PlainUsers::new(["u:p"]), false)),
        ..Policy::default()
    };
    let mut d = Driver::new(policy);
    d.run();
    for &op in script {
        if d.closed {
            break;
        }
        let arg = op & 31;
        match op >> 5 {
            0 | 1 => {
                let n = match op >> 5 {
                    0 => usize::from(arg) + 1,
                    _ => (usize::from(arg) + 1) * 64,
                };
                let (now, later) = wire.split_at(n.min(wire.len()));
                wire = later;
                d.feed(now);
            }
            2 => d.tick(d.now.ms + u64::from(arg) * 50),
            3 => match d.conn.poll_timeout() {
                Some(t) => d.tick(t + u64::from(arg)),
                None => d.tick(d.now.ms),
            },
            4 => d.store.fail.set(arg),
            5 => {
                d.conn.handle_shutdown();
                d.run();
            }
            6 => {
                d.eof = true;
                d.run();
            }
            _ => {
                d.blocked = !d.blocked;
                d.run();
            }
        }
    }
    // The rest of the wire, then EOF, then time until the connection ends.
    d.blocked = false;
    d.feed(wire);
    d.eof = true;
    d.run();
    for _ in 0..16 {
        if d.closed {
            break;
        }
        match d.conn.poll_timeout() {
            Some(t) => d.tick(t),
            None => d.tick(d.now.ms + 1),
        }
    }
    assert!(d.closed, "the connection never ended");
    assert!(!d.unanswered || d.cut_short, "a request was never answered");
});
