"""TLS peers for tests/tests/server_tls.rs, on Python's ssl and http.client.

usage: tls_client.py COMMAND PORT CAFILE
  keepalive  two GETs of /a.txt on one http.client connection: prints the bodies and
             whether the socket was reused
  pipeline   three requests (GET, HEAD, GET with Connection: close) in one write on one
             TLS connection: prints everything read until the server closes
  garbage    finishes the handshake, then writes random bytes to the socket under TLS:
             prints "closed" when the server ends the connection
  trickle    a GET sent one byte per TLS record, 2 ms apart, then a GET with
             Connection: close in one record: prints everything read until the server
             closes, then the seconds it took
  truncated  after the handshake, the start of an application-data record and the TCP
             write side shut, in one segment: prints the seconds until the server closes
  halfclose  a GET, then the TCP write side shut (no close_notify), in one segment:
             prints everything read until the server closes, then the seconds it took
"""

import http.client
import os
import socket
import ssl
import sys
import time


def context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.set_alpn_protocols(["http/1.1"])
    return ctx


def main():
    command, port, cafile = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ctx = context(cafile)
    if command == "keepalive":
        conn = http.client.HTTPSConnection("127.0.0.1", port, context=ctx, timeout=15)
        conn.request("GET", "/a.txt", headers={"Host": "t"})
        first = conn.getresponse().read()
        sock = conn.sock
        conn.request("GET", "/a.txt", headers={"Host": "t"})
        second = conn.getresponse().read()
        print(first.decode(), second.decode(), "reused" if conn.sock is sock else "new")
        print("alpn", conn.sock.selected_alpn_protocol())
    elif command == "pipeline":
        raw = socket.create_connection(("127.0.0.1", port), timeout=15)
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        s.sendall(
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
            b"HEAD /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
            b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"
        )
        out = b""
        while True:
            try:
                got = s.recv(65536)
            except (ssl.SSLEOFError, ConnectionResetError):
                break
            if not got:
                break
            out += got
        sys.stdout.write(out.decode("latin-1"))
    elif command in ("trickle", "halfclose"):
        raw = socket.create_connection(("127.0.0.1", port), timeout=15)
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        start = time.monotonic()
        get = b"GET /a.txt HTTP/1.1\r\nHost: t\r\n\r\n"
        if command == "trickle":
            for i in range(len(get)):
                s.sendall(get[i : i + 1])
                time.sleep(0.002)
            s.sendall(b"GET /a.txt HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        else:
            # Corked, the request's record and the FIN leave in one segment: the server
            # sees both in one readiness event.
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
            s.sendall(get)
            # The TCP socket itself, under TLS: a FIN with no close_notify before it.
            socket.socket(fileno=os.dup(s.fileno())).shutdown(socket.SHUT_WR)
        out = b""
        while True:
            try:
                got = s.recv(65536)
            except (ssl.SSLEOFError, ConnectionResetError):
                break
            if not got:
                break
            out += got
        sys.stdout.write(out.decode("latin-1"))
        print(f"\nseconds {time.monotonic() - start:.3f}")
    elif command == "truncated":
        raw = socket.create_connection(("127.0.0.1", port), timeout=15)
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        start = time.monotonic()
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_CORK, 1)
        # A record header promising 64 bytes, and 10 of them.
        os.write(s.fileno(), b"\x17\x03\x03\x00\x40" + os.urandom(10))
        socket.socket(fileno=os.dup(s.fileno())).shutdown(socket.SHUT_WR)
        try:
            while s.recv(4096):
                pass
        except (ssl.SSLError, ConnectionResetError):
            pass
        print(f"seconds {time.monotonic() - start:.3f}")
    elif command == "garbage":
        raw = socket.create_connection(("127.0.0.1", port), timeout=15)
        s = ctx.wrap_socket(raw, server_hostname="127.0.0.1")
        os.write(s.fileno(), os.urandom(4096))
        try:
            while s.recv(4096):
                pass
            print("closed")
        except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
            print("closed")
        except socket.timeout:
            print("still open")
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
