//! simple-client's request bodies and credentials against real peers: `-d`,
//! `--data-binary`, `--json`, `-G`, `-F` received by a Python `http.server` handler (and
//! `-F` parsed there by Python's `email` package), `-u` and netrc against
//! `simple-server --auth`.

use simplehttp_tests::client_util::{
    client, client_bin, header_value, pattern, Peer, RawServer, TempDir,
};
use simplehttp_tests::server_util::Server;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A Python handler that answers every request with what it received, one `key value`
/// line each (values hex-encoded): method, path, each header, the body (de-chunked), and
/// for multipart/form-data each part as Python's `email` parser sees it.
const ECHO: &str = r#"
import sys, http.server, email.parser, email.policy
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            out = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""): pass
                    return out, "chunked"
                out += self.rfile.read(size)
                self.rfile.readline()
        n = self.headers.get("Content-Length")
        return (self.rfile.read(int(n)) if n is not None else b""), ("length" if n is not None else "none")
    def any(self):
        body, framing = self.body()
        lines = [("method", self.command.encode()), ("path", self.path.encode()), ("framing", framing.encode())]
        for k, v in self.headers.items():
            lines.append(("h:" + k.lower(), v.encode("latin-1")))
        lines.append(("body", body))
        ctype = self.headers.get("Content-Type", "")
        if ctype.startswith("multipart/form-data"):
            msg = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                b"Content-Type: " + ctype.encode() + b"\r\n\r\n" + body)
            lines.append(("defects", str(len(msg.defects)).encode()))
            for i, p in enumerate(msg.iter_parts()):
                cd = p.get("Content-Disposition")
                lines.append(("part%d.name" % i, (cd.params.get("name") or "").encode()))
                fn = cd.params.get("filename")
                if fn is not None:
                    lines.append(("part%d.filename" % i, fn.encode()))
                if "Content-Type" in p:
                    lines.append(("part%d.type" % i, p.get_content_type().encode()))
                lines.append(("part%d.data" % i, p.get_payload(decode=True)))
                lines.append(("part%d.defects" % i, str(len(p.defects)).encode()))
        out = b"".join(k.encode() + b" " + v.hex().encode() + b"\n" for k, v in lines)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)
    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = any
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
"#;

