//! simple-client over `https://`: nginx with certificates from a test CA made here with
//! rcgen (nothing is downloaded), verified against `--cacert`, and each way verification
//! fails (exit 5), `-k`, SNI, redirects between http and https, IP-address certificates,
//! handshakes that time out or are not TLS at all, and a small rustls server for what nginx
//! will not do (end a connection without close_notify).

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair};
use simplehttp_tests::client_util::{client, nginx_with, pattern, Peer, RawServer, TempDir};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// A test CA whose certificates and keys are written into a temporary directory.
struct Pki {
    dir: TempDir,
    ca: rcgen::Certificate,
    ca_key: KeyPair,
}

/// A server certificate and its key, as PEM files.
struct Leaf {
    cert: PathBuf,
    key: PathBuf,
}

impl Pki {
    fn new(tag: &str) -> Pki {
        let dir = TempDir::new(tag);
        let mut params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(DnType::CommonName, format!("simplehttp test CA {tag}"));
        let ca_key = KeyPair::generate().expect("ca key");
        let ca = params.self_signed(&ca_key).expect("ca");
        std::fs::write(dir.join("ca.pem"), ca.pem()).expect("write ca");
        Pki { dir, ca, ca_key }
    }

    /// `--cacert` for this CA.
    fn ca_file(&self) -> String {
        self.dir.join("ca.pem").display().to_string()
    }

    /// A certificate for `names` (DNS names or IP addresses), signed by the CA, or expired
    /// since 2001.
    fn leaf(&self, stem: &str, names: &[&str], expired: bool) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let mut params = CertificateParams::new(names.clone()).expect("leaf params");
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().cloned().unwrap_or_default(),
        );
        if expired {
            params.not_before = rcgen::date_time_ymd(2000, 1, 1);
            params.not_after = rcgen::date_time_ymd(2001, 1, 1);
        }
        let key = KeyPair::generate().expect("leaf key");
        let cert = params
            .signed_by(&key, &self.ca, &self.ca_key)
            .expect("sign leaf");
        self.write(stem, cert.pem(), key.serialize_pem())
    }

    /// A self-signed certificate for `names`, from no CA.
    fn self_signed(&self, stem: &str, names: &[&str]) -> Leaf {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        let key = KeyPair::generate().expect("key");
        let cert = CertificateParams::new(names)
            .expect("params")
            .self_signed(&key)
            .expect("self-signed");
        self.write(stem, cert.pem(), key.serialize_pem())
    }

    fn write(&self, stem: &str, cert: String, key: String) -> Leaf {
        let leaf = Leaf {
            cert: self.dir.join(&format!("{stem}.pem")),
            key: self.dir.join(&format!("{stem}.key")),
        };
        std::fs::write(&leaf.cert, cert).expect("write cert");
        std::fs::write(&leaf.key, key).expect("write key");
        leaf
    }
}

/// One nginx `server` block with TLS: its name, certificate, root, and extra directives.
struct Site<'a> {
    name: &'a str,
    leaf: &'a Leaf,
    root: &'a TempDir,
    extra: &'a str,
}

