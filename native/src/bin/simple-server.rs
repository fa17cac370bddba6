//! simple-server: serves a directory over HTTP/1.1 (GET, HEAD, PUT, DELETE).
//!
//! Flags → config → run → exit code; see `simple-server --help`.
use clap::Parser;
use simplehttp_native::server::{cli::Cli, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    run(Cli::parse())
}
