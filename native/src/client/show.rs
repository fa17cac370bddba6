//! Text for people: `-v` heads and `--trace` events on stderr, and a body shown on a
//! terminal, all sanitized first.
//!
//! Everything the peer sends is untrusted: a reason phrase, a header value or a body could
//! hold escape sequences that rewrite the terminal, set its title or its clipboard. One
//! sanitizer makes every control character, bidi control and invalid UTF-8 byte visible
//! as an escape instead: [`sanitize`] for a line, [`TerminalText`] for a body, which keeps
//! its line breaks and tabs.

use simplehttp_core::{Fields, ResponseHead};
use std::fmt::Write as _;
use std::io::Write;

/// Peer bytes made safe to print: control characters, bidi controls and invalid UTF-8
/// become `\u{NN}` / `\xNN` (`\t`, `\r`, `\n` and `\\` as themselves escaped).
pub fn sanitize(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    escape_into(&mut out, bytes, Mode::Line);
    out
}

/// How [`escape_into`] shows line breaks and backslashes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// One line of text (`-v`, `--trace`, error messages): `\t`, `\r`, `\n` and `\` escaped,
    /// so the text stays on its line and every escape is unambiguous.
    Line,
    /// A body shown on a terminal: `\n`, `\t` and `\r\n` kept, backslashes as they are.
    Text,
}

/// The one terminal sanitizer: appends `bytes` to `out`, escaping what could drive a
/// terminal (C0 and C1 controls, DEL: escape sequences, the window title, the clipboard),
/// bidi controls that reorder what is shown, and bytes that are not UTF-8.
fn escape_into(out: &mut String, bytes: &[u8], mode: Mode) {
    for chunk in bytes.utf8_chunks() {
        let mut chars = chunk.valid().chars().peekable();
        while let Some(c) = chars.next() {
            match (c, mode) {
                ('\n' | '\t', Mode::Text) => out.push(c),
                ('\r', Mode::Text) if chars.peek() == Some(&'\n') => {
                    chars.next();
                    out.push_str("\r\n");
                }
                ('\t', _) => out.push_str("\\t"),
                ('\r', _) => out.push_str("\\r"),
                ('\n', _) => out.push_str("\\n"),
                ('\\', Mode::Line) => out.push_str("\\\\"),
                (c, _) if c.is_control() || is_bidi_control(c) => {
                    let _ = write!(out, "\\u{{{:x}}}", c as u32);
                }
                (c, _) => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
}

/// The Unicode bidirectional controls (embeddings, overrides, isolates, marks): text that
/// holds them can show in another order than it is stored ("Trojan Source").
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{61c}'
    )
}

/// A response body on its way to a terminal, piece by piece: [`escape_into`] in text mode,
/// holding back what a later piece may complete (a UTF-8 sequence cut in two, a `\r` that
/// may start `\r\n`), so any split shows the same.
#[derive(Debug, Default)]
pub struct TerminalText {
    held: Vec<u8>,
}

impl TerminalText {
    /// The text to show for the next piece of the body.
    pub fn push(&mut self, bytes: &[u8]) -> String {
        let mut data = std::mem::take(&mut self.held);
        data.extend_from_slice(bytes);
        let keep = held_back(&data);
        let mut out = String::with_capacity(data.len());
        escape_into(&mut out, &data[..data.len() - keep], Mode::Text);
        self.held = data.split_off(data.len() - keep);
        out
    }

    /// The text for what was held back, once the body is complete.
    pub fn finish(&mut self) -> String {
        let mut out = String::new();
        escape_into(&mut out, &std::mem::take(&mut self.held), Mode::Text);
        out
    }
}

/// How many bytes at the end of `data` a later piece may still complete: an incomplete
/// UTF-8 sequence, or a final `\r`.
fn held_back(data: &[u8]) -> usize {
    if data.last() == Some(&b'\r') {
        return 1;
    }
    // The last chunk's invalid bytes are cut short (rather than wrong) when decoding them
    // alone runs out of input instead of failing.
    match data.utf8_chunks().last() {
        Some(chunk)
            if !chunk.invalid().is_empty()
                && std::str::from_utf8(chunk.invalid())
                    .err()
                    .is_some_and(|e| e.error_len().is_none()) =>
        {
            chunk.invalid().len()
        }
        _ => 0,
    }
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
    fn escapes_bidi_controls() {
        assert_eq!(
            sanitize("a\u{202e}b\u{2066}".as_bytes()),
            "a\\u{202e}b\\u{2066}"
        );
        for c in [
            '\u{202a}', '\u{202e}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}',
        ] {
            assert!(is_bidi_control(c), "{c:?}");
        }
        assert!(!is_bidi_control('\u{2070}'));
    }

    /// The body text for `body` delivered in pieces of `size` bytes.
    fn shown(body: &[u8], size: usize) -> String {
        let mut text = TerminalText::default();
        let mut out: String = body.chunks(size).map(|p| text.push(p)).collect();
        out.push_str(&text.finish());
        out
    }

    #[test]
    fn terminal_text_keeps_lines_and_escapes_the_rest_at_any_split() {
        let rows: [(&[u8], &str); 8] = [
            (b"plain\ttext\nline 2\r\n", "plain\ttext\nline 2\r\n"),
            (b"\x1b]0;title\x07", "\\u{1b}]0;title\\u{7}"),
            (
                b"\x1b[2J\x1b]52;c;ZXZpbA==\x07",
                "\\u{1b}[2J\\u{1b}]52;c;ZXZpbA==\\u{7}",
            ),
            (b"a\rb\r", "a\\rb\\r"),
            (b"\\x41 C:\\dir", "\\x41 C:\\dir"),
            ("caf\u{e9} \u{9b}2J".as_bytes(), "caf\u{e9} \\u{9b}2J"),
            (b"\xff\xe2\x82", "\\xff\\xe2\\x82"),
            ("\u{202e}fdp.exe".as_bytes(), "\\u{202e}fdp.exe"),
        ];
        for (body, want) in rows {
            for size in [body.len(), 1, 2, 3] {
                assert_eq!(shown(body, size), want, "{body:?} in pieces of {size}");
            }
        }
    }

    #[test]
    fn splits_head_lines() {
        assert_eq!(
            head_lines(b"HTTP/1.1 200 OK\r\nA: b\r\n\r\n"),
            ["HTTP/1.1 200 OK", "A: b"]
        );
    }
}
