//! simple-server over HTTPS: certificates made here with rcgen, then curl (`--cacert`),
//! Python's ssl + http.client (tests/python/tls_client.py) and `openssl s_client` against
//! `simple-server --tls-cert`; hostile peers; unusable certificates and their exit code.

use simplehttp_tests::server_util::{bin_path, curl, Server, TempDir};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The exit code for an unusable certificate or key.
const EXIT_TLS: i32 = 5;

/// A certificate for localhost and 127.0.0.1 with its key, as PEM files in `dir`.
struct Cert {
    cert: PathBuf,
    key: PathBuf,
}

fn make_cert(dir: &Path, tag: &str, adjust: impl FnOnce(&mut rcgen::CertificateParams)) -> Cert {
    let mut params =
        rcgen::CertificateParams::new(vec!["localhost".into(), "127.0.0.1".into()]).unwrap();
    adjust(&mut params);
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = params.self_signed(&key).unwrap();
    let out = Cert {
        cert: dir.join(format!("{tag}-cert.pem")),
        key: dir.join(format!("{tag}-key.pem")),
    };
    std::fs::write(&out.cert, cert.pem()).unwrap();
    std::fs::write(&out.key, key.serialize_pem()).unwrap();
    out
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A TLS server on a fresh root holding a.txt and a 1 MiB big.bin, with its certificate.
fn tls_server(extra: &[&str]) -> (Server, Cert, TempDir) {
    let certs = TempDir::new("certs");
    let c = make_cert(certs.path(), "a", |_| {});
    let mut args = vec!["--tls-cert", s(&c.cert), "--tls-key", s(&c.key)];
    args.extend_from_slice(extra);
    let server = Server::start(&args);
    std::fs::write(server.file("a.txt"), "hello tls\n").unwrap();
    std::fs::write(server.file("big.bin"), big()).unwrap();
    (server, c, certs)
}

fn big() -> Vec<u8> {
    (0..1 << 20).map(|i: u32| (i % 251) as u8).collect()
}

fn url(server: &Server, path: &str) -> String {
    format!("https://127.0.0.1:{}{path}", server.port)
}

fn text(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn python(command: &str, server: &Server, cafile: &Path) -> String {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("python/tls_client.py");
    let out = Command::new("python3")
        .arg(script)
        .args([command, &server.port.to_string(), s(cafile)])
        .output()
        .expect("run python3");
    assert!(out.status.success(), "{out:?}");
    text(&out)
}

#[test]
fn start_line_says_https() {
    let (server, _c, _d) = tls_server(&[]);
    assert!(
        server.log()[0].contains(&format!("on https://127.0.0.1:{}", server.port)),
        "{:?}",
        server.log()
    );
}

#[test]
fn curl_gets_heads_ranges_and_uploads_over_tls() {
    let (server, c, _d) = tls_server(&[]);
    let ca = s(&c.cert);
    let out = curl(&["--cacert", ca, "-H", "Host: t", &url(&server, "/a.txt")]);
    assert_eq!(text(&out), "hello tls\n", "{out:?}");

    // A file past the inline size goes through rustls, not sendfile, and arrives whole.
    let dest = server
        .root
        .path()
        .parent()
        .unwrap()
        .join(format!("dl-{}", server.port));
    let out = curl(&[
        "--cacert",
        ca,
        "-H",
        "Host: t",
        "-o",
        s(&dest),
        &url(&server, "/big.bin"),
    ]);
    assert!(out.status.success(), "{out:?}");
    assert_eq!(std::fs::read(&dest).unwrap(), big());
    let _ = std::fs::remove_file(&dest);

    let out = curl(&[
        "--cacert",
        ca,
        "-H",
        "Host: t",
        "-I",
        &url(&server, "/big.bin"),
    ]);
    let head = text(&out).to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-length: 1048576"), "{head}");

    let out = curl(&[
        "--cacert",
        ca,
        "-H",
        "Host: t",
        "-r",
        "1000-1999",
        &url(&server, "/big.bin"),
    ]);
    assert_eq!(out.stdout, big()[1000..2000], "{out:?}");

    // Conditional: the ETag from the first answer gives a 304.
    let head = text(&curl(&[
        "--cacert",
        ca,
        "-H",
        "Host: t",
        "-I",
        &url(&server, "/a.txt"),
    ]));
    let etag = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("etag: ")
                .or_else(|| l.strip_prefix("ETag: "))
        })
        .expect("an ETag")
        .trim()
        .to_string();
    let inm = format!("If-None-Match: {etag}");
    let out = curl(&[
        "--cacert",
        ca,
        "-H",
        "Host: t",
        "-H",
        &inm,
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        &url(&server, "/a.txt"),
    ]);
    assert_eq!(text(&out), "304");

    // PUT with Expect: 100-continue.
    let src = server
        .root
        .path()
        .parent()
        .unwrap()
        .join(format!("up-{}", server.port));
    std::fs::write(&src, big()).unwrap();
    let out = curl(&[
        "--cacert",
        ca,
        "-H",
        "Host: t",
        "-H",
        "Expect: 100-continue",
        "-T",
        s(&src),
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-v",
        &url(&server, "/up.bin"),
    ]);
    let _ = std::fs::remove_file(&src);
    assert_eq!(text(&out), "201", "{out:?}");
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("100 Continue"),
        "{out:?}"
    );
    assert_eq!(std::fs::read(server.file("up.bin")).unwrap(), big());

    // Listing.
    let out = curl(&["--cacert", ca, "-H", "Host: t", &url(&server, "/")]);
    assert!(text(&out).contains("big.bin"), "{out:?}");
}

