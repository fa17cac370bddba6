// How other HTTP/1.1 parsers read the bytes request smuggling lives on: a reviewed table,
// shipped with the page, and the panel that shows the row for the input at hand.
//
// Every claim names its source: a file and lines at the commit that was read, a
// documentation page, an advisory or the RFC. A claim nobody checked says "not verified".
// simplehttp's own column is not in this table: the panel shows what the core's parser did
// with the bytes (its error name, status and RFC section, or the framing rule it chose).
// `simplehttp` in each row is only the reviewed expectation, which a test compares with
// the live parser for every preset the row names (tests/browser/parsers.test.mjs).

const NGINX = "https://github.com/nginx/nginx/blob/3f6f7824d4e2eb1ac37dec76683d525ac0ff521c/src/http/";
const LLHTTP = "https://github.com/nodejs/llhttp/blob/01e105a30fd06e248bc8ac73c4adb34a63d4114a/";
const H11 = "https://github.com/python-hyper/h11/blob/62c5068c971579d61fa1b55373390e12f25fd856/h11/";
const GO = "https://github.com/golang/go/blob/master/src/";
const HTTPD = "https://github.com/apache/httpd/blob/0cb680442ecaa6118cc610b5ecc6e824330bf61a/";
const HAPROXY = "https://github.com/haproxy/haproxy/blob/50872daa6a857e82afc40b1c5161924aef4172d7/";
const RFC9112 = "https://www.rfc-editor.org/rfc/rfc9112";

/** A source: `label` says what it is, `url` where to read it. */
const src = (label, url) => ({ label, url });
const lines = (base, file, from, to) =>
  src(`${file} L${from}${to && to !== from ? `–${to}` : ""}`, `${base}${file}#L${from}${to && to !== from ? `-L${to}` : ""}`);

const ngx = (file, from, to) => lines(NGINX, file, from, to);
const llh = (file, from, to) => lines(LLHTTP, file, from, to);
const h11 = (file, from, to) => lines(H11, file, from, to);
const apache = (file, from, to) => lines(HTTPD, file, from, to);
const hap = (file, from, to) => lines(HAPROXY, file, from, to);
const go = (file, what) => src(`${file}, ${what}`, `${GO}${file}`);
const rfc = (section, anchor) => src(`RFC 9112 §${section}`, `${RFC9112}#${anchor}`);

/** The parsers compared, and what of each was read. */
export const PARSERS = [
  { id: "nginx", name: "nginx", read: "src/http at commit 3f6f782 (2026-08)" },
  { id: "llhttp", name: "Node.js (llhttp)", read: "llhttp at commit 01e105a (2026-06), default strict mode" },
  { id: "h11", name: "Python h11", read: "h11 at commit 62c5068 (2025-04)" },
  { id: "go", name: "Go net/http", read: "Go's master branch (functions named; lines not pinned)" },
  { id: "apache", name: "Apache httpd", read: "httpd trunk at commit 0cb6804 (2024-10), default HttpProtocolOptions Strict" },
  { id: "haproxy", name: "HAProxy", read: "haproxy at commit 50872da (2026-08), without option accept-invalid-http-request" },
];

/** The verdicts a claim may give. */
export const VERDICTS = ["refuses", "accepts", "not verified"];

const refuses = (text, ...sources) => ({ verdict: "refuses", text, sources });
const accepts = (text, ...sources) => ({ verdict: "accepts", text, sources });

/**
 * One row per ambiguous input. `presets` are the request presets (presets.js) that show it;
 * `detect` says how the panel recognises it in any input from the core's parse result:
 * `code` (an error's name, or one of `also`) with an optional `byte` (the value, or values,
 * at the error's offset) and
 * `after` ("hex" or "other": what precedes it), or `accepted` (a fact of an accepted
 * message). `simplehttp` is the expected outcome: `{ refuses: Name, status }` or
 * `{ accepts: framing, length? }`.
 */
