"""Service.download against the real local Swift: placement, options, safety."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from _results import skipped_identical
from _seed import Seed

from swiftsvc import Service, SwiftError
from swiftsvc.events import Event, EventKind
from swiftsvc.ops.download.local import UnsafePath
from swiftsvc.ops.download.part_files import TEMP_SUFFIX
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy, LocalSwift

RESULT_KEYS = {
    "action", "success", "container", "object", "path", "pseudodir", "start_time",
    "finish_time", "headers_receipt", "auth_end_time", "read_length", "attempts",
    "response_dict", "status",
}


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def files_under(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def download(svc: Service, container: str | None, objects: list[str] | None = None,
             **options: Any) -> list[Result]:
    return list(svc.download(container, objects, options=options))


@pytest.fixture
def svc(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as service:
        yield service


@pytest.fixture
def proxied(fault_proxy: FaultProxy) -> Iterator[Service]:
    options = {"auth": fault_proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing"}
    with Service(options) as service:
        yield service


def test_a_plain_object_is_one_get_with_mtime_restored(
    proxied: Service, fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    data = os.urandom(300_000)
    seed.put(container_name, "dir/file.bin", data, {"X-Object-Meta-Mtime": "1600000000.25"})
    fault_proxy.clear_requests()
    [result] = download(proxied, container_name, ["dir/file.bin"], out_directory=str(tmp_path))
    assert result["success"], result
    assert set(result) >= RESULT_KEYS
    assert result["action"] == "download_object"
    assert result["status"] == "downloaded"
    assert result["read_length"] == len(data)
    assert result["attempts"] == 1
    assert result["response_dict"]["status"] == 200
    assert result["path"] == str(tmp_path / "dir/file.bin")
    assert result["pseudodir"] is False
    assert result["start_time"] <= result["headers_receipt"] <= result["finish_time"]
    target = tmp_path / "dir/file.bin"
    assert target.read_bytes() == data
    assert target.stat().st_mtime == 1600000000.25
    # fast path: no HEAD, one GET (the manifest query is ignored by plain objects)
    object_requests = [r for r in fault_proxy.requests if container_name in r.path]
    assert [r.method for r in object_requests] == ["GET"]


def test_ignore_mtime_leaves_the_local_mtime(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    seed.put(container_name, "f", b"x", {"X-Object-Meta-Mtime": "1600000000"})
    [result] = download(svc, container_name, ["f"], out_directory=str(tmp_path),
                        ignore_mtime=True)
    assert result["success"], result
    assert (tmp_path / "f").stat().st_mtime > 1700000000


def test_a_container_is_downloaded_page_after_page(
    small_swift: LocalSwift, small_seed: Seed, container_name: str, tmp_path: Path
) -> None:
    # the small cluster lists 50 names a page: 120 objects take three pages
    small_seed.container(container_name)
    names = [f"d{i % 3}/obj-{i:03d}" for i in range(120)]
    small_seed.bulk(container_name, names, b"payload")
    with Service(small_swift.auth_options("tester")) as svc:
        results = download(svc, container_name, out_directory=str(tmp_path))
    assert all(r["success"] for r in results), [r for r in results if not r["success"]][:1]
    assert sorted(r["object"] for r in results) == sorted(names)
    assert files_under(tmp_path) == dict.fromkeys(names, b"payload")


def test_prefix_and_remove_prefix(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    for name in ("photos/2024/a.jpg", "photos/b.jpg", "docs/c.txt"):
        seed.put(container_name, name, name.encode())
    results = download(svc, container_name, out_directory=str(tmp_path / "kept"),
                       prefix="photos/")
    assert {r["object"] for r in results} == {"photos/2024/a.jpg", "photos/b.jpg"}
    assert set(files_under(tmp_path / "kept")) == {"photos/2024/a.jpg", "photos/b.jpg"}
    download(svc, container_name, out_directory=str(tmp_path / "cut"), prefix="photos/",
             remove_prefix=True)
    assert files_under(tmp_path / "cut") == {"2024/a.jpg": b"photos/2024/a.jpg",
                                             "b.jpg": b"photos/b.jpg"}


def test_pseudo_folders_and_directory_markers_become_folders(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    seed.put(container_name, "empty-dir/", b"")
    seed.put(container_name, "marker", b"", {"Content-Type": "application/directory"})
    seed.put(container_name, "old-marker/", b"", {"Content-Type": "text/directory"})
    results = {r["object"]: r for r in download(svc, container_name,
                                                 out_directory=str(tmp_path))}
    assert all(r["success"] for r in results.values()), results
    assert (tmp_path / "empty-dir").is_dir()
    assert (tmp_path / "marker").is_dir()
    assert (tmp_path / "old-marker").is_dir()
    assert results["empty-dir/"]["pseudodir"] is True
    assert results["marker"]["pseudodir"] is False
    assert files_under(tmp_path) == {}


def test_out_file_takes_the_bytes(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    seed.put(container_name, "a/b", b"content")
    out = tmp_path / "renamed.txt"
    [result] = download(svc, container_name, ["a/b"], out_file=str(out))
    assert result["success"], result
    # the object's own path, as python-swiftclient's (COMPAT.md §5)
    assert result["path"] == "a/b"
    assert files_under(tmp_path) == {"renamed.txt": b"content"}


def test_out_file_dash_yields_contents_and_writes_nothing(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(tmp_path)
    seed.container(container_name)
    data = os.urandom(3 << 20)
    seed.put(container_name, "big", data)
    [result] = download(svc, container_name, ["big"], out_file="-")
    assert result["success"], result
    assert result["read_length"] == 0  # nothing consumed yet
    assert b"".join(result["contents"]) == data
    # the result follows what was read (COMPAT.md §5)
    assert result["read_length"] == len(data)
    assert result["finish_time"] >= result["headers_receipt"] >= result["start_time"]
    assert result["path"] == "big"
    assert list(tmp_path.iterdir()) == []


def test_out_file_dash_contents_fail_on_a_bad_checksum(
    proxied: Service, fault_proxy: FaultProxy, seed: Seed, container_name: str
) -> None:
    seed.container(container_name)
    seed.put(container_name, "o", b"real bytes")
    fault_proxy.rewrite_response_header("ETag", md5(b"other"), method="GET", path="/o")
    [result] = download(proxied, container_name, ["o"], out_file="-")
    with pytest.raises(SwiftError, match="md5"):
        b"".join(result["contents"])


def test_no_download_reads_and_checks_but_writes_nothing(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    seed.put(container_name, "x/y", b"12345")
    seed.put(container_name, "dir/", b"")
    results = download(svc, container_name, out_directory=str(tmp_path), no_download=True)
    assert all(r["success"] for r in results)
    assert {r["object"]: r["read_length"] for r in results} == {"x/y": 5, "dir/": 0}
    # not "downloaded": nothing was written (COMPAT.md §5)
    assert {r.get("status") for r in results} == {"not-written"}
    assert list(tmp_path.iterdir()) == []


def test_a_failure_has_every_time_as_a_float(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    [result] = download(svc, container_name, ["missing"], out_directory=str(tmp_path))
    assert not result["success"] and result["error"].http_status == 404
    times = [result[key] for key in ("start_time", "auth_end_time", "headers_receipt",
                                     "finish_time")]
    assert all(isinstance(value, float) for value in times)
    assert times == sorted(times)
    assert result["path"] == str(tmp_path / "missing") and result["attempts"] == 1


def test_skip_identical_sends_the_local_md5_and_leaves_the_file(
    proxied: Service, fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    data = os.urandom(1000)
    seed.put(container_name, "same", data)
    seed.put(container_name, "changed", b"new")
    (tmp_path / "same").write_bytes(data)
    (tmp_path / "changed").write_bytes(b"old")
    os.utime(tmp_path / "same", (1000, 1000))
    fault_proxy.clear_requests()
    results = {r["object"]: r for r in download(
        proxied, container_name, ["same", "changed"], out_directory=str(tmp_path),
        skip_identical=True,
    )}
    # python-swiftclient's contract (COMPAT.md §4): a failed result with a 304
    assert skipped_identical(results["same"]), results["same"]
    assert results["changed"]["success"] and results["changed"]["status"] == "downloaded"
    assert (tmp_path / "same").stat().st_mtime == 1000
    assert (tmp_path / "changed").read_bytes() == b"new"
    [same_get] = [r for r in fault_proxy.requests if r.path.endswith("/same")]
    assert same_get.header("If-None-Match") == md5(data)
    assert same_get.status == 304


def test_version_id_fetches_an_older_version(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name, {"X-Versions-Enabled": "true"})
    seed.put(container_name, "v", b"first")
    first = seed.head(container_name, "v").headers["x-object-version-id"]
    seed.put(container_name, "v", b"second")
    [result] = download(svc, container_name, ["v"], out_directory=str(tmp_path),
                        version_id=first)
    assert result["success"], result
    assert (tmp_path / "v").read_bytes() == b"first"


def test_a_range_header_downloads_that_range_checked_by_length(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    seed.put(container_name, "r", b"0123456789")
    [result] = download(svc, container_name, ["r"], out_directory=str(tmp_path),
                        header=["Range: bytes=2-5"])
    assert result["success"], result
    assert result["read_length"] == 4
    assert (tmp_path / "r").read_bytes() == b"2345"


@pytest.mark.parametrize("name", ["../evil", "/abs-evil", "a/../../evil", "a/b/../../../evil"])
def test_names_escaping_the_folder_fail_and_write_nothing_outside(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path, name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed.container(container_name)
    # percent-encoded dots: HTTP clients would otherwise resolve the ".." themselves
    answer = seed.session.put(
        f"{seed.storage_url}/{container_name}/{quote(name).replace('.', '%2E')}",
        data=b"payload", headers={"X-Auth-Token": seed.token}, timeout=30,
    )
    assert answer.status_code == 201, answer.text
    out = tmp_path / "a" / "b" / "out"
    out.mkdir(parents=True)
    [result] = download(svc, container_name, out_directory=str(out))
    assert not result["success"]
    assert isinstance(result["error"], UnsafePath)
    assert name in str(result["error"])
    assert result["object"] == name
    assert files_under(tmp_path) == {}
    # the same without out_directory: the working folder is the limit
    monkeypatch.chdir(out)
    [result] = download(svc, container_name, [name])
    assert not result["success"] and isinstance(result["error"], UnsafePath)
    assert files_under(tmp_path) == {}


def test_a_missing_object_is_a_failed_result(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    [result] = download(svc, container_name, ["nope"], out_directory=str(tmp_path))
    assert not result["success"]
    assert result["error"].http_status == 404
    assert result["attempts"] == 1
    assert list(tmp_path.iterdir()) == []


def test_a_missing_container_raises(svc: Service, container_name: str, tmp_path: Path) -> None:
    with pytest.raises(SwiftError, match="not found"):
        download(svc, container_name, out_directory=str(tmp_path))


def test_bad_arguments_raise_at_the_call(svc: Service, tmp_path: Path) -> None:
    with pytest.raises(SwiftError, match="yes_all"):
        svc.download()
    with pytest.raises(SwiftError, match="exactly one object"):
        svc.download("c", ["a", "b"], options={"out_file": str(tmp_path / "x")})
    with pytest.raises(SwiftError, match="exactly one object"):
        svc.download("c", options={"out_file": str(tmp_path / "x")})
    with pytest.raises(SwiftError, match="is a directory"):
        svc.download("c", ["a"], options={"out_file": str(tmp_path)})
    with pytest.raises(SwiftError):
        svc.download("c/d", ["a"])
    with pytest.raises(SwiftError):
        svc.download("c", "a")


def test_shuffle_changes_the_order(
    swift_options: dict[str, str], seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    names = [f"o{i:03d}" for i in range(60)]
    seed.bulk(container_name, names, b"z")
    with Service({**swift_options, "object_dd_threads": 1}) as svc:
        ordered = [r["object"] for r in download(svc, container_name,
                                                  out_directory=str(tmp_path / "a"))]
        shuffled = [r["object"] for r in download(svc, container_name, shuffle=True,
                                                   out_directory=str(tmp_path / "b"))]
    assert ordered == names
    assert sorted(shuffled) == names and shuffled != names


def test_progress_events_count_the_bytes(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    seed.put(container_name, "a", b"x" * 5000)
    seed.put(container_name, "b", b"y" * 7)
    events: list[Event] = []
    results = list(svc.download(container_name, options={"out_directory": str(tmp_path)},
                                progress=events.append))
    assert all(r["success"] for r in results)
    queued = {e.obj: e.nbytes for e in events if e.kind == EventKind.QUEUED}
    moved: dict[str | None, int] = {}
    for e in events:
        if e.kind == EventKind.BYTES:
            moved[e.obj] = moved.get(e.obj, 0) + e.nbytes
    assert queued == {"a": 5000, "b": 7}
    assert moved == {"a": 5000, "b": 7}


def test_the_whole_account_with_yes_all(
    small_swift: LocalSwift, container_name: str, tmp_path: Path
) -> None:
    seed = Seed(small_swift, "tester2")
    seed.container(container_name)
    seed.put(container_name, "p/q", b"account-wide")
    with Service(small_swift.auth_options("tester2")) as svc:
        results = download(svc, None, out_directory=str(tmp_path), yes_all=True)
    mine = [r for r in results if r["container"] == container_name]
    assert [r["success"] for r in mine] == [True]
    assert (tmp_path / container_name / "p/q").read_bytes() == b"account-wide"


def test_no_temporary_files_are_left_after_success(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    seed.put(container_name, "f", b"data")
    download(svc, container_name, out_directory=str(tmp_path))
    assert not [p for p in tmp_path.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


def test_versions_downloads_every_version_older_ones_suffixed(
    svc: Service, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name, {"X-Versions-Enabled": "true"})
    seed.put(container_name, "v", b"first")
    first = seed.head(container_name, "v").headers["x-object-version-id"]
    seed.put(container_name, "v", b"second")
    results = download(svc, container_name, out_directory=str(tmp_path), versions=True)
    assert all(r["success"] for r in results), results
    assert files_under(tmp_path) == {"v": b"second", f"v.{first}": b"first"}


def test_skip_identical_with_a_big_local_file_reads_it_once_and_fetches_nothing(
    proxied: Service, fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    # above HASH_UP_FRONT (32 MiB) the local file is not hashed before the GET:
    # the answer's length and ETag decide, and an identical file is never fetched
    seed.container(container_name)
    data = os.urandom(33 << 20)
    seed.put(container_name, "big", data)
    (tmp_path / "big").write_bytes(data)
    fault_proxy.clear_requests()
    [result] = download(proxied, container_name, ["big"], out_directory=str(tmp_path),
                        skip_identical=True)
    assert skipped_identical(result), result
    [get] = [r for r in fault_proxy.requests if r.path.endswith("/big")]
    assert get.header("If-None-Match") is None
    assert result["read_length"] == 0


def test_out_file_dash_contents_resume_a_cut_body(
    proxied: Service, fault_proxy: FaultProxy, seed: Seed, container_name: str
) -> None:
    seed.container(container_name)
    data = os.urandom(1 << 20)
    seed.put(container_name, "o", data)
    fault_proxy.truncate_body(200_000, method="GET", path="/o")
    [result] = download(proxied, container_name, ["o"], out_file="-")
    assert b"".join(result["contents"]) == data
    assert [r.header("Range") for r in fault_proxy.requests if r.path.endswith("/o")] == [
        None, f"bytes=200000-{len(data) - 1}"
    ]
