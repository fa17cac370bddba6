//! Listening sockets: one per address (SO_REUSEPORT, so that another instance can join it
//! with --share-port), or the sockets a service manager passed in (socket activation,
//! [`inherited`]); either way every worker polls a duplicate of each.

use socket2::{Domain, Protocol, Socket, Type};
use std::io;
use std::net::{IpAddr, SocketAddr};

/// Why an address could not be listened on.
#[derive(Debug)]
pub struct BindError {
    /// The address that failed.
    pub addr: SocketAddr,
    /// The error.
    pub error: io::Error,
}

impl BindError {
    /// One line saying what failed, why, and what to try.
    #[must_use]
    pub fn describe(&self) -> String {
        let port = self.addr.port();
        let hint = match self.error.kind() {
            io::ErrorKind::PermissionDenied if port < 1024 => {
                " (ports below 1024 need privileges; try: simple-server 8080)".to_string()
            }
            io::ErrorKind::AddrInUse => format!(
                " (another program listens there; try another port, e.g. simple-server {})",
                if port == u16::MAX || port == 0 {
                    8080
                } else {
                    port + 1
                }
            ),
            io::ErrorKind::AddrNotAvailable => {
                " (this machine has no such address; see --bind)".to_string()
            }
            _ => String::new(),
        };
        format!(
            "cannot listen on {}: {}{}",
            self.addr,
            super::io_reason(&self.error),
            hint
        )
    }
}

fn listener(addr: SocketAddr, v6_only: bool) -> io::Result<Socket> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    #[cfg(all(
        unix,
        not(any(target_os = "solaris", target_os = "illumos", target_os = "cygwin"))
    ))]
    socket.set_reuse_port(true)?;
    if addr.is_ipv6() && v6_only {
        socket.set_only_v6(true)?;
    }
    socket.set_nonblocking(true)?;
    socket.set_cloexec(true)?;
    // Replies go out without waiting for acknowledgements (Nagle). On Linux accepted
    // sockets inherit this, which saves a `setsockopt` per connection.
    socket.set_nodelay(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket)
}

/// The listening sockets passed by a service manager (systemd's socket activation:
/// `LISTEN_PID` is this process and `LISTEN_FDS` counts descriptors from 3), or `None`
/// when there are none for this process. The variables are removed, so that nothing this
/// process starts takes them for its own. Each descriptor must be a listening TCP socket;
/// the error says which is not.
///
/// Call it before any other thread starts: it changes the environment.
#[allow(unsafe_code)]
pub fn inherited() -> Result<Option<Vec<std::net::TcpListener>>, String> {
    const FIRST: i32 = 3;
    let pid = std::env::var("LISTEN_PID").ok();
    let fds = std::env::var("LISTEN_FDS").ok();
    let (Some(pid), Some(fds)) = (pid, fds) else {
        return Ok(None);
    };
    if pid.trim().parse::<u32>().ok() != Some(std::process::id()) {
        // Meant for another process (a parent that did not clear them).
        return Ok(None);
    }
    for name in ["LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES"] {
        std::env::remove_var(name);
    }
    let n: i32 = fds
        .trim()
        .parse()
        .ok()
        .filter(|n| (1..=64).contains(n))
        .ok_or_else(|| {
            format!("LISTEN_FDS wants the number of sockets passed (1 to 64), got {fds:?}")
        })?;
    let mut sockets = Vec::new();
    for fd in FIRST..FIRST + n {
        use std::os::fd::{BorrowedFd, FromRawFd as _, OwnedFd};
        let what = format!("descriptor {fd} of LISTEN_FDS");
        // Check that it is open before taking it: taking a closed one would close another.
        // SAFETY: the descriptor is only borrowed for the check.
        if rustix::io::fcntl_getfd(unsafe { BorrowedFd::borrow_raw(fd) }).is_err() {
            return Err(format!("{what} is not open"));
        }
        // SAFETY: the service manager handed this open descriptor to this process, and
        // nothing else in it owns it (LISTEN_FDS is read once: the variables are gone).
        let socket = Socket::from(unsafe { OwnedFd::from_raw_fd(fd) });
        let listening = socket.r#type().ok() == Some(Type::STREAM)
            && socket.is_listener().unwrap_or(false)
            && socket
                .local_addr()
                .ok()
                .is_some_and(|a| a.as_socket().is_some());
        if !listening {
            return Err(format!("{what} is not a listening TCP socket"));
        }
        socket
            .set_nonblocking(true)
            .and_then(|()| socket.set_cloexec(true))
            .map_err(|e| format!("{what}: {}", super::io_reason(&e)))?;
        sockets.push(std::net::TcpListener::from(socket));
    }
    Ok(Some(sockets))
}

