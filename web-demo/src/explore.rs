//! Runs the core's parser over an input delivered in segments and records every step with
//! the byte ranges it covers. Plain Rust values, so the host can test them; `lib.rs` turns
//! them into JavaScript values.

use core::ops::Range;
use simplehttp_core::lint::{self, Finding, Lint};
use simplehttp_core::{
    Event, Fields, Framing, FramingRule, Limits, Method, ParseError, RequestHead, RequestParser,
    ResponseHead, ResponseParser, Step, UsageError,
};

/// One step of the parse, as the explorer shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// The bytes this step consumed, as offsets into the whole input.
    pub consumed: Range<usize>,
    /// How many bytes of the input had arrived when this step ran.
    pub received: usize,
    /// Which message of the input (0 for the first; pipelined requests count up).
    pub message: usize,
    /// What happened.
    pub what: What,
    /// Expert info about the bytes of this step ([`simplehttp_core::lint`]).
    pub lints: Vec<LintRecord>,
}

/// One finding of [`simplehttp_core::lint`], with absolute byte offsets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LintRecord {
    /// [`Lint::name`].
    pub name: &'static str,
    /// `good`, `note` or `warning`.
    pub level: &'static str,
    /// What was found, in words.
    pub text: String,
    /// The RFC section behind it.
    pub rfc: &'static str,
    /// The bytes it is about.
    pub at: Range<usize>,
}

impl LintRecord {
    /// `f`, its range moved by `base`.
    #[must_use]
    pub fn new(f: &Finding, base: usize) -> Self {
        Self::of(f.lint, shift(f.at.clone(), base))
    }

    fn of(lint: Lint, at: Range<usize>) -> Self {
        LintRecord {
            name: lint.name(),
            level: lint.level().as_str(),
            text: lint.to_string(),
            rfc: lint.rfc(),
            at,
        }
    }
}

/// What one step found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum What {
    /// The parser waits for more bytes. `input_done` when the whole input had arrived.
    NeedMore {
        /// Whether the whole input had already arrived (the message is incomplete).
        input_done: bool,
    },
    /// A whole request head.
    Head(Head),
    /// A whole response head (client side); 1xx heads are interim, another head follows.
    ResponseHead(RespHead),
    /// A chunk-size line.
    ChunkHeader {
        /// The chunk's size.
        size: u64,
        /// Where the extensions are, if any.
        extensions: Option<Range<usize>>,
    },
    /// Body bytes, and where they are in the input (when they are a slice of it).
    Data {
        /// How many bytes.
        len: usize,
        /// Where they are.
        at: Option<Range<usize>>,
    },
    /// The trailer section.
    Trailers(Vec<FieldRecord>),
    /// The message is complete.
    End,
    /// The input ended between messages (only with `eof`).
    Closed,
    /// The parser refused the input.
    Error {
        /// The error, as the core says it.
        message: String,
        /// The error's name ([`ParseError::name`]), for programs.
        code: &'static str,
        /// The RFC section of the rule it breaks ([`ParseError::rfc`]); `None` when the
        /// explorer itself stopped.
        rfc: Option<&'static str>,
        /// The status a server answers.
        status: u16,
        /// Where the error was found, as an offset into the whole input.
        at: Option<usize>,
        /// For a framing fault, the rule of RFC 9112 §6.3 that refused the message
        /// ([`ParseError::message_length_rule`]).
        framing_rule: Option<u8>,
    },
}

/// A request head, with absolute byte ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The method as sent.
    pub method: String,
    /// The request-target as sent.
    pub target: String,
    /// The target's form: origin, absolute, authority or asterisk.
    pub target_form: &'static str,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: &'static str,
    /// The request line, CRLF included.
    pub request_line: Range<usize>,
    /// The field lines, in order.
    pub fields: Vec<FieldRecord>,
    /// The body's framing: `none`, `length`, `chunked` or `close`.
    pub framing: &'static str,
    /// The body length, for `length`.
    pub length: Option<u64>,
    /// Why (RFC 9112 §6.3), in words.
    pub framing_why: &'static str,
    /// The RFC section of that rule.
    pub framing_rfc: &'static str,
    /// The number of that rule in RFC 9112 §6.3's list ([`FramingRule::number`]).
    pub framing_rule: u8,
    /// The rule's name ([`FramingRule::name`]).
    pub framing_rule_name: &'static str,
    /// Whether the connection may stay open.
    pub keep_alive: bool,
    /// Whether the client expects `100 Continue`.
    pub expects_continue: bool,
}

