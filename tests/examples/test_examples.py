"""The programs in examples/, run as a user runs them, against the local real Swift.

Each runs as a subprocess with auth given by flags (-A/-U/-K) or by the
environment (ST_AUTH/ST_USER/ST_KEY), and is judged by its exit code, its
output and what it left in the cluster.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import re
import select
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from swiftsvc import Service, SwiftError, UploadObject
from swiftsvc.results import StatObjectResult
from swiftsvc.testing import LocalSwift

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
SEGMENT = 64 * 1024


# ------------------------------------------------------------------ helpers


def _env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This environment without auth variables, with the checkout importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "OS_"))}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def _flags(options: Mapping[str, str]) -> list[str]:
    return ["-A", options["auth"], "-U", options["user"], "-K", options["key"]]


def run_example(
    script: str, *args: str, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env=_env(env), cwd=cwd, capture_output=True, text=True, timeout=240,
    )  # fmt: skip


def table_row(output: str, phase: str) -> dict[str, str]:
    """One row of the examples' summary table, by column name."""
    lines = output.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("phase "))
    header = lines[start]
    row = next(line for line in lines[start:] if line.startswith(phase + " "))
    values = [row[: len(phase)], *row[len(phase):].split()]
    return dict(zip(header.split(), values, strict=True))


def counts(output: str, phase: str) -> tuple[int, int, int]:
    row = table_row(output, phase)
    return int(row["transferred"]), int(row["skipped"]), int(row["failed"])


def write(path: Path, data: bytes) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return data


