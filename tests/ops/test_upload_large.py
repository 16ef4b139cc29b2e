"""Segmented uploads on the real cluster: SLO and DLO, interop with the swift CLI,
old segments cleaned on overwrite, failures cleaned up, streams in bounded memory."""

from __future__ import annotations

import hashlib
import io
import os
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _large import names_in
from _seed import Seed
from _uploads import all_succeeded, of, one, swift_cli, upload, write

from swiftsvc import Service, SwiftError, UploadObject
from swiftsvc.testing import FaultProxy, LocalSwift

SEG = 64 * 1024


@pytest.fixture
def svc(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as service:
        yield service


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.mark.parametrize("use_slo", [True, False], ids=["slo", "dlo"])
def test_a_large_object_uploaded_here_downloads_identically_with_the_swift_cli(
    svc: Service, local_swift: LocalSwift, seed: Seed, here: Path, container_name: str,
    use_slo: bool,
) -> None:
    data = os.urandom(3 * SEG + 1000)
    write(here / "big.bin", data)
    results = upload(svc, container_name, ["big.bin"], segment_size=SEG, use_slo=use_slo)
    assert all_succeeded(results)
    segments = sorted(of(results, "upload_segment"), key=lambda r: r["segment_index"])
    assert [r["segment_index"] for r in segments] == [0, 1, 2, 3]
    for index, result in enumerate(segments):
        piece = data[index * SEG:(index + 1) * SEG]
        assert result["segment_etag"] == md5(piece)
        assert result["segment_size"] == len(piece)
        assert result["for_container"] == container_name and result["for_object"] == "big.bin"
        assert result["segment_location"].startswith(f"/{container_name}_segments/big.bin/")
        assert result["log_line"] == f"big.bin segment {index}"
        assert result["attempts"] == 1 and result["response_dict"]["status"] == 201
    manifest = one(results, "upload_object")
    assert manifest["large_object"] is True
    assert manifest["manifest_response_dict"]["status"] == 201
    # python-swiftclient's segment_results: the segments' own results (COMPAT.md §5)
    assert manifest["segment_results"] == segments
    head = seed.head(container_name, "big.bin").headers
    assert ("x-static-large-object" in head) is use_slo
    assert ("x-object-manifest" in head) is not use_slo
    swift_cli(local_swift, "download", container_name, "big.bin", "-o", str(here / "copy"))
    assert (here / "copy").read_bytes() == data


@pytest.mark.parametrize("flag", ["--use-slo", "--use-dlo"])
def test_large_objects_uploaded_by_the_swift_cli_are_seen_identical(
    svc: Service, local_swift: LocalSwift, here: Path, container_name: str, flag: str
) -> None:
    write(here / "big.bin", os.urandom(3 * SEG + 7))
    swift_cli(local_swift, "upload", container_name, "big.bin", flag, "-S", str(SEG), cwd=here)
    results = upload(svc, container_name, ["big.bin"], skip_identical=True, segment_size=SEG)
    assert one(results, "upload_object")["status"] == "skipped-identical"
    assert not of(results, "upload_segment")
    # a change in the last segment is noticed
    with open(here / "big.bin", "r+b") as fp:
        fp.seek(3 * SEG + 1)
        fp.write(b"X")
    results = upload(svc, container_name, ["big.bin"], skip_identical=True, segment_size=SEG)
    assert one(results, "upload_object")["status"] == "uploaded"


@pytest.mark.parametrize("use_slo", [True, False], ids=["slo", "dlo"])
def test_overwriting_a_large_object_deletes_the_old_segments(
    svc: Service, seed: Seed, here: Path, container_name: str, use_slo: bool
) -> None:
    path = write(here / "dir" / "big.bin", os.urandom(3 * SEG + 1))
    assert all_succeeded(upload(svc, container_name, ["dir"], segment_size=SEG, use_slo=use_slo))
    old = names_in(seed, f"{container_name}_segments")
    assert len(old) == 4
    write(path, os.urandom(2 * SEG + 5))
    os.utime(path, (1_700_000_000, 1_700_000_000))
    results = upload(svc, container_name, ["dir"], segment_size=SEG, use_slo=use_slo)
    assert all_succeeded(results)
    assert sorted(r["object"] for r in of(results, "delete_segment")) == sorted(old)
    # and the upload_object result lists them, as python-swiftclient's does
    deleted = one(results, "upload_object")["segment_delete_results"]
    assert sorted(r["object"] for r in deleted) == sorted(old)
    new = names_in(seed, f"{container_name}_segments")
    assert len(new) == 3 and not set(new) & set(old)


def test_overwriting_with_a_small_file_deletes_the_old_segments_unless_leave_segments(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    path = write(here / "big.bin", os.urandom(2 * SEG + 1))
    assert all_succeeded(upload(svc, container_name, ["big.bin"], segment_size=SEG))
    write(path, b"small now")
    results = upload(svc, container_name, ["big.bin"], leave_segments=True)
    assert not of(results, "delete_segment")
    assert len(names_in(seed, f"{container_name}_segments")) == 3
    write(path, os.urandom(2 * SEG + 1))
    assert all_succeeded(upload(svc, container_name, ["big.bin"], segment_size=SEG))
    write(path, b"small again")
    results = upload(svc, container_name, ["big.bin"])
    assert len(of(results, "delete_segment")) == 3
    # only the three left behind on purpose remain
    assert len(names_in(seed, f"{container_name}_segments")) == 3


def test_segment_size_given_only_per_object_creates_the_segment_container(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    data = os.urandom(3 * SEG + 10)
    write(here / "big.bin", data)
    write(here / "small.txt", b"plain")
    results = upload(svc, container_name, [
        UploadObject("big.bin", options={"segment_size": SEG}),
        UploadObject("small.txt"),
        UploadObject("big.bin", "again.bin", options={"segment_size": SEG}),
    ])
    assert all_succeeded(results)
    created = [r["container"] for r in of(results, "create_container")]
    # each container once: the segment container when the first object needs it
    assert created == [container_name, f"{container_name}_segments"]
    assert len(of(results, "upload_segment")) == 8
    assert seed.get(container_name, "big.bin") == data
    assert seed.get(container_name, "again.bin") == data


def test_a_failed_segment_fails_the_object_and_its_segments_are_deleted(
    local_swift: LocalSwift, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "big.bin", os.urandom(4 * SEG))
    with FaultProxy(local_swift.proxy_url) as proxy:
        proxy.respond(503, method="PUT", path=r"/00000002$", times=None)
        options = {"auth": proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing",
                   "retries": 1, "starting_backoff": 0.01}
        with Service(options) as svc:
            results = upload(svc, container_name, ["big.bin"], segment_size=SEG)
    failed = [r for r in of(results, "upload_segment") if not r["success"]]
    assert [r["segment_index"] for r in failed] == [2]
    assert failed[0]["attempts"] == 2
    result = one(results, "upload_object")
    assert not result["success"] and "not all segments" in str(result["error"])
    assert all(r["success"] for r in of(results, "delete_segment"))
    assert names_in(seed, f"{container_name}_segments") == []
    assert seed.head(container_name, "big.bin").status_code == 404


def test_leave_segments_keeps_the_segments_of_a_failed_upload(
    local_swift: LocalSwift, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "big.bin", os.urandom(4 * SEG))
    with FaultProxy(local_swift.proxy_url) as proxy:
        proxy.respond(503, method="PUT", path=r"/00000002$", times=None)
        options = {"auth": proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing",
                   "retries": 0, "segment_threads": 1}
        with Service(options) as svc:
            results = upload(svc, container_name, ["big.bin"], segment_size=SEG,
                             leave_segments=True)
    assert not one(results, "upload_object")["success"]
    assert not of(results, "delete_segment")
    assert len(names_in(seed, f"{container_name}_segments")) >= 2


class Generated(io.RawIOBase):
    """``total`` bytes made up as they are read: a stream of unknown length."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.block = os.urandom(1 << 16)
        self.counter = 0
        self.digest = hashlib.md5()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        n = min(len(view), self.left)
        done = 0
        while done < n:
            size = min(len(self.block), n - done)
            view[done:done + size] = self.block[:size]
            view[done:done + 8] = self.counter.to_bytes(8, "big")[: min(8, size)]
            self.counter += 1
            done += size
        self.digest.update(view[:n])
        self.left -= n
        return n


def test_an_unknown_length_stream_is_segmented_in_bounded_memory(
    swift_options: dict[str, str], seed: Seed, container_name: str
) -> None:
    segment_size, threads, count = 1 << 20, 2, 12
    source = Generated(count * segment_size + 123)
    stream = io.BufferedReader(source, buffer_size=1 << 16)
    with Service({**swift_options, "segment_threads": threads}) as svc:
        tracemalloc.start()
        try:
            results = upload(svc, container_name, [UploadObject(stream, "stream")],
                             segment_size=segment_size)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    assert all_succeeded(results)
    assert len(of(results, "upload_segment")) == count + 1
    print(f"peak traced memory {peak / segment_size:.2f} segments")
    assert peak < (threads + 2) * segment_size, peak
    answer = seed.session.get(f"{seed.storage_url}/{container_name}/stream",
                              headers={"X-Auth-Token": seed.token}, timeout=60)
    assert md5(answer.content) == source.digest.hexdigest()


def test_a_stream_no_longer_than_a_segment_is_one_plain_object(
    svc: Service, seed: Seed, container_name: str
) -> None:
    results = upload(svc, container_name, [UploadObject(io.BufferedReader(Generated(SEG)), "s")],
                     segment_size=SEG)
    assert all_succeeded(results)
    assert not of(results, "upload_segment")
    assert one(results, "upload_object")["large_object"] is False
    assert "x-static-large-object" not in seed.head(container_name, "s").headers


def test_a_seekable_stream_larger_than_a_segment_names_segments_as_swiftclient(
    svc: Service, container_name: str
) -> None:
    # a stream's segment names never hold its size, even when known (COMPAT.md §6)
    data = os.urandom(2 * SEG + 3)
    results = upload(svc, container_name, [UploadObject(io.BytesIO(data), "s")],
                     segment_size=SEG, use_slo=True)
    assert all_succeeded(results)
    locations = [r["segment_location"] for r in of(results, "upload_segment")]
    assert len(locations) == 3
    assert all(re.fullmatch(rf"/{container_name}_segments/s/slo/\d+\.000000/{SEG}/0000000\d",
                            location) for location in locations), locations


def test_a_streams_segments_carry_the_objects_headers_as_in_swiftclient(
    svc: Service, seed: Seed, container_name: str
) -> None:
    data = os.urandom(2 * SEG + 3)
    results = upload(svc, container_name, [UploadObject(io.BytesIO(data), "s")],
                     segment_size=SEG, use_slo=True, meta=["color:blue"])
    assert all_succeeded(results)
    mtime = one(results, "upload_object")["headers"]["X-Object-Meta-Mtime"]
    assert mtime.endswith(".000000")  # the upload's start, in whole seconds
    for location in (r["segment_location"] for r in of(results, "upload_segment")):
        head = seed.head(f"{container_name}_segments", location.split("/", 2)[2]).headers
        assert head["content-type"] == "application/octet-stream"
        assert head["x-object-meta-mtime"] == mtime
        assert head["x-object-meta-color"] == "blue"


def test_a_stream_without_slo_is_one_plain_object_as_in_swiftclient(
    svc: Service, seed: Seed, container_name: str
) -> None:
    data = os.urandom(2 * SEG + 3)
    results = upload(svc, container_name, [UploadObject(io.BytesIO(data), "s")],
                     segment_size=SEG, use_slo=False)
    assert all_succeeded(results)
    assert of(results, "upload_segment") == []
    [uploaded] = of(results, "upload_object")
    assert uploaded["large_object"] is False
    head = seed.head(container_name, "s").headers
    assert "x-object-manifest" not in head and head["content-length"] == str(len(data))


def test_a_segment_size_over_the_clusters_max_file_size_is_refused(
    small_swift: LocalSwift, here: Path, container_name: str
) -> None:
    write(here / "f", b"x")
    with Service(small_swift.auth_options("tester")) as svc, pytest.raises(
        SwiftError, match="max_file_size"
    ):
        svc.upload(container_name, ["f"], options={"segment_size": 2 << 20})


def test_a_file_over_max_file_size_without_segment_size_fails_with_advice(
    small_swift: LocalSwift, small_seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "big", os.urandom((1 << 20) + 1))
    with Service(small_swift.auth_options("tester")) as svc:
        results = upload(svc, container_name, ["big"])
        result = one(results, "upload_object")
        assert not result["success"] and "segment_size" in str(result["error"])
        assert small_seed.head(container_name, "big").status_code == 404
        results = upload(svc, container_name, ["big"], segment_size=1 << 19)
    assert all_succeeded(results)
    assert len(of(results, "upload_segment")) == 3
