"""A server that stalls: the default timeouts end the call, and cancelling ends it at once.

Issue 16 items 1 and 2. The stalls are real: the fault proxy in front of the
real Swift relays an answer's headers and then holds its body
(``delay_body``), or holds a PUT before reading its body (``delay``): the
client's send fills the socket buffers of a 48 MiB body and blocks, and a
1 MiB segment's PUT waits for an answer that does not come. Nothing is
shortened for the cancel scenarios (default retries and timeouts): only the
cancel can end them within seconds. Each scenario is checked by the
invariant checker (tests/reliability/_invariants.py), then re-run with the
fault cleared.
"""

from __future__ import annotations

import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from _invariants import Checker, Run, SwiftView, leftover_threads, run_call, tree_files

from swiftsvc import Service, UploadObject
from swiftsvc.errors import Cancelled
from swiftsvc.http.transport import CONNECT_TIMEOUT, IDLE_TIMEOUT
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy

pytestmark = pytest.mark.timeout(300)

# issue 16: "cancel with a stalled worker returns within 2 s with no thread left"
STOP_BOUND = 2.0
# how long a worker is left blocked before it is stopped: well inside recv/send
BLOCKED_FOR = 0.5
# longer than any scenario: only a timeout or a cancel ends these stalls
STALL = 600.0
STALLED_UPLOAD = 32 << 20  # more than the socket buffers of both ends

Call = Callable[[Service], Iterator[Result]]


def _small_tree(root: Path, count: int = 4) -> dict[str, Path]:
    root.mkdir(parents=True)
    for index in range(count):
        (root / f"f{index}").write_bytes(os.urandom(2000 + index))
    return tree_files(root)


def _seed(options: Mapping[str, Any], container: str, files: dict[str, Path]) -> None:
    seeded = run_call(options, lambda svc: svc.upload(
        container, [UploadObject(str(path), name) for name, path in files.items()]))
    assert seeded.failed() == [], seeded.describe_failures()


def _once_blocked(fault_hit: Callable[[], bool], stop: Callable[[], None]) -> list[float]:
    """In another thread: once ``fault_hit()``, wait until the worker is
    blocked on its socket, note the time and ``stop()``; returns [that time]."""
    when: list[float] = []

    def watch() -> None:
        deadline = time.monotonic() + 60
        while not fault_hit() and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(BLOCKED_FOR)
        when.append(time.monotonic())
        stop()

    threading.Thread(target=watch, name="test-canceller", daemon=True).start()
    return when


def _cancelled_run(options: Mapping[str, Any], call: Call,
                   fault_hit: Callable[[], bool]) -> tuple[Run, float]:
    """``call`` on a fresh Service, ``Service.cancel()`` from another thread once
    a worker is stalled; (the run, seconds from the cancel until the results
    ended, the Service was closed and its threads were gone)."""
    before = set(threading.enumerate())
    started = time.monotonic()
    with Service(options) as svc:
        cancelled_at = _once_blocked(fault_hit, svc.cancel)
        results = list(call(svc))
    leftovers = leftover_threads(before, timeout=STOP_BOUND)
    ended = time.monotonic()
    assert cancelled_at, "the stall never happened"
    return Run(results, leftovers, ended - started), ended - cancelled_at[0]


def _assert_cancelled(run: Run, stalled: set[str]) -> None:
    failed = {r["object"] for r in run.failed() if r["action"] in ("upload_object",
                                                                      "download_object")}
    assert failed == stalled, run.describe_failures()
    for result in run.failed():
        if result["action"] in ("upload_object", "download_object"):
            error = result["error"]
            assert isinstance(error, Cancelled) or isinstance(
                getattr(error, "exception", None), Cancelled), repr(error)


# --------------------------------------------------------------- item 2: cancel


