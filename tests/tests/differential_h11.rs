//! Differential test of the core's request parser against Python's h11.
//!
//! A seeded, deterministic generator makes a few thousand requests: valid ones (methods,
//! targets, versions, fields, Content-Length and chunked bodies with extensions and
//! trailers), every request-smuggling shape, and random mutations of valid ones (bytes
//! replaced, inserted, deleted). Each is judged by `simplehttp_core::RequestParser` and by
//! h11 (`tests/python/h11_verdict.py`): accept (head and body read to the end), reject (an
//! error) or incomplete (more bytes wanted). The verdicts must agree, except where a
//! classifier below recognises a known difference; each one says which RFC 9112 / 9110
//! rule makes our verdict the right one (or an allowed one).
//!
//! The known differences (see `KNOWN` for the classifiers and their reasoning):
//! - h11 is lenient where RFC 9112 lets a recipient choose and we choose to refuse: bare LF
//!   line endings (§2.2), obs-fold and lines starting with whitespace (§5.2, §2.2),
//!   Content-Length with Transfer-Encoding (§6.3);
//! - h11 accepts what the RFCs make invalid and we refuse: an invalid Host value (§3.2,
//!   MUST 400), a target in none of the four forms (§3.2), control bytes in field values
//!   (RFC 9110 §5.5), Transfer-Encoding in HTTP/1.0 (§6.1), an HTTP major version other
//!   than 1 (RFC 9110 §15.6.6), malformed chunk extensions or whitespace after a chunk size
//!   (§7.1), chunk sizes beyond 64 bits (§7.1);
//! - h11 refuses what the RFCs allow and we accept: whitespace before a chunk extension's
//!   `;` (BWS, §7.1.1) and an empty line before the request line (§2.2);
//! - our limits: a Content-Length above `Limits::max_body` (RFC 9110 §15.5.14);
//! - timing: we refuse a bad line as soon as it is complete, h11 once the head is.
//!
//! Empty Host values, repeated identical Content-Lengths and obs-text in values are
//! accepted by both.
//!
//! The same is done for the client side: generated and mutated responses to GET and HEAD
//! (interim 1xx heads, Content-Length, chunked and close-delimited bodies), judged by
//! `ResponseParser` and by h11 as a client, with their own list of known differences
//! (`KNOWN_RESPONSE`). And the request corpus is sent to the running server, whose
//! answers must match the parser's verdicts.
//!
//! h11 and python3 are installed by `scripts/test` (scripts/requirements-test.txt); when
//! they are missing this test fails and says so.

use simplehttp_core::{Event, Limits, RequestParser};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Verdict {
    Accept,
    Reject,
    Incomplete,
}

impl Verdict {
    fn from_h11(s: &str) -> Verdict {
        match s {
            "accept" => Verdict::Accept,
            "reject" => Verdict::Reject,
            "incomplete" => Verdict::Incomplete,
            other => panic!("h11_verdict.py answered {other:?}"),
        }
    }
}

/// Our verdict: the whole input to the parser, then its steps until End, an error, or a
/// need for more bytes. Only the first request counts.
fn ours(input: &[u8]) -> (Verdict, String) {
    let mut parser = RequestParser::new(Limits::default());
    let mut at = 0;
    for _ in 0..100_000 {
        match parser.handle_bytes(&input[at..]) {
            Err(e) => return (Verdict::Reject, format!("{} ({e})", e.status())),
            Ok(step) => {
                at += step.consumed;
                match step.event {
                    Event::NeedMore => return (Verdict::Incomplete, String::new()),
                    Event::End | Event::Paused => return (Verdict::Accept, String::new()),
                    _ => {}
                }
            }
        }
    }
    panic!(
        "the parser made no progress on {:?}",
        String::from_utf8_lossy(input)
    );
}

