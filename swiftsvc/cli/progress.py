"""Progress of a command: counters fed by events, and a live bar on a terminal.

:class:`ProgressState` is the Service's progress subscriber for every
command: it only adds numbers under a lock (events come from worker
threads). The interrupt summary reads it, and so does :class:`ProgressBar`,
which redraws one line on stderr from its own thread at most ten times a
second. Turning a snapshot into text is the pure :func:`render_line`.

What the bar promises, so that people can trust it:

- Files done of files found. While the directory walk (or the listing) is
  still running the count of files found grows, and the bar says so
  (``37/120+ files (counting)``) instead of showing a percentage of a total
  that is not known yet: that is what made it jump from 91% back to 3%.
- A percentage only once every item is known (the PLANNED event), and it
  never goes backwards. Each file weighs its bytes plus :data:`FILE_WEIGHT`
  (what a request costs), so one big file done among hundreds of small ones
  left is not "100%"; and 100% only when every item has finished.
- An ETA only once it means something: the totals are final, progress has
  been measured for :data:`ETA_MIN_SECONDS` and passed :data:`ETA_MIN_FRACTION`.
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
# the ETA's rate of work, steadier than the displayed byte rate
ETA_WINDOW = 10.0
REDRAW_INTERVAL = 0.1  # at most ten frames a second
# a file weighs its bytes plus this in the percentage and the ETA: roughly what
# a request costs in transfer time (1 Gbit/s, 10 threads, ~20 ms a request)
FILE_WEIGHT = 256 * 1024
ETA_MIN_SECONDS = 2.0  # of measured progress before an ETA is shown
ETA_MIN_FRACTION = 0.02
# actions whose items are local files (else the bar counts "objects")
_FILE_ACTIONS = frozenset({"upload_object", "create_dir_marker"})


ItemKey = tuple[str | None, str | None]  # (container, object)


@dataclass(frozen=True, slots=True)
class InProgress:
    """An item that sent (or received) bytes and has no result yet."""

    action: str  # the item's action ("upload_object", "download_object", ...)
    container: str | None
    obj: str | None
    bytes_moved: int
    size: int  # as announced when it was queued (0: not known)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Numbers of one moment, for drawing and for the interrupt summary."""

    elapsed: float
    bytes_done: int
    bytes_total: int  # sum of the sizes announced so far, never below bytes_done (0: none)
    rate: float  # bytes per second over the recent window
    done: int  # items (not parts) finished successfully
    failed: int  # items finished with a failure
    not_started: int  # planned, not finished, and no byte moved yet
    found: int = 0  # items announced so far (final once ``planned``)
    planned: bool = False  # the walk or listing is over: the totals are final
    fraction: float | None = None  # of the whole work; None until planned; never decreases
    eta: float | None = None  # seconds left; None until it means something
    noun: str = "files"
    # items with bytes moved and no result yet (not counted in ``not_started``)
    in_progress: tuple[InProgress, ...] = ()

    @property
    def finished(self) -> int:
        return self.done + self.failed


