"""One benchmark run, in a fresh process: ``python bench/workloads.py '<json spec>'``.

A fresh process per run makes ``resource.getrusage`` (client CPU) and the
peak RSS belong to that run alone. The spec names a workload
and a client; the last stdout line is ``BENCH-RESULT {json}`` with the wall
time, CPU seconds and RSS of the measured block (imports and file listing
happen before it starts).

Clients: ``swiftsvc`` (``swiftsvc.Service``), ``swiftsvc-batch`` (the same
with ``options={"batch": True}`` on upload: extract-archive tar PUTs),
``swiftclient`` (python-swiftclient's ``SwiftService``) and ``floor``
(``floor.py``: plain http.client).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any

import floor

RESULT_PREFIX = "BENCH-RESULT "
SERVICE_CLIENTS = ("swiftsvc", "swiftsvc-batch", "swiftclient")
_PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Outcome:
    """What one run measured; ``ok`` counts the sub-operations that succeeded."""

    wall: float = 0.0
    cpu_user: float = 0.0
    cpu_sys: float = 0.0
    maxrss_kib: int = 0
    ru_maxrss_kib: int = 0
    start_rss_kib: int = 0
    ok: int = 0
    failed: int = 0
    bytes: int = 0
    first_error: str | None = None
    rss_samples: list[tuple[float, int]] = field(default_factory=list)

    @property
    def cpu(self) -> float:
        return self.cpu_user + self.cpu_sys


def _peak_rss_kib() -> int:
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss over execve, so a child
    # started by a big parent would report the parent's peak as its own
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _rss_kib() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * _PAGE // 1024


class _RssSampler:
    """Samples this process's RSS every ``interval`` s, to show whether it grows."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = 0.0

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.samples.append((time.monotonic() - self._started, _rss_kib()))

    def __enter__(self) -> _RssSampler:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _peaks(samples: list[tuple[float, int]], most: int) -> list[tuple[float, int]]:
    """At most ``most`` samples: the largest of each run of consecutive ones (keeps peaks)."""
    if len(samples) <= most:
        return samples
    size = -(-len(samples) // most)
    return [max(samples[i : i + size], key=lambda s: s[1]) for i in range(0, len(samples), size)]


@contextmanager
def measured(outcome: Outcome, sample_rss: float | None) -> Iterator[None]:
    outcome.start_rss_kib = _rss_kib()
    before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    sampler = _RssSampler(sample_rss) if sample_rss else None
    try:
        if sampler:
            with sampler:
                yield
        else:
            yield
    finally:
        outcome.wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_SELF)
        outcome.cpu_user = after.ru_utime - before.ru_utime
        outcome.cpu_sys = after.ru_stime - before.ru_stime
        outcome.maxrss_kib = _peak_rss_kib()
        outcome.ru_maxrss_kib = after.ru_maxrss
        if sampler:
            outcome.rss_samples = _peaks(sampler.samples, 200)


# ---- the clients -------------------------------------------------------------------


def _service_options(spec: Mapping[str, Any]) -> dict[str, Any]:
    threads = int(spec["threads"])
    return {
        **spec["auth"],
        "object_uu_threads": threads,
        "object_dd_threads": threads,
        "container_threads": threads,
        "segment_threads": threads,
    }


def _service(client: str, spec: Mapping[str, Any]) -> Any:
    options = _service_options(spec)
    if client == "swiftclient":
        from swiftclient.service import SwiftService

        return SwiftService(options=options)
    from swiftsvc import Service

    return Service(options=options)


def _upload_object(client: str, path: str, name: str) -> Any:
    if client == "swiftclient":
        from swiftclient.service import SwiftUploadObject

        return SwiftUploadObject(path, object_name=name)
    from swiftsvc import UploadObject

    return UploadObject(path, object_name=name)


def _tally(outcome: Outcome, results: Iterable[Mapping[str, Any]], counted: str) -> None:
    for result in results:
        if not result["success"]:
            outcome.failed += 1
            if outcome.first_error is None:
                outcome.first_error = f"{result['action']}: {result.get('error')!r}"
        elif result["action"] == counted:
            outcome.ok += 1


# ---- workloads -------------------------------------------------------------------