/// Our verdict when the input arrives `step` bytes at a time (the parser must give the
/// same one, STYLE.md: any split of the input gives the same events).
fn ours_split(input: &[u8], step: usize) -> Verdict {
    let mut parser = RequestParser::new(Limits::default());
    let (mut start, mut end) = (0, 0);
    loop {
        match parser.handle_bytes(&input[start..end]) {
            Err(_) => return Verdict::Reject,
            Ok(s) => {
                start += s.consumed;
                match s.event {
                    Event::End | Event::Paused => return Verdict::Accept,
                    Event::NeedMore if end == input.len() => return Verdict::Incomplete,
                    Event::NeedMore => end = (end + step).min(input.len()),
                    _ => {}
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------
// The generator
// ---------------------------------------------------------------------------------------

/// splitmix64: small, seeded, the same on every machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

const METHODS: &[&str] = &["GET", "HEAD", "PUT", "POST", "DELETE", "OPTIONS", "PATCH"];
const TARGETS: &[&str] = &[
    "/",
    "/a.txt",
    "/dir/b%20c.html",
    "/q?x=1&y=2",
    "/~user/%7Efile",
    "http://example.com/x",
    "http://example.com:8080/a?b",
];
const HOSTS: &[&str] = &["example.com", "127.0.0.1:8080", "[::1]:80", "t", "a-b.c.d"];
const EXTRA_FIELDS: &[&str] = &[
    "User-Agent: differential/1.0",
    "Accept: */*",
    "Accept-Encoding: gzip, deflate",
    "Connection: keep-alive",
    "Cache-Control: no-cache",
    "X-Token: a b  c",
    "X-Empty:",
    "X-Quoted: \"a, b\"",
    "If-None-Match: \"abc\"",
    "Range: bytes=0-10",
    "Expect: 100-continue",
];

/// Optional whitespace as a sender may write it (RFC 9110 §5.6.3).
fn ows(rng: &mut Rng) -> &'static str {
    const OWS: &[&str] = &["", " ", " ", " ", "\t", "  ", " \t"];
    let ws: &&'static str = rng.pick(OWS);
    ws
}

/// A valid request, with its body.
fn valid(rng: &mut Rng) -> Vec<u8> {
    let method = *rng.pick(METHODS);
    let target = if method == "OPTIONS" && rng.chance(30) {
        "*"
    } else {
        rng.pick(TARGETS)
    };
    let http10 = rng.chance(15);
    let mut head = format!(
        "{method} {target} HTTP/1.{}\r\n",
        if http10 { 0 } else { 1 }
    );
    let mut fields = Vec::new();
    if !http10 || rng.chance(50) {
        fields.push(format!("Host:{}{}{}", ows(rng), rng.pick(HOSTS), ows(rng)));
    }
    for _ in 0..rng.below(4) {
        let f = rng.pick(EXTRA_FIELDS);
        let (name, value) = f.split_once(':').unwrap();
        fields.push(format!("{name}:{}{}{}", ows(rng), value.trim(), ows(rng)));
    }
    let mut body = Vec::new();
    if matches!(method, "PUT" | "POST" | "PATCH") || rng.chance(10) {
        let len = rng.below(24);
        let data: Vec<u8> = (0..len).map(|_| b'a' + rng.below(26) as u8).collect();
        if !http10 && rng.chance(40) {
            fields.push(format!("Transfer-Encoding:{}chunked{}", ows(rng), ows(rng)));
            let mut rest = &data[..];
            while !rest.is_empty() {
                let n = 1 + rng.below(rest.len());
                let ext = *rng.pick(&["", "", ";a", ";a=b", ";name=\"q v\"", " ;a=1"]);
                let size = if rng.chance(20) {
                    format!("{n:X}")
                } else {
                    format!("{n:x}")
                };
                body.extend_from_slice(format!("{size}{ext}\r\n").as_bytes());
                body.extend_from_slice(&rest[..n]);
                body.extend_from_slice(b"\r\n");
                rest = &rest[n..];
            }
            body.extend_from_slice(b"0\r\n");
            if rng.chance(25) {
                body.extend_from_slice(b"X-Trailer: yes\r\n");
            }
            body.extend_from_slice(b"\r\n");
        } else {
            fields.push(format!("Content-Length:{}{len}{}", ows(rng), ows(rng)));
            body = data;
        }
    }
    // Field order is free (RFC 9110 §5.3), except that it carries no meaning here.
    for i in (1..fields.len()).rev() {
        let j = rng.below(i + 1);
        fields.swap(i, j);
    }
    for f in &fields {
        head.push_str(f);
        head.push_str("\r\n");
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend_from_slice(&body);
    out
}

/// Request-smuggling shapes (RFC 9112 §6.3, §11.2) and other hand-made heads.
fn smuggling() -> Vec<Vec<u8>> {
    let put = "PUT /x HTTP/1.1\r\nHost: t\r\n";
    let te = "Transfer-Encoding: chunked\r\n";
    let cases: Vec<String> = vec![
        format!("{put}Content-Length: 5\r\n{te}\r\n0\r\n\r\n"),
        format!("{put}{te}Content-Length: 5\r\n\r\n0\r\n\r\n"),
        format!("{put}Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!"),
        format!("{put}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello"),
        format!("{put}Content-Length: 5, 5\r\n\r\nhello"),
        format!("{put}Content-Length: 5, 6\r\n\r\nhello!"),
        format!("{put}Content-Length: +5\r\n\r\nhello"),
        format!("{put}Content-Length: -5\r\n\r\nhello"),
        format!("{put}Content-Length: 0x5\r\n\r\nhello"),
        format!("{put}Content-Length: 05\r\n\r\nhello"),
        format!("{put}Content-Length: 5 5\r\n\r\nhello"),
        format!("{put}Content-Length: \r\n\r\nhello"),
        format!("{put}Content-Length: 99999999999999999999999\r\n\r\nhello"),
        format!("{put}Transfer-Encoding: chunked \r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding:\tchunked\r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding: CHUNKED\r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding: chunked, identity\r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding: chunked, chunked\r\n\r\n0\r\n\r\n"),
        format!("{put}{te}{te}\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding: \"chunked\"\r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding : chunked\r\n\r\n0\r\n\r\n"),
        format!("{put}Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n"),
        format!("{put}X: y\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        "PUT /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n".into(),
        "PUT /x HTTP/1.0\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
            .into(),
        format!("{put}{te}\r\nzz\r\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n-5\r\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n0x5\r\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n 5\r\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n5 \r\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n5;\r\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n5;a b\r\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n10000000000000005\r\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n5\r\nhelloXX\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n5\nhello\r\n0\r\n\r\n"),
        format!("{put}{te}\r\n5\r\nhello\n0\r\n\r\n"),
        format!("{put}{te}\r\n5\r\nhello\r\n0\r\nX: a\r\n b\r\n\r\n"),
        format!("{put}{te}\r\n5\r\nhello\r\n0\r\nX : a\r\n\r\n"),
        "GET / HTTP/1.1\r\nHost: t\r\nX: a\rb\r\n\r\n".into(),
        "GET / HTTP/1.1\rHost: t\r\n\r\n".into(),
        "GET / HTTP/1.1\nHost: t\n\n".into(),
        "GET / HTTP/1.1\r\nHost: t\nX: y\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: t\r\nX: a\r\n folded\r\n\r\n".into(),
        "GET / HTTP/1.1\r\n Host: t\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost : t\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: t\r\nX: a\0b\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: t\r\nX: a\x01b\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: t\r\nX: a\x7fb\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: t\r\n: x\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n".into(),
        "GET / HTTP/1.1\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost:\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: a b\r\n\r\n".into(),
        "GET / HTTP/1.1\r\nHost: a/b\r\n\r\n".into(),
        "GET / HTTP/1.0\r\n\r\n".into(),
        "GET / HTTP/2.0\r\nHost: t\r\n\r\n".into(),
        "GET / HTTP/1.10\r\nHost: t\r\n\r\n".into(),
        "GET / http/1.1\r\nHost: t\r\n\r\n".into(),
        "GET  / HTTP/1.1\r\nHost: t\r\n\r\n".into(),
        "GET / HTTP/1.1 \r\nHost: t\r\n\r\n".into(),
        "GET /\r\n\r\n".into(),
        "\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n".into(),
        "GET * HTTP/1.1\r\nHost: t\r\n\r\n".into(),
        "OPTIONS * HTTP/1.1\r\nHost: t\r\n\r\n".into(),
        "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n".into(),
        "GET example.com:443 HTTP/1.1\r\nHost: t\r\n\r\n".into(),
        "GET a HTTP/1.1\r\nHost: t\r\n\r\n".into(),
        "G@T / HTTP/1.1\r\nHost: t\r\n\r\n".into(),
        "GET /\x7f HTTP/1.1\r\nHost: t\r\n\r\n".into(),
        "PUT / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000000\r\n\r\n".into(),
    ];
    let mut out: Vec<Vec<u8>> = cases.into_iter().map(String::into_bytes).collect();
    // Bytes that are not UTF-8, where values allow obs-text and where nothing does.
    out.push(b"GET / HTTP/1.1\r\nHost: t\r\nX: caf\xe9\r\n\r\n".to_vec());
    out.push(b"GET /\xe9 HTTP/1.1\r\nHost: t\r\n\r\n".to_vec());
    out.push(b"GET / HTTP/1.1\r\nHost: t\r\nX\xe9: v\r\n\r\n".to_vec());
    out
}

/// Bytes a mutation favours: those that framing and field parsing care about.
const INTERESTING: &[u8] = b"\r\n \t:;,\0\x01\x7f\x80\xff0aA-\"/?%\x0b\x0c";

/// A valid request with one to three random edits.
fn mutated(rng: &mut Rng) -> Vec<u8> {
    let v = valid(rng);
    mutate(rng, v)
}

/// One to three random edits of `v`.
fn mutate(rng: &mut Rng, mut v: Vec<u8>) -> Vec<u8> {
    for _ in 0..1 + rng.below(3) {
        if v.is_empty() {
            break;
        }
        let at = rng.below(v.len());
        let byte = if rng.chance(70) {
            *rng.pick(INTERESTING)
        } else {
            rng.next() as u8
        };
        match rng.below(4) {
            0 => v[at] = byte,
            1 => v.insert(at, byte),
            2 => {
                v.remove(at);
            }
            _ => {
                // Flip the case of a letter, or drop a CR to leave a bare LF.
                if v[at].is_ascii_alphabetic() {
                    v[at] ^= 0x20;
                } else if let Some(cr) = v[at..].iter().position(|&b| b == b'\r') {
                    v.remove(at + cr);
                }
            }
        }
    }
    v
}

fn corpus() -> Vec<Vec<u8>> {
    let mut rng = Rng(0x5eed_0000_0000_0007);
    let mut cases = smuggling();
    for _ in 0..1200 {
        cases.push(valid(&mut rng));
    }
    for _ in 0..2500 {
        cases.push(mutated(&mut rng));
    }
    cases
}

// ---------------------------------------------------------------------------------------
// h11
// ---------------------------------------------------------------------------------------

fn script() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("python/h11_verdict.py")
}

fn base64(data: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = u32::from(b[0]) << 16 | u32::from(b[1]) << 8 | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// h11's verdicts, in order. Fails the test when python3 or h11 is missing.
fn h11_verdicts(cases: &[Vec<u8>]) -> Vec<(Verdict, String)> {
    h11_run(cases, "")
}

/// h11's verdicts on responses to `method` (GET or HEAD), each followed by the end of the
/// connection.
fn h11_response_verdicts(cases: &[Vec<u8>], method: &str) -> Vec<(Verdict, String)> {
    h11_run(
        cases,
        &format!(", \"role\": \"client\", \"method\": \"{method}\""),
    )
}

/// Runs h11_verdict.py on `cases`, with `extra` JSON members in each line.
fn h11_run(cases: &[Vec<u8>], extra: &str) -> Vec<(Verdict, String)> {
    let mut child = match Command::new("python3")
        .arg(script())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(e) => panic!(
            "cannot run python3 ({e}): the differential test needs python3 and h11; \
             run scripts/test, which installs them"
        ),
    };
    let mut stdin = child.stdin.take().unwrap();
    let input: String = cases
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{{\"id\": {i}, \"data\": \"{}\"{extra}}}\n", base64(c)))
        .collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let stdout = BufReader::new(child.stdout.take().unwrap());
    let mut verdicts = Vec::with_capacity(cases.len());
    for line in stdout.lines() {
        let line = line.unwrap();
        // {"id": N, "verdict": "...", "why": "..."}: a few fields, parsed by hand.
        let field = |name: &str| -> String {
            let key = format!("\"{name}\": \"");
            let start = line.find(&key).map(|i| i + key.len()).unwrap_or(line.len());
            let rest = &line[start..];
            let mut out = String::new();
            let mut chars = rest.chars();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => out.push(chars.next().unwrap_or('\\')),
                    c => out.push(c),
                }
            }
            out
        };
        verdicts.push((Verdict::from_h11(&field("verdict")), field("why")));
    }
    writer.join().unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && verdicts.len() == cases.len(),
        "h11_verdict.py failed ({}; {} of {} verdicts): {stderr}\n\
         the differential test needs python3 and h11; run scripts/test, which installs them",
        out.status,
        verdicts.len(),
        cases.len()
    );
    verdicts
}

// ---------------------------------------------------------------------------------------
// Known differences
// ---------------------------------------------------------------------------------------

/// The head region of an input: up to the first blank line (`\n\r?\n`, as h11 finds it),
/// or all of it.
fn head_region(input: &[u8]) -> &[u8] {
    for i in 0..input.len() {
        if input[i] == b'\n' {
            match &input[i + 1..] {
                [b'\n', ..] | [b'\r', b'\n', ..] => return &input[..i],
                _ => {}
            }
        }
    }
    input
}

/// The head's lines, split at LF, one trailing CR removed.
fn lines(input: &[u8]) -> Vec<&[u8]> {
    head_region(input)
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

fn trim(mut s: &[u8]) -> &[u8] {
    while let [b' ' | b'\t', rest @ ..] = s {
        s = rest;
    }
    while let [rest @ .., b' ' | b'\t'] = s {
        s = rest;
    }
    s
}

/// The field lines as (name, value), the value trimmed of OWS.
fn fields(input: &[u8]) -> Vec<(&[u8], &[u8])> {
    lines(input)
        .into_iter()
        .skip(1)
        .filter_map(|l| {
            let colon = l.iter().position(|&b| b == b':')?;
            Some((&l[..colon], trim(&l[colon + 1..])))
        })
        .collect()
}

fn has_field(input: &[u8], name: &str) -> bool {
    fields(input)
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
}

fn field<'a>(input: &'a [u8], name: &str) -> Option<&'a [u8]> {
    fields(input)
        .into_iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name.as_bytes()))
        .map(|(_, v)| v)
}

