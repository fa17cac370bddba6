//! The response parser on arbitrary bytes, as the reply to a GET or a HEAD: never a panic,
//! and the same events whole or in pieces.
#![no_main]

mod record;

use libfuzzer_sys::fuzz_target;
use record::{limits, record, Parser};
use simplehttp_core::{Method, ParseError, ResponseHead, ResponseParser, Step};

struct Response {
    parser: ResponseParser,
    method: Method<'static>,
}

impl Parser for Response {
    type Head<'a> = ResponseHead<'a>;
    fn bytes<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        self.parser.handle_bytes(buf)
    }
    fn eof<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        self.parser.handle_eof(buf)
    }
    fn describe(h: &ResponseHead<'_>) -> String {
        format!(
            "head {} {:?} {:?} {}",
            h.status(),
            h.framing(),
            h.keep_alive(),
            h.fields().len()
        )
    }
    fn next(&mut self) {
        self.parser
            .start_next(self.method)
            .expect("start_next after End");
    }
}

fn run(input: &[u8], method: Method<'static>, piece: usize) -> (Vec<String>, Option<String>) {
    let parser = ResponseParser::new(limits(), method);
    record(&mut Response { parser, method }, input, piece)
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
