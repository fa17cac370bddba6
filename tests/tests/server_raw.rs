//! simple-server over raw sockets: pipelining, smuggling, path escapes, slow and broken
//! peers, concurrent uploads.

use simplehttp_tests::server_util::{read_response, read_until_close, Server, TempDir};
use std::io::{BufReader, Read, Write};
use std::time::{Duration, Instant};

#[test]
fn pipelined_requests_are_answered_in_order() {
    let s = Server::start(&["--quiet"]);
    for (name, body) in [
        ("a.txt", "first"),
        ("b.txt", "second body"),
        ("c.txt", "third"),
    ] {
        std::fs::write(s.file(name), body).unwrap();
    }
    let mut sock = s.connect();
    sock.write_all(
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n\
          HEAD /b.txt HTTP/1.1\r\nHost: t\r\n\r\n\
          GET /c.txt HTTP/1.1\r\nHost: t\r\n\r\n\
          GET /b.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
    )
    .unwrap();
    let mut r = BufReader::new(sock.try_clone().unwrap());
    let a = read_response(&mut r, false).unwrap();
    let b = read_response(&mut r, true).unwrap();
    let c = read_response(&mut r, false).unwrap();
    let d = read_response(&mut r, false).unwrap();
    assert_eq!((a.status, a.body.as_slice()), (200, &b"first"[..]));
    assert_eq!((b.status, b.header("content-length")), (200, Some("11")));
    assert!(b.body.is_empty());
    assert_eq!((c.status, c.body.as_slice()), (200, &b"third"[..]));
    assert_eq!((d.status, d.body.as_slice()), (200, &b"second body"[..]));
    // Connection: close is honoured: nothing more, then EOF.
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty(), "{:?}", String::from_utf8_lossy(&rest));
}

