"""What the examples share: a phase's tally of result dicts, the progress bar, a table.

A *phase* is one Service call (a backup, a restore, a bulk upload). Its
result dicts are counted into a :class:`Tally`; its bytes come from the
progress events, which feed the ``swiftsvc`` command's own progress bar
(:mod:`swiftsvc.cli.progress`), drawn on stderr when both stdout and stderr
are terminals.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from swiftsvc.cli.progress import PART_ACTIONS, ProgressBar, ProgressState
from swiftsvc.events import Subscriber

Result = dict[str, Any]

MIB = 1 << 20


@dataclass
class Tally:
    """Counts of one phase, from its result dicts."""

    phase: str
    transferred: int = 0  # objects (and directory markers) uploaded or downloaded
    skipped: int = 0  # "skipped-changed" / "skipped-identical"
    failed: int = 0  # failed results, of any action
    large_objects: int = 0  # transferred objects that are segmented large objects
    segments: int = 0  # segments uploaded for them
    bytes: int = 0  # bytes that went over the wire (progress events)
    seconds: float = 0.0
    failures: list[Result] = field(default_factory=list)

    def add(self, result: Result) -> None:
        action = result["action"]
        if not result["success"]:
            self.failed += 1
            self.failures.append(result)
        elif action == "upload_segment":
            self.segments += 1
        elif action in PART_ACTIONS:
            pass  # the containers an upload made: not objects of the backup
        elif str(result.get("status") or "").startswith("skipped"):
            self.skipped += 1
        else:
            self.transferred += 1
            if result.get("large_object"):
                self.large_objects += 1

    @property
    def mib_per_second(self) -> float:
        return self.bytes / MIB / self.seconds if self.seconds > 0 else 0.0


def show_progress() -> bool:
    """The bar only on a terminal: piped or captured output stays clean."""
    return sys.stdout.isatty() and sys.stderr.isatty()


def failure_line(result: Result) -> str:
    where = "/".join(str(part) for part in (result.get("container"), result.get("object")) if part)
    return f"FAILED {result['action']} {where}: {result.get('error')}"


def run_phase(
    phase: str,
    call: Callable[[Subscriber], Iterable[Result]],
    *,
    progress: bool,
) -> Tally:
    """Run ``call(subscriber)`` (a Service call), counting its results as they come.

    Failures are printed as they happen (above the bar, if there is one).
    """
    tally = Tally(phase)
    state = ProgressState()
    start = time.monotonic()
    with _bar(state, progress) as bar:
        for result in call(state):
            tally.add(result)
            if not result["success"]:
                if bar is None:
                    print(failure_line(result), file=sys.stderr)
                else:
                    bar.write_above(failure_line(result), sys.stderr)
    tally.seconds = time.monotonic() - start
    tally.bytes = state.snapshot().bytes_done
    return tally


@contextlib.contextmanager
def _bar(state: ProgressState, enabled: bool) -> Iterator[ProgressBar | None]:
    if not enabled:
        yield None
        return
    with ProgressBar(state, sys.stderr) as bar:
        yield bar


_COLUMNS = ("phase", "transferred", "skipped", "failed", "segments", "MiB", "seconds", "MiB/s")


def table(tallies: Sequence[Tally]) -> list[str]:
    """The lines of a summary table, one row per phase."""
    rows = [
        (
            t.phase,
            str(t.transferred),
            str(t.skipped),
            str(t.failed),
            str(t.segments),
            f"{t.bytes / MIB:.1f}",
            f"{t.seconds:.2f}",
            f"{t.mib_per_second:.1f}",
        )
        for t in tallies
    ]
    widths = [max(len(row[i]) for row in [_COLUMNS, *rows]) for i in range(len(_COLUMNS))]

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest])

    return [line(_COLUMNS), line(["-" * w for w in widths]), *(line(row) for row in rows)]
