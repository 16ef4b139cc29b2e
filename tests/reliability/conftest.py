"""Fixtures of the reliability suite (see _invariants.py and docs/RELIABILITY.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _invariants import SwiftView, Tmpfs

from swiftsvc import Service, SwiftError
from swiftsvc.testing import LocalSwift


@pytest.fixture
def view(local_swift: LocalSwift) -> SwiftView:
    """Raw read access to tester's account, to check what landed."""
    return SwiftView(*local_swift.get_token("tester"))


@pytest.fixture
def container_name(container_name: str, local_swift: LocalSwift) -> Iterator[str]:
    """The plugin's unique name; the container and its segments are deleted afterwards."""
    yield container_name
    if not local_swift.pids.get("proxy"):
        local_swift.start_proxy()  # a scenario that failed with the proxy stopped
    with Service(local_swift.auth_options("tester")) as svc:
        for name in (container_name, f"{container_name}_segments"):
            try:
                for _ in svc.delete(name):
                    pass
            except SwiftError:  # never created
                pass


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Tmpfs]:
    """A 1 MiB tmpfs, where mounting is allowed (root with CAP_SYS_ADMIN); else skip."""
    folder = tmp_path / "disk"
    folder.mkdir()
    disk = Tmpfs(folder)
    problem = disk.mount("1m")
    if problem is not None:
        pytest.skip(f"cannot mount a tmpfs here: {problem}")
    try:
        yield disk
    finally:
        disk.unmount()
