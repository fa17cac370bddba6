//! Sharing on a network and with pages of other origins, against the real simple-server:
//! `--header` and `--cors` / `--cors-origin` with curl and Python's http.client, their
//! bad input, the URLs printed for `--bind 0.0.0.0` and `::`, and `--qr` on a terminal
//! (decoded by zbarimg).

use simplehttp_tests::server_util::{bin_path, curl, Server, TempDir};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// `curl -si` with `args`: the response heads (and bodies) as text.
fn curl_i(args: &[&str]) -> String {
    let mut all = vec!["-i"];
    all.extend_from_slice(args);
    let out = curl(&all);
    assert!(out.status.success(), "{out:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    text.trim_start_matches("HTTP/1.1 100 Continue\r\n\r\n")
        .to_string()
}

/// The values of field `name` in the (first) head of `resp`.
fn field(resp: &str, name: &str) -> Vec<String> {
    resp.split("\r\n\r\n")
        .next()
        .unwrap()
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once(':'))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

#[test]
fn header_goes_on_successes_errors_304s_and_listings() {
    let s = Server::start(&[
        "--header",
        "X-Shared-By: simple-server",
        "--header",
        "Cache-Control:no-cache",
    ]);
    std::fs::write(s.file("a.txt"), "hello\n").unwrap();
    std::fs::create_dir(s.file("sub")).unwrap();
    let ok = curl_i(&[&s.url("/a.txt")]);
    assert!(ok.starts_with("HTTP/1.1 200 OK\r\n"), "{ok}");
    let etag = field(&ok, "etag").remove(0);
    let cases = [
        (ok, "200"),
        (curl_i(&[&s.url("/missing")]), "404"),
        (
            curl_i(&["-H", &format!("If-None-Match: {etag}"), &s.url("/a.txt")]),
            "304",
        ),
        (curl_i(&[&s.url("/")]), "200"),
        (curl_i(&[&s.url("/sub")]), "301"),
        (curl_i(&["-X", "BREW", &s.url("/")]), "405"),
        (
            curl_i(&["-X", "PUT", "--data-binary", "hi", &s.url("/up.txt")]),
            "201",
        ),
    ];
    for (resp, status) in cases {
        assert!(resp.starts_with(&format!("HTTP/1.1 {status} ")), "{resp}");
        assert_eq!(field(&resp, "x-shared-by"), ["simple-server"], "{resp}");
        assert_eq!(field(&resp, "cache-control"), ["no-cache"], "{resp}");
    }
    // Python's http.client reads them as fields like any other.
    let script = format!(
        "import http.client\n\
         for path in ['/a.txt', '/missing', '/']:\n\
         \x20   c = http.client.HTTPConnection('127.0.0.1', {port}, timeout=30)\n\
         \x20   c.request('GET', path)\n\
         \x20   r = c.getresponse(); r.read()\n\
         \x20   print(r.status, r.getheader('X-Shared-By'), r.headers.get_all('Cache-Control'))\n",
        port = s.port
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "200 simple-server ['no-cache']\n404 simple-server ['no-cache']\n\
         200 simple-server ['no-cache']\n",
        "{out:?}"
    );
}

/// Runs simple-server with `args` (it must refuse them) and returns its exit code and the
/// lines of its stderr.
fn refused(args: &[&str]) -> (i32, Vec<String>) {
    let root = TempDir::new("refused");
    let out = Command::new(bin_path("simple-server"))
        .arg("0")
        .arg("--root")
        .arg(root.path())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    (
        out.status.code().unwrap_or(-1),
        err.lines().map(String::from).collect(),
    )
}

#[test]
fn bad_header_and_origin_flags_are_one_line_and_exit_2() {
    let cases: [(&[&str], &str); 10] = [
        (
            &["--header", "X-No-Colon"],
            "simple-server: --header \"X-No-Colon\" wants NAME: VALUE, such as 'Cache-Control: no-cache'",
        ),
        (
            &["--header", "X-A: b\r\nX-B: c"],
            "simple-server: --header \"X-A: b\\r\\nX-B: c\" has a value with CR, LF, NUL or \
             another control character",
        ),
        (
            &["--header", "X-A: b\nc"],
            "simple-server: --header \"X-A: b\\nc\" has a value",
        ),
        (
            &["--header", ": value"],
            "simple-server: --header \": value\" has no name before the colon",
        ),
        (
            &["--header", "Bad Name: v"],
            "simple-server: --header \"Bad Name: v\" has a name that is not a token",
        ),
        (
            &["--header", "Content-Length: 5"],
            "simple-server: --header \"Content-Length: 5\" names a field the server writes itself",
        ),
        (
            &["--header", "transfer-encoding: chunked"],
            "simple-server: --header \"transfer-encoding: chunked\" names a field the server",
        ),
        (
            &["--header", "Access-Control-Allow-Origin: *"],
            "simple-server: --header \"Access-Control-Allow-Origin: *\" names a CORS field",
        ),
        (
            &["--cors-origin", "https://app.example/"],
            "simple-server: --cors-origin \"https://app.example/\" wants an origin, \
             scheme://host[:port] without a path",
        ),
        (
            &["--cors", "--cors-origin", "null"],
            "simple-server: --cors-origin \"null\" wants an origin",
        ),
    ];
    for (args, start) in cases {
        let (code, lines) = refused(args);
        assert_eq!(code, 2, "{args:?}: {lines:?}");
        assert_eq!(lines.len(), 1, "{args:?}: {lines:?}");
        assert!(lines[0].starts_with(start), "{args:?}: {lines:?}");
        // A value with control characters is shown escaped, never raw.
        assert!(!lines[0].contains('\r'), "{lines:?}");
    }
}

fn preflight(s: &Server, origin: &str, method: &str) -> String {
    curl_i(&[
        "-X",
        "OPTIONS",
        "-H",
        &format!("Origin: {origin}"),
        "-H",
        &format!("Access-Control-Request-Method: {method}"),
        "-H",
        "Access-Control-Request-Headers: content-type",
        &s.url("/a.txt"),
    ])
}

#[test]
fn cors_answers_any_origin_reads_and_refuses_writes_without_a_password() {
    let s = Server::start(&["--cors", "--header", "X-Build: 7"]);
    std::fs::write(s.file("a.txt"), "hello\n").unwrap();
    let resp = curl_i(&["-H", "Origin: http://page.test:9000", &s.url("/a.txt")]);
    assert_eq!(field(&resp, "access-control-allow-origin"), ["*"]);
    assert!(field(&resp, "access-control-allow-credentials").is_empty());
    let expose = field(&resp, "access-control-expose-headers").join(",");
    for name in ["ETag", "Content-Range", "Accept-Ranges", "X-Build"] {
        assert!(expose.contains(name), "{expose}");
    }
    let resp = curl_i(&["-H", "Origin: http://page.test:9000", &s.url("/missing")]);
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert_eq!(field(&resp, "access-control-allow-origin"), ["*"]);

    let pre = preflight(&s, "http://page.test:9000", "GET");
    assert!(pre.starts_with("HTTP/1.1 204 No Content\r\n"), "{pre}");
    assert_eq!(field(&pre, "access-control-allow-origin"), ["*"]);
    assert_eq!(
        field(&pre, "access-control-allow-methods"),
        ["GET, HEAD, OPTIONS"]
    );
    assert!(field(&pre, "access-control-allow-headers")[0].contains("Content-Type"));
    assert_eq!(field(&pre, "access-control-max-age"), ["600"]);
    // Writable without a password: any page could delete, so writes are not offered.
    let pre = preflight(&s, "http://page.test:9000", "DELETE");
    assert!(!field(&pre, "access-control-allow-methods")[0].contains("DELETE"));

    // With a password, writes are offered (the page must know it: no credentials with *).
    let s = Server::start(&["--cors", "--auth", "alice:s3cret"]);
    std::fs::write(s.file("a.txt"), "hello\n").unwrap();
    let pre = preflight(&s, "http://page.test:9000", "PUT");
    assert_eq!(
        field(&pre, "access-control-allow-methods"),
        ["GET, HEAD, PUT, DELETE, OPTIONS"]
    );
    assert!(field(&pre, "access-control-allow-credentials").is_empty());
    let resp = curl_i(&[
        "-X",
        "PUT",
        "--data-binary",
        "hi",
        "-H",
        "Origin: http://page.test:9000",
        &s.url("/b.txt"),
    ]);
    assert!(resp.starts_with("HTTP/1.1 401"), "{resp}");
    assert_eq!(field(&resp, "access-control-allow-origin"), ["*"]);
}

#[test]
fn cors_origin_reflects_listed_origins_only_and_varies_on_origin() {
    let s = Server::start(&[
        "--cors-origin",
        "http://localhost:3000",
        "--cors-origin",
        "HTTPS://App.Example:443",
    ]);
    std::fs::write(s.file("a.txt"), "hello\n").unwrap();
    for (origin, allowed) in [
        ("http://localhost:3000", true),
        ("https://app.example", true),
        ("http://localhost:3001", false),
        ("https://evil.example", false),
        ("null", false),
    ] {
        let resp = curl_i(&["-H", &format!("Origin: {origin}"), &s.url("/a.txt")]);
        assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
        assert_eq!(field(&resp, "vary"), ["Origin"], "{resp}");
        let pre = preflight(&s, origin, "PUT");
        if allowed {
            assert_eq!(field(&resp, "access-control-allow-origin"), [origin]);
            assert_eq!(field(&resp, "access-control-allow-credentials"), ["true"]);
            assert_eq!(field(&pre, "access-control-allow-origin"), [origin]);
            assert_eq!(
                field(&pre, "access-control-allow-methods"),
                ["GET, HEAD, PUT, DELETE, OPTIONS"]
            );
        } else {
            assert!(
                field(&resp, "access-control-allow-origin").is_empty(),
                "{resp}"
            );
            assert!(
                field(&pre, "access-control-allow-origin").is_empty(),
                "{pre}"
            );
            assert!(
                field(&pre, "access-control-allow-methods").is_empty(),
                "{pre}"
            );
        }
        assert_eq!(field(&pre, "vary"), ["Origin"], "{pre}");
    }
    // No Origin: no CORS field, the same Vary.
    let resp = curl_i(&[&s.url("/a.txt")]);
    assert!(field(&resp, "access-control-allow-origin").is_empty());
    assert_eq!(field(&resp, "vary"), ["Origin"]);
    // A listing varies on both.
    let resp = curl_i(&["-H", "Origin: http://localhost:3000", &s.url("/")]);
    assert_eq!(field(&resp, "vary"), ["Accept, Origin"]);
}

#[test]
fn without_cors_nothing_changes() {
    let s = Server::start(&[]);
    std::fs::write(s.file("a.txt"), "hello\n").unwrap();
    let resp = curl_i(&["-H", "Origin: http://page.test", &s.url("/a.txt")]);
    assert!(
        !resp.to_ascii_lowercase().contains("access-control-"),
        "{resp}"
    );
    let pre = preflight(&s, "http://page.test", "PUT");
    assert!(pre.starts_with("HTTP/1.1 204"), "{pre}");
    assert!(
        !pre.to_ascii_lowercase().contains("access-control-"),
        "{pre}"
    );
    assert!(field(&resp, "vary").is_empty());
}

/// The machine's addresses as `ip -o addr` shows them, without IPv6 link-local ones.
fn machine_addrs() -> Vec<std::net::IpAddr> {
    let out = Command::new("ip").args(["-o", "addr"]).output();
    let Ok(out) = out else {
        return Vec::new();
    };
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let mut words = l.split_whitespace();
            words.find(|w| *w == "inet" || *w == "inet6")?;
            words.next()?.split('/').next()?.parse().ok()
        })
        .filter(|ip: &std::net::IpAddr| match ip {
            std::net::IpAddr::V6(a) => (a.segments()[0] & 0xffc0) != 0xfe80,
            std::net::IpAddr::V4(_) => true,
        })
        .collect()
}

