//! Runs `examples/serve.rs` on an ephemeral port against a real directory and fetches from
//! it with a raw `TcpStream`.

#[allow(dead_code)] // its `main` is not called here: the test drives `load` and `serve`
#[path = "../examples/serve.rs"]
mod serve;

use simplehttp_core::store::MemoryStore;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Serves a fresh directory holding `hello.txt` and `sub dir/page.html`; returns its address.
fn start() -> (core::net::SocketAddr, TempDir) {
    let dir = std::env::temp_dir().join(format!("simplehttp-example-serve-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("sub dir")).unwrap();
    std::fs::write(dir.join("hello.txt"), b"hello from disk\n").unwrap();
    std::fs::write(dir.join("sub dir/page.html"), b"<p>page</p>").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let root = dir.clone();
    // The store is not Send: it is built on the serving thread; connections wait in the
    // listen backlog meanwhile.
    std::thread::spawn(move || {
        let store = MemoryStore::new().read_only(true);
        serve::load(&store, &root, "").unwrap();
        for conn in listener.incoming() {
            serve::serve(conn.unwrap(), &store).ok();
        }
    });
    (addr, TempDir(dir))
}

/// Sends `request` (in pieces of `piece` bytes) and reads the response until the server closes.
fn fetch(addr: core::net::SocketAddr, request: &[u8], piece: usize) -> String {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(core::time::Duration::from_secs(10)))
        .unwrap();
    for part in request.chunks(piece) {
        conn.write_all(part).unwrap();
        conn.flush().unwrap();
    }
    let mut response = Vec::new();
    conn.read_to_end(&mut response).unwrap();
    String::from_utf8(response).unwrap()
}

#[test]
fn example_serves_files_from_disk() {
    let (addr, _dir) = start();

    let r = fetch(
        addr,
        b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        usize::MAX,
    );
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
    assert!(r.contains("\r\nContent-Length: 16\r\n"), "{r}");
    assert!(
        r.contains("\r\nContent-Type: text/plain; charset=utf-8\r\n"),
        "{r}"
    );
    assert!(r.contains("\r\nConnection: close\r\n"), "{r}");
    assert!(r.ends_with("\r\n\r\nhello from disk\n"), "{r}");

    // A request arriving a few bytes at a time.
    let r = fetch(
        addr,
        b"GET /sub%20dir/page.html HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        3,
    );
    assert!(
        r.starts_with("HTTP/1.1 200 OK\r\n") && r.ends_with("<p>page</p>"),
        "{r}"
    );

    let r = fetch(
        addr,
        b"GET /sub%20dir HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        usize::MAX,
    );
    assert!(r.starts_with("HTTP/1.1 301 Moved Permanently\r\n"), "{r}");
    assert!(r.contains("\r\nLocation: /sub%20dir/\r\n"), "{r}");

    let r = fetch(
        addr,
        b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        usize::MAX,
    );
    assert!(r.contains("\r\nTransfer-Encoding: chunked\r\n"), "{r}");
    assert!(
        r.contains("href=\"./hello.txt\"") && r.ends_with("\r\n0\r\n\r\n"),
        "{r}"
    );

    let r = fetch(
        addr,
        b"GET /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nRange: bytes=6-9\r\n\r\n",
        64,
    );
    assert!(
        r.starts_with("HTTP/1.1 206 Partial Content\r\n") && r.ends_with("\r\n\r\nfrom"),
        "{r}"
    );

    let r = fetch(
        addr,
        b"PUT /hello.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx",
        usize::MAX,
    );
    assert!(r.starts_with("HTTP/1.1 405 Method Not Allowed\r\n"), "{r}");

    let r = fetch(
        addr,
        b"GET /../etc/passwd HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        usize::MAX,
    );
    assert!(r.starts_with("HTTP/1.1 400 Bad Request\r\n"), "{r}");

    let r = fetch(
        addr,
        b"GET /nope HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        usize::MAX,
    );
    assert!(
        r.starts_with("HTTP/1.1 404 Not Found\r\n") && r.ends_with("404 Not Found\n"),
        "{r}"
    );

    let r = fetch(
        addr,
        b"GET / HTTP/1.1\r\nConnection: close\r\n\r\n",
        usize::MAX,
    );
    assert!(
        r.starts_with("HTTP/1.1 400 Bad Request\r\n"),
        "no Host: {r}"
    );
}
