"""Recorded test durations: which tests are too slow for a quick run.

A run with ``--record-durations`` writes each test's time (setup, call and
teardown, in seconds) into the JSON file named by the ``swiftsvc_durations``
ini option, keeping the entries of tests it did not run. Every later run marks
the tests recorded above ``swiftsvc_slow_after`` seconds ``slow``, so that
``-m "not slow"`` keeps the fast ones without a hand-kept list. A test not
recorded yet counts as fast until the next recording.

The time of a session server's start-up lands on the first test that asks for
it; that test is then left out of quick runs, and the next one pays the start.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

__all__ = ["load", "merged", "save"]


def load(path: Path) -> dict[str, float]:
    """The recorded durations; empty when there is no file yet."""
    try:
        recorded = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as error:
        raise ValueError(f"cannot read the test durations in {path}: {error}") from error
    if not isinstance(recorded, dict):
        raise ValueError(f"{path} should hold a JSON object of test id: seconds")
    return {str(name): float(seconds) for name, seconds in recorded.items()}


def merged(previous: Mapping[str, float], measured: Mapping[str, float]) -> dict[str, float]:
    """The previous record updated with this run's measurements (pure)."""
    return {**previous, **{name: round(seconds, 2) for name, seconds in measured.items()}}


def save(path: Path, durations: Mapping[str, float]) -> None:
    # one test per line, sorted: a re-recording shows as a readable diff
    lines = [f"  {json.dumps(name)}: {seconds}" for name, seconds in sorted(durations.items())]
    path.write_text("{\n" + ",\n".join(lines) + "\n}\n")
