"""The PyData benchmarks: swiftsvc.fsspec against swiftspec, and swiftsvc.dask scaling.

Starts one local real Swift (``swiftsvc.testing.LocalSwift``, devices on tmpfs)
and runs, each in a fresh process (``pydata_workloads.py``), rounds
interleaved so that drift of the server hits every client alike:

- ``fsspec``: open + read of one 256 MiB object; ``get`` and ``put`` of 2000
  x 4 KiB; ``ls`` of a folder of 20000 objects; with
  :class:`swiftsvc.fsspec.SwiftFileSystem` and with ``swiftspec`` 0.0.4 (PyPI),
  installed in its own virtualenv under the swiftsvc cache (both claim the
  ``swift`` protocol, so they cannot share one).
- ``dask``: upload of a tree of 2000 x 16 KiB (20 folders of 100 files) by one
  ``Service`` and by ``swiftsvc.dask`` on 1, 2 and 4 worker processes
  (LocalCluster, one thread each, one folder a partition; cluster start-up
  not measured; the workers' CPU is added to the client's).

Writes ``bench/pydata/results.json`` and ``bench/pydata/RESULTS.md``::

    .venv/bin/python bench/pydata.py                 # 3 rounds of everything
    .venv/bin/python bench/pydata.py --only fsspec --rounds 1

Benchmarks never run in the test suite.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import floor
import report
from run import _clean_env, make_large_file, make_small_files, say, server_cpu
from workloads import RESULT_PREFIX

from swiftsvc import Service, UploadObject
from swiftsvc.testing import LocalSwift
from swiftsvc.testing._venv import default_cache_dir

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORKLOADS_PY = HERE / "pydata_workloads.py"
SWIFTSPEC = "swiftspec==0.0.4"

LARGE_SIZE = 256 << 20
SMALL_COUNT = 2000
SMALL_SIZE = 4096
BIG_COUNT = 20000
TREE_COUNT = 2000
TREE_SIZE = 16 << 10
PER_PARTITION = 100
DASK_VARIANTS = (0, 1, 2, 4)  # 0: one Service in one process
RUN_TIMEOUT = 1800


def swiftspec_python() -> Path:
    """A virtualenv with swiftspec (and not swiftsvc), made once under the cache."""
    venv = default_cache_dir() / "bench-swiftspec"
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    if not stamp.exists():
        say(f"creating {venv} with {SWIFTSPEC}")
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet",
                        "--disable-pip-version-check", SWIFTSPEC], check=True)  # fmt: skip
        stamp.write_text(SWIFTSPEC + "\n")
    return python


class Runner:
    def __init__(self, cluster: LocalSwift, work: Path, rounds: int, spec_python: Path) -> None:
        self.cluster = cluster
        self.work = work
        self.rounds = rounds
        self.spec_python = spec_python
        self.auth = cluster.auth_options("tester")
        self.account = floor.authenticate(self.auth["auth"], self.auth["user"], self.auth["key"])
        self.runs: list[dict[str, Any]] = []

    def run(self, part: str, client: str, round_: int, spec: dict[str, Any]) -> dict[str, Any]:
        full = {"client": client, "auth": self.auth, "storage_url": self.account.storage_url,
                "token": self.account.token, **spec}  # fmt: skip
        python = self.spec_python if client == "swiftspec" else Path(sys.executable)
        before = server_cpu(self.cluster.pids.values())
        finished = subprocess.run(
            [str(python), str(WORKLOADS_PY), json.dumps(full)], cwd=REPO, env=_clean_env(),
            capture_output=True, text=True, timeout=RUN_TIMEOUT, check=False,
        )  # fmt: skip
        lines = [ln for ln in finished.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
        outcome = (json.loads(lines[-1][len(RESULT_PREFIX):]) if lines else
                   {"failed": 1, "first_error": f"no result (exit {finished.returncode})"})
        record = {"part": part, "client": client, "round": round_, **outcome}
        record["server_cpu"] = round(server_cpu(self.cluster.pids.values()) - before, 2)
        record.pop("rss_samples", None)
        if outcome.get("failed"):
            record["stderr_tail"] = finished.stderr[-2000:]
        self.runs.append(record)
        say(f"{part:<12} {client:<10} round {round_}: {record.get('wall', 0):.2f} s wall, "
            f"{record.get('cpu', 0):.2f} s CPU, ok {record.get('ok')}, failed "
            f"{record.get('failed')} {record.get('first_error') or ''}")  # fmt: skip
        return record

    def rotated(self, clients: Sequence[Any]) -> Iterator[tuple[int, Any]]:
        for round_ in range(1, self.rounds + 1):
            shift = (round_ - 1) % len(clients)
            for client in [*clients[shift:], *clients[:shift]]:
                yield round_, client

    # ---- fsspec against swiftspec ---------------------------------------------

    def fsspec_parts(self) -> None:
        large = make_large_file(self.work / "large.bin", LARGE_SIZE)
        md5 = hashlib.md5(large.read_bytes()).hexdigest()
        small = make_small_files(self.work / "small", SMALL_COUNT, SMALL_SIZE)
        with Service(self.auth) as service:
            say("uploading the 256 MiB object and the 2000 small ones (not measured)")
            results = list(service.upload("pd-source", [
                UploadObject(str(large), object_name="large.bin"),
                *(UploadObject(str(p), object_name=f"small/{p.name}")
                  for p in sorted(small.iterdir())),
            ]))  # fmt: skip
            assert all(r["success"] for r in results), [r for r in results if not r["success"]]
        say(f"filling pd-big with {BIG_COUNT} objects (not measured)")
        floor.fill_container(
            self.account, "pd-big",
            lambda start, stop: ((f"folder/o{i:07d}", b"") for i in range(start, stop)),
            BIG_COUNT, 5000, threads=4,
        )  # fmt: skip
        clients = ("swiftsvc", "swiftspec")
        for round_, client in self.rotated(clients):
            self.run("read_256MiB", client, round_, {
                "workload": "read_large", "container": "pd-source", "object": "large.bin",
                "md5": md5})  # fmt: skip
            out = self.fresh_dir("get")
            self.run("get_2000", client, round_, {
                "workload": "get_small", "container": "pd-source", "prefix": "small",
                "out_dir": str(out), "expected": SMALL_COUNT})  # fmt: skip
            container = f"pd-put-{client}-{round_}"
            # swiftspec does not create containers: the target exists for both
            floor.put_container(self.account, container)
            self.run("put_2000", client, round_, {
                "workload": "put_small", "container": container, "prefix": "small",
                "source_dir": str(small), "expected": SMALL_COUNT})  # fmt: skip
            _remove(self.account, container)
            self.run("ls_20000", client, round_, {
                "workload": "ls_big", "container": "pd-big", "prefix": "folder",
                "expected": BIG_COUNT})  # fmt: skip

    # ---- Dask scaling --------------------------------------------------------

    def dask_parts(self) -> None:
        tree = self.work / "tree"
        for folder in range(TREE_COUNT // PER_PARTITION):
            make_small_files(tree / f"d{folder:02d}", PER_PARTITION, TREE_SIZE)
        for round_, workers in self.rotated(DASK_VARIANTS):
            container = f"pd-dask-{workers}-{round_}"
            self.run("upload_2000x16KiB", "service" if workers == 0 else f"dask-{workers}",
                     round_, {"workload": "upload_tree", "container": container,
                              "source_dir": str(tree), "workers": workers,
                              "per_partition": PER_PARTITION})  # fmt: skip
            _remove(self.account, container)

    def fresh_dir(self, name: str) -> Path:
        path = self.work / name
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path


def _remove(account: floor.Account, container: str) -> None:
    """Free the server of a run's objects (the whole cluster goes at the end anyway)."""
    try:
        floor.remove_container(account, container)
    except (floor.FloorError, OSError) as error:
        say(f"could not remove {container}: {error}")


