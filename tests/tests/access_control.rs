//! Who may read what, against a live simple-server with curl and Python's http.client:
//! dotfiles hidden from every method and listing (and `--hidden`), `--auth-read` for every
//! method, `--auth-file` with SHA-512-crypt and argon2 hashes and its reload, 429 after
//! repeated failures from one address, and the bad input refused at start.

use simplehttp_tests::server_util::{bin_path, curl, Server, TempDir};
use std::fs;
use std::os::unix::fs::PermissionsExt as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `openssl passwd -6 -salt saltsalt s3cret`, made by a second implementation.
const ALICE_SHA512: &str = "$6$saltsalt$As4wrv0kZlfch1du9WeH7qhskyLriQWySXrZzynnvi46nFnNxjdpl6ksRegrrKexvhIa/Iny8S8uF3fVWTMuC1";

/// curl's status code for `args` (`-o /dev/null -w %{http_code}` added).
fn status(args: &[&str]) -> u16 {
    let out = curl(&[&["-o", "/dev/null", "-w", "%{http_code}"], args].concat());
    String::from_utf8_lossy(&out.stdout)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("curl {args:?}: {out:?}"))
}

/// curl's stdout for `args`.
fn body(args: &[&str]) -> String {
    String::from_utf8_lossy(&curl(args).stdout).into_owned()
}

/// A root with a file, dotfiles at the top and deeper, and a dot-folder.
fn dotted_root() -> TempDir {
    let root = TempDir::new("access");
    let p = root.path();
    fs::write(p.join("a.txt"), "a\n").unwrap();
    fs::write(p.join(".env"), "SECRET=1\n").unwrap();
    fs::create_dir_all(p.join(".git")).unwrap();
    fs::write(p.join(".git/config"), "[core]\n").unwrap();
    fs::create_dir_all(p.join("sub")).unwrap();
    fs::write(p.join("sub/.secret"), "s\n").unwrap();
    fs::write(p.join("sub/b.txt"), "b\n").unwrap();
    root
}

#[test]
fn dotfiles_are_hidden_from_every_method_and_every_listing() {
    let s = Server::start_in(dotted_root(), &["--quiet"]);
    let url = |p: &str| s.url(p);
    for path in [
        "/.env",
        "/.git/config",
        "/.git/",
        "/.git",
        "/%2eenv",
        "/sub/.secret",
        "/.nothing-here",
    ] {
        assert_eq!(status(&[&url(path)]), 404, "GET {path}");
        assert_eq!(status(&["-I", &url(path)]), 404, "HEAD {path}");
        assert_eq!(status(&["-X", "DELETE", &url(path)]), 404, "DELETE {path}");
    }
    assert_eq!(body(&[&url("/.env")]), "404 Not Found\n");
    // Uploads to a dot-path are refused the same way, and change nothing.
    let upload = s.root.path().join("upload");
    fs::write(&upload, "planted\n").unwrap();
    let up = upload.to_str().unwrap();
    for path in ["/.env", "/.bashrc", "/.ssh/authorized_keys", "/sub/.hook"] {
        assert_eq!(status(&["-T", up, &url(path)]), 404, "PUT {path}");
    }
    assert_eq!(fs::read_to_string(s.file(".env")).unwrap(), "SECRET=1\n");
    assert!(!s.file(".bashrc").exists() && !s.file(".ssh").exists());
    assert!(!s.file("sub/.hook").exists());
    assert!(s.file(".git/config").exists());
    // The listings leave them out, and their counts do not count them.
    let html = body(&[&url("/")]);
    assert!(!html.contains(".env") && !html.contains(".git"), "{html}");
    assert!(html.contains(">1 folder, 2 files,"), "{html}");
    assert!(!html.contains("cannot be shown"), "{html}");
    let json = body(&["-H", "Accept: application/json", &url("/")]);
    let names: Vec<&str> = json.matches("\"name\":\"").collect();
    assert_eq!(names.len(), 3, "{json}");
    for name in ["sub", "a.txt", "upload"] {
        assert!(json.contains(&format!("\"name\":\"{name}\"")), "{json}");
    }
    let json = body(&[&url("/sub/?format=json")]);
    assert!(
        !json.contains(".secret") && json.contains("b.txt"),
        "{json}"
    );
    // The server's own reserved path keeps working.
    assert_eq!(status(&[&url("/.simplehttp/listing.css")]), 200);
    assert_eq!(status(&[&url("/.simplehttp/listing.js")]), 200);
    // Visible names are served as before.
    assert_eq!(body(&[&url("/sub/b.txt")]), "b\n");
}

