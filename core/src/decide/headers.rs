//! Header fields a server's owner adds to every final response ([`Policy::headers`]):
//! `Cache-Control: no-cache`, `Strict-Transport-Security: ...`, a `Content-Security-Policy`
//! of their own. Checked once, when they are made, so a response can never be broken by one.
//!
//! [`Policy::headers`]: super::Policy::headers

use alloc::string::String;
use core::fmt;

/// One field to add to every final response, checked: its name is a token, its value holds
/// no control character, and it is none of the fields the server writes itself (see
/// [`ExtraHeader::new`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraHeader {
    name: String,
    value: String,
}

/// Why a field cannot be added to every response.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderError {
    /// No `:` between the name and the value.
    NoColon,
    /// Nothing before the colon.
    EmptyName,
    /// The name is not a token (RFC 9110 §5.1).
    BadName,
    /// The value holds CR, LF, NUL or another control character (RFC 9110 §5.5).
    BadValue,
    /// The server writes this field itself: the framing and connection fields, and the
    /// ones each response computes (`Date`, `Content-Type`, `ETag`, ...).
    ServerOwned,
    /// An `Access-Control-*` field: CORS is the policy's [`Cors`](super::Cors), which
    /// answers per origin and preflight.
    Cors,
}

impl fmt::Display for HeaderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            HeaderError::NoColon => "wants NAME: VALUE, such as 'Cache-Control: no-cache'",
            HeaderError::EmptyName => "has no name before the colon",
            HeaderError::BadName => {
                "has a name that is not a token (letters, digits and !#$%&'*+-.^_`|~)"
            }
            HeaderError::BadValue => "has a value with CR, LF, NUL or another control character",
            HeaderError::ServerOwned => {
                "names a field the server writes itself (framing, connection or one computed \
                 for each response)"
            }
            HeaderError::Cors => "names a CORS field; the CORS settings send those",
        })
    }
}

/// Fields the server writes itself, in lower case: the framing and connection fields (RFC
/// 9112 §6, §9.6, RFC 9110 §7.6.1; a second one would make the message ambiguous), and those
/// each response computes, which allow one value only (a second would contradict it).
const SERVER_OWNED: [&str; 18] = [
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "proxy-connection",
    "upgrade",
    "trailer",
    "te",
    "date",
    "content-type",
    "content-encoding",
    "content-range",
    "etag",
    "last-modified",
    "location",
    "accept-ranges",
    "allow",
    "www-authenticate",
];

/// RFC 9110 §5.6.2: `tchar`.
fn is_tchar(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

impl ExtraHeader {
    /// Parses `Name: value` (spaces and tabs around the value are dropped).
    ///
    /// ```
    /// use simplehttp_core::decide::{ExtraHeader, HeaderError};
    /// let h = ExtraHeader::parse("Cache-Control:  no-cache ").unwrap();
    /// assert_eq!((h.name(), h.value()), ("Cache-Control", "no-cache"));
    /// assert_eq!(ExtraHeader::parse("no colon"), Err(HeaderError::NoColon));
    /// assert_eq!(ExtraHeader::parse("X-A: b\r\nX-B: c"), Err(HeaderError::BadValue));
    /// assert_eq!(ExtraHeader::parse("Content-Length: 0"), Err(HeaderError::ServerOwned));
    /// ```
    pub fn parse(line: &str) -> Result<ExtraHeader, HeaderError> {
        let (name, value) = line.split_once(':').ok_or(HeaderError::NoColon)?;
        ExtraHeader::new(name, value)
    }

    /// A field called `name` with `value` (spaces and tabs around it are dropped). The name
    /// must be a token with nothing around it (RFC 9112 §5.1 forbids whitespace before the
    /// colon), the value visible characters, spaces and tabs, and the field none the server
    /// writes itself or a CORS one.
    pub fn new(name: &str, value: &str) -> Result<ExtraHeader, HeaderError> {
        if name.is_empty() {
            return Err(HeaderError::EmptyName);
        }
        if !name.bytes().all(is_tchar) {
            return Err(HeaderError::BadName);
        }
        let value = value.trim_matches([' ', '\t']);
        // RFC 9110 §5.5: field-vchar, SP and HTAB; obs-text (bytes above 0x7F) is allowed,
        // so UTF-8 passes through. CR, LF and NUL would end or corrupt the head.
        if value.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) {
            return Err(HeaderError::BadValue);
        }
        let lower = name.to_ascii_lowercase();
        if SERVER_OWNED.contains(&lower.as_str()) {
            return Err(HeaderError::ServerOwned);
        }
        if lower.starts_with("access-control-") {
            return Err(HeaderError::Cors);
        }
        Ok(ExtraHeader {
            name: String::from(name),
            value: String::from(value),
        })
    }

    /// The name, as given.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The value, without surrounding spaces.
    #[must_use]
    pub fn value(&self) -> &str {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_refuses_one_row_per_rule() {
        let ok = |s: &str| {
            let h = ExtraHeader::parse(s).unwrap();
            (String::from(h.name()), String::from(h.value()))
        };
        assert_eq!(ok("X-A: b"), ("X-A".into(), "b".into()));
        assert_eq!(ok("X-A:b"), ("X-A".into(), "b".into()));
        assert_eq!(ok("X-A:\t b c \t"), ("X-A".into(), "b c".into()));
        assert_eq!(ok("X-Empty:"), ("X-Empty".into(), "".into()));
        assert_eq!(ok("X-A: a:b:c"), ("X-A".into(), "a:b:c".into()));
        assert_eq!(ok("X-Utf8: é"), ("X-Utf8".into(), "é".into()));
        assert_eq!(ok("Vary: Cookie").0, "Vary");
        assert_eq!(ok("Cache-Control: no-store").1, "no-store");
        let table = [
            ("", HeaderError::NoColon),
            ("X-A b", HeaderError::NoColon),
            (": b", HeaderError::EmptyName),
            ("X A: b", HeaderError::BadName),
            ("X-A : b", HeaderError::BadName),
            (" X-A: b", HeaderError::BadName),
            ("X(A): b", HeaderError::BadName),
            ("X-A: b\r\nX-B: c", HeaderError::BadValue),
            ("X-A: b\nc", HeaderError::BadValue),
            ("X-A: b\rc", HeaderError::BadValue),
            ("X-A: b\0", HeaderError::BadValue),
            ("X-A: b\x1b[31m", HeaderError::BadValue),
            ("X-A: b\x7f", HeaderError::BadValue),
            ("Content-Length: 1", HeaderError::ServerOwned),
            ("transfer-encoding: chunked", HeaderError::ServerOwned),
            ("CONNECTION: close", HeaderError::ServerOwned),
            ("Keep-Alive: timeout=5", HeaderError::ServerOwned),
            ("Upgrade: h2c", HeaderError::ServerOwned),
            ("Date: x", HeaderError::ServerOwned),
            ("Content-Type: text/html", HeaderError::ServerOwned),
            ("ETag: \"x\"", HeaderError::ServerOwned),
            ("Access-Control-Allow-Origin: *", HeaderError::Cors),
        ];
        for (line, err) in table {
            assert_eq!(ExtraHeader::parse(line), Err(err), "{line:?}");
        }
    }

    #[test]
    fn every_error_says_what_is_wrong() {
        use alloc::string::ToString;
        assert!(HeaderError::NoColon.to_string().contains("NAME: VALUE"));
        assert!(HeaderError::BadValue.to_string().contains("CR, LF, NUL"));
    }
}