@pytest.mark.slow
def test_cancel_reaches_a_stalled_download(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = _small_tree(tmp_path / "src" / "tree")
    stalled = tmp_path / "src" / "tree" / "stalled"
    stalled.write_bytes(os.urandom(1 << 20))
    files["tree/stalled"] = stalled
    _seed(proxied_options, container_name, files)
    out = tmp_path / "out"
    checker = Checker(view, container_name, expected=set(files),
                      sources={name: out / name for name in files}, local_dir=out)
    fault = fault_proxy.delay_body(STALL, method="GET", path=r"/tree/stalled", times=None)

    def call(svc: Service) -> Iterator[Result]:
        return svc.download(container_name, options={"out_directory": str(out)})

    run, stop_seconds = _cancelled_run(proxied_options, call, lambda: fault.hits > 0)
    checker.check(run)  # one result each, no partial file, no thread left
    _assert_cancelled(run, {"tree/stalled"})
    assert not (out / "tree" / "stalled").exists()
    assert stop_seconds < STOP_BOUND, stop_seconds
    print(f"\nstalled download: cancel to threads gone {stop_seconds:.3f} s")

    fault_proxy.clear_faults()
    again = run_call(proxied_options, call)
    checker.check_finished(again)


@pytest.mark.slow
def test_cancel_reaches_a_stalled_upload_and_a_stalled_segment(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    _small_tree(tmp_path / "tree")
    (tmp_path / "tree" / "stalled").write_bytes(os.urandom(2000))
    (tmp_path / "tree" / "big").write_bytes(os.urandom(2 * STALLED_UPLOAD - 1000))
    files = tree_files(tmp_path / "tree")
    checker = Checker(view, container_name, expected=set(files), sources=files)
    # a small upload waits for an answer that does not come; the large one's
    # second segment blocks sending its body (the first lands)
    answer = fault_proxy.delay(STALL, method="PUT", path=r"/tree/stalled$", times=None)
    body = fault_proxy.delay(STALL, method="PUT", path=r"/tree/big/slo/.*/00000001$",
                             times=None)

    def call(svc: Service) -> Iterator[Result]:
        return svc.upload(container_name, [UploadObject(str(tmp_path / "tree"), "tree")],
                          options={"segment_size": STALLED_UPLOAD, "use_slo": True})

    def stalled_and_the_rest_landed() -> bool:
        # cancel once nothing but the two stalls is in flight, so the results say
        # exactly which were cut
        landed = [r for r in fault_proxy.requests if r.method == "PUT" and r.status == 201
                  and re.search(r"/tree/(f\d|big/slo/.*/00000000)$", r.path)]
        return body.hits > 0 and answer.hits > 0 and len(landed) == 5

    run, stop_seconds = _cancelled_run(proxied_options, call, stalled_and_the_rest_landed)
    checker.check(run)  # the landed segment is kept for the resume, listed in the result
    _assert_cancelled(run, {"tree/stalled", "tree/big"})
    assert stop_seconds < STOP_BOUND, stop_seconds
    print(f"\nstalled upload and segment: cancel to threads gone {stop_seconds:.3f} s")

    fault_proxy.clear_faults()
    again = run_call(proxied_options, call)
    checker.check_finished(again)  # and the segments that landed were reused, not orphaned


@pytest.mark.slow
def test_closing_the_results_ends_a_stalled_download_and_leaving_with_stops_it(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = _small_tree(tmp_path / "src" / "tree")
    stalled = tmp_path / "src" / "tree" / "stalled"
    stalled.write_bytes(os.urandom(1 << 20))
    files["tree/stalled"] = stalled
    _seed(proxied_options, container_name, files)
    out = tmp_path / "out"
    fault = fault_proxy.delay_body(STALL, method="GET", path=r"/tree/stalled", times=None)

    before = set(threading.enumerate())
    results: list[Result] = []
    with Service(proxied_options) as svc:
        stream = svc.download(container_name, options={"out_directory": str(out)})
        for result in stream:
            results.append(result)
            if len(results) == len(files) - 1:
                break  # everything but the stalled one
        deadline = time.monotonic() + 30
        while fault.hits == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(BLOCKED_FOR)
        started = time.monotonic()
        stream.close()
        closed = time.monotonic() - started
    left = time.monotonic() - started
    leftovers = leftover_threads(before, timeout=STOP_BOUND)
    gone = time.monotonic() - started
    assert closed < STOP_BOUND and left < STOP_BOUND and gone < STOP_BOUND, (closed, left, gone)
    print(f"\nclosing the results {closed:.3f} s, then leaving with {left:.3f} s, "
          f"threads gone {gone:.3f} s")
    # the stalled object is the one the caller gave up on by closing the results
    checker = Checker(view, container_name, expected=set(files) - {"tree/stalled"},
                      sources={name: out / name for name in files}, local_dir=out)
    checker.check(Run(results, leftovers, gone))
    assert all(r["success"] for r in results)

    fault_proxy.clear_faults()
    checker.expected = set(files)
    again = run_call(proxied_options, lambda svc: svc.download(
        container_name, options={"out_directory": str(out)}))
    checker.check_finished(again)


@pytest.mark.slow
def test_leaving_the_with_block_ends_a_stalled_upload(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = _small_tree(tmp_path / "tree")
    (tmp_path / "tree" / "stalled").write_bytes(os.urandom(STALLED_UPLOAD))
    files = tree_files(tmp_path / "tree")
    fault = fault_proxy.delay(STALL, method="PUT", path=r"/tree/stalled$", times=None)

    before = set(threading.enumerate())
    results: list[Result] = []
    with Service(proxied_options) as svc:
        for result in svc.upload(container_name, [UploadObject(str(tmp_path / "tree"), "tree")]):
            results.append(result)
            if sum(r["action"] == "upload_object" for r in results) == len(files) - 1:
                break  # the stalled one is all that is left
        deadline = time.monotonic() + 30
        while fault.hits == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        time.sleep(BLOCKED_FOR)
        started = time.monotonic()
    left = time.monotonic() - started  # close(): cancel, cut, join
    leftovers = leftover_threads(before, timeout=STOP_BOUND)
    assert left < STOP_BOUND, left
    assert leftovers == [], leftovers
    print(f"\nleaving with during a stalled upload: {left:.3f} s")
    checker = Checker(view, container_name, expected=set(files) - {"tree/stalled"},
                      sources=files)
    checker.check(Run(results, leftovers, left))
    assert "stalled" not in view.names(container_name)

    fault_proxy.clear_faults()
    checker.expected = set(files)
    again = run_call(proxied_options, lambda svc: svc.upload(
        container_name, [UploadObject(str(tmp_path / "tree"), "tree")]))
    checker.check_finished(again)


@pytest.mark.slow
def test_cancel_reaches_a_listing_stalled_in_the_calling_thread(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, container_name: str,
    tmp_path: Path,
) -> None:
    files = _small_tree(tmp_path / "tree")
    _seed(proxied_options, container_name, files)
    # the listing's first page is read by the calling thread, not a worker
    fault = fault_proxy.delay_body(STALL, method="GET", path=rf"/{container_name}\?",
                                   times=None)
    before = set(threading.enumerate())
    with Service(proxied_options) as svc:
        cancelled_at = _once_blocked(lambda: fault.hits > 0, svc.cancel)
        with pytest.raises(Cancelled):
            list(svc.list(container_name))
        stopped = time.monotonic() - cancelled_at[0]
        # a cancel stops the calls in progress, not the Service
        fault_proxy.clear_faults()
        pages = list(svc.list(container_name))
    assert stopped < STOP_BOUND, stopped
    print(f"\nstalled listing in the calling thread: cancel to Cancelled {stopped:.3f} s")
    assert [item["name"] for page in pages for item in page["listing"]] == sorted(files)
    assert leftover_threads(before, timeout=STOP_BOUND) == []


# -------------------------------------------------- item 1: no hang by default


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_stalled_servers_end_the_call_within_the_default_idle_timeout(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    """A download whose body stalls and an upload the server stops reading,
    with the default timeouts (``timeout`` not given): each try ends after
    IDLE_TIMEOUT seconds without a byte moving. ``retries=0`` only keeps the
    test to one try (with the default 5 the bound is 6 tries plus backoff)."""
    files = _small_tree(tmp_path / "src" / "tree", count=2)
    stalled = tmp_path / "src" / "tree" / "stalled-get"
    stalled.write_bytes(os.urandom(1 << 20))
    files["tree/stalled-get"] = stalled
    _seed(proxied_options, container_name, files)
    upload_file = tmp_path / "up" / "stalled-put"
    upload_file.parent.mkdir()
    upload_file.write_bytes(os.urandom(STALLED_UPLOAD))
    out = tmp_path / "out"
    fault_proxy.delay_body(STALL, method="GET", path=r"/tree/stalled-get", times=None)
    fault_proxy.delay(STALL, method="PUT", path=r"/up/stalled-put$", times=None)
    options = {**proxied_options, "retries": 0}
    assert "timeout" not in options

    download_checker = Checker(view, container_name, expected={"tree/stalled-get"},
                               sources={"tree/stalled-get": out / "tree" / "stalled-get"},
                               local_dir=out)
    upload_checker = Checker(view, container_name, expected={"up/stalled-put"},
                             sources={"up/stalled-put": upload_file})

    def download(svc: Service) -> Iterator[Result]:
        return svc.download(container_name, ["tree/stalled-get"],
                            options={"out_directory": str(out)})

    def upload(svc: Service) -> Iterator[Result]:
        return svc.upload(container_name, [UploadObject(str(upload_file), "up/stalled-put")])

    runs: dict[str, Run] = {}
    threads = [threading.Thread(target=lambda n=name, c=call: runs.__setitem__(n, run_call(
        options, c))) for name, call in (("download", download), ("upload", upload))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(IDLE_TIMEOUT * 3)
    for name in ("download", "upload"):
        run = runs[name]
        # one idle timeout (plus the connect and set-up time, and a loaded machine)
        assert IDLE_TIMEOUT - 1 <= run.seconds <= IDLE_TIMEOUT + CONNECT_TIMEOUT, (name,
                                                                                   run.seconds)
        assert len(run.failed()) == 1, run.describe_failures()
        assert "timed out" in str(run.failed()[0]["error"]).lower(), run.describe_failures()
        print(f"\nstalled {name}, default timeouts, one try: failed after {run.seconds:.1f} s")
    download_checker.check(runs["download"])
    upload_checker.check(runs["upload"])
    assert "up/stalled-put" not in view.names(container_name)

    fault_proxy.clear_faults()
    download_checker.check_finished(run_call(proxied_options, download))
    upload_checker.check_finished(run_call(proxied_options, upload))