/// A response head, with absolute byte ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RespHead {
    /// The status code.
    pub status: u16,
    /// The reason phrase as sent.
    pub reason: String,
    /// `HTTP/1.1` or `HTTP/1.0`.
    pub version: &'static str,
    /// Whether this is an interim (1xx) response.
    pub interim: bool,
    /// The status line, CRLF included.
    pub status_line: Range<usize>,
    /// The field lines, in order.
    pub fields: Vec<FieldRecord>,
    /// The body's framing, its length and why.
    pub framing: Framing3,
    /// Whether the connection may stay open.
    pub keep_alive: bool,
}

/// How a body is delimited, and the rule that said so.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Framing3 {
    /// `none`, `length`, `chunked` or `close`.
    pub kind: &'static str,
    /// The body length, for `length`.
    pub length: Option<u64>,
    /// Why (RFC 9112 §6.3), in words.
    pub why: &'static str,
    /// The RFC section of that rule.
    pub rfc: &'static str,
    /// The number of that rule in RFC 9112 §6.3's list ([`FramingRule::number`]).
    pub rule: u8,
    /// The rule's name ([`FramingRule::name`]).
    pub rule_name: &'static str,
}

fn framing(f: Framing, rule: FramingRule) -> Framing3 {
    let (kind, length) = match f {
        Framing::None => ("none", None),
        Framing::Length(n) => ("length", Some(n)),
        Framing::Chunked => ("chunked", None),
        Framing::Close => ("close", None),
    };
    Framing3 {
        kind,
        length,
        why: rule.explain(),
        rfc: rule.rfc(),
        rule: rule.number(),
        rule_name: rule.name(),
    }
}

/// One field line with absolute byte ranges.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldRecord {
    /// The name as sent.
    pub name: String,
    /// The value (bytes outside UTF-8 replaced).
    pub value: String,
    /// The whole line, CRLF included.
    pub line: Range<usize>,
    /// The name.
    pub name_at: Range<usize>,
    /// The value.
    pub value_at: Range<usize>,
}

/// Where `part` sits inside `whole`, when it is a slice of it.
fn offset_in(whole: &[u8], part: &[u8]) -> Option<usize> {
    let start = (part.as_ptr() as usize).checked_sub(whole.as_ptr() as usize)?;
    (start + part.len() <= whole.len()).then_some(start)
}

fn shift(r: Range<usize>, by: usize) -> Range<usize> {
    r.start + by..r.end + by
}

fn fields(f: &Fields<'_>, base: usize) -> Vec<FieldRecord> {
    f.iter()
        .map(|f| FieldRecord {
            name: f.name.into(),
            value: String::from_utf8_lossy(f.value).into_owned(),
            line: shift(f.span.line(), base),
            name_at: shift(f.span.name(), base),
            value_at: shift(f.span.value(), base),
        })
        .collect()
}

fn head(h: &RequestHead<'_>, input: &[u8], fallback: usize) -> Head {
    let base = offset_in(input, h.raw()).unwrap_or(fallback);
    let (framing, length) = match h.framing() {
        Framing::None => ("none", None),
        Framing::Length(n) => ("length", Some(n)),
        Framing::Chunked => ("chunked", None),
        Framing::Close => ("close", None),
    };
    Head {
        method: h.method().as_str().into(),
        target: h.target().into(),
        target_form: match h.target_form() {
            simplehttp_core::TargetForm::Origin => "origin",
            simplehttp_core::TargetForm::Absolute => "absolute",
            simplehttp_core::TargetForm::Authority => "authority",
            simplehttp_core::TargetForm::Asterisk => "asterisk",
        },
        version: h.version().as_str(),
        request_line: shift(h.request_line_span(), base),
        fields: fields(&h.fields(), base),
        framing,
        length,
        framing_why: h.framing_rule().explain(),
        framing_rfc: h.framing_rule().rfc(),
        framing_rule: h.framing_rule().number(),
        framing_rule_name: h.framing_rule().name(),
        keep_alive: h.keep_alive(),
        expects_continue: h.expects_continue(),
    }
}

