"""Fixtures of the command-line tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swiftsvc import Service, SwiftError
from swiftsvc.testing import LocalSwift


@pytest.fixture
def container_name(container_name: str, local_swift: LocalSwift) -> Iterator[str]:
    """The plugin's unique name, plus the container deleted afterwards (whatever the test did)."""
    yield container_name
    with Service(local_swift.auth_options("tester")) as svc:
        for name in (container_name, f"{container_name}-copy", f"{container_name}_segments"):
            try:
                for _ in svc.delete(name):
                    pass
            except SwiftError:  # never created, or already deleted by the test
                pass
