"""Record the progress events of real runs against a local Swift, into tests/cli/data/.

    .venv/bin/python tests/cli/record_progress.py [--out DIR]

Starts its own local Swift (swiftsvc.testing), runs each scenario through a
Service exactly as the ``swiftsvc`` command does (default pools, the
command's progress subscriber in place), and writes one ``<scenario>.jsonl``
per run (format: progress_recordings.py). Re-record when the events change;
the replay tests then check the bar against the new sequences.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from progress_recordings import DATA, Recorder, Recording

from swiftsvc import Service
from swiftsvc.testing import FaultProxy, LocalSwift

MiB = 1024 * 1024


def _tree(root: Path, *, big: int, small: int, count: int, big_name: str = "0-big.bin") -> int:
    """``count`` small files in two folders and one big file named to be walked
    first; returns the bytes written."""
    root.mkdir(parents=True)
    (root / big_name).write_bytes(os.urandom(big))
    for index in range(count):
        folder = root / f"d{index % 2}"
        folder.mkdir(exist_ok=True)
        (folder / f"f{index:04d}").write_bytes(os.urandom(small))
    return big + small * count


def _run(results: Iterable[Mapping[str, Any]]) -> tuple[int, int]:
    """(objects finished, failed) of a call's results, parts left out."""
    items = failed = 0
    for result in results:
        if result["action"] in ("upload_object", "download_object", "create_dir_marker"):
            items += 1
            failed += not result["success"]
    return items, failed


def _record(
    name: str, options: Mapping[str, Any], call: Callable[[Service, Recorder], Iterable[Any]],
    **expected: Any,
) -> Recording:
    recorder = Recorder()
    with Service(dict(options)) as svc:
        items, failed = _run(call(svc, recorder))
    recording = recorder.recording(scenario=name, files=items, failed=failed, **expected)
    print(f"{name}: {len(recording.events)} events, {items} items, {failed} failed",
          file=sys.stderr)  # fmt: skip
    return recording


def record_all(swift: LocalSwift, work: Path) -> list[Recording]:
    options = swift.auth_options("tester")
    container = f"progress-{uuid.uuid4().hex[:8]}"
    tree = work / "tree"
    tree_bytes = _tree(tree, big=32 * MiB, small=2048, count=400)
    os.chdir(work)
    made = [
        # one big file walked first among hundreds of small ones
        _record("upload_big_first", options,
                lambda svc, rec: svc.upload(container, ["tree"], progress=rec),
                bytes=tree_bytes),
        # the same again: every file is skipped, nothing moves
        _record("upload_skip_identical", options,
                lambda svc, rec: svc.upload(container, ["tree"],
                                            options={"skip_identical": True}, progress=rec),
                bytes=0),
        # the listing drives the total
        _record("download_tree", options,
                lambda svc, rec: svc.download(container, options={"out_directory": "out"},
                                              progress=rec),
                bytes=tree_bytes),
    ]  # fmt: skip
    segmented = work / "segmented"
    segmented_bytes = _tree(segmented, big=48 * MiB, small=4096, count=40, big_name="z-big.bin")
    made.append(_record(
        "upload_segmented_big_last", options,
        lambda svc, rec: svc.upload(container, ["segmented"],
                                    options={"segment_size": 8 * MiB}, progress=rec),
        bytes=segmented_bytes,
    ))  # fmt: skip
    slow = work / "slow"
    slow_bytes = _tree(slow, big=4 * MiB, small=64 * 1024, count=150)
    with FaultProxy(swift.proxy_url) as proxy:
        # some PUTs refused outright, the others slow (a distant cluster);
        # the first fault that matches a request applies
        proxy.respond(503, method="PUT", path=r"/slow/d1/f00[0-4]\d$", times=None)
        proxy.delay(0.25, method="PUT", path=r"/slow/", times=None)
        through = {**options, "auth": proxy.url + "/auth/v1.0", "retries": 0}
        made.append(_record(
            "upload_slow_with_failures", through,
            lambda svc, rec: svc.upload(container, ["slow"], progress=rec),
            bytes=slow_bytes,
        ))  # fmt: skip
    with Service(options) as svc:
        for name in (container, f"{container}_segments"):
            for _ in svc.delete(name):
                pass
    return made


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=DATA)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    here = os.getcwd()
    with LocalSwift() as swift, tempfile.TemporaryDirectory() as work:
        try:
            made = record_all(swift, Path(work))
        finally:
            os.chdir(here)
    for recording in made:
        recording.save(args.out / f"{recording.name}.jsonl")
    return 0


if __name__ == "__main__":
    sys.exit(main())
