//! Content-Type from a file name.
//!
//! With `std`, `mime_guess` knows about a thousand extensions; without it, a table of the
//! common web types stands in. Either way text types, JavaScript and JSON get
//! `; charset=utf-8`, as servers usually send them (RFC 9110 §8.3.2: a recipient may
//! otherwise guess a charset, and guessing is where mojibake and sniffing attacks start).

use alloc::borrow::Cow;
#[cfg(feature = "std")]
use alloc::string::String;

/// What an unknown extension gets (RFC 9110 §8.3: a sender that does not know the type
/// may send `application/octet-stream`).
const UNKNOWN: &str = "application/octet-stream";

/// The extension of the last segment of `name`, if any (`a.tar.gz` → `gz`; `.profile` has
/// none).
fn extension(name: &str) -> Option<&str> {
    let base = name.rsplit('/').next().unwrap_or(name);
    let dot = base.rfind('.')?;
    (dot > 0 && dot + 1 < base.len()).then(|| &base[dot + 1..])
}

/// The media type for a file name, by its extension; `application/octet-stream` when unknown.
/// Common text types come back borrowed with their charset; others need no allocation
/// either, except a rare `text/*` type found only by `mime_guess`.
pub(crate) fn content_type(name: &str) -> Cow<'static, str> {
    let Some(ext) = extension(name) else {
        return Cow::Borrowed(UNKNOWN);
    };
    if let Some(t) = table(ext) {
        return Cow::Borrowed(t);
    }
    guess(ext)
}

#[cfg(feature = "std")]
fn guess(ext: &str) -> Cow<'static, str> {
    match mime_guess::from_ext(ext).first_raw() {
        None => Cow::Borrowed(UNKNOWN),
        Some("application/javascript") => Cow::Borrowed("text/javascript; charset=utf-8"),
        Some(t) if t.starts_with("text/") => {
            let mut s = String::with_capacity(t.len() + 15);
            s.push_str(t);
            s.push_str("; charset=utf-8");
            Cow::Owned(s)
        }
        Some(t) => Cow::Borrowed(t),
    }
}

#[cfg(not(feature = "std"))]
fn guess(_ext: &str) -> Cow<'static, str> {
    Cow::Borrowed(UNKNOWN)
}

/// The common web types, with the charset already added. Consulted first on every target,
/// so the types a site is made of are the same with or without `std`.
fn table(ext: &str) -> Option<&'static str> {
    const TABLE: &[(&str, &str)] = &[
        ("html", "text/html; charset=utf-8"),
        ("htm", "text/html; charset=utf-8"),
        ("css", "text/css; charset=utf-8"),
        // RFC 9239: text/javascript is the one type for JavaScript, modules included.
        ("js", "text/javascript; charset=utf-8"),
        ("mjs", "text/javascript; charset=utf-8"),
        ("json", "application/json; charset=utf-8"),
        ("map", "application/json; charset=utf-8"),
        ("webmanifest", "application/manifest+json; charset=utf-8"),
        ("txt", "text/plain; charset=utf-8"),
        ("md", "text/markdown; charset=utf-8"),
        ("csv", "text/csv; charset=utf-8"),
        ("xml", "text/xml; charset=utf-8"),
        ("png", "image/png"),
        ("jpg", "image/jpeg"),
        ("jpeg", "image/jpeg"),
        ("gif", "image/gif"),
        ("svg", "image/svg+xml"),
        ("webp", "image/webp"),
        ("avif", "image/avif"),
        ("ico", "image/x-icon"),
        ("wasm", "application/wasm"),
        ("pdf", "application/pdf"),
        ("zip", "application/zip"),
        ("gz", "application/gzip"),
        ("tar", "application/x-tar"),
        ("mp3", "audio/mpeg"),
        ("ogg", "audio/ogg"),
        ("wav", "audio/wav"),
        ("mp4", "video/mp4"),
        ("webm", "video/webm"),
        ("woff", "font/woff"),
        ("woff2", "font/woff2"),
        ("ttf", "font/ttf"),
        ("otf", "font/otf"),
    ];
    TABLE
        .iter()
        .find(|(e, _)| e.eq_ignore_ascii_case(ext))
        .map(|(_, t)| *t)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_common_extensions() {
        let table = [
            ("index.html", "text/html; charset=utf-8"),
            ("dir/INDEX.HTM", "text/html; charset=utf-8"),
            ("a.css", "text/css; charset=utf-8"),
            ("app.js", "text/javascript; charset=utf-8"),
            ("mod.mjs", "text/javascript; charset=utf-8"),
            ("data.json", "application/json; charset=utf-8"),
            ("notes.txt", "text/plain; charset=utf-8"),
            ("p.png", "image/png"),
            ("p.JPG", "image/jpeg"),
            ("p.gif", "image/gif"),
            ("p.svg", "image/svg+xml"),
            ("p.webp", "image/webp"),
            ("favicon.ico", "image/x-icon"),
            ("m.wasm", "application/wasm"),
            ("doc.pdf", "application/pdf"),
            ("feed.xml", "text/xml; charset=utf-8"),
            ("a.zip", "application/zip"),
            ("v.mp4", "video/mp4"),
            ("f.woff2", "font/woff2"),
        ];
        for (name, want) in table {
            assert_eq!(content_type(name), want, "{name}");
        }
    }

    #[test]
    fn unknown_or_missing_extension_is_octet_stream() {
        for name in [
            "README",
            ".profile",
            "a.",
            "dir.d/file",
            "x.definitely-not-a-type",
        ] {
            assert_eq!(content_type(name), UNKNOWN, "{name}");
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn other_text_types_from_mime_guess_get_a_charset() {
        assert_eq!(content_type("style.less"), "text/less; charset=utf-8");
        assert_eq!(content_type("a.bmp"), "image/bmp");
    }
}