/// The URLs a server's start lines list.
fn printed_urls(log: &[String]) -> Vec<String> {
    let start = log.iter().position(|l| l.starts_with("Serving ")).unwrap();
    let first = &log[start];
    let mut urls = vec![first
        .split(" on ")
        .nth(1)
        .unwrap()
        .split([' ', ','])
        .next()
        .unwrap()
        .to_string()];
    for l in &log[start + 1..] {
        match l.strip_prefix("  ") {
            Some(url) => urls.push(url.to_string()),
            None => break,
        }
    }
    urls
}

#[test]
fn an_unspecified_bind_prints_each_interface_url_loopback_first() {
    let ips = machine_addrs();
    if ips.is_empty() {
        eprintln!("skipped: `ip -o addr` (iproute2) lists no address");
        return;
    }
    let s = Server::start_with(
        TempDir::new("any"),
        &["--bind", "0.0.0.0", "--read-only"],
        &[],
    );
    std::fs::write(s.file("a.txt"), "hello\n").unwrap();
    let want: BTreeSet<String> = ips
        .iter()
        .filter(|ip| ip.is_ipv4())
        .map(|ip| format!("http://{ip}:{}", s.port))
        .collect();
    // The lines after the first come a moment later.
    let log = s.wait_for_log(|l| printed_urls(l).len() >= want.len());
    let urls = printed_urls(&log);
    assert_eq!(urls[0], format!("http://127.0.0.1:{}", s.port), "{log:?}");
    assert!(log.iter().all(|l| !l.contains("0.0.0.0")), "{log:?}");
    let got: BTreeSet<String> = urls.iter().cloned().collect();
    assert_eq!(got, want, "{log:?}");
    assert_eq!(got.len(), urls.len(), "one line each: {log:?}");
    // The first one opens (only loopback is ever sent traffic here).
    let out = curl(&[&format!("{}/a.txt", urls[0])]);
    assert_eq!(out.stdout, b"hello\n");

    // `::` alone takes both families: every address, IPv6 in brackets, no link-local.
    if std::net::TcpListener::bind("[::1]:0").is_err() {
        eprintln!("skipped the :: half: no IPv6 loopback");
        return;
    }
    let s6 = Server::start_with(TempDir::new("any6"), &["--bind", "::", "--read-only"], &[]);
    let want: Vec<String> = ips
        .iter()
        .map(|ip| format!("http://{}", std::net::SocketAddr::new(*ip, s6.port)))
        .collect();
    let log = s6.wait_for_log(|l| printed_urls(l).len() >= want.len());
    let urls = printed_urls(&log);
    assert_eq!(urls[0], format!("http://127.0.0.1:{}", s6.port), "{log:?}");
    assert_eq!(
        urls.iter().cloned().collect::<BTreeSet<_>>(),
        want.iter().cloned().collect::<BTreeSet<_>>(),
        "{log:?}"
    );
    // Loopback first, then IPv4, then IPv6.
    let rank = |u: &String| {
        let loopback = u.contains("//127.") || u.contains("//[::1]");
        (!loopback, u.contains('['))
    };
    assert!(
        urls.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])),
        "{urls:?}"
    );
    assert!(log.iter().all(|l| !l.contains("[::]")), "{log:?}");
}

