//! simple-server under many connections, and its graceful shutdown.

use simplehttp_tests::server_util::{connect, read_response, Server};
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

#[test]
fn holds_a_thousand_concurrent_connections() {
    // 1,000 client sockets in this process, beside its other tests': make sure the soft
    // limit on open files allows them (the server raises its own).
    use rustix::process::{getrlimit, setrlimit, Resource, Rlimit};
    let lim = getrlimit(Resource::Nofile);
    if lim.current.is_some_and(|c| c < 4096) {
        let want = lim.maximum.map_or(4096, |m| m.min(4096));
        let _ = setrlimit(
            Resource::Nofile,
            Rlimit {
                current: Some(want),
                maximum: lim.maximum,
            },
        );
    }
    let s = Server::start(&["--quiet"]);
    std::fs::write(s.file("one.txt"), "one").unwrap();
    // All connections are open at once before any request is made.
    let mut socks: Vec<TcpStream> = (0..1000).map(|_| s.connect()).collect();
    for sock in &mut socks {
        sock.write_all(b"GET /one.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
    }
    let mut ok = 0;
    for sock in &socks {
        let resp = read_response(&mut BufReader::new(sock), false).unwrap();
        if resp.status == 200 && resp.body == b"one" {
            ok += 1;
        }
    }
    assert_eq!(ok, 1000);
    // Still open (keep-alive): a second round on every connection.
    for sock in &mut socks {
        sock.write_all(b"HEAD /one.txt HTTP/1.1\r\nHost: t\r\n\r\n")
            .unwrap();
    }
    for sock in &socks {
        let resp = read_response(&mut BufReader::new(sock), true).unwrap();
        assert_eq!(resp.status, 200);
    }
}

#[test]
fn sigterm_lets_a_download_in_flight_finish_then_exits_zero() {
    let mut s = Server::start(&["--quiet"]);
    const LEN: usize = 64 << 20;
    let data: Vec<u8> = (0..LEN).map(|i| (i % 253) as u8).collect();
    std::fs::write(s.file("big.bin"), &data).unwrap();
    let mut idle = s.connect();
    idle.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=0-0\r\n\r\n")
        .unwrap();
    let mut idle_r = BufReader::new(idle.try_clone().unwrap());
    assert_eq!(read_response(&mut idle_r, false).unwrap().status, 206);

    let mut sock = s.connect();
    sock.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    let mut first = vec![0u8; 64 * 1024];
    sock.read_exact(&mut first).unwrap();
    s.signal("TERM");
    // Accepting stops soon (every worker's listening socket closes), while the download
    // goes on. A connection attempt racing with one socket's close can fail while another
    // socket still listens, so wait for several failures in a row.
    let end = Instant::now() + Duration::from_secs(5);
    let mut refused_in_a_row = 0;
    while refused_in_a_row < 5 && Instant::now() < end {
        match TcpStream::connect_timeout(&s.addr(), Duration::from_secs(1)) {
            Ok(_) => refused_in_a_row = 0,
            Err(_) => refused_in_a_row += 1,
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(refused_in_a_row, 5, "still accepting");
    // The idle keep-alive connection was closed.
    let mut rest = Vec::new();
    idle_r.read_to_end(&mut rest).unwrap();
    assert!(rest.is_empty());
    // The download completes, byte for byte.
    let mut got = first;
    sock.read_to_end(&mut got).unwrap();
    let head_end = got.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
    assert!(got.starts_with(b"HTTP/1.1 200 "));
    assert_eq!(got.len() - head_end, LEN);
    assert!(got[head_end..] == data[..], "body differs");
    let status = s
        .wait_exit(Duration::from_secs(15))
        .expect("exits after the download");
    assert_eq!(status.code(), Some(0));
}

#[test]
fn sigint_with_an_upload_in_flight_leaves_no_temporary() {
    let mut s = Server::start(&["--quiet", "--shutdown-grace", "1"]);
    let mut sock = connect(s.addr());
    sock.write_all(b"PUT /up.bin HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n")
        .unwrap();
    sock.write_all(&vec![7u8; 100_000]).unwrap();
    let end = Instant::now() + Duration::from_secs(5);
    while s.temporaries().is_empty() && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s.temporaries().len(), 1, "the upload is under way");
    s.signal("INT");
    let status = s
        .wait_exit(Duration::from_secs(10))
        .expect("exits after the grace period");
    assert_eq!(status.code(), Some(0));
    assert!(s.temporaries().is_empty(), "{:?}", s.temporaries());
    assert!(!s.file("up.bin").exists());
    assert!(!s.is_running());
}

#[test]
fn a_restart_after_sigkill_removes_unfinished_uploads() {
    let s = Server::start(&["--quiet"]);
    std::fs::create_dir(s.file("d")).unwrap();
    std::fs::write(s.file("d/keep.txt"), "previous").unwrap();
    let mut socks = Vec::new();
    for i in 0..5 {
        let target = if i % 2 == 0 {
            format!("/u{i}.bin")
        } else {
            "/d/keep.txt".to_string()
        };
        let mut sock = connect(s.addr());
        write!(
            sock,
            "PUT {target} HTTP/1.1\r\nHost: t\r\nContent-Length: 10000000\r\n\r\n"
        )
        .unwrap();
        sock.write_all(&vec![b'z'; 200_000]).unwrap();
        socks.push(sock);
    }
    let end = Instant::now() + Duration::from_secs(5);
    while s.temporaries().len() < 5 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert_eq!(s.temporaries().len(), 5, "{:?}", s.temporaries());
    // A crash leaves the temporaries behind...
    let root = s.kill_keep_root();
    drop(socks);
    assert_eq!(
        simplehttp_tests::server_util::temporaries(root.path()).len(),
        5
    );
    // ...and the next start removes them, with a word about it (the sweep runs beside
    // serving: the start line comes first).
    let s = Server::start_in(root, &["--quiet"]);
    let log = s.wait_for_log(|log| log.iter().any(|l| l.contains("unfinished upload")));
    assert!(
        log.iter()
            .any(|l| l.contains("removed 5 unfinished upload")),
        "{log:?}"
    );
    assert!(s.temporaries().is_empty(), "{:?}", s.temporaries());
    for i in [0, 2, 4] {
        assert!(!s.file(&format!("u{i}.bin")).exists());
    }
    assert_eq!(std::fs::read(s.file("d/keep.txt")).unwrap(), b"previous");
    assert_eq!(s.get("/d/keep.txt").body, b"previous");
}

/// Context switches of every thread of `pid` so far (each one a wake-up).
fn wakeups(pid: u32) -> u64 {
    let mut total = 0;
    for task in std::fs::read_dir(format!("/proc/{pid}/task")).unwrap() {
        let Ok(status) = std::fs::read_to_string(task.unwrap().path().join("status")) else {
            continue; // the thread ended meanwhile
        };
        for line in status.lines() {
            if line.starts_with("voluntary_ctxt_switches:")
                || line.starts_with("nonvoluntary_ctxt_switches:")
            {
                total += line
                    .split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse::<u64>().ok())
                    .unwrap();
            }
        }
    }
    total
}

#[test]
fn an_idle_server_sleeps_until_something_happens() {
    let s = Server::start(&["--quiet"]);
    std::fs::write(s.file("one.txt"), "one").unwrap();
    // One request and its connection closed: files kept open for reuse are closed soon
    // after, and then nothing is left to do.
    assert_eq!(s.get("/one.txt").body, b"one");
    std::thread::sleep(Duration::from_millis(500));
    let before = wakeups(s.pid());
    std::thread::sleep(Duration::from_secs(2));
    let after = wakeups(s.pid());
    // A server that checked on itself every 50 ms (main thread) or 200 ms (workers)
    // would wake up 60 times in these 2 s.
    assert!(
        after.saturating_sub(before) <= 3,
        "idle server woke up {} times in 2 s",
        after.saturating_sub(before)
    );
    // And it still answers at once.
    let head = s.exchange(b"HEAD /one.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n");
    assert_eq!(head.status, 200);
}
