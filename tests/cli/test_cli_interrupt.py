"""swiftsvc.cli.interrupt: the summary after Ctrl-C, from recorded events and results.

Through the real command against the real Swift: tests/cli/test_cli_interactive.py
(unwalked files counted) and tests/reliability/test_interrupts.py (a segmented
upload: what was sent and kept, and the re-run).
"""

from __future__ import annotations

import argparse
import io
import threading
from collections.abc import Iterator
from pathlib import Path

from swiftsvc.cli.interrupt import (
    WalkCount,
    count_items,
    not_walked,
    summary_lines,
    upload_items_of,
)
from swiftsvc.cli.output import Output, upload_line
from swiftsvc.cli.progress import ProgressState
from swiftsvc.events import Event, EventKind

MIB = 1 << 20


def _output() -> Output:
    return Output(stdout=io.StringIO(), stderr=io.StringIO(), json_lines=True)


def _segment(index: int, *, reused: bool = False, success: bool = True) -> dict[str, object]:
    return {"action": "upload_segment", "success": success, "for_container": "c",
            "for_object": "big", "segment_index": index, "segment_size": 4 * MIB,
            "segment_location": f"/c_segments/big/slo/1/40/4/{index:08d}", "reused": reused}


def test_an_object_with_bytes_sent_is_in_progress_not_unstarted() -> None:
    state = ProgressState()
    out = _output()
    state(Event(EventKind.QUEUED, "upload_object", "c", "small", 100))
    state(Event(EventKind.QUEUED, "upload_object", "c", "big", 40 * MIB))
    state(Event(EventKind.QUEUED, "upload_object", "c", "later", 100))
    state(Event(EventKind.BYTES, "upload_object", "c", "small", 100))
    state(Event(EventKind.DONE, "upload_object", "c", "small"))
    out.result({"action": "upload_object", "success": True, "container": "c",
                "object": "small"})
    for index in range(3):
        state(Event(EventKind.BYTES, "upload_segment", "c", "big", 4 * MIB, index))
        out.result(_segment(index, reused=index == 0))
    state(Event(EventKind.BYTES, "upload_segment", "c", "big", MIB, 3))  # cut midway
    snapshot = state.snapshot()
    assert snapshot.not_started == 1  # "later"; "big" is in progress
    lines = summary_lines(snapshot, out, WalkCount(0, True))
    assert lines == [
        "interrupted: 1 done, 0 failed, 1 not started, 1 in progress "
        "(13.0 MiB of 40.0 MiB sent)",
        "  big: 13.0 MiB of 40.0 MiB sent; at least 3 segments (12.0 MiB, 1 reused) "
        "kept in c_segments",
        "the same command again reuses the kept segments",
    ]


def test_a_finished_object_forgets_its_segments_and_a_plain_upload_keeps_nothing() -> None:
    state = ProgressState()
    out = _output()
    for name in ("big", "plain"):
        state(Event(EventKind.QUEUED, "upload_object", "c", name, 8 * MIB))
    out.result(_segment(0))
    out.result({"action": "upload_object", "success": False, "container": "c",
                "object": "big", "error": RuntimeError("x")})
    state(Event(EventKind.FAILED, "upload_object", "c", "big"))
    state(Event(EventKind.BYTES, "upload_object", "c", "plain", 2 * MIB))
    assert out.landed == {}
    lines = summary_lines(state.snapshot(), out, WalkCount(5, False))
    assert lines[0] == ("interrupted: 0 done, 1 failed, at least 5 not started, "
                        "1 in progress (2.0 MiB of 8.0 MiB sent)")
    assert lines[1:] == ["  plain: 2.0 MiB of 8.0 MiB sent; nothing kept, "
                         "the same command sends it again"]


def test_a_stream_keeps_nothing_and_a_download_says_received() -> None:
    state = ProgressState()
    out = _output()
    state(Event(EventKind.QUEUED, "upload_object", "c", "big", 0))
    state(Event(EventKind.BYTES, "upload_segment", "c", "big", 4 * MIB, 0))
    out.result(_segment(0))
    assert summary_lines(state.snapshot(), out, WalkCount(0, True), stream=True)[1] == (
        "  big: 4.0 MiB sent; nothing kept, the same command sends it again")
    state = ProgressState()
    state(Event(EventKind.QUEUED, "download_object", "c", "obj", 10 * MIB))
    state(Event(EventKind.BYTES, "download_object", "c", "obj", 3 * MIB))
    assert summary_lines(state.snapshot(), _output(), WalkCount(0, True)) == [
        "interrupted: 0 done, 0 failed, 0 not started, 1 in progress "
        "(3.0 MiB of 10.0 MiB received)",
        "  obj: 3.0 MiB of 10.0 MiB received",
    ]


def test_no_bytes_moved_keeps_the_short_summary() -> None:
    state = ProgressState()
    state(Event(EventKind.QUEUED, "upload_object", "c", "a", 10))
    assert summary_lines(state.snapshot(), _output(), WalkCount(7, True)) == [
        "interrupted: 0 done, 0 failed, 8 not started"]


def test_reused_segments_are_labelled() -> None:
    assert upload_line(_segment(3, reused=True)) == "big segment 3 (reused)"
    assert upload_line(_segment(4)) == "big segment 4"


def test_count_stops_at_its_limit() -> None:
    assert count_items(iter(range(1000)), limit=10) == WalkCount(10, False)
    assert count_items(iter(range(5)), limit=10) == WalkCount(5, True)


def test_count_stops_at_its_time_bound_when_the_walk_blocks() -> None:
    release = threading.Event()

    def slow() -> Iterator[int]:
        yield 1
        release.wait(30)  # a huge directory being read
        yield 2

    try:
        assert count_items(slow(), seconds=0.2) == WalkCount(1, False)
    finally:
        release.set()


def _upload_args(*files: str, object_name: str | None = None) -> argparse.Namespace:
    return argparse.Namespace(command="upload", files=list(files), object_name=object_name)


def test_the_files_not_walked_are_those_beyond_what_was_queued(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "empty").mkdir()
    for name in ("a", "b", "sub/c", "sub/d"):
        (tree / name).write_bytes(b"x")
    (tmp_path / "one").write_bytes(b"y")
    args = _upload_args(str(tree), str(tmp_path / "one"))
    items = upload_items_of(args)
    assert items is not None
    # four files, the empty folder's marker, and the single file
    assert len(list(items)) == 6
    state = ProgressState()
    for name in ("a", "b"):
        state(Event(EventKind.QUEUED, "upload_object", "c", name, 1))
    assert not_walked(args, state.snapshot()) == WalkCount(4, True)
    state(Event(EventKind.PLANNED, ""))  # the walk ended: nothing left to count
    assert not_walked(args, state.snapshot()) == WalkCount(0, True)
    assert upload_items_of(_upload_args("-")) is None
    renamed = upload_items_of(_upload_args(str(tree), object_name="new"))
    assert renamed is not None and len(list(renamed)) == 5
