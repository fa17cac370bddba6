//! simple-client `-w/--write-out`: curl's variables against simple-server (plain and
//! TLS) and scripted servers, the timings in order.

use simplehttp_tests::client_util::{client, pattern, RawServer, TempDir};
use simplehttp_tests::server_util::Server;
use std::io::Write;

const TIMES: &str = "%{time_namelookup} %{time_connect} %{time_appconnect} \
                     %{time_pretransfer} %{time_starttransfer} %{time_total}";

/// The six times of [`TIMES`], checked to be in order (appconnect 0 without TLS).
#[track_caller]
fn check_times(text: &str, tls: bool) {
    let t: Vec<f64> = text
        .split(' ')
        .map(|v| {
            v.parse()
                .unwrap_or_else(|_| panic!("not a time: {v:?} in {text:?}"))
        })
        .collect();
    assert_eq!(t.len(), 6, "{text}");
    for v in text.split(' ') {
        assert_eq!(v.split_once('.').map(|(_, f)| f.len()), Some(6), "{text}");
    }
    let (namelookup, connect, appconnect, pretransfer, start, total) =
        (t[0], t[1], t[2], t[3], t[4], t[5]);
    assert!(namelookup <= connect, "{text}");
    if tls {
        assert!(connect <= appconnect && appconnect <= pretransfer, "{text}");
        assert!(appconnect > 0.0, "{text}");
    } else {
        assert_eq!(appconnect, 0.0, "{text}");
        assert!(connect <= pretransfer, "{text}");
    }
    assert!(
        pretransfer <= start && start <= total && total > 0.0,
        "{text}"
    );
}

#[test]
fn write_out_reports_the_download() {
    let server = Server::start(&[]);
    let data = pattern(300_000, 9);
    std::fs::write(server.file("f.bin"), &data).unwrap();
    let work = TempDir::new("creq-w");
    let out = work.join("f.bin");
    let format = format!(
        "%{{http_code}}|%{{size_download}}|%{{size_upload}}|%{{num_redirects}}|\
         %{{url_effective}}|%{{content_type}}|%{{exitcode}}|%{{method}}|%%|{TIMES}\\n"
    );
    let run = client([
        "-w",
        &format,
        "-o",
        out.to_str().unwrap(),
        &server.url("/f.bin"),
    ])
    .run();
    run.assert_code(0);
    let text = String::from_utf8(run.stdout).unwrap();
    let fields: Vec<&str> = text.trim_end_matches('\n').split('|').collect();
    assert!(text.ends_with('\n') && !text.ends_with("\n\n"), "{text:?}");
    assert_eq!(
        fields[..9],
        [
            "200",
            &data.len().to_string(),
            "0",
            "0",
            &server.url("/f.bin"),
            "application/octet-stream",
            "0",
            "GET",
            "%"
        ]
    );
    check_times(fields[9], false);

    // An upload counts what was sent; a 404 is 404 with exit code 8, after the body.
    let run = client([
        "-w",
        "%{http_code} %{size_upload}",
        "-T",
        out.to_str().unwrap(),
        &server.url("/up.bin"),
    ])
    .run();
    run.assert_code(0);
    assert!(run
        .stdout
        .ends_with(format!("201 {}", data.len()).as_bytes()));
    let run = client(["-w", "\\n%{http_code} %{exitcode}", &server.url("/none")]).run();
    run.assert_code(8);
    let text = String::from_utf8_lossy(&run.stdout);
    assert!(text.ends_with("\n404 8"), "{text:?}");
    assert!(
        text.len() > "\n404 8".len(),
        "the body comes first: {text:?}"
    );
}

#[test]
fn write_out_over_tls_has_the_handshake_in_order() {
    let server = Server::start(&["--tls-self-signed"]);
    std::fs::write(server.file("t.txt"), b"tls\n").unwrap();
    let url = format!("https://127.0.0.1:{}/t.txt", server.port);
    let run = client(["-k", "-s", "-w", &format!("|%{{scheme}}|{TIMES}"), &url]).run();
    run.assert_code(0);
    let text = String::from_utf8(run.stdout).unwrap();
    let (body, rest) = text.split_once("|https|").expect("scheme");
    assert_eq!(body, "tls\n");
    check_times(rest, true);
}

#[test]
fn write_out_follows_redirects_json_files_and_unknowns() {
    let second = RawServer::one(|mut s, _| {
        s.write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/x-a\"b\r\nContent-Length: 2\r\n\r\nok")
            .unwrap();
    });
    let location = second.url("/end");
    let first = RawServer::one(move |mut s, _| {
        let r = format!("HTTP/1.1 301 Moved\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
        s.write_all(r.as_bytes()).unwrap();
    });
    let work = TempDir::new("creq-wfile");
    let format = work.join("format");
    std::fs::write(
        &format,
        "\\n%{num_redirects} %{url_effective} %{nope}\\n%{json}",
    )
    .unwrap();
    let run = client([
        "-L",
        "-w",
        &format!("@{}", format.display()),
        &first.url("/start"),
    ])
    .run();
    run.assert_code(0);
    assert_eq!(
        run.stderr,
        "simple-client: warning: unknown --write-out variable: 'nope'\n"
    );
    let text = String::from_utf8(run.stdout).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("ok"));
    assert_eq!(
        lines.next(),
        Some(format!("1 {} ", second.url("/end")).as_str())
    );
    let json = lines.next().expect("json");
    assert!(json.starts_with("{\"content_type\":\"text/x-a\\\"b\",\"errormsg\":\"\",\"exitcode\":0,\"http_code\":200,"), "{json}");
    assert!(json.contains("\"num_redirects\":1,"), "{json}");
    assert!(json.contains("\"size_download\":2,"), "{json}");
    assert!(
        json.ends_with(&format!("\"url_effective\":\"{}\"}}", second.url("/end"))),
        "{json}"
    );
    first.finish();
    second.finish();

    // A failed run still reports, with its exit code and message.
    let run = client([
        "-w",
        "%{http_code} %{exitcode} %{errormsg}",
        "http://127.0.0.1:1/",
    ])
    .run();
    run.assert_code(4);
    let text = String::from_utf8(run.stdout).unwrap();
    assert!(text.starts_with("000 4 connection refused"), "{text}");
}
