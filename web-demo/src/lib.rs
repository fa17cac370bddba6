//! The simplehttp explorer: `simplehttp-core` compiled to WebAssembly.
//!
//! This crate only converts the core's values into JavaScript values; every HTTP rule lives
//! in the core. [`explore`] runs the core and records its steps as plain Rust values (tested
//! on the host); the `#[wasm_bindgen]` functions below hand them to the page.
//!
//! JavaScript API (`web-demo/dist/pkg/simplehttp_web_demo.js`):
//! - `parseRequest(bytes: Uint8Array, segment: number, eof?: boolean)`: an array of steps,
//!   each `{ kind, start, end, received, message, ... }` where `start..end` are the bytes the
//!   step consumed; `kind` is `need-more`, `head`, `chunk-header`, `data`, `trailers`, `end`,
//!   `closed` or `error`. See [`parse_request`].
//! - `coreVersion()`: the version of `simplehttp-core`.

pub mod explore;

use core::ops::Range;
use explore::{FieldRecord, Record, What};
use js_sys::{Array, Object, Reflect};
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

fn record(r: &Record) -> Object {
    let o = Object::new();
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
            set(&o, "keepAlive", h.keep_alive);
            set(&o, "expectsContinue", h.expects_continue);
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
            status,
            at,
        } => {
            set(&o, "error", message.as_str());
            set(&o, "code", code.as_str());
            set(&o, "status", f64::from(*status));
            set(
                &o,
                "at",
                at.map_or(JsValue::NULL, |a| JsValue::from(a as f64)),
            );
            "error"
        }
    };
    set(&o, "kind", kind);
    o
}

/// Parses `bytes` as one or more pipelined requests with the core's `RequestParser`, as a
/// server would read them: `segment` bytes per read (0: everything in one read), and with
/// `eof` the peer closes after the last byte. Returns one object per step (see the crate
/// docs); parsing stops at the first error.
#[wasm_bindgen(js_name = parseRequest)]
#[must_use]
pub fn parse_request(bytes: &[u8], segment: usize, eof: Option<bool>) -> Array {
    explore::parse_requests(bytes, segment, eof.unwrap_or(false), Limits::default())
        .iter()
        .map(|r| JsValue::from(record(r)))
        .collect()
}

/// The version of `simplehttp-core` inside this module.
#[wasm_bindgen(js_name = coreVersion)]
#[must_use]
pub fn core_version() -> String {
    env!("CARGO_PKG_VERSION").into()
}