/// nginx with TLS on a free loopback port, one `server` block per site (the first is the
/// default, answering when the client sends no SNI or an unknown name).
fn tls_nginx(work: &TempDir, protocols: &str, sites: &[Site<'_>]) -> Peer {
    nginx_with(work.path(), |port| {
        let mut blocks = String::new();
        for site in sites {
            blocks += &format!(
                "server {{\n    listen 127.0.0.1:{port} ssl;\n    server_name {name};\n\
                 ssl_certificate {cert};\n    ssl_certificate_key {key};\n\
                 ssl_protocols {protocols};\n    root {root};\n    {extra}\n  }}\n  ",
                name = site.name,
                cert = site.leaf.cert.display(),
                key = site.leaf.key.display(),
                root = site.root.path().display(),
                extra = site.extra,
            );
        }
        blocks
    })
}

/// A root directory with `hello.txt` holding `text`.
fn root_with(tag: &str, text: &str) -> TempDir {
    let root = TempDir::new(tag);
    std::fs::write(root.join("hello.txt"), text).expect("write");
    root
}

/// nginx with one TLS site, `localhost` with `leaf`, whose root holds `hello.txt` with
/// `text`; the directories go when it is dropped.
struct OneSite {
    ng: Peer,
    root: TempDir,
    _work: TempDir,
}

fn one_site(tag: &str, leaf: &Leaf, protocols: &str, extra: &str, text: &str) -> OneSite {
    let root = root_with(&format!("{tag}-root"), text);
    let work = TempDir::new(&format!("{tag}-work"));
    let site = Site {
        name: "localhost",
        leaf,
        root: &root,
        extra,
    };
    let ng = tls_nginx(&work, protocols, &[site]);
    OneSite {
        ng,
        root,
        _work: work,
    }
}

fn https(host: &str, port: u16, path: &str) -> String {
    format!("https://{host}:{port}{path}")
}

#[test]
fn a_certificate_from_the_given_ca_is_verified_and_the_body_is_exact() {
    let pki = Pki::new("tls-ok-pki");
    let leaf = pki.leaf("localhost", &["localhost"], false);
    let site = one_site(
        "tls-ok",
        &leaf,
        "TLSv1.2 TLSv1.3",
        "dav_methods PUT;",
        "hello over tls\n",
    );
    let (ng, root) = (&site.ng, &site.root);
    let data = pattern(3 << 20, 5);
    std::fs::write(root.join("data.bin"), &data).expect("write");
    let ca = pki.ca_file();

    let run = client([
        "-v",
        "--cacert",
        &ca,
        &https("localhost", ng.port, "/hello.txt"),
    ])
    .run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello over tls\n", "nginx log: {}", ng.log());
    for want in [
        "* TLS 1.3, cipher TLS13_",
        "ALPN http/1.1",
        "* certificate subject: CN=localhost",
        "* certificate issuer: CN=simplehttp test CA",
        "* certificate expires: ",
        "> Host: localhost:",
    ] {
        assert!(run.stderr.contains(want), "{want:?} in:\n{}", run.stderr);
    }

    let run = client([
        "-s",
        "--cacert",
        &ca,
        &https("localhost", ng.port, "/data.bin"),
    ])
    .run();
    run.assert_code(0);
    assert!(run.stdout == data, "{} bytes", run.stdout.len());

    // Uploads: a large file (with Expect: 100-continue) and stdin, chunked.
    let local = TempDir::new("tls-ok-local");
    let upload = pattern(2 << 20, 6);
    std::fs::write(local.join("up.bin"), &upload).expect("write");
    let up = local.join("up.bin").display().to_string();
    let run = client([
        "-v",
        "--cacert",
        &ca,
        "-T",
        &up,
        &https("localhost", ng.port, "/up.bin"),
    ])
    .run();
    run.assert_code(0);
    assert!(
        run.stderr.contains("< HTTP/1.1 100 Continue"),
        "{}",
        run.stderr
    );
    assert!(
        std::fs::read(root.join("up.bin")).expect("uploaded") == upload,
        "{}",
        ng.log()
    );
    let run = client([
        "--cacert",
        &ca,
        "-T",
        "-",
        &https("localhost", ng.port, "/in.txt"),
    ])
    .stdin(b"piped over tls\n".to_vec())
    .run();
    run.assert_code(0);
    assert_eq!(
        std::fs::read(root.join("in.txt")).expect("stdin upload"),
        b"piped over tls\n"
    );

    // A 404 over TLS is still exit 8, with the body written.
    let run = client(["--cacert", &ca, &https("localhost", ng.port, "/missing")]).run();
    run.assert_code(8);
}

#[test]
fn tls_1_2_is_spoken_when_the_server_offers_nothing_newer() {
    let pki = Pki::new("tls12-pki");
    let leaf = pki.leaf("localhost", &["localhost"], false);
    let site = one_site("tls12", &leaf, "TLSv1.2", "", "twelve\n");
    let ng = &site.ng;
    let run = client([
        "-v",
        "--cacert",
        &pki.ca_file(),
        &https("localhost", ng.port, "/hello.txt"),
    ])
    .run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"twelve\n");
    assert!(
        run.stderr.contains("* TLS 1.2, cipher TLS_ECDHE_"),
        "{}",
        run.stderr
    );
}

/// Runs the client against a one-site nginx with `leaf` and returns the run.
fn against(
    leaf: &Leaf,
    tag: &str,
    args: &[&str],
    host: &str,
) -> simplehttp_tests::client_util::Run {
    let site = one_site(tag, leaf, "TLSv1.2 TLSv1.3", "", "secret\n");
    let url = https(host, site.ng.port, "/hello.txt");
    let mut argv: Vec<&str> = args.to_vec();
    argv.push(&url);
    client(argv).run()
}

