//! A full disk during an upload: 507, the previous version intact, no temporary left.
//!
//! The disk is a 4 MiB tmpfs mounted by the test, which needs root; as another user the
//! test says so and passes without running.

use simplehttp_tests::server_util::{read_response, Response, Server, TempDir};
use std::io::{BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A tmpfs mounted on a directory, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(dir).unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("run mount");
        assert!(
            out.status.success(),
            "mount -t tmpfs failed as root: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i % 251) as u8 ^ seed).collect()
}

/// Sends `head` then `body` from another thread while reading the response here: the
/// server answers 507 and closes without reading the rest of the body.
fn upload(server: &Server, head: String, body: Vec<u8>) -> Response {
    let mut sock = server.connect();
    sock.write_all(head.as_bytes()).unwrap();
    let mut writer_sock = sock.try_clone().unwrap();
    let writer = std::thread::spawn(move || {
        // Refused part-way: a broken pipe or a reset is expected.
        let _ = writer_sock.write_all(&body);
    });
    let resp = read_response(&mut BufReader::new(sock), false).expect("a response");
    writer.join().unwrap();
    resp
}

fn chunked(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in body.chunks(100_000) {
        out.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        out.extend_from_slice(part);
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(b"0\r\n\r\n");
    out
}

#[test]
fn a_full_disk_gives_507_and_keeps_the_previous_version() {
    if !rustix::process::geteuid().is_root() {
        eprintln!(
            "SKIPPED a_full_disk_gives_507_and_keeps_the_previous_version: mounting a small \
             tmpfs needs root; run the tests as root (as CI does) to check a full disk"
        );
        return;
    }
    let base = TempDir::new("full-disk");
    let root = base.path().join("root");
    let _disk = Tmpfs::mount(&root, "4m");
    let old = pattern(1 << 20, 1);
    std::fs::write(root.join("file.bin"), &old).unwrap();
    // Declared after the mount: stopped before it is unmounted.
    let server = Server::start_in(TempDir(root.clone()), &["--quiet"]);

    // 8 MiB with Content-Length over the 1 MiB file.
    let big = pattern(8 << 20, 2);
    let resp = upload(
        &server,
        format!(
            "PUT /file.bin HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
            big.len()
        ),
        big.clone(),
    );
    assert_eq!(
        resp.status,
        507,
        "{:?}",
        String::from_utf8_lossy(&resp.body)
    );
    assert_eq!(std::fs::read(root.join("file.bin")).unwrap(), old);
    assert!(
        server.temporaries().is_empty(),
        "{:?}",
        server.temporaries()
    );

    // 8 MiB chunked, to a new file in a new directory.
    let resp = upload(
        &server,
        "PUT /new/dir/big.bin HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n".into(),
        chunked(&big),
    );
    assert_eq!(resp.status, 507);
    assert!(!root.join("new").exists());
    assert!(
        server.temporaries().is_empty(),
        "{:?}",
        server.temporaries()
    );

    // The space came back: the old version is served, and an upload that fits succeeds.
    let got = server.get("/file.bin");
    assert_eq!((got.status, got.body.len()), (200, old.len()));
    assert!(got.body == old);
    let fits = pattern(2 << 20, 3);
    let resp = upload(
        &server,
        format!(
            "PUT /file.bin HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
            fits.len()
        ),
        fits.clone(),
    );
    assert_eq!(resp.status, 204);
    assert!(std::fs::read(root.join("file.bin")).unwrap() == fits);
    assert!(server.temporaries().is_empty());
}
