//! Several simple-server processes on one shared root, behind HAProxy (Debian's `haproxy`,
//! started here on loopback, round robin): concurrent PUTs, DELETEs and GETs of the same
//! paths from different processes leave every file absent, old, or one complete version,
//! and no process removes another's live upload temporary, while more instances start on
//! the same root (each start sweeps temporaries left by a crash) during the load.

use simplehttp_tests::client_util::free_port;
use simplehttp_tests::server_util::{read_response, temporaries, Server, TempDir, IO_TIMEOUT};
use std::io::{BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PATHS: usize = 4;
const WRITERS: usize = 3;
const READERS: usize = 3;
const OPS: usize = 60;

/// A version's bytes: a line naming the path, the version and the length, then bytes that
/// follow from them. Any body can be checked by reading its first line: a torn, cut or
/// mixed file does not match what its own first line promises.
fn version_body(path: usize, version: u64, len: usize) -> Vec<u8> {
    let mut body = format!("path={path} version={version} len={len}\n").into_bytes();
    let mut x = version.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ path as u64;
    while body.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        body.push(b'a' + (x % 26) as u8);
    }
    body
}

/// Whether `body` is exactly one version of `path` (and which).
fn check_body(path: usize, body: &[u8]) -> Result<u64, String> {
    let line_end = body
        .iter()
        .position(|&b| b == b'\n')
        .ok_or("no first line")?;
    let line = std::str::from_utf8(&body[..line_end]).map_err(|_| "first line not UTF-8")?;
    let mut fields = line.split(' ').map(|f| f.split_once('=').map(|(_, v)| v));
    let (p, v, l) = (fields.next(), fields.next(), fields.next());
    let (Some(Some(p)), Some(Some(v)), Some(Some(l))) = (p, v, l) else {
        return Err(format!("first line {line:?}"));
    };
    let (p, v, l): (usize, u64, usize) = (
        p.parse().map_err(|_| "path")?,
        v.parse().map_err(|_| "version")?,
        l.parse().map_err(|_| "len")?,
    );
    if p != path {
        return Err(format!("a version of path {p} found at path {path}"));
    }
    if body != version_body(p, v, l).as_slice() {
        return Err(format!(
            "version {v} of path {p} torn: {} bytes, {l} promised",
            body.len()
        ));
    }
    Ok(v)
}

