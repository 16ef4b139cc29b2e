"""Tie local servers' lifetime to the Python process that started them.

The servers run in their own sessions (so a Ctrl-C meant for the tests does not
hit them, and each can be stopped as a process group). That also means nothing
stops them when their starter dies without running its cleanup: a CI timeout's
SIGTERM or a SIGKILL would leave them running under PID 1. Two tethers, each
covering the other's gap:

* ``PR_SET_PDEATHSIG``: the kernel sends the server SIGTERM when the thread that
  started it ends. Set in the child before exec (:func:`die_with_parent`), only
  for servers started from the main thread: a server started from a short-lived
  thread (a test restarting a proxy) would otherwise die with that thread.
* a watchdog process (``_watchdog.py``) holding the read end of a pipe only this
  process writes to: at end-of-file it stops every server group it was told
  about, SIGKILL after a grace period, and removes temporary state folders.

Servers meant to outlive their starter (``python -m swiftsvc.testing start``)
use neither.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

__all__ = ["die_with_parent", "forget", "forget_folder", "track", "track_folder"]

_WATCHDOG = Path(__file__).with_name("_watchdog.py")
_PR_SET_PDEATHSIG = 1
_CLOSE_WAIT = 2.0


def _load_prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        prctl: Callable[..., int] = ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    return prctl


# looked up here, in the parent: the child between fork and exec should do as
# little as possible (no imports, no symbol lookups)
_prctl = _load_prctl()


def die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking for SIGTERM when the starting thread ends, or None.

    None off Linux and off the main thread (see the module docstring).
    """
    if _prctl is None or threading.current_thread() is not threading.main_thread():
        return None
    prctl = _prctl
    parent = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
        if os.getppid() != parent:
            # the parent died before the request took effect: nobody will stop us
            os._exit(1)

    return in_child


class _Watchdog:
    """This process's watchdog: started on first use, started again if it died."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen[str] | None = None
        self._owner = 0
        self._groups: set[int] = set()
        self._folders: set[str] = set()

    def track(self, pgid: int) -> None:
        with self._lock:
            self._groups.add(pgid)
            self._tell(f"track {pgid}")

    def forget(self, pgid: int) -> None:
        with self._lock:
            if pgid in self._groups:
                self._groups.discard(pgid)
                self._tell(f"forget {pgid}")

    def track_folder(self, folder: str) -> None:
        with self._lock:
            self._folders.add(folder)
            self._tell(f"dir {folder}")

    def forget_folder(self, folder: str) -> None:
        with self._lock:
            if folder in self._folders:
                self._folders.discard(folder)
                self._tell(f"forget-dir {folder}")

    def close(self) -> None:
        """At a normal exit: end the pipe and reap the watchdog (nothing left to stop)."""
        with self._lock:
            process, self._process = self._process, None
        if process is None or self._owner != os.getpid():
            return
        with contextlib.suppress(OSError, ValueError):
            assert process.stdin is not None
            process.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=_CLOSE_WAIT)

    def _tell(self, line: str) -> None:
        # under self._lock
        if self._alive():
            if self._write(line):
                return
        elif not self._groups and not self._folders:
            return  # nothing to watch over: no process needed
        # first use, or the watchdog was killed: a new one learns the whole state
        self._process = subprocess.Popen(
            [sys.executable, "-I", str(_WATCHDOG), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
        )
        self._owner = os.getpid()
        state = [f"track {pgid}" for pgid in sorted(self._groups)]
        state += [f"dir {folder}" for folder in sorted(self._folders)]
        self._write("\n".join(state))

    def _alive(self) -> bool:
        # a forked child must not share its parent's pipe: it gets its own watchdog
        return (
            self._process is not None
            and self._owner == os.getpid()
            and self._process.poll() is None
        )

    def _write(self, text: str) -> bool:
        assert self._process is not None and self._process.stdin is not None
        try:
            self._process.stdin.write(text + "\n")
            self._process.stdin.flush()
        except (OSError, ValueError):
            return False
        return True


_watchdog = _Watchdog()
# registered at import, before any launcher registers its stop(): atexit runs
# last-in first-out, so the launchers stop their servers before the pipe ends
atexit.register(_watchdog.close)


def track(pgid: int) -> None:
    """Stop process group ``pgid`` if this process dies without stopping it."""
    _watchdog.track(pgid)


def forget(pgid: int) -> None:
    """``pgid`` was stopped (or handed over to the user): the watchdog leaves it be."""
    _watchdog.forget(pgid)


def track_folder(folder: Path) -> None:
    """Remove ``folder`` if this process dies without removing it itself."""
    _watchdog.track_folder(str(folder))


def forget_folder(folder: Path) -> None:
    _watchdog.forget_folder(str(folder))
