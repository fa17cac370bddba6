//! Hostile header values against `decide`: ranges, dates, entity tags, credentials,
//! expectations and upload headers, many thousands of seeded combinations. Nothing may
//! panic (integer overflow included: tests build with overflow checks), every reply head
//! must parse back as a response with the same status, and every file range planned must
//! lie inside the file.
//!
//! The fuzz targets cover the parsers; this covers what the server decides after them.

use simplehttp_core::{
    decide, Auth, Body, Event, Limits, MemoryStore, Method, PlainUsers, Policy, RequestParser,
    ResponseParser, Timestamp,
};
use std::panic::{catch_unwind, AssertUnwindSafe};

const NOW: Timestamp = Timestamp(1_800_000_000);
const MTIME: Timestamp = Timestamp(1_700_000_000);

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
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const U64_MAX: &str = "18446744073709551615";

fn number(rng: &mut Rng) -> String {
    match rng.below(8) {
        0 => U64_MAX.into(),
        1 => "18446744073709551616".into(),
        2 => "99999999999999999999999999".into(),
        3 => (rng.next() % 2000).to_string(),
        4 => "0".into(),
        5 => "00000000000000000001".into(),
        6 => (999 + rng.below(3)).to_string(),
        _ => rng.next().to_string(),
    }
}

fn range(rng: &mut Rng) -> String {
    let unit = rng.pick(&["bytes", "bytes", "bytes", "BYTES", "items", "bytes "]);
    let spec = |rng: &mut Rng| -> String {
        match rng.below(6) {
            0 => format!("{}-{}", number(rng), number(rng)),
            1 => format!("{}-", number(rng)),
            2 => format!("-{}", number(rng)),
            3 => rng
                .pick(&["-", "--1", "1--2", "", " 0-1", "0-1 ", "a-b", "0x1-2"])
                .into(),
            _ => format!("{}-{}", rng.below(1100), rng.below(1100)),
        }
    };
    let mut specs = vec![spec(rng)];
    for _ in 0..rng.below(3) {
        specs.push(spec(rng));
    }
    format!("{unit}={}", specs.join(rng.pick(&[",", ", ", ",,"])))
}

fn date(rng: &mut Rng) -> String {
    rng.pick(&[
        "Sun, 06 Nov 1994 08:49:37 GMT",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Thu, 01 Jan 1970 00:00:00 GMT",
        "Tue, 14 Nov 2023 22:13:20 GMT",
        "Fri, 15 Jan 2027 08:00:00 GMT",
        "Fri, 31 Dec 9999 23:59:59 GMT",
        "Mon, 32 Jan 2020 25:61:61 GMT",
        "Sat, 29 Feb 2023 00:00:00 GMT",
        "Wed, 01 Jan 0000 00:00:00 GMT",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "",
        "0",
        "-1",
        "garbage",
    ])
    .into()
}

fn etag(rng: &mut Rng) -> String {
    rng.pick(&[
        "*",
        "\"abc\"",
        "W/\"abc\"",
        "\"\"",
        "\"",
        ",,,",
        "\"a\", W/\"b\", *",
        "W/",
        "\"unterminated",
        "\"6553f100-3e8\"",
    ])
    .into()
}

/// A request head with some hostile fields, and a body to match its framing.
fn request(rng: &mut Rng) -> Vec<u8> {
    let method = rng.pick(&["GET", "GET", "HEAD", "PUT", "DELETE", "OPTIONS", "POST"]);
    let target = rng.pick(&[
        "/a.txt",
        "/empty.txt",
        "/d/",
        "/d",
        "/d/x.bin",
        "/missing",
        "/a.txt/",
        "/d/new/deep.txt",
        "/",
        "*",
        "http://h/a.txt",
    ]);
    let version = rng.pick(&["1.1", "1.1", "1.0"]);
    let mut head = format!("{method} {target} HTTP/{version}\r\nHost: h\r\n");
    for _ in 0..1 + rng.below(4) {
        let field = match rng.below(11) {
            0 | 1 => format!("Range: {}", range(rng)),
            2 => format!(
                "If-Range: {}",
                if rng.below(2) == 0 {
                    date(rng)
                } else {
                    etag(rng)
                }
            ),
            3 => format!("If-Match: {}", etag(rng)),
            4 => format!("If-None-Match: {}", etag(rng)),
            5 => format!("If-Modified-Since: {}", date(rng)),
            6 => format!("If-Unmodified-Since: {}", date(rng)),
            7 => format!(
                "Authorization: {}",
                rng.pick(&[
                    "Basic dTpw",
                    "basic dTpw",
                    "Basic dTpwCg==",
                    "Basic ",
                    "Basic ====",
                    "Basic dTp",
                    "Basic !!!!",
                    "Bearer dTpw",
                    "Basic dTpwOnBw",
                    "Basic AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
                ])
            ),
            8 => format!(
                "Expect: {}",
                rng.pick(&["100-continue", "100-Continue", "nope", ""])
            ),
            9 => format!(
                "Content-Range: bytes {}-{}/{}",
                number(rng),
                number(rng),
                number(rng)
            ),
            _ => format!(
                "Connection: {}",
                rng.pick(&["close", "keep-alive", "upgrade, x"])
            ),
        };
        head.push_str(&field);
        head.push_str("\r\n");
    }
    let body_len = rng.below(200);
    if method == "PUT" || rng.below(10) == 0 {
        head.push_str(&format!("Content-Length: {body_len}\r\n"));
    }
    head.push_str("\r\n");
    let mut out = head.into_bytes();
    out.extend(std::iter::repeat_n(b'z', body_len));
    out
}

