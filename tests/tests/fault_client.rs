//! simple-client against servers that stall, reset (SO_LINGER 0) or truncate, at every
//! point of the response and during an upload: never exit 0, never a clobbered or partial
//! `-o` file, no temporary left beside it.
//!
//! client_raw.rs covers the single cases (a stall before the response, a body cut short);
//! this file walks every phase with each fault.

use simplehttp_tests::client_util::{client, RawServer, TempDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// What the server does to the connection.
#[derive(Clone, Copy, Debug)]
enum Fault {
    /// Stops sending and holds the connection open.
    Stall,
    /// Closes with SO_LINGER 0: a reset.
    Reset,
    /// Closes cleanly (FIN): the client sees the response end early.
    Truncate,
}

fn apply(fault: Fault, mut s: TcpStream) {
    match fault {
        Fault::Stall => {
            // Hold it until the client gives up (or 20 s pass).
            s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
            let mut rest = Vec::new();
            let _ = s.read_to_end(&mut rest);
        }
        Fault::Reset => {
            socket2::SockRef::from(&s)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(s);
        }
        Fault::Truncate => drop(s),
    }
}

/// Response prefixes after which the fault strikes.
const PHASES: &[(&str, &[u8])] = &[
    ("before the response", b""),
    ("in the status line", b"HTTP/1.1 20"),
    (
        "in the head",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\nX-A: b",
    ),
    (
        "in a Content-Length body",
        b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial body",
    ),
    (
        "in a chunk",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\npartial",
    ),
    (
        "between chunks",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n",
    ),
    (
        "after the last chunk, before the blank line",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n",
    ),
    (
        "in the trailers",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\nX-T: 1",
    ),
    ("after an interim 100", b"HTTP/1.1 100 Continue\r\n\r\n"),
];

/// The exit code each fault earns: a timeout or reset is a network failure (4), a
/// response ended early is a protocol error (7).
fn expected_code(fault: Fault) -> i32 {
    match fault {
        Fault::Stall | Fault::Reset => 4,
        Fault::Truncate => 7,
    }
}

/// Runs the client with `-o` against a server that sends `prefix` then applies `fault`,
/// once with an existing output file and once with a fresh path.
fn check(fault: Fault, phase: &str, prefix: &'static [u8], extra: &[&str]) -> Vec<String> {
    let mut wrong = Vec::new();
    for existing in [true, false] {
        let dir = TempDir::new("client-fault");
        let out = dir.join("out.bin");
        if existing {
            std::fs::write(&out, b"precious").unwrap();
        }
        let server = RawServer::one(move |mut s, _| {
            s.set_nodelay(true).unwrap();
            s.write_all(prefix).unwrap();
            s.flush().unwrap();
            // Let the prefix arrive before a reset, which could otherwise discard it.
            std::thread::sleep(Duration::from_millis(100));
            apply(fault, s);
        });
        let mut args: Vec<String> = vec!["--timeout".into(), "1".into(), "-o".into()];
        args.push(out.to_str().unwrap().into());
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(server.url("/file.bin"));
        let run = client(&args).deadline(Duration::from_secs(20)).run();
        server.finish();
        let what = format!(
            "{fault:?} {phase}{} ({} output file)",
            if extra.is_empty() {
                ""
            } else {
                " during an upload"
            },
            if existing { "existing" } else { "no" }
        );
        if run.code == Some(0) {
            wrong.push(format!("{what}: exit 0"));
        } else if run.code != Some(expected_code(fault)) {
            wrong.push(format!(
                "{what}: exit {:?}, expected {}: {}",
                run.code,
                expected_code(fault),
                run.stderr.trim()
            ));
        }
        let want: &[&str] = if existing { &["out.bin"] } else { &[] };
        if dir.entries() != want {
            wrong.push(format!("{what}: the directory holds {:?}", dir.entries()));
        }
        if existing && std::fs::read(&out).ok().as_deref() != Some(&b"precious"[..]) {
            wrong.push(format!("{what}: the output file was clobbered"));
        }
    }
    wrong
}

/// Every phase with `fault`, the phases side by side (a stall costs a second each).
fn check_all(fault: Fault) {
    let runs: Vec<_> = PHASES
        .iter()
        .map(|(phase, prefix)| std::thread::spawn(move || check(fault, phase, prefix, &[])))
        .collect();
    let wrong: Vec<String> = runs.into_iter().flat_map(|r| r.join().unwrap()).collect();
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn a_stalling_server_never_gives_exit_0_or_a_clobbered_file() {
    check_all(Fault::Stall);
}

#[test]
fn a_resetting_server_never_gives_exit_0_or_a_clobbered_file() {
    check_all(Fault::Reset);
}

#[test]
fn a_truncating_server_never_gives_exit_0_or_a_clobbered_file() {
    check_all(Fault::Truncate);
}

/// A close-delimited body (no Content-Length, no chunked) ends at a clean close; ended by a
/// reset it may be cut short, so it is not a success.
#[test]
fn a_close_delimited_body_ended_by_a_reset_is_not_a_success() {
    let wrong = check(
        Fault::Reset,
        "in a close-delimited body",
        b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nsome of the body",
        &[],
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// The server faults while the client is still sending an upload.
#[test]
fn faults_during_an_upload_are_failures() {
    let dir = TempDir::new("client-upload-src");
    let src = dir.join("big.bin");
    std::fs::write(&src, vec![b'u'; 8 << 20]).unwrap();
    let mut wrong = Vec::new();
    for fault in [Fault::Stall, Fault::Reset, Fault::Truncate] {
        // The server reads the head only: the body fills the socket buffers, then the fault.
        wrong.extend(check(
            fault,
            "while the body is sent",
            b"",
            &["-T", src.to_str().unwrap()],
        ));
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
