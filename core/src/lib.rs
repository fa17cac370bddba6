//! # simplehttp-core
//!
//! A sans-IO HTTP/1.1 engine: it parses and writes requests and responses incrementally,
//! frames bodies, and decides how a file server answers, without touching a socket, a file,
//! a clock or a thread. Bytes and facts go in; events, replies and bytes come out.
//!
//! ```text
//! socket bytes ──► RequestParser ──► Head / Data(&[u8]) / End / Error(status)
//!                                         │
//!      FileStore (trait), Policy ──► decide(head, store, policy, now) ──► Reply
//!                                         │
//!                            Reply::write_head ──► head bytes + body plan
//!
//! request ──► ClientConnection ──► head and body bytes out
//! socket bytes ──► ClientConnection ──► Interim / Head / Data(&[u8]) / End, reuse, redirect
//!
//! bytes, time, store outcomes ──► ServerConnection ──► bytes and file ranges to send,
//!                                                      actions (open, upload, remove, close)
//! ```
//!
//! ## Where things are
//! - [`parse`]: [`RequestParser`] and [`ResponseParser`], bounded by [`Limits`]; their
//!   errors are [`ParseError`]s, each with its status, name and RFC section.
//! - [`decide`](mod@decide): [`decide()`] and the order of its rules, one concern per file
//!   (hosts, authentication, GET, conditional requests, ranges, uploads, content types).
//! - `reply.rs`: [`Reply`], its [`Body`] plan and [`Reply::write_head`]; `rule.rs`: the
//!   [`Rule`] catalogue, each with its name, explanation and RFC section.
//! - [`store`], [`target`], [`listing`]: the file store, safe store paths, listing pages
//!   (HTML and JSON); [`assets`]: the listing's script and stylesheet, served from the
//!   reserved path `/.simplehttp/`.
//! - [`lint`]: expert info: what an accepted message says that deserves a second look (a
//!   mistyped field name, a repeated Content-Length), and what a response could say better.
//! - [`write`](mod@write): request heads and chunked bodies; [`date`]: HTTP dates.
//! - [`server`]: [`ServerConnection`], the server's connection engine (the sequencing of
//!   one connection: decide, keep-alive, pipelining, 100-continue, uploads, deadlines).
//! - [`client`]: [`ClientConnection`], the client's connection engine.
//!
//! ## Left out on purpose
//! - HTTP/2 and HTTP/3, TLS, and any I/O: a shell does those.
//! - Transfer codings other than chunked (gzip in Transfer-Encoding answers 501).
//! - Lenient parsing: bare LF line endings, obs-fold and whitespace before colons are
//!   refused, as RFC 9112 allows, because leniency is where request smuggling lives.
//! - Multipart ranges: only a single `bytes=` range is served.
#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

pub mod assets;
pub mod client;
pub mod date;
pub mod decide;
mod error;
pub mod head;
mod limits;
pub mod lint;
pub mod listing;
mod mime;
pub mod parse;
mod reply;
mod rule;
pub mod server;
pub mod store;
pub mod target;
pub mod write;

pub use client::{ClientConnection, ClientError};
pub use decide::{
    decide, decide_from, finish, reply_to_error, reply_with_status, Auth, Authenticator,
    PlainUsers, Policy, Presented, Verdict, LISTING_CSP, LOOPBACK_HOSTS,
};
pub use error::{ParseError, UsageError};
pub use head::{
    Applies, Field, FieldSpan, Fields, Framing, FramingRule, MessageLengthRule, Method,
    RequestHead, ResponseHead, TargetForm, Version, MESSAGE_LENGTH_RULES,
};
pub use limits::Limits;
pub use listing::Listing;
pub use parse::{Event, RequestParser, ResponseParser, Step};
pub use reply::{Body, HeaderValue, Reply, UploadPlan};
pub use rule::Rule;
pub use server::ServerConnection;
pub use store::{DirEntry, FileStore, Kind, Listed, MemoryStore, Metadata, StoreError, Upload};
pub use target::{resolve, StorePath, TargetError};
pub use write::WriteError;

/// A point in time: whole seconds since the Unix epoch (1970-01-01T00:00:00Z), UTC.
///
/// The core never reads a clock; callers pass the current time in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Timestamp(pub u64);