/// One request on a new connection through the proxy: its status and body.
fn request(
    proxy: SocketAddr,
    method: &str,
    path: usize,
    body: &[u8],
) -> Result<(u16, Vec<u8>), String> {
    let mut s =
        TcpStream::connect_timeout(&proxy, IO_TIMEOUT).map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    let head = format!(
        "{method} /shared/f{path}.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(body))
        .map_err(|e| format!("{method} f{path}: write: {e}"))?;
    let r = read_response(&mut BufReader::new(s), false)
        .map_err(|e| format!("{method} f{path}: read: {e}"))?;
    Ok((r.status, r.body))
}

/// HAProxy in the foreground on a free loopback port, round robin over `backends`.
struct Haproxy {
    child: Child,
    addr: SocketAddr,
    _dir: TempDir,
}

impl Haproxy {
    fn start(backends: &[u16]) -> Haproxy {
        let dir = TempDir::new("haproxy");
        let port = free_port();
        let mut conf = format!(
            "global\n    maxconn 2000\n\
             defaults\n    mode http\n    timeout connect 5s\n    timeout client 30s\n    \
             timeout server 30s\n\
             frontend front\n    bind 127.0.0.1:{port}\n    default_backend simple\n\
             backend simple\n    balance roundrobin\n"
        );
        for (i, p) in backends.iter().enumerate() {
            conf.push_str(&format!("    server s{i} 127.0.0.1:{p}\n"));
        }
        let path = dir.path().join("haproxy.cfg");
        std::fs::write(&path, conf).unwrap();
        let child = Command::new("haproxy")
            .arg("-db")
            .arg("-f")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("haproxy is installed by scripts/install-test-deps");
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let end = Instant::now() + Duration::from_secs(15);
        while TcpStream::connect(addr).is_err() {
            assert!(Instant::now() < end, "haproxy did not start listening");
            std::thread::sleep(Duration::from_millis(50));
        }
        Haproxy {
            child,
            addr,
            _dir: dir,
        }
    }
}

impl Drop for Haproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A server on the shared `root` that leaves it in place when it goes.
fn instance(root: &Path) -> Server {
    Server::start_in(TempDir(root.to_path_buf()), &["--threads", "1"])
}

fn stop_keep_root(server: Server) {
    std::mem::forget(server.kill_keep_root());
}

#[test]
fn three_instances_on_one_root_behind_haproxy_lose_and_tear_nothing() {
    let root = TempDir::new("shared-root");
    std::fs::create_dir_all(root.path().join("shared")).unwrap();
    for p in 0..PATHS {
        std::fs::write(
            root.path().join(format!("shared/f{p}.txt")),
            version_body(p, 0, 1000),
        )
        .unwrap();
    }
    let servers: Vec<Server> = (0..3).map(|_| instance(root.path())).collect();
    let proxy = Haproxy::start(&servers.iter().map(|s| s.port).collect::<Vec<_>>());
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));

    let mut threads = Vec::new();
    for w in 0..WRITERS {
        let failures = Arc::clone(&failures);
        let addr = proxy.addr;
        threads.push(std::thread::spawn(move || {
            for i in 0..OPS {
                let path = (w + i) % PATHS;
                let version = ((w as u64 + 1) << 32) | i as u64;
                let outcome = if i % 7 == 6 {
                    request(addr, "DELETE", path, b"").map(|(s, _)| {
                        (s != 204 && s != 404).then(|| format!("DELETE f{path}: {s}"))
                    })
                } else {
                    // From a few bytes to 384 KiB: uploads that take a while are live
                    // when the other instances start and sweep.
                    let len = 64 + (i * 7919 + w * 104_729) % (384 << 10);
                    let body = version_body(path, version, len);
                    request(addr, "PUT", path, &body).map(|(s, _)| {
                        (s != 201 && s != 204).then(|| format!("PUT f{path} v{version}: {s}"))
                    })
                };
                match outcome {
                    Ok(None) => {}
                    Ok(Some(bad)) | Err(bad) => failures.lock().unwrap().push(bad),
                }
            }
        }));
    }
    for r in 0..READERS {
        let (failures, stop) = (Arc::clone(&failures), Arc::clone(&stop));
        let addr = proxy.addr;
        threads.push(std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) && i < OPS * 4 {
                let path = (r + i) % PATHS;
                i += 1;
                match request(addr, "GET", path, b"") {
                    Ok((200, body)) => {
                        if let Err(e) = check_body(path, &body) {
                            failures.lock().unwrap().push(format!("GET f{path}: {e}"));
                        }
                    }
                    Ok((404, _)) => {}
                    Ok((s, _)) => failures.lock().unwrap().push(format!("GET f{path}: {s}")),
                    Err(e) => failures.lock().unwrap().push(e),
                }
            }
        }));
    }
    // Meanwhile more instances start on the root and go: each start sweeps temporaries
    // that no live upload holds.
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(150));
        stop_keep_root(instance(root.path()));
    }
    for t in threads.drain(..WRITERS) {
        t.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }

    let failures = failures.lock().unwrap().clone();
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
    // Every file is absent or one whole version; nothing half-written is left anywhere.
    for p in 0..PATHS {
        let file: PathBuf = root.path().join(format!("shared/f{p}.txt"));
        if let Ok(body) = std::fs::read(&file) {
            check_body(p, &body).unwrap_or_else(|e| panic!("f{p} at the end: {e}"));
        }
    }
    assert_eq!(temporaries(root.path()), Vec::<PathBuf>::new());
    // Round robin reached every instance, each serving writes.
    for (i, s) in servers.iter().enumerate() {
        let log = s.wait_for_log(|l| l.iter().any(|l| l.contains("PUT")));
        assert!(
            log.iter().any(|l| l.contains("PUT")),
            "instance {i} served no PUT: {log:?}"
        );
    }
    drop(proxy);
    for s in servers {
        stop_keep_root(s);
    }
}
