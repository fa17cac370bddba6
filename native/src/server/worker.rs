//! A worker thread: one `mio` poll, its own listening sockets, and the connections it
//! accepted, each a [`Conn`] state machine kept in a slab by token.

use super::commit::{Done, Link};
use super::config::Config;
use super::conn::{Conn, Next};
use super::fs_store::FsStore;
use super::tls::Certs;
use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token};
use simplehttp_core::server::{ServerConfig, ServerConnection};
use simplehttp_core::Timestamp;
use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::Receiver;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The waker's token: the main thread wakes workers to shut down, the commit pool when
/// an upload is committed.
pub const WAKER: Token = Token(usize::MAX);
/// Connections' tokens start here; listeners use the tokens below.
const FIRST_CONN: usize = 1 << 16;
/// How often deadlines are checked.
const TICK: Duration = Duration::from_millis(200);
/// With files kept open for reuse, a poll this long without events closes them.
const CACHE_IDLE: Duration = Duration::from_millis(50);
/// Most connections accepted (and answered) in a row before the others get a turn.
const ACCEPT_BATCH: usize = 64;
/// How long accepting pauses when the process is out of file descriptors.
const ACCEPT_PAUSE: Duration = Duration::from_millis(100);
/// At shutdown, at most this many batches of [`ACCEPT_BATCH`] queued connections are
/// accepted from each listener before it closes.
const DRAIN_ROUNDS: usize = 16;

/// What all workers share.
#[derive(Debug)]
pub struct Shared {
    /// The settings.
    pub config: Config,
    /// Set by the main thread on SIGINT/SIGTERM.
    pub shutdown: AtomicBool,
    /// The certificates, when the server speaks HTTPS.
    pub tls: Option<Arc<Certs>>,
}

/// What a connection needs from its worker while it runs: the engine's settings, the
/// clock, the store and the pools.
pub struct Ctx {
    /// What every connection's engine is configured with.
    pub engine_config: Arc<ServerConfig>,
    /// The file store (one per worker).
    pub store: FsStore,
    /// No access log.
    pub quiet: bool,
    /// The time at the last wake-up, and the origin of the engine's millisecond clock.
    pub now: Instant,
    pub epoch: Instant,
    /// The wall-clock time at the last wake-up, for the core.
    pub ts: Timestamp,
    /// Shutting down: no keep-alive any more.
    pub shutting_down: bool,
    /// Reused for access-log lines.
    pub log_scratch: String,
    /// Input buffers of idle connections, for reuse (all `HEAD_READ` bytes, initialized).
    pub rpool: Vec<Vec<u8>>,
    /// Output buffers of idle connections, for reuse (empty, with capacity).
    pub wpool: Vec<Vec<u8>>,
    /// A small file's bytes, read when it was opened, for the connection numbered
    /// `inline_owner` to copy after the head.
    pub inline: Vec<u8>,
    pub inline_owner: u64,
    /// Engines of idle connections, ready for another.
    pub engines: Vec<Box<ServerConnection>>,
    /// Where uploads go to be committed.
    pub commits: Link,
    /// The last connection's serial number.
    pub serial: u64,
    /// The certificates, when the server speaks HTTPS.
    pub tls: Option<Arc<Certs>>,
    /// Scratch for a file's bytes on their way to rustls (empty until first needed).
    pub tls_buf: Vec<u8>,
}

impl Ctx {
    fn tick(&mut self) {
        self.now = Instant::now();
        self.ts = Timestamp(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs()),
        );
    }
}

/// Registers a worker's duplicates of the listening sockets with its poll, listener `i`
/// as `Token(i)`. Call it for the workers in order, before any of them runs.
///
/// All workers' duplicates share each socket's one accept queue. On Linux they are
/// registered for exclusive wake-ups (`EPOLLEXCLUSIVE`): a new connection wakes only the
/// first worker, in registration order, that is waiting in its poll, rather than every
/// worker, and a worker busy serving is passed over. A worker other than the first that
/// is woken leaves the queue to the first for [`DEFER`] before it accepts what is left
/// (`Accepting::defer`). So connections gather on the first worker while it keeps up, and
/// the others take those it leaves waiting: on a machine whose cores the clients share (a
/// load generator, local testing), fewer workers compete with them for the cores, and
/// none stays idle while connections wait.
pub fn register_listeners(poll: &Poll, listeners: &[std::net::TcpListener]) -> io::Result<()> {
    for (i, l) in listeners.iter().enumerate() {
        register_listener(poll, i, l)?;
    }
    Ok(())
}

