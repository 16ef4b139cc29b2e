"""The CLI-level clients of ``make bench``: the ``swiftsvc`` command, python-swiftclient's
``swift`` command and rclone, run as a user runs them.

Each run is the command itself in a fresh process (its start-up included in the
wall time). Client CPU is the user + system time of that process (``wait4``);
peak RSS is its ``VmHWM``, polled from ``/proc`` while it runs (``ru_maxrss``
would carry the launching process's peak over ``execve``). A run counts only
after the harness verified its result the same way for every client, outside
the timed part: an upload's objects (or segments) hold the MD5 of the local
bytes, a download's files equal the source byte for byte, a delete leaves the
container gone or empty.

rclone is configured through ``RCLONE_CONFIG_BENCH_*`` variables only (no
configuration file: ``RCLONE_CONFIG=/dev/null``).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import floor
from workloads import Outcome

CLIENTS = ("swiftsvc-cli", "swift-cli", "rclone")
# how the report names them
LABELS = {"swiftsvc-cli": "swiftsvc", "swift-cli": "swift", "rclone": "rclone"}
REMOTE = "bench"
_POLL = 0.02
_COMPARE_BLOCK = 8 << 20
_LISTING_LIMIT = 10000


@dataclass(frozen=True)
class Command:
    argv: list[str]
    env: dict[str, str]
    cwd: str


def executable(client: str) -> str | None:
    """The program of ``client``, or None when it is not installed."""
    if client == "rclone":
        return shutil.which("rclone")
    # the commands installed next to the interpreter that runs the bench (.venv/bin)
    name = "swiftsvc" if client == "swiftsvc-cli" else "swift"
    path = Path(sys.executable).parent / name
    return str(path) if path.exists() else None


def version(client: str) -> str:
    program = executable(client)
    if program is None:
        return "not installed"
    if client != "rclone":
        return program
    answer = subprocess.run(
        [program, "version"], capture_output=True, text=True, timeout=60, check=False
    )
    lines = answer.stdout.splitlines()
    return lines[0] if lines else f"unknown (exit {answer.returncode})"


def _base_env() -> dict[str, str]:
    # every client falls back to ST_* / OS_* / RCLONE_* variables: none may leak into a run
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ST_", "OS_", "SWIFTCLIENT_", "RCLONE_"))
    }


def command(
    client: str, action: str, auth: Mapping[str, str], threads: int, **args: str
) -> Command:
    """The command line of one action.

    Actions and their arguments: ``upload_folder`` (container, folder: run from
    the folder's parent, objects ``<folder>/<file>``), ``download_container``
    (container, out_dir), ``delete_container`` (container), ``upload_large``
    (container, path, segment_size such as ``64M``: run from the file's folder,
    object named as the file), ``download_object`` (container, object, out_dir).
    """
    program = executable(client)
    if program is None:
        raise RuntimeError(f"{client} is not installed")
    env = _base_env()
    if client == "rclone":
        argv = _rclone(program, action, threads, args)
        env.update(
            {
                "RCLONE_CONFIG": "/dev/null",
                f"RCLONE_CONFIG_{REMOTE.upper()}_TYPE": "swift",
                f"RCLONE_CONFIG_{REMOTE.upper()}_AUTH": auth["auth"],
                f"RCLONE_CONFIG_{REMOTE.upper()}_USER": auth["user"],
                f"RCLONE_CONFIG_{REMOTE.upper()}_KEY": auth["key"],
                f"RCLONE_CONFIG_{REMOTE.upper()}_AUTH_VERSION": "1",
            }
        )
    else:
        credentials = ["-A", auth["auth"], "-U", auth["user"], "-K", auth["key"]]
        argv = [program, *_swift(action, threads, args), *credentials]
    return Command(argv, env, _cwd(action, args))


def _cwd(action: str, args: Mapping[str, str]) -> str:
    if action == "upload_folder":
        return os.path.dirname(os.path.abspath(args["folder"]))
    if action == "upload_large":
        return os.path.dirname(os.path.abspath(args["path"]))
    return os.getcwd()


def _swift(action: str, threads: int, args: Mapping[str, str]) -> list[str]:
    """Arguments of ``swift`` and ``swiftsvc``: the same subcommands and flags."""
    count = str(threads)
    container = args["container"]
    if action == "upload_folder":
        folder = os.path.basename(os.path.abspath(args["folder"]))
        return ["upload", "--object-threads", count, "--segment-threads", count, container, folder]
    if action == "upload_large":
        return [
            "upload",
            "--object-threads",
            count,
            "--segment-threads",
            count,
            "--segment-size",
            args["segment_size"],
            "--use-slo",
            container,
            os.path.basename(args["path"]),
        ]
    threads_flags = ["--object-threads", count, "--container-threads", count]
    if action == "download_container":
        return ["download", *threads_flags, "--output-dir", args["out_dir"], container]
    if action == "download_object":
        # swift refuses --output-dir for one object ("Please use -o option")
        out_file = os.path.join(args["out_dir"], args["object"])
        return ["download", *threads_flags, "--output", out_file, container, args["object"]]
    if action == "delete_container":
        return ["delete", *threads_flags, container]
    raise ValueError(f"unknown action {action!r}")


def _rclone(program: str, action: str, threads: int, args: Mapping[str, str]) -> list[str]:
    common = ["--transfers", str(threads), "--checkers", str(threads)]
    container = args["container"]
    if action == "upload_folder":
        folder = os.path.basename(os.path.abspath(args["folder"]))
        # rclone copies a folder's contents: name the target folder as swift names the objects
        return [program, "copy", *common, folder, f"{REMOTE}:{container}/{folder}"]
    if action == "upload_large":
        return [
            program,
            "copy",
            *common,
            "--swift-chunk-size",
            args["segment_size"],
            os.path.basename(args["path"]),
            f"{REMOTE}:{container}",
        ]
    if action == "download_container":
        return [program, "copy", *common, f"{REMOTE}:{container}", args["out_dir"]]
    if action == "download_object":
        return [program, "copy", *common, f"{REMOTE}:{container}/{args['object']}", args["out_dir"]]
    if action == "delete_container":
        # purge: the objects and the container, as `swift delete <container>` does
        return [program, "purge", *common, f"{REMOTE}:{container}"]
    raise ValueError(f"unknown action {action!r}")


# ---- one measured run ----------------------------------------------------------------


def _peak_rss_kib(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None  # exited (a zombie has no memory left to report)


def run(cmd: Command, logs: Path, timeout: float) -> Outcome:
    """Run ``cmd`` once; wall time, CPU and peak RSS of its process; exit status as failure."""
    outcome = Outcome()
    stdout_path, stderr_path = logs / "stdout", logs / "stderr"
    peak = [0]
    exited, killed = threading.Event(), threading.Event()
    with open(stdout_path, "wb") as stdout, open(stderr_path, "wb") as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(
            cmd.argv, cwd=cmd.cwd, env=cmd.env, stdin=subprocess.DEVNULL, stdout=stdout,
            stderr=stderr,
        )  # fmt: skip

        def sample() -> None:
            while not exited.wait(_POLL):
                peak[0] = max(peak[0], _peak_rss_kib(process.pid) or 0)

        def kill() -> None:
            killed.set()
            process.kill()

        sampler = threading.Thread(target=sample, daemon=True)
        killer = threading.Timer(timeout, kill)
        sampler.start()
        killer.start()
        try:
            # wait4 rather than Popen.wait: it returns the child's own rusage, and
            # blocking in it (the sampling on another thread) ends the clock on the exit
            _, status, usage = os.wait4(process.pid, 0)
            outcome.wall = time.perf_counter() - started
        finally:
            exited.set()
            killer.cancel()
            sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    outcome.cpu_user, outcome.cpu_sys = usage.ru_utime, usage.ru_stime
    outcome.maxrss_kib = peak[0]
    outcome.ru_maxrss_kib = usage.ru_maxrss
    if killed.is_set():
        outcome.failed, outcome.first_error = 1, f"timed out after {timeout:.0f} s"
    elif process.returncode != 0:
        tail = stderr_path.read_text(errors="replace").strip().splitlines()[-3:]
        outcome.failed = 1
        outcome.first_error = f"exit {process.returncode}: {' | '.join(tail)}"
    return outcome


# ---- verification (outside the timed part, the same for every client) ---------------------


def _listing(account: floor.Account, container: str, prefix: str = "") -> list[dict[str, Any]]:
    """Every entry of a container listing (name, bytes, hash); [] when the container is gone."""
    entries: list[dict[str, Any]] = []
    conn = account.connect()
    try:
        marker = ""
        while True:
            target = (
                f"{account.target(container)}?format=json&limit={_LISTING_LIMIT}"
                f"&prefix={quote(prefix)}&marker={quote(marker)}"
            )
            status, body = floor.call(conn, account, "GET", target)
            if status == 404:
                return entries
            if status // 100 != 2:
                raise floor.FloorError(f"listing {container}: {status}")
            page = json.loads(body) if status == 200 else []
            if not page:
                return entries
            entries += page
            marker = page[-1]["name"]
    finally:
        conn.close()


_range_md5: dict[tuple[str, int, int, int], str] = {}


def _md5_of(path: str, offset: int = 0, length: int | None = None) -> str:
    # the same segments are checked every round: hash each range of the source once
    # (while the file's mtime stays the same)
    stat = os.stat(path)
    size = stat.st_size if length is None else length
    key = (path, stat.st_mtime_ns, offset, size)
    if key not in _range_md5:
        digest = hashlib.md5(usedforsecurity=False)
        with open(path, "rb") as source:
            source.seek(offset)
            left = size
            while left > 0:
                block = source.read(min(_COMPARE_BLOCK, left))
                if not block:
                    break
                digest.update(block)
                left -= len(block)
        _range_md5[key] = digest.hexdigest()
    return _range_md5[key]


def _same_bytes(first: Path, second: Path) -> bool:
    if first.stat().st_size != second.stat().st_size:
        return False
    with open(first, "rb") as one, open(second, "rb") as other:
        while True:
            block = one.read(_COMPARE_BLOCK)
            if block != other.read(_COMPARE_BLOCK):
                return False
            if not block:
                return True


@dataclass
class Check:
    """What a verification found: ``ok`` items right, ``wrong`` items missing or different."""

    ok: int = 0
    wrong: int = 0
    first_error: str | None = None
    notes: dict[str, Any] | None = None

    def bad(self, what: str) -> None:
        self.wrong += 1
        if self.first_error is None:
            self.first_error = what


def check_upload_folder(account: floor.Account, container: str, folder: Path) -> Check:
    """Every file of ``folder`` is object ``<folder name>/<file>`` with its MD5; nothing else."""
    check = Check()
    listed = {entry["name"]: entry for entry in _listing(account, container)}
    expected = {f"{folder.name}/{name}": folder / name for name in sorted(os.listdir(folder))}
    for name, path in expected.items():
        entry = listed.get(name)
        if entry is None:
            check.bad(f"{name} missing")
        elif entry["hash"] != _md5_of(str(path)) or entry["bytes"] != path.stat().st_size:
            check.bad(f"{name}: MD5 or size differs from the local file")
        else:
            check.ok += 1
    for name in sorted(set(listed) - set(expected))[:1]:
        check.bad(f"unexpected object {name}")
    return check


def check_upload_large(account: floor.Account, container: str, path: Path) -> Check:
    """The object is a manifest whose segments cover the file in order, each with its MD5."""
    check = Check(notes={})
    obj = path.name
    conn = account.connect()
    try:
        conn.request(
            "HEAD", account.target(container, obj), headers={"X-Auth-Token": account.token}
        )
        head = conn.getresponse()
        head.read()
        if head.status != 200:
            check.bad(f"HEAD {container}/{obj}: {head.status}")
            return check
        dlo = head.getheader("X-Object-Manifest")
        if head.getheader("X-Static-Large-Object", "").lower() == "true":
            kind = "SLO"
            status, body = floor.call(
                conn, account, "GET", account.target(container, obj) + "?multipart-manifest=get"
            )
            if status != 200:
                check.bad(f"GET {obj}?multipart-manifest=get: {status}")
                return check
            segments = [(s["name"], int(s["bytes"]), s["hash"]) for s in json.loads(body)]
        elif dlo:
            kind = "DLO"
            segment_container, _, prefix = unquote(dlo).partition("/")
            segments = [
                (f"/{segment_container}/{e['name']}", int(e["bytes"]), e["hash"])
                for e in _listing(account, segment_container, prefix)
            ]
        else:
            kind = "plain object"
            segments = [(f"/{container}/{obj}", int(head.getheader("Content-Length", "0")),
                         (head.getheader("Etag") or "").strip('"'))]  # fmt: skip
    finally:
        conn.close()
    assert check.notes is not None
    check.notes.update(large_object=kind, segments=len(segments))
    size, offset = path.stat().st_size, 0
    for name, length, md5 in segments:
        if offset + length > size or md5 != _md5_of(str(path), offset, length):
            check.bad(f"segment {name} ({length} bytes at {offset}) differs from the file")
        offset += length
    if offset != size:
        check.bad(f"the segments hold {offset} bytes, the file {size}")
    if not check.wrong:
        check.ok = 1
    return check


def check_download(out_dir: Path, source: Path, names: Sequence[str]) -> Check:
    """Each of ``names`` under ``out_dir`` equals the file of that name in ``source``."""
    check = Check()
    for name in names:
        got = out_dir / name
        if not got.is_file():
            check.bad(f"{name} not downloaded")
        elif not _same_bytes(got, source / name):
            check.bad(f"{name} differs from the source")
        else:
            check.ok += 1
    found = sum(len(files) for _, _, files in os.walk(out_dir))
    if found != len(names):
        check.bad(f"{found} files downloaded, {len(names)} expected")
    return check


def check_deleted(account: floor.Account, container: str, expected: int) -> Check:
    """The container is gone, or empty (``rclone delete`` keeps it)."""
    left = _listing(account, container)
    if left:
        return Check(0, len(left), f"{len(left)} objects left, {left[0]['name']} first")
    return Check(ok=expected)


def apply(record: dict[str, Any], check: Check) -> None:
    """A run's result as its verification found it."""
    record["ok"] = check.ok
    if check.notes:
        record.update(check.notes)
    if check.wrong:
        record["failed"] = check.wrong
        record["first_error"] = f"verification: {check.first_error}"
