//! The catalogue of rules a reply can come from: each [`Rule`] names the decision,
//! explains it in a line and gives the RFC section that states it.

/// The rule of [`decide`](crate::decide()) (or [`finish`](crate::finish),
/// [`reply_to_error`](crate::reply_to_error)) that produced a reply.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The parser refused the request; its error names the status.
    MalformedRequest,
    /// `Host` names a host the server does not answer to → 421.
    HostNotAllowed,
    /// The target cannot name a safe store path → 400.
    BadTarget,
    /// `Expect` asks for something other than `100-continue` → 417.
    ExpectationFailed,
    /// A method this server does not implement → 405 with `Allow`.
    MethodNotAllowed,
    /// OPTIONS → 204 with `Allow`.
    Options,
    /// A CORS preflight from an allowed origin → 204 with `Access-Control-Allow-Methods`.
    CorsPreflight,
    /// PUT or DELETE while writes are off → 405 with `Allow`.
    ReadOnly,
    /// A request without the credentials it needs (PUT or DELETE, or any request when
    /// reads need them too) → 401 with `WWW-Authenticate`.
    Unauthorized,
    /// Too many failed logins from this peer lately → 429 with `Retry-After`.
    TooManyAttempts,
    /// A path with a segment starting with `.` while such names are hidden → 404.
    HiddenPath,
    /// Nothing at the path → 404.
    NotFound,
    /// A file asked for with a trailing `/` → 404.
    FileWithTrailingSlash,
    /// The store failed; its error names the status.
    StoreFailed,
    /// GET or HEAD of a file → 200.
    ServeFile,
    /// `If-None-Match` matches the current ETag → 304.
    NotModifiedEtag,
    /// Not modified since `If-Modified-Since` → 304.
    NotModifiedDate,
    /// `If-Match` does not match (strong comparison) → 412.
    IfMatchFailed,
    /// Modified after `If-Unmodified-Since` → 412.
    IfUnmodifiedSinceFailed,
    /// `If-None-Match` matches on a method other than GET/HEAD → 412.
    IfNoneMatchFailed,
    /// One satisfiable byte range → 206.
    PartialContent,
    /// The range starts past the end → 416.
    RangeNotSatisfiable,
    /// Several ranges: the whole file → 200.
    MultipleRanges,
    /// `If-Range` does not match: the whole file → 200.
    IfRangeStale,
    /// A directory without its trailing `/` → 301.
    DirectoryRedirect,
    /// A directory without `index.html` → 200 with a listing.
    DirectoryListing,
    /// GET or HEAD of the listing's script or stylesheet below `/.simplehttp/` → 200.
    ListingAsset,
    /// Anything else below `/.simplehttp/`, the reserved path → 404, or 405 for writes.
    ReservedPath,
    /// PUT of a new file → 201 once stored.
    PutCreate,
    /// PUT over a file → 204 once stored.
    PutReplace,
    /// PUT onto a directory, the root or a path ending in `/` → 409.
    PutToDirectory,
    /// PUT below a file → 409.
    PutParentIsFile,
    /// A request body above the upload limit, [`Limits::max_body`](crate::Limits::max_body)
    /// → 413 ([`reply_to_error`](crate::reply_to_error) of
    /// [`ParseError::BodyTooLarge`](crate::ParseError::BodyTooLarge)).
    UploadTooLarge,
    /// PUT with Content-Range (a partial update) → 400.
    PutWithContentRange,
    /// DELETE of a file → 204 once removed.
    Delete,
    /// DELETE of a directory → 409.
    DeleteDirectory,
    /// The head or the body did not arrive in time → 408 ([`reply_with_status`](crate::reply_with_status)).
    Timeout,
}

