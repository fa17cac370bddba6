//! simple-client's command line: usage errors, help text, local file errors, and the
//! progress bar (only on a terminal).

use simplehttp_tests::client_util::{client, client_bin, pattern, RawServer, TempDir};
use std::io::Write;
use std::time::Duration;

#[test]
fn help_documents_the_exit_codes() {
    let run = client(["--help"]).run();
    run.assert_code(0);
    let help = String::from_utf8_lossy(&run.stdout);
    for want in [
        "Exit codes",
        "0  the server answered 2xx or 3xx",
        "2  usage error",
        "4  network failure",
        "7  protocol error",
        "8  the server answered 4xx or 5xx",
        "130  interrupted",
        "HOST [PORT] METHOD PATH",
        "-m, --max-time <SECS>",
        "--location-trusted",
        "--path-as-is",
        "5  TLS verification failed",
        "--cacert <FILE>",
        "-k, --insecure",
    ] {
        assert!(help.contains(want), "--help lacks {want:?}:\n{help}");
    }
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    for (args, why) in [
        (&["ftp://127.0.0.1/"][..], "unsupported URL scheme"),
        (&["-H", "no colon", "http://127.0.0.1:1/"], "invalid header"),
        (
            &["-H", "Bad Name: x", "http://127.0.0.1:1/"],
            "invalid header name",
        ),
        (&["-X", "GE T", "http://127.0.0.1:1/"], "invalid method"),
        (&["127.0.0.1", "GET"], "expected"),
        (&["127.0.0.1", "70000", "GET", "/"], "invalid port"),
        (&["http://[::1/"], "unclosed"),
        (&["-X", "PUT", "http://127.0.0.1:1/x"], "PUT needs a body"),
    ] {
        let run = client(args).run();
        run.assert_code(2);
        let first = run.stderr.lines().next().unwrap_or("");
        assert_eq!(run.stderr.lines().count(), 1, "{args:?}: {:?}", run.stderr);
        assert!(
            first.starts_with("simple-client: ") && first.contains(why),
            "{args:?}: {:?}",
            run.stderr
        );
        assert!(run.stdout.is_empty());
    }
    // clap's own errors are usage errors too.
    client(["--no-such-flag", "http://127.0.0.1/"])
        .run()
        .assert_code(2);
}

#[test]
fn missing_upload_file_exits_1_before_connecting() {
    let dir = TempDir::new("client-missing-upload");
    let run = client([
        "-T",
        dir.join("nope.bin").to_str().unwrap(),
        "http://127.0.0.1:1/x",
    ])
    .run();
    run.assert_code(1);
    assert!(run.stderr.contains("cannot read"), "{}", run.stderr);
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let server = RawServer::one(|mut s, _| {
        let body = pattern(8 << 20, 4);
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        s.write_all(head.as_bytes()).expect("write");
        s.write_all(&body).expect("write");
        let _ = std::io::Read::read_to_end(&mut s, &mut Vec::new());
    });
    let dir = TempDir::new("client-noprogress");
    let out = dir.join("o");
    let run = client(["-o", out.to_str().unwrap(), &server.url("/big")]).run();
    run.assert_code(0);
    assert!(run.stderr.is_empty(), "{:?}", run.stderr);
    assert_eq!(std::fs::metadata(&out).expect("out").len(), 8 << 20);
    server.finish();
}

/// On a terminal (a pseudo-terminal from `script`), a large download to a file shows a bar.
#[test]
fn progress_bar_on_a_terminal() {
    let server = RawServer::one(|mut s, _| {
        let body = pattern(64 << 20, 4);
        let head = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n", body.len());
        s.write_all(head.as_bytes()).expect("write");
        for part in body.chunks(1 << 20) {
            s.write_all(part).expect("write");
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = std::io::Read::read_to_end(&mut s, &mut Vec::new());
    });
    let dir = TempDir::new("client-progress");
    let out = dir.join("o");
    let cmd = format!(
        "'{}' -o '{}' '{}'",
        client_bin().display(),
        out.display(),
        server.url("/big")
    );
    let output = std::process::Command::new("timeout")
        .args(["60", "script", "-qec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux) must be installed");
    assert!(output.status.success(), "{output:?}");
    let screen = String::from_utf8_lossy(&output.stdout);
    assert!(
        screen.contains("MiB/64.00 MiB"),
        "no progress bar in {screen:?}"
    );
    assert_eq!(std::fs::metadata(&out).expect("out").len(), 64 << 20);
    server.finish();
}

#[test]
fn remote_names_with_bidi_or_control_characters_are_refused() {
    let dir = TempDir::new("client-remote-name");
    for (path, why) in [
        // Shows as "invoiceexe.pdf" in a listing.
        ("/invoice%E2%80%AEfdp.exe", "bidi control (U+202E)"),
        ("/a%E2%81%A6b.txt", "bidi control (U+2066)"),
        ("/a%E2%80%8Fb.txt", "bidi control (U+200F)"),
        ("/a%D8%9Cb.txt", "bidi control (U+061C)"),
        ("/x%1B]0;title%07.txt", "control character (U+001B)"),
        ("/x%0Ay.txt", "control character (U+000A)"),
    ] {
        let url = format!("http://127.0.0.1:1{path}");
        let run = client(["-O", &url]).current_dir(dir.path()).run();
        run.assert_code(2);
        assert_eq!(run.stderr.lines().count(), 1, "{path}: {:?}", run.stderr);
        assert!(
            run.stderr
                .starts_with("simple-client: -O: the remote name ")
                && run.stderr.contains(why)
                && run.stderr.contains("-o FILE"),
            "{path}: {:?}",
            run.stderr
        );
        assert!(
            !run.stderr
                .contains(['\u{202e}', '\u{2066}', '\u{200f}', '\u{61c}', '\u{1b}']),
            "{path}: raw peer text on stderr: {:?}",
            run.stderr
        );
        assert!(dir.entries().is_empty(), "{path}: {:?}", dir.entries());
    }
}
