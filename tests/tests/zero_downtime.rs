//! Restarting simple-server without dropping a request, both ways README.md documents:
//!
//! - a new instance joins the old one's port with `--share-port` (SO_REUSEPORT), then the
//!   old one is sent SIGTERM: it accepts what is queued on its sockets, closes them, and
//!   finishes its requests in flight;
//! - the listening socket is held by a service manager (socket activation, `LISTEN_FDS`;
//!   here the test holds it, as systemd would): the old instance stops, connections wait in
//!   the socket's queue, the new one takes them.
//!
//! Under a bounded load of new connections (and one large download in flight at the
//! SIGTERM), no request fails and no connection is reset; the old root answers `v1`, the
//! new one `v2`, so the test sees the swap happen.

use simplehttp_tests::server_util::{bin_path, read_response, Server, TempDir};
use std::io::{BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd as _, BorrowedFd, FromRawFd as _, OwnedFd};
use std::os::unix::process::CommandExt as _;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

const LOADERS: usize = 4;
const BIG: usize = 8 << 20;

/// A root whose `/version.txt` says `version`, with an 8 MiB `/big.bin`.
fn root(version: &str) -> TempDir {
    let dir = TempDir::new(&format!("zero-{version}"));
    std::fs::write(dir.path().join("version.txt"), format!("{version}\n")).unwrap();
    std::fs::write(dir.path().join("big.bin"), vec![b'x'; BIG]).unwrap();
    dir
}

#[derive(Debug, Default)]
struct Tally {
    v1: usize,
    v2: usize,
    failures: Vec<String>,
}

struct Load {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<Tally>>,
}

/// `LOADERS` threads, each sending `GET /version.txt` on a new connection after another
/// until stopped (or 60 s at most).
fn start_load(addr: SocketAddr) -> Load {
    let stop = Arc::new(AtomicBool::new(false));
    let threads = (0..LOADERS)
        .map(|_| {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut tally = Tally::default();
                let end = Instant::now() + Duration::from_secs(60);
                while !stop.load(Ordering::Relaxed) && Instant::now() < end {
                    match get_version(addr) {
                        Ok(v) if v == "v1\n" => tally.v1 += 1,
                        Ok(v) if v == "v2\n" => tally.v2 += 1,
                        Ok(other) => tally.failures.push(format!("answered {other:?}")),
                        Err(e) => tally.failures.push(e),
                    }
                }
                tally
            })
        })
        .collect();
    Load { stop, threads }
}

impl Load {
    fn finish(self) -> Tally {
        self.stop.store(true, Ordering::Relaxed);
        let mut all = Tally::default();
        for t in self.threads {
            let t = t.join().unwrap();
            all.v1 += t.v1;
            all.v2 += t.v2;
            all.failures.extend(t.failures);
        }
        all
    }
}

fn get_version(addr: SocketAddr) -> Result<String, String> {
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5))
        .map_err(|e| format!("connect: {e}"))?;
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    s.write_all(b"GET /version.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .map_err(|e| format!("write: {e}"))?;
    let r = read_response(&mut BufReader::new(s), false).map_err(|e| format!("read: {e}"))?;
    if r.status != 200 {
        return Err(format!("status {}", r.status));
    }
    String::from_utf8(r.body).map_err(|_| "body not UTF-8".into())
}

/// Starts reading `/big.bin` slowly, on one kept connection; the thread returns how many
/// body bytes arrived.
fn slow_download(addr: SocketAddr) -> JoinHandle<Result<usize, String>> {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    // A small receive buffer keeps most of the file on the server's side.
    socket2::SockRef::from(&s)
        .set_recv_buffer_size(64 << 10)
        .unwrap();
    s.write_all(b"GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
        .unwrap();
    std::thread::spawn(move || {
        let mut got = Vec::new();
        let mut buf = [0u8; 16 << 10];
        let end = Instant::now() + Duration::from_secs(30);
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) => return Err(format!("download: {e} after {} bytes", got.len())),
            }
            if let Some(at) = got.windows(4).position(|w| w == b"\r\n\r\n") {
                if got.len() - (at + 4) >= BIG {
                    return Ok(got.len() - (at + 4));
                }
            }
            if Instant::now() > end {
                return Err("download: too slow".into());
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Err(format!("download: closed after {} bytes", got.len()))
    })
}

fn assert_clean(tally: &Tally) {
    assert!(
        tally.failures.is_empty(),
        "{} failed request(s) of {}: {:?}",
        tally.failures.len(),
        tally.v1 + tally.v2 + tally.failures.len(),
        &tally.failures[..tally.failures.len().min(10)]
    );
    assert!(tally.v1 > 0 && tally.v2 > 0, "no swap seen: {tally:?}");
}

#[test]
fn a_new_instance_shares_the_port_while_the_old_one_drains() {
    let mut old = Server::start_in(root("v1"), &[]);
    let addr = old.addr();
    let load = start_load(addr);
    std::thread::sleep(Duration::from_millis(300));

    let new_root = root("v2");
    let mut cmd = Command::new(bin_path("simple-server"));
    cmd.arg(old.port.to_string())
        .arg("--root")
        .arg(new_root.path())
        .args(["--bind", "127.0.0.1", "--threads", "2", "--allow-host", "t"])
        .arg("--share-port");
    let new = Server::launch(new_root, cmd);
    assert_eq!(new.port, old.port);
    std::thread::sleep(Duration::from_millis(300));

    let download = slow_download(addr);
    std::thread::sleep(Duration::from_millis(50));
    old.signal("TERM");
    let status = old
        .wait_exit(Duration::from_secs(20))
        .expect("old one exits");
    assert_eq!(status.code(), Some(0), "{:?}", old.log());
    std::thread::sleep(Duration::from_millis(300));
    let tally = load.finish();
    eprintln!("swap through --share-port: {tally:?}");
    assert_clean(&tally);
    let downloaded = download.join().unwrap();
    assert_eq!(downloaded, Ok(BIG), "the download in flight finished");
    assert_eq!(get_version(addr).as_deref(), Ok("v2\n"));
}

