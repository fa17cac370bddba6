//! The socket shells around `simplehttp-core`: the file server and the command-line client.
//!
//! The binaries in `src/bin/` stay thin (flags → config → `run()` → exit code); the work
//! lives in [`server`] and [`client`].
#![forbid(unsafe_code)]

pub mod argv;
pub mod client;
pub mod server;