fn store() -> MemoryStore {
    MemoryStore::new()
        .with_file("a.txt", &[b'a'; 1000], MTIME)
        .with_file("empty.txt", b"", MTIME)
        .with_file("d/index.html", b"<p>index</p>", MTIME)
        .with_file("d/x.bin", &[7; 70_000], MTIME)
}

/// Policies, each with the parser's limits (the upload limit is `Limits::max_body`).
fn policies() -> Vec<(Policy, Limits)> {
    let limits = Limits::default();
    vec![
        (Policy::default(), limits),
        (
            Policy {
                read_only: true,
                ..Policy::default()
            },
            limits,
        ),
        (
            Policy {
                auth: Some(Auth::new(PlainUsers::new(["u:p"]), false)),
                ..Policy::default()
            },
            limits,
        ),
        (
            Policy::default(),
            Limits {
                max_body: 100,
                ..limits
            },
        ),
    ]
}

/// Decides one request; returns a complaint, or `None` when all is well (or the request
/// does not parse, which the parser tests cover; its status is counted).
fn check(
    input: &[u8],
    store: &MemoryStore,
    (policy, limits): &(Policy, Limits),
    statuses: &mut std::collections::BTreeMap<u16, usize>,
) -> Option<String> {
    let mut parser = RequestParser::new(*limits);
    let step = match parser.handle_bytes(input) {
        Ok(step) => step,
        // A body above the upload limit is refused here, before decide: 413.
        Err(e) => {
            *statuses.entry(e.status()).or_default() += 1;
            return None;
        }
    };
    let Event::Head(head) = step.event else {
        return None;
    };
    let method = head.method();
    let decided = catch_unwind(AssertUnwindSafe(|| {
        let reply = decide(&head, store, policy, NOW);
        let mut out = Vec::new();
        reply.write_head(&mut out);
        (reply, out)
    }));
    let (reply, out) = match decided {
        Ok(r) => r,
        Err(_) => return Some("decide panicked".into()),
    };
    *statuses.entry(reply.status).or_default() += 1;
    if !(100..=599).contains(&reply.status) {
        return Some(format!("status {}", reply.status));
    }
    if let Body::File { path, start, len } = &reply.body {
        let size = store.get(path.as_str()).map(|d| d.len() as u64);
        match (size, start.checked_add(*len)) {
            (Some(size), Some(end)) if end <= size => {}
            _ => {
                return Some(format!(
                    "planned bytes {start}+{len} of {path} ({size:?} bytes)"
                ))
            }
        }
    }
    // The head we write is one our own client reads back, with the same status.
    let method = if method == Method::Head {
        Method::Head
    } else {
        Method::Get
    };
    let mut rp = ResponseParser::new(Limits::default(), method);
    match rp.handle_bytes(&out) {
        Ok(step) => match step.event {
            Event::Head(h) if h.status() == reply.status => None,
            Event::Head(h) => Some(format!(
                "wrote {} but reads back {}",
                reply.status,
                h.status()
            )),
            _ => Some(format!(
                "the reply head is incomplete: {:?}",
                String::from_utf8_lossy(&out)
            )),
        },
        Err(e) => Some(format!(
            "the reply head does not parse ({e}): {:?}",
            String::from_utf8_lossy(&out)
        )),
    }
}

#[test]
fn hostile_header_values_never_break_decide() {
    let store = store();
    let policies = policies();
    let mut rng = Rng(0xdec1de);
    let mut problems = Vec::new();
    let mut decided = 0;
    let mut statuses = std::collections::BTreeMap::new();
    for _ in 0..20_000 {
        let input = request(&mut rng);
        let policy = &policies[rng.below(policies.len())];
        if let Some(p) = check(&input, &store, policy, &mut statuses) {
            problems.push(format!("{p}\n    {:?}", String::from_utf8_lossy(&input)));
        } else {
            decided += 1;
        }
    }
    eprintln!("{decided} requests decided without a problem; statuses: {statuses:?}");
    // The hostile values reach every kind of answer they are about.
    for status in [200, 206, 304, 401, 412, 413, 416, 417] {
        assert!(
            statuses.contains_key(&status),
            "no {status} among {statuses:?}"
        );
    }
    assert!(
        problems.is_empty(),
        "{} problems, the first ones:\n{}",
        problems.len(),
        problems[..problems.len().min(10)].join("\n")
    );
}
