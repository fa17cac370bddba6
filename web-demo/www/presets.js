// The explorer's presets and starting store: plain data, shared by the page and by the test
// that checks the explorer answers each preset exactly as a live simple-server does.

// In the editor, these two marks stand for a bare CR and a bare LF byte. Every other line
// break becomes CR LF (or LF, when the CR LF box is unticked): a <textarea> turns CR LF
// into LF, so the page keeps the bytes itself instead of trusting the field's value.
export const CR_MARK = "\u240D"; // ␍
export const LF_MARK = "\u240A"; // ␊

// Files of the store start out modified at this time: Tue, 14 Nov 2023 22:13:20 GMT.
export const THEN = 1700000000;
export const THEN_HTTP = "Tue, 14 Nov 2023 22:13:20 GMT";

// The store the page starts with (file contents as text).
export const DEFAULT_FILE_TEXTS = [
  { path: "docs", dir: true, text: "", modified: THEN },
  { path: "docs/notes.md", dir: false, text: "# Notes\n\nServed by simple-server.\n", modified: THEN },
  { path: "hello.txt", dir: false, text: "hello, world\n", modified: THEN },
];

const H = "Host: example.com\n";
export const PRESETS = [
  { id: "get", name: "GET of a file (200)", text: `GET /hello.txt HTTP/1.1\n${H}User-Agent: explorer/1\nAccept: */*\n\n` },
  { id: "missing", name: "GET of a missing file (404)", text: `GET /missing.txt HTTP/1.1\n${H}\n` },
  { id: "head", name: "HEAD (200, no body)", text: `HEAD /hello.txt HTTP/1.1\n${H}\n` },
  { id: "conditional", name: "conditional GET (304)", text: `GET /hello.txt HTTP/1.1\n${H}If-Modified-Since: ${THEN_HTTP}\n\n` },
  { id: "range", name: "range request (206)", text: `GET /hello.txt HTTP/1.1\n${H}Range: bytes=0-4\n\n` },
  { id: "listing", name: "directory listing (200)", text: `GET /docs/ HTTP/1.1\n${H}\n` },
  { id: "put-new", name: "PUT of a new file (201)", text: `PUT /docs/new.txt HTTP/1.1\n${H}Content-Length: 11\n\nhello again` },
  {
    id: "put-continue",
    name: "PUT with Expect: 100-continue (201)",
    text: `PUT /docs/draft.txt HTTP/1.1\n${H}Expect: 100-continue\nContent-Length: 5\n\ndraft`,
  },
  { id: "put-existing", name: "PUT over a file (204)", text: `PUT /hello.txt HTTP/1.1\n${H}Content-Length: 7\n\nchanged` },
  { id: "delete", name: "DELETE (204)", text: `DELETE /hello.txt HTTP/1.1\n${H}\n` },
  { id: "options", name: "OPTIONS (204)", text: `OPTIONS /hello.txt HTTP/1.1\n${H}\n` },
  { id: "unknown-method", name: "unknown method (405)", text: `BREW /pot HTTP/1.1\n${H}\n` },
  // Accepted, but flagged by expert info (simplehttp-core's lint).
  {
    id: "typo",
    name: "expert info: Content-Lenght typo, the body read as a next request (201, 400)",
    text: `PUT /docs/typo.txt HTTP/1.1\n${H}Content-Lenght: 7\n\nhello\n`,
  },
  { id: "leading-crlf", name: "expert info: empty lines before the request line (200)", text: `\n\nGET /hello.txt HTTP/1.1\n${H}\n` },
  {
    id: "repeated-length",
    name: "expert info: Content-Length twice, equal values (201)",
    text: `PUT /docs/twice.txt HTTP/1.1\n${H}Content-Length: 5\nContent-Length: 5\n\nhello`,
  },
  {
    id: "host-differs",
    name: "expert info: Host unlike the absolute-form target (200)",
    text: "GET http://example.com/hello.txt HTTP/1.1\nHost: other.example\n\n",
  },
  {
    id: "chunked",
    name: "chunked PUT, extensions and trailers (201)",
    text: `PUT /log.txt HTTP/1.1\n${H}Transfer-Encoding: chunked\nTrailer: X-Checksum\n\n5;note=first\nhello\n6\n world\n0\nX-Checksum: 42\n\n`,
  },
  {
    id: "smuggle", ambiguous: true,
    name: "smuggling attempt: Content-Length + Transfer-Encoding (400)",
    text: `POST /upload HTTP/1.1\n${H}Content-Length: 6\nTransfer-Encoding: chunked\n\n0\n\nX`,
  },
  // The ambiguous inputs request smuggling lives on (`ambiguous`): parsers.js says how other
  // parsers read each of them.
  {
    id: "te-cl", ambiguous: true,
    name: "smuggling attempt: Transfer-Encoding + Content-Length (400)",
    text: `POST /upload HTTP/1.1\n${H}Transfer-Encoding: chunked\nContent-Length: 6\n\n0\n\nX`,
  },
  {
    id: "cl-twice-equal", ambiguous: true,
    name: "Content-Length twice, equal values (201)",
    text: `PUT /docs/twice.txt HTTP/1.1\n${H}Content-Length: 5\nContent-Length: 5\n\nhello`,
  },
  {
    id: "cl-twice-differ", ambiguous: true,
    name: "Content-Length twice, different values (400)",
    text: `POST /upload HTTP/1.1\n${H}Content-Length: 5\nContent-Length: 6\n\nhello!`,
  },
  {
    id: "cl-list", ambiguous: true,
    name: "Content-Length: 5, 5 (a list of equal values) (201)",
    text: `PUT /docs/list.txt HTTP/1.1\n${H}Content-Length: 5, 5\n\nhello`,
  },
  { id: "bare-cr", ambiguous: true, name: "bare CR inside a field line (400)", text: `GET / HTTP/1.1\n${H}Foo: 1${CR_MARK}Bar: 2\n\n` },
  { id: "obs-fold", ambiguous: true, name: "obs-fold: a field value continued on the next line (400)", text: `GET / HTTP/1.1\n${H}X-Folded: first\n  second\n\n` },
  {
    id: "space-colon", ambiguous: true,
    name: "whitespace before the colon: \"Content-Length : 5\" (400)",
    text: `POST /upload HTTP/1.1\n${H}Content-Length : 5\n\nhello`,
  },
  {
    id: "chunked-not-last", ambiguous: true,
    name: "Transfer-Encoding: chunked, gzip (chunked not last) (400)",
    text: `POST /upload HTTP/1.1\n${H}Transfer-Encoding: chunked, gzip\n\n0\n\n`,
  },
  {
    id: "chunk-lead-space", ambiguous: true,
    name: "chunk size with leading whitespace (400)",
    text: `PUT /docs/chunk.txt HTTP/1.1\n${H}Transfer-Encoding: chunked\n\n 5\nhello\n0\n\n`,
  },
  {
    id: "chunk-trail-space", ambiguous: true,
    name: "chunk size with trailing whitespace (400)",
    text: `PUT /docs/chunk.txt HTTP/1.1\n${H}Transfer-Encoding: chunked\n\n5 \nhello\n0\n\n`,
  },
  {
    id: "chunk-0x", ambiguous: true,
    name: "chunk size with a 0x prefix (400)",
    text: `PUT /docs/chunk.txt HTTP/1.1\n${H}Transfer-Encoding: chunked\n\n0x5\nhello\n0\n\n`,
  },
  {
    id: "chunk-overflow", ambiguous: true,
    name: "chunk size past 64 bits: 2^64 + 5 (400)",
    text: `PUT /docs/chunk.txt HTTP/1.1\n${H}Transfer-Encoding: chunked\n\n10000000000000005\nhello\n0\n\n`,
  },
  {
    id: "chunk-ext", ambiguous: true,
    name: "chunk extension 5;name=value (201)",
    text: `PUT /docs/ext.txt HTTP/1.1\n${H}Transfer-Encoding: chunked\n\n5;name=value\nhello\n0\n\n`,
  },
  {
    id: "te-http10", ambiguous: true,
    name: "Transfer-Encoding in an HTTP/1.0 request (400)",
    text: `POST /upload HTTP/1.0\n${H}Transfer-Encoding: chunked\n\n5\nhello\n0\n\n`,
  },
  { id: "escape", name: "path escape /../etc/passwd (400)", text: `GET /../etc/passwd HTTP/1.1\n${H}\n` },
  { id: "malformed", name: "malformed request line (400)", text: `GET /hello.txt  HTTP/1.1\n${H}\n` },
  { id: "bare-lf", ambiguous: true, name: "bare LF line ending (400)", text: `GET / HTTP/1.1${LF_MARK}${H}\n` },
  {
    id: "many-headers",
    name: "101 header fields (431)",
    text: `GET / HTTP/1.1\n${H}${Array.from({ length: 100 }, (_, i) => `X-Field-${i + 1}: ${i + 1}\n`).join("")}\n`,
  },
  {
    id: "pipelined",
    name: "three pipelined requests",
    text: `GET /hello.txt HTTP/1.1\n${H}\nHEAD /docs/notes.md HTTP/1.1\n${H}\nGET /missing.txt HTTP/1.1\n${H}Connection: close\n\n`,
  },
];

