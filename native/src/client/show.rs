//! Text for people on stderr: `-v` heads, `--trace` events, all sanitized first.
//!
//! Everything the peer sends is untrusted: a reason phrase or header value could hold
//! escape sequences that rewrite the terminal. [`sanitize`] makes every control character
//! and invalid UTF-8 byte visible as an escape instead.

use simplehttp_core::{Fields, ResponseHead};
use std::fmt::Write as _;
use std::io::Write;

/// Peer bytes made safe to print: control characters and invalid UTF-8 become `\xNN`
/// (`\t`, `\r`, `\n` as themselves escaped).
pub fn sanitize(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\t' => out.push_str("\\t"),
                '\r' => out.push_str("\\r"),
                '\n' => out.push_str("\\n"),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}

/// A head split into its lines (without CRLF), sanitized.
pub fn head_lines(raw: &[u8]) -> Vec<String> {
    raw.split(|&b| b == b'\n')
        .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
        .filter(|l| !l.is_empty())
        .map(sanitize)
        .collect()
}

/// Writes lines to stderr with a prefix, ignoring failures (stderr is best effort).
pub fn eprint_lines<S: AsRef<str>>(prefix: &str, lines: impl IntoIterator<Item = S>) {
    let mut err = std::io::stderr().lock();
    for l in lines {
        let _ = writeln!(err, "{prefix}{}", l.as_ref());
    }
}

/// The `--trace` lines for a head: status line, each field, the framing decision.
pub fn trace_head(head: &ResponseHead<'_>) -> Vec<String> {
    let raw = head.raw();
    let status_line = &raw[head.status_line_span()];
    let status_line = status_line.strip_suffix(b"\r\n").unwrap_or(status_line);
    let mut lines = vec![format!(
        "status line: {} (status {}{})",
        sanitize(status_line),
        head.status(),
        if head.is_interim() { ", interim" } else { "" }
    )];
    lines.extend(trace_fields("header", &head.fields()));
    if !head.is_interim() {
        let rule = head.framing_rule();
        lines.push(format!(
            "framing: {} — {} ({})",
            framing_name(head.framing()),
            rule.explain(),
            rule.rfc()
        ));
        lines.push(format!(
            "connection: {}",
            if head.keep_alive() {
                "may be reused"
            } else {
                "closes after this response"
            }
        ));
    }
    lines
}

/// One line per field, `KIND: name: value`.
pub fn trace_fields(kind: &str, fields: &Fields<'_>) -> Vec<String> {
    fields
        .iter()
        .map(|f| {
            format!(
                "{kind}: {}: {}",
                sanitize(f.name.as_bytes()),
                sanitize(f.value)
            )
        })
        .collect()
}

fn framing_name(f: simplehttp_core::Framing) -> String {
    use simplehttp_core::Framing;
    match f {
        Framing::None => "no body".into(),
        Framing::Length(n) => format!("{n} bytes"),
        Framing::Chunked => "chunked".into(),
        Framing::Close => "until the connection closes".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bad_utf8() {
        assert_eq!(sanitize(b"OK"), "OK");
        assert_eq!(sanitize(b"a\x1b[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(sanitize(b"\xff\xfe"), "\\xff\\xfe");
        assert_eq!(sanitize("caf\u{e9}".as_bytes()), "caf\u{e9}");
        assert_eq!(sanitize(b"\r\n\t\\"), "\\r\\n\\t\\\\");
        assert_eq!(sanitize("\u{9b}".as_bytes()), "\\u{9b}");
    }

    #[test]
    fn splits_head_lines() {
        assert_eq!(
            head_lines(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n"),
            ["HTTP/1.1 200 OK", "A: b"]
        );
    }
}
