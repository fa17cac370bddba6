//! The simplehttp explorer: `simplehttp-core` compiled to WebAssembly.
//!
//! This crate only converts the core's values into JavaScript values; every HTTP rule lives
//! in the core. [`explore`] runs the core and records its steps as plain Rust values (tested
//! on the host); the `#[wasm_bindgen]` functions below hand them to the page.
//!
//! JavaScript API (`web-demo/dist/pkg/simplehttp_web_demo.js`):
//! - `parseRequest(bytes: Uint8Array, segment: number, eof?: boolean, cuts?: Uint32Array)`: an array of steps,
//!   each `{ kind, start, end, received, message, ... }` where `start..end` are the bytes the
//!   step consumed; `kind` is `need-more`, `head`, `chunk-header`, `data`, `trailers`, `end`,
//!   `closed` or `error`. An `error` step also has `error` (the core's text), `code` (its
//!   name, `ParseError::name`), `rfc` (the section it breaks, `ParseError::rfc`), `status`
//!   and `at` (the offset where it was found). See [`parse_request`].
//! - `parseResponse(bytes, segment, eof?, method?: string, cuts?)`:
//!   the same for responses, read by the client side of the core. See [`parse_response`].
//! - `serveRequests(bytes: Uint8Array, files: Entry[], readOnly: boolean, now: number, eof?: boolean)`:
//!   answers each request as `simple-server` would, against an in-memory store holding
//!   `files` (`{ path, dir, data: Uint8Array | string, modified }`, `modified` and `now` in
//!   seconds since the Unix epoch). Returns `{ exchanges, turns, stopped, files, rejected }`;
//!   `turns` is the conversation in the order the engine went: `request` (`message`, `from`,
//!   `to`, `head`), `refused`, `continue` (its `bytes`), `response` (`exchange`),
//!   `client-closed`, `server-closed` (`why`, `rfc`, `lingering`), `dropped`, `open`
//!   (`waiting`). See [`serve_requests`].
//! - `messageLengthRules()`: RFC 9112 §6.3's message-length rules in order,
//!   `{ number, applies, text }`; a head's `framingRule` (with `framingRuleName`) and a
//!   framing error's `framingRule` name the one that decided. See [`message_length_rules`].
//! - `coreVersion()`: the version of `simplehttp-core`.

pub mod explore;
pub mod serve;

use core::ops::Range;
use explore::{FieldRecord, LintRecord, Reads, Record, What};
use js_sys::{Array, Object, Reflect, Uint8Array};
use serve::{Entry, Exchange, Outcome, Turn};
use simplehttp_core::Limits;
use wasm_bindgen::prelude::*;

fn set(o: &Object, key: &str, value: impl Into<JsValue>) {
    // Setting a property of a plain new object cannot fail.
    let _ = Reflect::set(o, &JsValue::from_str(key), &value.into());
}

fn range(r: &Range<usize>) -> JsValue {
    let a = Array::new();
    a.push(&JsValue::from(r.start as f64));
    a.push(&JsValue::from(r.end as f64));
    a.into()
}

fn opt_range(r: &Option<Range<usize>>) -> JsValue {
    r.as_ref().map_or(JsValue::NULL, range)
}

fn fields(list: &[FieldRecord]) -> Array {
    list.iter()
        .map(|f| {
            let o = Object::new();
            set(&o, "name", f.name.as_str());
            set(&o, "value", f.value.as_str());
            set(&o, "line", range(&f.line));
            set(&o, "nameAt", range(&f.name_at));
            set(&o, "valueAt", range(&f.value_at));
            JsValue::from(o)
        })
        .collect()
}

fn lints(list: &[LintRecord]) -> Array {
    list.iter()
        .map(|l| {
            let o = Object::new();
            set(&o, "name", l.name);
            set(&o, "level", l.level);
            set(&o, "text", l.text.as_str());
            set(&o, "rfc", l.rfc);
            set(&o, "at", range(&l.at));
            JsValue::from(o)
        })
        .collect()
}

