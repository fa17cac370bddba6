//! Directory listings: a huge folder streams out with bounded memory per connection, and
//! every name a listing shows is shown safely and can be requested by its link.

use simplehttp_tests::server_util::{read_response, Server};
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::ffi::OsStrExt;
use std::time::Duration;

const ENTRIES: usize = 100_000;

#[test]
fn a_huge_listing_streams_with_bounded_memory_per_connection() {
    let server = Server::start(&["--quiet"]);
    let dir = server.file("big");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..ENTRIES {
        std::fs::File::create(dir.join(format!("file-with-a-longish-name-{i:06}.txt"))).unwrap();
    }
    // Warm up (thread stacks, pools), then measure.
    assert_eq!(server.get("/").status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let before = server.rss_kib();

    // Twenty readers ask for the listing and never read it.
    let idle: Vec<TcpStream> = (0..20)
        .map(|_| {
            let mut s = server.connect();
            s.set_nodelay(true).unwrap();
            s.write_all(b"GET /big/ HTTP/1.1\r\nHost: t\r\n\r\n")
                .unwrap();
            s
        })
        .collect();
    // Measured once every one of them is being answered.
    for s in &idle {
        s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
        let mut status = [0u8; 12];
        (&*s).read_exact(&mut status).unwrap();
        assert_eq!(&status, b"HTTP/1.1 200");
    }
    std::thread::sleep(Duration::from_millis(500));
    let during = server.rss_kib();
    let grown_mib = (during.saturating_sub(before)) as f64 / 1024.0;
    eprintln!("RSS {before} KiB before, {during} KiB with 20 unread listings: +{grown_mib:.1} MiB");
    // The page is 25 MB: holding it per connection took 360 MB. Entries are shared by the
    // requests of a second, so a few copies at most (10 MB each) are alive.
    assert!(
        grown_mib < 150.0,
        "20 unread listings of {ENTRIES} entries grew the server by {grown_mib:.1} MiB"
    );

    // A reader that does read gets the whole page, chunked, every entry once.
    let mut s = server.connect();
    s.write_all(b"GET /big/ HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let resp = read_response(&mut BufReader::new(s), false).unwrap();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("transfer-encoding"), Some("chunked"));
    let page = String::from_utf8(resp.body).unwrap();
    assert_eq!(
        page.matches("<tr><td><a href=\"./file-with").count(),
        ENTRIES
    );
    assert!(page.ends_with("</html>\n"));
    // Sorted.
    let first = page.find("-000000.txt\"").unwrap();
    let last = page.find("-099999.txt\"").unwrap();
    assert!(first < last);
    drop(idle);

    // HTTP/1.0: the same page with its exact length.
    let mut s = server.connect();
    s.write_all(b"GET /big/ HTTP/1.0\r\n\r\n").unwrap();
    let resp = read_response(&mut BufReader::new(s), false).unwrap();
    assert_eq!(resp.header("transfer-encoding"), None);
    assert_eq!(String::from_utf8(resp.body).unwrap(), page);
}

#[test]
fn every_listed_name_is_shown_safely_and_its_link_works() {
    let server = Server::start(&["--quiet"]);
    let dir = server.file("d");
    std::fs::create_dir(&dir).unwrap();
    let bidi = "invoice\u{202E}fdp.exe";
    std::fs::write(dir.join(bidi), b"bidi").unwrap();
    std::fs::write(dir.join("plain.txt"), b"plain").unwrap();
    std::fs::write(dir.join("new\nline.txt"), b"x").unwrap();
    std::fs::write(
        dir.join(std::ffi::OsStr::from_bytes(b"latin1-\xe9.txt")),
        b"x",
    )
    .unwrap();

    let resp = server.get("/d/");
    assert_eq!(resp.status, 200);
    let page = String::from_utf8(resp.body).unwrap();
    assert!(!page.contains('\u{202E}'), "a raw bidi control: {page}");
    assert!(page.contains(">invoice[U+202E]fdp.exe</a>"), "{page}");
    assert!(!page.contains("new\nline"), "{page}");
    assert!(
        page.contains("2 names in this folder cannot be shown or requested"),
        "{page}"
    );

    // Every link in the page answers 200 with the file.
    let links: Vec<&str> = page
        .split("href=\"./")
        .skip(1)
        .map(|rest| &rest[..rest.find('"').unwrap()])
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    for link in links {
        let resp = server.get(&format!("/d/{link}"));
        assert_eq!(resp.status, 200, "{link}");
    }
}
