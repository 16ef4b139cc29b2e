"""What the command says when Ctrl-C stops it: what was done, what was sent, what is left.

::

    interrupted: 12 done, 0 failed, 47 not started, 1 in progress (435.0 MiB of 1.0 GiB sent)
      big.iso: 435.0 MiB of 1.0 GiB sent; at least 6 segments (420.0 MiB) kept in c_segments
    the same command again reuses the kept segments

"Not started" counts the items queued but not begun and, for an upload of
local paths, the files the directory walk had not reached yet: those are
counted again here, by the same walk, within :data:`COUNT_LIMIT` items and
:data:`COUNT_SECONDS` (a huge tree must not keep a stopped command alive);
a count cut short is said as "at least N".
"""

from __future__ import annotations

import argparse
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from swiftsvc.cli.output import Landed, Output
from swiftsvc.cli.progress import InProgress, Snapshot, human_bytes
from swiftsvc.cli.transfers import upload_sources
from swiftsvc.objects import UploadObject
from swiftsvc.ops.upload.sources import object_name_for_path, upload_items

# bounds of the count of files not walked yet, after the interrupt
COUNT_LIMIT = 100_000
COUNT_SECONDS = 2.0
# in-progress items named one per line; the others are summed up
NAMED_IN_PROGRESS = 5


@dataclass(frozen=True, slots=True)
class WalkCount:
    """How many items the upload's sources stand for; ``complete`` False: at least."""

    items: int
    complete: bool


def count_items(
    items: Iterable[Any], *, limit: int = COUNT_LIMIT, seconds: float = COUNT_SECONDS
) -> WalkCount:
    """Count ``items`` (a lazy walk) for at most ``limit`` items and ``seconds``.

    The walk runs in a daemon thread: a directory of a million entries read
    by one ``scandir`` cannot hold the count past its time.
    """
    counted = [0]
    finished = threading.Event()
    stop = threading.Event()

    def count() -> None:
        for _ in items:
            counted[0] += 1
            if counted[0] >= limit or stop.is_set():
                return
        finished.set()

    thread = threading.Thread(target=count, name="swiftsvc-interrupt-count", daemon=True)
    thread.start()
    thread.join(seconds)
    stop.set()  # a walk still going stops at its next item
    return WalkCount(counted[0], finished.is_set())


def upload_items_of(args: argparse.Namespace) -> Iterator[Any] | None:
    """The items ``swiftsvc upload`` walks for these arguments, lazily; None for stdin."""
    if getattr(args, "files", None) in (None, ["-"]):
        return None

    def walk() -> Iterator[Any]:
        for source in upload_sources(args):
            if isinstance(source, UploadObject):
                if not isinstance(source.source, str):  # a directory marker
                    yield source
                    continue
                path, name = source.source, source.object_name
            else:
                path, name = source, object_name_for_path(source)
            yield from upload_items(path, name, dir_markers=False)

    return walk()


def not_walked(args: argparse.Namespace, snapshot: Snapshot) -> WalkCount:
    """Items of an upload that the interrupted walk had not reached (0 for other commands)."""
    if args.command != "upload" or snapshot.planned:
        return WalkCount(0, True)
    items = upload_items_of(args)
    if items is None:
        return WalkCount(0, True)
    total = count_items(items)
    return WalkCount(max(0, total.items - snapshot.found), total.complete)


def summary_lines(
    snapshot: Snapshot, out: Output, unwalked: WalkCount, *, stream: bool = False
) -> list[str]:
    """The summary printed on stderr after Ctrl-C (see the module docstring).

    ``stream``: the upload read stdin, whose segments no later run can reuse
    (they are named after the upload's start), so none is said to be kept.
    """
    not_started = snapshot.not_started + unwalked.items
    counted = f"{not_started}" if unwalked.complete else f"at least {not_started}"
    # done and failed as the progress counted them (a result the stream
    # yielded just before the Ctrl-C, not yet printed, is done), so that with
    # "not started" and "in progress" they add up to the items found; the
    # output's own counts cover results that are not in the stream (one stat)
    done = max(snapshot.done, out.done)
    failed = max(snapshot.failed, out.failures)
    head = f"interrupted: {done} done, {failed} failed, {counted} not started"
    moving = snapshot.in_progress
    if not moving:
        return [head]
    verb = "received" if all(item.action.startswith("download") for item in moving) else "sent"
    moved = sum(item.bytes_moved for item in moving)
    sizes = [item.size for item in moving]
    of_total = f" of {human_bytes(sum(sizes))}" if all(sizes) else ""
    lines = [f"{head}, {len(moving)} in progress ({human_bytes(moved)}{of_total} {verb})"]
    kept_any = False
    ordered = sorted(moving, key=lambda item: -item.bytes_moved)
    for item in ordered[:NAMED_IN_PROGRESS]:
        landed = None if stream else out.landed.get((str(item.container), str(item.obj)))
        kept_any = kept_any or landed is not None
        lines.append(f"  {_item_line(item, landed)}")
    if len(ordered) > NAMED_IN_PROGRESS:
        lines.append(f"  ... and {len(ordered) - NAMED_IN_PROGRESS} more in progress")
    if kept_any:
        lines.append("the same command again reuses the kept segments")
    return lines


def _item_line(item: InProgress, landed: Landed | None) -> str:
    verb = "received" if item.action.startswith("download") else "sent"
    size = f" of {human_bytes(item.size)}" if item.size else ""
    text = f"{item.obj}: {human_bytes(item.bytes_moved)}{size} {verb}"
    if not item.action.startswith("upload"):
        return text
    if landed is None:
        return f"{text}; nothing kept, the same command sends it again"
    # "at least": a segment whose request the interrupt cut may still land
    # once its body is in the server's hands, and no result tells of it
    segments = "1 segment" if landed.count == 1 else f"{landed.count} segments"
    reused = f", {landed.reused} reused" if landed.reused else ""
    where = f" in {landed.segment_container}" if landed.segment_container else ""
    return f"{text}; at least {segments} ({human_bytes(landed.nbytes)}{reused}) kept{where}"
