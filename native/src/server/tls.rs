//! TLS for simple-server: loading the certificate and key, and the rustls layer a
//! connection puts between its socket and its engine.
//!
//! ```text
//!   socket ──read_tls──► rustls ──plaintext──► engine ──plaintext──► rustls ──write_tls──► socket
//! ```
//!
//! - [`Certs`]: the certificate source (`--tls-cert`/`--tls-key` files or
//!   `--tls-self-signed`) and the rustls configuration new connections take; a reload
//!   (SIGHUP) swaps it for the next connections and leaves the open ones alone.
//! - [`TlsStream`]: one connection's rustls `ServerConnection`, read and written like a
//!   socket. A first byte that cannot start a TLS record (a ClientHello starts with 0x16,
//!   a handshake record) is a plain-HTTP request: it gets a plain-text 400 saying to use
//!   https, as nginx's 497 does, and the connection closes.
//!
//! TLS 1.2 and 1.3 only, rustls' default cipher suites (ring provider), ALPN `http/1.1`.

use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use simplehttp_core::Timestamp;
use std::io::{self, Read, Write};
use std::net::Shutdown;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// Where the certificate comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CertSource {
    /// PEM files: the certificate chain (leaf first) and its private key.
    Files {
        /// `--tls-cert`.
        cert: PathBuf,
        /// `--tls-key`.
        key: PathBuf,
    },
    /// `--tls-self-signed`: made at start for these names and addresses.
    SelfSigned(Vec<String>),
}

/// The certificate source and the configuration new connections use.
#[derive(Debug)]
pub struct Certs {
    source: CertSource,
    current: RwLock<Arc<rustls::ServerConfig>>,
}

/// A loaded certificate: the configuration, and for a self-signed one its SHA-256
/// fingerprint to print.
#[derive(Debug)]
pub struct Loaded {
    /// The certificate source and configuration.
    pub certs: Certs,
    /// `AA:BB:..`, for `--tls-self-signed` only.
    pub fingerprint: Option<String>,
}

impl Certs {
    /// Loads (or makes) the certificate. The error is one line saying what is wrong.
    pub fn load(source: CertSource, now: Timestamp) -> Result<Loaded, String> {
        let (config, fingerprint) = build(&source, now)?;
        Ok(Loaded {
            certs: Certs {
                source,
                current: RwLock::new(config),
            },
            fingerprint,
        })
    }

    /// The configuration for a new connection.
    #[must_use]
    pub fn current(&self) -> Arc<rustls::ServerConfig> {
        Arc::clone(&self.current.read().unwrap_or_else(|e| e.into_inner()))
    }

    /// Reads the files again; new connections use them, open ones keep theirs. On error
    /// the old certificate stays. A self-signed certificate is not made again.
    pub fn reload(&self, now: Timestamp) -> Result<bool, String> {
        if matches!(self.source, CertSource::SelfSigned(_)) {
            return Ok(false);
        }
        let (config, _) = build(&self.source, now)?;
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = config;
        Ok(true)
    }
}

fn build(
    source: &CertSource,
    now: Timestamp,
) -> Result<(Arc<rustls::ServerConfig>, Option<String>), String> {
    match source {
        CertSource::Files { cert, key } => {
            let chain = read_chain(cert)?;
            check_validity(cert, &chain[0], now)?;
            let key_der = read_key(key)?;
            let config = server_config(chain, key_der).map_err(|e| match e {
                rustls::Error::InconsistentKeys(_) => format!(
                    "the key in {} does not match the certificate in {}",
                    key.display(),
                    cert.display()
                ),
                e => format!("cannot use the key in {}: {e}", key.display()),
            })?;
            Ok((config, None))
        }
        CertSource::SelfSigned(names) => {
            let made = rcgen::generate_simple_self_signed(names.clone())
                .map_err(|e| format!("cannot make a self-signed certificate: {e}"))?;
            let der = made.cert.der().clone();
            let fingerprint = fingerprint(&der);
            let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.key_pair.serialize_der()));
            let config = server_config(vec![der], key)
                .map_err(|e| format!("cannot use the self-signed certificate: {e}"))?;
            Ok((config, Some(fingerprint)))
        }
    }
}

