//! Incremental parsers for requests (the server's side) and responses (the client's side).
//!
//! The caller owns the buffer. It calls `handle_bytes` with every byte it has received and
//! not yet had consumed; each call returns one [`Step`]: how many bytes were consumed and
//! what happened ([`Event`]). Consumed bytes may be dropped; the others must be passed
//! again, in front of any new ones. Short input is never an error: the event is then
//! [`Event::NeedMore`] and nothing is consumed.
//!
//! ```text
//!            ┌────────────── start_next() ─────────────────┐
//!            ▼                                             │
//!        ┌──────┐  Head   ┌──────┐  Data… / ChunkHeader…  ┌────┴─┐
//!  ────► │ head │ ──────► │ body │ ─────────────────────► │ done │ (Paused until start_next)
//!        └──────┘         └──────┘   Trailers?, End       └──────┘
//!            │                │
//!            └───── error ────┴──► failed (sticky: the same error forever)
//! ```
//!
//! Any split of the input gives the same events (with `Data` split differently) and the
//! same error.

mod body;
mod facts;
mod fields;
mod machine;
mod request;
mod response;
#[cfg(test)]
mod tests;

pub use request::RequestParser;
pub use response::ResponseParser;

use crate::head::Fields;

/// Whether `s` is a token (RFC 9110 §5.6.2): one or more tchar.
pub(crate) fn is_token(s: &[u8]) -> bool {
    !s.is_empty() && s.iter().all(|&b| fields::TCHAR[b as usize])
}

/// Field spans reserved per parser: one allocation covers the heads people send.
pub(crate) const FIELDS_CAPACITY: usize = 24;

/// What one call to `handle_bytes` found.
#[derive(Debug, Clone, Copy)]
pub enum Event<'a, H> {
    /// Nothing more can be read until more bytes arrive.
    NeedMore,
    /// A whole head: a [`RequestHead`](crate::RequestHead) or a
    /// [`ResponseHead`](crate::ResponseHead). For a response it may be an interim (1xx) one,
    /// after which the next head follows.
    Head(H),
    /// The start of a chunk of `size` bytes (chunked bodies only; size 0 is the last chunk).
    ChunkHeader {
        /// The chunk's size.
        size: u64,
        /// The raw chunk extensions (`;name=value...`), possibly empty.
        extensions: &'a [u8],
    },
    /// Body bytes (de-chunked).
    Data(&'a [u8]),
    /// The trailer fields after the last chunk (only when there are some).
    Trailers(Fields<'a>),
    /// The message is complete. The parser now waits for `start_next`.
    End,
    /// The message ended earlier; call `start_next` to read the next one.
    Paused,
}

/// The outcome of one call: how many bytes were consumed, and the event.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Step<'a, H> {
    /// Bytes of the input consumed by this step; the caller drops them.
    pub consumed: usize,
    /// What happened.
    pub event: Event<'a, H>,
}
