//! simple-client against a scripted raw-socket server: the tricky responses, one scenario
//! per test, each bounded in time.

use simplehttp_tests::client_util::{
    client, free_port, header_value, pattern, read_exact, RawServer, Script, TempDir,
};
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::time::Duration;

fn send(stream: &mut TcpStream, bytes: &[u8]) {
    stream.write_all(bytes).expect("server write");
}

/// Writes `bytes` one byte per write, so the client sees every possible split.
fn trickle(stream: &mut TcpStream, bytes: &[u8]) {
    stream.set_nodelay(true).expect("nodelay");
    for b in bytes {
        stream.write_all(&[*b]).expect("server write");
        stream.flush().expect("flush");
    }
}

/// Holds the connection open until the client closes it (or 20 s pass).
fn wait_for_close(stream: &mut TcpStream) -> Vec<u8> {
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest);
    rest
}

#[test]
fn chunked_body_written_one_byte_at_a_time() {
    let server = RawServer::one(|mut s, _| {
        trickle(
            &mut s,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\nhello\r\n2\r\n, \r\na\r\n0123456789\r\n0\r\n\r\n",
        );
        wait_for_close(&mut s);
    });
    let run = client([server.url("/c")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello, 0123456789");
    server.finish();
}

#[test]
fn chunk_extensions_and_trailers_are_traced() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Digest\r\n\r\n\
              5;name=value;flag\r\nhello\r\n0\r\nX-Digest: abc\r\n\r\n",
        );
        wait_for_close(&mut s);
    });
    let run = client(["--trace", &server.url("/t")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"hello");
    for want in [
        "status line: HTTP/1.1 200 OK",
        "header: Transfer-Encoding: chunked",
        "framing: chunked",
        "chunk: 5 bytes, extensions ;name=value;flag",
        "last chunk: 0 bytes",
        "trailer: X-Digest: abc",
        "end of response",
    ] {
        assert!(
            run.stderr.contains(want),
            "missing {want:?} in:\n{}",
            run.stderr
        );
    }
    server.finish();
}

#[test]
fn close_delimited_body_runs_to_eof() {
    let body = pattern(300_000, 7);
    let sent = body.clone();
    let server = RawServer::one(move |mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
        send(&mut s, &sent);
    });
    let run = client([server.url("/close")]).run();
    run.assert_code(0);
    assert!(run.stdout == body, "close-delimited body differs");
    server.finish();
}

#[test]
fn interim_100_then_200_is_skipped_and_shown_with_v() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n\
              HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody",
        );
        wait_for_close(&mut s);
    });
    let run = client(["-v", &server.url("/i")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"body");
    assert!(
        run.stderr.contains("< HTTP/1.1 100 Continue"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("< HTTP/1.1 103 Early Hints"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("< HTTP/1.1 200 OK"), "{}", run.stderr);
    assert!(run.stderr.contains("> GET /i HTTP/1.1"), "{}", run.stderr);
    server.finish();
}

#[test]
fn endless_interim_responses_are_a_protocol_error() {
    // Each 1xx head is progress, so --timeout alone would never fire: the count is bounded.
    let server = RawServer::one(|mut s, _| {
        for _ in 0..40 {
            send(&mut s, b"HTTP/1.1 102 Processing\r\n\r\n");
        }
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody");
        wait_for_close(&mut s);
    });
    let run = client([&server.url("/i")]).run();
    run.assert_code(7);
    assert!(run.stdout.is_empty());
    assert!(run.stderr.contains("interim responses"), "{}", run.stderr);
    server.finish();
}

#[test]
fn large_put_waits_for_100_continue_then_sends_the_body() {
    let dir = TempDir::new("client-expect");
    let data = pattern(2 << 20, 11);
    std::fs::write(dir.join("up.bin"), &data).expect("write");
    let server = RawServer::one(|mut s, head| {
        assert_eq!(
            header_value(&head, "expect").as_deref(),
            Some("100-continue")
        );
        let len: usize = header_value(&head, "content-length")
            .expect("content-length")
            .parse()
            .expect("number");
        send(&mut s, b"HTTP/1.1 100 Continue\r\n\r\n");
        let body = read_exact(&mut s, len);
        let reply = format!("HTTP/1.1 201 Created\r\nContent-Length: {}\r\n\r\n", 20);
        send(&mut s, reply.as_bytes());
        let digest = format!("{:020}", body.iter().map(|&b| b as u64).sum::<u64>());
        send(&mut s, digest.as_bytes());
        wait_for_close(&mut s);
    });
    let run = client([
        "-T",
        dir.join("up.bin").to_str().unwrap(),
        &server.url("/up.bin"),
    ])
    .deadline(Duration::from_secs(30))
    .run();
    run.assert_code(0);
    let want = format!("{:020}", data.iter().map(|&b| b as u64).sum::<u64>());
    assert_eq!(String::from_utf8_lossy(&run.stdout), want);
    let heads = server.finish();
    assert!(String::from_utf8_lossy(&heads[0]).starts_with("PUT /up.bin HTTP/1.1\r\n"));
}

#[test]
fn final_status_before_the_body_means_the_body_is_not_sent() {
    let dir = TempDir::new("client-expect-final");
    std::fs::write(dir.join("big.bin"), pattern(3 << 20, 5)).expect("write");
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 413 Content Too Large\r\nContent-Length: 8\r\nConnection: close\r\n\r\ntoo big\n",
        );
        // Nothing of the body may arrive: the client closes after reading the answer.
        let rest = wait_for_close(&mut s);
        assert!(rest.is_empty(), "client sent {} body bytes", rest.len());
    });
    let run = client([
        "-T",
        dir.join("big.bin").to_str().unwrap(),
        &server.url("/big.bin"),
    ])
    .deadline(Duration::from_secs(30))
    .run();
    run.assert_code(8);
    assert_eq!(run.stdout, b"too big\n");
    server.finish();
}

