//! Properties of `decide` over generated requests: whatever the method, target and fields,
//! the reply is well-formed HTTP and keeps the promises of RFC 9110 that hold for all
//! replies (no body for HEAD, 204 and 304; Allow with 405; lengths that match the plan...).

use proptest::prelude::*;
use simplehttp_core::store::{FileStore, MemoryStore};
use simplehttp_core::{
    decide, Auth, Body, Event, HeaderValue, Limits, Method, PlainUsers, Policy, Reply,
    RequestParser, Timestamp, Version,
};

const NOW: Timestamp = Timestamp(1_000_001_000);

fn store() -> MemoryStore {
    MemoryStore::new()
        .with_file("hello.txt", b"hello world", Timestamp(1_000_000_000))
        .with_file("empty.txt", b"", Timestamp(1_000_000_000))
        .with_file(
            "docs/index.html",
            b"<h1>docs</h1>",
            Timestamp(1_000_000_000),
        )
        .with_file("pics/a b.png", b"\x89PNG", Timestamp(1_000_000_000))
        .with_dir("pics/sub", Timestamp(1_000_000_000))
}

fn method() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "GET", "GET", "GET", "HEAD", "HEAD", "PUT", "PUT", "DELETE", "OPTIONS", "POST", "PATCH",
        "BREW",
    ])
}

fn target() -> impl Strategy<Value = String> {
    let piece = prop::sample::select(vec![
        "/",
        "hello.txt",
        "empty.txt",
        "docs",
        "pics",
        "a%20b.png",
        "sub",
        "index.html",
        "..",
        "%2e%2e",
        ".",
        "%2f",
        "%5c",
        "%00",
        "nope",
        "?q=1",
        "%c0%ae",
        "%ZZ",
    ]);
    prop_oneof![
        9 => prop::collection::vec(piece.clone(), 0..5).prop_map(|v| format!("/{}", v.concat())),
        1 => Just(String::from("*")),
        1 => prop::collection::vec(piece, 0..4)
            .prop_map(|v| format!("http://example.com/{}", v.concat())),
    ]
}

fn field() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "If-None-Match: *",
        "If-None-Match: \"b-3b9aca00-1\"",
        "If-None-Match: W/\"b-3b9aca00-1\", \"x\"",
        "If-None-Match: \"x\"",
        "If-Match: *",
        "If-Match: \"b-3b9aca00-1\"",
        "If-Match: \"x\"",
        "If-Modified-Since: Sun, 09 Sep 2001 01:46:40 GMT",
        "If-Modified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
        "If-Modified-Since: garbage",
        "If-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT",
        "If-Unmodified-Since: Sun, 09 Sep 2001 01:46:40 GMT",
        "Range: bytes=0-4",
        "Range: bytes=-3",
        "Range: bytes=5-",
        "Range: bytes=100-",
        "Range: bytes=0-1,3-4",
        "Range: bytes=4-2",
        "Range: bytes=-0",
        "If-Range: \"b-3b9aca00-1\"",
        "If-Range: \"x\"",
        "If-Range: Sun, 09 Sep 2001 01:46:40 GMT",
        "Expect: 100-continue",
        "Expect: something",
        "Authorization: Basic dXNlcjpzZWNyZXQ=",
        "Authorization: Basic !!!",
        "Content-Range: bytes 0-1/2",
        "Connection: close",
        "Connection: keep-alive",
        "Content-Length: 3",
        "Content-Length: 0",
        "Transfer-Encoding: chunked",
    ])
}

fn header<'r>(reply: &'r Reply, name: &str) -> Option<&'r HeaderValue> {
    reply.header(name)
}

