//! The command line, exactly as typed: flags and positionals, before any of it is checked.
//!
//! [`config`](super::config) turns an [`Args`] into settings the client can act on.

use super::body_data::{Ordered, OrderedParser};
use clap::Parser;
use std::path::PathBuf;

/// Text shown at the end of `--help`: the exit codes a script can rely on.
pub const EXIT_CODES_HELP: &str = "\
Forms:
  simple-client HOST [PORT] METHOD PATH     the original form (PORT defaults to 80;
                                            PUT sends the local file PATH)
  simple-client [OPTIONS] http[s]://HOST[:PORT]/PATH

Exit codes:
    0  the server answered 2xx or 3xx (or 1xx/101)
    1  a local file could not be read or written, or -J would overwrite a file
       (without --clobber)
    2  usage error (bad flags, URL, method or header), or an -O name with control
       characters or bidi controls; two sources for one body; -u USER without a
       terminal to ask for the password; a netrc file open to other users
    4  network failure: name resolution, connection refused or reset, timeout
       (--connect-timeout, --timeout, --max-time), a TLS handshake the server
       refused or with nothing in common, a proxy that cannot be reached or
       refuses the CONNECT tunnel
    5  TLS verification failed: unknown issuer, a name the certificate does not
       cover, an expired or not yet valid certificate (see --cacert, -k)
    7  protocol error: a malformed or truncated response, too many redirects,
       a redirect to a URL that cannot be followed (another scheme), or a TLS
       protocol error
    8  the server answered 4xx or 5xx (the body is still written)
   63  the body is larger than --max-filesize (nothing is left at -o FILE)
  130  interrupted (Ctrl-C)

With several URLs, each failure is reported on its own line (naming its URL) and the
run goes on; the exit code is the highest one any URL earned (0 when all succeeded).";

/// simple-client: send one HTTP/1.1 request and write the response body.
#[derive(Debug, Parser)]
#[command(
    name = "simple-client",
    version,
    about = "Send one HTTP/1.1 request and write the response body to stdout or a file.",
    after_help = EXIT_CODES_HELP,
    disable_help_subcommand = true
)]
pub struct Args {
    /// `http[s]://HOST[:PORT]/PATH` (one or more, fetched in order), or
    /// `HOST [PORT] METHOD PATH`.
    #[arg(required = true, num_args = 1.., value_name = "URL... | HOST [PORT] METHOD PATH")]
    pub positionals: Vec<String>,

    /// The request method (URL form only; default GET).
    #[arg(short = 'X', long = "request", value_name = "METHOD")]
    pub method: Option<String>,

    /// An extra request header, `Name: value` (repeatable). `Name:` removes a default header.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,

    /// Upload this file as the request body (default method PUT); `-` reads stdin, sent chunked.
    #[arg(short = 'T', long = "upload-file", value_name = "FILE")]
    pub upload: Option<PathBuf>,

    /// Send DATA as the body, as given (POST unless -X, `Content-Type:
    /// application/x-www-form-urlencoded` unless -H). `@FILE` sends FILE without its CR and
    /// LF bytes, `@-` stdin. Repeated, the pieces are joined with `&`.
    #[arg(short = 'd', long = "data", value_name = "DATA", value_parser = OrderedParser)]
    pub data: Vec<Ordered>,

    /// Like -d, but `@FILE` sends the file's exact bytes.
    #[arg(long = "data-binary", value_name = "DATA", value_parser = OrderedParser)]
    pub data_binary: Vec<Ordered>,

    /// Like -d, but a leading `@` is just a character.
    #[arg(long = "data-raw", value_name = "DATA", value_parser = OrderedParser)]
    pub data_raw: Vec<Ordered>,

    /// Send JSON: like --data-binary, with `Content-Type: application/json` and `Accept:
    /// application/json` unless -H gives them. Repeated, the pieces are concatenated.
    #[arg(long = "json", value_name = "DATA", value_parser = OrderedParser)]
    pub json: Vec<Ordered>,

    /// A multipart/form-data field (POST unless -X; repeatable): `name=value`,
    /// `name=@FILE` (a file upload; `;type=TYPE`, `;filename=NAME`; `@-` stdin) or
    /// `name=<FILE` (FILE's contents as the value).
    #[arg(short = 'F', long = "form", value_name = "NAME=CONTENT")]
    pub form: Vec<std::ffi::OsString>,

    /// Send the -d data in the URL's query (after `?`, or `&` if it has one) with GET.
    #[arg(short = 'G', long = "get")]
    pub get: bool,

