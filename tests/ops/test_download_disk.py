"""A full disk fails the download and leaves no partial file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from _seed import Seed

from swiftsvc import Service

REPO = Path(__file__).resolve().parents[2]
SIZE = 2 << 20


@pytest.fixture
def big_object(seed: Seed, container_name: str) -> str:
    seed.container(container_name)
    seed.put(container_name, "big", os.urandom(SIZE))
    return container_name


@pytest.fixture
def tiny_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MiB tmpfs, where mounting is allowed (root with CAP_SYS_ADMIN)."""
    folder = tmp_path / "tmpfs"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(folder)],
        capture_output=True, check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_full_filesystem_fails_and_keeps_the_old_file(
    swift_options: dict[str, str], big_object: str, tiny_tmpfs: Path
) -> None:
    (tiny_tmpfs / "big").write_bytes(b"old")
    with Service(swift_options) as svc:
        [result] = svc.download(big_object, ["big"], options={"out_directory": str(tiny_tmpfs)})
    assert not result["success"]
    assert isinstance(result["error"], OSError)
    assert sorted(p.name for p in tiny_tmpfs.iterdir()) == ["big"]
    assert (tiny_tmpfs / "big").read_bytes() == b"old"


_SCRIPT = textwrap.dedent("""
    import json, resource, signal, sys
    from swiftsvc import Service
    # writes past the limit fail with EFBIG instead of killing the process
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 * 1024, 256 * 1024))
    options, container, folder = json.loads(sys.argv[1])
    with Service(options) as svc:
        [result] = svc.download(container, ["big"], options={"out_directory": folder})
    print(json.dumps({"success": result["success"], "error": repr(result.get("error"))}))
""")


def test_a_file_size_limit_fails_and_leaves_nothing(
    swift_options: dict[str, str], big_object: str, tmp_path: Path
) -> None:
    folder = tmp_path / f"out-{uuid.uuid4().hex[:6]}"
    folder.mkdir()
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, json.dumps([swift_options, big_object, str(folder)])],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["success"] is False
    assert "File too large" in outcome["error"] or "EFBIG" in outcome["error"]
    assert list(folder.iterdir()) == []
