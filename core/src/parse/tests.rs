//! Parser tests: every case runs whole, one byte per call, in random splits (proptest), and
//! followed by bytes that must survive.
#![allow(clippy::type_complexity)]

use crate::{Event, Framing, Limits, Method, ParseError, RequestParser, ResponseParser, Version};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use alloc::{format, vec};

/// An owned record of one event, with consecutive `Data` merged.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ev {
    Head(String),
    Chunk(u64, Vec<u8>),
    Data(Vec<u8>),
    Trailers(Vec<(String, Vec<u8>)>),
    End,
}

/// Runs `input` through a request parser in pieces of the given sizes (the last piece gets
/// the rest), reading pipelined messages, and signals EOF at the end. Returns the events,
/// the error if any, and the bytes left unconsumed.
fn run_req(
    input: &[u8],
    pieces: &[usize],
    limits: Limits,
) -> (Vec<Ev>, Option<ParseError>, Vec<u8>) {
    let mut p = RequestParser::new(limits);
    let mut buf: Vec<u8> = Vec::new();
    let mut evs = Vec::new();
    let mut fed = 0;
    let mut k = 0;
    loop {
        let eof = fed == input.len();
        if !eof {
            let n = pieces
                .get(k)
                .copied()
                .unwrap_or(input.len())
                .max(1)
                .min(input.len() - fed);
            k += 1;
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
                Err(e) => return (evs, Some(e), buf),
            };
            let consumed = step.consumed;
            let mut stop = false;
            match step.event {
                Event::NeedMore => stop = true,
                Event::Paused => return (evs, None, buf),
                Event::Head(h) => {
                    let mut s = format!(
                        "{} {} {:?} {:?} ka={} cont={}",
                        h.method(),
                        h.target(),
                        h.version(),
                        h.framing(),
                        h.keep_alive(),
                        h.expects_continue()
                    );
                    for f in h.fields().iter() {
                        s.push_str(&format!(
                            " [{}={}]",
                            f.name,
                            String::from_utf8_lossy(f.value)
                        ));
                    }
                    evs.push(Ev::Head(s));
                }
                Event::ChunkHeader { size, extensions } => {
                    evs.push(Ev::Chunk(size, extensions.to_vec()))
                }
                Event::Data(d) => match evs.last_mut() {
                    Some(Ev::Data(prev)) => prev.extend_from_slice(d),
                    _ => evs.push(Ev::Data(d.to_vec())),
                },
                Event::Trailers(t) => evs.push(Ev::Trailers(
                    t.iter()
                        .map(|f| (f.name.to_string(), f.value.to_vec()))
                        .collect(),
                )),
                Event::End => {
                    evs.push(Ev::End);
                    p.start_next().unwrap();
                }
            }
            buf.drain(..consumed);
            if stop {
                break;
            }
        }
        if eof {
            return (evs, None, buf);
        }
    }
}

/// Runs a case whole, byte by byte and with split sizes 2, 3 and 7, requiring the same
/// outcome from each; returns it.
fn req(input: &[u8]) -> (Vec<Ev>, Option<ParseError>) {
    req_with(input, Limits::default())
}

fn req_with(input: &[u8], limits: Limits) -> (Vec<Ev>, Option<ParseError>) {
    let whole = run_req(input, &[input.len()], limits);
    for size in [1usize, 2, 3, 7] {
        let pieces = vec![size; input.len()];
        let split = run_req(input, &pieces, limits);
        assert_eq!(
            (&whole.0, whole.1),
            (&split.0, split.1),
            "split {size} differs for {:?}",
            String::from_utf8_lossy(input)
        );
    }
    (whole.0, whole.1)
}

fn err(input: &[u8]) -> Option<ParseError> {
    req(input).1
}

const GET: &[u8] = b"GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n";

#[test]
fn parses_a_minimal_get() {
    let (evs, e) = req(GET);
    assert_eq!(e, None);
    assert_eq!(
        evs,
        vec![
            Ev::Head("GET /index.html Http11 None ka=true cont=false [Host=example.com]".into()),
            Ev::End
        ]
    );
}

#[test]
fn head_borrows_offsets_of_each_field() {
    let wire = b"GET / HTTP/1.1\r\nHost:  a.b \r\nX-Y: z\r\n\r\n";
    let mut p = RequestParser::new(Limits::default());
    let s = p.handle_bytes(wire).unwrap();
    assert_eq!(s.consumed, wire.len());
    let Event::Head(h) = s.event else { panic!() };
    assert_eq!(h.request_line_span(), 0..16);
    let f = h.fields().get(0).unwrap();
    assert_eq!(&wire[f.span.line()], b"Host:  a.b \r\n");
    assert_eq!(&wire[f.span.value()], b"a.b");
    assert_eq!(h.header("x-y"), Some(&b"z"[..]));
    assert_eq!(h.header_str("HOST"), Some("a.b"));
}

