//! simple-server killed with SIGKILL in the middle of 50 concurrent uploads, then restarted
//! on the same root: every target is absent, its old version or one complete new version,
//! and the restart removes the temporaries the crash left.

use simplehttp_tests::client_util::pattern;
use simplehttp_tests::server_util::{connect, read_response, temporaries, Server, TempDir};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const UPLOADS: usize = 50;
/// Uploads that run to their end before the kill.
const FAST: usize = 15;

/// The sha256 of `data`, by coreutils' sha256sum.
fn sha256(data: &[u8]) -> String {
    let mut child = Command::new("sha256sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run sha256sum");
    let mut stdin = child.stdin.take().unwrap();
    let data = data.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&data).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()[..64].to_string()
}

/// Version `version` of upload `i`: 1 to 4 MiB of seeded bytes.
fn content(i: usize, version: u64) -> Vec<u8> {
    let len = (1 << 20) + (i * 61_681 + version as usize * 7_919) % (3 << 20);
    pattern(
        len,
        (i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ version,
    )
}

/// Target `i`: in the root, in existing subdirectories, or in ones still to be created.
fn target(i: usize) -> String {
    match i % 4 {
        0 => format!("t{i}.bin"),
        1 => format!("dir{}/t{i}.bin", i % 3),
        2 => format!("new{i}/deep/t{i}.bin"),
        _ => format!("dir{}/sub/t{i}.bin", i % 3),
    }
}

/// Whether target `i` exists before the uploads (with its old version).
fn has_old(i: usize) -> bool {
    i % 4 != 2 && i % 3 != 1
}

struct Expect {
    path: String,
    old: Option<String>,
    new: String,
}

/// Every target is absent (only when it had no old version), the old version, or the
/// complete new one; those whose upload was acknowledged are the new one.
fn check_targets(root: &Path, expect: &[Expect], acked: &[bool], when: &str) -> usize {
    let mut new_versions = 0;
    for (i, e) in expect.iter().enumerate() {
        let path = root.join(&e.path);
        match std::fs::read(&path) {
            Err(_) => {
                assert!(
                    e.old.is_none(),
                    "{when}: {} (with an old version) vanished",
                    e.path
                );
                assert!(
                    !acked[i],
                    "{when}: {} was acknowledged but is absent",
                    e.path
                );
            }
            Ok(data) => {
                let got = sha256(&data);
                if got == e.new {
                    new_versions += 1;
                } else {
                    assert!(
                        e.old.as_ref() == Some(&got),
                        "{when}: {} is neither version ({} bytes, sha256 {got})",
                        e.path,
                        data.len()
                    );
                    assert!(!acked[i], "{when}: {} was acknowledged but is old", e.path);
                }
            }
        }
    }
    new_versions
}

#[test]
fn sigkill_during_uploads_loses_nothing_and_a_restart_cleans_up() {
    let base = TempDir::new("crash");
    let root_path: PathBuf = base.path().join("root");
    std::fs::create_dir(&root_path).unwrap();
    let mut expect = Vec::new();
    for i in 0..UPLOADS {
        let path = target(i);
        let old = has_old(i).then(|| {
            let data = content(i, 0);
            let file = root_path.join(&path);
            std::fs::create_dir_all(file.parent().unwrap()).unwrap();
            std::fs::write(file, &data).unwrap();
            sha256(&data)
        });
        expect.push(Expect {
            path,
            old,
            new: sha256(&content(i, 1)),
        });
    }
    assert!(expect.iter().filter(|e| e.old.is_some()).count() >= 15);

    let mut server = Server::start_in(TempDir(root_path.clone()), &["--quiet", "--threads", "2"]);
    let addr = server.addr();
    let (halfway_tx, halfway_rx) = mpsc::channel::<usize>();
    let (done_tx, done_rx) = mpsc::channel::<(usize, Option<u16>)>();
    let mut clients = Vec::new();
    for i in 0..UPLOADS {
        let (halfway_tx, done_tx) = (halfway_tx.clone(), done_tx.clone());
        let path = target(i);
        clients.push(std::thread::spawn(move || {
            let body = content(i, 1);
            let status = (|| -> std::io::Result<u16> {
                let mut sock = connect(addr);
                write!(
                    sock,
                    "PUT /{path} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                )?;
                let half = body.len() / 2;
                if i < FAST {
                    sock.write_all(&body)?;
                } else {
                    sock.write_all(&body[..half])?;
                    let _ = halfway_tx.send(i);
                    // The rest goes slowly: the kill comes before most of it.
                    for part in body[half..].chunks(64 * 1024) {
                        std::thread::sleep(Duration::from_millis(250));
                        sock.write_all(part)?;
                    }
                }
                Ok(read_response(&mut BufReader::new(sock), false)?.status)
            })()
            .ok();
            let _ = done_tx.send((i, status));
        }));
    }
    drop((halfway_tx, done_tx));

    // Kill when every fast upload is answered and every slow one is half sent.
    let mut acked = vec![false; UPLOADS];
    let mut answered = 0;
    let mut halfway = 0;
    let end = Instant::now() + Duration::from_secs(60);
    while (answered < FAST || halfway < UPLOADS - FAST) && Instant::now() < end {
        while let Ok(i) = halfway_rx.try_recv() {
            let _ = i;
            halfway += 1;
        }
        if let Ok((i, status)) = done_rx.recv_timeout(Duration::from_millis(20)) {
            assert!(
                matches!(status, Some(201 | 204)),
                "upload {i} answered {status:?}"
            );
            acked[i] = true;
            answered += 1;
        }
    }
    assert_eq!(
        (answered, halfway),
        (FAST, UPLOADS - FAST),
        "uploads did not get under way"
    );
    // The slow uploads' temporaries are on disk.
    let end = Instant::now() + Duration::from_secs(10);
    while temporaries(&root_path).len() < (UPLOADS - FAST) / 2 && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    server.signal("KILL");
    assert!(
        server.wait_exit(Duration::from_secs(10)).is_some(),
        "still running"
    );
    for c in clients {
        c.join().unwrap();
    }
    while let Ok((i, status)) = done_rx.try_recv() {
        // Uploads that finished between the check and the kill.
        if matches!(status, Some(201 | 204)) {
            acked[i] = true;
        }
    }
    let left = temporaries(&root_path).len();
    assert!(
        left > 0,
        "the kill left no temporary: nothing was in flight"
    );
    let new_before = check_targets(&root_path, &expect, &acked, "after SIGKILL");
    assert!(new_before >= FAST, "{new_before} new versions");
    eprintln!(
        "killed with {} uploads acknowledged and {left} temporaries on disk; \
         {new_before} targets hold their new version",
        acked.iter().filter(|a| **a).count()
    );

    // Restart on the same root: the old server's handle gives up the root without removing it.
    let root = std::mem::replace(&mut server.root, TempDir(base.path().join("gone")));
    drop(server);
    let server = Server::start_in(root, &["--threads", "2"]);
    // The sweep runs beside serving: wait for its word.
    let log = server.wait_for_log(|log| log.iter().any(|l| l.contains("unfinished upload")));
    assert!(
        server.temporaries().is_empty(),
        "temporaries after the restart: {:?}",
        server.temporaries()
    );
    assert!(
        log.iter()
            .any(|l| l.contains(&format!("removed {left} unfinished upload(s)"))),
        "{log:?}"
    );
    let new_after = check_targets(&root_path, &expect, &acked, "after the restart");
    assert_eq!(new_after, new_before);
    // What is on disk is what is served.
    for e in &expect {
        let on_disk = std::fs::read(root_path.join(&e.path)).ok();
        let resp = server.get(&format!("/{}", e.path));
        match on_disk {
            Some(data) => assert!(resp.status == 200 && resp.body == data, "{}", e.path),
            None => assert_eq!(resp.status, 404, "{}", e.path),
        }
    }
    // And the restarted server takes uploads again.
    let body = content(7, 2);
    let mut sock = server.connect();
    write!(
        sock,
        "PUT /{} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        target(7),
        body.len()
    )
    .unwrap();
    sock.write_all(&body).unwrap();
    let status = read_response(&mut BufReader::new(sock), false)
        .unwrap()
        .status;
    assert!(matches!(status, 201 | 204), "{status}");
    assert_eq!(std::fs::read(root_path.join(target(7))).unwrap(), body);
}

/// Uploads may create directories as deep as a request line allows; a crash can leave a
/// temporary at any of those depths, and the restart removes it there too.
#[test]
fn a_restart_removes_temporaries_at_any_depth() {
    let server = Server::start(&["--quiet"]);
    let deep = "d/".repeat(300);
    let resp = server.exchange(
        format!("PUT /{deep}x.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhi").as_bytes(),
    );
    assert_eq!(resp.status, 201);
    // What uploads in flight at these depths leave behind when the process is killed.
    let depths = [0, 1, 64, 65, 100, 299, 300];
    for d in depths {
        let dir = server.file(&"d/".repeat(d));
        std::fs::write(dir.join(".simplehttp-upload-00000000deadbeef"), "partial").unwrap();
    }
    let mut server = server;
    server.signal("KILL");
    assert!(server.wait_exit(Duration::from_secs(10)).is_some());
    let root = std::mem::replace(&mut server.root, TempDir(PathBuf::from("/nonexistent")));
    drop(server);
    let server = Server::start_in(root, &[]);
    let log = server.wait_for_log(|log| log.iter().any(|l| l.contains("unfinished upload")));
    assert!(
        server.temporaries().is_empty(),
        "left after the restart: {} temporaries",
        server.temporaries().len()
    );
    assert!(
        log.iter()
            .any(|l| l.contains(&format!("removed {} unfinished upload(s)", depths.len()))),
        "{log:?}"
    );
    assert_eq!(server.get(&format!("/{deep}x.txt")).body, b"hi");
}