/// Runs `simple-server ARGS` on a terminal (`script`) and returns the terminal's lines up
/// to and including the whole QR code (or up to the line that says there is none).
fn on_terminal_until_qr(args: &[&str]) -> Vec<String> {
    let root = TempDir::new("qr");
    let quote = |a: &str| format!("'{}'", a.replace('\'', "'\\''"));
    let mut cmd = format!(
        "exec {} 0 --root {}",
        quote(&bin_path("simple-server").display().to_string()),
        quote(&root.path().display().to_string())
    );
    for a in args {
        cmd.push(' ');
        cmd.push_str(&quote(a));
    }
    let mut child = Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("script (util-linux) must be installed");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if tx.send(line.trim_end_matches('\r').to_string()).is_err() {
                break;
            }
        }
    });
    let end = Instant::now() + Duration::from_secs(30);
    let mut lines: Vec<String> = Vec::new();
    let mut need = None;
    while Instant::now() < end {
        let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) else {
            continue;
        };
        let done_without = line.contains("--qr:");
        if need.is_none() && line.starts_with("\x1b[97;40m") {
            // The code is square: as many lines as half its width.
            let side = line.chars().count() - "\x1b[97;40m\x1b[0m".chars().count();
            need = Some(lines.len() + side.div_ceil(2));
        }
        lines.push(line);
        if done_without || need == Some(lines.len()) {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    lines
}

