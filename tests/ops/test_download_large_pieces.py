"""A big SLO downloaded in parallel pieces, each verified.

The first piece is a ranged GET of the SLO (its headers describe the
object); every other piece that is one whole segment is a GET of that
segment, held to the manifest's ETag for it.

The download job is run directly (a top-level job function, as the Service
runs it) with a segment pool of its own, through the fault proxy.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from _large import connection, put_dlo, put_slo
from _seed import Seed

from swiftsvc import Service
from swiftsvc._pools import Cancelled, CancelScope, WorkerPool
from swiftsvc.auth import build_authenticator
from swiftsvc.events import Event, EventKind, EventSink
from swiftsvc.http import Connection, connection_factory
from swiftsvc.ops.download.job import PIECE_MIN, Item, Settings, download_object
from swiftsvc.ops.download.local import VerificationError
from swiftsvc.ops.download.part_files import TEMP_SUFFIX
from swiftsvc.options import Options
from swiftsvc.testing import FaultProxy

# one piece per segment: three pieces of PIECE_MIN bytes
SEGMENT = PIECE_MIN
COUNT = 3


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def slo_bytes() -> bytes:
    return b"".join(bytes([65 + i]) * SEGMENT for i in range(COUNT))


@contextmanager
def segment_pool(options: dict[str, Any], size: int = COUNT, backlog: int | None = None
                 ) -> Iterator[WorkerPool[Connection]]:
    record = Options.from_service(options, {})
    pool = WorkerPool("segment", size, connection_factory(record, build_authenticator(record)),
                      backlog=backlog)
    try:
        yield pool
    finally:
        pool.shutdown()


def download(
    options: dict[str, Any],
    pool: WorkerPool[Connection],
    container: str,
    obj: str,
    folder: Path,
    *,
    scope: CancelScope | None = None,
    events: EventSink | None = None,
) -> dict[str, Any]:
    record = Options.from_service(
        {**options, "out_directory": str(folder), "starting_backoff": 0.01}, {}
    )
    with connection(options) as conn:
        settings = Settings(
            options=record, account_wide=False, events=events or EventSink(),
            scope=scope or CancelScope(), consumer_connection=lambda: conn, segments=pool,
        )
        return dict(download_object(conn, Item(container, obj), settings))


def ranged_gets(fault_proxy: FaultProxy, obj: str) -> list[Any]:
    return [r for r in fault_proxy.requests
            if r.path.endswith("/" + obj) and r.header("Range") is not None]


def segment_gets(fault_proxy: FaultProxy, segments: list[str]) -> list[Any]:
    return [r for r in fault_proxy.requests
            if r.method == "GET" and any(r.path.endswith("/" + s) for s in segments)]


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


def dlo_bytes() -> bytes:
    return b"".join(bytes([97 + i]) * SEGMENT for i in range(COUNT))


@pytest.fixture
def big_dlo(seed: Seed, container_name: str) -> list[str]:
    seed.container(container_name)
    return put_dlo(seed, container_name, "dlo", f"{container_name}_segments", count=COUNT,
                   size=SEGMENT)


@pytest.fixture
def big_slo(seed: Seed, container_name: str) -> list[str]:
    seed.container(container_name)
    return put_slo(seed, container_name, "big", f"{container_name}_segments", count=COUNT,
                   size=SEGMENT)


def test_a_big_slo_is_fetched_in_pieces_held_to_its_manifest(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_slo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == slo_bytes()
    assert result["read_length"] == COUNT * SEGMENT
    # the first piece: a range of the SLO, held to the SLO's ETag
    [first] = ranged_gets(fault_proxy, "big")
    assert first.header("Range") == f"bytes=0-{SEGMENT - 1}"
    slo_etag = md5("".join(md5(bytes([65 + i]) * SEGMENT) for i in range(COUNT)).encode())
    assert first.header("If-Match") == f'"{slo_etag}"'
    # the others: their segments, each held to its ETag in the manifest
    direct = segment_gets(fault_proxy, big_slo)
    assert sorted(r.path.rsplit("/", 1)[1] for r in direct) == [
        name.rsplit("/", 1)[1] for name in big_slo[1:]
    ]
    for request in direct:
        index = big_slo.index(request.path.split(f"{container_name}_segments/", 1)[1])
        assert request.header("If-Match") == f'"{md5(bytes([65 + index]) * SEGMENT)}"'
        assert request.header("Range") is None
    # the manifest, then one GET per piece; attempts are the tries of the
    # piece that needed most (COMPAT.md §5), every answer in response_dict
    assert result["attempts"] == 1
    answers = result["response_dict"]["response_dicts"]
    assert [a["status"] for a in answers] == [200, 206] + [200] * (COUNT - 1)


def test_a_piece_with_wrong_bytes_fails_naming_its_segment_and_writes_nothing(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_slo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    # the first ranged GET is the first piece's: answer it with other bytes
    total = COUNT * SEGMENT
    fault_proxy.respond(
        206, method="GET", path=r"/big$", body=b"Z" * SEGMENT,
        headers={"Content-Range": f"bytes 0-{SEGMENT - 1}/{total}", "Etag": "x"},
    )
    (tmp_path / "big").write_bytes(b"old")
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "big", tmp_path)
    assert not result["success"]
    assert isinstance(result["error"], VerificationError)
    assert big_slo[0] in str(result["error"])
    assert (tmp_path / "big").read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_a_piece_cut_short_is_resumed_within_its_range(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_slo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    fault_proxy.truncate_body(1000, method="GET", path=r"/big$")
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == slo_bytes()
    pieces = ranged_gets(fault_proxy, "big")
    assert len(pieces) == 2
    # the first ranged GET (the first piece's) was cut: its rest is asked
    # for, held to the SLO's ETag
    resumes = [r for r in pieces if r.header("Range") == f"bytes=1000-{SEGMENT - 1}"]
    assert len(resumes) == 1, [r.header("Range") for r in pieces]
    assert resumes[0].header("If-Match") == pieces[0].header("If-Match")
    assert result["attempts"] == 2  # the cut piece: its GET and the resume
    assert len(result["response_dict"]["response_dicts"]) == 1 + COUNT + 1


def test_an_slo_replaced_after_its_manifest_was_read_fails_and_writes_nothing(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_slo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    # what Swift answers a ranged GET whose If-Match no longer holds
    fault_proxy.respond(412, method="GET", path=r"/big$")
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "big", tmp_path)
    assert not result["success"]
    assert getattr(result["error"], "http_status", None) == 412
    assert list(tmp_path.iterdir()) == []


def test_a_busy_segment_pool_leaves_every_piece_to_the_job_itself(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_slo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    release = threading.Event()
    with segment_pool(proxied_options, size=1, backlog=1) as pool:
        # the pool's only slot is taken until the download is over
        blocker = pool.submit(CancelScope(), lambda _conn: release.wait(30))
        try:
            result = download(proxied_options, pool, container_name, "big", tmp_path)
        finally:
            release.set()
        blocker.result()
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == slo_bytes()
    assert len(ranged_gets(fault_proxy, "big")) == 1
    assert len(segment_gets(fault_proxy, big_slo)) == COUNT - 1


def test_a_segment_piece_cut_short_is_resumed_from_its_segment(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_slo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    fault_proxy.truncate_body(1000, method="GET", path=f"/{big_slo[2]}$")
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == slo_bytes()
    tries = segment_gets(fault_proxy, [big_slo[2]])
    assert [r.header("Range") for r in tries] == [None, f"bytes=1000-{SEGMENT - 1}"]
    assert {r.header("If-Match") for r in tries} == {f'"{md5(b"C" * SEGMENT)}"'}
    assert result["attempts"] == 2


def test_a_segment_replaced_after_the_manifest_fails_naming_it_and_writes_nothing(
    seed: Seed, proxied_options: dict[str, str], big_slo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    # same size, other bytes: the manifest still promises the old ETag
    seed.put(f"{container_name}_segments", big_slo[1], b"x" * SEGMENT)
    (tmp_path / "big").write_bytes(b"old")
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "big", tmp_path)
    assert not result["success"]
    assert big_slo[1] in str(result["error"])
    assert "changed since the object's segments were read" in str(result["error"])
    assert (tmp_path / "big").read_bytes() == b"old"
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("status", [401, 403, 404])
def test_a_segment_not_readable_by_itself_comes_as_a_range_of_the_slo(
    status: int, fault_proxy: FaultProxy, proxied_options: dict[str, str],
    big_slo: list[str], container_name: str, tmp_path: Path,
) -> None:
    # e.g. a token allowed to read the manifest's container but not, by
    # that path, the segments' one
    fault_proxy.respond(status, method="GET", path=f"/{big_slo[1]}$", times=None)
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == slo_bytes()
    assert sorted(r.header("Range") for r in ranged_gets(fault_proxy, "big")) == [
        f"bytes=0-{SEGMENT - 1}", f"bytes={SEGMENT}-{2 * SEGMENT - 1}"
    ]


def test_a_big_dlo_is_fetched_segment_by_segment_held_to_its_listing(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_dlo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    names = big_dlo
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "dlo", tmp_path)
    assert result["success"], result
    assert (tmp_path / "dlo").read_bytes() == dlo_bytes()
    # the manifest object's GET, then each segment held to its listed ETag
    assert ranged_gets(fault_proxy, "dlo") == []
    direct = segment_gets(fault_proxy, names)
    assert len(direct) == COUNT
    for request in direct:
        index = names.index(request.path.split(f"{container_name}_segments/", 1)[1])
        assert request.header("If-Match") == f'"{md5(bytes([97 + index]) * SEGMENT)}"'
    assert result["read_length"] == COUNT * SEGMENT


def test_a_dlo_segment_not_readable_by_itself_comes_as_a_range_of_the_dlo(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_dlo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    fault_proxy.respond(403, method="GET", path=f"/{big_dlo[0]}$", times=None)
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "dlo", tmp_path)
    assert result["success"], result
    assert (tmp_path / "dlo").read_bytes() == dlo_bytes()
    assert [r.header("Range") for r in ranged_gets(fault_proxy, "dlo")] == [
        f"bytes=0-{SEGMENT - 1}"
    ]


def test_cancelling_during_the_pieces_stops_them_and_leaves_no_file(
    proxied_options: dict[str, str], big_slo: list[str], container_name: str, tmp_path: Path,
) -> None:
    scope = CancelScope()

    def cancel_on_first_bytes(event: Event) -> None:
        if event.kind is EventKind.BYTES:
            scope.cancel()

    events = EventSink([cancel_on_first_bytes])
    with segment_pool(proxied_options) as pool, pytest.raises(Cancelled):
        download(proxied_options, pool, container_name, "big", tmp_path,
                 scope=scope, events=events)
    assert list(tmp_path.iterdir()) == []


def test_progress_counts_every_byte_of_every_piece(
    proxied_options: dict[str, str], big_slo: list[str], container_name: str, tmp_path: Path,
) -> None:
    moved: list[int] = []
    lock = threading.Lock()

    def count(event: Event) -> None:
        if event.kind is EventKind.BYTES:
            with lock:
                moved.append(event.nbytes)

    events = EventSink([count])
    with segment_pool(proxied_options) as pool:
        result = download(proxied_options, pool, container_name, "big", tmp_path, events=events)
    assert result["success"], result
    assert sum(moved) == COUNT * SEGMENT


def test_the_service_downloads_a_big_slo_in_pieces_on_its_segment_pool(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], big_slo: list[str],
    container_name: str, tmp_path: Path,
) -> None:
    with Service({**proxied_options, "segment_threads": 2}) as svc:
        [result] = svc.download(container_name, ["big"], options={"out_directory": str(tmp_path)})
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == slo_bytes()
    assert len(ranged_gets(fault_proxy, "big")) == 1
    assert len(segment_gets(fault_proxy, big_slo)) == COUNT - 1
