//! The request parser on arbitrary bytes: it must never panic, and feeding the input in
//! pieces (sizes taken from the first byte) must give the same events and error as feeding
//! it whole.
#![no_main]

mod record;

use libfuzzer_sys::fuzz_target;
use record::{limits, record, Parser};
use simplehttp_core::{ParseError, RequestHead, RequestParser, Step};

struct Request(RequestParser);

impl Parser for Request {
    type Head<'a> = RequestHead<'a>;
    fn bytes<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, RequestHead<'a>>, ParseError> {
        self.0.handle_bytes(buf)
    }
    fn eof<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, RequestHead<'a>>, ParseError> {
        self.0.handle_eof(buf)
    }
    fn describe(h: &RequestHead<'_>) -> String {
        let fields: Vec<String> = h
            .fields()
            .iter()
            .map(|f| format!("{}={:?}", f.name, f.value))
            .collect();
        format!(
            "head {} {} {:?} {:?} {}",
            h.method(),
            h.target(),
            h.version(),
            h.framing(),
            fields.join(",")
        )
    }
    fn next(&mut self) {
        self.0.start_next().expect("start_next after End");
    }
}

fn run(input: &[u8], piece: usize) -> (Vec<String>, Option<String>) {
    record(&mut Request(RequestParser::new(limits())), input, piece)
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, input)) = data.split_first() else {
        return;
    };
    let whole = run(input, input.len().max(1));
    let split = run(input, usize::from(k % 16) + 1);
    assert_eq!(
        whole,
        split,
        "split of {} bytes into pieces of {} differs",
        input.len(),
        k % 16 + 1
    );
});
