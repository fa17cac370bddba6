//! simple-server against real clients: curl and Python's http.client.

use simplehttp_tests::server_util::{bin_path, curl, Server, TempDir};
use std::process::Command;

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn code(out: &std::process::Output) -> u16 {
    let s = text(out);
    s.trim()
        .rsplit('\n')
        .next()
        .unwrap_or("")
        .trim()
        .parse()
        .unwrap_or(0)
}

#[test]
fn curl_gets_heads_and_lists() {
    let s = Server::start(&[]);
    std::fs::write(s.file("a.txt"), b"hello, world\n").unwrap();
    std::fs::create_dir(s.file("sub")).unwrap();
    std::fs::write(s.file("<b>&.txt"), b"x").unwrap();
    std::fs::write(s.file(".simplehttp-upload-0123"), b"partial").unwrap();

    let out = curl(&[&s.url("/a.txt")]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, b"hello, world\n");

    // HEAD: the head only, with the length the GET would have.
    let out = curl(&["-I", &s.url("/a.txt")]);
    let head = text(&out);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase().contains("content-length: 13"),
        "{head}"
    );

    // A listing: chunked, escaped, sorted, temporaries hidden.
    let out = curl(&["-i", &s.url("/")]);
    let page = text(&out);
    assert!(
        page.to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{page}"
    );
    assert!(page.contains("a.txt"), "{page}");
    assert!(page.contains("sub/"), "{page}");
    assert!(page.contains("&lt;b&gt;&amp;.txt"), "{page}");
    assert!(!page.contains("<b>&.txt"), "{page}");
    assert!(!page.contains("simplehttp-upload"), "{page}");

    let out = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/missing.txt"),
    ]);
    assert_eq!(code(&out), 404);
    // A temporary is not served either.
    let out = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/.simplehttp-upload-0123"),
    ]);
    assert_eq!(code(&out), 404);

    // One access-log line per request: peer, request line, status.
    let log = s.wait_for_log(|log| log.iter().any(|l| l.contains("/missing.txt")));
    assert!(
        log.iter()
            .any(|l| l.contains("127.0.0.1:") && l.contains("\"GET /a.txt HTTP/1.1\" 200")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("\"GET /missing.txt HTTP/1.1\" 404")),
        "{log:?}"
    );
}