/// Asserts exit 5 with one line naming `why`, and no body.
#[track_caller]
fn assert_verification_failure(run: &simplehttp_tests::client_util::Run, why: &str) {
    run.assert_code(5);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(
        run.stderr.starts_with("simple-client: the certificate of ") && run.stderr.contains(why),
        "{why:?} in {}",
        run.stderr
    );
    assert!(run.stdout.is_empty());
}

#[test]
fn an_unknown_issuer_exits_5() {
    let pki = Pki::new("tls-unknown-pki");
    let leaf = pki.leaf("localhost", &["localhost"], false);
    // The system's roots do not hold the test CA.
    let run = against(&leaf, "tls-unknown", &[], "localhost");
    assert_verification_failure(&run, "unknown issuer");
    // Nor does another CA given with --cacert.
    let other = Pki::new("tls-unknown-other");
    let run = against(
        &leaf,
        "tls-unknown2",
        &["--cacert", &other.ca_file()],
        "localhost",
    );
    assert_verification_failure(&run, "unknown issuer");
}

#[test]
fn a_wrong_name_exits_5_naming_both() {
    let pki = Pki::new("tls-name-pki");
    let leaf = pki.leaf("other", &["other.test"], false);
    let run = against(
        &leaf,
        "tls-name",
        &["--cacert", &pki.ca_file()],
        "localhost",
    );
    assert_verification_failure(&run, "wrong name: it is not valid for localhost");
    assert!(run.stderr.contains("other.test"), "{}", run.stderr);
}

#[test]
fn an_expired_certificate_exits_5() {
    let pki = Pki::new("tls-expired-pki");
    let leaf = pki.leaf("localhost", &["localhost"], true);
    let run = against(
        &leaf,
        "tls-expired",
        &["--cacert", &pki.ca_file()],
        "localhost",
    );
    assert_verification_failure(&run, "expired on Mon, 01 Jan 2001");
}

#[test]
fn insecure_skips_verification_with_a_warning() {
    let pki = Pki::new("tls-k-pki");
    let leaf = pki.leaf("other", &["other.test"], true);
    for flag in ["-k", "--insecure"] {
        let run = against(&leaf, "tls-k", &[flag], "localhost");
        run.assert_code(0);
        assert_eq!(run.stdout, b"secret\n");
        assert!(
            run.stderr.contains("warning: -k/--insecure") && run.stderr.contains("not verified"),
            "{}",
            run.stderr
        );
    }
}

#[test]
fn a_self_signed_server_certificate_can_be_trusted_with_cacert() {
    let pki = Pki::new("tls-self-pki");
    let leaf = pki.self_signed("self", &["localhost"]);
    let cert = leaf.cert.display().to_string();
    let run = against(&leaf, "tls-self", &["--cacert", &cert], "localhost");
    run.assert_code(0);
    assert_eq!(run.stdout, b"secret\n");
}

#[test]
fn a_self_signed_certificate_marked_as_a_ca_can_be_trusted_with_cacert_as_curl_does() {
    // `openssl req -x509` makes self-signed certificates with basicConstraints CA:TRUE,
    // which WebPKI alone refuses as a server's certificate.
    let pki = Pki::new("tls-selfca-pki");
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let cert = params.self_signed(&key).expect("self-signed");
    let leaf = pki.write("selfca", cert.pem(), key.serialize_pem());
    let cert = leaf.cert.display().to_string();

    let run = against(&leaf, "tls-selfca", &["--cacert", &cert], "localhost");
    run.assert_code(0);
    assert_eq!(run.stdout, b"secret\n");
    // Its name is still checked...
    let run = against(&leaf, "tls-selfca2", &["--cacert", &cert], "127.0.0.1");
    assert_verification_failure(&run, "wrong name");
    // ...and without --cacert it is refused, in words rather than WebPKI's variant name.
    let run = against(&leaf, "tls-selfca3", &[], "localhost");
    assert_verification_failure(&run, "it is a CA certificate, not a server's");
    // Another CA's certificate given to --cacert does not make this one trusted.
    let run = against(
        &leaf,
        "tls-selfca4",
        &["--cacert", &pki.ca_file()],
        "localhost",
    );
    assert_verification_failure(&run, "it is a CA certificate");
}

