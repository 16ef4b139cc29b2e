"""A SwiftFileSystem on the real local Swift, one container per test."""

from __future__ import annotations

import posixpath
import uuid
from collections.abc import Iterator

import pytest

from swiftsvc import Service, SwiftError
from swiftsvc.fsspec import SwiftFileSystem
from swiftsvc.testing import LocalSwift

pytest.importorskip("fsspec")


@pytest.fixture(scope="session")
def swift_fs(local_swift: LocalSwift) -> Iterator[SwiftFileSystem]:
    fs = SwiftFileSystem(skip_instance_cache=True, **local_swift.auth_options("tester"))
    yield fs
    fs.service.close()


@pytest.fixture
def bucket(swift_fs: SwiftFileSystem, local_swift: LocalSwift) -> Iterator[str]:
    """A fresh container (created), removed with its segments afterwards."""
    name = f"fs-{uuid.uuid4().hex[:10]}"
    swift_fs.mkdir(name)
    yield name
    with Service(local_swift.auth_options("tester")) as service:
        for container in (name, f"{name}_segments"):
            try:
                for _ in service.delete(container):
                    pass
            except SwiftError:  # never created (no large object was written)
                pass


def join(*parts: str) -> str:
    return posixpath.join(*parts)
