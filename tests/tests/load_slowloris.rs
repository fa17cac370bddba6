//! Slowloris: hundreds of connections dribbling header bytes (and more sitting idle) do not
//! stop a normal client from being served within a second, the header timeout cuts the
//! dribblers, and the server's descriptors and memory come back afterwards.
//!
//! The one-second bound is a wide latency margin for a request on an idle loopback, not a
//! benchmark.

use simplehttp_tests::server_util::{read_response, read_until_close, Server};
use std::io::{BufReader, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const DRIBBLERS: usize = 300;
const IDLE: usize = 100;
const ATTACK_TIME: Duration = Duration::from_secs(8);
/// Latency bound for each request of the normal client.
const SERVED_WITHIN: Duration = Duration::from_secs(1);

/// A dribbler's connection, its request line sent.
fn open(server: &Server) -> TcpStream {
    let mut s = server.connect();
    s.set_nodelay(true).unwrap();
    s.set_write_timeout(Some(Duration::from_secs(2))).unwrap();
    let _ = s.write_all(b"GET /ok.txt HTTP/1.1\r\n");
    s
}

#[test]
fn slowloris_does_not_keep_a_normal_client_waiting() {
    let server = Arc::new(Server::start(&["--quiet", "--header-timeout", "3"]));
    std::fs::write(server.file("ok.txt"), "ok").unwrap();
    assert_eq!(server.get("/ok.txt").status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let (fd_base, rss_base) = (server.fd_count(), server.rss_kib());

    // The attack: one thread keeps DRIBBLERS connections each sending one header byte
    // every 200 ms, reconnecting those the server cuts; IDLE more connect and say nothing.
    let stop = Arc::new(AtomicBool::new(false));
    let cut = Arc::new(AtomicUsize::new(0));
    let idle: Vec<TcpStream> = (0..IDLE).map(|_| server.connect()).collect();
    let attacker = {
        let (server, stop, cut) = (Arc::clone(&server), Arc::clone(&stop), Arc::clone(&cut));
        std::thread::spawn(move || {
            let mut socks: Vec<TcpStream> = (0..DRIBBLERS).map(|_| open(&server)).collect();
            let line = b"X-Slow: 0123456789\r\n";
            let mut round = 0;
            while !stop.load(Ordering::Relaxed) {
                for s in &mut socks {
                    if s.write_all(&line[round % line.len()..][..1]).is_err() {
                        cut.fetch_add(1, Ordering::Relaxed);
                        *s = open(&server);
                    }
                }
                round += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
            socks
        })
    };
    // Wait until the server holds every connection of the attack.
    let mut fd_attack = 0;
    let end = Instant::now() + Duration::from_secs(2);
    while fd_attack < fd_base + DRIBBLERS + IDLE && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
        fd_attack = fd_attack.max(server.fd_count());
    }

    // The normal client: fresh connections and one keep-alive connection, in turn.
    let began = Instant::now();
    let mut keep = server.connect();
    let mut keep_r = BufReader::new(keep.try_clone().unwrap());
    let mut served = 0;
    let mut slowest = Duration::ZERO;
    while began.elapsed() < ATTACK_TIME {
        let t = Instant::now();
        let status = if served % 2 == 0 {
            server.get("/ok.txt").status
        } else {
            keep.write_all(b"GET /ok.txt HTTP/1.1\r\nHost: t\r\n\r\n")
                .unwrap();
            read_response(&mut keep_r, false).unwrap().status
        };
        let took = t.elapsed();
        assert_eq!(status, 200);
        assert!(
            took < SERVED_WITHIN,
            "request {served} took {took:?} under slowloris"
        );
        slowest = slowest.max(took);
        served += 1;
        std::thread::sleep(Duration::from_millis(50));
    }
    stop.store(true, Ordering::Relaxed);
    let socks = attacker.join().unwrap();
    let cut = cut.load(Ordering::Relaxed);
    eprintln!(
        "{served} requests served under slowloris, slowest {slowest:?}; \
         fds {fd_base} -> {fd_attack}; {cut} dribblers cut by the header timeout"
    );
    assert!(
        fd_attack >= fd_base + DRIBBLERS + IDLE,
        "the attack's connections were not all open ({fd_attack} descriptors)"
    );
    // The header timeout (3 s) cut every dribbler at least once in 8 s.
    assert!(cut >= DRIBBLERS, "only {cut} dribblers were cut");
    // The idle ones got 408 and were closed too.
    for mut s in idle {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (bytes, closed) = read_until_close(&mut s);
        assert!(closed, "an idle connection was left open");
        // Nothing sent at all: the server may close without a word, or answer 408.
        assert!(
            bytes.is_empty() || bytes.starts_with(b"HTTP/1.1 408 "),
            "{:?}",
            String::from_utf8_lossy(&bytes)
        );
    }
    drop(socks);
    drop((keep, keep_r));

    // Back to the baseline.
    let end = Instant::now() + Duration::from_secs(10);
    while server.fd_count() > fd_base && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    let (fd_after, rss_after) = (server.fd_count(), server.rss_kib());
    eprintln!("after: fds {fd_after}, RSS {rss_base} KiB -> {rss_after} KiB");
    assert!(
        fd_after <= fd_base,
        "{fd_after} descriptors, {fd_base} before"
    );
    assert!(
        rss_after <= rss_base + 32 * 1024,
        "RSS {rss_after} KiB, {rss_base} KiB before"
    );
}
