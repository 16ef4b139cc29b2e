"""Private virtualenvs for the servers, built once under a cache folder.

Swift and Keystone are installed from PyPI into their own virtualenvs, never
into the library's environment: their dependency trees (eventlet, oslo.*) would
otherwise leak into every user's install.

Layout under the cache folder (``$SWIFTSVC_CACHE_DIR`` or ``~/.cache/swiftsvc``)::

    venvs/<name>-py3.11/          a finished virtualenv (marker file inside)
    venvs/<name>-py3.11.lock      flock: one builder at a time per venv
    venvs/.<name>-py3.11.build-*  a build in progress (renamed when done)

A venv is built in a temporary folder and renamed into place, so a crash
mid-build never leaves something that looks finished. Because the folder is
renamed, the console scripts pip writes carry a stale ``#!`` line: callers must
run everything as ``<venv>/bin/python -m <module>``, which is what this
package does.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from swiftsvc.testing._process import LocalClusterError

__all__ = ["KEYSTONE_VENV", "SWIFT_VENV", "VenvSpec", "default_cache_dir", "ensure_venv"]

_MARKER = "swiftsvc-venv.json"
# a healthy venv imports these in well under this many seconds
_CHECK_TIMEOUT = 120.0
_INSTALL_TIMEOUT = 1200.0

Progress = Callable[[str], None]


@dataclass(frozen=True)
class VenvSpec:
    """What goes into one server virtualenv and how to tell it works."""

    name: str
    requirements: tuple[str, ...]
    check_imports: tuple[str, ...]

    @property
    def folder_name(self) -> str:
        # the interpreter version is part of the key: a venv is tied to it
        return f"{self.name}-py{sys.version_info.major}.{sys.version_info.minor}"


SWIFT_VENV = VenvSpec(
    name="swift-2.38.3",
    # keystonemiddleware goes in the same build so a Keystone-validating proxy
    # needs no second install step later
    requirements=("swift==2.38.3", "keystonemiddleware"),
    check_imports=("swift.common.wsgi", "swift.common.ring", "keystonemiddleware"),
)

KEYSTONE_VENV = VenvSpec(
    name="keystone-30.0.0",
    requirements=("keystone==30.0.0", "gunicorn"),
    check_imports=("keystone", "gunicorn", "cryptography.fernet"),
)


def default_cache_dir() -> Path:
    """``$SWIFTSVC_CACHE_DIR``, else ``~/.cache/swiftsvc``."""
    configured = os.environ.get("SWIFTSVC_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    return Path.home() / ".cache" / "swiftsvc"


def venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"


def ensure_venv(
    spec: VenvSpec,
    *,
    cache_dir: Path | None = None,
    progress: Progress | None = None,
) -> Path:
    """Return the python of a working venv for ``spec``, building it if needed.

    Raises LocalClusterError when the build fails; the message carries the end
    of pip's output.
    """
    say = progress or _stderr
    root = (cache_dir or default_cache_dir()) / "venvs"
    root.mkdir(parents=True, exist_ok=True)
    final = root / spec.folder_name
    if _is_healthy(spec, final):
        return venv_python(final)
    with _locked(root / f"{spec.folder_name}.lock"):
        # another process may have finished the build while we waited
        if _is_healthy(spec, final):
            return venv_python(final)
        if final.exists():
            say(f"{spec.name} virtualenv at {final} is broken or outdated: rebuilding")
        started = time.monotonic()
        _build(spec, root, final)
        say(f"{spec.name} virtualenv built in {time.monotonic() - started:.1f} s at {final}")
    return venv_python(final)


def _is_healthy(spec: VenvSpec, venv: Path) -> bool:
    try:
        marker = json.loads((venv / _MARKER).read_text())
    except (OSError, ValueError):
        return False
    if marker.get("requirements") != list(spec.requirements):
        return False
    python = venv_python(venv)
    if not os.access(python, os.X_OK):
        return False
    check = "import " + ", ".join(spec.check_imports)
    try:
        done = subprocess.run(
            [str(python), "-c", check],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            timeout=_CHECK_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _build(spec: VenvSpec, root: Path, final: Path) -> None:
    building = root / f".{spec.folder_name}.build-{os.getpid()}"
    shutil.rmtree(building, ignore_errors=True)
    try:
        create = [sys.executable, "-m", "venv", str(building)]
        if not spec.requirements:
            create.append("--without-pip")  # nothing to install: skip ensurepip's 3 s
        _run(create, what=f"create {spec.name} venv")
        python = str(venv_python(building))
        if spec.requirements:
            _run(
                [
                    python,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    *spec.requirements,
                ],
                what=f"pip install {' '.join(spec.requirements)}",
            )
        _run([python, "-c", "import " + ", ".join(spec.check_imports)], what="import check")
        (building / _MARKER).write_text(
            json.dumps({"requirements": list(spec.requirements), "built": time.time()})
        )
        if final.exists():
            # move the broken one aside first: rename onto a non-empty dir fails
            stale = root / f".{spec.folder_name}.stale-{os.getpid()}"
            final.rename(stale)
            shutil.rmtree(stale, ignore_errors=True)
        building.rename(final)
    finally:
        shutil.rmtree(building, ignore_errors=True)


def _run(argv: list[str], *, what: str) -> None:
    try:
        done = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=_INSTALL_TIMEOUT,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LocalClusterError(f"could not {what}: {error}") from error
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise LocalClusterError(f"could not {what} (exit {done.returncode}):\n{tail}")


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _stderr(message: str) -> None:
    print(f"[swiftsvc.testing] {message}", file=sys.stderr, flush=True)
