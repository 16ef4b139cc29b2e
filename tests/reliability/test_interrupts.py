"""SIGINT (Ctrl-C) to a running ``swiftsvc`` upload or download, then the same command again.

The CLI runs with ``--json``: one JSON line per result on stdout, so the
"one result each" invariant is checked on what a script would parse (the
segmented-upload test reads the text output instead, as a user does).
Requests go through the fault proxy, which slows them down so that the
command is interrupted in the middle (a local Swift takes milliseconds
otherwise).

An interrupt by the user is not a failure: the segments that landed are kept
for the resume, and the same command again sends only the others.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from _invariants import Checker, SwiftView, run_call, tree_files

from swiftsvc import UploadObject
from swiftsvc.ops.download.part_files import TEMP_SUFFIX
from swiftsvc.testing import FaultProxy, LocalSwift

pytestmark = pytest.mark.timeout(120)

REPO = Path(__file__).resolve().parents[2]
SEGMENT = 64 * 1024
SMALL_FILES = 60
# nine segments: Swift's proxy slows a large-object GET down after the tenth
BIG_SIZE = 9 * SEGMENT - 100
WAIT_FOR_RESULTS = 3  # results seen before the Ctrl-C


def _env() -> dict[str, str]:
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("ST_", "OS_")) and name != "SWIFTCLIENT_INSECURE"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    return env


def _command(fault_proxy: FaultProxy, local_swift: LocalSwift, *argv: str) -> list[str]:
    options = local_swift.auth_options("tester")
    return [sys.executable, "-m", "swiftsvc", "-A", f"{fault_proxy.url}/auth/v1.0",
            "-U", options["user"], "-K", options["key"], "--json", *argv]


def _tree(root: Path) -> dict[str, Path]:
    root.mkdir()
    for index in range(SMALL_FILES):
        (root / f"f{index:04d}").write_bytes(os.urandom(1000 + index))
    for index in range(2):
        (root / f"big{index}").write_bytes(os.urandom(BIG_SIZE))
    return tree_files(root)


def _interrupt(argv: list[str], cwd: Path) -> tuple[int, list[dict[str, Any]], str]:
    """Start the command, SIGINT it once some results are out; (exit code, results, stderr)."""
    process = subprocess.Popen(argv, cwd=cwd, env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    assert process.stdout is not None
    lines: list[bytes] = []
    while len(lines) < WAIT_FOR_RESULTS:
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        lines.append(line)
    process.send_signal(signal.SIGINT)
    rest, stderr = process.communicate(timeout=60)
    text = b"".join(lines) + rest
    return process.returncode, [json.loads(x) for x in text.splitlines() if x.strip()], \
        stderr.decode()


def _rerun(argv: list[str], cwd: Path) -> list[dict[str, Any]]:
    done = subprocess.run(argv, cwd=cwd, env=_env(), capture_output=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr.decode()
    return [json.loads(x) for x in done.stdout.splitlines() if x.strip()]


def _assert_interrupted(code: int, results: list[dict[str, Any]], stderr: str,
                        expected: set[str]) -> None:
    assert code == 130, stderr
    assert "Traceback" not in stderr
    summary = re.search(r"interrupted: (\d+) done, (\d+) failed, (\d+) not started", stderr)
    assert summary is not None, stderr
    objects = Counter(r["object"] for r in results
                      if r["action"] in ("upload_object", "download_object"))
    assert all(n == 1 for n in objects.values()), objects  # none twice
    assert set(objects) <= expected
    assert len(objects) < len(expected)  # it was interrupted before the end


def _one_each(results: list[dict[str, Any]], action: str, expected: set[str]) -> None:
    objects = Counter(r["object"] for r in results if r["action"] == action)
    assert objects == Counter(expected)
    assert all(r["success"] for r in results), [r for r in results if not r["success"]]


@pytest.mark.slow
def test_sigint_to_an_upload_then_the_same_command_again(
    local_swift: LocalSwift, fault_proxy: FaultProxy, view: SwiftView, container_name: str,
    tmp_path: Path,
) -> None:
    sources = _tree(tmp_path / "tree")
    checker = Checker(view, container_name, expected=set(sources), sources=sources)
    # each small PUT and each segment PUT takes 0.1 s more: both big uploads
    # are mid-way, with segments sent, when the Ctrl-C comes
    fault_proxy.delay(0.1, method="PUT", path=r"/tree/", times=None)
    argv = _command(fault_proxy, local_swift, "upload", "--object-threads", "3",
                    "--segment-threads", "2", "-S", str(SEGMENT), "--use-slo",
                    container_name, "tree")
    code, results, stderr = _interrupt(argv, tmp_path)
    _assert_interrupted(code, results, stderr, set(sources))
    assert fault_proxy.count(method="PUT", path=r"_segments/tree/big") > 0
    segments = f"{container_name}_segments"
    # the segments that landed are kept for the resume (issue 20 item 3), and
    # only those of the large objects the Ctrl-C interrupted: no clean-up was
    # tried, so no failed delete_segment either
    assert [r for r in results if r["action"] == "delete_segment"] == []
    finished = {r["object"] for r in results if r["action"] == "upload_object"}
    interrupted = {name for name in ("tree/big0", "tree/big1") if name not in finished}
    kept = view.orphan_segments(container_name, segments)
    assert all(name.split("/slo/")[0] in interrupted for name in kept), (kept, interrupted)
    reported = {r["segment_location"].partition(f"/{segments}/")[2] for r in results
                if r["action"] == "upload_segment" and r["success"]
                and r["for_object"] in interrupted}
    assert reported <= set(kept)  # every landed segment the CLI reported is still there

    fault_proxy.clear_faults()
    fault_proxy.clear_requests()
    again = _rerun(argv, tmp_path)
    _one_each(again, "upload_object", set(sources))
    reused = {r["segment_location"].partition(f"/{segments}/")[2] for r in again
              if r["action"] == "upload_segment" and r["reused"]}
    assert reused == set(kept)  # each kept segment reused, none sent twice
    sent_again = fault_proxy.count(method="PUT", path=r"_segments/tree/big")
    assert sent_again == 9 * len(interrupted) - len(kept)
    assert view.orphan_segments(container_name, segments) == []
    checker.data_is_right()


def _wait_for(condition: Callable[[], bool], process: subprocess.Popen[bytes],
              what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, f"the command ended before {what}"
        assert time.monotonic() < deadline, f"no {what} within {timeout} s"
        time.sleep(0.05)


BIG_SEGMENTS = 40
BIG_FILE = BIG_SEGMENTS * SEGMENT - 1000  # the last segment is shorter


@pytest.mark.slow
def test_sigint_during_a_segmented_upload_keeps_what_landed_and_the_rerun_sends_the_rest(
    local_swift: LocalSwift, fault_proxy: FaultProxy, view: SwiftView, container_name: str,
    tmp_path: Path,
) -> None:
    data = os.urandom(BIG_FILE)
    (tmp_path / "big.bin").write_bytes(data)
    segments = f"{container_name}_segments"
    # 40 segments of 0.2 s on two threads: about 4 s to go when the Ctrl-C comes
    fault_proxy.delay(0.2, method="PUT", path=r"_segments/big\.bin/", times=None)
    options = local_swift.auth_options("tester")
    argv = [sys.executable, "-m", "swiftsvc", "-A", f"{fault_proxy.url}/auth/v1.0",
            "-U", options["user"], "-K", options["key"], "upload", "--segment-threads", "2",
            "-S", str(SEGMENT), "--use-slo", container_name, "big.bin"]
    process = subprocess.Popen(argv, cwd=tmp_path, env=_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    try:
        # some segments landed (seen in the segment container, as a user would)
        _wait_for(lambda: len(view.names(segments)) >= 6, process, "six segments")
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
    stdout, stderr = out.decode(), err.decode()
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr and "Error" not in stderr, stderr
    kept = view.listing(segments)
    assert 6 <= len(kept) < BIG_SEGMENTS
    assert all(entry["name"].startswith("big.bin/slo/") for entry in kept)
    assert all(entry["bytes"] == SEGMENT for entry in kept if not entry["name"].endswith(
        f"{BIG_SEGMENTS - 1:08d}"))
    # the summary says what was sent and what is kept
    head = re.search(r"interrupted: 0 done, 0 failed, 0 not started, 1 in progress "
                     r"\((\d+\.\d) (KiB|MiB) of 2\.5 MiB sent\)", stderr)
    assert head is not None, stderr
    line = re.search(rf"  big\.bin: \S+ \w+ of 2\.5 MiB sent; at least (\d+) segments "
                     rf"\(\S+ \w+\) kept in {re.escape(segments)}\n", stderr)
    assert line is not None, stderr
    assert 1 <= int(line.group(1)) <= len(kept)  # those it saw land before the Ctrl-C
    assert int(line.group(1)) == len(re.findall(r"^big\.bin segment \d+$", stdout, re.M))
    assert "the same command again reuses the kept segments" in stderr
    print(f"\ninterrupted at {len(kept)} of {BIG_SEGMENTS} segments landed; summary:\n"
          + stderr[head.start():])

    fault_proxy.clear_faults()
    fault_proxy.clear_requests()
    again = subprocess.run(argv, cwd=tmp_path, env=_env(), capture_output=True, text=True,
                           timeout=120, check=False)
    assert again.returncode == 0, again.stderr
    reused = re.findall(r"^big\.bin segment (\d+) \(reused\)$", again.stdout, re.M)
    landed = {entry["name"].rsplit("/", 1)[1] for entry in kept}
    # each kept segment reused; a request cut by the Ctrl-C may still have landed
    # after that listing (the container listing is updated asynchronously)
    assert landed <= {f"{int(i):08d}" for i in reused} < set(map("{:08d}".format,
                                                                 range(BIG_SEGMENTS)))
    sent = fault_proxy.count(method="PUT", path=r"_segments/big\.bin/")
    assert sent == BIG_SEGMENTS - len(reused)  # only the missing ones were sent
    print(f"re-run: {len(reused)} segments reused, {sent} segment PUTs")
    assert view.orphan_segments(container_name, segments) == []
    assert view.md5(container_name, "big.bin") == hashlib.md5(data).hexdigest()


@pytest.mark.slow
def test_sigint_to_a_download_then_the_same_command_again(
    local_swift: LocalSwift, swift_options: dict[str, str], fault_proxy: FaultProxy,
    view: SwiftView, container_name: str, tmp_path: Path,
) -> None:
    sources = _tree(tmp_path / "tree")
    seeded = run_call(swift_options, lambda svc: svc.upload(
        container_name, [UploadObject(str(tmp_path / "tree"), "tree")],
        options={"segment_size": SEGMENT, "use_slo": True}))
    assert seeded.failed() == [], seeded.describe_failures()
    out = tmp_path / "out"
    # the large objects' bodies are slow: they are being written when the Ctrl-C comes
    fault_proxy.delay_body(1.5, method="GET", path=r"/tree/big", times=None)
    fault_proxy.delay(0.1, method="GET", path=r"/tree/f", times=None)
    argv = _command(fault_proxy, local_swift, "download", "--object-threads", "4",
                    "-D", str(out), container_name)
    code, results, stderr = _interrupt(argv, tmp_path)
    _assert_interrupted(code, results, stderr, set(sources))
    written = {name: out / name for name in sources}
    checker = Checker(view, container_name, expected=set(sources), sources=written,
                      local_dir=out)
    checker.no_partial_files()
    # what is there is whole: a file lands only once verified
    for name, path in written.items():
        if path.exists():
            assert path.read_bytes() == sources[name].read_bytes(), name
    assert not any(TEMP_SUFFIX in p.name for p in out.rglob("*"))

    fault_proxy.clear_faults()
    again = _rerun(argv, tmp_path)
    _one_each(again, "download_object", set(sources))
    checker.no_partial_files()
    for name, path in written.items():
        assert path.read_bytes() == sources[name].read_bytes(), name
