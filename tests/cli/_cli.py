"""Running ``python -m swiftsvc`` as a subprocess against the local Swift."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment without leftover auth variables, with the checkout importable."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ST_", "OS_")) and name != "SWIFTCLIENT_INSECURE"
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def auth_flags(options: Mapping[str, str]) -> list[str]:
    return ["-A", options["auth"], "-U", options["user"], "-K", options["key"]]


def command(*argv: str) -> list[str]:
    return [sys.executable, "-m", "swiftsvc", *argv]


def swift_command(*argv: str) -> list[str]:
    """python-swiftclient's ``swift`` command, installed next to this Python."""
    return [str(Path(sys.executable).parent / "swift"), *argv]


@dataclass
class CLI:
    """``run(...)`` = ``python -m swiftsvc -A .. -U .. -K .. <argv>`` in ``cwd``."""

    auth: Sequence[str]
    cwd: Path

    def run(
        self,
        *argv: str,
        auth: bool = True,
        stdin: str | None = None,
        env: Mapping[str, str] | None = None,
        swift: bool = False,
    ) -> subprocess.CompletedProcess[str]:
        """``swift=True``: the same arguments to python-swiftclient's ``swift`` instead."""
        program = swift_command if swift else command
        return subprocess.run(
            program(*(self.auth if auth else ()), *argv),
            cwd=self.cwd,
            env=clean_env(env),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )
