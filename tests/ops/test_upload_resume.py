"""Resume: a segmented upload killed midway reuses, when run again, the segments
that already landed (their MD5 checked against the local data) and sends the rest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from _large import names_in
from _seed import Seed
from _uploads import all_succeeded, of, one, upload, write

from swiftsvc import Service
from swiftsvc.testing import FaultProxy, LocalSwift

SEG = 64 * 1024
SEGMENTS = 12

UPLOADER = textwrap.dedent("""
    import json, sys
    from swiftsvc import Service
    options, container, path, size = json.loads(sys.argv[1]), *sys.argv[2:4], int(sys.argv[4])
    with Service(options) as svc:
        for result in svc.upload(container, [path], options={"segment_size": size}):
            if result["action"] == "upload_segment" and result["success"]:
                print(result["segment_index"], flush=True)
""")


def settle(proxy: FaultProxy) -> None:
    """Wait until the proxy has answered every request (one may land after the kill)."""
    deadline = time.monotonic() + 10
    while any(r.status is None for r in proxy.requests) and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_killed_upload_resumes_with_the_segments_that_landed(
    local_swift: LocalSwift, seed: Seed, tmp_path: Path, container_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = os.urandom(SEGMENTS * SEG)
    write(tmp_path / "big.bin", data)
    monkeypatch.chdir(tmp_path)
    with FaultProxy(local_swift.proxy_url) as proxy:
        # slow segments, one at a time: the kill comes long before the end
        proxy.delay(0.3, method="PUT", path=rf"/{container_name}_segments/", times=None)
        options = {"auth": proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing",
                   "segment_threads": 1}
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
        child = subprocess.Popen(
            [sys.executable, "-c", UPLOADER, json.dumps(options), container_name, "big.bin",
             str(SEG)],
            stdout=subprocess.PIPE, text=True, cwd=tmp_path, env=env,
        )
        assert child.stdout is not None
        landed = [child.stdout.readline() for _ in range(4)]
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        assert all(line.strip().isdigit() for line in landed)
        proxy.clear_faults()
        settle(proxy)
        left = names_in(seed, f"{container_name}_segments")
        assert 4 <= len(left) < SEGMENTS
        assert seed.head(container_name, "big.bin").status_code == 404

        proxy.clear_requests()
        with Service(options) as svc:
            results = upload(svc, container_name, ["big.bin"], segment_size=SEG)
        sent = proxy.count(method="PUT", path=rf"/{container_name}_segments/")
    assert all_succeeded(results)
    reused = [r for r in of(results, "upload_segment") if r["reused"]]
    assert len(reused) == len(left)
    assert all(r["status"] == "skipped-identical" and r["attempts"] == 0 for r in reused)
    assert sent == SEGMENTS - len(left)
    assert one(results, "upload_object")["segments_reused"] == len(left)
    answer = seed.session.get(f"{seed.storage_url}/{container_name}/big.bin",
                              headers={"X-Auth-Token": seed.token}, timeout=60)
    assert answer.content == data


def test_a_leftover_segment_with_other_data_is_sent_again(
    swift_options: dict[str, str], seed: Seed, tmp_path: Path, container_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = os.urandom(3 * SEG)
    write(tmp_path / "big.bin", data)
    monkeypatch.chdir(tmp_path)
    with Service(swift_options) as svc:
        first = upload(svc, container_name, ["big.bin"], segment_size=SEG)
        assert all_succeeded(first)
        # corrupt one leftover segment (same name and size, other bytes)
        location = sorted(r["segment_location"] for r in of(first, "upload_segment"))[1]
        segment_container, name = location.lstrip("/").split("/", 1)
        seed.put(segment_container, name, b"\0" * SEG)
        results = upload(svc, container_name, ["big.bin"], segment_size=SEG)
    assert all_succeeded(results)
    reused = {r["segment_index"]: r["reused"] for r in of(results, "upload_segment")}
    assert reused == {0: True, 1: False, 2: True}
    answer = seed.session.get(f"{seed.storage_url}/{container_name}/big.bin",
                              headers={"X-Auth-Token": seed.token}, timeout=60)
    assert answer.content == data
