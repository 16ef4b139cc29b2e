"""Where the client CPU of moving 1 GiB goes, one cost at a time.

Swift's own CPU is left out: a minimal HTTP server in another process sends
(or swallows) the bytes from memory, and each client variant runs in a
fresh process that reports its own user + system CPU (``getrusage``). The
variants add one cost at a time to the same byte path swiftsvc uses for a
large object (ranged GETs of 64 MiB pieces on 10 threads, urllib3, 1 MiB
reads, ``os.pwrite`` at the piece's offset; uploads read 1 MiB at a time,
hash and send the same buffer):

- ``md5 only``: hashlib's MD5 of 1 GiB already in memory;
- ``download``: urllib3 ``stream(1 MiB)`` (what swiftsvc reads with) into
  ``pwrite``, with and without MD5;
- ``download readinto``: the same into one preallocated buffer per thread
  (``http.client``'s ``readinto``), with and without MD5;
- ``upload``: read a file 1 MiB at a time, MD5, ``sendall``, with and without MD5.

    .venv/bin/python bench/cpu_breakdown.py --rounds 3

Not part of ``make bench`` (it measures the byte path, not swiftsvc); its
numbers are quoted in RESULTS.md's analysis.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

SIZE = 1 << 30
PIECE = 64 << 20
BLOCK = 1 << 20
THREADS = 10


def serve(ready_file: str) -> None:
    """GET: ``SIZE`` bytes (or the asked range) from memory; PUT: read and drop the body."""
    data = memoryview(b"x" * (4 << 20))
    listener = socket.create_server(("127.0.0.1", 0))
    Path(ready_file).write_text(str(listener.getsockname()[1]))

    def answer(conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        while line := reader.readline():
            method = line.split()[0]
            first, last, length = 0, SIZE - 1, 0
            while (header := reader.readline()) not in (b"\r\n", b""):
                name, _, value = header.partition(b":")
                if name.lower() == b"range":
                    low, _, high = value.strip().split(b"=")[1].partition(b"-")
                    first, last = int(low), int(high)
                elif name.lower() == b"content-length":
                    length = int(value)
            if method == b"PUT":
                while length:
                    length -= len(reader.read(min(length, BLOCK)))
                conn.sendall(b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
                continue
            left = last - first + 1
            conn.sendall(b"HTTP/1.1 206 Partial Content\r\nContent-Length: %d\r\n\r\n" % left)
            while left:
                step = min(left, len(data))
                conn.sendall(data[:step])
                left -= step

    while True:
        conn, _ = listener.accept()
        threading.Thread(target=answer, args=(conn,), daemon=True).start()


def on_threads(piece: Callable[[int], None]) -> None:
    """``piece(offset)`` for every 64 MiB piece of the GiB, on ``THREADS`` threads."""
    todo = list(range(0, SIZE, PIECE))
    lock = threading.Lock()

    def work() -> None:
        while True:
            with lock:
                if not todo:
                    return
                first = todo.pop()
            piece(first)

    threads = [threading.Thread(target=work) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def variant(name: str, port: int, scratch: str) -> dict[str, float]:
    import urllib3

    hashing = name.endswith("+md5")
    started = time.monotonic()
    if name == "md5 only":
        block = os.urandom(BLOCK)
        digest = hashlib.md5(usedforsecurity=False)
        for _ in range(SIZE // BLOCK):
            digest.update(block)
    elif name.startswith("download"):
        readinto = "readinto" in name
        out = os.open(os.path.join(scratch, "out.bin"), os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=THREADS)

        def fetch(first: int) -> None:
            wanted = {"Range": f"bytes={first}-{first + PIECE - 1}"}
            answer = pool.request("GET", "/o", headers=wanted, preload_content=False)
            digest = hashlib.md5(usedforsecurity=False) if hashing else None
            offset = first
            if readinto:
                buffer = bytearray(BLOCK)
                view = memoryview(buffer)
                raw = answer._fp  # type: ignore[attr-defined]  # http.client's response
                while count := raw.readinto(buffer):  # into the buffer, no copy
                    if digest is not None:
                        digest.update(view[:count])
                    os.pwrite(out, view[:count], offset)
                    offset += count
            else:
                for chunk in answer.stream(BLOCK, decode_content=False):
                    if digest is not None:
                        digest.update(chunk)
                    os.pwrite(out, chunk, offset)
                    offset += len(chunk)
            answer.release_conn()

        on_threads(fetch)
        os.close(out)
    else:  # upload: each thread reads its 64 MiB pieces of the file, hashes, sends
        source = os.path.join(scratch, "source.bin")

        def send(first: int) -> None:
            digest = hashlib.md5(usedforsecurity=False) if hashing else None
            with socket.create_connection(("127.0.0.1", port)) as conn, open(source, "rb") as file:
                file.seek(first)
                conn.sendall(b"PUT /o HTTP/1.1\r\nContent-Length: %d\r\n\r\n" % PIECE)
                left = PIECE
                while left:
                    data = file.read(min(BLOCK, left))
                    if digest is not None:
                        digest.update(data)
                    conn.sendall(data)
                    left -= len(data)
                conn.recv(4096)

        on_threads(send)
    wall = time.monotonic() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"wall": wall, "user": usage.ru_utime, "sys": usage.ru_stime}


VARIANTS = (
    "md5 only",
    "download",
    "download+md5",
    "download readinto",
    "download readinto+md5",
    "upload",
    "upload+md5",
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--work-dir", default="/dev/shm")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--variant", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve)
        return 0
    scratch = tempfile.mkdtemp(prefix="swiftsvc-cpu-", dir=args.work_dir)
    ready = os.path.join(scratch, "port")
    server = subprocess.Popen([sys.executable, __file__, "--serve", ready])
    try:
        deadline = time.monotonic() + 30
        while not os.path.exists(ready) or not Path(ready).read_text():
            if time.monotonic() > deadline:
                raise SystemExit("the byte server did not start")
            time.sleep(0.05)
        port = int(Path(ready).read_text())
        with open(os.path.join(scratch, "source.bin"), "wb") as source:
            for _ in range(SIZE // (64 << 20)):
                source.write(os.urandom(64 << 20))
        runs: dict[str, list[dict[str, float]]] = {}
        load = os.getloadavg()[0]
        for round_ in range(args.rounds):
            shift = round_ % len(VARIANTS)
            for name in VARIANTS[shift:] + VARIANTS[:shift]:
                done = subprocess.run(
                    [sys.executable, __file__, "--variant", name, "--work-dir", scratch],
                    env={**os.environ, "PORT": str(port)}, capture_output=True, text=True,
                    timeout=600, check=True,
                )
                runs.setdefault(name, []).append(json.loads(done.stdout.strip().splitlines()[-1]))
        print(f"client CPU seconds per GiB, median of {args.rounds} rounds "
              f"(load average before: {load:.1f})")
        print(f"{'variant':24} {'user':>6} {'sys':>6} {'cpu':>6} {'wall':>6}")
        for name in VARIANTS:
            values = runs[name]
            user = statistics.median(v["user"] for v in values)
            system = statistics.median(v["sys"] for v in values)
            cpu = statistics.median(v["user"] + v["sys"] for v in values)
            wall = statistics.median(v["wall"] for v in values)
            print(f"{name:24} {user:6.2f} {system:6.2f} {cpu:6.2f} {wall:6.2f}")
    finally:
        server.kill()
        server.wait()
        for name in os.listdir(scratch):
            os.unlink(os.path.join(scratch, name))
        os.rmdir(scratch)
    return 0


if __name__ == "__main__":
    if "--variant" in sys.argv:
        name = sys.argv[sys.argv.index("--variant") + 1]
        scratch = sys.argv[sys.argv.index("--work-dir") + 1]
        print(json.dumps(variant(name, int(os.environ["PORT"]), scratch)))
        sys.exit(0)
    sys.exit(main())