/// Method, target and version of the request line (split at single spaces).
fn request_line(input: &[u8]) -> (&[u8], &[u8], &[u8]) {
    let line = lines(input).first().copied().unwrap_or(b"");
    let mut parts = line.splitn(3, |&b| b == b' ');
    (
        parts.next().unwrap_or(b""),
        parts.next().unwrap_or(b""),
        parts.next().unwrap_or(b""),
    )
}

/// The lines after the head (a chunked body's size lines among them), CR removed.
fn body_lines(input: &[u8]) -> Vec<&[u8]> {
    let Some(at) = input.windows(4).position(|w| w == b"\r\n\r\n") else {
        return Vec::new();
    };
    input[at + 4..]
        .split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .collect()
}

/// A body line that starts like a chunk-size line: hex digits, then what follows them.
fn chunk_size_lines(input: &[u8]) -> Vec<(&[u8], &[u8])> {
    body_lines(input)
        .into_iter()
        .filter_map(|l| {
            let n = l.iter().take_while(|b| b.is_ascii_hexdigit()).count();
            (n > 0).then(|| (&l[..n], &l[n..]))
        })
        .collect()
}

fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

/// RFC 3986 §3.2.2 and §3.2.3: `uri-host [ ":" port ]`, where uri-host is an IP-literal
/// (here loosely: hex digits, colons and dots in brackets) or a reg-name.
fn is_valid_host(v: &[u8]) -> bool {
    let (host, port): (&[u8], &[u8]) = if let Some(end) = v.iter().position(|&b| b == b']') {
        let (h, rest) = v.split_at(end + 1);
        match rest {
            [] => (h, b""),
            [b':', port @ ..] => (h, port),
            _ => return false,
        }
    } else {
        match v.iter().rposition(|&b| b == b':') {
            Some(i) => (&v[..i], &v[i + 1..]),
            None => (v, b""),
        }
    };
    if !port.iter().all(u8::is_ascii_digit) {
        return false;
    }
    if let [b'[', inner @ .., b']'] = host {
        return !inner.is_empty()
            && inner
                .iter()
                .all(|b| b.is_ascii_hexdigit() || b".:".contains(b));
    }
    // reg-name = *( unreserved / pct-encoded / sub-delims )
    let mut i = 0;
    while i < host.len() {
        let b = host[i];
        if b == b'%' {
            if !(host.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && host.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
            {
                return false;
            }
            i += 3;
            continue;
        }
        if !(b.is_ascii_alphanumeric() || b"-._~!$&'()*+,;=".contains(&b)) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether `target` fits one of the four forms of RFC 9112 §3.2 for `method`.
fn is_valid_target(method: &[u8], target: &[u8]) -> bool {
    if target.is_empty() || !target.iter().all(|b| (0x21..=0x7e).contains(b)) {
        return false;
    }
    match target {
        [b'/', ..] => true,
        b"*" => method == b"OPTIONS",
        _ if method == b"CONNECT" => is_valid_host(target),
        _ => {
            // absolute-form: scheme ":" hier-part (RFC 3986 §3.1).
            let Some(colon) = target.iter().position(|&b| b == b':') else {
                return false;
            };
            let scheme = &target[..colon];
            scheme.first().is_some_and(u8::is_ascii_alphabetic)
                && scheme
                    .iter()
                    .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(b))
        }
    }
}

/// RFC 9112 §7.1.1: `*( BWS ";" BWS name [ BWS "=" BWS ( token / quoted-string ) ] )`.
fn is_valid_chunk_ext(mut s: &[u8]) -> bool {
    let skip_ws = |s: &mut &[u8]| {
        while let [b' ' | b'\t', rest @ ..] = *s {
            *s = rest;
        }
    };
    let token = |s: &mut &[u8]| -> bool {
        let n = s.iter().take_while(|&&b| is_tchar(b)).count();
        *s = &s[n..];
        n > 0
    };
    loop {
        skip_ws(&mut s);
        match s {
            [] => return true,
            [b';', rest @ ..] => s = rest,
            _ => return false,
        }
        skip_ws(&mut s);
        if !token(&mut s) {
            return false;
        }
        let mut peek = s;
        skip_ws(&mut peek);
        if let [b'=', rest @ ..] = peek {
            s = rest;
            skip_ws(&mut s);
            if let [b'"', rest @ ..] = s {
                let mut i = 0;
                loop {
                    match rest.get(i) {
                        None => return false,
                        Some(b'"') => break,
                        Some(b'\\') => i += 2,
                        Some(&b) if b == b'\t' || b >= 0x20 && b != 0x7f => i += 1,
                        Some(_) => return false,
                    }
                }
                s = &rest[i + 1..];
            } else if !token(&mut s) {
                return false;
            }
        }
    }
}

/// Our verdict, h11's, and the input: `Some(())` when the difference is the known one.
type Classifier = fn(&[u8], Verdict, Verdict) -> bool;

/// Known differences, each with the rule that allows (or requires) our verdict.
const KNOWN: &[(&str, Classifier)] = &[
    // RFC 9112 §2.2: "a recipient MAY recognize a single LF as a line terminator". h11
    // does; we refuse, because a bare LF read differently by two hops is a smuggling
    // vector (RFC 9112 §11.2). Both are allowed.
    (
        "bare LF in the head (RFC 9112 §2.2 MAY)",
        |input, ours, h11| {
            // The head and the blank line that ends it.
            let head = &input[..(head_region(input).len() + 3).min(input.len())];
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && (0..head.len()).any(|i| head[i] == b'\n' && (i == 0 || head[i - 1] != b'\r'))
        },
    ),
    // RFC 9112 §5.2: a server MUST either reject obs-fold with 400 or replace it with SP
    // (in the head and, by §7.1.2, in trailers);
    // §2.2: whitespace before the first field line MUST be rejected or the line ignored.
    // h11 unfolds; we reject. Both are allowed.
    (
        "obs-fold or a line starting with whitespace (RFC 9112 §5.2, §2.2)",
        |input, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && lines(input)
                    .into_iter()
                    .skip(1)
                    .chain(body_lines(input))
                    .any(|l| l.starts_with(b" ") || l.starts_with(b"\t"))
        },
    ),
    // RFC 9112 §3.2: a server MUST answer 400 to a request whose Host field value is
    // invalid. h11 checks only that Host is present.
    (
        "invalid Host value (RFC 9112 §3.2 MUST 400)",
        |input, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && field(input, "host").is_some_and(|v| !is_valid_host(v))
        },
    ),
    // RFC 9112 §3.2: a request-target is one of four forms, and asterisk-form is only for
    // OPTIONS (§3.2.4), authority-form only for CONNECT (§3.2.3). h11 accepts any run of
    // visible characters.
    (
        "a target in none of the four forms (RFC 9112 §3.2)",
        |input, ours, h11| {
            let (method, target, _) = request_line(input);
            ours == Verdict::Reject && h11 != Verdict::Reject && !is_valid_target(method, target)
        },
    ),
    // RFC 9110 §5.5: field-vchar is VCHAR or obs-text; control bytes are invalid. h11
    // refuses only NUL and whitespace controls.
    (
        "a control byte in a field value (RFC 9110 §5.5)",
        |input, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && fields(input)
                    .iter()
                    .any(|(_, v)| v.iter().any(|&b| b < 0x20 && b != b'\t' || b == 0x7f))
        },
    ),
    // RFC 9112 §6.1: Transfer-Encoding in an HTTP/1.0 request MUST be treated as faulty
    // framing. h11 reads it as chunked.
    (
        "Transfer-Encoding in HTTP/1.0 (RFC 9112 §6.1)",
        |input, ours, _| {
            ours == Verdict::Reject
                && request_line(input).2 == b"HTTP/1.0"
                && has_field(input, "transfer-encoding")
        },
    ),
    // RFC 9112 §6.3 item 3: a server MAY reject a request with both Content-Length and
    // Transfer-Encoding (and MUST close the connection either way). h11 uses TE alone.
    (
        "Content-Length with Transfer-Encoding (RFC 9112 §6.3 MAY reject)",
        |input, ours, _| {
            ours == Verdict::Reject
                && has_field(input, "content-length")
                && has_field(input, "transfer-encoding")
        },
    ),
    // RFC 9110 §15.6.6 and RFC 9112 §2.3: a major version other than 1 earns 505. h11
    // parses any d.d version.
    (
        "HTTP major version not 1 (RFC 9110 §15.6.6)",
        |input, ours, h11| {
            let v = request_line(input).2;
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && v.len() == 8
                && v.starts_with(b"HTTP/")
                && v[5] != b'1'
        },
    ),
    // RFC 9112 §7.1.1: BWS is allowed before the `;` of a chunk extension. h11 refuses
    // whitespace there.
    (
        "whitespace before a chunk extension (RFC 9112 §7.1.1 BWS)",
        |input, ours, h11| {
            ours != Verdict::Reject
                && h11 == Verdict::Reject
                && chunk_size_lines(input).iter().any(|(_, rest)| {
                    let t = rest
                        .iter()
                        .take_while(|&&b| b == b' ' || b == b'\t')
                        .count();
                    t > 0 && rest.get(t) == Some(&b';')
                })
        },
    ),
    // RFC 9112 §7.1.1: an extension is `;name[=value]` with token or quoted-string parts.
    // h11 accepts anything after a `;`.
    (
        "a malformed chunk extension (RFC 9112 §7.1.1)",
        |input, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && chunk_size_lines(input)
                    .iter()
                    .any(|(_, rest)| rest.contains(&b';') && !is_valid_chunk_ext(rest))
        },
    ),
    // RFC 9112 §7.1: `chunk = chunk-size [ chunk-ext ] CRLF`: nothing may follow the size
    // but an extension. h11 allows trailing whitespace.
    (
        "whitespace after a chunk size (RFC 9112 §7.1)",
        |input, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && chunk_size_lines(input)
                    .iter()
                    .any(|(_, rest)| !rest.is_empty() && trim(rest).is_empty())
        },
    ),
    // RFC 9112 §7.1: recipients MUST prevent integer overflow in chunk sizes; more than 16
    // significant hex digits do not fit in 64 bits. h11 takes up to 20 digits.
    (
        "a chunk size beyond 64 bits (RFC 9112 §7.1)",
        |input, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && chunk_size_lines(input)
                    .iter()
                    .any(|(size, _)| size.iter().skip_while(|&&b| b == b'0').count() > 16)
        },
    ),
    // RFC 9110 §15.5.14: a server MAY refuse a body larger than it will accept (413);
    // Limits::default().max_body is 1 GiB. h11 has no such bound.
    (
        "Content-Length above Limits::max_body (RFC 9110 §15.5.14)",
        |input, ours, _| {
            ours == Verdict::Reject
                && field(input, "content-length")
                    .and_then(|v| std::str::from_utf8(v).ok()?.parse::<u64>().ok())
                    .is_some_and(|n| n > Limits::default().max_body)
        },
    ),
    // RFC 9112 §2.2: a server SHOULD ignore at least one empty line before the request
    // line. We do; h11 refuses it.
    (
        "an empty line before the request line (RFC 9112 §2.2 SHOULD ignore)",
        |input, ours, h11| {
            ours == Verdict::Accept && h11 == Verdict::Reject && input.starts_with(b"\r\n")
        },
    ),
];

