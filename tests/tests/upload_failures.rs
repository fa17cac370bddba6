//! A PUT whose plan cannot be carried out is answered with the failure's status, with a
//! correct Content-Length, and leaves nothing behind: never the planned 201 or 204.
//!
//! Each case sends the failing PUT and, pipelined behind it, a GET: the reply must be one
//! complete error response (its length right, so the GET's reply is not taken for its
//! body) and the connection closed after it, since the upload's body was not read.

use simplehttp_tests::server_util::{read_response, read_until_close, Server, TempDir};
use std::io::{BufReader, Write};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;

/// Sends a PUT of `body` to `target`, a GET behind it, and returns the first reply's
/// status and body, after checking it is the only thing on the connection.
fn failing_put(server: &Server, target: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let mut s = server.connect();
    let mut req = format!(
        "PUT {target} HTTP/1.1\r\nHost: t\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    req.extend_from_slice(body);
    req.extend_from_slice(b"GET /missing HTTP/1.1\r\nHost: t\r\n\r\n");
    s.write_all(&req).unwrap();
    let mut r = BufReader::new(s);
    let resp = read_response(&mut r, false).expect("a response");
    let len: usize = resp
        .header("content-length")
        .unwrap_or_else(|| panic!("no Content-Length: {resp:?}"))
        .parse()
        .unwrap();
    assert_eq!(len, resp.body.len());
    assert_eq!(resp.header("connection"), Some("close"), "{resp:?}");
    let (rest, closed) = read_until_close(r.get_mut());
    assert!(closed, "the connection stays open after a failed upload");
    assert!(
        rest.is_empty(),
        "bytes after the reply: {:?}",
        String::from_utf8_lossy(&rest)
    );
    (resp.status, resp.body)
}

/// Everything under `dir`, relative, sorted.
fn tree(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let e = e.unwrap();
            let p = e.path();
            out.push(p.strip_prefix(dir).unwrap().display().to_string());
            if e.file_type().unwrap().is_dir() {
                stack.push(p);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn a_target_longer_than_path_max_is_414_and_creates_nothing() {
    let server = Server::start(&["--quiet"]);
    let long = format!("/{}/f.txt", ["abcdefghi"; 420].join("/"));
    assert!(long.len() > 4096);
    let (status, _) = failing_put(&server, &long, b"data");
    assert_eq!(status, 414);
    assert_eq!(tree(server.root.path()), Vec::<String>::new());
}

#[test]
fn a_name_longer_than_the_filesystem_takes_is_414_and_leaves_no_directories() {
    let server = Server::start(&["--quiet"]);
    let target = format!("/new/dirs/{}.txt", "n".repeat(300));
    let (status, _) = failing_put(&server, &target, b"data");
    assert_eq!(status, 414);
    assert_eq!(tree(server.root.path()), Vec::<String>::new());
    // A name the filesystem takes still works, directories and all.
    let ok = format!("/new/dirs/{}.txt", "n".repeat(250));
    let resp = server.exchange(
        format!("PUT {ok} HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            .as_bytes(),
    );
    assert_eq!(resp.status, 201);
    assert_eq!(std::fs::read(server.file(&ok[1..])).unwrap(), b"ok");
}

#[test]
fn a_name_with_the_upload_temporary_prefix_is_403() {
    // Hidden as a dot name by default (404); with --hidden, the store still refuses it.
    for (flags, want) in [(&["--quiet"][..], 404), (&["--quiet", "--hidden"][..], 403)] {
        let server = Server::start(flags);
        let (status, _) = failing_put(&server, "/.simplehttp-upload-0123456789abcdef", b"x");
        assert_eq!(status, want, "{flags:?}");
        let (status, _) = failing_put(&server, "/d/.simplehttp-upload-x/f", b"x");
        assert_eq!(status, want, "{flags:?}");
        assert_eq!(tree(server.root.path()), Vec::<String>::new());
    }
}

#[test]
fn a_directory_the_server_cannot_write_is_403_and_the_old_file_stays() {
    // Root ignores permissions, so as root the server runs as nobody.
    let root = TempDir::new("unwritable");
    let locked = root.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::write(locked.join("old.txt"), b"old").unwrap();
    for p in [root.path(), &locked] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o555)).unwrap();
    }
    std::fs::set_permissions(
        locked.join("old.txt"),
        std::fs::Permissions::from_mode(0o444),
    )
    .unwrap();
    let as_root = rustix::process::geteuid().is_root();
    let server = Server::start_in_adjusted(root, &["--quiet"], |cmd| {
        if as_root {
            cmd.uid(65534).gid(65534);
        }
    });
    for target in ["/locked/new.txt", "/locked/old.txt", "/locked/sub/new.txt"] {
        let (status, body) = failing_put(&server, target, b"new data");
        assert_eq!(status, 403, "{target}: {}", String::from_utf8_lossy(&body));
    }
    assert_eq!(
        std::fs::read(server.file("locked/old.txt")).unwrap(),
        b"old"
    );
    assert_eq!(
        tree(server.root.path()),
        vec!["locked".to_string(), "locked/old.txt".to_string()]
    );
    // Let the root be removed.
    for p in [server.root.path().to_path_buf(), server.file("locked")] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
}

#[test]
fn running_out_of_descriptors_during_a_put_is_503() {
    let server = Server::start(&["--quiet", "--threads", "1"]);
    std::fs::write(server.file("f.txt"), b"old").unwrap();
    // A GET leaves the file's metadata cached, so the PUT's decision needs no descriptor
    // and only the upload's start runs out.
    assert_eq!(server.get("/f.txt").status, 200);
    let s = server.connect();
    std::thread::sleep(std::time::Duration::from_millis(300));
    let pid = rustix::process::Pid::from_raw(server.pid() as i32).unwrap();
    // Room for one more descriptor: enough for the decision to look at the file, not for
    // the upload's directory and temporary (the limit is the second free number).
    let open: std::collections::HashSet<u64> =
        std::fs::read_dir(format!("/proc/{}/fd", server.pid()))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .collect();
    let cap = (0..).filter(|n| !open.contains(n)).nth(1).unwrap();
    let lim = |n: u64| rustix::process::Rlimit {
        current: Some(n),
        maximum: Some(4096),
    };
    rustix::process::prlimit(Some(pid), rustix::process::Resource::Nofile, lim(cap))
        .expect("lower the server's RLIMIT_NOFILE");
    let mut w = &s;
    w.write_all(b"PUT /f.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nnew")
        .unwrap();
    let mut r = BufReader::new(&s);
    let resp = read_response(&mut r, false).expect("a response");
    rustix::process::prlimit(Some(pid), rustix::process::Resource::Nofile, lim(4096)).unwrap();
    assert_eq!(resp.status, 503, "{resp:?}");
    assert_eq!(
        resp.header("content-length").map(str::to_owned),
        Some(resp.body.len().to_string())
    );
    assert_eq!(std::fs::read(server.file("f.txt")).unwrap(), b"old");
    assert!(server.temporaries().is_empty());
    // Descriptors back: the same upload succeeds.
    let resp = server.exchange(
        b"PUT /f.txt HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nConnection: close\r\n\r\nnew",
    );
    assert_eq!(resp.status, 204);
    assert_eq!(std::fs::read(server.file("f.txt")).unwrap(), b"new");
}
