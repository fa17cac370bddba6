//! The listing page and its JSON from a live simple-server, over raw sockets and curl: the
//! JSON's shape, `Vary: Accept`, sort links that work, the reserved assets (which no file
//! can replace), the strict policy, and a read-only page without an upload area.

use simplehttp_tests::server_util::{curl, Server};
use std::fs;

fn server(extra: &[&str]) -> Server {
    let server = Server::start(&[&["--quiet"], extra].concat());
    fs::create_dir(server.file("sub")).unwrap();
    fs::write(server.file("small.txt"), b"abc").unwrap();
    fs::write(server.file("big.bin"), vec![0u8; 5000]).unwrap();
    fs::write(server.file("q\"<b>.txt"), b"12345678").unwrap();
    server
}

fn text(body: &[u8]) -> String {
    String::from_utf8(body.to_vec()).unwrap()
}

#[test]
fn the_json_listing_has_one_object_per_entry() {
    let server = server(&[]);
    for req in [
        "GET /?format=json HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n",
        "GET / HTTP/1.1\r\nHost: t\r\nAccept: application/json\r\nConnection: close\r\n\r\n",
    ] {
        let r = server.exchange(req.as_bytes());
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("vary"), Some("Accept"));
        assert_eq!(r.header("transfer-encoding"), Some("chunked"));
        let body = text(&r.body);
        let lines: Vec<&str> = body.lines().collect();
        assert_eq!(lines.first(), Some(&"["), "{body}");
        assert_eq!(lines.last(), Some(&"]"), "{body}");
        let objects = &lines[1..lines.len() - 1];
        assert_eq!(objects.len(), 4, "{body}");
        assert!(objects[0].starts_with(r#"{"name":"sub","kind":"dir","size":null,"modified":"#));
        assert!(objects[0].ends_with(r#","etag":null},"#), "{body}");
        let big = objects.iter().find(|o| o.contains(r#""big.bin""#)).unwrap();
        assert!(
            big.contains(r#""kind":"file","size":5000,"modified":"#),
            "{big}"
        );
        // The ETag a GET of the file gives.
        let tag = server.get("/big.bin").header("etag").unwrap().to_string();
        let quoted = tag.replace('"', "\\\"");
        assert!(
            big.contains(&format!(r#""etag":"{quoted}"}}"#)),
            "{big} {tag}"
        );
        assert!(
            body.contains(r#"{"name":"q\"\u003cb\u003e.txt","kind":"file","size":8,"#),
            "{body}"
        );
    }
    // A browser's Accept gets the page, which says Vary too.
    let out = curl(&[
        "-i",
        "-H",
        "Accept: text/html,application/xhtml+xml,*/*;q=0.8",
        &server.url("/"),
    ]);
    let page = text(&out.stdout);
    assert!(
        page.contains("\r\nContent-Type: text/html; charset=utf-8\r\n"),
        "{page}"
    );
    assert!(page.contains("\r\nVary: Accept\r\n"), "{page}");
}

#[test]
fn sort_links_reorder_the_page() {
    let server = server(&[]);
    let page = text(&server.get("/").body);
    assert!(
        page.contains(
            r#"<a href="?sort=size&amp;order=asc" title="Sort by size, ascending">Size</a>"#
        ),
        "{page}"
    );
    let order = |page: &str| -> Vec<usize> {
        ["./sub/", "./big.bin", "./small.txt", "./q%22%3Cb%3E.txt"]
            .iter()
            .map(|n| page.find(&format!("<a href=\"{n}\"")).unwrap())
            .collect()
    };
    // By name: sub/ first, then big, q, small.
    let o = order(&page);
    assert!(o[0] < o[1] && o[1] < o[3] && o[3] < o[2], "{page}");
    // The link's target, as a browser would follow it.
    let by_size = text(&server.get("/?sort=size&order=desc").body);
    assert!(by_size.contains(
        r#"aria-sort="descending"><a href="?sort=size&amp;order=asc" title="Sort by size, ascending">Size<span aria-hidden="true"> ▼</span></a>"#
    ));
    let o = order(&by_size);
    assert!(o[0] < o[1] && o[1] < o[3] && o[3] < o[2], "{by_size}");
    let by_size = text(&server.get("/?sort=size&order=asc").body);
    let o = order(&by_size);
    assert!(o[0] < o[2] && o[2] < o[3] && o[3] < o[1], "{by_size}");
    // A folder's page keeps the query through its redirect.
    let r = server.get("/sub?sort=size");
    assert_eq!(
        (r.status, r.header("location")),
        (301, Some("/sub/?sort=size"))
    );
}

#[test]
fn the_page_has_a_strict_policy_and_its_assets_come_from_the_reserved_path() {
    let server = server(&[]);
    let r = server.get("/");
    let csp = r.header("content-security-policy").unwrap();
    assert!(
        csp.starts_with("default-src 'none'; script-src 'self'; style-src 'self'"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    let page = text(&r.body);
    assert!(
        page.contains(r#"<section id="upload""#),
        "writable: upload area"
    );
    let js_link = page
        .split("<script src=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    assert!(
        js_link.starts_with("/.simplehttp/listing.js?v="),
        "{js_link}"
    );

    let js = server.get(js_link);
    assert_eq!(js.status, 200);
    assert_eq!(
        js.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(
        js.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let tag = js.header("etag").unwrap().to_string();
    assert_eq!(format!("\"{}\"", js_link.split("v=").nth(1).unwrap()), tag);
    let again = server.exchange(
        b"GET /.simplehttp/listing.css HTTP/1.1\r\nHost: t\r\nIf-None-Match: *\r\nConnection: close\r\n\r\n",
    );
    assert_eq!(again.status, 304);

    // No file can take the reserved path: not served, not written, not listed.
    fs::create_dir(server.file(".simplehttp")).unwrap();
    fs::write(server.file(".simplehttp/listing.js"), b"alert(1)").unwrap();
    fs::write(server.file(".simplehttp/mine.txt"), b"mine").unwrap();
    assert!(!text(&server.get("/.simplehttp/listing.js").body).contains("alert(1)"));
    assert_eq!(server.get("/.simplehttp/mine.txt").status, 404);
    assert_eq!(server.get("/%2Esimplehttp/mine.txt").status, 404);
    let put = curl(&[
        "-o",
        "/dev/null",
        "-w",
        "%{http_code}",
        "-T",
        "-",
        &server.url("/.simplehttp/x.js"),
    ]);
    assert_eq!(text(&put.stdout), "405");
    assert!(!server.file(".simplehttp/x.js").exists());
    // The store keeps a folder's listing for a second.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let page = text(&server.get("/").body);
    assert!(!page.contains("./.simplehttp"), "{page}");
    assert!(
        page.contains("1 name in this folder cannot be shown"),
        "{page}"
    );
}

#[test]
fn a_read_only_page_has_no_upload_area() {
    let server = server(&["--read-only"]);
    let r = server.get("/");
    assert_eq!(r.status, 200);
    let page = text(&r.body);
    assert!(!page.contains("id=\"upload\""), "{page}");
    assert!(!page.contains("data-writable"), "{page}");
    assert!(!page.contains("type=\"file\""), "{page}");
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .starts_with("default-src 'none'"));
    assert_eq!(server.get("/.simplehttp/listing.css").status, 200);
}
