"""Recorded progress-event sequences of real runs, and their replay through the bar.

A recording is what a Service published during one real upload or download
against the local Swift: every event's kind, action, byte count and time
since the first event. ``record_progress.py`` (next to this file) makes them
and stores them under ``data/``; the tests replay them through
:class:`~swiftsvc.cli.progress.ProgressState` on a clock that follows the
recorded times, drawing a frame every :data:`FRAME_INTERVAL` as the live bar
does, and check what people read on each frame.

File format, one JSON value a line: a header object (``scenario``, ``files``,
``bytes``, ``failed``: what the run did), then ``[seconds, kind, action, nbytes]``
per event.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from swiftsvc.cli.progress import ProgressState, Snapshot, render_line
from swiftsvc.events import Event, EventKind

DATA = Path(__file__).resolve().parent / "data"
FRAME_INTERVAL = 0.1  # the live bar's redraw interval
WIDTH = 120


@dataclass(frozen=True)
class Recorded:
    seconds: float
    kind: EventKind
    action: str
    nbytes: int


@dataclass
class Recording:
    header: dict[str, Any]
    events: list[Recorded] = field(default_factory=list)

    @property
    def name(self) -> str:
        return str(self.header.get("scenario", "live"))

    def save(self, path: Path) -> None:
        lines = [json.dumps(self.header, sort_keys=True)]
        lines += [
            json.dumps([round(e.seconds, 4), e.kind.value, e.action, e.nbytes])
            for e in self.events
        ]
        path.write_text("\n".join(lines) + "\n")

    @classmethod
    def load(cls, path: Path) -> Recording:
        header, *rows = (json.loads(line) for line in path.read_text().splitlines() if line)
        events = [Recorded(float(t), EventKind(kind), str(a), int(n)) for t, kind, a, n in rows]
        return cls(header, events)


class Recorder:
    """A thread-safe progress subscriber that keeps events with their times."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._start: float | None = None
        self.events: list[Recorded] = []

    def __call__(self, event: Event) -> None:
        with self._lock:
            now = time.monotonic()
            if self._start is None:
                self._start = now
            self.events.append(Recorded(now - self._start, event.kind, event.action, event.nbytes))

    def recording(self, **header: Any) -> Recording:
        with self._lock:
            return Recording(dict(header), list(self.events))


# ------------------------------------------------------------------ replay


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@dataclass(frozen=True)
class Frame:
    """One frame of the bar during a replay."""

    seconds: float
    snapshot: Snapshot
    line: str
    planned: bool  # the PLANNED event had been replayed
    first_progress: float | None  # time of the first BYTES / DONE / FAILED, if any yet

    @property
    def percent(self) -> int | None:
        match = re.search(r"(\d+)%", self.line)
        return int(match.group(1)) if match else None

    @property
    def eta(self) -> float | None:
        match = re.search(r"ETA (?:(\d+):)?(\d+):(\d\d)", self.line)
        if match is None:
            return None
        hours = int(match.group(1) or 0)
        return hours * 3600 + int(match.group(2)) * 60 + int(match.group(3))


def replay(recording: Recording, *, width: int = WIDTH) -> Iterator[Frame]:
    """Frames every FRAME_INTERVAL of recorded time, then the final one."""
    clock = _Clock()
    state = ProgressState(clock=clock)
    planned = False
    first_progress: float | None = None
    next_frame = FRAME_INTERVAL

    def frame() -> Frame:
        snapshot = state.snapshot()
        return Frame(clock.now, snapshot, render_line(snapshot, width), planned, first_progress)

    for event in recording.events:
        while next_frame <= event.seconds:
            clock.now = next_frame
            if state.version:
                yield frame()
            next_frame += FRAME_INTERVAL
        clock.now = event.seconds
        state(Event(event.kind, event.action, nbytes=event.nbytes))
        if event.kind is EventKind.PLANNED:
            planned = True
        if first_progress is None and event.kind in (
            EventKind.BYTES, EventKind.DONE, EventKind.FAILED
        ):
            first_progress = event.seconds
    yield frame()


def final_line(recording: Recording, *, width: int = WIDTH) -> str:
    clock = _Clock()
    state = ProgressState(clock=clock)
    for event in recording.events:
        clock.now = event.seconds
        state(Event(event.kind, event.action, nbytes=event.nbytes))
    return render_line(state.snapshot(), width, final=True)


def recordings() -> list[Recording]:
    return [Recording.load(path) for path in sorted(DATA.glob("*.jsonl"))]
