//! `https://`: a rustls client between the socket and the engine.
//!
//! The engine sees plaintext only. [`handshake`] verifies the server (its certificate chains
//! to a trusted root, covers the URL's host name or IP address, and is within its dates),
//! offers TLS 1.3 and 1.2 and ALPN `http/1.1`, and hands back a [`Stream`] that reads and
//! writes like the TCP socket under it. Trusted roots are the system's (Debian's
//! ca-certificates, through `rustls-native-certs`, which honours `SSL_CERT_FILE` and
//! `SSL_CERT_DIR`) and those of `--cacert FILE`; `-k` verifies nothing.
//!
//! Failures earn three exit codes: a certificate that cannot be verified is 5 (wget's code),
//! a handshake the server refuses or cannot agree on is a network failure (4), and TLS that
//! breaks its own rules is a protocol error (7).

use super::config::TlsSettings;
use super::error::Failure;
use super::show;
use super::url::Url;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, RootCertStore, SignatureScheme};
use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

/// A connection's byte stream: the TCP socket itself, or TLS over it.
pub enum Stream {
    /// `http://`.
    Plain(TcpStream),
    /// `https://`, after the handshake.
    Tls(Box<rustls::StreamOwned<rustls::ClientConnection, ReadAhead>>),
}

impl Stream {
    /// The TCP socket beneath, for its timeouts.
    pub fn tcp(&self) -> &TcpStream {
        match self {
            Stream::Plain(s) => s,
            Stream::Tls(s) => &s.sock.tcp,
        }
    }

    /// Whether bytes already received wait beneath the stream (encrypted ones, read ahead):
    /// the socket alone does not show them.
    pub fn holds_received(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(s) => s.sock.start < s.sock.end,
        }
    }
}

/// The TCP socket under TLS, read in large pieces: rustls asks for one record (16 KiB) at a
/// time, which would cost a system call per record; this takes whatever the socket holds,
/// up to [`READ_AHEAD`], in one, and hands it out record by record. Writes go straight
/// through.
pub struct ReadAhead {
    tcp: TcpStream,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

/// Most encrypted bytes read from the socket at once.
const READ_AHEAD: usize = 256 * 1024;

impl ReadAhead {
    fn new(tcp: TcpStream) -> ReadAhead {
        ReadAhead {
            tcp,
            buf: vec![0; READ_AHEAD].into_boxed_slice(),
            start: 0,
            end: 0,
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end {
            if out.len() >= self.buf.len() {
                return self.tcp.read(out);
            }
            let n = self.tcp.read(&mut self.buf)?;
            self.start = 0;
            self.end = n;
        }
        let n = out.len().min(self.end - self.start);
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.start += n;
        Ok(n)
    }
}

impl Write for ReadAhead {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.tcp.write(buf)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.tcp.flush()
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.read(buf),
            // rustls decrypts into its own buffer and copies into `buf`: no other copy.
            Stream::Tls(s) => s.read(buf),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Plain(s) => s.write(buf),
            Stream::Tls(s) => s.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.write_all(buf),
            // rustls may keep the last records buffered when a write to the socket fails:
            // flushing makes `write_all` mean that everything went out, as for TCP.
            Stream::Tls(s) => {
                s.write_all(buf)?;
                s.flush()
            }
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Plain(s) => s.flush(),
            Stream::Tls(s) => s.flush(),
        }
    }
}

/// The TLS client settings, built on the first `https://` URL of a run and kept for the
/// redirects that follow.
pub struct Connector {
    settings: TlsSettings,
    config: Option<Arc<rustls::ClientConfig>>,
}

impl Connector {
    /// A connector for `settings`; nothing is read until [`config`](Connector::config).
    pub fn new(settings: &TlsSettings) -> Connector {
        Connector {
            settings: settings.clone(),
            config: None,
        }
    }