export const CASES = [
  {
    id: "cl-te",
    title: "Content-Length and Transfer-Encoding together",
    presets: ["smuggle", "te-cl"],
    detect: { code: "ContentLengthWithTransferEncoding" },
    rfc: {
      text: "Transfer-Encoding overrides the Content-Length; such a message might indicate an attempt to perform request smuggling and ought to be handled as an error. A server MAY reject it, and MUST close the connection after responding (§6.1).",
      sources: [rfc("6.3", "section-6.3"), rfc("6.1", "section-6.1"),
        src("Linhart, Klein, Heled, Orrin: HTTP Request Smuggling (Watchfire, 2005), as cited by Wikipedia", "https://en.wikipedia.org/wiki/HTTP_request_smuggling")],
    },
    simplehttp: { refuses: "ContentLengthWithTransferEncoding", status: 400 },
    claims: {
      nginx: refuses("400: \"client sent Content-Length and Transfer-Encoding headers at the same time\", in either order.",
        ngx("ngx_http_request.c", 2063, 2075)),
      llhttp: refuses("Error, in either order: \"Transfer-Encoding can't be present with Content-Length\" (or the reverse) since llhttp 9, unless the lenient chunked-length flag is set.",
        llh("src/llhttp/http.ts", 588, 613)),
      h11: accepts("Reads it as chunked: \"T-E beats C-L\"; Content-Length is ignored and no error is raised.",
        h11("_connection.py", 126, 135)),
      go: accepts("Reads it as chunked and deletes Content-Length (fixLength: \"Chunked-encoding requests with either valid Content-Length headers or no Content-Length headers are accepted after removing the Content-Length field\").",
        go("net/http/transfer.go", "func fixLength")),
      apache: accepts("Reads it as chunked, unsets Content-Length and closes the connection after the response.",
        apache("modules/http/http_core.c", 311, 323)),
      haproxy: accepts("Reads it as chunked, removes Content-Length before forwarding and forces the connection to close.",
        hap("src/h1.c", 1192, 1201)),
    },
  },
  {
    id: "cl-twice-equal",
    title: "Content-Length twice with the same value",
    presets: ["cl-twice-equal"],
    detect: { accepted: "content-length-repeated" },
    rfc: {
      text: "A recipient of a Content-Length made of a list of identical values MAY reject the message as invalid or replace the duplicates with one valid Content-Length (RFC 9110 §8.6).",
      sources: [src("RFC 9110 §8.6", "https://www.rfc-editor.org/rfc/rfc9110#section-8.6"), rfc("6.3", "section-6.3")],
    },
    simplehttp: { accepts: "length", length: 5 },
    claims: {
      nginx: refuses("400: Content-Length is a unique header, so a second line is \"client sent duplicate header line\", whatever its value.",
        ngx("ngx_http_request.c", 113, 115), ngx("ngx_http_request.c", 1855, 1862)),
      llhttp: refuses("Error \"Duplicate Content-Length\", whatever the values.",
        llh("src/llhttp/http.ts", 772, 775)),
      h11: accepts("Keeps one: repeated equal values are collapsed, differing ones refused.",
        h11("_headers.py", 172, 185)),
      go: accepts("Keeps one: \"If there are dups of the value, remove the dups\" (Issue 16490).",
        go("net/http/transfer.go", "func fixLength")),
      apache: refuses("400: the two lines are merged into \"5, 5\", which the strict Content-Length check then refuses.",
        apache("server/protocol.c", 1041, 1044), apache("server/protocol.c", 1443, 1455)),
      haproxy: accepts("Keeps one: \"if duplicate, must be equal\"; the second occurrence is dropped.",
        hap("src/http.c", 769, 851)),
    },
  },
  {
    id: "cl-twice-differ",
    title: "Content-Length twice with different values",
    presets: ["cl-twice-differ"],
    detect: { code: "ConflictingContentLength" },
    rfc: {
      text: "Without Transfer-Encoding, an invalid Content-Length makes the framing invalid: an unrecoverable error; a server MUST answer 400 and close the connection (rule 5).",
      sources: [rfc("6.3", "section-6.3"), src("RFC 9110 §8.6", "https://www.rfc-editor.org/rfc/rfc9110#section-8.6")],
    },
    simplehttp: { refuses: "ConflictingContentLength", status: 400 },
    claims: {
      nginx: refuses("400: \"client sent duplicate header line\".", ngx("ngx_http_request.c", 1855, 1862)),
      llhttp: refuses("Error \"Duplicate Content-Length\".", llh("src/llhttp/http.ts", 772, 775)),
      h11: refuses("LocalProtocolError \"conflicting Content-Length headers\" (400).", h11("_headers.py", 172, 185)),
      go: refuses("Error \"http: message cannot contain multiple Content-Length headers\".",
        go("net/http/transfer.go", "func fixLength")),
      apache: refuses("400: merged into \"5, 6\", refused by the strict Content-Length check.",
        apache("server/protocol.c", 1041, 1044), apache("server/protocol.c", 1443, 1455)),
      haproxy: refuses("400: a duplicate must be equal to the first value.", hap("src/http.c", 827, 831)),
    },
  },
  {
    id: "cl-list",
    title: "Content-Length as a comma-separated list (5, 5)",
    presets: ["cl-list"],
    detect: { accepted: "content-length-list" },
    rfc: {
      text: "Content-Length = 1*DIGIT; a list of identical values (\"42, 42\") MAY be rejected or replaced by the single value (RFC 9110 §8.6).",
      sources: [src("RFC 9110 §8.6", "https://www.rfc-editor.org/rfc/rfc9110#section-8.6")],
    },
    simplehttp: { accepts: "length", length: 5 },
    claims: {
      nginx: refuses("400 \"client sent invalid Content-Length header\": the value must be digits only (ngx_atoof).",
        ngx("ngx_http_request.c", 2042, 2052)),
      llhttp: refuses("Error \"Invalid character in Content-Length\" at the comma.", llh("src/llhttp/http.ts", 777, 788)),
      h11: accepts("Splits on commas; one distinct value is kept.", h11("_headers.py", 172, 185)),
      go: refuses("Error \"bad Content-Length\": the value must parse as one unsigned integer (strconv.ParseUint).",
        go("net/http/transfer.go", "func parseContentLength")),
      apache: refuses("400: the strict Content-Length check allows digits only.", apache("server/protocol.c", 1443, 1455)),
      haproxy: accepts("Parses the list; equal values stand for one.", hap("src/http.c", 769, 851)),
    },
  },
  {
    id: "bare-lf",
    title: "a line ended by a bare LF",
    presets: ["bare-lf"],
    detect: { code: "InvalidLineEnding", byte: 0x0a },
    rfc: {
      text: "The line terminator is CRLF, but a recipient MAY recognise a single LF as a line terminator and ignore any preceding CR. Node treated it as a vulnerability (CVE-2022-32214).",
      sources: [rfc("2.2", "section-2.2"), src("httpwg/http-core#1097 (bare LF and smuggling)", "https://github.com/httpwg/http-core/issues/1097")],
    },
    simplehttp: { refuses: "InvalidLineEnding", status: 400 },
    claims: {
      nginx: accepts("Accepts LF as the end of the request line and of field lines; its developers call bare LF an accepted line ending.",
        ngx("ngx_http_parse.c", 794, 802), src("nginx/nginx-tests#21", "https://github.com/nginx/nginx-tests/issues/21")),
      llhttp: refuses("Error \"Expected CRLF after version\" (and \"Missing expected CR after header value\" in a field), unless the lenient optional-CR-before-LF flag is set.",
        llh("src/llhttp/http.ts", 524, 533), llh("test/request/invalid.md", 113, 144)),
      h11: accepts("Splits lines on LF and strips a CR before it: \\n and \\n\\n are accepted.",
        h11("_receivebuffer.py", 126, 130)),
      go: accepts("textproto's ReadLine elides \"the final \\n or \\r\\n\", so a bare LF ends a line.",
        src("net/textproto Reader.ReadLine documentation", "https://pkg.go.dev/net/textproto#Reader.ReadLine")),
      apache: refuses("400: with HttpProtocolOptions Strict (the default) request and field lines must end in CRLF.",
        apache("modules/http/http_filters.c", 2213, 2214), apache("server/protocol.c", 393, 400)),
      haproxy: accepts("A line may end in LF alone: CR is optional before the LF.", hap("src/h1.c", 917, 927)),
    },
  },
  {
    id: "bare-cr",
    title: "a bare CR inside a field line",
    presets: ["bare-cr"],
    detect: { code: "InvalidHeaderValue", byte: 0x0d, also: ["InvalidLineEnding"] },
    rfc: {
      text: "A recipient of a bare CR (not followed by LF) MUST consider the element invalid or replace each bare CR with SP before processing it.",
      sources: [rfc("2.2", "section-2.2")],
    },
    simplehttp: { refuses: "InvalidHeaderValue", status: 400 },
    claims: {
      nginx: refuses("400: after CR only LF may follow (sw_almost_done).", ngx("ngx_http_parse.c", 1101, 1110)),
      llhttp: refuses("Error \"Missing expected LF after header value\" (its test \"Headers separated by CR\").",
        llh("src/llhttp/http.ts", 867, 870), llh("test/request/invalid.md", 87, 111)),
      h11: refuses("400 \"illegal header line\": a field value may hold no whitespace other than SP and HTAB between visible characters.",
        h11("_abnf.py", 55, 70), h11("_readers.py", 65, 68)),
      go: refuses("Error \"malformed MIME header line\": a CR is not a valid field-value byte (validHeaderValueByte).",
        go("net/textproto/reader.go", "func readMIMEHeader")),
      apache: refuses("400 \"Request header value is malformed\": only VCHAR, SP, HT and obs-text are allowed.",
        apache("server/protocol.c", 1002, 1016)),
      haproxy: refuses("400: a CR must be followed by LF (EXPECT_LF_HERE).", hap("src/h1.c", 917, 927)),
    },
  },
  {
    id: "obs-fold",
    title: "obs-fold: a field value continued on the next line",
    presets: ["obs-fold"],
    detect: { code: "ObsoleteLineFolding" },
    rfc: {
      text: "A server that receives obs-fold in a request MUST either reject it with 400 or replace each obs-fold with SP before interpreting the value or forwarding the message.",
      sources: [rfc("5.2", "section-5.2")],
    },
    simplehttp: { refuses: "ObsoleteLineFolding", status: 400 },
    claims: {
      nginx: refuses("400 \"client sent invalid header line\": a line may not start with whitespace.", ngx("ngx_http_parse.c", 945, 951)),
      llhttp: refuses("Error \"Unexpected whitespace after header value\", unless the lenient headers flag is set.",
        llh("src/llhttp/http.ts", 872, 881)),
      h11: accepts("Joins the continuation onto the value with one space.", h11("_readers.py", 43, 62)),
      go: accepts("Joins it: \"New lines and WS before each line-fold are replaced with a single SP\".",
        go("net/textproto/reader.go", "func readMIMEHeader")),
      apache: accepts("Appends the continuation, replacing the fold with SP (also in Strict mode).", apache("server/protocol.c", 905, 918)),
      haproxy: accepts("Replaces the CR LF and leading whitespace with spaces and reads on.", hap("src/h1.c", 929, 937)),
    },
  },
  {
    id: "space-colon",
    title: "whitespace between field name and colon",
    presets: ["space-colon"],
    detect: { code: "WhitespaceBeforeColon" },
    rfc: {
      text: "No whitespace is allowed between the field name and colon; a server MUST reject such a request with 400.",
      sources: [rfc("5.1", "section-5.1")],
    },
    simplehttp: { refuses: "WhitespaceBeforeColon", status: 400 },
    claims: {
      nginx: refuses("400 \"client sent invalid header line\": a space ends no header name.", ngx("ngx_http_parse.c", 1017, 1020)),
      llhttp: refuses("Error \"Invalid header field char\", unless the lenient headers flag is set.", llh("src/llhttp/http.ts", 624, 639)),
      h11: refuses("400 \"illegal header line\": the name must be followed by the colon.", h11("_abnf.py", 64, 70)),
      go: refuses("Refused by Go servers since Go 1.13.1 (CVE-2019-16276), which before accepted and normalised it.",
        src("golang/go#34540", "https://github.com/golang/go/issues/34540"),
        src("Go 1.13.1 security announcement, as quoted in containerd#3687", "https://github.com/containerd/containerd/pull/3687")),
      apache: refuses("400 \"Request header field name is malformed\" (Strict).", apache("server/protocol.c", 984, 995)),
      haproxy: refuses("400 at the first non-token byte of a name, unless option accept-invalid-http-request is set.",
        hap("src/h1.c", 803, 833)),
    },
  },
  {
    id: "chunked-not-last",
    title: "Transfer-Encoding with chunked not the last coding",
    presets: ["chunked-not-last"],
    detect: { code: "ChunkedNotLast" },
    rfc: {
      text: "If Transfer-Encoding is present in a request and chunked is not the final coding, the body length cannot be determined reliably: the server MUST answer 400 and close the connection.",
      sources: [rfc("6.3", "section-6.3"), rfc("6.1", "section-6.1")],
    },
    simplehttp: { refuses: "ChunkedNotLast", status: 400 },
    claims: {
      nginx: refuses("501 \"client sent unknown Transfer-Encoding\": only the exact value \"chunked\" is accepted.",
        ngx("ngx_http_request.c", 2064, 2083)),
      llhttp: refuses("Error \"Invalid `Transfer-Encoding` header value\": in a request nothing may follow chunked.",
        llh("src/llhttp/http.ts", 699, 715), llh("src/llhttp/http.ts", 744, 750)),
      h11: refuses("\"Only Transfer-Encoding: chunked is supported\" (501).", h11("_headers.py", 185, 203)),
      go: refuses("Error \"unsupported transfer encoding\": a lone \"chunked\" is all it accepts (status not verified).",
        go("net/http/transfer.go", "func parseTransferEncoding")),
      apache: refuses("400 \"client sent unknown Transfer-Encoding\" when chunked is not the last coding.",
        apache("modules/http/http_core.c", 295, 308)),
      haproxy: refuses("400: in a request, no coding may follow chunked.", hap("src/h1.c", 86, 102)),
    },
  },
  {
    id: "chunk-lead-space",
    title: "chunk size with leading whitespace",
    presets: ["chunk-lead-space"],
    detect: { code: "InvalidChunkSize", byte: [0x20, 0x09], after: "other" },
    rfc: {
      text: "chunk-size = 1*HEXDIG: nothing may come before the digits.",
      sources: [rfc("7.1", "section-7.1")],
    },
    simplehttp: { refuses: "InvalidChunkSize", status: 400 },
    claims: {
      nginx: refuses("400: the first byte of a chunk line must be a hex digit.", ngx("ngx_http_parse.c", 2255, 2270)),
      llhttp: refuses("Error \"Invalid character in chunk size\".", llh("src/llhttp/http.ts", 940, 944)),
      h11: refuses("\"illegal chunk header\": the line must match the chunk-header pattern from its first byte.",
        h11("_abnf.py", 118, 131), h11("_readers.py", 176, 184)),
      go: refuses("Error \"invalid byte in chunk length\": only trailing whitespace is trimmed.",
        go("net/http/internal/chunked.go", "func readChunkLine, func parseHexUint")),
      apache: refuses("Refused: an invalid first character ends the body with an error.", apache("modules/http/http_filters.c", 134, 141)),
      haproxy: refuses("400: an empty size is not allowed.", hap("include/haproxy/h1.h", 295, 297)),
    },
  },
  {
    id: "chunk-trail-space",
    title: "chunk size with trailing whitespace",
    presets: ["chunk-trail-space"],
    detect: { code: "InvalidChunkSize", byte: [0x20, 0x09], after: "hex" },
    rfc: {
      text: "chunk = chunk-size [ chunk-ext ] CRLF; whitespace (BWS) is allowed only around the ';' of an extension.",
      sources: [rfc("7.1", "section-7.1"), rfc("7.1.1", "section-7.1.1")],
    },
    simplehttp: { refuses: "InvalidChunkSize", status: 400 },
    claims: {
      nginx: accepts("Takes a space or tab after the size as the start of an extension, skipped up to CR.", ngx("ngx_http_parse.c", 2306, 2330)),
      llhttp: refuses("Error \"Invalid character in chunk size\", unless the lenient spaces-after-chunk-size flag is set.",
        llh("src/llhttp/http.ts", 950, 958)),
      h11: accepts("Allows OWS before the CRLF (\"some servers in the wild use it\").", h11("_abnf.py", 125, 131)),
      go: accepts("Trims trailing whitespace from the chunk line before parsing the size.",
        go("net/http/internal/chunked.go", "func readChunkLine (trimTrailingWhitespace)")),
      apache: accepts("Allows up to 10 bytes of whitespace between the size and CRLF.", apache("modules/http/http_filters.c", 190, 205)),
      haproxy: accepts("Skips spaces and tabs after the size.", hap("include/haproxy/h1.h", 299, 304)),
    },
  },
  {
    id: "chunk-0x",
    title: "chunk size with a 0x prefix",
    presets: ["chunk-0x"],
    detect: { code: "InvalidChunkSize", byte: [0x78, 0x58] },
    rfc: {
      text: "chunk-size = 1*HEXDIG: \"0x5\" is the size 0 followed by junk.",
      sources: [rfc("7.1", "section-7.1")],
    },
    simplehttp: { refuses: "InvalidChunkSize", status: 400 },
    claims: {
      nginx: refuses("400: after \"0\" only CR, ';', SP or HT may follow.", ngx("ngx_http_parse.c", 2288, 2303)),
      llhttp: refuses("Error \"Invalid character in chunk size\".", llh("src/llhttp/http.ts", 950, 971)),
      h11: refuses("\"illegal chunk header\": 'x' is neither a hex digit nor the start of an extension.", h11("_abnf.py", 118, 131)),
      go: refuses("Error \"invalid byte in chunk length\".", go("net/http/internal/chunked.go", "func parseHexUint")),
      apache: refuses("Refused: the leading zero is skipped, then 'x' is a bogus character.", apache("modules/http/http_filters.c", 213, 240)),
      haproxy: refuses("400: after the digits only whitespace, ';' or CR may follow.", hap("include/haproxy/h1.h", 306, 366)),
    },
  },
  {
    id: "chunk-overflow",
    title: "chunk size past 64 bits",
    presets: ["chunk-overflow"],
    detect: { code: "ChunkSizeOverflow" },
    rfc: {
      text: "Recipients MUST anticipate potentially large hexadecimal numerals and prevent parsing errors due to integer conversion overflows. A parser that wraps reads 2^64 + 5 as 5.",
      sources: [rfc("7.1", "section-7.1")],
    },
    simplehttp: { refuses: "ChunkSizeOverflow", status: 400 },
    claims: {
      nginx: refuses("400 once the size passes the largest off_t.", ngx("ngx_http_parse.c", 2273, 2275)),
      llhttp: refuses("Error \"Chunk size overflow\".", llh("src/llhttp/http.ts", 936, 938)),
      h11: accepts("Allows up to 20 hex digits and converts with Python's unbounded int: no wrap, it expects 2^64 + 5 bytes.",
        h11("_abnf.py", 113, 118), h11("_readers.py", 187, 187)),
      go: refuses("Error \"http chunk length too large\" at the 17th digit.", go("net/http/internal/chunked.go", "func parseHexUint")),
      apache: refuses("Refused as an overflow (APR_ENOSPC) past the bits of apr_off_t.", apache("modules/http/http_filters.c", 217, 226)),
      haproxy: refuses("400 past 13 hex digits (2^52 − 1).", hap("include/haproxy/h1.h", 280, 291)),
    },
  },
  {
    id: "chunk-ext",
    title: "a chunk extension (5;name=value)",
    presets: ["chunk-ext", "chunked"],
    detect: { accepted: "chunk-extension" },
    rfc: {
      text: "chunk-ext = *( BWS \";\" BWS chunk-ext-name [ BWS \"=\" BWS chunk-ext-val ] ); a recipient MUST ignore unrecognised extensions. Parsers that skip them loosely disagree on where the line ends.",
      sources: [rfc("7.1.1", "section-7.1.1")],
    },
    simplehttp: { accepts: "chunked" },
    claims: {
      nginx: accepts("Skips the extension up to CR; an LF inside it is refused.", ngx("ngx_http_parse.c", 2322, 2331)),
      llhttp: accepts("Parses name and value (token or quoted string) and reports them through callbacks.", llh("src/llhttp/http.ts", 973, 1061)),
      h11: accepts("Matches \";.*\" and discards it (\"XX FIXME: we discard chunk extensions\").", h11("_abnf.py", 120, 124), h11("_readers.py", 186, 186)),
      go: accepts("Cuts the line at the first ';' without checking the syntax.", go("net/http/internal/chunked.go", "func removeChunkExtension")),
      apache: accepts("Skips it, refusing control characters other than HT.", apache("modules/http/http_filters.c", 179, 188)),
      haproxy: accepts("Skips it up to CRLF, checking quotes and backslashes.", hap("include/haproxy/h1.h", 325, 363)),
    },
  },
  {
    id: "te-http10",
    title: "Transfer-Encoding in an HTTP/1.0 request",
    presets: ["te-http10"],
    detect: { code: "TransferEncodingInHttp10" },
    rfc: {
      text: "A recipient of an HTTP/1.0 message with Transfer-Encoding MUST treat the framing as faulty, even with Content-Length, and close the connection after processing the message.",
      sources: [rfc("6.1", "section-6.1")],
    },
    simplehttp: { refuses: "TransferEncodingInHttp10", status: 400 },
    claims: {
      nginx: refuses("400 \"client sent HTTP/1.0 request with Transfer-Encoding header\".", ngx("ngx_http_request.c", 2055, 2061)),
      llhttp: accepts("Reads it as chunked: the framing decision does not look at the version.", llh("src/native/http.c", 37, 90)),
      h11: accepts("Reads it as chunked (framing does not look at the version) and closes after, as with any HTTP/1.0 peer.",
        h11("_connection.py", 93, 141)),
      go: accepts("Ignores Transfer-Encoding on HTTP/1.0 requests (Issue 12785): the body has no length unless Content-Length gives one.",
        go("net/http/transfer.go", "func parseTransferEncoding")),
      apache: accepts("Reads it as chunked: the Transfer-Encoding check covers HTTP/1.0 and 1.1.", apache("modules/http/http_core.c", 287, 323)),
      haproxy: accepts("Reads it as chunked and forces the connection to close.", hap("src/h1.c", 1202, 1205)),
    },
  },
];

