"""Network faults under a whole upload or download call, checked with the invariants.

A small tree (five small files and one SLO of five 64 KiB segments) is uploaded
or downloaded through the fault proxy. Each scenario makes some requests fail
for good (that object must end with one failed result, nothing else lost) and
some only for a while (retried or resumed: success). Then the fault is cleared
and the same call is run again: it must finish the job (see _invariants.py).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from _invariants import (
    Checker,
    Run,
    SwiftView,
    Tmpfs,
    leftover_threads,
    run_and_check,
    run_call,
    tree_files,
)

from swiftsvc import Service, UploadObject
from swiftsvc.testing import FaultProxy
from swiftsvc.testing.faultproxy import Fault

pytestmark = pytest.mark.timeout(120)

SEGMENT = 64 * 1024
BIG = 5 * SEGMENT - 1000  # five segments, the last one short
LARGE_OPTIONS = {"segment_size": SEGMENT, "use_slo": True}
# retries fast enough that a storm "longer than the retries" lasts milliseconds
FAST = {"retries": 2, "starting_backoff": 0.01, "max_backoff": 0.05}
SEGMENT_PATH = r"_segments/tree/big0/slo/[^?]*/{index:08d}$"


def segment(index: int) -> str:
    return SEGMENT_PATH.format(index=index)


def obj(name: str) -> str:
    """The requests for object tree/<name> (downloads add ?multipart-manifest=get)."""
    return rf"/tree/{name}(\?|$)"


@dataclass(frozen=True)
class Scenario:
    """What is injected (``inject`` returns the faults), what must fail for good."""

    inject: Callable[[FaultProxy], list[Fault]]
    must_fail: frozenset[str]
    options: dict[str, Any] = field(default_factory=dict)
    # objects whose first answer must have been this status, then retried to success
    retried_after: tuple[int, frozenset[str]] | None = None


def _tree(root: Path) -> dict[str, Path]:
    root.mkdir()
    for index in range(5):
        (root / f"f{index:04d}").write_bytes(os.urandom(2048 + index))
    (root / "big0").write_bytes(os.urandom(BIG))
    return tree_files(root)


# ------------------------------------------------------------------ upload

UPLOADS = {
    "reset-before-headers": Scenario(
        lambda p: [
            p.reset_before_headers(method="PUT", path=r"/tree/f0001$", times=None),
            p.reset_before_headers(method="PUT", path=segment(2), times=1),
        ],
        frozenset({"tree/f0001"}),
    ),
    "reset-after-headers": Scenario(
        # the answer to a PUT is cut after its headers (the object landed); the
        # planner's listing of the container is cut every time
        lambda p: [
            p.reset_after_headers(method="PUT", path=r"/tree/f0002$", times=None),
            p.reset_after_headers(method="GET", path=r"format=json", times=None),
        ],
        frozenset(),
    ),
    "503-storm-on-an-object": Scenario(
        lambda p: [p.respond(503, method="PUT", path=r"/tree/f0003$", times=None)],
        frozenset({"tree/f0003"}),
    ),
    "503-storm-on-a-segment": Scenario(
        lambda p: [p.respond(503, method="PUT", path=segment(1), times=None)],
        frozenset({"tree/big0"}),
    ),
    "503-storm-on-the-manifest": Scenario(
        lambda p: [p.respond(503, method="PUT", path=r"/tree/big0\?multipart-manifest=put",
                             times=None)],
        frozenset({"tree/big0"}),
    ),
    "429-with-retry-after": Scenario(
        lambda p: [
            p.respond(429, headers={"Retry-After": "1"}, method="PUT", path=r"/tree/f0000$"),
            p.respond(429, headers={"Retry-After": "1"}, method="PUT", path=segment(3)),
        ],
        frozenset(),
        options={"max_backoff": 2.0},  # else Retry-After is capped at FAST's 0.05 s
        retried_after=(429, frozenset({"tree/f0000"})),
    ),
    "server-slower-than-the-timeout": Scenario(
        lambda p: [p.delay(2.0, method="PUT", path=r"/tree/f0004$", times=None)],
        frozenset({"tree/f0004"}),
        options={"timeout": 0.5},
    ),
}


@pytest.mark.parametrize("scenario", list(UPLOADS.values()), ids=list(UPLOADS))
def test_upload_under_faults(
    scenario: Scenario, proxied_options: dict[str, str], fault_proxy: FaultProxy,
    view: SwiftView, container_name: str, tmp_path: Path,
) -> None:
    sources = _tree(tmp_path / "tree")
    checker = Checker(view, container_name, expected=set(sources), sources=sources)
    faults = scenario.inject(fault_proxy)

    def upload(svc: Service) -> Any:
        return svc.upload(container_name, [UploadObject(str(tmp_path / "tree"), "tree")],
                          options=LARGE_OPTIONS)

    def failed_as_expected(faulted: Run) -> None:
        assert faulted.failed_objects() == scenario.must_fail, faulted.describe_failures()
        assert [f for f in faults if f.hits == 0] == []  # every fault was reached
        _check_segment_results(faulted)
        _check_retried(scenario, faulted)

    run_and_check(
        checker, {**proxied_options, **FAST, **scenario.options}, upload,
        clear_fault=fault_proxy.clear_faults, between=failed_as_expected,
    )


def _check_segment_results(run: Run) -> None:
    """A large object that succeeded has one successful result per segment; one
    that failed had every segment it sent deleted, each with its result."""
    [big] = [r for r in run.of("upload_object") if r["object"] == "tree/big0"]
    sent = sorted(r["segment_location"] for r in run.of("upload_segment") if r["success"])
    if big["success"]:
        assert len(sent) == 5
        return
    deleted = sorted(f"/{r['container']}/{r['object']}" for r in run.of("delete_segment")
                     if r["success"])
    assert sent and set(sent) <= set(deleted), (sent, deleted)


def _check_retried(scenario: Scenario, run: Run) -> None:
    """The objects hit by a temporary answer show it first in their history."""
    if scenario.retried_after is None:
        return
    status, names = scenario.retried_after
    for result in run.results:
        if result["action"] in ("upload_object", "download_object") and result["object"] in names:
            statuses = [d["status"] for d in result["response_dict"]["response_dicts"]]
            assert statuses[0] == status and len(statuses) == 2, (result["object"], statuses)


# ---------------------------------------------------------------- download

DOWNLOADS = {
    "reset-before-headers": Scenario(
        lambda p: [
            p.reset_before_headers(method="GET", path=obj("f0001"), times=None),
            p.reset_before_headers(method="GET", path=obj("f0002"), times=1),
        ],
        frozenset({"tree/f0001"}),
    ),
    "reset-after-headers": Scenario(
        lambda p: [
            p.reset_after_headers(method="GET", path=obj("big0"), times=None),
            p.reset_after_headers(method="GET", path=obj("f0002"), times=1),
        ],
        frozenset({"tree/big0"}),
    ),
    "503-storm": Scenario(
        lambda p: [p.respond(503, method="GET", path=obj("f0003"), times=None)],
        frozenset({"tree/f0003"}),
    ),
    "429-with-retry-after": Scenario(
        lambda p: [p.respond(429, headers={"Retry-After": "1"}, method="GET",
                             path=obj("f000[01]"), times=2)],
        frozenset(),
        options={"max_backoff": 2.0},
        retried_after=(429, frozenset({"tree/f0000", "tree/f0001"})),
    ),
    "truncated-bodies": Scenario(
        lambda p: [
            p.truncate_body(100_000, method="GET", path=obj("big0"), times=None),
            p.truncate_body(1000, method="GET", path=obj("f0000"), times=1),
        ],
        frozenset({"tree/big0"}),
    ),
    "server-slower-than-the-timeout": Scenario(
        lambda p: [
            p.delay(2.0, method="GET", path=obj("f0004"), times=None),
            p.delay_body(2.0, method="GET", path=obj("f0003"), times=None),
        ],
        frozenset({"tree/f0003", "tree/f0004"}),
        options={"timeout": 0.5},
    ),
}


@pytest.fixture
def uploaded(swift_options: dict[str, str], container_name: str,
             tmp_path: Path) -> dict[str, Path]:
    """The tree uploaded without faults; {object name: local source}."""
    sources = _tree(tmp_path / "tree")
    setup = run_call(swift_options, lambda svc: svc.upload(
        container_name, [UploadObject(str(tmp_path / "tree"), "tree")], options=LARGE_OPTIONS))
    assert setup.failed() == [], setup.describe_failures()
    return sources


@pytest.mark.parametrize("scenario", list(DOWNLOADS.values()), ids=list(DOWNLOADS))
def test_download_under_faults(
    scenario: Scenario, proxied_options: dict[str, str], fault_proxy: FaultProxy,
    view: SwiftView, container_name: str, uploaded: dict[str, Path], tmp_path: Path,
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    written = {name: out / name for name in uploaded}
    checker = Checker(view, container_name, expected=set(uploaded), sources=written,
                      local_dir=out)
    faults = scenario.inject(fault_proxy)

    def download(svc: Service) -> Any:
        return svc.download(container_name, options={"out_directory": str(out)})

    def failed_as_expected(faulted: Run) -> None:
        assert faulted.failed_objects() == scenario.must_fail, faulted.describe_failures()
        assert [f for f in faults if f.hits == 0] == []  # every fault was reached
        _check_retried(scenario, faulted)
        for name in uploaded:  # a failed download writes nothing
            assert (out / name).exists() == (name not in scenario.must_fail), name

    run_and_check(
        checker, {**proxied_options, **FAST, **scenario.options}, download,
        clear_fault=fault_proxy.clear_faults, between=failed_as_expected,
    )
    for name, path in uploaded.items():  # what was written is the right data
        assert written[name].read_bytes() == path.read_bytes()


def test_the_checker_sees_a_partial_file(
    view: SwiftView, container_name: str, tmp_path: Path,
) -> None:
    """The invariant checker itself: a leftover temporary file is caught."""
    (tmp_path / "obj.swiftsvc-part").write_bytes(b"half")
    checker = Checker(view, container_name, expected={"obj"}, local_dir=tmp_path)
    with pytest.raises(AssertionError, match="temporary files left"):
        checker.no_partial_files()


def test_the_checker_sees_duplicates_and_silent_orphans(
    view: SwiftView, container_name: str,
) -> None:
    """The invariant checker itself: two results for one object, and a segment
    no manifest references that no failed delete_segment result reported."""
    checker = Checker(view, container_name, expected={"a"})
    twice = Run([{"action": "upload_object", "object": "a", "success": True}] * 2, [], 0.0)
    with pytest.raises(AssertionError, match="more than one result"):
        checker.one_result_each(twice)
    view.put(container_name, "a", b"plain")
    view.put(f"{container_name}_segments", "a/slo/1/5/1/00000000", b"x")
    with pytest.raises(AssertionError, match="orphan segments nobody was told about"):
        checker.no_silent_orphans(Run([], [], 0.0))
    reported = {"action": "delete_segment", "success": False,
                "object": "a/slo/1/5/1/00000000", "error": OSError("down")}
    checker.no_silent_orphans(Run([reported], [], 0.0))


def test_the_checker_sees_a_thread_left_running() -> None:
    before = set(threading.enumerate())
    release = threading.Event()
    stuck = threading.Thread(target=release.wait, name="swiftsvc-stuck", daemon=True)
    stuck.start()
    try:
        assert leftover_threads(before, timeout=0.1) == ["swiftsvc-stuck"]
    finally:
        release.set()
        stuck.join()
    assert leftover_threads(before, timeout=0.1) == []


def test_download_to_a_full_disk(
    swift_options: dict[str, str], view: SwiftView, container_name: str, tmp_path: Path,
    small_disk: Tmpfs,
) -> None:
    root = tmp_path / "tree"
    root.mkdir()
    for index in range(6):  # 1.8 MiB for a 1 MiB disk
        (root / f"f{index}").write_bytes(os.urandom(300 * 1024))
    sources = tree_files(root)
    seeded = run_call(swift_options, lambda svc: svc.upload(
        container_name, [UploadObject(str(root), "tree")]))
    assert seeded.failed() == [], seeded.describe_failures()
    out = small_disk.path
    written = {name: out / name for name in sources}
    checker = Checker(view, container_name, expected=set(sources), sources=written,
                      local_dir=out)

    def full_disk(faulted: Run) -> None:
        failed = faulted.failed_objects()
        assert failed, "everything fitted on the small disk"
        for result in faulted.failed():
            assert isinstance(result["error"], OSError), repr(result["error"])
        for name in sources:  # a file is there whole, or not at all
            if name in failed:
                assert not written[name].exists(), name
            else:
                assert written[name].read_bytes() == sources[name].read_bytes(), name

    run_and_check(
        checker, swift_options,
        lambda svc: svc.download(container_name, options={"out_directory": str(out)}),
        clear_fault=lambda: small_disk.resize("8m"), between=full_disk,
    )