#[test]
fn curl_uploads_with_and_without_expect_continue() {
    let s = Server::start(&[]);
    let src = s
        .root
        .path()
        .parent()
        .unwrap()
        .join(format!("upload-src-{}", s.port));
    let small: Vec<u8> = (0..5000u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&src, &small).unwrap();
    let srcs = src.to_str().unwrap();

    // Without Expect: 201 Created, parents made.
    let out = curl(&[
        "-H",
        "Expect:",
        "-T",
        srcs,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/new/deep/a.bin"),
    ]);
    assert_eq!(code(&out), 201, "{out:?}");
    assert_eq!(std::fs::read(s.file("new/deep/a.bin")).unwrap(), small);

    // With Expect: 100-continue asked for explicitly: replaced, 204.
    let out = curl(&[
        "-H",
        "Expect: 100-continue",
        "-T",
        srcs,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/new/deep/a.bin"),
    ]);
    assert_eq!(code(&out), 204, "{out:?}");

    // A 3 MiB file: curl sends Expect: 100-continue on its own; the server answers 100
    // at once (curl would otherwise wait a second before sending).
    let big: Vec<u8> = (0..3 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    std::fs::write(&src, &big).unwrap();
    let out = curl(&[
        "-v",
        "-T",
        srcs,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/big.bin"),
    ]);
    let verbose = String::from_utf8_lossy(&out.stderr);
    assert_eq!(code(&out), 201, "{verbose}");
    assert!(verbose.contains("Expect: 100-continue"), "{verbose}");
    assert!(verbose.contains("100 Continue"), "{verbose}");
    assert_eq!(std::fs::read(s.file("big.bin")).unwrap(), big);

    // A chunked upload from stdin.
    let mut child = Command::new("curl")
        .args([
            "-sS",
            "--max-time",
            "30",
            "-T",
            "-",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &s.url("/piped.txt"),
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin.write_all(b"through a pipe\n").unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert_eq!(code(&out), 201);
    assert_eq!(
        std::fs::read(s.file("piped.txt")).unwrap(),
        b"through a pipe\n"
    );

    // DELETE removes it.
    let out = curl(&[
        "-X",
        "DELETE",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/piped.txt"),
    ]);
    assert_eq!(code(&out), 204);
    assert!(!s.file("piped.txt").exists());
    assert!(s.temporaries().is_empty(), "{:?}", s.temporaries());
    let _ = std::fs::remove_file(src);
}

#[test]
fn curl_http10_ranges_and_conditional_requests() {
    let s = Server::start(&[]);
    let body: Vec<u8> = (b'a'..=b'z').cycle().take(1000).collect();
    std::fs::write(s.file("f.txt"), &body).unwrap();

    let out = curl(&["--http1.0", "-i", &s.url("/f.txt")]);
    let resp = text(&out);
    assert!(
        resp.starts_with("HTTP/1.1 200") || resp.starts_with("HTTP/1.0 200"),
        "{resp}"
    );
    assert!(
        resp.ends_with(std::str::from_utf8(&body).unwrap()),
        "{resp}"
    );
    // An HTTP/1.0 listing is not chunked (1.0 has no chunked coding).
    let out = curl(&["--http1.0", "-i", &s.url("/")]);
    let resp = text(&out);
    assert!(
        !resp.to_ascii_lowercase().contains("transfer-encoding"),
        "{resp}"
    );
    assert!(resp.contains("f.txt"), "{resp}");

    let out = curl(&["-r", "10-19", "-D", "-", &s.url("/f.txt")]);
    let resp = text(&out);
    assert!(resp.starts_with("HTTP/1.1 206"), "{resp}");
    assert!(
        resp.to_ascii_lowercase()
            .contains("content-range: bytes 10-19/1000"),
        "{resp}"
    );
    assert!(resp.ends_with("klmnopqrst"), "{resp}");

    let out = curl(&[
        "-r",
        "5000-6000",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/f.txt"),
    ]);
    assert_eq!(code(&out), 416);

    let out = curl(&["-I", &s.url("/f.txt")]);
    let head = text(&out);
    let etag = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("ETag: ")
                .or_else(|| l.strip_prefix("etag: "))
        })
        .expect("an ETag")
        .trim()
        .to_string();
    let out = curl(&[
        "-H",
        &format!("If-None-Match: {etag}"),
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/f.txt"),
    ]);
    assert_eq!(code(&out), 304);
    let out = curl(&[
        "-H",
        "If-None-Match: \"other\"",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/f.txt"),
    ]);
    assert_eq!(code(&out), 200);
}

#[test]
fn python_http_client_keeps_one_connection() {
    let s = Server::start(&[]);
    std::fs::write(s.file("hello.txt"), b"hi there").unwrap();
    let script = r#"
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=20)
def ask(method, path, body=None):
    c.request(method, path, body=body)
    r = c.getresponse()
    return r.status, r.read()
st, b = ask("GET", "/hello.txt"); assert (st, b) == (200, b"hi there"), (st, b)
st, b = ask("PUT", "/py/new.txt", b"from python"); assert st == 201, st
st, b = ask("GET", "/py/new.txt"); assert (st, b) == (200, b"from python"), (st, b)
st, b = ask("HEAD", "/py/new.txt"); assert (st, b) == (200, b""), (st, b)
st, b = ask("DELETE", "/py/new.txt"); assert st == 204, st
st, b = ask("GET", "/py/new.txt"); assert st == 404, st
st, b = ask("POST", "/hello.txt", b"x"); assert st == 405, st
print("ok")
"#;
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(s.port.to_string())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");
    // Every request shared one connection: one peer port in the log.
    // Seven requests, seven access-log lines.
    let log = s.wait_for_log(|log| log.iter().filter(|l| l.contains(" HTTP/1.1\" ")).count() >= 7);
    let peers: std::collections::BTreeSet<String> = log
        .iter()
        .filter(|l| l.contains("\" 2") || l.contains("\" 4"))
        .filter_map(|l| l.split(' ').nth(1).map(str::to_string))
        .collect();
    assert_eq!(peers.len(), 1, "{peers:?}");
}

