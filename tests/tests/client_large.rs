//! 100 MiB through simple-client, byte for byte: downloads through `-o` and stdout, uploads
//! from a file and from stdin, against nginx.

use simplehttp_tests::client_util::{client, nginx, pattern, TempDir};
use std::time::Duration;

const SIZE: usize = 100 << 20;

#[test]
fn hundred_mib_download_and_upload_are_byte_exact() {
    let root = TempDir::new("client-large-root");
    let work = TempDir::new("client-large-work");
    let local = TempDir::new("client-large-local");
    let data = pattern(SIZE, 0x5eed);
    std::fs::write(root.join("big.bin"), &data).expect("write");
    let ng = nginx(root.path(), work.path());
    let limit = Duration::from_secs(120);

    // Download to a file with -o.
    let out = local.join("down.bin");
    client(["-o", out.to_str().unwrap(), &ng.url("/big.bin")])
        .deadline(limit)
        .run()
        .assert_code(0);
    let got = std::fs::read(&out).expect("downloaded file");
    assert_eq!(got.len(), SIZE);
    assert!(got == data, "-o download differs");
    drop(got);
    assert_eq!(local.entries(), ["down.bin"], "temporary file left behind");

    // Download to stdout.
    let run = client([ng.url("/big.bin")]).deadline(limit).run();
    run.assert_code(0);
    assert_eq!(run.stdout.len(), SIZE);
    assert!(run.stdout == data, "stdout download differs");
    drop(run);

    // Upload from a file (Content-Length, Expect: 100-continue).
    client(["-T", out.to_str().unwrap(), &ng.url("/up.bin")])
        .deadline(limit)
        .run()
        .assert_code(0);
    let up = std::fs::read(root.join("up.bin")).expect("uploaded file");
    assert_eq!(up.len(), SIZE, "nginx log: {}", ng.log());
    assert!(up == data, "file upload differs");
    drop(up);

    // Upload from stdin (chunked).
    client(["-T", "-", &ng.url("/up-stdin.bin")])
        .stdin(data.clone())
        .deadline(limit)
        .run()
        .assert_code(0);
    let up = std::fs::read(root.join("up-stdin.bin")).expect("uploaded file");
    assert_eq!(up.len(), SIZE, "nginx log: {}", ng.log());
    assert!(up == data, "stdin upload differs");
}
