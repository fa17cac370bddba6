//! `decide` against an in-memory store, one row per rule: raw request bytes in, the status,
//! rule, head and body plan out.

use simplehttp_core::store::{FileStore, MemoryStore, Upload};
use simplehttp_core::{
    decide, finish, reply_to_error, Auth, Authenticator, Body, Event, HeaderValue, Limits,
    PlainUsers, Policy, Presented, Reply, RequestParser, Rule, StorePath, Timestamp, Verdict,
    LOOPBACK_HOSTS,
};

/// Sun, 09 Sep 2001 01:46:40 GMT.
const T0: u64 = 1_000_000_000;
const NOW: Timestamp = Timestamp(T0 + 1_000);
/// The ETag of hello.txt: 11 bytes, modified at T0, first change of the store.
const HELLO_TAG: &str = "\"b-3b9aca00-0\"";

fn store() -> MemoryStore {
    MemoryStore::new()
        .with_file("hello.txt", b"hello world", Timestamp(T0))
        .with_file("empty.txt", b"", Timestamp(T0))
        .with_file("docs/index.html", b"<h1>docs</h1>", Timestamp(T0))
        .with_file("pics/b c.txt", b"bc", Timestamp(T0))
        .with_file("pics/a.png", b"\x89PNG", Timestamp(T0))
        .with_dir("pics/sub", Timestamp(T0))
        .with_file("up/page.svg", b"<svg/>", Timestamp(T0))
        .with_file("up/feed.xml", b"<x/>", Timestamp(T0))
        .with_file("up/page.xhtml", b"<html/>", Timestamp(T0))
        .with_file(".env", b"SECRET=1", Timestamp(T0))
        .with_file(".git/config", b"[core]", Timestamp(T0))
        .with_file("pics/.thumbs", b"x", Timestamp(T0))
}

/// Refuses everyone with 429, as a shell's authenticator does after too many failures.
#[derive(Debug)]
struct Throttling;

impl Authenticator for Throttling {
    fn check(&self, _: Option<core::net::SocketAddr>, _: Presented<'_>) -> Verdict {
        Verdict::Throttled { retry_after: 42 }
    }
}

/// Parses `raw` (which must hold a whole head) and decides it.
fn run(raw: &str, store: &MemoryStore, policy: &Policy) -> Reply {
    let mut parser = RequestParser::new(Limits::default());
    let step = parser
        .handle_bytes(raw.as_bytes())
        .expect("a valid request");
    let Event::Head(head) = step.event else {
        panic!("no whole head in {raw:?}")
    };
    decide(&head, store, policy, NOW)
}

/// Answers `raw` as a server does: the parser (bounded by `limits`) may refuse it before
/// decide runs, and then `reply_to_error` answers.
fn answer(raw: &str, store: &MemoryStore, policy: &Policy, limits: Limits) -> Reply {
    let mut parser = RequestParser::new(limits);
    match parser.handle_bytes(raw.as_bytes()) {
        Ok(step) => {
            let Event::Head(head) = step.event else {
                panic!("no whole head in {raw:?}")
            };
            decide(&head, store, policy, NOW)
        }
        Err(e) => reply_to_error(e, NOW),
    }
}

fn head_of(reply: &Reply) -> String {
    let mut out = Vec::new();
    reply.write_head(&mut out);
    String::from_utf8(out).unwrap()
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Plan {
    Empty,
    Text,
    File(u64, u64),
    Listing,
    Bytes,
    Upload { existed: bool, send_continue: bool },
    Remove,
}

fn plan_of(body: &Body) -> Plan {
    match body {
        Body::Empty => Plan::Empty,
        Body::Bytes(b) if b.ends_with(b"\n") && b[0].is_ascii_digit() => Plan::Text,
        Body::Bytes(_) => Plan::Bytes,
        Body::Listing(_) => Plan::Listing,
        Body::File { start, len, .. } => Plan::File(*start, *len),
        Body::Upload(p) => Plan::Upload {
            existed: p.existed,
            send_continue: p.send_continue,
        },
        Body::Remove(_) => Plan::Remove,
    }
}

#[derive(Clone, Copy)]
enum Setup {
    Plain,
    ReadOnlyPolicy,
    ReadOnlyStore,
    Credentials,
    /// Uploads of at most 10 bytes: the parser's `Limits::max_body`.
    SmallUploads,
    /// A loopback server that also answers to `files.example`.
    LoopbackHosts,
    /// Writable, and its owner trusts the HTML in it.
    TrustedHtml,
    /// Dotfiles served and listed.
    Hidden,
    /// "user:secret" for every request.
    ReadCredentials,
    /// Every login refused with 429.
    Throttled,
}

fn setup(s: Setup) -> (MemoryStore, Policy, Limits) {
    let st = store();
    let mut policy = Policy::default();
    let mut limits = Limits::default();
    match s {
        Setup::Plain => {}
        Setup::ReadOnlyPolicy => policy.read_only = true,
        Setup::ReadOnlyStore => st.set_read_only(true),
        // "user:secret"
        Setup::Credentials => {
            policy.auth = Some(Auth::new(PlainUsers::new(["user:secret"]), false));
        }
        Setup::SmallUploads => limits.max_body = 10,
        Setup::TrustedHtml => policy.trusted_html = true,
        Setup::Hidden => policy.hidden = true,
        Setup::ReadCredentials => {
            policy.auth = Some(Auth::new(PlainUsers::new(["user:secret"]), true));
        }
        Setup::Throttled => policy.auth = Some(Auth::new(Throttling, true)),
        Setup::LoopbackHosts => {
            let mut names: Vec<String> = LOOPBACK_HOSTS.iter().map(|&h| h.into()).collect();
            names.push("files.example".into());
            policy.allowed_hosts = Some(names);
        }
    }
    (st, policy, limits)
}

struct Case {
    name: &'static str,
    setup: Setup,
    request: &'static str,
    status: u16,
    rule: Rule,
    has: &'static [&'static str],
    lacks: &'static [&'static str],
    plan: Plan,
}

macro_rules! case {
    ($name:literal, $setup:ident, $req:expr, $status:literal, $rule:ident, has $has:expr, lacks $lacks:expr, $plan:expr) => {
        Case {
            name: $name,
            setup: Setup::$setup,
            request: $req,
            status: $status,
            rule: Rule::$rule,
            has: &$has,
            lacks: &$lacks,
            plan: $plan,
        }
    };
}