#[test]
fn hidden_serves_lists_and_takes_dotfiles() {
    let s = Server::start_in(dotted_root(), &["--quiet", "--hidden"]);
    assert_eq!(body(&[&s.url("/.env")]), "SECRET=1\n");
    assert_eq!(body(&[&s.url("/.git/config")]), "[core]\n");
    let html = body(&[&s.url("/")]);
    assert!(
        html.contains("href=\"./.env\"") && html.contains("href=\"./.git/\""),
        "{html}"
    );
    assert!(html.contains(">2 folders, 2 files,"), "{html}");
    let json = body(&[&s.url("/sub/?format=json")]);
    assert!(json.contains("\"name\":\".secret\""), "{json}");
    let upload = s.root.path().join("upload");
    fs::write(&upload, "mine\n").unwrap();
    assert_eq!(
        status(&["-T", upload.to_str().unwrap(), &s.url("/.profile")]),
        201
    );
    assert_eq!(fs::read_to_string(s.file(".profile")).unwrap(), "mine\n");
    assert_eq!(status(&["-X", "DELETE", &s.url("/.env")]), 204);
    assert!(!s.file(".env").exists());
    // Upload temporaries stay out of sight all the same.
    assert_eq!(status(&[&s.url("/.simplehttp-upload-x")]), 404);
}