fn server_config(
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
) -> Result<Arc<rustls::ServerConfig>, rustls::Error> {
    let mut provider = rustls::crypto::ring::default_provider();
    provider.cipher_suites = preferred_suites();
    let mut config = rustls::ServerConfig::builder_with_provider(Arc::new(provider))
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        // Checks that the key is the certificate's (`CertifiedKey::keys_match`).
        .with_single_cert(chain, key)?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    // Our order, not the client's: curl, wget and OpenSSL-based clients list AES-256
    // first, and AES-128-GCM costs less for the same protection in practice.
    config.ignore_client_order = true;
    Ok(Arc::new(config))
}

/// rustls' ring suites (all AEAD with forward secrecy), AES-128-GCM first: fewer AES
/// rounds for every record, and the handshake's key schedule on SHA-256 (which CPUs
/// accelerate) instead of SHA-384. As Go's crypto/tls and Mozilla's recommended
/// configurations order them.
fn preferred_suites() -> Vec<rustls::SupportedCipherSuite> {
    use rustls::crypto::ring::cipher_suite as cs;
    vec![
        cs::TLS13_AES_128_GCM_SHA256,
        cs::TLS13_AES_256_GCM_SHA384,
        cs::TLS13_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    ]
}

fn pem_reason(e: &pem::Error) -> String {
    match e {
        pem::Error::Io(e) => super::io_reason(e),
        e => format!("not PEM ({e})"),
    }
}

fn read_chain(path: &Path) -> Result<Vec<CertificateDer<'static>>, String> {
    let what = |why: String| format!("cannot read the certificate {}: {why}", path.display());
    let chain = CertificateDer::pem_file_iter(path)
        .map_err(|e| what(pem_reason(&e)))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| what(pem_reason(&e)))?;
    if chain.is_empty() {
        return Err(what("no CERTIFICATE in it".into()));
    }
    Ok(chain)
}

fn read_key(path: &Path) -> Result<PrivateKeyDer<'static>, String> {
    PrivateKeyDer::from_pem_file(path).map_err(|e| {
        let why = match e {
            pem::Error::NoItemsFound => "no private key (PKCS#8, PKCS#1 or SEC1) in it".into(),
            e => pem_reason(&e),
        };
        format!("cannot read the key {}: {why}", path.display())
    })
}

/// An expired (or not yet valid) leaf certificate is refused at start: clients would
/// refuse every connection, with a message far from the cause.
fn check_validity(path: &Path, cert: &CertificateDer<'_>, now: Timestamp) -> Result<(), String> {
    let Some((not_before, not_after)) = validity(cert) else {
        return Err(format!(
            "cannot read the certificate {}: not an X.509 certificate",
            path.display()
        ));
    };
    let show = |t: Timestamp| {
        String::from_utf8_lossy(&simplehttp_core::date::format_http_date(t)).into_owned()
    };
    if now.0 > not_after.0 {
        return Err(format!(
            "the certificate {} expired on {}",
            path.display(),
            show(not_after)
        ));
    }
    if now.0 < not_before.0 {
        return Err(format!(
            "the certificate {} is not valid before {}",
            path.display(),
            show(not_before)
        ));
    }
    Ok(())
}

/// The notBefore and notAfter of a DER certificate (RFC 5280 §4.1.2.5).
fn validity(cert: &[u8]) -> Option<(Timestamp, Timestamp)> {
    let (cert, _) = der(cert, 0x30)?;
    let (mut tbs, _) = der(cert, 0x30)?;
    if tbs.first() == Some(&0xa0) {
        tbs = skip(tbs)?; // version
    }
    let tbs = skip(tbs)?; // serialNumber
    let tbs = skip(tbs)?; // signature
    let tbs = skip(tbs)?; // issuer
    let (validity, _) = der(tbs, 0x30)?;
    let (not_before, rest) = time(validity)?;
    let (not_after, _) = time(rest)?;
    Some((not_before, not_after))
}

/// One DER element of `tag`: its contents and what follows.
fn der(input: &[u8], tag: u8) -> Option<(&[u8], &[u8])> {
    let (&t, rest) = input.split_first()?;
    if t != tag {
        return None;
    }
    let (&first, mut rest) = rest.split_first()?;
    let len = if first < 0x80 {
        usize::from(first)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, &b| (acc << 8) | usize::from(b));
        rest = &rest[n..];
        len
    };
    (rest.len() >= len).then(|| rest.split_at(len))
}