#[test]
fn qr_prints_the_first_lan_url_as_a_code_zbar_reads() {
    let lines = on_terminal_until_qr(&["--bind", "0.0.0.0", "--read-only", "--qr"]);
    let serving = lines
        .iter()
        .position(|l| l.starts_with("Serving "))
        .unwrap();
    let urls = printed_urls(&lines[serving..]);
    let Some(lan) = urls.iter().find(|u| !u.contains("//127.")) else {
        // Only loopback on this machine: the one line instead.
        assert!(
            lines.iter().any(|l| l.contains("--qr: no address")),
            "{lines:?}"
        );
        return;
    };
    let qr_at = lines
        .iter()
        .position(|l| l.starts_with("\x1b[97;40m"))
        .unwrap();
    assert_eq!(&lines[qr_at - 1], lan, "the URL above its code: {lines:?}");
    let code: Vec<Vec<char>> = lines[qr_at..]
        .iter()
        .map(|l| {
            l.strip_prefix("\x1b[97;40m")
                .and_then(|l| l.strip_suffix("\x1b[0m"))
                .unwrap_or_else(|| panic!("{l:?}"))
                .chars()
                .collect()
        })
        .collect();
    let side = code[0].len();
    assert!(side >= 25, "{side}");
    assert_eq!(code.len(), side.div_ceil(2));
    assert!(code
        .iter()
        .all(|row| row.len() == side && row.iter().all(|c| " ▀▄█".contains(*c))));

    // Back to modules (▀: light above dark), as a scaled PBM image for zbarimg.
    let mut dark = vec![vec![true; side]; 2 * code.len()];
    for (r, row) in code.iter().enumerate() {
        for (x, c) in row.iter().enumerate() {
            let (top_light, bottom_light) = match c {
                '█' => (true, true),
                '▀' => (true, false),
                '▄' => (false, true),
                _ => (false, false),
            };
            dark[2 * r][x] = !top_light;
            dark[2 * r + 1][x] = !bottom_light;
        }
    }
    dark.truncate(side);
    let scale = 8;
    // Light around it, as printed on paper.
    let margin = 4 * scale;
    let w = side * scale + 2 * margin;
    let mut pbm = format!("P1\n{w} {w}\n");
    for y in 0..w {
        for x in 0..w {
            let inside = |v: usize| v >= margin && v < margin + side * scale;
            let black = inside(x) && inside(y) && dark[(y - margin) / scale][(x - margin) / scale];
            pbm.push_str(if black { "1 " } else { "0 " });
        }
        pbm.push('\n');
    }
    let dir = TempDir::new("qr-image");
    let image = dir.path().join("code.pbm");
    std::fs::write(&image, pbm).unwrap();
    let out = match Command::new("zbarimg")
        .args(["--raw", "-q"])
        .arg(&image)
        .output()
    {
        Ok(out) => out,
        Err(_) => {
            eprintln!("skipped decoding: zbarimg (zbar-tools) is not installed");
            return;
        }
    };
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim_end(),
        lan,
        "{out:?}"
    );
}

#[test]
fn qr_says_why_there_is_no_code() {
    // Loopback only: nothing for a phone to open.
    let lines = on_terminal_until_qr(&["--qr"]);
    assert!(
        lines.iter().any(|l| l
            == "simple-server: --qr: no address other machines can reach (loopback only); \
                add --bind 0.0.0.0 or --bind ::"),
        "{lines:?}"
    );
    // Not a terminal: one line, and nothing on stdout.
    let s = Server::start_with(
        TempDir::new("qr-pipe"),
        &["--bind", "0.0.0.0", "--read-only", "--qr"],
        &[],
    );
    let log = s.wait_for_log(|l| l.iter().any(|l| l.contains("--qr:")));
    let lan = printed_urls(&log)
        .into_iter()
        .find(|u| !u.contains("//127."));
    let line = log.iter().find(|l| l.contains("--qr:")).unwrap();
    match lan {
        Some(lan) => assert_eq!(
            line,
            &format!("simple-server: --qr: stdout is not a terminal; no QR code for {lan}")
        ),
        None => assert!(line.contains("no address"), "{line}"),
    }
}
