//! Hostile input against the running simple-server over raw sockets.
//!
//! - Request smuggling (RFC 9112 §6.3 and §11.2): every ambiguous framing gets its precise
//!   status and the connection closed, and a request hidden behind it is never run.
//! - Oversized request lines and header sections (RFC 9112 §3, RFC 6585 §5).
//! - Every way out of the root, for GET, HEAD, PUT and DELETE.
//!
//! After every case the server still answers a plain GET, and nothing outside the root was
//! read (a canary's text never appears in a response), written or deleted.

use simplehttp_tests::server_util::{read_until_close, Server, TempDir};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Text of the files outside the root; it must never show up in a response.
const CANARY: &str = "CANARY-7f3c1e9a-outside-the-root";

/// A served root inside a base directory that also holds canaries and symlinks out.
///
/// ```text
/// base/canary.txt            CANARY
/// base/outside/secret.txt    CANARY
/// base/root/                 served
///   ok.txt, victim.txt, in.txt
///   out      -> base/outside     (absolute)
///   rel      -> ../outside       (relative)
///   up       -> ..               (the base itself)
///   slash    -> /
///   leak.txt -> base/canary.txt
///   dangle   -> base/created-outside.txt   (does not exist)
///   loop     -> loop
///   deep/down -> ../../outside
/// ```
struct Sandbox {
    // Dropped first: the server stops before its directories go.
    server: Server,
    base: TempDir,
    before: BTreeMap<PathBuf, Vec<u8>>,
}

impl Sandbox {
    fn new(extra: &[&str]) -> Sandbox {
        let base = TempDir::new("hostile");
        let b = base.path();
        std::fs::write(b.join("canary.txt"), CANARY).unwrap();
        std::fs::create_dir(b.join("outside")).unwrap();
        std::fs::write(b.join("outside/secret.txt"), CANARY).unwrap();
        let root = b.join("root");
        std::fs::create_dir(&root).unwrap();
        std::fs::write(root.join("ok.txt"), "ok").unwrap();
        std::fs::write(root.join("victim.txt"), "victim").unwrap();
        std::fs::write(root.join("in.txt"), "inside").unwrap();
        let link = |to: &Path, at: &str| std::os::unix::fs::symlink(to, root.join(at)).unwrap();
        link(&b.join("outside"), "out");
        link(Path::new("../outside"), "rel");
        link(Path::new(".."), "up");
        link(Path::new("/"), "slash");
        link(&b.join("canary.txt"), "leak.txt");
        link(&b.join("created-outside.txt"), "dangle");
        link(Path::new("loop"), "loop");
        std::fs::create_dir(root.join("deep")).unwrap();
        link(Path::new("../../outside"), "deep/down");
        let before = snapshot_outside(b);
        let server = Server::start_in(TempDir(root), extra);
        Sandbox {
            server,
            base,
            before,
        }
    }

    /// Sends `request` on a fresh connection; returns what came back before the close
    /// and whether the server closed the connection.
    fn raw(&self, request: &[u8]) -> (String, bool) {
        let mut sock = self.server.connect();
        // The server may answer and close before reading all of a bad request; a reset
        // while writing the rest is fine.
        let _ = sock.write_all(request);
        let (bytes, closed) = read_until_close(&mut sock);
        (String::from_utf8_lossy(&bytes).into_owned(), closed)
    }

    /// The invariants that hold after every hostile request.
    #[track_caller]
    fn assert_unharmed(&self, what: &str, response: &str) {
        assert!(
            !response.contains(CANARY),
            "{what}: a file outside the root was read: {response:?}"
        );
        let ok = self.server.get("/ok.txt");
        assert_eq!(
            (ok.status, ok.body.as_slice()),
            (200, &b"ok"[..]),
            "{what}: the server no longer answers a plain GET"
        );
        assert_eq!(
            snapshot_outside(self.base.path()),
            self.before,
            "{what}: something outside the root was written or deleted"
        );
        assert_eq!(
            std::fs::read(self.server.file("victim.txt"))
                .ok()
                .as_deref(),
            Some(&b"victim"[..]),
            "{what}: a smuggled request ran"
        );
        assert!(
            self.server.temporaries().is_empty(),
            "{what}: temporaries left: {:?}",
            self.server.temporaries()
        );
    }
}

