"""Measure one workload only: downloading a 1 GiB SLO (64 MiB segments).

Starts a LocalSwift with its devices on tmpfs, uploads the SLO once (with
the floor client), then runs ``workloads.py download_large`` for each client,
rounds interleaved, each in a fresh process, and prints wall and CPU seconds.

    .venv/bin/python bench/slo_download.py --rounds 3
    .venv/bin/python bench/slo_download.py --clients swiftsvc --profile /tmp/slo.svg

``--profile`` runs the swiftsvc download under py-spy (slower; numbers not
comparable): a flame graph, or collapsed stacks when the name ends in .txt.
``--before /tmp/old`` (a folder holding an older ``swiftsvc`` package, e.g.
from ``git archive HEAD swiftsvc``) adds that version as client
``swiftsvc-before``. Never part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import floor
from run import (
    LARGE_SIZE,
    SEGMENT_SIZE,
    THREADS,
    _clean_env,
    client_requests,
    make_large_file,
)
from workloads import RESULT_PREFIX

from swiftsvc.testing import LocalSwift

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", default="swiftsvc,swiftclient,floor")
    parser.add_argument("--mib", type=int, default=LARGE_SIZE >> 20)
    parser.add_argument("--profile", help="py-spy flame graph of the swiftsvc run (svg)")
    parser.add_argument("--work-dir", default="/dev/shm")
    parser.add_argument("--before", help="a copy of an older swiftsvc package's parent folder: "
                        "adds client 'swiftsvc-before', run with it first on PYTHONPATH")
    args = parser.parse_args()
    size = args.mib << 20
    work = Path(tempfile.mkdtemp(prefix="swiftsvc-slo-", dir=args.work_dir))
    try:
        with LocalSwift(state_dir=work / "swift") as cluster:
            auth = cluster.auth_options("tester")
            account = floor.authenticate(auth["auth"], auth["user"], auth["key"])
            source = make_large_file(work / "large.bin", size)
            floor.upload_slo(account, "slo", "big.bin", str(source), SEGMENT_SIZE, THREADS)
            source.unlink()
            runs: dict[str, list[tuple[float, float]]] = {}
            clients = args.clients.split(",") + (["swiftsvc-before"] if args.before else [])
            for round_ in range(args.rounds):
                order = clients[round_ % len(clients):] + clients[: round_ % len(clients)]
                for client in order:
                    out = work / "out"
                    out.mkdir()
                    env = _clean_env()
                    if client == "swiftsvc-before":
                        env["PYTHONPATH"] = args.before
                    spec = {
                        "workload": "download_large",
                        "client": "swiftsvc" if client == "swiftsvc-before" else client,
                        "threads": THREADS,
                        "auth": auth, "container": "slo", "object": "big.bin",
                        "out_dir": str(out), "size": size,
                    }
                    command = [sys.executable, str(HERE / "workloads.py"), json.dumps(spec)]
                    if args.profile and client == "swiftsvc":
                        spy = str(Path(sys.executable).parent / "py-spy")
                        form = "raw" if args.profile.endswith(".txt") else "flamegraph"
                        command = [spy, "record", "-o", args.profile, "--format", form,
                                   "--threads", "--", *command]
                    log = cluster.log_path("proxy")
                    log_offset = log.stat().st_size
                    done = subprocess.run(command, env=env, capture_output=True,
                                          text=True, check=False)
                    line = [ln for ln in done.stdout.splitlines() if ln.startswith(RESULT_PREFIX)]
                    result = json.loads(line[-1][len(RESULT_PREFIX):]) if line else {}
                    if not line or result.get("failed") or result.get("ok") != 1:
                        print(client, "FAILED", result.get("first_error"), done.stderr[-2000:])
                    got = (out / "big.bin").stat().st_size if (out / "big.bin").exists() else -1
                    gets = client_requests(log, log_offset).get("GET", 0)
                    wall, cpu = result.get("wall", 0.0), result.get("cpu", 0.0)
                    print(f"round {round_} {client:12s} wall {wall:6.2f} s "
                          f"{size / wall / 1e6 if wall else 0:7.1f} MB/s cpu {cpu:5.2f} s "
                          f"(file {got} bytes, {gets} GETs)", flush=True)
                    runs.setdefault(client, []).append((wall, cpu))
                    shutil.rmtree(out)
            for client, values in runs.items():
                wall = statistics.median(v[0] for v in values)
                cpu = statistics.median(v[1] for v in values)
                print(f"median {client:12s} wall {wall:6.2f} s {size / wall / 1e6:7.1f} MB/s "
                      f"cpu {cpu:5.2f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.chdir(HERE.parent)
    sys.exit(main())