#[test]
fn large_put_without_100_continue_sends_the_body_after_a_second() {
    let dir = TempDir::new("client-expect-silent");
    let data = pattern((1 << 20) + 10, 9);
    std::fs::write(dir.join("f"), &data).expect("write");
    let want = data.clone();
    let server = RawServer::one(move |mut s, head| {
        assert_eq!(
            header_value(&head, "expect").as_deref(),
            Some("100-continue")
        );
        let body = read_exact(&mut s, want.len());
        assert!(body == want, "uploaded body differs");
        send(&mut s, b"HTTP/1.1 204 No Content\r\n\r\n");
        wait_for_close(&mut s);
    });
    let run = client(["-T", dir.join("f").to_str().unwrap(), &server.url("/f")])
        .deadline(Duration::from_secs(30))
        .run();
    run.assert_code(0);
    assert!(
        run.elapsed >= Duration::from_millis(900),
        "{:?}",
        run.elapsed
    );
    server.finish();
}

#[test]
fn stdin_upload_is_sent_chunked() {
    let data = pattern(200_000, 3);
    let want = data.clone();
    let server = RawServer::one(move |mut s, head| {
        assert_eq!(
            header_value(&head, "transfer-encoding").as_deref(),
            Some("chunked")
        );
        assert_eq!(header_value(&head, "content-length"), None);
        // Decode the chunked body by hand.
        let mut body = Vec::new();
        loop {
            let mut line = Vec::new();
            while !line.ends_with(b"\r\n") {
                line.extend(read_exact(&mut s, 1));
            }
            let size =
                usize::from_str_radix(std::str::from_utf8(&line[..line.len() - 2]).unwrap(), 16)
                    .expect("hex size");
            if size == 0 {
                assert_eq!(read_exact(&mut s, 2), b"\r\n");
                break;
            }
            body.extend(read_exact(&mut s, size));
            assert_eq!(read_exact(&mut s, 2), b"\r\n");
        }
        assert!(body == want, "stdin body differs");
        send(
            &mut s,
            b"HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
        );
        wait_for_close(&mut s);
    });
    let run = client(["-T", "-", &server.url("/in")]).stdin(data).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"ok");
    let heads = server.finish();
    assert!(heads[0].starts_with(b"PUT /in HTTP/1.1\r\n"));
}

/// Responses without a body end the exchange at once, even though the server keeps the
/// connection open.
#[test]
fn head_204_and_304_have_no_body() {
    for (method, status_line, fields) in [
        ("HEAD", "HTTP/1.1 200 OK", "Content-Length: 1000\r\n"),
        ("GET", "HTTP/1.1 204 No Content", ""),
        (
            "GET",
            "HTTP/1.1 304 Not Modified",
            "Content-Length: 1000\r\n",
        ),
    ] {
        let reply = format!("{status_line}\r\n{fields}\r\n");
        let server = RawServer::one(move |mut s, _| {
            send(&mut s, reply.as_bytes());
            wait_for_close(&mut s);
        });
        let run = client(["--timeout", "20", "-X", method, &server.url("/n")]).run();
        run.assert_code(0);
        assert!(
            run.stdout.is_empty(),
            "{status_line}: body {:?}",
            run.stdout
        );
        assert!(
            run.elapsed < Duration::from_secs(10),
            "{status_line}: {:?}",
            run.elapsed
        );
        server.finish();
    }
}