// ---------------------------------------------------------------------------------------
// Which row the input at hand is
// ---------------------------------------------------------------------------------------

const isHex = (b) => (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66);

/** The row for an input: the selected preset's, else the one the core's parse result
 * points to (`steps` as parseRequest gives them, `bytes` the input). */
export function caseFor(presetId, steps, bytes) {
  if (presetId) {
    const byPreset = CASES.find((c) => c.presets.includes(presetId));
    if (byPreset) return byPreset;
  }
  const err = steps.find((s) => s.kind === "error");
  if (err) {
    const at = err.at ?? -1;
    const byte = at >= 0 && at < bytes.length ? bytes[at] : null;
    const before = at > 0 && at <= bytes.length ? bytes[at - 1] : null;
    return CASES.find(({ detect: d }) => {
      if (d.code !== err.code && !(d.also ?? []).includes(err.code)) return false;
      if (d.byte !== undefined && ![d.byte].flat().includes(byte)) return false;
      if (d.after === "hex" && !(before !== null && isHex(before))) return false;
      if (d.after === "other" && before !== null && isHex(before)) return false;
      return true;
    }) ?? null;
  }
  const facts = new Set();
  for (const s of steps) {
    if (s.kind === "head" && s.fields) {
      const cl = s.fields.filter((f) => f.name.toLowerCase() === "content-length");
      if (cl.length > 1) facts.add("content-length-repeated");
      if (cl.some((f) => f.value.includes(","))) facts.add("content-length-list");
    }
    if (s.kind === "chunk-header" && s.extensions) facts.add("chunk-extension");
  }
  return CASES.find((c) => c.detect.accepted && facts.has(c.detect.accepted)) ?? null;
}