    /// The rustls client configuration: read the trust store (and `--cacert`) once.
    pub fn config(&mut self, verbose: bool) -> Result<Arc<rustls::ClientConfig>, Failure> {
        if let Some(config) = &self.config {
            return Ok(config.clone());
        }
        let config = Arc::new(client_config(&self.settings, verbose)?);
        self.config = Some(config.clone());
        Ok(config)
    }
}

/// The ring provider: aws-lc-rs, rustls' default, needs cmake to build.
fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Builds the client configuration for `settings`: TLS 1.3 and 1.2, ALPN `http/1.1`, and
/// the system's roots with `--cacert`'s, or no verification with `-k`.
pub fn client_config(
    settings: &TlsSettings,
    verbose: bool,
) -> Result<rustls::ClientConfig, Failure> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| Failure::usage(format!("cannot set up TLS: {e}")))?;
    let mut config = if settings.insecure {
        show::eprint_lines(
            "simple-client: ",
            [
                "warning: -k/--insecure: the server's certificate is not verified; \
              anyone on the path can read and change this connection",
            ],
        );
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerification(provider)))
            .with_no_client_auth()
    } else {
        let given = match &settings.cacert {
            Some(path) => read_cacert(path)?,
            None => Vec::new(),
        };
        let inner = WebPkiServerVerifier::builder_with_provider(
            Arc::new(roots(settings, &given, verbose)?),
            provider,
        )
        .build()
        .map_err(|e| Failure::usage(format!("cannot set up TLS: {e}")))?;
        builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(Verifier { inner, given }))
            .with_no_client_auth()
    };
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// The system's trust anchors, and `given`: the certificates of `--cacert`, read once.
fn roots(
    settings: &TlsSettings,
    given: &[CertificateDer<'static>],
    verbose: bool,
) -> Result<RootCertStore, Failure> {
    let mut roots = RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _unusable) = roots.add_parsable_certificates(native.certs);
    if verbose {
        show::eprint_lines(
            "* ",
            [format!(
                "{added} trusted certificates from the system{}",
                if native.errors.is_empty() {
                    String::new()
                } else {
                    format!(" ({} errors reading it)", native.errors.len())
                }
            )],
        );
    }
    if let Some(path) = &settings.cacert {
        for cert in given.iter().cloned() {
            roots.add(cert).map_err(|e| {
                Failure::local(format!(
                    "--cacert {}: a certificate cannot be trusted: {e}",
                    path.display()
                ))
            })?;
        }
    }
    Ok(roots)
}

/// Reads the PEM certificates of `--cacert FILE` (other PEM sections are skipped).
pub fn read_cacert(path: &std::path::Path) -> Result<Vec<CertificateDer<'static>>, Failure> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| Failure::local(format!("--cacert {name}: {e}")))?;
    let certs = CertificateDer::pem_slice_iter(&bytes)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Failure::local(format!("--cacert {name}: not a PEM file: {e}")))?;
    if certs.is_empty() {
        return Err(Failure::local(format!(
            "--cacert {name}: no PEM certificate in it"
        )));
    }
    Ok(certs)
}

