"""Memory stays flat however many files an upload has: the walk is lazy, the jobs are
produced as the pools take them, results leave as they are consumed.

The object PUTs are answered by a fault proxy (in a child process, so its own
bookkeeping is not traced) instead of the real object server: client memory is
what is measured, and a real PUT costs the loaded test machine ~10-30 ms of
server time each. Container creation and the listing go to the real cluster.
Figures for 20k and 100k files are in bench/NOTES-memory.md.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

FAKE_PUTS = """
import sys
from swiftsvc.testing import FaultProxy
proxy = FaultProxy(sys.argv[1]).start()
proxy.respond(201, method="PUT", path=sys.argv[2], times=None)
print(proxy.url, flush=True)
sys.stdin.read()  # serve until the test closes stdin
"""


@pytest.fixture
def fake_puts(local_swift: LocalSwift, container_name: str) -> Iterator[str]:
    """The URL of a proxy answering this container's object PUTs with 201 itself."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])}
    child = subprocess.Popen(
        [sys.executable, "-c", FAKE_PUTS, local_swift.proxy_url, f"/{container_name}/"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
    )
    assert child.stdout is not None and child.stdin is not None
    try:
        yield child.stdout.readline().strip()
    finally:
        child.stdin.close()
        child.wait(timeout=30)


def make_tree(root: Path, count: int) -> Path:
    for index in range(count):
        folder = root / f"d{index // 100:03d}"  # as many per folder in both trees
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:06d}").touch()
    return root


def peak_of_upload(url: str, container: str, tree: Path) -> tuple[int, int]:
    """(results, peak traced bytes) of uploading ``tree``."""
    options = {"auth": url + "/auth/v1.0", "user": "test:tester", "key": "testing"}
    with Service(options) as svc:
        tracemalloc.start()
        try:
            results = 0
            for result in svc.upload(container, [str(tree)]):
                assert result["success"], result
                results += 1
            return results, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_ten_times_the_files_take_no_more_memory(
    fake_puts: str, container_name: str, tmp_path: Path
) -> None:
    small, large = 200, 2000
    # one-time costs (imports, /info, connections) out of the way first
    peak_of_upload(fake_puts, container_name, make_tree(tmp_path / "warm", 20))
    count_small, peak_small = peak_of_upload(
        fake_puts, container_name, make_tree(tmp_path / "small", small))
    count_large, peak_large = peak_of_upload(
        fake_puts, container_name, make_tree(tmp_path / "large", large))
    assert (count_small, count_large) == (small + 1, large + 1)  # + create_container
    print(f"peak {peak_small / 1e6:.2f} MB for {small} files, "
          f"{peak_large / 1e6:.2f} MB for {large}")
    # keeping each file's item would add ~400 bytes a file (720 KB for the 1800
    # more), its result ~1.5 KB (2.7 MB); what the bounded queues hold at their
    # peak depends on scheduling (measured up to 370 KB more on a loaded box)
    assert peak_large < peak_small + 500_000
    assert peak_large < 3_000_000