/// What Python's http.client gets for each of GET, HEAD, a listing, PUT and DELETE, with
/// `auth` (`user:password`, or empty for none): the statuses, and the challenge's
/// `WWW-Authenticate` of the first.
fn python_statuses(port: u16, auth: &str) -> String {
    let script = r#"
import base64, http.client, sys
port, auth = int(sys.argv[1]), sys.argv[2]
headers = {"Host": "t"}
if auth:
    headers["Authorization"] = "Basic " + base64.b64encode(auth.encode()).decode()
out = []
for method, path, body in [("GET", "/a.txt", None), ("HEAD", "/a.txt", None),
                           ("GET", "/", None), ("PUT", "/py.txt", b"from python\n"),
                           ("DELETE", "/py.txt", None)]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    r.read()
    if not out:
        challenge = r.getheader("WWW-Authenticate")
    out.append(str(r.status))
    c.close()
print(" ".join(out), challenge)
"#;
    let out = Command::new("python3")
        .args(["-c", script, &port.to_string(), auth])
        .output()
        .expect("run python3");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
fn auth_read_asks_every_method_for_credentials() {
    let root = TempDir::new("access");
    fs::write(root.path().join("a.txt"), "a\n").unwrap();
    let s = Server::start_in(root, &["--quiet", "--auth", "alice:s3cret", "--auth-read"]);
    assert!(
        s.log()[0].ends_with("(read-write, every request needs a password)"),
        "{:?}",
        s.log()
    );
    let a = s.url("/a.txt");
    let up = s.root.path().join("a.txt");
    let up = up.to_str().unwrap();
    // Without credentials: 401 with the challenge, for every method.
    assert_eq!(status(&[&a]), 401);
    assert_eq!(status(&["-I", &a]), 401);
    assert_eq!(status(&[&s.url("/")]), 401);
    assert_eq!(status(&[&s.url("/?format=json")]), 401);
    assert_eq!(status(&["-T", up, &s.url("/new.txt")]), 401);
    assert_eq!(status(&["-X", "DELETE", &a]), 401);
    assert_eq!(status(&[&s.url("/.simplehttp/listing.js")]), 401);
    // With wrong ones (a few: ten in a minute would earn a 429), the same.
    assert_eq!(status(&["-u", "alice:wrong", &a]), 401);
    assert_eq!(
        status(&["-u", "alice:wrong", "-T", up, &s.url("/new.txt")]),
        401
    );
    assert_eq!(status(&["-u", "bob:s3cret", "-I", &a]), 401);
    assert_eq!(status(&["-u", "bob:s3cret", "-X", "DELETE", &a]), 401);
    let head = body(&["-i", &a]);
    assert!(
        head.contains("WWW-Authenticate: Basic realm=\"simplehttp\", charset=\"UTF-8\"\r\n"),
        "{head}"
    );
    assert!(!head.contains("a\n\n") && !head.contains("ETag"), "{head}");
    assert!(!s.file("new.txt").exists() && s.file("a.txt").exists());
    // OPTIONS says only which methods there are, and needs none (a CORS preflight has none).
    assert_eq!(status(&["-X", "OPTIONS", &a]), 204);
    // With them, everything works.
    let ok = |args: &[&str]| status(&[&["-u", "alice:s3cret"], args].concat());
    assert_eq!(ok(&[&a]), 200);
    assert_eq!(ok(&["-I", &a]), 200);
    assert_eq!(ok(&[&s.url("/")]), 200);
    assert_eq!(ok(&["-T", up, &s.url("/new.txt")]), 201);
    assert_eq!(ok(&["-X", "DELETE", &s.url("/new.txt")]), 204);
    assert_eq!(ok(&[&s.url("/.simplehttp/listing.js")]), 200);
    // Python's http.client sees the same.
    assert_eq!(
        python_statuses(s.port, ""),
        "401 401 401 401 401 Basic realm=\"simplehttp\", charset=\"UTF-8\""
    );
    assert_eq!(
        python_statuses(s.port, "alice:s3cret"),
        "200 200 200 201 204 None"
    );
}

#[test]
fn auth_without_auth_read_still_guards_only_writes() {
    let root = TempDir::new("access");
    fs::write(root.path().join("a.txt"), "a\n").unwrap();
    let s = Server::start_in(
        root,
        &["--quiet", "--auth", "alice:s3cret", "--auth", "bob:pw2"],
    );
    assert_eq!(python_statuses(s.port, ""), "200 200 200 401 401 None");
    assert_eq!(
        python_statuses(s.port, "bob:pw2"),
        "200 200 200 201 204 None"
    );
    assert_eq!(
        python_statuses(s.port, "alice:s3cret"),
        "200 200 200 201 204 None"
    );
}

/// Writes `text` to `path` as a private file, replacing it whole (a new inode, as editors
/// do).
fn write_private(path: &Path, text: &str) {
    let tmp = path.with_extension("new");
    fs::write(&tmp, text).unwrap();
    fs::set_permissions(&tmp, fs::Permissions::from_mode(0o600)).unwrap();
    fs::rename(&tmp, path).unwrap();
}

/// `simple-server --hash-password USER` with `password` on stdin: its stdout, stderr and
/// exit code.
fn hash_password(user: &str, password: &str) -> (String, String, Option<i32>) {
    use std::io::Write as _;
    let mut child = Command::new(bin_path("simple-server"))
        .args(["--hash-password", user])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A refused user name ends the process before it reads stdin: the pipe may be broken.
    let _ = child.stdin.take().unwrap().write_all(password.as_bytes());
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code(),
    )
}

/// Asks for `/a.txt` as `user:password` until it is `want` (the file is checked for a
/// change at most once a second), at most 10 s.
fn until(s: &Server, auth: &str, want: u16) -> u16 {
    let end = Instant::now() + Duration::from_secs(10);
    loop {
        std::thread::sleep(Duration::from_millis(1100));
        let got = status(&["-u", auth, &s.url("/a.txt")]);
        if got == want || Instant::now() >= end {
            return got;
        }
    }
}