/// The echo handler on a free loopback port.
fn echo_server(work: &TempDir) -> Peer {
    let script = work.join("echo.py");
    std::fs::write(&script, ECHO).expect("write echo.py");
    Peer::spawn("python3 echo.py", |port| {
        Command::new("python3")
            .arg(&script)
            .arg(port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("python3 must be installed to run these tests")
    })
}

/// What the echo handler saw: each key with its values, in order.
struct Seen(HashMap<String, Vec<Vec<u8>>>);

impl Seen {
    fn parse(stdout: &[u8]) -> Seen {
        let mut map: HashMap<String, Vec<Vec<u8>>> = HashMap::new();
        for line in String::from_utf8_lossy(stdout).lines() {
            let (k, hex) = line.split_once(' ').unwrap_or((line, ""));
            let bytes = (0..hex.len() / 2)
                .map(|i| u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex"))
                .collect();
            map.entry(k.to_string()).or_default().push(bytes);
        }
        Seen(map)
    }
    fn get(&self, key: &str) -> Option<&[u8]> {
        self.0.get(key).and_then(|v| v.first()).map(Vec::as_slice)
    }
    #[track_caller]
    fn text(&self, key: &str) -> String {
        String::from_utf8_lossy(
            self.get(key)
                .unwrap_or_else(|| panic!("no {key} in {:?}", self.0.keys())),
        )
        .into_owned()
    }
}

fn run_echo(args: &[&str]) -> Seen {
    let run = client(args).run();
    run.assert_code(0);
    Seen::parse(&run.stdout)
}

#[test]
fn data_flags_send_curls_bytes() {
    let work = TempDir::new("creq-data");
    let echo = echo_server(&work);
    let url = echo.url("/form");
    let lines = work.join("lines.txt");
    std::fs::write(&lines, b"x=1\r\ny=2\n\nz=3\r\n").unwrap();
    let mut binary = pattern(100_000, 3);
    binary.extend_from_slice(b"\r\n\0\r\n");
    let bin = work.join("blob.bin");
    std::fs::write(&bin, &binary).unwrap();
    let at = |p: &std::path::Path| format!("@{}", p.display());

    // -d pieces join with '&' in the order typed, whichever flag gave them; -d @FILE
    // loses its CR and LF, --data-binary @FILE is exact, --data-raw never reads a file.
    let seen = run_echo(&[
        "-d",
        "a=1 b",
        "--data-binary",
        &at(&bin),
        "-d",
        &at(&lines),
        "--data-raw",
        "@not-a-file",
        &url,
    ]);
    assert_eq!(seen.text("method"), "POST");
    assert_eq!(seen.text("framing"), "length");
    assert_eq!(
        seen.text("h:content-type"),
        "application/x-www-form-urlencoded"
    );
    assert_eq!(seen.text("h:accept"), "*/*");
    let mut want = b"a=1 b&".to_vec();
    want.extend_from_slice(&binary);
    want.extend_from_slice(b"&x=1y=2z=3&@not-a-file");
    assert!(seen.get("body") == Some(&want[..]), "body differs");
    assert_eq!(seen.text("h:content-length"), want.len().to_string());

    // -X overrides the method, -H the content type.
    let seen = run_echo(&[
        "-X",
        "PUT",
        "-H",
        "Content-Type: text/plain",
        "-d",
        "q",
        &url,
    ]);
    assert_eq!(
        (
            seen.text("method"),
            seen.text("h:content-type"),
            seen.text("body")
        ),
        ("PUT".into(), "text/plain".into(), "q".into())
    );

    // @- is stdin, sent chunked; -d strips its line breaks.
    let run = client(["-d", "@-", "-d", "end", url.as_str()])
        .stdin(b"one\ntwo\r\n".to_vec())
        .run();
    run.assert_code(0);
    let seen = Seen::parse(&run.stdout);
    assert_eq!(seen.text("framing"), "chunked");
    assert_eq!(seen.text("body"), "onetwo&end");
}

#[test]
fn json_sets_its_fields_unless_given() {
    let work = TempDir::new("creq-json");
    let echo = echo_server(&work);
    let url = echo.url("/api");
    let file = work.join("j.json");
    std::fs::write(&file, b"\"b\": [1,\r\n 2]}\n").unwrap();
    let seen = run_echo(&[
        "--json",
        "{\"a\": 1, ",
        "--json",
        &format!("@{}", file.display()),
        &url,
    ]);
    assert_eq!(seen.text("method"), "POST");
    assert_eq!(seen.text("h:content-type"), "application/json");
    assert_eq!(seen.text("h:accept"), "application/json");
    assert_eq!(seen.text("body"), "{\"a\": 1, \"b\": [1,\r\n 2]}\n");

    let seen = run_echo(&[
        "--json",
        "[]",
        "-H",
        "Accept: text/plain",
        "-H",
        "Content-Type: application/vnd.x+json",
        &url,
    ]);
    assert_eq!(seen.text("h:accept"), "text/plain");
    assert_eq!(seen.text("h:content-type"), "application/vnd.x+json");
    assert_eq!(seen.0["h:accept"].len(), 1, "one Accept field");
}

#[test]
fn get_puts_the_data_in_the_query() {
    let work = TempDir::new("creq-get");
    let echo = echo_server(&work);
    let seen = run_echo(&["-G", "-d", "a=1", "-d", "b=x y", &echo.url("/q")]);
    assert_eq!(seen.text("method"), "GET");
    assert_eq!(seen.text("path"), "/q?a=1&b=x%20y");
    assert_eq!(seen.text("framing"), "none");
    assert_eq!(seen.text("body"), "");
    let seen = run_echo(&["-G", "--data-raw", "c=%41", &echo.url("/q?z=0")]);
    assert_eq!(seen.text("path"), "/q?z=0&c=%41");
    // -X still names the method.
    let seen = run_echo(&["-G", "-X", "DELETE", "-d", "id=7", &echo.url("/q")]);
    assert_eq!(
        (seen.text("method"), seen.text("path")),
        ("DELETE".into(), "/q?id=7".into())
    );
}

#[test]
fn a_large_data_file_is_streamed_with_its_length() {
    let work = TempDir::new("creq-large");
    let echo = echo_server(&work);
    let data = pattern(24 << 20, 11);
    let file = work.join("big.bin");
    std::fs::write(&file, &data).unwrap();
    let seen = run_echo(&[
        "--data-binary",
        &format!("@{}", file.display()),
        &echo.url("/big"),
    ]);
    assert_eq!(seen.text("framing"), "length");
    assert_eq!(seen.text("h:content-length"), data.len().to_string());
    assert!(seen.get("body") == Some(&data[..]), "body differs");
}

#[test]
fn conflicting_bodies_are_one_line_usage_errors() {
    let work = TempDir::new("creq-usage");
    let f = work.join("f");
    std::fs::write(&f, b"x").unwrap();
    let f = f.to_str().unwrap();
    for (args, why) in [
        (
            &["-d", "x", "-T", f][..],
            "-d and -T both give the request body: use one",
        ),
        (&["-G", "-T", f], "-G and -T cannot be combined"),
        (
            &["--json", "1", "-d", "x"],
            "--json cannot be combined with -d",
        ),
        (
            &["-d", "@-", "--data-binary", "@-"],
            "stdin (@-) can be read only once",
        ),
        (&["-F", "a=b", "-d", "x"], "-F cannot be combined with -d"),
        (&["-F", "a=b", "-T", f], "-F cannot be combined with -T"),
        (&["-F", "a=b", "-G"], "-F cannot be combined with -G"),
        (
            &["-F", "a=@-", "-F", "b=<-"],
            "stdin (@-) can be read only once",
        ),
        (
            &["-F", "novalue"],
            "-F wants name=value, name=@FILE or name=<FILE, not \"novalue\"",
        ),
        (
            &[
                "-F",
                "a=b",
                "-H",
                "Content-Type: multipart/form-data; boundary=x",
            ],
            "-F chooses the multipart boundary: give -H Content-Type without one",
        ),
    ] {
        let mut argv = args.to_vec();
        argv.push("http://127.0.0.1:9/");
        let run = client(&argv).run();
        run.assert_code(2);
        assert_eq!(run.stderr, format!("simple-client: {why}\n"), "{args:?}");
    }
    let run = client(["-d", "@/nonexistent/file", "http://127.0.0.1:9/"]).run();
    run.assert_code(1);
    assert_eq!(
        run.stderr,
        "simple-client: cannot read /nonexistent/file: No such file or directory (os error 2)\n"
    );
}

fn put_file(work: &TempDir) -> String {
    let f = work.join("up.txt");
    std::fs::write(&f, b"hello, authorized\n").unwrap();
    f.display().to_string()
}

#[test]
fn user_logs_in_to_simple_server() {
    let server = Server::start(&["--auth", "alice:s3cret"]);
    let work = TempDir::new("creq-auth");
    let f = put_file(&work);
    let url = server.url("/up.txt");
    client(["-T", &f, &url]).run().assert_code(8);
    client(["-u", "alice:wrong", "-T", &f, &url])
        .run()
        .assert_code(8);
    assert!(!server.file("up.txt").exists());
    client(["-u", "alice:s3cret", "-T", &f, &url])
        .run()
        .assert_code(0);
    assert_eq!(
        std::fs::read(server.file("up.txt")).unwrap(),
        b"hello, authorized\n"
    );

    // Only USER, and no terminal to ask on (setsid: no controlling terminal).
    let out = Command::new("setsid")
        .arg("-w")
        .arg(client_bin())
        .args(["-u", "alice", "-T", &f, &url])
        .stdin(Stdio::null())
        .output()
        .expect("setsid (util-linux)");
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "simple-client: -u alice: no password given and no terminal to ask for it on; \
         give -u USER:PASSWORD or use a netrc file (-n)\n"
    );
}

#[test]
fn the_password_is_asked_for_on_the_terminal_without_echo() {
    let server = RawServer::one(|mut s, head| {
        let ok = header_value(&head, "authorization").as_deref() == Some("Basic YWxpY2U6czNjcmV0");
        let reply: &[u8] = if ok {
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nin\n"
        } else {
            b"HTTP/1.1 401 No\r\nContent-Length: 0\r\n\r\n"
        };
        s.write_all(reply).unwrap();
    });
    let cmd = format!(
        "'{}' -u alice '{}'",
        client_bin().display(),
        server.url("/")
    );
    let mut child = Command::new("timeout")
        .args(["60", "script", "-qec", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("script (util-linux)");
    let mut out = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut byte = [0u8; 1];
    // Type the password only once the prompt (and so the echo-less terminal) is there.
    while !String::from_utf8_lossy(&seen).contains("at 127.0.0.1: ") {
        assert_eq!(
            out.read(&mut byte).expect("read the terminal"),
            1,
            "{seen:?}"
        );
        seen.push(byte[0]);
    }
    child.stdin.take().unwrap().write_all(b"s3cret\n").unwrap();
    out.read_to_end(&mut seen).unwrap();
    let status = child.wait().unwrap();
    let text = String::from_utf8_lossy(&seen);
    assert!(status.success(), "{text}");
    assert!(
        text.starts_with("Enter the password for alice at 127.0.0.1: "),
        "{text}"
    );
    assert!(
        !text.contains("s3cret"),
        "the password was echoed: {text:?}"
    );
    assert!(text.ends_with("in\r\n"), "{text:?}");
    server.finish();
}

#[test]
fn the_password_is_hidden_from_ps() {
    let (got, wait) = std::sync::mpsc::channel::<()>();
    let (go, proceed) = std::sync::mpsc::channel::<()>();
    let server = RawServer::one(move |mut s, _| {
        got.send(()).unwrap();
        let _ = proceed.recv_timeout(Duration::from_secs(30));
        s.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
    });
    let mut child = client(["-su", "alice:pw-secret-1", &server.url("/")]).spawn();
    wait.recv_timeout(Duration::from_secs(30)).expect("request");
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.id())).unwrap();
    go.send(()).unwrap();
    let status = child.wait().unwrap();
    let shown = String::from_utf8_lossy(&cmdline).replace('\0', " ");
    assert!(shown.contains("-su alice:*********** "), "{shown}");
    assert!(!shown.contains("pw-secret"), "{shown}");
    assert!(status.success());
    server.finish();
}

#[test]
fn netrc_gives_the_credentials() {
    use std::os::unix::fs::PermissionsExt as _;
    let server = Server::start(&["--auth", "alice:s3cret"]);
    let work = TempDir::new("creq-netrc");
    let f = put_file(&work);
    let url = server.url("/up.txt");
    let home = TempDir::new("creq-home");
    let netrc = home.join(".netrc");
    std::fs::write(
        &netrc,
        "machine example.org login alice password nope\n\
         machine 127.0.0.1 login bob password nope\n\
         machine 127.0.0.1\n  login alice\n  password s3cret\n",
    )
    .unwrap();
    std::fs::set_permissions(&netrc, std::fs::Permissions::from_mode(0o600)).unwrap();
    let with_home = |args: &[&str]| client(args).env("HOME", home.path()).run();
    with_home(&["-T", &f, &url]).assert_code(8);
    // The host's first entry (bob's), or with -u USER that login's; -u's password wins.
    with_home(&["-n", "-T", &f, &url]).assert_code(8);
    assert!(!server.file("up.txt").exists());
    with_home(&["-n", "-u", "alice", "-T", &f, &url]).assert_code(0);
    assert!(server.file("up.txt").exists());
    with_home(&["-n", "-u", "alice:bad", "-T", &f, &server.url("/c.txt")]).assert_code(8);
    assert!(!server.file("c.txt").exists());

    let other = work.join("other-netrc");
    std::fs::write(&other, "default login alice password s3cret\n").unwrap();
    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o600)).unwrap();
    let other_s = other.display().to_string();
    with_home(&["--netrc-file", &other_s, "-T", &f, &server.url("/d.txt")]).assert_code(0);

    std::fs::set_permissions(&other, std::fs::Permissions::from_mode(0o640)).unwrap();
    let run = with_home(&["--netrc-file", &other_s, "-T", &f, &url]);
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        format!(
            "simple-client: the netrc file {other_s} is open to other users (mode 0640); \
             run chmod 600 {other_s}\n"
        )
    );
    std::fs::remove_file(&netrc).unwrap();
    with_home(&["--netrc-optional", "-T", &f, &url]).assert_code(8);
    let run = with_home(&["-n", "-T", &f, &url]);
    run.assert_code(1);
    assert!(
        run.stderr
            .starts_with("simple-client: cannot read the netrc file "),
        "{}",
        run.stderr
    );
}

