"""A file rewritten in place while it is uploaded is never stored as success.

Issue 16 item 3. The read is held in the middle, for real: the fault proxy
in front of the real Swift holds the PUT before reading its body
(``delay``), so the client's send fills the socket buffers of a file larger
than them and blocks with part of the file read. The test then sees the
client's own file descriptor stand still inside the file (``/proc/self/
fdinfo``), rewrites the file in place (same size, other bytes, a new
mtime), and lets the proxy go on: without a check, the object would be the
old head and the new tail, reported ``uploaded``. Each scenario is checked
by the invariant checker (tests/reliability/_invariants.py), then re-run
with the fault cleared, which uploads the new content.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from _invariants import Checker, Run, SwiftView, local_md5, run_and_check, run_call

from swiftsvc import UploadObject
from swiftsvc.testing import FaultProxy

pytestmark = pytest.mark.timeout(300)

# larger than the loopback socket buffers of both ends, so the send blocks mid-file
SIZE = 24 << 20
SEGMENT = 8 << 20  # a segmented upload: 3 segments, each larger than what the buffers hold
# how long the proxy holds each PUT: the rewrite happens inside it
HOLD = 6.0
# the reader's position must stand still this long to count as blocked
STILL = 0.3


def _positions(path: Path) -> list[int]:
    """The offsets of this process's open file descriptors on ``path`` (Linux /proc)."""
    target = os.path.realpath(path)
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            if os.readlink(f"/proc/self/fd/{fd}") != target:
                continue
            with open(f"/proc/self/fdinfo/{fd}") as info:
                fields = dict(line.split(":", 1) for line in info if ":" in line)
            found.append(int(fields["pos"]))
        except (OSError, KeyError, ValueError):
            continue  # closed meanwhile
    return found


class Rewriter:
    """Rewrites ``path`` in place once the upload's read of it is blocked mid-file."""

    def __init__(self, path: Path, new: bytes, started: Callable[[], bool]) -> None:
        self.path, self.new, self.started = path, new, started
        self.positions_at_rewrite: list[int] = []
        self.thread = threading.Thread(target=self._run, name="test-rewriter", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        deadline = time.monotonic() + 60
        while not self.started() and time.monotonic() < deadline:
            time.sleep(0.01)
        last: list[int] = []
        still_since = time.monotonic()
        while time.monotonic() < deadline:
            now = _positions(self.path)
            if now != last:
                last, still_since = now, time.monotonic()
            elif any(0 < pos < SIZE for pos in now) and time.monotonic() - still_since > STILL:
                break
            time.sleep(0.02)
        self.positions_at_rewrite = last
        with open(self.path, "r+b") as fp:  # in place: same inode, same size
            fp.write(self.new)
        stat = os.stat(self.path)
        os.utime(self.path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))

    def join(self) -> None:
        self.thread.join(60)
        assert not self.thread.is_alive()


def _no_success_of_mixed_bytes(run: Run, view: SwiftView, container: str,
                               allowed: set[str]) -> None:
    """Every ``uploaded`` success holds bytes that existed together: the old or the new file."""
    for result in run.of("upload_object"):
        if result["success"] and result["status"] == "uploaded":
            stored = view.md5(container, result["object"])
            assert stored in allowed, f"{result['object']} stored {stored}: neither file"


def _changed_failure(run: Run, path: Path) -> None:
    [result] = run.of("upload_object")
    assert not result["success"], "a file rewritten during its read was reported uploaded"
    message = str(result["error"])
    assert "changed while it was read" in message and str(path) in message, message


def test_a_file_rewritten_while_uploaded_fails_and_the_old_object_stays(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    path = tmp_path / "big.bin"
    old, new = os.urandom(SIZE), os.urandom(SIZE)
    path.write_bytes(old)
    view.put(container_name, "big.bin", old)
    old_md5, new_md5 = local_md5(path), _md5_of(new)
    fault = fault_proxy.delay(HOLD, method="PUT", path=r"/big\.bin$")
    rewriter = Rewriter(path, new, lambda: fault.hits > 0)
    checker = Checker(view, container_name, {"big.bin"}, {"big.bin": path})

    def between(run: Run) -> None:
        rewriter.join()
        assert rewriter.positions_at_rewrite, "the rewrite did not happen during the read"
        _changed_failure(run, path)
        _no_success_of_mixed_bytes(run, view, container_name, {old_md5, new_md5})
        assert view.md5(container_name, "big.bin") == old_md5  # nothing was stored

    run_and_check(checker, proxied_options, lambda svc: svc.upload(
        container_name, [UploadObject(str(path), "big.bin")]),
        clear_fault=fault_proxy.clear_faults, between=between)
    assert view.md5(container_name, "big.bin") == new_md5


@pytest.mark.parametrize("use_slo", [True, False], ids=["slo", "dlo"])
def test_a_file_rewritten_while_its_segments_are_read_leaves_no_manifest_nor_segments(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path, use_slo: bool,
) -> None:
    path = tmp_path / "big.bin"
    old, new = os.urandom(SIZE), os.urandom(SIZE)
    path.write_bytes(old)
    fault = fault_proxy.delay(HOLD, method="PUT", path=r"_segments/big\.bin/", times=None)
    rewriter = Rewriter(path, new, lambda: fault.hits > 0)
    checker = Checker(view, container_name, {"big.bin"}, {"big.bin": path})
    options = {**proxied_options, "segment_size": SEGMENT, "use_slo": use_slo}

    def between(run: Run) -> None:
        rewriter.join()
        assert rewriter.positions_at_rewrite, "the rewrite did not happen during the read"
        _changed_failure(run, path)
        _no_success_of_mixed_bytes(run, view, container_name, {_md5_of(old), _md5_of(new)})
        assert view.head(container_name, "big.bin").status_code == 404  # no manifest
        assert view.names(f"{container_name}_segments") == []

    run_and_check(checker, options, lambda svc: svc.upload(
        container_name, [UploadObject(str(path), "big.bin")]),
        clear_fault=fault_proxy.clear_faults, between=between)


def test_an_unchanged_file_read_slowly_is_uploaded(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    path = tmp_path / "big.bin"
    path.write_bytes(os.urandom(SIZE))
    fault_proxy.delay(1.0, method="PUT", path=r"/big\.bin$")
    checker = Checker(view, container_name, {"big.bin"}, {"big.bin": path})
    run = run_call(proxied_options, lambda svc: svc.upload(
        container_name, [UploadObject(str(path), "big.bin")]))
    checker.check_finished(run)
    assert run.of("upload_object")[0]["status"] == "uploaded"


def _md5_of(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()