impl Rule {
    /// The variant's name, as written in the source (`"NotModifiedDate"`), for programs and
    /// logs.
    #[must_use]
    pub fn name(self) -> &'static str {
        use Rule::*;
        match self {
            MalformedRequest => "MalformedRequest",
            HostNotAllowed => "HostNotAllowed",
            BadTarget => "BadTarget",
            ExpectationFailed => "ExpectationFailed",
            MethodNotAllowed => "MethodNotAllowed",
            Options => "Options",
            CorsPreflight => "CorsPreflight",
            ReadOnly => "ReadOnly",
            Unauthorized => "Unauthorized",
            TooManyAttempts => "TooManyAttempts",
            HiddenPath => "HiddenPath",
            NotFound => "NotFound",
            FileWithTrailingSlash => "FileWithTrailingSlash",
            StoreFailed => "StoreFailed",
            ServeFile => "ServeFile",
            NotModifiedEtag => "NotModifiedEtag",
            NotModifiedDate => "NotModifiedDate",
            IfMatchFailed => "IfMatchFailed",
            IfUnmodifiedSinceFailed => "IfUnmodifiedSinceFailed",
            IfNoneMatchFailed => "IfNoneMatchFailed",
            PartialContent => "PartialContent",
            RangeNotSatisfiable => "RangeNotSatisfiable",
            MultipleRanges => "MultipleRanges",
            IfRangeStale => "IfRangeStale",
            DirectoryRedirect => "DirectoryRedirect",
            DirectoryListing => "DirectoryListing",
            ListingAsset => "ListingAsset",
            ReservedPath => "ReservedPath",
            PutCreate => "PutCreate",
            PutReplace => "PutReplace",
            PutToDirectory => "PutToDirectory",
            PutParentIsFile => "PutParentIsFile",
            UploadTooLarge => "UploadTooLarge",
            PutWithContentRange => "PutWithContentRange",
            Delete => "Delete",
            DeleteDirectory => "DeleteDirectory",
            Timeout => "Timeout",
        }
    }

    /// A one-line explanation, for people.
    #[must_use]
    pub fn explain(self) -> &'static str {
        use Rule::*;
        match self {
            MalformedRequest => "the request could not be parsed; the error names the status",
            HostNotAllowed => {
                "Host is not a name this server answers to (a guard against DNS rebinding) → 421"
            }
            BadTarget => {
                "the target does not name a safe path (.., NUL, backslash, bad escape) → 400"
            }
            ExpectationFailed => "Expect holds something other than 100-continue → 417",
            MethodNotAllowed => "this method is not allowed on files → 405 with Allow",
            Options => "OPTIONS → 204 with Allow listing the methods",
            CorsPreflight => {
                "a CORS preflight from an allowed origin → 204 with the methods and fields a \
                 script may use"
            }
            ReadOnly => "writes are turned off → 405 with Allow",
            Unauthorized => {
                "no right Basic credentials for a write (or any request, with --auth-read) → 401 with WWW-Authenticate"
            }
            TooManyAttempts => {
                "too many failed logins from this address lately → 429 with Retry-After"
            }
            HiddenPath => {
                "a name starting with . (.git, .env) is hidden: not served, written or listed → 404"
            }
            NotFound => "nothing exists at this path → 404",
            FileWithTrailingSlash => "a file was asked for as a directory (trailing /) → 404",
            StoreFailed => "the file store failed; its error names the status",
            ServeFile => {
                "GET/HEAD of a file → 200 with Last-Modified, ETag, Content-Type, Content-Length"
            }
            NotModifiedEtag => "If-None-Match matches the current ETag → 304",
            NotModifiedDate => "the file was not modified since If-Modified-Since → 304",
            IfMatchFailed => "If-Match does not match the current ETag (strong comparison) → 412",
            IfUnmodifiedSinceFailed => "the file was modified after If-Unmodified-Since → 412",
            IfNoneMatchFailed => "If-None-Match matches and the method is not GET/HEAD → 412",
            PartialContent => "one satisfiable byte range → 206 with Content-Range",
            RangeNotSatisfiable => {
                "the range starts past the end of the file → 416 with Content-Range: bytes */len"
            }
            MultipleRanges => "several ranges were asked for: the whole file is sent → 200",
            IfRangeStale => {
                "If-Range does not match the current file: the whole file is sent → 200"
            }
            DirectoryRedirect => {
                "a directory was asked for without its trailing / → 301 to the / form"
            }
            DirectoryListing => {
                "a directory without index.html → 200 with a listing (HTML, or JSON if asked)"
            }
            ListingAsset => {
                "the listing's own script or stylesheet under /.simplehttp/ → 200, cached a year"
            }
            ReservedPath => {
                "/.simplehttp/ is reserved for the listing's assets, never a file → 404 (405 to writes)"
            }
            PutCreate => "PUT of a new file → 201 Created with Location once stored",
            PutReplace => "PUT over an existing file → 204 once stored",
            PutToDirectory => "PUT onto a directory (the root, or a path ending in /) → 409",
            PutParentIsFile => "PUT below a file, which cannot hold children → 409",
            UploadTooLarge => "the body (its Content-Length, or its chunks so far) is above the upload limit → 413, connection closed",
            PutWithContentRange => {
                "PUT with Content-Range asks for a partial update, which is refused → 400"
            }
            Delete => "DELETE of a file → 204 once removed",
            DeleteDirectory => "DELETE of a directory: directories are not removed → 409",
            Timeout => {
                "the head or the body did not arrive in time → 408, and the connection closes"
            }
        }
    }

    /// The RFC section that states the rule.
    #[must_use]
    pub fn rfc(self) -> &'static str {
        use Rule::*;
        match self {
            MalformedRequest => "RFC 9112 §2.2",
            HostNotAllowed => "RFC 9110 §15.5.20, §7.2",
            BadTarget => "RFC 9110 §15.5.1, RFC 3986 §3.3",
            ExpectationFailed => "RFC 9110 §10.1.1",
            MethodNotAllowed | ReadOnly => "RFC 9110 §15.5.6",
            Options => "RFC 9110 §9.3.7",
            CorsPreflight => "RFC 9110 §9.3.7, Fetch §3.2.3",
            Unauthorized => "RFC 9110 §11.6.1, RFC 7617",
            TooManyAttempts => "RFC 6585 §4",
            HiddenPath => "RFC 9110 §15.5.5",
            NotFound | FileWithTrailingSlash => "RFC 9110 §15.5.5",
            StoreFailed => "RFC 9110 §15.6.1",
            ServeFile => "RFC 9110 §9.3.1",
            NotModifiedEtag | IfNoneMatchFailed => "RFC 9110 §13.1.2",
            NotModifiedDate => "RFC 9110 §13.1.3",
            IfMatchFailed => "RFC 9110 §13.1.1",
            IfUnmodifiedSinceFailed => "RFC 9110 §13.1.4",
            PartialContent => "RFC 9110 §14.2, §15.3.7",
            RangeNotSatisfiable => "RFC 9110 §15.5.17",
            MultipleRanges => "RFC 9110 §14.2",
            IfRangeStale => "RFC 9110 §13.1.5",
            DirectoryRedirect => "RFC 9110 §15.4.2",
            DirectoryListing | ListingAsset => "RFC 9110 §9.3.1",
            ReservedPath => "RFC 9110 §15.5.5, §15.5.6",
            PutCreate | PutReplace => "RFC 9110 §9.3.4",
            PutToDirectory | PutParentIsFile | DeleteDirectory => "RFC 9110 §15.5.10",
            UploadTooLarge => "RFC 9110 §15.5.14",
            PutWithContentRange => "RFC 9110 §14.5",
            Delete => "RFC 9110 §9.3.5",
            Timeout => "RFC 9110 §15.5.9",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_name_an_explanation_and_a_section() {
        use Rule::*;
        let all = [
            MalformedRequest,
            HostNotAllowed,
            BadTarget,
            ExpectationFailed,
            MethodNotAllowed,
            Options,
            CorsPreflight,
            ReadOnly,
            Unauthorized,
            TooManyAttempts,
            HiddenPath,
            NotFound,
            FileWithTrailingSlash,
            StoreFailed,
            ServeFile,
            NotModifiedEtag,
            NotModifiedDate,
            IfMatchFailed,
            IfUnmodifiedSinceFailed,
            IfNoneMatchFailed,
            PartialContent,
            RangeNotSatisfiable,
            MultipleRanges,
            IfRangeStale,
            DirectoryRedirect,
            DirectoryListing,
            ListingAsset,
            ReservedPath,
            PutCreate,
            PutReplace,
            PutToDirectory,
            PutParentIsFile,
            UploadTooLarge,
            PutWithContentRange,
            Delete,
            DeleteDirectory,
            Timeout,
        ];
        for r in all {
            assert_eq!(r.name(), alloc::format!("{r:?}"));
            assert!(!r.explain().is_empty());
            assert!(r.rfc().starts_with("RFC "), "{r:?}");
        }
    }
}
