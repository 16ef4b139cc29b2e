"""Skipping uploads (skip_identical, changed) and the requests an upload costs:
one listing per directory instead of python-swiftclient's HEAD per object."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _seed import Seed
from _uploads import Result, all_succeeded, of, one, upload, write

from swiftsvc import Service
from swiftsvc.cli.progress import ProgressState
from swiftsvc.events import Event, EventKind
from swiftsvc.testing import FaultProxy

SEG = 64 * 1024


@pytest.fixture
def svc(fault_proxy: FaultProxy) -> Iterator[Service]:
    options = {"auth": fault_proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing"}
    with Service(options) as service:
        yield service


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def tree(root: Path, count: int = 5) -> list[Path]:
    return [write(root / "tree" / f"f{i}", f"data {i}".encode()) for i in range(count)]


def statuses(results: list[Result]) -> dict[object, object]:
    return {r["object"]: r["status"] for r in of(results, "upload_object")}


def test_a_directory_upload_lists_once_and_heads_nothing(
    svc: Service, fault_proxy: FaultProxy, here: Path, container_name: str
) -> None:
    tree(here)
    fault_proxy.clear_requests()
    assert all_succeeded(upload(svc, container_name, ["tree"]))
    assert fault_proxy.count(method="HEAD") == 0
    assert fault_proxy.count(method="GET", path=rf"/{container_name}\?") == 1
    assert fault_proxy.count(method="PUT", path=rf"/{container_name}/tree/") == 5


def test_skip_identical_skips_equal_files_from_the_listing_alone(
    svc: Service, fault_proxy: FaultProxy, here: Path, container_name: str
) -> None:
    files = tree(here)
    assert all_succeeded(upload(svc, container_name, ["tree"]))
    files[0].write_bytes(b"changed")
    fault_proxy.clear_requests()
    results = upload(svc, container_name, ["tree"], skip_identical=True)
    assert all_succeeded(results)
    assert statuses(results) == {"tree/f0": "uploaded", **{
        f"tree/f{i}": "skipped-identical" for i in range(1, 5)}}
    assert fault_proxy.count(method="HEAD") == 0
    assert fault_proxy.count(method="PUT", path=rf"/{container_name}/tree/") == 1


def test_skipped_files_leave_the_progress_total(
    svc: Service, here: Path, container_name: str
) -> None:
    files = tree(here)
    assert all_succeeded(upload(svc, container_name, ["tree"]))
    files[0].write_bytes(b"changed, and longer")
    state = ProgressState()
    results = list(svc.upload(container_name, ["tree"], options={"skip_identical": True},
                              progress=state))
    assert all_succeeded(results)
    snapshot = state.snapshot()
    # only the changed file's bytes were expected, and all of them moved: 100%
    assert snapshot.bytes_total == snapshot.bytes_done == len(b"changed, and longer")
    assert snapshot.done == 5 and snapshot.not_started == 0


def test_skip_identical_of_one_file_heads_it(
    svc: Service, fault_proxy: FaultProxy, here: Path, container_name: str
) -> None:
    write(here / "a", b"same")
    assert all_succeeded(upload(svc, container_name, ["a"]))
    fault_proxy.clear_requests()
    results = upload(svc, container_name, ["a"], skip_identical=True)
    assert one(results, "upload_object")["status"] == "skipped-identical"
    assert fault_proxy.count(method="HEAD", path=rf"/{container_name}/a$") == 1
    assert fault_proxy.count(method="PUT", path=rf"/{container_name}/a$") == 0


def test_changed_heads_only_objects_whose_listed_size_matches(
    svc: Service, fault_proxy: FaultProxy, here: Path, container_name: str
) -> None:
    files = tree(here)
    assert all_succeeded(upload(svc, container_name, ["tree"]))
    files[1].write_bytes(b"a different size")  # size differs: changed without a HEAD
    os.utime(files[2], (1_000_000_000, 1_000_000_000))  # same size, other mtime
    fault_proxy.clear_requests()
    results = upload(svc, container_name, ["tree"], changed=True)
    assert all_succeeded(results)
    assert statuses(results) == {
        "tree/f0": "skipped-changed", "tree/f1": "uploaded", "tree/f2": "uploaded",
        "tree/f3": "skipped-changed", "tree/f4": "skipped-changed"}
    assert fault_proxy.count(method="HEAD") == 4
    assert fault_proxy.count(method="HEAD", path="/tree/f1$") == 0


def test_changed_decides_on_the_file_as_its_job_finds_it_not_as_the_walk_saw_it(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    path = write(here / "doc.txt", b"version 1")
    assert all_succeeded(upload(svc, container_name, ["doc.txt"]))

    def rewrite_once_planned(event: Event) -> None:
        # QUEUED comes from the planner once it has stat'ed the file, before the job runs
        if event.kind is EventKind.QUEUED and event.obj == "doc.txt":
            before = os.stat(path)
            path.write_bytes(b"version 2")  # same size
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns + 5_000_000_000))

    results: list[Result] = list(svc.upload(
        container_name, ["doc.txt"], options={"changed": True}, progress=rewrite_once_planned))
    assert statuses(results) == {"doc.txt": "uploaded"}  # was: skipped on the walk's stat
    assert seed.get(container_name, "doc.txt") == b"version 2"


def test_skip_identical_compares_a_dlo_segment_by_segment(
    svc: Service, fault_proxy: FaultProxy, here: Path, container_name: str
) -> None:
    big = write(here / "tree" / "big", os.urandom(2 * SEG + 9))
    assert all_succeeded(upload(svc, container_name, ["tree"], segment_size=SEG, use_slo=False))
    results = upload(svc, container_name, ["tree"], segment_size=SEG, skip_identical=True)
    assert one(results, "upload_object")["status"] == "skipped-identical"
    with open(big, "r+b") as fp:
        fp.write(b"Z")
    results = upload(svc, container_name, ["tree"], segment_size=SEG, skip_identical=True,
                     use_slo=False)
    assert one(results, "upload_object")["status"] == "uploaded"


def test_re_uploading_an_unchanged_large_file_reuses_its_segments(
    svc: Service, fault_proxy: FaultProxy, here: Path, container_name: str
) -> None:
    write(here / "big", os.urandom(3 * SEG))
    assert all_succeeded(upload(svc, container_name, ["big"], segment_size=SEG))
    fault_proxy.clear_requests()
    results = upload(svc, container_name, ["big"], segment_size=SEG)
    assert all_succeeded(results)
    assert [r["reused"] for r in of(results, "upload_segment")] == [True] * 3
    assert fault_proxy.count(method="PUT", path=rf"/{container_name}_segments/") == 0
    assert not of(results, "delete_segment")  # the manifest still uses them all


def test_changed_skips_an_unchanged_dir_marker(
    svc: Service, fault_proxy: FaultProxy, here: Path, container_name: str
) -> None:
    (here / "empty").mkdir()
    assert all_succeeded(upload(svc, container_name, ["empty"]))
    fault_proxy.clear_requests()
    results = upload(svc, container_name, ["empty"], changed=True)
    assert one(results, "create_dir_marker")["status"] == "skipped-changed"
    assert fault_proxy.count(method="PUT", path=rf"/{container_name}/empty$") == 0