/// The workers' share of listening sockets (bound here or inherited): each worker polls
/// its own duplicate of every one, and the socket's single accept queue hands each
/// connection to whichever worker takes it (see `worker::register_listeners`).
pub fn share_inherited(
    sockets: &[std::net::TcpListener],
    workers: usize,
) -> Result<Bound, BindError> {
    let mut addrs = Vec::new();
    for s in sockets {
        let addr = s.local_addr().map_err(|error| BindError {
            addr: SocketAddr::from(([0, 0, 0, 0], 0)),
            error,
        })?;
        addrs.push(addr);
    }
    let mut per_worker = Vec::with_capacity(workers);
    for _ in 0..workers {
        let mut mine = Vec::with_capacity(sockets.len());
        for (s, &addr) in sockets.iter().zip(&addrs) {
            mine.push(s.try_clone().map_err(|error| BindError { addr, error })?);
        }
        per_worker.push(mine);
    }
    Ok(Bound { addrs, per_worker })
}

/// Binds (without listening or sharing) to see whether `addr` is free.
fn probe(addr: SocketAddr, v6_only: bool) -> io::Result<()> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() && v6_only {
        socket.set_only_v6(true)?;
    }
    socket.bind(&addr.into())
}

fn unavailable(e: &io::Error) -> bool {
    e.kind() == io::ErrorKind::AddrNotAvailable
        || e.raw_os_error() == Some(rustix::io::Errno::AFNOSUPPORT.raw_os_error())
}

/// The bound sockets: `per_worker[w]` holds worker `w`'s socket for each address.
#[derive(Debug)]
pub struct Bound {
    /// The addresses actually listened on, with the actual port.
    pub addrs: Vec<SocketAddr>,
    /// One list of sockets per worker, in the order of `addrs`.
    pub per_worker: Vec<Vec<std::net::TcpListener>>,
}

/// Binds a socket on each of `ips` at `port`, and gives every one of `workers` a duplicate. With port 0 the first socket picks a
/// free port and the others use it. When `skip_unavailable` is set, an address this
/// machine does not have (e.g. ::1 without IPv6) is left out instead of failing. With
/// `share`, a port another process of this user listens on with SO_REUSEPORT (another
/// simple-server) is joined, for a restart without downtime; otherwise it is refused.
pub fn bind_all(
    ips: &[IpAddr],
    port: u16,
    workers: usize,
    skip_unavailable: bool,
    share: bool,
) -> Result<Bound, BindError> {
    // An ephemeral port free on the first address may be taken on another: try again.
    let attempts = if port == 0 { 8 } else { 1 };
    let mut last = None;
    for _ in 0..attempts {
        match try_bind(ips, port, workers, skip_unavailable, share) {
            Ok(b) => return Ok(b),
            Err(e) if port == 0 && e.error.kind() == io::ErrorKind::AddrInUse => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| BindError {
        addr: SocketAddr::new(ips[0], port),
        error: io::ErrorKind::AddrInUse.into(),
    }))
}

