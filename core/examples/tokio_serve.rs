//! `cargo run --release -p simplehttp-core --example tokio_serve -- --root DIR --port PORT`
//! serves DIR over tokio, from a writable in-memory copy (PUT and DELETE change the copy).
//!
//! The same engine as `serve.rs`, driven with async reads and writes and `tokio::time` for
//! its deadlines. The store (`MemoryStore`) is shared by reference counting and is not
//! `Send`: every connection is a task on one thread (a current-thread runtime and a
//! `LocalSet`), each with its own `ServerConnection`, all seeing one store, so that what one
//! connection uploads the next one reads. Ctrl-C stops accepting and gives the connections
//! in flight a few seconds to finish.

#[allow(dead_code)] // only its `load` is used here
#[path = "serve.rs"]
pub(crate) mod serve;

use core::cell::Cell;
use core::future::Future;
use core::time::Duration;
use simplehttp_core::server::{Action, Now, ServerConfig, ServerConnection, Transmit};
use simplehttp_core::LOOPBACK_HOSTS;
use simplehttp_core::{FileStore, MemoryStore, Policy, StoreError, Timestamp, Upload};
use std::io;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;
use std::time::UNIX_EPOCH;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{spawn_local, LocalSet};
use tokio::time::{timeout_at, Instant};

/// How much output is rendered ahead of the socket (a listing comes a piece at a time).
const OUT_AHEAD: usize = 64 * 1024;

/// The engine's time: milliseconds since a connection began, and the wall clock.
#[derive(Clone, Copy)]
struct Clock(Instant);

impl Clock {
    fn now(self) -> Now {
        Now {
            ms: self.0.elapsed().as_millis() as u64,
            wall: Timestamp(UNIX_EPOCH.elapsed().map_or(0, |d| d.as_secs())),
        }
    }

    /// The instant of a deadline the engine gave.
    fn at(self, ms: u64) -> Instant {
        self.0 + Duration::from_millis(ms)
    }
}

/// `f`, unless `deadline` passes first (`None`).
async fn until<F: Future>(deadline: Option<Instant>, f: F) -> Option<F::Output> {
    match deadline {
        Some(at) => timeout_at(at, f).await.ok(),
        None => Some(f.await),
    }
}

/// One connection, driven by the core's engine: bytes and time in, bytes and actions out.
pub(crate) async fn serve(
    mut sock: TcpStream,
    store: MemoryStore,
    config: Arc<ServerConfig>,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let clock = Clock(Instant::now());
    let mut conn = ServerConnection::new(config, clock.now());
    let (mut input, mut out, mut sent, mut upload) = (Vec::new(), Vec::new(), 0, None);
    loop {
        while let Some(action) = conn.poll_action() {
            let outcome = match action {
                Action::Open { .. } => Ok(()), // the store is in memory: nothing to open
                Action::BeginUpload(path) => store.begin_upload(&path).map(|u| upload = Some(u)),
                Action::Commit => upload.take().map_or(Err(StoreError::Io), Upload::commit),
                Action::Remove(path) => store.remove(&path),
                Action::Abort => {
                    upload = None;
                    continue;
                }
                Action::ShutdownWrite => {
                    sock.shutdown().await?;
                    continue;
                }
                Action::Close => return Ok(()),
            };
            conn.handle_outcome(outcome, &store, clock.now());
        }
        while out.len() < OUT_AHEAD {
            let Some(t) = conn.poll_transmit(&mut out) else {
                break;
            };
            if let Transmit::File { path, start, len } = t {
                out.extend(store.read(&path, start, len).map_err(io::Error::other)?);
            }
        }
        if sent < out.len() {
            // The engine's deadline bounds a peer that stops reading.
            let deadline = conn.poll_timeout().map(|t| clock.at(t));
            match until(deadline, sock.write(&out[sent..])).await {
                Some(n) => {
                    sent += n?;
                    conn.handle_progress(clock.now());
                    if sent == out.len() {
                        sent = 0;
                        out.clear();
                        conn.handle_drained(clock.now());
                    }
                }
                None => conn.handle_timeout(clock.now()),
            }
            continue;
        }
        if conn.wants_input() {
            let got = conn.handle_bytes(&input, &store, clock.now());
            if let (Some(data), Some(up)) = (got.body, upload.as_mut()) {
                if let Err(e) = up.write(data) {
                    conn.handle_outcome(Err(e), &store, clock.now())
                }
            }
            let used = got.consumed;
            input.drain(..used);
            if used > 0 || !conn.wants_input() {
                continue;
            }
        }
        // Nothing to do until bytes come, the engine's deadline passes or the server stops
        // (an idle connection then closes; a busy one after its response).
        let deadline = conn.poll_timeout().map(|t| clock.at(t));
        let read = tokio::select! {
            read = until(deadline, sock.read_buf(&mut input)) => read,
            _ = stop.changed(), if !*stop.borrow() => {
                conn.handle_shutdown();
                continue;
            }
        };
        match read {
            Some(Ok(0)) => {
                let got = conn.handle_eof(&input, &store, clock.now());
                input.drain(..got.consumed);
            }
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e),
            None => conn.handle_timeout(clock.now()),
        }
    }
}