fn skip(input: &[u8]) -> Option<&[u8]> {
    der(input, *input.first()?).map(|(_, rest)| rest)
}

/// UTCTime (`YYMMDDHHMMSSZ`, years 1950–2049) or GeneralizedTime (`YYYYMMDDHHMMSSZ`).
fn time(input: &[u8]) -> Option<(Timestamp, &[u8])> {
    let tag = *input.first()?;
    let (value, rest) = der(input, tag)?;
    let digits = value.strip_suffix(b"Z")?;
    let num = |s: &[u8]| {
        s.iter().try_fold(0u32, |acc, &b| {
            b.is_ascii_digit().then(|| acc * 10 + u32::from(b - b'0'))
        })
    };
    let (year, rest_digits) = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy = num(&digits[..2])?;
            (if yy < 50 { 2000 + yy } else { 1900 + yy }, &digits[2..])
        }
        (0x18, 14) => (num(&digits[..4])?, &digits[4..]),
        _ => return None,
    };
    let f = |i: usize| num(&rest_digits[i..i + 2]);
    let t = simplehttp_core::date::from_utc(year, f(0)?, f(2)?, f(4)?, f(6)?, f(8)?)
        .unwrap_or(Timestamp(if year < 1970 { 0 } else { u64::MAX }));
    Some((t, rest))
}

/// `AA:BB:...`: the SHA-256 of a certificate, as browsers and `openssl x509 -fingerprint
/// -sha256` show it.
#[must_use]
pub fn fingerprint(der: &[u8]) -> String {
    let digest = ring::digest::digest(&ring::digest::SHA256, der);
    let hex: Vec<String> = digest.as_ref().iter().map(|b| format!("{b:02X}")).collect();
    hex.join(":")
}

/// The answer to a plain-HTTP request on the TLS port (nginx answers 497 "The plain HTTP
/// request was sent to HTTPS port", as a 400 on the wire).
const PLAIN_HTTP_ANSWER: &[u8] = b"HTTP/1.1 400 Bad Request\r\n\
Content-Type: text/plain; charset=utf-8\r\n\
Content-Length: 70\r\n\
Connection: close\r\n\
\r\n\
This port speaks HTTPS: a plain HTTP request was sent. Use https://.\r\n";

/// The first byte of a TLS handshake record (RFC 8446 §5.1, ContentType handshake).
const HANDSHAKE: u8 = 0x16;

/// Most plaintext handed to rustls at once: four full records.
pub const PLAIN_CHUNK: usize = 64 * 1024;

/// Why [`TlsStream::read`] failed in a way the caller need not report.
#[derive(Debug)]
struct NotTls;

impl std::fmt::Display for NotTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("plain HTTP on the TLS port")
    }
}

impl std::error::Error for NotTls {}

/// One connection's TLS layer.
pub struct TlsStream {
    conn: rustls::ServerConnection,
    /// The first byte was seen to start a TLS record.
    checked: bool,
    /// The socket said EOF.
    eof: bool,
    /// The last [`TlsStream::read`] emptied the socket (it gave rustls less than rustls
    /// asked for) and handed out all the plaintext there was: nothing more can be read
    /// until the poll reports new bytes.
    drained: bool,
}

impl TlsStream {
    /// A connection waiting for its ClientHello.
    pub fn new(config: Arc<rustls::ServerConfig>) -> Result<TlsStream, rustls::Error> {
        let mut conn = rustls::ServerConnection::new(config)?;
        // The caller bounds what it hands over: only when nothing is pending, at most
        // PLAIN_CHUNK (see `write`), so rustls never refuses part of it.
        conn.set_buffer_limit(None);
        Ok(TlsStream {
            conn,
            checked: false,
            eof: false,
            drained: false,
        })
    }

