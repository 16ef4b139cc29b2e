"""swiftsvc.cli.progress: counters from events and the rendered bar line."""

from __future__ import annotations

import io
import threading

from swiftsvc.cli.progress import ProgressBar, ProgressState, Snapshot, render_line
from swiftsvc.events import Event, EventKind


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_state_counts_bytes_objects_failures_and_unfinished() -> None:
    clock = FakeClock()
    state = ProgressState(clock=clock)
    for name in ("a", "b", "c"):
        state(Event(EventKind.QUEUED, "upload_object", "c", name, 1000))
    state(Event(EventKind.QUEUED, "upload_segment", "c", "a", 0))
    clock.now += 1
    state(Event(EventKind.BYTES, "upload_object", "c", "a", 500))
    clock.now += 1
    state(Event(EventKind.BYTES, "upload_object", "c", "a", 500))
    state(Event(EventKind.DONE, "upload_segment", "c", "a"))
    state(Event(EventKind.DONE, "upload_object", "c", "a"))
    state(Event(EventKind.FAILED, "upload_object", "c", "b"))
    snap = state.snapshot()
    assert snap.bytes_done == 1000 and snap.bytes_total == 3000
    assert snap.done == 1  # the segment is a part, not an object
    assert snap.failed == 1
    assert snap.not_started == 1  # c
    assert snap.rate == 500.0  # 500 bytes between the two samples, one second apart


def test_a_skipped_item_leaves_the_total() -> None:
    state = ProgressState(clock=FakeClock())
    state(Event(EventKind.QUEUED, "upload_object", "c", "a", 1000))
    state(Event(EventKind.QUEUED, "upload_object", "c", "b", 3000))
    state(Event(EventKind.SKIPPED, "upload_object", "c", "b", 3000))
    state(Event(EventKind.DONE, "upload_object", "c", "b"))
    state(Event(EventKind.BYTES, "upload_object", "c", "a", 1000))
    state(Event(EventKind.DONE, "upload_object", "c", "a"))
    snap = state.snapshot()
    assert snap.bytes_total == snap.bytes_done == 1000
    assert snap.done == 2 and snap.not_started == 0


def test_rate_follows_the_recent_window_only() -> None:
    clock = FakeClock()
    state = ProgressState(clock=clock)
    state(Event(EventKind.BYTES, "download_object", nbytes=10_000_000))
    clock.now += 60
    state(Event(EventKind.BYTES, "download_object", nbytes=100))
    clock.now += 1
    state(Event(EventKind.BYTES, "download_object", nbytes=100))
    assert state.snapshot().rate == 100.0


def test_state_is_thread_safe() -> None:
    state = ProgressState()

    def send() -> None:
        for _ in range(2000):
            state(Event(EventKind.BYTES, "upload_object", nbytes=1))

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert state.snapshot().bytes_done == 16000


def _snap(**kwargs: float) -> Snapshot:
    values = {
        "elapsed": 2.0,
        "bytes_done": 0,
        "bytes_total": 0,
        "rate": 0.0,
        "done": 0,
        "failed": 0,
        "not_started": 0,
    }
    values.update(kwargs)
    return Snapshot(**values)  # type: ignore[arg-type]


def test_render_line_with_a_known_total_shows_bar_rate_and_eta() -> None:
    line = render_line(
        _snap(bytes_done=5 << 20, bytes_total=10 << 20, rate=1 << 20, done=3, failed=1), 100
    )
    assert line.startswith("[")
    assert " 50%" in line
    assert "5.0 MiB/10.0 MiB" in line
    assert "1.0 MiB/s" in line
    assert "ETA 0:05" in line
    assert "3 done, 1 failed" in line
    assert len(line) <= 99


def test_render_line_without_total_or_rate_has_no_estimate() -> None:
    line = render_line(_snap(bytes_done=100), 80)
    assert "ETA --:--" in line and "%" not in line and "[" not in line


def test_render_line_fits_narrow_terminals() -> None:
    line = render_line(_snap(bytes_done=5, bytes_total=10, rate=1.0), 20)
    assert len(line) <= 19


def test_final_line_shows_the_average_rate() -> None:
    line = render_line(_snap(bytes_done=4 << 20, bytes_total=4 << 20, elapsed=2.0), 100, final=True)
    assert "2.0 MiB/s" in line and "in 0:02" in line and "ETA" not in line


def test_bar_draws_on_its_own_thread_and_clears_before_lines() -> None:
    state = ProgressState()
    stream, other = io.StringIO(), io.StringIO()
    bar = ProgressBar(state, stream, interval=0.01, width=lambda: 80)
    with bar:
        state(Event(EventKind.QUEUED, "upload_object", "c", "a", 100))
        state(Event(EventKind.BYTES, "upload_object", "c", "a", 50))
        for _ in range(200):
            if "\r" in stream.getvalue():
                break
            threading.Event().wait(0.01)
        bar.write_above("a", other)
    text = stream.getvalue()
    assert "\r[" in text and "50%" in text
    assert "\r\x1b[K" in text  # cleared for the line and at the end
    assert other.getvalue() == "a\n"
    assert text.endswith("\n")  # the final line stays


def test_bar_shows_nothing_when_nothing_happened() -> None:
    stream = io.StringIO()
    with ProgressBar(ProgressState(), stream, interval=0.01, width=lambda: 80):
        threading.Event().wait(0.05)
    assert stream.getvalue() == ""
