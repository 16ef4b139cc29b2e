"""Run the local servers from a shell.

    python -m swiftsvc.testing install [swift] [keystone] build the server venvs
    eval "$(python -m swiftsvc.testing start [--keystone] [--state-dir DIR])"
    python -m swiftsvc.testing env [--state-dir DIR]      print the exports again
    python -m swiftsvc.testing stop [--state-dir DIR]     stop everything by PID

``start`` leaves the servers running after it exits (each runs in its own
session) and writes ``state.json`` (pids, ports, credentials) into the state
folder: ``--state-dir``, else ``$SWIFTSVC_STATE_DIR``, else
``~/.cache/swiftsvc/state``. Progress goes to stderr and the ``export`` lines
to stdout, so ``eval`` sees only the latter.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
import threading
import time
from pathlib import Path
from typing import Any

from swiftsvc.testing import _venv
from swiftsvc.testing._process import LocalClusterError, pid_alive, stop_pids
from swiftsvc.testing.keystone import LocalKeystone
from swiftsvc.testing.swift import LocalSwift

_STATE_FILE = "state.json"


def _default_state_dir() -> Path:
    configured = os.environ.get("SWIFTSVC_STATE_DIR")
    if configured:
        return Path(configured).expanduser()
    return _venv.default_cache_dir() / "state"


def _say(message: str) -> None:
    print(f"[swiftsvc.testing] {message}", file=sys.stderr, flush=True)


def _running_pids(state: dict[str, Any]) -> list[int]:
    pids = [int(pid) for pid in state["swift"]["pids"].values()]
    if state.get("keystone") and state["keystone"].get("pid"):
        pids.append(int(state["keystone"]["pid"]))
    return pids


def _read_state(state_dir: Path) -> dict[str, Any] | None:
    try:
        state: dict[str, Any] = json.loads((state_dir / _STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state


def _exports(state: dict[str, Any]) -> str:
    tester = state["swift"]["auth_options"]["tester"]
    variables = {"ST_AUTH": tester["auth"], "ST_USER": tester["user"], "ST_KEY": tester["key"]}
    lines = [f"export {name}={shlex.quote(value)}" for name, value in variables.items()]
    keystone = state.get("keystone")
    if keystone:
        lines.append("# Keystone v3 (demo user); unset ST_AUTH ST_USER ST_KEY to use it")
        os_variables = {
            "OS_AUTH_URL": keystone["url"],
            "OS_IDENTITY_API_VERSION": "3",
            "OS_AUTH_VERSION": "3",
            "OS_USERNAME": "demo",
            "OS_PASSWORD": keystone["passwords"]["demo"],
            "OS_PROJECT_NAME": "demo",
            "OS_USER_DOMAIN_NAME": "Default",
            "OS_PROJECT_DOMAIN_NAME": "Default",
        }
        lines += [f"export {name}={shlex.quote(value)}" for name, value in os_variables.items()]
    return "\n".join(lines)


def _start(state_dir: Path, with_keystone: bool) -> int:
    previous = _read_state(state_dir)
    if previous and any(pid_alive(pid) for pid in _running_pids(previous)):
        _say(f"already running from {state_dir}; run `python -m swiftsvc.testing stop` first")
        return 1
    started = time.monotonic()
    # detached: these servers are the user's until `stop`, not this command's
    swift = LocalSwift(
        state_dir=state_dir / "swift", keep_state=True, progress=_say, detached=True
    )
    keystone = LocalKeystone(
        state_dir=state_dir / "keystone", keep_state=True, progress=_say, detached=True
    )
    try:
        swift.start()
        if with_keystone:
            keystone.start()
            swift.add_keystone_proxy(keystone)
    except LocalClusterError as error:
        swift.stop()
        keystone.stop()
        _say(f"start failed: {error}")
        return 1
    state: dict[str, Any] = {"swift": swift.to_state(), "keystone": None}
    if with_keystone:
        state["keystone"] = keystone.to_state()
        state["swift"]["keystone_proxy_url"] = swift.keystone_proxy_url
    (state_dir / _STATE_FILE).write_text(json.dumps(state, indent=2))
    swift.detach()
    keystone.detach()
    _say(f"started in {time.monotonic() - started:.1f} s; state in {state_dir / _STATE_FILE}")
    print(_exports(state))
    return 0


def _env(state_dir: Path) -> int:
    state = _read_state(state_dir)
    if state is None:
        _say(f"nothing started from {state_dir}")
        return 1
    print(_exports(state))
    return 0


def _stop(state_dir: Path) -> int:
    state = _read_state(state_dir)
    if state is None:
        _say(f"nothing started from {state_dir}")
        return 0
    survivors = stop_pids(_running_pids(state))
    if survivors:
        _say(f"still running after SIGKILL: {survivors}")
        return 1
    (state_dir / _STATE_FILE).unlink()
    _say("stopped")
    return 0


_VENVS = {"swift": _venv.SWIFT_VENV, "keystone": _venv.KEYSTONE_VENV}


def _install(names: list[str]) -> int:
    """Build the named venvs (all by default) at once: CI prints the cold install time."""
    errors: list[str] = []

    def build(spec: _venv.VenvSpec) -> None:
        started = time.monotonic()
        try:
            _venv.ensure_venv(spec, progress=_say)
        except LocalClusterError as error:
            errors.append(str(error))
            return
        print(
            f"[phase] {spec.name} virtualenv ready in {time.monotonic() - started:.1f} s",
            flush=True,
        )

    started = time.monotonic()
    threads = [
        threading.Thread(target=build, args=(_VENVS[name],))
        for name in dict.fromkeys(names or _VENVS)  # in order, each once
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for error in errors:
        _say(error)
    print(f"[phase] server virtualenvs ready in {time.monotonic() - started:.1f} s", flush=True)
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m swiftsvc.testing",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True)
    install = commands.add_parser("install", help="build the server virtualenvs")
    # no choices=: argparse (3.11) then refuses the empty default list
    install.add_argument("servers", nargs="*", help="swift, keystone (default: both)")
    start = commands.add_parser("start", help="start servers detached; print exports")
    start.add_argument("--keystone", action="store_true", help="also Keystone + its proxy")
    for name in ("start", "env", "stop"):
        command = start if name == "start" else commands.add_parser(name)
        command.add_argument("--state-dir", type=Path, default=None)
    options = parser.parse_args(argv)
    if options.command == "install":
        unknown = sorted(set(options.servers) - set(_VENVS))
        if unknown:
            install.error(f"unknown server {', '.join(unknown)} (choose from swift, keystone)")
        return _install(options.servers)
    state_dir: Path = options.state_dir or _default_state_dir()
    state_dir.mkdir(parents=True, exist_ok=True)
    if options.command == "start":
        return _start(state_dir, options.keystone)
    if options.command == "env":
        return _env(state_dir)
    return _stop(state_dir)


if __name__ == "__main__":
    sys.exit(main())