/// Runs the TLS handshake over `tcp` for `url`: SNI with the host name (none for an IP
/// address), and the name or address verified against the certificate.
///
/// The handshake belongs to connecting: it must end by `deadline` (`--connect-timeout`,
/// counted from the lookup), and each read within it waits at most `io_timeout`. After it,
/// the socket's timeouts are `io_timeout` again.
pub fn handshake(
    tcp: TcpStream,
    url: &Url,
    config: Arc<rustls::ClientConfig>,
    deadline: Instant,
    io_timeout: Duration,
    verbose: bool,
) -> Result<Stream, Failure> {
    let hostport = format!("{}:{}", url.host_field_host(), url.port);
    let name = ServerName::try_from(url.host.clone()).map_err(|e| {
        Failure::usage(format!(
            "{}: not a name TLS can verify: {e}",
            url.host_field_host()
        ))
    })?;
    let mut conn = rustls::ClientConnection::new(config, name)
        .map_err(|e| Failure::protocol(format!("cannot start TLS with {hostport}: {e}")))?;
    let mut tcp = tcp;
    let timed_out = || {
        Failure::network(format!(
            "timed out in the TLS handshake with {hostport} (--connect-timeout, --timeout)"
        ))
    };
    while conn.is_handshaking() {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timed_out());
        }
        let wait = left.min(io_timeout);
        set_timeouts(&tcp, wait).map_err(|e| Failure::socket(&e, "starting TLS", 0.0))?;
        match conn.complete_io(&mut tcp) {
            Ok(_) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                if let Some(tls) = e.get_ref().and_then(|i| i.downcast_ref::<Error>()) {
                    return Err(failure(tls, url));
                }
                return Err(match e.kind() {
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => timed_out(),
                    io::ErrorKind::UnexpectedEof => Failure::network(format!(
                        "{hostport} closed the connection in the TLS handshake"
                    )),
                    _ => Failure::socket(&e, "in the TLS handshake", wait.as_secs_f64()),
                });
            }
        }
    }
    set_timeouts(&tcp, io_timeout).map_err(|e| Failure::socket(&e, "starting TLS", 0.0))?;
    if verbose {
        show::eprint_lines("* ", describe(&conn));
    }
    Ok(Stream::Tls(Box::new(rustls::StreamOwned::new(
        conn,
        ReadAhead::new(tcp),
    ))))
}

fn set_timeouts(tcp: &TcpStream, wait: Duration) -> io::Result<()> {
    tcp.set_read_timeout(Some(wait))?;
    tcp.set_write_timeout(Some(wait))
}

/// The failure a rustls error earns, in one line that says what was wrong.
pub fn failure(e: &Error, url: &Url) -> Failure {
    let host = url.host_field_host();
    match e {
        Error::InvalidCertificate(c) => Failure::verification(format!(
            "the certificate of {host} cannot be verified: {}",
            certificate_problem(c, url)
        )),
        Error::NoCertificatesPresented => Failure::verification(format!(
            "the certificate of {host} cannot be verified: the server sent none"
        )),
        // The server said no (an alert), or shares no version, cipher suite or key
        // exchange with us: the handshake was refused.
        Error::AlertReceived(alert) => Failure::network(format!(
            "{host} refused the TLS handshake (alert: {})",
            show::sanitize(format!("{alert:?}").as_bytes())
        )),
        Error::PeerIncompatible(why) => Failure::network(format!(
            "{host} refused the TLS handshake: {}",
            show::sanitize(format!("{why:?}").as_bytes())
        )),
        other => Failure::protocol(format!(
            "TLS error with {host}: {}",
            show::sanitize(other.to_string().as_bytes())
        )),
    }
}

