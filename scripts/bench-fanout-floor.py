#!/usr/bin/env python3
"""The kernel's floor under watch fan-out (docs/benchmarks.md, issue 15).

Writes one watch-event-sized line to each of N loopback TCP connections
(plain, then TLS) and reports the cost per connection: the sender's wall
time and CPU time for one round of N writes, median of the rounds. The
receivers are another process (an epoll loop, as the tokio client of
benches/local.rs is, or one blocked thread per connection), so the
sender's writes pay for waking them as the server's do.

With --streams K, each connection carries K watchers' lines and gets them
in one write per round, as HTTP/2 multiplexing lets a server do: the cost
is still given per watcher.

    scripts/bench-fanout-floor.py                    # 1000 x 230 bytes
    scripts/bench-fanout-floor.py --streams 100      # 10 connections
    scripts/bench-fanout-floor.py --receiver threads

Python's own overhead per write (a method call, about 0.3 us here) is
included; --empty measures it (a loop of the same calls on a no-op).
"""

import argparse
import os
import selectors
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time

# A watch event line of benches/local.rs: the ADDED event of a ConfigMap
# `watched-N` (229 bytes and a newline, measured on the server).
LINE_BYTES = 230


def self_signed(directory):
    """A throwaway key and certificate for 127.0.0.1, made with openssl."""
    key = os.path.join(directory, "key.pem")
    cert = os.path.join(directory, "cert.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", key, "-out", cert],
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return key, cert


def receive(port, tls, mode, connections, total_per_round):
    """The receiver process: connects, then reads every round and says ok."""
    context = None
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    sockets = []
    for _ in range(connections):
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if context:
            s = context.wrap_socket(s)
        sockets.append(s)
    received = 0
    done = threading.Condition()
    out = sys.stdout

    def add(n):
        nonlocal received
        with done:
            received += n
            done.notify()

    if mode == "threads":
        def reader(s):
            while True:
                data = s.recv(65536)
                if not data:
                    return
                add(len(data))
        for s in sockets:
            threading.Thread(target=reader, args=(s,), daemon=True).start()
    else:
        selector = selectors.DefaultSelector()
        for s in sockets:
            s.setblocking(False)
            selector.register(s, selectors.EVENT_READ)

        def loop():
            while True:
                for key, _ in selector.select():
                    s = key.fileobj
                    got = 0
                    while True:
                        try:
                            data = s.recv(65536)
                        except (BlockingIOError, ssl.SSLWantReadError):
                            break
                        if not data:
                            selector.unregister(s)
                            break
                        got += len(data)
                    add(got)
        threading.Thread(target=loop, daemon=True).start()

    out.write("ready\n")
    out.flush()
    expected = 0
    for _ in sys.stdin:
        expected += total_per_round
        with done:
            done.wait_for(lambda: received >= expected)
        out.write("ok\n")
        out.flush()


def measure(args, tls, directory):
    connections = max(1, args.watchers // args.streams)
    payload = (b"x" * (LINE_BYTES - 1) + b"\n") * args.streams
    listener = socket.create_server(("127.0.0.1", 0), backlog=connections)
    port = listener.getsockname()[1]
    context = None
    if tls:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(*reversed(self_signed(directory)))
    receiver = subprocess.Popen(
        [sys.executable, __file__, "--receive", str(port), "--tls", str(int(tls)),
         "--receiver", args.receiver, "--watchers", str(connections),
         "--per-round", str(0 if args.empty else connections * len(payload))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        sockets = []
        for _ in range(connections):
            s, _ = listener.accept()
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if context:
                s = context.wrap_socket(s, server_side=True)
            sockets.append(s)
        assert receiver.stdout.readline() == "ready\n"
        walls, cpus = [], []
        for _ in range(args.rounds + 1):
            wall, cpu = time.perf_counter(), time.thread_time()
            if args.empty:
                for s in sockets:
                    len(payload)
            else:
                for s in sockets:
                    s.sendall(payload)
            cpu, wall = time.thread_time() - cpu, time.perf_counter() - wall
            receiver.stdin.write("next\n")
            receiver.stdin.flush()
            assert receiver.stdout.readline() == "ok\n"
            walls.append(wall)
            cpus.append(cpu)
        # The first round warms the caches and the receiver's wakeups.
        per = 1e6 / args.watchers
        return (statistics.median(walls[1:]) * per,
                statistics.median(cpus[1:]) * per, connections)
    finally:
        receiver.stdin.close()
        receiver.kill()
        receiver.wait()
        for s in sockets:
            s.close()
        listener.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--watchers", type=int, default=1000)
    parser.add_argument("--streams", type=int, default=1,
                        help="watchers per connection, one write for all of them")
    parser.add_argument("--rounds", type=int, default=25)
    parser.add_argument("--receiver", choices=["epoll", "threads"], default="epoll")
    parser.add_argument("--empty", action="store_true",
                        help="time the loop without the writes")
    parser.add_argument("--receive", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--tls", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--per-round", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.receive:
        receive(args.receive, bool(args.tls), args.receiver, args.watchers, args.per_round)
        return
    directory = tempfile.mkdtemp()
    try:
        print(f"{args.watchers} watchers, {args.streams} per connection, "
              f"{LINE_BYTES}-byte lines, {args.rounds} rounds, receiver {args.receiver}")
        print("| transport | connections | us per watcher (wall, median) | us per watcher (sender CPU, median) |")
        print("|---|---|---|---|")
        for tls in (False, True):
            wall, cpu, connections = measure(args, tls, directory)
            name = "TLS 1.3" if tls else "plain TCP"
            print(f"| {name} | {connections} | {wall:.2f} | {cpu:.2f} |")
    finally:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