#[test]
fn curl_reuses_the_connection() {
    let (server, c, _d) = tls_server(&[]);
    let out = curl(&[
        "--cacert",
        s(&c.cert),
        "-H",
        "Host: t",
        "-v",
        &url(&server, "/a.txt"),
        &url(&server, "/big.bin"),
        "-o",
        "/dev/null",
        "-o",
        "/dev/null",
    ]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    assert!(
        err.to_ascii_lowercase().contains("re-using existing"),
        "{err}"
    );
    assert!(err.contains("ALPN: server accepted http/1.1"), "{err}");
}

#[test]
fn python_keeps_alive_and_pipelines_over_tls() {
    let (server, c, _d) = tls_server(&[]);
    let out = python("keepalive", &server, &c.cert);
    assert!(out.starts_with("hello tls\n hello tls\n reused"), "{out}");
    assert!(out.contains("alpn http/1.1"), "{out}");

    let out = python("pipeline", &server, &c.cert);
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 3, "{out}");
    assert_eq!(out.matches("hello tls").count(), 2, "{out}");
}

/// The seconds a `tls_client.py` command printed last.
fn seconds(out: &str) -> f64 {
    let line = out.lines().last().unwrap_or_default();
    line.strip_prefix("seconds ")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no time in {out}"))
}

#[test]
fn answers_requests_that_come_a_byte_per_record_and_sees_a_fin_after_them() {
    let (server, c, _d) = tls_server(&[]);
    // Each byte is a record of its own, read as it comes: a connection that waited for
    // more than the socket had would answer only at the header timeout, or never.
    let out = python("trickle", &server, &c.cert);
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 2, "{out}");
    assert_eq!(out.matches("hello tls").count(), 2, "{out}");
    assert!(seconds(&out) < 5.0, "{out}");
    // A request, then the peer's FIN (no close_notify): answered, then closed.
    let out = python("halfclose", &server, &c.cert);
    assert_eq!(out.matches("HTTP/1.1 200 OK").count(), 1, "{out}");
    assert!(out.contains("hello tls"), "{out}");
    assert!(seconds(&out) < 5.0, "{out}");
    // Part of a record, then the FIN: the end is seen at once, not at the header timeout.
    let (server, c, _d) = tls_server(&["--header-timeout", "10"]);
    let out = python("truncated", &server, &c.cert);
    assert!(seconds(&out) < 5.0, "{out}");
}

fn s_client(server: &Server, c: &Cert, extra: &[&str]) -> (bool, String) {
    let out = Command::new("openssl")
        .args([
            "s_client",
            "-connect",
            &format!("127.0.0.1:{}", server.port),
        ])
        .args(["-CAfile", s(&c.cert)])
        .args(extra)
        .stdin(Stdio::null())
        .output()
        .expect("run openssl");
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), all)
}

