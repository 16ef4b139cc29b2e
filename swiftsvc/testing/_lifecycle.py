"""What every local test server shares: start/stop as a context manager, and
for the process launchers (LocalSwift, LocalKeystone) start-up in timed phases."""

from __future__ import annotations

import atexit
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from swiftsvc.testing import _tether, _venv
from swiftsvc.testing._process import LocalClusterError

_S = TypeVar("_S", bound="Lifecycle")
_L = TypeVar("_L", bound="Launcher")


class Lifecycle:
    """``with server:`` starts it and stops it, whatever happens inside."""

    def start(self: _S) -> _S:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self: _S) -> _S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


class Launcher(Lifecycle):
    """Server processes in their own virtualenv, started in timed phases.

    A subclass sets ``name`` and ``venv`` and provides ``_phases()`` (what
    to run, in order, once the virtualenv is there) and ``_ready_url()``;
    every phase's time lands in ``timings`` and is reported through
    ``progress`` (the CI log shows them). A phase that fails stops whatever
    was started, so nothing is left running.

    The servers die with the Python process that started them, however it
    ends (see ``_tether``), unless the launcher is ``detached``: then they
    outlive it once :meth:`detach` is called (the shell command ``start``).
    """

    name: str
    venv: _venv.VenvSpec
    cache_dir: Path
    python: Path
    timings: dict[str, float]
    detached: bool
    _progress: Callable[[str], None]
    _running: bool

    def _phases(self) -> Sequence[tuple[str, Callable[[], Any]]]:
        raise NotImplementedError

    def _ready_url(self) -> str:
        raise NotImplementedError

    def start(self: _L) -> _L:
        if self._running:
            return self
        started = time.monotonic()
        self.python = self._phase(
            "venv",
            lambda: _venv.ensure_venv(self.venv, cache_dir=self.cache_dir, progress=self._say),
        )
        self._running = True
        atexit.register(self.stop)
        try:
            for phase, action in self._phases():
                self._phase(phase, action)
        except BaseException:
            self.stop()
            raise
        self._say(f"{self.name} ready at {self._ready_url()} in {time.monotonic() - started:.1f} s")
        return self

    def detach(self) -> None:
        """Leave the servers running when this Python process exits.

        Only for a launcher created with ``detached=True``: the servers of any
        other are tied to this process and would die with it anyway.
        """
        if not self.detached:
            raise LocalClusterError(
                f"{self.name} servers are tied to this process; "
                "create the launcher with detached=True to leave them running"
            )
        atexit.unregister(self.stop)
        self._running = False

    def _temporary_state_dir(self, prefix: str) -> Path:
        """A fresh state folder that goes with the servers, even if this process is killed."""
        folder = Path(tempfile.mkdtemp(prefix=prefix))
        if not self.detached:
            _tether.track_folder(folder)
        return folder

    def _remove_temporary_state_dir(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        _tether.forget_folder(folder)

    def _say(self, message: str) -> None:
        self._progress(message)

    def _record(self, phase: str, seconds: float) -> None:
        self.timings[phase] = seconds
        self._say(f"{self.name} {phase}: {seconds:.2f} s")

    def _phase(self, phase: str, action: Callable[[], Any]) -> Any:
        started = time.monotonic()
        result = action()
        self._record(phase, time.monotonic() - started)
        return result