#[test]
fn include_puts_the_head_before_the_body() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc",
        );
        wait_for_close(&mut s);
    });
    let run = client(["-i", &server.url("/")]).run();
    run.assert_code(0);
    assert_eq!(
        run.stdout,
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nX-A: b\r\n\r\nabc"
    );
    server.finish();
}

#[test]
fn body_cut_short_is_a_protocol_error_and_never_a_file() {
    let dir = TempDir::new("client-short");
    let server = RawServer::one(|mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        send(&mut s, &[b'x'; 50]);
    });
    let out = dir.join("out.bin");
    let run = client(["-o", out.to_str().unwrap(), &server.url("/short")]).run();
    run.assert_code(7);
    assert!(run.stderr.starts_with("simple-client: "), "{}", run.stderr);
    assert!(run.stderr.contains("50 of 100"), "{}", run.stderr);
    assert!(dir.entries().is_empty(), "left behind: {:?}", dir.entries());
    server.finish();
}

#[test]
fn chunked_body_cut_short_is_a_protocol_error() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nonly",
        );
    });
    let run = client([server.url("/short")]).run();
    run.assert_code(7);
    server.finish();
}

#[test]
fn existing_file_survives_a_failed_download() {
    let dir = TempDir::new("client-noclobber");
    let out = dir.join("keep.txt");
    std::fs::write(&out, b"precious").expect("write");
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\npartial",
        );
        s.shutdown(Shutdown::Both).expect("shutdown");
    });
    let run = client(["-o", out.to_str().unwrap(), &server.url("/x")]).run();
    run.assert_code(7);
    assert_eq!(std::fs::read(&out).expect("read"), b"precious");
    assert_eq!(dir.entries(), ["keep.txt"]);
    server.finish();
}

#[test]
fn output_file_is_replaced_once_complete() {
    let dir = TempDir::new("client-replace");
    let out = dir.join("page.html");
    std::fs::write(&out, b"old").expect("write");
    let server = RawServer::one(|mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew");
        wait_for_close(&mut s);
    });
    let run = client(["-o", out.to_str().unwrap(), &server.url("/page.html")]).run();
    run.assert_code(0);
    assert!(run.stdout.is_empty());
    assert_eq!(std::fs::read(&out).expect("read"), b"new");
    assert_eq!(dir.entries(), ["page.html"]);
    server.finish();
}

#[test]
fn output_to_a_fifo_writes_through_it_and_keeps_it() {
    // `-o /dev/null` or a named pipe: written in place, never replaced by a regular file.
    use std::os::unix::fs::FileTypeExt;
    let dir = TempDir::new("client-fifo");
    let fifo = dir.join("pipe");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || std::fs::read(fifo).expect("read the fifo"))
    };
    let server = RawServer::one(|mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello");
        wait_for_close(&mut s);
    });
    let run = client(["-o", fifo.to_str().unwrap(), &server.url("/x")]).run();
    run.assert_code(0);
    // Checked before joining: were the fifo replaced, its reader would wait forever.
    let kind = std::fs::symlink_metadata(&fifo).expect("stat").file_type();
    assert!(kind.is_fifo(), "the fifo was replaced: {kind:?}");
    assert_eq!(reader.join().expect("reader"), b"hello");
    assert_eq!(dir.entries(), ["pipe"]);
    server.finish();
}

#[test]
fn remote_name_saves_under_the_last_path_segment() {
    let dir = TempDir::new("client-remote-name");
    let server = RawServer::one(|mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nhi");
        wait_for_close(&mut s);
    });
    let run = client(["-O", &server.url("/dir/file%20one.txt?q=1")])
        .current_dir(dir.path())
        .run();
    run.assert_code(0);
    assert_eq!(
        std::fs::read(dir.join("file one.txt")).expect("read"),
        b"hi"
    );
    server.finish();
}

#[test]
fn server_that_never_answers_times_out_with_exit_4() {
    let server = RawServer::one(|mut s, _| {
        // Read the request, then say nothing until the client gives up.
        wait_for_close(&mut s);
    });
    let run = client(["--timeout", "1", &server.url("/slow")])
        .deadline(Duration::from_secs(20))
        .run();
    run.assert_code(4);
    assert!(run.stderr.contains("timed out"), "{}", run.stderr);
    assert!(run.elapsed < Duration::from_secs(10), "{:?}", run.elapsed);
    server.finish();
}

#[test]
fn stall_in_the_middle_of_the_body_times_out() {
    let dir = TempDir::new("client-stall");
    let server = RawServer::one(|mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
        wait_for_close(&mut s);
    });
    let out = dir.join("o");
    let run = client([
        "--timeout",
        "1",
        "-o",
        out.to_str().unwrap(),
        &server.url("/s"),
    ])
    .deadline(Duration::from_secs(20))
    .run();
    run.assert_code(4);
    assert!(dir.entries().is_empty(), "{:?}", dir.entries());
    server.finish();
}

