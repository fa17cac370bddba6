//! What the request and response targets share: feed a parser an input in pieces of a
//! given size and record what it says as owned text (body data merged across events, since
//! how it was split must not matter), with the error it ends on.

use simplehttp_core::{Event, Limits, ParseError, Step};

/// The limits both targets parse under: small, so that fuzzing reaches them.
pub fn limits() -> Limits {
    Limits {
        max_head_bytes: 4096,
        max_request_line: 512,
        max_headers: 32,
        max_body: 1 << 20,
        ..Limits::default()
    }
}

/// A request or response parser, as far as [`record`] needs it.
pub trait Parser {
    type Head<'a>;
    fn bytes<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, Self::Head<'a>>, ParseError>;
    fn eof<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, Self::Head<'a>>, ParseError>;
    /// The head as text: what must be the same however the input was split.
    fn describe(head: &Self::Head<'_>) -> String;
    /// Ready for the next message after `End`.
    fn next(&mut self);
}

/// Events as owned text, with consecutive data merged, plus the error.
pub fn record<P: Parser>(p: &mut P, input: &[u8], piece: usize) -> (Vec<String>, Option<String>) {
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
            // The step borrows the parser and the buffer: it ends with this block.
            let (consumed, wait, ended) = {
                let r = if eof { p.eof(&buf) } else { p.bytes(&buf) };
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
                let (mut wait, mut ended) = (false, false);
                if !matches!(step.event, Event::Data(_) | Event::NeedMore) && !data.is_empty() {
                    out.push(format!("data {:?}", std::mem::take(&mut data)));
                }
                match step.event {
                    Event::NeedMore => wait = true,
                    Event::Paused => return (out, None),
                    Event::Head(h) => out.push(P::describe(&h)),
                    Event::ChunkHeader { size, extensions } => {
                        out.push(format!("chunk {size} {extensions:?}"))
                    }
                    Event::Data(d) => data.extend_from_slice(d),
                    Event::Trailers(t) => out.push(format!("trailers {}", t.len())),
                    Event::End => {
                        out.push("end".into());
                        ended = true;
                    }
                }
                (step.consumed, wait, ended)
            };
            if ended {
                p.next();
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
