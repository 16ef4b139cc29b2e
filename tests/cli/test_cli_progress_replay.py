"""The progress bar, replayed from event sequences recorded on real runs.

``data/*.jsonl`` hold what a Service published during real uploads and
downloads against the local Swift (``record_progress.py`` makes them: one
big file walked first among 400 small ones, the same re-run with every file
skipped, a download driven by the listing, a segmented file walked last,
and a slow upload with refused PUTs). Each is replayed frame by frame, as
the live bar draws it, and what a person reads is checked: the percentage
never goes backwards, none is shown while the walk is still counting, 100%
means every item finished, the file counts add up, and an ETA appears only
once it means something. A fresh run is recorded and checked the same way,
so the stored sequences cannot drift away from what the library publishes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from progress_recordings import Frame, Recorder, Recording, final_line, recordings, replay

from swiftsvc import Service
from swiftsvc.cli.progress import ETA_MIN_SECONDS, human_bytes
from swiftsvc.events import EventKind

RECORDED = recordings()
COUNTS = re.compile(r"(\d+)/(\d+)(\+?) (files|objects)")


def _counts(frame: Frame) -> tuple[int, int, bool]:
    match = COUNTS.search(frame.line)
    assert match is not None, frame.line
    return int(match.group(1)), int(match.group(2)), match.group(3) == "+"


def test_the_recordings_are_there() -> None:
    assert {r.name for r in RECORDED} >= {
        "upload_big_first", "upload_skip_identical", "download_tree",
        "upload_segmented_big_last", "upload_slow_with_failures",
    }  # fmt: skip
    for recording in RECORDED:
        kinds = {event.kind for event in recording.events}
        assert EventKind.PLANNED in kinds and EventKind.DONE in kinds, recording.name


def check_never_backwards(recording: Recording) -> None:
    shown = [frame.percent for frame in replay(recording) if frame.percent is not None]
    assert shown, f"{recording.name}: no percentage ever shown"
    assert shown == sorted(shown), f"{recording.name}: {shown}"
    assert shown[-1] == 100


def check_nothing_promised_while_counting(recording: Recording) -> None:
    for frame in replay(recording):
        if frame.planned:
            continue
        assert frame.percent is None and frame.eta is None, frame.line
        assert "(counting)" in frame.line and _counts(frame)[2], frame.line


def check_hundred_percent_means_finished(recording: Recording) -> None:
    for frame in replay(recording):
        done, found, counting = _counts(frame)
        if frame.percent == 100:
            assert done == found and not counting, frame.line
        if done < found:
            assert "100%" not in frame.line, frame.line


def check_counts_add_up(recording: Recording) -> None:
    frames = list(replay(recording))
    counts = [_counts(frame) for frame in frames]
    dones = [done for done, _, _ in counts]
    founds = [found for _, found, _ in counts]
    assert dones == sorted(dones) and founds == sorted(founds)
    assert all(done <= found for done, found, _ in counts)
    files = recording.header["files"]
    assert counts[-1] == (files, files, False)
    last = frames[-1].snapshot
    assert last.bytes_done == recording.header["bytes"]
    assert (last.failed, last.not_started) == (recording.header["failed"], 0)
    summary = final_line(recording)
    assert summary.startswith(f"{files}/{files} ")
    assert human_bytes(recording.header["bytes"]) in summary
    failed = recording.header["failed"]
    assert (f"{failed} failed" in summary) == bool(failed)


def check_eta_only_when_it_means_something(recording: Recording) -> None:
    end = recording.events[-1].seconds
    for frame in replay(recording):
        if frame.eta is None:
            continue
        assert frame.planned, frame.line
        assert frame.first_progress is not None
        assert frame.seconds - frame.first_progress >= ETA_MIN_SECONDS, frame.line
        # recorded times, so not a timed assertion: no "1:01:23" for a few seconds left
        assert frame.eta <= 3 * (end - frame.seconds) + 2, (frame.line, end - frame.seconds)


CHECKS = [
    check_never_backwards,
    check_nothing_promised_while_counting,
    check_hundred_percent_means_finished,
    check_counts_add_up,
    check_eta_only_when_it_means_something,
]


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
@pytest.mark.parametrize("recording", RECORDED, ids=lambda recording: recording.name)
def test_recorded_runs(recording: Recording, check: object) -> None:
    assert callable(check)
    check(recording)


def test_a_big_file_done_first_is_not_called_100_percent() -> None:
    # the case people saw: "100%" while hundreds of small files were left
    (recording,) = [r for r in RECORDED if r.name == "upload_big_first"]
    big_done = [f for f in replay(recording) if f.snapshot.bytes_done >= 32 << 20]
    assert big_done and _counts(big_done[0])[0] < 100
    assert big_done[0].percent is None  # still counting: no percentage at all


def test_an_eta_appears_on_a_long_enough_run() -> None:
    # the check above must not pass by never showing one
    (recording,) = [r for r in RECORDED if r.name == "upload_slow_with_failures"]
    assert any(frame.eta is not None for frame in replay(recording))
    (short,) = [r for r in RECORDED if r.name == "upload_segmented_big_last"]
    assert all(frame.eta is None for frame in replay(short))  # under 2 s: never


# ------------------------------------------------------------ a fresh run


@pytest.fixture
def tree(tmp_path: Path) -> Iterator[Path]:
    root = tmp_path / "tree"
    root.mkdir()
    (root / "0-big.bin").write_bytes(os.urandom(8 << 20))
    for index in range(120):
        (root / f"f{index:03d}").write_bytes(os.urandom(1024))
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        yield root
    finally:
        os.chdir(cwd)


def test_a_fresh_run_behaves_as_the_recorded_ones(
    swift_options: dict[str, str], container_name: str, tree: Path
) -> None:
    recorder = Recorder()
    with Service(swift_options) as svc:
        results = list(svc.upload(container_name, ["tree"], progress=recorder))
        try:
            assert all(r["success"] for r in results)
        finally:
            for _ in svc.delete(container_name):
                pass
    recording = recorder.recording(files=121, failed=0, bytes=(8 << 20) + 120 * 1024)
    kinds = [event.kind for event in recording.events]
    assert kinds.count(EventKind.PLANNED) == 1
    # every QUEUED comes before PLANNED: the totals are final from there on
    assert EventKind.QUEUED not in kinds[kinds.index(EventKind.PLANNED):]
    for check in CHECKS:
        if check is not check_eta_only_when_it_means_something:  # live timing: not checked
            check(recording)
