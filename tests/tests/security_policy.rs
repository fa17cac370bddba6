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

/// A page that, when its script runs, reads another file of the same origin into itself.
const ACTIVE_PAGE: &str = "<!DOCTYPE html><html><body><p id=out>script did not run</p><script>\
    var x = new XMLHttpRequest(); x.open('GET', '/secret.txt', false); x.send();\
    document.getElementById('out').textContent = 'script read: ' + x.responseText;\
    </script></body></html>";

#[test]
fn uploaded_html_and_svg_are_sandboxed_and_never_sniffed() {
    let s = Server::start(&["--quiet"]);
    std::fs::write(s.file("secret.txt"), "the user's secret\n").unwrap();
    let svg = "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>";
    for (path, body) in [
        ("/page.html", ACTIVE_PAGE),
        ("/pic.svg", svg),
        ("/feed.xml", "<x/>"),
        ("/notes.txt", ACTIVE_PAGE),
        ("/blob", ACTIVE_PAGE),
    ] {
        assert_eq!(ask(&s, "PUT", path, "t", body).status, 201, "{path}");
    }
    for (path, sandboxed) in [
        ("/page.html", true),
        ("/pic.svg", true),
        ("/feed.xml", true),
        ("/notes.txt", false),
        ("/blob", false),
    ] {
        let r = ask(&s, "GET", path, "t", "");
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(
            r.header("x-content-type-options"),
            Some("nosniff"),
            "{path}"
        );
        let csp = if sandboxed { Some("sandbox") } else { None };
        assert_eq!(r.header("content-security-policy"), csp, "{path}");
    }
    // The listing is not sandboxed (its script must run) but strictly fenced in.
    let r = ask(&s, "GET", "/", "t", "");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    let csp = r.header("content-security-policy").unwrap();
    assert_eq!(csp, simplehttp_core::LISTING_CSP);
    assert!(!csp.contains("unsafe-inline") && !csp.contains("sandbox"));
    // Error replies carry a type too, and are never sniffed either.
    let r = ask(&s, "GET", "/missing.html", "t", "");
    assert_eq!(r.status, 404);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
}

#[test]
fn trusted_html_and_a_read_only_root_are_not_sandboxed() {
    let s = Server::start(&["--quiet", "--trusted-html"]);
    assert_eq!(ask(&s, "PUT", "/page.html", "t", ACTIVE_PAGE).status, 201);
    let r = ask(&s, "GET", "/page.html", "t", "");
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("content-security-policy"), None);

    let root = TempDir::new("policy");
    std::fs::write(root.path().join("page.html"), ACTIVE_PAGE).unwrap();
    let s = Server::start_in(root, &["--quiet", "--read-only"]);
    let r = ask(&s, "GET", "/page.html", "t", "");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(r.header("content-security-policy"), None);
}

