"""Start, watch and stop server processes by PID.

Every server runs in its own session (``setsid``): a Ctrl-C meant for the tests
does not reach it, and it can be stopped as a whole process group (a server that
forked helpers takes them down with it). Unless asked to outlive its starter
(the shell command ``start``), it is also tethered to the starting process
(see ``_tether``), so a starter killed before its cleanup runs leaves nothing
behind.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import requests

from swiftsvc.testing import _tether

__all__ = [
    "LocalClusterError",
    "ensure_memcached_binary",
    "free_port",
    "log_tail",
    "memcached_ready",
    "pid_alive",
    "port_is_free",
    "start_server",
    "stop_pids",
    "wait_healthy",
    "wait_ready",
]

_LOG_TAIL_LINES = 30


class LocalClusterError(RuntimeError):
    """A local test server could not be built, started or reached."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    # SO_REUSEADDR, as the servers use it: a port in TIME_WAIT is still usable
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1", avoid: Sequence[int] = ()) -> int:
    """A port nobody listens on now; ``avoid`` holds ports already handed out."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            probe.bind((host, 0))
            port = int(probe.getsockname()[1])
        if port not in avoid and port_is_free(port, host):
            return port
    raise LocalClusterError("no free port on 127.0.0.1")


def log_tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return f"(no log at {path})"
    return "\n".join(text.splitlines()[-lines:])


def start_server(
    argv: Sequence[str],
    *,
    log_path: Path,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    outlive_parent: bool = False,
) -> int:
    """Start ``argv`` in a new session with output appended to ``log_path``.

    Returns the PID, which is also the process group id. Unless
    ``outlive_parent``, the process is stopped when this Python process dies,
    even by SIGKILL.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        try:
            child = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                cwd=cwd,
                start_new_session=True,
                preexec_fn=None if outlive_parent else _tether.die_with_parent(),
            )
        except (OSError, subprocess.SubprocessError) as error:
            raise LocalClusterError(f"could not run {argv[0]}: {error}") from error
    if not outlive_parent:
        _tether.track(child.pid)
    # nobody will wait() on it if the starter exits first; reap it if we outlive it
    _children[child.pid] = child
    return child.pid


# Popen objects of the processes we started, so that pid_alive() can reap the
# zombie of one that exited (a zombie still answers kill(pid, 0)).
_children: dict[int, subprocess.Popen[bytes]] = {}


def pid_alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except OSError as error:
        return error.errno == errno.EPERM
    # a zombie of someone else's child still answers kill(pid, 0)
    return not _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # the state letter follows the parenthesised command name
    return stat.rpartition(")")[2].split()[:1] == ["Z"]


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except OSError as error:
        return error.errno == errno.EPERM
    return True


def stop_pids(pids: Sequence[int], *, timeout: float = 10.0) -> list[int]:
    """SIGTERM each process group, SIGKILL after ``timeout``; return survivors."""
    for pid in pids:
        _signal_group(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.05)
    for pid in pids:
        if pid_alive(pid) or _group_alive(pid):
            _signal_group(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5.0
    while time.monotonic() < deadline and any(pid_alive(p) for p in pids):
        time.sleep(0.05)
    survivors = [pid for pid in pids if pid_alive(pid)]
    for pid in pids:
        if pid not in survivors:
            _children.pop(pid, None)
            _tether.forget(pid)
    return survivors


def _signal_group(pid: int, signum: int) -> None:
    try:
        os.killpg(pid, signum)
    except OSError:
        # not a group leader (or gone): signal the process alone
        with contextlib.suppress(OSError):
            os.kill(pid, signum)


def wait_healthy(
    url: str,
    *,
    pid: int,
    name: str,
    log_path: Path,
    timeout: float = 60.0,
    expect: int = 200,
) -> None:
    """Poll ``url`` until it answers ``expect``; raise with the log tail if not."""

    def probe() -> str | None:
        try:
            answer = requests.get(url, timeout=2.0)
        except requests.RequestException as error:
            return str(error)
        if answer.status_code == expect:
            return None
        return f"HTTP {answer.status_code} from {url}: {answer.text[:200]}"

    wait_ready(probe, pid=pid, name=name, log_path=log_path, timeout=timeout)


def wait_ready(
    probe: Callable[[], str | None],
    *,
    pid: int,
    name: str,
    log_path: Path,
    timeout: float = 60.0,
) -> None:
    """Call ``probe`` (None means ready, else what is wrong) until ready.

    Gives up at once when the process has died, so a bad config fails fast.
    """
    deadline = time.monotonic() + timeout
    while True:
        if not pid_alive(pid):
            raise LocalClusterError(
                f"{name} (pid {pid}) exited while starting; last lines of {log_path}:\n"
                f"{log_tail(log_path)}"
            )
        problem = probe()
        if problem is None:
            return
        if time.monotonic() > deadline:
            raise LocalClusterError(
                f"{name} (pid {pid}) not ready after {timeout:.0f} s ({problem}); "
                f"last lines of {log_path}:\n{log_tail(log_path)}"
            )
        time.sleep(0.05)


def ensure_memcached_binary(*, lock_dir: Path, progress: Callable[[str], None]) -> str | None:
    """Path of a memcached binary, apt-installing it if missing; None if impossible.

    ``apt-get update`` only runs when the first install fails: it is the slow
    part and usually unnecessary on a machine whose package lists are fresh.
    """
    found = shutil.which("memcached") or (
        "/usr/bin/memcached" if os.access("/usr/bin/memcached", os.X_OK) else None
    )
    if found or os.geteuid() != 0 or shutil.which("apt-get") is None:
        return found
    lock_dir.mkdir(parents=True, exist_ok=True)
    # two test processes must not run apt-get at once: apt's own lock makes one fail
    with open(lock_dir / "apt-memcached.lock", "a") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        found = shutil.which("memcached")
        if found:
            return found
        started = time.monotonic()
        install = ["apt-get", "install", "-y", "-q", "memcached"]
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if _quiet_run(install, env) != 0:
            _quiet_run(["apt-get", "update", "-q"], env)
            _quiet_run(install, env)
        found = shutil.which("memcached")
        if found:
            progress(f"installed memcached in {time.monotonic() - started:.1f} s")
        return found


def _quiet_run(argv: list[str], env: Mapping[str, str]) -> int:
    try:
        return subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=dict(env),
            timeout=300,
            check=False,
        ).returncode
    except (OSError, subprocess.TimeoutExpired):
        return -1


def memcached_ready(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as conn:
            conn.sendall(b"version\r\n")
            return conn.recv(64).startswith(b"VERSION")
    except OSError:
        return False