#[test]
fn refused_port_is_a_network_error() {
    let port = free_port();
    let run = client([format!("http://127.0.0.1:{port}/")]).run();
    run.assert_code(4);
    assert!(run.stderr.contains("refused"), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
}

#[test]
fn not_found_exits_8_with_the_body_written() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\n\r\nno such\n\n",
        );
        wait_for_close(&mut s);
    });
    let run = client([server.url("/missing")]).run();
    run.assert_code(8);
    assert_eq!(run.stdout, b"no such\n\n");
    server.finish();
}

#[test]
fn server_errors_exit_8() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n",
        );
        wait_for_close(&mut s);
    });
    client([server.url("/")]).run().assert_code(8);
    server.finish();
}

#[test]
fn malformed_status_lines_are_protocol_errors() {
    for reply in [
        &b"HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n"[..],
        b"garbage\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nBad Header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
    ] {
        let server = RawServer::one(move |mut s, _| {
            send(&mut s, reply);
            let _ = s.shutdown(Shutdown::Write);
            wait_for_close(&mut s);
        });
        let run = client([server.url("/")]).run();
        run.assert_code(7);
        assert!(run.stdout.is_empty());
        assert!(run.stderr.contains("malformed response"), "{}", run.stderr);
        server.finish();
    }
}

#[test]
fn connection_closed_without_a_response_is_a_protocol_error() {
    let server = RawServer::one(|s, _| drop(s));
    let run = client([server.url("/")]).run();
    run.assert_code(7);
    assert!(run.stderr.contains("without a response"), "{}", run.stderr);
    server.finish();
}

#[test]
fn request_head_carries_the_default_and_extra_fields() {
    let server = RawServer::one(|mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
        wait_for_close(&mut s);
    });
    let port = server.port.to_string();
    let run = client([
        "-H",
        "X-One: 1",
        "-H",
        "Accept: text/plain",
        "127.0.0.1",
        &port,
        "OPTIONS",
        "some/where?x=1",
    ])
    .run();
    run.assert_code(0);
    let heads = server.finish();
    let head = String::from_utf8_lossy(&heads[0]).into_owned();
    let version = env!("CARGO_PKG_VERSION");
    assert_eq!(
        head,
        format!(
            "OPTIONS /some/where?x=1 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
             User-Agent: simple_client/{version}\r\nAccept: text/plain\r\nX-One: 1\r\n\r\n"
        )
    );
}

#[test]
fn seed_form_put_sends_the_named_local_file() {
    let dir = TempDir::new("client-seed-put");
    std::fs::write(dir.join("index.html"), b"<p>hi</p>").expect("write");
    let server = RawServer::one(|mut s, head| {
        assert_eq!(header_value(&head, "content-length").as_deref(), Some("9"));
        assert_eq!(read_exact(&mut s, 9), b"<p>hi</p>");
        send(&mut s, b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n");
        wait_for_close(&mut s);
    });
    let port = server.port.to_string();
    client(["localhost", &port, "PUT", "index.html"])
        .current_dir(dir.path())
        .run()
        .assert_code(0);
    let heads = server.finish();
    assert!(heads[0].starts_with(b"PUT /index.html HTTP/1.1\r\n"));
}

#[test]
fn redirects_are_followed_with_l_only() {
    let redirect = |mut s: TcpStream, _: Vec<u8>| {
        send(
            &mut s,
            b"HTTP/1.1 302 Found\r\nLocation: /final?x=1\r\nContent-Length: 5\r\n\r\nmoved",
        );
        wait_for_close(&mut s);
    };
    let server = RawServer::one(redirect);
    let run = client([server.url("/start")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"moved");
    server.finish();

    let server = RawServer::many(vec![
        Box::new(redirect),
        Box::new(|mut s: TcpStream, _| {
            send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nfinal");
            wait_for_close(&mut s);
        }),
    ]);
    let run = client(["-L", &server.url("/start")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"final");
    let heads = server.finish();
    assert!(heads[1].starts_with(b"GET /final?x=1 HTTP/1.1\r\n"));
}

#[test]
fn redirect_loops_stop_after_ten() {
    // The redirects' empty bodies leave the connection open: all eleven requests come on it.
    let scripts: Vec<Script> = vec![Box::new(|mut s: TcpStream, _: Vec<u8>| {
        for _ in 0..11 {
            send(
                &mut s,
                b"HTTP/1.1 301 Moved\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n",
            );
            let next = simplehttp_tests::client_util::read_head(&mut s);
            if next.is_empty() {
                return;
            }
            assert!(next.starts_with(b"GET /again "));
        }
        wait_for_close(&mut s);
    })];
    let server = RawServer::many(scripts);
    let run = client(["-L", &server.url("/")]).run();
    run.assert_code(7);
    assert!(run.stderr.contains("too many redirects"), "{}", run.stderr);
    server.finish();
}

#[test]
fn ipv6_literal_hosts_work() {
    let Ok(listener) = TcpListener::bind("[::1]:0") else {
        panic!("this machine has no IPv6 loopback");
    };
    let port = listener.local_addr().expect("addr").port();
    let t = std::thread::spawn(move || {
        let (mut s, _) = listener.accept().expect("accept");
        let head = simplehttp_tests::client_util::read_head(&mut s);
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nv6");
        wait_for_close(&mut s);
        head
    });
    let run = client([format!("http://[::1]:{port}/six")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"v6");
    let head = t.join().expect("server");
    assert_eq!(header_value(&head, "host"), Some(format!("[::1]:{port}")));
}

#[test]
fn peer_text_is_sanitized_on_stderr() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            "HTTP/1.1 200 OK\u{9b}2J\r\nX-Evil: a\u{9b}31mb\r\nContent-Length: 0\r\n\r\n"
                .as_bytes(),
        );
        wait_for_close(&mut s);
    });
    let run = client(["-v", "--trace", &server.url("/")]).run();
    run.assert_code(0);
    // C1 controls (valid obs-text on the wire) are escaped, never printed raw.
    assert!(!run.stderr.contains('\u{9b}'), "{:?}", run.stderr);
    assert!(
        run.stderr.contains("< X-Evil: a\\u{9b}31mb"),
        "{}",
        run.stderr
    );
    server.finish();
}

