"""delete keeps memory flat however many objects a container holds.

The objects are created with extract-archive requests on ``small_swift``
(listing pages and bulk deletes of 50). Two object_dd threads keep the
planner's backlog at 2 x 2 bulk jobs (200 objects), so with the default
1000 objects (``_seed.MEMORY_OBJECTS``) the listing is still far from done
when the first quarter of the bulk results arrives: memory that grows with
the objects listed or deleted so far shows between the first and the last
quarter. Measured on 1000 objects: flat runs moved the last quarter's
maximum -53 KB from the first's; keeping every listing entry (a leak of
~450 bytes an object, injected once into ``iter_container_pages``) moved it
+254 KB, over the 64 KiB margin. ``SWIFTSVC_MEMORY_OBJECTS=20000`` runs the
figure recorded in bench/NOTES-memory.md.
"""

from __future__ import annotations

import time
import tracemalloc

import pytest
from _large import names_in
from _seed import MEMORY_OBJECTS, Seed

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

OBJECTS = MEMORY_OBJECTS


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_deleting_a_big_container_keeps_memory_flat(
    small_swift: LocalSwift, small_seed: Seed, container_name: str
) -> None:
    small_seed.container(container_name)
    assert small_seed.bulk(container_name, (f"obj/{i:07d}" for i in range(OBJECTS)), b"x",
                           threads=2, per_archive=250) == OBJECTS
    samples: list[int] = []
    deleted = 0
    with Service({**small_swift.auth_options("tester"), "object_dd_threads": 2}) as svc:
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
    assert quarter >= 4, f"too few bulk results to compare: {len(samples)}"
    first, last = max(samples[:quarter]), max(samples[-quarter:])
    print(f"\n{OBJECTS} objects deleted in {elapsed:.1f} s; traced memory: first quarter "
          f"max {first / 1e6:.2f} MB, last quarter max {last / 1e6:.2f} MB, "
          f"peak {peak / 1e6:.2f} MB")
    # flat: the end of the delete holds no more than its beginning (64 KiB of noise)
    assert last <= first + 64 * 1024
    assert peak < 8 * 1024 * 1024
    assert names_in(small_seed, container_name) == []
