//! The policy's extra fields and CORS, on every final response the engine writes: decided
//! replies, upload outcomes, timeouts and parse errors alike.

use simplehttp_core::decide::{decide, Cors, ExtraHeader};
use simplehttp_core::server::{Action, Now, ServerConfig, ServerConnection, Transmit};
use simplehttp_core::store::{FileStore, MemoryStore, Upload};
use simplehttp_core::{Auth, Event, PlainUsers, Policy, RequestParser, Rule, Timestamp};
use std::sync::Arc;

const NOW: Now = Now {
    ms: 0,
    wall: Timestamp(2_000),
};

fn store() -> MemoryStore {
    MemoryStore::new()
        .with_file("a.txt", b"hello\n", Timestamp(1_000))
        .with_file("dir/b.txt", b"b", Timestamp(1_000))
}

/// The heads of the final responses to `input` on one connection (then `later_ms` pass).
fn heads(policy: &Policy, input: &[u8], later_ms: u64) -> Vec<String> {
    let store = store();
    let config = Arc::new(ServerConfig {
        policy: policy.clone(),
        ..ServerConfig::default()
    });
    let mut conn = ServerConnection::new(config, NOW);
    let mut out = Vec::new();
    let mut at = 0;
    let mut upload = None;
    let mut now = NOW;
    for round in 0..2 {
        if round == 1 {
            now.ms += later_ms;
            conn.handle_timeout(now);
        }
        for _ in 0..1000 {
            let mut busy = false;
            while let Some(action) = conn.poll_action() {
                busy = true;
                let outcome = match action {
                    Action::Open { .. } => Ok(()),
                    Action::BeginUpload(path) => {
                        store.begin_upload(&path).map(|u| upload = Some(u))
                    }
                    Action::Commit => upload.take().unwrap().commit(),
                    Action::Remove(path) => store.remove(&path),
                    Action::Abort | Action::ShutdownWrite | Action::Close => continue,
                };
                conn.handle_outcome(outcome, &store, now);
            }
            while let Some(t) = conn.poll_transmit(&mut out) {
                busy = true;
                if let Transmit::File { path, start, len } = t {
                    out.extend(store.read(&path, start, len).unwrap());
                }
            }
            if busy {
                conn.handle_drained(now);
            }
            if conn.wants_input() && !conn.is_closed() {
                let got = conn.handle_bytes(&input[at..], &store, now);
                if let Some(data) = got.body {
                    upload.as_mut().unwrap().write(data).unwrap();
                }
                at += got.consumed;
                busy |= got.consumed > 0;
            }
            if !busy {
                break;
            }
        }
    }
    let text = String::from_utf8_lossy(&out).into_owned();
    text.split("HTTP/1.1 ")
        .filter(|part| !part.is_empty() && !part.starts_with("100 "))
        .map(|part| part.split("\r\n\r\n").next().unwrap().to_string())
        .collect()
}

fn one(policy: &Policy, request: &str) -> String {
    let all = heads(policy, request.as_bytes(), 0);
    assert_eq!(all.len(), 1, "{all:?}");
    all.into_iter().next().unwrap()
}

fn field<'h>(head: &'h str, name: &str) -> Vec<&'h str> {
    head.split("\r\n")
        .skip(1)
        .filter_map(|l| l.split_once(": "))
        .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
        .collect()
}

fn with_headers(lines: &[&str]) -> Policy {
    Policy {
        headers: lines
            .iter()
            .map(|l| ExtraHeader::parse(l).unwrap())
            .collect(),
        ..Policy::default()
    }
}

fn get(target: &str, fields: &str) -> String {
    format!("GET {target} HTTP/1.1\r\nHost: x\r\n{fields}\r\n")
}

