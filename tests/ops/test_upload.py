"""Uploads of every kind of source, containers, names and headers, on the real cluster."""

from __future__ import annotations

import io
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from _seed import Seed
from _uploads import all_succeeded, of, one, upload, write

from swiftsvc import Service, SwiftError, UploadObject
from swiftsvc.events import Event, EventKind
from swiftsvc.testing import FaultProxy, LocalSwift


@pytest.fixture
def svc(swift_options: dict[str, str]) -> Any:
    with Service(swift_options) as service:
        yield service


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_file_is_uploaded_under_its_path_with_its_mtime(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    path = write(here / "docs" / "a.txt", b"hello")
    os.utime(path, (1_600_000_000.25, 1_600_000_000.25))
    results = upload(svc, container_name, ["./docs/a.txt"])
    assert all_succeeded(results)
    result = one(results, "upload_object")
    assert (result["object"], result["status"], result["large_object"]) == (
        "docs/a.txt", "uploaded", False)
    assert result["path"] == "./docs/a.txt" and result["attempts"] == 1
    assert result["response_dict"]["status"] == 201
    head = seed.head(container_name, "docs/a.txt")
    assert head.headers["x-object-meta-mtime"] == "1600000000.250000"
    assert head.headers["etag"] == "5d41402abc4b2a76b9719d911017c592"


def test_a_directory_is_walked_and_named_as_the_swift_cli_names_it(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "tree" / "a" / "b.txt", b"b")
    write(here / "tree" / "c.txt", b"c")
    (here / "tree" / "empty").mkdir()
    results = upload(svc, container_name, ["tree/"])
    assert all_succeeded(results)
    assert sorted(r["object"] for r in of(results, "upload_object")) == [
        "tree/a/b.txt", "tree/c.txt"]
    marker = one(results, "create_dir_marker")
    assert marker["object"] == "tree/empty"
    assert seed.head(container_name, "tree/empty").headers["content-type"].startswith(
        "application/directory")


def test_an_upload_object_renames_a_directory_and_dir_marker_marks_every_folder(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "src" / "sub" / "f", b"f")
    results = upload(svc, container_name, [UploadObject("src", "dst")], dir_marker=True)
    assert all_succeeded(results)
    assert [r["object"] for r in of(results, "upload_object")] == ["dst/sub/f"]
    assert sorted(r["object"] for r in of(results, "create_dir_marker")) == ["dst", "dst/sub"]
    assert seed.head(container_name, "dst/sub").headers["content-type"].startswith(
        "application/directory")


def test_a_container_with_a_path_prefixes_the_object_names(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "d" / "f", b"f")
    results = upload(svc, f"{container_name}/p/q", ["d", UploadObject(None, "n")])
    assert all_succeeded(results)
    assert one(results, "create_container")["container"] == container_name
    assert sorted(r["object"] for r in of(results, "upload_object")) == ["p/q/d/f", "p/q/n"]
    assert seed.head(container_name, "p/q/d/f").status_code == 200


def test_a_seekable_stream_is_uploaded_from_its_position(
    svc: Service, seed: Seed, container_name: str
) -> None:
    stream = io.BytesIO(b"skip-this|payload")
    stream.seek(10)
    results = upload(svc, container_name, [UploadObject(stream, "s")])
    assert all_succeeded(results)
    result = one(results, "upload_object")
    assert result["path"] is None and result["status"] == "uploaded"
    assert seed.head(container_name, "s").headers["content-length"] == "7"


def pipe_of(data: bytes) -> Any:
    """A stream that cannot seek, fed by a thread (as stdin would be)."""
    read_end, write_end = os.pipe()

    def feed() -> None:
        with open(write_end, "wb") as sink:
            sink.write(data)

    threading.Thread(target=feed, daemon=True).start()
    return open(read_end, "rb")


def test_an_unseekable_stream_is_uploaded_in_one_request(
    svc: Service, seed: Seed, container_name: str
) -> None:
    data = os.urandom(300_000)
    with pipe_of(data) as pipe:
        results = upload(svc, container_name, [UploadObject(pipe, "piped")])
    assert all_succeeded(results)
    head = seed.head(container_name, "piped")
    assert head.headers["content-length"] == str(len(data))


def test_none_is_an_empty_object_or_a_marker_with_dir_marker(
    svc: Service, seed: Seed, container_name: str
) -> None:
    results = upload(svc, container_name, [UploadObject(None, "empty")])
    assert one(results, "upload_object")["success"]
    assert seed.head(container_name, "empty").headers["content-length"] == "0"
    results = upload(svc, container_name, [UploadObject(None, "dir")], dir_marker=True)
    assert one(results, "create_dir_marker")["success"]
    assert seed.head(container_name, "dir").headers["content-type"].startswith(
        "application/directory")


def test_meta_header_and_per_object_options_are_applied(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "a", b"a")
    write(here / "b", b"b")
    objects = ["a", UploadObject("b", "b", options={"meta": ["color:blue"]})]
    results = upload(svc, container_name, objects, meta=["color:red"],
                     header=["Content-Type:text/x-test"])
    assert all_succeeded(results)
    assert seed.head(container_name, "a").headers["x-object-meta-color"] == "red"
    head_b = seed.head(container_name, "b")
    assert head_b.headers["x-object-meta-color"] == "blue"
    assert head_b.headers["content-type"] == "text/x-test"
    sent = {r["object"]: r["headers"] for r in of(results, "upload_object")}
    assert sent["b"]["X-Object-Meta-color"] == "blue"


def test_ignore_mtime_stores_no_mtime(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "a", b"a")
    assert all_succeeded(upload(svc, container_name, ["a"], ignore_mtime=True))
    assert "x-object-meta-mtime" not in seed.head(container_name, "a").headers


def test_the_segment_container_follows_the_main_containers_policy(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    seed.container(container_name, {"X-Storage-Policy": "silver"})
    write(here / "a", b"a")
    results = upload(svc, container_name, ["a"], segment_size=1000)
    created = of(results, "create_container")
    assert [r["container"] for r in created] == [container_name, f"{container_name}_segments"]
    assert all(r["success"] for r in created)
    # the headers given: none for the segment container taking its
    # container's policy, as python-swiftclient reports it (COMPAT.md §5)
    assert created[0]["headers"] == {} and created[1]["headers"] is None
    head = seed.head(f"{container_name}_segments")
    assert head.headers["x-storage-policy"] == "silver"


def test_a_storage_policy_header_creates_both_containers_in_it(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "a", b"a")
    results = upload(svc, container_name, ["a"], segment_size=1000,
                     header=["X-Storage-Policy:silver"])
    assert len(of(results, "create_container")) == 2
    for name in (container_name, f"{container_name}_segments"):
        assert seed.head(name).headers["x-storage-policy"] == "silver"


def test_skip_container_put_creates_no_container(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    seed.container(container_name)
    write(here / "a", b"a")
    results = upload(svc, container_name, ["a"], skip_container_put=True)
    assert not of(results, "create_container")
    assert one(results, "upload_object")["success"]


def test_bad_arguments_raise_before_anything_is_sent(
    svc: Service, here: Path, container_name: str
) -> None:
    with pytest.raises(SwiftError):
        svc.upload(container_name, "a-string-not-a-list")
    with pytest.raises(SwiftError):
        svc.upload("", ["x"])
    with pytest.raises(SwiftError):
        svc.upload(container_name, [42])


@pytest.mark.parametrize("given", [list, iter], ids=["list", "generator"])
def test_a_missing_path_fails_its_own_result_and_the_rest_is_uploaded(
    svc: Service, here: Path, container_name: str, given: Any
) -> None:
    # python-swiftclient's contract (COMPAT.md §4), for a list as for a generator
    write(here / "ok", b"ok")
    results = list(svc.upload(container_name, given(["missing", "ok"])))
    failed = [r for r in of(results, "upload_object") if not r["success"]]
    assert [r["object"] for r in failed] == ["missing"]
    assert "not found" in str(failed[0]["error"])
    assert [r["object"] for r in of(results, "upload_object") if r["success"]] == ["ok"]


@pytest.mark.parametrize("segment_size", [None, 1000], ids=["plain", "segment"])
def test_an_etag_that_differs_from_the_local_md5_fails_the_upload(
    local_swift: LocalSwift, here: Path, container_name: str, segment_size: int | None
) -> None:
    write(here / "a", os.urandom(1500))
    with FaultProxy(local_swift.proxy_url) as proxy:
        proxy.rewrite_response_header("Etag", "0" * 32, method="PUT", path=r"/a(/|$)",
                                      times=1)
        options = {"auth": proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing"}
        with Service(options) as svc:
            results = upload(svc, container_name, ["a"], segment_size=segment_size)
            result = one(results, "upload_object")
            assert not result["success"] and "md5 mismatch" in str(result["error"])
            if segment_size is None:  # without checksum, the answer is not questioned
                proxy.rewrite_response_header("Etag", "0" * 32, method="PUT", path=r"/a$")
                results = upload(svc, container_name, ["a"], checksum=False)
                assert all_succeeded(results)


def test_progress_events_count_the_bytes_of_every_object_and_segment(
    swift_options: dict[str, str], here: Path, container_name: str
) -> None:
    write(here / "d" / "small", b"x" * 10)
    write(here / "d" / "big", b"y" * 2500)
    events: list[Event] = []
    lock = threading.Lock()

    def listen(event: Event) -> None:
        with lock:
            events.append(event)

    with Service(swift_options) as svc:
        results = list(svc.upload(container_name, ["d"], options={"segment_size": 1000},
                                  progress=listen))
    assert all_succeeded(results)
    queued = {e.obj: e.nbytes for e in events if e.kind is EventKind.QUEUED}
    assert queued == {"d/small": 10, "d/big": 2500}
    sent = sum(e.nbytes for e in events if e.kind is EventKind.BYTES)
    assert sent == 2510
    assert {e.segment for e in events if e.kind is EventKind.BYTES and e.obj == "d/big"} == {
        0, 1, 2}