fn check(cases: &[Case]) {
    for c in cases {
        let (store, policy, limits) = setup(c.setup);
        let reply = answer(c.request, &store, &policy, limits);
        let head = head_of(&reply);
        assert_eq!(
            (reply.status, reply.rule),
            (c.status, c.rule),
            "{}:\n{head}",
            c.name
        );
        for h in c.has {
            assert!(
                head.contains(&format!("\r\n{h}\r\n")),
                "{}: missing {h:?} in\n{head}",
                c.name
            );
        }
        for h in c.lacks {
            let needle = format!("\r\n{}", h.to_ascii_lowercase());
            assert!(
                !head.to_ascii_lowercase().contains(&needle),
                "{}: unexpected {h:?} in\n{head}",
                c.name
            );
        }
        assert_eq!(plan_of(&reply.body), c.plan, "{}", c.name);
        assert!(
            head.contains("\r\nDate: Sun, 09 Sep 2001 02:03:20 GMT\r\n"),
            "{}: no Date",
            c.name
        );
    }
}

const G: &str = "GET /hello.txt HTTP/1.1\r\nHost: x\r\n";

fn leak(s: String) -> &'static str {
    Box::leak(s.into_boxed_str())
}

fn get_with(field: &str) -> &'static str {
    leak(format!("{G}{field}\r\n\r\n"))
}

#[test]
fn serves_files_directories_and_errors() {
    use Plan::*;
    check(&[
        case!("serves_file_with_validators", Plain, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Length: 11", "ETag: \"b-3b9aca00-0\"", "Last-Modified: Sun, 09 Sep 2001 01:46:40 GMT",
                 "Content-Type: text/plain; charset=utf-8", "Accept-Ranges: bytes"],
            lacks ["Connection"], File(0, 11)),
        case!("head_gets_the_same_head_without_body", Plain, "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Length: 11", "ETag: \"b-3b9aca00-0\""], lacks [], Empty),
        case!("empty_file_has_zero_length", Plain, "GET /empty.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Length: 0"], lacks [], Empty),
        case!("absolute_form_target_serves_the_path", Plain, "GET http://x/hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Length: 11"], lacks [], File(0, 11)),
        case!("type_comes_from_the_name", Plain, "GET /pics/a.png HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Type: image/png"], lacks [], File(0, 4)),
        case!("missing_is_404_with_text", Plain, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, NotFound,
            has ["Content-Length: 14", "Content-Type: text/plain; charset=utf-8"], lacks [], Text),
        case!("missing_to_head_has_no_body", Plain, "HEAD /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, NotFound,
            has ["Content-Length: 14"], lacks [], Empty),
        case!("file_with_trailing_slash_is_404", Plain, "GET /hello.txt/ HTTP/1.1\r\nHost: x\r\n\r\n", 404, FileWithTrailingSlash,
            has [], lacks [], Text),
        case!("directory_without_slash_redirects", Plain, "GET /docs HTTP/1.1\r\nHost: x\r\n\r\n", 301, DirectoryRedirect,
            has ["Location: /docs/"], lacks [], Text),
        case!("redirect_keeps_the_query_and_normalises", Plain, "GET //pics/./sub?a=b HTTP/1.1\r\nHost: x\r\n\r\n", 301, DirectoryRedirect,
            has ["Location: /pics/sub/?a=b"], lacks [], Text),
        case!("directory_serves_its_index", Plain, "GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Type: text/html; charset=utf-8", "Content-Length: 13"], lacks [], File(0, 13)),
        case!("directory_listing_is_chunked_for_1_1", Plain, "GET /pics/ HTTP/1.1\r\nHost: x\r\n\r\n", 200, DirectoryListing,
            has ["Transfer-Encoding: chunked", "Content-Type: text/html; charset=utf-8"], lacks ["Content-Length"], Listing),
        case!(
            "directory_listing_has_a_length_for_1_0",
            Plain,
            "GET /pics/ HTTP/1.0\r\n\r\n",
            200,
            DirectoryListing,
            has["Connection: close"],
            lacks["Transfer-Encoding"],
            Listing
        ),
        case!("head_of_a_listing_has_no_body", Plain, "HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", 200, DirectoryListing,
            has ["Transfer-Encoding: chunked"], lacks [], Empty),
        case!("unknown_method_is_405_with_allow", Plain, "POST /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 405, MethodNotAllowed,
            has ["Allow: GET, HEAD, PUT, DELETE, OPTIONS"], lacks [], Text),
        case!("extension_method_is_405", Plain, "BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n", 405, MethodNotAllowed,
            has ["Allow: GET, HEAD, PUT, DELETE, OPTIONS"], lacks [], Text),
        case!(
            "options_asterisk_is_204_with_allow",
            Plain,
            "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
            204,
            Options,
            has["Allow: GET, HEAD, PUT, DELETE, OPTIONS"],
            lacks["Content-Length"],
            Empty
        ),
        case!("options_path_is_204_with_allow", Plain, "OPTIONS /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 204, Options,
            has ["Allow: GET, HEAD, PUT, DELETE, OPTIONS"], lacks [], Empty),
        case!("options_read_only_leaves_out_writes", ReadOnlyStore, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 204, Options,
            has ["Allow: GET, HEAD, OPTIONS"], lacks [], Empty),
        case!("unknown_expectation_is_417", Plain, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nExpect: coffee\r\n\r\n", 417, ExpectationFailed,
            has [], lacks [], Text),
        case!("continue_expectation_on_get_is_fine", Plain, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
    ]);
}

#[test]
fn refuses_targets_outside_the_root() {
    for target in [
        "/../etc/passwd",
        "/docs/../../etc/passwd",
        "/%2e%2e/etc/passwd",
        "/.%2e/etc/passwd",
        "/..%2fetc/passwd",
        "/..%5cetc/passwd",
        "/a%5cb",
        "/a\\b",
        "/hello.txt%00.png",
        "/%c0%ae%c0%ae/etc/passwd",
        "/%zz",
        "http://x/../etc/passwd",
    ] {
        let raw = format!("GET {target} HTTP/1.1\r\nHost: x\r\n\r\n");
        let reply = run(&raw, &store(), &Policy::default());
        assert_eq!(
            (reply.status, reply.rule),
            (400, Rule::BadTarget),
            "{target}"
        );
        let raw = format!("DELETE {target} HTTP/1.1\r\nHost: x\r\n\r\n");
        assert_eq!(
            run(&raw, &store(), &Policy::default()).status,
            400,
            "{target}"
        );
    }
}

