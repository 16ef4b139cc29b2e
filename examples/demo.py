"""The README's main job: back a generated tree up to a local real Swift and restore it.

It starts a one-node OpenStack Swift (swiftsvc.testing.LocalSwift), generates
a small tree with a few large files, uploads it (large files as segmented
Static Large Objects), lists the container, downloads everything into a fresh
folder, verifies every byte against the original, and stops the cluster.
"""

from __future__ import annotations

import hashlib
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from swiftsvc import Service
from swiftsvc.testing import LocalSwift

SEGMENT_SIZE = 4 << 20


def generate_tree(root: Path, *, seed: int = 7) -> dict[str, str]:
    """Small files in nested folders plus three large files; returns name -> md5."""
    rng = random.Random(seed)
    digests: dict[str, str] = {}
    for i in range(120):
        rel = Path(f"docs/{i % 6}/{i % 4}/file-{i:03d}.txt")
        data = rng.randbytes(rng.randint(0, 16 << 10))
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        digests[rel.as_posix()] = hashlib.md5(data).hexdigest()
    for i, size in enumerate((9 << 20, 13 << 20 | 12345, 5 << 20)):
        rel = Path(f"media/video-{i}.bin")
        data = rng.randbytes(size)
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)
        digests[rel.as_posix()] = hashlib.md5(data).hexdigest()
    return digests


def verify(restored: Path, digests: dict[str, str]) -> list[str]:
    problems = []
    for name, digest in digests.items():
        path = restored / name
        if not path.is_file():
            problems.append(f"missing {name}")
        elif hashlib.md5(path.read_bytes()).hexdigest() != digest:
            problems.append(f"differs {name}")
    return problems


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="swiftsvc-demo-"))
    source, restored = work / "source", work / "restored"
    source.mkdir()
    restored.mkdir()
    digests = generate_tree(source)
    total = sum(p.stat().st_size for p in source.rglob("*") if p.is_file())
    print(f"generated {len(digests)} files, {total / 2**20:.1f} MiB in {source}")

    with LocalSwift() as cluster:
        options = dict(cluster.auth_options("tester"))
        with Service(options=options) as svc:
            counts: Counter[str] = Counter()
            failures = []

            def run(label: str, results: object) -> float:
                start = time.monotonic()
                for r in results:  # type: ignore[attr-defined]
                    counts[(label, r["action"], r["success"])] += 1  # type: ignore[index]
                    if not r["success"]:
                        failures.append(r)
                return time.monotonic() - start

            os.chdir(source)
            up = run("upload", svc.upload("backup", ["docs", "media"],
                                          options={"segment_size": SEGMENT_SIZE,
                                                   "use_slo": True}))
            names = [item["name"] for page in svc.list("backup") for item in page["listing"]]
            down = run("download", svc.download("backup",
                                                options={"out_directory": str(restored)}))
    problems = verify(restored, digests)

    print(f"\n{'phase':<10} {'action':<18} {'ok':>5} {'failed':>7}")
    for (label, action, ok), n in sorted(counts.items()):
        print(f"{label:<10} {action:<18} {n if ok else 0:>5} {0 if ok else n:>7}")
    print(f"\nupload {up:.2f} s ({total / 2**20 / up:.1f} MiB/s), "
          f"download {down:.2f} s ({total / 2**20 / down:.1f} MiB/s)")
    print(f"listed {len(names)} objects in container 'backup'")
    for r in failures:
        print("FAILED:", r["action"], r.get("object"), r.get("error"))
    for p in problems:
        print("VERIFY:", p)
    ok = not failures and not problems and len(names) == len(digests)
    print("\nrestore verified: every byte identical" if ok else "\ndemo FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
