"""Downloads through the fault proxy: resumed bodies, bad checksums, nothing partial."""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _seed import Seed

from swiftsvc import ClientException, Service, SwiftError
from swiftsvc.ops.download.local import VerificationError
from swiftsvc.ops.download.part_files import TEMP_SUFFIX
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy, LocalSwift

SIZE = 1 << 20


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


@pytest.fixture
def proxy(local_swift: LocalSwift) -> Iterator[FaultProxy]:
    with FaultProxy(local_swift.proxy_url) as fault_proxy:
        yield fault_proxy


def service(proxy: FaultProxy, **options: Any) -> Service:
    return Service({"auth": proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing",
                    "starting_backoff": 0.01, **options})


def get_one(svc: Service, container: str, obj: str, folder: Path) -> Result:
    [result] = svc.download(container, [obj], options={"out_directory": str(folder)})
    return result


def temporaries(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


@pytest.fixture
def big(seed: Seed, container_name: str) -> bytes:
    seed.container(container_name)
    data = os.urandom(SIZE)
    seed.put(container_name, "big", data)
    return data


def test_a_truncated_body_is_resumed_from_where_it_stopped(
    proxy: FaultProxy, big: bytes, container_name: str, tmp_path: Path
) -> None:
    proxy.truncate_body(300_000, method="GET", path="/big")
    with service(proxy) as svc:
        result = get_one(svc, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == big
    assert result["attempts"] == 2
    assert result["read_length"] == SIZE
    first, resumed = [r for r in proxy.requests if r.path.endswith("/big")]
    assert first.header("Range") is None
    assert resumed.header("Range") == f"bytes=300000-{SIZE - 1}"
    assert resumed.header("If-Match") == md5(big)
    assert [d["status"] for d in result["response_dict"]["response_dicts"]] == [200, 206]


def test_a_reset_after_the_headers_is_resumed_and_counted(
    proxy: FaultProxy, big: bytes, container_name: str, tmp_path: Path
) -> None:
    proxy.reset_after_headers(method="GET", path="/big")
    with service(proxy) as svc:
        result = get_one(svc, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == big
    assert result["attempts"] == 2


def test_when_resuming_fails_too_nothing_is_written(
    proxy: FaultProxy, big: bytes, container_name: str, tmp_path: Path
) -> None:
    (tmp_path / "big").write_bytes(b"the old file")
    proxy.truncate_body(100_000, method="GET", path="/big", times=None)
    with service(proxy, retries=2) as svc:
        result = get_one(svc, container_name, "big", tmp_path)
    assert not result["success"]
    assert "interrupted" in str(result["error"])
    assert result["attempts"] == 3  # the first try and two resumes
    assert (tmp_path / "big").read_bytes() == b"the old file"
    assert temporaries(tmp_path) == []


def test_an_etag_that_does_not_match_fails_and_writes_nothing(
    proxy: FaultProxy, big: bytes, container_name: str, tmp_path: Path
) -> None:
    (tmp_path / "big").write_bytes(b"the old file")
    proxy.rewrite_response_header("ETag", md5(b"something else"), method="GET", path="/big")
    with service(proxy) as svc:
        result = get_one(svc, container_name, "big", tmp_path)
    assert not result["success"]
    assert isinstance(result["error"], VerificationError)
    assert "md5" in str(result["error"])
    assert (tmp_path / "big").read_bytes() == b"the old file"
    assert temporaries(tmp_path) == []


def test_checksum_off_accepts_a_wrong_etag(
    proxy: FaultProxy, big: bytes, container_name: str, tmp_path: Path
) -> None:
    proxy.rewrite_response_header("ETag", md5(b"something else"), method="GET", path="/big")
    with service(proxy, checksum=False) as svc:
        result = get_one(svc, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == big


def test_an_object_replaced_during_a_resume_fails(
    proxy: FaultProxy, big: bytes, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    # the first GET is cut short; the resume waits long enough for the object to change
    proxy.truncate_body(200_000, method="GET", path="/big")
    proxy.delay(1.5, method="GET", path="/big")
    replace = threading.Timer(0.5, lambda: seed.put(container_name, "big", os.urandom(SIZE)))
    replace.start()
    try:
        with service(proxy) as svc:
            result = get_one(svc, container_name, "big", tmp_path)
    finally:
        replace.join()
    assert not result["success"]
    assert "changed during the download" in str(result["error"])
    error = result["error"]
    assert isinstance(error, SwiftError) and isinstance(error.exception, ClientException)
    assert error.exception.http_status == 412
    assert list(tmp_path.iterdir()) == []