fn record(r: &Record) -> Object {
    let o = Object::new();
    set(&o, "lints", lints(&r.lints));
    set(&o, "start", r.consumed.start as f64);
    set(&o, "end", r.consumed.end as f64);
    set(&o, "received", r.received as f64);
    set(&o, "message", r.message as f64);
    let kind = match &r.what {
        What::NeedMore { input_done } => {
            set(&o, "inputDone", *input_done);
            "need-more"
        }
        What::Head(h) => {
            set(&o, "role", "request");
            set(&o, "method", h.method.as_str());
            set(&o, "target", h.target.as_str());
            set(&o, "targetForm", h.target_form);
            set(&o, "version", h.version);
            set(&o, "requestLine", range(&h.request_line));
            set(&o, "fields", fields(&h.fields));
            set(&o, "framing", h.framing);
            set(
                &o,
                "length",
                h.length.map_or(JsValue::NULL, |n| JsValue::from(n as f64)),
            );
            set(&o, "framingWhy", h.framing_why);
            set(&o, "framingRfc", h.framing_rfc);
            set(&o, "framingRule", f64::from(h.framing_rule));
            set(&o, "framingRuleName", h.framing_rule_name);
            set(&o, "keepAlive", h.keep_alive);
            set(&o, "expectsContinue", h.expects_continue);
            "head"
        }
        What::ResponseHead(h) => {
            set(&o, "role", "response");
            set(&o, "status", f64::from(h.status));
            set(&o, "reason", h.reason.as_str());
            set(&o, "version", h.version);
            set(&o, "interim", h.interim);
            set(&o, "statusLine", range(&h.status_line));
            set(&o, "fields", fields(&h.fields));
            set(&o, "framing", h.framing.kind);
            set(
                &o,
                "length",
                h.framing
                    .length
                    .map_or(JsValue::NULL, |n| JsValue::from(n as f64)),
            );
            set(&o, "framingWhy", h.framing.why);
            set(&o, "framingRfc", h.framing.rfc);
            set(&o, "framingRule", f64::from(h.framing.rule));
            set(&o, "framingRuleName", h.framing.rule_name);
            set(&o, "keepAlive", h.keep_alive);
            "head"
        }
        What::ChunkHeader { size, extensions } => {
            set(&o, "size", *size as f64);
            set(&o, "extensions", opt_range(extensions));
            "chunk-header"
        }
        What::Data { len, at } => {
            set(&o, "len", *len as f64);
            set(&o, "at", opt_range(at));
            "data"
        }
        What::Trailers(t) => {
            set(&o, "fields", fields(t));
            "trailers"
        }
        What::End => "end",
        What::Closed => "closed",
        What::Error {
            message,
            code,
            rfc,
            status,
            at,
            framing_rule,
        } => {
            set(&o, "error", message.as_str());
            set(&o, "code", *code);
            set(&o, "rfc", rfc.map_or(JsValue::NULL, JsValue::from_str));
            set(&o, "status", f64::from(*status));
            set(
                &o,
                "at",
                at.map_or(JsValue::NULL, |a| JsValue::from(a as f64)),
            );
            set(
                &o,
                "framingRule",
                framing_rule.map_or(JsValue::NULL, |n| JsValue::from(f64::from(n))),
            );
            "error"
        }
    };
    set(&o, "kind", kind);
    o
}

/// Reads ending at `cuts` when there are some, else of `segment` bytes.
fn reads(segment: usize, cuts: Option<Vec<u32>>) -> Reads {
    match cuts {
        Some(c) if !c.is_empty() => Reads::At(c.into_iter().map(|c| c as usize).collect()),
        _ => Reads::Every(segment),
    }
}

