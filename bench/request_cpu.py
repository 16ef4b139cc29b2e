"""Client CPU per small request through one :class:`swiftsvc.http.Connection`.

Small objects are bound by the servers on a small machine, so every
millisecond of client CPU taken from them is throughput. This measures only
the client: CPU time of the one thread that sends (``RUSAGE_THREAD``; the
servers are other processes), per request, for N small PUTs, N streamed GETs
and N HEADs against a local real Swift. ``--floors`` adds the same GETs
through ``requests.Session``, a urllib3 pool and ``http.client`` for scale.

    .venv/bin/python bench/request_cpu.py            # N=2000, 3 rounds, best round kept
    .venv/bin/python bench/request_cpu.py -n 500 --rounds 1 --floors

Not a test: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import http.client
import resource
import time
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import requests
import urllib3

from swiftsvc.auth import build_authenticator
from swiftsvc.http import Connection, connection_factory
from swiftsvc.options import Options
from swiftsvc.testing import LocalSwift

CONTAINER = "request-cpu"
SIZE = 4096


def thread_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_THREAD)
    return usage.ru_utime + usage.ru_stime


def measure(count: int, one: Callable[[int], object]) -> tuple[float, float]:
    """(client CPU ms, wall ms) per call of ``one(i)`` for i in range(count)."""
    cpu, wall = thread_cpu(), time.perf_counter()
    for index in range(count):
        one(index)
    return ((thread_cpu() - cpu) * 1000 / count, (time.perf_counter() - wall) * 1000 / count)


def swiftsvc_runs(conn: Connection, count: int) -> dict[str, Callable[[int], object]]:
    data = b"x" * SIZE

    def put(index: int) -> None:
        conn.put_object(CONTAINER, f"o{index}", data)

    def get(index: int) -> None:
        with conn.get_object(CONTAINER, f"o{index}") as answer:  # type: ignore[attr-defined]
            answer.read()

    def head(index: int) -> None:
        conn.head_object(CONTAINER, f"o{index}")

    return {"PUT": put, "GET": get, "HEAD": head}


def floor_runs(storage_url: str, token: str) -> dict[str, Callable[[int], object]]:
    """The same GET through lower layers, each with one keep-alive connection."""
    base = storage_url.rstrip("/") + "/" + CONTAINER
    parts = urlsplit(base)
    headers = {"X-Auth-Token": token, "Accept-Encoding": "identity"}
    session = requests.Session()
    session.trust_env = False
    pool = urllib3.HTTPConnectionPool(parts.hostname or "", parts.port, maxsize=1,
                                      retries=False)
    plain = http.client.HTTPConnection(parts.netloc)

    def by_session(index: int) -> None:
        _ = session.get(f"{base}/o{index}", headers=headers).content

    def by_pool(index: int) -> None:
        answer = pool.urlopen("GET", f"{parts.path}/o{index}", headers=headers,
                              preload_content=False, redirect=False)
        answer.read()
        answer.release_conn()

    def by_http_client(index: int) -> None:
        if index == 0:
            plain.close()  # the server may have dropped it while idle; reconnects
        plain.request("GET", f"{parts.path}/o{index}", headers=headers)
        plain.getresponse().read()

    return {"GET requests.Session": by_session, "GET urllib3 pool": by_pool,
            "GET http.client": by_http_client}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=2000, help="requests per kind (2000)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the best is kept (3)")
    parser.add_argument("--floors", action="store_true", help="also GETs through lower layers")
    args = parser.parse_args(argv)
    with LocalSwift(progress=lambda message: None) as swift:
        options = Options.from_service(swift.auth_options("tester"), {})
        authenticator = build_authenticator(options)
        conn = connection_factory(options, authenticator)()
        conn.put_container(CONTAINER)
        runs = swiftsvc_runs(conn, args.n)
        if args.floors:
            credentials = authenticator.get()
            runs.update(floor_runs(credentials.storage_url, credentials.token))
        best: dict[str, tuple[float, float]] = {}
        runs["PUT"](0)  # warm: connection open, token fetched, imports done
        for _ in range(args.rounds):
            for kind, one in runs.items():
                cpu, wall = measure(args.n, one)
                if kind not in best or cpu < best[kind][0]:
                    best[kind] = (cpu, wall)
        print(f"N={args.n}, {SIZE}-byte objects, best of {args.rounds} rounds")
        for kind, (cpu, wall) in best.items():
            print(f"{kind:24s} client CPU {cpu:6.3f} ms/request   wall {wall:6.3f} ms")
        conn.close()
        authenticator.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
