//! Deciding the answer to a request: a pure function of the request head, a [`FileStore`]
//! and the time, returning a [`Reply`] whose body is a plan for the shell to carry out.

use crate::head::RequestHead;
use crate::store::{FileStore, StoreError};
use crate::target::StorePath;
use crate::{ParseError, Timestamp};
use alloc::string::String;
use alloc::vec::Vec;

/// What a server allows, beyond what the store allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// Refuse PUT and DELETE with 405.
    pub read_only: bool,
    /// `user:password` required (HTTP Basic, RFC 7617) for PUT and DELETE; 401 otherwise.
    pub write_credentials: Option<String>,
    /// Largest upload accepted, in bytes; a larger declared Content-Length gets 413 before
    /// any body is read.
    pub max_upload: u64,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { read_only: false, write_credentials: None, max_upload: 1 << 30 }
    }
}

/// A header value in a [`Reply`], formatted only when the head is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HeaderValue {
    /// A fixed string.
    Static(&'static str),
    /// A computed string.
    Owned(String),
    /// A decimal number.
    Number(u64),
    /// An HTTP-date (IMF-fixdate).
    Date(Timestamp),
}

/// The plan for the body of a reply, carried out by the shell.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Body {
    /// No body bytes (HEAD, 204, 304, ...; Content-Length may still describe a file).
    Empty,
    /// These bytes, sent as they are.
    Bytes(Vec<u8>),
    /// These bytes, sent with chunked transfer coding (a directory listing). For an
    /// HTTP/1.0 request the bytes are sent as they are and the connection closed.
    Chunked(Vec<u8>),
    /// `len` bytes of a file from offset `start`.
    File {
        /// The file.
        path: StorePath,
        /// First byte to send.
        start: u64,
        /// How many bytes.
        len: u64,
    },
    /// Read the request body into this upload, then call [`finish`] with the outcome.
    Upload(UploadPlan),
    /// Remove this file, then call [`finish`] with the outcome.
    Remove(StorePath),
}

/// An accepted upload: where it goes and what to answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadPlan {
    /// The target.
    pub path: StorePath,
    /// Whether a file was there before (204 on success) or not (201 with Location).
    pub existed: bool,
    /// Whether to send `100 Continue` before reading the body.
    pub send_continue: bool,
}

/// A reply: status, fields and a body plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Header fields, in order.
    pub headers: Vec<(&'static str, HeaderValue)>,
    /// What to send (or do) after the head.
    pub body: Body,
    /// Which rule decided it, for logs and the explorer.
    pub rule: Rule,
    /// Close the connection after this reply. A shell may set it (e.g. while shutting down);
    /// the head then says `Connection: close`.
    pub close: bool,
    /// The request was HTTP/1.0 with `Connection: keep-alive`: say `Connection: keep-alive`.
    pub http10_keep_alive: bool,
}

/// The rule of [`decide`] that produced a reply.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Placeholder until the rules are written.
    Todo,
}

/// Decides the reply to `req` against `store` at time `now`. Reads the store, never changes it.
pub fn decide<S: FileStore + ?Sized>(
    req: &RequestHead<'_>,
    store: &S,
    policy: &Policy,
    now: Timestamp,
) -> Reply {
    let _ = (req, store, policy, now);
    todo!()
}

/// The final reply once a [`Body::Upload`] or [`Body::Remove`] plan was carried out.
pub fn finish(planned: &Reply, outcome: Result<(), StoreError>, now: Timestamp) -> Reply {
    let _ = (planned, outcome, now);
    todo!()
}

/// The reply to a request the parser refused: the error's status, a short text body, and
/// `Connection: close`.
pub fn reply_to_error(err: ParseError, now: Timestamp) -> Reply {
    let _ = (err, now);
    todo!()
}
