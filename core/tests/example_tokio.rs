//! Runs `examples/tokio_serve.rs` on an ephemeral port against a real directory and fetches
//! from it with curl.

#[allow(dead_code)] // its `main` is not called here: the test drives `load` and `run`
#[path = "../examples/tokio_serve.rs"]
mod tokio_serve;

use core::net::SocketAddr;
use core::sync::atomic::{AtomicUsize, Ordering};
use simplehttp_core::store::MemoryStore;
use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;

struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A fresh directory holding `hello.txt`, served by the example; and its address.
fn start() -> (SocketAddr, TempDir) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "simplehttp-example-tokio-{}-{n}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("hello.txt"), b"hello from disk\n").unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let root = dir.clone();
    // The store is not Send: it is built on the serving thread; connections wait in the
    // listen backlog meanwhile.
    std::thread::spawn(move || {
        let store = MemoryStore::new();
        tokio_serve::serve::load(&store, &root, "").unwrap();
        tokio_serve::run(listener, store, false).unwrap();
    });
    (addr, TempDir(dir))
}

/// Runs curl with `args`, each `{}` in them replaced by the server's URL (`{}/hello.txt`);
/// returns what it printed.
fn curl(addr: SocketAddr, args: &[&str]) -> String {
    let url = format!("http://{addr}");
    let args: Vec<String> = args.iter().map(|a| a.replace("{}", &url)).collect();
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "10"])
        .args(&args)
        .output()
        .expect("curl runs");
    assert!(
        out.status.success(),
        "curl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The value of `name` in a response head printed by curl.
fn header<'a>(response: &'a str, name: &str) -> &'a str {
    response
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim())
        })
        .unwrap_or_else(|| panic!("no {name} in {response}"))
}

#[test]
fn tokio_example_serves_get_head_and_a_range_to_curl() {
    let (addr, _dir) = start();

    let r = curl(addr, &["-i", "{}/hello.txt"]);
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
    assert_eq!(header(&r, "Content-Length"), "16");
    assert!(r.ends_with("\r\n\r\nhello from disk\n"), "{r}");

    let r = curl(addr, &["-I", "{}/hello.txt"]);
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
    assert_eq!(header(&r, "Content-Length"), "16");
    assert!(r.ends_with("\r\n\r\n"), "HEAD has no body: {r}");

    let r = curl(addr, &["-i", "-r", "6-9", "{}/hello.txt"]);
    assert!(r.starts_with("HTTP/1.1 206 Partial Content\r\n"), "{r}");
    assert_eq!(header(&r, "Content-Range"), "bytes 6-9/16");
    assert!(r.ends_with("\r\n\r\nfrom"), "{r}");

    let r = curl(addr, &["-i", "{}/nope"]);
    assert!(r.starts_with("HTTP/1.1 404 Not Found\r\n"), "{r}");
}

#[test]
fn tokio_example_answers_a_conditional_get_with_304() {
    let (addr, _dir) = start();
    let r = curl(addr, &["-I", "{}/hello.txt"]);
    let etag = header(&r, "ETag").to_string();

    let r = curl(
        addr,
        &[
            "-i",
            "-H",
            &format!("If-None-Match: {etag}"),
            "{}/hello.txt",
        ],
    );
    assert!(r.starts_with("HTTP/1.1 304 Not Modified\r\n"), "{r}");
    assert!(r.ends_with("\r\n\r\n"), "a 304 has no body: {r}");

    let r = curl(
        addr,
        &["-i", "-H", "If-None-Match: \"other\"", "{}/hello.txt"],
    );
    assert!(r.starts_with("HTTP/1.1 200 OK\r\n"), "{r}");
}

#[test]
fn tokio_example_stores_a_put_that_later_requests_read() {
    let (addr, dir) = start();
    let upload = dir.0.join("upload.txt");
    std::fs::write(&upload, b"uploaded with curl\n").unwrap();

    let r = curl(
        addr,
        &["-i", "-T", upload.to_str().unwrap(), "{}/docs/new.txt"],
    );
    // curl sends `Expect: 100-continue` with a file; the engine answers it.
    let r = r
        .strip_prefix("HTTP/1.1 100 Continue\r\n\r\n")
        .unwrap_or(&r);
    assert!(r.starts_with("HTTP/1.1 201 Created\r\n"), "{r}");

    // Another connection sees it: one store for all of them.
    let r = curl(addr, &["{}/docs/new.txt"]);
    assert_eq!(r, "uploaded with curl\n");

    let r = curl(addr, &["-i", "-X", "DELETE", "{}/docs/new.txt"]);
    assert!(r.starts_with("HTTP/1.1 204 No Content\r\n"), "{r}");
    let r = curl(addr, &["-i", "{}/docs/new.txt"]);
    assert!(r.starts_with("HTTP/1.1 404 Not Found\r\n"), "{r}");
}

#[test]
fn tokio_example_keeps_the_connection_alive_for_a_second_url() {
    let (addr, _dir) = start();
    // `num_connects` is 0 for a transfer that reused the connection.
    let r = curl(
        addr,
        &[
            "-w",
            "%{http_code} %{num_connects} %{size_download}\n",
            "-o",
            "/dev/null",
            "{}/hello.txt",
            "-o",
            "/dev/null",
            "{}/hello.txt",
        ],
    );
    assert_eq!(r, "200 1 16\n200 0 16\n");
}

/// The example's binary, in this test's profile directory (`target/<profile>/examples`),
/// built now so that it is never an older one (`cargo test --test` alone does not build it).
fn example_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile = exe.parent().and_then(std::path::Path::parent).unwrap();
    let mut build = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    build.args([
        "build",
        "-q",
        "-p",
        "simplehttp-core",
        "--example",
        "tokio_serve",
    ]);
    if profile.file_name().is_some_and(|n| n == "release") {
        build.arg("--release");
    }
    assert!(build.status().unwrap().success(), "the example builds");
    profile.join("examples").join("tokio_serve")
}

#[test]
fn tokio_example_stops_on_ctrl_c_closing_idle_connections() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::process::Stdio;
    let dir = std::env::temp_dir().join(format!(
        "simplehttp-example-tokio-sigint-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let _cleanup = TempDir(dir.clone());
    std::fs::write(dir.join("a.txt"), b"a\n").unwrap();
    let mut child = Command::new(example_binary())
        .args(["--root", dir.to_str().unwrap(), "--port", "0"])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the example was built by cargo test");
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    stdout.read_line(&mut line).unwrap();
    let addr = line
        .strip_prefix("serving on http://")
        .and_then(|l| l.trim_end().strip_suffix('/'))
        .unwrap_or_else(|| panic!("start line: {line:?}"))
        .to_string();

    // A kept-alive connection, idle after its first answer.
    let mut idle = std::net::TcpStream::connect(&addr).unwrap();
    idle.set_read_timeout(Some(core::time::Duration::from_secs(10)))
        .unwrap();
    idle.write_all(b"GET /a.txt HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut answer = [0u8; 512];
    let n = idle.read(&mut answer).unwrap();
    assert!(answer[..n].starts_with(b"HTTP/1.1 200 OK\r\n"));

    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    // The idle connection is closed by the server (EOF), not left to its idle timeout.
    assert_eq!(idle.read(&mut answer).unwrap(), 0, "the server closed it");
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert_eq!(rest, "stopped (0 connection(s) cut at the end)\n");
    // And the port no longer accepts.
    assert!(std::net::TcpStream::connect(&addr).is_err());
}
