//! simple-client through a real proxy, tinyproxy from Debian, started on a loopback port
//! with a configuration of its own: plain requests in absolute form, CONNECT tunnels for
//! https://, credentials, the environment variables and no_proxy, and refused proxies.

use simplehttp_tests::client_util::{
    client, free_port, header_value, simple_server, RawServer, TempDir,
};
use std::io::Write;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// tinyproxy on a free loopback port, stopped (by its PID) when dropped.
struct Tinyproxy {
    port: u16,
    child: Child,
    _dir: TempDir,
}

impl Tinyproxy {
    fn start(extra: &str) -> Tinyproxy {
        let bin = Path::new("/usr/bin/tinyproxy");
        assert!(
            bin.is_file(),
            "tinyproxy is not installed: these tests need it \
             (scripts/install-test-deps installs it: apt-get install tinyproxy)"
        );
        for _ in 0..3 {
            let dir = TempDir::new("tinyproxy");
            let port = free_port();
            let conf = format!(
                "Port {port}\nListen 127.0.0.1\nTimeout 30\nLogLevel Info\n\
                 LogFile \"{d}/log\"\nPidFile \"{d}/pid\"\nMaxClients 16\n\
                 Allow 127.0.0.1\n{extra}\n",
                d = dir.path().display()
            );
            std::fs::write(dir.join("tinyproxy.conf"), conf).unwrap();
            let mut child = Command::new(bin)
                .arg("-d")
                .arg("-c")
                .arg(dir.join("tinyproxy.conf"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start tinyproxy");
            let end = Instant::now() + Duration::from_secs(10);
            while Instant::now() < end {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    return Tinyproxy {
                        port,
                        child,
                        _dir: dir,
                    };
                }
                if child.try_wait().ok().flatten().is_some() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        panic!("tinyproxy did not start");
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for Tinyproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A one-shot upstream that answers `hello` and hands back the request head it got.
fn upstream() -> RawServer {
    RawServer::one(|mut s, _| {
        let _ =
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello");
    })
}

#[test]
fn a_plain_get_goes_through_tinyproxy_in_absolute_form() {
    let proxy = Tinyproxy::start("");
    let server = upstream();
    let run = client(["-s", "-v", "-x", &proxy.url(), &server.url("/a?b=1")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello");
    assert!(
        run.stderr.contains(&format!(
            "> GET http://127.0.0.1:{}/a?b=1 HTTP/1.1",
            server.port
        )),
        "{}",
        run.stderr
    );
    let heads = server.finish();
    // tinyproxy says it relayed the request.
    assert!(header_value(&heads[0], "via").is_some_and(|v| v.contains("tinyproxy")));
    assert!(String::from_utf8_lossy(&heads[0]).starts_with("GET /a?b=1 HTTP/1.1\r\n"));
}

#[test]
fn http_proxy_is_used_and_http_proxy_in_capitals_is_not() {
    let proxy = Tinyproxy::start("");
    let server = upstream();
    let run = client(["-s", &server.url("/")])
        .env("http_proxy", proxy.url())
        .run();
    run.assert_code(0);
    assert!(header_value(&server.finish()[0], "via").is_some());

    let server = upstream();
    let run = client(["-s", &server.url("/")])
        .env("HTTP_PROXY", proxy.url())
        .run();
    run.assert_code(0);
    assert_eq!(
        header_value(&server.finish()[0], "via"),
        None,
        "HTTP_PROXY ignored"
    );
}

#[test]
fn no_proxy_and_noproxy_reach_the_host_directly() {
    let proxy = Tinyproxy::start("");
    for (env_no_proxy, flag) in [
        (Some("localhost,127.0.0.1"), None),
        (None, Some("127.0.0.0/8")),
    ] {
        let server = upstream();
        let mut args = vec!["-s".to_string()];
        if let Some(f) = flag {
            args.extend(["--noproxy".to_string(), f.to_string()]);
        }
        args.push(server.url("/"));
        let mut c = client(&args).env("http_proxy", proxy.url());
        if let Some(v) = env_no_proxy {
            c = c.env("no_proxy", v);
        }
        let run = c.run();
        run.assert_code(0);
        assert_eq!(run.stdout, b"hello");
        assert_eq!(
            header_value(&server.finish()[0], "via"),
            None,
            "{env_no_proxy:?} {flag:?}"
        );
    }
    // A list that does not cover the host leaves the proxy in use.
    let server = upstream();
    let run = client(["-s", &server.url("/")])
        .env("http_proxy", proxy.url())
        .env("no_proxy", "example.com,127.0.0.2")
        .run();
    run.assert_code(0);
    assert!(header_value(&server.finish()[0], "via").is_some());
}

#[test]
fn credentials_in_the_proxy_url_and_https_through_a_connect_tunnel() {
    let proxy = Tinyproxy::start("BasicAuth alice s3cr3t");
    let root = TempDir::new("proxy-tls-root");
    std::fs::write(root.join("a.txt"), b"over tls\n").unwrap();
    let server = simple_server(root.path());

    // Without credentials, the proxy's 407 is the answer (exit 8).
    let run = client(["-s", "-x", &proxy.url(), &server.url("/a.txt")]).run();
    run.assert_code(8);
    let with_creds = format!("http://al%69ce:s3cr3t@127.0.0.1:{}", proxy.port);
    let run = client(["-s", "-v", "-x", &with_creds, &server.url("/a.txt")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"over tls\n");
    assert!(
        run.stderr.contains("> Proxy-Authorization: (hidden)"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("YWxpY2U"),
        "the credentials are not shown"
    );

    // https:// through CONNECT, to a TLS server made for the test.
    let tls_root = TempDir::new("proxy-tls");
    std::fs::write(tls_root.join("a.txt"), b"over tls\n").unwrap();
    let port = free_port();
    let mut tls_server = Command::new(simplehttp_tests::client_util::built_binary("simple-server"))
        .arg(port.to_string())
        .arg("--root")
        .arg(tls_root.path())
        .args(["--bind", "127.0.0.1", "--quiet", "--tls-self-signed"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("simple-server");
    simplehttp_tests::client_util::wait_listening(port, "simple-server", &mut tls_server);
    let url = format!("https://127.0.0.1:{port}/a.txt");
    let run = client(["-s", "-v", "-k", "-x", &with_creds, &url]).run();
    let _ = tls_server.kill();
    let _ = tls_server.wait();
    run.assert_code(0);
    assert_eq!(run.stdout, b"over tls\n");
    assert!(
        run.stderr
            .contains(&format!("> CONNECT 127.0.0.1:{port} HTTP/1.1")),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("> Proxy-Authorization: (hidden)"),
        "{}",
        run.stderr
    );
    assert!(
        !run.stderr.contains("YWxpY2U"),
        "the credentials are not shown"
    );

    // A tunnel refused for want of credentials is a network failure (exit 4).
    let run = client(["-s", "-k", "-x", &proxy.url(), &url]).run();
    run.assert_code(4);
    assert!(
        run.stderr.contains("refused the tunnel") && run.stderr.contains("407"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_refused_or_unreachable_proxy_is_exit_4() {
    let port = free_port();
    let server = upstream();
    let run = client([
        "-s",
        "-x",
        &format!("http://u:secret@127.0.0.1:{port}"),
        &server.url("/"),
    ])
    .run();
    run.assert_code(4);
    assert_eq!(
        run.stderr.trim(),
        format!("simple-client: cannot reach the proxy 127.0.0.1:{port}: connection refused by 127.0.0.1:{port}")
    );
    assert!(!run.stderr.contains("secret"));
    let run = client(["-s", &server.url("/")])
        .env("https_proxy", format!("127.0.0.1:{port}"))
        .env("http_proxy", format!("127.0.0.1:{port}"))
        .run();
    run.assert_code(4);
    // The same URL without a proxy works.
    let run = client(["-s", "-x", "", &server.url("/")])
        .env("http_proxy", format!("127.0.0.1:{port}"))
        .run();
    run.assert_code(0);
    server.finish();
}