#[test]
fn ctrl_c_removes_the_partial_download_and_exits_130() {
    let dir = TempDir::new("client-sigint");
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n",
        );
        send(&mut s, &[b'z'; 4096]);
        wait_for_close(&mut s);
    });
    let out = dir.join("big");
    let mut child = client(["-o", out.to_str().unwrap(), &server.url("/big")]).spawn();
    // Wait until the temporary file exists, then interrupt.
    let start = std::time::Instant::now();
    while dir.entries().is_empty() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "no temp file appeared"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let status = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let status = simplehttp_tests::client_util::wait_deadline(&mut child, Duration::from_secs(10))
        .expect("client exits after SIGINT");
    assert_eq!(status.code(), Some(130));
    assert!(dir.entries().is_empty(), "left behind: {:?}", dir.entries());
    server.finish();
}

#[test]
fn broken_pipe_on_stdout_is_not_an_error() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 200 OK\r\nContent-Length: 4000000\r\n\r\n",
        );
        let _ = s.write_all(&pattern(4_000_000, 1));
        wait_for_close(&mut s);
    });
    let script = format!(
        "timeout 60 '{}' '{}' | head -c 10 >/dev/null; echo \"${{PIPESTATUS[0]}}\"",
        simplehttp_tests::client_util::client_bin().display(),
        server.url("/")
    );
    let out = std::process::Command::new("bash")
        .args(["-c", &script])
        .output()
        .expect("bash");
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "0");
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.finish();
}

/// A listener whose accept queue is full drops new SYNs: connecting hangs until
/// `--connect-timeout`, all on loopback.
#[test]
fn connect_timeout_gives_up_with_exit_4() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let mut held = Vec::new();
    let mut filled = false;
    for _ in 0..2000 {
        match TcpStream::connect_timeout(&addr, Duration::from_millis(200)) {
            Ok(s) => held.push(s),
            Err(_) => {
                filled = true;
                break;
            }
        }
    }
    assert!(filled, "the accept queue never filled");
    let run = client([
        "--connect-timeout",
        "1",
        &format!("http://127.0.0.1:{}/", addr.port()),
    ])
    .deadline(Duration::from_secs(20))
    .run();
    run.assert_code(4);
    assert!(
        run.stderr.contains("timed out connecting"),
        "{}",
        run.stderr
    );
    assert!(run.elapsed < Duration::from_secs(5), "{:?}", run.elapsed);
    drop(held);
}

#[test]
fn see_other_after_put_is_followed_with_get_and_no_body() {
    let dir = TempDir::new("client-303");
    std::fs::write(dir.join("f.txt"), b"data").expect("write");
    let server = RawServer::many(vec![
        Box::new(|mut s: TcpStream, _| {
            assert_eq!(read_exact(&mut s, 4), b"data");
            send(
                &mut s,
                b"HTTP/1.1 303 See Other\r\nLocation: status/1\r\nContent-Length: 0\r\n\r\n",
            );
            wait_for_close(&mut s);
        }) as Script,
        Box::new(|mut s: TcpStream, _| {
            send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
            wait_for_close(&mut s);
        }),
    ]);
    let run = client([
        "-L",
        "-T",
        dir.join("f.txt").to_str().unwrap(),
        &server.url("/up/f.txt"),
    ])
    .run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"done");
    let heads = server.finish();
    let second = String::from_utf8_lossy(&heads[1]).into_owned();
    assert!(
        second.starts_with("GET /up/status/1 HTTP/1.1\r\n"),
        "{second}"
    );
    assert!(!second.contains("Content-Length"), "{second}");
}