def tree_digests(root: Path) -> dict[str, str]:
    return {
        p.relative_to(root).as_posix(): hashlib.md5(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def stat_objects(svc: Service, container: str, names: list[str]) -> list[StatObjectResult]:
    return list(svc.stat(container, names))


@pytest.fixture
def container(container_name: str, swift_options: dict[str, str]) -> Iterator[str]:
    """A unique container name; the container and its segments are deleted afterwards."""
    yield container_name
    with Service(swift_options) as svc:
        for name in (container_name, f"{container_name}_segments"):
            try:
                for _ in svc.delete(name):
                    pass
            except SwiftError:  # never created
                pass


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """Five small files in folders and one of a little over three segments."""
    root = tmp_path / "source"
    for index in range(5):
        write(root / f"dir-{index % 2}" / f"file-{index}.txt", os.urandom(100 + index * 300))
    write(root / "big.bin", os.urandom(3 * SEGMENT + 500))
    return root


@pytest.fixture
def example(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Import an example module (they import their sibling _report); forgotten afterwards."""
    monkeypatch.syspath_prepend(str(EXAMPLES))
    before = set(sys.modules)

    def load(name: str) -> ModuleType:
        return importlib.import_module(name)

    yield load
    for name in set(sys.modules) - before:
        if getattr(sys.modules[name], "__file__", "").startswith(str(EXAMPLES)):
            del sys.modules[name]


# ------------------------------------------------------------------- backup


def test_backup_uploads_everything_then_only_what_changed_and_restores_identically(
    swift_options: dict[str, str], container: str, tree: Path, tmp_path: Path
) -> None:
    # auth from the environment, as with the swift command
    env = {"ST_AUTH": swift_options["auth"], "ST_USER": swift_options["user"],
           "ST_KEY": swift_options["key"]}  # fmt: skip
    backup = ("backup.py", "backup", str(tree), "--container", container,
              "--segment-size", "64K")  # fmt: skip

    full = run_example(*backup, env=env)
    assert full.returncode == 0, full.stderr
    assert counts(full.stdout, "backup") == (6, 0, 0)
    assert table_row(full.stdout, "backup")["segments"] == "4"

    changed = tree / "dir-0" / "file-2.txt"
    write(changed, os.urandom(100))
    later = time.time() + 60
    os.utime(changed, (later, later))
    incremental = run_example(*backup, env=env)
    assert incremental.returncode == 0, incremental.stderr
    assert counts(incremental.stdout, "backup") == (1, 5, 0)

    destination = tmp_path / "restored"
    restore = run_example("backup.py", "restore", "--container", container, str(destination),
                          env=env)  # fmt: skip
    assert restore.returncode == 0, restore.stderr
    assert counts(restore.stdout, "restore") == (6, 0, 0)
    assert tree_digests(destination) == tree_digests(tree)
    # the files' modification times come back too
    assert os.stat(destination / "dir-0" / "file-2.txt").st_mtime == pytest.approx(later, abs=1)


def test_backup_names_objects_relative_to_the_source_and_segments_large_files_as_slo(
    swift_options: dict[str, str], container: str, tree: Path
) -> None:
    done = run_example("backup.py", *_flags(swift_options), "backup", str(tree),
                       "--container", container, "--segment-size", "64K")  # fmt: skip
    assert done.returncode == 0, done.stderr
    with Service(swift_options) as svc:
        names = sorted(item["name"] for page in svc.list(container) for item in page["listing"])
        [big] = stat_objects(svc, container, ["big.bin"])
        segments = [item["name"] for page in svc.list(f"{container}_segments")
                    for item in page["listing"]]  # fmt: skip
    assert names == ["big.bin", *(f"dir-{i % 2}/file-{i}.txt" for i in (0, 2, 4, 1, 3))]
    assert big["headers"].get("x-static-large-object") == "True"
    assert len(segments) == 4 and all(s.startswith("big.bin/slo/") for s in segments)


def test_backup_skip_identical_compares_content_not_modification_time(
    swift_options: dict[str, str], container: str, tree: Path
) -> None:
    backup = ("backup.py", *_flags(swift_options), "backup", str(tree), "--container", container,
              "--segment-size", "64K")  # fmt: skip
    assert run_example(*backup).returncode == 0
    touched = tree / "dir-1" / "file-1.txt"
    later = time.time() + 60
    os.utime(touched, (later, later))  # same bytes, new modification time

    identical = run_example(*backup, "--skip-identical")
    assert identical.returncode == 0, identical.stderr
    assert counts(identical.stdout, "backup") == (0, 6, 0)

    by_mtime = run_example(*backup)
    assert by_mtime.returncode == 0, by_mtime.stderr
    assert counts(by_mtime.stdout, "backup") == (1, 5, 0)


def test_backup_reports_failed_uploads_and_exits_1(
    local_swift: LocalSwift, container: str, tree: Path
) -> None:
    # tester3 is not an admin of the account: it may not create containers or write
    done = run_example("backup.py", *_flags(local_swift.auth_options("tester3")), "backup",
                       str(tree), "--container", container)  # fmt: skip
    assert done.returncode == 1
    transferred, _, failed = counts(done.stdout, "backup")
    assert transferred == 0 and failed >= 6
    assert "FAILED upload_object" in done.stderr and "403" in done.stderr


def test_restore_of_a_missing_container_fails_with_exit_1(
    swift_options: dict[str, str], container: str, tmp_path: Path
) -> None:
    done = run_example("backup.py", *_flags(swift_options), "restore", "--container",
                       container, str(tmp_path / "out"))  # fmt: skip
    assert done.returncode == 1
    assert "not found" in done.stderr


# -------------------------------------------------------------- bulk upload


def test_bulk_upload_streams_generated_objects_segmenting_the_large_ones(
    swift_options: dict[str, str], container: str, tmp_path: Path, example: Any
) -> None:
    done = run_example("bulk_upload.py", *_flags(swift_options), "--container", container,
                       "--count", "7", "--size", "10K", "--large-every", "3",
                       "--large-size", "150K", "--segment-size", "64K", "--seed", "5")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert counts(done.stdout, "bulk upload") == (7, 0, 0)
    assert "7 objects uploaded, 2 of them as large objects of 6 segments in all" in done.stdout
    assert "\r" not in done.stderr  # no progress bar when not on a terminal

    bulk = example("bulk_upload")
    specs = list(bulk.specs(7, size=10 << 10, large_every=3, large_size=150 << 10, seed=5))
    out = tmp_path / "out"
    with Service(swift_options) as svc:
        results = list(svc.download(container, options={"out_directory": str(out)}))
        large = [r for r in stat_objects(svc, container, [s.name for s in specs])
                 if r["headers"].get("x-static-large-object") == "True"]  # fmt: skip
    assert all(r["success"] for r in results)
    for spec in specs:
        assert (out / spec.name).read_bytes() == bulk.generated_bytes(spec), spec
    assert sorted(r["object"] for r in large) == ["000002.bin", "000005.bin"]


def test_generated_streams_cannot_seek_and_do_not_depend_on_read_sizes(example: Any) -> None:
    bulk = example("bulk_upload")
    spec = bulk.Spec("x", "1:2", 200_000)
    stream = bulk.open_stream(spec)
    assert not stream.seekable()
    pieces = []
    while chunk := stream.read(7777):
        pieces.append(chunk)
    assert b"".join(pieces) == bulk.generated_bytes(spec)
    assert len(bulk.generated_bytes(spec)) == 200_000
    assert bulk.generated_bytes(bulk.Spec("x", "1:3", 100)) != bulk.generated_bytes(spec)[:100]


def _read_terminal(fd: int, process: subprocess.Popen[bytes], timeout: float) -> str:
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 0.1)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    return b"".join(chunks).decode("utf-8", "replace")


def test_bulk_upload_shows_the_progress_bar_on_a_terminal(
    swift_options: dict[str, str], container: str
) -> None:
    master, slave = os.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, str(EXAMPLES / "bulk_upload.py"), *_flags(swift_options),
             "--container", container, "--count", "4", "--large-every", "2",
             "--large-size", "200K", "--size", "1K", "--segment-size", "64K"],
            env=_env({"COLUMNS": "120"}), stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
        )  # fmt: skip
        os.close(slave)
        screen = _read_terminal(master, process, timeout=120)
        assert process.wait(10) == 0, screen
    finally:
        os.close(master)
    # the bar's last line: files finished of found, total bytes, time, average rate
    assert re.search(r"4/4 files  \d+\.\d KiB in 0:\d\d  [\d.]+ (B|KiB|MiB)/s", screen), screen


# ---------------------------------------------------------- report failures


def test_report_failures_groups_failures_with_transaction_ids_and_exits_1(
    swift_options: dict[str, str], container: str, tmp_path: Path
) -> None:
    write(tmp_path / "here.txt", b"here")
    with Service(swift_options) as svc:
        uploaded = list(svc.upload(container, [UploadObject(str(tmp_path / "here.txt"), "here")]))
    assert all(r["success"] for r in uploaded)

    done = run_example("report_failures.py", *_flags(swift_options), "delete", container,
                       "here", "missing-1", "missing-2")  # fmt: skip
    assert done.returncode == 1, done.stdout
    lines = done.stdout.splitlines()
    assert lines[0] == "2 of 3 results failed"
    assert re.search(r"^delete_object\s+ClientException 404\s+2$", done.stdout, re.M), done.stdout
    for missing in ("missing-1", "missing-2"):
        [line] = [line for line in lines if f"{container}/{missing}" in line]
        assert re.search(r"\btx[0-9a-f]{21}-[0-9a-f]{10}\b", line), line
        assert "404 Not Found" in line
    assert f"{container}/here" not in done.stdout  # deleted: no failure


def test_report_failures_reports_a_call_that_fails_as_a_whole(
    swift_options: dict[str, str], container: str, tmp_path: Path
) -> None:
    done = run_example("report_failures.py", *_flags(swift_options), "download", container,
                       "-o", f"out_directory={tmp_path}")  # fmt: skip
    assert done.returncode == 1
    assert re.search(r"^download\s+SwiftError \(ClientException 404\)\s+1$", done.stdout, re.M)
    # str(SwiftError) is python-swiftclient's: the repr of its value (COMPAT.md §5)
    assert re.search(rf"^  {container}\s+tx[0-9a-f-]+\s+\"Container .* not found", done.stdout,
                     re.M), done.stdout  # fmt: skip


def test_report_failures_passes_options_and_exits_0_without_failures(
    swift_options: dict[str, str], container: str, tree: Path
) -> None:
    done = run_example("report_failures.py", *_flags(swift_options), "upload", container, ".",
                       "-o", "segment_size=65536", "-o", "use_slo=true", cwd=tree)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    # 2 create_container (the segment container too: segment_size arrived) + 6 objects + 4 segments
    assert done.stdout.strip() == "12 results, no failures"


# --------------------------------------------------------------------- demo


@pytest.mark.slow
def test_the_demo_backs_up_incrementally_restores_and_verifies() -> None:
    done = run_example("demo.py")
    assert done.returncode == 0, done.stdout + done.stderr
    assert counts(done.stdout, "full backup") == (123, 0, 0)
    assert counts(done.stdout, "incremental") == (4, 120, 0)
    assert counts(done.stdout, "restore") == (124, 0, 0)
    verdict, hint = done.stdout.rstrip().splitlines()[-3::2]
    assert verdict == "VERIFIED: the restore is identical to the tree"
    assert hint.startswith("next: the swiftsvc command is .venv/bin/swiftsvc")


def test_the_demo_verification_notices_missing_changed_and_extra_files(
    tmp_path: Path, example: Any
) -> None:
    demo = example("demo")
    write(tmp_path / "a.txt", b"a")
    write(tmp_path / "b.txt", b"not b")
    write(tmp_path / "extra.txt", b"x")
    digests = {name: hashlib.md5(data).hexdigest()
               for name, data in (("a.txt", b"a"), ("b.txt", b"b"), ("c.txt", b"c"))}  # fmt: skip
    assert demo.compare(tmp_path, digests) == ["unexpected extra.txt", "differs b.txt",
                                               "missing c.txt"]  # fmt: skip