fn try_bind(
    ips: &[IpAddr],
    mut port: u16,
    workers: usize,
    skip_unavailable: bool,
    share: bool,
) -> Result<Bound, BindError> {
    let v6_only = ips.iter().any(IpAddr::is_ipv4) || ips.len() > 1;
    let mut sockets = Vec::new();
    for &ip in ips {
        let addr = SocketAddr::new(ip, port);
        // SO_REUSEPORT would let this server share a port another one (of the same user)
        // listens on, splitting the traffic between them: check first with a socket that
        // cannot share.
        let probed = if port != 0 && !share {
            probe(addr, v6_only)
        } else {
            Ok(())
        };
        match probed.and_then(|()| listener(addr, v6_only)) {
            Ok(s) => {
                if port == 0 {
                    port = s
                        .local_addr()
                        .ok()
                        .and_then(|a| a.as_socket())
                        .map(|a| a.port())
                        .ok_or_else(|| BindError {
                            addr,
                            error: io::ErrorKind::Other.into(),
                        })?;
                }
                sockets.push(std::net::TcpListener::from(s));
            }
            Err(error) if skip_unavailable && ip.is_ipv6() && unavailable(&error) => {}
            Err(error) => return Err(BindError { addr, error }),
        }
    }
    if sockets.is_empty() {
        return Err(BindError {
            addr: SocketAddr::new(ips[0], port),
            error: io::ErrorKind::AddrNotAvailable.into(),
        });
    }
    share_inherited(&sockets, workers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bind_errors_say_what_to_try() {
        let e = BindError {
            addr: "127.0.0.1:80".parse().unwrap(),
            error: io::ErrorKind::PermissionDenied.into(),
        };
        assert_eq!(
            e.describe(),
            "cannot listen on 127.0.0.1:80: permission denied \
             (ports below 1024 need privileges; try: simple-server 8080)"
        );
        let e = BindError {
            addr: "[::1]:8080".parse().unwrap(),
            error: io::ErrorKind::AddrInUse.into(),
        };
        assert!(e
            .describe()
            .starts_with("cannot listen on [::1]:8080: address already in use"));
        assert!(e.describe().contains("simple-server 8081"));
    }

    #[cfg(any(target_os = "linux", target_os = "android"))]
    #[test]
    fn accepted_sockets_inherit_nodelay() {
        let bound = bind_all(&["127.0.0.1".parse().unwrap()], 0, 1, false, false).unwrap();
        let listener = &bound.per_worker[0][0];
        listener.set_nonblocking(false).unwrap();
        let mut client = std::net::TcpStream::connect(bound.addrs[0]).unwrap();
        std::io::Write::write_all(&mut client, b"GET").unwrap();
        let (accepted, _) = listener.accept().unwrap();
        assert!(accepted.nodelay().unwrap());
    }

    #[test]
    fn a_port_in_use_is_refused_even_by_reuseport_sockets() {
        let first = bind_all(&["127.0.0.1".parse().unwrap()], 0, 2, false, false).unwrap();
        assert_eq!(first.per_worker.len(), 2);
        let port = first.addrs[0].port();
        assert_ne!(port, 0);
        let second = bind_all(&["127.0.0.1".parse().unwrap()], port, 2, false, false).unwrap_err();
        assert_eq!(second.error.kind(), io::ErrorKind::AddrInUse);
    }

    #[test]
    fn share_joins_a_port_another_instance_listens_on() {
        let ip = ["127.0.0.1".parse().unwrap()];
        let first = bind_all(&ip, 0, 1, false, false).unwrap();
        let port = first.addrs[0].port();
        let second = bind_all(&ip, port, 2, false, true).unwrap();
        assert_eq!(second.addrs[0].port(), port);
        // Once the first is closed, the second alone takes the port's connections.
        drop(first);
        let _client = std::net::TcpStream::connect(second.addrs[0]).unwrap();
    }

    #[test]
    fn workers_share_inherited_sockets_as_duplicates() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        let bound = share_inherited(&[l], 3).unwrap();
        assert_eq!(bound.addrs, [addr]);
        assert_eq!(bound.per_worker.len(), 3);
        let _client = std::net::TcpStream::connect(addr).unwrap();
        bound.per_worker[2][0].set_nonblocking(false).unwrap();
        let (_, peer) = bound.per_worker[2][0].accept().unwrap();
        assert!(peer.ip().is_loopback());
    }
}
