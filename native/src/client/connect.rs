//! Resolving a host and connecting: every address in turn, within one time budget.

use super::error::Failure;
use super::url::Url;
use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Opens a blocking TCP connection to `url`'s host and port.
///
/// Tries each resolved address (IPv6 and IPv4, in the resolver's order) until one answers.
/// `connect_timeout` bounds all attempts together; each attempt gets an equal share of what
/// is left. Reads and writes on the returned stream time out after `io_timeout` without
/// progress.
pub fn connect(
    url: &Url,
    connect_timeout: Duration,
    io_timeout: Duration,
    verbose: bool,
) -> Result<TcpStream, Failure> {
    let addrs = resolve(url)?;
    let hostport = format!("{}:{}", url.host_field_host(), url.port);
    connect_addrs(&addrs, &hostport, connect_timeout, io_timeout, verbose)
}

/// Tries each of `addrs` in turn, as [`connect`] does; `hostport` names them in errors.
pub fn connect_addrs(
    addrs: &[SocketAddr],
    hostport: &str,
    connect_timeout: Duration,
    io_timeout: Duration,
    verbose: bool,
) -> Result<TcpStream, Failure> {
    let start = Instant::now();
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

fn resolve(url: &Url) -> Result<Vec<SocketAddr>, Failure> {
    if let Ok(ip) = url.host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, url.port)]);
    }
    let addrs: Vec<SocketAddr> = (url.host.as_str(), url.port)
        .to_socket_addrs()
        .map_err(|e| Failure::network(format!("could not resolve host {}: {e}", url.host)))?
        .collect();
    if addrs.is_empty() {
        return Err(Failure::network(format!(
            "could not resolve host {}: no addresses",
            url.host
        )));
    }
    Ok(addrs)
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
    fn tries_every_address_until_one_answers() {
        let refused = TcpListener::bind("[::1]:0")
            .or_else(|_| TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let refused_addr = refused.local_addr().expect("addr");
        drop(refused);
        let open = TcpListener::bind("127.0.0.1:0").expect("bind");
        let open_addr = open.local_addr().expect("addr");
        let stream = connect_addrs(&[refused_addr, open_addr], "h", SECOND, SECOND, false)
            .expect("the second address answers");
        assert_eq!(stream.peer_addr().expect("peer"), open_addr);
    }

    #[test]
    fn all_refused_is_a_network_failure_naming_the_count() {
        let a = TcpListener::bind("127.0.0.1:0").expect("bind");
        let b = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addrs = [a.local_addr().expect("a"), b.local_addr().expect("b")];
        drop((a, b));
        let err = connect_addrs(&addrs, "h:1", SECOND, SECOND, false).expect_err("refused");
        assert_eq!(err.exit, super::super::error::Exit::Network);
        assert_eq!(err.why, "connection refused by h:1 (tried 2 addresses)");
    }
}
