"""What runs on the Dask workers: one partition of a bulk job, on the process's Service.

Each worker process keeps one :class:`swiftsvc.Service` per set of options
(:func:`worker_service`), created by the first partition that needs it and
shared by every later one: one token, one set of pools and connections per
process, whatever the number of tasks and worker threads. Partitions run
the ordinary ``Service`` calls; the worker returns the partition's summary
and its failures (or every result, on request) to the client.

Cancellation reaches a running partition through a ``distributed.Event``
named after the job: the partition looks at it between results (at most
every :data:`CANCEL_CHECK` seconds) and closes its result iterator, which
cancels that call's queued and running jobs in the Service.
"""

from __future__ import annotations

import hashlib
import importlib
import json
import os
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from swiftsvc import Service, UploadObject
from swiftsvc.dask._partitions import (
    FileListPartition,
    ListingRange,
    Partition,
    SubtreePartition,
)

# a Service result dict (swiftsvc.results is the library's own, private module)
Result = Mapping[str, Any]
# how often a running partition asks whether its job was cancelled
CANCEL_CHECK = 0.5
# what a partition's work is counted by, per operation
COUNTED = {
    "upload": "upload_object",
    "download": "download_object",
    "delete": "delete_object",
    "copy": "copy_object",
}

_services: dict[str, Service] = {}
_services_lock = threading.Lock()


def worker_service(options: Mapping[str, Any]) -> Service:
    """This process's Service for ``options`` (created once, then shared)."""
    key = hashlib.sha256(json.dumps(dict(options), sort_keys=True, default=str).encode())
    digest = key.hexdigest()
    with _services_lock:
        service = _services.get(digest)
        if service is None:
            service = Service(options)
            _services[digest] = service
        return service


def services_in_process() -> int:
    """How many Services this process holds (one per distinct option set)."""
    with _services_lock:
        return len(_services)


@dataclass(slots=True)
class PartitionReport:
    """What a worker sends back for one partition."""

    operation: str
    index: int
    description: str
    expected: int
    done: int = 0  # objects the operation counted as done (see COUNTED)
    failed: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # successes by action
    bytes: int = 0
    results: list[Result] = field(default_factory=list)  # failures, or every result
    cancelled: bool = False
    worker: str = ""
    seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class Call:
    """One partition's work: the Service options, the call's options, and the job."""

    operation: str
    container: str
    service_options: Mapping[str, Any]
    call_options: Mapping[str, Any]
    every_result: bool
    cancel_event: str | None = None


def run_partition(call: Call, partition: Partition, attempt: int = 1) -> PartitionReport:
    """Run one partition on this worker process's Service (a Dask task).

    A partition run again (``attempt`` > 1) after its task failed uploads or
    downloads with ``skip_identical``: what the failed try already moved is
    compared, not sent again. Deletes list their range anew; copies repeat.
    """
    started = time.monotonic()
    service = worker_service(call.service_options)
    report = PartitionReport(
        call.operation, partition.index, partition.describe(), partition.expected,
        worker=f"pid {os.getpid()}",
    )  # fmt: skip
    results = _results(service, call, partition, again=attempt > 1)
    watch = _CancelWatch(call.cancel_event)
    try:
        for result in results:
            _tally(report, result, every=call.every_result)
            if watch.cancelled():
                report.cancelled = True
                break
    finally:
        close = getattr(results, "close", None)
        if callable(close):
            close()  # cancels what the call still had queued
    report.seconds = time.monotonic() - started
    return report


def _results(
    service: Service, call: Call, partition: Partition, *, again: bool
) -> Iterator[Result]:
    options = dict(call.call_options)
    if again and call.operation in ("upload", "download"):
        options.setdefault("skip_identical", True)
    if isinstance(partition, SubtreePartition):
        # a folder: the Service lists its prefix once instead of a HEAD per file
        folder = UploadObject(partition.path, object_name=partition.object_name)
        return service.upload(call.container, [folder], options)
    if isinstance(partition, FileListPartition):
        sources = [UploadObject(path, object_name=name) for path, name in partition.files]
        return service.upload(call.container, sources, options)
    names = list(_names_in(service, call.container, partition))
    if not names:
        return iter(())
    if call.operation == "download":
        return service.download(call.container, names, options)
    if call.operation == "delete":
        return service.delete(call.container, names, options)
    if call.operation == "copy":
        return service.copy(call.container, names, options)
    raise ValueError(f"unknown operation {call.operation!r}")


def _names_in(service: Service, container: str, part: ListingRange) -> Iterable[str]:
    """The names of ``part``'s range, listed now by the worker."""
    options: dict[str, Any] = {"marker": part.marker, "end_marker": part.end_marker}
    if part.prefix:
        options["prefix"] = part.prefix
    for page in service.list(container, options):
        if not page["success"]:
            raise page["error"]  # the whole partition fails: the client retries it
        for item in page["listing"]:
            name = str(item["name"])
            if part.keeps(name):
                yield name


def _tally(report: PartitionReport, result: Result, *, every: bool) -> None:
    action = str(result.get("action"))
    if not result.get("success"):
        report.failed += 1
        report.results.append(_portable(result))
        return
    report.counts[action] = report.counts.get(action, 0) + 1
    if action == COUNTED[report.operation]:
        report.done += 1
    elif report.operation == "delete" and action == "bulk_delete":
        # one bulk request stands for many objects: each is counted
        report.done += len(result.get("objects") or ())
    if action in ("upload_object", "download_object"):
        report.bytes += int(result.get("read_length") or result.get("size") or 0)
    if every:
        report.results.append(_portable(result))


def _portable(result: Result) -> Result:
    """``result`` without what cannot travel to the client (open iterators)."""
    return {name: value for name, value in result.items() if name != "contents"}


class _CancelWatch:
    """Looks at the job's cancel Event at most every CANCEL_CHECK seconds."""

    def __init__(self, name: str | None) -> None:
        self._name = name
        self._next = time.monotonic() + CANCEL_CHECK
        self._event: Any = None

    def cancelled(self) -> bool:
        if self._name is None or time.monotonic() < self._next:
            return False
        self._next = time.monotonic() + CANCEL_CHECK
        if self._event is None:
            distributed: Any = importlib.import_module("distributed")
            self._event = distributed.Event(self._name)
        return bool(self._event.is_set())


def counted_actions(results: Iterable[Result]) -> Counter[str]:
    """Successful results by action (for summaries and tests)."""
    return Counter(str(r["action"]) for r in results if r.get("success"))
