"""``Service.batch()``: queued small uploads and deletes sent through the bulk middleware."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest

from swiftsvc import Service
from swiftsvc.ops.upload import archive as batch_ops
from swiftsvc.testing import FaultProxy, LocalSwift
from swiftsvc.testing.pytest_plugin import SMALL_BULK_DELETES, SMALL_BULK_FAILED_EXTRACTIONS

Result = dict[str, Any]


def _stat(svc: Service, container: str, name: str) -> dict[str, Any]:
    [result] = cast(Iterator[dict[str, Any]], svc.stat(container, [name]))
    assert result["success"], result.get("error")
    return result


def _proxied(fault_proxy: FaultProxy) -> dict[str, str]:
    return {"auth": fault_proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing"}


@pytest.fixture(scope="module")
def nobulk_swift() -> Iterator[LocalSwift]:
    with LocalSwift(bulk=False, progress=lambda message: None) as swift:
        yield swift


def _files(root: Path, count: int, size: int = 100) -> list[Path]:
    paths = []
    for i in range(count):
        path = root / f"f{i:04d}.txt"
        path.write_bytes(f"{i:04d}".encode() * (size // 4))
        paths.append(path)
    return paths


def _names(svc: Service, container: str) -> list[str]:
    names: list[str] = []
    for page in svc.list(container):
        assert page["success"], page.get("error")
        names.extend(entry["name"] for entry in page["listing"])
    return names


def _body(svc: Service, container: str, name: str) -> bytes:
    [result] = svc.download(container, [name], options={"out_file": "-"})
    assert result["success"], result.get("error")
    return b"".join(result["contents"])


def test_each_queued_upload_gets_an_upload_object_result(
    swift_options: dict[str, str], container_name: str, tmp_path: Path
) -> None:
    paths = _files(tmp_path, 5)
    with Service(swift_options) as svc:
        with svc.batch() as batch:
            for path in paths:
                batch.upload(container_name, str(path), object_name=path.name)
            batch.upload(container_name, b"in memory", object_name="mem/one")
        results = batch.results
        assert [r["action"] for r in results] == ["upload_object"] * 6
        assert all(r["success"] for r in results), [r.get("error") for r in results]
        assert {r["object"] for r in results} == {p.name for p in paths} | {"mem/one"}
        by_name = {r["object"]: r for r in results}
        assert by_name["f0001.txt"]["path"] == str(paths[1])
        assert by_name["mem/one"]["path"] is None
        assert by_name["f0001.txt"]["status"] == "uploaded"
        assert sorted(_names(svc, container_name)) == sorted(by_name)
        assert _body(svc, container_name, "mem/one") == b"in memory"
        assert _body(svc, container_name, "f0003.txt") == paths[3].read_bytes()


def test_uploads_go_in_one_extract_archive_request(
    fault_proxy: FaultProxy, container_name: str, tmp_path: Path
) -> None:
    paths = _files(tmp_path, 30)
    with Service(_proxied(fault_proxy)) as svc, svc.batch() as batch:
        for path in paths:
            batch.upload(container_name, str(path), object_name=path.name)
    assert all(r["success"] for r in batch.results)
    assert fault_proxy.count("PUT", r"extract-archive=tar") == 1
    # no per-object PUTs: the archive carried them all
    assert fault_proxy.count("PUT", rf"/{container_name}/") == 0


def test_a_bad_name_fails_alone_in_the_middle_of_a_batch(
    swift_options: dict[str, str], container_name: str
) -> None:
    long_name = "x" * 1100  # over the cluster's max_object_name_length (1024)
    names = ["a1", "a2", long_name, "b1", "b2"]
    with Service(swift_options) as svc:
        with svc.batch() as batch:
            for name in names:
                batch.upload(container_name, name.encode(), object_name=name)
        by_name = {r["object"]: r for r in batch.results}
        assert len(batch.results) == len(names)
        assert not by_name[long_name]["success"]
        assert by_name[long_name]["error"].http_status == 400
        assert all(by_name[n]["success"] for n in names if n != long_name)
        assert sorted(_names(svc, container_name)) == ["a1", "a2", "b1", "b2"]


def test_archives_hold_at_most_the_clusters_failed_extractions_limit(
    small_swift: LocalSwift, container_name: str, tmp_path: Path
) -> None:
    # the cluster stops extracting an archive after max_failed_extractions
    # failures, so no archive may carry more files than that
    paths = _files(tmp_path, 120, size=8)
    with FaultProxy(small_swift.proxy_url) as fault_proxy:
        with Service(_proxied(fault_proxy)) as svc:
            with svc.batch() as batch:
                for path in paths:
                    batch.upload(container_name, str(path), object_name=path.name)
            assert len(batch.results) == 120
            assert all(r["success"] for r in batch.results)
            assert len(_names(svc, container_name)) == 120
        archives = fault_proxy.count("PUT", r"extract-archive=tar")
    assert archives == -(-120 // SMALL_BULK_FAILED_EXTRACTIONS)  # ceil(120 / 25)


def test_mtime_survives_the_tar_path(
    swift_options: dict[str, str], container_name: str, tmp_path: Path
) -> None:
    [path] = _files(tmp_path, 1)
    os.utime(path, (1_500_000_000.25, 1_500_000_000.25))
    with Service(swift_options) as svc:
        with svc.batch(options={"meta": ["Color:blue"]}) as batch:
            batch.upload(container_name, str(path), object_name="timed")
        assert batch.results[0]["success"], batch.results[0].get("error")
        stat = _stat(svc, container_name, "timed")
        headers = stat["headers"]
        assert headers["x-object-meta-mtime"] == "1500000000.250000"
        assert headers["x-object-meta-color"] == "blue"


def test_large_files_and_headers_fall_back_to_ordinary_puts(
    fault_proxy: FaultProxy, container_name: str, tmp_path: Path
) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"z" * (batch_ops.SMALL_FILE_LIMIT + 1))
    with Service(_proxied(fault_proxy)) as svc:
        with svc.batch() as batch:
            batch.upload(container_name, b"small", object_name="small")
            batch.upload(container_name, str(big), object_name="big")
            batch.upload(container_name, b"typed", object_name="typed",
                         options={"header": ["Content-Type:text/x-special"]})
        uploads = [r for r in batch.results if r["action"] == "upload_object"]
        assert {r["object"] for r in uploads} == {"small", "big", "typed"}
        assert all(r["success"] for r in batch.results)
        stat = _stat(svc, container_name, "typed")
        assert stat["headers"]["content-type"] == "text/x-special"
        assert _body(svc, container_name, "big") == big.read_bytes()
    assert fault_proxy.count("PUT", r"extract-archive=tar") == 1
    assert fault_proxy.count("PUT", rf"/{container_name}/big$") == 1
    assert fault_proxy.count("PUT", rf"/{container_name}/typed$") == 1


def test_deletes_give_one_delete_object_result_each_in_one_request(
    fault_proxy: FaultProxy, container_name: str
) -> None:
    with Service(_proxied(fault_proxy)) as svc:
        with svc.batch() as batch:
            for i in range(10):
                batch.upload(container_name, b"x", object_name=f"o{i}")
        fault_proxy.clear_requests()
        with svc.batch() as batch:
            for i in range(0, 10, 2):
                batch.delete(container_name, f"o{i}")
        assert [r["action"] for r in batch.results] == ["delete_object"] * 5
        assert all(r["success"] for r in batch.results)
        assert {r["object"] for r in batch.results} == {f"o{i}" for i in range(0, 10, 2)}
        assert sorted(_names(svc, container_name)) == [f"o{i}" for i in range(1, 10, 2)]
    assert fault_proxy.count("POST", r"bulk-delete") == 1
    assert fault_proxy.count("DELETE") == 0


def test_deletes_are_chunked_by_max_deletes_per_request(
    small_swift: LocalSwift, container_name: str
) -> None:
    count = 2 * SMALL_BULK_DELETES + 5
    with FaultProxy(small_swift.proxy_url) as fault_proxy, Service(_proxied(fault_proxy)) as svc:
        with svc.batch() as batch:
            for i in range(count):
                batch.upload(container_name, b"x", object_name=f"o{i:03d}")
        assert all(r["success"] for r in batch.results)
        with svc.batch() as batch:
            for i in range(count):
                batch.delete(container_name, f"o{i:03d}")
        assert len(batch.results) == count
        assert all(r["success"] for r in batch.results)
        assert _names(svc, container_name) == []
        assert fault_proxy.count("POST", r"bulk-delete") == 3


def test_without_the_middleware_the_batch_falls_back(
    nobulk_swift: LocalSwift, container_name: str
) -> None:
    with FaultProxy(nobulk_swift.proxy_url) as fault_proxy, Service(_proxied(fault_proxy)) as svc:
        with svc.batch() as batch:
            for i in range(4):
                batch.upload(container_name, f"v{i}".encode(), object_name=f"o{i}")
        uploads = [r for r in batch.results if r["action"] == "upload_object"]
        assert len(uploads) == 4 and all(r["success"] for r in batch.results)
        with svc.batch() as batch:
            batch.delete(container_name, "o0")
            batch.delete(container_name, "o1")
        deletes = [r for r in batch.results if r["action"] == "delete_object"]
        assert len(deletes) == 2 and all(r["success"] for r in deletes)
        assert sorted(_names(svc, container_name)) == ["o2", "o3"]
        assert _body(svc, container_name, "o3") == b"v3"
        assert fault_proxy.count(path=r"extract-archive|bulk-delete") == 0


def test_a_failing_block_sends_nothing(
    fault_proxy: FaultProxy, container_name: str
) -> None:
    with Service(_proxied(fault_proxy)) as svc:
        with pytest.raises(RuntimeError), svc.batch() as batch:
            batch.upload(container_name, b"x", object_name="never")
            raise RuntimeError("boom")
        assert batch.results == []
    assert fault_proxy.count("PUT", container_name) == 0


def test_checksum_compares_the_listing_hash(
    swift_options: dict[str, str], container_name: str
) -> None:
    data = b"checked body"
    with Service(swift_options) as svc:
        with svc.batch() as batch:
            batch.upload(container_name, data, object_name="c")
        assert batch.results[0]["success"]
        stat = _stat(svc, container_name, "c")
        assert stat["headers"]["etag"] == hashlib.md5(data).hexdigest()