/// Which check a certificate failed, in words.
fn certificate_problem(c: &CertificateError, url: &Url) -> String {
    let host = url.host_field_host();
    match c {
        CertificateError::UnknownIssuer => "unknown issuer: it does not chain to a trusted \
             certificate (--cacert FILE trusts one)"
            .to_string(),
        CertificateError::NotValidForName => format!("wrong name: it is not valid for {host}"),
        CertificateError::NotValidForNameContext { presented, .. } => {
            let names = if presented.is_empty() {
                "no names".to_string()
            } else {
                show::sanitize(presented.join(", ").as_bytes())
            };
            format!("wrong name: it is not valid for {host} (it names {names})")
        }
        CertificateError::Expired => "expired".to_string(),
        CertificateError::ExpiredContext { not_after, .. } => {
            format!("expired on {}", date(*not_after))
        }
        CertificateError::NotValidYet => "not valid yet".to_string(),
        CertificateError::NotValidYetContext { not_before, .. } => {
            format!("not valid before {}", date(*not_before))
        }
        CertificateError::Revoked => "revoked".to_string(),
        CertificateError::BadSignature => "bad signature".to_string(),
        // WebPKI's own reasons, in words.
        CertificateError::Other(e) => match webpki_reason(e) {
            Some(webpki::Error::CaUsedAsEndEntity) => "it is a CA certificate, not a server's \
                (give that very certificate to --cacert to trust it as the server's)"
                .to_string(),
            Some(webpki::Error::EndEntityUsedAsCa) => {
                "a server's certificate signs another in its chain".to_string()
            }
            Some(webpki::Error::RequiredEkuNotFoundContext(_)) => {
                "it is not meant for TLS servers (extended key usage)".to_string()
            }
            Some(webpki::Error::UnsupportedCriticalExtension) => {
                "it has a critical extension this client does not know".to_string()
            }
            Some(webpki::Error::NameConstraintViolation) => {
                "its name breaks a constraint of its issuer".to_string()
            }
            Some(webpki::Error::PathLenConstraintViolated) => {
                "its chain is longer than its issuer allows".to_string()
            }
            Some(webpki::Error::MaximumPathDepthExceeded) => "its chain is too long".to_string(),
            _ => show::sanitize(e.to_string().as_bytes()),
        },
        other => show::sanitize(other.to_string().as_bytes()),
    }
}

fn date(t: UnixTime) -> String {
    httpdate::fmt_http_date(SystemTime::UNIX_EPOCH + Duration::from_secs(t.as_secs()))
}

/// What `-v` shows of a finished handshake: version, cipher suite, ALPN, and the peer
/// certificate's subject and expiry, all sanitized.
fn describe(conn: &rustls::ClientConnection) -> Vec<String> {
    let version = match conn.protocol_version() {
        Some(rustls::ProtocolVersion::TLSv1_3) => "TLS 1.3".to_string(),
        Some(rustls::ProtocolVersion::TLSv1_2) => "TLS 1.2".to_string(),
        Some(other) => format!("{other:?}"),
        None => "TLS".to_string(),
    };
    let suite = conn
        .negotiated_cipher_suite()
        .map(|s| {
            let s = s.suite();
            s.as_str().map_or_else(|| format!("{s:?}"), str::to_string)
        })
        .unwrap_or_default();
    let alpn = conn
        .alpn_protocol()
        .map_or("none".to_string(), show::sanitize);
    let mut lines = vec![format!("{version}, cipher {suite}, ALPN {alpn}")];
    if let Some(cert) = conn.peer_certificates().and_then(|c| c.first()) {
        lines.extend(certificate_lines(cert));
    }
    lines
}

/// The subject, issuer and expiry of a DER certificate, sanitized (the peer chose them).
pub fn certificate_lines(der: &[u8]) -> Vec<String> {
    use x509_cert::der::Decode;
    match x509_cert::Certificate::from_der(der) {
        Ok(cert) => {
            let tbs = &cert.tbs_certificate;
            vec![
                format!(
                    "certificate subject: {}",
                    show::sanitize(tbs.subject.to_string().as_bytes())
                ),
                format!(
                    "certificate issuer: {}",
                    show::sanitize(tbs.issuer.to_string().as_bytes())
                ),
                format!(
                    "certificate expires: {}",
                    httpdate::fmt_http_date(
                        SystemTime::UNIX_EPOCH + tbs.validity.not_after.to_unix_duration()
                    )
                ),
            ]
        }
        Err(e) => vec![format!("certificate: cannot be shown ({e})")],
    }
}

/// The system's roots and `--cacert`'s, as rustls' WebPKI verifier checks them, with one
/// rule more: a certificate given to `--cacert` is also trusted as the server's own
/// certificate when it says it is a CA, as curl does (`openssl req -x509` makes such
/// self-signed certificates, and WebPKI refuses a CA as a server). It must still be the
/// very certificate given, byte for byte, valid for the name asked for and within its
/// dates; the handshake signature is checked as for any other.
#[derive(Debug)]
struct Verifier {
    inner: Arc<WebPkiServerVerifier>,
    given: Vec<CertificateDer<'static>>,
}

