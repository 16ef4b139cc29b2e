"""The Swift proxy killed and started again while a tree with large files moves.

Upload: straight to Swift. Download: through the fault proxy, whose bodies of
the large objects are held while the Swift proxy dies, so the kill lands in
the middle of each one.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _invariants import Checker, Run, SwiftView, run_and_check, run_call, tree_files

from swiftsvc import Service, UploadObject
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy, LocalSwift

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


# Large enough that a held body outgrows the loopback socket buffers (~4 MiB
# measured), so the killed Swift proxy cannot have handed over the whole of it;
# under 10 segments each, past which Swift rate-limits a large-object GET.
DOWNLOAD_SEGMENT = 1024 * 1024
DOWNLOAD_LARGE = {"big0": 8 * DOWNLOAD_SEGMENT, "big1": 7 * DOWNLOAD_SEGMENT + 4321,
                  "big2": 8 * DOWNLOAD_SEGMENT}
DLO = "big2"  # the others are SLOs
DOWNLOAD_SMALL = 30
HOLD = 3.0  # seconds each large body is held by the fault proxy, the kill inside
LARGE_GET = r"/tree/big\d$"


def _upload_segmented_tree(root: Path, container: str, options: dict[str, str]) -> list[str]:
    root.mkdir()
    for index in range(DOWNLOAD_SMALL):
        (root / f"f{index:04d}").write_bytes(os.urandom(2048 + index))
    for name, size in DOWNLOAD_LARGE.items():
        (root / name).write_bytes(os.urandom(size))
    objects = [
        UploadObject(str(path), f"tree/{path.name}",
                     options={"use_slo": path.name != DLO})
        for path in sorted(root.iterdir())
    ]
    setup = run_call(options, lambda svc: svc.upload(
        container, objects, options={"segment_size": DOWNLOAD_SEGMENT}))
    assert setup.failed() == [], setup.describe_failures()
    return [f"tree/{path.name}" for path in sorted(root.iterdir())]


def _held_large_gets(proxy: FaultProxy) -> int:
    """Large-object GETs whose headers were relayed and whose body is being held."""
    return sum(1 for r in proxy.requests
               if r.fault == "delay_body" and r.status is not None and not r.upstream_cut)


@pytest.mark.slow
def test_proxy_killed_and_restarted_during_a_segmented_download(
    local_swift: LocalSwift, swift_options: dict[str, str], proxied_options: dict[str, str],
    fault_proxy: FaultProxy, view: SwiftView, container_name: str, tmp_path: Path,
) -> None:
    names = _upload_segmented_tree(tmp_path / "tree", container_name, swift_options)
    large = {f"tree/{name}" for name in DOWNLOAD_LARGE}
    out = tmp_path / "out"
    out.mkdir()
    checker = Checker(view, container_name, expected=set(names),
                      sources={name: out / name for name in names}, local_dir=out)
    fault_proxy.delay_body(HOLD, method="GET", path=LARGE_GET, times=len(large))
    killed = threading.Event()

    def kill_once_every_large_body_is_held() -> None:
        deadline = time.monotonic() + 60
        while _held_large_gets(fault_proxy) < len(large):
            assert time.monotonic() < deadline, f"large GETs never held: {fault_proxy.requests}"
            time.sleep(0.02)
        local_swift.stop_proxy()
        killed.set()

    def objects(svc: Service) -> Iterator[Result]:
        # named, so that no container listing has to meet the outage
        return svc.download(container_name, names, options={"out_directory": str(out)})

    def download(svc: Service) -> Iterator[Result]:
        if killed.is_set():  # the re-run: nothing to kill
            yield from objects(svc)
            return
        killer = threading.Thread(target=kill_once_every_large_body_is_held,
                                  name="test-killer")
        killer.start()
        try:
            seen: set[str] = set()
            for result in objects(svc):
                yield result
                seen.add(result["object"])
                # restart once every large object has its result: until then the
                # proxy stays down, so each of them meets the cut and the outage
                if large <= seen and killed.is_set() and not local_swift.pids.get("proxy"):
                    local_swift.start_proxy()
        finally:
            killer.join()

    def cut_and_reported(faulted: Run) -> None:
        assert killed.is_set()
        cut = {r.path.rpartition("/tree/")[2] for r in fault_proxy.requests if r.upstream_cut}
        # every held body was cut by the kill, and the client was shown the cut
        assert {f"tree/{name}" for name in cut} == large, fault_proxy.requests
        outcome = {r["object"]: r for r in faulted.of("download_object")}
        for name in large:
            # its resumes met the stopped proxy: one failed result, nothing written
            assert not outcome[name]["success"], name
            assert not (out / name).exists(), name

    def restarted() -> None:
        if not local_swift.pids.get("proxy"):
            local_swift.start_proxy()

    # one retry with a short backoff, as the upload variant; the re-run has the defaults
    _, again = run_and_check(
        checker,
        {**proxied_options, "retries": 1, "starting_backoff": 0.1, "object_dd_threads": 4},
        download,
        clear_fault=restarted,
        between=cut_and_reported, rerun_options=proxied_options,
    )
    assert {r["object"] for r in again.of("download_object")} == set(names)
