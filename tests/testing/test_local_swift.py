"""LocalSwift: a real cluster starts, serves, and stops leaving nothing behind.

Each test here starts its own small cluster (about 2 s warm) rather than the
session one, because what it checks is start and stop themselves.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from swiftsvc.testing import LocalClusterError, LocalSwift
from swiftsvc.testing._process import pid_alive
from swiftsvc.testing._venv import VenvSpec, ensure_venv

_REPO = Path(__file__).resolve().parents[2]


def _quiet(message: str) -> None:
    del message


def _processes_mentioning(text: str) -> list[int]:
    """PIDs whose command line contains ``text`` (our state folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline and int(entry.name) != os.getpid():
            found.append(int(entry.name))
    return found


@pytest.fixture
def listening_socket() -> Iterator[socket.socket]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held


def test_starts_healthy_serves_and_stops_every_process(tmp_path: Path) -> None:
    swift = LocalSwift(state_dir=tmp_path / "state", progress=_quiet)
    with swift:
        pids = swift.pids
        assert set(pids) >= {"proxy", "account", "container", "object", "sweep"}
        assert all(pid_alive(pid) for pid in pids.values())
        for server in ("proxy", "account", "container", "object"):
            answer = requests.get(f"http://127.0.0.1:{swift.ports[server]}/healthcheck", timeout=5)
            assert answer.text == "OK"
        assert set(swift.timings) == {"venv", "rings/config", "start", "healthy"}
        storage_url, _token = swift.get_token("tester")
        assert storage_url == swift.storage_url("tester")
        info = requests.get(f"{swift.proxy_url}/info", timeout=5).json()
        assert {"bulk_delete", "slo", "tempauth", "object_versioning"} <= set(info)
        assert [p["name"] for p in info["swift"]["policies"]] == ["gold", "silver"]
    assert not any(pid_alive(pid) for pid in pids.values())
    assert _processes_mentioning(str(tmp_path)) == []
    assert swift.pids == {}


def test_options_reach_constraints_and_pipeline(tmp_path: Path) -> None:
    with LocalSwift(
        constraints={"container_listing_limit": 7, "max_file_size": 4096},
        bulk=False,
        memcached=False,
        progress=_quiet,
    ) as swift:
        info = requests.get(f"{swift.proxy_url}/info", timeout=5).json()
        state_dir = swift.state_dir
        assert info["swift"]["container_listing_limit"] == 7
        assert info["swift"]["max_file_size"] == 4096
        assert "bulk_delete" not in info
        # without memcached tempauth still works: fernet tokens are stateless
        storage_url, token = swift.get_token("tester3")
        answer = requests.put(f"{storage_url}/c", headers={"X-Auth-Token": token}, timeout=5)
        assert answer.status_code == 403  # tester3 is not an account admin
    assert not state_dir.exists()  # a temporary state folder goes with the cluster


def test_a_taken_port_is_reported_and_nothing_keeps_running(
    tmp_path: Path, listening_socket: socket.socket
) -> None:
    port = listening_socket.getsockname()[1]
    swift = LocalSwift(state_dir=tmp_path, ports={"proxy": port}, memcached=False, progress=_quiet)
    with pytest.raises(LocalClusterError, match=f"port {port} wanted by the proxy"):
        swift.start()
    assert swift.pids == {}
    assert _processes_mentioning(str(tmp_path)) == []


def test_a_server_dying_at_start_raises_with_its_log_tail(tmp_path: Path) -> None:
    # an unparsable constraint makes every server exit while loading swift.conf
    swift = LocalSwift(
        state_dir=tmp_path, constraints={"max_file_size": "lots"}, memcached=False, progress=_quiet
    )
    with pytest.raises(LocalClusterError) as raised:
        swift.start()
    message = str(raised.value)
    assert "exited while starting" in message
    assert "last lines of" in message
    assert "invalid literal for int() with base 10: 'lots'" in message
    assert _processes_mentioning(str(tmp_path)) == []


def test_restart_proxy_keeps_its_port_and_data(local_swift: LocalSwift) -> None:
    storage_url, token = local_swift.get_token("tester2")
    headers = {"X-Auth-Token": token}
    assert requests.put(f"{storage_url}/restart", headers=headers, timeout=5).status_code == 201
    old_pid, old_port = local_swift.pids["proxy"], local_swift.ports["proxy"]
    local_swift.restart_proxy()
    assert not pid_alive(old_pid)
    assert local_swift.ports["proxy"] == old_port
    assert requests.head(f"{storage_url}/restart", headers=headers, timeout=5).status_code == 204


def test_a_broken_venv_is_rebuilt(tmp_path: Path) -> None:
    spec = VenvSpec(name="tiny", requirements=(), check_imports=("json",))
    python = ensure_venv(spec, cache_dir=tmp_path, progress=_quiet)
    python.unlink()  # as if the base interpreter had been removed
    messages: list[str] = []
    assert ensure_venv(spec, cache_dir=tmp_path, progress=messages.append) == python
    assert python.exists()
    assert any("broken" in message for message in messages)


def test_a_venv_that_cannot_work_is_reported(tmp_path: Path) -> None:
    spec = VenvSpec(name="unusable", requirements=(), check_imports=("no_such_module_here",))
    with pytest.raises(LocalClusterError, match="no_such_module_here"):
        ensure_venv(spec, cache_dir=tmp_path, progress=_quiet)
    # nothing half-built is left to look finished
    assert [p.name for p in (tmp_path / "venvs").iterdir() if not p.name.endswith(".lock")] == []


def _cli(*args: str, state_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_REPO), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.run(
        [sys.executable, "-m", "swiftsvc.testing", *args, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def _exports(text: str) -> dict[str, str]:
    found = {}
    for line in text.splitlines():
        if line.startswith("export "):
            name, _, value = line.removeprefix("export ").partition("=")
            found[name] = shlex.split(value)[0]
    return found


def test_shell_start_env_stop_round_trip(tmp_path: Path) -> None:
    started = _cli("start", state_dir=tmp_path)
    assert started.returncode == 0, started.stderr
    try:
        variables = _exports(started.stdout)
        assert set(variables) == {"ST_AUTH", "ST_USER", "ST_KEY"}
        # the servers outlived the command that started them
        answer = requests.get(
            variables["ST_AUTH"],
            timeout=5,
            headers={"X-Auth-User": variables["ST_USER"], "X-Auth-Key": variables["ST_KEY"]},
        )
        assert answer.status_code == 200
        again = _cli("env", state_dir=tmp_path)
        assert _exports(again.stdout) == variables
        assert _cli("start", state_dir=tmp_path).returncode == 1  # already running
        assert _processes_mentioning(str(tmp_path))
    finally:
        stopped = _cli("stop", state_dir=tmp_path)
    assert stopped.returncode == 0, stopped.stderr
    assert _processes_mentioning(str(tmp_path)) == []
    assert not (tmp_path / "state.json").exists()