#[test]
fn methods_are_tokens_with_an_other_case() {
    let cases: &[(&[u8], Method<'_>)] = &[
        (b"GET", Method::Get),
        (b"HEAD", Method::Head),
        (b"PUT", Method::Put),
        (b"DELETE", Method::Delete),
        (b"OPTIONS", Method::Options),
        (b"POST", Method::Post),
        (b"BREW", Method::Other("BREW")),
        (b"M-SEARCH", Method::Other("M-SEARCH")),
        (b"get", Method::Other("get")),
    ];
    for (m, want) in cases {
        let wire = [*m, &b" / HTTP/1.1\r\nHost: h\r\n\r\n"[..]].concat();
        let mut p = RequestParser::new(Limits::default());
        let Event::Head(h) = p.handle_bytes(&wire).unwrap().event else {
            panic!()
        };
        assert_eq!(h.method(), *want);
    }
}

#[test]
fn request_line_rules() {
    use ParseError::*;
    let cases: &[(&str, &[u8], Option<ParseError>)] = &[
        (
            "origin form",
            b"GET /a?b=c HTTP/1.1\r\nHost: h\r\n\r\n",
            None,
        ),
        (
            "absolute form",
            b"GET http://h/a HTTP/1.1\r\nHost: h\r\n\r\n",
            None,
        ),
        (
            "asterisk with OPTIONS",
            b"OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n",
            None,
        ),
        (
            "asterisk with GET",
            b"GET * HTTP/1.1\r\nHost: h\r\n\r\n",
            Some(InvalidTarget),
        ),
        (
            "authority with CONNECT",
            b"CONNECT h:443 HTTP/1.1\r\nHost: h:443\r\n\r\n",
            None,
        ),
        // `h:443` is a valid absolute-URI (scheme "h"); resolving it to a path refuses it.
        (
            "scheme-like target",
            b"GET h:443 HTTP/1.1\r\nHost: h\r\n\r\n",
            None,
        ),
        (
            "no scheme",
            b"GET :443 HTTP/1.1\r\nHost: h\r\n\r\n",
            Some(InvalidTarget),
        ),
        (
            "relative path",
            b"GET a/b HTTP/1.1\r\nHost: h\r\n\r\n",
            Some(InvalidTarget),
        ),
        ("HTTP/1.0 without host", b"GET / HTTP/1.0\r\n\r\n", None),
        (
            "HTTP/1.2 is 1.1",
            b"GET / HTTP/1.2\r\nHost: h\r\n\r\n",
            None,
        ),
        (
            "HTTP/2.0 is 505",
            b"GET / HTTP/2.0\r\nHost: h\r\n\r\n",
            Some(UnsupportedVersion),
        ),
        (
            "HTTP/0.9 is 505",
            b"GET / HTTP/0.9\r\n\r\n",
            Some(UnsupportedVersion),
        ),
        (
            "lower-case version",
            b"GET / http/1.1\r\nHost: h\r\n\r\n",
            Some(InvalidVersion),
        ),
        (
            "two-digit minor",
            b"GET / HTTP/1.10\r\nHost: h\r\n\r\n",
            Some(InvalidVersion),
        ),
        (
            "version missing",
            b"GET /\r\nHost: h\r\n\r\n",
            Some(MalformedStartLine),
        ),
        (
            "double space",
            b"GET  / HTTP/1.1\r\nHost: h\r\n\r\n",
            Some(MalformedStartLine),
        ),
        (
            "tab separator",
            b"GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n",
            Some(InvalidMethod),
        ),
        (
            "trailing space",
            b"GET / HTTP/1.1 \r\nHost: h\r\n\r\n",
            Some(InvalidVersion),
        ),
        (
            "empty method",
            b" / HTTP/1.1\r\nHost: h\r\n\r\n",
            Some(InvalidMethod),
        ),
        (
            "bad method char",
            b"G(T / HTTP/1.1\r\nHost: h\r\n\r\n",
            Some(InvalidMethod),
        ),
        (
            "NUL in target",
            b"GET /a\0b HTTP/1.1\r\nHost: h\r\n\r\n",
            Some(InvalidTarget),
        ),
        (
            "UTF-8 in target",
            "GET /é HTTP/1.1\r\nHost: h\r\n\r\n".as_bytes(),
            Some(InvalidTarget),
        ),
        (
            "bare LF after line",
            b"GET / HTTP/1.1\nHost: h\r\n\r\n",
            Some(InvalidLineEnding),
        ),
        (
            "bare CR after line",
            b"GET / HTTP/1.1\rHost: h\r\n\r\n",
            Some(InvalidLineEnding),
        ),
        (
            "TLS hello",
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
            Some(InvalidMethod),
        ),
        (
            "leading empty line",
            b"\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n",
            None,
        ),
    ];
    for (name, wire, want) in cases {
        assert_eq!(err(wire), *want, "{name}");
    }
}

#[test]
fn field_rules() {
    use ParseError::*;
    let h = |fields: &str| format!("GET / HTTP/1.1\r\nHost: h\r\n{fields}\r\n").into_bytes();
    let cases: &[(&str, &str, Option<ParseError>)] = &[
        ("plain", "A: b\r\n", None),
        ("empty value", "A:\r\n", None),
        ("obs-text value", "A: caf\u{e9}\r\n", None),
        ("tab in value", "A: b\tc\r\n", None),
        (
            "whitespace before colon",
            "A : b\r\n",
            Some(WhitespaceBeforeColon),
        ),
        (
            "tab before colon",
            "A\t: b\r\n",
            Some(WhitespaceBeforeColon),
        ),
        ("obs-fold", "A: b\r\n c\r\n", Some(ObsoleteLineFolding)),
        ("no colon", "A b\r\n", Some(WhitespaceBeforeColon)),
        ("name only", "Ab\r\n", Some(MissingColon)),
        ("empty name", ": b\r\n", Some(InvalidHeaderName)),
        ("bad name char", "A(b: c\r\n", Some(InvalidHeaderName)),
        ("NUL in value", "A: b\0c\r\n", Some(InvalidHeaderValue)),
        ("bare CR in value", "A: b\rc\r\n", Some(InvalidHeaderValue)),
        ("bare LF in value", "A: b\nc\r\n", Some(InvalidLineEnding)),
        ("DEL in value", "A: b\x7fc\r\n", Some(InvalidHeaderValue)),
        ("VT in value", "A: b\x0bc\r\n", Some(InvalidHeaderValue)),
        ("missing host", "", None),
        ("second host", "Host: i\r\n", Some(MultipleHost)),
        ("bad host", "", None),
    ];
    for (name, fields, want) in cases {
        assert_eq!(err(&h(fields)), *want, "{name}");
    }
    assert_eq!(err(b"GET / HTTP/1.1\r\n\r\n"), Some(MissingHost));
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n"),
        Some(InvalidHost)
    );
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: a/b\r\n\r\n"),
        Some(InvalidHost)
    );
    assert_eq!(err(b"GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n"), None);
    assert_eq!(
        err(b"GET / HTTP/1.1\r\nHost: h:x\r\n\r\n"),
        Some(InvalidHost)
    );
    assert_eq!(
        err(b"GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"),
        Some(MultipleHost)
    );
    assert_eq!(err(b"GET / HTTP/1.1\r\nHost:\r\n\r\n"), None);
}