fn register_listener(poll: &Poll, i: usize, l: &impl std::os::fd::AsFd) -> io::Result<()> {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        use rustix::event::epoll;
        epoll::add(
            poll.registry(),
            l,
            epoll::EventData::new_u64(i as u64),
            epoll::EventFlags::IN | epoll::EventFlags::ET | epoll::EventFlags::EXCLUSIVE,
        )?;
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        use std::os::fd::AsRawFd;
        poll.registry().register(
            &mut mio::unix::SourceFd(&l.as_fd().as_raw_fd()),
            Token(i),
            Interest::READABLE,
        )?;
    }
    Ok(())
}

/// Undoes [`register_listeners`] for one listener. Closing the duplicate alone would not:
/// a registration lasts as long as the socket, which the other workers keep open.
fn deregister_listener(poll: &Poll, l: &TcpListener) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::event::epoll::delete(poll.registry(), l);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        use std::os::fd::AsRawFd;
        let _ = poll
            .registry()
            .deregister(&mut mio::unix::SourceFd(&l.as_raw_fd()));
    }
}

/// A worker's connections, in a slab indexed by `token - FIRST_CONN`.
struct Slots {
    conns: Vec<Option<Box<Conn>>>,
    free: Vec<usize>,
    live: usize,
    /// Connections that stopped sending to let others have a turn; driven again next
    /// round.
    again: Vec<usize>,
    /// A connection closed since accepting ran out of descriptors: one is free again.
    freed: bool,
}

impl Slots {
    /// Drives connection `idx` (if it is still there) and closes it when it is done.
    fn drive(&mut self, idx: usize, ctx: &mut Ctx, f: impl FnOnce(&mut Conn, &mut Ctx) -> Next) {
        let Some(Some(conn)) = self.conns.get_mut(idx) else {
            return;
        };
        if guarded(|| f(conn, ctx)) == Next::Close {
            self.close(idx);
        } else if conn.yielded() {
            self.again.push(idx);
        }
    }

    fn close(&mut self, idx: usize) {
        if self.conns[idx].take().is_some() {
            self.free.push(idx);
            self.live -= 1;
            self.freed = true;
        }
    }
}

/// The listening side of a worker: its duplicates of the listening sockets and what is
/// pending on them.
struct Accepting {
    listeners: Vec<Option<TcpListener>>,
    /// Listeners that stopped accepting to let the others have a turn; accepted from
    /// again next round (edge-triggered: there is no new event).
    more: Vec<usize>,
    /// Listeners with connections that this worker, not the first, leaves to the first
    /// until `deferred_until`.
    deferred: Vec<usize>,
    deferred_until: Option<Instant>,
    /// Out of file descriptors: no accepting until then.
    paused_until: Option<Instant>,
}

/// How long a worker other than the first leaves new connections to the first one. The
/// exclusive wake-ups wake the next worker whenever the first is not waiting in its poll,
/// which it usually is not while it accepts a burst; waiting this long lets it take the
/// burst, and a first worker that is really behind still gets help within it.
const DEFER: Duration = Duration::from_millis(10);

impl Accepting {
    /// Leaves listener `i`'s new connections to the first worker for [`DEFER`]. Its
    /// registration is taken away meanwhile: each connection arriving while the first
    /// worker is busy would wake this one again.
    fn defer(&mut self, i: usize, poll: &Poll, now: Instant) {
        let Some(Some(l)) = self.listeners.get(i) else {
            return;
        };
        if !self.deferred.contains(&i) {
            deregister_listener(poll, l);
            self.deferred.push(i);
            self.deferred_until.get_or_insert(now + DEFER);
        }
    }

