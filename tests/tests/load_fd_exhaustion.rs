//! simple-server out of file descriptors: more connections than its RLIMIT_NOFILE allows
//! neither crash it nor make it spin, connections it did accept still get an answer, and
//! once the crowd leaves it serves normally with its descriptors back at the baseline.

use simplehttp_tests::server_util::{connect, Server};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// CPU time (user + system) the process has used, from /proc/PID/stat, in seconds.
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let rest = &stat[stat.rfind(')').unwrap() + 2..];
    let f: Vec<&str> = rest.split(' ').collect();
    // utime and stime are fields 14 and 15 of the line: 12 and 13 after the name, in
    // USER_HZ ticks, which Linux fixes at 100 per second.
    let ticks: u64 = f[11].parse::<u64>().unwrap() + f[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

#[test]
fn running_out_of_descriptors_neither_crashes_nor_spins() {
    // One worker: its listen backlog is first in, first out, so the first connection of the
    // crowd is surely among those accepted before the descriptors ran out (with two, it may
    // wait in the backlog of the worker that found none left, unanswered until the end).
    let mut server = Server::start(&["--quiet", "--threads", "1"]);
    std::fs::write(server.file("ok.txt"), "ok").unwrap();
    assert_eq!(server.get("/ok.txt").status, 200);
    std::thread::sleep(Duration::from_millis(300));
    let baseline = server.fd_count();

    // Room for 40 more descriptors only.
    let pid = rustix::process::Pid::from_raw(server.pid() as i32).unwrap();
    let cap = (baseline + 40) as u64;
    let lim = rustix::process::Rlimit {
        current: Some(cap),
        maximum: Some(cap),
    };
    rustix::process::prlimit(Some(pid), rustix::process::Resource::Nofile, lim)
        .expect("lower the server's RLIMIT_NOFILE");

    // Five times that many connections: the rest wait in the listen backlog. Each sends
    // the start of a head: the kernel hands the server a connection only once its first
    // bytes have arrived (TCP_DEFER_ACCEPT), so silent ones would not use up anything.
    let crowd: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = server.connect();
            s.write_all(b"GET /ok.txt HTTP/1.1\r\nHost: t\r\n").unwrap();
            s
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    let at_cap = server.fd_count();
    let cpu_before = cpu_seconds(server.pid());
    std::thread::sleep(Duration::from_secs(2));
    let cpu = cpu_seconds(server.pid()) - cpu_before;
    eprintln!(
        "descriptors: {baseline} at rest, {at_cap} at the cap of {cap}; \
         {cpu:.2} s of CPU in 2 s while saturated"
    );
    assert!(
        at_cap as u64 + 2 >= cap,
        "the crowd did not use up the descriptors: {at_cap} of {cap}"
    );
    assert!(
        cpu < 0.5,
        "the server spins while out of descriptors: {cpu:.2} s of CPU in 2 s"
    );
    assert!(server.is_running(), "the server died");

    // A connection it accepted gets an answer (it may be unable to open the file: 5xx).
    let mut first = &crowd[0];
    first.write_all(b"\r\n").unwrap();
    let mut line = String::new();
    BufReader::new(first).read_line(&mut line).unwrap();
    assert!(
        line.starts_with("HTTP/1.1 200 ") || line.starts_with("HTTP/1.1 5"),
        "{line:?}"
    );

    // The crowd leaves: a normal client is served at once, descriptors come back.
    drop(crowd);
    let end = Instant::now() + Duration::from_secs(10);
    while server.fd_count() > baseline && Instant::now() < end {
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        server.fd_count() <= baseline,
        "{} descriptors",
        server.fd_count()
    );
    let t = Instant::now();
    let mut s = connect(server.addr());
    s.write_all(b"GET /ok.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut line = String::new();
    BufReader::new(&s).read_line(&mut line).unwrap();
    assert!(line.starts_with("HTTP/1.1 200 "), "{line:?}");
    // Behind it in the queue were the crowd's 160 unaccepted connections, 40 per round of
    // descriptors: accepting resumes as soon as a descriptor is free, not after a pause
    // per round (that took 0.6 to 1 s).
    eprintln!("served in {:?}", t.elapsed());
    assert!(
        t.elapsed() < Duration::from_millis(250),
        "{:?}",
        t.elapsed()
    );
    assert!(server.is_running());
}