#[test]
fn extra_fields_go_on_every_final_response() {
    let policy = with_headers(&["Cache-Control: no-cache", "X-Served-By: here"]);
    let etag = {
        let h = one(&policy, &get("/a.txt", ""));
        field(&h, "etag")[0].to_string()
    };
    let cases = [
        (get("/a.txt", ""), "200 OK"),
        (get("/missing", ""), "404 Not Found"),
        (get("/a.txt", &format!("If-None-Match: {etag}\r\n")), "304 Not Modified"),
        (get("/dir/", ""), "200 OK"),
        (get("/dir", ""), "301 Moved Permanently"),
        (get("/a.txt", "Range: bytes=1-2\r\n"), "206 Partial Content"),
        (
            "PUT /new.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\nhi"
                .to_string(),
            "201 Created",
        ),
        ("DELETE /a.txt HTTP/1.1\r\nHost: x\r\n\r\n".to_string(), "204 No Content"),
        ("OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n".to_string(), "204 No Content"),
        ("BREW / HTTP/1.1\r\nHost: x\r\n\r\n".to_string(), "405 Method Not Allowed"),
        ("GET / HTTP/1.1\r\n\r\n".to_string(), "400 Bad Request"),
    ];
    for (request, status) in cases {
        let head = one(&policy, &request);
        assert!(head.starts_with(status), "{request:?}: {head}");
        assert_eq!(field(&head, "cache-control"), ["no-cache"], "{head}");
        assert_eq!(field(&head, "x-served-by"), ["here"], "{head}");
        // After the server's own fields, before Connection.
        let at = head.find("Cache-Control: no-cache").unwrap();
        assert!(head[..at].contains("Date: "), "{head}");
        if let Some(conn) = head.find("Connection: ") {
            assert!(conn > at, "{head}");
        }
    }
    // A request that stalls gets its 408 with them too.
    let late = heads(&policy, b"GET /a.txt HTTP/1.1\r\nHo", 60_000);
    assert!(late[0].starts_with("408 "), "{late:?}");
    assert_eq!(field(&late[0], "x-served-by"), ["here"]);
    // Without any, nothing changes.
    let plain = one(&Policy::default(), &get("/a.txt", ""));
    assert!(field(&plain, "x-served-by").is_empty());
}

fn cors(origins: &[&str]) -> Policy {
    Policy {
        cors: Some(Cors {
            origins: origins
                .iter()
                .map(|o| Cors::parse_origin(o).unwrap())
                .collect(),
        }),
        ..Policy::default()
    }
}

fn preflight(origin: &str, method: &str) -> String {
    format!(
        "OPTIONS /a.txt HTTP/1.1\r\nHost: x\r\nOrigin: {origin}\r\n\
         Access-Control-Request-Method: {method}\r\n\
         Access-Control-Request-Headers: content-type\r\n\r\n"
    )
}

#[test]
fn any_origin_gets_a_star_and_never_credentials() {
    let policy = cors(&[]);
    for request in [
        get("/a.txt", "Origin: https://app.example\r\n"),
        get("/a.txt", ""),
        get("/missing", "Origin: https://app.example\r\n"),
        get("/dir/", "Origin: https://app.example\r\n"),
        "GET / HTTP/1.1\r\n\r\n".to_string(),
    ] {
        let head = one(&policy, &request);
        assert_eq!(field(&head, "access-control-allow-origin"), ["*"], "{head}");
        assert!(field(&head, "access-control-allow-credentials").is_empty());
        let expose = field(&head, "access-control-expose-headers");
        assert!(expose[0].contains("ETag") && expose[0].contains("Content-Range"));
        // The answer does not depend on Origin: no Vary for it.
        assert!(
            !field(&head, "vary").iter().any(|v| v.contains("Origin")),
            "{head}"
        );
    }
}

#[test]
fn a_preflight_allows_writes_only_to_listed_origins_or_with_a_password() {
    let methods = |policy: &Policy, origin: &str| {
        let head = one(policy, &preflight(origin, "PUT"));
        assert!(head.starts_with("204 No Content"), "{head}");
        let methods = field(&head, "access-control-allow-methods");
        if methods.is_empty() {
            assert!(field(&head, "access-control-max-age").is_empty(), "{head}");
            return None;
        }
        assert_eq!(field(&head, "access-control-max-age"), ["600"]);
        assert!(field(&head, "access-control-allow-headers")[0].contains("Content-Type"));
        assert!(field(&head, "access-control-allow-headers")[0].contains("Authorization"));
        Some(methods[0].to_string())
    };
    let reads = Some("GET, HEAD, OPTIONS".to_string());
    let all = Some("GET, HEAD, PUT, DELETE, OPTIONS".to_string());
    // Any origin, writable without a password: any page could delete; reads only.
    assert_eq!(methods(&cors(&[]), "https://evil.example"), reads);
    let with_password = Policy {
        auth: Some(Auth::new(PlainUsers::new(["a:b"]), false)),
        ..cors(&[])
    };
    assert_eq!(methods(&with_password, "https://evil.example"), all);
    let listed = cors(&["https://app.example"]);
    assert_eq!(methods(&listed, "https://app.example"), all);
    let read_only = Policy {
        read_only: true,
        ..cors(&["https://app.example"])
    };
    assert_eq!(methods(&read_only, "https://app.example"), reads);
    // Not listed: a plain OPTIONS answer, which the browser refuses.
    assert_eq!(methods(&listed, "https://evil.example"), None);
    // Without --cors, a preflight is a plain OPTIONS.
    assert_eq!(methods(&Policy::default(), "https://app.example"), None);
}