    /// After [`DEFER`]: accepts what the first worker has left, and listens again.
    fn resume(&mut self, poll: &Poll, slots: &mut Slots, ctx: &mut Ctx) {
        self.deferred_until = None;
        for i in std::mem::take(&mut self.deferred) {
            self.accept(i, poll, slots, ctx);
            if let Some(Some(l)) = self.listeners.get(i) {
                // Reports at once what is still queued; should it fail, the listener is
                // left to the other workers.
                let _ = register_listener(poll, i, l);
            }
        }
    }

    /// Accepts from listener `i` unless accepting is paused.
    fn accept(&mut self, i: usize, poll: &Poll, slots: &mut Slots, ctx: &mut Ctx) {
        if self.paused_until.is_none() {
            self.paused_until = accept_all(self, i, poll, slots, ctx);
            if self.paused_until.is_some() {
                slots.freed = false;
            }
        }
    }
}

/// Runs worker number `index` until shutdown. `poll` already has the waker and the
/// listeners ([`register_listeners`]) registered.
pub fn run(
    shared: Arc<Shared>,
    index: usize,
    mut poll: Poll,
    listeners: Vec<std::net::TcpListener>,
    commits: Link,
    committed: Receiver<Done>,
) -> io::Result<()> {
    let config = &shared.config;
    let now = Instant::now();
    let mut ctx = Ctx {
        engine_config: Arc::new(config.engine_config()),
        store: FsStore::new(&config.root, config.policy.read_only)?,
        quiet: config.quiet,
        now,
        epoch: now,
        ts: Timestamp(0),
        shutting_down: false,
        log_scratch: String::new(),
        rpool: Vec::new(),
        wpool: Vec::new(),
        inline: Vec::new(),
        inline_owner: 0,
        engines: Vec::new(),
        commits,
        serial: 0,
        tls: shared.tls.clone(),
        tls_buf: Vec::new(),
    };
    ctx.tick();
    let mut slots = Slots {
        conns: Vec::new(),
        free: Vec::new(),
        live: 0,
        again: Vec::new(),
        freed: false,
    };
    let mut acc = Accepting {
        listeners: listeners
            .into_iter()
            .map(|l| Some(TcpListener::from_std(l)))
            .collect(),
        more: Vec::new(),
        deferred: Vec::new(),
        deferred_until: None,
        paused_until: None,
    };
    let mut events = Events::with_capacity(1024);
    let mut next_sweep = ctx.now + TICK;
    let mut grace_deadline: Option<Instant> = None;
    let mut again_now: Vec<usize> = Vec::new();
    let mut accept_now: Vec<usize> = Vec::new();

    loop {
        // While files are kept open for reuse, wake up soon to close them once traffic
        // stops: an idle server holds no file open. With no connection and nothing
        // pending, no deadline can pass: sleep until an event or the waker.
        let timeout = if !slots.again.is_empty() || !acc.more.is_empty() {
            Some(Duration::ZERO)
        } else if let Some(until) = acc.deferred_until.or(acc.paused_until) {
            Some(until.saturating_duration_since(ctx.now).min(TICK))
        } else if ctx.store.is_caching() {
            Some(CACHE_IDLE)
        } else if slots.live == 0 && acc.paused_until.is_none() && grace_deadline.is_none() {
            None
        } else {
            Some(TICK)
        };
        match poll.poll(&mut events, timeout) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
        ctx.tick();
        ctx.store.tick(ctx.ts.0);
        if events.is_empty() && slots.again.is_empty() && acc.more.is_empty() {
            ctx.store.drop_cache();
        }

        if grace_deadline.is_none() && shared.shutdown.load(Ordering::Relaxed) {
            grace_deadline = Some(ctx.now + config.shutdown_grace);
            ctx.shutting_down = true;
            // Idle connections go now; the others after their response.
            for idx in 0..slots.conns.len() {
                if slots.conns[idx].as_ref().is_some_and(|c| c.is_idle()) {
                    slots.close(idx);
                }
            }
            // Stop accepting: the listening sockets close here. What is already queued on
            // them is accepted first and served in the grace period: closing a listener
            // resets the connections in its queue, and with --share-port or inherited
            // sockets another instance takes the port's next ones.
            for i in 0..acc.listeners.len() {
                let mut rounds = 0;
                while acc.paused_until.is_none() && rounds < DRAIN_ROUNDS {
                    rounds += 1;
                    acc.more.retain(|&j| j != i);
                    acc.accept(i, &poll, &mut slots, &mut ctx);
                    if !acc.more.contains(&i) {
                        break;
                    }
                }
                if let Some(l) = acc.listeners[i].take() {
                    deregister_listener(&poll, &l);
                }
            }
            acc.more.clear();
            acc.deferred.clear();
            acc.deferred_until = None;
        }

        for done in committed.try_iter() {
            slots.drive(done.slot, &mut ctx, |conn, ctx| {
                conn.committed(done.serial, done.outcome, ctx)
            });
        }

        for event in &events {
            let token = event.token();
            if token == WAKER {
                continue;
            }
            if token.0 < FIRST_CONN {
                if index == 0 {
                    acc.accept(token.0, &poll, &mut slots, &mut ctx);
                } else {
                    acc.defer(token.0, &poll, ctx.now);
                }
                continue;
            }
            let hup = event.is_read_closed() || event.is_error();
            let readable = event.is_readable();
            slots.drive(token.0 - FIRST_CONN, &mut ctx, |conn, ctx| {
                conn.drive(ctx, readable, hup)
            });
        }
        // Those that yielded last round (and got no event this round) go on now.
        std::mem::swap(&mut slots.again, &mut again_now);
        again_now.sort_unstable();
        again_now.dedup();
        for idx in again_now.drain(..) {
            if slots
                .conns
                .get(idx)
                .is_some_and(|c| c.as_ref().is_some_and(|c| c.yielded()))
            {
                slots.drive(idx, &mut ctx, |conn, ctx| conn.drive(ctx, false, false));
            }
            // Otherwise driven by an event this round, and done or waiting for the socket.
        }

        // Listeners that had more to accept last round, and those whose connections the
        // first worker has left long enough.
        std::mem::swap(&mut acc.more, &mut accept_now);
        if acc.deferred_until.is_some_and(|t| ctx.now >= t) {
            acc.resume(&poll, &mut slots, &mut ctx);
        }
        accept_now.sort_unstable();
        accept_now.dedup();
        for i in accept_now.drain(..) {
            acc.accept(i, &poll, &mut slots, &mut ctx);
        }
        // Out of descriptors: accept again once one is free (a connection closed; the
        // queue may hold many whose peers have gone, each closed as soon as it is read),
        // or after the pause (another process may have freed some).
        if acc
            .paused_until
            .is_some_and(|until| slots.freed || ctx.now >= until)
        {
            acc.paused_until = None;
            for i in 0..acc.listeners.len() {
                acc.accept(i, &poll, &mut slots, &mut ctx);
            }
        }

        if ctx.now >= next_sweep {
            next_sweep = ctx.now + TICK;
            for idx in 0..slots.conns.len() {
                if slots.conns[idx]
                    .as_ref()
                    .is_some_and(|c| c.deadline <= ctx.now)
                {
                    slots.drive(idx, &mut ctx, |conn, ctx| conn.on_timeout(ctx));
                }
            }
        }

        if let Some(deadline) = grace_deadline {
            if slots.live == 0 || ctx.now >= deadline {
                // Dropping the connections drops unfinished uploads and their temporaries.
                slots.conns.clear();
                return Ok(());
            }
        }
    }
}