# ---- the report --------------------------------------------------------------------


def summarize(runs: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        groups.setdefault((run["part"], run["client"]), []).append(run)
    out = {}
    for key, group in groups.items():
        good = [r for r in group if not r.get("failed")]
        chosen = good or group
        out[key] = {
            "wall": statistics.median(r.get("wall", 0.0) for r in chosen),
            "cpu": statistics.median(r.get("cpu", 0.0) for r in chosen),
            "server_cpu": statistics.median(r.get("server_cpu", 0.0) for r in chosen),
            "ok": chosen[0].get("ok"),
            "failed_runs": len(group) - len(good),
            "first_error": next((r.get("first_error") for r in group if r.get("failed")), None),
        }
    return out


def markdown(results: dict[str, Any]) -> str:
    sums = summarize(results["runs"])
    info = results["machine"]
    lines = [
        "# PyData benchmarks: swiftsvc.fsspec against swiftspec, swiftsvc.dask scaling",
        "",
        f"Generated by `bench/pydata.py` on {info['date']}; {results['rounds']} rounds, medians.",
        f"Machine: {info['nproc']} CPUs ({info['cpu_model']}), load average before "
        f"{info['loadavg_before']}, after {results['loadavg_after']} (shared with other work: "
        "indicative figures; rerun on a quiet machine).",
        "",
        "| workload | client | wall s | client CPU s | server CPU s | ok | failed runs |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for (part, client), s in sorted(sums.items()):
        note = f" ({s['first_error']})" if s["first_error"] else ""
        lines.append(f"| {part} | {client} | {s['wall']:.2f} | {s['cpu']:.2f} | "
                     f"{s['server_cpu']:.2f} | {s['ok']} | {s['failed_runs']}{note} |")  # fmt: skip
    lines += ["", "Ratios (swiftspec wall / swiftsvc wall; above 1: swiftsvc faster):", ""]
    for part in ("read_256MiB", "get_2000", "put_2000", "ls_20000"):
        ours, theirs = sums.get((part, "swiftsvc")), sums.get((part, "swiftspec"))
        if ours and theirs and ours["wall"]:
            lines.append(f"- {part}: {theirs['wall'] / ours['wall']:.2f}x")
    base = sums.get(("upload_2000x16KiB", "service"))
    if base:
        lines += ["", "Dask upload of 2000 x 16 KiB (objects/s; one Service = 1.00):", ""]
        for client in ("service", "dask-1", "dask-2", "dask-4"):
            s = sums.get(("upload_2000x16KiB", client))
            if s and s["wall"]:
                rate = TREE_COUNT / s["wall"]
                lines.append(f"- {client}: {rate:.0f}/s ({base['wall'] / s['wall']:.2f}x)")
    lines += ["", "## All runs", "", "| workload | client | round | wall s | CPU s | ok | failed |",
              "|---|---|---:|---:|---:|---:|---:|"]  # fmt: skip
    for r in results["runs"]:
        lines.append(f"| {r['part']} | {r['client']} | {r['round']} | {r.get('wall', 0):.2f} | "
                     f"{r.get('cpu', 0):.2f} | {r.get('ok')} | {r.get('failed')} |")  # fmt: skip
    return "\n".join(lines) + "\n"


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", choices=("fsspec", "dask"))
    parser.add_argument("--work-dir", default="/dev/shm")
    parser.add_argument("--out", default=str(HERE / "pydata"))
    parser.add_argument("--report", action="store_true",
                        help="only rewrite RESULTS.md from the results.json in --out")
    args = parser.parse_args(argv)
    if args.report:
        out = Path(args.out)
        (out / "RESULTS.md").write_text(markdown(json.loads((out / "results.json").read_text())))
        return 0
    # a background run ignores SIGINT: let SIGTERM stop it cleanly (servers stopped)
    signal.signal(signal.SIGTERM, _interrupt)
    machine = report.machine()
    work = Path(tempfile.mkdtemp(prefix="swiftsvc-pydata-", dir=args.work_dir))
    started = time.monotonic()
    try:
        spec_python = swiftspec_python() if args.only != "dask" else Path(sys.executable)
        with LocalSwift(state_dir=work / "swift", progress=say) as cluster:
            runner = Runner(cluster, work, args.rounds, spec_python)
            try:
                if args.only in (None, "fsspec"):
                    runner.fsspec_parts()
                if args.only in (None, "dask"):
                    runner.dask_parts()
            except Exception:  # keep what was measured; the traceback says what failed
                traceback.print_exc()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = {"machine": machine, "rounds": args.rounds, "runs": runner.runs,
               "loadavg_after": os.getloadavg(),
               "seconds": round(time.monotonic() - started, 1)}  # fmt: skip
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    previous = out / "results.json"
    if args.only and previous.exists():  # keep the other part's runs
        kept = [r for r in json.loads(previous.read_text())["runs"]
                if (r["part"].startswith("upload_")) != (args.only == "dask")]
        results["runs"] = kept + results["runs"]
    previous.write_text(json.dumps(results, indent=1) + "\n")
    (out / "RESULTS.md").write_text(markdown(results))
    say(f"done in {time.monotonic() - started:.0f} s: {out / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
