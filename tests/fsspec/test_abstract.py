"""fsspec's own conformance suite (``fsspec.tests.abstract``) on the real local Swift.

Each class runs one of fsspec's abstract test groups against
:class:`SwiftFileSystem`, in a fresh container per test. An object store
has no empty folders, so ``supports_empty_directories`` is False: the
tests then put a dummy file where they need a folder to exist.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable

import fsspec.tests.abstract as abstract
import pytest

from swiftsvc.fsspec import SwiftFileSystem


class SwiftFixtures(abstract.AbstractFixtures):  # type: ignore[misc]
    @pytest.fixture
    def fs(self, swift_fs: SwiftFileSystem) -> SwiftFileSystem:
        return swift_fs

    @pytest.fixture
    def fs_path(self, scratch: str) -> str:
        # a folder of its own in a shared container: each test cleans up after itself
        return scratch

    @pytest.fixture
    def fs_join(self) -> Callable[..., str]:
        return posixpath.join

    @pytest.fixture
    def supports_empty_directories(self) -> bool:
        return False


class TestSwiftCopy(abstract.AbstractCopyTests, SwiftFixtures):  # type: ignore[misc]
    pass


class TestSwiftGet(abstract.AbstractGetTests, SwiftFixtures):  # type: ignore[misc]
    pass


class TestSwiftPut(abstract.AbstractPutTests, SwiftFixtures):  # type: ignore[misc]
    pass


class TestSwiftPipe(abstract.AbstractPipeTests, SwiftFixtures):  # type: ignore[misc]
    pass


class TestSwiftOpen(abstract.AbstractOpenTests, SwiftFixtures):  # type: ignore[misc]
    pass