    /// HTTP Basic credentials. With only USER, the password is asked for on the terminal
    /// (without echo). Sent only to the first URL's host and port (see --location-trusted).
    /// The password is overwritten in the process's arguments, so `ps` does not show it.
    #[arg(short = 'u', long = "user", value_name = "USER[:PASSWORD]")]
    pub user: Option<String>,

    /// Take the login and password for the host from ~/.netrc (it must exist).
    /// A netrc file that group or others may read is refused: chmod 600 it.
    #[arg(short = 'n', long = "netrc")]
    pub netrc: bool,

    /// Like -n, with this netrc file.
    #[arg(long = "netrc-file", value_name = "FILE")]
    pub netrc_file: Option<PathBuf>,

    /// Like -n, but a missing ~/.netrc (or --netrc-file) is no error.
    #[arg(long = "netrc-optional")]
    pub netrc_optional: bool,

    /// Write the body to FILE (renamed into place only once complete, keeping FILE's mode;
    /// a symlink is written through). `-` is stdout, with the exact bytes even on a terminal.
    /// With several URLs, give -o once per URL, in the same order (the URLs without one go
    /// to stdout).
    ///
    /// Without -o, a body bound for a terminal shows its control characters escaped
    /// (`\u{1b}`; line breaks and tabs stay); pipes and files always get the exact bytes.
    #[arg(
        short = 'o',
        long = "output",
        value_name = "FILE",
        conflicts_with = "remote_name"
    )]
    pub output: Vec<PathBuf>,

    /// Write the body to a file named like the last segment of the remote path (for every
    /// URL, with several).
    ///
    /// A name with a control character, a bidi control (U+202A-U+202E, U+2066-U+2069,
    /// U+200E, U+200F, U+061C) or a path separator is refused (exit 2): use -o FILE.
    #[arg(short = 'O', long = "remote-name")]
    pub remote_name: bool,

    /// After the body, print FORMAT on stdout with curl's variables: `%{http_code}`,
    /// `%{size_download}`, `%{time_total}`, `%{url_effective}`, `%{json}`... (`\n` is a
    /// newline). `@FILE` reads the format from FILE, `@-` from stdin.
    #[arg(short = 'w', long = "write-out", value_name = "FORMAT")]
    pub write_out: Option<String>,

    /// With -O: save under the name in the response's Content-Disposition instead (its last
    /// path segment; a hidden, empty or unsafe name falls back to the URL's, saying so).
    /// An existing file is never overwritten (exit 1) unless --clobber.
    #[arg(short = 'J', long = "remote-header-name")]
    pub remote_header_name: bool,

    /// With -J: overwrite a file of the same name.
    #[arg(long = "clobber")]
    pub clobber: bool,

    /// Write the response head before the body.
    #[arg(short = 'i', long = "include")]
    pub include: bool,

    /// Show the request and response heads on stderr.
    #[arg(short = 'v', long = "verbose")]
    pub verbose: bool,

    /// Show every parse event of the response on stderr (status line, headers, framing, chunks).
    #[arg(long = "trace")]
    pub trace: bool,

    /// Never show a progress bar.
    #[arg(short = 's', long = "silent")]
    pub silent: bool,

    /// Follow redirects (at most 10, http:// and https://).
    ///
    /// A redirect from https:// to http:// is followed with a warning on stderr: the rest
    /// of the exchange is not encrypted.
    ///
    /// Authorization, Cookie and Proxy-Authorization given with -H are sent only to the
    /// first URL's host and port: a redirect elsewhere goes without them.
    #[arg(short = 'L', long = "location")]
    pub follow: bool,

    /// Like -L, and send the -H credentials (Authorization, Cookie, Proxy-Authorization) to
    /// every host a redirect leads to. Only for servers you trust with them.
    #[arg(long = "location-trusted")]
    pub location_trusted: bool,

    /// Send the path as given: do not remove `.` and `..` segments from it.
    ///
    /// By default they are resolved away before the request is sent, as curl does
    /// (`/a/../b` asks for `/b`).
    #[arg(long = "path-as-is")]
    pub path_as_is: bool,

    /// Give up looking the host up and connecting after SECS seconds (both together).
    ///
    /// The name lookup counts against this budget: a resolver that has not answered by then
    /// is a network failure (exit 4). A literal IP address is not looked up.
    #[arg(long = "connect-timeout", value_name = "SECS", default_value_t = 10.0)]
    pub connect_timeout: f64,

    /// Give up when nothing moves for SECS seconds, or when a response head has not arrived
    /// whole SECS seconds after the request was sent.
    #[arg(long = "timeout", value_name = "SECS", default_value_t = 30.0)]
    pub timeout: f64,

    /// Connect to ADDRESS for HOST and PORT, without looking HOST up (repeatable).
    ///
    /// The URL, the Host field and TLS (the name sent and verified) keep HOST.
    #[arg(long = "resolve", value_name = "HOST:PORT:ADDRESS")]
    pub resolve: Vec<String>,

    /// Trust the PEM certificates in FILE (a CA, or a server's own certificate) for
    /// https://, besides the system's trust store.
    #[arg(long = "cacert", value_name = "FILE")]
    pub cacert: Option<PathBuf>,

    /// Do not verify the https:// server's certificate (its issuer, name and dates).
    ///
    /// The connection is still encrypted, but to whoever answered: anyone on the path can
    /// read and change it. A warning says so on stderr.
    #[arg(short = 'k', long = "insecure")]
    pub insecure: bool,

    /// Give up (exit 63) when the body is larger than SIZE bytes: before it starts when the
    /// server says its length, else as soon as it passes SIZE. SIZE takes K, M, G or T
    /// (powers of 1024): `10M`, `1G`.
    #[arg(long = "max-filesize", value_name = "SIZE")]
    pub max_filesize: Option<String>,

    /// `-C -`: continue an -o/-O download that an earlier run left partial, asking only for
    /// the rest (Range, with If-Range so a changed file starts over). A partial download is
    /// kept as `.NAME.simple-client-part` when the connection fails; NAME only ever holds a
    /// complete file. Only `-` (the partial file's size) is accepted as OFFSET.
    #[arg(short = 'C', long = "continue-at", value_name = "OFFSET")]
    pub continue_at: Option<String>,

    /// Try again up to N times after a connection failure, a reset, a timeout, a response
    /// cut short, or a 408, 429, 500, 502, 503 or 504 (never other 4xx). A download to a
    /// file continues where it stopped when the server allows it.
    #[arg(long = "retry", value_name = "N", default_value_t = 0)]
    pub retry: u32,

    /// The first wait before a retry (default 1 s); each next wait doubles (at most 10
    /// minutes), less up to a quarter at random. A Retry-After from the server is obeyed
    /// instead.
    #[arg(long = "retry-delay", value_name = "SECS")]
    pub retry_delay: Option<f64>,

    /// Retry only while the run has lasted less than SECS seconds: no wait goes past it
    /// (a longer Retry-After is cut to what is left).
    #[arg(long = "retry-max-time", value_name = "SECS")]
    pub retry_max_time: Option<f64>,

    /// Go through the HTTP proxy at URL, `[http://][USER:PASSWORD@]HOST[:PORT]` (port 1080
    /// by default): plain requests in absolute form, https:// through a CONNECT tunnel.
    /// Credentials go to the proxy as Proxy-Authorization (Basic); a command line shows in
    /// `ps`, so prefer the http_proxy/https_proxy variables for them. `-x ""` uses no proxy.
    ///
    /// Without -x, http:// URLs use $http_proxy (lowercase only) and https:// URLs
    /// $https_proxy or $HTTPS_PROXY.
    #[arg(short = 'x', long = "proxy", value_name = "URL")]
    pub proxy: Option<String>,

    /// Reach these hosts without a proxy: a comma-separated list of names (each covering the
    /// names under it), IP addresses, ADDR/BITS networks, or `*`. Replaces $no_proxy.
    #[arg(long = "noproxy", value_name = "LIST")]
    pub noproxy: Option<String>,

    /// Fetch several URLs at the same time (at most --parallel-max), each over its own
    /// connection; every URL needs -o or -O. Without it, URLs are fetched one after the
    /// other, over one kept-alive connection per host.
    #[arg(short = 'Z', long = "parallel")]
    pub parallel: bool,

    /// With -Z, at most N transfers at once (1 to 50; default 4).
    #[arg(long = "parallel-max", value_name = "N", default_value_t = 4)]
    pub parallel_max: usize,

    /// Give up when the whole run (lookup, connect, every redirect, the body) takes longer
    /// than SECS seconds (exit 4). No limit by default.
    #[arg(short = 'm', long = "max-time", value_name = "SECS")]
    pub max_time: Option<f64>,
}