    /// Reads plaintext, like `Read::read` on a non-blocking socket: `Ok(0)` at the end,
    /// `WouldBlock` when nothing more can come yet. Handshake messages are answered on the
    /// way. A plain-HTTP request is answered with a 400 and fails.
    ///
    /// A socket read that comes back short is not followed by another that would only say
    /// `WouldBlock` (one system call per request saved), unless `hup`: the poll reported
    /// the peer's EOF, which only a read that returns 0 shows.
    pub fn read(
        &mut self,
        sock: &mut mio::net::TcpStream,
        buf: &mut [u8],
        hup: bool,
    ) -> io::Result<usize> {
        self.drained = false;
        if !self.checked {
            let mut first = [0u8; 1];
            match sock.peek(&mut first)? {
                0 => return Ok(0),
                _ if first[0] != HANDSHAKE => {
                    answer_plain_http(sock);
                    return Err(io::Error::other(NotTls));
                }
                _ => self.checked = true,
            }
        }
        // The socket gave less than asked in this call: it is empty for now.
        let mut short = false;
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => {
                    // Less than `buf` holds: rustls has no more plaintext.
                    self.drained = short && n < buf.len();
                    return Ok(n);
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // The peer closed without close_notify: an end like any other, since
                // HTTP framing tells a cut-short body (most servers do the same).
                Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                Err(e) => return Err(e),
            }
            if self.eof {
                return Ok(0);
            }
            if short {
                self.drained = true;
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let mut noting = Noting { sock, short: false };
            match self.conn.read_tls(&mut noting) {
                Ok(0) => self.eof = true,
                Ok(_) => short = noting.short && !hup,
                Err(e) => return Err(e),
            }
            if let Err(e) = self.conn.process_new_packets() {
                // Send the alert rustls queued, if the socket takes it.
                let _ = self.push(sock);
                return Err(io::Error::new(io::ErrorKind::InvalidData, e));
            }
            // Handshake replies (or a key update) go out now; what does not fit waits
            // for the next flush.
            self.push(sock)?;
        }
    }

    /// Whether the last [`TlsStream::read`] left nothing to read until new bytes arrive.
    #[must_use]
    pub fn drained(&self) -> bool {
        self.drained
    }

    /// Hands plaintext to rustls once everything before it is on the socket. Returns how
    /// much it took (0: the socket is full; wait for it to drain).
    pub fn write(&mut self, sock: &mut mio::net::TcpStream, data: &[u8]) -> io::Result<usize> {
        self.push(sock)?;
        if self.pending() {
            return Ok(0);
        }
        let n = self
            .conn
            .writer()
            .write(&data[..data.len().min(PLAIN_CHUNK)])?;
        self.push(sock)?;
        Ok(n)
    }

    /// Writes the records rustls holds, as far as the socket takes them. Returns the bytes
    /// written.
    pub fn push(&mut self, sock: &mut mio::net::TcpStream) -> io::Result<usize> {
        let mut total = 0;
        while self.conn.wants_write() {
            match self.conn.write_tls(sock) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => total += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(total)
    }

    /// Whether records are still waiting for the socket.
    #[must_use]
    pub fn pending(&self) -> bool {
        self.conn.wants_write()
    }

    /// Sends close_notify before the write side is shut, as far as the socket takes it.
    pub fn close_notify(&mut self, sock: &mut mio::net::TcpStream) {
        self.conn.send_close_notify();
        let _ = self.push(sock);
    }
}

/// The socket as rustls reads it, noting whether a read gave less than was asked for (the
/// socket is then empty: a second read would only say `WouldBlock`).
struct Noting<'a> {
    sock: &'a mut mio::net::TcpStream,
    short: bool,
}

impl Read for Noting<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.sock.read(buf)?;
        self.short = n < buf.len();
        Ok(n)
    }
}

/// Answers a plain-HTTP request: what it sent is read first (so closing does not reset
/// the connection and lose the answer), then the 400 and a FIN.
fn answer_plain_http(sock: &mut mio::net::TcpStream) {
    let mut scratch = [0u8; 4096];
    for _ in 0..16 {
        match sock.read(&mut scratch) {
            Ok(n) if n == scratch.len() => {}
            _ => break,
        }
    }
    let _ = sock.write_all(PLAIN_HTTP_ANSWER);
    let _ = sock.shutdown(Shutdown::Write);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_answer_has_its_length() {
        let text = PLAIN_HTTP_ANSWER;
        let split = text.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        assert_eq!(text.len() - split, 70);
    }

    #[test]
    fn reads_the_validity_of_a_certificate() {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_before = rcgen::date_time_ymd(2001, 2, 3);
        params.not_after = rcgen::date_time_ymd(2051, 6, 7);
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        let (nb, na) = validity(cert.der()).unwrap();
        assert_eq!(nb, Timestamp(981_158_400));
        assert_eq!(na, Timestamp(2_569_708_800));
        assert_eq!(validity(b"\x30\x03\x02\x01\x01"), None);
    }
}
