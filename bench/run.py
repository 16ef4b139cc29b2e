"""``make bench``: swiftsvc against python-swiftclient and a raw floor, side by side.

Starts one local real Swift (``swiftsvc.testing.LocalSwift``) with its state
and devices on tmpfs (``/dev/shm``), then runs each workload through every
client in a fresh subprocess (``workloads.py``), rounds interleaved (A, B,
floor; then B, floor, A; ...) so that drift of the server hits every client
alike. The ``cli`` part runs the same workloads through the commands a user
types (``swiftsvc``, python-swiftclient's ``swift``, rclone; ``commands.py``),
each verified after its run. Writes ``bench/results.json``, ``bench/RESULTS.md``
and ``bench/chart.png`` (``report.py``).

    .venv/bin/python bench/run.py            # default: 3 rounds, 20k-object container
    .venv/bin/python bench/run.py --full     # 200k-object container (long)
    .venv/bin/python bench/run.py --only small_upload,auth --rounds 5
    mkdir -p /tmp/b && .venv/bin/python bench/run.py --only cli --rounds 1 \
        --small-count 200 --large-mib 256 --out /tmp/b   # a short look at the CLI level

Benchmarks never run in the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import commands
import floor
import report
from workloads import RESULT_PREFIX

from swiftsvc.testing import FaultProxy, LocalSwift

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKLOADS_PY = HERE / "workloads.py"

SMALL_COUNT = 2000
SMALL_SIZE = 4096
LARGE_SIZE = 1 << 30
SEGMENT_SIZE = 64 << 20
THREADS = 10
AUTH_THREADS = 40
AUTH_OBJECTS = 400
# Extract-archive PUTs that create the objects the download and delete
# workloads start from (not measured). The cluster extracts one archive file
# by file, so a few archives in parallel fill a container several times faster.
PER_ARCHIVE = 10000
FILL_THREADS = 6
BIG_QUICK = 20000
BIG_FULL = 200000
# a subprocess that takes longer than this is stuck, not slow
RUN_TIMEOUT = 3600

ALL_PARTS = (
    "small_upload",
    "small_upload_items",
    "small_download",
    "small_delete",
    "large",
    "auth",
    "big",
    "cli",
)
# small_upload_items (one UploadObject per file: both libraries then HEAD each
# object first) is left out by default to keep the run short (near 15 minutes
# before the cli part was added; that part's own time is in part_seconds)
DEFAULT_PARTS = tuple(part for part in ALL_PARTS if part != "small_upload_items")


def say(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _clean_env() -> dict[str, str]:
    # both libraries fall back to ST_* / OS_* variables: none may leak into a run
    return {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("ST_", "OS_", "SWIFTCLIENT_"))
    }


@dataclass
class Bench:
    cluster: LocalSwift
    account: floor.Account
    work: Path
    rounds: int
    clients: tuple[str, ...]
    cli_clients: tuple[str, ...] = commands.CLIENTS
    small_count: int = SMALL_COUNT
    large_size: int = LARGE_SIZE
    # peak RSS is not noisy like a rate, and each round refills the container
    big_rounds: int = 1
    runs: list[dict[str, Any]] = field(default_factory=list)
    unavailable: dict[str, str] = field(default_factory=dict)
    # containers of small_count small objects, left by small_upload for small_delete
    filled: list[str] = field(default_factory=list)

    @property
    def auth(self) -> dict[str, str]:
        auth: dict[str, str] = self.cluster.auth_options("tester")
        return auth

    # ---- one run -----------------------------------------------------------

    def run(self, part: str, client: str, round_: int, spec: dict[str, Any]) -> dict[str, Any]:
        """One API-level run: ``workloads.py`` with ``spec`` in a fresh process."""
        # the spec may override threads and auth (the auth count goes through a FaultProxy)
        full = {"client": client, "threads": THREADS, "auth": self.auth, **spec}

        def execute() -> tuple[dict[str, Any], str]:
            try:
                finished = subprocess.run(
                    [sys.executable, str(WORKLOADS_PY), json.dumps(full)],
                    cwd=REPO,
                    env=_clean_env(),
                    capture_output=True,
                    text=True,
                    timeout=RUN_TIMEOUT,
                    check=False,
                )
            except subprocess.TimeoutExpired:
                return {"failed": 1, "first_error": "timed out"}, ""
            lines = [ln for ln in finished.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
            if lines:
                outcome: dict[str, Any] = json.loads(lines[-1][len(RESULT_PREFIX) :])
            else:
                outcome = {"failed": 1, "first_error": f"no result (exit {finished.returncode})"}
            if not spec.get("sample_rss"):
                outcome.pop("rss_samples", None)
            return outcome, finished.stderr

        return self._record(part, client, round_, execute)

    def run_command(
        self,
        part: str,
        client: str,
        round_: int,
        action: str,
        args: dict[str, str],
        verify: Callable[[], commands.Check],
        size: int = 0,
    ) -> dict[str, Any]:
        """One CLI-level run: the command of ``client`` for ``action``, then ``verify``."""
        cmd = commands.command(client, action, self.auth, THREADS, **args)

        def execute() -> tuple[dict[str, Any], str]:
            with self.scratch("command-logs") as logs:
                outcome = commands.run(cmd, logs, RUN_TIMEOUT)
                outcome.bytes = size
                stderr = (logs / "stderr").read_text(errors="replace")
            found = asdict(outcome)
            found.pop("rss_samples", None)
            return {**found, "cpu": outcome.cpu, "argv": _shown(cmd.argv, self.work)}, stderr

        return self._record(part, client, round_, execute, verify)

    def _record(
        self,
        part: str,
        client: str,
        round_: int,
        execute: Callable[[], tuple[dict[str, Any], str]],
        verify: Callable[[], commands.Check] | None = None,
    ) -> dict[str, Any]:
        """Run ``execute``; add the requests the client sent and the servers' CPU; verify."""
        log = self.cluster.log_path("proxy")
        log_offset = log.stat().st_size
        server_before = server_cpu(self.cluster.pids.values())
        started = time.monotonic()
        outcome, stderr = execute()
        record = {"part": part, "client": client, "round": round_, **outcome}
        record["requests"] = client_requests(log, log_offset)
        record["peak_parallel_puts"] = peak_parallel(log, log_offset, b"PUT")
        # includes the subprocess's start-up and imports, during which the servers idle
        record["server_cpu"] = round(server_cpu(self.cluster.pids.values()) - server_before, 2)
        # after the counts: the verification's own requests are not the client's
        if verify is not None and not record.get("failed"):
            try:
                commands.apply(record, verify())
            except Exception as error:  # a verification that cannot run fails the run
                record["failed"] = 1
                record["first_error"] = f"verification: {type(error).__name__}: {error}"
        if record.get("failed"):
            record["stderr_tail"] = stderr[-3000:]
        self.runs.append(record)
        say(
            f"{part:<18} {client:<14} round {round_}: "
            f"{report.describe(record)} ({time.monotonic() - started:.1f} s in all)"
        )
        return record

    def interleaved(
        self, clients: Sequence[str], rounds: int | None = None
    ) -> Iterator[tuple[int, str]]:
        """(round, client) pairs, the client order rotated each round."""
        active = [c for c in clients if c not in self.unavailable]
        for round_ in range(1, (rounds or self.rounds) + 1):
            shift = (round_ - 1) % max(len(active), 1)
            for client in active[shift:] + active[:shift]:
                yield round_, client

    @contextmanager
    def scratch(self, name: str) -> Iterator[Path]:
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        try:
            yield path
        finally:
            shutil.rmtree(path, ignore_errors=True)

    def remove(self, *containers: str) -> None:
        for container in containers:
            floor.remove_container(self.account, container)

    # ---- the workloads -------------------------------------------------------

    def small_upload(self, source: Path, by: str) -> None:
        """``by`` "directory": upload(container, [folder]); "items": one UploadObject each."""
        part = "small_upload" if by == "directory" else "small_upload_items"
        clients = ["swiftsvc", "swiftclient", "floor"]
        if by == "directory":
            clients.insert(1, "swiftsvc-batch")
        for round_, client in self.interleaved([c for c in clients if c in self.clients]):
            container = f"bench-up-{client}-{round_}"
            spec = {"workload": "upload_files", "container": container, "by": by}
            record = self.run(part, client, round_, {**spec, "source_dir": str(source)})
            if not record.get("failed") and record.get("ok") == self.small_count:
                # the delete workload deletes these: creating its own would cost the
                # server as much again (minutes on 2 cores)
                self.filled.append(container)

    def small_download(self, source: Path) -> None:
        container = "bench-small-source"
        self._fill_small(container, source)
        for round_, client in self.interleaved(self._plain_clients()):
            with self.scratch("download") as out:
                self.run(
                    "small_download",
                    client,
                    round_,
                    {
                        "workload": "download_container",
                        "container": container,
                        "out_dir": str(out),
                        "expected": self.small_count,
                    },
                )
        self.remove(container)

    def small_delete(self, source: Path) -> None:
        for round_, client in self.interleaved(self._plain_clients()):
            if self.filled:
                container = self.filled.pop()
            else:
                container = f"bench-del-{client}-{round_}"
                self._fill_small(container, source)
            self.run(
                "small_delete",
                client,
                round_,
                {
                    "workload": "delete_container",
                    "container": container,
                    "expected": self.small_count,
                },
            )
            self.remove(container)

    def large(self, path: Path) -> None:
        for round_, client in self.interleaved(self._plain_clients()):
            container = f"bench-large-{client}-{round_}"
            self.run(
                "large_upload",
                client,
                round_,
                {
                    "workload": "upload_large",
                    "container": container,
                    "path": str(path),
                    "object": "big.bin",
                    "segment_size": SEGMENT_SIZE,
                },
            )
            self.remove(container, f"{container}_segments")
        source = "bench-large-source"
        say("uploading the 1 GiB SLO to download (floor)")
        floor.upload_slo(self.account, source, "big.bin", str(path), SEGMENT_SIZE, THREADS)
        for round_, client in self.interleaved(self._plain_clients()):
            with self.scratch("download") as out:
                self.run(
                    "large_download",
                    client,
                    round_,
                    {
                        "workload": "download_large",
                        "container": source,
                        "object": "big.bin",
                        "out_dir": str(out),
                        "size": self.large_size,
                    },
                )
        self.remove(source, f"{source}_segments")

    def big(self, count: int) -> None:
        """Peak RSS while downloading, then deleting, a ``count``-object container."""
        clients = [c for c in self._plain_clients() if c != "floor"]
        for round_, client in self.interleaved(clients, self.big_rounds):
            container = f"bench-big-{client}-{round_}"
            started = time.monotonic()
            self._fill(container, _zero_byte_members, count)
            say(f"filled {container} with {count} objects in {time.monotonic() - started:.0f} s")
            common = {"container": container, "expected": count, "sample_rss": 0.25}
            with self.scratch("download") as out:
                self.run(
                    "big_download",
                    client,
                    round_,
                    {"workload": "download_container", "out_dir": str(out), **common},
                )
            self.run("big_delete", client, round_, {"workload": "delete_container", **common})
            self.remove(container)

    def auth_count(self, source: Path) -> dict[str, Any]:
        """Requests to /auth/v1.0 made by one Service with 40 threads, counted at a FaultProxy."""
        counts: dict[str, Any] = {}
        with FaultProxy(self.cluster.proxy_url) as proxy:
            auth = {**self.auth, "auth": f"{proxy.url}/auth/v1.0"}
            for client in [c for c in self._plain_clients() if c != "floor"]:
                container = f"bench-auth-{client}"
                proxy.clear_requests()
                with self.scratch("download") as out:
                    spec = {
                        "workload": "upload_then_download",
                        "container": container,
                        "source_dir": str(source),
                        "out_dir": str(out),
                        "auth": auth,
                        "threads": AUTH_THREADS,
                    }
                    record = self.run("auth", client, 1, spec)
                counts[client] = {
                    "auth_requests": proxy.count(path=r"^/auth/"),
                    "requests": len(proxy.requests),
                    "ok": record.get("ok", 0),
                    "failed": record.get("failed", 0),
                    "first_error": record.get("first_error"),
                }
                say(f"auth            {client:<14} {counts[client]['auth_requests']} auth requests")
                self.remove(container)
        return counts

    def cli(self, small: Path, large: Path) -> None:
        """The workloads as a user runs them: the swiftsvc, swift and rclone commands."""
        clients = [c for c in self.cli_clients if c not in self.unavailable]
        names = sorted(os.listdir(small))
        small_bytes = sum((small / name).stat().st_size for name in names)
        for round_, client in self.interleaved(clients):
            container = f"cli-up-{client}-{round_}"
            record = self.run_command(
                "cli_small_upload",
                client,
                round_,
                "upload_folder",
                {"container": container, "folder": str(small)},
                partial(commands.check_upload_folder, self.account, container, small),
                small_bytes,
            )
            if not record.get("failed"):
                self.filled.append(container)  # deleted by cli_small_delete
            else:
                self.remove(container)
        source = "cli-small-source"
        self._fill_small(source, small)
        for round_, client in self.interleaved(clients):
            with self.scratch("download") as out:
                self.run_command(
                    "cli_small_download",
                    client,
                    round_,
                    "download_container",
                    {"container": source, "out_dir": str(out)},
                    partial(commands.check_download, out, small, names),
                    small_bytes,
                )
        self.remove(source)
        for round_, client in self.interleaved(clients):
            if self.filled:
                container = self.filled.pop()
            else:
                container = f"cli-del-{client}-{round_}"
                self._fill_small(container, small)
            self.run_command(
                "cli_small_delete",
                client,
                round_,
                "delete_container",
                {"container": container},
                partial(commands.check_deleted, self.account, container, len(names)),
            )
            self.remove(container)
        segment = f"{SEGMENT_SIZE >> 20}M"
        size = large.stat().st_size
        for round_, client in self.interleaved(clients):
            container = f"cli-large-{client}-{round_}"
            self.run_command(
                "cli_large_upload",
                client,
                round_,
                "upload_large",
                {"container": container, "path": str(large), "segment_size": segment},
                partial(commands.check_upload_large, self.account, container, large),
                size,
            )
            self.remove(container, f"{container}_segments")
        source = "cli-large-source"
        say(f"uploading the {size >> 20} MiB SLO to download (floor)")
        floor.upload_slo(self.account, source, large.name, str(large), SEGMENT_SIZE, THREADS)
        for round_, client in self.interleaved(clients):
            with self.scratch("download") as out:
                self.run_command(
                    "cli_large_download",
                    client,
                    round_,
                    "download_object",
                    {"container": source, "object": large.name, "out_dir": str(out)},
                    partial(commands.check_download, out, large.parent, [large.name]),
                    size,
                )
        self.remove(source, f"{source}_segments")

    def cli_probe(self, client: str, source: Path) -> None:
        """A tiny upload/download/delete by the command; a client that fails it is left out."""
        if commands.executable(client) is None:
            self.unavailable[client] = "not installed"
            say(f"{client} left out: not installed")
            return
        with self.scratch("probe-src") as src, self.scratch("probe-out") as out:
            folder = src / "small"
            folder.mkdir()
            for name in names_of(3):
                shutil.copy(source / name, folder / name)
            container = f"cli-probe-{client}"
            steps: list[tuple[str, dict[str, str], Callable[[], commands.Check]]] = [
                (
                    "upload_folder",
                    {"container": container, "folder": str(folder)},
                    lambda: commands.check_upload_folder(self.account, container, folder),
                ),
                (
                    "download_container",
                    {"container": container, "out_dir": str(out)},
                    lambda: commands.check_download(
                        out, src, [f"small/{name}" for name in names_of(3)]
                    ),
                ),
                (
                    "delete_container",
                    {"container": container},
                    lambda: commands.check_deleted(self.account, container, 3),
                ),
            ]
            for action, args, verify in steps:
                record = self.run_command("probe", client, 0, action, args, verify)
                if record.get("failed") or not record.get("ok"):
                    self.unavailable[client] = f"{action}: {record.get('first_error')}"
                    say(f"{client} left out: {self.unavailable[client]}")
                    break
            self.remove(container)
        self.runs = [r for r in self.runs if r["part"] != "probe"]

    # ---- helpers -----------------------------------------------------------

    def _plain_clients(self) -> list[str]:
        return [c for c in ("swiftsvc", "swiftclient", "floor") if c in self.clients]

    def _fill_small(self, container: str, source: Path) -> None:
        names = sorted(os.listdir(source))

        def members(start: int, stop: int) -> Iterator[tuple[str, bytes]]:
            for name in names[start:stop]:
                yield name, (source / name).read_bytes()

        self._fill(container, members, len(names))

    def _fill(
        self, container: str, members: Callable[[int, int], Iterator[tuple[str, bytes]]], count: int
    ) -> None:
        per_archive = max(1, min(PER_ARCHIVE, -(-count // FILL_THREADS)))
        floor.fill_container(
            self.account, container, members, count, per_archive, threads=FILL_THREADS
        )

    def probe(self, client: str, source: Path) -> None:
        """A tiny upload/download/delete; a client that fails it is left out."""
        with self.scratch("probe-src") as src, self.scratch("probe-out") as out:
            for name in names_of(3):
                shutil.copy(source / name, src / name)
            container = f"bench-probe-{client}"
            steps: list[tuple[str, dict[str, Any]]] = [
                ("upload_files", {"source_dir": str(src)}),
                ("download_container", {"out_dir": str(out), "expected": 3}),
                ("delete_container", {"expected": 3}),
            ]
            for workload, extra in steps:
                if client == "swiftsvc-batch" and workload != "upload_files":
                    continue
                record = self.run(
                    "probe", client, 0, {"workload": workload, "container": container, **extra}
                )
                if client == "swiftsvc-batch" and not record["requests"].get("PUT tar"):
                    record["failed"] = 1
                    record["first_error"] = "upload(options={'batch': True}) sent no tar archive"
                if record.get("failed") or not record.get("ok"):
                    self.unavailable[client] = f"{workload}: {record.get('first_error')}"
                    say(f"{client} left out: {self.unavailable[client]}")
                    break
            self.remove(container)
        self.runs = [r for r in self.runs if r["part"] != "probe"]


_TICKS = os.sysconf("SC_CLK_TCK")


def server_cpu(pids: Iterable[int]) -> float:
    """User + system CPU seconds used so far by the server processes (all threads)."""
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                # fields after the command name, which may contain spaces
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / _TICKS


def client_requests(log: Path, offset: int) -> dict[str, int]:
    """Requests the client sent, by method, from the proxy's access log since ``offset``.

    Subrequests the proxy makes itself (SLO segments, bulk deletes) carry a
    ``swift.source`` in the 18th field and are left out.
    """
    counts: dict[str, int] = {}
    time.sleep(0.2)  # the last access lines of a run may still be on their way to the file
    with open(log, "rb") as lines:
        lines.seek(offset)
        for raw in lines:
            fields = raw.split()
            if len(fields) < 18 or fields[0] != b"proxy:" or fields[17] != b"-":
                continue
            method, path = fields[4].decode(), fields[5]
            if path.startswith(b"/auth/"):
                method = "AUTH"
            elif b"extract-archive" in path:
                method = "PUT tar"
            elif b"bulk-delete" in path:
                method = "POST bulk-delete"
            counts[method] = counts.get(method, 0) + 1
    return counts


def _shown(argv: Sequence[str], work: Path) -> list[str]:
    """A command line for the report: the program's name, the key hidden, ``$WORK`` for
    the temporary folder of the run."""
    shown = [os.path.basename(argv[0]), *(a.replace(str(work), "$WORK") for a in argv[1:])]
    for index, word in enumerate(shown[:-1]):
        if word == "-K":
            shown[index + 1] = "<key>"
    return shown


def peak_parallel(log: Path, offset: int, method: bytes) -> int:
    """Most ``method`` requests of the client in flight at once, from the access log's
    start and end times (fields 20 and 21) since ``offset``."""
    events: list[tuple[float, int]] = []
    with open(log, "rb") as lines:
        lines.seek(offset)
        for raw in lines:
            fields = raw.split()
            if len(fields) < 21 or fields[0] != b"proxy:" or fields[17] != b"-":
                continue
            if fields[4] == method:
                try:
                    events += [(float(fields[19]), 1), (float(fields[20]), -1)]
                except ValueError:
                    continue
    peak = current = 0
    # an end sorts before a start at the same instant: back-to-back is not parallel
    for _, change in sorted(events):
        current += change
        peak = max(peak, current)
    return peak


def names_of(count: int) -> list[str]:
    return [f"f{index:05d}" for index in range(count)]


def _zero_byte_members(start: int, stop: int) -> Iterator[tuple[str, bytes]]:
    # 1000 objects per pseudo-folder: downloads then create folders too
    for index in range(start, stop):
        yield f"d{index // 1000:04d}/o{index:07d}", b""


def make_small_files(folder: Path, count: int, size: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in names_of(count):
        (folder / name).write_bytes(os.urandom(size))
    return folder


def make_large_file(path: Path, size: int) -> Path:
    piece = 64 << 20
    with open(path, "wb") as out:
        for _ in range(size // piece):
            out.write(os.urandom(piece))
        out.write(os.urandom(size % piece))
    return path


def _parse(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--quick", action="store_true", help=f"{BIG_QUICK} objects in the big container (default)"
    )
    size.add_argument(
        "--full", action="store_true", help=f"{BIG_FULL} objects in the big container"
    )
    parser.add_argument("--big-count", type=int, help="objects in the big container")
    parser.add_argument("--small-count", type=int, default=SMALL_COUNT, help="small objects")
    parser.add_argument("--large-mib", type=int, default=LARGE_SIZE >> 20, help="large object size")
    parser.add_argument(
        "--rounds", type=int, default=3, help="rounds of every workload (median of them)"
    )
    parser.add_argument(
        "--big-rounds", type=int, default=1, help="rounds of the big-container part (slow)"
    )
    parser.add_argument(
        "--only",
        help=f"comma-separated parts of {','.join(ALL_PARTS)} (default: all but the 2nd)",
    )
    parser.add_argument("--clients", default="swiftsvc,swiftsvc-batch,swiftclient,floor")
    parser.add_argument(
        "--cli-clients",
        default=",".join(commands.CLIENTS),
        help="commands of the cli part (rclone is left out when not installed)",
    )
    parser.add_argument(
        "--work-dir", default="/dev/shm", help="tmpfs for Swift's devices and the files"
    )
    parser.add_argument(
        "--out", default=str(HERE), help="where results.json, RESULTS.md, chart.png go"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str]) -> int:
    args = _parse(argv)
    parts = tuple(args.only.split(",")) if args.only else DEFAULT_PARTS
    unknown = set(parts) - set(ALL_PARTS)
    if unknown:
        raise SystemExit(f"unknown parts: {sorted(unknown)}")
    big_count = args.big_count or (BIG_FULL if args.full else BIG_QUICK)
    work = Path(tempfile.mkdtemp(prefix="swiftsvc-bench-", dir=args.work_dir))
    started = time.monotonic()
    try:
        results = _run(args, parts, big_count, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["config"]["total_seconds"] = round(time.monotonic() - started, 1)
    results["machine"]["loadavg_after"] = os.getloadavg()
    out = Path(args.out)
    (out / "results.json").write_text(json.dumps(results, indent=1) + "\n")
    report.write(results, out)
    say(f"done in {time.monotonic() - started:.0f} s: {out / 'RESULTS.md'}, {out / 'chart.png'}")
    return 0


def _run(
    args: argparse.Namespace, parts: tuple[str, ...], big_count: int, work: Path
) -> dict[str, Any]:
    machine = report.machine()  # before the run: the load average of the machine at rest
    say(f"working in {work}")
    with LocalSwift(state_dir=work / "swift", progress=say) as cluster:
        user = cluster.auth_options("tester")
        account = floor.authenticate(user["auth"], user["user"], user["key"])
        large_size = args.large_mib << 20
        bench = Bench(
            cluster,
            account,
            work,
            args.rounds,
            tuple(args.clients.split(",")),
            tuple(args.cli_clients.split(",")),
            small_count=args.small_count,
            large_size=large_size,
            big_rounds=args.big_rounds,
        )
        small = make_small_files(work / "small", args.small_count, SMALL_SIZE)
        auth_source = work / "auth-source"
        auth_source.mkdir()
        for name in names_of(min(AUTH_OBJECTS, args.small_count)):
            os.link(small / name, auth_source / name)
        if set(parts) - {"cli"}:
            for client in bench.clients:
                if client != "floor":
                    bench.probe(client, small)
        if "cli" in parts:
            unknown_clients = set(bench.cli_clients) - set(commands.CLIENTS)
            if unknown_clients:
                raise SystemExit(f"unknown --cli-clients: {sorted(unknown_clients)}")
            for client in bench.cli_clients:
                bench.cli_probe(client, small)
            machine["rclone"] = commands.version("rclone")

        def large_file() -> Path:
            # one random file for both the API-level and the CLI-level parts
            path = work / "large.bin"
            return path if path.exists() else make_large_file(path, large_size)

        steps: dict[str, Callable[[], Any]] = {
            "small_upload": lambda: bench.small_upload(small, "directory"),
            "small_upload_items": lambda: bench.small_upload(small, "items"),
            "small_download": lambda: bench.small_download(small),
            "small_delete": lambda: bench.small_delete(small),
            "large": lambda: bench.large(large_file()),
            "big": lambda: bench.big(big_count),
            "cli": lambda: bench.cli(small, large_file()),
        }
        auth: dict[str, Any] = {}
        part_seconds: dict[str, float] = {}
        for part in parts:
            started = time.monotonic()
            if part == "auth":
                auth = bench.auth_count(auth_source)
            else:
                steps[part]()
            part_seconds[part] = round(time.monotonic() - started, 1)
            say(f"part {part} took {part_seconds[part]:.0f} s")
        return {
            "machine": machine,
            "config": {
                "rounds": args.rounds,
                "threads": THREADS,
                "auth_threads": AUTH_THREADS,
                "auth_objects": min(AUTH_OBJECTS, args.small_count),
                "small_count": args.small_count,
                "small_size": SMALL_SIZE,
                "large_size": large_size,
                "segment_size": SEGMENT_SIZE,
                "big_count": big_count,
                "big_rounds": args.big_rounds,
                "parts": list(parts),
                "part_seconds": part_seconds,
                "work_dir": args.work_dir,
                "cli_clients": list(bench.cli_clients),
            },
            "unavailable": bench.unavailable,
            "runs": bench.runs,
            "auth": auth,
        }


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