/// Parses `bytes` as one or more pipelined requests with the core's `RequestParser`, as a
/// server would read them: `segment` bytes per read (0: everything in one read), and with
/// `eof` the peer closes after the last byte. With `cuts` (offsets), each read ends at a
/// cut instead. Returns one object per step (see the crate docs); parsing stops at the first
/// error.
#[wasm_bindgen(js_name = parseRequest)]
#[must_use]
pub fn parse_request(
    bytes: &[u8],
    segment: usize,
    eof: Option<bool>,
    cuts: Option<Vec<u32>>,
) -> Array {
    explore::parse_requests(
        bytes,
        &reads(segment, cuts),
        eof.unwrap_or(false),
        Limits::default(),
    )
    .iter()
    .map(|r| JsValue::from(record(r)))
    .collect()
}

fn get(o: &JsValue, key: &str) -> JsValue {
    Reflect::get(o, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn entry_from_js(v: &JsValue) -> Option<Entry> {
    let path = get(v, "path").as_string()?;
    let data = get(v, "data");
    let data = match data.as_string() {
        Some(text) => text.into_bytes(),
        None if data.is_instance_of::<Uint8Array>() => Uint8Array::from(data).to_vec(),
        None => Vec::new(),
    };
    Some(Entry {
        path,
        dir: get(v, "dir").is_truthy(),
        data,
        modified: get(v, "modified").as_f64().map_or(0, |m| m.max(0.0) as u64),
    })
}

fn entry_to_js(e: &Entry) -> JsValue {
    let o = Object::new();
    set(&o, "path", e.path.as_str());
    set(&o, "dir", e.dir);
    set(&o, "data", Uint8Array::from(e.data.as_slice()));
    set(&o, "modified", e.modified as f64);
    o.into()
}

fn exchange_to_js(e: &Exchange) -> JsValue {
    let o = Object::new();
    set(&o, "message", e.message as f64);
    set(
        &o,
        "request",
        e.request
            .as_deref()
            .map_or(JsValue::NULL, JsValue::from_str),
    );
    set(&o, "status", f64::from(e.status));
    set(&o, "rule", e.rule);
    set(&o, "explain", e.explain);
    set(&o, "rfc", e.rfc);
    set(&o, "sentContinue", e.sent_continue);
    set(&o, "close", e.close);
    set(
        &o,
        "error",
        e.error.as_ref().map_or(JsValue::NULL, |r| {
            let x = Object::new();
            set(&x, "name", r.name);
            set(&x, "text", r.text.as_str());
            set(&x, "rfc", r.rfc);
            set(&x, "status", f64::from(r.status));
            x.into()
        }),
    );
    set(&o, "response", Uint8Array::from(e.response.as_slice()));
    set(&o, "headLen", e.head_len as f64);
    set(&o, "lints", lints(&e.lints));
    o.into()
}

fn turn_to_js(t: &Turn) -> JsValue {
    let o = Object::new();
    let kind = match t {
        Turn::Request {
            message,
            from,
            to,
            head,
        } => {
            set(&o, "message", *message as f64);
            set(&o, "from", *from as f64);
            set(&o, "to", *to as f64);
            set(&o, "head", *head);
            "request"
        }
        Turn::Refused { message, from } => {
            set(&o, "message", *message as f64);
            set(&o, "from", *from as f64);
            "refused"
        }
        Turn::Continue { message, bytes } => {
            set(&o, "message", *message as f64);
            set(&o, "bytes", Uint8Array::from(bytes.as_slice()));
            "continue"
        }
        Turn::Response { exchange } => {
            set(&o, "exchange", *exchange as f64);
            "response"
        }
        Turn::ClientClosed { at, mid_request } => {
            set(&o, "at", *at as f64);
            set(&o, "midRequest", *mid_request);
            "client-closed"
        }
        Turn::ServerClosed {
            lingering,
            why,
            rfc,
        } => {
            set(&o, "lingering", *lingering);
            set(&o, "why", why.as_str());
            set(&o, "rfc", *rfc);
            "server-closed"
        }
        Turn::Dropped { from, to } => {
            set(&o, "from", *from as f64);
            set(&o, "to", *to as f64);
            "dropped"
        }
        Turn::Open { waiting } => {
            set(&o, "waiting", waiting.as_str());
            "open"
        }
    };
    set(&o, "kind", kind);
    o.into()
}

/// Answers every request in `bytes` as `simple-server` would: the core parses it, `decide`s
/// against an in-memory store holding `files`, and the plan is carried out (PUT and DELETE
/// change the store). `now` is the time in seconds since the Unix epoch (the page passes
/// `Date.now() / 1000`: the core never reads a clock). With `eof` the peer closes after the
/// last byte, and the engine is told so. Entries of `files` without a string `path` are
/// skipped. A refused request's exchange has `error: { name, text, rfc, status }`, the
/// core's own account of the parse error (else `null`).
#[wasm_bindgen(js_name = serveRequests)]
#[must_use]
pub fn serve_requests(
    bytes: &[u8],
    files: &Array,
    read_only: bool,
    now: f64,
    eof: Option<bool>,
) -> Object {
    let files: Vec<Entry> = files.iter().filter_map(|f| entry_from_js(&f)).collect();
    let Outcome {
        exchanges,
        turns,
        stopped,
        files,
        rejected,
    } = serve::serve(
        bytes,
        &files,
        read_only,
        now.max(0.0) as u64,
        eof.unwrap_or(false),
    );
    let o = Object::new();
    set(
        &o,
        "exchanges",
        exchanges.iter().map(exchange_to_js).collect::<Array>(),
    );
    set(&o, "turns", turns.iter().map(turn_to_js).collect::<Array>());
    set(
        &o,
        "stopped",
        stopped.map_or(JsValue::NULL, |s| JsValue::from_str(&s)),
    );
    set(
        &o,
        "files",
        files.iter().map(entry_to_js).collect::<Array>(),
    );
    set(
        &o,
        "rejected",
        rejected
            .iter()
            .map(|r| JsValue::from_str(r))
            .collect::<Array>(),
    );
    o
}

/// Parses `bytes` as one or more responses with the core's `ResponseParser`, as a client
/// would read them after sending requests with `method` (a response to `HEAD` has no body):
/// `segment` bytes per read (0: one read); with `eof` the server closes after the last byte,
/// which ends a close-delimited body. Returns one object per step, as [`parse_request`];
/// heads have `role: "response"`, `status`, `reason`, `interim` and `statusLine`.
#[wasm_bindgen(js_name = parseResponse)]
#[must_use]
pub fn parse_response(
    bytes: &[u8],
    segment: usize,
    eof: Option<bool>,
    method: Option<String>,
    cuts: Option<Vec<u32>>,
) -> Array {
    explore::parse_responses(
        bytes,
        &reads(segment, cuts),
        eof.unwrap_or(false),
        method.as_deref().unwrap_or("GET"),
        Limits::default(),
    )
    .iter()
    .map(|r| JsValue::from(record(r)))
    .collect()
}

/// RFC 9112 §6.3's message-length rules in the order the core's parsers try them
/// ([`simplehttp_core::MESSAGE_LENGTH_RULES`]): `{ number, applies, text }` each, `applies`
/// being `requests`, `responses` or `both`. A head's `framingRule` (or a framing error's)
/// is the number of the rule that decided it.
#[wasm_bindgen(js_name = messageLengthRules)]
#[must_use]
pub fn message_length_rules() -> Array {
    simplehttp_core::MESSAGE_LENGTH_RULES
        .iter()
        .map(|r| {
            let o = Object::new();
            set(&o, "number", f64::from(r.number));
            set(&o, "applies", r.applies.as_str());
            set(&o, "text", r.text);
            JsValue::from(o)
        })
        .collect()
}

/// The version of `simplehttp-core` inside this module.
#[wasm_bindgen(js_name = coreVersion)]
#[must_use]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
