//! Request-targets become store paths here, and only here.
//!
//! Percent-decoding and the refusal of anything that could leave the root (`..`, NUL,
//! backslashes, ...) happen in [`resolve`]; a [`StorePath`] cannot be built any other way
//! (besides [`StorePath::root`] and [`StorePath::join`], which checks its segment the same
//! way).
//!
//! What is refused, and why (RFC 3986 §3.3 gives the path syntax; RFC 9110 §17.3 and
//! RFC 3986 §7.3 warn about the rest):
//!
//! | input                                 | error                          |
//! |---------------------------------------|--------------------------------|
//! | `..` as a segment, raw or escaped (`%2e%2e`, `.%2E`) | [`TargetError::DotDot`] |
//! | `%00`                                  | [`TargetError::Nul`]           |
//! | `\` raw or `%5c` (a separator on Windows) | [`TargetError::Backslash`]  |
//! | `%2f` (a `/` hidden inside a segment)  | [`TargetError::EncodedSlash`]  |
//! | other control bytes (`%01`..`%1f`, `%7f`) | [`TargetError::ControlByte`] |
//! | `%` not followed by two hex digits, bytes that are not UTF-8 (overlong `%c0%ae` too) | [`TargetError::BadEncoding`] |
//! | no leading `/`, a scheme other than http(s), authority form | [`TargetError::Invalid`] |
//!
//! Empty and `.` segments are dropped (`//a/./b` is `a/b`), the query and fragment are
//! ignored, and whether the path ended in `/` is kept in [`Resolved::trailing_slash`].

use crate::head::TargetForm;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A path inside the store: `/`-separated segments, none empty, `.` or `..`, with no NUL,
/// backslash or control byte. The empty path is the root.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StorePath(String);

impl StorePath {
    /// The root of the store.
    #[must_use]
    pub fn root() -> Self {
        StorePath(String::new())
    }

    /// The path as `a/b/c` (empty for the root).
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether this is the root.
    #[must_use]
    pub fn is_root(&self) -> bool {
        self.0.is_empty()
    }

    /// The path one level down, or `None` when `name` is not a safe single segment (empty,
    /// `.`, `..`, or holding `/`, `\`, NUL or a control byte).
    ///
    /// ```
    /// use simplehttp_core::StorePath;
    /// let docs = StorePath::root().join("docs").unwrap();
    /// assert_eq!(docs.join("a b.txt").unwrap().as_str(), "docs/a b.txt");
    /// assert_eq!(docs.join(".."), None);
    /// ```
    #[must_use]
    pub fn join(&self, name: &str) -> Option<StorePath> {
        check_segment(name.as_bytes()).ok()?;
        if name.is_empty() || name == "." {
            return None;
        }
        let mut s = String::with_capacity(self.0.len() + 1 + name.len());
        s.push_str(&self.0);
        if !s.is_empty() {
            s.push('/');
        }
        s.push_str(name);
        Some(StorePath(s))
    }

    /// The path one level up; `None` for the root.
    #[must_use]
    pub fn parent(&self) -> Option<StorePath> {
        if self.is_root() {
            return None;
        }
        Some(match self.0.rfind('/') {
            Some(i) => StorePath(String::from(&self.0[..i])),
            None => StorePath::root(),
        })
    }

    /// The last segment; `None` for the root.
    #[must_use]
    pub fn file_name(&self) -> Option<&str> {
        if self.is_root() {
            return None;
        }
        self.0.rsplit('/').next()
    }

    /// The segments from the root down (none for the root).
    pub fn segments(&self) -> impl Iterator<Item = &str> + '_ {
        self.0.split('/').filter(|s| !s.is_empty())
    }

    /// Every proper ancestor, from the root down (`a/b/c` gives the root, `a`, `a/b`).
    pub fn ancestors(&self) -> impl Iterator<Item = StorePath> + '_ {
        let cuts = self.0.match_indices('/').map(|(i, _)| i);
        core::iter::once(0)
            .chain(cuts)
            .take_while(move |_| !self.is_root())
            .map(move |i| StorePath(String::from(&self.0[..i])))
    }

    /// The path as an absolute URL path, each segment percent-encoded: `/a%20b/c` (`/` for
    /// the root). Suitable for `Location` and links.
    #[must_use]
    pub fn to_url_path(&self) -> String {
        let mut out = String::with_capacity(self.0.len() + 1);
        if self.is_root() {
            out.push('/');
        }
        for seg in self.segments() {
            out.push('/');
            encode_segment(seg, &mut out);
        }
        out
    }
}