/// Runs `f`, turning a panic (a bug, whatever the peer sent) into closing that connection.
fn guarded(f: impl FnOnce() -> Next) -> Next {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or(Next::Close)
}

/// Accepts the pending connections on listener `i`, at most [`ACCEPT_BATCH`] (then `i`
/// goes into `more`). Returns when to try again if the process ran out of file
/// descriptors.
///
/// A new connection is driven at once: its request has usually arrived with the
/// handshake, so it is answered without waiting for an event, and one that is done by
/// then (`Connection: close`) is closed without ever being registered with the poll.
/// Registering afterwards loses nothing: an edge-triggered registration reports readiness
/// that is already there.
fn accept_all(
    acc: &mut Accepting,
    i: usize,
    poll: &Poll,
    slots: &mut Slots,
    ctx: &mut Ctx,
) -> Option<Instant> {
    let Some(Some(listener)) = acc.listeners.get_mut(i) else {
        return None;
    };
    for _ in 0..ACCEPT_BATCH {
        match listener.accept() {
            Ok((sock, peer)) => {
                // On Linux the socket inherits TCP_NODELAY from the listener.
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                let _ = sock.set_nodelay(true);
                let idx = slots.free.pop().unwrap_or_else(|| {
                    slots.conns.push(None);
                    slots.conns.len() - 1
                });
                let mut conn = Box::new(Conn::new(sock, peer, idx, ctx));
                if guarded(|| conn.drive(ctx, true, false)) == Next::Close {
                    slots.free.push(idx);
                    continue;
                }
                if poll
                    .registry()
                    .register(
                        conn.sock_mut(),
                        Token(FIRST_CONN + idx),
                        Interest::READABLE | Interest::WRITABLE,
                    )
                    .is_err()
                {
                    slots.free.push(idx);
                    continue;
                }
                if conn.yielded() {
                    slots.again.push(idx);
                }
                slots.conns[idx] = Some(conn);
                slots.live += 1;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return None,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::Interrupted | io::ErrorKind::ConnectionAborted
                ) => {}
            Err(e) => {
                // EMFILE, ENFILE, ENOBUFS, ENOMEM: the connection stays queued; try later.
                let _ = e;
                return Some(ctx.now + ACCEPT_PAUSE);
            }
        }
    }
    // Connections are answered as they are accepted: let the others have a turn.
    acc.more.push(i);
    None
}

