//! Clients that go away in the middle of a response, or stop reading it, do not leak: the
//! server's open file descriptors (/proc/PID/fd) return to their baseline.

use simplehttp_tests::server_util::Server;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

/// Waits up to `limit` for the server's fd count to come back to `baseline`; returns the
/// last count seen.
fn settle(server: &Server, baseline: usize, limit: Duration) -> usize {
    let end = Instant::now() + limit;
    loop {
        let n = server.fd_count();
        if n <= baseline || Instant::now() >= end {
            return n;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn clients_leaving_mid_response_leave_no_descriptor_behind() {
    let server = Server::start(&["--quiet", "--body-timeout", "2"]);
    let big: Vec<u8> = (0..32usize << 20).map(|i| (i % 241) as u8).collect();
    std::fs::write(server.file("big.bin"), &big).unwrap();
    for i in 0..300 {
        std::fs::write(server.file(&format!("entry-{i:03}.txt")), "x").unwrap();
    }
    // The baseline: started, and one request served and closed.
    assert_eq!(server.get("/entry-000.txt").status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let baseline = server.fd_count();
    assert!(baseline > 0);

    let requests: &[&[u8]] = &[
        b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n",
        b"GET /big.bin HTTP/1.1\r\nHost: t\r\nRange: bytes=1000-30000000\r\n\r\n",
        b"GET /big.bin HTTP/1.0\r\n\r\n",
        // A pipelined pair: the second response never gets read either.
        b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\nGET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n",
    ];
    let mut stalled: Vec<TcpStream> = Vec::new();
    for round in 0..40 {
        let mut sock = server.connect();
        sock.write_all(requests[round % requests.len()]).unwrap();
        let mut first = vec![0u8; 64 * 1024];
        sock.read_exact(&mut first).unwrap();
        assert!(first.starts_with(b"HTTP/1."));
        match round % 5 {
            // Closed with unread data: the kernel sends a reset.
            0 => drop(sock),
            // SO_LINGER 0: an immediate reset.
            1 => {
                socket2::SockRef::from(&sock)
                    .set_linger(Some(Duration::ZERO))
                    .unwrap();
                drop(sock);
            }
            // Half-closed first, then gone.
            2 => {
                let _ = sock.shutdown(Shutdown::Write);
                std::thread::sleep(Duration::from_millis(10));
                drop(sock);
            }
            // Still open, but never reads again: the body timeout (2 s) cuts it.
            3 => stalled.push(sock),
            // A directory listing (chunked) read in part, then reset.
            _ => {
                drop(sock);
                let mut sock = server.connect();
                sock.write_all(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
                    .unwrap();
                let mut some = [0u8; 512];
                sock.read_exact(&mut some).unwrap();
                socket2::SockRef::from(&sock)
                    .set_linger(Some(Duration::ZERO))
                    .unwrap();
                drop(sock);
            }
        }
    }
    // Well past the body timeout, with the stalled readers still holding their sockets.
    let left = settle(&server, baseline, Duration::from_secs(10));
    assert!(
        left <= baseline,
        "the server holds {left} descriptors, {baseline} at the start"
    );
    drop(stalled);
    // And it still serves, byte for byte.
    let got = server.get("/big.bin");
    assert_eq!(got.status, 200);
    assert!(got.body == big, "the body differs");
    let left = settle(&server, baseline, Duration::from_secs(5));
    assert!(
        left <= baseline,
        "{left} descriptors, {baseline} at the start"
    );
}
