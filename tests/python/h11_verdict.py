#!/usr/bin/env python3
"""h11's verdict on raw HTTP/1.1 requests, for the differential test of the core's parser.

Reads JSON lines {"id": N, "data": "<base64 bytes>"} on stdin and writes one JSON line per
input on stdout, in the same order:

    {"id": N, "verdict": "accept" | "reject" | "incomplete", "why": "<detail>"}

By default the bytes are a request and h11 reads them as a server:

- accept: h11 read a whole request, head and body, to EndOfMessage;
- reject: h11 raised RemoteProtocolError before that;
- incomplete: h11 wants more bytes (NEED_DATA) to finish the first request.

Only the first request of each input counts; bytes after its end are ignored. No EOF is
signalled, so a message that could still go on is "incomplete", never an error.

With "role": "client" and "method": "GET" or "HEAD", the bytes are the response to such a
request, read by h11 as a client, followed by the end of the connection (a close-delimited
body ends there; any other message cut short is "reject").

Exits 3 with a message on stderr when h11 cannot be imported.
"""

import base64
import json
import sys

try:
    import h11
except ImportError as e:  # pragma: no cover - the Rust test reports this
    sys.stderr.write(f"h11_verdict.py: cannot import h11 ({e}); run scripts/test\n")
    sys.exit(3)


def verdict(data: bytes):
    conn = h11.Connection(our_role=h11.SERVER)
    try:
        conn.receive_data(data)
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                return "incomplete", ""
            if isinstance(event, h11.EndOfMessage):
                return "accept", ""
            if event is h11.PAUSED:
                return "accept", "paused"
            if isinstance(event, h11.ConnectionClosed):
                return "incomplete", "closed"
    except h11.RemoteProtocolError as e:
        return "reject", f"{e.error_status_hint}: {e}"


def client_verdict(data: bytes, method: str):
    conn = h11.Connection(our_role=h11.CLIENT)
    conn.send(h11.Request(method=method, target="/", headers=[("Host", "t")]))
    conn.send(h11.EndOfMessage())
    try:
        conn.receive_data(data)
        conn.receive_data(b"")
        while True:
            event = conn.next_event()
            if event is h11.NEED_DATA:
                return "incomplete", ""
            if isinstance(event, h11.EndOfMessage):
                return "accept", ""
            if event is h11.PAUSED:
                return "accept", "paused"
            if isinstance(event, h11.ConnectionClosed):
                return "reject", "closed before a response"
    except h11.RemoteProtocolError as e:
        return "reject", f"{e}"


def main():
    out = sys.stdout
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        case = json.loads(line)
        data = base64.b64decode(case["data"])
        if case.get("role") == "client":
            v, why = client_verdict(data, case.get("method", "GET"))
        else:
            v, why = verdict(data)
        out.write(json.dumps({"id": case["id"], "verdict": v, "why": why}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()