/** What simplehttp's parser did with the message, from its steps: `{ refuses, status, rfc,
 * text, rule }` for an error, else `{ accepts, length, why, rfc, rule, name, lints }` for the
 * first head (`lints`: the texts of its expert info). */
export function simplehttpOutcome(steps) {
  const err = steps.find((s) => s.kind === "error");
  if (err) return { refuses: err.code, status: err.status, rfc: err.rfc, text: err.error, rule: err.framingRule };
  const head = steps.find((s) => s.kind === "head" && !s.interim);
  if (!head) return null;
  return { accepts: head.framing, length: head.length, why: head.framingWhy, rfc: head.framingRfc, rule: head.framingRule,
    name: head.framingRuleName, lints: (head.lints ?? []).map((l) => l.text) };
}

/** Whether the live outcome is the one the table expects. */
export function matchesExpectation(expected, live) {
  if (!live) return false;
  if (expected.refuses) return live.refuses === expected.refuses && live.status === expected.status;
  return live.accepts === expected.accepts && (expected.length === undefined || live.length === expected.length);
}

// ---------------------------------------------------------------------------------------
// The panel
// ---------------------------------------------------------------------------------------

function sourceList(el, sources) {
  const ul = el("ul", { className: "sources" });
  for (const s of sources) ul.append(el("li", {}, el("a", { href: s.url, textContent: s.label, target: "_blank", rel: "noopener" })));
  return ul;
}