#[test]
fn refuses_tls_1_0_and_1_1_and_says_http_1_1() {
    let (server, c, _d) = tls_server(&[]);
    let (ok, out) = s_client(&server, &c, &["-alpn", "http/1.1"]);
    assert!(ok, "{out}");
    assert!(out.contains("ALPN protocol: http/1.1"), "{out}");
    assert!(!out.contains("Cipher is (NONE)"), "{out}");
    for old in ["-tls1", "-tls1_1"] {
        // Security level 0, so that openssl itself would offer the old version.
        let (_, out) = s_client(&server, &c, &[old, "-cipher", "DEFAULT@SECLEVEL=0"]);
        // openssl offered it (it wrote a ClientHello) and the server said no with an alert.
        assert!(out.contains("Cipher is (NONE)"), "{old}: {out}");
        assert!(
            out.contains("no peer certificate available"),
            "{old}: {out}"
        );
        assert!(out.contains("alert"), "{old}: {out}");
    }
}

#[test]
fn picks_aes_128_gcm_over_the_clients_order() {
    let (server, c, _d) = tls_server(&[]);
    // openssl (as curl and wget) lists AES-256 first; the server's order wins.
    let suites = "TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256";
    let (ok, out) = s_client(&server, &c, &["-tls1_3", "-ciphersuites", suites]);
    assert!(ok, "{out}");
    assert!(out.contains("Cipher is TLS_AES_128_GCM_SHA256"), "{out}");
    let tls12 = "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256";
    let (ok, out) = s_client(&server, &c, &["-tls1_2", "-cipher", tls12]);
    assert!(ok, "{out}");
    assert!(
        out.contains("Cipher is ECDHE-ECDSA-AES128-GCM-SHA256"),
        "{out}"
    );
    // A client with only the others is still served.
    for only in ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256"] {
        let (ok, out) = s_client(&server, &c, &["-tls1_3", "-ciphersuites", only]);
        assert!(ok, "{only}: {out}");
        assert!(out.contains(&format!("Cipher is {only}")), "{only}: {out}");
    }
}

#[test]
fn plain_http_to_the_tls_port_gets_a_readable_400() {
    let (server, _c, _d) = tls_server(&[]);
    let mut sock = server.connect();
    sock.write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    sock.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{out}");
    assert!(out.contains("Content-Type: text/plain"), "{out}");
    assert!(out.contains("Use https://"), "{out}");
}

/// Reads until the server closes; returns how long that took.
fn time_to_close(mut sock: TcpStream) -> Duration {
    let started = Instant::now();
    let mut buf = [0u8; 1024];
    loop {
        match sock.read(&mut buf) {
            Ok(0) | Err(_) => return started.elapsed(),
            Ok(_) => {}
        }
    }
}

#[test]
fn a_stalled_handshake_is_closed_after_the_header_timeout() {
    let (server, _c, _d) = tls_server(&["--header-timeout", "1"]);
    let mut sock = server.connect();
    // The start of a ClientHello record, and nothing more.
    sock.write_all(&[0x16, 0x03, 0x01, 0x02, 0x00, 0x01])
        .unwrap();
    let took = time_to_close(sock);
    assert!(took >= Duration::from_millis(700), "{took:?}");
    assert!(took < Duration::from_secs(5), "{took:?}");
}

#[test]
fn random_bytes_after_the_handshake_close_only_that_connection() {
    let (server, c, _d) = tls_server(&[]);
    assert_eq!(python("garbage", &server, &c.cert).trim(), "closed");
    let out = curl(&[
        "--cacert",
        s(&c.cert),
        "-H",
        "Host: t",
        &url(&server, "/a.txt"),
    ]);
    assert_eq!(text(&out), "hello tls\n", "{out:?}");
}

