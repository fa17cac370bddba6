//! Resolving a host and connecting: every address in turn, within one time budget.

use super::error::Failure;
use super::url::Url;
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// `--resolve HOST:PORT:ADDR` (curl's flag): connect to ADDR for HOST and PORT, without a
/// lookup. The URL, the Host field and TLS (SNI, the certificate's name) keep HOST.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pin {
    /// The host name, as in the URL.
    pub host: String,
    /// The port.
    pub port: u16,
    /// Where to connect instead.
    pub addr: IpAddr,
}

impl Pin {
    /// Parses `HOST:PORT:ADDR`; ADDR is an IPv4 or IPv6 address, brackets optional.
    pub fn parse(text: &str) -> Result<Pin, Failure> {
        let bad = || Failure::usage(format!("--resolve wants HOST:PORT:ADDRESS, not {:?}", text));
        let mut parts = text.splitn(3, ':');
        let (Some(host), Some(port), Some(addr)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        let addr = addr
            .strip_prefix('[')
            .and_then(|a| a.strip_suffix(']'))
            .unwrap_or(addr);
        let port = super::url::parse_port(port).map_err(|_| bad())?;
        super::url::check_host(host).map_err(|e| Failure::usage(format!("--resolve: {e}")))?;
        Ok(Pin {
            host: host.to_string(),
            port,
            addr: addr.parse().map_err(|_| bad())?,
        })
    }
}

/// A name lookup: host and port to addresses. [`system_lookup`] in the client; a stand-in
/// in tests.
pub type Lookup = fn(&str, u16) -> io::Result<Vec<SocketAddr>>;

/// Opens a blocking TCP connection to `url`'s host and port.
///
/// `connect_timeout` bounds looking the name up and connecting together. Each resolved
/// address (IPv6 and IPv4, in the resolver's order) is tried until one answers; each attempt
/// gets an equal share of what is left. Reads and writes on the returned stream time out
/// after `io_timeout` without progress. A `--resolve` entry in `pinned` for the host and
/// port is used instead of a lookup.
pub fn connect(
    url: &Url,
    pinned: &[Pin],
    connect_timeout: Duration,
    io_timeout: Duration,
    verbose: bool,
) -> Result<TcpStream, Failure> {
    let start = Instant::now();
    let addrs = match pinned
        .iter()
        .find(|p| p.port == url.port && p.host.eq_ignore_ascii_case(&url.host))
    {
        Some(pin) => vec![SocketAddr::new(pin.addr, pin.port)],
        None => resolve(&url.host, url.port, connect_timeout, system_lookup)?,
    };
    super::writeout::mark(super::writeout::Mark::NameLookup);
    let hostport = format!("{}:{}", url.host_field_host(), url.port);
    let tcp = connect_addrs(
        &addrs,
        &hostport,
        start,
        connect_timeout,
        io_timeout,
        verbose,
    )?;
    super::writeout::mark(super::writeout::Mark::Connect);
    super::writeout::record(|s| s.remote = tcp.peer_addr().ok());
    Ok(tcp)
}

/// Tries each of `addrs` in turn, as [`connect`] does, until `connect_timeout` after `start`
/// has passed; `hostport` names them in errors.
pub fn connect_addrs(
    addrs: &[SocketAddr],
    hostport: &str,
    start: Instant,
    connect_timeout: Duration,
    io_timeout: Duration,
    verbose: bool,
) -> Result<TcpStream, Failure> {
    let mut last_err: Option<io::Error> = None;
    for (i, addr) in addrs.iter().enumerate() {
        let left = connect_timeout.saturating_sub(start.elapsed());
        if left.is_zero() {
            break;
        }
        let share = left / (addrs.len() - i) as u32;
        let share = share.max(left.min(Duration::from_millis(500)));
        if verbose {
            super::show::eprint_lines("* ", [format!("connecting to {addr}")]);
        }
        match connect_one(addr, share, io_timeout) {
            Ok(stream) => {
                if verbose {
                    super::show::eprint_lines("* ", [format!("connected to {addr}")]);
                }
                return Ok(stream);
            }
            Err(e) => {
                if verbose {
                    super::show::eprint_lines("* ", [format!("{addr}: {e}")]);
                }
                last_err = Some(e);
            }
        }
    }
    let tried = if addrs.len() == 1 {
        String::new()
    } else {
        format!(" (tried {} addresses)", addrs.len())
    };
    Err(match last_err {
        Some(e)
            if matches!(
                e.kind(),
                io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock
            ) =>
        {
            Failure::network(format!(
                "timed out connecting to {hostport} after {} s{tried}",
                connect_timeout.as_secs_f64()
            ))
        }
        Some(e) if e.kind() == io::ErrorKind::ConnectionRefused => {
            Failure::network(format!("connection refused by {hostport}{tried}"))
        }
        Some(e) => Failure::network(format!("could not connect to {hostport}: {e}{tried}")),
        None => Failure::network(format!(
            "timed out connecting to {hostport} after {} s{tried}",
            connect_timeout.as_secs_f64()
        )),
    })
}

/// Resolves `host` with `lookup`, giving up after `timeout`.
///
/// A literal IP address is used as it is. A name is looked up on a helper thread, since the
/// system resolver (`getaddrinfo`) has no timeout of its own and cannot be cancelled: when
/// `timeout` passes first, the thread is left behind, still blocked in the resolver, and ends
/// with the process, which reports the timeout and exits soon after.
pub fn resolve(
    host: &str,
    port: u16,
    timeout: Duration,
    lookup: Lookup,
) -> Result<Vec<SocketAddr>, Failure> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    let (tx, rx) = mpsc::channel();
    let name = host.to_string();
    let spawned = std::thread::Builder::new()
        .name("resolve".into())
        .spawn(move || {
            // The receiver is gone once the wait timed out: nobody wants the answer.
            let _ = tx.send(lookup(&name, port));
        });
    let looked_up = match spawned {
        Ok(_) => match rx.recv_timeout(timeout) {
            Ok(result) => result,
            Err(mpsc::RecvTimeoutError::Timeout) => {
                return Err(Failure::network(format!(
                    "timed out resolving {host} after {} s",
                    timeout.as_secs_f64()
                )))
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                Err(io::Error::other("the lookup stopped without an answer"))
            }
        },
        // No thread to spare: look up here, without a bound, rather than not at all.
        Err(_) => lookup(host, port),
    };
    let addrs =
        looked_up.map_err(|e| Failure::network(format!("could not resolve host {host}: {e}")))?;
    if addrs.is_empty() {
        return Err(Failure::network(format!(
            "could not resolve host {host}: no addresses"
        )));
    }
    Ok(addrs)
}