fn number(reply: &Reply, name: &str) -> Option<u64> {
    match header(reply, name)? {
        HeaderValue::Number(n) => Some(*n),
        HeaderValue::Owned(s) => s.parse().ok(),
        HeaderValue::Static(s) => s.parse().ok(),
        HeaderValue::Date(_) => None,
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn replies_are_well_formed_and_keep_rfc_promises(
        method in method(),
        target in target(),
        http10 in prop::bool::weighted(0.2),
        fields in prop::collection::vec(field(), 0..5),
        read_only in prop::bool::weighted(0.2),
        credentials in prop::bool::weighted(0.2),
        max_body in prop::sample::select(vec![1u64, 2, 1 << 30]),
    ) {
        let mut raw = format!("{method} {target} HTTP/1.{}\r\nHost: x\r\n", if http10 { 0 } else { 1 });
        for f in &fields {
            raw.push_str(f);
            raw.push_str("\r\n");
        }
        raw.push_str("\r\n");
        // The upload limit is the parser's: a Content-Length above it never reaches decide.
        let mut parser = RequestParser::new(Limits { max_body, ..Limits::default() });
        // Requests the parser refuses never reach decide.
        let Ok(step) = parser.handle_bytes(raw.as_bytes()) else { return Ok(()) };
        let Event::Head(head) = step.event else { return Ok(()) };

        let store = store().read_only(read_only);
        let policy = Policy {
            auth: credentials.then(|| Auth::new(PlainUsers::new(["user:secret"]), false)),
            ..Policy::default()
        };
        let reply = decide(&head, &store, &policy, NOW);

        // The head parses as an HTTP/1.1 response.
        let mut out = Vec::new();
        reply.write_head(&mut out);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut headers);
        let status = parsed.parse(&out);
        prop_assert!(matches!(status, Ok(httparse::Status::Complete(n)) if n == out.len()), "{raw}");
        prop_assert_eq!(parsed.code, Some(reply.status));
        prop_assert!(header(&reply, "date").is_some(), "RFC 9110 §6.6.1");

        let is_head = head.method() == Method::Head;
        let body_len = match &reply.body {
            Body::Empty => 0,
            Body::Bytes(b) => b.len() as u64,
            Body::Listing(l) => {
                prop_assert_eq!(reply.is_chunked(), head.version() == Version::Http11);
                l.total_len()
            }
            Body::File { path, start, len } => {
                let size = store.metadata(path).unwrap().unwrap().len;
                prop_assert!(start + len <= size, "{raw}");
                *len
            }
            Body::Upload(_) => {
                prop_assert_eq!(head.method(), Method::Put);
                prop_assert!(!read_only);
                0
            }
            Body::Remove(_) => {
                prop_assert_eq!(head.method(), Method::Delete);
                prop_assert!(!read_only);
                0
            }
        };
        if is_head || matches!(reply.status, 204 | 304) {
            prop_assert_eq!(body_len, 0, "no content to HEAD, 204, 304: {}", raw);
        }
        if matches!(reply.status, 204 | 304) {
            prop_assert!(header(&reply, "content-length").is_none(), "RFC 9110 §8.6: {}", raw);
        }
        if reply.is_chunked() || header(&reply, "transfer-encoding").is_some() {
            prop_assert_eq!(head.version(), Version::Http11, "RFC 9112 §6.1: {}", raw);
            prop_assert!(header(&reply, "content-length").is_none(), "RFC 9112 §6.2: {}", raw);
        }
        if let (false, Body::Bytes(_) | Body::File { .. }) = (is_head, &reply.body) {
            prop_assert_eq!(number(&reply, "content-length"), Some(body_len), "{}", raw);
        }
        if let (false, Body::Listing(_), false) = (is_head, &reply.body, reply.is_chunked()) {
            prop_assert_eq!(number(&reply, "content-length"), Some(body_len), "{}", raw);
        }
        match reply.status {
            405 => prop_assert!(header(&reply, "allow").is_some(), "RFC 9110 §15.5.6"),
            401 => prop_assert!(header(&reply, "www-authenticate").is_some(), "RFC 9110 §15.5.2"),
            416 | 206 => prop_assert!(header(&reply, "content-range").is_some(), "RFC 9110 §14.4"),
            301 => prop_assert!(header(&reply, "location").is_some(), "RFC 9110 §15.4.2"),
            _ => {}
        }
        if reply.status == 304 {
            // RFC 9110 §15.4.5: the ETag a 200 to the same request would have carried.
            let mut plain: String = raw.lines().filter(|l| !l.starts_with("If-") && !l.starts_with("Range:")).map(|l| format!("{l}\r\n")).collect();
            plain.push_str("\r\n");
            let mut parser = RequestParser::new(Limits::default());
            let step = parser.handle_bytes(plain.as_bytes()).unwrap();
            let Event::Head(unconditional) = step.event else { panic!("{plain}") };
            let full = decide(&unconditional, &store, &policy, NOW);
            prop_assert_eq!(full.status, 200);
            prop_assert_eq!(header(&reply, "etag"), header(&full, "etag"));
        }
        if reply.status == 206 {
            prop_assert_eq!(head.method(), Method::Get, "RFC 9110 §14.2");
        }
        if (read_only || credentials) && matches!(reply.body, Body::Upload(_) | Body::Remove(_)) {
            prop_assert!(!read_only, "writes while read-only");
            prop_assert!(fields.contains(&"Authorization: Basic dXNlcjpzZWNyZXQ="), "unauthorised write");
        }
        if reply.close {
            prop_assert!(!reply.http10_keep_alive);
        }
    }
}
