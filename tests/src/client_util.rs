//! Helpers for the simple-client end-to-end tests: run the built binary with a deadline,
//! scripted raw-socket servers, temporary directories, and real peers (Python's
//! `http.server`, nginx with its dav module).

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// The built `simple-client`, in the same target directory as the running test.
pub fn client_bin() -> PathBuf {
    built_binary("simple-client")
}

/// A binary of `simplehttp-native` built into this test's target profile directory
/// (located by the server tests' helper).
pub fn built_binary(name: &str) -> PathBuf {
    crate::server_util::bin_path(name)
}

/// What a finished run of the client gave.
#[derive(Debug)]
pub struct Run {
    /// The exit code (`None`: killed by a signal).
    pub code: Option<i32>,
    /// Everything written to stdout.
    pub stdout: Vec<u8>,
    /// Everything written to stderr, lossily decoded.
    pub stderr: String,
    /// How long the process ran.
    pub elapsed: Duration,
}

impl Run {
    /// Asserts the exit code, showing stderr when it differs.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "exit code; stderr:\n{}\nstdout (first 500 bytes): {:?}",
            self.stderr,
            String::from_utf8_lossy(&self.stdout[..self.stdout.len().min(500)])
        );
        self
    }
}

/// A client invocation being built.
pub struct Client {
    cmd: Command,
    stdin: Option<Vec<u8>>,
    deadline: Duration,
}

/// Starts building a run of simple-client with `args`.
pub fn client<I, S>(args: I) -> Client
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut cmd = Command::new(client_bin());
    cmd.args(args);
    // The tests talk to loopback peers: a proxy from the caller's environment stays out.
    for var in [
        "http_proxy",
        "https_proxy",
        "HTTPS_PROXY",
        "no_proxy",
        "NO_PROXY",
    ] {
        cmd.env_remove(var);
    }
    Client {
        cmd,
        stdin: None,
        deadline: Duration::from_secs(60),
    }
}

impl Client {
    /// Feeds these bytes on stdin (otherwise stdin is empty).
    pub fn stdin(mut self, bytes: Vec<u8>) -> Self {
        self.stdin = Some(bytes);
        self
    }
    /// Sets an environment variable for the client.
    pub fn env(mut self, key: &str, value: impl AsRef<std::ffi::OsStr>) -> Self {
        self.cmd.env(key, value);
        self
    }
    /// Runs in this directory.
    pub fn current_dir(mut self, dir: &Path) -> Self {
        self.cmd.current_dir(dir);
        self
    }
    /// Kills the client and fails the test if it runs longer than this (default 60 s).
    pub fn deadline(mut self, d: Duration) -> Self {
        self.deadline = d;
        self
    }
    /// Starts the client without waiting for it.
    pub fn spawn(mut self) -> Child {
        self.cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        self.cmd.spawn().expect("spawn simple-client")
    }
    /// Runs the client to its end, within the deadline.
    pub fn run(mut self) -> Run {
        let start = Instant::now();
        self.cmd
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = self.cmd.spawn().expect("spawn simple-client");
        let feeder = self.stdin.take().map(|bytes| {
            let mut input = child.stdin.take().expect("stdin");
            std::thread::spawn(move || {
                let _ = input.write_all(&bytes);
            })
        });
        let mut out = child.stdout.take().expect("stdout");
        let mut err = child.stderr.take().expect("stderr");
        let out_t = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = out.read_to_end(&mut v);
            v
        });
        let err_t = std::thread::spawn(move || {
            let mut v = Vec::new();
            let _ = err.read_to_end(&mut v);
            v
        });
        let status = wait_deadline(&mut child, self.deadline);
        let Some(status) = status else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("simple-client still running after {:?}", self.deadline);
        };
        if let Some(f) = feeder {
            let _ = f.join();
        }
        Run {
            code: status.code(),
            stdout: out_t.join().expect("stdout reader"),
            stderr: String::from_utf8_lossy(&err_t.join().expect("stderr reader")).into_owned(),
            elapsed: start.elapsed(),
        }
    }
}