fn response_head(h: &ResponseHead<'_>, input: &[u8], fallback: usize) -> RespHead {
    let base = offset_in(input, h.raw()).unwrap_or(fallback);
    RespHead {
        status: h.status(),
        reason: String::from_utf8_lossy(h.reason()).into_owned(),
        version: h.version().as_str(),
        interim: h.is_interim(),
        status_line: shift(h.status_line_span(), base),
        fields: fields(&h.fields(), base),
        framing: framing(h.framing(), h.framing_rule()),
        keep_alive: h.keep_alive(),
    }
}

/// The two incremental parsers of the core, as the explorer drives them.
trait Parser {
    /// The head type of the events.
    type Head<'a>: Copy;
    fn bytes<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, Self::Head<'a>>, ParseError>;
    fn eof<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, Self::Head<'a>>, ParseError>;
    fn next(&mut self) -> Result<(), UsageError>;
    fn error_at(&self) -> Option<usize>;
    fn record(h: &Self::Head<'_>, input: &[u8], fallback: usize) -> What;
    /// Expert info about a head, with offsets into the input; `method` is the request's,
    /// for a response.
    fn lints(h: &Self::Head<'_>, input: &[u8], fallback: usize, method: &str) -> Vec<LintRecord>;
}

impl Parser for RequestParser {
    type Head<'a> = RequestHead<'a>;
    fn bytes<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, RequestHead<'a>>, ParseError> {
        self.handle_bytes(buf)
    }
    fn eof<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, RequestHead<'a>>, ParseError> {
        self.handle_eof(buf)
    }
    fn next(&mut self) -> Result<(), UsageError> {
        self.start_next()
    }
    fn error_at(&self) -> Option<usize> {
        self.error_offset()
    }
    fn record(h: &RequestHead<'_>, input: &[u8], fallback: usize) -> What {
        What::Head(head(h, input, fallback))
    }
    fn lints(h: &RequestHead<'_>, input: &[u8], fallback: usize, _: &str) -> Vec<LintRecord> {
        let base = offset_in(input, h.raw()).unwrap_or(fallback);
        lint::request(h)
            .iter()
            .map(|f| LintRecord::new(f, base))
            .collect()
    }
}

/// A response parser with the method of the request each response answers.
struct Responses {
    parser: ResponseParser,
    method: String,
}

impl Parser for Responses {
    type Head<'a> = ResponseHead<'a>;
    fn bytes<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        self.parser.handle_bytes(buf)
    }
    fn eof<'a>(&'a mut self, buf: &'a [u8]) -> Result<Step<'a, ResponseHead<'a>>, ParseError> {
        self.parser.handle_eof(buf)
    }
    fn next(&mut self) -> Result<(), UsageError> {
        self.parser.start_next(Method::from_token(&self.method))
    }
    fn error_at(&self) -> Option<usize> {
        self.parser.error_offset()
    }
    fn record(h: &ResponseHead<'_>, input: &[u8], fallback: usize) -> What {
        What::ResponseHead(response_head(h, input, fallback))
    }
    fn lints(h: &ResponseHead<'_>, input: &[u8], fallback: usize, method: &str) -> Vec<LintRecord> {
        let base = offset_in(input, h.raw()).unwrap_or(fallback);
        lint_response(h, Method::from_token(method), base)
    }
}

/// Expert info about a response head whose first byte is at `base`, in answer to a request
/// with `method`.
#[must_use]
pub fn lint_response(h: &ResponseHead<'_>, method: Method<'_>, base: usize) -> Vec<LintRecord> {
    let body = !matches!(h.framing(), Framing::None | Framing::Length(0));
    lint::response(h, method, body)
        .iter()
        .map(|f| LintRecord::new(f, base))
        .collect()
}

/// How the input arrives: the reads a peer's bytes come in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reads {
    /// Reads of this many bytes (0: everything in one read).
    Every(usize),
    /// A read ends at each of these offsets, and at the end of the input.
    At(Vec<usize>),
}

impl Reads {
    /// How many bytes have arrived after the read that follows `received` bytes.
    fn next(&self, received: usize, len: usize) -> usize {
        match self {
            Reads::Every(0) => len,
            Reads::Every(n) => received.saturating_add(*n).min(len),
            Reads::At(cuts) => cuts
                .iter()
                .copied()
                .filter(|&c| c > received && c < len)
                .min()
                .unwrap_or(len),
        }
    }
}

/// Parses `input` as one or more requests, delivered in `reads`, the way a server's read
/// loop would. With `eof`, the peer closes after the last
/// byte. Stops at the first error, or when the input is used up.
#[must_use]
pub fn parse_requests(input: &[u8], reads: &Reads, eof: bool, limits: Limits) -> Vec<Record> {
    drive(RequestParser::new(limits), input, reads, eof, "")
}

