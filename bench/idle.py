#!/usr/bin/env python3
"""Holds many idle keep-alive connections to a loopback server and measures what they cost.

Each connection makes one GET and then stays open, idle. While they are all held, the
script reads the server's resident memory (the sum over the given PIDs, from
/proc/PID/status) and times new requests made on fresh connections. It prints one JSON
object on stdout and exits; every socket is closed with a reset (SO_LINGER 0) so no
TIME_WAIT is left behind.

    bench/idle.py --port 8080 --conns 10000 --pids 1234,1235

Bounded in time: connections that are not answered within --timeout seconds are counted
as unanswered, and each probe waits at most --probe-timeout seconds.
"""

import argparse
import errno
import json
import resource
import selectors
import socket
import statistics
import struct
import sys
import time

HOST = "127.0.0.1"


def raise_nofile():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def rss_kib(pids):
    """The sum of VmRSS over `pids`, in KiB (a PID that is gone counts 0)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/status") as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            pass
    return total


def request(path):
    return f"GET {path} HTTP/1.1\r\nHost: {HOST}\r\nUser-Agent: bench-idle\r\n\r\n".encode()


def response_complete(buf):
    """Whether `buf` holds one whole response framed by Content-Length."""
    end = buf.find(b"\r\n\r\n")
    if end < 0:
        return False
    length = 0
    for line in buf[:end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(buf) >= end + 4 + length


def reset_close(sock):
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class Pending:
    __slots__ = ("sock", "buf", "sent")

    def __init__(self, sock):
        self.sock = sock
        self.buf = b""
        self.sent = False


def open_idle(port, count, path, timeout, window):
    """Opens `count` connections, at most `window` in progress at once, each making one
    request. Returns (held sockets, number refused or closed, number unanswered)."""
    sel = selectors.DefaultSelector()
    req = request(path)
    held, failed = [], 0
    started = 0
    in_flight = 0
    deadline = time.monotonic() + timeout
    while (started < count or in_flight) and time.monotonic() < deadline:
        while started < count and in_flight < window:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            s.setblocking(False)
            rc = s.connect_ex((HOST, port))
            started += 1
            if rc not in (0, errno.EINPROGRESS):
                failed += 1
                s.close()
                continue
            sel.register(s, selectors.EVENT_WRITE, Pending(s))
            in_flight += 1
        for key, _ in sel.select(timeout=0.2):
            p = key.data
            s = p.sock
            done = False
            try:
                if not p.sent:
                    err = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if err:
                        raise OSError(err, "connect")
                    s.send(req)
                    p.sent = True
                    sel.modify(s, selectors.EVENT_READ, p)
                    continue
                chunk = s.recv(65536)
                if not chunk:
                    raise OSError("closed")
                p.buf += chunk
                done = response_complete(p.buf)
            except OSError:
                sel.unregister(s)
                reset_close(s)
                in_flight -= 1
                failed += 1
                continue
            if done:
                sel.unregister(s)
                in_flight -= 1
                held.append(s)
    unanswered = 0
    for key in list(sel.get_map().values()):
        sel.unregister(key.fileobj)
        reset_close(key.fileobj)
        unanswered += 1
    unanswered += count - started
    sel.close()
    return held, failed, unanswered


def probe(port, path, timeout):
    """Times one request on a new connection: seconds to the whole response, or None."""
    req = request(path)
    t0 = time.perf_counter()
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect((HOST, port))
        s.sendall(req)
        buf = b""
        while not response_complete(buf):
            chunk = s.recv(65536)
            if not chunk:
                return None
            buf += chunk
        if not buf.startswith(b"HTTP/1.1 200"):
            return None
        return time.perf_counter() - t0
    except OSError:
        return None
    finally:
        reset_close(s)


def still_open(held):
    """How many held connections the server has not closed (nothing readable on them)."""
    sel = selectors.DefaultSelector()
    for s in held:
        sel.register(s, selectors.EVENT_READ)
    closed = len(sel.select(timeout=0))
    sel.close()
    return len(held) - closed


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--conns", type=int, default=10000)
    ap.add_argument("--path", default="/index.html")
    ap.add_argument("--pids", default="", help="server PIDs whose RSS is summed")
    ap.add_argument("--timeout", type=float, default=60.0, help="seconds to open them all")
    ap.add_argument("--window", type=int, default=256, help="connections in progress at once")
    ap.add_argument("--probes", type=int, default=10)
    ap.add_argument("--probe-timeout", type=float, default=2.0)
    ap.add_argument("--settle", type=float, default=1.0, help="seconds before reading RSS")
    a = ap.parse_args()
    nofile = raise_nofile()
    pids = [int(p) for p in a.pids.split(",") if p]

    for _ in range(3):
        probe(a.port, a.path, a.probe_timeout)
    rss_before = rss_kib(pids)
    t0 = time.monotonic()
    held, failed, unanswered = open_idle(a.port, a.conns, a.path, a.timeout, a.window)
    setup_s = time.monotonic() - t0
    time.sleep(a.settle)
    rss_after = rss_kib(pids)
    times = []
    for _ in range(a.probes):
        times.append(probe(a.port, a.path, a.probe_timeout))
        time.sleep(0.05)
    open_now = still_open(held)
    for s in held:
        reset_close(s)
    answered = [t for t in times if t is not None]
    out = {
        "conns": a.conns,
        "nofile": nofile,
        "held": len(held),
        "failed": failed,
        "unanswered": unanswered,
        "still_open": open_now,
        "setup_s": round(setup_s, 3),
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "rss_per_conn_kib": (rss_after - rss_before) / len(held) if held else None,
        "probes": len(times),
        "probes_answered": len(answered),
        "probe_ms": [round(t * 1000, 3) if t is not None else None for t in times],
        "probe_median_ms": statistics.median(answered) * 1000 if answered else None,
        "probe_max_ms": max(answered) * 1000 if answered else None,
    }
    json.dump(out, sys.stdout)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