/// Runs simple-client with `args` on a pseudo-terminal (`script` from util-linux), within
/// 60 s: its exit status and everything it wrote to the terminal (stdout and stderr, with
/// the terminal's `\n` → `\r\n`).
pub fn client_on_terminal<S: AsRef<str>>(args: &[S]) -> (std::process::ExitStatus, Vec<u8>) {
    let quote = |a: &str| format!("'{}'", a.replace('\'', "'\\''"));
    let mut cmd = quote(&client_bin().display().to_string());
    for a in args {
        cmd.push(' ');
        cmd.push_str(&quote(a.as_ref()));
    }
    let output = Command::new("timeout")
        .args(["60", "script", "-qec", &cmd, "/dev/null"])
        .output()
        .expect("script (util-linux) must be installed");
    (output.status, output.stdout)
}

/// Waits for a child up to `deadline`; `None` if it is still running.
pub fn wait_deadline(child: &mut Child, deadline: Duration) -> Option<std::process::ExitStatus> {
    let end = Instant::now() + deadline;
    loop {
        if let Some(s) = child.try_wait().expect("try_wait") {
            return Some(s);
        }
        if Instant::now() >= end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// A directory under the system temp dir, removed (with its contents) when dropped.
pub struct TempDir(PathBuf);

impl TempDir {
    /// Creates a fresh, empty directory.
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicUsize = AtomicUsize::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = std::env::temp_dir().join(format!(
            "simplehttp-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
    /// Its path.
    pub fn path(&self) -> &Path {
        &self.0
    }
    /// A path inside it.
    pub fn join(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
    /// The names of the entries inside it, sorted.
    pub fn entries(&self) -> Vec<String> {
        TempDir::entries_of(&self.0)
    }
    /// The names of the entries inside `dir`, sorted.
    pub fn entries_of(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(dir)
            .expect("read temp dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Deterministic pseudo-random bytes (xorshift), so large bodies are not all alike.
pub fn pattern(len: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(len + 8);
    let mut x = seed | 1;
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// Waits until something accepts connections on 127.0.0.1:`port`, or panics naming `what`.
pub fn wait_listening(port: u16, what: &str, child: &mut Child) {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            panic!("{what} exited before listening on port {port}: {status}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    panic!("{what} is not listening on port {port} after 10 s");
}

/// What a [`RawServer`] does with one connection: given the stream and the request head.
pub type Script = Box<dyn FnOnce(TcpStream, Vec<u8>) + Send>;

/// A one-shot scripted server on 127.0.0.1: each accepted connection is handed to the
/// script, in order, on a thread of its own.
pub struct RawServer {
    /// The port it listens on.
    pub port: u16,
    handle: Option<JoinHandle<Vec<Vec<u8>>>>,
}

impl RawServer {
    /// Serves one connection with `script`.
    pub fn one<F>(script: F) -> RawServer
    where
        F: FnOnce(TcpStream, Vec<u8>) + Send + 'static,
    {
        RawServer::many(vec![Box::new(script)])
    }

    /// Serves one connection per script, in order. Each script gets the stream and the
    /// request head it sent (read up to the blank line).
    pub fn many(scripts: Vec<Script>) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let handle = std::thread::spawn(move || {
            let mut heads = Vec::new();
            for script in scripts {
                let (mut stream, _) = listener.accept().expect("accept");
                stream
                    .set_read_timeout(Some(Duration::from_secs(30)))
                    .expect("timeout");
                let head = read_head(&mut stream);
                heads.push(head.clone());
                script(stream, head);
            }
            heads
        });
        RawServer {
            port,
            handle: Some(handle),
        }
    }

    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// Waits for the scripts to finish and returns the request heads they received.
    pub fn finish(mut self) -> Vec<Vec<u8>> {
        self.handle
            .take()
            .expect("handle")
            .join()
            .expect("server script panicked")
    }
}

/// Reads a request head, up to and including the blank line.
pub fn read_head(stream: &mut TcpStream) -> Vec<u8> {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(0) | Err(_) => break,
            Ok(_) => head.push(byte[0]),
        }
    }
    head
}

/// Reads exactly `n` bytes.
pub fn read_exact(stream: &mut TcpStream, n: usize) -> Vec<u8> {
    let mut v = vec![0; n];
    stream.read_exact(&mut v).expect("read body");
    v
}

/// The value of header `name` in a raw head.
pub fn header_value(head: &[u8], name: &str) -> Option<String> {
    String::from_utf8_lossy(head).lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// A background process stopped (by its PID) when dropped.
pub struct Peer {
    /// The port it listens on.
    pub port: u16,
    child: Child,
    log: Option<PathBuf>,
}

impl Peer {
    /// Starts a peer with `start(port)` on a free loopback port (three tries), once it
    /// listens; `what` names it if it never does.
    pub fn spawn(what: &str, start: impl Fn(u16) -> Child) -> Peer {
        for _ in 0..3 {
            let port = free_port();
            let mut child = start(port);
            if wait_listening_or_exit(port, &mut child) {
                return Peer {
                    port,
                    child,
                    log: None,
                };
            }
        }
        panic!("{what} did not start");
    }
    /// `http://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
    /// The peer's error log, if it has one (for failure messages).
    pub fn log(&self) -> String {
        self.log
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Python's `http.server` serving `root` on a free loopback port.
pub fn python_server(root: &Path) -> Peer {
    for _ in 0..3 {
        let port = free_port();
        let mut child = Command::new("python3")
            .args(["-m", "http.server", "--bind", "127.0.0.1"])
            .arg(port.to_string())
            .arg("--directory")
            .arg(root)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 must be installed to run these tests");
        if wait_listening_or_exit(port, &mut child) {
            return Peer {
                port,
                child,
                log: None,
            };
        }
    }
    panic!("python3 -m http.server did not start");
}

/// Our own simple-server serving `root` on a free loopback port.
pub fn simple_server(root: &Path) -> Peer {
    let bin = built_binary("simple-server");
    for _ in 0..3 {
        let port = free_port();
        let mut child = Command::new(&bin)
            .arg(port.to_string())
            .arg("--root")
            .arg(root)
            .args(["--bind", "127.0.0.1", "--threads", "1", "--quiet"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn simple-server");
        if wait_listening_or_exit(port, &mut child) {
            return Peer {
                port,
                child,
                log: None,
            };
        }
    }
    panic!("simple-server did not start");
}

/// nginx serving `root`, with PUT and DELETE (dav module), on a free loopback port. Its
/// configuration and temporary files live in `work`.
pub fn nginx(root: &Path, work: &Path) -> Peer {
    nginx_with(work, |port| {
        format!(
            "server {{\n    listen 127.0.0.1:{port};\n    root {root};\n\
             dav_methods PUT DELETE;\n    create_full_put_path on;\n\
             dav_access user:rw group:r all:r;\n  }}\n",
            root = root.display()
        )
    })
}

/// nginx with the `server` blocks that `servers` writes for a free loopback port (the
/// TLS tests listen with `ssl` there). Its configuration and temporary files live in `work`.
pub fn nginx_with(work: &Path, servers: impl Fn(u16) -> String) -> Peer {
    let bin = Path::new("/usr/sbin/nginx");
    assert!(
        bin.is_file(),
        "nginx is not installed at /usr/sbin/nginx: these tests need it \
         (scripts/install-test-deps installs it: apt-get install nginx-light)"
    );
    for _ in 0..3 {
        let port = free_port();
        let w = work.display();
        let conf = format!(
            "daemon off;\nmaster_process off;\nworker_processes 1;\npid {w}/nginx.pid;\n\
             error_log {w}/error.log warn;\nevents {{ worker_connections 64; }}\n\
             http {{\n  access_log off;\n  client_body_temp_path {w}/body;\n\
             proxy_temp_path {w}/proxy;\n  fastcgi_temp_path {w}/fastcgi;\n\
             uwsgi_temp_path {w}/uwsgi;\n  scgi_temp_path {w}/scgi;\n\
             client_max_body_size 0;\n  sendfile on;\n  {servers}}}\n",
            servers = servers(port)
        );
        let conf_path = work.join("nginx.conf");
        std::fs::write(&conf_path, conf).expect("write nginx.conf");
        let mut child = Command::new(bin)
            .arg("-p")
            .arg(work)
            .arg("-e")
            .arg(work.join("error.log"))
            .arg("-c")
            .arg(&conf_path)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start nginx");
        if wait_listening_or_exit(port, &mut child) {
            return Peer {
                port,
                child,
                log: Some(work.join("error.log")),
            };
        }
        let mut err = String::new();
        if let Some(mut e) = child.stderr.take() {
            let _ = e.read_to_string(&mut err);
        }
        eprintln!("nginx did not start on port {port}: {err}");
    }
    panic!("nginx did not start");
}

fn wait_listening_or_exit(port: u16, child: &mut Child) -> bool {
    let end = Instant::now() + Duration::from_secs(10);
    while Instant::now() < end {
        if TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        if child.try_wait().ok().flatten().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    false
}
