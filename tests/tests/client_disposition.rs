//! simple-client `-O -J`: the file name from a scripted server's `Content-Disposition`,
//! hostile names made safe or refused, and existing files kept unless `--clobber`.

use simplehttp_tests::client_util::{client, RawServer, TempDir};
use std::io::Write;

/// A server answering once with `body` and, if given, this Content-Disposition value.
fn serve(disposition: Option<&str>, body: &'static [u8]) -> RawServer {
    let field = disposition.map_or(String::new(), |d| format!("Content-Disposition: {d}\r\n"));
    RawServer::one(move |mut s, _| {
        let head = format!(
            "HTTP/1.1 200 OK\r\n{field}Content-Length: {}\r\n\r\n",
            body.len()
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(body).unwrap();
    })
}

/// Runs `-O -J` (and `extra`) in a fresh `work/run` directory for `/dl/from-url.bin`:
/// the run, and the directory (whose parent `work` must stay empty besides it).
fn fetch(
    disposition: Option<&str>,
    extra: &[&str],
) -> (simplehttp_tests::client_util::Run, TempDir) {
    let work = TempDir::new("creq-j");
    let dir = work.join("run");
    std::fs::create_dir(&dir).unwrap();
    let server = serve(disposition, b"payload\n");
    let mut args = vec!["-s", "-O", "-J"];
    args.extend_from_slice(extra);
    let url = server.url("/dl/from-url.bin");
    args.push(&url);
    let run = client(&args).current_dir(&dir).run();
    server.finish();
    assert_eq!(work.entries(), ["run"], "nothing beside the run directory");
    (run, work)
}

#[test]
fn takes_the_name_from_content_disposition() {
    for (value, saved) in [
        (
            "attachment; filename=\"report 2024.pdf\"",
            "report 2024.pdf",
        ),
        ("attachment; filename=plain.txt", "plain.txt"),
        (
            "attachment; filename=\"ascii.txt\"; filename*=UTF-8''%E2%82%AC%20rates.txt",
            "€ rates.txt",
        ),
    ] {
        let (run, work) = fetch(Some(value), &[]);
        run.assert_code(0);
        assert_eq!(run.stderr, "", "{value}");
        assert_eq!(TempDir::entries_of(&work.join("run")), [saved], "{value}");
        assert_eq!(
            std::fs::read(work.join("run").join(saved)).unwrap(),
            b"payload\n"
        );
    }
}

#[test]
fn hostile_names_are_made_safe_or_refused() {
    // Directories are dropped: only the last segment is used, in the current directory.
    for (value, saved) in [
        ("attachment; filename=\"../../x\"", "x"),
        ("attachment; filename=\"/etc/passwd\"", "passwd"),
        ("attachment; filename=\"..\\\\..\\\\boot.ini\"", "boot.ini"),
    ] {
        let (run, work) = fetch(Some(value), &[]);
        run.assert_code(0);
        assert_eq!(TempDir::entries_of(&work.join("run")), [saved], "{value}");
        assert!(
            run.stderr.contains("has directories; saving as"),
            "{}",
            run.stderr
        );
    }
    // Unusable names fall back to the URL's, saying why, on one line.
    for (value, why) in [
        (
            Some("attachment; filename*=UTF-8''a%0D%0Ab"),
            "holds a control character (U+000D)",
        ),
        (
            Some("attachment; filename*=UTF-8''invoice%E2%80%AEfdp.exe"),
            "holds a bidi control (U+202E)",
        ),
        (Some("attachment; filename=\"\""), "is not a file name"),
        (Some("attachment; filename=\"..\""), "is not a file name"),
        (
            Some("attachment; filename=\".profile\""),
            "starts with a dot",
        ),
        (Some("inline"), "Content-Disposition names no file"),
        (None, "the response has no Content-Disposition"),
    ] {
        let (run, work) = fetch(value, &[]);
        run.assert_code(0);
        assert_eq!(
            TempDir::entries_of(&work.join("run")),
            ["from-url.bin"],
            "{value:?}"
        );
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
        assert!(
            run.stderr.starts_with("simple-client: -J: "),
            "{}",
            run.stderr
        );
        assert!(run.stderr.contains(why), "{value:?}: {}", run.stderr);
        assert!(
            run.stderr
                .ends_with("; saving as \"from-url.bin\" (from the URL)\n"),
            "{}",
            run.stderr
        );
        assert!(!run.stderr.contains('\r') && !run.stderr.contains('\u{202e}'));
    }
}

#[test]
fn an_existing_file_is_kept_unless_clobber() {
    let work = TempDir::new("creq-clobber");
    let old = work.join("report.pdf");
    std::fs::write(&old, b"precious\n").unwrap();
    let value = "attachment; filename=\"report.pdf\"";

    let server = serve(Some(value), b"new\n");
    let run = client(["-s", "-O", "-J", &server.url("/x")])
        .current_dir(work.path())
        .run();
    run.assert_code(1);
    assert_eq!(
        run.stderr,
        "simple-client: -J: \"report.pdf\" exists; not overwriting it (--clobber does)\n"
    );
    assert_eq!(std::fs::read(&old).unwrap(), b"precious\n");
    assert_eq!(work.entries(), ["report.pdf"], "no temporary left");
    drop(server);

    let server = serve(Some(value), b"new\n");
    let run = client(["-s", "-O", "-J", "--clobber", &server.url("/x")])
        .current_dir(work.path())
        .run();
    run.assert_code(0);
    assert_eq!(std::fs::read(&old).unwrap(), b"new\n");
    server.finish();

    let run = client(["-J", "http://127.0.0.1:9/x"]).run();
    run.assert_code(2);
    assert_eq!(
        run.stderr,
        "simple-client: -J names the file of -O: give -O too\n"
    );
}