#[test]
fn auth_file_users_with_sha512_crypt_and_argon2_hashes_and_its_reload() {
    let (carol, err, code) = hash_password("carol", "argon pass\n");
    assert_eq!(code, Some(0), "{err}");
    assert!(carol.starts_with("carol:$argon2id$v=19$"), "{carol}");
    let openssl = Command::new("openssl")
        .args(["passwd", "-6", "hunter2"])
        .output()
        .expect("run openssl");
    let bob = String::from_utf8(openssl.stdout).unwrap();
    assert!(bob.starts_with("$6$"), "{bob}");

    let dir = TempDir::new("users");
    let file = dir.path().join("users");
    write_private(
        &file,
        &format!("# who may read\nalice:{ALICE_SHA512}\n\nbob:{bob}{carol}"),
    );
    let root = TempDir::new("access");
    fs::write(root.path().join("a.txt"), "a\n").unwrap();
    let s = Server::start_in(
        root,
        &["--auth-file", file.to_str().unwrap(), "--auth-read"],
    );
    let get = |auth: &str| status(&["-u", auth, &s.url("/a.txt")]);
    assert_eq!(get("alice:s3cret"), 200);
    assert_eq!(get("bob:hunter2"), 200);
    assert_eq!(get("carol:argon pass"), 200);
    // Again: remembered, the same answer.
    assert_eq!(get("carol:argon pass"), 200);
    assert_eq!(get("carol:argon"), 401);
    assert_eq!(get("nobody:s3cret"), 401);
    let log = s.wait_for_log(|l| l.iter().any(|l| l.contains("\"nobody\"")));
    assert!(
        log.iter()
            .any(|l| l.contains(" simple-server: failed login as \"carol\" from 127.0.0.1:")),
        "{log:?}"
    );
    assert!(
        !log.iter()
            .any(|l| l.contains("argon\"") || l.contains("s3cret")),
        "{log:?}"
    );

    // A new file: bob goes, dave comes, carol's password changes.
    let (dave, _, _) = hash_password("dave", "new one");
    let (carol2, _, _) = hash_password("carol", "changed");
    write_private(&file, &format!("alice:{ALICE_SHA512}\n{dave}{carol2}"));
    assert_eq!(until(&s, "dave:new one", 200), 200);
    let log = s.wait_for_log(|l| l.iter().any(|l| l.contains("read --auth-file")));
    assert!(
        log.iter().any(|l| l.ends_with(&format!(
            "read --auth-file {} again: 3 users",
            file.display()
        ))),
        "{log:?}"
    );
    assert_eq!(get("bob:hunter2"), 401);
    assert_eq!(get("carol:argon pass"), 401);
    assert_eq!(get("carol:changed"), 200);
    assert_eq!(get("alice:s3cret"), 200);

    // A bad new file keeps the users of before, and says why once.
    write_private(
        &file,
        &format!("alice:{ALICE_SHA512}\nerin:plain-password\n"),
    );
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(get("dave:new one"), 200);
    assert_eq!(get("alice:s3cret"), 200);
    let why = format!(
        "kept the users of before: --auth-file {} line 2: holds a plain password, not a hash",
        file.display()
    );
    let log = s.wait_for_log(|l| l.iter().any(|l| l.contains(&why)));
    assert_eq!(
        log.iter().filter(|l| l.contains(&why)).count(),
        1,
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l.contains("plain-password")), "{log:?}");
    // So does one that others may read.
    fs::set_permissions(&file, fs::Permissions::from_mode(0o644)).unwrap();
    std::thread::sleep(Duration::from_millis(1100));
    assert_eq!(get("dave:new one"), 200);
    let log = s.wait_for_log(|l| l.iter().any(|l| l.contains("is open to other users")));
    assert!(
        log.iter().any(|l| l.contains("is open to other users")),
        "{log:?}"
    );
}

#[test]
fn repeated_failures_from_one_address_earn_429() {
    // Bound to both loopback addresses: the other one is another client.
    let root = TempDir::new("access");
    fs::write(root.path().join("a.txt"), "a\n").unwrap();
    let s = Server::start_in(
        root,
        &["--bind", "::1", "--auth", "alice:s3cret", "--threads", "1"],
    );
    let up = s.root.path().join("a.txt");
    let up = up.to_str().unwrap();
    let put = |auth: &str| status(&["-u", auth, "-T", up, &s.url("/w.txt")]);
    for i in 0..10 {
        assert_eq!(put("alice:guess"), 401, "attempt {i}");
    }
    // Now even the right password is refused for a while, without being checked.
    let head = body(&["-i", "-u", "alice:s3cret", "-T", up, &s.url("/w.txt")]);
    assert!(
        head.starts_with("HTTP/1.1 429 Too Many Requests\r\n"),
        "{head}"
    );
    let retry: u64 = head
        .lines()
        .find_map(|l| l.strip_prefix("Retry-After: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{head}"));
    assert!((1..=60).contains(&retry), "{head}");
    assert!(!s.file("w.txt").exists());
    // Reads need no credentials here, and go on.
    assert_eq!(status(&[&s.url("/a.txt")]), 200);
    // Another address is not blocked.
    let v6 = format!("http://[::1]:{}/w.txt", s.port);
    assert_eq!(status(&["-g", "-u", "alice:s3cret", "-T", up, &v6]), 201);
    let log = s.wait_for_log(|l| l.iter().any(|l| l.contains("429 to 127.0.0.1")));
    let failures = log
        .iter()
        .filter(|l| l.contains("simple-server: failed login as \"alice\" from 127.0.0.1:"))
        .count();
    assert_eq!(failures, 10, "{log:?}");
    assert!(
        log.iter()
            .any(|l| l.ends_with("; 10 within 60 s: 429 to 127.0.0.1 for 60 s")),
        "{log:?}"
    );
}

