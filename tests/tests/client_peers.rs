//! simple-client against real servers: Python's http.server, nginx (PUT and DELETE through
//! its dav module) and our own simple-server.

use simplehttp_tests::client_util::{
    client, nginx, pattern, python_server, simple_server, TempDir,
};

#[test]
fn python_http_server_get_is_byte_exact() {
    let root = TempDir::new("client-py");
    let data = pattern(5 << 20, 42);
    std::fs::write(root.join("data.bin"), &data).expect("write");
    std::fs::write(root.join("index.html"), b"<h1>seed</h1>\n").expect("write");
    let py = python_server(root.path());

    let run = client([py.url("/data.bin")]).run();
    run.assert_code(0);
    assert!(
        run.stdout == data,
        "body differs ({} bytes)",
        run.stdout.len()
    );

    // The seed's own form.
    let port = py.port.to_string();
    let run = client(["127.0.0.1", &port, "GET", "index.html"]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"<h1>seed</h1>\n");

    let run = client(["-X", "HEAD", &py.url("/data.bin")]).run();
    run.assert_code(0);
    assert!(run.stdout.is_empty());

    let run = client([py.url("/missing")]).run();
    run.assert_code(8);
    assert!(String::from_utf8_lossy(&run.stdout).contains("404"));
}

#[test]
fn nginx_get_put_delete() {
    let root = TempDir::new("client-nginx-root");
    let work = TempDir::new("client-nginx-work");
    std::fs::write(root.join("hello.txt"), b"hello from nginx\n").expect("write");
    let ng = nginx(root.path(), work.path());

    let run = client([ng.url("/hello.txt")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello from nginx\n", "nginx log: {}", ng.log());

    // PUT with -T, into a directory that does not exist yet.
    let local = TempDir::new("client-nginx-local");
    let upload = pattern(300_000, 8);
    std::fs::write(local.join("up.bin"), &upload).expect("write");
    let run = client([
        "-T",
        local.join("up.bin").to_str().unwrap(),
        &ng.url("/new/dir/up.bin"),
    ])
    .run();
    run.assert_code(0);
    assert!(
        std::fs::read(root.join("new/dir/up.bin")).expect("uploaded file") == upload,
        "uploaded bytes differ; nginx log: {}",
        ng.log()
    );

    // A large upload goes with Expect: 100-continue (nginx answers 100).
    let big = pattern(3 << 20, 9);
    std::fs::write(local.join("big.bin"), &big).expect("write");
    let run = client([
        "-v",
        "-T",
        local.join("big.bin").to_str().unwrap(),
        &ng.url("/big.bin"),
    ])
    .run();
    run.assert_code(0);
    assert!(
        run.stderr.contains("> Expect: 100-continue"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("< HTTP/1.1 100 Continue"),
        "{}",
        run.stderr
    );
    assert!(std::fs::read(root.join("big.bin")).expect("big") == big);

    // Stdin, chunked.
    let run = client(["-T", "-", &ng.url("/from-stdin.txt")])
        .stdin(b"piped\n".to_vec())
        .run();
    run.assert_code(0);
    assert_eq!(
        std::fs::read(root.join("from-stdin.txt")).expect("stdin upload"),
        b"piped\n"
    );

    // DELETE, then the file is gone (404: exit 8).
    let run = client(["-X", "DELETE", &ng.url("/new/dir/up.bin")]).run();
    run.assert_code(0);
    assert!(!root.join("new/dir/up.bin").exists());
    client([ng.url("/new/dir/up.bin")]).run().assert_code(8);
}

#[test]
fn simple_server_get_put_delete() {
    let root = TempDir::new("client-ours");
    std::fs::write(root.join("a.txt"), b"ours\n").expect("write");
    let srv = simple_server(root.path());

    let run = client([srv.url("/a.txt")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"ours\n");

    let local = TempDir::new("client-ours-local");
    let data = pattern(2 << 20, 77);
    std::fs::write(local.join("b.bin"), &data).expect("write");
    client([
        "-T",
        local.join("b.bin").to_str().unwrap(),
        &srv.url("/b.bin"),
    ])
    .run()
    .assert_code(0);
    assert!(std::fs::read(root.join("b.bin")).expect("uploaded") == data);

    let run = client([srv.url("/b.bin")]).run();
    run.assert_code(0);
    assert!(run.stdout == data);

    client(["-X", "DELETE", &srv.url("/b.bin")])
        .run()
        .assert_code(0);
    assert!(!root.join("b.bin").exists());
    client([srv.url("/b.bin")]).run().assert_code(8);
}