#[test]
fn trace_shows_where_a_malformed_response_breaks() {
    let server = RawServer::one(|mut s, _| {
        send(
            &mut s,
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nBad Header\r\n\r\nhello",
        );
        wait_for_close(&mut s);
    });
    let run = client(["--trace", "-o", "-", &server.url("/")]).run();
    run.assert_code(7);
    assert!(run.stdout.is_empty());
    assert!(
        run.stderr.contains(
            "parse error at byte 39 of the response: whitespace between field name and colon"
        ),
        "{}",
        run.stderr
    );
    server.finish();
}

/// A server that redirects to `location` and records the request head it got.
fn redirects_to(location: String) -> Script {
    Box::new(move |mut s: TcpStream, _| {
        let head =
            format!("HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n\r\n");
        send(&mut s, head.as_bytes());
        wait_for_close(&mut s);
    })
}

fn answers_ok() -> Script {
    Box::new(|mut s: TcpStream, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
        wait_for_close(&mut s);
    })
}

const CREDENTIALS: [&str; 8] = [
    "-H",
    "Authorization: Bearer secret-token",
    "-H",
    "Cookie: session=secret",
    "-H",
    "Proxy-Authorization: Basic c2VjcmV0",
    "-H",
    "X-Plain: kept",
];

#[test]
fn credentials_are_not_sent_to_another_host_after_a_redirect() {
    let other = RawServer::one(answers_ok());
    let first = RawServer::one(redirects_to(other.url("/landing")));
    let mut args: Vec<String> = CREDENTIALS.iter().map(|s| s.to_string()).collect();
    args.extend(["-L".into(), "-v".into(), first.url("/start")]);
    let run = client(args).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"ok");
    let first_head = String::from_utf8_lossy(&first.finish()[0]).into_owned();
    let other_head = String::from_utf8_lossy(&other.finish()[0]).into_owned();
    for name in ["authorization", "cookie", "proxy-authorization"] {
        assert!(
            header_value(first_head.as_bytes(), name).is_some(),
            "{first_head}"
        );
        assert_eq!(
            header_value(other_head.as_bytes(), name),
            None,
            "{name} leaked to another port:\n{other_head}"
        );
    }
    assert_eq!(
        header_value(other_head.as_bytes(), "x-plain").as_deref(),
        Some("kept")
    );
    assert!(!other_head.contains("secret"), "{other_head}");
    assert!(
        run.stderr
            .contains("not sending Authorization, Cookie, Proxy-Authorization to 127.0.0.1:"),
        "{}",
        run.stderr
    );
}

#[test]
fn credentials_follow_a_redirect_on_the_same_origin_or_with_location_trusted() {
    // Same host and port: the credentials stay.
    let server = RawServer::many(vec![redirects_to("/next".into()), answers_ok()]);
    let mut args: Vec<String> = CREDENTIALS.iter().map(|s| s.to_string()).collect();
    args.extend(["-L".into(), server.url("/start")]);
    client(args).run().assert_code(0);
    let heads = server.finish();
    assert_eq!(
        header_value(&heads[1], "authorization").as_deref(),
        Some("Bearer secret-token")
    );

    // Another host (localhost is not 127.0.0.1), with --location-trusted: they go along.
    let other = RawServer::one(answers_ok());
    let location = format!("http://localhost:{}/landing", other.port);
    let first = RawServer::one(redirects_to(location));
    let mut args: Vec<String> = CREDENTIALS.iter().map(|s| s.to_string()).collect();
    args.extend(["--location-trusted".into(), first.url("/start")]);
    client(args).run().assert_code(0);
    first.finish();
    let head = &other.finish()[0];
    assert_eq!(
        header_value(head, "cookie").as_deref(),
        Some("session=secret")
    );
    assert_eq!(
        header_value(head, "proxy-authorization").as_deref(),
        Some("Basic c2VjcmV0")
    );
}