#[test]
fn read_only_auth_and_upload_limit() {
    let s = Server::start(&["--read-only"]);
    let out = curl(&[
        "-T",
        "/etc/hostname",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/x.txt"),
    ]);
    assert_eq!(code(&out), 405);
    assert!(!s.file("x.txt").exists());
    assert!(s.log().iter().any(|l| l.contains("(read-only)")));
    drop(s);

    let s = Server::start(&["--auth", "alice:s3cret", "--max-upload", "1K"]);
    let out = curl(&[
        "-H",
        "Expect:",
        "--data-binary",
        "x",
        "-X",
        "PUT",
        "-D",
        "-",
        "-o",
        "/dev/null",
        &s.url("/x.txt"),
    ]);
    let head = text(&out);
    assert!(head.starts_with("HTTP/1.1 401"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("www-authenticate: basic"),
        "{head}"
    );
    let out = curl(&[
        "-u",
        "alice:wrong",
        "--data-binary",
        "x",
        "-X",
        "PUT",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/x.txt"),
    ]);
    assert_eq!(code(&out), 401);
    let out = curl(&[
        "-u",
        "alice:s3cret",
        "--data-binary",
        "x",
        "-X",
        "PUT",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/x.txt"),
    ]);
    assert_eq!(code(&out), 201);
    // Over --max-upload: 413 before the body is read, and no file.
    let two_k = "y".repeat(2048);
    let out = curl(&[
        "-u",
        "alice:s3cret",
        "--data-binary",
        &two_k,
        "-X",
        "PUT",
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &s.url("/big.txt"),
    ]);
    assert_eq!(code(&out), 413);
    assert!(!s.file("big.txt").exists());
    assert!(s.temporaries().is_empty());
}

#[test]
fn command_line_errors_are_one_clear_line() {
    // A port another program holds (without SO_REUSEPORT): exit 3 and one line.
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let root = TempDir::new("cli");
    let root = root.path().to_str().unwrap().to_string();
    let out = Command::new(bin_path("simple-server"))
        .args([&port, "--bind", "127.0.0.1", "--root", &root])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "simple-server: cannot listen on 127.0.0.1:{port}: address already in use"
        )),
        "{err}"
    );

    // Another simple-server on the port: refused too, although both use SO_REUSEPORT.
    let first = Server::start(&[]);
    let out = Command::new(bin_path("simple-server"))
        .args([
            &first.port.to_string(),
            "--bind",
            "127.0.0.1",
            "--root",
            &root,
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    drop(first);

    let out = Command::new(bin_path("simple-server"))
        .args(["0", "--root", "/no/such/dir"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{out:?}");
    let out = Command::new(bin_path("simple-server"))
        .args(["0", "--max-upload", "lots"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");

    let out = Command::new(bin_path("simple-server"))
        .arg("--help")
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success());
    for flag in [
        "--root",
        "--bind",
        "--threads",
        "--read-only",
        "--auth",
        "--max-upload",
        "--header-timeout",
        "--idle-timeout",
        "--quiet",
        "Examples:",
    ] {
        assert!(help.contains(flag), "{flag} missing from --help");
    }
    let out = Command::new(bin_path("simple-server"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("simple-server "));
}

#[test]
fn serves_ipv6_loopback_beside_ipv4() {
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped: this machine has no IPv6 loopback");
        return;
    }
    let s = Server::start(&["--bind", "::1", "--threads", "1"]);
    std::fs::write(s.file("six.txt"), "over ipv6").unwrap();
    let line = s
        .log()
        .into_iter()
        .find(|l| l.starts_with("Serving "))
        .unwrap();
    assert!(line.contains(&format!("http://[::1]:{}", s.port)), "{line}");
    let out = curl(&["-g", &format!("http://[::1]:{}/six.txt", s.port)]);
    assert_eq!(out.stdout, b"over ipv6", "{out:?}");
    let out = curl(&[&s.url("/six.txt")]);
    assert_eq!(out.stdout, b"over ipv6");
}
