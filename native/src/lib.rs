//! The socket shells around `simplehttp-core`: the file server and the command-line client.
//!
//! The binaries in `src/bin/` stay thin (flags → config → `run()` → exit code); the work
//! lives in [`server`] and [`client`].
//!
//! No `unsafe` code, but for one audited function: taking ownership of the sockets a
//! service manager passed in ([`server::listen::inherited`]), which no safe API can do.
#![deny(unsafe_code)]

pub mod argv;
pub mod client;
pub mod server;
