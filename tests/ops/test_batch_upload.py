"""``upload(options={'batch': True})`` and the pure planning of batches.

The code: swiftsvc.ops.upload.archive.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

import pytest
from _uploads import all_succeeded, of, upload, write

from swiftsvc import Service
from swiftsvc.ops.upload import archive as batch_ops
from swiftsvc.ops.upload.archive import (
    BatchLimits,
    batch_eligible,
    batch_limits,
    group,
    parse_bulk_response,
)
from swiftsvc.ops.upload.common import UploadTask
from swiftsvc.ops.upload.remote import UNKNOWN, Existing, RemoteKind, RemoteObject
from swiftsvc.ops.upload.sources import SourceKind, UploadItem
from swiftsvc.ops.upload.tar import TarMember
from swiftsvc.options import Options
from swiftsvc.testing import FaultProxy, LocalSwift

REPO = str(Path(__file__).resolve().parents[2])
LIMITS = BatchLimits(files=3, bytes=100, small_file=50)


# ------------------------------------------------------------------ pure


def _stat(svc: Service, container: str, name: str) -> dict[str, Any]:
    [result] = cast(Iterator[dict[str, Any]], svc.stat(container, [name]))
    assert result["success"], result.get("error")
    return result


def _task(
    size: int = 10,
    existing: Existing = None,
    kind: SourceKind = SourceKind.FILE,
    **options: Any,
) -> UploadTask:
    item = UploadItem("o", kind, path="/x/o", size=size, mtime=1.0)
    return UploadTask(cast(Any, None), "c", item, Options().merged(options), existing,
                      cast(Any, None))


def test_batch_limits_need_bulk_upload_and_follow_the_cluster() -> None:
    assert batch_limits({"swift": {}}) is None
    limits = batch_limits(
        {"bulk_upload": {"max_failed_extractions": 40}, "swift": {"max_file_size": 1000}}
    )
    assert limits == BatchLimits(files=40, bytes=batch_ops.ARCHIVE_BYTES, small_file=1000)


def test_group_splits_by_count_and_bytes() -> None:
    members = [TarMember(f"m{i}", size) for i, size in enumerate([10, 10, 10, 10, 95, 20])]
    sizes = [[m.size for m in chunk] for chunk in group(members, LIMITS)]
    assert sizes == [[10, 10, 10], [10], [95], [20]]


def test_parse_bulk_response_maps_each_refused_file() -> None:
    body = (
        b'   {"Response Status": "400 Bad Request", "Number Files Created": 2,'
        b' "Response Body": "", "Errors": [["/c/a%20b", "400 Bad Request"]]}'
    )
    outcome = parse_bulk_response(body)
    assert (outcome.status, outcome.created) == (400, 2)
    assert outcome.errors == {"c/a b": 400}


def test_eligible_files_are_small_plain_and_settled_by_the_listing() -> None:
    plain_other_size = RemoteObject(RemoteKind.PLAIN, 99, "e")
    plain_same_size = RemoteObject(RemoteKind.PLAIN, 10, "e")
    assert batch_eligible(_task(), LIMITS)
    assert not batch_eligible(_task(size=51), LIMITS)
    assert not batch_eligible(_task(kind=SourceKind.STREAM), LIMITS)
    assert not batch_eligible(_task(header=["X-Delete-After:5"]), LIMITS)
    # overwriting: only when nothing is left to decide or clean up
    assert batch_eligible(_task(existing=plain_same_size), LIMITS)
    assert batch_eligible(_task(existing=plain_other_size, changed=True), LIMITS)
    assert not batch_eligible(_task(existing=plain_same_size, changed=True), LIMITS)
    assert not batch_eligible(_task(existing=plain_same_size, skip_identical=True), LIMITS)
    assert not batch_eligible(_task(existing=RemoteObject(RemoteKind.SLO, 10, None)), LIMITS)
    assert not batch_eligible(_task(existing=UNKNOWN), LIMITS)
    assert batch_eligible(_task(existing=UNKNOWN, leave_segments=True), LIMITS)


# ------------------------------------------------------------ on the cluster


@pytest.fixture
def proxy(local_swift: LocalSwift) -> Iterator[FaultProxy]:
    with FaultProxy(local_swift.proxy_url) as fault_proxy:
        yield fault_proxy


def _proxied(proxy: FaultProxy) -> dict[str, str]:
    return {"auth": proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing"}


def _tree(root: Path, count: int) -> dict[str, bytes]:
    files = {}
    for i in range(count):
        rel = f"d{i % 3}/f{i:03d}.bin"
        data = hashlib.sha256(str(i).encode()).digest() * (i % 7 + 1)
        write(root / rel, data)
        files[rel] = data
    return files


def test_batch_upload_of_a_directory(
    proxy: FaultProxy, container_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "src"
    files = _tree(src, 40)
    with Service(_proxied(proxy)) as svc:
        results = upload(svc, container_name, ["src"], batch=True)
        assert all_succeeded(results)
        uploads = of(results, "upload_object")
        assert sorted(r["object"] for r in uploads) == sorted(f"src/{rel}" for rel in files)
        assert {r["path"] for r in uploads} == {f"src/{rel}" for rel in files}
        assert proxy.count("PUT", r"extract-archive=tar") == 1
        assert proxy.count("PUT", rf"/{container_name}/src/") == 0
        out = tmp_path / "out"
        downloads = list(svc.download(container_name, options={"out_directory": str(out)}))
        assert all_succeeded(downloads)
    for rel, data in files.items():
        assert (out / "src" / rel).read_bytes() == data


def test_batch_upload_keeps_mtime_and_skips_unchanged_files_the_ordinary_way(
    proxy: FaultProxy, container_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "src"
    _tree(src, 6)
    os.utime(src / "d0/f000.bin", (1_400_000_000, 1_400_000_000))
    with Service(_proxied(proxy)) as svc:
        results = upload(svc, container_name, ["src"], batch=True)
        assert all_succeeded(results)
        stat = _stat(svc, container_name, "src/d0/f000.bin")
        assert stat["headers"]["x-object-meta-mtime"] == "1400000000.000000"
        assert proxy.count("PUT", r"extract-archive=tar") == 1
        [first] = [r for r in of(results, "upload_object") if r["object"] == "src/d0/f000.bin"]
        assert first["headers"] == {"X-Object-Meta-Mtime": "1400000000.000000"}
        proxy.clear_requests()
        again = upload(svc, container_name, ["src"], batch=True, changed=True)
    assert {r["status"] for r in of(again, "upload_object")} == {"skipped-changed"}
    assert proxy.count("PUT", r"extract-archive=tar") == 0


def test_batch_upload_without_the_option_sends_one_put_per_file(
    proxy: FaultProxy, container_name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    src = tmp_path / "src"
    files = _tree(src, 5)
    with Service(_proxied(proxy)) as svc:
        assert all_succeeded(upload(svc, container_name, ["src"]))
    assert proxy.count("PUT", r"extract-archive") == 0
    assert proxy.count("PUT", rf"/{container_name}/src/") == len(files)


def test_cli_batch_flag_sends_archives(
    proxy: FaultProxy, container_name: str, tmp_path: Path
) -> None:
    _tree(tmp_path / "src", 8)
    auth = _proxied(proxy)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "OS_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "swiftsvc", "-A", auth["auth"], "-U", auth["user"],
         "-K", auth["key"], "upload", "--batch", container_name, "src"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert sorted(done.stdout.split()) == sorted(
        f"src/d{i % 3}/f{i:03d}.bin" for i in range(8)
    )
    assert proxy.count("PUT", r"extract-archive=tar") == 1
    assert proxy.count("PUT", rf"/{container_name}/src/") == 0
