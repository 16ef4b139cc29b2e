"""Local servers die with the process that started them, however it is killed.

Each test runs a real starter in a subprocess (a Python script or a pytest
run), kills it with SIGTERM or SIGKILL once its servers are up, and then
checks by PID that no server process of that run is left, and that its
temporary state folder is gone.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from swiftsvc.testing import LocalClusterError, LocalKeystone, LocalSwift

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]

_REPO = Path(__file__).resolve().parents[2]
_STARTED_TIMEOUT = 180.0  # a cluster starts in seconds; this only bounds a broken run
_GONE_TIMEOUT = 30.0  # the watchdog's grace (5 s) and SIGKILL, on a loaded machine


@dataclass(frozen=True)
class Process:
    pid: int
    started: str  # /proc start time: tells a PID the kernel gave to someone else


def _stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rpartition(")")[2].split()


def _identify(pid: int) -> Process:
    fields = _stat_fields(pid)
    assert fields is not None, f"process {pid} is not running"
    return Process(pid, fields[19])


def _alive(process: Process) -> bool:
    fields = _stat_fields(process.pid)
    return fields is not None and fields[0] != "Z" and fields[19] == process.started


def _group(pgid: int) -> list[Process]:
    """Every live process of process group ``pgid`` (a server and what it forked)."""
    members = []
    for entry in Path("/proc").iterdir():
        fields = _stat_fields(int(entry.name)) if entry.name.isdigit() else None
        if fields is not None and fields[0] != "Z" and fields[2] == str(pgid):
            members.append(Process(int(entry.name), fields[19]))
    return members


def _environment(**extra: str) -> dict[str, str]:
    # the repository first, as in tests/testing/test_local_swift.py: the starter
    # must use this checkout's swiftsvc.testing whatever is installed
    path = os.pathsep.join(filter(None, [str(_REPO), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, **extra}


@dataclass(frozen=True)
class Report:
    """What a starter reported once its servers were up."""

    servers: dict[str, int]
    state_dirs: list[str]
    watchdog: int | None


@dataclass
class Starter:
    """A subprocess that started servers and reported them in ``report``."""

    process: subprocess.Popen[bytes]
    report: Path

    def wait_for_servers(self) -> Report:
        deadline = time.monotonic() + _STARTED_TIMEOUT
        while not self.report.exists():
            if self.process.poll() is not None:
                output = self.process.communicate()[0].decode(errors="replace")
                pytest.fail(f"the starter exited ({self.process.returncode}):\n{output}")
            assert time.monotonic() < deadline, "the starter never reported its servers"
            time.sleep(0.1)
        found = json.loads(self.report.read_text())
        return Report(found["servers"], found["state_dirs"], found.get("watchdog"))

    def kill(self, signum: int) -> int:
        self.process.send_signal(signum)
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            pytest.fail(f"the starter did not end after signal {signum}")
        return self.process.returncode


@pytest.fixture
def starters() -> Iterator[list[Starter]]:
    """Starters of the test; any still running at the end is killed."""
    started: list[Starter] = []
    yield started
    for starter in started:
        if starter.process.poll() is None:
            starter.process.kill()
            starter.process.wait(timeout=30)


_SCRIPT = """\
import json, os, sys, threading, time
from pathlib import Path
from swiftsvc.testing import LocalKeystone, LocalSwift
from swiftsvc.testing import _tether

servers = {}
state_dirs = []
if "keystone" in sys.argv:
    # Keystone alone: a killed starter's Swift is the other tests' case
    keystone = LocalKeystone(progress=lambda message: None).start()
    servers["keystone"] = keystone.pid
    state_dirs.append(str(keystone.state_dir))
else:
    swift = LocalSwift(progress=lambda message: None).start()
    if "restart-in-thread" in sys.argv:
        # a proxy started from a thread that then ends: the watchdog's job alone
        restarter = threading.Thread(target=swift.restart_proxy)
        restarter.start()
        restarter.join()
    servers.update(swift.pids)
    state_dirs.append(str(swift.state_dir))
watchdog = _tether._watchdog._process
report = {"servers": servers, "state_dirs": state_dirs, "watchdog": watchdog.pid}
Path(os.environ["REPORT"] + ".part").write_text(json.dumps(report))
os.rename(os.environ["REPORT"] + ".part", os.environ["REPORT"])
time.sleep(600)
"""

_PYTEST_FILE = """\
import json, os, time
from pathlib import Path

def test_holds_the_servers(local_swift):
    report = {"servers": local_swift.pids, "state_dirs": [str(local_swift.state_dir)]}
    Path(os.environ["REPORT"] + ".part").write_text(json.dumps(report))
    os.rename(os.environ["REPORT"] + ".part", os.environ["REPORT"])
    time.sleep(600)