/// The name of the known difference that explains `ours` against `h11` on `input`.
fn classify(input: &[u8], ours: Verdict, h11: Verdict) -> Option<&'static str> {
    KNOWN
        .iter()
        .find(|(_, f)| f(input, ours, h11))
        .map(|(name, _)| *name)
}

// ---------------------------------------------------------------------------------------

fn show(input: &[u8]) -> String {
    let s = String::from_utf8_lossy(input);
    let s = s.replace('\r', "\\r").replace('\n', "\\n\n    ");
    if s.len() > 600 {
        format!(
            "{}...",
            &s[..s.char_indices().nth(600).map_or(s.len(), |(i, _)| i)]
        )
    } else {
        s
    }
}

#[test]
fn parser_agrees_with_h11_except_for_known_differences() {
    let cases = corpus();
    let theirs = h11_verdicts(&cases);
    let mut agreed: BTreeMap<Verdict, usize> = BTreeMap::new();
    let mut known: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    // Cases we refuse while h11 still waits for the end of the head: looked at again below.
    let mut early = Vec::new();
    for (i, input) in cases.iter().enumerate() {
        let (ours, our_why) = ours(input);
        for step in [1, 7] {
            let split = ours_split(input, step);
            // The parser looks at an incomplete head again only when it may have ended or
            // the input doubled (so that one byte per call stays linear): an error in a
            // finished line of an unfinished head can wait for the end of the head.
            let same = split == ours
                || ours == Verdict::Reject
                    && split == Verdict::Incomplete
                    && ours_split(&[&input[..], b"\r\n\r\n"].concat(), step) == Verdict::Reject;
            assert!(
                same,
                "case {i}: fed {step} bytes at a time, the parser says {split:?}, not {ours:?}\n    {}",
                show(input)
            );
        }
        let (h11, h11_why) = &theirs[i];
        if ours == *h11 {
            *agreed.entry(ours).or_default() += 1;
        } else if let Some(name) = classify(input, ours, *h11) {
            *known.entry(name).or_default() += 1;
        } else if ours == Verdict::Reject && *h11 == Verdict::Incomplete {
            early.push(i);
        } else {
            unexplained.push(format!(
                "case {i}: ours {ours:?} {our_why}, h11 {h11:?} {h11_why}\n    {}",
                show(input)
            ));
        }
    }
    // Our parser refuses a bad line as soon as that line is complete; h11 reads the whole
    // head first (RFC 9112 §2.2 lets a recipient reject an invalid message at any point).
    // With the head completed, h11 must refuse it too, or the difference must be a known
    // one.
    let completed: Vec<Vec<u8>> = early
        .iter()
        .map(|&i| [&cases[i][..], b"\r\n\r\n"].concat())
        .collect();
    let theirs_completed = h11_verdicts(&completed);
    for (k, &i) in early.iter().enumerate() {
        let input = &completed[k];
        let (ours, our_why) = ours(input);
        let (h11, h11_why) = &theirs_completed[k];
        if ours == *h11 || classify(input, ours, *h11).is_some() {
            *known
                .entry("refused before the head ends (RFC 9112 §2.2)")
                .or_default() += 1;
        } else {
            unexplained.push(format!(
                "case {i} (head completed): ours {ours:?} {our_why}, h11 {h11:?} {h11_why}\n    {}",
                show(input)
            ));
        }
    }
    eprintln!(
        "{} cases; agreed: {agreed:?}; known differences: {known:#?}",
        cases.len()
    );
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    // The corpus exercises every verdict, so agreement means something.
    let count = |v| agreed.get(&v).copied().unwrap_or(0);
    assert!(count(Verdict::Accept) > 1000, "{agreed:?}");
    assert!(count(Verdict::Reject) > 1000, "{agreed:?}");
    assert!(count(Verdict::Incomplete) > 10, "{agreed:?}");
}