/// Every file and symlink under `base`, except inside `base/root`, with its content (a
/// symlink's target for links).
fn snapshot_outside(base: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    fn walk(dir: &Path, skip: &Path, out: &mut BTreeMap<PathBuf, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let p = e.path();
            if p == skip {
                continue;
            }
            let ft = e.file_type().unwrap();
            if ft.is_symlink() {
                let to = std::fs::read_link(&p).unwrap();
                out.insert(p, to.into_os_string().into_encoded_bytes());
            } else if ft.is_dir() {
                out.insert(p.clone(), b"<dir>".to_vec());
                walk(&p, skip, out);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(base, &base.join("root"), &mut out);
    out
}

/// The request a smuggling attempt hides behind its own: it would delete victim.txt.
const SMUGGLED: &str = "DELETE /victim.txt HTTP/1.1\r\nHost: t\r\n\r\n";

/// Requests whose framing is ambiguous or broken, each with the status it must earn.
/// `{SMUGGLED}` follows each on the same connection.
fn smuggling_cases() -> Vec<(&'static str, String, u16)> {
    let put = "PUT /x.txt HTTP/1.1\r\nHost: t\r\n";
    let chunked = "Transfer-Encoding: chunked\r\n";
    let mut cases: Vec<(&'static str, String, u16)> = vec![
        // RFC 9112 §6.3 item 3: CL and TE together is a smuggling attempt.
        (
            "CL then TE",
            format!("{put}Content-Length: 5\r\n{chunked}\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE then CL",
            format!("{put}{chunked}Content-Length: 5\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE then CL: 0",
            format!("{put}{chunked}Content-Length: 0\r\n\r\n5\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE with trailing space, and CL",
            format!("{put}Transfer-Encoding: chunked \r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE after a tab, and CL",
            format!("{put}Transfer-Encoding:\tchunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE upper case, and CL",
            format!("{put}TRANSFER-ENCODING: CHUNKED\r\nContent-Length: 5\r\n\r\n0\r\n\r\n"),
            400,
        ),
        // RFC 9112 §6.3 item 5: differing or invalid Content-Length is unrecoverable.
        (
            "two differing CL",
            format!("{put}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
            400,
        ),
        (
            "a CL list that differs",
            format!("{put}Content-Length: 5, 6\r\n\r\nhello!"),
            400,
        ),
        (
            "CL with a plus sign",
            format!("{put}Content-Length: +5\r\n\r\nhello"),
            400,
        ),
        (
            "CL with a minus sign",
            format!("{put}Content-Length: -5\r\n\r\nhello"),
            400,
        ),
        (
            "CL in hexadecimal",
            format!("{put}Content-Length: 0x5\r\n\r\nhello"),
            400,
        ),
        (
            "CL with a fraction",
            format!("{put}Content-Length: 5.0\r\n\r\nhello"),
            400,
        ),
        (
            "CL with an exponent",
            format!("{put}Content-Length: 5e0\r\n\r\nhello"),
            400,
        ),
        (
            "CL with inner space",
            format!("{put}Content-Length: 5 5\r\n\r\nhello"),
            400,
        ),
        (
            "empty CL",
            format!("{put}Content-Length: \r\n\r\nhello"),
            400,
        ),
        (
            "CL overflowing 64 bits",
            format!("{put}Content-Length: 99999999999999999999999\r\n\r\nhello"),
            400,
        ),
        // RFC 9112 §6.3 item 4: chunked must be the final coding of a request.
        (
            "TE xchunked",
            format!("{put}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE chunkedx",
            format!("{put}Transfer-Encoding: chunkedx\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE quoted",
            format!("{put}Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE chunked, identity",
            format!("{put}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE identity",
            format!("{put}Transfer-Encoding: identity\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE chunked twice in a list",
            format!("{put}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE chunked in two fields",
            format!("{put}{chunked}{chunked}\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE empty",
            format!("{put}Transfer-Encoding: \r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "TE with a parameter",
            format!("{put}Transfer-Encoding: chunked;q=1\r\n\r\n0\r\n\r\n"),
            400,
        ),
        // RFC 9112 §6.1: a coding this server does not implement, before chunked.
        (
            "TE gzip, chunked",
            format!("{put}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
            501,
        ),
        (
            "TE xchunked, chunked",
            format!("{put}Transfer-Encoding: xchunked, chunked\r\n\r\n0\r\n\r\n"),
            501,
        ),
        // RFC 9112 §6.1: TE in HTTP/1.0 means faulty framing.
        (
            "TE in HTTP/1.0",
            "PUT /x.txt HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
            400,
        ),
        // RFC 9112 §5.1: no whitespace between a field name and its colon.
        (
            "space before the TE colon",
            format!("{put}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "tab before the TE colon",
            format!("{put}Transfer-Encoding\t: chunked\r\n\r\n0\r\n\r\n"),
            400,
        ),
        (
            "space before the CL colon",
            format!("{put}Content-Length : 5\r\n\r\nhello"),
            400,
        ),
        (
            "space before the Host colon",
            "GET /ok.txt HTTP/1.1\r\nHost : t\r\n\r\n".into(),
            400,
        ),
        // RFC 9112 §5.2: obs-fold is refused, also when it would hide a TE.
        (
            "obs-fold",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n".into(),
            400,
        ),
        (
            "obs-fold with a tab",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nX: a\r\n\tfolded\r\n\r\n".into(),
            400,
        ),
        (
            "TE folded",
            format!("{put}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
            400,
        ),
        // RFC 9112 §2.2: whitespace before the first field line.
        (
            "space before the first field",
            "GET /ok.txt HTTP/1.1\r\n Host: t\r\n\r\n".into(),
            400,
        ),
        // RFC 9112 §2.2: bare CR and bare LF.
        (
            "bare CR in a value",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n".into(),
            400,
        ),
        (
            "bare CR ends the request line",
            "GET /ok.txt HTTP/1.1\rHost: t\r\n\r\n".into(),
            400,
        ),
        (
            "bare CR ends a field",
            "GET /ok.txt HTTP/1.1\r\nHost: t\rX: y\r\n\r\n".into(),
            400,
        ),
        (
            "bare LF ends the request line",
            "GET /ok.txt HTTP/1.1\nHost: t\r\n\r\n".into(),
            400,
        ),
        (
            "bare LF ends a field",
            "GET /ok.txt HTTP/1.1\r\nHost: t\nX: y\r\n\r\n".into(),
            400,
        ),
        (
            "bare LF everywhere",
            "GET /ok.txt HTTP/1.1\nHost: t\n\n".into(),
            400,
        ),
        (
            "bare LF ends the head",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\n\n".into(),
            400,
        ),
        (
            "bare LF hides a TE",
            format!("{put}Content-Length: 5\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            400,
        ),
        // RFC 9110 §5.5: NUL and other controls in values; RFC 9110 §5.1: names are tokens.
        (
            "NUL in a value",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n".into(),
            400,
        ),
        (
            "a control byte in a value",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nX: a\x01b\r\n\r\n".into(),
            400,
        ),
        (
            "an empty field name",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\n: x\r\n\r\n".into(),
            400,
        ),
        (
            "a field line without a colon",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n".into(),
            400,
        ),
        (
            "a name that is not a token",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nX(y): z\r\n\r\n".into(),
            400,
        ),
        (
            "a space inside a name",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nTransfer Encoding: chunked\r\n\r\n".into(),
            400,
        ),
        // RFC 9112 §3: the request line.
        (
            "two spaces after the method",
            "GET  /ok.txt HTTP/1.1\r\nHost: t\r\n\r\n".into(),
            400,
        ),
        (
            "a tab between method and target",
            "GET\t/ok.txt HTTP/1.1\r\nHost: t\r\n\r\n".into(),
            400,
        ),
        (
            "a space after the version",
            "GET /ok.txt HTTP/1.1 \r\nHost: t\r\n\r\n".into(),
            400,
        ),
        (
            "a lower-case version",
            "GET /ok.txt http/1.1\r\nHost: t\r\n\r\n".into(),
            400,
        ),
        (
            "a two-digit minor version",
            "GET /ok.txt HTTP/1.10\r\nHost: t\r\n\r\n".into(),
            400,
        ),
        ("HTTP/0.9", "GET /ok.txt\r\n\r\n".into(), 400),
        (
            "HTTP/2.0",
            "GET /ok.txt HTTP/2.0\r\nHost: t\r\n\r\n".into(),
            505,
        ),
        (
            "a method that is not a token",
            "G@T /ok.txt HTTP/1.1\r\nHost: t\r\n\r\n".into(),
            400,
        ),
        (
            "a target with a space",
            "GET /ok .txt HTTP/1.1\r\nHost: t\r\n\r\n".into(),
            400,
        ),
        // RFC 9112 §3.2: exactly one valid Host in HTTP/1.1.
        ("no Host", "GET /ok.txt HTTP/1.1\r\n\r\n".into(), 400),
        (
            "two Hosts",
            "GET /ok.txt HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".into(),
            400,
        ),
        (
            "a Host list",
            "GET /ok.txt HTTP/1.1\r\nHost: a, b\r\n\r\n".into(),
            400,
        ),
        (
            "a Host with a path",
            "GET /ok.txt HTTP/1.1\r\nHost: a/b\r\n\r\n".into(),
            400,
        ),
        // RFC 9112 §7.1: chunk-size = 1*HEXDIG, and the data is followed by CRLF.
        (
            "a chunk size that is not hex",
            format!("{put}{chunked}\r\nzz\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "a negative chunk size",
            format!("{put}{chunked}\r\n-5\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "a chunk size with a plus",
            format!("{put}{chunked}\r\n+5\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "a chunk size with 0x",
            format!("{put}{chunked}\r\n0x5\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "a chunk size after a space",
            format!("{put}{chunked}\r\n 5\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "an empty chunk size",
            format!("{put}{chunked}\r\n\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "a chunk size overflowing 64 bits",
            format!("{put}{chunked}\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "more chunk data than declared",
            format!("{put}{chunked}\r\n5\r\nhelloXX\r\n0\r\n\r\n"),
            400,
        ),
        (
            "less chunk data than declared",
            format!("{put}{chunked}\r\n5\r\nhel\r\n0\r\n\r\n"),
            400,
        ),
        (
            "a bare LF after a chunk size",
            format!("{put}{chunked}\r\n5\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "a bare LF after chunk data",
            format!("{put}{chunked}\r\n5\r\nhello\n0\r\n\r\n"),
            400,
        ),
        (
            "a bare CR in a chunk extension",
            format!("{put}{chunked}\r\n5;a\rb\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "a chunk extension without a name",
            format!("{put}{chunked}\r\n5;\r\nhello\r\n0\r\n\r\n"),
            400,
        ),
        (
            "obs-fold in the trailers",
            format!("{put}{chunked}\r\n5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n"),
            400,
        ),
        (
            "a bare LF in the trailers",
            format!("{put}{chunked}\r\n5\r\nhello\r\n0\r\nX: a\n\r\n"),
            400,
        ),
        // RFC 9112 §2.2: not HTTP at all.
        (
            "a TLS client hello",
            "\x16\x03\x01\x02\x00\x01\x00\x01\x7c\x03\x03 not http\r\n\r\n".into(),
            400,
        ),
    ];
    // RFC 9110 §15.5.14: a declared length beyond --max-upload (1 GiB) is refused at once.
    cases.push((
        "CL beyond the upload limit",
        format!("{put}Content-Length: 2000000000\r\n\r\nhello"),
        413,
    ));
    cases
}

#[test]
fn smuggling_shapes_get_their_status_and_the_connection_closed() {
    let sb = Sandbox::new(&["--quiet"]);
    let mut wrong = Vec::new();
    for (what, request, status) in smuggling_cases() {
        let (response, closed) = sb.raw(format!("{request}{SMUGGLED}").as_bytes());
        let first_line = response.lines().next().unwrap_or("").to_string();
        if !first_line.starts_with(&format!("HTTP/1.1 {status} ")) {
            wrong.push(format!("{what}: expected {status}, got {first_line:?}"));
        }
        assert!(closed, "{what}: the connection was left open");
        assert_eq!(
            response.matches("HTTP/1.1 ").count(),
            1,
            "{what}: more than one response: {response:?}"
        );
        sb.assert_unharmed(what, &response);
        assert!(!sb.server.file("x.txt").exists(), "{what}: x.txt written");
    }
    assert!(wrong.is_empty(), "wrong statuses:\n{}", wrong.join("\n"));
}

/// The forms RFC 9110 §5.5 and §5.6.1 say are the same as plain `chunked` (trailing OWS is
/// not part of a value, codings are case-insensitive): read as chunked, so the request
/// behind them is a request of its own, answered in turn, never part of a body.
#[test]
fn equivalent_chunked_spellings_frame_the_body_the_same_way() {
    let sb = Sandbox::new(&["--quiet"]);
    let spellings = [
        "Transfer-Encoding: chunked",
        "Transfer-Encoding: chunked ",
        "Transfer-Encoding:\tchunked",
        "Transfer-Encoding:chunked",
        "transfer-encoding: CHUNKED",
        "Transfer-Encoding: Chunked\t ",
    ];
    for (i, te) in spellings.iter().enumerate() {
        let name = format!("te-{i}.txt");
        let request = format!(
            "PUT /{name} HTTP/1.1\r\nHost: t\r\n{te}\r\n\r\n5\r\nhello\r\n0\r\n\r\n\
             GET /{name} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        );
        let (response, closed) = sb.raw(request.as_bytes());
        assert!(closed);
        assert!(
            response.starts_with("HTTP/1.1 201 "),
            "{te:?}: {response:?}"
        );
        assert_eq!(
            response.matches("HTTP/1.1 ").count(),
            2,
            "{te:?}: {response:?}"
        );
        assert!(response.ends_with("\r\n\r\nhello"), "{te:?}: {response:?}");
        assert_eq!(std::fs::read(sb.server.file(&name)).unwrap(), b"hello");
        sb.assert_unharmed(te, &response);
    }
}

#[test]
fn oversized_request_lines_and_heads_are_refused() {
    let sb = Sandbox::new(&["--quiet"]);
    // Limits::default(): request line 8 KiB (CRLF included), head 64 KiB, 100 fields.
    let line = |n: usize| format!("GET /{} HTTP/1.1\r\n", "a".repeat(n));
    assert_eq!(line(8176).len(), 8192);
    let fits = format!("{}Host: t\r\nConnection: close\r\n\r\n", line(8176));
    let over = format!("{}Host: t\r\nConnection: close\r\n\r\n", line(8177));
    let fields = |n: usize| -> String { (1..n).map(|i| format!("X-{i}: v\r\n")).collect() };
    let cases: Vec<(&str, String, u16)> = vec![
        // At the limit the request is read (the file does not exist).
        ("a request line of exactly 8 KiB", fits, 404),
        ("a request line one byte over", over, 414),
        (
            "a huge request line",
            format!("{}Host: t\r\n\r\n", line(100_000)),
            414,
        ),
        (
            "a request line that never ends",
            format!("GET /{}", "a".repeat(20_000)),
            414,
        ),
        (
            "a huge header section",
            format!(
                "GET /ok.txt HTTP/1.1\r\nHost: t\r\n{}\r\n",
                "X-Pad: 0123456789abcdef0123456789abcdef\r\n".repeat(2000)
            ),
            431,
        ),
        (
            "one huge field",
            format!(
                "GET /ok.txt HTTP/1.1\r\nHost: t\r\nX-Big: {}\r\n\r\n",
                "b".repeat(70_000)
            ),
            431,
        ),
        (
            "a header section that never ends",
            format!(
                "GET /ok.txt HTTP/1.1\r\nHost: t\r\n{}",
                "X-Pad: 0123456789abcdef\r\n".repeat(4000)
            ),
            431,
        ),
        (
            "100 fields",
            format!(
                "GET /ok.txt HTTP/1.1\r\nHost: t\r\n{}Connection: close\r\n\r\n",
                fields(99)
            ),
            200,
        ),
        (
            "101 fields",
            format!(
                "GET /ok.txt HTTP/1.1\r\nHost: t\r\n{}Connection: close\r\n\r\n",
                fields(100)
            ),
            431,
        ),
        (
            "10,000 tiny fields",
            format!(
                "GET /ok.txt HTTP/1.1\r\nHost: t\r\n{}\r\n",
                "a:\r\n".repeat(10_000)
            ),
            431,
        ),
    ];
    for (what, request, status) in cases {
        let started = Instant::now();
        let (response, closed) = sb.raw(request.as_bytes());
        assert!(
            response.starts_with(&format!("HTTP/1.1 {status} ")),
            "{what}: expected {status}, got {:?}",
            response.lines().next()
        );
        assert!(closed, "{what}: the connection was left open");
        // Refused as soon as the limit is passed, not after the header timeout.
        assert!(started.elapsed() < Duration::from_secs(5), "{what}");
        sb.assert_unharmed(what, &response);
    }
}

/// Targets that try to leave the root, with the status GET, HEAD, PUT and DELETE earn.
/// The core refuses escapes in the target (400); the server refuses symlinks that lead out
/// of the root (403). Escapes aim at the sandbox's own canaries (`base` is its absolute
/// path), never at files of the machine running the test.
fn escape_cases(base: &str) -> Vec<(String, u16)> {
    let fixed = [
        ("/../canary.txt", 400),
        ("/%2e%2e/canary.txt", 400),
        ("/%2E%2e/canary.txt", 400),
        ("/.%2e/canary.txt", 400),
        ("/%2e./canary.txt", 400),
        ("/..%2fcanary.txt", 400),
        ("/%2e%2e%2fcanary.txt", 400),
        ("/%2e%2e%2Fcanary.txt", 400),
        ("/..%5ccanary.txt", 400),
        ("/%5c..%5ccanary.txt", 400),
        ("/%5C%2e%2e%5Ccanary.txt", 400),
        ("/..\\canary.txt", 400),
        ("/ok.txt%00", 400),
        ("/ok.txt%00.png", 400),
        ("/%00/../canary.txt", 400),
        ("/%c0%ae%c0%ae/canary.txt", 400),
        ("/%c0%ae%c0%ae%c0%afcanary.txt", 400),
        ("/%e0%80%ae%e0%80%ae/canary.txt", 400),
        ("/%c1%9c..%c1%9ccanary.txt", 400),
        ("/%c0%2e%c0%2e/canary.txt", 400),
        ("/%ff/../canary.txt", 400),
        ("/%2/canary.txt", 400),
        ("/a/../../canary.txt", 400),
        ("/./../canary.txt", 400),
        ("//../canary.txt", 400),
        ("/ok.txt/../../canary.txt", 400),
        ("/..", 400),
        ("/%2e%2e", 400),
        ("../canary.txt", 400),
        ("canary.txt", 400),
        ("http://t/../canary.txt", 400),
        ("http://t/%2e%2e/canary.txt", 400),
        ("http://t/a/%2e%2e/%2e%2e/canary.txt", 400),
        ("//t/../canary.txt", 400),
        // Symlinks inside the root that lead out of it.
        ("/out/secret.txt", 403),
        ("/rel/secret.txt", 403),
        ("/up/canary.txt", 403),
        ("/up/outside/secret.txt", 403),
        ("/deep/down/secret.txt", 403),
        ("/leak.txt", 403),
        ("/dangle", 403),
        ("/loop", 403),
        ("/loop/x", 403),
        ("http://t/out/secret.txt", 403),
        ("/out/../up/canary.txt", 400),
    ];
    let mut cases: Vec<(String, u16)> = fixed.iter().map(|(t, s)| (t.to_string(), *s)).collect();
    cases.extend([
        (format!("/../../../../../../../..{base}/canary.txt"), 400),
        (format!("file://{base}/canary.txt"), 400),
        (format!("/slash{base}/canary.txt"), 403),
        (format!("/slash{base}/outside/secret.txt"), 403),
    ]);
    cases
}

fn request(method: &str, target: &str) -> String {
    let body = if method == "PUT" {
        "Content-Length: 5\r\n\r\nowned"
    } else {
        "\r\n"
    };
    format!("{method} {target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{body}")
}

#[test]
fn no_target_leaves_the_root() {
    let sb = Sandbox::new(&["--quiet"]);
    let mut wrong = Vec::new();
    let base = sb.base.path().to_str().unwrap().to_string();
    for (target, status) in escape_cases(&base) {
        for method in ["GET", "HEAD", "PUT", "DELETE"] {
            let what = format!("{method} {target}");
            let (response, closed) = sb.raw(request(method, &target).as_bytes());
            let first_line = response.lines().next().unwrap_or("").to_string();
            if !first_line.starts_with(&format!("HTTP/1.1 {status} ")) {
                wrong.push(format!("{what}: expected {status}, got {first_line:?}"));
            }
            assert!(closed, "{what}: no close after Connection: close");
            sb.assert_unharmed(&what, &response);
        }
    }
    // Writes through symlinks that lead out, to files that do not exist yet.
    for target in [
        "/out/new.txt".to_string(),
        "/rel/new.txt".into(),
        "/up/new.txt".into(),
        "/out/sub/dir/new.txt".into(),
        "/deep/down/new.txt".into(),
        format!("/slash{base}/new.txt"),
    ] {
        let what = format!("PUT {target}");
        let (response, _) = sb.raw(request("PUT", &target).as_bytes());
        if !response.starts_with("HTTP/1.1 403 ") {
            wrong.push(format!(
                "{what}: expected 403, got {:?}",
                response.lines().next()
            ));
        }
        sb.assert_unharmed(&what, &response);
    }
    assert!(wrong.is_empty(), "wrong statuses:\n{}", wrong.join("\n"));

    // The listing of the root shows no link out and no canary.
    let listing = sb.server.get("/");
    let page = String::from_utf8_lossy(&listing.body);
    assert_eq!(listing.status, 200);
    assert!(!page.contains(CANARY));
    assert!(
        page.contains("ok.txt") && !page.contains("leak.txt"),
        "{page}"
    );
    // Links that stay inside the root still work.
    std::os::unix::fs::symlink("in.txt", sb.server.file("alias.txt")).unwrap();
    assert_eq!(sb.server.get("/alias.txt").body, b"inside");
}

/// Escapes that decode to harmless literal names stay inside the root: `%252e%252e` is
/// the name `%2e%2e`, not `..`.
#[test]
fn double_encoded_dots_are_literal_names_inside_the_root() {
    let sb = Sandbox::new(&["--quiet"]);
    let target = "/%252e%252e/canary.txt";
    let (response, _) = sb.raw(request("GET", target).as_bytes());
    assert!(response.starts_with("HTTP/1.1 404 "), "{response:?}");
    let (response, _) = sb.raw(request("PUT", target).as_bytes());
    assert!(response.starts_with("HTTP/1.1 201 "), "{response:?}");
    assert_eq!(
        std::fs::read(sb.server.file("%2e%2e/canary.txt")).unwrap(),
        b"owned"
    );
    sb.assert_unharmed("PUT %252e%252e", &response);
    let (response, _) = sb.raw(request("DELETE", target).as_bytes());
    assert!(response.starts_with("HTTP/1.1 204 "), "{response:?}");
    sb.assert_unharmed("DELETE %252e%252e", &response);
}

/// A body the server does not read (the request is refused, or its method takes no body)
/// is never read as the next request: the server closes instead. The hidden request
/// carries the credentials, so it would succeed if it ran.
#[test]
fn unread_bodies_are_never_taken_for_requests() {
    let sb = Sandbox::new(&["--quiet", "--auth", "u:p", "--max-upload", "1M"]);
    // "u:p" in base64.
    let hidden = "DELETE /victim.txt HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\n\r\n";
    let n = hidden.len();
    let chunked = format!("{n:x}\r\n{hidden}\r\n0\r\n\r\n");
    let cases: Vec<(&str, String, u16)> = vec![
        ("GET with a body", format!("GET /ok.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n{hidden}"), 200),
        ("GET with a chunked body", format!("GET /ok.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}"), 200),
        ("HEAD with a body", format!("HEAD /ok.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n{hidden}"), 200),
        ("OPTIONS with a body", format!("OPTIONS /ok.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n{hidden}"), 204),
        ("POST (405) with a body", format!("POST /ok.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n{hidden}"), 405),
        ("PUT without credentials", format!("PUT /new.txt HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n{hidden}"), 401),
        ("PUT without credentials, chunked", format!("PUT /new.txt HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n{chunked}"), 401),
        ("PUT without credentials, 100-continue", format!("PUT /new.txt HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: {n}\r\n\r\n{hidden}"), 401),
        ("PUT with wrong credentials", format!("PUT /new.txt HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTp4\r\nContent-Length: {n}\r\n\r\n{hidden}"), 401),
        ("PUT over --max-upload", format!("PUT /new.txt HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\nContent-Length: 2000000\r\n\r\n{hidden}"), 413),
        ("PUT with an unknown expectation", format!("PUT /new.txt HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\nExpect: nothing\r\nContent-Length: {n}\r\n\r\n{hidden}"), 417),
        ("PUT to a directory", format!("PUT /deep/ HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\nContent-Length: {n}\r\n\r\n{hidden}"), 409),
        ("DELETE with a body", format!("DELETE /missing HTTP/1.1\r\nHost: t\r\nAuthorization: Basic dTpw\r\nContent-Length: {n}\r\n\r\n{hidden}"), 404),
        ("a bad target with a body", format!("GET /../x HTTP/1.1\r\nHost: t\r\nContent-Length: {n}\r\n\r\n{hidden}"), 400),
    ];
    for (what, request, status) in cases {
        let (response, closed) = sb.raw(request.as_bytes());
        let interim = response.starts_with("HTTP/1.1 100 ");
        assert!(
            response.contains(&format!("HTTP/1.1 {status} ")),
            "{what}: expected {status}, got {response:?}"
        );
        assert_eq!(
            response.matches("HTTP/1.1 ").count(),
            1 + usize::from(interim),
            "{what}: {response:?}"
        );
        assert!(closed, "{what}: the connection was left open");
        sb.assert_unharmed(what, &response);
        assert!(!sb.server.file("new.txt").exists(), "{what}");
    }
}

/// A client that pipelines requests without ever reading the responses cannot make the
/// server buffer without bound: it stops reading, and others are still served.
#[test]
fn a_client_that_never_reads_cannot_grow_the_server() {
    let sb = Sandbox::new(&["--quiet"]);
    std::fs::write(sb.server.file("big.bin"), vec![b'b'; 64 * 1024]).unwrap();
    assert_eq!(sb.server.get("/big.bin").status, 200);
    let rss_before = sb.server.rss_kib();
    let mut sock = sb.server.connect();
    sock.set_write_timeout(Some(Duration::from_secs(2)))
        .unwrap();
    let batch = "GET /big.bin HTTP/1.1\r\nHost: t\r\n\r\n".repeat(1000);
    let started = Instant::now();
    let mut sent = 0usize;
    while started.elapsed() < Duration::from_secs(4) {
        match sock.write_all(batch.as_bytes()) {
            Ok(()) => sent += batch.len(),
            // The server stopped reading: the write blocks until its timeout.
            Err(_) => break,
        }
    }
    let rss_after = sb.server.rss_kib();
    eprintln!(
        "{} KiB of requests accepted before the server stopped reading; RSS {rss_before} -> {rss_after} KiB",
        sent / 1024
    );
    assert!(
        sent < 64 << 20,
        "the server read {sent} bytes of requests unanswered"
    );
    assert!(
        rss_after < rss_before + 16 * 1024,
        "RSS grew from {rss_before} to {rss_after} KiB"
    );
    // Meanwhile others are served.
    sb.assert_unharmed("a client that never reads", "");
    drop(sock);
}

/// After a request that ends the connection (`Connection: close`, HTTP/1.0 without
/// keep-alive), bytes that follow are never run as a request.
#[test]
fn nothing_runs_after_the_last_request_of_a_connection() {
    let sb = Sandbox::new(&["--quiet"]);
    let cases: &[(&str, &str)] = &[
        (
            "Connection: close",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ),
        (
            "close among other options",
            "GET /ok.txt HTTP/1.1\r\nHost: t\r\nConnection: keep-alive, close\r\n\r\n",
        ),
        (
            "HEAD with Connection: close",
            "HEAD /ok.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        ),
        ("HTTP/1.0", "GET /ok.txt HTTP/1.0\r\n\r\n"),
        (
            "HTTP/1.0 PUT",
            "PUT /p.txt HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi",
        ),
        (
            "PUT with Connection: close",
            "PUT /p.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi",
        ),
    ];
    for (what, request) in cases {
        let (response, closed) = sb.raw(format!("{request}{SMUGGLED}").as_bytes());
        assert!(closed, "{what}: the connection was left open");
        assert_eq!(
            response.matches("HTTP/1.").count(),
            1,
            "{what}: {response:?}"
        );
        sb.assert_unharmed(what, &response);
    }
}

/// --max-upload holds for chunked uploads too, whose size is only known as they arrive:
/// 413 once the chunks pass it, the previous version intact, no temporary left.
#[test]
fn chunked_uploads_cannot_pass_the_upload_limit() {
    let sb = Sandbox::new(&["--quiet", "--max-upload", "1M"]);
    std::fs::write(sb.server.file("kept.bin"), "old version").unwrap();
    for target in ["/kept.bin", "/new.bin", "/new/dir/deep.bin"] {
        let mut sock = sb.server.connect();
        write!(
            sock,
            "PUT {target} HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        .unwrap();
        let chunk = [b'c'; 64 * 1024];
        let mut writer = sock.try_clone().unwrap();
        let feeder = std::thread::spawn(move || {
            // 2 MiB in 64 KiB chunks; the server stops reading at the limit.
            for _ in 0..32 {
                if write!(writer, "{:x}\r\n", chunk.len())
                    .and_then(|()| writer.write_all(&chunk))
                    .and_then(|()| writer.write_all(b"\r\n"))
                    .is_err()
                {
                    return;
                }
            }
            let _ = writer.write_all(b"0\r\n\r\n");
        });
        let (response, closed) = read_until_close(&mut sock);
        let response = String::from_utf8_lossy(&response).into_owned();
        feeder.join().unwrap();
        assert!(
            response.starts_with("HTTP/1.1 413 "),
            "{target}: {response:?}"
        );
        assert!(closed, "{target}");
        sb.assert_unharmed(target, &response);
    }
    assert_eq!(
        std::fs::read(sb.server.file("kept.bin")).unwrap(),
        b"old version"
    );
    assert!(!sb.server.file("new.bin").exists());
    assert!(!sb.server.file("new").exists());
}
