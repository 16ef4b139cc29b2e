"""Large objects: SLOs and DLOs downloaded and verified segment by segment."""

from __future__ import annotations

import hashlib
import json
import os
import threading
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from _large import put_dlo, put_slo
from _results import skipped_identical
from _seed import Seed

from swiftsvc import Service
from swiftsvc.ops.download.local import VerificationError
from swiftsvc.ops.download.part_files import TEMP_SUFFIX
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy

SEGMENT = 100_000


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def slo_bytes(count: int = 3, size: int = SEGMENT) -> bytes:
    return b"".join(bytes([65 + i]) * size for i in range(count))


def dlo_bytes(count: int = 3, size: int = SEGMENT) -> bytes:
    return b"".join(bytes([97 + i]) * size for i in range(count))


def service(fault_proxy: FaultProxy, **options: Any) -> Service:
    return Service({"auth": fault_proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing",
                    "starting_backoff": 0.01, **options})


def get_one(svc: Service, container: str, obj: str, folder: Path, **options: Any
            ) -> Result:
    [result] = svc.download(container, [obj], options={"out_directory": str(folder), **options})
    return result


def object_requests(fault_proxy: FaultProxy, obj: str) -> list[Any]:
    return [r for r in fault_proxy.requests if r.path.endswith("/" + obj)]


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.rglob("*") if p.name.endswith(TEMP_SUFFIX)]


