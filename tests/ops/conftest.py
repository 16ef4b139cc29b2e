"""Fixtures of the operation tests: seeding the real local Swift (see _seed.py)."""

from __future__ import annotations

import pytest
from _seed import MEMORY_OBJECTS, Filled, Seed

from swiftsvc.testing import LocalSwift


@pytest.fixture
def seed(local_swift: LocalSwift) -> Seed:
    return Seed(local_swift)


@pytest.fixture
def small_seed(small_swift: LocalSwift) -> Seed:
    return Seed(small_swift)


@pytest.fixture(scope="session")
def big_small_container(small_swift: LocalSwift) -> Filled:
    """A container of ``MEMORY_OBJECTS`` one-byte objects ``d<i % 100>/o<i>`` on
    ``small_swift``, filled once for the tests that only read it (the download
    and stat memory tests): a test must not change it."""
    seed = Seed(small_swift)
    name = "t-memory-shared-read-only"
    seed.container(name)
    names = (f"d{i % 100}/o{i:06d}" for i in range(MEMORY_OBJECTS))
    assert seed.bulk(name, names, b"x", threads=2, per_archive=250) == MEMORY_OBJECTS
    return Filled(name, MEMORY_OBJECTS)