#[cfg(all(test, any(target_os = "linux", target_os = "android")))]
mod tests {
    use super::*;
    use std::io::Write;

    /// Two workers' polls on duplicates of one listening socket, registered in order.
    fn two_workers() -> (Poll, Poll, Vec<std::net::TcpListener>, std::net::SocketAddr) {
        let ip = ["127.0.0.1".parse().unwrap()];
        let bound = super::super::listen::bind_all(&ip, 0, 2, false, false).unwrap();
        let (first, second) = (Poll::new().unwrap(), Poll::new().unwrap());
        let mut per_worker = bound.per_worker.into_iter();
        let (a, b) = (per_worker.next().unwrap(), per_worker.next().unwrap());
        register_listeners(&first, &a).unwrap();
        register_listeners(&second, &b).unwrap();
        let mut keep = a;
        keep.extend(b);
        (first, second, keep, bound.addrs[0])
    }

    /// Waits in `poll` (on another thread) while a client connects to `addr` and speaks;
    /// the tokens the poll reported, and the client (still connected).
    fn woken_by_a_client(
        mut poll: Poll,
        addr: std::net::SocketAddr,
    ) -> (Poll, Vec<Token>, std::net::TcpStream) {
        let waiting = std::thread::spawn(move || {
            let mut events = Events::with_capacity(8);
            poll.poll(&mut events, Some(Duration::from_secs(5)))
                .unwrap();
            let tokens = events.iter().map(|e| e.token()).collect();
            (poll, tokens)
        });
        std::thread::sleep(Duration::from_millis(100));
        let mut client = std::net::TcpStream::connect(addr).unwrap();
        client.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        let (poll, tokens) = waiting.join().unwrap();
        (poll, tokens, client)
    }

    #[test]
    fn a_new_connection_wakes_only_the_first_waiting_worker() {
        let (first, mut second, _listeners, addr) = two_workers();
        // The first worker waits in its poll while a client connects and speaks.
        let (_first, tokens, _client) = woken_by_a_client(first, addr);
        assert_eq!(tokens, [Token(0)]);
        // The second was passed over: nothing is reported to it.
        let mut events = Events::with_capacity(8);
        second.poll(&mut events, Some(Duration::ZERO)).unwrap();
        assert!(events.is_empty(), "the second worker was woken too");
    }

    #[test]
    fn a_busy_first_worker_is_passed_over() {
        let (_first, second, _listeners, addr) = two_workers();
        // Nobody waits in the first worker's poll: the second is woken.
        let (_second, tokens, _client) = woken_by_a_client(second, addr);
        assert_eq!(tokens, [Token(0)]);
    }
}