def test_an_slo_is_read_in_one_get_held_to_its_manifest(
    fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    segments = f"{container_name}_segments"
    seed.container(container_name)
    put_slo(seed, container_name, "big", segments, size=SEGMENT)
    with service(fault_proxy) as svc:
        result = get_one(svc, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == slo_bytes()
    manifest, whole = object_requests(fault_proxy, "big")
    assert manifest.query == "multipart-manifest=get"
    assert whole.query == ""
    # the whole GET must be the object the manifest describes
    segment_etags = "".join(md5(bytes([65 + i]) * SEGMENT) for i in range(3))
    assert whole.header("If-Match") == f'"{md5(segment_etags.encode())}"'
    # tries of the GET that brought the body, not the job's requests (COMPAT.md §5)
    assert result["attempts"] == 1
    assert len(result["response_dict"]["response_dicts"]) == 2


def test_a_dlo_is_read_whole_and_checked_against_its_listing(
    fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    put_dlo(seed, container_name, "dlo", f"{container_name}_segments", size=SEGMENT)
    with service(fault_proxy) as svc:
        result = get_one(svc, container_name, "dlo", tmp_path)
    assert result["success"], result
    assert (tmp_path / "dlo").read_bytes() == dlo_bytes()
    assert len(object_requests(fault_proxy, "dlo")) == 2


def test_an_slo_segment_replaced_with_other_bytes_fails_and_writes_nothing(
    seed: Seed, swift_options: dict[str, str], container_name: str, tmp_path: Path
) -> None:
    # Swift itself notices the segment no longer matches the manifest and
    # cuts the body short; the resume is refused (409). Straight to the
    # cluster: the fault proxy would hold the cut-short answer open.
    segments = f"{container_name}_segments"
    seed.container(container_name)
    names = put_slo(seed, container_name, "big", segments, size=SEGMENT)
    seed.put(segments, names[1], b"Z" * SEGMENT)  # same length, other bytes
    (tmp_path / "big").write_bytes(b"old")
    with Service({**swift_options, "retries": 1, "starting_backoff": 0.01}) as svc:
        result = get_one(svc, container_name, "big", tmp_path)
    assert not result["success"]
    assert (tmp_path / "big").read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def _replace_segment_while_listing(
    fault_proxy: FaultProxy, seed: Seed, segments: str, segment: str
) -> threading.Timer:
    """Hold the segment listing's body back while ``segment`` is rewritten: the
    listing then promises the old ETag and the GET serves the new bytes."""
    fault_proxy.delay_body(1.5, method="GET", path=rf"/{segments}\?")
    timer = threading.Timer(0.5, lambda: seed.put(segments, segment, b"Z" * SEGMENT))
    timer.start()
    return timer


def test_a_dlo_whose_segments_change_after_the_listing_fails(
    fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    segments = f"{container_name}_segments"
    seed.container(container_name)
    names = put_dlo(seed, container_name, "dlo", segments, size=SEGMENT)
    timer = _replace_segment_while_listing(fault_proxy, seed, segments, names[1])
    try:
        with service(fault_proxy) as svc:
            result = get_one(svc, container_name, "dlo", tmp_path)
    finally:
        timer.join()
    assert not result["success"]
    assert "changed between listing and download" in str(result["error"])
    assert list(tmp_path.iterdir()) == []


def test_a_dlo_segment_not_matching_its_listed_etag_fails_naming_it(
    fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    segments = f"{container_name}_segments"
    seed.container(container_name)
    names = put_dlo(seed, container_name, "dlo", segments, size=SEGMENT)
    timer = _replace_segment_while_listing(fault_proxy, seed, segments, names[1])
    # without the whole object's ETag only the segment check is left to catch it
    fault_proxy.rewrite_response_header("ETag", None, method="GET", path=r"/dlo$")
    try:
        with service(fault_proxy) as svc:
            result = get_one(svc, container_name, "dlo", tmp_path)
    finally:
        timer.join()
    assert not result["success"]
    assert isinstance(result["error"], VerificationError)
    assert names[1] in str(result["error"])
    assert list(tmp_path.iterdir()) == []


def test_an_slo_body_cut_short_is_resumed_against_the_slo_etag(
    fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    seed.container(container_name)
    put_slo(seed, container_name, "big", f"{container_name}_segments", size=SEGMENT)
    fault_proxy.truncate_body(150_000, method="GET", path=r"/big$")
    with service(fault_proxy) as svc:
        result = get_one(svc, container_name, "big", tmp_path)
    assert result["success"], result
    assert (tmp_path / "big").read_bytes() == slo_bytes()
    _, whole, resumed = object_requests(fault_proxy, "big")
    assert resumed.header("Range") == f"bytes=150000-{3 * SEGMENT - 1}"
    assert resumed.header("If-Match") == whole.header("If-Match")
    assert result["attempts"] == 2  # the body's GET and its resume
    assert len(result["response_dict"]["response_dicts"]) == 3


@pytest.mark.parametrize("kind", ["slo", "dlo"])
def test_skip_identical_compares_large_objects_segment_by_segment(
    fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path, kind: str
) -> None:
    segments = f"{container_name}_segments"
    seed.container(container_name)
    if kind == "slo":
        put_slo(seed, container_name, "lo", segments, size=SEGMENT)
        data = slo_bytes()
    else:
        put_dlo(seed, container_name, "lo", segments, size=SEGMENT)
        data = dlo_bytes()
    (tmp_path / "lo").write_bytes(data)
    with service(fault_proxy) as svc:
        result = get_one(svc, container_name, "lo", tmp_path, skip_identical=True)
        assert skipped_identical(result), result
        # only the manifest was read
        assert len(object_requests(fault_proxy, "lo")) == 1
        changed = bytearray(data)
        changed[SEGMENT + 5] ^= 1
        (tmp_path / "lo").write_bytes(bytes(changed))
        result = get_one(svc, container_name, "lo", tmp_path, skip_identical=True)
    assert result["success"] and result["status"] == "downloaded", result
    assert (tmp_path / "lo").read_bytes() == data


def test_an_empty_local_file_is_not_taken_for_a_dlo_manifest(
    seed: Seed, swift_options: dict[str, str], container_name: str, tmp_path: Path
) -> None:
    # the DLO's manifest object is empty: its ETag equals the empty file's MD5
    seed.container(container_name)
    put_dlo(seed, container_name, "lo", f"{container_name}_segments", size=10)
    (tmp_path / "lo").write_bytes(b"")
    with Service(swift_options) as svc:
        result = get_one(svc, container_name, "lo", tmp_path, skip_identical=True)
    assert result["success"] and result["status"] == "downloaded", result
    assert (tmp_path / "lo").read_bytes() == dlo_bytes(size=10)


def test_an_slo_of_slos_is_verified_through_its_sub_manifests(
    fault_proxy: FaultProxy, seed: Seed, container_name: str, tmp_path: Path
) -> None:
    segments = f"{container_name}_segments"
    seed.container(container_name)
    put_slo(seed, segments, "inner", segments, size=SEGMENT)
    inner_etag = seed.head(segments, "inner").headers["etag"].strip('"')
    tail = os.urandom(1000)
    tail_etag = seed.put(segments, "tail", tail)
    manifest = [
        {"path": f"/{segments}/inner", "etag": inner_etag, "size_bytes": 3 * SEGMENT},
        {"path": f"/{segments}/tail", "etag": tail_etag, "size_bytes": 1000},
    ]
    answer = seed.session.put(
        f"{seed.storage_url}/{quote(container_name)}/outer",
        params={"multipart-manifest": "put"}, data=json.dumps(manifest),
        headers={"X-Auth-Token": seed.token}, timeout=30,
    )
    assert answer.status_code == 201, answer.text
    with service(fault_proxy) as svc:
        result = get_one(svc, container_name, "outer", tmp_path)
    assert result["success"], result
    assert (tmp_path / "outer").read_bytes() == slo_bytes() + tail
    assert [r.query for r in object_requests(fault_proxy, "inner")] == ["multipart-manifest=get"]