#[test]
fn credentials_stay_with_the_first_origin() {
    for trusted in [false, true] {
        let second = RawServer::one(|mut s, _| {
            s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
                .unwrap();
        });
        let location = second.url("/there");
        let first = RawServer::one(move |mut s, _| {
            let reply =
                format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
            s.write_all(reply.as_bytes()).unwrap();
        });
        let flag = if trusted { "--location-trusted" } else { "-L" };
        client([flag, "-u", "alice:s3cret", &first.url("/here")])
            .run()
            .assert_code(0);
        let auth = |heads: Vec<Vec<u8>>| header_value(&heads[0], "authorization");
        assert_eq!(
            auth(first.finish()).as_deref(),
            Some("Basic YWxpY2U6czNjcmV0")
        );
        let sent_on = auth(second.finish());
        assert_eq!(sent_on.is_some(), trusted, "{flag}: {sent_on:?}");
    }
}

#[test]
fn form_fields_and_files_reach_python_intact() {
    let work = TempDir::new("creq-form");
    let echo = echo_server(&work);
    let mut blob = pattern(200_000, 5);
    blob.extend_from_slice(b"\r\n--\r\n------\0\r\n");
    let bin = work.join("blob.bin");
    std::fs::write(&bin, &blob).unwrap();
    let notes = work.join("notes.txt");
    std::fs::write(&notes, b"line one\r\nline two\n").unwrap();
    let (bin_s, notes_s) = (bin.display().to_string(), notes.display().to_string());
    let seen = run_echo(&[
        "-F",
        "text=hello world; \"quoted\"",
        "-F",
        &format!("file=@{bin_s};type=application/x-test"),
        "-F",
        &format!("named=@{notes_s};filename=other name.txt"),
        "-F",
        &format!("value=<{notes_s}"),
        "-F",
        &format!("evil=@{notes_s};filename=\"a\\\"b\r\nc.txt\""),
        "-F",
        "empty=",
        &echo.url("/upload"),
    ]);
    assert_eq!(seen.text("method"), "POST");
    assert_eq!(seen.text("framing"), "length");
    assert!(seen
        .text("h:content-type")
        .starts_with("multipart/form-data; boundary="));
    assert_eq!(
        seen.text("h:content-length"),
        seen.get("body").unwrap().len().to_string()
    );
    assert_eq!(seen.text("defects"), "0");
    let part = |i: usize, key: &str| seen.get(&format!("part{i}.{key}")).map(<[u8]>::to_vec);
    let text = |s: &str| Some(s.as_bytes().to_vec());
    assert_eq!(part(0, "name"), text("text"));
    assert_eq!(part(0, "filename"), None);
    assert_eq!(part(0, "data"), text("hello world; \"quoted\""));
    assert_eq!(part(1, "name"), text("file"));
    assert_eq!(part(1, "filename"), text("blob.bin"));
    assert_eq!(part(1, "type"), text("application/x-test"));
    assert!(
        part(1, "data") == Some(blob.clone()),
        "the file part differs"
    );
    assert_eq!(part(2, "filename"), text("other name.txt"));
    assert_eq!(part(2, "type"), text("text/plain"));
    assert_eq!(part(2, "data"), text("line one\r\nline two\n"));
    assert_eq!(part(3, "name"), text("value"));
    assert_eq!((part(3, "filename"), part(3, "type")), (None, None));
    assert_eq!(part(3, "data"), text("line one\r\nline two\n"));
    // Quotes and line breaks in a filename are escaped as browsers do: nothing injected.
    assert_eq!(part(4, "filename"), text("a%22b%0D%0Ac.txt"));
    assert_eq!(part(5, "name"), text("empty"));
    assert_eq!(part(5, "data"), text(""));
    assert_eq!(part(6, "name"), None);
    for i in 0..6 {
        assert_eq!(part(i, "defects"), text("0"), "part {i}");
    }

    // A file from stdin: the body is sent chunked.
    let run = client(["-F", "up=@-;filename=in.txt", &echo.url("/upload")])
        .stdin(b"from stdin\n".to_vec())
        .run();
    run.assert_code(0);
    let seen = Seen::parse(&run.stdout);
    assert_eq!(seen.text("framing"), "chunked");
    assert_eq!(seen.text("part0.filename"), "in.txt");
    assert_eq!(seen.text("part0.data"), "from stdin\n");

    // -H Content-Type names the media type; the boundary is added.
    let seen = run_echo(&[
        "-H",
        "Content-Type: multipart/mixed",
        "-F",
        "a=b",
        &echo.url("/"),
    ]);
    assert!(seen
        .text("h:content-type")
        .starts_with("multipart/mixed; boundary="));
}