/// The system resolver (`getaddrinfo`, through the standard library).
pub fn system_lookup(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    Ok((host, port).to_socket_addrs()?.collect())
}

fn connect_one(
    addr: &SocketAddr,
    timeout: Duration,
    io_timeout: Duration,
) -> io::Result<TcpStream> {
    let socket = Socket::new(
        Domain::for_address(*addr),
        Type::STREAM,
        Some(Protocol::TCP),
    )?;
    socket.connect_timeout(&(*addr).into(), timeout)?;
    socket.set_nodelay(true)?;
    socket.set_read_timeout(Some(io_timeout))?;
    socket.set_write_timeout(Some(io_timeout))?;
    Ok(socket.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn resolve_pins_parse() {
        let pin = Pin::parse("a.test:8443:127.0.0.1").expect("v4");
        assert_eq!((pin.host.as_str(), pin.port), ("a.test", 8443));
        assert_eq!(pin.addr, IpAddr::from([127, 0, 0, 1]));
        for v6 in ["h:1:[::1]", "h:1:::1"] {
            assert_eq!(
                Pin::parse(v6).expect(v6).addr,
                "::1".parse::<IpAddr>().unwrap()
            );
        }
        for bad in [
            "h",
            "h:1",
            "h:x:127.0.0.1",
            "h:1:name",
            "h:0:127.0.0.1",
            ":1:::1",
        ] {
            let err = Pin::parse(bad).expect_err(bad);
            assert_eq!(err.exit, super::super::error::Exit::Usage, "{bad}");
        }
    }

    #[test]
    fn a_pinned_host_is_not_looked_up() {
        let open = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = open.local_addr().expect("addr").port();
        let url = Url::parse(&format!("http://no-such-host.invalid:{port}/"), false).unwrap();
        let pin = Pin::parse(&format!("NO-such-host.invalid:{port}:127.0.0.1")).unwrap();
        let stream = connect(&url, &[pin], SECOND, SECOND, false).expect("pinned");
        assert_eq!(stream.peer_addr().expect("peer").port(), port);
    }

    #[test]
    fn tries_every_address_until_one_answers() {
        let refused = TcpListener::bind("[::1]:0")
            .or_else(|_| TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let refused_addr = refused.local_addr().expect("addr");
        drop(refused);
        let open = TcpListener::bind("127.0.0.1:0").expect("bind");
        let open_addr = open.local_addr().expect("addr");
        let stream = connect_addrs(
            &[refused_addr, open_addr],
            "h",
            Instant::now(),
            SECOND,
            SECOND,
            false,
        )
        .expect("the second address answers");
        assert_eq!(stream.peer_addr().expect("peer"), open_addr);
    }

    #[test]
    fn all_refused_is_a_network_failure_naming_the_count() {
        let a = TcpListener::bind("127.0.0.1:0").expect("bind");
        let b = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addrs = [a.local_addr().expect("a"), b.local_addr().expect("b")];
        drop((a, b));
        let err = connect_addrs(&addrs, "h:1", Instant::now(), SECOND, SECOND, false)
            .expect_err("refused");
        assert_eq!(err.exit, super::super::error::Exit::Network);
        assert_eq!(err.why, "connection refused by h:1 (tried 2 addresses)");
    }

    /// A lookup that never answers, like a resolver whose DNS server is unreachable.
    fn hangs(_: &str, _: u16) -> io::Result<Vec<SocketAddr>> {
        std::thread::sleep(Duration::from_secs(3600));
        Ok(Vec::new())
    }

    #[test]
    fn a_lookup_that_hangs_times_out_naming_the_host_and_the_time() {
        let start = Instant::now();
        let err =
            resolve("slow.example", 80, Duration::from_millis(200), hangs).expect_err("times out");
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(err.exit, super::super::error::Exit::Network);
        assert_eq!(err.why, "timed out resolving slow.example after 0.2 s");
    }

    #[test]
    fn a_literal_address_is_not_looked_up() {
        for (host, want) in [("127.0.0.1", "127.0.0.1:8080"), ("::1", "[::1]:8080")] {
            let addrs = resolve(host, 8080, Duration::from_millis(1), hangs).expect(host);
            assert_eq!(addrs, [want.parse::<SocketAddr>().expect("addr")]);
        }
    }

    #[test]
    fn a_lookup_answer_is_used_and_its_failure_reported() {
        fn answers(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
            assert_eq!((host, port), ("name.example", 81));
            Ok(vec![SocketAddr::from(([192, 0, 2, 1], port))])
        }
        fn fails(_: &str, _: u16) -> io::Result<Vec<SocketAddr>> {
            Err(io::Error::other("no such host"))
        }
        fn empty(_: &str, _: u16) -> io::Result<Vec<SocketAddr>> {
            Ok(Vec::new())
        }
        let addrs = resolve("name.example", 81, SECOND, answers).expect("answer");
        assert_eq!(addrs, [SocketAddr::from(([192, 0, 2, 1], 81))]);
        for (lookup, why) in [
            (fails as Lookup, "could not resolve host h: no such host"),
            (empty, "could not resolve host h: no addresses"),
        ] {
            let err = resolve("h", 80, SECOND, lookup).expect_err(why);
            assert_eq!(err.exit, super::super::error::Exit::Network);
            assert_eq!(err.why, why);
        }
    }

    #[test]
    fn localhost_resolves_through_the_system() {
        let addrs = resolve("localhost", 80, 10 * SECOND, system_lookup).expect("localhost");
        assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    }
}
