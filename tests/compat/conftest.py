"""A Swift cluster of the acid test's own.

The workflow lists, stats, downloads and deletes whole accounts, so its two
accounts must hold nothing else: the shared ``local_swift`` collects
containers of every other test. The container updater runs every half
second here, so the account's counts settle quickly.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from swiftsvc.testing import LocalSwift


@pytest.fixture(scope="package")
def compat_swift() -> Iterator[LocalSwift]:
    def report(message: str) -> None:
        print(f"[swiftsvc.testing] (compat) {message}", file=sys.stderr, flush=True)

    with LocalSwift(sweep_interval=0.5, progress=report) as swift:
        yield swift