/// How long connections still busy at Ctrl-C get to finish their response.
const DRAIN: Duration = Duration::from_secs(5);

/// Serves `listener` (loopback) from `store` until accepting fails or, with `until_ctrl_c`,
/// until Ctrl-C; then waits up to [`DRAIN`] for the connections in flight.
pub(crate) fn run(
    listener: std::net::TcpListener,
    store: MemoryStore,
    until_ctrl_c: bool,
) -> io::Result<()> {
    let config = Arc::new(ServerConfig {
        policy: Policy {
            // Loopback only: refuse names a web page could point at 127.0.0.1.
            allowed_hosts: Some(LOOPBACK_HOSTS.map(String::from).into()),
            ..Policy::default()
        },
        ..ServerConfig::default()
    });
    listener.set_nonblocking(true)?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    LocalSet::new().block_on(&runtime, async {
        let listener = TcpListener::from_std(listener)?;
        let open = Rc::new(Cell::new(0usize)); // connections being served
        let (stopping, stop_rx) = watch::channel(false);
        let stop = async {
            match until_ctrl_c {
                true => tokio::signal::ctrl_c().await,
                false => core::future::pending().await,
            }
        };
        tokio::pin!(stop);
        // Polled once, so that Ctrl-C is caught from here on (tokio installs its handler
        // on the first poll); only then is the server announced.
        let _ = tokio::time::timeout(Duration::ZERO, &mut stop).await;
        println!("serving on http://{}/", listener.local_addr()?);
        loop {
            let (sock, _) = tokio::select! {
                accepted = listener.accept() => accepted?,
                signalled = &mut stop => {
                    signalled?;
                    break;
                }
            };
            let (store, config, open) = (store.clone(), config.clone(), open.clone());
            let stop = stop_rx.clone();
            open.set(open.get() + 1);
            spawn_local(async move {
                let _ = serve(sock, store, config, stop).await;
                open.set(open.get() - 1);
            });
        }
        drop(listener); // new connections are refused from here on
        let _ = stopping.send(true);
        let deadline = Instant::now() + DRAIN;
        while open.get() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        println!("stopped ({} connection(s) cut at the end)", open.get());
        Ok(())
    })
}

fn main() -> io::Result<()> {
    let (mut root, mut port) = (PathBuf::from("."), 8000); // port 0: any free port
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let value = args.next();
        match (flag.as_str(), value) {
            ("--root", Some(dir)) => root = dir.into(),
            ("--port", Some(p)) => port = p.parse().map_err(io::Error::other)?,
            _ => {
                return Err(io::Error::other(
                    "usage: tokio_serve --root DIR --port PORT",
                ))
            }
        }
    }
    let store = MemoryStore::new();
    serve::load(&store, &root, "")?; // copies the files into memory
    let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
    run(listener, store, true)
}