/// simple-server with `args` (on a fresh root, port 0): its exit code and stderr, when it
/// refuses to start.
fn refused(args: &[&str]) -> (Option<i32>, String) {
    let root = TempDir::new("access");
    let mut child = Command::new(bin_path("simple-server"))
        .arg("0")
        .arg("--root")
        .arg(root.path())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let end = Instant::now() + Duration::from_secs(20);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= end {
            let _ = child.kill();
            panic!("simple-server {args:?} started");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_users_are_one_line_at_start() {
    let dir = TempDir::new("users");
    let file = |name: &str, text: &str| {
        let p = dir.path().join(name);
        write_private(&p, text);
        p.to_str().unwrap().to_string()
    };
    let cases = [
        (
            file("malformed", &format!("alice:{ALICE_SHA512}\njust-a-name\n")),
            "line 2: wants USER:HASH, a user name, a colon, then a password hash",
        ),
        (
            file(
                "scheme",
                "# bcrypt\n\nbob:$2b$12$abcdefghijklmnopqrstuuABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n",
            ),
            "line 3: unknown hash scheme (SHA-512-crypt ($6$...) and argon2 ($argon2id$...) are \
             understood; simple-server --hash-password USER makes a line)",
        ),
        (
            file("empty", &format!("alice:{ALICE_SHA512}\nbob:\n")),
            "line 2: the password is empty",
        ),
        (
            file(
                "twice",
                &format!("alice:{ALICE_SHA512}\n# again\nalice:{ALICE_SHA512}\n"),
            ),
            "line 3: user alice appears again (first on line 1)",
        ),
        (
            file("plain", "alice:s3cret\n"),
            "line 1: holds a plain password, not a hash (SHA-512-crypt ($6$...) and argon2 \
             ($argon2id$...) are understood; simple-server --hash-password USER makes a line)",
        ),
    ];
    for (path, why) in &cases {
        let (code, err) = refused(&["--auth-file", path]);
        assert_eq!(code, Some(2), "{err}");
        assert_eq!(err, format!("simple-server: --auth-file {path} {why}\n"));
        assert!(!err.contains("s3cret"), "{err}");
    }
    for (args, why) in [
        (
            &["--auth", "alice:"][..],
            "--auth: the password of alice is empty",
        ),
        (
            &["--auth", "alice:a", "--auth", "alice:b"][..],
            "--auth: user alice is given twice",
        ),
        (
            &["--auth-read"][..],
            "--auth-read needs users: --auth USER:PASS, --auth-file FILE or SIMPLE_SERVER_AUTH",
        ),
    ] {
        let (code, err) = refused(args);
        assert_eq!(code, Some(2), "{err}");
        assert_eq!(err, format!("simple-server: {why}\n"));
    }
    let (out, err, code) = hash_password("alice", "\n");
    assert_eq!((out.as_str(), code), ("", Some(2)), "{err}");
    assert_eq!(
        err,
        "simple-server: --hash-password: the password is empty\n"
    );
    let (_, err, code) = hash_password("al:ice", "pw\n");
    assert_eq!(code, Some(2), "{err}");
    assert!(
        err.starts_with("simple-server: --hash-password wants a user name"),
        "{err}"
    );
}