impl fmt::Display for StorePath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("/")?;
        f.write_str(&self.0)
    }
}

/// Appends `seg` percent-encoded for use as one URL path segment: unreserved characters
/// and most sub-delims stay, everything else (`/`, `?`, `#`, `%`, space, non-ASCII) is
/// escaped. So are `:` (a relative link `a:b` would read as a scheme, RFC 3986 §4.2), `@`,
/// `&` and `'` (to stay inert inside HTML attributes).
pub fn encode_segment(seg: &str, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for &b in seg.as_bytes() {
        let keep = b.is_ascii_alphanumeric()
            || matches!(b, b'-' | b'.' | b'_' | b'~' | b'!' | b'$' | b'(' | b')')
            || matches!(b, b'*' | b'+' | b',' | b';' | b'=');
        if keep {
            out.push(b as char);
        } else {
            out.push('%');
            out.push(HEX[usize::from(b >> 4)] as char);
            out.push(HEX[usize::from(b & 15)] as char);
        }
    }
}

/// A resolved request-target: the store path and whether the target ended in `/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    /// The path inside the store.
    pub path: StorePath,
    /// The path part of the target ended in `/` (or was just `/`): the client means a
    /// directory, and relative links in a listing will resolve under it.
    pub trailing_slash: bool,
    /// The query, without its `?` (`None` when there was no `?`).
    pub query: Option<String>,
}

/// Why a request-target cannot name a store path. All are answered with 400 (see
/// [`TargetError::status`]).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetError {
    /// A `..` segment, raw or percent-encoded (400).
    DotDot,
    /// A NUL byte (400).
    Nul,
    /// A backslash, raw or percent-encoded (400).
    Backslash,
    /// A bad percent-escape or decoded bytes that are not UTF-8 (400).
    BadEncoding,
    /// Anything else that cannot be a path (400).
    Invalid,
    /// `%2f`: a `/` inside a segment, which a later decoding would turn into a separator (400).
    EncodedSlash,
    /// A control byte other than NUL (400).
    ControlByte,
}

impl TargetError {
    /// The status to answer with: always 400.
    ///
    /// Every case is a target no well-behaved client produces (browsers and curl remove
    /// dot-segments before sending, RFC 3986 §5.2.4), so it is a malformed request rather
    /// than a forbidden resource: 403 would suggest something exists there.
    #[must_use]
    pub fn status(self) -> u16 {
        400
    }
}

impl fmt::Display for TargetError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TargetError::DotDot => "target has a `..` segment",
            TargetError::Nul => "target has a nul byte",
            TargetError::Backslash => "target has a backslash",
            TargetError::BadEncoding => "target has a bad percent-escape or is not utf-8",
            TargetError::Invalid => "target cannot name a path",
            TargetError::EncodedSlash => "target has an encoded slash in a segment",
            TargetError::ControlByte => "target has a control byte",
        })
    }
}

impl core::error::Error for TargetError {}

/// Maps a request-target to a store path; see the module docs for what is refused.
///
/// ```
/// use simplehttp_core::{target::resolve, TargetError, TargetForm};
/// assert_eq!(resolve("/docs//./a%20b.txt?x=1", TargetForm::Origin).unwrap().as_str(), "docs/a b.txt");
/// assert_eq!(resolve("/a/%2e%2e/etc/passwd", TargetForm::Origin), Err(TargetError::DotDot));
/// ```
pub fn resolve(target: &str, form: TargetForm) -> Result<StorePath, TargetError> {
    resolve_full(target, form).map(|r| r.path)
}

