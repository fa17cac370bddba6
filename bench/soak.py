"""The soak of `bench/run --soak`: simple-server, as README.md runs it, under a mixed load
for a bounded time, watched for growth.

Four loads run at once against one server on a loopback port:
- keep-alive: wrk, one thread, 32 connections, GET of the 1 KiB file, in 30 s pieces;
- new connection per request: GET of the 1 KiB file with `Connection: close`;
- ranges: 64 KiB `Range` requests at random offsets of the 10 MiB file, on one kept
  connection, each body's length checked;
- uploads: PUT of 1 MiB to one of 8 names, GET of it back (length checked), DELETE.

Every 5 s the server's RSS (VmRSS) and open descriptors are sampled. The result compares
the end with the first minute: a server that leaks memory or descriptors under this load
grows, one that does not stays within a few percent. Any failed request is recorded with
its reason. Nothing here judges by an exit code; `bench/run` prints and records it.
"""

import http.client
import os
import random
import re
import subprocess
import threading
import time

SAMPLE_EVERY = 5.0
WRK_PIECE = 30
UPLOAD_SIZE = 1 << 20


def _rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


class _Count:
    def __init__(self):
        self.lock = threading.Lock()
        self.ok = {}
        self.errors = []

    def good(self, kind, n=1):
        with self.lock:
            self.ok[kind] = self.ok.get(kind, 0) + n

    def bad(self, kind, why):
        with self.lock:
            if len(self.errors) < 100:
                self.errors.append(f"{kind}: {why}")
            self.ok.setdefault(kind, 0)
            self.ok[kind + " failed"] = self.ok.get(kind + " failed", 0) + 1


def _keepalive(port, end, count):
    """wrk in pieces, so a failure shows when it happened and the run stops on time."""
    url = f"http://127.0.0.1:{port}/index.html"
    while time.monotonic() + 2 < end:
        secs = max(1, min(WRK_PIECE, int(end - time.monotonic())))
        r = subprocess.run(["wrk", "-t1", "-c32", f"-d{secs}s", url], capture_output=True,
                           text=True, timeout=secs + 30)
        m = re.search(r"(\d+) requests in", r.stdout)
        done = int(m.group(1)) if m else 0
        errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
                         r.stdout)
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", r.stdout)
        failed = (sum(int(x) for x in errs.groups()) if errs else 0) + (
            int(non2xx.group(1)) if non2xx else 0)
        # wrk counts a read error per connection it closes itself at the end of a piece
        # only as "read"; a timeout or a non-2xx is the server's.
        count.good("keep-alive", done)
        if failed or r.returncode != 0:
            count.bad("keep-alive", f"wrk: {failed} errors, exit {r.returncode}: "
                      + " ".join(r.stdout.split()[-20:]))


def _new_connections(port, end, count):
    while time.monotonic() < end:
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            c.request("GET", "/index.html", headers={"Connection": "close"})
            r = c.getresponse()
            body = r.read()
            c.close()
            if r.status == 200 and len(body) == 1024:
                count.good("new connection")
            else:
                count.bad("new connection", f"status {r.status}, {len(body)} bytes")
        except (OSError, http.client.HTTPException) as e:
            count.bad("new connection", repr(e))


def _ranges(port, end, count, size):
    rng = random.Random(7)
    c = None
    while time.monotonic() < end:
        try:
            if c is None:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            start = rng.randrange(0, size - 65536)
            c.request("GET", "/10m.bin", headers={"Range": f"bytes={start}-{start + 65535}"})
            r = c.getresponse()
            body = r.read()
            if r.status == 206 and len(body) == 65536:
                count.good("range")
            else:
                count.bad("range", f"status {r.status}, {len(body)} bytes")
            if r.will_close:
                c.close()
                c = None
        except (OSError, http.client.HTTPException) as e:
            count.bad("range", repr(e))
            c = None


def _uploads(port, end, count):
    body = os.urandom(UPLOAD_SIZE)
    i = 0
    while time.monotonic() < end:
        path = f"/up/soak-{i % 8}.bin"
        i += 1
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request("PUT", path, body=body)
            r = c.getresponse()
            r.read()
            if r.status not in (200, 201, 204):
                count.bad("upload", f"PUT {path}: status {r.status}")
                c.close()
                continue
            c.request("GET", path)
            r = c.getresponse()
            got = r.read()
            if r.status != 200 or got != body:
                count.bad("upload", f"GET {path} back: status {r.status}, {len(got)} bytes")
            c.request("DELETE", path)
            r = c.getresponse()
            r.read()
            c.close()
            if r.status not in (200, 204):
                count.bad("upload", f"DELETE {path}: status {r.status}")
            else:
                count.good("upload")
        except (OSError, http.client.HTTPException) as e:
            count.bad("upload", repr(e))


def _at(samples, t):
    """The sample nearest to `t` seconds."""
    return min(samples, key=lambda s: abs(s["t"] - t)) if samples else None


