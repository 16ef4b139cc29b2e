"""A container of many objects downloads in flat memory.

The small cluster answers listings 50 names a page, so what the planner
holds is tiny: any memory that grows with the number of objects (results
kept, jobs queued without bound, per-object state not released) shows up as
a later peak above the early one. ``SWIFTSVC_DOWNLOAD_MEMORY_OBJECTS``
changes the count (default 5000 to keep CI short; 20000 in bench/NOTES-memory.md).
"""

from __future__ import annotations

import os
import resource
import time
import tracemalloc
from pathlib import Path

import pytest
from _seed import Seed

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

OBJECTS = int(os.environ.get("SWIFTSVC_DOWNLOAD_MEMORY_OBJECTS", "5000"))
MB = 1 << 20


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_big_container_download_keeps_memory_flat(
    small_swift: LocalSwift, small_seed: Seed, container_name: str, tmp_path: Path
) -> None:
    small_seed.container(container_name)
    small_seed.bulk(container_name, (f"d{i % 100}/o{i:06d}" for i in range(OBJECTS)), b"x")
    early_phase = OBJECTS // 4
    count = failures = 0
    early_peak = late_peak = 0
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    with Service(small_swift.auth_options("tester")) as svc:
        tracemalloc.start()
        try:
            for result in svc.download(container_name, options={"out_directory": str(tmp_path)}):
                count += 1
                failures += not result["success"]
                if count == early_phase:
                    early_peak = tracemalloc.get_traced_memory()[1]
                    tracemalloc.reset_peak()
                del result
            late_peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    used = resource.getrusage(resource.RUSAGE_SELF)
    print(
        f"\n{OBJECTS} objects: {time.monotonic() - started:.1f} s wall, "
        f"{used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.1f} s client CPU, "
        f"traced peak {early_peak / MB:.2f} MiB (first {early_phase}) / "
        f"{late_peak / MB:.2f} MiB (rest)"
    )
    assert (count, failures) == (OBJECTS, 0)
    assert len(list((tmp_path / "d7").iterdir())) == OBJECTS // 100
    # the rest (three times as many objects) must not need more than the start
    assert late_peak <= early_peak + MB // 2
    assert early_peak < 8 * MB