/// Like [`resolve`], also telling whether the path ended in `/` and what the query was.
///
/// ```
/// use simplehttp_core::{target::resolve_full, TargetForm};
/// let r = resolve_full("http://example.com/docs/?sort=name", TargetForm::Absolute).unwrap();
/// assert_eq!((r.path.as_str(), r.trailing_slash), ("docs", true));
/// assert_eq!(r.query.as_deref(), Some("sort=name"));
/// ```
pub fn resolve_full(target: &str, form: TargetForm) -> Result<Resolved, TargetError> {
    let path_and_query = match form {
        TargetForm::Origin => target,
        TargetForm::Asterisk if target == "*" => {
            return Ok(Resolved {
                path: StorePath::root(),
                trailing_slash: true,
                query: None,
            })
        }
        TargetForm::Absolute => after_authority(target)?,
        TargetForm::Asterisk | TargetForm::Authority => return Err(TargetError::Invalid),
    };
    // The fragment never reaches a server (RFC 9112 §3.2.1), but drop it if it does.
    let path_and_query = path_and_query.split('#').next().unwrap_or("");
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(String::from(q))),
        None => (path_and_query, None),
    };
    if !path.starts_with('/') {
        return Err(TargetError::Invalid);
    }
    // Each segment is decoded straight onto the end of the path (one allocation), and
    // dropped again when it is empty or `.`.
    let mut out: Vec<u8> = Vec::with_capacity(path.len());
    for raw in path.split('/') {
        let mark = out.len();
        if mark > 0 {
            out.push(b'/');
        }
        let start = out.len();
        decode(raw.as_bytes(), &mut out)?;
        let seg = &out[start..];
        check_segment(seg)?;
        if seg.is_empty() || seg == b"." {
            out.truncate(mark);
            continue;
        }
        core::str::from_utf8(seg).map_err(|_| TargetError::BadEncoding)?;
    }
    let out = String::from_utf8(out).map_err(|_| TargetError::BadEncoding)?;
    Ok(Resolved {
        path: StorePath(out),
        trailing_slash: path.ends_with('/'),
        query,
    })
}

/// The path-and-query of an absolute-form target `http://host[:port]/path?q`; the empty
/// path is `/` (RFC 9112 §3.2.2).
fn after_authority(target: &str) -> Result<&str, TargetError> {
    let (scheme, rest) = target.split_once("://").ok_or(TargetError::Invalid)?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(TargetError::Invalid);
    }
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    if end == 0 {
        return Err(TargetError::Invalid);
    }
    let rest = &rest[end..];
    Ok(if rest.starts_with('/') { rest } else { "/" })
}

