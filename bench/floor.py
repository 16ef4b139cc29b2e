"""The raw floor: the same HTTP requests as the clients, with plain ``http.client``.

No retries, no MD5 checks, no result dicts, no options: N threads, each with
one keep-alive connection, pulling work from a shared iterator. What a client
library costs on top of this is its overhead; what this costs is the server's.

The bench harness also uses these functions to set up and clean up
containers (bulk extract-archive and bulk delete are the cheapest way to make
and remove thousands of objects), so the setup never depends on a client
under test.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import tarfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import BinaryIO, TypeVar
from urllib.parse import quote, urlsplit

T = TypeVar("T")

# large bodies go out and come in by this much per syscall; http.client's
# default of 8 KiB would make the floor slower than the clients it measures
_BLOCK = 1 << 20
_LISTING_LIMIT = 10000


@dataclass(frozen=True)
class Account:
    storage_url: str
    token: str

    @property
    def host(self) -> str:
        return urlsplit(self.storage_url).netloc

    @property
    def path(self) -> str:
        return urlsplit(self.storage_url).path

    def connect(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection(self.host, blocksize=_BLOCK, timeout=300)

    def target(self, container: str | None = None, obj: str | None = None) -> str:
        path = self.path
        if container is not None:
            path += "/" + quote(container)
        if obj is not None:
            path += "/" + quote(obj)
        return path


class FloorError(Exception):
    pass


def authenticate(auth_url: str, user: str, key: str) -> Account:
    """One v1.0 auth request."""
    parts = urlsplit(auth_url)
    conn = http.client.HTTPConnection(parts.netloc, timeout=60)
    try:
        conn.request("GET", parts.path, headers={"X-Auth-User": user, "X-Auth-Key": key})
        resp = conn.getresponse()
        resp.read()
        if resp.status // 100 != 2:
            raise FloorError(f"auth failed: {resp.status}")
        return Account(resp.getheader("X-Storage-Url", ""), resp.getheader("X-Auth-Token", ""))
    finally:
        conn.close()


def call(
    conn: http.client.HTTPConnection,
    account: Account,
    method: str,
    target: str,
    *,
    body: bytes | BinaryIO | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, bytes]:
    """One request on a kept-alive connection; the whole body is read."""
    all_headers = {"X-Auth-Token": account.token, **(headers or {})}
    conn.request(method, target, body=body, headers=all_headers)
    resp = conn.getresponse()
    return resp.status, resp.read()


def in_threads(
    account: Account,
    threads: int,
    items: Iterable[T],
    work: Callable[[http.client.HTTPConnection, T], bool],
) -> int:
    """Run ``work(conn, item)`` for every item on ``threads`` threads; count failures."""
    source: Iterator[T] = iter(items)
    lock = threading.Lock()
    failures = [0]

    def worker() -> None:
        conn = account.connect()
        try:
            while True:
                with lock:
                    item = next(source, None)
                if item is None:
                    return
                if not work(conn, item):
                    with lock:
                        failures[0] += 1
        finally:
            conn.close()

    workers = [threading.Thread(target=worker) for _ in range(threads)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join()
    return failures[0]


def put_container(account: Account, container: str) -> None:
    conn = account.connect()
    try:
        status, _ = call(conn, account, "PUT", account.target(container))
    finally:
        conn.close()
    if status // 100 != 2:
        raise FloorError(f"PUT {container}: {status}")


def list_names(
    conn: http.client.HTTPConnection, account: Account, container: str
) -> Iterator[list[str]]:
    """Pages of object names (JSON listing, 10000 per page)."""
    marker = ""
    while True:
        target = (
            f"{account.target(container)}?format=json&limit={_LISTING_LIMIT}&marker={quote(marker)}"
        )
        status, body = call(conn, account, "GET", target)
        if status == 204 or status // 100 != 2:
            return
        page = [item["name"] for item in json.loads(body)]
        if not page:
            return
        yield page
        marker = page[-1]


# ---- the floor of each workload ------------------------------------------


def upload_files(
    account: Account, container: str, files: Sequence[tuple[str, str]], threads: int
) -> int:
    """PUT the container, then PUT each (path, object name); return failures."""
    put_container(account, container)

    def put(conn: http.client.HTTPConnection, item: tuple[str, str]) -> bool:
        path, name = item
        with open(path, "rb") as body:
            status, _ = call(
                conn,
                account,
                "PUT",
                account.target(container, name),
                body=body,
                headers={"Content-Length": str(os.fstat(body.fileno()).st_size)},
            )
        return status == 201

    return in_threads(account, threads, files, put)


def download_container(account: Account, container: str, out_dir: str, threads: int) -> int:
    """List the container, GET every object into ``out_dir``; return failures."""

    def get(conn: http.client.HTTPConnection, name: str) -> bool:
        conn.request(
            "GET", account.target(container, name), headers={"X-Auth-Token": account.token}
        )
        resp = conn.getresponse()
        path = os.path.join(out_dir, name)
        parent = os.path.dirname(path)
        if parent:
            os.makedirs(parent, exist_ok=True)
        with open(path, "wb") as out:
            while chunk := resp.read(_BLOCK):
                out.write(chunk)
        return resp.status == 200

    conn = account.connect()
    try:
        names = (name for page in list_names(conn, account, container) for name in page)
        return in_threads(account, threads, names, get)
    finally:
        conn.close()


def bulk_delete(
    account: Account, container: str, names: Sequence[str], threads: int, per_request: int
) -> int:
    """Bulk-delete ``names`` in requests of at most ``per_request``, split over threads."""
    groups = max(threads, -(-len(names) // per_request))
    size = -(-len(names) // groups) if names else 0
    chunks = [names[i : i + size] for i in range(0, len(names), size)] if size else []

    def post(conn: http.client.HTTPConnection, chunk: Sequence[str]) -> bool:
        body = "\n".join(quote(f"/{container}/{name}") for name in chunk).encode()
        status, answer = call(
            conn,
            account,
            "POST",
            f"{account.path}?bulk-delete",
            body=body,
            headers={"Content-Type": "text/plain", "Accept": "application/json"},
        )
        return status == 200 and not json.loads(answer).get("Errors")

    return in_threads(account, threads, chunks, post)


def delete_container(
    account: Account, container: str, threads: int, per_request: int = 10000
) -> int:
    """List, bulk-delete every page split over ``threads``, DELETE the container."""
    conn = account.connect()
    failures = 0
    try:
        # deleting while listing would move the marker under our feet: collect first
        names = [name for page in list_names(conn, account, container) for name in page]
        failures += bulk_delete(account, container, names, threads, per_request)
        status, _ = call(conn, account, "DELETE", account.target(container))
        if status not in (204, 404):
            failures += 1
    finally:
        conn.close()
    return failures


class _Window(io.RawIOBase):
    """``length`` bytes of an open file from ``offset`` (one segment)."""

    def __init__(self, path: str, offset: int, length: int) -> None:
        self._file = open(path, "rb")  # noqa: SIM115 - closed in close()
        self._file.seek(offset)
        self._left = length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if size < 0 or size > self._left:
            size = self._left
        data = self._file.read(size)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()
        super().close()


def upload_slo(
    account: Account,
    container: str,
    obj: str,
    path: str,
    segment_size: int,
    threads: int,
) -> int:
    """PUT both containers, the segments in parallel, then the SLO manifest."""
    segment_container = f"{container}_segments"
    put_container(account, container)
    put_container(account, segment_container)
    size = os.path.getsize(path)
    mtime = os.path.getmtime(path)
    starts = list(range(0, size, segment_size))
    manifest: list[dict[str, object] | None] = [None] * len(starts)

    def put(conn: http.client.HTTPConnection, index: int) -> bool:
        offset = starts[index]
        length = min(segment_size, size - offset)
        name = f"{obj}/slo/{mtime:f}/{size}/{segment_size}/{index:08d}"
        body = _Window(path, offset, length)
        try:
            conn.request(
                "PUT",
                account.target(segment_container, name),
                body=body,
                headers={"X-Auth-Token": account.token, "Content-Length": str(length)},
            )
        finally:
            body.close()
        resp = conn.getresponse()
        resp.read()
        manifest[index] = {
            "path": f"/{segment_container}/{name}",
            "etag": resp.getheader("Etag"),
            "size_bytes": length,
        }
        return resp.status == 201

    failures = in_threads(account, threads, range(len(starts)), put)
    conn = account.connect()
    try:
        status, _ = call(
            conn,
            account,
            "PUT",
            account.target(container, obj) + "?multipart-manifest=put",
            body=json.dumps(manifest).encode(),
        )
    finally:
        conn.close()
    return failures + (status != 201)


def download_object(account: Account, container: str, obj: str, out_path: str) -> int:
    """GET one object (an SLO streams as one body) into a file; return failures."""
    conn = account.connect()
    try:
        conn.request("GET", account.target(container, obj), headers={"X-Auth-Token": account.token})
        resp = conn.getresponse()
        buffer = bytearray(_BLOCK)
        view = memoryview(buffer)
        with open(out_path, "wb") as out:
            while count := resp.readinto(buffer):
                out.write(view[:count])
        return int(resp.status != 200)
    finally:
        conn.close()


# ---- setup helpers (not measured) -----------------------------------------


def tar_of(members: Iterable[tuple[str, bytes]]) -> bytes:
    """An uncompressed tar holding (name, data) members."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        now = time.time()
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mtime = int(now)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def extract_archive(account: Account, container: str, archive: bytes) -> int:
    """``PUT /container?extract-archive=tar``; return how many objects were created."""
    conn = account.connect()
    try:
        status, answer = call(
            conn,
            account,
            "PUT",
            account.target(container) + "?extract-archive=tar",
            body=archive,
            headers={"Accept": "application/json"},
        )
    finally:
        conn.close()
    if status != 200:
        raise FloorError(f"extract-archive into {container}: {status}")
    result = json.loads(answer)
    if result.get("Errors") or result.get("Response Status", "").split()[0] not in ("200", "201"):
        raise FloorError(f"extract-archive into {container}: {result}")
    return int(result["Number Files Created"])


def fill_container(
    account: Account,
    container: str,
    members: Callable[[int, int], Iterable[tuple[str, bytes]]],
    total: int,
    per_archive: int,
    threads: int = 2,
) -> None:
    """Create ``total`` objects with extract-archive PUTs of ``per_archive`` each.

    ``members(start, stop)`` yields the (name, data) of objects start..stop-1.
    """
    put_container(account, container)
    ranges = [(start, min(start + per_archive, total)) for start in range(0, total, per_archive)]
    created = [0]
    lock = threading.Lock()

    def one(_conn: http.client.HTTPConnection, bounds: tuple[int, int]) -> bool:
        count = extract_archive(account, container, tar_of(members(*bounds)))
        with lock:
            created[0] += count
        return count == bounds[1] - bounds[0]

    failures = in_threads(account, threads, ranges, one)
    if failures:
        raise FloorError(f"filling {container}: {failures} archives incomplete ({created[0]})")


def remove_container(account: Account, container: str, threads: int = 4) -> None:
    """Delete a container and everything in it, if it exists (cleanup)."""
    delete_container(account, container, threads)
