//! Parses the same heads with simplehttp-core and with httparse and prints the ratio.
//!
//! `cargo bench -p simplehttp-core --bench parse`

use criterion::{black_box, Criterion, Throughput};
use simplehttp_core::{Event, Limits, Method, RequestParser, ResponseParser};

const MINIMAL: &[u8] = b"GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";

const BROWSER: &[u8] = b"GET /wp-content/uploads/2010/03/hello-kitty-darth-vader-pink.jpg HTTP/1.1\r\n\
Host: www.kittyhell.com\r\n\
User-Agent: Mozilla/5.0 (Macintosh; U; Intel Mac OS X 10.6; ja-JP-mac; rv:1.9.2.3) Gecko/20100401 Firefox/3.6.3 Pathtraq/0.9\r\n\
Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8\r\n\
Accept-Language: ja,en-us;q=0.7,en;q=0.3\r\n\
Accept-Encoding: gzip,deflate\r\n\
Accept-Charset: Shift_JIS,utf-8;q=0.7,*;q=0.7\r\n\
Keep-Alive: 115\r\n\
Connection: keep-alive\r\n\
Cookie: wp_ozh_wsa_visits=2; wp_ozh_wsa_visit_lasttime=xxxxxxxxxx; __utma=xxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.xxxxxxxxxx.x; __utmz=xxxxxxxxx.xxxxxxxxxx.x.x.utmccn=(referral)|utmcsr=reader.livedoor.com|utmcct=/reader/|utmcmd=referral\r\n\
Referer: http://www.kittyhell.com/\r\n\
Cache-Control: max-age=0\r\n\
If-None-Match: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"\r\n\r\n";

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\n\
Date: Sun, 06 Nov 1994 08:49:37 GMT\r\n\
Server: simple-server/0.1.0\r\n\
Last-Modified: Sat, 05 Nov 1994 08:49:37 GMT\r\n\
ETag: \"3e86-410-3596fbbc\"\r\n\
Accept-Ranges: bytes\r\n\
Content-Type: text/html; charset=utf-8\r\n\
Cache-Control: public, max-age=3600\r\n\
Vary: Accept-Encoding\r\n\
X-Content-Type-Options: nosniff\r\n\
Content-Length: 1024\r\n\r\n";

fn ours_request(p: &mut RequestParser, wire: &[u8]) -> usize {
    let n = match p.handle_bytes(wire) {
        Ok(s) => match s.event {
            Event::Head(h) => h.fields().len() + s.consumed,
            _ => panic!("no head"),
        },
        Err(e) => panic!("{e}"),
    };
    let _ = p.handle_bytes(&[]);
    let _ = p.start_next();
    n
}

fn httparse_request(wire: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut req = httparse::Request::new(&mut headers);
    match req.parse(wire) {
        Ok(httparse::Status::Complete(n)) => n + req.headers.len(),
        _ => panic!("no head"),
    }
}

fn ours_response(wire: &[u8]) -> usize {
    let mut p = ResponseParser::new(Limits::default(), Method::Get);
    match p.handle_bytes(wire) {
        Ok(s) => match s.event {
            Event::Head(h) => h.fields().len() + s.consumed,
            _ => panic!("no head"),
        },
        Err(e) => panic!("{e}"),
    }
}

fn httparse_response(wire: &[u8]) -> usize {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut res = httparse::Response::new(&mut headers);
    match res.parse(wire) {
        Ok(httparse::Status::Complete(n)) => n + res.headers.len(),
        _ => panic!("no head"),
    }
}

fn benches(c: &mut Criterion) {
    for (name, wire) in [("minimal_get", MINIMAL), ("browser_get", BROWSER)] {
        let mut g = c.benchmark_group(name);
        g.throughput(Throughput::Bytes(wire.len() as u64));
        let mut p = RequestParser::new(Limits::default());
        g.bench_function("simplehttp", |b| {
            b.iter(|| ours_request(&mut p, black_box(wire)))
        });
        g.bench_function("httparse", |b| b.iter(|| httparse_request(black_box(wire))));
        g.finish();
    }
    let mut g = c.benchmark_group("response_head");
    g.throughput(Throughput::Bytes(RESPONSE.len() as u64));
    // A fresh parser per response, as a client makes one per request.
    g.bench_function("simplehttp", |b| {
        b.iter(|| ours_response(black_box(RESPONSE)))
    });
    g.bench_function("httparse", |b| {
        b.iter(|| httparse_response(black_box(RESPONSE)))
    });
    g.finish();
}

/// Where criterion keeps its results: `CRITERION_HOME`, else `criterion/` in the target
/// directory (`CARGO_TARGET_DIR`, else the one holding this executable: target/release/deps).
fn criterion_home() -> std::path::PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        return std::path::PathBuf::from(dir).join("criterion");
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.ancestors().nth(3).map(|t| t.join("criterion")))
        .unwrap_or_else(|| "target/criterion".into())
}

/// The mean time of one benchmark, from criterion's saved estimates.
fn mean_ns(group: &str, function: &str) -> Option<f64> {
    let path = criterion_home()
        .join(group)
        .join(function)
        .join("new/estimates.json");
    let text = std::fs::read_to_string(path).ok()?;
    let at = text.find("\"mean\"")?;
    let rest = &text[at..];
    let at = rest.find("\"point_estimate\":")? + "\"point_estimate\":".len();
    let end = rest[at..].find([',', '}'])?;
    rest[at..at + end].trim().parse().ok()
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c);
    c.final_summary();
    println!("\nthroughput ratio, simplehttp ÷ httparse (above 1.00: simplehttp is faster)");
    for group in ["minimal_get", "browser_get", "response_head"] {
        match (mean_ns(group, "simplehttp"), mean_ns(group, "httparse")) {
            (Some(ours), Some(theirs)) => {
                println!(
                    "  {group:<14} {:.2}   ({ours:.0} ns vs {theirs:.0} ns)",
                    theirs / ours
                )
            }
            _ => println!("  {group:<14} (no estimates found: run without --test / filters)"),
        }
    }
}