/// Parses `input` as the responses to requests made with `method` (`HEAD` responses have no
/// body), delivered in `reads`, the way a client's read loop would. With
/// `eof`, the server closes after the last byte (which ends a close-delimited body).
#[must_use]
pub fn parse_responses(
    input: &[u8],
    reads: &Reads,
    eof: bool,
    method: &str,
    limits: Limits,
) -> Vec<Record> {
    let method = if method.is_empty() { "GET" } else { method };
    let parser = ResponseParser::new(limits, Method::from_token(method));
    drive(
        Responses {
            parser,
            method: method.into(),
        },
        input,
        reads,
        eof,
        method,
    )
}

fn drive<P: Parser>(
    mut parser: P,
    input: &[u8],
    reads: &Reads,
    eof: bool,
    method: &str,
) -> Vec<Record> {
    let mut records = Vec::new();
    let mut base = 0; // first byte not consumed yet
    let mut received = reads.next(0, input.len());
    let mut message = 0;
    let mut closed = false;
    // A correct parser consumes or asks for more on every step; this bound only keeps a
    // broken one from hanging the page.
    let mut budget = 4 * input.len() + 64;
    loop {
        if budget == 0 {
            records.push(Record {
                consumed: base..base,
                received,
                message,
                what: What::Error {
                    message: "the explorer stopped: the parser made no progress".into(),
                    code: "NoProgress",
                    rfc: None,
                    status: 500,
                    at: Some(base),
                    framing_rule: None,
                },
                lints: Vec::new(),
            });
            break;
        }
        budget -= 1;
        let all_in = received == input.len();
        let buf = &input[base..received];
        let result = if all_in && eof && closed {
            parser.eof(buf)
        } else {
            parser.bytes(buf)
        };
        let step = match result {
            Ok(step) => step,
            Err(e) => {
                let at = parser.error_at().map(|o| base + o);
                records.push(Record {
                    consumed: base..base,
                    received,
                    message,
                    what: What::Error {
                        message: e.to_string(),
                        code: e.name(),
                        rfc: Some(e.rfc()),
                        status: e.status(),
                        at,
                        framing_rule: e.message_length_rule(),
                    },
                    lints: Vec::new(),
                });
                break;
            }
        };
        let consumed = base..base + step.consumed;
        let mut lints = Vec::new();
        let what = match step.event {
            Event::NeedMore => What::NeedMore { input_done: all_in },
            Event::Head(h) => {
                lints = P::lints(&h, input, base, method);
                P::record(&h, input, base)
            }
            Event::ChunkHeader { size, extensions } => What::ChunkHeader {
                size,
                extensions: (!extensions.is_empty())
                    .then(|| offset_in(input, extensions).map(|o| o..o + extensions.len()))
                    .flatten(),
            },
            Event::Data(d) => What::Data {
                len: d.len(),
                at: offset_in(input, d).map(|o| o..o + d.len()),
            },
            Event::Trailers(t) => What::Trailers(trailer_fields(&t, input, base)),
            Event::End => What::End,
            Event::Paused => What::Closed,
        };
        base += step.consumed;
        let need_more = matches!(what, What::NeedMore { .. });
        let paused = matches!(what, What::Closed);
        let end = matches!(what, What::End);
        if paused && !(all_in && eof && closed) {
            // Paused before start_next: not expected, since End is followed by start_next.
            if parser.next().is_err() {
                break;
            }
            continue;
        }
        if end && base < input.len() {
            // The input holds more than this message took: it starts the next one.
            lints.push(LintRecord::of(Lint::NextMessageFollows, base..input.len()));
        }
        records.push(Record {
            consumed,
            received,
            message,
            what,
            lints,
        });
        if paused {
            break;
        }
        if end {
            message += 1;
            if base == input.len() || parser.next().is_err() {
                break;
            }
        } else if need_more {
            if all_in {
                if eof && !closed {
                    // The peer closes: what the close gives replaces this "need more".
                    closed = true;
                    records.pop();
                    continue;
                }
                break;
            }
            received = reads.next(received, input.len());
        }
    }
    records
}