#[test]
fn keep_alive_and_pipelined_uploads_on_one_connection() {
    let s = Server::start(&["--quiet"]);
    let mut sock = s.connect();
    let mut r = BufReader::new(sock.try_clone().unwrap());
    for i in 0..20 {
        let body = format!("version {i}");
        write!(
            sock,
            "PUT /k.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let resp = read_response(&mut r, false).unwrap();
        assert_eq!(resp.status, if i == 0 { 201 } else { 204 });
        sock.write_all(b"GET /k.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let resp = read_response(&mut r, false).unwrap();
        assert_eq!(resp.body, body.as_bytes());
    }
    // A chunked upload with a trailer, then a pipelined GET in the same write.
    sock.write_all(
        b"PUT /ch.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n\
          5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nX-Trailer: yes\r\n\r\n\
          GET /ch.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    )
    .unwrap();
    assert_eq!(read_response(&mut r, false).unwrap().status, 201);
    assert_eq!(read_response(&mut r, false).unwrap().body, b"hello, world");
}

/// Sends `request`, expects `status`, the connection closed, and the server still fine.
fn refused(s: &Server, request: &[u8], status: u16) {
    let mut sock = s.connect();
    sock.write_all(request).unwrap();
    let (bytes, closed) = read_until_close(&mut sock);
    let text = String::from_utf8_lossy(&bytes);
    assert!(
        text.starts_with(&format!("HTTP/1.1 {status} ")),
        "{:?} answered {text:?}",
        String::from_utf8_lossy(request)
    );
    assert!(
        closed,
        "connection left open after {:?}",
        String::from_utf8_lossy(request)
    );
    // Exactly one response: a smuggled second request got no answer.
    assert_eq!(text.matches("HTTP/1.1 ").count(), 1, "{text}");
    assert_eq!(
        s.get("/ok.txt").status,
        200,
        "server unwell after {:?}",
        String::from_utf8_lossy(request)
    );
}

#[test]
fn smuggling_shapes_get_their_error_and_close() {
    let s = Server::start(&["--quiet"]);
    std::fs::write(s.file("ok.txt"), "ok").unwrap();
    let cases: &[(&[u8], u16)] = &[
        (b"POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /ok.txt HTTP/1.1\r\nHost: t\r\n\r\n", 400),
        (b"PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!", 400),
        (b"PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello", 400),
        (b"PUT /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5, 6\r\n\r\nhello!", 400),
        (b"PUT /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n", 400),
        (b"PUT /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 400),
        (b"PUT /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n", 501),
        (b"PUT /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", 400),
        (b"PUT /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhelloXX0\r\n\r\n", 400),
        (b"PUT /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
        (b"GET /ok.txt HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n", 400),
        (b"GET /ok.txt HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n", 400),
        (b"GET /ok.txt HTTP/1.1\r\nHost : t\r\n\r\n", 400),
        (b"GET /ok.txt HTTP/1.1\nHost: t\n\n", 400),
        (b"GET /ok.txt HTTP/1.1\r\n\r\n", 400),
        (b"GET /ok.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
        (b"GET /ok.txt HTTP/2.0\r\nHost: t\r\n\r\n", 505),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage that is not http\r\n\r\n", 400),
    ];
    for (request, status) in cases {
        refused(&s, request, *status);
    }
    // Oversized request line and header section.
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: t\r\n\r\n", "a".repeat(9000));
    refused(&s, long_target.as_bytes(), 414);
    let big_head = format!(
        "GET /ok.txt HTTP/1.1\r\nHost: t\r\n{}\r\n",
        "X-Pad: 0123456789abcdef0123456789abcdef\r\n".repeat(2000)
    );
    refused(&s, big_head.as_bytes(), 431);
    let many = format!(
        "GET /ok.txt HTTP/1.1\r\nHost: t\r\n{}\r\n",
        (0..150)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect::<String>()
    );
    refused(&s, many.as_bytes(), 431);
    assert!(!s.file("x").exists());
}

#[test]
fn paths_never_leave_the_root() {
    let outside = TempDir::new("outside");
    std::fs::write(outside.path().join("secret.txt"), "SECRET").unwrap();
    let root = TempDir::new("escape-root");
    std::os::unix::fs::symlink(outside.path(), root.path().join("out")).unwrap();
    std::os::unix::fs::symlink(
        outside.path().join("secret.txt"),
        root.path().join("leak.txt"),
    )
    .unwrap();
    std::fs::write(root.path().join("in.txt"), "inside").unwrap();
    std::os::unix::fs::symlink("in.txt", root.path().join("alias.txt")).unwrap();
    let s = Server::start_in(root, &["--quiet"]);
    let secret_name = outside
        .path()
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let targets = [
        "/../etc/passwd".to_string(),
        "/%2e%2e/etc/passwd".to_string(),
        "/%2E%2E/%2e%2e/etc/passwd".to_string(),
        "/..%2f..%2fetc%2fpasswd".to_string(),
        "/%5c..%5c..%5cetc%5cpasswd".to_string(),
        "/..\\..\\etc\\passwd".to_string(),
        "/in.txt%00.png".to_string(),
        "/%c0%ae%c0%ae/etc/passwd".to_string(),
        "/./../etc/passwd".to_string(),
        "http://t/../etc/passwd".to_string(),
        format!("/../{secret_name}/secret.txt"),
        "/out/secret.txt".to_string(),
        "/leak.txt".to_string(),
        "/out/".to_string(),
    ];
    for t in &targets {
        for method in ["GET", "HEAD", "DELETE"] {
            let resp = s.exchange(
                format!("{method} {t} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
            );
            assert!(
                matches!(resp.status, 400 | 403 | 404),
                "{method} {t} answered {} {:?}",
                resp.status,
                String::from_utf8_lossy(&resp.body)
            );
            let body = String::from_utf8_lossy(&resp.body);
            assert!(
                !body.contains("root:") && !body.contains("SECRET"),
                "{method} {t} leaked {body}"
            );
        }
        let put = if t.ends_with('/') {
            format!("{t}x")
        } else {
            format!("{t}/x")
        };
        let resp = s.exchange(
            format!("PUT {put} HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nConnection: close\r\n\r\nowned").as_bytes(),
        );
        assert!(
            matches!(resp.status, 400 | 403 | 404 | 409),
            "PUT {put} answered {}",
            resp.status
        );
    }
    // The symlinks out of the root are refused with 403 for reading and writing.
    assert_eq!(s.get("/out/secret.txt").status, 403);
    assert_eq!(s.get("/leak.txt").status, 403);
    let resp =
        s.exchange(b"PUT /out/new.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nowned");
    assert_eq!(resp.status, 403);
    // A symlink inside the root is fine.
    assert_eq!(s.get("/alias.txt").body, b"inside");
    // Nothing outside was touched.
    assert_eq!(
        std::fs::read(outside.path().join("secret.txt")).unwrap(),
        b"SECRET"
    );
    let names: Vec<_> = std::fs::read_dir(outside.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert_eq!(names.len(), 1, "{names:?}");
    assert!(s.temporaries().is_empty());
}

#[test]
fn slow_headers_and_idle_connections_are_cut_off() {
    let s = Server::start(&["--quiet", "--header-timeout", "1", "--idle-timeout", "1"]);
    std::fs::write(s.file("ok.txt"), "ok").unwrap();
    // A head that never ends gets 408 and the connection closed.
    let started = Instant::now();
    let mut slow = s.connect();
    slow.write_all(b"GET /ok.txt HTTP/1.1\r\nHo").unwrap();
    std::thread::sleep(Duration::from_millis(300));
    slow.write_all(b"st: t\r\nX-A: 1\r\n").unwrap();
    let (bytes, closed) = read_until_close(&mut slow);
    let waited = started.elapsed();
    assert!(
        String::from_utf8_lossy(&bytes).starts_with("HTTP/1.1 408 "),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(closed);
    assert!(
        waited >= Duration::from_millis(900) && waited < Duration::from_secs(5),
        "{waited:?}"
    );
    // After a HEAD on the same connection, the 408 still has its body.
    let mut after_head = s.connect();
    after_head
        .write_all(b"HEAD /ok.txt HTTP/1.1\r\nHost: t\r\n\r\nGET /ok")
        .unwrap();
    let (bytes, closed) = read_until_close(&mut after_head);
    let text = String::from_utf8_lossy(&bytes);
    assert!(closed);
    assert!(text.starts_with("HTTP/1.1 200 "), "{text}");
    assert!(
        text.contains("HTTP/1.1 408 ") && text.ends_with("too long\n"),
        "{text}"
    );
    // Dribbling bytes does not extend the header timeout.
    let started = Instant::now();
    let mut dribble = s.connect();
    dribble.write_all(b"GET /ok.txt HTTP/1.1\r\n").unwrap();
    let mut cut = false;
    for _ in 0..40 {
        std::thread::sleep(Duration::from_millis(100));
        if dribble.write_all(b"X: y\r\n").is_err() {
            cut = true;
            break;
        }
    }
    let (_, closed) = read_until_close(&mut dribble);
    assert!(cut || closed);
    assert!(started.elapsed() < Duration::from_secs(5));

    // An idle keep-alive connection is closed after the idle timeout.
    let mut idle = s.connect();
    idle.write_all(b"GET /ok.txt HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut r = BufReader::new(idle.try_clone().unwrap());
    assert_eq!(read_response(&mut r, false).unwrap().status, 200);
    let started = Instant::now();
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
    // Meanwhile, others are served.
    assert_eq!(s.get("/ok.txt").status, 200);
}

#[test]
fn an_upload_cut_mid_body_leaves_no_trace() {
    let s = Server::start(&["--quiet", "--body-timeout", "1"]);
    std::fs::write(s.file("kept.txt"), "old version").unwrap();
    // The peer goes away mid-body.
    for target in ["/cut.bin", "/kept.txt", "/new/dir/cut.bin"] {
        let mut sock = s.connect();
        write!(
            sock,
            "PUT {target} HTTP/1.1\r\nHost: t\r\nContent-Length: 1000000\r\n\r\n"
        )
        .unwrap();
        sock.write_all(&vec![b'x'; 400_000]).unwrap();
        drop(sock);
    }
    // A chunked body that stops: the body timeout fires (408), nothing is kept.
    let stalled_at = Instant::now();
    let mut stalled = s.connect();
    stalled.write_all(b"PUT /stalled.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n").unwrap();
    let (bytes, closed) = read_until_close(&mut stalled);
    assert!(
        String::from_utf8_lossy(&bytes).starts_with("HTTP/1.1 408 "),
        "{:?}",
        String::from_utf8_lossy(&bytes)
    );
    assert!(closed);
    // Cut by the body timeout (1 s), not by the header timeout (10 s by default).
    assert!(
        stalled_at.elapsed() < Duration::from_secs(5),
        "{:?}",
        stalled_at.elapsed()
    );
    // A broken chunked body: 400, nothing kept.
    let mut broken = s.connect();
    broken.write_all(b"PUT /broken.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nnothex\r\n").unwrap();
    let (bytes, _) = read_until_close(&mut broken);
    assert!(String::from_utf8_lossy(&bytes).starts_with("HTTP/1.1 400 "));

    let end = Instant::now() + Duration::from_secs(5);
    while !s.temporaries().is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(s.temporaries().is_empty(), "{:?}", s.temporaries());
    for gone in ["cut.bin", "new/dir/cut.bin", "stalled.bin", "broken.bin"] {
        assert!(!s.file(gone).exists(), "{gone} exists");
    }
    assert!(!s.file("new").exists());
    assert_eq!(std::fs::read(s.file("kept.txt")).unwrap(), b"old version");
}

#[test]
fn concurrent_puts_to_one_path_leave_one_complete_version() {
    let s = Server::start(&["--quiet", "--threads", "4"]);
    const LEN: usize = 1 << 20;
    let addr = s.addr();
    let handles: Vec<_> = (0..8u8)
        .map(|i| {
            std::thread::spawn(move || {
                let mut sock = simplehttp_tests::server_util::connect(addr);
                write!(
                    sock,
                    "PUT /same.bin HTTP/1.1\r\nHost: t\r\nContent-Length: {LEN}\r\n\r\n"
                )
                .unwrap();
                let body = vec![b'a' + i; LEN];
                for part in body.chunks(64 * 1024) {
                    sock.write_all(part).unwrap();
                }
                read_response(&mut BufReader::new(sock), false)
                    .unwrap()
                    .status
            })
        })
        .collect();
    let statuses: Vec<u16> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert!(
        statuses.iter().all(|s| matches!(s, 201 | 204)),
        "{statuses:?}"
    );
    let data = std::fs::read(s.file("same.bin")).unwrap();
    assert_eq!(data.len(), LEN);
    assert!((b'a'..b'a' + 8).contains(&data[0]));
    assert!(data.iter().all(|&b| b == data[0]), "a mix of versions");
    assert!(s.temporaries().is_empty(), "{:?}", s.temporaries());
}

#[test]
fn http10_closes_unless_asked_to_keep_alive() {
    let s = Server::start(&["--quiet"]);
    std::fs::write(s.file("a.txt"), "a").unwrap();
    // Plain HTTP/1.0: one response, then the server closes.
    let mut sock = s.connect();
    sock.write_all(b"GET /a.txt HTTP/1.0\r\n\r\n").unwrap();
    let (bytes, closed) = read_until_close(&mut sock);
    assert!(closed);
    assert!(String::from_utf8_lossy(&bytes).ends_with("\r\n\r\na"));
    // HTTP/1.0 with Connection: keep-alive: the connection stays for a second request.
    let mut sock = s.connect();
    let mut r = BufReader::new(sock.try_clone().unwrap());
    sock.write_all(b"GET /a.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        .unwrap();
    let first = read_response(&mut r, false).unwrap();
    assert_eq!(
        first
            .header("connection")
            .map(str::to_ascii_lowercase)
            .as_deref(),
        Some("keep-alive")
    );
    sock.write_all(b"GET /a.txt HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut r, false).unwrap().body, b"a");
}

/// Open file descriptors of a process.
fn fd_count(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

#[test]
fn peers_that_vanish_mid_response_do_not_leak_connections() {
    let s = Server::start(&["--quiet"]);
    std::fs::write(s.file("big.bin"), vec![1u8; 32 << 20]).unwrap();
    std::fs::write(s.file("ok.txt"), "ok").unwrap();
    assert_eq!(s.get("/ok.txt").status, 200);
    std::thread::sleep(Duration::from_millis(200));
    let baseline = fd_count(s.pid());
    for _ in 0..20 {
        let mut sock = s.connect();
        sock.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
        let mut some = [0u8; 4096];
        sock.read_exact(&mut some).unwrap();
        drop(sock);
    }
    let end = Instant::now() + Duration::from_secs(10);
    while fd_count(s.pid()) > baseline && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(fd_count(s.pid()), baseline);
    assert_eq!(s.get("/ok.txt").status, 200);
}

#[test]
fn random_bytes_never_stop_the_server() {
    let s = Server::start(&[]);
    std::fs::write(s.file("ok.txt"), "ok").unwrap();
    // A small deterministic generator: no dependency needed.
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let pieces: [&[u8]; 12] = [
        b"GET ",
        b"PUT ",
        b"/",
        b"%2e",
        b" HTTP/1.1",
        b"\r\n",
        b"Host: t",
        b"Content-Length: 3",
        b"Transfer-Encoding: chunked",
        b"0\r\n",
        b":",
        b"\x00\xff",
    ];
    for _ in 0..150 {
        let mut req = Vec::new();
        for _ in 0..(next() % 20) {
            let r = next();
            if r % 3 == 0 {
                req.push((r >> 8) as u8);
            } else {
                req.extend_from_slice(pieces[(r >> 8) as usize % pieces.len()]);
            }
        }
        req.extend_from_slice(b"\r\n\r\n");
        let mut sock = s.connect();
        sock.set_read_timeout(Some(Duration::from_millis(500)))
            .unwrap();
        let _ = sock.write_all(&req);
        let _ = sock.shutdown(std::net::Shutdown::Write);
        let _ = read_until_close(&mut sock);
    }
    assert_eq!(s.get("/ok.txt").body, b"ok");
    std::thread::sleep(Duration::from_millis(200));
    let log = s.log();
    assert!(!log.iter().any(|l| l.contains("panicked")), "{log:?}");
}

#[test]
fn requests_before_the_peers_eof_are_all_answered() {
    let s = Server::start(&["--quiet"]);
    std::fs::write(s.file("a.txt"), "A").unwrap();
    let mut sock = s.connect();
    sock.write_all(
        b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n\
          PUT /b.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\n\r\nB\
          GET /b.txt HTTP/1.1\r\nHost: t\r\n\r\n",
    )
    .unwrap();
    sock.shutdown(std::net::Shutdown::Write).unwrap();
    let mut r = BufReader::new(sock);
    assert_eq!(read_response(&mut r, false).unwrap().body, b"A");
    assert_eq!(read_response(&mut r, false).unwrap().status, 201);
    assert_eq!(read_response(&mut r, false).unwrap().body, b"B");
    let mut rest = Vec::new();
    r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
}
