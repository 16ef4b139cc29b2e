"""Client memory of an upload of many small files (figures in bench/NOTES-memory.md).

    .venv/bin/python bench/upload_memory.py --files 20000 [--trace] [--real-puts]

Makes a tree of ``--files`` empty files (100 per folder) in a temporary
folder, starts a local Swift (or uses ``--auth``/``--user``/``--key``), and
uploads the tree with swiftsvc, printing wall time, client CPU, the peak of
traced Python memory (``--trace``; tracemalloc slows the client ~3x) and the
process's peak RSS. Without ``--real-puts`` the object PUTs are answered by a
fault proxy in a child process (``FaultProxy.respond(201)``): the client does
all its work, the server none of the per-object work that bounds small-object
throughput on a loaded machine.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from swiftsvc import Service  # noqa: E402
from swiftsvc.testing import LocalSwift  # noqa: E402

FAKE_PUTS = """
import sys
from swiftsvc.testing import FaultProxy
proxy = FaultProxy(sys.argv[1]).start()
proxy.respond(201, method="PUT", path=sys.argv[2], times=None)
print(proxy.url, flush=True)
sys.stdin.read()
"""


def make_tree(root: Path, count: int) -> None:
    for index in range(count):
        folder = root / f"d{index // 100:05d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{index:07d}").touch()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20000)
    parser.add_argument("--trace", action="store_true")
    parser.add_argument("--real-puts", action="store_true")
    parser.add_argument("--auth")
    parser.add_argument("--user", default="test:tester")
    parser.add_argument("--key", default="testing")
    args = parser.parse_args()

    cluster = None
    if args.auth is None:
        cluster = LocalSwift().start()
        args.auth = cluster.auth_url
    proxy_url = args.auth.split("/auth/")[0]
    container = f"memory-{uuid.uuid4().hex[:8]}"
    child = None
    auth = args.auth
    if not args.real_puts:
        child = subprocess.Popen(
            [sys.executable, "-c", FAKE_PUTS, proxy_url, f"/{container}/"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert child.stdout is not None
        auth = child.stdout.readline().strip() + "/auth/v1.0"
    try:
        with tempfile.TemporaryDirectory() as folder:
            tree = Path(folder) / "tree"
            make_tree(tree, args.files)
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
            with Service({"auth": auth, "user": args.user, "key": args.key}) as svc:
                if args.trace:
                    tracemalloc.start()
                started, cpu = time.monotonic(), time.process_time()
                results = failed = 0
                for result in svc.upload(container, [str(tree)]):
                    results += 1
                    failed += not result["success"]
                wall, cpu = time.monotonic() - started, time.process_time() - cpu
                peak = tracemalloc.get_traced_memory()[1] if args.trace else 0
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    finally:
        if child is not None and child.stdin is not None:
            child.stdin.close()
            child.wait()
        if cluster is not None:
            cluster.stop()
    print(
        f"files={args.files} results={results} failed={failed} puts="
        f"{'real' if args.real_puts else 'fake'} wall={wall:.1f}s client_cpu={cpu:.1f}s "
        f"traced_peak={peak / 1e6:.2f}MB maxrss={rss / 1e3:.1f}MB "
        f"(before the upload {rss_before / 1e3:.1f}MB)"
    )


if __name__ == "__main__":
    main()