#[test]
fn values_are_trimmed_and_obs_text_kept() {
    let (evs, e) = req(b"GET / HTTP/1.1\r\nHost: h\r\nA: \t x y \t\r\n\r\n");
    assert_eq!(e, None);
    assert_eq!(
        evs[0],
        Ev::Head("GET / Http11 None ka=true cont=false [Host=h] [A=x y]".into())
    );
}

/// The request-smuggling shapes of RFC 9112 §6.3 and §11.2, each refused with its status.
#[test]
fn rejects_every_smuggling_shape() {
    use ParseError::*;
    let post = |fields: &str, body: &str| {
        format!("POST /u HTTP/1.1\r\nHost: h\r\n{fields}\r\n{body}").into_bytes()
    };
    let cases: &[(&str, &str, Option<ParseError>, u16)] = &[
        (
            "te with cl",
            "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n",
            Some(ContentLengthWithTransferEncoding),
            400,
        ),
        (
            "cl with te",
            "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
            Some(ContentLengthWithTransferEncoding),
            400,
        ),
        (
            "two differing cl",
            "Content-Length: 3\r\nContent-Length: 4\r\n",
            Some(ConflictingContentLength),
            400,
        ),
        (
            "cl list differing",
            "Content-Length: 3, 4\r\n",
            Some(ConflictingContentLength),
            400,
        ),
        (
            "signed cl",
            "Content-Length: +3\r\n",
            Some(InvalidContentLength),
            400,
        ),
        (
            "negative cl",
            "Content-Length: -3\r\n",
            Some(InvalidContentLength),
            400,
        ),
        (
            "hex cl",
            "Content-Length: 0x3\r\n",
            Some(InvalidContentLength),
            400,
        ),
        (
            "cl with space inside",
            "Content-Length: 3 4\r\n",
            Some(InvalidContentLength),
            400,
        ),
        (
            "empty cl",
            "Content-Length:\r\n",
            Some(InvalidContentLength),
            400,
        ),
        (
            "overflowing cl",
            "Content-Length: 99999999999999999999999\r\n",
            Some(InvalidContentLength),
            400,
        ),
        (
            "te not chunked last",
            "Transfer-Encoding: chunked, gzip\r\n",
            Some(ChunkedNotLast),
            400,
        ),
        (
            "te gzip only",
            "Transfer-Encoding: gzip\r\n",
            Some(ChunkedNotLast),
            400,
        ),
        (
            "te chunked twice",
            "Transfer-Encoding: chunked, chunked\r\n",
            Some(ChunkedNotLast),
            400,
        ),
        (
            "te chunked twice across fields",
            "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n",
            Some(ChunkedNotLast),
            400,
        ),
        (
            "te unknown before chunked",
            "Transfer-Encoding: gzip, chunked\r\n",
            Some(UnknownTransferCoding),
            501,
        ),
        (
            "te obfuscated xchunked",
            "Transfer-Encoding: xchunked\r\n",
            Some(ChunkedNotLast),
            400,
        ),
        (
            "te obfuscated quoted",
            "Transfer-Encoding: \"chunked\"\r\n",
            Some(ChunkedNotLast),
            400,
        ),
        (
            "te obfuscated vt",
            "Transfer-Encoding: chunked\x0b\r\n",
            Some(InvalidHeaderValue),
            400,
        ),
        (
            "te with space before colon",
            "Transfer-Encoding : chunked\r\n",
            Some(WhitespaceBeforeColon),
            400,
        ),
        (
            "te folded",
            "Transfer-Encoding:\r\n chunked\r\n",
            Some(ObsoleteLineFolding),
            400,
        ),
        (
            "te empty",
            "Transfer-Encoding: \r\n",
            Some(ChunkedNotLast),
            400,
        ),
        (
            "cl identical twice",
            "Content-Length: 3\r\nContent-Length: 3\r\n",
            None,
            0,
        ),
        ("cl identical list", "Content-Length: 3, 3\r\n", None, 0),
        (
            "te chunked case-insensitive",
            "Transfer-Encoding: ChUnKeD\r\n",
            None,
            0,
        ),
    ];
    for (name, fields, want, status) in cases {
        let body = if fields.to_lowercase().contains("chunked") && want.is_none() {
            "0\r\n\r\n"
        } else {
            "abc"
        };
        let e = err(&post(fields, body));
        assert_eq!(e, *want, "{name}");
        if let Some(e) = e {
            assert_eq!(e.status(), *status, "{name}");
        }
    }
    assert_eq!(
        err(b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
        Some(TransferEncodingInHttp10)
    );
}

#[test]
fn bad_chunks_are_refused() {
    use ParseError::*;
    let post = |body: &str| {
        format!("POST /u HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n{body}")
            .into_bytes()
    };
    let cases: &[(&str, &str, Option<ParseError>)] = &[
        ("valid", "3\r\nabc\r\n0\r\n\r\n", None),
        ("upper-case hex", "A\r\n0123456789\r\n0\r\n\r\n", None),
        ("leading zeros", "0003\r\nabc\r\n000\r\n\r\n", None),
        (
            "extensions",
            "3;a=b;c\r\nabc\r\n0;x=\"q\\\"t\"\r\n\r\n",
            None,
        ),
        ("ext with bws", "3 ; a = b\r\nabc\r\n0\r\n\r\n", None),
        ("no size", "\r\nabc\r\n0\r\n\r\n", Some(InvalidChunkSize)),
        (
            "signed size",
            "+3\r\nabc\r\n0\r\n\r\n",
            Some(InvalidChunkSize),
        ),
        (
            "0x prefix",
            "0x3\r\nabc\r\n0\r\n\r\n",
            Some(InvalidChunkSize),
        ),
        (
            "junk after size",
            "3g\r\nabc\r\n0\r\n\r\n",
            Some(InvalidChunkSize),
        ),
        (
            "space after size",
            "3 \r\nabc\r\n0\r\n\r\n",
            Some(InvalidChunkSize),
        ),
        (
            "overflow",
            "10000000000000000\r\nabc\r\n0\r\n\r\n",
            Some(ChunkSizeOverflow),
        ),
        (
            "bare LF after size",
            "3\nabc\r\n0\r\n\r\n",
            Some(InvalidLineEnding),
        ),
        (
            "missing data CRLF",
            "3\r\nabcd\r\n0\r\n\r\n",
            Some(MissingChunkTerminator),
        ),
        (
            "bad ext name",
            "3;=b\r\nabc\r\n0\r\n\r\n",
            Some(InvalidChunkExtension),
        ),
        (
            "bad ext value",
            "3;a=\r\nabc\r\n0\r\n\r\n",
            Some(InvalidChunkExtension),
        ),
        (
            "unterminated quote",
            "3;a=\"b\r\nabc\r\n0\r\n\r\n",
            Some(InvalidChunkExtension),
        ),
        ("truncated", "3\r\nab", Some(UnexpectedEof)),
        (
            "truncated before last chunk",
            "3\r\nabc\r\n",
            Some(UnexpectedEof),
        ),
        ("truncated trailers", "0\r\nA: b\r\n", Some(UnexpectedEof)),
        (
            "bad trailer",
            "0\r\nA : b\r\n\r\n",
            Some(WhitespaceBeforeColon),
        ),
    ];
    for (name, body, want) in cases {
        assert_eq!(err(&post(body)), *want, "{name}");
    }
}

#[test]
fn chunked_body_gives_chunks_data_and_trailers() {
    let wire = b"PUT /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;name=v\r\nWiki\r\n5\r\npedia\r\n0\r\nChecksum: 1\r\nX: y\r\n\r\n";
    let (evs, e) = req(wire);
    assert_eq!(e, None);
    assert_eq!(
        &evs[1..],
        &[
            Ev::Chunk(4, b";name=v".to_vec()),
            Ev::Data(b"Wiki".to_vec()),
            Ev::Chunk(5, vec![]),
            Ev::Data(b"pedia".to_vec()),
            Ev::Chunk(0, vec![]),
            Ev::Trailers(vec![
                ("Checksum".into(), b"1".to_vec()),
                ("X".into(), b"y".to_vec())
            ]),
            Ev::End,
        ]
    );
}

#[test]
fn content_length_body_and_pipelining() {
    let wire = b"PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.1\r\nHost: h\r\n\r\nDELETE /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
    let (evs, e) = req(wire);
    assert_eq!(e, None);
    assert_eq!(
        evs,
        vec![
            Ev::Head(
                "PUT /a Http11 Length(5) ka=true cont=false [Host=h] [Content-Length=5]".into()
            ),
            Ev::Data(b"hello".to_vec()),
            Ev::End,
            Ev::Head("GET /b Http11 None ka=true cont=false [Host=h]".into()),
            Ev::End,
            Ev::Head(
                "DELETE /c Http11 None ka=false cont=false [Host=h] [Connection=close]".into()
            ),
            Ev::End,
        ]
    );
}

#[test]
fn trailing_bytes_survive_a_message() {
    let wire = [GET, b"GARB"].concat();
    let mut p = RequestParser::new(Limits::default());
    let s = p.handle_bytes(&wire).unwrap();
    assert_eq!(s.consumed, GET.len());
    let s = p.handle_bytes(&wire[GET.len()..]).unwrap();
    assert!(matches!(s.event, Event::End));
    assert_eq!(s.consumed, 0);
    // Paused until start_next: the next bytes are not read ahead.
    let s = p.handle_bytes(&wire[GET.len()..]).unwrap();
    assert!(matches!(s.event, Event::Paused));
}

#[test]
fn keep_alive_rules() {
    let ka = |wire: &[u8]| {
        let mut p = RequestParser::new(Limits::default());
        let Event::Head(h) = p.handle_bytes(wire).unwrap().event else {
            panic!()
        };
        h.keep_alive()
    };
    assert!(ka(b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"));
    assert!(!ka(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    ));
    assert!(!ka(
        b"GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n"
    ));
    assert!(!ka(b"GET / HTTP/1.0\r\n\r\n"));
    assert!(ka(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    assert!(!ka(
        b"GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n"
    ));
}

#[test]
fn expect_continue_is_reported() {
    let (evs, _) =
        req(b"PUT / HTTP/1.1\r\nHost: h\r\nExpect: 100-Continue\r\nContent-Length: 0\r\n\r\n");
    assert!(matches!(&evs[0], Ev::Head(s) if s.contains("cont=true")));
    let (evs, _) = req(b"PUT / HTTP/1.0\r\nExpect: 100-continue\r\nContent-Length: 0\r\n\r\n");
    assert!(
        matches!(&evs[0], Ev::Head(s) if s.contains("cont=false")),
        "ignored in HTTP/1.0"
    );
}

#[test]
fn limits_name_their_status() {
    use ParseError::*;
    let small = Limits {
        max_request_line: 32,
        max_head_bytes: 64,
        max_headers: 2,
        max_body: 10,
        ..Limits::default()
    };
    let long_target = format!("GET /{} HTTP/1.1\r\nHost: h\r\n\r\n", "a".repeat(40));
    assert_eq!(
        req_with(long_target.as_bytes(), small).1,
        Some(RequestLineTooLong)
    );
    assert_eq!(RequestLineTooLong.status(), 414);
    // A line without end is refused as soon as it passes the bound.
    assert_eq!(req_with(&[b'G'; 33], small).1, Some(RequestLineTooLong));
    let big_head = format!("GET / HTTP/1.1\r\nHost: h\r\nA: {}\r\n\r\n", "b".repeat(50));
    assert_eq!(req_with(big_head.as_bytes(), small).1, Some(HeadTooLarge));
    assert_eq!(HeadTooLarge.status(), 431);
    assert_eq!(
        req_with(b"GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", small).1,
        Some(TooManyHeaders)
    );
    assert_eq!(TooManyHeaders.status(), 431);
    assert_eq!(
        req_with(
            b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\n",
            small
        )
        .1,
        Some(BodyTooLarge)
    );
    assert_eq!(
        req_with(
            b"PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n6\r\nabcdef\r\n6\r\n",
            small
        )
        .1,
        Some(BodyTooLarge)
    );
    assert_eq!(BodyTooLarge.status(), 413);
    let tiny_chunk = Limits {
        max_chunk_line: 8,
        ..Limits::default()
    };
    assert_eq!(
        req_with(b"PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n1;abcdefgh\r\nx\r\n0\r\n\r\n", tiny_chunk).1,
        Some(ChunkLineTooLong)
    );
    let tiny_trailers = Limits {
        max_trailer_bytes: 8,
        ..Limits::default()
    };
    assert_eq!(
        req_with(b"PUT / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nAbcdefgh: i\r\n\r\n", tiny_trailers).1,
        Some(TrailersTooLarge)
    );
}

#[test]
fn errors_are_sticky_and_located() {
    let wire = b"GET / HTTP/1.1\r\nHost: h\r\nA: b\0\r\n\r\n";
    let mut p = RequestParser::new(Limits::default());
    assert_eq!(
        p.handle_bytes(wire).unwrap_err(),
        ParseError::InvalidHeaderValue
    );
    assert_eq!(p.error_offset(), Some(29));
    assert_eq!(wire[29], 0);
    assert_eq!(
        p.handle_bytes(GET).unwrap_err(),
        ParseError::InvalidHeaderValue
    );
    assert_eq!(
        p.handle_eof(&[]).unwrap_err(),
        ParseError::InvalidHeaderValue
    );
}

#[test]
fn eof_between_messages_is_clean_and_inside_one_is_not() {
    let mut p = RequestParser::new(Limits::default());
    assert!(matches!(p.handle_eof(&[]).unwrap().event, Event::Paused));
    let mut p = RequestParser::new(Limits::default());
    assert_eq!(
        p.handle_eof(b"GET / HT").unwrap_err(),
        ParseError::UnexpectedEof
    );
    let mut p = RequestParser::new(Limits::default());
    let s = p
        .handle_bytes(b"PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab")
        .unwrap();
    let n = s.consumed;
    let _ = n;
    assert!(matches!(
        p.handle_bytes(b"ab").unwrap().event,
        Event::Data(b"ab")
    ));
    assert_eq!(p.handle_eof(&[]).unwrap_err(), ParseError::UnexpectedEof);
}

#[test]
fn start_next_before_end_is_misuse() {
    let mut p = RequestParser::new(Limits::default());
    assert_eq!(p.start_next(), Err(crate::UsageError::MessageNotFinished));
}

#[test]
fn one_byte_at_a_time_stays_linear() {
    // 60 KiB of fields fed one byte per call must not rescan the head each time: count
    // how often the full parse runs by timing-free means (the number of calls is fixed, and
    // the work per call is bounded by the rescan's doubling), so just run it.
    let mut wire = b"GET / HTTP/1.1\r\nHost: h\r\n".to_vec();
    while wire.len() < 60_000 {
        wire.extend_from_slice(b"X-Some-Header: some value here\r\n");
    }
    wire.extend_from_slice(b"\r\n");
    let limits = Limits {
        max_headers: 10_000,
        ..Limits::default()
    };
    let (evs, e, _) = run_req(&wire, &vec![1; wire.len()], limits);
    assert_eq!(e, None);
    assert_eq!(evs.last(), Some(&Ev::End));
}

// ---- responses ----

fn run_resp(input: &[u8], method: Method<'_>, size: usize) -> (Vec<Ev>, Option<ParseError>) {
    let mut p = ResponseParser::new(Limits::default(), method);
    let mut buf = Vec::new();
    let mut evs = Vec::new();
    let mut fed = 0;
    loop {
        let eof = fed == input.len();
        if !eof {
            let n = size.min(input.len() - fed);
            buf.extend_from_slice(&input[fed..fed + n]);
            fed += n;
        }
        loop {
            let r = if eof {
                p.handle_eof(&buf)
            } else {
                p.handle_bytes(&buf)
            };
            let s = match r {
                Ok(s) => s,
                Err(e) => return (evs, Some(e)),
            };
            let consumed = s.consumed;
            match s.event {
                Event::NeedMore => {
                    buf.drain(..consumed);
                    break;
                }
                Event::Paused => return (evs, None),
                Event::Head(h) => evs.push(Ev::Head(format!(
                    "{} {:?} {:?} ka={} interim={}",
                    h.status(),
                    h.version(),
                    h.framing(),
                    h.keep_alive(),
                    h.is_interim()
                ))),
                Event::ChunkHeader { size, extensions } => {
                    evs.push(Ev::Chunk(size, extensions.to_vec()))
                }
                Event::Data(d) => match evs.last_mut() {
                    Some(Ev::Data(prev)) => prev.extend_from_slice(d),
                    _ => evs.push(Ev::Data(d.to_vec())),
                },
                Event::Trailers(t) => evs.push(Ev::Trailers(
                    t.iter()
                        .map(|f| (f.name.to_string(), f.value.to_vec()))
                        .collect(),
                )),
                Event::End => {
                    evs.push(Ev::End);
                    return (evs, None);
                }
            }
            buf.drain(..consumed);
        }
        if eof {
            return (evs, None);
        }
    }
}

fn resp(input: &[u8], method: Method<'_>) -> (Vec<Ev>, Option<ParseError>) {
    let whole = run_resp(input, method, input.len().max(1));
    for size in [1, 2, 5] {
        assert_eq!(
            whole,
            run_resp(input, method, size),
            "split {size}: {:?}",
            String::from_utf8_lossy(input)
        );
    }
    whole
}

#[test]
fn response_framing_rules() {
    let h = |s: &str| Ev::Head(s.into());
    let cases: &[(&str, &[u8], Method<'_>, Vec<Ev>, Option<ParseError>)] = &[
        ("content-length", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi", Method::Get,
            vec![h("200 Http11 Length(2) ka=true interim=false"), Ev::Data(b"hi".to_vec()), Ev::End], None),
        ("head response ignores length", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n", Method::Head,
            vec![h("200 Http11 None ka=true interim=false"), Ev::End], None),
        ("204 has no body", b"HTTP/1.1 204 No Content\r\n\r\n", Method::Delete,
            vec![h("204 Http11 None ka=true interim=false"), Ev::End], None),
        ("304 has no body", b"HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", Method::Get,
            vec![h("304 Http11 None ka=true interim=false"), Ev::End], None),
        ("close-delimited", b"HTTP/1.0 200 OK\r\n\r\nall of it", Method::Get,
            vec![h("200 Http10 Close ka=false interim=false"), Ev::Data(b"all of it".to_vec()), Ev::End], None),
        ("interim then final", b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n", Method::Put,
            vec![h("100 Http11 None ka=true interim=true"), h("201 Http11 Length(0) ka=true interim=false"), Ev::End], None),
        ("chunked with trailers", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nhi\r\n0\r\nT: v\r\n\r\n", Method::Get,
            vec![h("200 Http11 Chunked ka=true interim=false"), Ev::Chunk(2, b";x=y".to_vec()), Ev::Data(b"hi".to_vec()),
                 Ev::Chunk(0, vec![]), Ev::Trailers(vec![("T".into(), b"v".to_vec())]), Ev::End], None),
        ("te not chunked runs to close", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nzz", Method::Get,
            vec![h("200 Http11 Close ka=false interim=false"), Ev::Data(b"zz".to_vec()), Ev::End], None),
        ("no reason phrase", b"HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n", Method::Get,
            vec![h("200 Http11 Length(0) ka=true interim=false"), Ev::End], None),
        ("empty reason phrase", b"HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", Method::Get,
            vec![h("404 Http11 Length(0) ka=true interim=false"), Ev::End], None),
        ("connection close", b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n", Method::Get,
            vec![h("200 Http11 Length(0) ka=false interim=false"), Ev::End], None),
        ("truncated body", b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhi", Method::Get,
            vec![h("200 Http11 Length(5) ka=true interim=false"), Ev::Data(b"hi".to_vec())], Some(ParseError::UnexpectedEof)),
        ("truncated chunked", b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhi", Method::Get,
            vec![h("200 Http11 Chunked ka=true interim=false"), Ev::Chunk(5, vec![]), Ev::Data(b"hi".to_vec())], Some(ParseError::UnexpectedEof)),
        ("truncated head", b"HTTP/1.1 200 OK\r\nContent-Le", Method::Get, vec![], Some(ParseError::UnexpectedEof)),
        ("no response at all", b"", Method::Get, vec![], Some(ParseError::UnexpectedEof)),
        ("cl and te", b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n", Method::Get,
            vec![], Some(ParseError::ContentLengthWithTransferEncoding)),
        ("bad status code", b"HTTP/1.1 20 OK\r\n\r\n", Method::Get, vec![], Some(ParseError::InvalidStatusCode)),
        ("status 600", b"HTTP/1.1 600 X\r\n\r\n", Method::Get, vec![], Some(ParseError::InvalidStatusCode)),
        ("not http", b"SSH-2.0-OpenSSH\r\n", Method::Get, vec![], Some(ParseError::InvalidStatusLine)),
        ("http/2 status line", b"HTTP/2.0 200 OK\r\n\r\n", Method::Get, vec![], Some(ParseError::UnsupportedVersion)),
    ];
    for (name, wire, m, want, e) in cases {
        let (evs, got) = resp(wire, *m);
        assert_eq!((&evs, got), (want, *e), "{name}");
    }
}

#[test]
fn response_parser_reads_the_next_response_after_start_next() {
    let wire = b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\naHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    let mut p = ResponseParser::new(Limits::default(), Method::Get);
    let mut at = 0;
    let mut ends = 0;
    while at < wire.len() || ends < 2 {
        let s = p.handle_bytes(&wire[at..]).unwrap();
        at += s.consumed;
        match s.event {
            Event::End => {
                ends += 1;
                if ends == 2 {
                    break;
                }
                p.start_next(Method::Head).unwrap();
            }
            Event::Paused | Event::NeedMore => panic!("stalled"),
            _ => {}
        }
    }
    assert_eq!(at, wire.len());
}

#[test]
fn version_strings() {
    assert_eq!(Version::Http10.as_str(), "HTTP/1.0");
    assert_eq!(Framing::Length(3), Framing::Length(3));
}

mod props {
    use super::*;
    use proptest::prelude::*;

    fn corpus() -> Vec<Vec<u8>> {
        let mut v: Vec<Vec<u8>> = vec![
            GET.to_vec(),
            b"PUT /f HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n4;a=b\r\nWiki\r\n0\r\nT: 1\r\n\r\n".to_vec(),
            b"PUT /a HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET /b HTTP/1.0\r\n\r\n".to_vec(),
            b"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc".to_vec(),
            b"GET / HTTP/1.1\r\nHost: h\r\nA: b\r\n c\r\n\r\n".to_vec(),
            b"GET / HTTP/1.1\nHost: h\n\n".to_vec(),
        ];
        v.push(
            b"GET /x HTTP/1.1\r\nHost: h\r\nUser-Agent: Mozilla/5.0\r\nAccept: */*\r\n\r\n"
                .to_vec(),
        );
        v
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        /// Any split of a message gives the same events and error as parsing it whole.
        #[test]
        fn any_split_gives_the_same_events(
            which in 0usize..7,
            pieces in proptest::collection::vec(1usize..12, 1..40),
            mutate in proptest::option::of((0usize..200, any::<u8>())),
        ) {
            let mut input = corpus()[which].clone();
            if let Some((at, byte)) = mutate {
                let len = input.len();
                input[at % len] = byte;
            }
            let whole = run_req(&input, &[input.len()], Limits::default());
            let split = run_req(&input, &pieces, Limits::default());
            prop_assert_eq!((whole.0, whole.1), (split.0, split.1));
        }

        /// Arbitrary bytes never panic either parser.
        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300), size in 1usize..20) {
            let _ = run_req(&bytes, &vec![size; bytes.len()], Limits::default());
            let _ = run_resp(&bytes, Method::Get, size);
        }

        /// Responses: same events whatever the split.
        #[test]
        fn any_split_of_a_response_gives_the_same_events(size in 1usize..16, mutate in proptest::option::of((0usize..120, any::<u8>()))) {
            let mut input = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2;x=y\r\nhi\r\n0\r\nT: v\r\n\r\n".to_vec();
            if let Some((at, byte)) = mutate {
                let len = input.len();
                input[at % len] = byte;
            }
            prop_assert_eq!(run_resp(&input, Method::Get, input.len()), run_resp(&input, Method::Get, size));
        }
    }
}