/// Trailer fields: their spans are relative to the start of the trailer section, which is
/// where the last chunk's line ends; find it from a field's value, which is a slice of the
/// input.
fn trailer_fields(t: &Fields<'_>, input: &[u8], fallback: usize) -> Vec<FieldRecord> {
    let base = t
        .get(0)
        .and_then(|f| offset_in(input, f.value).map(|o| o - f.span.value().start))
        .unwrap_or(fallback);
    fields(t, base)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &[u8], segment: usize) -> Vec<Record> {
        parse_requests(input, &Reads::Every(segment), false, Limits::default())
    }

    fn kinds(records: &[Record]) -> Vec<&'static str> {
        records
            .iter()
            .map(|r| match r.what {
                What::NeedMore { .. } => "need-more",
                What::Head(_) | What::ResponseHead(_) => "head",
                What::ChunkHeader { .. } => "chunk-header",
                What::Data { .. } => "data",
                What::Trailers(_) => "trailers",
                What::End => "end",
                What::Closed => "closed",
                What::Error { .. } => "error",
            })
            .filter(|k| *k != "need-more")
            .collect()
    }

    const GET: &[u8] = b"GET /hello.txt HTTP/1.1\r\nHost: example.com\r\n\r\n";

    #[test]
    fn get_gives_head_then_end_with_ranges() {
        let r = run(GET, 0);
        assert_eq!(kinds(&r), ["head", "end"]);
        let What::Head(h) = &r[0].what else {
            panic!("{r:?}")
        };
        assert_eq!(h.method, "GET");
        assert_eq!(h.target, "/hello.txt");
        assert_eq!(h.version, "HTTP/1.1");
        assert_eq!(&GET[h.request_line.clone()], b"GET /hello.txt HTTP/1.1\r\n");
        assert_eq!(h.fields.len(), 1);
        assert_eq!(&GET[h.fields[0].name_at.clone()], b"Host");
        assert_eq!(&GET[h.fields[0].value_at.clone()], b"example.com");
        assert_eq!(r[0].consumed, 0..GET.len());
        assert_eq!(h.framing, "none");
    }

    #[test]
    fn any_segment_size_gives_the_same_events() {
        let input = b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n\
                      5;ext=1\r\nhello\r\n0\r\nX-T: 1\r\n\r\n\
                      GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
        let whole = run(input, 0);
        assert_eq!(
            kinds(&whole),
            [
                "head",
                "chunk-header",
                "data",
                "chunk-header",
                "trailers",
                "end",
                "head",
                "end"
            ]
        );
        for seg in [1, 2, 3, 7, 16] {
            let split = run(input, seg);
            let data: Vec<u8> = split
                .iter()
                .filter_map(|r| match &r.what {
                    What::Data { at: Some(at), .. } => Some(input[at.clone()].to_vec()),
                    _ => None,
                })
                .flatten()
                .collect();
            assert_eq!(data, b"hello", "segment {seg}");
            let mut k = kinds(&split);
            k.dedup(); // data may come in several pieces
            assert_eq!(k, kinds(&whole), "segment {seg}");
        }
    }

    #[test]
    fn trailers_and_extensions_point_into_the_input() {
        let input = b"PUT /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3;n=v\r\nabc\r\n0\r\nX-Sum: 42\r\n\r\n";
        let r = run(input, 0);
        let ext = r.iter().find_map(|r| match &r.what {
            What::ChunkHeader {
                extensions: Some(e),
                ..
            } => Some(e.clone()),
            _ => None,
        });
        assert_eq!(&input[ext.expect("extensions")], b";n=v");
        let t = r.iter().find_map(|r| match &r.what {
            What::Trailers(t) => Some(t.clone()),
            _ => None,
        });
        let t = t.expect("trailers");
        assert_eq!(&input[t[0].name_at.clone()], b"X-Sum");
        assert_eq!(&input[t[0].value_at.clone()], b"42");
    }

    #[test]
    fn smuggling_attempt_is_an_error_with_status_400_and_an_offset() {
        let input = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n";
        let r = run(input, 0);
        let Some(Record {
            what:
                What::Error {
                    status,
                    at,
                    message,
                    code,
                    rfc,
                    framing_rule,
                },
            ..
        }) = r.last()
        else {
            panic!("{r:?}")
        };
        assert_eq!(*framing_rule, Some(3), "refused by RFC 9112 §6.3 rule 3");
        assert_eq!(*status, 400);
        assert_eq!(*code, "ContentLengthWithTransferEncoding");
        assert_eq!(*rfc, Some("RFC 9112 §6.1, §6.3"));
        assert!(at.is_some_and(|a| a <= input.len()));
        assert!(!message.is_empty());
    }

    #[test]
    fn incomplete_input_waits_and_eof_makes_it_an_error() {
        let input = b"GET / HTTP/1.1\r\nHost: x\r\n";
        let r = run(input, 0);
        assert!(matches!(
            r.last().map(|r| &r.what),
            Some(What::NeedMore { input_done: true })
        ));
        let r = parse_requests(input, &Reads::Every(0), true, Limits::default());
        assert!(
            matches!(r.last().map(|r| &r.what), Some(What::Error { .. })),
            "{r:?}"
        );
    }

    #[test]
    fn responses_interim_chunked_and_close_delimited() {
        let input = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n";
        let r = parse_responses(input, &Reads::Every(0), false, "PUT", Limits::default());
        assert_eq!(
            kinds(&r),
            [
                "head",
                "head",
                "chunk-header",
                "data",
                "chunk-header",
                "end"
            ]
        );
        let What::ResponseHead(h) = &r[0].what else {
            panic!("{r:?}")
        };
        assert!(h.interim);
        assert_eq!((h.status, h.reason.as_str()), (100, "Continue"));
        assert_eq!(&input[h.status_line.clone()], b"HTTP/1.1 100 Continue\r\n");

        // Close-delimited: the body ends only when the server closes.
        let input = b"HTTP/1.0 200 OK\r\n\r\nbody bytes";
        let open = parse_responses(input, &Reads::Every(0), false, "GET", Limits::default());
        assert!(matches!(
            open.last().map(|r| &r.what),
            Some(What::NeedMore { input_done: true })
        ));
        let closed = parse_responses(input, &Reads::Every(3), true, "GET", Limits::default());
        assert_eq!(kinds(&closed).last(), Some(&"end"), "{closed:?}");

        // A response to HEAD has no body, whatever Content-Length says.
        let r = parse_responses(
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n",
            &Reads::Every(0),
            false,
            "HEAD",
            Limits::default(),
        );
        assert_eq!(kinds(&r), ["head", "end"]);
    }

    #[test]
    fn reads_end_at_the_chosen_cuts() {
        let r = parse_requests(
            GET,
            &Reads::At(vec![30, 5, 30, 500]),
            false,
            Limits::default(),
        );
        let waits: Vec<usize> = r
            .iter()
            .filter(|r| matches!(r.what, What::NeedMore { .. }))
            .map(|r| r.received)
            .collect();
        assert_eq!(waits, [5, 30], "{r:?}");
        assert_eq!(kinds(&r), ["head", "end"]);
        assert_eq!(r.last().map(|r| r.received), Some(GET.len()));
    }

    #[test]
    fn heads_carry_the_rule_that_framed_them_and_their_expert_info() {
        let input = b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Lenght: 5\r\n\r\nhello";
        let r = run(input, 0);
        let What::Head(h) = &r[0].what else {
            panic!("{r:?}")
        };
        assert_eq!(h.framing_rule, 7, "no length: RFC 9112 §6.3 rule 7");
        assert_eq!(h.framing_rule_name, "RequestWithoutLength");
        let names: Vec<_> = r[0]
            .lints
            .iter()
            .map(|l| (l.name, &input[l.at.clone()]))
            .collect();
        assert_eq!(names, [("NearKnownName", &b"Content-Lenght"[..])]);
        assert!(r[0].lints[0].text.contains("Content-Length"));
        // The body becomes the start of a next request: said at the end of the first.
        let end = r.iter().find(|r| r.what == What::End).expect("an end");
        assert_eq!(end.lints.len(), 1);
        assert_eq!(end.lints[0].name, "NextMessageFollows");
        assert_eq!(&input[end.lints[0].at.clone()], b"hello");

        let r = parse_responses(
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi",
            &Reads::Every(0),
            false,
            "GET",
            Limits::default(),
        );
        let What::ResponseHead(h) = &r[0].what else {
            panic!("{r:?}")
        };
        assert_eq!(h.framing.rule, 6);
        assert_eq!(h.framing.rule_name, "ContentLength");
        assert!(r[0].lints.iter().any(|l| l.name == "NoValidator"), "{r:?}");
    }

    #[test]
    fn empty_input_needs_more() {
        let r = run(b"", 0);
        assert_eq!(r.len(), 1);
        assert!(matches!(r[0].what, What::NeedMore { input_done: true }));
    }
}
