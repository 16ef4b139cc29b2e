"""A container of many objects downloads in flat memory.

The small cluster answers listings 50 names a page, so what the planner
holds is tiny: any memory that grows with the number of objects (results
kept, jobs queued without bound, per-object state not released) shows up as
a later peak above the early one. The container (``_seed.MEMORY_OBJECTS``,
1000 by default; 20000 in bench/NOTES-memory.md) is shared with the stat
memory test, which only reads it too. Measured on 1000 objects: flat runs
put the later peak within ~20 KB of the early one; keeping every listing
entry (~450 bytes an object, injected once into ``iter_container_pages``)
put it ~320 KB higher, over the 128 KiB margin.
"""

from __future__ import annotations

import resource
import time
import tracemalloc
from pathlib import Path

import pytest
from _seed import Filled

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

MB = 1 << 20


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_a_big_container_download_keeps_memory_flat(
    small_swift: LocalSwift, big_small_container: Filled, tmp_path: Path
) -> None:
    container, objects = big_small_container
    early_phase = objects // 4
    count = failures = 0
    early_peak = late_peak = 0
    started, cpu = time.monotonic(), resource.getrusage(resource.RUSAGE_SELF)
    with Service(small_swift.auth_options("tester")) as svc:
        tracemalloc.start()
        try:
            for result in svc.download(container, options={"out_directory": str(tmp_path)}):
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
        f"\n{objects} objects: {time.monotonic() - started:.1f} s wall, "
        f"{used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime:.1f} s client CPU, "
        f"traced peak {early_peak / MB:.2f} MiB (first {early_phase}) / "
        f"{late_peak / MB:.2f} MiB (rest)"
    )
    assert (count, failures) == (objects, 0)
    assert len(list((tmp_path / "d7").iterdir())) == objects // 100
    # the rest (three times as many objects) must not need more than the start
    assert late_peak <= early_peak + 128 * 1024
    assert early_peak < 8 * MB
