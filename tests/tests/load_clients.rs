//! 2,000 concurrent keep-alive clients doing GETs and PUTs against simple-server for a
//! bounded time: no request fails, no file is corrupted, and the server's descriptors and
//! memory come back near their baseline afterwards.
//!
//! A test of behaviour under load, not a benchmark: nothing here is timed beyond the
//! bounds that keep the test short.

use simplehttp_tests::client_util::pattern;
use simplehttp_tests::server_util::{read_response, Server};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

const CLIENTS: usize = 2000;
/// How long the clients keep at it once all are connected.
const LOAD_TIME: Duration = Duration::from_secs(12);
/// Files every client reads, and files many clients overwrite.
const READ_FILES: usize = 16;
const SHARED_FILES: usize = 20;

/// Raises this process's soft RLIMIT_NOFILE to its hard limit: each client is a socket.
fn raise_nofile_limit(needed: u64) {
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let lim = getrlimit(Resource::Nofile);
    let _ = setrlimit(
        Resource::Nofile,
        Rlimit {
            current: lim.maximum,
            maximum: lim.maximum,
        },
    );
    let now = getrlimit(Resource::Nofile).current;
    assert!(
        now.is_none_or(|n| n >= needed),
        "RLIMIT_NOFILE is {now:?}; {needed} descriptors are needed: raise the hard limit \
         (ulimit -Hn) to run the load test"
    );
}

/// Read-only file `k`: 100 bytes to 256 KiB.
fn read_file(k: usize) -> Vec<u8> {
    pattern(100 + (k * k * 1031) % (256 << 10), k as u64 + 1)
}

/// Version `v` written by client `c`: it says whose and which it is, so a shared file can
/// be checked whole whoever wrote it last.
fn payload(c: usize, v: usize) -> Vec<u8> {
    let mut out = format!("c={c:05} v={v:06}\n").into_bytes();
    let len = 512 + (c * 7_919 + v * 104_729) % (16 << 10);
    out.extend(pattern(
        len - out.len(),
        (c as u64) << 32 | v as u64 | 1 << 63,
    ));
    out
}

/// Whether `data` is exactly some `payload(c, v)`.
fn is_whole_payload(data: &[u8]) -> bool {
    let Some(head) = data.get(..17).and_then(|h| std::str::from_utf8(h).ok()) else {
        return false;
    };
    let parse = |s: &str| s.parse::<usize>().ok();
    match (parse(&head[2..7]), parse(&head[10..16])) {
        (Some(c), Some(v)) => payload(c, v) == data,
        _ => false,
    }
}

#[derive(Default)]
struct Tally {
    requests: u64,
    failures: Vec<String>,
    /// The last version each client wrote to its own file.
    last_own: Vec<Option<usize>>,
}

/// One client: connect, wait for the others, then GET and PUT on one keep-alive
/// connection until `deadline`.
fn client(
    c: usize,
    addr: SocketAddr,
    start: Arc<Barrier>,
    load_time: Duration,
    read_files: Arc<Vec<Vec<u8>>>,
    tally: Arc<Mutex<Tally>>,
) {
    let connected = TcpStream::connect_timeout(&addr, Duration::from_secs(30));
    start.wait();
    let mut requests = 0u64;
    let mut last: Option<usize> = None;
    let outcome = (|| -> Result<(), String> {
        let sock = connected.map_err(|e| format!("connect: {e}"))?;
        sock.set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        sock.set_write_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let mut w = sock.try_clone().unwrap();
        let mut r = BufReader::new(sock);
        let deadline = Instant::now() + load_time;
        let mut x = c as u64 * 2 + 1;
        let mut v = 0;
        // At least two requests each, so every connection is reused.
        while requests < 2 || Instant::now() < deadline {
            x = x.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            let pick = (x >> 33) as usize;
            let (what, expect_status, expect_body): (String, &[u16], Option<Vec<u8>>) = match pick
                % 8
            {
                0..=3 => {
                    let k = pick / 8 % READ_FILES;
                    write!(w, "GET /r{k}.bin HTTP/1.1\r\nHost: t\r\n\r\n")
                        .map_err(|e| format!("write: {e}"))?;
                    (
                        format!("GET /r{k}.bin"),
                        &[200],
                        Some(read_files[k].clone()),
                    )
                }
                4 | 5 => {
                    v += 1;
                    let body = payload(c, v);
                    write!(
                        w,
                        "PUT /own/c{c}.bin HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
                        body.len()
                    )
                    .and_then(|()| w.write_all(&body))
                    .map_err(|e| format!("write: {e}"))?;
                    last = Some(v);
                    (format!("PUT /own/c{c}.bin v{v}"), &[201, 204], None)
                }
                6 if last.is_some() => {
                    write!(w, "GET /own/c{c}.bin HTTP/1.1\r\nHost: t\r\n\r\n")
                        .map_err(|e| format!("write: {e}"))?;
                    let want = payload(c, last.unwrap());
                    (format!("GET /own/c{c}.bin"), &[200], Some(want))
                }
                _ => {
                    v += 1;
                    let body = payload(c, v);
                    let s = c % SHARED_FILES;
                    // Chunked, in two chunks.
                    let (a, b) = body.split_at(body.len() / 2);
                    write!(
                            w,
                            "PUT /shared/s{s}.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
                            a.len()
                        )
                        .and_then(|()| w.write_all(a))
                        .and_then(|()| write!(w, "\r\n{:x}\r\n", b.len()))
                        .and_then(|()| w.write_all(b))
                        .and_then(|()| w.write_all(b"\r\n0\r\n\r\n"))
                        .map_err(|e| format!("write: {e}"))?;
                    (format!("PUT /shared/s{s}.bin"), &[201, 204], None)
                }
            };
            let resp = read_response(&mut r, false).map_err(|e| format!("{what}: {e}"))?;
            requests += 1;
            if !expect_status.contains(&resp.status) {
                return Err(format!("{what}: status {}", resp.status));
            }
            if let Some(want) = expect_body {
                if resp.body != want {
                    return Err(format!(
                        "{what}: {} bytes, not the {} expected",
                        resp.body.len(),
                        want.len()
                    ));
                }
            }
        }
        Ok(())
    })();
    let mut t = tally.lock().unwrap();
    t.requests += requests;
    t.last_own[c] = last;
    if let Err(e) = outcome {
        t.failures.push(format!("client {c}: {e}"));
    }
}

