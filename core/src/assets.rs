//! The listing page's script and stylesheet, embedded in the core and served from the
//! reserved path [`RESERVED`] (`/.simplehttp/`), which no file of the store can take: decide
//! answers every request below it itself, and a listing never shows a root entry of that
//! name.
//!
//! The page links them with their ETag as a query (`listing.js?v=…`), so a new version is a
//! new URL and the bytes may be cached for a year.

/// The first segment of the reserved path: `/.simplehttp/…` is never a file of the store.
pub const RESERVED: &str = ".simplehttp";

/// One embedded file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Asset {
    /// Its name below `/.simplehttp/`.
    pub name: &'static str,
    /// Its `Content-Type`.
    pub content_type: &'static str,
    /// Its bytes.
    pub bytes: &'static [u8],
    /// A hash of the bytes (64-bit FNV-1a), computed at build time: the ETag and the `v`
    /// of the page's links.
    pub hash: u64,
}

const JS: &[u8] = include_bytes!("../assets/listing.js");
const CSS: &[u8] = include_bytes!("../assets/listing.css");

/// The listing's script.
pub const LISTING_JS: Asset = Asset {
    name: "listing.js",
    content_type: "text/javascript; charset=utf-8",
    bytes: JS,
    hash: fnv1a(JS),
};

/// The listing's stylesheet.
pub const LISTING_CSS: Asset = Asset {
    name: "listing.css",
    content_type: "text/css; charset=utf-8",
    bytes: CSS,
    hash: fnv1a(CSS),
};

/// The asset called `name` below `/.simplehttp/`, if there is one.
#[must_use]
pub fn find(name: &str) -> Option<&'static Asset> {
    [&LISTING_JS, &LISTING_CSS]
        .into_iter()
        .find(|a| a.name == name)
}

/// 64-bit FNV-1a: not for security, only to tell versions apart.
const fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        h ^= bytes[i] as u64;
        h = h.wrapping_mul(0x0100_0000_01b3);
        i += 1;
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_the_embedded_files() {
        assert_eq!(find("listing.js"), Some(&LISTING_JS));
        assert_eq!(find("listing.css"), Some(&LISTING_CSS));
        assert_eq!(find("index.html"), None);
        assert_eq!(find(""), None);
        assert_ne!(LISTING_JS.hash, LISTING_CSS.hash);
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