def upload_files(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """Upload the files of ``source_dir`` into a new container.

    ``by`` "directory" (default): what ``swift upload cont small`` does, run
    from the folder's parent (object names ``small/<file>``): swiftsvc walks
    the folder itself; python-swiftclient's SwiftService does not (a folder
    becomes a directory marker), so it gets the file paths, as its CLI passes them.
    ``by`` "items": one ``UploadObject(path, object_name=<file>)`` per file.
    """
    client, container, by = spec["client"], spec["container"], spec.get("by", "directory")
    source = os.path.abspath(spec["source_dir"])
    os.chdir(os.path.dirname(source))
    folder = os.path.basename(source)
    files = [(os.path.join(folder, name), name) for name in sorted(os.listdir(folder))]
    if by == "directory":
        files = [(path, path) for path, _ in files]
    outcome.bytes = sum(os.path.getsize(path) for path, _ in files)
    if client == "floor":
        with measured(outcome, None):
            account = floor.authenticate(**_v1(spec))
            outcome.failed = floor.upload_files(account, container, files, spec["threads"])
        outcome.ok = len(files) - outcome.failed
        return
    walks = client.startswith("swiftsvc")
    if by == "directory":
        sources: list[Any] = [folder] if walks else [path for path, _ in files]
    else:
        sources = [_upload_object(client, path, name) for path, name in files]
    # swiftsvc-batch: small files go out as extract-archive tar PUTs (issue 9)
    options = {"batch": True} if client == "swiftsvc-batch" else {}
    with measured(outcome, None), _service(client, spec) as svc:
        _tally(outcome, svc.upload(container, sources, options=options), "upload_object")


def download_container(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """Download a whole container into ``out_dir``."""
    client, container, out_dir = spec["client"], spec["container"], spec["out_dir"]
    sample = spec.get("sample_rss")
    if client == "floor":
        with measured(outcome, sample):
            account = floor.authenticate(**_v1(spec))
            outcome.failed = floor.download_container(account, container, out_dir, spec["threads"])
        outcome.ok = spec["expected"] - outcome.failed
        return
    options = {"out_directory": out_dir}
    with measured(outcome, sample), _service(client, spec) as svc:
        _tally(outcome, svc.download(container, options=options), "download_object")


def delete_container(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """Delete a container and all its objects."""
    client, container = spec["client"], spec["container"]
    sample = spec.get("sample_rss")
    if client == "floor":
        with measured(outcome, sample):
            account = floor.authenticate(**_v1(spec))
            outcome.failed = floor.delete_container(account, container, spec["threads"])
        outcome.ok = spec["expected"] - outcome.failed
        return
    with measured(outcome, sample), _service(client, spec) as svc:
        for result in svc.delete(container):
            if not result["success"]:
                outcome.failed += 1
                if outcome.first_error is None:
                    outcome.first_error = f"{result['action']}: {result.get('error')!r}"
            elif result["action"] == "delete_object":
                outcome.ok += 1
            elif result["action"] == "bulk_delete":
                # swiftclient reports one result per bulk request, with its objects
                outcome.ok += len(result.get("objects", ()))


def upload_large(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """Upload one file as an SLO with ``segment_size`` segments."""
    client, container, path, name = spec["client"], spec["container"], spec["path"], spec["object"]
    segment_size = int(spec["segment_size"])
    outcome.bytes = os.path.getsize(path)
    if client == "floor":
        with measured(outcome, None):
            account = floor.authenticate(**_v1(spec))
            outcome.failed = floor.upload_slo(
                account, container, name, path, segment_size, spec["threads"]
            )
        outcome.ok = int(not outcome.failed)
        return
    options = {"segment_size": segment_size, "use_slo": True}
    with measured(outcome, None), _service(client, spec) as svc:
        objects = [_upload_object(client, path, name)]
        _tally(outcome, svc.upload(container, objects, options=options), "upload_object")


def download_large(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """Download one (large) object into ``out_dir``."""
    client, container, name, out_dir = (
        spec["client"],
        spec["container"],
        spec["object"],
        spec["out_dir"],
    )
    outcome.bytes = int(spec["size"])
    if client == "floor":
        with measured(outcome, None):
            account = floor.authenticate(**_v1(spec))
            outcome.failed = floor.download_object(
                account, container, name, os.path.join(out_dir, name)
            )
        outcome.ok = int(not outcome.failed)
        return
    with measured(outcome, None), _service(client, spec) as svc:
        results = svc.download(container, [name], options={"out_directory": out_dir})
        _tally(outcome, results, "download_object")


def upload_then_download(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """Upload ``source_dir`` then download it again with one Service (auth counting)."""
    client, container = spec["client"], spec["container"]
    source = os.path.abspath(spec["source_dir"])
    os.chdir(os.path.dirname(source))
    folder = os.path.basename(source)
    sources = (
        [folder]
        if client == "swiftsvc"
        else sorted(os.path.join(folder, name) for name in os.listdir(folder))
    )
    with measured(outcome, None), _service(client, spec) as svc:
        _tally(outcome, svc.upload(container, sources), "upload_object")
        results = svc.download(container, options={"out_directory": spec["out_dir"]})
        _tally(outcome, results, "download_object")


WORKLOADS: dict[str, Callable[[Mapping[str, Any], Outcome], None]] = {
    "upload_files": upload_files,
    "download_container": download_container,
    "delete_container": delete_container,
    "upload_large": upload_large,
    "download_large": download_large,
    "upload_then_download": upload_then_download,
}


def _v1(spec: Mapping[str, Any]) -> dict[str, str]:
    auth = spec["auth"]
    return {"auth_url": auth["auth"], "user": auth["user"], "key": auth["key"]}


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    outcome = Outcome()
    try:
        WORKLOADS[spec["workload"]](spec, outcome)
    except Exception as error:  # reported, not raised: the harness records a failed run
        outcome.failed += 1
        outcome.first_error = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    print(RESULT_PREFIX + json.dumps({**asdict(outcome), "cpu": outcome.cpu}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
