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


def _snap(**kwargs: object) -> Snapshot:
    values: dict[str, object] = {
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


def test_render_line_once_planned_shows_bar_percentage_counts_rate_and_eta() -> None:
    line = render_line(
        _snap(bytes_done=5 << 20, bytes_total=10 << 20, rate=1 << 20, done=3, failed=1,
              found=8, planned=True, fraction=0.5, eta=5.0),
        100,
    )  # fmt: skip
    assert line.startswith("[")
    assert " 50%" in line
    assert "4/8 files" in line
    assert "5.0 MiB/10.0 MiB" in line
    assert "1.0 MiB/s" in line
    assert "ETA 0:05" in line
    assert "1 failed" in line
    assert len(line) <= 99


def test_render_line_while_counting_promises_nothing() -> None:
    line = render_line(_snap(bytes_done=100, bytes_total=300, done=2, found=7, rate=50.0), 80)
    assert "2/7+ files (counting)" in line
    assert "%" not in line and "[" not in line and "ETA" not in line
    assert "100 B" in line and "50 B/s" in line


def test_render_line_names_objects_for_downloads() -> None:
    line = render_line(_snap(done=1, found=2, noun="objects"), 80)
    assert "1/2+ objects" in line


def test_render_line_fits_narrow_terminals_keeping_what_matters() -> None:
    snapshot = _snap(bytes_done=5, bytes_total=10, rate=1.0, done=1, failed=2, found=9,
                     planned=True, fraction=0.3, eta=9.0)  # fmt: skip
    for width in (20, 30, 45, 60):
        line = render_line(snapshot, width)
        assert len(line) <= width - 1
        assert "2 failed" in line  # failures are the last thing to go
    assert " 30%" in render_line(snapshot, 30)


def test_a_percentage_rounds_down() -> None:
    assert render_line(_snap(planned=True, fraction=0.999, found=2, done=1), 80).find("99%") >= 0


def test_final_line_shows_counts_and_the_average_rate() -> None:
    line = render_line(
        _snap(bytes_done=4 << 20, bytes_total=4 << 20, elapsed=2.0, done=3, found=3,
              planned=True, fraction=1.0),
        100,
        final=True,
    )  # fmt: skip
    assert line.startswith("3/3 files")
    assert "4.0 MiB in 0:02" in line and "2.0 MiB/s" in line and "ETA" not in line


def _events(state: ProgressState, *events: Event) -> None:
    for event in events:
        state(event)


def test_the_percentage_waits_for_the_plan_and_never_goes_back() -> None:
    clock = FakeClock()
    state = ProgressState(clock=clock)
    _events(state, Event(EventKind.QUEUED, "upload_object", "c", "big", 1000),
            Event(EventKind.BYTES, "upload_object", "c", "big", 1000),
            Event(EventKind.DONE, "upload_object", "c", "big"))  # fmt: skip
    counting = state.snapshot()
    assert counting.fraction is None and counting.eta is None and not counting.planned
    assert (counting.done, counting.found) == (1, 1)
    _events(state, *[Event(EventKind.QUEUED, "upload_object", "c", f"s{i}", 10)
                     for i in range(50)])  # fmt: skip
    state(Event(EventKind.PLANNED, ""))
    first = state.snapshot()
    assert first.planned and first.fraction is not None and first.fraction < 0.1
    # a skipped item shrinks the total: the fraction may only grow
    state(Event(EventKind.SKIPPED, "upload_object", "c", "s0", 10))
    assert state.snapshot().fraction >= first.fraction  # type: ignore[operator]


def test_hundred_percent_only_when_every_item_finished() -> None:
    state = ProgressState(clock=FakeClock())
    _events(state, Event(EventKind.QUEUED, "upload_object", "c", "big", 1 << 30),
            Event(EventKind.QUEUED, "upload_object", "c", "small", 0),
            Event(EventKind.PLANNED, ""),
            Event(EventKind.BYTES, "upload_object", "c", "big", 1 << 30),
            Event(EventKind.DONE, "upload_object", "c", "big"))  # fmt: skip
    assert state.snapshot().fraction == 0.99  # 99.98% of the work, yet an item is left
    state(Event(EventKind.FAILED, "upload_object", "c", "small"))
    assert state.snapshot().fraction == 1.0


def test_no_eta_before_it_means_something() -> None:
    clock = FakeClock()
    state = ProgressState(clock=clock)
    _events(state, *[Event(EventKind.QUEUED, "download_object", "c", f"o{i}", 1000)
                     for i in range(100)])  # fmt: skip
    state(Event(EventKind.BYTES, "download_object", "c", "o0", 1000))
    state(Event(EventKind.DONE, "download_object", "c", "o0"))
    clock.now += 1
    assert state.snapshot().eta is None  # not planned yet
    state(Event(EventKind.PLANNED, ""))
    assert state.snapshot().eta is None  # planned, but measured for 1 s only
    for index in range(1, 11):
        clock.now += 0.2
        state(Event(EventKind.BYTES, "download_object", "c", f"o{index}", 1000))
        state(Event(EventKind.DONE, "download_object", "c", f"o{index}"))
    eta = state.snapshot().eta
    assert eta is not None and 10 < eta < 40  # 89 items left at 5 a second: ~18 s


def test_bar_draws_on_its_own_thread_and_clears_before_lines() -> None:
    state = ProgressState()
    stream, other = io.StringIO(), io.StringIO()
    bar = ProgressBar(state, stream, interval=0.01, width=lambda: 80)
    with bar:
        state(Event(EventKind.QUEUED, "upload_object", "c", "a", 100))
        state(Event(EventKind.QUEUED, "upload_object", "c", "b", 100))
        state(Event(EventKind.PLANNED, ""))
        state(Event(EventKind.BYTES, "upload_object", "c", "a", 100))
        state(Event(EventKind.DONE, "upload_object", "c", "a"))
        for _ in range(200):
            if "\r" in stream.getvalue():
                break
            threading.Event().wait(0.01)
        bar.write_above("a", other)
    text = stream.getvalue()
    assert "\r[" in text and "1/2 files" in text
    assert "\r\x1b[K" in text  # cleared for the line and at the end
    assert other.getvalue() == "a\n"
    assert text.endswith("\n")  # the final line stays


def test_bar_shows_nothing_when_nothing_happened() -> None:
    stream = io.StringIO()
    with ProgressBar(ProgressState(), stream, interval=0.01, width=lambda: 80):
        threading.Event().wait(0.05)
    assert stream.getvalue() == ""
