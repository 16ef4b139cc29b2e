"""Progress of a command: counters fed by events, and a live bar on a terminal.

:class:`ProgressState` is the Service's progress subscriber for every
command: it only adds numbers under a lock (events come from worker
threads). The interrupt summary reads it, and so does :class:`ProgressBar`,
which redraws one line on stderr from its own thread at most ten times a
second. Turning a snapshot into text is the pure :func:`render_line`.
"""

from __future__ import annotations

import collections
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TextIO

from swiftsvc.events import Event, EventKind

# results that are parts of another item: their bytes count, but they are not
# "objects" in the bar's count
PART_ACTIONS = frozenset({"upload_segment", "delete_segment", "create_container"})

# the rate is measured over this many recent seconds, so it follows changes
RATE_WINDOW = 5.0
REDRAW_INTERVAL = 0.1  # at most ten frames a second


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Numbers of one moment, for drawing and for the interrupt summary."""

    elapsed: float
    bytes_done: int
    bytes_total: int  # sum of the sizes announced so far (0: unknown)
    rate: float  # bytes per second over the recent window
    done: int  # objects (not parts) finished successfully
    failed: int  # anything finished with a failure
    not_started: int  # planned but not finished


class ProgressState:
    """A thread-safe progress subscriber: ``Service(..., progress=state)``."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._start = clock()
        self._bytes = 0
        self._total = 0
        self._done = 0
        self._failed = 0
        self._queued: collections.Counter[str] = collections.Counter()
        self._finished: collections.Counter[str] = collections.Counter()
        # (time, cumulative bytes) samples of the last RATE_WINDOW seconds
        self._samples: collections.deque[tuple[float, int]] = collections.deque()
        self.version = 0  # bumped on every event; 0: nothing to show yet

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.version += 1
            if event.kind is EventKind.BYTES:
                self._bytes += event.nbytes
                now = self._clock()
                self._samples.append((now, self._bytes))
                while self._samples and now - self._samples[0][0] > RATE_WINDOW:
                    self._samples.popleft()
            elif event.kind is EventKind.QUEUED:
                self._queued[event.action] += 1
                self._total += event.nbytes
            elif event.kind is EventKind.SKIPPED:
                # its bytes will never move: an incremental run still ends at 100%
                self._total -= event.nbytes
            else:
                self._finished[event.action] += 1
                if event.kind is EventKind.FAILED:
                    self._failed += 1
                elif event.action not in PART_ACTIONS:
                    self._done += 1

    def snapshot(self) -> Snapshot:
        with self._lock:
            now = self._clock()
            elapsed = now - self._start
            rate = 0.0
            if self._samples:
                # from the sample before the window (or the start) to now
                first_time, first_bytes = self._samples[0]
                if len(self._samples) > 1 and now - first_time > 0:
                    rate = (self._bytes - first_bytes) / (now - first_time)
                elif elapsed > 0:
                    rate = self._bytes / elapsed
            not_started = sum(
                max(0, count - self._finished[action]) for action, count in self._queued.items()
            )
            return Snapshot(
                elapsed=elapsed,
                bytes_done=self._bytes,
                bytes_total=max(self._total, self._bytes) if self._total else 0,
                rate=rate,
                done=self._done,
                failed=self._failed,
                not_started=not_started,
            )


def human_bytes(count: float) -> str:
    """``1.5 MiB``-style sizes for the bar."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if abs(count) < 1024 or unit == "TiB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def _clock_text(seconds: float) -> str:
    seconds = int(seconds + 0.5)
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"


def render_line(snapshot: Snapshot, width: int, *, final: bool = False) -> str:
    """One line of at most ``width - 1`` characters describing ``snapshot``.

    ``[#####-----]  45%  12.0 MiB/27.0 MiB  5.2 MiB/s  ETA 0:03  12 done, 1 failed``;
    without a known total there is no bar, percentage or ETA estimate.
    """
    parts: list[str] = []
    total = snapshot.bytes_total
    if total:
        fraction = min(1.0, snapshot.bytes_done / total)
        parts.append(f"{fraction * 100:3.0f}%")
        parts.append(f"{human_bytes(snapshot.bytes_done)}/{human_bytes(total)}")
    else:
        parts.append(human_bytes(snapshot.bytes_done))
    if final:
        average = snapshot.bytes_done / snapshot.elapsed if snapshot.elapsed > 0 else 0.0
        parts.append(f"{human_bytes(average)}/s")
        parts.append(f"in {_clock_text(snapshot.elapsed)}")
    else:
        parts.append(f"{human_bytes(snapshot.rate)}/s")
        if total and snapshot.rate > 0:
            remaining = max(0, total - snapshot.bytes_done)
            parts.append(f"ETA {_clock_text(remaining / snapshot.rate)}")
        else:
            parts.append("ETA --:--")
    counts = f"{snapshot.done} done"
    if snapshot.failed:
        counts += f", {snapshot.failed} failed"
    parts.append(counts)
    text = "  ".join(parts)
    # the bar's size depends on the terminal only, so it does not jitter
    cells = min(30, width // 4)
    if total and len(text) + cells + 3 <= width - 1 and cells >= 10:
        filled = int(cells * min(1.0, snapshot.bytes_done / total))
        text = f"[{'#' * filled}{'-' * (cells - filled)}] {text}"
    return text[: max(0, width - 1)]


class ProgressBar:
    """Redraws the state's line on ``stream`` (a terminal) while in a ``with`` block.

    Lines printed meanwhile go through :meth:`write_above`, which clears the
    bar, prints, and lets the bar come back on the next frame.
    """

    def __init__(
        self,
        state: ProgressState,
        stream: TextIO,
        *,
        interval: float = REDRAW_INTERVAL,
        width: Callable[[], int] | None = None,
    ) -> None:
        self._state = state
        self._stream = stream
        self._interval = interval
        self._width = width or (lambda: shutil.get_terminal_size((80, 24)).columns)
        self._lock = threading.Lock()  # one writer of the terminal at a time
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._shown = False

    def __enter__(self) -> ProgressBar:
        self._thread = threading.Thread(target=self._run, name="swiftsvc-progress", daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(final=exc_type is None)

    def close(self, *, final: bool = True) -> None:
        """Stop redrawing; leave a last line with the average rate if ``final``."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(1.0)
        with self._lock:
            self._clear()
            if final and self._state.version > 0:
                line = render_line(self._state.snapshot(), self._width(), final=True)
                self._stream.write(line + "\n")
            self._stream.flush()

    def write_above(self, text: str, stream: TextIO) -> None:
        """Print ``text`` (a line) to ``stream`` without mangling the bar."""
        with self._lock:
            self._clear()
            self._stream.flush()
            stream.write(text + "\n")
            stream.flush()  # the bar comes back on the next frame

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            self.draw()

    def draw(self) -> None:
        """Draw a frame (every tick, so the rate and ETA follow a stall too)."""
        with self._lock:
            if self._state.version == 0 or self._stop.is_set():
                return  # nothing happened yet: no empty bar
            line = render_line(self._state.snapshot(), self._width())
            self._stream.write("\r" + line + "\x1b[K")
            self._stream.flush()
            self._shown = True

    def _clear(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._shown = False
