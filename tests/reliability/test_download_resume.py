"""A download killed outright (``kill -9``) is resumed by the next run (issue 16 item 4).

The download runs in a child process (``_download_child.py``) through the
fault proxy, which stops it in the middle of the body: a plain object's body
is cut after :data:`CUT` bytes and its resume request held, or one piece of an
SLO is held while the others land. Once the part file holds those bytes the
child is killed with SIGKILL, so no clean-up runs. The re-run (in this
process, fault cleared) must find the part file by its name, fetch only the
rest (seen in the proxy's record and in ``resumed_from``), and land a file
identical to the object; if the object changed in between, it starts over.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _invariants import Checker, SwiftView, run_call

from swiftsvc import Service, UploadObject
from swiftsvc.ops.download.part_files import STATE_SUFFIX, TEMP_SUFFIX
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy

pytestmark = pytest.mark.timeout(240)

CHILD = Path(__file__).with_name("_download_child.py")
MIB = 1 << 20
PLAIN_SIZE = 24 * MIB
CUT = 10 * MIB  # bytes of the plain body the child gets before it stalls
# 4 MiB segments: under Swift's 10 segments per GET before it rate-limits
SEGMENT = 4 * MIB
SLO_SIZE = 6 * SEGMENT  # three pieces of two segments (PIECE_MIN is 8 MiB)
HOLD = 600.0  # held until the kill
WAIT = 90.0  # bound on every wait for the child


def _start_child(options: dict[str, str], container: str, obj: str,
                 out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, str(CHILD), json.dumps(options), container, obj, str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )


def _kill_when(child: subprocess.Popen[bytes], ready: Iterator[bool], what: str) -> None:
    """SIGKILL ``child`` as soon as ``ready`` yields True (polled, bounded)."""
    deadline = time.monotonic() + WAIT
    try:
        for ok in ready:
            if ok:
                break
            if child.poll() is not None:
                _, err = child.communicate()
                pytest.fail(f"the child ended before {what}: {err.decode()[-2000:]}")
            assert time.monotonic() < deadline, f"never saw {what}"
            time.sleep(0.02)
    finally:
        child.send_signal(signal.SIGKILL)
        child.communicate(timeout=WAIT)
    assert child.returncode == -signal.SIGKILL


def _part_size(part: Path) -> Iterator[bool]:
    while True:
        yield part.exists() and part.stat().st_size >= CUT


def _allocated_at_least(part: Path, size: int) -> Iterator[bool]:
    # pieces are written at their offsets into a file already of full
    # length: what landed shows in the blocks allocated
    while True:
        yield part.exists() and part.stat().st_blocks * 512 >= size


def _download(options: dict[str, str], container: str, obj: str, out: Path) -> list[Result]:
    def call(svc: Service) -> Iterator[Result]:
        return svc.download(container, [obj], options={"out_directory": str(out)})

    run = run_call(options, call)
    assert run.leftover_threads == []
    return run.results


def _leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.rglob("*") if TEMP_SUFFIX in p.name)


def _gets(fault_proxy: FaultProxy, container: str, obj: str, *,
          manifest: bool = True) -> list[tuple[str | None, ...]]:
    """The object's GETs: Range, If-Match, status (``manifest=False``: not the
    ``?multipart-manifest=get``, which for a plain object is the download itself)."""
    return [
        (r.header("Range"), r.header("If-Match"), str(r.status))
        for r in fault_proxy.requests
        if r.method == "GET" and r.path.endswith(f"/{container}/{obj}")
        and (manifest or "multipart-manifest" not in r.query)
    ]


@pytest.fixture
def out(tmp_path: Path) -> Path:
    folder = tmp_path / "out"
    folder.mkdir()
    return folder


def _kill_a_plain_download(
    fault_proxy: FaultProxy, options: dict[str, str], container: str, out: Path,
) -> None:
    path = re.escape(f"/{container}/plain")
    fault_proxy.truncate_body(CUT, method="GET", path=path, times=1)
    fault_proxy.delay(HOLD, method="GET", path=path, times=1)  # its resume waits
    child = _start_child(options, container, "plain", out)
    _kill_when(child, _part_size(out / f".plain{TEMP_SUFFIX}"), f"{CUT} bytes in the part file")
    fault_proxy.clear_faults()
    fault_proxy.clear_requests()
    # what a killed run leaves: the part file under its fixed name, and its state
    assert _leftovers(out) == [f".plain{TEMP_SUFFIX}", f".plain{TEMP_SUFFIX}{STATE_SUFFIX}"]
    assert (out / f".plain{TEMP_SUFFIX}").stat().st_size == CUT


def test_a_killed_plain_download_resumes_where_it_stopped(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], view: SwiftView,
    container_name: str, out: Path,
) -> None:
    data = os.urandom(PLAIN_SIZE)
    view.put(container_name, "plain", data)
    _kill_a_plain_download(fault_proxy, proxied_options, container_name, out)
    # a unique-named part file of an older kill: nobody holds it, it goes
    (out / f".plain.0123456789ab{TEMP_SUFFIX}").write_bytes(b"stale")

    started = time.monotonic()
    results = _download(proxied_options, container_name, "plain", out)
    seconds = time.monotonic() - started
    (result,) = results
    assert result["success"], result.get("error")
    assert result.get("resumed_from") == CUT
    assert result["read_length"] == PLAIN_SIZE - CUT
    etag = view.head(container_name, "plain").headers["etag"]
    assert _gets(fault_proxy, container_name, "plain") == [(f"bytes={CUT}-", etag, "206")]
    assert (out / "plain").read_bytes() == data
    assert _leftovers(out) == []
    checker = Checker(view, container_name, expected={"plain"}, sources={"plain": out / "plain"},
                      local_dir=out)
    checker.data_is_right()
    checker.no_partial_files()
    print(f"plain: re-fetched {PLAIN_SIZE - CUT} of {PLAIN_SIZE} bytes in {seconds:.2f} s")


def test_a_plain_object_changed_since_the_kill_is_fetched_again_whole(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], view: SwiftView,
    container_name: str, out: Path,
) -> None:
    view.put(container_name, "plain", os.urandom(PLAIN_SIZE))
    _kill_a_plain_download(fault_proxy, proxied_options, container_name, out)
    changed = os.urandom(PLAIN_SIZE)  # same size, other bytes
    view.put(container_name, "plain", changed)

    (result,) = _download(proxied_options, container_name, "plain", out)
    assert result["success"], result.get("error")
    assert "resumed_from" not in result
    assert result["read_length"] == PLAIN_SIZE
    gets = _gets(fault_proxy, container_name, "plain")
    # the resume's If-Match failed (412): the whole object instead
    assert [(r, status) for r, _, status in gets] == [(f"bytes={CUT}-", "412"), (None, "200")]
    assert (out / "plain").read_bytes() == changed
    assert _leftovers(out) == []


def _upload_slo(swift_options: dict[str, str], container: str, source: Path) -> None:
    with Service(swift_options) as svc:
        results = list(svc.upload(container, [UploadObject(str(source), "big")],
                                  options={"segment_size": SEGMENT, "use_slo": True}))
    assert all(r["success"] for r in results), results


def _kill_an_slo_download(
    fault_proxy: FaultProxy, options: dict[str, str], container: str, out: Path,
) -> None:
    # the pieces' ranged GETs have no query (the manifest's GET has one):
    # the first piece's body is held, the other two land
    fault_proxy.delay_body(HOLD, method="GET", path=re.escape(f"/{container}/big") + "$",
                           times=1)
    child = _start_child(options, container, "big", out)
    part = out / f".big{TEMP_SUFFIX}"
    _kill_when(child, _allocated_at_least(part, SLO_SIZE - 2 * SEGMENT),
               "the pieces after the first in the part file")
    fault_proxy.clear_faults()
    fault_proxy.clear_requests()
    assert _leftovers(out) == [f".big{TEMP_SUFFIX}", f".big{TEMP_SUFFIX}{STATE_SUFFIX}"]


def test_a_killed_slo_download_fetches_only_the_missing_segments(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], swift_options: dict[str, str],
    view: SwiftView, container_name: str, out: Path, tmp_path: Path,
) -> None:
    source = tmp_path / "big"
    source.write_bytes(os.urandom(SLO_SIZE))
    _upload_slo(swift_options, container_name, source)
    _kill_an_slo_download(fault_proxy, proxied_options, container_name, out)

    started = time.monotonic()
    (result,) = _download(proxied_options, container_name, "big", out)
    seconds = time.monotonic() - started
    assert result["success"], result.get("error")
    kept = SLO_SIZE - 2 * SEGMENT
    assert result.get("resumed_from") == kept
    assert result["read_length"] == SLO_SIZE - kept
    slo_etag = view.head(container_name, "big").headers["etag"]
    # one ranged GET for the first piece, held to the SLO's ETag
    assert _gets(fault_proxy, container_name, "big", manifest=False) == [
        (f"bytes=0-{2 * SEGMENT - 1}", slo_etag, "206")
    ]
    assert (out / "big").read_bytes() == source.read_bytes()
    assert _leftovers(out) == []
    checker = Checker(view, container_name, expected={"big"}, sources={"big": out / "big"},
                      local_dir=out)
    checker.data_is_right()
    print(f"slo: re-fetched {SLO_SIZE - kept} of {SLO_SIZE} bytes in {seconds:.2f} s")


def test_an_slo_changed_since_the_kill_is_fetched_again_whole(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], swift_options: dict[str, str],
    view: SwiftView, container_name: str, out: Path, tmp_path: Path,
) -> None:
    source = tmp_path / "big"
    source.write_bytes(os.urandom(SLO_SIZE))
    _upload_slo(swift_options, container_name, source)
    _kill_an_slo_download(fault_proxy, proxied_options, container_name, out)
    source.write_bytes(os.urandom(SLO_SIZE))
    _upload_slo(swift_options, container_name, source)

    (result,) = _download(proxied_options, container_name, "big", out)
    assert result["success"], result.get("error")
    assert "resumed_from" not in result
    assert result["read_length"] == SLO_SIZE
    assert (out / "big").read_bytes() == source.read_bytes()
    assert _leftovers(out) == []
