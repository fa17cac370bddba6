//! Readers and writers on one file at once: while uploads replace it (and a DELETE removes
//! it now and then), every GET gets one whole version or a 404, never a mix or a part.

use simplehttp_tests::client_util::pattern;
use simplehttp_tests::server_util::{connect, read_response, Server};
use std::io::{BufReader, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const RUN_TIME: Duration = Duration::from_secs(5);

/// Version `v`: it starts with its number, so a reader knows which one it should be.
fn version(v: u64) -> Vec<u8> {
    let len = (256 << 10) + (v as usize * 40_009) % (768 << 10);
    let mut out = v.to_le_bytes().to_vec();
    out.extend_from_slice(&pattern(
        len - out.len(),
        v.wrapping_mul(0x9e37_79b9_7f4a_7c15),
    ));
    out
}

#[test]
fn readers_see_whole_versions_while_writers_replace_the_file() {
    let server = Server::start(&["--quiet", "--threads", "2"]);
    std::fs::write(server.file("v.bin"), version(0)).unwrap();
    let addr = server.addr();
    let stop = Arc::new(AtomicBool::new(false));
    let next = Arc::new(AtomicU64::new(1));

    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (stop, next) = (Arc::clone(&stop), Arc::clone(&next));
            std::thread::spawn(move || {
                let mut sock = connect(addr);
                let mut r = BufReader::new(sock.try_clone().unwrap());
                let mut writes = 0;
                while !stop.load(Ordering::Relaxed) {
                    if w == 1 && writes % 10 == 9 {
                        sock.write_all(b"DELETE /v.bin HTTP/1.1\r\nHost: t\r\n\r\n")
                            .unwrap();
                        let status = read_response(&mut r, false).unwrap().status;
                        assert!(matches!(status, 204 | 404), "DELETE: {status}");
                    } else {
                        let data = version(next.fetch_add(1, Ordering::Relaxed));
                        write!(
                            sock,
                            "PUT /v.bin HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
                            data.len()
                        )
                        .unwrap();
                        sock.write_all(&data).unwrap();
                        let status = read_response(&mut r, false).unwrap().status;
                        assert!(matches!(status, 201 | 204), "PUT: {status}");
                    }
                    writes += 1;
                }
                writes
            })
        })
        .collect();

    let readers: Vec<_> = (0..6)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut sock = connect(addr);
                let mut r = BufReader::new(sock.try_clone().unwrap());
                let (mut seen, mut missing, mut reads) = (std::collections::BTreeSet::new(), 0, 0);
                while !stop.load(Ordering::Relaxed) {
                    sock.write_all(b"GET /v.bin HTTP/1.1\r\nHost: t\r\n\r\n")
                        .unwrap();
                    let resp = read_response(&mut r, false).unwrap();
                    reads += 1;
                    if resp.status == 404 {
                        missing += 1;
                        continue;
                    }
                    assert_eq!(resp.status, 200);
                    let v = u64::from_le_bytes(resp.body[..8].try_into().unwrap());
                    assert!(
                        resp.body == version(v),
                        "a GET got {} bytes that are not version {v} ({} bytes)",
                        resp.body.len(),
                        version(v).len()
                    );
                    seen.insert(v);
                }
                (reads, seen.len(), missing)
            })
        })
        .collect();

    let started = Instant::now();
    while started.elapsed() < RUN_TIME {
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    let writes: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
    let mut versions_seen = 0;
    let mut reads = 0;
    for r in readers {
        let (n, seen, _missing) = r.join().unwrap();
        reads += n;
        versions_seen = versions_seen.max(seen);
    }
    eprintln!("{writes} writes, {reads} reads; one reader saw up to {versions_seen} versions");
    assert!(
        writes >= 10 && reads >= 10,
        "{writes} writes, {reads} reads"
    );
    assert!(versions_seen >= 2, "the readers never saw the file change");
    assert!(
        server.temporaries().is_empty(),
        "{:?}",
        server.temporaries()
    );
}
