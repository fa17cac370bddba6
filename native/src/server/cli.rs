//! The command line of `simple-server`, as typed: flags only, no decisions.
//!
//! [`Config::from_cli`](super::config::Config::from_cli) turns these into resolved settings.

use clap::Parser;
use std::net::IpAddr;
use std::path::PathBuf;

const EXAMPLES: &str = "\
Examples:
  simple-server 8080                      serve the current directory on http://127.0.0.1:8080
  simple-server 8080 --root ~/public      serve another directory
  simple-server 8080 --read-only          refuse PUT and DELETE
  SIMPLE_SERVER_AUTH=alice:s3cret simple-server 8080 --bind 0.0.0.0
                                          serve the network; writes need a password
  simple-server --hash-password alice >> ~/.config/simple-server.users
                                          add a user (asks for the password, prints USER:HASH)
  simple-server 8080 --auth-file ~/.config/simple-server.users --auth-read
                                          every request needs a user of the file (chmod 600)
  simple-server 8443 --tls-cert cert.pem --tls-key key.pem
                                          serve https://127.0.0.1:8443
  simple-server 8443 --tls-self-signed    https with a certificate made at start (its
                                          SHA-256 fingerprint is printed)
  simple-server 8080 --allow-host files.test
                                          also answer to a name from /etc/hosts
  simple-server 8080 --bind 0.0.0.0 --read-only --qr
                                          share a folder on the local network; prints
                                          each address and a QR code for a phone
  simple-server 8080 --cors-origin http://localhost:3000 --header 'Cache-Control: no-cache'
                                          let a page of that origin fetch the files
  simple-server 8080 --share-port         start beside a running instance on 8080, for a
                                          restart without downtime; then SIGTERM the old one
  systemd-socket-activate -l 127.0.0.1:8080 simple-server
                                          take the listening socket from a service manager
                                          (LISTEN_FDS: PORT is then ignored)
  curl -T notes.txt http://127.0.0.1:8080/notes.txt      upload a file
  curl -X DELETE http://127.0.0.1:8080/notes.txt         remove it
";

/// `--help`'s closing text: the examples, then every exit code with its meaning (from
/// [`Exit`](super::exit::Exit), so the two cannot drift apart).
#[must_use]
pub fn after_help() -> String {
    let mut s = String::from(EXAMPLES);
    s.push_str("\nExit status:\n");
    s.push_str(&exit_status_help());
    s
}

/// The exit-code table, one code a line, wrapped at 90 columns.
#[must_use]
pub fn exit_status_help() -> String {
    use super::exit::Exit;
    let mut s = String::new();
    for e in Exit::ALL {
        let mut line = format!("{:>3}  ", e.code());
        for word in e.meaning().split(' ') {
            if line.len() + 1 + word.len() > 90 {
                s.push_str(line.trim_end());
                s.push('\n');
                line = " ".repeat(7);
            }
            line.push_str(word);
            line.push(' ');
        }
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

/// `simple-server [PORT]`: serves a directory over HTTP/1.1; PUT uploads, DELETE removes.
#[derive(Debug, Parser)]
#[command(
    name = "simple-server",
    version,
    about = "Serves a directory over HTTP/1.1: GET and HEAD read files and listings, PUT uploads, DELETE removes.",
    after_help = after_help()
)]
pub struct Cli {
    /// TCP port to listen on (0 picks a free one and prints it).
    #[arg(default_value_t = 80)]
    pub port: u16,

    /// Directory to serve [default: the current directory].
    #[arg(long, value_name = "DIR")]
    pub root: Option<PathBuf>,

    /// Address to listen on; repeat for several [default: 127.0.0.1 and ::1].
    /// Use 0.0.0.0 or :: to accept connections from other machines.
    #[arg(long, value_name = "ADDR")]
    pub bind: Vec<IpAddr>,

    /// Also answer to NAME in Host (repeatable), e.g. a name in /etc/hosts. A server bound
    /// only to loopback addresses answers only to localhost, 127.0.0.1 and [::1] (421
    /// Misdirected Request otherwise), so a web page cannot reach it by pointing its own
    /// name at 127.0.0.1 (DNS rebinding). With --allow-host, any bind is limited to these
    /// names.
    #[arg(long, value_name = "NAME")]
    pub allow_host: Vec<String>,

    /// Worker threads [default: one per core]. New connections go to the first worker
    /// while it keeps up; the others take those it leaves waiting for 10 ms.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,

    /// Join the port of another simple-server already listening there (SO_REUSEPORT)
    /// instead of refusing it: for a restart without downtime, start the new one with
    /// --share-port, then stop the old one with SIGTERM. Without it, a port in use is
    /// refused (exit 3), so two servers never split a port's traffic by mistake.
    #[arg(long)]
    pub share_port: bool,

