#!/usr/bin/env python3
"""A hostile or broken "SSH server" for the fanscp integration tests.

    python3 fakesshd.py MODE PORTFILE

Listens on 127.0.0.1, on a port the kernel picks, and writes that port to
PORTFILE once it listens.  It runs until killed (lib.sh's fake_host starts
it and fixture_stop kills it).  MODE is one of:

  blackhole  listen with a backlog of 1 and never accept; the accept queue
             is filled at start by idle connections of our own, so that
             later SYNs are dropped and a client's connect() hangs
  banner1m   accept, send 1 MiB of banner text with no newline, then idle
  garbage    accept, send a valid banner, then random bytes without end
  close      accept and close at once
  trickle    accept, then send one byte of a never-ending banner line
             every 0.2 s

Only loopback is used; every connection is served by its own thread.
"""
import os
import socket
import sys
import threading
import time


def drain(conn):
    """Read and drop whatever the client sends, until it goes away."""
    conn.settimeout(None)
    try:
        while conn.recv(65536):
            pass
    except OSError:
        pass


def serve(conn, mode):
    try:
        if mode == "close":
            conn.close()
            return
        if mode == "banner1m":
            conn.sendall(b"SSH-2.0-" + b"x" * (1 << 20))
            drain(conn)
        elif mode == "garbage":
            conn.sendall(b"SSH-2.0-OpenSSH_9.2 fake\r\n")
            while True:
                conn.sendall(os.urandom(16384))
                time.sleep(0.05)
        elif mode == "trickle":
            conn.sendall(b"SSH-2.0-")
            while True:
                conn.sendall(b"z")
                time.sleep(0.2)
    except OSError:
        pass
    finally:
        try:
            conn.close()
        except OSError:
            pass


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: fakesshd.py MODE PORTFILE")
    mode, portfile = sys.argv[1], sys.argv[2]
    if mode not in ("blackhole", "banner1m", "garbage", "close", "trickle"):
        sys.exit("fakesshd.py: unknown mode " + mode)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(("127.0.0.1", 0))
    port = srv.getsockname()[1]
    if mode == "blackhole":
        srv.listen(1)
        # Fill the accept queue (backlog 1 holds 2) with connections
        # that are never accepted; keep them open.
        fillers = []
        for _ in range(3):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.setblocking(False)
            try:
                c.connect(("127.0.0.1", port))
            except BlockingIOError:
                pass
            fillers.append(c)
            time.sleep(0.05)
    else:
        srv.listen(64)
    tmp = portfile + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % port)
    os.rename(tmp, portfile)
    if mode == "blackhole":
        while True:
            time.sleep(3600)
    while True:
        conn, _ = srv.accept()
        threading.Thread(target=serve, args=(conn, mode), daemon=True).start()


if __name__ == "__main__":
    main()
