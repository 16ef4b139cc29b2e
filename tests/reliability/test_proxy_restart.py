"""The Swift proxy killed and started again while a tree with large files uploads."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _invariants import Checker, Run, SwiftView, run_and_check, tree_files

from swiftsvc import Service, UploadObject
from swiftsvc.results import Result
from swiftsvc.testing import LocalSwift

pytestmark = pytest.mark.timeout(180)

SEGMENT = 64 * 1024
SMALL_FILES = 200
LARGE_SIZES = (512 * 1024, 768 * 1024 + 17, 1024 * 1024)
KILL_AFTER = 20  # results seen before the proxy is killed
DOWN_FOR = 1.0  # seconds the proxy stays down (then its start-up takes ~1 s more)


def _tree(root: Path) -> dict[str, Path]:
    root.mkdir()
    for index in range(SMALL_FILES):
        (root / f"f{index:04d}").write_bytes(os.urandom(1024 + index))
    for index, size in enumerate(LARGE_SIZES):
        (root / f"big{index}").write_bytes(os.urandom(size))
    return tree_files(root)


@pytest.mark.slow
def test_proxy_killed_and_restarted_during_a_tree_upload(
    local_swift: LocalSwift, swift_options: dict[str, str], view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    sources = _tree(tmp_path / "tree")
    checker = Checker(view, container_name, expected=set(sources), sources=sources)
    options = {"segment_size": SEGMENT, "use_slo": True}
    # pool sizes are the Service's (a call may not change them: COMPAT.md §2)
    pools = {"object_uu_threads": 4, "segment_threads": 4}
    killed = threading.Event()

    def restart() -> None:
        time.sleep(DOWN_FOR)
        local_swift.start_proxy()

    def upload(svc: Service) -> Iterator[Result]:
        restarter = threading.Thread(target=restart, name="test-restarter")
        try:
            for count, result in enumerate(svc.upload(
                container_name, [UploadObject(str(tmp_path / "tree"), "tree")], options=options,
            ), start=1):
                yield result
                if count == KILL_AFTER and not killed.is_set():
                    killed.set()
                    local_swift.stop_proxy()
                    restarter.start()
        finally:
            if restarter.is_alive():
                restarter.join()

    def some_failed(faulted: Run) -> None:
        assert killed.is_set()
        uploaded = {r["object"] for r in faulted.of("upload_object") if r["success"]}
        # the kill came after some results, not before every object was sent
        assert uploaded and uploaded != set(sources), faulted.describe_failures()

    # one retry with a short backoff: most requests during the outage fail,
    # each with its one result; the re-run has the default retries
    _, again = run_and_check(
        checker, {**swift_options, **pools, "retries": 1, "starting_backoff": 0.1}, upload,
        clear_fault=lambda: local_swift.start_proxy(), between=some_failed,
        rerun_options={**swift_options, **pools},
    )
    assert len(again.of("upload_object")) == len(sources)