#[test]
fn half_finished_handshakes_do_not_stop_a_normal_client() {
    let (server, c, _d) = tls_server(&[]);
    let mut held = Vec::new();
    for i in 0..200u32 {
        let mut sock = server.connect();
        // Partial records, truncated records, garbage claiming to be a handshake.
        let bytes: Vec<u8> = match i % 4 {
            0 => vec![0x16],
            1 => vec![0x16, 0x03, 0x01, 0x40, 0x00, 0x01, 0x00],
            2 => vec![0x16, 0x03, 0x03, 0x00, 0x05, 0xff, 0xff, 0xff, 0xff, 0xff],
            _ => (0..64).map(|j| (j * 37 + i) as u8 | 0x01).collect(),
        };
        let _ = sock.write_all(&bytes);
        if i % 8 == 7 {
            drop(sock); // vanishes mid-handshake
        } else {
            held.push(sock);
        }
    }
    let started = Instant::now();
    let out = curl(&[
        "--cacert",
        s(&c.cert),
        "-H",
        "Host: t",
        &url(&server, "/a.txt"),
    ]);
    assert_eq!(text(&out), "hello tls\n", "{out:?}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    drop(held);
}

/// Runs the server binary with `args` and returns its exit code and stderr.
fn run_server(args: &[&str]) -> (Option<i32>, String) {
    let root = TempDir::new("root");
    let out = Command::new(bin_path("simple-server"))
        .args(["0", "--bind", "127.0.0.1", "--root", s(root.path())])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unusable_certificates_and_keys_exit_with_their_code() {
    let dir = TempDir::new("certs");
    let a = make_cert(dir.path(), "a", |_| {});
    let b = make_cert(dir.path(), "b", |_| {});
    let expired = make_cert(dir.path(), "old", |p| {
        p.not_before = rcgen::date_time_ymd(2001, 1, 1);
        p.not_after = rcgen::date_time_ymd(2002, 1, 1);
    });
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").unwrap();
    let missing = dir.path().join("missing.pem");
    let cases: [(&Path, &Path, &str); 5] = [
        (&missing, &a.key, "cannot read the certificate"),
        (&garbage, &a.key, "no CERTIFICATE"),
        (&a.cert, &garbage, "no private key"),
        (&a.cert, &b.key, "does not match"),
        (&expired.cert, &expired.key, "expired on"),
    ];
    for (cert, key, why) in cases {
        let (code, err) = run_server(&["--tls-cert", s(cert), "--tls-key", s(key)]);
        assert_eq!(code, Some(EXIT_TLS), "{why}: {err}");
        assert_eq!(err.lines().count(), 1, "{err}");
        assert!(
            err.starts_with("simple-server: ") && err.contains(why),
            "{why}: {err}"
        );
    }
    // --tls-cert without --tls-key is a usage error.
    assert_eq!(run_server(&["--tls-cert", s(&a.cert)]).0, Some(2));
}

#[test]
fn self_signed_is_opt_in_and_prints_its_fingerprint() {
    let server = Server::start(&["--tls-self-signed"]);
    std::fs::write(server.file("a.txt"), "hello tls\n").unwrap();
    let log = server.wait_for_log(|l| l.iter().any(|l| l.contains("fingerprint")));
    let line = log.iter().find(|l| l.contains("fingerprint")).unwrap();
    let fp = line.rsplit(' ').next().unwrap();
    assert_eq!(fp.len(), 32 * 3 - 1, "{line}");
    let out = curl(&["-k", "-H", "Host: t", &url(&server, "/a.txt")]);
    assert_eq!(text(&out), "hello tls\n", "{out:?}");
    // Without the flag, plain HTTP.
    let plain = Server::start(&[]);
    assert!(plain.log()[0].contains(" on http://"), "{:?}", plain.log());
}

#[test]
fn sighup_reloads_the_certificate_without_dropping_connections() {
    let (server, a, dir) = tls_server(&[]);
    // A connection open before the reload.
    let mut child = Command::new("openssl")
        .args([
            "s_client",
            "-quiet",
            "-connect",
            &format!("127.0.0.1:{}", server.port),
        ])
        .args(["-CAfile", s(&a.cert)])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(500));

    // A failed reload keeps the old certificate and says why.
    std::fs::write(&a.cert, "garbage").unwrap();
    server.signal("HUP");
    server.wait_for_log(|l| l.iter().any(|l| l.contains("kept the old TLS certificate")));
    let b = make_cert(dir.path(), "b", |_| {});
    let out = curl(&[
        "--cacert",
        s(&b.cert),
        "-H",
        "Host: t",
        &url(&server, "/a.txt"),
    ]);
    assert!(!out.status.success(), "still the old certificate: {out:?}");

    std::fs::copy(&b.cert, &a.cert).unwrap();
    std::fs::copy(&b.key, &a.key).unwrap();
    server.signal("HUP");
    server.wait_for_log(|l| l.iter().any(|l| l.contains("reloaded the TLS certificate")));
    let out = curl(&[
        "--cacert",
        s(&b.cert),
        "-H",
        "Host: t",
        &url(&server, "/a.txt"),
    ]);
    assert_eq!(text(&out), "hello tls\n", "{out:?}");

    // The old connection still works.
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut got = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut got)
        .unwrap();
    let _ = child.wait();
    assert!(got.contains("hello tls"), "{got}");
}