#[test]
fn ip_address_certificates_are_verified_by_address() {
    let pki = Pki::new("tls-ip-pki");
    let ca = pki.ca_file();
    let by_ip = pki.leaf("ip", &["127.0.0.1"], false);
    let run = against(&by_ip, "tls-ip", &["--cacert", &ca], "127.0.0.1");
    run.assert_code(0);
    assert_eq!(run.stdout, b"secret\n");
    // A certificate that names only localhost does not cover the address.
    let by_name = pki.leaf("name", &["localhost"], false);
    let run = against(&by_name, "tls-ip2", &["--cacert", &ca], "127.0.0.1");
    assert_verification_failure(&run, "wrong name: it is not valid for 127.0.0.1");
}

#[test]
fn sni_picks_the_site_among_two_names_on_one_address() {
    let pki = Pki::new("tls-sni-pki");
    let a = pki.leaf("a", &["a.test"], false);
    let b = pki.leaf("b", &["b.test"], false);
    let root_a = root_with("tls-sni-a", "site a\n");
    let root_b = root_with("tls-sni-b", "site b\n");
    let work = TempDir::new("tls-sni-work");
    let sites = [
        Site {
            name: "a.test",
            leaf: &a,
            root: &root_a,
            extra: "",
        },
        Site {
            name: "b.test",
            leaf: &b,
            root: &root_b,
            extra: "",
        },
    ];
    let ng = tls_nginx(&work, "TLSv1.2 TLSv1.3", &sites);
    let ca = pki.ca_file();
    for (name, body) in [("a.test", "site a\n"), ("b.test", "site b\n")] {
        let pin = format!("{name}:{}:127.0.0.1", ng.port);
        let run = client([
            "--cacert",
            &ca,
            "--resolve",
            &pin,
            &https(name, ng.port, "/hello.txt"),
        ])
        .run();
        run.assert_code(0);
        assert_eq!(run.stdout, body.as_bytes(), "{name}: {}", ng.log());
    }
}

/// A plain HTTP server that answers one request with a redirect to `location`.
fn redirects_to(location: String) -> RawServer {
    RawServer::one(move |mut s: TcpStream, _| {
        let answer = format!(
            "HTTP/1.1 301 Moved Permanently\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n"
        );
        s.write_all(answer.as_bytes()).expect("write");
        let _ = s.read_to_end(&mut Vec::new());
    })
}

#[test]
fn redirects_go_from_http_to_https_and_back_with_a_warning() {
    let pki = Pki::new("tls-redir-pki");
    let leaf = pki.leaf("localhost", &["localhost"], false);
    // The http server that the https site sends its /down to.
    let plain = RawServer::one(|mut s: TcpStream, _| {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\ndowngraded\n")
            .expect("write");
        let _ = s.read_to_end(&mut Vec::new());
    });
    let extra = format!(
        "location = /down {{ return 302 http://127.0.0.1:{}/plain; }}",
        plain.port
    );
    let site = one_site("tls-redir", &leaf, "TLSv1.2 TLSv1.3", &extra, "upgraded\n");
    let ng = &site.ng;
    let ca = pki.ca_file();

    let up = redirects_to(https("localhost", ng.port, "/hello.txt"));
    let run = client(["-L", "--cacert", &ca, &up.url("/start")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"upgraded\n");
    assert!(!run.stderr.contains("warning"), "{}", run.stderr);
    up.finish();

    let run = client(["-L", "--cacert", &ca, &https("localhost", ng.port, "/down")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"downgraded\n");
    assert!(
        run.stderr
            .contains("warning: following the redirect from https:// to http://127.0.0.1:")
            && run.stderr.contains("not encrypted"),
        "{}",
        run.stderr
    );
    plain.finish();
}

/// Runs the client with `flags` against a server that accepts the connection and never
/// answers the client hello: it must give up within 3 s with exit 4, saying `why`.
fn gives_up_on_a_silent_handshake(flags: &[&str], why: &str) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let silent = std::thread::spawn(move || {
        let (s, _) = listener.accept().expect("accept");
        std::thread::sleep(Duration::from_secs(3));
        drop(s);
    });
    let url = https("127.0.0.1", port, "/");
    let mut argv = flags.to_vec();
    argv.push(&url);
    let run = client(argv).deadline(Duration::from_secs(20)).run();
    run.assert_code(4);
    assert!(run.elapsed < Duration::from_secs(3), "{:?}", run.elapsed);
    assert!(run.stderr.contains(why), "{why:?} in {}", run.stderr);
    silent.join().expect("server");
}

#[test]
fn a_handshake_that_never_answers_is_bounded_by_the_connect_timeout() {
    gives_up_on_a_silent_handshake(
        &["--connect-timeout", "1", "--timeout", "30"],
        "timed out in the TLS handshake with 127.0.0.1:",
    );
}

#[test]
fn max_time_bounds_a_handshake_that_never_answers() {
    gives_up_on_a_silent_handshake(
        &["--connect-timeout", "30", "--timeout", "30", "-m", "1"],
        "took longer than --max-time 1 s",
    );
}

#[test]
fn a_server_that_does_not_speak_tls_is_a_protocol_error() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let plain = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let mut hello = [0u8; 5];
        let _ = s.read_exact(&mut hello);
        let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        let _ = s.read_to_end(&mut Vec::new());
    });
    let run = client(["--timeout", "5", &https("127.0.0.1", port, "/")]).run();
    run.assert_code(7);
    assert!(
        run.stderr
            .starts_with("simple-client: TLS error with 127.0.0.1"),
        "{}",
        run.stderr
    );
    plain.join().expect("server");
}