#[test]
fn without_share_port_a_port_in_use_is_refused() {
    let old = Server::start(&[]);
    let out = Command::new(bin_path("simple-server"))
        .arg(old.port.to_string())
        .args(["--bind", "127.0.0.1"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("address already in use"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// `simple-server` started as a service manager does: `listener` at descriptor 3,
/// `LISTEN_FDS=1` and `LISTEN_PID` its own pid (a shell sets it, then execs).
fn activated(listener: &TcpListener, root: &std::path::Path, args: &[&str]) -> Command {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", r#"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@""#])
        .arg(bin_path("simple-server"))
        .arg("--root")
        .arg(root)
        .args(args);
    let raw = listener.as_raw_fd();
    // SAFETY: between fork and exec only async-signal-safe calls (dup2, fcntl) are made,
    // on descriptors this process owns; descriptor 3 is forgotten, never closed here.
    unsafe {
        cmd.pre_exec(move || {
            let mut three = OwnedFd::from_raw_fd(3);
            let r = rustix::io::dup2(BorrowedFd::borrow_raw(raw), &mut three)
                .and_then(|()| rustix::io::fcntl_setfd(&three, rustix::io::FdFlags::empty()));
            std::mem::forget(three);
            r.map_err(std::io::Error::from)
        });
    }
    cmd
}

#[test]
fn with_socket_activation_the_held_socket_queues_connections_across_a_restart() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let args = ["--threads", "2", "--allow-host", "t"];
    let old_root = root("v1");
    let cmd = activated(&listener, old_root.path(), &args);
    let mut old = Server::launch(old_root, cmd);
    assert_eq!(old.port, addr.port(), "{:?}", old.log());
    let load = start_load(addr);
    std::thread::sleep(Duration::from_millis(300));

    let download = slow_download(addr);
    std::thread::sleep(Duration::from_millis(50));
    old.signal("TERM");
    let status = old
        .wait_exit(Duration::from_secs(20))
        .expect("old one exits");
    assert_eq!(status.code(), Some(0), "{:?}", old.log());
    // Nothing accepts for a while: connections wait in the socket's queue.
    std::thread::sleep(Duration::from_millis(200));
    let new_root = root("v2");
    let cmd = activated(&listener, new_root.path(), &args);
    let new = Server::launch(new_root, cmd);
    assert_eq!(new.port, addr.port());
    std::thread::sleep(Duration::from_millis(300));
    let tally = load.finish();
    eprintln!("swap through a held socket: {tally:?}");
    assert_clean(&tally);
    assert_eq!(
        download.join().unwrap(),
        Ok(BIG),
        "the download in flight finished"
    );
    assert_eq!(get_version(addr).as_deref(), Ok("v2\n"));
}

#[test]
fn bad_socket_activation_is_one_line_at_start() {
    let dir = TempDir::new("zero-bad");
    // Descriptor 3 is a file, not a listening socket: exit 3.
    let file = std::fs::File::create(dir.path().join("not-a-socket")).unwrap();
    let mut cmd = Command::new("sh");
    cmd.args([
        "-c",
        r#"LISTEN_PID=$$ LISTEN_FDS=1 exec "$0" "$@" 3<&"$FD""#,
    ])
    .env("FD", file.as_raw_fd().to_string())
    .arg(bin_path("simple-server"))
    .arg("--root")
    .arg(dir.path());
    // The file's descriptor must reach the shell.
    let raw = file.as_raw_fd();
    unsafe {
        cmd.pre_exec(move || {
            rustix::io::fcntl_setfd(BorrowedFd::borrow_raw(raw), rustix::io::FdFlags::empty())
                .map_err(std::io::Error::from)
        });
    }
    let out = cmd.output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert_eq!(
        err.trim(),
        "simple-server: socket activation: descriptor 3 of LISTEN_FDS is not a listening TCP \
         socket"
    );

    // --bind says where to listen; so do the sockets: both is a usage error.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let out = activated(&listener, dir.path(), &["--bind", "127.0.0.1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("LISTEN_FDS"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn systemd_socket_activate_hands_its_socket_to_the_server() {
    // systemd's own tool for trying socket activation by hand: it listens, and at the
    // first connection execs the server with the socket at descriptor 3 and
    // LISTEN_FDS/LISTEN_PID set; that first connection is then the server's to answer.
    let port = simplehttp_tests::client_util::free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let first = std::thread::spawn(move || {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            match get_version(addr) {
                Err(e) if e.starts_with("connect") && Instant::now() < end => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                other => return other,
            }
        }
    });
    let root = root("v1");
    let mut cmd = Command::new("systemd-socket-activate");
    cmd.arg("-l")
        .arg(format!("127.0.0.1:{port}"))
        .arg(bin_path("simple-server"))
        .arg("--root")
        .arg(root.path())
        .args(["--allow-host", "t"]);
    let server = Server::launch(root, cmd);
    assert_eq!(server.port, port, "{:?}", server.log());
    assert_eq!(first.join().unwrap().as_deref(), Ok("v1\n"));
    assert_eq!(get_version(addr).as_deref(), Ok("v1\n"));
    assert!(
        server.log().iter().all(|l| !l.contains("warning")),
        "{:?}",
        server.log()
    );
}