impl Verifier {
    /// The checks left when the server's certificate is one `--cacert` gave.
    fn given_as_server(
        end_entity: &CertificateDer<'_>,
        server_name: &ServerName<'_>,
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        use x509_cert::der::Decode;
        let bad = || Error::InvalidCertificate(CertificateError::BadEncoding);
        let cert = webpki::EndEntityCert::try_from(end_entity).map_err(|_| bad())?;
        cert.verify_is_valid_for_subject_name(server_name)
            .map_err(|_| Error::InvalidCertificate(CertificateError::NotValidForName))?;
        let parsed = x509_cert::Certificate::from_der(end_entity).map_err(|_| bad())?;
        let validity = &parsed.tbs_certificate.validity;
        let (from, until) = (
            validity.not_before.to_unix_duration().as_secs(),
            validity.not_after.to_unix_duration().as_secs(),
        );
        if now.as_secs() < from {
            return Err(Error::InvalidCertificate(
                CertificateError::NotValidYetContext {
                    time: now,
                    not_before: UnixTime::since_unix_epoch(Duration::from_secs(from)),
                },
            ));
        }
        if now.as_secs() > until {
            return Err(Error::InvalidCertificate(
                CertificateError::ExpiredContext {
                    time: now,
                    not_after: UnixTime::since_unix_epoch(Duration::from_secs(until)),
                },
            ));
        }
        Ok(ServerCertVerified::assertion())
    }
}

