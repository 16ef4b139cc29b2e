"""A SwiftFileSystem on the real local Swift."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from swiftsvc import Service, SwiftError
from swiftsvc.testing import LocalSwift

pytest.importorskip("fsspec")

from swiftsvc.fsspec import SwiftFileSystem


def remove_containers(options: dict[str, str], *containers: str) -> None:
    with Service(options) as service:
        for container in containers:
            for name in (container, f"{container}_segments"):
                try:
                    for _ in service.delete(name):
                        pass
                except SwiftError:  # never created (no large object was written)
                    pass


@pytest.fixture(scope="session")
def swift_fs(local_swift: LocalSwift) -> Iterator[SwiftFileSystem]:
    fs = SwiftFileSystem(
        skip_instance_cache=True, **local_swift.auth_options("tester")  # type: ignore[arg-type]
    )
    yield fs
    fs.service.close()


@pytest.fixture
def bucket(swift_fs: SwiftFileSystem, local_swift: LocalSwift) -> Iterator[str]:
    """A fresh container (created), removed with its segments afterwards."""
    name = f"fs-{uuid.uuid4().hex[:10]}"
    swift_fs.mkdir(name)
    yield name
    remove_containers(local_swift.auth_options("tester"), name)


@pytest.fixture(scope="session")
def shared_container(swift_fs: SwiftFileSystem, local_swift: LocalSwift) -> Iterator[str]:
    name = f"fs-shared-{uuid.uuid4().hex[:8]}"
    swift_fs.mkdir(name)
    yield name
    remove_containers(local_swift.auth_options("tester"), name)


@pytest.fixture
def scratch(shared_container: str) -> str:
    """A pseudo-folder of its own in a container shared by the session's tests."""
    return f"{shared_container}/{uuid.uuid4().hex[:10]}"