// Responses, read by the client side of the core. `method` is the request's; `eof` means the
// server closes after the last byte.
export const RESPONSE_PRESETS = [
  {
    id: "r-chunked",
    name: "chunked with trailers",
    text: "HTTP/1.1 200 OK\nContent-Type: text/plain\nTransfer-Encoding: chunked\nTrailer: X-Sum\n\n7\nchunked\n9;ext=1\n response\n0\nX-Sum: 16\n\n",
  },
  // The body has no line break, so its length is the same with CR LF or LF line breaks.
  { id: "r-length", name: "Content-Length", text: "HTTP/1.1 200 OK\nContent-Type: text/plain\nContent-Length: 13\n\nhello, world!" },
  { id: "r-close", name: "close-delimited (HTTP/1.0)", eof: true, text: "HTTP/1.0 200 OK\nContent-Type: text/plain\n\nthe body runs until the server closes" },
  { id: "r-304", name: "304 Not Modified (no body)", text: 'HTTP/1.1 304 Not Modified\nETag: "d-6553f100"\n\n' },
  { id: "r-continue", name: "100 Continue, then 201", method: "PUT", text: "HTTP/1.1 100 Continue\n\nHTTP/1.1 201 Created\nLocation: /notes.txt\nContent-Length: 0\n\n" },
  { id: "r-head", name: "response to HEAD (no body)", method: "HEAD", text: "HTTP/1.1 200 OK\nContent-Length: 13\n\n" },
  // What a response says well or could say better (expert info).
  {
    id: "r-cacheable",
    name: "expert info: validators, ranges and Vary (good)",
    text: `HTTP/1.1 200 OK\nDate: ${THEN_HTTP}\nLast-Modified: ${THEN_HTTP}\nETag: "d-6553f100"\nCache-Control: max-age=60\nAccept-Ranges: bytes\nContent-Type: text/plain\nContent-Encoding: identity\nVary: Accept-Encoding\nContent-Length: 5\n\nhello`,
  },
  { id: "r-bare", name: "expert info: no Date, validator, freshness, ranges or type", text: "HTTP/1.1 200 OK\nContent-Length: 5\n\nhello" },
  { id: "r-206-bare", name: "expert info: 206 without Content-Range", text: `HTTP/1.1 206 Partial Content\nDate: ${THEN_HTTP}\nContent-Type: text/plain\nContent-Length: 5\n\nhello` },
  { id: "r-416-bare", name: "expert info: 416 without Content-Range", text: `HTTP/1.1 416 Range Not Satisfiable\nDate: ${THEN_HTTP}\nContent-Length: 0\n\n` },
  {
    id: "r-405-bare",
    name: "expert info: 405 without Allow, Vary: *, gzip",
    method: "PUT",
    text: `HTTP/1.1 405 Method Not Allowed\nDate: ${THEN_HTTP}\nVary: *\nContent-Encoding: gzip\nContent-Length: 0\n\n`,
  },
  { id: "r-401-bare", name: "expert info: 401 without WWW-Authenticate", text: `HTTP/1.1 401 Unauthorized\nDate: ${THEN_HTTP}\nContent-Length: 0\n\n` },
  { id: "r-conflict", name: "Content-Length with Transfer-Encoding (refused)", text: "HTTP/1.1 200 OK\nContent-Length: 3\nTransfer-Encoding: chunked\n\n0\n\n" },
  { id: "r-malformed", name: "malformed status line (refused)", text: "HTTP/1.1 2OO OK\nContent-Length: 0\n\n" },
];

