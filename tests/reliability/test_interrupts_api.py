"""An interrupt by the user keeps what landed; a failure cleans up (issue 20 item 3).

Through the API, on the real local Swift behind the fault proxy: a segmented
upload whose first :data:`LANDED` segments land and whose others are held
by the proxy, stopped by ``Service.cancel()`` or by closing the results.
The landed segments stay in the segment container, named by the failed
``upload_object`` result's ``segment_results`` (no clean-up is tried, so no
failed ``delete_segment`` either), and the same upload again reuses them,
sending only the others. A failure, by contrast (a segment the server
refuses, or fail_fast after another object failed), deletes what the upload
sent: no orphan.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Generator, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
from _invariants import Checker, Run, SwiftView, leftover_threads, run_call, tree_files

from swiftsvc import Service, UploadObject
from swiftsvc.errors import Cancelled
from swiftsvc.testing import FaultProxy

pytestmark = [pytest.mark.timeout(120), pytest.mark.slow]

SEGMENT = 64 * 1024
SEGMENTS = 12
LANDED = 4  # segments 0-3 land; the proxy holds the others
STALL = 600.0
HELD = r"_segments/tree/big/slo/.*/000000(0[4-9]|1\d)$"

Result = Mapping[str, Any]


def _tree(root: Path) -> dict[str, Path]:
    root.mkdir()
    (root / "big").write_bytes(os.urandom(SEGMENTS * SEGMENT - 500))
    (root / "small").write_bytes(os.urandom(3000))
    return tree_files(root)


def _upload(svc: Service, tmp_path: Path, container: str,
            **options: Any) -> Generator[Any, None, None]:
    return svc.upload(container, [UploadObject(str(tmp_path / "tree"), "tree")],
                      options={"segment_size": SEGMENT, "use_slo": True, **options})


def _options(proxied_options: dict[str, str], **more: Any) -> dict[str, Any]:
    return {**proxied_options, "segment_threads": 2, **more}


def _interrupted_run(
    options: dict[str, Any], tmp_path: Path, container: str, fault_proxy: FaultProxy,
    *, close: bool,
) -> Run:
    """The upload, stopped once LANDED segments landed and a held one is waiting:
    ``Service.cancel()`` (then every result read), or the results closed."""
    held = fault_proxy.delay(STALL, method="PUT", path=HELD, times=None)
    before = threading.enumerate()
    started = time.monotonic()
    results: list[Result] = []
    with Service(options) as svc:
        stream = _upload(svc, tmp_path, container)
        for result in stream:
            results.append(result)
            landed = [r for r in results if r["action"] == "upload_segment" and r["success"]]
            if len(landed) == LANDED:
                deadline = time.monotonic() + 30
                while held.hits == 0:  # the next segment is on its way
                    assert time.monotonic() < deadline, "no segment was held"
                    time.sleep(0.02)
                if close:
                    stream.close()
                    # the job goes on in the background (its held request cut);
                    # with one object thread, a next upload's job runs once it is
                    # over: then whatever it would delete is deleted
                    after = svc.upload(container, [UploadObject(str(tmp_path / "tree" / "small"),
                                                                "after-close")])
                    assert all(r["success"] for r in after)
                    break
                svc.cancel()
    return Run(results, leftover_threads(before), time.monotonic() - started)


def _segment_names(results: Iterable[Result], segments: str, *, reused: bool = False) -> set[str]:
    return {r["segment_location"].partition(f"/{segments}/")[2] for r in results
            if r["action"] == "upload_segment" and r["success"]
            and (not reused or r["reused"])}


def _resumes(view: SwiftView, checker: Checker, fault_proxy: FaultProxy,
             options: dict[str, Any], tmp_path: Path, container: str,
             kept: set[str]) -> None:
    """The same upload again reuses every kept segment and sends only the others."""
    fault_proxy.clear_faults()
    fault_proxy.clear_requests()
    again = run_call(options, lambda svc: _upload(svc, tmp_path, container))
    checker.check_finished(again)
    segments = f"{container}_segments"
    assert _segment_names(again.results, segments, reused=True) == kept
    sent = fault_proxy.count(method="PUT", path=r"_segments/tree/big/")
    assert sent == SEGMENTS - len(kept)
    print(f"\nkept {len(kept)} segments; the re-run reused them and sent {sent}")


def test_service_cancel_keeps_the_landed_segments_and_the_rerun_reuses_them(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = _tree(tmp_path / "tree")
    checker = Checker(view, container_name, expected=set(files), sources=files)
    segments = f"{container_name}_segments"
    run = _interrupted_run(_options(proxied_options), tmp_path, container_name, fault_proxy,
                           close=False)
    checker.check(run)  # one result each, no orphan that is not listed, no thread left
    # no clean-up was tried: no delete_segment at all (was: failed ones, "Cancelled")
    assert run.of("delete_segment") == []
    big = next(r for r in run.of("upload_object") if r["object"] == "tree/big")
    assert not big["success"]
    assert isinstance(big["error"].exception, Cancelled), repr(big["error"])
    assert f"the {LANDED} segments that landed are kept in {segments}" in str(big["error"])
    listed = _segment_names(big["segment_results"], segments)
    kept = set(view.names(segments))
    assert listed == kept and len(kept) == LANDED  # what landed is there, and said so
    _resumes(view, checker, fault_proxy, _options(proxied_options), tmp_path, container_name, kept)


def test_closing_the_results_keeps_the_landed_segments_and_the_rerun_reuses_them(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = _tree(tmp_path / "tree")
    checker = Checker(view, container_name, expected=set(files), sources=files)
    segments = f"{container_name}_segments"
    # retries=0: the request the close cuts is not sent again (to be held again)
    run = _interrupted_run(_options(proxied_options, object_uu_threads=1, retries=0), tmp_path,
                           container_name, fault_proxy, close=True)
    assert run.leftover_threads == []
    # the job finished in the background, after the close: it deleted nothing
    kept = set(view.names(segments))
    assert kept == _segment_names(run.results, segments) and len(kept) == LANDED
    _resumes(view, checker, fault_proxy, _options(proxied_options), tmp_path, container_name, kept)


def test_a_refused_segment_cleans_up_what_the_upload_sent(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = _tree(tmp_path / "tree")
    checker = Checker(view, container_name, expected=set(files), sources=files)
    segments = f"{container_name}_segments"
    fault_proxy.respond(503, method="PUT", path=r"_segments/tree/big/slo/.*/00000005$",
                        times=None)
    run = run_call(_options(proxied_options, retries=1),
                   lambda svc: _upload(svc, tmp_path, container_name))
    checker.check(run)
    big = next(r for r in run.of("upload_object") if r["object"] == "tree/big")
    assert not big["success"] and "kept in" not in str(big["error"])
    deleted = run.of("delete_segment")
    assert deleted and all(r["success"] for r in deleted), run.describe_failures()
    assert view.names(segments) == []  # a failure is not resumed: nothing orphaned
    fault_proxy.clear_faults()
    checker.check_finished(run_call(_options(proxied_options),
                                    lambda svc: _upload(svc, tmp_path, container_name)))


def test_fail_fast_after_another_failure_cleans_up_the_large_upload(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = _tree(tmp_path / "tree")
    checker = Checker(view, container_name, expected=set(files), sources=files)
    segments = f"{container_name}_segments"
    # big's segments take a while; small fails at once, and fail_fast cancels the
    # call: a cancel caused by a failure, so big cleans up rather than keeping
    fault_proxy.delay(0.5, method="PUT", path=r"_segments/tree/big/", times=None)
    fault_proxy.respond(503, method="PUT", path=r"/tree/small$", times=None)
    run = run_call(_options(proxied_options, retries=0),
                   lambda svc: _upload(svc, tmp_path, container_name, fail_fast=True))
    checker.check(run)
    big = next(r for r in run.of("upload_object") if r["object"] == "tree/big")
    assert not big["success"] and "kept in" not in str(big["error"])
    assert view.names(segments) == []