// ---------------------------------------------------------------------------------------
// The same corpus against the running server
// ---------------------------------------------------------------------------------------

/// What the parser makes of `input`: the verdict, the status of its error, and whether the
/// head was read before the error (a body error the server may never read).
fn parse_outcome(input: &[u8]) -> (Verdict, u16, bool) {
    let mut parser = RequestParser::new(Limits::default());
    let mut at = 0;
    let mut head_seen = false;
    loop {
        match parser.handle_bytes(&input[at..]) {
            Err(e) => return (Verdict::Reject, e.status(), head_seen),
            Ok(step) => {
                at += step.consumed;
                match step.event {
                    Event::NeedMore => return (Verdict::Incomplete, 0, head_seen),
                    Event::End | Event::Paused => return (Verdict::Accept, 0, head_seen),
                    Event::Head(_) => head_seen = true,
                    _ => {}
                }
            }
        }
    }
}

/// Every complete case of the corpus, sent to simple-server on a connection of its own
/// (half-closed after the request): a request the parser refuses in its head gets exactly
/// the parser's status; any other gets some well-formed answer; the server never stops.
#[test]
fn the_server_answers_the_corpus_as_the_parser_decides() {
    use simplehttp_tests::server_util::{read_until_close, Server};
    use std::net::Shutdown;
    use std::sync::{Arc, Mutex};

    let mut server = Server::start(&["--quiet"]);
    std::fs::write(server.file("a.txt"), "a").unwrap();
    let cases: Vec<(Vec<u8>, Verdict, u16, bool)> = corpus()
        .into_iter()
        .map(|c| {
            let (v, status, head_seen) = parse_outcome(&c);
            (c, v, status, head_seen)
        })
        .filter(|(_, v, _, _)| *v != Verdict::Incomplete)
        .collect();
    let cases = Arc::new(cases);
    let problems = Arc::new(Mutex::new(Vec::new()));
    let addr = server.addr();
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let (cases, problems) = (Arc::clone(&cases), Arc::clone(&problems));
            std::thread::spawn(move || {
                for (i, (input, verdict, status, head_seen)) in
                    cases.iter().enumerate().skip(w).step_by(4)
                {
                    let mut sock = simplehttp_tests::server_util::connect(addr);
                    sock.set_read_timeout(Some(std::time::Duration::from_secs(5)))
                        .unwrap();
                    let _ = sock.write_all(input);
                    let _ = sock.shutdown(Shutdown::Write);
                    let (bytes, closed) = read_until_close(&mut sock);
                    let text = String::from_utf8_lossy(&bytes);
                    // The final answer: after any interim 100.
                    let finals: Vec<&str> = text
                        .split("HTTP/1.1 ")
                        .skip(1)
                        .filter(|r| !r.starts_with("100 "))
                        .collect();
                    let first = finals.first().and_then(|r| r.get(..3)).unwrap_or("");
                    let problem = if !closed {
                        Some("the connection stayed open after the request was half-closed".into())
                    } else if first.is_empty() || !first.bytes().all(|b| b.is_ascii_digit()) {
                        Some(format!("no answer: {text:?}"))
                    } else if *verdict == Verdict::Reject
                        && !*head_seen
                        && first != status.to_string()
                    {
                        Some(format!("answered {first}, the parser says {status}"))
                    } else {
                        None
                    };
                    if let Some(p) = problem {
                        problems
                            .lock()
                            .unwrap()
                            .push(format!("case {i}: {p}\n    {}", show(input)));
                    }
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    let problems = problems.lock().unwrap();
    eprintln!("{} complete cases sent to the server", cases.len());
    assert!(
        problems.is_empty(),
        "{} problems, the first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(10)].join("\n")
    );
    // Still serving (the corpus itself puts and deletes /a.txt, so ask for the root).
    assert_eq!(server.get("/").status, 200);
    assert!(
        server.temporaries().is_empty(),
        "{:?}",
        server.temporaries()
    );
    assert!(server.is_running(), "the server stopped");
}

// ---------------------------------------------------------------------------------------
// Responses: the client side of the core against h11 as a client
// ---------------------------------------------------------------------------------------

/// Our verdict on a response to GET or HEAD, followed by the end of the connection.
fn ours_response(input: &[u8], head: bool) -> (Verdict, String) {
    use simplehttp_core::{Method, ResponseParser};
    let method = if head { Method::Head } else { Method::Get };
    let mut parser = ResponseParser::new(Limits::default(), method);
    let mut at = 0;
    let mut eof = false;
    for _ in 0..100_000 {
        let r = if eof {
            parser.handle_eof(&input[at..])
        } else {
            parser.handle_bytes(&input[at..])
        };
        match r {
            Err(e) => return (Verdict::Reject, e.to_string()),
            Ok(step) => {
                at += step.consumed;
                match step.event {
                    Event::NeedMore if eof => return (Verdict::Incomplete, String::new()),
                    Event::NeedMore => eof = true,
                    Event::End | Event::Paused => return (Verdict::Accept, String::new()),
                    _ => {}
                }
            }
        }
    }
    panic!(
        "the response parser made no progress on {:?}",
        String::from_utf8_lossy(input)
    );
}

/// A valid response to GET (`head` false) or HEAD.
fn valid_response(rng: &mut Rng, head: bool) -> Vec<u8> {
    const STATUSES: &[&str] = &[
        "200 OK",
        "200 OK",
        "201 Created",
        "204 No Content",
        "206 Partial Content",
        "301 Moved Permanently",
        "304 Not Modified",
        "404 Not Found",
        "500 Internal Server Error",
        "200 ",
        "200",
        "299 Whatever It Says",
    ];
    const FIELDS: &[&str] = &[
        "Date: Tue, 14 Nov 2023 22:13:20 GMT",
        "Server: differential/1.0",
        "Content-Type: text/plain; charset=utf-8",
        "ETag: \"abc\"",
        "Cache-Control: no-cache",
        "X-Empty:",
        "Connection: keep-alive",
    ];
    let mut out = Vec::new();
    if rng.chance(15) {
        let interim = if rng.chance(50) {
            "HTTP/1.1 100 Continue\r\n\r\n"
        } else {
            "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
        };
        out.extend_from_slice(interim.as_bytes());
    }
    let http10 = rng.chance(10);
    let status = *rng.pick(STATUSES);
    let code: u16 = status[..3].parse().unwrap();
    let mut head_text = format!("HTTP/1.{} {status}\r\n", if http10 { 0 } else { 1 });
    let mut fields: Vec<String> = (0..rng.below(4))
        .map(|_| {
            let f = rng.pick(FIELDS);
            let (name, value) = f.split_once(':').unwrap();
            format!("{name}:{}{}{}", ows(rng), value.trim(), ows(rng))
        })
        .collect();
    let no_body = head || code == 204 || code == 304;
    let len = rng.below(24);
    let data: Vec<u8> = (0..len).map(|_| b'a' + rng.below(26) as u8).collect();
    let mut body = Vec::new();
    match rng.below(3) {
        // Content-Length (for HEAD, 204 and 304 it describes a body that is not sent).
        0 => {
            if code != 204 {
                fields.push(format!("Content-Length:{}{len}{}", ows(rng), ows(rng)));
            }
            if !no_body {
                body = data;
            }
        }
        1 if !http10 && code != 204 && code != 304 => {
            fields.push(format!("Transfer-Encoding:{}chunked{}", ows(rng), ows(rng)));
            if !no_body {
                let mut rest = &data[..];
                while !rest.is_empty() {
                    let n = 1 + rng.below(rest.len());
                    let ext = *rng.pick(&["", "", ";a", ";a=b", ";n=\"q v\""]);
                    body.extend_from_slice(format!("{n:x}{ext}\r\n").as_bytes());
                    body.extend_from_slice(&rest[..n]);
                    body.extend_from_slice(b"\r\n");
                    rest = &rest[n..];
                }
                body.extend_from_slice(b"0\r\n");
                if rng.chance(25) {
                    body.extend_from_slice(b"X-Trailer: yes\r\n");
                }
                body.extend_from_slice(b"\r\n");
            }
        }
        // Close-delimited: the body runs to the end of the connection.
        _ => {
            if !no_body {
                fields.push("Connection: close".into());
                body = data;
            }
        }
    }
    for f in &fields {
        head_text.push_str(f);
        head_text.push_str("\r\n");
    }
    head_text.push_str("\r\n");
    out.extend_from_slice(head_text.as_bytes());
    out.extend_from_slice(&body);
    out
}

/// The heads of a response, interim ones included, with the blank line that ends the
/// last: everything before the body.
fn response_heads(input: &[u8]) -> &[u8] {
    let mut start = 0;
    loop {
        let head = head_region(&input[start..]);
        let end = (start + head.len() + 3).min(input.len());
        let interim = head.len() > 10 && head.starts_with(b"HTTP/1.") && head[9] == b'1';
        if !interim || end >= input.len() {
            return &input[..end];
        }
        // Past the blank line: `\n\n` or `\n\r\n`.
        start = end - usize::from(input[end - 1] != b'\n');
    }
}

/// A bare LF (one not after a CR) in `bytes`.
fn has_bare_lf(bytes: &[u8]) -> bool {
    (0..bytes.len()).any(|i| bytes[i] == b'\n' && (i == 0 || bytes[i - 1] != b'\r'))
}

/// The status lines of a response (interim ones included).
fn status_lines(input: &[u8]) -> Vec<&[u8]> {
    response_heads(input)
        .split(|&b| b == b'\n')
        .filter(|l| l.starts_with(b"HTTP/"))
        .collect()
}

type ResponseClassifier = fn(&[u8], bool, Verdict, Verdict) -> bool;

/// Known differences on responses (input, HEAD?, ours, h11), each with its rule.
const KNOWN_RESPONSE: &[(&str, ResponseClassifier)] = &[
    // RFC 9112 §2.2: a recipient MAY take a bare LF as a line end; h11 does, we do not.
    (
        "bare LF in a head (RFC 9112 §2.2 MAY)",
        |input, _, ours, h11| {
            ours == Verdict::Reject && h11 != Verdict::Reject && has_bare_lf(response_heads(input))
        },
    ),
    // RFC 9110 §5.5: control bytes are not field-vchar; h11 refuses only NUL and
    // whitespace controls.
    (
        "a control byte in a field value (RFC 9110 §5.5)",
        |input, _, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && response_heads(input)
                    .split(|&b| b == b'\n')
                    .filter(|l| !l.starts_with(b"HTTP/"))
                    .any(|l| {
                        let l = l.strip_suffix(b"\r").unwrap_or(l);
                        l.iter().any(|&b| b < 0x20 && b != b'\t' || b == 0x7f)
                    })
        },
    ),
    // RFC 9112 §4: reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ): no control bytes.
    // h11 accepts them.
    (
        "a control byte in a reason phrase (RFC 9112 §4)",
        |input, _, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && status_lines(input).iter().any(|l| {
                    let l = l.strip_suffix(b"\r").unwrap_or(l);
                    l.iter().any(|&b| b < 0x20 && b != b'\t' || b == 0x7f)
                })
        },
    ),
    // RFC 9112 §6.3 item 4: a response whose Transfer-Encoding does not end in chunked is
    // read until the connection closes. h11 refuses any coding but chunked.
    (
        "a response coding other than chunked is close-delimited (RFC 9112 §6.3)",
        |input, _, ours, h11| {
            ours == Verdict::Accept
                && h11 == Verdict::Reject
                && response_heads(input).split(|&b| b == b'\n').any(|l| {
                    let l = l.strip_suffix(b"\r").unwrap_or(l);
                    let Some(colon) = l.iter().position(|&b| b == b':') else {
                        return false;
                    };
                    l[..colon].eq_ignore_ascii_case(b"transfer-encoding")
                        && !trim(l[colon + 1..].rsplit(|&b| b == b',').next().unwrap_or(b""))
                            .eq_ignore_ascii_case(b"chunked")
                })
        },
    ),
    // RFC 9110 §2.5 and RFC 9112 §2.3: only HTTP/1.x is read as HTTP/1.1; h11 takes any
    // d.d version.
    (
        "HTTP major version not 1 (RFC 9112 §2.3)",
        |input, _, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && status_lines(input)
                    .iter()
                    .any(|l| l.len() > 6 && l[5] != b'1')
        },
    ),
    // RFC 9112 §7.1.1: a chunk extension is `;name[=value]`; h11 accepts anything.
    (
        "a malformed chunk extension (RFC 9112 §7.1.1)",
        |input, _, ours, h11| {
            ours == Verdict::Reject
                && h11 != Verdict::Reject
                && chunk_size_lines(input)
                    .iter()
                    .any(|(_, rest)| rest.contains(&b';') && !is_valid_chunk_ext(rest))
        },
    ),
];

