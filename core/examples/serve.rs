//! `cargo run -p simplehttp-core --example serve -- [PORT] [DIR]` serves DIR over std::net.
use simplehttp_core::{store::MemoryStore, write::*, *};
use std::{fs, io::Read, io::Write, net::TcpStream, path::Path, time::UNIX_EPOCH};

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

pub(crate) fn serve(mut conn: TcpStream, store: &MemoryStore) -> std::io::Result<()> {
    let (mut parser, mut buf, mut tmp) = (RequestParser::new(Limits::default()), vec![], [0; 8192]);
    let mut reply = loop {
        let now = Timestamp(UNIX_EPOCH.elapsed().unwrap().as_secs());
        match parser.handle_bytes(&buf).map(|step| step.event) {
            Ok(Event::Head(head)) => break decide(&head, store, &Policy::default(), now),
            Err(e) => break reply_to_error(e, now),
            Ok(_) => {} // NeedMore: the head is not all here yet
        }
        match conn.read(&mut tmp)? {
            0 => return Ok(()),
            n => buf.extend_from_slice(&tmp[..n]),
        }
    };
    reply.close = true; // `Connection: close`: one request per connection, one at a time
    let mut out = Vec::new();
    reply.write_head(&mut out);
    match &reply.body {
        Body::Bytes(b) => out.extend_from_slice(b),
        Body::File { path, start, len } => out.extend(store.read(path, *start, *len).unwrap()),
        Body::Listing(l) if reply.is_chunked() => {
            write_chunk(&mut out, &l.to_bytes());
            write_last_chunk(&mut out, &[]).unwrap();
        }
        Body::Listing(l) => out.extend(l.to_bytes()),
        _ => {} // Empty: PUT and DELETE get 405, the store being read-only.
    }
    conn.write_all(&out)
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