    /// Refuse PUT and DELETE (405).
    #[arg(long)]
    pub read_only: bool,

    /// Require HTTP Basic authentication as USER:PASS for PUT and DELETE (repeat for
    /// several users). The least safe way to give a password: other local users can read
    /// a command line (ps, /proc), and the server only hides the password from it a
    /// moment after starting. Prefer --auth-file, or the SIMPLE_SERVER_AUTH=USER:PASS
    /// environment variable (readable only by you and root), used when neither --auth
    /// nor --auth-file is given.
    #[arg(long, value_name = "USER:PASS")]
    pub auth: Vec<String>,

    /// Users from FILE, one USER:HASH a line (# comments and blank lines allowed), the
    /// hash SHA-512-crypt ($6$...) or argon2 ($argon2id$...): see --hash-password. Group
    /// and others may neither read nor write it (chmod 600). Read again when it changes;
    /// a bad new file keeps the users of before.
    #[arg(long, value_name = "FILE")]
    pub auth_file: Option<PathBuf>,

    /// Every request needs the credentials of --auth or --auth-file, reads and listings
    /// included (not only PUT and DELETE).
    #[arg(long)]
    pub auth_read: bool,

    /// Ask for a password (without echo on a terminal, else one line of stdin) and print
    /// the --auth-file line for USER, with an argon2id hash of it; nothing is served.
    #[arg(long, value_name = "USER", exclusive = true)]
    pub hash_password: Option<String>,

    /// Serve, list, upload and delete dotfiles and dot-folders (names starting with .,
    /// such as .git or .env); without it they are 404 and left out of listings.
    #[arg(long)]
    pub hidden: bool,

    /// Serve HTML, SVG and XML from a writable root without `Content-Security-Policy:
    /// sandbox`, so that scripts in them run in the server's origin: they may then read
    /// every file and upload or delete with the visitor's credentials. Only for a site
    /// whose every writer you trust (a --read-only root's pages are never sandboxed).
    #[arg(long)]
    pub trusted_html: bool,

    /// Largest upload (any request body) accepted, e.g. 10M or 2G (413 beyond it, before
    /// the body is read when Content-Length says so).
    #[arg(long, value_name = "SIZE", default_value = "1G")]
    pub max_upload: String,

    /// Seconds a client may take to send a request's head (then 408).
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub header_timeout: f64,

    /// Seconds an idle keep-alive connection is kept open.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub idle_timeout: f64,

    /// Seconds a request or response body may go without progress (then the connection is cut).
    #[arg(long, value_name = "SECS", default_value_t = 60.0)]
    pub body_timeout: f64,

    /// Bytes a second a request body must average once it has taken 10 s (then 408); a
    /// body trickling in a byte every few seconds cannot hold a connection. 0: no minimum.
    #[arg(long, value_name = "BYTES", default_value_t = 500)]
    pub min_rate: u64,

    /// Seconds to let requests in flight finish after Ctrl-C or SIGTERM.
    #[arg(long, value_name = "SECS", default_value_t = 10.0)]
    pub shutdown_grace: f64,

    /// Serve HTTPS with the PEM certificate chain in FILE (leaf first); needs --tls-key.
    /// SIGHUP reads both files again for new connections.
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// The PEM private key (PKCS#8, PKCS#1 or SEC1) of --tls-cert.
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Serve HTTPS with a self-signed certificate made at start for the bound addresses,
    /// localhost and the --allow-host names; its SHA-256 fingerprint is printed, to
    /// compare with what a browser shows. Clients must be told to trust it.
    #[arg(long, conflicts_with = "tls_cert")]
    pub tls_self_signed: bool,

    /// Add the field NAME: VALUE to every response (repeatable), e.g. 'Cache-Control:
    /// no-cache'. Fields the server writes itself (Content-Length, Transfer-Encoding,
    /// Connection, Content-Type, ETag, ...) and CORS ones (see --cors) are refused.
    #[arg(long, value_name = "NAME: VALUE")]
    pub header: Vec<String>,

    /// Let scripts of web pages from any origin read the files (CORS:
    /// Access-Control-Allow-Origin: *, preflights answered). They may also upload and
    /// delete only when writes need a password they know; see --cors-origin.
    #[arg(long)]
    pub cors: bool,

    /// Let scripts of web pages from ORIGIN (scheme://host[:port], repeatable) read the
    /// files, and write them with the visitor's credentials; others get no CORS answer.
    /// Implies --cors.
    #[arg(long, value_name = "ORIGIN")]
    pub cors_origin: Vec<String>,

    /// Print a QR code of the first address other machines can reach (on stdout, when it
    /// is a terminal), for a phone to open.
    #[arg(long)]
    pub qr: bool,

    /// Do not log each request on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}