#[test]
fn response_parser_agrees_with_h11_except_for_known_differences() {
    let mut rng = Rng(0x5eed_0000_0000_0011);
    let mut cases: Vec<(Vec<u8>, bool)> = Vec::new();
    for i in 0..2400 {
        let head = i % 5 == 4;
        let v = valid_response(&mut rng, head);
        let v = if i % 2 == 1 { mutate(&mut rng, v) } else { v };
        cases.push((v, head));
    }
    let (gets, heads): (Vec<_>, Vec<_>) = cases.iter().partition(|(_, head)| !head);
    let gets: Vec<Vec<u8>> = gets.into_iter().map(|(c, _)| c.clone()).collect();
    let heads: Vec<Vec<u8>> = heads.into_iter().map(|(c, _)| c.clone()).collect();
    let mut agreed: BTreeMap<Verdict, usize> = BTreeMap::new();
    let mut known: BTreeMap<&str, usize> = BTreeMap::new();
    let mut unexplained = Vec::new();
    for (batch, head) in [(&gets, false), (&heads, true)] {
        let theirs = h11_response_verdicts(batch, if head { "HEAD" } else { "GET" });
        for (i, input) in batch.iter().enumerate() {
            let (ours, our_why) = ours_response(input, head);
            let (h11, h11_why) = &theirs[i];
            if ours == *h11 {
                *agreed.entry(ours).or_default() += 1;
            } else if let Some((name, _)) = KNOWN_RESPONSE
                .iter()
                .find(|(_, f)| f(input, head, ours, *h11))
            {
                *known.entry(name).or_default() += 1;
            } else {
                unexplained.push(format!(
                    "{} case {i}: ours {ours:?} {our_why}, h11 {h11:?} {h11_why}\n    {}",
                    if head { "HEAD" } else { "GET" },
                    show(input)
                ));
            }
        }
    }
    eprintln!("responses: agreed {agreed:?}; known differences: {known:#?}");
    assert!(
        unexplained.is_empty(),
        "{} unexplained differences:\n{}",
        unexplained.len(),
        unexplained.join("\n")
    );
    let count = |v| agreed.get(&v).copied().unwrap_or(0);
    assert!(count(Verdict::Accept) > 1000, "{agreed:?}");
    assert!(count(Verdict::Reject) > 300, "{agreed:?}");
}