/** Draws the panel into `box` for the input at hand, with the page's own helpers: `el`
 * (makes an element) and `rfcLinks` (turns "RFC 9112 §6.3" into links). */
export function renderParsers(box, { presetId, steps, bytes, responseMode, el, rfcLinks }) {
  box.replaceChildren();
  if (responseMode) {
    box.append(el("p", { className: "muted", textContent: "The comparison covers requests, as a server reads them: switch to request mode and pick one of the ambiguous presets." }));
    box.dataset.case = "";
    return;
  }
  const c = caseFor(presetId, steps, bytes);
  box.dataset.case = c ? c.id : "";
  if (!c) {
    box.append(el("p", { className: "muted", textContent: `This input is none of the ${CASES.length} ambiguous cases the table covers. Pick one of the presets after “smuggling attempt” in the list, or type one.` }));
    return;
  }
  box.append(el("h3", { textContent: `${c.title.charAt(0).toUpperCase()}${c.title.slice(1)}` }));
  box.append(el("p", { className: "rfc-says" }, `${c.rfc.text} `), sourceList(el, c.rfc.sources));

  const live = simplehttpOutcome(steps);
  const table = el("table", { className: "parsers" },
    el("caption", { className: "sr-only", textContent: `How other parsers read: ${c.title}` }),
    el("thead", {}, el("tr", {}, el("th", { scope: "col", textContent: "parser" }),
      el("th", { scope: "col", textContent: "verdict" }), el("th", { scope: "col", textContent: "what it does, and the source" }))));
  const body = el("tbody");
  // simplehttp first: what the core's parser did with these very bytes.
  const ok = matchesExpectation(c.simplehttp, live);
  const shRow = el("tr", { className: "simplehttp" });
  shRow.dataset.parser = "simplehttp";
  shRow.dataset.verdict = live?.refuses ? "refuses" : live ? "accepts" : "";
  shRow.dataset.matches = String(ok);
  const shText = el("td");
  if (live?.refuses) {
    shText.append(el("code", { textContent: live.refuses }), ` → ${live.status}: ${live.text}`);
    if (live.rfc) shText.append(" — ", rfcLinks(live.rfc));
    if (live.rule) shText.append(` (RFC 9112 §6.3 rule ${live.rule})`);
  } else if (live) {
    shText.append(`Reads it: ${live.accepts}${live.length !== null && live.length !== undefined ? ` (${live.length} bytes)` : ""}: ${live.why} — `,
      el("code", { textContent: live.name ?? "" }), ", ", rfcLinks(live.rfc), ` rule ${live.rule}.`);
    for (const t of live.lints) shText.append(el("p", { textContent: `Expert info: ${t}.` }));
  } else {
    shText.append("No whole head yet.");
  }
  if (!ok && live) shText.append(el("p", { className: "note", textContent: "This input differs from the preset the row was reviewed with; the row below describes the preset." }));
  shText.append(el("p", { className: "muted", textContent: "From the core's own parser, run on these bytes." }));
  shRow.append(el("th", { scope: "row", textContent: "simplehttp" }),
    el("td", {}, el("span", { className: `verdict v-${shRow.dataset.verdict || "none"}`, textContent: shRow.dataset.verdict || "—" })), shText);
  body.append(shRow);
  for (const p of PARSERS) {
    const claim = c.claims[p.id];
    const verdict = claim && claim.sources?.length ? claim.verdict : "not verified";
    const tr = el("tr");
    tr.dataset.parser = p.id;
    tr.dataset.verdict = verdict;
    const what = el("td", {}, verdict === "not verified" ? "not verified" : claim.text);
    if (verdict !== "not verified") what.append(sourceList(el, claim.sources));
    tr.append(el("th", { scope: "row" }, p.name, el("span", { className: "read", textContent: p.read })),
      el("td", {}, el("span", { className: `verdict v-${verdict.replace(" ", "-")}`, textContent: verdict })), what);
    body.append(tr);
  }
  table.append(body);
  box.append(el("div", { className: "table-wrap" }, table));
}
