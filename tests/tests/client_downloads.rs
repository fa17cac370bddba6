//! simple-client's downloads: response heads bounded by bytes, `--max-filesize`, a full
//! disk, `-C -` resumes, `--retry`, several URLs in one run, and proxies.

use simplehttp_tests::client_util::{
    client, header_value, nginx, pattern, simple_server, RawServer, Script, TempDir,
};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).expect("server write");
}

/// A 200 head with `fields` of filler `X-Filler-N: ...` lines making it about `size` bytes.
fn big_head(size: usize) -> Vec<u8> {
    let mut head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n".to_vec();
    let mut n = 0;
    while head.len() + 2 < size {
        let line = format!("X-Filler-{n}: {}\r\n", "v".repeat(90));
        head.extend_from_slice(line.as_bytes());
        n += 1;
    }
    head.extend_from_slice(b"\r\n");
    head
}

#[test]
fn a_90_kb_head_is_accepted_and_one_over_100_kib_refused() {
    let head = big_head(90_000);
    assert!(head.len() > 89_000 && head.len() < 91_000);
    let server = RawServer::one(move |mut s, _| {
        send(&mut s, &head);
        send(&mut s, b"ok");
    });
    let run = client(["-s", &server.url("/")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"ok");
    server.finish();

    let dir = TempDir::new("bighead");
    let head = big_head(110 * 1024);
    let server = RawServer::one(move |mut s, _| {
        let _ = s.write_all(&head);
        let _ = s.write_all(b"ok");
    });
    let out = dir.join("out");
    let run = client(["-s", "-o", out.to_str().unwrap(), &server.url("/")]).run();
    run.assert_code(7);
    assert_eq!(
        run.stderr.trim(),
        "simple-client: the response head is larger than 100 KiB: refused"
    );
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
    server.finish();
}

#[test]
fn many_short_fields_are_bounded_by_bytes_not_count() {
    // 5000 fields, 40 KiB: far more than the server side's 100 fields.
    let mut head = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n".to_vec();
    for n in 0..5000 {
        head.extend_from_slice(format!("X-{n}: a\r\n").as_bytes());
    }
    head.extend_from_slice(b"\r\nok");
    let server = RawServer::one(move |mut s, _| send(&mut s, &head));
    let run = client(["-s", &server.url("/")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"ok");
    server.finish();
}

#[test]
fn max_filesize_refuses_a_declared_length_before_the_body() {
    let dir = TempDir::new("maxsize");
    std::fs::write(dir.join("out"), b"old").unwrap();
    let server = RawServer::one(|mut s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2000000\r\n\r\n");
        let _ = s.write_all(&[b'x'; 1000]);
    });
    let out = dir.join("out");
    let run = client([
        "-s",
        "--max-filesize",
        "1M",
        "-o",
        out.to_str().unwrap(),
        &server.url("/"),
    ])
    .run();
    run.assert_code(63);
    assert!(run
        .stderr
        .contains("2000000 bytes, more than --max-filesize 1048576"));
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
    assert_eq!(dir.entries(), ["out"]);
    server.finish();
}

#[test]
fn max_filesize_stops_a_close_delimited_body_as_it_passes() {
    let dir = TempDir::new("maxsize-close");
    let server = RawServer::one(|mut s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
        let chunk = [b'x'; 64 * 1024];
        // Endless as far as the client knows: 64 MiB, unless it hangs up first.
        for _ in 0..1024 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let out = dir.join("out");
    let run = client([
        "-s",
        "--max-filesize",
        "100k",
        "-o",
        out.to_str().unwrap(),
        &server.url("/"),
    ])
    .run();
    run.assert_code(63);
    assert!(
        run.stderr.contains("passed --max-filesize 102400"),
        "{}",
        run.stderr
    );
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
    // Under the limit, the same flag lets a body through.
    let body = pattern(5000, 3);
    let b = body.clone();
    let server = RawServer::one(move |mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        send(&mut s, &b);
    });
    let run = client(["-s", "--max-filesize", "5000", &server.url("/")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, body);
}

/// An endless close-delimited body (bounded at 64 MiB) for a client that writes to a
/// place with little room.
fn endless_server() -> RawServer {
    RawServer::one(|mut s, _| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
        let chunk = [b'y'; 64 * 1024];
        for _ in 0..1024 {
            if s.write_all(&chunk).is_err() {
                return;
            }
        }
    })
}

#[test]
fn a_file_size_limit_stops_an_endless_body_and_removes_the_temporary() {
    // RLIMIT_FSIZE: writes past 1 MB fail with EFBIG (the client catches SIGXFSZ).
    let dir = TempDir::new("fsize");
    std::fs::write(dir.join("out"), b"old").unwrap();
    let server = endless_server();
    let out = dir.join("out");
    let output = Command::new("prlimit")
        .arg("--fsize=1000000")
        .arg(simplehttp_tests::client_util::client_bin())
        .args(["-s", "-o", out.to_str().unwrap(), &server.url("/")])
        .output()
        .expect("prlimit (util-linux)");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("no room left for") && stderr.contains("the partial download is removed"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert_eq!(std::fs::read(&out).unwrap(), b"old");
    assert_eq!(dir.entries(), ["out"]);
}

#[test]
fn a_full_disk_stops_an_endless_body_and_removes_the_temporary() {
    // A 1 MiB tmpfs in a mount namespace of its own; skipped where mounting is not allowed.
    let dir = TempDir::new("enospc");
    let server = endless_server();
    let script = format!(
        "mount -t tmpfs -o size=1m tmpfs {d} || exit 99; \
         {bin} -s -o {d}/out {url}; code=$?; ls -A {d}; exit $code",
        d = dir.path().display(),
        bin = simplehttp_tests::client_util::client_bin().display(),
        url = server.url("/")
    );
    let output = Command::new("unshare")
        .args(["--mount", "sh", "-c", &script])
        .output()
        .expect("unshare (util-linux)");
    if output.status.code() == Some(99) {
        eprintln!(
            "skipped: cannot mount a tmpfs here: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        drop(TcpStream::connect(("127.0.0.1", server.port)));
        return;
    }
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("no room left for"), "{stderr}");
    assert!(stderr.contains("No space left on device"), "{stderr}");
    // `ls -A` of the full tmpfs: nothing, neither the file nor its temporary.
    assert_eq!(String::from_utf8_lossy(&output.stdout), "");
}

fn sha256(bytes: &[u8]) -> Vec<u8> {
    ring::digest::digest(&ring::digest::SHA256, bytes)
        .as_ref()
        .to_vec()
}

/// Adds `Connection: close` to a request head, so the upstream ends its answer with a close.
fn with_close(head: &[u8]) -> Vec<u8> {
    let mut h = head[..head.len() - 2].to_vec();
    h.extend_from_slice(b"Connection: close\r\n\r\n");
    h
}

/// A script that relays the request to `upstream` and its answer back, cut after
/// `limit` bytes of the answer (head included) with a clean close; `None` relays all.
fn relay(upstream: u16, limit: Option<usize>) -> Script {
    Box::new(move |mut client_side, head| {
        let mut up = TcpStream::connect(("127.0.0.1", upstream)).expect("upstream");
        up.write_all(&with_close(&head)).expect("relay head");
        let mut sent = 0;
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            let n = match up.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let n = limit.map_or(n, |l| n.min(l - sent));
            if client_side.write_all(&buf[..n]).is_err() {
                break;
            }
            sent += n;
            if limit == Some(sent) {
                break;
            }
        }
    })
}

/// The request heads a relay saw: `Range` and `If-Range` of each.
fn ranges(heads: &[Vec<u8>]) -> Vec<(Option<String>, Option<String>)> {
    heads
        .iter()
        .map(|h| (header_value(h, "range"), header_value(h, "if-range")))
        .collect()
}

/// Runs the resume scenarios against a server on `upstream` serving `root`.
fn resume_scenarios(upstream: u16, root: &Path, peer: &str) {
    let data = pattern(3 << 20, 11);
    std::fs::write(root.join("big.bin"), &data).unwrap();
    let dir = TempDir::new("resume");
    let out = dir.join("big.bin");
    let o = out.to_str().unwrap();

    // 1. Cut after 1 MB: the partial file and its sidecar stay; NAME does not appear.
    let cut = RawServer::many(vec![relay(upstream, Some(1_000_000))]);
    let run = client(["-s", "-C", "-", "-o", o, &cut.url("/big.bin")]).run();
    assert_ne!(run.code, Some(0), "{peer}: {}", run.stderr);
    let heads = cut.finish();
    assert_eq!(ranges(&heads), [(None, None)], "{peer}");
    assert_eq!(
        dir.entries(),
        [
            ".big.bin.simple-client-part",
            ".big.bin.simple-client-resume"
        ],
        "{peer}: {}",
        run.stderr
    );
    let part = std::fs::read(dir.join(".big.bin.simple-client-part")).unwrap();
    assert!(!part.is_empty() && part.len() < 1_000_000, "{peer}");
    assert_eq!(part[..], data[..part.len()], "{peer}");
    let sidecar = std::fs::read_to_string(dir.join(".big.bin.simple-client-resume")).unwrap();
    assert!(sidecar.starts_with("If-Range: "), "{peer}: {sidecar}");

    // 2. Resumed: one request for the rest, with If-Range; byte-exact.
    let full = RawServer::many(vec![relay(upstream, None)]);
    let run = client(["-s", "-C", "-", "-o", o, &full.url("/big.bin")]).run();
    run.assert_code(0);
    let heads = full.finish();
    let validator = sidecar
        .trim_end()
        .strip_prefix("If-Range: ")
        .unwrap()
        .to_string();
    assert_eq!(
        ranges(&heads),
        [(Some(format!("bytes={}-", part.len())), Some(validator))],
        "{peer}"
    );
    assert_eq!(
        sha256(&std::fs::read(&out).unwrap()),
        sha256(&data),
        "{peer}"
    );
    assert_eq!(dir.entries(), ["big.bin"], "{peer}");

    // 3. Complete already: a 416 is success, the file untouched.
    let run = client([
        "-s",
        "-v",
        "-C",
        "-",
        "-o",
        o,
        &format!("http://127.0.0.1:{upstream}/big.bin"),
    ])
    .run();
    run.assert_code(0);
    assert!(
        run.stderr.contains("complete already"),
        "{peer}: {}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("Range: bytes={}-", data.len())),
        "{peer}"
    );
    assert_eq!(
        sha256(&std::fs::read(&out).unwrap()),
        sha256(&data),
        "{peer}"
    );
    assert_eq!(dir.entries(), ["big.bin"], "{peer}");

    // 4. Cut again, then the file changes on the server: If-Range fails, a 200 starts over.
    std::fs::remove_file(&out).unwrap();
    let cut = RawServer::many(vec![relay(upstream, Some(500_000))]);
    let run = client(["-s", "-C", "-", "-o", o, &cut.url("/big.bin")]).run();
    assert_ne!(run.code, Some(0), "{peer}");
    cut.finish();
    assert_eq!(dir.entries().len(), 2, "{peer}: {:?}", dir.entries());
    let changed = pattern((3 << 20) + 12345, 12);
    std::fs::write(root.join("big.bin"), &changed).unwrap();
    // A different mtime too, for servers whose ETag holds only seconds.
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(root.join("big.bin"))
        .unwrap()
        .set_modified(later)
        .unwrap();
    let full = RawServer::many(vec![relay(upstream, None)]);
    let run = client(["-s", "-C", "-", "-o", o, &full.url("/big.bin")]).run();
    run.assert_code(0);
    let heads = full.finish();
    assert!(ranges(&heads)[0].1.is_some(), "{peer}: If-Range sent");
    assert_eq!(
        sha256(&std::fs::read(&out).unwrap()),
        sha256(&changed),
        "{peer}"
    );
    assert_eq!(dir.entries(), ["big.bin"], "{peer}");
}

#[test]
fn resume_against_simple_server() {
    let root = TempDir::new("resume-root");
    let peer = simple_server(root.path());
    resume_scenarios(peer.port, root.path(), "simple-server");
}

#[test]
fn resume_against_nginx() {
    let root = TempDir::new("resume-nginx-root");
    let work = TempDir::new("resume-nginx-work");
    let peer = nginx(root.path(), work.path());
    resume_scenarios(peer.port, root.path(), "nginx");
}

#[test]
fn without_continue_a_cut_download_leaves_nothing() {
    let root = TempDir::new("nocontinue-root");
    std::fs::write(root.join("f.bin"), pattern(1 << 20, 5)).unwrap();
    let peer = simple_server(root.path());
    let dir = TempDir::new("nocontinue");
    let cut = RawServer::many(vec![relay(peer.port, Some(200_000))]);
    let out = dir.join("f.bin");
    let run = client(["-s", "-o", out.to_str().unwrap(), &cut.url("/f.bin")]).run();
    run.assert_code(7);
    cut.finish();
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
}

#[test]
fn a_206_from_elsewhere_than_the_partial_end_is_refused_and_the_partial_kept() {
    let dir = TempDir::new("badrange");
    std::fs::write(dir.join(".f.simple-client-part"), b"0123456789").unwrap();
    std::fs::write(dir.join(".f.simple-client-resume"), "If-Range: \"v1\"\n").unwrap();
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 5-9/20\r\n\
              Content-Length: 5\r\n\r\n56789",
        );
    });
    let out = dir.join("f");
    let run = client([
        "-s",
        "-C",
        "-",
        "-o",
        out.to_str().unwrap(),
        &server.url("/f"),
    ])
    .run();
    run.assert_code(7);
    assert!(run.stderr.contains("not from byte 10"), "{}", run.stderr);
    let heads = server.finish();
    assert_eq!(
        ranges(&heads),
        [(Some("bytes=10-".into()), Some("\"v1\"".into()))]
    );
    assert_eq!(
        std::fs::read(dir.join(".f.simple-client-part")).unwrap(),
        b"0123456789"
    );
    assert_eq!(dir.entries().len(), 2);
}