#[test]
fn the_preflight_is_its_own_rule() {
    let store = store();
    let mut parser = RequestParser::new(Default::default());
    let raw = preflight("https://app.example", "GET");
    let step = parser.handle_bytes(raw.as_bytes()).unwrap();
    let Event::Head(head) = step.event else {
        panic!()
    };
    assert_eq!(
        decide(&head, &store, &cors(&[]), NOW.wall).rule,
        Rule::CorsPreflight
    );
    let plain = decide(&head, &store, &Policy::default(), NOW.wall);
    assert_eq!(plain.rule, Rule::Options);
}

#[test]
fn listed_origins_are_reflected_with_credentials_and_vary() {
    let policy = cors(&["https://app.example", "http://localhost:3000"]);
    let head = one(&policy, &get("/a.txt", "Origin: http://localhost:3000\r\n"));
    assert_eq!(
        field(&head, "access-control-allow-origin"),
        ["http://localhost:3000"]
    );
    assert_eq!(field(&head, "access-control-allow-credentials"), ["true"]);
    assert_eq!(field(&head, "vary"), ["Origin"]);
    // Another origin, or none: no CORS answer, but the same Vary.
    for other in ["Origin: https://evil.example\r\n", "Origin: null\r\n", ""] {
        let head = one(&policy, &get("/a.txt", other));
        assert!(
            field(&head, "access-control-allow-origin").is_empty(),
            "{head}"
        );
        assert!(field(&head, "access-control-allow-credentials").is_empty());
        assert_eq!(field(&head, "vary"), ["Origin"], "{head}");
    }
    // A listing varies on Accept already: one field names both.
    let head = one(&policy, &get("/dir/", "Origin: https://app.example\r\n"));
    assert_eq!(field(&head, "vary"), ["Accept, Origin"]);
    // The preflight of a listed origin carries the origin and credentials.
    let head = one(&policy, &preflight("https://app.example", "DELETE"));
    assert_eq!(
        field(&head, "access-control-allow-origin"),
        ["https://app.example"]
    );
    assert_eq!(field(&head, "access-control-allow-credentials"), ["true"]);
    // Pipelined requests from two origins: each answered for its own.
    let two = format!(
        "{}{}",
        get("/a.txt", "Origin: https://app.example\r\n"),
        get("/a.txt", "Origin: https://evil.example\r\n")
    );
    let both = heads(&policy, two.as_bytes(), 0);
    assert_eq!(
        field(&both[0], "access-control-allow-origin"),
        ["https://app.example"]
    );
    assert!(field(&both[1], "access-control-allow-origin").is_empty());
}

#[test]
fn exposes_the_extra_fields_to_scripts() {
    let policy = Policy {
        headers: vec![ExtraHeader::parse("X-Build: 7").unwrap()],
        ..cors(&[])
    };
    let head = one(&policy, &get("/a.txt", "Origin: https://app.example\r\n"));
    assert!(field(&head, "access-control-expose-headers")[0].ends_with(", X-Build"));
    assert_eq!(field(&head, "x-build"), ["7"]);
}

#[test]
fn without_cors_no_cors_field_is_sent() {
    let head = one(
        &Policy::default(),
        &get("/a.txt", "Origin: https://app.example\r\n"),
    );
    assert!(
        !head.to_ascii_lowercase().contains("access-control-"),
        "{head}"
    );
    assert!(field(&head, "vary").is_empty());
}
