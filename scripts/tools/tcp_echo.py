#!/usr/bin/env python3
"""A TCP echo for the demo and benchmarks: the service behind an exposed port, and a client that
keeps one connection busy and reports, with a timestamp, how and when it ended.

  tcp_echo.py serve HOST PORT            echo every connection until it closes
  tcp_echo.py hold HOST PORT [SECONDS]   connect, exchange 100 bytes every 50 ms; print one line:
                                         "connected", then "ended reset|eof|timeout at RFC3339-UTC after N round trips"
  tcp_echo.py probe HOST PORT [TIMEOUT]  one connect + exchange; exit 0 on success, 1 otherwise
"""
import socket
import sys
import threading
import time


def serve(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind((host, port))
    listener.listen(64)

    def echo(conn):
        with conn:
            try:
                while data := conn.recv(65536):
                    conn.sendall(data)
            except OSError:
                pass

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=echo, args=(conn,), daemon=True).start()


def hold(host, port, seconds):
    deadline = time.time() + seconds
    conn = socket.create_connection((host, port), timeout=3)
    print("connected", flush=True)
    trips = 0
    how = "timeout"
    try:
        while time.time() < deadline:
            conn.sendall(b"m" * 100)
            if not conn.recv(65536):
                how = "eof"
                break
            trips += 1
            time.sleep(0.05)
    except ConnectionResetError:
        how = "reset"
    except OSError as error:
        how = "error:" + error.__class__.__name__
    now = time.time()
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1000):03d}Z"
    print(f"ended {how} at {stamp} after {trips} round trips", flush=True)


def probe(host, port, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(b"ping")
            return 0 if conn.recv(16) == b"ping" else 1
    except OSError:
        return 1


if __name__ == "__main__":
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "serve":
        serve(host, port)
    elif mode == "hold":
        hold(host, port, float(sys.argv[4]) if len(sys.argv) > 4 else 3600)
    elif mode == "probe":
        sys.exit(probe(host, port, float(sys.argv[4]) if len(sys.argv) > 4 else 2))
    else:
        sys.exit(f"unknown mode {mode}")
