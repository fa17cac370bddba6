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

/// Runs a worker until shutdown. `poll` already has the waker registered.
pub fn run(
    shared: Arc<Shared>,
    mut poll: Poll,
    listeners: Vec<std::net::TcpListener>,
    commits: Link,
    committed: Receiver<Done>,
) -> io::Result<()> {
    let config = &shared.config;
    let mut listeners: Vec<Option<TcpListener>> = listeners
        .into_iter()
        .map(|l| Some(TcpListener::from_std(l)))
        .collect();
    for (i, l) in listeners.iter_mut().enumerate() {
        if let Some(l) = l {
            poll.registry().register(l, Token(i), Interest::READABLE)?;
        }
    }
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
    let mut conns: Vec<Option<Box<Conn>>> = Vec::new();
    let mut free: Vec<usize> = Vec::new();
    let mut live = 0usize;
    let mut events = Events::with_capacity(1024);
    let mut next_sweep = ctx.now + TICK;
    let mut accept_paused_until: Option<Instant> = None;
    let mut grace_deadline: Option<Instant> = None;
    // Connections that stopped sending to let others have a turn; driven again next round.
    let mut again: Vec<usize> = Vec::new();
    let mut again_now: Vec<usize> = Vec::new();
    // Listeners that stopped accepting to let the others have a turn; accepted from again
    // next round.
    let mut accept_more: Vec<usize> = Vec::new();
    let mut accept_now: Vec<usize> = Vec::new();

    loop {
        // While files are kept open for reuse, wake up soon to close them once traffic
        // stops: an idle server holds no file open. With no connection and nothing
        // pending, no deadline can pass: sleep until an event or the waker.
        let timeout = if !again.is_empty() || !accept_more.is_empty() {
            Some(Duration::ZERO)
        } else if ctx.store.is_caching() {
            Some(CACHE_IDLE)
        } else if live == 0 && accept_paused_until.is_none() && grace_deadline.is_none() {
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
        if events.is_empty() && again.is_empty() && accept_more.is_empty() {
            ctx.store.drop_cache();
        }

        if grace_deadline.is_none() && shared.shutdown.load(Ordering::Relaxed) {
            grace_deadline = Some(ctx.now + config.shutdown_grace);
            ctx.shutting_down = true;
            // Idle connections go now; the others after their response.
            for (i, slot) in conns.iter_mut().enumerate() {
                if slot.as_ref().is_some_and(|c| c.is_idle()) {
                    *slot = None;
                    free.push(i);
                    live -= 1;
                }
            }
            // Stop accepting: the listening sockets close here. What is already queued on
            // them is accepted first and served in the grace period: closing a listener
            // resets the connections in its queue, and with --share-port or inherited
            // sockets another instance takes the port's next ones.
            for i in 0..listeners.len() {
                let mut rounds = 0;
                while accept_paused_until.is_none() && rounds < DRAIN_ROUNDS {
                    rounds += 1;
                    accept_more.retain(|&j| j != i);
                    accept_paused_until = accept_all(
                        &mut listeners,
                        i,
                        &poll,
                        &mut conns,
                        &mut free,
                        &mut live,
                        &mut again,
                        &mut accept_more,
                        &mut ctx,
                    );
                    if !accept_more.contains(&i) {
                        break;
                    }
                }
                if let Some(mut l) = listeners[i].take() {
                    let _ = poll.registry().deregister(&mut l);
                }
            }
            accept_more.clear();
        }

        for done in committed.try_iter() {
            let Some(Some(conn)) = conns.get_mut(done.slot) else {
                continue;
            };
            if guarded(|| conn.committed(done.serial, done.outcome, &mut ctx)) == Next::Close {
                conns[done.slot] = None;
                free.push(done.slot);
                live -= 1;
            } else if conn.yielded() {
                again.push(done.slot);
            }
        }

        for event in &events {
            let token = event.token();
            if token == WAKER {
                continue;
            }
            if token.0 < FIRST_CONN {
                if accept_paused_until.is_none() {
                    accept_paused_until = accept_all(
                        &mut listeners,
                        token.0,
                        &poll,
                        &mut conns,
                        &mut free,
                        &mut live,
                        &mut again,
                        &mut accept_more,
                        &mut ctx,
                    );
                }
                continue;
            }
            let idx = token.0 - FIRST_CONN;
            let Some(Some(conn)) = conns.get_mut(idx) else {
                continue;
            };
            let hup = event.is_read_closed() || event.is_error();
            if guarded(|| conn.drive(&mut ctx, event.is_readable(), hup)) == Next::Close {
                conns[idx] = None;
                free.push(idx);
                live -= 1;
            } else if conn.yielded() {
                again.push(idx);
            }
        }
        // Those that yielded last round (and got no event this round) go on now.
        std::mem::swap(&mut again, &mut again_now);
        again_now.sort_unstable();
        again_now.dedup();
        for idx in again_now.drain(..) {
            let Some(Some(conn)) = conns.get_mut(idx) else {
                continue;
            };
            if !conn.yielded() {
                // Driven by an event this round, and done or waiting for the socket.
                continue;
            }
            if guarded(|| conn.drive(&mut ctx, false, false)) == Next::Close {
                conns[idx] = None;
                free.push(idx);
                live -= 1;
            } else if conn.yielded() {
                again.push(idx);
            }
        }

        // Listeners that had more to accept last round (edge-triggered: no new event).
        std::mem::swap(&mut accept_more, &mut accept_now);
        accept_now.sort_unstable();
        accept_now.dedup();
        for i in accept_now.drain(..) {
            if accept_paused_until.is_none() {
                accept_paused_until = accept_all(
                    &mut listeners,
                    i,
                    &poll,
                    &mut conns,
                    &mut free,
                    &mut live,
                    &mut again,
                    &mut accept_more,
                    &mut ctx,
                );
            }
        }

        if ctx.now >= next_sweep {
            next_sweep = ctx.now + TICK;
            for (idx, slot) in conns.iter_mut().enumerate() {
                let Some(conn) = slot.as_mut() else { continue };
                if conn.deadline <= ctx.now && guarded(|| conn.on_timeout(&mut ctx)) == Next::Close
                {
                    *slot = None;
                    free.push(idx);
                    live -= 1;
                }
            }
            if let Some(until) = accept_paused_until {
                if ctx.now >= until {
                    accept_paused_until = None;
                    for i in 0..listeners.len() {
                        if accept_paused_until.is_none() {
                            accept_paused_until = accept_all(
                                &mut listeners,
                                i,
                                &poll,
                                &mut conns,
                                &mut free,
                                &mut live,
                                &mut again,
                                &mut accept_more,
                                &mut ctx,
                            );
                        }
                    }
                }
            }
        }

        if let Some(deadline) = grace_deadline {
            if live == 0 || ctx.now >= deadline {
                // Dropping the connections drops unfinished uploads and their temporaries.
                conns.clear();
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
#[allow(clippy::too_many_arguments)]
fn accept_all(
    listeners: &mut [Option<TcpListener>],
    i: usize,
    poll: &Poll,
    conns: &mut Vec<Option<Box<Conn>>>,
    free: &mut Vec<usize>,
    live: &mut usize,
    again: &mut Vec<usize>,
    more: &mut Vec<usize>,
    ctx: &mut Ctx,
) -> Option<Instant> {
    let Some(Some(listener)) = listeners.get_mut(i) else {
        return None;
    };
    for _ in 0..ACCEPT_BATCH {
        match listener.accept() {
            Ok((sock, peer)) => {
                // On Linux the socket inherits TCP_NODELAY from the listener.
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                let _ = sock.set_nodelay(true);
                let idx = free.pop().unwrap_or_else(|| {
                    conns.push(None);
                    conns.len() - 1
                });
                let mut conn = Box::new(Conn::new(sock, peer, idx, ctx));
                if guarded(|| conn.drive(ctx, true, false)) == Next::Close {
                    free.push(idx);
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
                    free.push(idx);
                    continue;
                }
                if conn.yielded() {
                    again.push(idx);
                }
                conns[idx] = Some(conn);
                *live += 1;
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
    more.push(i);
    None
}