/// The DOM of `url` after headless Chromium loaded it and ran its scripts.
fn browser_dom(url: &str) -> String {
    let profile = TempDir::new("chromium");
    let out = std::process::Command::new("timeout")
        .args([
            "60",
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(["--dump-dom", url])
        .output()
        .expect("run chromium (is it installed?)");
    assert!(out.status.success(), "chromium failed: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_browser_runs_no_script_of_an_uploaded_page() {
    let s = Server::start(&["--quiet"]);
    std::fs::write(s.file("secret.txt"), "the user's secret").unwrap();
    assert_eq!(ask(&s, "PUT", "/page.html", "t", ACTIVE_PAGE).status, 201);
    let dom = browser_dom(&s.url("/page.html"));
    assert!(dom.contains("script did not run"), "{dom}");
    assert!(!dom.contains("the user's secret"), "{dom}");

    // The owner's trust lets the same page run, and read what its origin serves.
    let s = Server::start(&["--quiet", "--trusted-html"]);
    std::fs::write(s.file("secret.txt"), "the user's secret").unwrap();
    assert_eq!(ask(&s, "PUT", "/page.html", "t", ACTIVE_PAGE).status, 201);
    let dom = browser_dom(&s.url("/page.html"));
    assert!(dom.contains("script read: the user's secret"), "{dom}");
}

/// `Authorization` for alice:s3cret.
const ALICE: &str = "Basic YWxpY2U6czNjcmV0";

/// Whether a PUT needs alice's password: 401 without it, 201 with it.
fn writes_need_alice(s: &Server) {
    let put = |auth: &str| {
        s.exchange(
            format!(
                "PUT /w.txt HTTP/1.1\r\nHost: t\r\n{auth}Content-Length: 2\r\nConnection: close\r\n\r\nhi"
            )
            .as_bytes(),
        )
        .status
    };
    assert_eq!(put(""), 401);
    assert_eq!(put("Authorization: Basic YWxpY2U6d3Jvbmc=\r\n"), 401);
    assert_eq!(put(&format!("Authorization: {ALICE}\r\n")), 201);
}

/// The process's command line as other users see it (in ps, or /proc/PID/cmdline).
fn cmdline(s: &Server) -> String {
    let raw = std::fs::read(format!("/proc/{}/cmdline", s.pid())).unwrap();
    String::from_utf8_lossy(&raw).replace('\0', " ")
}

#[test]
fn the_auth_password_is_hidden_from_the_command_line() {
    let s = Server::start(&["--quiet", "--auth", "alice:s3cret"]);
    let shown = cmdline(&s);
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains(" --auth alice:****** "), "{shown}");
    writes_need_alice(&s);

    let s = Server::start(&["--quiet", "--auth=alice:s3cret"]);
    let shown = cmdline(&s);
    assert!(!shown.contains("s3cret"), "{shown}");
    assert!(shown.contains(" --auth=alice:****** "), "{shown}");
    writes_need_alice(&s);
}

#[test]
fn the_auth_password_can_come_from_the_environment() {
    let args = ["--bind", "127.0.0.1", "--allow-host", "t"];
    let s = Server::start_with(
        TempDir::new("policy"),
        &args,
        &[("SIMPLE_SERVER_AUTH", "alice:s3cret")],
    );
    assert!(
        s.log()[0].ends_with("(read-write, writes need a password)"),
        "{:?}",
        s.log()
    );
    assert!(!cmdline(&s).contains("s3cret"));
    writes_need_alice(&s);
}

#[test]
fn the_auth_password_can_come_from_a_private_file() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = TempDir::new("auth");
    let file = dir.path().join("auth");
    // `openssl passwd -6 -salt saltsalt s3cret`: no password in the file.
    std::fs::write(
        &file,
        "alice:$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nFnNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1\n",
    )
    .unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let path = file.to_str().unwrap();
    // The file wins over the environment.
    let s = Server::start_with(
        TempDir::new("policy"),
        &[
            "--bind",
            "127.0.0.1",
            "--allow-host",
            "t",
            "--auth-file",
            path,
        ],
        &[("SIMPLE_SERVER_AUTH", "bob:other")],
    );
    writes_need_alice(&s);
    drop(s);

    // A file other users may read is refused, and so is a user given twice.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let run = |args: &[&str]| {
        let out =
            std::process::Command::new(simplehttp_tests::server_util::bin_path("simple-server"))
                .args(["0", "--root"])
                .arg(dir.path())
                .args(args)
                .output()
                .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (code, err) = run(&["--auth-file", path]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        format!(
            "simple-server: --auth-file {path} is open to other users (mode 0644); \
             run chmod 600 {path}\n"
        )
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    let (code, err) = run(&["--auth-file", path, "--auth", "alice:other"]);
    assert_eq!(code, Some(2), "{err}");
    assert_eq!(
        err,
        format!("simple-server: --auth-file {path} line 1: user alice is also given by --auth\n")
    );
}