"""


def _start_script(tmp_path: Path, starters: list[Starter], *flags: str) -> Starter:
    script = tmp_path / "starter.py"
    script.write_text(_SCRIPT)
    report = tmp_path / "report.json"
    process = subprocess.Popen(
        [sys.executable, str(script), *flags],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_environment(REPORT=str(report)),
    )
    starters.append(Starter(process, report))
    return starters[-1]


def _start_pytest(tmp_path: Path, starters: list[Starter]) -> Starter:
    (tmp_path / "test_holder.py").write_text(_PYTEST_FILE)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")  # not the repository's settings
    report = tmp_path / "report.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-p", "swiftsvc.testing.pytest_plugin",
         "-p", "no:cacheprovider", str(tmp_path / "test_holder.py")],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=_environment(REPORT=str(report)),
    )
    starters.append(Starter(process, report))
    return starters[-1]


def _server_processes(report: Report) -> list[Process]:
    assert report.servers, report
    found: list[Process] = []
    for pid in report.servers.values():
        members = _group(pid)  # the server, and any worker it forked (gunicorn)
        assert members, f"server {pid} was not running before the kill"
        found += members
    return found


def _assert_all_gone(processes: list[Process], state_dirs: list[str]) -> None:
    deadline = time.monotonic() + _GONE_TIMEOUT
    while time.monotonic() < deadline and any(_alive(p) for p in processes):
        time.sleep(0.1)
    left = [p.pid for p in processes if _alive(p)]
    if left:  # never leave them to the other tests' machine
        for pid in left:
            os.kill(pid, signal.SIGKILL)
    assert left == [], f"server processes still running after their starter died: {left}"
    deadline = time.monotonic() + _GONE_TIMEOUT
    while time.monotonic() < deadline and any(Path(d).exists() for d in state_dirs):
        time.sleep(0.1)
    assert [d for d in state_dirs if Path(d).exists()] == []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_a_killed_script_leaves_no_server_running(
    signum: int, tmp_path: Path, starters: list[Starter]
) -> None:
    starter = _start_script(tmp_path, starters, "restart-in-thread")
    report = starter.wait_for_servers()
    processes = _server_processes(report)
    # the proxy restarted from a thread outlived that thread
    assert len(processes) >= 6  # memcached, 4 servers, sweep
    assert starter.kill(signum) == -signum
    _assert_all_gone(processes, report.state_dirs)


def test_with_the_watchdog_killed_too_the_kernel_still_stops_the_servers(
    tmp_path: Path, starters: list[Starter]
) -> None:
    """PR_SET_PDEATHSIG alone: servers started from the main thread get SIGTERM."""
    starter = _start_script(tmp_path, starters)
    report = starter.wait_for_servers()
    processes = _server_processes(report)
    assert report.watchdog is not None
    os.kill(report.watchdog, signal.SIGKILL)
    starter.kill(signal.SIGKILL)
    _assert_all_gone(processes, [])  # folders are the watchdog's job, and it is dead
    for folder in report.state_dirs:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.keystone
def test_a_killed_script_leaves_no_keystone_running(
    tmp_path: Path, starters: list[Starter]
) -> None:
    starter = _start_script(tmp_path, starters, "keystone")
    report = starter.wait_for_servers()
    processes = _server_processes(report)
    assert len(_group(report.servers["keystone"])) >= 2  # gunicorn's master and worker
    starter.kill(signal.SIGKILL)
    _assert_all_gone(processes, report.state_dirs)


def test_a_pytest_run_stopped_by_sigterm_tears_down_and_leaves_nothing(
    tmp_path: Path, starters: list[Starter]
) -> None:
    starter = _start_pytest(tmp_path, starters)
    report = starter.wait_for_servers()
    processes = _server_processes(report)
    returncode = starter.kill(signal.SIGTERM)
    output = starter.process.communicate()[0].decode(errors="replace")
    # pytest ended itself (tearing its fixtures down), it was not cut off by the signal
    assert returncode == 128 + signal.SIGTERM, output
    assert "terminated by SIGTERM" in output
    _assert_all_gone(processes, report.state_dirs)


def test_a_pytest_run_killed_by_sigkill_leaves_nothing(
    tmp_path: Path, starters: list[Starter]
) -> None:
    starter = _start_pytest(tmp_path, starters)
    report = starter.wait_for_servers()
    processes = _server_processes(report)
    assert starter.kill(signal.SIGKILL) == -signal.SIGKILL
    _assert_all_gone(processes, report.state_dirs)


def test_only_a_detached_launcher_hands_its_servers_over() -> None:
    with pytest.raises(LocalClusterError, match="detached=True"):
        LocalSwift().detach()
    with pytest.raises(LocalClusterError, match="detached=True"):
        LocalKeystone().detach()
    LocalSwift(detached=True).detach()  # allowed (the shell command `start` does this)