/// Percent-decodes one raw segment into `out`. A raw backslash is refused here, before
/// decoding, so that it cannot be confused with an escaped one.
fn decode(raw: &[u8], out: &mut Vec<u8>) -> Result<(), TargetError> {
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'%' => {
                let hi = raw.get(i + 1).and_then(|&b| hex(b));
                let lo = raw.get(i + 2).and_then(|&b| hex(b));
                let (Some(hi), Some(lo)) = (hi, lo) else {
                    return Err(TargetError::BadEncoding);
                };
                let b = hi << 4 | lo;
                if b == b'/' {
                    return Err(TargetError::EncodedSlash);
                }
                out.push(b);
                i += 3;
            }
            b'\\' => return Err(TargetError::Backslash),
            // A request-target is visible ASCII (RFC 9112 §3.2); anything else must come
            // percent-encoded.
            b if !(0x21..=0x7e).contains(&b) => return Err(TargetError::Invalid),
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Ok(())
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Checks one decoded segment (empty and `.` pass: callers drop them).
fn check_segment(seg: &[u8]) -> Result<(), TargetError> {
    if seg == b".." {
        return Err(TargetError::DotDot);
    }
    for &b in seg {
        match b {
            0 => return Err(TargetError::Nul),
            b'\\' => return Err(TargetError::Backslash),
            b'/' => return Err(TargetError::EncodedSlash),
            0x01..=0x1f | 0x7f => return Err(TargetError::ControlByte),
            _ => {}
        }
    }
    let text = core::str::from_utf8(seg).map_err(|_| TargetError::BadEncoding)?;
    // C1 controls (U+0080-U+009F) too: no file name needs them, and they reach terminals
    // and logs.
    if text.chars().any(char::is_control) {
        return Err(TargetError::ControlByte);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use TargetError::*;
    use TargetForm::*;

    #[test]
    fn refuses_raw_non_ascii_and_c1_controls() {
        assert_eq!(resolve("/ahh\u{8f}", Origin), Err(Invalid));
        assert_eq!(resolve("/a b", Origin), Err(Invalid));
        assert_eq!(resolve("/a%C2%8Fb", Origin), Err(ControlByte));
        assert_eq!(resolve("/caf%C3%A9", Origin).unwrap().as_str(), "caf\u{e9}");
    }

    #[test]
    fn resolves_safe_targets() {
        let table: &[(&str, TargetForm, &str, bool)] = &[
            ("/", Origin, "", true),
            ("/index.html", Origin, "index.html", false),
            ("/a/b/", Origin, "a/b", true),
            ("//a/./b", Origin, "a/b", false),
            ("/a//b//", Origin, "a/b", true),
            ("/a/.", Origin, "a", false),
            ("/a%20b/c%2Bd", Origin, "a b/c+d", false),
            ("/caf%C3%A9", Origin, "café", false),
            ("/%2e/a", Origin, "a", false),
            ("/...", Origin, "...", false),
            ("/..a/b..", Origin, "..a/b..", false),
            ("/a?x=../../etc", Origin, "a", false),
            ("/a?", Origin, "a", false),
            ("/a#frag", Origin, "a", false),
            ("/a/?q#f", Origin, "a", true),
            ("http://example.com/a/b", Absolute, "a/b", false),
            ("HTTP://example.com:8080/a/", Absolute, "a", true),
            ("https://example.com", Absolute, "", true),
            ("http://example.com?x", Absolute, "", true),
            ("*", Asterisk, "", true),
        ];
        for (target, form, path, slash) in table {
            let r = resolve_full(target, *form).unwrap_or_else(|e| panic!("{target}: {e}"));
            assert_eq!(
                (r.path.as_str(), r.trailing_slash),
                (*path, *slash),
                "{target}"
            );
            assert_eq!(resolve(target, *form).unwrap(), r.path);
        }
    }

    #[test]
    fn refuses_every_escape_form() {
        let table: &[(&str, TargetForm, TargetError)] = &[
            ("/..", Origin, DotDot),
            ("/../etc/passwd", Origin, DotDot),
            ("/a/../../etc/passwd", Origin, DotDot),
            ("/a/..", Origin, DotDot),
            ("/%2e%2e/etc/passwd", Origin, DotDot),
            ("/%2E%2E/etc/passwd", Origin, DotDot),
            ("/.%2e/etc/passwd", Origin, DotDot),
            ("/%2e./etc/passwd", Origin, DotDot),
            ("/..%2fetc/passwd", Origin, EncodedSlash),
            ("/a%2f..%2f..%2fetc", Origin, EncodedSlash),
            ("/a%2Fb", Origin, EncodedSlash),
            ("/..\\etc", Origin, Backslash),
            ("/a\\b", Origin, Backslash),
            ("/..%5cetc", Origin, Backslash),
            ("/a%5Cb", Origin, Backslash),
            ("/a%00.html", Origin, Nul),
            ("/a%00", Origin, Nul),
            ("/a%0d%0aSet-Cookie:x", Origin, ControlByte),
            ("/a%7f", Origin, ControlByte),
            ("/a%09b", Origin, ControlByte),
            ("/%c0%ae%c0%ae/etc/passwd", Origin, BadEncoding),
            ("/%c0%af", Origin, BadEncoding),
            ("/%e0%80%ae", Origin, BadEncoding),
            ("/%ff", Origin, BadEncoding),
            ("/%", Origin, BadEncoding),
            ("/%2", Origin, BadEncoding),
            ("/%zz", Origin, BadEncoding),
            ("/%%32%65", Origin, BadEncoding),
            ("a/b", Origin, Invalid),
            ("", Origin, Invalid),
            ("http://example.com/../etc/passwd", Absolute, DotDot),
            ("http://example.com/%2e%2e/x", Absolute, DotDot),
            ("ftp://example.com/a", Absolute, Invalid),
            ("http:///a", Absolute, Invalid),
            ("example.com:80", Authority, Invalid),
            ("/x", Asterisk, Invalid),
        ];
        for (target, form, want) in table {
            assert_eq!(resolve(target, *form), Err(*want), "{target}");
            assert_eq!(want.status(), 400);
        }
    }

    #[test]
    fn double_encoding_is_decoded_once() {
        // `%252e%252e` is the literal name `%2e%2e`, harmless: a store never decodes again.
        assert_eq!(resolve("/%252e%252e", Origin).unwrap().as_str(), "%2e%2e");
    }

    #[test]
    fn keeps_the_query() {
        let r = resolve_full("/a?b=c&d", Origin).unwrap();
        assert_eq!(r.query.as_deref(), Some("b=c&d"));
        assert_eq!(resolve_full("/a", Origin).unwrap().query, None);
    }

    #[test]
    fn join_refuses_unsafe_names() {
        let root = StorePath::root();
        for bad in ["", ".", "..", "a/b", "a\\b", "a\0", "a\n"] {
            assert_eq!(root.join(bad), None, "{bad:?}");
        }
        let a = root.join("a").unwrap();
        assert_eq!(a.join("b").unwrap().as_str(), "a/b");
    }

    #[test]
    fn navigates_paths() {
        let p = resolve("/a/b/c.txt", Origin).unwrap();
        assert_eq!(p.file_name(), Some("c.txt"));
        assert_eq!(p.parent().unwrap().as_str(), "a/b");
        assert_eq!(
            p.parent().unwrap().parent().unwrap().parent(),
            Some(StorePath::root())
        );
        assert_eq!(StorePath::root().parent(), None);
        assert_eq!(StorePath::root().file_name(), None);
        assert_eq!(p.segments().collect::<Vec<_>>(), ["a", "b", "c.txt"]);
        let anc: Vec<String> = p.ancestors().map(|a| String::from(a.as_str())).collect();
        assert_eq!(anc, ["", "a", "a/b"]);
        assert_eq!(StorePath::root().ancestors().count(), 0);
        assert_eq!(StorePath::root().segments().count(), 0);
    }

    #[test]
    fn url_path_round_trips_through_resolve() {
        for target in ["/", "/a b/c?d#e%f", "/café/100%", "/a+b;c=d"] {
            let raw_segments: Vec<String> = target.split('/').map(String::from).collect();
            let mut p = StorePath::root();
            for s in raw_segments.iter().filter(|s| !s.is_empty()) {
                p = p.join(s).unwrap();
            }
            let url = p.to_url_path();
            assert_eq!(resolve(&url, Origin).unwrap(), p, "{url}");
        }
        assert_eq!(StorePath::root().to_url_path(), "/");
        let p = StorePath::root().join("a b").unwrap().join("x?y").unwrap();
        assert_eq!(p.to_url_path(), "/a%20b/x%3Fy");
        assert_eq!(alloc::format!("{p}"), "/a b/x?y");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Targets built from pieces an attacker would use.
        fn hostile_target() -> impl Strategy<Value = String> {
            let piece = prop::sample::select(alloc::vec![
                "/",
                "//",
                ".",
                "..",
                "%2e",
                "%2E",
                "%2f",
                "%5c",
                "\\",
                "%00",
                "%c0%ae",
                "%25",
                "a",
                "b.txt",
                "%20",
                "?",
                "#",
                "%",
                "%e2%80%ae",
                "%ff",
                "~",
                "%c3%a9",
            ]);
            prop::collection::vec(piece, 0..12).prop_map(|v| alloc::format!("/{}", v.concat()))
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 2048, ..ProptestConfig::default() })]

            #[test]
            fn accepted_paths_never_leave_the_root(target in hostile_target()) {
                if let Ok(p) = resolve(&target, TargetForm::Origin) {
                    for seg in p.segments() {
                        prop_assert!(seg != ".." && seg != "." && !seg.is_empty(), "{target} -> {p:?}");
                        prop_assert!(!seg.contains(['/', '\\', '\0']), "{target} -> {p:?}");
                        prop_assert!(!seg.chars().any(char::is_control), "{target} -> {p:?}");
                    }
                    // Encoding the path and resolving it again gives the same path.
                    prop_assert_eq!(resolve(&p.to_url_path(), TargetForm::Origin), Ok(p));
                }
            }

            #[test]
            fn any_text_segment_round_trips_through_join(name in "\\PC{1,12}") {
                if let Some(p) = StorePath::root().join(&name) {
                    prop_assert_eq!(p.file_name(), Some(name.as_str()));
                    prop_assert_eq!(resolve(&p.to_url_path(), TargetForm::Origin), Ok(p));
                }
            }
        }
    }
}
