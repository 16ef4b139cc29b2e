"""delete keeps memory flat however many objects a container holds.

The objects are created with extract-archive requests on ``small_swift``
(listing pages and bulk deletes of 50), so deleting 5000 runs through 100
listing pages and 100 bulk requests: memory that grew with the objects
deleted so far would show between the first and the last quarter. Creating
and deleting cost the servers ~10 ms of CPU an object, so the default is
5000 (about a minute on 2 cores); ``SWIFTSVC_MEMORY_OBJECTS=20000`` runs the
figure recorded in bench/NOTES-memory.md.
"""

from __future__ import annotations

import os
import time
import tracemalloc

import pytest
from _large import names_in
from _seed import Seed

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

OBJECTS = int(os.environ.get("SWIFTSVC_MEMORY_OBJECTS", "5000"))


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_deleting_a_big_container_keeps_memory_flat(
    small_swift: LocalSwift, small_seed: Seed, container_name: str
) -> None:
    small_seed.container(container_name)
    assert small_seed.bulk(container_name, (f"obj/{i:07d}" for i in range(OBJECTS)), b"x") \
        == OBJECTS
    samples: list[int] = []
    deleted = 0
    with Service(small_swift.auth_options("tester")) as svc:
        svc.capabilities()  # cached before measuring
        started = time.monotonic()
        tracemalloc.start()
        try:
            for result in svc.delete(container_name):
                assert result["success"], result
                if result["action"] == "bulk_delete":
                    deleted += len(result["objects"])
                samples.append(tracemalloc.get_traced_memory()[0])
                del result
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        elapsed = time.monotonic() - started
    assert deleted == OBJECTS
    assert small_seed.head(container_name).status_code == 404
    quarter = len(samples) // 4
    first, last = max(samples[:quarter]), max(samples[-quarter:])
    print(f"\n{OBJECTS} objects deleted in {elapsed:.1f} s; traced memory: first quarter "
          f"max {first / 1e6:.2f} MB, last quarter max {last / 1e6:.2f} MB, "
          f"peak {peak / 1e6:.2f} MB")
    # flat: the end of the delete holds no more than its beginning (256 KiB of noise)
    assert last <= first + 256 * 1024
    assert peak < 8 * 1024 * 1024
    assert names_in(small_seed, container_name) == []
