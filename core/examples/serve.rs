//! `cargo run -p simplehttp-core --example serve -- [PORT] [DIR]` serves DIR over std::net.
use core::time::Duration;
use simplehttp_core::server::{Action, Now, ServerConfig, ServerConnection, Transmit};
use simplehttp_core::{store::MemoryStore, FileStore, StoreError, Timestamp, Upload};
use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Instant, UNIX_EPOCH};
use std::{fs, path::Path};

pub(crate) fn load(store: &MemoryStore, dir: &Path, prefix: &str) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = format!("{prefix}/{}", entry.file_name().to_string_lossy());
        let modified = entry.metadata()?.modified()?;
        let at = Timestamp(modified.duration_since(UNIX_EPOCH).unwrap().as_secs());
        match entry.path().is_dir() {
            true => load(store, &entry.path(), &path)?, // an empty one is left out
            false => drop(store.insert(&path, fs::read(entry.path())?, at)), // so are bad names
        }
    }
    Ok(())
}

/// One connection, driven by the core's engine: bytes and time in, bytes and actions out.
pub(crate) fn serve(mut sock: TcpStream, store: &MemoryStore) -> std::io::Result<()> {
    let clock = Instant::now();
    let now = || Now {
        ms: clock.elapsed().as_millis() as u64,
        wall: Timestamp(UNIX_EPOCH.elapsed().unwrap().as_secs()),
    };
    let mut conn = ServerConnection::new(Arc::new(ServerConfig::default()), now());
    let (mut input, mut out, mut upload) = (Vec::new(), Vec::new(), None);
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
                    sock.shutdown(Shutdown::Write)?;
                    continue;
                }
                Action::Close => return Ok(()),
            };
            conn.handle_outcome(outcome, store, now());
        }
        while let Some(t) = conn.poll_transmit(&mut out) {
            if let Transmit::File { path, start, len } = t {
                out.extend(
                    store
                        .read(&path, start, len)
                        .map_err(std::io::Error::other)?,
                );
            }
        }
        if !out.is_empty() {
            sock.write_all(&out)?;
            out.clear();
            conn.handle_drained(now());
            continue;
        }
        if conn.wants_input() {
            let got = conn.handle_bytes(&input, store, now());
            if let (Some(data), Some(up)) = (got.body, upload.as_mut()) {
                if let Err(e) = up.write(data) {
                    conn.handle_outcome(Err(e), store, now())
                }
            }
            let used = got.consumed;
            input.drain(..used);
            if used > 0 || !conn.wants_input() {
                continue;
            }
        }
        // Nothing to do until bytes come or the engine's deadline passes.
        let wait = conn
            .poll_timeout()
            .map(|t| t.saturating_sub(now().ms).max(1));
        sock.set_read_timeout(wait.map(Duration::from_millis))?;
        let mut tmp = [0; 8192];
        match sock.read(&mut tmp) {
            Ok(0) => {
                let got = conn.handle_eof(&input, store, now());
                input.drain(..got.consumed);
            }
            Ok(n) => input.extend_from_slice(&tmp[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                conn.handle_timeout(now())
            }
            Err(e) => return Err(e),
        }
    }
}

fn main() -> std::io::Result<()> {
    let port = std::env::args().nth(1).unwrap_or("8000".into()); // 0: any free port
    let dir = std::env::args().nth(2).unwrap_or(".".into());
    let store = MemoryStore::new().read_only(true); // refuses PUT and DELETE; load still fills it
    load(&store, Path::new(&dir), "")?; // copies the files into memory
    let listener = std::net::TcpListener::bind(format!("127.0.0.1:{port}"))?;
    println!("serving on http://{}/", listener.local_addr()?);
    for conn in listener.incoming() {
        serve(conn?, &store).ok();
    }
    Ok(())
}