def run(server_cmd, seconds, www, log):
    """Starts `server_cmd` (which prints its port in its start line), runs the loads for
    `seconds`, stops it by PID, and returns the figures."""
    err_path = os.path.join(os.path.dirname(www), "soak-server.log")
    errlog = open(err_path, "w")
    proc = subprocess.Popen(server_cmd, stdin=subprocess.DEVNULL, stdout=errlog, stderr=errlog,
                            start_new_session=True)
    errlog.close()
    try:
        port = None
        deadline = time.monotonic() + 15
        while port is None and time.monotonic() < deadline and proc.poll() is None:
            with open(err_path) as f:
                m = re.search(r"http://127\.0\.0\.1:(\d+)", f.read())
            if m:
                port = int(m.group(1))
            else:
                time.sleep(0.05)
        if port is None:
            return {"error": "the server did not start; see " + err_path}
        size = os.path.getsize(os.path.join(www, "10m.bin"))
        time.sleep(0.5)
        idle_before = {"rss_kib": _rss_kib(proc.pid), "fds": _fds(proc.pid)}
        count = _Count()
        start = time.monotonic()
        end = start + seconds
        loads = [
            threading.Thread(target=_keepalive, args=(port, end, count)),
            threading.Thread(target=_new_connections, args=(port, end, count)),
            threading.Thread(target=_ranges, args=(port, end, count, size)),
            threading.Thread(target=_uploads, args=(port, end, count)),
        ]
        for t in loads:
            t.daemon = True
            t.start()
        samples = []
        next_log = start + 60
        # Samples fall half-way between wrk's pieces (which start every 30 s), so that each
        # sees wrk's connections open; the last comes before the loads stop.
        next_sample = start + SAMPLE_EVERY / 2
        while next_sample < end - 1:
            time.sleep(max(0.0, next_sample - time.monotonic()))
            next_sample += SAMPLE_EVERY
            now = time.monotonic() - start
            samples.append({"t": round(now, 1), "rss_kib": _rss_kib(proc.pid),
                            "fds": _fds(proc.pid)})
            if time.monotonic() >= next_log:
                next_log += 60
                s = samples[-1]
                log(f"  soak {now / 60:.0f} min: RSS {s['rss_kib']} KiB, {s['fds']} descriptors, "
                    f"{sum(v for k, v in count.ok.items() if 'failed' not in k):,} requests, "
                    f"{len(count.errors)} failures")
        for t in loads:
            t.join(timeout=60)
        # Idle again: every client has closed; what the server still holds is its own.
        time.sleep(2)
        idle_after = {"rss_kib": _rss_kib(proc.pid), "fds": _fds(proc.pid)}
        if proc.poll() is not None:
            count.bad("server", f"exited with {proc.returncode} during the soak")
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, 15)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(proc.pid, 9)
                proc.wait()
    first = _at(samples, 60.0 + SAMPLE_EVERY / 2)
    last = samples[-1] if samples else None

    def growth(key):
        if not first or not last or not first[key] or last[key] is None:
            return None
        return (last[key] - first[key]) / first[key]

    return {
        "seconds": seconds,
        "command": server_cmd,
        "requests": count.ok,
        "errors": count.errors,
        "samples": samples,
        "rss_kib_1min": first and first["rss_kib"],
        "rss_kib_end": last and last["rss_kib"],
        "fds_1min": first and first["fds"],
        "fds_end": last and last["fds"],
        "rss_growth": growth("rss_kib"),
        "fds_growth": growth("fds"),
        "fds_range": [min(x["fds"] for x in samples), max(x["fds"] for x in samples)]
        if samples else None,
        "idle_before": idle_before,
        "idle_after": idle_after,
    }


def markdown(soak):
    """The soak's section of BENCHMARKS.md."""
    if not soak or "error" in soak:
        return ""
    req = soak["requests"]
    lines = ", ".join(f"{k}: {v:,}" for k, v in sorted(req.items()))
    g = soak["rss_growth"]
    f = soak["fds_growth"]
    errors = soak["errors"]
    err = "none" if not errors else f"{len(errors)}: " + "; ".join(errors[:5])
    idle = ""
    before, after = soak.get("idle_before"), soak.get("idle_after")
    if before and after:
        lo, hi = soak["fds_range"]
        idle = (f"\nUnder load the descriptors move with the connections open at the moment "
                f"(between {lo} and {hi} over the run). Idle, before the load and 2 s after it: "
                f"{before['fds']} and {after['fds']} descriptors, RSS {before['rss_kib']:,} and "
                f"{after['rss_kib']:,} KiB.\n")
    return f"""## Soak ({soak['seconds'] / 60:.0f} minutes, `bench/run --soak`)

simple-server with its defaults under four loads at once: wrk keep-alive (32 connections),
a new connection per request, 64 KiB ranges of a 10 MiB file, and 1 MiB uploads read back
and deleted. Measured {soak.get('date', '')}.

| | after 1 minute | at the end | growth |
|---|---:|---:|---:|
| RSS | {soak['rss_kib_1min']:,} KiB | {soak['rss_kib_end']:,} KiB | {'n/a' if g is None else f'{g * 100:+.1f} %'} |
| open descriptors | {soak['fds_1min']} | {soak['fds_end']} | {'n/a' if f is None else f'{f * 100:+.1f} %'} |
{idle}
Requests: {lines}. Failed requests: {err}.
"""
