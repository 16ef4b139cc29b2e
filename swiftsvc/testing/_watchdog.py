"""Stop a Python process's local servers when that process dies, however it dies.

Run by :mod:`swiftsvc.testing._tether` as ``python -I _watchdog.py PARENT_PID``
in its own session, with a pipe on stdin whose only writer is the parent. The
parent tells it what it owns, one line at a time::

    track PID      a server process group (PID = its group id) to stop
    forget PID     stopped by the parent itself, or handed over to the user
    dir PATH       a temporary state folder to remove
    forget-dir PATH

When the pipe reaches end-of-file the parent is gone (the kernel closes a dead
process's descriptors, SIGKILL included): every tracked group gets SIGTERM,
then SIGKILL after a grace period, the folders are removed, and the watchdog
exits. A parent that stopped everything first leaves nothing to do.

Standard library only, and never imports swiftsvc: it must keep working while
the parent is being torn down.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time
from pathlib import Path

_GRACE = 5.0  # seconds between SIGTERM and SIGKILL
_POLL = 0.05


def start_time(pid: int) -> str | None:
    """The process's start time in clock ticks (``/proc/PID/stat`` field 22).

    Recorded when a PID is tracked and compared before signalling, so that a
    PID the kernel has since given to another process is never signalled.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # fields after the parenthesised command name, which may itself hold spaces
    fields = stat.rpartition(")")[2].split()
    return fields[19] if len(fields) > 19 else None


def group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes whose process group is ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # fields[0] is the state letter, fields[2] the process group
        if len(fields) > 2 and fields[0] != "Z" and fields[2] == str(pgid):
            members.append(int(entry.name))
    return members


def stop_groups(groups: dict[int, str | None]) -> list[int]:
    """SIGTERM each still-same group, SIGKILL what is left after the grace; the survivors."""
    mine = [pgid for pgid, started in groups.items() if start_time(pgid) in (started, None)]
    for signum in (signal.SIGTERM, signal.SIGKILL):
        for pgid in mine:
            if group_members(pgid):
                with contextlib.suppress(OSError):
                    os.killpg(pgid, signum)
        deadline = time.monotonic() + _GRACE
        while time.monotonic() < deadline and any(group_members(pgid) for pgid in mine):
            time.sleep(_POLL)
    return [pgid for pgid in mine if group_members(pgid)]


def main(argv: list[str]) -> int:
    parent = argv[0] if argv else "?"
    # the parent's terminal signals are not ours to obey (we run in our own
    # session anyway); only the end of the pipe tells us to act
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    groups: dict[int, str | None] = {}
    folders: set[str] = set()
    for line in sys.stdin:
        command, _, argument = line.rstrip("\n").partition(" ")
        if command == "track":
            groups[int(argument)] = start_time(int(argument))
        elif command == "forget":
            groups.pop(int(argument), None)
        elif command == "dir":
            folders.add(argument)
        elif command == "forget-dir":
            folders.discard(argument)
    if not groups and not folders:
        return 0
    survivors = stop_groups(groups)
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
    print(
        f"[swiftsvc.testing] process {parent} ended without stopping its servers: "
        f"stopped {len(groups) - len(survivors)} process group(s) {sorted(groups)}"
        + (f", still running: {survivors}" if survivors else "")
        + (f"; removed {len(folders)} state folder(s)" if folders else ""),
        file=sys.stderr,
        flush=True,
    )
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
