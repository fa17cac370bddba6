//! Helpers for the simple-server end-to-end tests: start the real binary on an ephemeral
//! loopback port with a fresh root, talk to it over raw sockets, stop it by PID.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// Every socket read and write in the tests gives up after this long.
pub const IO_TIMEOUT: Duration = Duration::from_secs(15);

/// The path of a binary built by this workspace: `target/<profile>/<name>`, found next to
/// the test executable (`target/<profile>/deps/<test>`).
#[must_use]
pub fn bin_path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo build -p simplehttp-native --bins` first",
        path.display()
    );
    path
}

/// A fresh, empty directory under the system's temporary directory, removed on drop.
#[derive(Debug)]
pub struct TempDir(pub PathBuf);

impl TempDir {
    /// Creates it.
    #[must_use]
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU64 = AtomicU64::new(0);
        let name = format!(
            "simplehttp-test-{tag}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let path = std::env::temp_dir().join(name);
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(std::fs::canonicalize(path).expect("canonical temp dir"))
    }

    /// The directory.
    #[must_use]
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if self.0.as_os_str().is_empty() {
            return;
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A running simple-server, killed by PID when dropped.
#[derive(Debug)]
pub struct Server {
    child: Option<Child>,
    /// The port it listens on (read from its start line).
    pub port: u16,
    /// Its root directory.
    pub root: TempDir,
    /// Everything it printed on stderr so far.
    log: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// Starts `simple-server 0 --bind 127.0.0.1 --root <fresh dir> --threads 2
    /// --allow-host t <extra>` (`--threads` and `--allow-host` from `extra` when given
    /// there). The tests name the server `t` in `Host`; a loopback server answers only to
    /// the names it is given.
    #[must_use]
    pub fn start(extra: &[&str]) -> Server {
        Self::start_in(TempDir::new("root"), extra)
    }

    /// Starts it on an existing root (which is removed when the server is dropped).
    #[must_use]
    pub fn start_in(root: TempDir, extra: &[&str]) -> Server {
        Self::start_in_adjusted(root, extra, |_| {})
    }

    /// Like [`Server::start_in`], with `adjust` given the command last (to run it as
    /// another user, say).
    #[must_use]
    pub fn start_in_adjusted(
        root: TempDir,
        extra: &[&str],
        adjust: impl FnOnce(&mut Command),
    ) -> Server {
        let mut args = vec!["--bind", "127.0.0.1"];
        if !extra.contains(&"--threads") {
            args.extend(["--threads", "2"]);
        }
        if !extra.contains(&"--allow-host") {
            args.extend(["--allow-host", "t"]);
        }
        args.extend_from_slice(extra);
        Self::spawn(root, &args, adjust)
    }

    /// Starts `simple-server 0 --root <root> <args>` and nothing else, with `env` added to
    /// its environment. Its first listening address should be reachable on 127.0.0.1
    /// (127.0.0.1 itself, 0.0.0.0 or the default).
    #[must_use]
    pub fn start_with(root: TempDir, args: &[&str], env: &[(&str, &str)]) -> Server {
        Self::spawn(root, args, |cmd| {
            cmd.envs(env.iter().copied());
        })
    }

    fn spawn(root: TempDir, args: &[&str], adjust: impl FnOnce(&mut Command)) -> Server {
        let mut cmd = Command::new(bin_path("simple-server"));
        cmd.arg("0").arg("--root").arg(root.path());
        cmd.args(args);
        adjust(&mut cmd);
        Self::launch(root, cmd)
    }

    /// Runs `cmd`, which starts simple-server on `root` (directly or through a wrapper
    /// that execs it), and waits for its start line.
    #[must_use]
    pub fn launch(root: TempDir, mut cmd: Command) -> Server {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn simple-server");
        let stderr = child.stderr.take().expect("stderr");
        let log = Arc::new(Mutex::new(Vec::new()));
        let (tx, rx) = mpsc::channel();
        {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut tx = Some(tx);
                for line in BufReader::new(stderr).lines() {
                    let Ok(line) = line else { break };
                    let start = line.starts_with("Serving ");
                    log.lock().unwrap().push(line.clone());
                    if start {
                        if let Some(tx) = tx.take() {
                            let _ = tx.send(line);
                        }
                    }
                }
            });
        }
        let mut server = Server {
            child: Some(child),
            port: 0,
            root,
            log,
        };
        let line = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(line) => line,
            Err(_) => panic!(
                "simple-server printed no start line; stderr: {:?}",
                server.log()
            ),
        };
        // "Serving DIR on http(s)://ADDR:PORT and ... (mode)": the first address's port.
        let port = line
            .split(" on http://")
            .nth(1)
            .or_else(|| line.split(" on https://").nth(1))
            .and_then(|rest| rest.split([' ', ',']).next())
            .and_then(|addr| addr.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no port in start line {line:?}"));
        server.port = port;
        server
    }

    /// The server's address.
    #[must_use]
    pub fn addr(&self) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], self.port))
    }

    /// `http://127.0.0.1:PORT` followed by `path`.
    #[must_use]
    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// A path under the root.
    #[must_use]
    pub fn file(&self, rel: &str) -> PathBuf {
        self.root.path().join(rel)
    }

    /// The lines printed on stderr so far.
    #[must_use]
    pub fn log(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits (up to 10 s) until the log satisfies `ready`, and returns it. Access-log lines
    /// are written once a response is sent, so they may trail the response a little.
    pub fn wait_for_log(&self, ready: impl Fn(&[String]) -> bool) -> Vec<String> {
        let end = Instant::now() + Duration::from_secs(10);
        loop {
            let log = self.log();
            if ready(&log) || Instant::now() >= end {
                return log;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The process id.
    #[must_use]
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Sends a signal (`TERM`, `INT`, `KILL`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Kills the server (SIGKILL) and hands back its root, for a restart on it.
    #[must_use]
    pub fn kill_keep_root(mut self) -> TempDir {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        std::mem::replace(&mut self.root, TempDir(PathBuf::new()))
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let end = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= end {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the process still runs.
    pub fn is_running(&mut self) -> bool {
        self.child
            .as_mut()
            .is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    /// A connected socket with timeouts.
    #[must_use]
    pub fn connect(&self) -> TcpStream {
        connect(self.addr())
    }

    /// Sends `request` on a new connection and reads one response.
    #[must_use]
    pub fn exchange(&self, request: &[u8]) -> Response {
        let mut s = self.connect();
        s.write_all(request).expect("write request");
        let head = request.starts_with(b"HEAD ");
        read_response(&mut BufReader::new(s), head).expect("read response")
    }

    /// A plain `GET path` on a new connection.
    #[must_use]
    pub fn get(&self, path: &str) -> Response {
        self.exchange(
            format!("GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n").as_bytes(),
        )
    }

    /// How many file descriptors the process has open (from /proc/PID/fd).
    #[must_use]
    pub fn fd_count(&self) -> usize {
        std::fs::read_dir(format!("/proc/{}/fd", self.pid())).map_or(0, |rd| rd.count())
    }

    /// The process's resident memory in KiB (VmRSS in /proc/PID/status).
    #[must_use]
    pub fn rss_kib(&self) -> u64 {
        std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse()
                    .ok()
            })
            .unwrap_or(0)
    }

    /// The names of upload temporaries left anywhere under the root.
    #[must_use]
    pub fn temporaries(&self) -> Vec<PathBuf> {
        temporaries(self.root.path())
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Upload temporaries (`.simplehttp-upload-*`) under `dir`.
#[must_use]
pub fn temporaries(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let Ok(rd) = std::fs::read_dir(dir) else {
        return found;
    };
    for e in rd.flatten() {
        let p = e.path();
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            found.extend(temporaries(&p));
        } else if e
            .file_name()
            .to_string_lossy()
            .starts_with(".simplehttp-upload-")
        {
            found.push(p);
        }
    }
    found
}

/// Connects with read and write timeouts.
#[must_use]
pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect_timeout(&addr, IO_TIMEOUT).expect("connect");
    s.set_read_timeout(Some(IO_TIMEOUT)).unwrap();
    s.set_write_timeout(Some(IO_TIMEOUT)).unwrap();
    s
}

/// A response as read off the wire.
#[derive(Debug, Clone)]
pub struct Response {
    /// Status code.
    pub status: u16,
    /// Header fields, names lower-cased.
    pub headers: Vec<(String, String)>,
    /// The body (de-chunked).
    pub body: Vec<u8>,
}

impl Response {
    /// The first value of a header (name in lower case).
    #[must_use]
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Reads one response (skipping interim 1xx ones). `head_request`: no body follows.
pub fn read_response(r: &mut impl BufRead, head_request: bool) -> io::Result<Response> {
    loop {
        let mut line = String::new();
        if r.read_line(&mut line)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed before a response",
            ));
        }
        let status: u16 = line
            .split(' ')
            .nth(1)
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!("bad status line {line:?}"),
                )
            })?;
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            r.read_line(&mut h)?;
            let h = h.trim_end_matches(['\r', '\n']);
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':').unwrap_or((h, ""));
            headers.push((n.to_ascii_lowercase(), v.trim().to_string()));
        }
        if (100..200).contains(&status) {
            continue;
        }
        let mut resp = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if head_request || status == 204 || status == 304 {
            return Ok(resp);
        }
        if resp
            .header("transfer-encoding")
            .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
        {
            loop {
                let mut size = String::new();
                r.read_line(&mut size)?;
                let size = size.trim().split(';').next().unwrap_or("");
                let n = usize::from_str_radix(size, 16)
                    .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
                if n == 0 {
                    let mut end = String::new();
                    while r.read_line(&mut end)? > 2 {
                        end.clear();
                    }
                    break;
                }
                let at = resp.body.len();
                resp.body.resize(at + n, 0);
                r.read_exact(&mut resp.body[at..])?;
                let mut crlf = [0u8; 2];
                r.read_exact(&mut crlf)?;
            }
        } else if let Some(len) = resp.header("content-length") {
            let n: usize = len
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad content-length"))?;
            resp.body.resize(n, 0);
            r.read_exact(&mut resp.body)?;
        } else {
            r.read_to_end(&mut resp.body)?;
        }
        return Ok(resp);
    }
}

/// Reads until the peer closes (or the timeout), returning what came.
pub fn read_until_close(s: &mut TcpStream) -> (Vec<u8>, bool) {
    let mut out = Vec::new();
    let mut buf = [0u8; 8192];
    loop {
        match s.read(&mut buf) {
            Ok(0) => return (out, true),
            Ok(n) => out.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            // Reset by the peer counts as closed; a timeout does not.
            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return (out, true),
            Err(_) => return (out, false),
        }
    }
}

/// Runs curl with `args` (plus `-sS --max-time 30`) and returns its output.
pub fn curl(args: &[&str]) -> std::process::Output {
    Command::new("curl")
        .args(["-sS", "--max-time", "30"])
        .args(args)
        .output()
        .expect("run curl (is it installed?)")
}
