//! The response parser on arbitrary bytes, as the reply to a GET or a HEAD: never a panic,
//! and the same events whole or in pieces.
#![no_main]

use libfuzzer_sys::fuzz_target;
use simplehttp_core::{Event, Limits, Method, ResponseParser};

fn run(input: &[u8], method: Method<'_>, piece: usize) -> (Vec<String>, Option<String>) {
    let limits = Limits {
        max_head_bytes: 4096,
        max_headers: 32,
        max_body: 1 << 20,
        ..Limits::default()
    };
    let mut p = ResponseParser::new(limits, method);
    let mut buf = Vec::new();
    let mut out: Vec<String> = Vec::new();
    // Body bytes since the last other event: how they were split must not matter.
    let mut data: Vec<u8> = Vec::new();
    let mut fed = 0;
    loop {
        let eof = fed == input.len();
        if !eof {
            let n = piece.min(input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
        }
        loop {
            let r = if eof {
                p.handle_eof(&buf)
            } else {
                p.handle_bytes(&buf)
            };
            let step = match r {
                Ok(s) => s,
                Err(e) => {
                    if !data.is_empty() {
                        out.push(format!("data {data:?}"));
                    }
                    return (out, Some(e.to_string()));
                }
            };
            assert!(step.consumed <= buf.len());
            let consumed = step.consumed;
            let mut wait = false;
            if !matches!(step.event, Event::Data(_) | Event::NeedMore) && !data.is_empty() {
                out.push(format!("data {:?}", std::mem::take(&mut data)));
            }
            match step.event {
                Event::NeedMore => wait = true,
                Event::Paused => return (out, None),
                Event::Head(h) => out.push(format!(
                    "head {} {:?} {:?} {}",
                    h.status(),
                    h.framing(),
                    h.keep_alive(),
                    h.fields().len()
                )),
                Event::ChunkHeader { size, extensions } => {
                    out.push(format!("chunk {size} {extensions:?}"))
                }
                Event::Data(d) => data.extend_from_slice(d),
                Event::Trailers(t) => out.push(format!("trailers {}", t.len())),
                Event::End => {
                    out.push("end".into());
                    p.start_next(method).expect("start_next after End");
                }
            }
            buf.drain(..consumed);
            if wait {
                break;
            }
        }
        if eof {
            if !data.is_empty() {
                out.push(format!("data {data:?}"));
            }
            return (out, None);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, input)) = data.split_first() else {
        return;
    };
    let method = if k & 0x80 != 0 {
        Method::Head
    } else {
        Method::Get
    };
    let whole = run(input, method, input.len().max(1));
    let split = run(input, method, usize::from(k % 16) + 1);
    assert_eq!(whole, split);
});