#[test]
fn a_relative_location_with_a_url_in_its_query_is_followed() {
    let server = RawServer::many(vec![redirects_to("/x?next=http://e/".into()), answers_ok()]);
    let run = client(["-L", "--timeout", "5", &server.url("/start")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, b"ok");
    let heads = server.finish();
    let second = String::from_utf8_lossy(&heads[1]).into_owned();
    assert!(
        second.starts_with("GET /x?next=http://e/ HTTP/1.1\r\n"),
        "{second}"
    );
}

#[test]
fn a_redirect_to_another_scheme_is_refused_naming_it() {
    for (location, why) in [
        (
            "javascript:alert(1)",
            "unsupported URL scheme \"javascript\"",
        ),
        ("data:text/html,hi", "unsupported URL scheme \"data\""),
        ("ftp://127.0.0.1/f", "unsupported URL scheme \"ftp\""),
        ("gopher://127.0.0.1/", "unsupported URL scheme \"gopher\""),
    ] {
        // One connection only: a second request (to "/javascript:alert(1)") is never answered.
        let server = RawServer::one(redirects_to(location.into()));
        let run = client(["-L", "--timeout", "3", &server.url("/start")])
            .deadline(Duration::from_secs(20))
            .run();
        run.assert_code(7);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(
            run.stderr
                .starts_with("simple-client: cannot follow the redirect to ")
                && run.stderr.contains(why),
            "{location}: {}",
            run.stderr
        );
        server.finish();
    }
}

#[test]
fn dot_segments_are_removed_from_the_url_unless_path_as_is() {
    let server = RawServer::many(vec![answers_ok(), answers_ok(), answers_ok()]);
    let port = server.port.to_string();
    client([server.url("/a/../b/./c/%2e%2e/d?q=/../x")])
        .run()
        .assert_code(0);
    client(["--path-as-is", &server.url("/a/../b")])
        .run()
        .assert_code(0);
    client(["127.0.0.1", &port, "GET", "../../etc/passwd"])
        .run()
        .assert_code(0);
    let heads = server.finish();
    let lines: Vec<String> = heads
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        lines,
        [
            "GET /b/d?q=/../x HTTP/1.1",
            "GET /a/../b HTTP/1.1",
            "GET /etc/passwd HTTP/1.1"
        ]
    );
}

/// Sends `bytes` one at a time, `gap` apart, until they are out or the client is gone.
fn dribble(stream: &mut TcpStream, bytes: &[u8], gap: Duration) {
    stream.set_nodelay(true).expect("nodelay");
    for b in bytes {
        if stream.write_all(&[*b]).is_err() {
            return;
        }
        std::thread::sleep(gap);
    }
}

#[test]
fn a_head_sent_a_byte_at_a_time_must_still_arrive_within_timeout() {
    // Every byte is progress, so only a deadline for the whole head stops this server: it
    // would take over 40 s to finish a head of 90 bytes.
    let server = RawServer::one(|mut s, _| {
        let head = b"HTTP/1.1 200 OK\r\nX-Slow: abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz\r\nContent-Length: 2\r\n\r\nok";
        dribble(&mut s, head, Duration::from_millis(500));
    });
    let run = client(["--timeout", "3", &server.url("/slow")])
        .deadline(Duration::from_secs(30))
        .run();
    run.assert_code(4);
    assert!(
        run.stderr
            .contains("timed out waiting for the response head: it did not arrive within 3 s"),
        "{}",
        run.stderr
    );
    assert!(
        run.elapsed >= Duration::from_millis(2900) && run.elapsed < Duration::from_secs(8),
        "{:?}",
        run.elapsed
    );
    server.finish();
}

#[test]
fn max_time_bounds_the_whole_run_and_removes_the_partial_file() {
    let dir = TempDir::new("client-max-time");
    let server = RawServer::one(|mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
        dribble(&mut s, &[b'x'; 100], Duration::from_millis(500));
    });
    let out = dir.join("slow.bin");
    let run = client(["-m", "2", "-o", out.to_str().unwrap(), &server.url("/slow")])
        .deadline(Duration::from_secs(30))
        .run();
    run.assert_code(4);
    assert_eq!(
        run.stderr,
        "simple-client: timed out: the run took longer than --max-time 2 s\n"
    );
    assert!(
        run.elapsed >= Duration::from_millis(1900) && run.elapsed < Duration::from_secs(6),
        "{:?}",
        run.elapsed
    );
    assert!(dir.entries().is_empty(), "left behind: {:?}", dir.entries());
    server.finish();
}

/// A body that would set the window title, clear the screen and write the clipboard.
const HOSTILE_BODY: &[u8] =
    b"title\x1b]0;pwned\x07 clear\x1b[2J clip\x1b]52;c;ZXZpbA==\x07 c1\xc2\x9b31m\r\nnext\tline\n";

fn serves_hostile_body() -> Script {
    Box::new(|mut s: TcpStream, _| {
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
            HOSTILE_BODY.len()
        );
        send(&mut s, head.as_bytes());
        send(&mut s, HOSTILE_BODY);
        wait_for_close(&mut s);
    })
}

