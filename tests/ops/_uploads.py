"""Helpers of the upload tests: running uploads, sorting results, the swift CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

Result = Mapping[str, Any]  # any result (swiftsvc.results.Result)


def upload(svc: Service, container: str, objects: Iterable[Any], **options: Any) -> list[Result]:
    return list(svc.upload(container, objects, options=options))


def of(results: Iterable[Result], action: str) -> list[Result]:
    return [r for r in results if r["action"] == action]


def one(results: Iterable[Result], action: str) -> Result:
    [result] = of(results, action)
    return result


def all_succeeded(results: Iterable[Result]) -> bool:
    failed = [r for r in results if not r["success"]]
    assert not failed, [(r["action"], r.get("object"), r.get("error")) for r in failed]
    return True


def swift_cli(cluster: LocalSwift | Mapping[str, str], *args: str, cwd: Path | None = None
              ) -> subprocess.CompletedProcess[str]:
    """python-swiftclient's ``swift`` command, the reference implementation."""
    auth = cluster.auth_options("tester") if isinstance(cluster, LocalSwift) else cluster
    command = [sys.executable, "-m", "swiftclient.shell", "-A", auth["auth"], "-U", auth["user"],
               "-K", auth["key"], *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "OS_"))}
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done


def write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path