class _Rate:
    """Per-second rate of a growing count over a recent window."""

    def __init__(self, window: float, start: float) -> None:
        self._window = window
        self._start = start
        self._samples: collections.deque[tuple[float, float]] = collections.deque()

    def add(self, now: float, value: float) -> None:
        self._samples.append((now, value))
        while self._samples and now - self._samples[0][0] > self._window:
            self._samples.popleft()

    def per_second(self, now: float, value: float) -> float:
        if not self._samples:
            return 0.0
        # from the first sample in the window (or the start) to now
        first_time, first_value = self._samples[0]
        if len(self._samples) > 1 and now - first_time > 0:
            return (value - first_value) / (now - first_time)
        elapsed = now - self._start
        return value / elapsed if elapsed > 0 else 0.0


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
        self._found = 0
        self._planned = False
        self._queued: collections.Counter[str] = collections.Counter()
        self._finished: collections.Counter[str] = collections.Counter()
        self._byte_rate = _Rate(RATE_WINDOW, self._start)
        self._work_rate = _Rate(ETA_WINDOW, self._start)
        self._first_progress: float | None = None
        self._high_fraction = 0.0  # what was shown: the percentage never goes back
        # items queued and not finished: their action and announced size, and
        # the bytes moved for them so far; an entry goes with the item's result,
        # so these stay as small as the work in flight
        self._unfinished: dict[ItemKey, tuple[str, int]] = {}
        self._moved: dict[ItemKey, int] = {}
        self.version = 0  # bumped on every event; 0: nothing to show yet

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.version += 1
            kind = event.kind
            key = (event.container, event.obj)
            if kind is EventKind.BYTES:
                self._bytes += event.nbytes
                if key in self._unfinished:
                    self._moved[key] = self._moved.get(key, 0) + event.nbytes
                self._byte_rate.add(self._clock(), self._bytes)
                self._progressed()
            elif kind is EventKind.QUEUED:
                self._queued[event.action] += 1
                self._total += event.nbytes
                if event.action not in PART_ACTIONS:
                    self._found += 1
                    self._unfinished[key] = (event.action, event.nbytes)
            elif kind is EventKind.SKIPPED:
                # its bytes will never move: an incremental run still ends at 100%
                self._total -= event.nbytes
            elif kind is EventKind.PLANNED:
                self._planned = True
            else:
                self._finished[event.action] += 1
                if event.action in PART_ACTIONS:
                    return
                self._unfinished.pop(key, None)
                self._moved.pop(key, None)
                if kind is EventKind.FAILED:
                    self._failed += 1
                else:
                    self._done += 1
                self._progressed()

    def _progressed(self) -> None:
        now = self._clock()
        if self._first_progress is None:
            self._first_progress = now
        self._work_rate.add(now, self._work_done())

    def _work_done(self) -> float:
        return self._bytes + FILE_WEIGHT * (self._done + self._failed)

    def snapshot(self) -> Snapshot:
        with self._lock:
            now = self._clock()
            finished = self._done + self._failed
            found = max(self._found, finished)
            total = max(self._total, self._bytes)
            fraction = eta = None
            if self._planned:
                work_total = total + FILE_WEIGHT * found
                left = work_total - self._work_done()
                if finished >= found:
                    current = 1.0
                elif work_total > 0:
                    # "100%" would say all is done: not while an item is left
                    current = min(0.99, self._work_done() / work_total)
                else:
                    current = 0.0
                self._high_fraction = max(self._high_fraction, current)
                fraction = self._high_fraction
                eta = self._eta(now, fraction, left)
            in_progress = tuple(
                InProgress(self._unfinished[key][0], key[0], key[1], moved,
                           self._unfinished[key][1])
                for key, moved in self._moved.items()
            )
            not_started = max(0, sum(
                max(0, count - self._finished[action]) for action, count in self._queued.items()
            ) - len(in_progress))
            return Snapshot(
                elapsed=now - self._start,
                bytes_done=self._bytes,
                bytes_total=total if (self._total or self._bytes) else 0,
                rate=self._byte_rate.per_second(now, self._bytes),
                done=self._done,
                failed=self._failed,
                not_started=not_started,
                found=found,
                planned=self._planned,
                fraction=fraction,
                eta=eta,
                noun=self._noun(),
                in_progress=in_progress,
            )

    def _eta(self, now: float, fraction: float, left: float) -> float | None:
        if fraction >= 1.0 or fraction < ETA_MIN_FRACTION or self._first_progress is None:
            return None
        if now - self._first_progress < ETA_MIN_SECONDS:
            return None
        rate = self._work_rate.per_second(now, self._work_done())
        return left / rate if rate > 0 else None

    def _noun(self) -> str:
        items = [action for action in self._queued if action not in PART_ACTIONS]
        if items and not all(action in _FILE_ACTIONS for action in items):
            return "objects"
        return "files"


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


def percent_text(fraction: float) -> str:
    """``45%``; rounds down, so "100%" appears only when everything has finished."""
    return f"{int(fraction * 100):3d}%"


def render_line(snapshot: Snapshot, width: int, *, final: bool = False) -> str:
    """One line of at most ``width - 1`` characters describing ``snapshot``.

    Counting: ``37/120+ files (counting)  12.0 MiB  5.2 MiB/s``; once the
    totals are final: ``[#####-----]  45%  37/120 files  12.0 MiB/27.0 MiB
    5.2 MiB/s  ETA 0:03``; failures are always shown. ``final``: the summary
    with the average rate. A narrow terminal loses the least useful parts first.
    """
    noun = snapshot.noun
    # (priority, text): the lowest priority goes first when the line is too long
    parts: list[tuple[int, str]] = []
    if final:
        parts.append((8, f"{snapshot.finished}/{snapshot.found} {noun}"))
        average = snapshot.bytes_done / snapshot.elapsed if snapshot.elapsed > 0 else 0.0
        parts.append((6, f"{human_bytes(snapshot.bytes_done)} in {_clock_text(snapshot.elapsed)}"))
        parts.append((5, f"{human_bytes(average)}/s"))
    elif snapshot.planned and snapshot.fraction is not None:
        parts.append((9, percent_text(snapshot.fraction)))
        parts.append((8, f"{snapshot.finished}/{snapshot.found} {noun}"))
        total = max(snapshot.bytes_total, snapshot.bytes_done)
        parts.append((6, f"{human_bytes(snapshot.bytes_done)}/{human_bytes(total)}"))
        parts.append((5, f"{human_bytes(snapshot.rate)}/s"))
        if snapshot.eta is not None:
            parts.append((7, f"ETA {_clock_text(snapshot.eta)}"))
    else:
        parts.append((8, f"{snapshot.finished}/{snapshot.found}+ {noun} (counting)"))
        parts.append((6, human_bytes(snapshot.bytes_done)))
        parts.append((5, f"{human_bytes(snapshot.rate)}/s"))
    if snapshot.failed:
        parts.append((10, f"{snapshot.failed} failed"))
    limit = max(0, width - 1)
    while len(parts) > 1 and len("  ".join(text for _, text in parts)) > limit:
        parts.remove(min(parts, key=lambda part: part[0]))
    text = "  ".join(part for _, part in parts)
    # the bar's size depends on the terminal only, so it does not jitter
    cells = min(30, width // 4)
    fraction = snapshot.fraction
    if not final and fraction is not None and cells >= 10 and len(text) + cells + 3 <= limit:
        filled = int(cells * fraction)
        text = f"[{'#' * filled}{'-' * (cells - filled)}] {text}"
    return text[:limit]


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