#[test]
fn escape_sequences_in_a_body_are_shown_escaped_on_a_terminal() {
    let server = RawServer::one(serves_hostile_body());
    let (status, screen) = simplehttp_tests::client_util::client_on_terminal(&[server.url("/")]);
    assert!(status.success(), "{status:?}");
    let shown = String::from_utf8_lossy(&screen);
    assert!(
        !screen.iter().any(|&b| b == 0x1b || b == 0x07) && !shown.contains('\u{9b}'),
        "control characters reached the terminal: {shown:?}"
    );
    // Line breaks and tabs stay (the terminal turns \n into \r\n, so \r\n shows as \r\r\n).
    assert_eq!(
        shown,
        "title\\u{1b}]0;pwned\\u{7} clear\\u{1b}[2J clip\\u{1b}]52;c;ZXZpbA==\\u{7} \
         c1\\u{9b}31m\r\r\nnext\tline\r\n"
    );
    server.finish();
}

#[test]
fn pipes_and_o_dash_get_the_exact_bytes() {
    let server = RawServer::many(vec![serves_hostile_body(), serves_hostile_body()]);
    // A pipe: the bytes as they came.
    let run = client([server.url("/")]).run();
    run.assert_code(0);
    assert_eq!(run.stdout, HOSTILE_BODY);
    // `-o -` on a terminal: the bytes as they came, too (the terminal adds CR before LF).
    let url = server.url("/");
    let (status, screen) =
        simplehttp_tests::client_util::client_on_terminal(&["-o", "-", url.as_str()]);
    assert!(status.success(), "{status:?}");
    let want = String::from_utf8_lossy(HOSTILE_BODY).replace('\n', "\r\n");
    assert_eq!(String::from_utf8_lossy(&screen), want);
    server.finish();
}

/// Downloads "new" into `dest` with `-o`.
fn download_new_into(dest: &std::path::Path) {
    let server = RawServer::one(|mut s, _| {
        send(&mut s, b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nnew");
        wait_for_close(&mut s);
    });
    client(["-o", dest.to_str().unwrap(), &server.url("/f")])
        .run()
        .assert_code(0);
    server.finish();
}

#[test]
fn output_file_keeps_its_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new("client-mode");
    // 0666 is wider than the usual umask allows: kept all the same.
    for mode in [0o600, 0o640, 0o755, 0o666] {
        let out = dir.join("secret.txt");
        std::fs::write(&out, b"old").expect("write");
        std::fs::set_permissions(&out, std::fs::Permissions::from_mode(mode)).expect("chmod");
        download_new_into(&out);
        assert_eq!(std::fs::read(&out).expect("read"), b"new");
        let got = std::fs::metadata(&out).expect("stat").permissions().mode() & 0o7777;
        assert_eq!(got, mode, "mode {mode:o} became {got:o}");
        assert_eq!(dir.entries(), ["secret.txt"]);
    }
}

#[test]
fn output_through_a_symlink_writes_its_target_and_keeps_the_link() {
    let dir = TempDir::new("client-symlink");
    std::fs::create_dir(dir.join("real")).expect("mkdir");
    let target = dir.join("real/data.txt");
    std::fs::write(&target, b"old").expect("write");
    let link = dir.join("link.txt");
    std::os::unix::fs::symlink("real/data.txt", &link).expect("symlink");
    download_new_into(&link);
    let meta = std::fs::symlink_metadata(&link).expect("lstat");
    assert!(meta.file_type().is_symlink(), "the link was replaced");
    assert_eq!(std::fs::read(&target).expect("read"), b"new");
    let real = TempDir::entries_of(&dir.join("real"));
    assert_eq!(real, ["data.txt"], "temporary left beside the target");

    // A link to a file that does not exist yet creates that file.
    let dangling = dir.join("dangling.txt");
    std::os::unix::fs::symlink("real/new.txt", &dangling).expect("symlink");
    download_new_into(&dangling);
    assert!(std::fs::symlink_metadata(&dangling)
        .expect("lstat")
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read(dir.join("real/new.txt")).expect("read"),
        b"new"
    );
}

#[test]
fn output_over_a_hard_link_breaks_it_as_documented() {
    // The download is renamed into place, so the destination gets a new inode: another
    // name for the old file keeps the old content (native/README.md says so).
    let dir = TempDir::new("client-hardlink");
    let out = dir.join("a.txt");
    std::fs::write(&out, b"old").expect("write");
    std::fs::hard_link(&out, dir.join("b.txt")).expect("link");
    download_new_into(&out);
    assert_eq!(std::fs::read(&out).expect("read"), b"new");
    assert_eq!(std::fs::read(dir.join("b.txt")).expect("read"), b"old");
}
