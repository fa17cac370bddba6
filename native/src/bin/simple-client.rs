//! `simple-client`: flags → config → `run()` → exit code. The work lives in
//! `simplehttp_native::client`.

use clap::Parser;
use simplehttp_native::client::{cli::Args, run};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(exit) => exit.into(),
        Err(failure) => {
            eprintln!("simple-client: {failure}");
            failure.exit.into()
        }
    }
}
