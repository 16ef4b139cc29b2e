"""Bulk jobs on a LocalCluster of worker processes against the real local Swift.

Every test checks the cluster's side (each object there exactly once, with
its bytes) and that the job's partition summaries add up to what was asked.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from swiftsvc import Service, SwiftError, dask as swift_dask
from swiftsvc.testing import FaultProxy, LocalSwift

SEGMENT = 1 << 20


def _names(service: Service, container: str) -> list[str]:
    return [item["name"] for page in service.list(container) for item in page["listing"]]


def _remove(service: Service, *containers: str) -> None:
    for container in containers:
        try:
            for _ in service.delete(container):
                pass
        except SwiftError:  # never created, or already gone
            pass


@pytest.fixture
def service(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as svc:
        yield svc


@pytest.fixture
def containers(service: Service, container_name: str) -> Iterator[tuple[str, str]]:
    source, target = container_name, f"{container_name}-copy"
    yield source, target
    _remove(service, source, target, f"{source}_segments")


@pytest.fixture
def tree(tmp_path: Path) -> dict[str, bytes]:
    """95 small files in nested folders and 2 of a few segments: name -> bytes."""
    root = tmp_path / "tree"
    files: dict[str, bytes] = {}
    for index in range(95):
        name = f"d{index % 4}/sub{index % 3}/f{index:03d}.txt"
        files[name] = os.urandom(50 + index)
    for index in range(2):
        files[f"large/big{index}.bin"] = os.urandom(2 * SEGMENT + 1000 * index + 1)
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


def _summaries(results: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return [r for r in results if r["action"] == "dask_partition"]


def _upload(client: Any, options: dict[str, str], container: str, root: Path,
            **kwargs: Any) -> list[Mapping[str, Any]]:  # fmt: skip
    job = swift_dask.upload(client, container, str(root), options=options,
                            call_options={"segment_size": SEGMENT}, files_per_partition=9,
                            **kwargs)  # fmt: skip
    results = list(job)
    return results


def test_upload_sends_every_file_exactly_once_on_one_service_per_worker_process(
    dask_client: Any, swift_options: dict[str, str], service: Service,
    containers: tuple[str, str], tree: dict[str, bytes], tmp_path: Path,
) -> None:  # fmt: skip
    container = containers[0]
    job = swift_dask.upload(dask_client, container, str(tmp_path / "tree"), options=swift_options,
                            call_options={"segment_size": SEGMENT}, files_per_partition=9,
                            every_result=True)  # fmt: skip
    results = list(job)

    summaries = _summaries(results)
    uploaded = Counter(r["object"] for r in results if r["action"] == "upload_object")
    assert [r for r in results if not r["success"]] == []
    # 12 folders d*/sub* of 7-8 files and large/: 13 folder partitions, each reported once
    assert sorted(s["partition"] for s in summaries) == list(range(13))
    assert all(s["description"].startswith("folder ") for s in summaries)
    assert uploaded == Counter(list(tree))  # each name exactly once
    assert sum(s["done"] for s in summaries) == job.totals.done == len(tree)
    assert job.totals.expected == len(tree) and job.totals.partitions_succeeded == 13
    # the partitions ran on several worker processes...
    assert len({s["worker"] for s in summaries}) > 1
    # ...each holding one Service for these options, however many tasks it ran
    assert set(dask_client.run(swift_dask.services_in_process).values()) <= {1}

    assert sorted(_names(service, container)) == sorted(tree)
    for name in ("d1/sub1/f013.txt", "large/big1.bin"):
        [download] = service.download(container, [name], {"out_file": "-"})
        assert download["success"], download.get("error")
        assert b"".join(download["contents"]) == tree[name]
    [big] = service.stat(container, ["large/big0.bin"])
    assert big["headers"]["x-static-large-object"] == "True"


def test_download_copy_and_delete_partition_the_listing_without_loss_or_repeat(
    dask_client: Any, swift_options: dict[str, str], service: Service,
    containers: tuple[str, str], tree: dict[str, bytes], tmp_path: Path,
) -> None:  # fmt: skip
    source, target = containers
    assert [r for r in _upload(dask_client, swift_options, source, tmp_path / "tree")
            if not r["success"]] == []  # fmt: skip

    out = tmp_path / "out"
    download = swift_dask.download(dask_client, source, str(out), options=swift_options,
                                   objects_per_partition=10)  # fmt: skip
    results = list(download)
    assert [r for r in results if not r["success"]] == []
    assert len(_summaries(results)) == 10  # 97 names, 10 a partition
    assert download.totals.done == download.totals.expected == len(tree)
    landed = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert landed == tree

    copy = swift_dask.copy(dask_client, source, target, options=swift_options,
                           objects_per_partition=7, every_result=True)  # fmt: skip
    results = list(copy)
    assert [r for r in results if not r["success"]] == []
    copied = Counter(r["object"] for r in results if r["action"] == "copy_object")
    assert copied == Counter(list(tree))
    assert sorted(_names(service, target)) == sorted(tree)

    delete = swift_dask.delete(dask_client, source, options=swift_options,
                               objects_per_partition=12)  # fmt: skip
    results = list(delete)
    assert [r for r in results if not r["success"]] == []
    assert delete.totals.done == len(tree)
    # the container goes last, once every partition has succeeded
    assert results[-1]["action"] == "delete_container" and results[-1]["success"]
    with pytest.raises(SwiftError):
        service.stat(source)
    # the large objects' segments went with them
    assert _names(service, f"{source}_segments") == []


def test_delete_under_a_prefix_keeps_the_rest_and_the_container(
    dask_client: Any, swift_options: dict[str, str], service: Service,
    containers: tuple[str, str], tree: dict[str, bytes], tmp_path: Path,
) -> None:  # fmt: skip
    source = containers[0]
    _upload(dask_client, swift_options, source, tmp_path / "tree")
    job = swift_dask.delete(dask_client, source, options=swift_options, prefix="d1/",
                            objects_per_partition=5)  # fmt: skip
    results = list(job)
    assert [r for r in results if not r["success"]] == []
    gone = [name for name in tree if name.startswith("d1/")]
    assert job.totals.done == len(gone) == 24
    assert sorted(_names(service, source)) == sorted(set(tree) - set(gone))


def test_a_partition_that_fails_as_a_whole_is_retried_then_reported(
    dask_client: Any, local_swift: LocalSwift, service: Service,
    containers: tuple[str, str], tree: dict[str, bytes], tmp_path: Path,
) -> None:  # fmt: skip
    source = containers[0]
    _upload(dask_client, local_swift.auth_options("tester"), source, tmp_path / "tree")
    with FaultProxy(local_swift.proxy_url) as proxy:
        # workers list their range with an end_marker (the client's listing has none);
        # no request retries, so a 500 fails the whole partition
        options = {**local_swift.auth_options("tester"), "auth": f"{proxy.url}/auth/v1.0",
                   "retries": 0}  # fmt: skip
        proxy.respond(500, method="GET", path=r"end_marker=", times=2)
        job = swift_dask.download(dask_client, source, str(tmp_path / "once"), options=options,
                                  objects_per_partition=20, retries=2)  # fmt: skip
        results = list(job)
        assert [r for r in results if not r["success"]] == []
        # the two injected faults at least (a loaded machine may add real ones)
        assert job.totals.retried >= 2 and job.totals.done == len(tree)

        # a fault that never ends: two tries each, then the partition is reported
        proxy.respond(500, method="GET", path=r"end_marker=", times=None)
        job = swift_dask.download(dask_client, source, str(tmp_path / "never"),
                                  options=options, objects_per_partition=20, retries=1)
        results = list(job)
    failed = [r for r in _summaries(results) if not r["success"]]
    # 97 names in 5 ranges: the last has no end_marker and succeeds
    assert sorted(r["partition"] for r in failed) == [0, 1, 2, 3]
    assert all(r["tries"] == 2 and "500" in str(r["error"]) for r in failed)
    assert job.totals.partitions_failed == 4 and job.totals.partitions_succeeded == 1
    assert job.totals.done == 17


def test_cancel_stops_submitting_and_accounts_for_every_partition(
    dask_client: Any, swift_options: dict[str, str], service: Service,
    containers: tuple[str, str], tmp_path: Path,
) -> None:  # fmt: skip
    source = containers[0]
    root = tmp_path / "many"
    root.mkdir()
    for index in range(240):
        (root / f"f{index:04d}").write_bytes(b"x" * 10)
    job = swift_dask.upload(dask_client, source, str(root), options=swift_options,
                            files_per_partition=4, max_in_flight=2)  # fmt: skip
    seen = []
    for result in job:
        seen.append(result)
        if result["action"] == "dask_partition":
            job.cancel()
    totals = job.totals
    assert totals.cancelled
    summaries = _summaries(seen)
    # every submitted partition is reported exactly once; the rest never started
    assert len(summaries) == totals.partitions
    assert totals.partitions <= 4 and totals.not_started == 60 - totals.partitions
    stored = _names(service, source)
    assert len(stored) >= sum(s["done"] for s in summaries)
    assert len(stored) <= 4 * totals.partitions


def test_partitions_of_a_listing_cover_every_name_once_even_with_names_added_between() -> None:
    names = [f"n{i:03d}" for i in range(10)]
    ranges = list(swift_dask.listing_ranges(names, prefix=None, objects_per_partition=3))
    assert [(r.marker, r.first, r.end_marker, r.expected) for r in ranges] == [
        ("", "", "n003", 3), ("n002", "n003", "n006", 3), ("n005", "n006", "n009", 3),
        ("n008", "n009", "", 1),
    ]
    # names created later land in exactly one range, wherever they sort
    for late in [*names, "a", "n0025", "n0055", "n0085", "z"]:
        assert sum(r.keeps(late) for r in ranges) == 1, late


def test_file_partitions_bound_count_and_bytes(tmp_path: Path) -> None:
    files = [(f"/p/{i}", f"{i}", size) for i, size in enumerate([5, 5, 5, 20, 1, 1])]
    parts = list(swift_dask.file_partitions(iter(files), files_per_partition=2,
                                            bytes_per_partition=12))  # fmt: skip
    assert [[name for _, name in p.files] for p in parts] == [["0", "1"], ["2"], ["3"], ["4", "5"]]


def test_upload_partitions_are_small_folders_whole_and_file_lists_of_large_ones(
    tmp_path: Path,
) -> None:
    root = tmp_path / "root"
    for name in ["a.txt", "b.txt", "c.txt", "small/x", "small/deep/y", "flat/1", "flat/2",
                 "flat/3", "flat/sub/z"]:  # fmt: skip
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"12345")
    parts = list(swift_dask.tree_partitions(str(root), "p/", files_per_partition=2,
                                            bytes_per_partition=1 << 20))  # fmt: skip
    shown = [(type(p).__name__, p.describe()) for p in parts]
    assert shown == [
        ("FileListPartition", "files 'p/a.txt' ... (2)"),
        ("FileListPartition", "files 'p/c.txt' ... (1)"),
        ("FileListPartition", "files 'p/flat/1' ... (2)"),
        ("FileListPartition", "files 'p/flat/3' ... (1)"),
        ("SubtreePartition", "folder 'p/flat/sub' (1 files)"),
        ("SubtreePartition", "folder 'p/small' (2 files)"),
    ]
    assert [p.index for p in parts] == list(range(6))
    assert sum(p.expected for p in parts) == 9
