//! Request-targets become store paths here, and only here.
//!
//! Percent-decoding and the refusal of anything that could leave the root (`..`, NUL,
//! backslashes, ...) happen in [`resolve`]; a [`StorePath`] cannot be built any other way.

use alloc::string::String;

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
}

/// Why a request-target cannot name a store path.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetError {
    /// A `..` segment (400).
    DotDot,
    /// A NUL byte (400).
    Nul,
    /// A backslash (400).
    Backslash,
    /// A bad percent-escape or decoded bytes that are not UTF-8 (400).
    BadEncoding,
    /// Anything else that cannot be a path (400).
    Invalid,
}
