//! simple-server's guards against attacks from a web page or another local user: Host
//! names a loopback server answers to (DNS rebinding), the sandbox around HTML and SVG in
//! a writable root, and where the `--auth` password can be seen.

use simplehttp_tests::server_util::{Response, Server, TempDir};

/// `METHOD path` with `Host: host` on a new connection, with an optional body.
fn ask(s: &Server, method: &str, path: &str, host: &str, body: &str) -> Response {
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    if method == "PUT" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    s.exchange(req.as_bytes())
}

/// A server on 127.0.0.1 with nothing but `args`: no `--allow-host` from the helper.
fn loopback_server(args: &[&str]) -> Server {
    let mut all = vec!["--bind", "127.0.0.1", "--threads", "1", "--quiet"];
    all.extend_from_slice(args);
    let s = Server::start_with(TempDir::new("policy"), &all, &[]);
    std::fs::write(s.file("secret.txt"), "the user's secret\n").unwrap();
    s
}

#[test]
fn a_loopback_server_refuses_a_rebound_host() {
    let s = loopback_server(&[]);
    let evil = format!("attacker.example:{}", s.port);
    let r = ask(&s, "GET", "/secret.txt", &evil, "");
    assert_eq!(r.status, 421, "{r:?}");
    assert_eq!(
        String::from_utf8_lossy(&r.body),
        "this server answers only to localhost, 127.0.0.1 and [::1]; \
         start it with --allow-host NAME to allow NAME\n"
    );
    assert_eq!(r.header("connection"), Some("close"));
    // Nothing is read, written or removed for a misdirected request.
    assert_eq!(ask(&s, "GET", "/", &evil, "").status, 421);
    assert_eq!(
        ask(&s, "PUT", "/planted.html", &evil, "<p>hi</p>").status,
        421
    );
    assert!(!s.file("planted.html").exists());
    assert_eq!(ask(&s, "DELETE", "/secret.txt", &evil, "").status, 421);
    assert!(s.file("secret.txt").exists());
    // Names that merely look like loopback ones are refused too.
    for host in ["localhost.attacker.example", "127.0.0.1.nip.io", ""] {
        assert_eq!(
            ask(&s, "GET", "/secret.txt", host, "").status,
            421,
            "{host:?}"
        );
    }
    // An absolute-form target's host is the one that counts (RFC 9112 §3.2.2).
    let absolute = format!("http://attacker.example:{}/secret.txt", s.port);
    let r = ask(&s, "GET", &absolute, &format!("localhost:{}", s.port), "");
    assert_eq!(r.status, 421);
}

#[test]
fn a_loopback_server_answers_to_loopback_names() {
    let s = loopback_server(&[]);
    let port = s.port;
    for host in [
        format!("localhost:{port}"),
        format!("LocalHost:{port}"),
        format!("localhost.:{port}"),
        "localhost".to_string(),
        format!("127.0.0.1:{port}"),
        format!("[::1]:{port}"),
    ] {
        let r = ask(&s, "GET", "/secret.txt", &host, "");
        assert_eq!(
            (r.status, r.body.as_slice()),
            (200, &b"the user's secret\n"[..]),
            "{host}"
        );
    }
    // A program on this machine may leave Host out of an HTTP/1.0 request; browsers never do.
    let r = s.exchange(b"GET /secret.txt HTTP/1.0\r\n\r\n");
    assert_eq!(r.status, 200);
    let absolute = format!("GET http://localhost:{port}/secret.txt HTTP/1.0\r\n\r\n");
    assert_eq!(s.exchange(absolute.as_bytes()).status, 200);
}

#[test]
fn allow_host_adds_a_name() {
    let s = loopback_server(&[
        "--allow-host",
        "files.example",
        "--allow-host",
        "other.test",
    ]);
    for host in [
        "files.example",
        "FILES.EXAMPLE:8080",
        "other.test.",
        "localhost",
    ] {
        assert_eq!(
            ask(&s, "GET", "/secret.txt", host, "").status,
            200,
            "{host}"
        );
    }
    let r = ask(&s, "GET", "/secret.txt", "attacker.example", "");
    assert_eq!(r.status, 421);
    assert!(
        String::from_utf8_lossy(&r.body).contains("[::1], files.example and other.test;"),
        "{r:?}"
    );
}

#[test]
fn a_server_for_the_network_answers_to_any_host() {
    // Bound to every address, read-only so that nothing can change while it is reachable.
    let root = TempDir::new("policy");
    std::fs::write(root.path().join("a.txt"), "a\n").unwrap();
    let s = Server::start_with(
        root,
        &[
            "--bind",
            "0.0.0.0",
            "--threads",
            "1",
            "--quiet",
            "--read-only",
        ],
        &[],
    );
    for host in ["attacker.example", "192.168.1.5:8080", "localhost"] {
        assert_eq!(ask(&s, "GET", "/a.txt", host, "").status, 200, "{host}");
    }
}

#[test]
fn allow_host_refuses_a_port_or_a_pattern() {
    for bad in ["files.example:8080", "*.example", "a/b"] {
        let out =
            std::process::Command::new(simplehttp_tests::server_util::bin_path("simple-server"))
                .args(["0", "--allow-host", bad])
                .output()
                .unwrap();
        assert_eq!(out.status.code(), Some(2), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.starts_with("simple-server: --allow-host wants a host name"),
            "{err}"
        );
    }
}