#[test]
fn a_refused_handshake_is_a_network_failure() {
    // nginx offers only TLS 1.0, which the client never speaks: the server refuses.
    let pki = Pki::new("tls-refuse-pki");
    let leaf = pki.leaf("localhost", &["localhost"], false);
    let site = one_site("tls-refuse", &leaf, "TLSv1", "", "old\n");
    let ng = &site.ng;
    let run = client([
        "--cacert",
        &pki.ca_file(),
        &https("localhost", ng.port, "/hello.txt"),
    ])
    .run();
    run.assert_code(4);
    assert!(
        run.stderr.contains("refused the TLS handshake"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_cacert_that_cannot_be_read_is_a_local_file_error() {
    let dir = TempDir::new("tls-cacert-bad");
    std::fs::write(dir.join("empty.pem"), "no certificates here\n").expect("write");
    for (file, why) in [
        ("missing.pem", "No such file"),
        ("empty.pem", "no PEM certificate"),
    ] {
        let path = dir.join(file).display().to_string();
        let run = client(["--cacert", &path, "https://127.0.0.1:1/"]).run();
        run.assert_code(1);
        assert!(run.stderr.contains(why), "{file}: {}", run.stderr);
    }
}

/// A TLS server written here with rustls: it takes one connection, reads the request head,
/// writes `answer` and closes the TCP connection, after a close_notify or without one.
fn rustls_server(
    leaf: &Leaf,
    answer: &'static [u8],
    close_notify: bool,
) -> (u16, std::thread::JoinHandle<()>) {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let certs = vec![CertificateDer::from_pem_file(&leaf.cert).expect("cert")];
    let key = PrivateKeyDer::from_pem_file(&leaf.key).expect("key");
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("versions")
    .with_no_client_auth()
    .with_single_cert(certs, key)
    .expect("server config");
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let handle = std::thread::spawn(move || {
        let (tcp, _) = listener.accept().expect("accept");
        tcp.set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let conn = rustls::ServerConnection::new(config).expect("server conn");
        let mut tls = rustls::StreamOwned::new(conn, tcp);
        let mut head = Vec::new();
        let mut byte = [0u8; 1];
        while !head.ends_with(b"\r\n\r\n") {
            if tls.read(&mut byte).expect("read request") == 0 {
                return;
            }
            head.push(byte[0]);
        }
        tls.write_all(answer).expect("write answer");
        tls.flush().expect("flush");
        if close_notify {
            tls.conn.send_close_notify();
            tls.flush().expect("close_notify");
        }
        // Dropping the stream closes the TCP connection.
    });
    (port, handle)
}

#[test]
fn a_close_delimited_body_needs_close_notify_to_count_as_complete() {
    let pki = Pki::new("tls-notify-pki");
    let leaf = pki.leaf("localhost", &["localhost"], false);
    let ca = pki.ca_file();
    let answer = b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nthe whole body";

    let (port, server) = rustls_server(&leaf, answer, true);
    let run = client(["--cacert", &ca, &https("localhost", port, "/")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"the whole body");
    server.join().expect("server");

    // Without close_notify, someone on the path may have cut the body short.
    let (port, server) = rustls_server(&leaf, answer, false);
    let out = TempDir::new("tls-notify-out");
    let file = out.join("body").display().to_string();
    let run = client(["--cacert", &ca, "-o", &file, &https("localhost", port, "/")]).run();
    run.assert_code(7);
    assert!(
        run.stderr
            .contains("closed the TLS connection without close_notify"),
        "{}",
        run.stderr
    );
    assert!(out.entries().is_empty(), "{:?}", out.entries());
    server.join().expect("server");
}
