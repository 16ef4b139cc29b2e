"""Fixtures of the operation tests: seeding the real local Swift (see _seed.py)."""

from __future__ import annotations

import pytest
from _seed import Seed

from swiftsvc.testing import LocalSwift


@pytest.fixture
def seed(local_swift: LocalSwift) -> Seed:
    return Seed(local_swift)


@pytest.fixture
def small_seed(small_swift: LocalSwift) -> Seed:
    return Seed(small_swift)
