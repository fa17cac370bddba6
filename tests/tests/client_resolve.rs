//! simple-client's name lookup: literal addresses and `localhost` connect as before, and a
//! name that does not resolve fails with exit 4 within `--connect-timeout`.
//!
//! A resolver that hangs is simulated in the unit tests of `native/src/client/connect.rs`;
//! here only names whose outcome does not depend on the network are used.

use simplehttp_tests::client_util::{client, RawServer};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

/// Answers one GET with `hello`, then waits for the client to close.
fn hello_server() -> RawServer {
    RawServer::one(|mut s: TcpStream, _| {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")
            .expect("server write");
        let _ = s.read_to_end(&mut Vec::new());
    })
}

#[test]
fn a_literal_address_connects_in_both_forms() {
    let server = hello_server();
    let run = client(["--connect-timeout", "0.5", &server.url("/")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello");
    server.finish();

    let server = hello_server();
    let port = server.port.to_string();
    let run = client(["--connect-timeout", "0.5", "127.0.0.1", &port, "GET", "/"]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello");
    server.finish();
}

#[test]
fn localhost_is_looked_up_and_connects() {
    let server = hello_server();
    let url = format!("http://localhost:{}/", server.port);
    let run = client(["-v", "--connect-timeout", "5", &url]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello");
    assert!(
        run.stderr.contains("connected to 127.0.0.1:"),
        "{}",
        run.stderr
    );
    server.finish();
}

/// `.invalid` never resolves (RFC 6761 §6.4). Without a reachable DNS server the lookup
/// hangs and times out; with one it fails at once. Either way: exit 4, one line, in time.
#[test]
fn a_name_that_does_not_resolve_fails_with_exit_4_within_the_connect_timeout() {
    let run = client([
        "--connect-timeout",
        "1",
        "http://no-such-host.simplehttp.invalid/",
    ])
    .deadline(Duration::from_secs(20))
    .run();
    run.assert_code(4);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    let line = run.stderr.trim_end();
    assert!(
        line == "simple-client: timed out resolving no-such-host.simplehttp.invalid after 1 s"
            || line.starts_with(
                "simple-client: could not resolve host no-such-host.simplehttp.invalid: "
            ),
        "{line}"
    );
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    assert!(run.stdout.is_empty());
}

#[test]
fn help_says_the_connect_timeout_bounds_the_lookup() {
    let run = client(["--help"]).run();
    run.assert_code(0);
    let help = String::from_utf8_lossy(&run.stdout);
    assert!(
        help.contains("Give up looking the host up and connecting after SECS seconds"),
        "{help}"
    );
}
