//! The JavaScript-facing API, run inside headless Chromium by wasm-bindgen-test-runner:
//! `cargo test -p simplehttp-web-demo --target wasm32-unknown-unknown`.
#![cfg(target_arch = "wasm32")]

use js_sys::{Array, Reflect};
use simplehttp_web_demo::{message_length_rules, parse_request};
use wasm_bindgen::JsValue;
use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).expect("property")
}

fn kinds(steps: &Array) -> Vec<String> {
    steps
        .iter()
        .filter_map(|s| get(&s, "kind").as_string())
        .filter(|k| k != "need-more")
        .collect()
}

#[wasm_bindgen_test]
fn parse_request_returns_a_head_object_with_ranges() {
    let wire = b"GET /hello.txt HTTP/1.1\r\nHost: example.com\r\n\r\n";
    let steps = parse_request(wire, 0, None, None);
    assert_eq!(kinds(&steps), ["head", "end"]);
    let head = steps.get(0);
    assert_eq!(get(&head, "method").as_string().as_deref(), Some("GET"));
    assert_eq!(
        get(&head, "target").as_string().as_deref(),
        Some("/hello.txt")
    );
    assert_eq!(get(&head, "start").as_f64(), Some(0.0));
    assert_eq!(get(&head, "end").as_f64(), Some(wire.len() as f64));
    let line = Array::from(&get(&head, "requestLine"));
    assert_eq!(line.get(1).as_f64(), Some(25.0));
    let fields = Array::from(&get(&head, "fields"));
    assert_eq!(fields.length(), 1);
    assert_eq!(
        get(&fields.get(0), "name").as_string().as_deref(),
        Some("Host")
    );
}

#[wasm_bindgen_test]
fn one_byte_segments_give_the_same_events() {
    let wire = b"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    let mut split = kinds(&parse_request(wire, 1, None, None));
    split.dedup();
    assert_eq!(split, kinds(&parse_request(wire, 0, None, None)));
}

#[wasm_bindgen_test]
fn errors_carry_status_and_offset() {
    let wire = b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
    let steps = parse_request(wire, 0, None, None);
    let last = steps.get(steps.length() - 1);
    assert_eq!(get(&last, "kind").as_string().as_deref(), Some("error"));
    assert_eq!(get(&last, "status").as_f64(), Some(400.0));
    assert!(get(&last, "at").as_f64().is_some());
}

#[wasm_bindgen_test]
fn serve_requests_answers_and_changes_the_store() {
    use js_sys::{Object, Uint8Array};
    use simplehttp_web_demo::serve_requests;

    let file = Object::new();
    Reflect::set(&file, &"path".into(), &"hello.txt".into()).unwrap();
    Reflect::set(&file, &"data".into(), &"hello\n".into()).unwrap();
    Reflect::set(&file, &"modified".into(), &JsValue::from(1_700_000_000.0)).unwrap();
    let files = Array::of1(&file);
    let wire = b"GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\nPUT /new.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\nhi";
    let out = serve_requests(wire, &files, false, 1_700_000_100.0, None);

    let exchanges = Array::from(&get(&out, "exchanges"));
    assert_eq!(exchanges.length(), 2);
    assert_eq!(get(&exchanges.get(0), "status").as_f64(), Some(200.0));
    assert_eq!(
        get(&exchanges.get(0), "rule").as_string().as_deref(),
        Some("ServeFile")
    );
    let response = Uint8Array::from(get(&exchanges.get(0), "response")).to_vec();
    assert!(response.starts_with(b"HTTP/1.1 200 OK\r\n"));
    assert!(response.ends_with(b"\r\n\r\nhello\n"));
    assert_eq!(get(&exchanges.get(1), "status").as_f64(), Some(201.0));

    let paths: Vec<String> = Array::from(&get(&out, "files"))
        .iter()
        .filter_map(|f| get(&f, "path").as_string())
        .collect();
    assert_eq!(paths, ["hello.txt", "new.txt"]);
}

#[wasm_bindgen_test]
fn serve_requests_gives_the_conversation_in_order() {
    use js_sys::Uint8Array;
    use simplehttp_web_demo::serve_requests;

    let wire =
        b"PUT /n.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nhi\
                 GET /n.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    let out = serve_requests(wire, &Array::new(), false, 1_700_000_100.0, None);
    let turns = Array::from(&get(&out, "turns"));
    let kinds: Vec<String> = turns
        .iter()
        .filter_map(|t| get(&t, "kind").as_string())
        .collect();
    assert_eq!(
        kinds,
        [
            "request",
            "continue",
            "request",
            "response",
            "request",
            "response",
            "server-closed"
        ]
    );
    let interim = Uint8Array::from(get(&turns.get(1), "bytes")).to_vec();
    assert_eq!(interim, b"HTTP/1.1 100 Continue\r\n\r\n");
    assert_eq!(
        get(&turns.get(2), "head").as_bool(),
        Some(false),
        "the body, after it"
    );
    assert_eq!(get(&turns.get(5), "exchange").as_f64(), Some(1.0));
    let why = get(&turns.get(6), "why").as_string().unwrap_or_default();
    assert!(why.contains("request 2 asked for it"), "{why}");
}

#[wasm_bindgen_test]
fn cuts_choose_where_reads_end() {
    let wire = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    let steps = parse_request(wire, 0, None, Some(vec![3, 20]));
    let waits: Vec<f64> = steps
        .iter()
        .filter(|s| get(s, "kind").as_string().as_deref() == Some("need-more"))
        .filter_map(|s| get(&s, "received").as_f64())
        .collect();
    assert_eq!(waits, [3.0, 20.0]);
}

#[wasm_bindgen_test]
fn message_length_rules_come_in_order_and_heads_name_the_one_that_decided() {
    let rules = message_length_rules();
    assert_eq!(rules.length(), 8);
    for (i, r) in rules.iter().enumerate() {
        assert_eq!(get(&r, "number").as_f64(), Some((i + 1) as f64));
        let applies = get(&r, "applies").as_string().expect("applies");
        assert!(["requests", "responses", "both"].contains(&applies.as_str()));
        assert!(!get(&r, "text").as_string().expect("text").is_empty());
    }
    assert_eq!(
        get(&rules.get(6), "applies").as_string().as_deref(),
        Some("requests")
    );
    let wire = b"PUT /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
    let head = parse_request(wire, 0, None, None).get(0);
    assert_eq!(get(&head, "framingRule").as_f64(), Some(6.0));
    assert_eq!(
        get(&head, "framingRuleName").as_string().as_deref(),
        Some("ContentLength")
    );
}