/// A script answering `head` (a whole response) and closing.
fn answer(response: &'static [u8]) -> Script {
    Box::new(move |mut s, _| {
        let _ = s.write_all(response);
    })
}

fn retry_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.contains("retrying in"))
        .collect()
}

#[test]
fn retries_a_failing_server_until_it_answers_honouring_retry_after() {
    let server = RawServer::many(vec![
        answer(
            b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 4\r\n\r\nbusy",
        ),
        Box::new(|s, _| {
            // A reset before any response.
            socket2::SockRef::from(&s)
                .set_linger(Some(Duration::ZERO))
                .unwrap();
            drop(s);
        }),
        answer(b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n"),
        answer(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
    ]);
    let run = client([
        "-s",
        "--retry",
        "5",
        "--retry-delay",
        "0.1",
        &server.url("/"),
    ])
    .deadline(Duration::from_secs(30))
    .run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello", "the error bodies are not written");
    let lines = retry_lines(&run.stderr);
    assert_eq!(lines.len(), 3, "{}", run.stderr);
    assert!(lines[0].starts_with("simple-client: the server answered 503; retrying in 1.0 s (1 of 5), as Retry-After asks"), "{}", lines[0]);
    assert!(
        lines[1].contains("reset") && lines[1].contains("(2 of 5)"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2].contains("answered 429") && lines[2].contains("(3 of 5)"),
        "{}",
        lines[2]
    );
    assert_eq!(run.stderr.lines().count(), 3, "{}", run.stderr);
    assert_eq!(server.finish().len(), 4);
}

#[test]
fn retry_after_as_a_date_and_the_retry_max_time_bound() {
    // Retry-After an hour from now: cut to what --retry-max-time leaves, then no more tries.
    let later = "Wed, 01 Jan 2098 00:00:00 GMT";
    let response: &'static [u8] = Box::leak(
        format!("HTTP/1.1 503 Service Unavailable\r\nRetry-After: {later}\r\nContent-Length: 4\r\n\r\nbusy")
            .into_bytes()
            .into_boxed_slice(),
    );
    let server = RawServer::many(vec![answer(response), answer(response)]);
    let run = client([
        "-s",
        "--retry",
        "10",
        "--retry-max-time",
        "1.5",
        &server.url("/"),
    ])
    .deadline(Duration::from_secs(30))
    .run();
    run.assert_code(8);
    let lines = retry_lines(&run.stderr);
    assert_eq!(lines.len(), 1, "{}", run.stderr);
    assert!(
        lines[0].contains("retrying in 1.5 s (1 of 10), as Retry-After asks"),
        "{}",
        lines[0]
    );
    // The last answer's body is written, as for any error status.
    assert_eq!(run.stdout, b"busy");
    assert_eq!(server.finish().len(), 2);
}

#[test]
fn other_4xx_are_never_retried() {
    let server = RawServer::many(vec![answer(
        b"HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope",
    )]);
    let run = client([
        "-s",
        "--retry",
        "3",
        "--retry-delay",
        "0.1",
        &server.url("/"),
    ])
    .run();
    run.assert_code(8);
    assert!(retry_lines(&run.stderr).is_empty(), "{}", run.stderr);
    assert_eq!(server.finish().len(), 1);
}

#[test]
fn a_refused_connection_is_retried_then_reported() {
    let port = simplehttp_tests::client_util::free_port();
    let run = client([
        "-s",
        "--retry",
        "2",
        "--retry-delay",
        "0.1",
        &format!("http://127.0.0.1:{port}/"),
    ])
    .run();
    run.assert_code(4);
    assert_eq!(retry_lines(&run.stderr).len(), 2, "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 3, "{}", run.stderr);
}

#[test]
fn a_retried_download_continues_when_the_server_gave_a_validator() {
    let data = pattern(100_000, 9);
    let (d1, d2) = (data.clone(), data.clone());
    let server = RawServer::many(vec![
        Box::new(move |mut s, _| {
            let head = format!(
                "HTTP/1.1 200 OK\r\nETag: \"v7\"\r\nContent-Length: {}\r\n\r\n",
                d1.len()
            );
            send(&mut s, head.as_bytes());
            send(&mut s, &d1[..40_000]);
        }),
        Box::new(move |mut s, head| {
            assert_eq!(
                header_value(&head, "range").as_deref(),
                Some("bytes=40000-")
            );
            assert_eq!(header_value(&head, "if-range").as_deref(), Some("\"v7\""));
            let rest = &d2[40_000..];
            let head = format!(
                "HTTP/1.1 206 Partial Content\r\nETag: \"v7\"\r\n\
                 Content-Range: bytes 40000-{}/{}\r\nContent-Length: {}\r\n\r\n",
                d2.len() - 1,
                d2.len(),
                rest.len()
            );
            send(&mut s, head.as_bytes());
            send(&mut s, rest);
        }),
    ]);
    let dir = TempDir::new("retry-resume");
    let out = dir.join("f");
    let run = client([
        "-s",
        "--retry",
        "2",
        "--retry-delay",
        "0.1",
        "-o",
        out.to_str().unwrap(),
        &server.url("/f"),
    ])
    .run();
    run.assert_code(0);
    assert_eq!(retry_lines(&run.stderr).len(), 1, "{}", run.stderr);
    server.finish();
    assert_eq!(sha256(&std::fs::read(&out).unwrap()), sha256(&data));
    assert_eq!(dir.entries(), ["f"], "nothing of the partial file is left");
}

#[test]
fn a_retried_download_without_validator_starts_over_and_a_failed_run_leaves_nothing() {
    let server = RawServer::many(vec![
        answer(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234"),
        answer(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n012"),
    ]);
    let dir = TempDir::new("retry-norange");
    let out = dir.join("f");
    let run = client([
        "-s",
        "--retry",
        "1",
        "--retry-delay",
        "0.1",
        "-o",
        out.to_str().unwrap(),
        &server.url("/f"),
    ])
    .run();
    run.assert_code(7);
    let heads = server.finish();
    assert_eq!(ranges(&heads), [(None, None), (None, None)]);
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());

    // With a validator but no -C, a run that fails in the end leaves no partial file.
    let server = RawServer::many(vec![
        answer(b"HTTP/1.1 200 OK\r\nETag: \"a\"\r\nContent-Length: 10\r\n\r\n01234"),
        answer(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n"),
    ]);
    let run = client([
        "-s",
        "--retry",
        "1",
        "--retry-delay",
        "0.1",
        "-o",
        out.to_str().unwrap(),
        &server.url("/f"),
    ])
    .run();
    run.assert_code(8);
    let heads = server.finish();
    assert_eq!(
        ranges(&heads)[1],
        (Some("bytes=5-".into()), Some("\"a\"".into()))
    );
    // The last answer's (empty) error body is written, as always; the partial file is gone.
    assert_eq!(dir.entries(), ["f"]);
    assert_eq!(std::fs::read(&out).unwrap(), b"");
}

/// A keep-alive server on loopback that answers every request with its path as the body
/// after `hold`, counting the TCP connections it accepted and the most open at once.
struct CountingServer {
    port: u16,
    stats: Arc<Mutex<(usize, usize, usize)>>,
    stop: Arc<AtomicBool>,
    handle: Option<std::thread::JoinHandle<()>>,
}

impl CountingServer {
    fn start(hold: Duration) -> CountingServer {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let port = listener.local_addr().unwrap().port();
        // (accepted, open now, most open at once)
        let stats = Arc::new(Mutex::new((0usize, 0usize, 0usize)));
        let stop = Arc::new(AtomicBool::new(false));
        let (st, sp) = (stats.clone(), stop.clone());
        let handle = std::thread::spawn(move || {
            let end = std::time::Instant::now() + Duration::from_secs(60);
            while !sp.load(Ordering::SeqCst) && std::time::Instant::now() < end {
                let Ok((mut s, _)) = listener.accept() else {
                    std::thread::sleep(Duration::from_millis(5));
                    continue;
                };
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                {
                    let mut g = st.lock().unwrap();
                    g.0 += 1;
                    g.1 += 1;
                    g.2 = g.2.max(g.1);
                }
                let st = st.clone();
                std::thread::spawn(move || {
                    loop {
                        let head = simplehttp_tests::client_util::read_head(&mut s);
                        if head.is_empty() {
                            break;
                        }
                        std::thread::sleep(hold);
                        let line = String::from_utf8_lossy(&head)
                            .lines()
                            .next()
                            .unwrap_or("")
                            .to_string();
                        let path = line.split(' ').nth(1).unwrap_or("").to_string();
                        // /go-X redirects to /X with its path as the body; /big-go-X
                        // too, with a body of 100 KiB.
                        let (status, body) = if path.contains("missing") {
                            ("404 Not Found".to_string(), path.clone())
                        } else if path.contains("busy") {
                            (
                                "503 Service Unavailable\r\nRetry-After: 0".to_string(),
                                path.clone(),
                            )
                        } else if let Some((big, to)) = path.split_once("go-") {
                            let body = if big == "/big-" {
                                "x".repeat(100 * 1024)
                            } else {
                                path.clone()
                            };
                            (format!("302 Found\r\nLocation: /{to}"), body)
                        } else {
                            ("200 OK".to_string(), path.clone())
                        };
                        let reply = format!(
                            "HTTP/1.1 {status}\r\nContent-Length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        if s.write_all(reply.as_bytes()).is_err() {
                            break;
                        }
                    }
                    st.lock().unwrap().1 -= 1;
                });
            }
        });
        CountingServer {
            port,
            stats,
            stop,
            handle: Some(handle),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// (connections accepted, most open at once).
    fn counts(&self) -> (usize, usize) {
        let g = self.stats.lock().unwrap();
        (g.0, g.2)
    }
}

impl Drop for CountingServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

#[test]
fn several_urls_go_in_order_over_one_connection() {
    let server = CountingServer::start(Duration::ZERO);
    let urls: Vec<String> = (1..=5).map(|n| server.url(&format!("/f{n}"))).collect();
    let run = client(["-s"].iter().map(|s| s.to_string()).chain(urls.clone())).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"/f1/f2/f3/f4/f5");
    assert_eq!(server.counts().0, 1, "one TCP connection for the five");

    // -o once per URL, in order; -O names the files after the URLs.
    let dir = TempDir::new("multi");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let run = client([
        "-s",
        "-o",
        a.to_str().unwrap(),
        "-o",
        b.to_str().unwrap(),
        &server.url("/one"),
        &server.url("/two"),
        &server.url("/three"),
    ])
    .run();
    run.assert_code(0);
    assert_eq!(std::fs::read(&a).unwrap(), b"/one");
    assert_eq!(std::fs::read(&b).unwrap(), b"/two");
    assert_eq!(run.stdout, b"/three");
    let run = client(["-s", "-O", &server.url("/x.txt"), &server.url("/y.txt")])
        .current_dir(dir.path())
        .run();
    run.assert_code(0);
    assert_eq!(std::fs::read(dir.join("y.txt")).unwrap(), b"/y.txt");
    assert_eq!(server.counts().0, 3, "one connection per run");
}

#[test]
fn a_small_redirect_body_is_read_past_and_the_connection_kept() {
    let server = CountingServer::start(Duration::ZERO);
    let run = client(["-s", "-L", &server.url("/go-a"), &server.url("/b")]).run();
    run.assert_code(0);
    assert_eq!(
        run.stdout, b"/a/b",
        "the redirect's own body is not written"
    );
    assert_eq!(
        server.counts().0,
        1,
        "the redirect, its target and the next URL on one connection"
    );
    // A redirect with a large body is not read through: the connection is closed.
    let run = client(["-s", "-L", &server.url("/big-go-a"), &server.url("/b")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"/a/b");
    assert_eq!(
        server.counts().0,
        3,
        "a new connection after the large body"
    );

    // The statuses retried: each try on the same connection.
    let run = client(["-s", "--retry", "2", &server.url("/busy")]).run();
    run.assert_code(8);
    assert_eq!(run.stdout, b"/busy", "only the last try's body is written");
    assert_eq!(server.counts().0, 4, "three tries on one connection");
}

#[test]
fn the_run_exits_with_the_highest_code_and_names_each_failing_url() {
    let server = CountingServer::start(Duration::ZERO);
    let refused = format!(
        "http://127.0.0.1:{}/gone",
        simplehttp_tests::client_util::free_port()
    );
    let run = client(["-s", &server.url("/a"), &refused, &server.url("/b")]).run();
    run.assert_code(4);
    assert_eq!(run.stdout, b"/a/b", "the run goes on after a failure");
    assert_eq!(
        run.stderr.lines().collect::<Vec<_>>(),
        [format!(
            "simple-client: {refused}: connection refused by {}",
            &refused[7..refused.len() - 5]
        )]
    );
    let run = client(["-s", &server.url("/a"), &refused, &server.url("/missing")]).run();
    run.assert_code(8);
    let run = client(["-s", &server.url("/a"), &server.url("/b")]).run();
    run.assert_code(0);
}

#[test]
fn parallel_transfers_are_bounded_by_parallel_max() {
    let server = CountingServer::start(Duration::from_millis(400));
    let dir = TempDir::new("parallel");
    let mut args: Vec<String> = ["-s", "-Z", "--parallel-max", "3", "-O"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    for n in 0..9 {
        args.push(server.url(&format!("/p{n}")));
    }
    let run = client(&args).current_dir(dir.path()).run();
    run.assert_code(0);
    let (accepted, most) = server.counts();
    assert!(most <= 3, "at most 3 at once, saw {most}");
    assert!(most >= 2, "transfers overlap: saw {most}");
    assert!(
        accepted <= 3,
        "each worker keeps its connection: {accepted}"
    );
    for n in 0..9 {
        assert_eq!(
            std::fs::read(dir.join(&format!("p{n}"))).unwrap(),
            format!("/p{n}").as_bytes()
        );
    }
}

#[test]
fn a_kept_alive_connection_closed_by_the_server_is_replaced() {
    let server = RawServer::many(vec![
        Box::new(|mut s, _| {
            send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none");
            // Takes the next request, then closes without a word: the client must connect
            // again rather than fail.
            let next = simplehttp_tests::client_util::read_head(&mut s);
            assert!(
                next.starts_with(b"GET /b "),
                "{:?}",
                String::from_utf8_lossy(&next)
            );
        }),
        Box::new(|mut s, head| {
            assert!(head.starts_with(b"GET /b "));
            send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo");
        }),
    ]);
    let run = client(["-s", "-v", &server.url("/a"), &server.url("/b")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"onetwo");
    assert!(run.stderr.contains("connecting again"), "{}", run.stderr);
    server.finish();
}

#[test]
fn with_continue_a_download_stopped_by_max_time_is_kept_to_resume() {
    // A Content-Length body (spliced to the file once the buffer is empty) and a chunked
    // one (written through the buffer, flushed when the server falls silent).
    stopped_by_max_time_is_kept(
        b"HTTP/1.1 200 OK\r\nETag: \"e1\"\r\nContent-Length: 1000\r\n\r\n",
        |s| send(s, &[b'a'; 300]),
    );
    stopped_by_max_time_is_kept(
        b"HTTP/1.1 200 OK\r\nETag: \"e1\"\r\nTransfer-Encoding: chunked\r\n\r\n",
        |s| {
            send(s, b"64\r\n");
            send(s, &[b'a'; 100]);
            std::thread::sleep(Duration::from_millis(20));
            send(s, b"\r\nc8\r\n");
            send(s, &[b'a'; 200]);
            send(s, b"\r\n");
        },
    );
}

fn stopped_by_max_time_is_kept(head: &'static [u8], body: fn(&mut TcpStream)) {
    let server = RawServer::one(move |mut s, _| {
        send(&mut s, head);
        body(&mut s);
        // Stall until the client gives up.
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let _ = read_all(&mut s);
    });
    let dir = TempDir::new("maxtime-keep");
    let out = dir.join("f");
    let run = client([
        "-s",
        "-C",
        "-",
        "-m",
        "1",
        "-o",
        out.to_str().unwrap(),
        &server.url("/f"),
    ])
    .run();
    run.assert_code(4);
    assert_eq!(
        dir.entries(),
        [".f.simple-client-part", ".f.simple-client-resume"]
    );
    assert_eq!(
        std::fs::read(dir.join(".f.simple-client-part")).unwrap(),
        [b'a'; 300]
    );
    assert_eq!(
        std::fs::read_to_string(dir.join(".f.simple-client-resume")).unwrap(),
        "If-Range: \"e1\"\n"
    );
    server.finish();
}

#[test]
fn a_body_cut_after_reaching_stdout_is_not_retried() {
    let server = RawServer::many(vec![answer(
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234",
    )]);
    let run = client([
        "-s",
        "--retry",
        "3",
        "--retry-delay",
        "0.1",
        &server.url("/"),
    ])
    .run();
    run.assert_code(7);
    assert_eq!(run.stdout, b"01234", "written once, not again");
    assert!(retry_lines(&run.stderr).is_empty(), "{}", run.stderr);
    assert_eq!(server.finish().len(), 1);
}

fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut v = Vec::new();
    let _ = s.read_to_end(&mut v);
    v
}