#[test]
fn evaluates_preconditions_in_rfc_order() {
    use Plan::*;
    let imf = "Sun, 09 Sep 2001 01:46:40 GMT"; // == Last-Modified
    check(&[
        case!("if_none_match_exact_is_304", Plain, get_with("If-None-Match: \"b-3b9aca00-0\""), 304, NotModifiedEtag,
            has ["ETag: \"b-3b9aca00-0\"", "Last-Modified: Sun, 09 Sep 2001 01:46:40 GMT"], lacks ["Content-Length"], Empty),
        case!("if_none_match_compares_weakly", Plain, get_with("If-None-Match: W/\"b-3b9aca00-0\""), 304, NotModifiedEtag,
            has [], lacks [], Empty),
        case!("if_none_match_list", Plain, get_with("If-None-Match: \"a\", \"b-3b9aca00-0\""), 304, NotModifiedEtag,
            has [], lacks [], Empty),
        case!("if_none_match_star", Plain, get_with("If-None-Match: *"), 304, NotModifiedEtag, has [], lacks [], Empty),
        case!("if_none_match_other_is_200", Plain, get_with("If-None-Match: \"other\""), 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("if_none_match_wins_over_if_modified_since", Plain,
            leak(format!("{G}If-None-Match: \"other\"\r\nIf-Modified-Since: {imf}\r\n\r\n")), 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("if_modified_since_equal_is_304", Plain, leak(format!("{G}If-Modified-Since: {imf}\r\n\r\n")), 304, NotModifiedDate,
            has ["ETag: \"b-3b9aca00-0\""], lacks [], Empty),
        case!("if_modified_since_later_is_304", Plain, get_with("If-Modified-Since: Sun, 09 Sep 2001 01:50:00 GMT"), 304, NotModifiedDate,
            has [], lacks [], Empty),
        case!("if_modified_since_earlier_is_200", Plain, get_with("If-Modified-Since: Sun, 09 Sep 2001 01:46:39 GMT"), 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("if_modified_since_unparseable_is_ignored", Plain, get_with("If-Modified-Since: yesterday"), 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("if_modified_since_in_the_future_is_ignored", Plain, get_with("If-Modified-Since: Sat, 01 Jan 2050 00:00:00 GMT"), 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("if_modified_since_obsolete_format", Plain, get_with("If-Modified-Since: Sunday, 09-Sep-01 01:46:40 GMT"), 304, NotModifiedDate,
            has [], lacks [], Empty),
        case!("if_match_exact_is_200", Plain, get_with("If-Match: \"b-3b9aca00-0\""), 200, ServeFile, has [], lacks [], File(0, 11)),
        case!("if_match_star_is_200", Plain, get_with("If-Match: *"), 200, ServeFile, has [], lacks [], File(0, 11)),
        case!("if_match_compares_strongly", Plain, get_with("If-Match: W/\"b-3b9aca00-0\""), 412, IfMatchFailed,
            has [], lacks [], Text),
        case!("if_match_other_is_412", Plain, get_with("If-Match: \"a\", \"b\""), 412, IfMatchFailed, has [], lacks [], Text),
        case!("if_unmodified_since_earlier_is_412", Plain, get_with("If-Unmodified-Since: Sun, 09 Sep 2001 01:46:39 GMT"), 412, IfUnmodifiedSinceFailed,
            has [], lacks [], Text),
        case!("if_unmodified_since_equal_is_200", Plain, leak(format!("{G}If-Unmodified-Since: {imf}\r\n\r\n")), 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("if_match_makes_if_unmodified_since_ignored", Plain,
            leak(format!("{G}If-Match: *\r\nIf-Unmodified-Since: Thu, 01 Jan 1970 00:00:00 GMT\r\n\r\n")), 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("if_match_fails_before_if_none_match", Plain,
            leak(format!("{G}If-Match: \"a\"\r\nIf-None-Match: *\r\n\r\n")), 412, IfMatchFailed, has [], lacks [], Text),
        case!("preconditions_ignored_when_missing", Plain, "GET /nope HTTP/1.1\r\nHost: x\r\nIf-Match: \"a\"\r\n\r\n", 404, NotFound,
            has [], lacks [], Text),
        case!("head_gets_304_too", Plain, "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n", 304, NotModifiedEtag,
            has [], lacks [], Empty),
    ]);
}

#[test]
fn serves_single_byte_ranges() {
    use Plan::*;
    check(&[
        case!("range_first_last_is_206", Plain, get_with("Range: bytes=0-4"), 206, PartialContent,
            has ["Content-Range: bytes 0-4/11", "Content-Length: 5", "ETag: \"b-3b9aca00-0\""], lacks [], File(0, 5)),
        case!("range_open_ended", Plain, get_with("Range: bytes=6-"), 206, PartialContent,
            has ["Content-Range: bytes 6-10/11", "Content-Length: 5"], lacks [], File(6, 5)),
        case!("range_suffix", Plain, get_with("Range: bytes=-3"), 206, PartialContent,
            has ["Content-Range: bytes 8-10/11"], lacks [], File(8, 3)),
        case!("range_last_past_end_is_clamped", Plain, get_with("Range: bytes=10-99"), 206, PartialContent,
            has ["Content-Range: bytes 10-10/11", "Content-Length: 1"], lacks [], File(10, 1)),
        case!("range_past_end_is_416", Plain, get_with("Range: bytes=11-"), 416, RangeNotSatisfiable,
            has ["Content-Range: bytes */11"], lacks [], Text),
        case!("range_on_empty_file_is_416", Plain, "GET /empty.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-\r\n\r\n", 416, RangeNotSatisfiable,
            has ["Content-Range: bytes */0"], lacks [], Text),
        case!(
            "several_ranges_get_the_whole_file",
            Plain,
            get_with("Range: bytes=0-1,4-5"),
            200,
            MultipleRanges,
            has["Content-Length: 11"],
            lacks["Content-Range"],
            File(0, 11)
        ),
        case!("other_units_are_ignored", Plain, get_with("Range: lines=1-2"), 200, ServeFile,
            has [], lacks ["Content-Range"], File(0, 11)),
        case!("malformed_range_is_ignored", Plain, get_with("Range: bytes=5-2"), 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!(
            "head_ignores_range",
            Plain,
            "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\nRange: bytes=0-4\r\n\r\n",
            200,
            ServeFile,
            has["Content-Length: 11"],
            lacks["Content-Range"],
            Empty
        ),
        case!("if_range_with_current_etag_is_206", Plain,
            leak(format!("{G}Range: bytes=0-0\r\nIf-Range: {HELLO_TAG}\r\n\r\n")), 206, PartialContent,
            has ["Content-Range: bytes 0-0/11"], lacks [], File(0, 1)),
        case!("if_range_with_old_etag_is_200", Plain,
            leak(format!("{G}Range: bytes=0-0\r\nIf-Range: \"old\"\r\n\r\n")), 200, IfRangeStale,
            has ["Content-Length: 11"], lacks [], File(0, 11)),
        case!("if_range_with_weak_etag_is_200", Plain,
            leak(format!("{G}Range: bytes=0-0\r\nIf-Range: W/{HELLO_TAG}\r\n\r\n")), 200, IfRangeStale,
            has [], lacks [], File(0, 11)),
        case!("if_range_with_last_modified_is_206", Plain,
            leak(format!("{G}Range: bytes=0-0\r\nIf-Range: Sun, 09 Sep 2001 01:46:40 GMT\r\n\r\n")), 206, PartialContent,
            has [], lacks [], File(0, 1)),
        case!("if_range_with_other_date_is_200", Plain,
            leak(format!("{G}Range: bytes=0-0\r\nIf-Range: Sun, 09 Sep 2001 01:46:41 GMT\r\n\r\n")), 200, IfRangeStale,
            has [], lacks [], File(0, 11)),
        case!("not_modified_wins_over_range", Plain,
            leak(format!("{G}Range: bytes=0-0\r\nIf-None-Match: *\r\n\r\n")), 304, NotModifiedEtag,
            has [], lacks [], Empty),
    ]);
}

fn put(target: &str, fields: &str, body: &str) -> &'static str {
    leak(format!(
        "PUT {target} HTTP/1.1\r\nHost: x\r\n{fields}Content-Length: {}\r\n\r\n{body}",
        body.len()
    ))
}

#[test]
fn plans_uploads_and_removals() {
    use Plan::*;
    let auth_ok = "Authorization: Basic dXNlcjpzZWNyZXQ=\r\n"; // user:secret
    check(&[
        case!("put_new_file_plans_201", Plain, put("/new.txt", "", "hello"), 201, PutCreate,
            has [], lacks ["Connection"], Upload { existed: false, send_continue: false }),
        case!("put_existing_file_plans_204", Plain, put("/hello.txt", "", "x"), 204, PutReplace,
            has [], lacks [], Upload { existed: true, send_continue: false }),
        case!("put_with_expect_continue_sends_100", Plain, put("/new.txt", "Expect: 100-continue\r\n", "x"), 201, PutCreate,
            has [], lacks [], Upload { existed: false, send_continue: true }),
        case!("put_creates_missing_directories", Plain, put("/a/b/c.txt", "", "x"), 201, PutCreate,
            has [], lacks [], Upload { existed: false, send_continue: false }),
        case!("chunked_put_is_planned", Plain,
            "PUT /new.txt HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n", 201, PutCreate,
            has [], lacks [], Upload { existed: false, send_continue: false }),
        case!("put_onto_directory_is_409", Plain, put("/docs", "", "x"), 409, PutToDirectory, has ["Connection: close"], lacks [], Text),
        case!("put_with_trailing_slash_is_409", Plain, put("/newdir/", "", "x"), 409, PutToDirectory, has [], lacks [], Text),
        case!("put_to_root_is_409", Plain, put("/", "", ""), 409, PutToDirectory, has [], lacks ["Connection"], Text),
        case!("put_below_a_file_is_409", Plain, put("/hello.txt/x", "", "x"), 409, PutParentIsFile, has [], lacks [], Text),
        case!("put_if_none_match_star_on_existing_is_412", Plain, put("/hello.txt", "If-None-Match: *\r\n", "x"), 412, IfNoneMatchFailed,
            has [], lacks [], Text),
        case!("put_if_none_match_star_on_new_is_201", Plain, put("/new.txt", "If-None-Match: *\r\n", "x"), 201, PutCreate,
            has [], lacks [], Upload { existed: false, send_continue: false }),
        case!("put_if_match_other_is_412", Plain, put("/hello.txt", "If-Match: \"x\"\r\n", "x"), 412, IfMatchFailed,
            has [], lacks [], Text),
        case!("put_if_match_star_on_new_is_412", Plain, put("/new.txt", "If-Match: *\r\n", "x"), 412, IfMatchFailed,
            has [], lacks [], Text),
        case!("put_if_match_current_is_204", Plain, put("/hello.txt", "If-Match: \"b-3b9aca00-0\"\r\n", "x"), 204, PutReplace,
            has [], lacks [], Upload { existed: true, send_continue: false }),
        case!("put_too_large_is_413_and_closes", SmallUploads, put("/new.txt", "", "hello world"), 413, UploadTooLarge,
            has ["Connection: close"], lacks [], Text),
        case!("put_with_content_range_is_400", Plain, put("/hello.txt", "Content-Range: bytes 0-0/11\r\n", "x"), 400, PutWithContentRange,
            has ["Connection: close"], lacks [], Text),
        case!("put_at_the_limit_is_fine", SmallUploads, put("/new.txt", "", "0123456789"), 201, PutCreate,
            has [], lacks [], Upload { existed: false, send_continue: false }),
        case!("put_read_only_policy_is_405", ReadOnlyPolicy, put("/new.txt", "", "x"), 405, ReadOnly,
            has ["Allow: GET, HEAD, OPTIONS", "Connection: close"], lacks [], Text),
        case!("put_read_only_store_is_405", ReadOnlyStore, put("/new.txt", "", "x"), 405, ReadOnly,
            has ["Allow: GET, HEAD, OPTIONS"], lacks [], Text),
        case!("post_read_only_allows_reads", ReadOnlyStore, "POST / HTTP/1.1\r\nHost: x\r\n\r\n", 405, MethodNotAllowed,
            has ["Allow: GET, HEAD, OPTIONS"], lacks [], Text),
        case!("put_without_credentials_is_401", Credentials, put("/new.txt", "", "x"), 401, Unauthorized,
            has ["WWW-Authenticate: Basic realm=\"simplehttp\", charset=\"UTF-8\"", "Connection: close"], lacks [], Text),
        case!("put_with_wrong_credentials_is_401", Credentials, put("/new.txt", "Authorization: Basic dXNlcjpzZWNyZXU=\r\n", "x"), 401, Unauthorized,
            has [], lacks [], Text),
        case!("put_with_other_scheme_is_401", Credentials, put("/new.txt", "Authorization: Bearer dXNlcjpzZWNyZXQ=\r\n", "x"), 401, Unauthorized,
            has [], lacks [], Text),
        case!("put_with_credentials_is_planned", Credentials, put("/new.txt", auth_ok, "x"), 201, PutCreate,
            has [], lacks [], Upload { existed: false, send_continue: false }),
        case!("reads_need_no_credentials", Credentials, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("delete_file_plans_204", Plain, "DELETE /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 204, Delete,
            has [], lacks ["Content-Length"], Remove),
        case!("delete_missing_is_404", Plain, "DELETE /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, NotFound, has [], lacks [], Text),
        case!("delete_directory_is_409", Plain, "DELETE /docs HTTP/1.1\r\nHost: x\r\n\r\n", 409, DeleteDirectory, has [], lacks [], Text),
        case!("delete_root_is_409", Plain, "DELETE / HTTP/1.1\r\nHost: x\r\n\r\n", 409, DeleteDirectory, has [], lacks [], Text),
        case!("delete_if_match_other_is_412", Plain, "DELETE /hello.txt HTTP/1.1\r\nHost: x\r\nIf-Match: \"a\"\r\n\r\n", 412, IfMatchFailed,
            has [], lacks [], Text),
        case!(
            "delete_read_only_is_405",
            ReadOnlyPolicy,
            "DELETE /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            405,
            ReadOnly,
            has["Allow: GET, HEAD, OPTIONS"],
            lacks["Connection"],
            Text
        ),
        case!("delete_with_lower_case_scheme", Credentials,
            "DELETE /hello.txt HTTP/1.1\r\nHost: x\r\nAuthorization: basic dXNlcjpzZWNyZXQ=\r\n\r\n", 204, Delete,
            has [], lacks [], Remove),
        case!("delete_without_credentials_keeps_alive", Credentials, "DELETE /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 401, Unauthorized,
            has [], lacks ["Connection"], Text),
        case!("read_credentials_guard_gets", ReadCredentials, "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 401, Unauthorized,
            has ["WWW-Authenticate: Basic realm=\"simplehttp\", charset=\"UTF-8\""], lacks ["ETag", "Last-Modified"], Text),
        case!("read_credentials_guard_heads", ReadCredentials, "HEAD /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 401, Unauthorized,
            has ["WWW-Authenticate: Basic realm=\"simplehttp\", charset=\"UTF-8\""], lacks [], Empty),
        case!("read_credentials_guard_listings", ReadCredentials, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", 401, Unauthorized,
            has [], lacks [], Text),
        case!("read_credentials_guard_missing_paths_alike", ReadCredentials, "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 401, Unauthorized,
            has [], lacks [], Text),
        case!("read_credentials_guard_the_reserved_path", ReadCredentials, "GET /.simplehttp/listing.css HTTP/1.1\r\nHost: x\r\n\r\n", 401, Unauthorized,
            has [], lacks [], Text),
        case!("read_credentials_guard_writes", ReadCredentials, put("/new.txt", "", "x"), 401, Unauthorized,
            has [], lacks [], Text),
        case!("read_credentials_leave_options_open", ReadCredentials, "OPTIONS /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n", 204, Options,
            has [], lacks ["WWW-Authenticate"], Empty),
        case!("read_credentials_let_a_user_read", ReadCredentials, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dXNlcjpzZWNyZXQ=\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("read_credentials_let_a_user_write", ReadCredentials, put("/new.txt", auth_ok, "x"), 201, PutCreate,
            has [], lacks [], Upload { existed: false, send_continue: false }),
        case!("basic_without_a_colon_is_401", ReadCredentials, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dXNlcg==\r\n\r\n", 401, Unauthorized,
            has [], lacks [], Text),
        case!(
            "throttled_is_429_with_retry_after",
            Throttled,
            "GET /hello.txt HTTP/1.1\r\nHost: x\r\nAuthorization: Basic dXNlcjpzZWNyZXQ=\r\n\r\n",
            429,
            TooManyAttempts,
            has["Retry-After: 42"],
            lacks["WWW-Authenticate"],
            Text
        ),
        case!("dotfiles_are_404", Plain, "GET /.env HTTP/1.1\r\nHost: x\r\n\r\n", 404, HiddenPath, has [], lacks [], Text),
        case!("dotfiles_are_404_to_head", Plain, "HEAD /.env HTTP/1.1\r\nHost: x\r\n\r\n", 404, HiddenPath, has [], lacks [], Empty),
        case!("dot_folders_are_404", Plain, "GET /.git/config HTTP/1.1\r\nHost: x\r\n\r\n", 404, HiddenPath, has [], lacks [], Text),
        case!("dot_folders_do_not_redirect", Plain, "GET /.git HTTP/1.1\r\nHost: x\r\n\r\n", 404, HiddenPath, has [], lacks ["Location"], Text),
        case!("deep_dotfiles_are_404", Plain, "GET /pics/.thumbs HTTP/1.1\r\nHost: x\r\n\r\n", 404, HiddenPath, has [], lacks [], Text),
        case!("escaped_dotfiles_are_404", Plain, "GET /%2eenv HTTP/1.1\r\nHost: x\r\n\r\n", 404, HiddenPath, has [], lacks [], Text),
        case!("missing_dotfiles_are_404_too", Plain, "GET /.nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, HiddenPath, has [], lacks [], Text),
        case!("puts_to_dot_paths_are_404", Plain, put("/.ssh/authorized_keys", "", "x"), 404, HiddenPath, has [], lacks [], Text),
        case!("deletes_of_dotfiles_are_404", Plain, "DELETE /.env HTTP/1.1\r\nHost: x\r\n\r\n", 404, HiddenPath, has [], lacks [], Text),
        case!("the_reserved_path_is_not_hidden", Plain, "GET /.simplehttp/listing.css HTTP/1.1\r\nHost: x\r\n\r\n", 200, ListingAsset,
            has [], lacks [], Bytes),
        case!("hidden_serves_dotfiles", Hidden, "GET /.env HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile, has [], lacks [], File(0, 8)),
        case!("hidden_lists_dot_folders", Hidden, "GET /.git/ HTTP/1.1\r\nHost: x\r\n\r\n", 200, DirectoryListing, has [], lacks [], Listing),
        case!("hidden_takes_dot_uploads", Hidden, put("/.env", "", "x"), 204, PutReplace,
            has [], lacks [], Upload { existed: true, send_continue: false }),
    ]);
}

#[test]
fn answers_only_to_allowed_hosts() {
    use Plan::*;
    const TEXT: &str = "Content-Type: text/plain; charset=utf-8";
    check(&[
        case!("localhost_with_a_port", LoopbackHosts, "GET /hello.txt HTTP/1.1\r\nHost: localhost:8080\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("localhost_in_capitals", LoopbackHosts, "GET /hello.txt HTTP/1.1\r\nHost: LocalHost\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("localhost_with_a_trailing_dot", LoopbackHosts, "GET /hello.txt HTTP/1.1\r\nHost: localhost.:80\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("ipv4_loopback", LoopbackHosts, "GET /hello.txt HTTP/1.1\r\nHost: 127.0.0.1:1\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("ipv6_loopback", LoopbackHosts, "GET /hello.txt HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("an_allowed_name", LoopbackHosts, "GET /hello.txt HTTP/1.1\r\nHost: FILES.example.:9\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("http_1_0_without_host_is_answered", LoopbackHosts, "GET /hello.txt HTTP/1.0\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("a_rebound_name_is_421", LoopbackHosts, "GET /hello.txt HTTP/1.1\r\nHost: evil.example:8080\r\n\r\n", 421, HostNotAllowed,
            has [TEXT, "Connection: close"], lacks ["ETag", "Last-Modified"], Bytes),
        case!("a_name_ending_in_localhost_is_421", LoopbackHosts, "GET / HTTP/1.1\r\nHost: localhost.evil.example\r\n\r\n", 421, HostNotAllowed,
            has [], lacks [], Bytes),
        case!("a_name_starting_with_the_address_is_421", LoopbackHosts, "GET / HTTP/1.1\r\nHost: 127.0.0.1.evil.example\r\n\r\n", 421, HostNotAllowed,
            has [], lacks [], Bytes),
        case!("an_empty_host_is_421", LoopbackHosts, "GET / HTTP/1.1\r\nHost:\r\n\r\n", 421, HostNotAllowed,
            has [], lacks [], Bytes),
        case!("http_1_0_with_a_rebound_name_is_421", LoopbackHosts, "GET / HTTP/1.0\r\nHost: evil.example\r\n\r\n", 421, HostNotAllowed,
            has [], lacks [], Bytes),
        case!("head_gets_421_without_body", LoopbackHosts, "HEAD /hello.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n", 421, HostNotAllowed,
            has [TEXT], lacks [], Empty),
        case!("writes_are_421_before_anything_else", LoopbackHosts,
            "PUT /new.txt HTTP/1.1\r\nHost: evil.example\r\nContent-Length: 2\r\nExpect: 100-continue\r\n\r\n", 421, HostNotAllowed,
            has ["Connection: close"], lacks [], Bytes),
        case!("delete_is_421", LoopbackHosts, "DELETE /hello.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n", 421, HostNotAllowed,
            has [], lacks [], Bytes),
        case!("options_star_is_421", LoopbackHosts, "OPTIONS * HTTP/1.1\r\nHost: evil.example\r\n\r\n", 421, HostNotAllowed,
            has [], lacks ["Allow"], Bytes),
        case!("the_absolute_target_overrides_host", LoopbackHosts, "GET http://evil.example/hello.txt HTTP/1.1\r\nHost: localhost\r\n\r\n", 421, HostNotAllowed,
            has [], lacks [], Bytes),
        case!("an_absolute_loopback_target_is_answered", LoopbackHosts, "GET http://localhost:8080/hello.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
        case!("userinfo_is_not_the_host", LoopbackHosts, "GET http://localhost@evil.example/hello.txt HTTP/1.0\r\n\r\n", 421, HostNotAllowed,
            has [], lacks [], Bytes),
        case!("another_scheme_is_a_bad_target", LoopbackHosts, "GET file:///etc/passwd HTTP/1.1\r\nHost: localhost\r\n\r\n", 400, BadTarget,
            has [], lacks [], Text),
        case!("an_upper_case_scheme_names_its_host", LoopbackHosts, "GET HTTP://evil.example/ HTTP/1.1\r\nHost: localhost\r\n\r\n", 421, HostNotAllowed,
            has [], lacks [], Bytes),
        case!("any_host_without_a_list", Plain, "GET /hello.txt HTTP/1.1\r\nHost: evil.example\r\n\r\n", 200, ServeFile,
            has [], lacks [], File(0, 11)),
    ]);
}

#[test]
fn a_misdirected_request_says_how_to_allow_the_name() {
    let (store, policy, _) = setup(Setup::LoopbackHosts);
    let reply = run(
        "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n",
        &store,
        &policy,
    );
    let Body::Bytes(text) = &reply.body else {
        panic!("{reply:?}")
    };
    assert_eq!(
        String::from_utf8_lossy(text),
        "this server answers only to localhost, 127.0.0.1, [::1] and files.example; \
         start it with --allow-host NAME to allow NAME\n"
    );
    assert!(head_of(&reply).starts_with("HTTP/1.1 421 Misdirected Request\r\n"));
    assert_eq!(reply.rule.rfc(), "RFC 9110 §15.5.20, §7.2");
}

#[test]
fn sandboxes_active_content_of_a_writable_store() {
    use Plan::*;
    const NOSNIFF: &str = "X-Content-Type-Options: nosniff";
    const SANDBOX: &str = "Content-Security-Policy: sandbox";
    const CSP: &str = "Content-Security-Policy";
    const LISTING: &str = "Content-Security-Policy: default-src 'none'; script-src 'self'; \
        style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; \
        form-action 'self'; frame-ancestors 'none'";
    check(&[
        case!("html_is_sandboxed", Plain, "GET /docs/index.html HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Type: text/html; charset=utf-8", NOSNIFF, SANDBOX], lacks [], File(0, 13)),
        case!("an_index_page_is_sandboxed", Plain, "GET /docs/ HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has [NOSNIFF, SANDBOX], lacks [], File(0, 13)),
        case!("head_of_html_is_sandboxed", Plain, "HEAD /docs/index.html HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has [NOSNIFF, SANDBOX], lacks [], Empty),
        case!("a_range_of_html_is_sandboxed", Plain, "GET /docs/index.html HTTP/1.1\r\nHost: x\r\nRange: bytes=0-3\r\n\r\n", 206, PartialContent,
            has [NOSNIFF, SANDBOX], lacks [], File(0, 4)),
        case!("svg_is_sandboxed", Plain, "GET /up/page.svg HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Type: image/svg+xml", NOSNIFF, SANDBOX], lacks [], File(0, 6)),
        case!("xml_is_sandboxed", Plain, "GET /up/feed.xml HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Type: text/xml; charset=utf-8", NOSNIFF, SANDBOX], lacks [], File(0, 4)),
        case!("xhtml_is_sandboxed", Plain, "GET /up/page.xhtml HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Type: application/xhtml+xml", NOSNIFF, SANDBOX], lacks [], File(0, 7)),
        case!("a_listing_has_the_strict_policy_not_the_sandbox", Plain, "GET /pics/ HTTP/1.1\r\nHost: x\r\n\r\n", 200, DirectoryListing,
            has [NOSNIFF, LISTING, "Vary: Accept", "Transfer-Encoding: chunked"], lacks [], Listing),
        case!("a_read_only_listing_has_the_strict_policy", ReadOnlyPolicy, "GET /pics/ HTTP/1.1\r\nHost: x\r\n\r\n", 200, DirectoryListing,
            has [NOSNIFF, LISTING, "Vary: Accept"], lacks [], Listing),
        case!("a_json_listing_by_query", Plain, "GET /pics/?format=json HTTP/1.1\r\nHost: x\r\n\r\n", 200, DirectoryListing,
            has ["Content-Type: application/json", NOSNIFF, "Vary: Accept"], lacks [CSP], Listing),
        case!("a_json_listing_by_accept", Plain, "GET /pics/ HTTP/1.1\r\nHost: x\r\nAccept: application/json\r\n\r\n", 200, DirectoryListing,
            has ["Content-Type: application/json", "Vary: Accept"], lacks [CSP], Listing),
        case!("a_browser_gets_html", Plain, "GET /pics/ HTTP/1.1\r\nHost: x\r\nAccept: text/html,application/xhtml+xml,*/*;q=0.8\r\n\r\n", 200, DirectoryListing,
            has ["Content-Type: text/html; charset=utf-8", LISTING], lacks [], Listing),
        case!("the_listing_script", Plain, "GET /.simplehttp/listing.js?v=1 HTTP/1.1\r\nHost: x\r\n\r\n", 200, ListingAsset,
            has ["Content-Type: text/javascript; charset=utf-8", NOSNIFF, "Cache-Control: public, max-age=31536000, immutable"], lacks [CSP], Bytes),
        case!("the_listing_stylesheet_head", ReadOnlyStore, "HEAD /.simplehttp/listing.css HTTP/1.1\r\nHost: x\r\n\r\n", 200, ListingAsset,
            has ["Content-Type: text/css; charset=utf-8", NOSNIFF], lacks [], Empty),
        case!("an_unknown_reserved_name", Plain, "GET /.simplehttp/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 404, ReservedPath,
            has [], lacks [], Text),
        case!("below_an_asset", Plain, "GET /.simplehttp/listing.js/x HTTP/1.1\r\nHost: x\r\n\r\n", 404, ReservedPath,
            has [], lacks [], Text),
        case!("the_reserved_folder", Plain, "GET /.simplehttp/ HTTP/1.1\r\nHost: x\r\n\r\n", 404, ReservedPath,
            has [], lacks [], Text),
        case!("an_upload_to_the_reserved_path", Plain, "PUT /.simplehttp/listing.js HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", 405, ReservedPath,
            has ["Allow: GET, HEAD, OPTIONS"], lacks [], Text),
        case!("a_delete_of_the_reserved_path", Plain, "DELETE /.simplehttp/listing.css HTTP/1.1\r\nHost: x\r\n\r\n", 405, ReservedPath,
            has ["Allow: GET, HEAD, OPTIONS"], lacks [], Text),
        case!("an_encoded_reserved_path", Plain, "PUT /%2Esimplehttp/x HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nx", 405, ReservedPath,
            has [], lacks [], Text),
        case!(
            "text_is_not_sniffed_nor_sandboxed",
            Plain,
            "GET /hello.txt HTTP/1.1\r\nHost: x\r\n\r\n",
            200,
            ServeFile,
            has[NOSNIFF],
            lacks[CSP],
            File(0, 11)
        ),
        case!("an_image_is_not_sniffed_nor_sandboxed", Plain, "GET /pics/a.png HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has ["Content-Type: image/png", NOSNIFF], lacks [CSP], File(0, 4)),
        case!(
            "an_error_is_not_sniffed",
            Plain,
            "GET /nope HTTP/1.1\r\nHost: x\r\n\r\n",
            404,
            NotFound,
            has[NOSNIFF],
            lacks[CSP],
            Text
        ),
        case!("not_modified_has_no_type", Plain, "GET /docs/index.html HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n", 304, NotModifiedEtag,
            has [], lacks ["Content-Type", "X-Content-Type-Options", CSP], Empty),
        case!("options_has_no_type", Plain, "OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n", 204, Options,
            has [], lacks ["X-Content-Type-Options"], Empty),
        case!(
            "read_only_policy_trusts_its_html",
            ReadOnlyPolicy,
            "GET /docs/index.html HTTP/1.1\r\nHost: x\r\n\r\n",
            200,
            ServeFile,
            has[NOSNIFF],
            lacks[CSP],
            File(0, 13)
        ),
        case!(
            "read_only_store_trusts_its_svg",
            ReadOnlyStore,
            "GET /up/page.svg HTTP/1.1\r\nHost: x\r\n\r\n",
            200,
            ServeFile,
            has[NOSNIFF],
            lacks[CSP],
            File(0, 6)
        ),
        case!(
            "read_only_listing_is_not_sandboxed",
            ReadOnlyStore,
            "GET /pics/ HTTP/1.1\r\nHost: x\r\n\r\n",
            200,
            DirectoryListing,
            has[NOSNIFF, LISTING],
            lacks[SANDBOX],
            Listing
        ),
        case!(
            "trusted_html_is_not_sandboxed",
            TrustedHtml,
            "GET /docs/index.html HTTP/1.1\r\nHost: x\r\n\r\n",
            200,
            ServeFile,
            has[NOSNIFF],
            lacks[CSP],
            File(0, 13)
        ),
        case!("credentials_do_not_make_html_trusted", Credentials, "GET /up/page.svg HTTP/1.1\r\nHost: x\r\n\r\n", 200, ServeFile,
            has [SANDBOX], lacks [], File(0, 6)),
    ]);
}

#[test]
fn connection_follows_the_request() {
    use Plan::*;
    check(&[
        case!("http_1_0_closes", Plain, "GET /hello.txt HTTP/1.0\r\n\r\n", 200, ServeFile,
            has ["Connection: close"], lacks [], File(0, 11)),
        case!("http_1_0_keep_alive_is_echoed", Plain, "GET /hello.txt HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", 200, ServeFile,
            has ["Connection: keep-alive"], lacks [], File(0, 11)),
        case!("connection_close_is_honoured", Plain, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 200, ServeFile,
            has ["Connection: close"], lacks [], File(0, 11)),
        case!("unread_request_body_closes", Plain, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc", 200, ServeFile,
            has ["Connection: close"], lacks [], File(0, 11)),
        case!("empty_request_body_keeps_alive", Plain, "GET /hello.txt HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n", 200, ServeFile,
            has [], lacks ["Connection"], File(0, 11)),
    ]);
}

#[test]
fn listing_shows_entries_sorted_with_links() {
    let reply = run(
        "GET /pics/ HTTP/1.1\r\nHost: x\r\n\r\n",
        &store(),
        &Policy::default(),
    );
    let Body::Listing(listing) = &reply.body else {
        panic!("{:?}", reply.body)
    };
    let html = String::from_utf8(listing.to_bytes()).unwrap();
    assert!(html.contains("<title>Index of /pics/</title>"), "{html}");
    assert!(html.contains("<a href=\"../\" aria-label=\"Parent folder\">../</a>"));
    let sub = html.find("href=\"./sub/\">sub/</a>").expect("sub/");
    let a = html
        .find("href=\"./a.png\">a.png</a></td><td title=\"4 bytes\">4 B</td><td><time datetime=\"2001-09-09T01:46:40Z\">2001-09-09 01:46 UTC</time>")
        .expect("a.png");
    let bc = html
        .find("href=\"./b%20c.txt\">b c.txt</a>")
        .expect("b c.txt");
    assert!(sub < a && a < bc, "{html}");
}

#[test]
fn listings_leave_dot_names_out_uncounted_unless_hidden() {
    let names = |path: &str, policy: &Policy, json: bool| {
        let q = if json { "?format=json" } else { "" };
        let reply = run(
            &format!("GET {path}{q} HTTP/1.1\r\nHost: x\r\n\r\n"),
            &store(),
            policy,
        );
        let Body::Listing(listing) = &reply.body else {
            panic!("{:?}", reply.body)
        };
        let shown: Vec<String> = listing.iter().map(|e| e.name.clone()).collect();
        let text = String::from_utf8(listing.to_bytes()).unwrap();
        (shown, listing.left_out(), text)
    };
    let plain = Policy::default();
    let (root, left_out, html) = names("/", &plain, false);
    assert_eq!(root, ["docs", "pics", "up", "empty.txt", "hello.txt"]);
    assert_eq!(left_out, 0);
    assert!(!html.contains(".env") && !html.contains(".git"), "{html}");
    assert!(!html.contains("cannot be shown"), "{html}");
    let (_, _, json) = names("/", &plain, true);
    assert!(!json.contains(".env") && !json.contains(".git"), "{json}");
    assert_eq!(json.matches("\"name\"").count(), 5, "{json}");
    let (pics, _, html) = names("/pics/", &plain, false);
    assert_eq!(pics, ["sub", "a.png", "b c.txt"]);
    assert!(!html.contains(".thumbs"), "{html}");
    // Sorted another way, still without them.
    let (by_size, _, _) = names("/pics/?sort=size&order=desc&", &plain, false);
    assert_eq!(by_size, ["sub", "a.png", "b c.txt"]);

    let hidden = Policy {
        hidden: true,
        ..Policy::default()
    };
    let (root, _, html) = names("/", &hidden, false);
    assert_eq!(
        root,
        [
            ".git",
            "docs",
            "pics",
            "up",
            ".env",
            "empty.txt",
            "hello.txt"
        ]
    );
    assert!(html.contains("href=\"./.env\""), "{html}");
    let (_, _, json) = names("/", &hidden, true);
    assert!(json.contains("\"name\":\".env\""), "{json}");
}

#[test]
fn an_asset_answers_if_none_match_with_304() {
    let first = run(
        "GET /.simplehttp/listing.js HTTP/1.1\r\nHost: x\r\n\r\n",
        &store(),
        &Policy::default(),
    );
    let Some(HeaderValue::Owned(tag)) = first.header("etag") else {
        panic!("{first:?}")
    };
    let again = run(
        &format!("GET /.simplehttp/listing.js HTTP/1.1\r\nHost: x\r\nIf-None-Match: {tag}\r\n\r\n"),
        &store(),
        &Policy::default(),
    );
    assert_eq!((again.status, &again.body), (304, &Body::Empty));
    assert_eq!(again.header("etag"), first.header("etag"));
    // The page links this version.
    let page = run(
        "GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        &store(),
        &Policy::default(),
    );
    let Body::Listing(listing) = &page.body else {
        panic!("{:?}", page.body)
    };
    let html = String::from_utf8(listing.to_bytes()).unwrap();
    let v = tag.trim_matches('"');
    assert!(
        html.contains(&format!("/.simplehttp/listing.js?v={v}\"")),
        "{html}"
    );
}

#[test]
fn put_then_finish_then_get_round_trips() {
    let store = store();
    store.set_now(Timestamp(T0 + 500));
    let policy = Policy::default();
    let planned = run(put("/new%20dir/f.txt", "", "12345"), &store, &policy);
    let Body::Upload(plan) = &planned.body else {
        panic!("{planned:?}")
    };
    let mut up = store.begin_upload(&plan.path).unwrap();
    up.write(b"12345").unwrap();
    let done = finish(&planned, up.commit(), NOW);
    let head = head_of(&done);
    assert!(head.starts_with("HTTP/1.1 201 Created\r\n"), "{head}");
    assert!(
        head.contains("\r\nLocation: /new%20dir/f.txt\r\n"),
        "{head}"
    );
    assert!(head.contains("\r\nContent-Length: 0\r\n"), "{head}");

    let got = run(
        "GET /new%20dir/f.txt HTTP/1.1\r\nHost: x\r\n\r\n",
        &store,
        &policy,
    );
    assert_eq!(got.status, 200);
    assert!(head_of(&got).contains("Last-Modified: Sun, 09 Sep 2001 01:55:00 GMT"));
    let Body::File { path, start, len } = &got.body else {
        panic!()
    };
    assert_eq!(store.read(path, *start, *len).unwrap(), b"12345");

    // Replacing it answers 204 and changes the ETag.
    let old_tag = got.header("etag").cloned();
    let planned = run(put("/new%20dir/f.txt", "", "6789"), &store, &policy);
    let Body::Upload(plan) = &planned.body else {
        panic!()
    };
    let mut up = store.begin_upload(&plan.path).unwrap();
    up.write(b"6789").unwrap();
    assert_eq!(finish(&planned, up.commit(), NOW).status, 204);
    let got = run(
        "GET /new%20dir/f.txt HTTP/1.1\r\nHost: x\r\n\r\n",
        &store,
        &policy,
    );
    assert_ne!(got.header("etag").cloned(), old_tag);
}

#[test]
fn delete_then_finish_removes() {
    let store = store();
    let planned = run(
        "DELETE /pics/a.png HTTP/1.1\r\nHost: x\r\n\r\n",
        &store,
        &Policy::default(),
    );
    let Body::Remove(path) = &planned.body else {
        panic!()
    };
    assert_eq!(
        path,
        &StorePath::root()
            .join("pics")
            .unwrap()
            .join("a.png")
            .unwrap()
    );
    let done = finish(&planned, store.remove(path), NOW);
    assert_eq!((done.status, done.rule), (204, Rule::Delete));
    let again = finish(&planned, store.remove(path), NOW);
    assert_eq!(again.status, 404);
}

#[test]
fn store_failures_map_to_their_status() {
    let store = MemoryStore::new().with_capacity_limit(3);
    let planned = run(put("/big", "", "1234"), &store, &Policy::default());
    let Body::Upload(plan) = &planned.body else {
        panic!()
    };
    let mut up = store.begin_upload(&plan.path).unwrap();
    let outcome = up.write(b"1234");
    let done = finish(&planned, outcome, NOW);
    assert_eq!((done.status, done.close), (507, true));
    assert!(head_of(&done).starts_with("HTTP/1.1 507 Insufficient Storage\r\n"));
}

#[test]
fn every_rule_says_which_rfc_section() {
    let reply = run(
        "GET /hello.txt HTTP/1.1\r\nHost: x\r\nIf-None-Match: *\r\n\r\n",
        &store(),
        &Policy::default(),
    );
    assert_eq!(
        reply.rule.explain(),
        "If-None-Match matches the current ETag → 304"
    );
    assert_eq!(reply.rule.rfc(), "RFC 9110 §13.1.2");
}