/// The WebPKI reason inside rustls' `CertificateError::Other`, if that is what it holds.
fn webpki_reason(e: &rustls::OtherError) -> Option<&webpki::Error> {
    e.0.downcast_ref::<webpki::Error>()
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verdict = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        );
        match verdict {
            Err(Error::InvalidCertificate(CertificateError::Other(e)))
                if matches!(webpki_reason(&e), Some(webpki::Error::CaUsedAsEndEntity))
                    && self.given.iter().any(|c| c.as_ref() == end_entity.as_ref()) =>
            {
                Verifier::given_as_server(end_entity, server_name, now)
            }
            verdict => verdict,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// `-k`: accepts any certificate, but still checks that the server holds its key (the
/// handshake signature), so the connection is at least encrypted to whoever answered.
#[derive(Debug)]
struct NoVerification(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerification {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::error::Exit;
    use rustls::AlertDescription;

    fn url(text: &str) -> Url {
        Url::parse(text, false).expect("url")
    }

    #[test]
    fn each_failure_earns_its_exit_code_and_says_which() {
        let at = UnixTime::since_unix_epoch(Duration::from_secs(978_307_200));
        let rows: [(Error, Exit, &str); 8] = [
            (
                Error::InvalidCertificate(CertificateError::UnknownIssuer),
                Exit::Verification,
                "the certificate of h cannot be verified: unknown issuer",
            ),
            (
                Error::InvalidCertificate(CertificateError::NotValidForNameContext {
                    expected: ServerName::try_from("h").unwrap().to_owned(),
                    presented: vec!["DnsName(\"o\u{1b}[2J\")".into()],
                }),
                Exit::Verification,
                "wrong name: it is not valid for h (it names DnsName(\"o\\u{1b}[2J\"))",
            ),
            (
                Error::InvalidCertificate(CertificateError::ExpiredContext {
                    time: at,
                    not_after: at,
                }),
                Exit::Verification,
                "expired on Mon, 01 Jan 2001 00:00:00 GMT",
            ),
            (
                Error::InvalidCertificate(CertificateError::NotValidYet),
                Exit::Verification,
                "not valid yet",
            ),
            (
                Error::NoCertificatesPresented,
                Exit::Verification,
                "the server sent none",
            ),
            (
                Error::AlertReceived(AlertDescription::ProtocolVersion),
                Exit::Network,
                "h refused the TLS handshake (alert: ProtocolVersion)",
            ),
            (
                Error::PeerIncompatible(rustls::PeerIncompatible::NoCipherSuitesInCommon),
                Exit::Network,
                "h refused the TLS handshake: NoCipherSuitesInCommon",
            ),
            (
                Error::DecryptError,
                Exit::Protocol,
                "TLS error with h: cannot decrypt peer's message",
            ),
        ];
        for (error, exit, why) in rows {
            let f = failure(&error, &url("https://h/"));
            assert_eq!(f.exit, exit, "{error:?}");
            assert!(f.why.contains(why), "{why:?} in {:?}", f.why);
            assert!(!f.why.contains('\u{1b}'), "{:?}", f.why);
        }
        let f = failure(
            &Error::InvalidCertificate(CertificateError::NotValidForName),
            &url("https://[::1]:8443/"),
        );
        assert_eq!(
            f.why,
            "the certificate of [::1] cannot be verified: wrong name: it is not valid for [::1]"
        );
    }

    fn temp(name: &str, text: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("tls-unit-{}-{name}", std::process::id()));
        std::fs::write(&dir, text).expect("write");
        dir
    }

    #[test]
    fn cacert_is_read_as_pem_and_refused_without_a_certificate() {
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = rcgen::CertificateParams::new(vec!["h".to_string()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let both = temp(
            "both.pem",
            &format!("{}{}", key.serialize_pem(), cert.pem()),
        );
        let certs = read_cacert(&both).expect("one certificate");
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].as_ref(), cert.der().as_ref());
        let only_key = temp("key.pem", &key.serialize_pem());
        let err = read_cacert(&only_key).expect_err("no certificate");
        assert_eq!(err.exit, Exit::LocalFile);
        assert!(err.why.ends_with("no PEM certificate in it"), "{}", err.why);
        let missing = std::env::temp_dir().join("tls-unit-no-such-file.pem");
        assert_eq!(
            read_cacert(&missing).expect_err("missing").exit,
            Exit::LocalFile
        );
        for p in [both, only_key] {
            let _ = std::fs::remove_file(p);
        }
    }

    #[test]
    fn certificate_lines_show_subject_issuer_and_expiry_sanitized() {
        let mut params = rcgen::CertificateParams::new(vec!["h".to_string()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "evil\u{1b}]0;title\u{7}\u{202e}");
        params.not_after = rcgen::date_time_ymd(2031, 2, 3);
        let key = rcgen::KeyPair::generate().expect("key");
        let cert = params.self_signed(&key).unwrap();
        let lines = certificate_lines(cert.der());
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("certificate subject: CN=evil"),
            "{lines:?}"
        );
        for line in &lines {
            assert!(
                !line
                    .chars()
                    .any(|c| c.is_control() || show::is_bidi_control(c)),
                "{line:?}"
            );
        }
        assert_eq!(
            lines[2],
            "certificate expires: Mon, 03 Feb 2031 00:00:00 GMT"
        );
        assert_eq!(
            certificate_lines(b"not a certificate")[0].split(' ').next(),
            Some("certificate:")
        );
    }

    #[test]
    fn the_config_offers_alpn_http_1_1_and_suites_of_both_versions() {
        let settings = TlsSettings {
            cacert: None,
            insecure: false,
        };
        let config = client_config(&settings, false).expect("config");
        assert_eq!(config.alpn_protocols, [b"http/1.1".to_vec()]);
        let mut versions: Vec<_> = config
            .crypto_provider()
            .cipher_suites
            .iter()
            .map(|s| s.version().version)
            .collect();
        versions.dedup();
        assert!(versions.contains(&rustls::ProtocolVersion::TLSv1_3));
        assert!(versions.contains(&rustls::ProtocolVersion::TLSv1_2));
    }
}