#[test]
fn two_thousand_keep_alive_clients_lose_nothing() {
    raise_nofile_limit(CLIENTS as u64 + 200);
    let server = Server::start(&["--quiet"]);
    for k in 0..READ_FILES {
        std::fs::write(server.file(&format!("r{k}.bin")), read_file(k)).unwrap();
    }
    std::fs::create_dir(server.file("own")).unwrap();
    // Warm up, then the baseline.
    for k in 0..READ_FILES {
        assert_eq!(server.get(&format!("/r{k}.bin")).status, 200);
    }
    std::thread::sleep(Duration::from_millis(300));
    let (fd_base, rss_base) = (server.fd_count(), server.rss_kib());

    let tally = Arc::new(Mutex::new(Tally {
        last_own: vec![None; CLIENTS],
        ..Tally::default()
    }));
    let start = Arc::new(Barrier::new(CLIENTS + 1));
    let addr = server.addr();
    let read_files = Arc::new((0..READ_FILES).map(read_file).collect::<Vec<_>>());
    let mut threads = Vec::with_capacity(CLIENTS);
    for c in 0..CLIENTS {
        let (start, tally) = (Arc::clone(&start), Arc::clone(&tally));
        let read_files = Arc::clone(&read_files);
        threads.push(
            std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn(move || client(c, addr, start, LOAD_TIME, read_files, tally))
                .expect("spawn a client thread"),
        );
    }
    start.wait();
    let began = Instant::now();
    // Every client is connected at once (each keeps its connection for the whole run):
    // the server holds them all.
    let (mut fd_peak, mut rss_peak) = (0, 0);
    while !threads.iter().all(|t| t.is_finished()) {
        fd_peak = fd_peak.max(server.fd_count());
        rss_peak = rss_peak.max(server.rss_kib());
        std::thread::sleep(Duration::from_millis(200));
        assert!(
            began.elapsed() < LOAD_TIME + Duration::from_secs(60),
            "clients still running"
        );
    }
    for t in threads {
        t.join().unwrap();
    }
    let tally = tally.lock().unwrap();
    eprintln!(
        "{CLIENTS} clients, {} requests in {:?}; fds {fd_base} -> {fd_peak}; \
         RSS {rss_base} KiB -> {rss_peak} KiB",
        tally.requests,
        began.elapsed()
    );
    assert!(
        tally.failures.is_empty(),
        "{} clients failed, first ones:\n{}",
        tally.failures.len(),
        tally.failures[..tally.failures.len().min(10)].join("\n")
    );
    assert!(
        fd_peak >= fd_base + CLIENTS,
        "not all clients were connected at once"
    );
    assert!(
        tally.requests >= CLIENTS as u64 * 2,
        "{} requests",
        tally.requests
    );

    // No corrupted file: each client's own file is the last version it wrote, each shared
    // file one whole version, no temporary anywhere.
    for (c, last) in tally.last_own.iter().enumerate() {
        let on_disk = std::fs::read(server.file(&format!("own/c{c}.bin"))).ok();
        assert_eq!(on_disk, last.map(|v| payload(c, v)), "own/c{c}.bin");
    }
    for s in 0..SHARED_FILES {
        if let Ok(data) = std::fs::read(server.file(&format!("shared/s{s}.bin"))) {
            assert!(is_whole_payload(&data), "shared/s{s}.bin is corrupted");
        }
    }
    for k in 0..READ_FILES {
        assert!(std::fs::read(server.file(&format!("r{k}.bin"))).unwrap() == read_file(k));
    }
    assert!(
        server.temporaries().is_empty(),
        "{:?}",
        server.temporaries()
    );

    // Descriptors come back to the baseline, memory near it.
    let end = Instant::now() + Duration::from_secs(10);
    while server.fd_count() > fd_base && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (fd_after, rss_after) = (server.fd_count(), server.rss_kib());
    eprintln!("after: fds {fd_after}, RSS {rss_after} KiB");
    assert!(
        fd_after <= fd_base,
        "{fd_after} descriptors open, {fd_base} before"
    );
    assert!(
        rss_after <= rss_base + 32 * 1024,
        "RSS {rss_after} KiB after the load, {rss_base} KiB before"
    );
    assert_eq!(server.get("/r0.bin").body, read_file(0));
}
