"""The swiftsvc command in a terminal: the live progress bar, and Ctrl-C.

Uploads go through a FaultProxy that delays each object PUT, so that they
last long enough to watch (a few MB on the local Swift take milliseconds).
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import time
from pathlib import Path

from _cli import clean_env, command

from swiftsvc.testing import FaultProxy, LocalSwift


def _flags(fault_proxy: FaultProxy, local_swift: LocalSwift) -> list[str]:
    options = local_swift.auth_options("tester")
    return ["-A", f"{fault_proxy.url}/auth/v1.0", "-U", options["user"], "-K", options["key"]]


def _files(folder: Path, count: int, size: int) -> None:
    folder.mkdir()
    for index in range(count):
        (folder / f"f{index:04d}").write_bytes(os.urandom(size))


def _read_all(fd: int, process: subprocess.Popen[bytes], timeout: float) -> bytes:
    """Everything the child writes to the terminal, until it exits."""
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    return b"".join(chunks)


def test_progress_bar_on_a_terminal_counts_then_shows_percentage_and_eta(
    local_swift: LocalSwift, fault_proxy: FaultProxy, tmp_path: Path, container_name: str
) -> None:
    # 16 PUTs of 0.4 s on 2 threads: at least 3.2 s, so an ETA has time to mean something
    _files(tmp_path / "big", count=16, size=256 * 1024)
    fault_proxy.delay(0.4, method="PUT", path=r"/big/f\d+$", times=None)
    master, slave = os.openpty()
    try:
        process = subprocess.Popen(
            command(*_flags(fault_proxy, local_swift), "upload", "--object-threads", "2",
                    container_name, "big"),
            cwd=tmp_path, env=clean_env({"COLUMNS": "120"}),
            stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
        )  # fmt: skip
        os.close(slave)
        screen = _read_all(master, process, timeout=60).decode("utf-8", "replace")
        assert process.wait(10) == 0, screen
    finally:
        os.close(master)
    frames = [frame.split("\x1b[K")[0] for frame in screen.split("\r")]
    counting = [i for i, frame in enumerate(frames) if "+ files (counting)" in frame]
    percent = [i for i, frame in enumerate(frames) if re.search(r"\d+%", frame)]
    assert counting and percent, screen  # redrawn in place while the upload ran
    assert max(counting) < min(percent)  # counting first, then a percentage
    shown = [int(re.search(r"(\d+)%", frames[i]).group(1)) for i in percent]  # type: ignore[union-attr]
    assert shown == sorted(shown), shown
    assert re.search(r"ETA \d+:\d\d", screen), frames
    assert re.search(r"\d+\.\d (KiB|MiB)/s", frames[percent[-1]]), frames
    assert "16/16 files" in screen  # the last line counts the files
    assert "big/f0015" in screen  # object names printed above the bar


def test_no_progress_bar_when_not_a_terminal(
    local_swift: LocalSwift, fault_proxy: FaultProxy, tmp_path: Path, container_name: str
) -> None:
    _files(tmp_path / "small", count=2, size=1024)
    result = subprocess.run(
        command(*_flags(fault_proxy, local_swift), "upload", container_name, "small"),
        cwd=tmp_path, env=clean_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ETA" not in result.stdout + result.stderr and "\r" not in result.stderr


def test_ctrl_c_stops_cleanly_with_a_summary_and_exit_130(
    local_swift: LocalSwift, fault_proxy: FaultProxy, tmp_path: Path, container_name: str
) -> None:
    _files(tmp_path / "many", count=200, size=100)
    fault_proxy.delay(0.1, method="PUT", path=r"/many/f\d+$", times=None)
    process = subprocess.Popen(
        command(*_flags(fault_proxy, local_swift), "upload", "--object-threads", "1",
                container_name, "many"),
        cwd=tmp_path, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert process.stdout is not None
    uploaded = 0
    while uploaded < 3:  # some objects are done: the upload is under way
        line = process.stdout.readline()
        assert line, process.stderr.read() if process.stderr else ""
        uploaded += 1
    started = time.monotonic()
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    stopped_in = time.monotonic() - started
    text = stderr.decode()
    assert process.returncode == 130, text
    assert "Traceback" not in text
    summary = re.search(r"interrupted: (\d+) done, (\d+) failed, (\d+) not started"
                        r"(?:, (\d+) in progress)?", text)
    assert summary is not None, text
    done, failed, not_started = (int(summary.group(i)) for i in (1, 2, 3))
    in_progress = int(summary.group(4) or 0)
    assert done >= uploaded and done < 200
    # with one object thread the walk is far from its end at the Ctrl-C: the
    # files it had not reached count as not started, so every file is counted
    assert done + failed + not_started + in_progress == 200, text
    assert not_started > 150, text
    assert stopped_in < 10
