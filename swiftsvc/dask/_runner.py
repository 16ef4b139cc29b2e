"""The client side of a bulk job: partitions in flight, results in completion order.

:class:`DaskJob` submits partitions lazily, never more than
``max_in_flight`` at once (the partition iterator, and so the listing or
walk behind it, advances only as partitions finish), and yields, as each
partition finishes: its failed results (Service result dicts, unchanged;
every result with ``every_result``), then one ``dask_partition`` summary.

A partition whose task fails as a whole (the worker died, the listing of
its range failed, ...) is submitted again, up to ``retries`` times; after
that its summary reports the failure (``success`` False, with ``error``).
A partition is therefore always accounted for: retried, reported, or, after
:meth:`DaskJob.cancel`, reported as cancelled. Partitions never submitted
when a job is cancelled are counted in :attr:`JobTotals.not_started`.
"""

from __future__ import annotations

import importlib
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from typing import Any

from swiftsvc.dask._partitions import Partition
from swiftsvc.dask._worker import Call, PartitionReport, Result, run_partition

# how long one wait for a finished partition may block before looking at cancel()
_POLL = 0.5
ACTION = "dask_partition"


@dataclass(slots=True)
class JobTotals:
    """Running totals of a job, complete once its iteration has ended."""

    partitions: int = 0  # submitted at least once
    partitions_succeeded: int = 0
    partitions_failed: int = 0  # failed as a whole after their retries, or cancelled
    retried: int = 0  # resubmissions
    not_started: int = 0  # never submitted because the job was cancelled
    expected: int = 0  # objects the client saw when it made the partitions
    done: int = 0  # objects the operation completed
    failed: int = 0  # failed results (objects, segments, containers)
    bytes: int = 0
    cancelled: bool = False


class DaskJob:
    """One bulk job on a Dask cluster: iterate it for results; :meth:`cancel` stops it."""

    def __init__(
        self,
        client: Any,
        call: Call,
        partitions: Iterator[Partition],
        *,
        max_in_flight: int,
        retries: int,
        finish: Callable[[JobTotals], Iterator[Result]] | None = None,
    ) -> None:
        if max_in_flight < 1:
            raise ValueError("max_in_flight must be at least 1")
        if retries < 0:
            raise ValueError("retries must not be negative")
        self.client = client
        self.operation = call.operation
        self.container = call.container
        self.max_in_flight = max_in_flight
        self.retries = retries
        self.totals = JobTotals()
        self._partitions = partitions
        self._finish = finish
        self._cancel_requested = threading.Event()
        self._event_name = f"swiftsvc-cancel-{uuid.uuid4().hex}"
        self._call = Call(
            call.operation, call.container, call.service_options, call.call_options,
            call.every_result, cancel_event=self._event_name,
        )  # fmt: skip
        self._results: Generator[Result, None, None] = self._run()

    def __iter__(self) -> Iterator[Result]:
        return self

    def __next__(self) -> Result:
        return next(self._results)

    def close(self) -> None:
        """Stop early (cancelling what runs), as closing a generator does."""
        self.cancel()
        self._results.close()

    def cancel(self) -> None:
        """Cancel the job: no new partitions start; running ones stop at their next check."""
        self._cancel_requested.set()

    # ------------------------------------------------------------------ the loop

    def _run(self) -> Generator[Result, None, None]:
        # untyped use: distributed's annotations are partial, and it is an optional extra
        distributed: Any = importlib.import_module("distributed")
        cancelled_error: type[BaseException] = distributed.client.FuturesCancelledError

        client = self.client
        event = distributed.Event(self._event_name, client=client)
        # one copy of the options (credentials included) on every worker, not one per task
        [call] = client.scatter([self._call], broadcast=True, hash=False)
        in_flight: dict[Any, tuple[Partition, int]] = {}
        source = iter(self._partitions)
        exhausted = False
        cancelled_sent = False
        try:
            while True:
                if self._cancel_requested.is_set() and not cancelled_sent:
                    cancelled_sent = True
                    self.totals.cancelled = True
                    event.set()
                    client.cancel(list(in_flight))
                while not exhausted and not cancelled_sent and len(in_flight) < self.max_in_flight:
                    partition = next(source, None)
                    if partition is None:
                        exhausted = True
                        break
                    self.totals.partitions += 1
                    self.totals.expected += partition.expected
                    in_flight[self._submit(call, partition)] = (partition, 1)
                if not in_flight:
                    break
                try:
                    done, _ = distributed.wait(
                        list(in_flight), timeout=_POLL, return_when="FIRST_COMPLETED"
                    )
                except TimeoutError:
                    continue
                except cancelled_error:
                    # wait() refuses cancelled futures: each is reported below
                    done = {future for future in in_flight if future.done()}
                for future in done:
                    partition, tries = in_flight.pop(future)
                    yield from self._finished(future, partition, tries, call, in_flight)
            if cancelled_sent:
                self.totals.not_started = sum(1 for _ in source)
            elif self._finish is not None:
                yield from self._finish(self.totals)
        finally:
            if in_flight:
                self._cancel_requested.set()
                event.set()
                client.cancel(list(in_flight))
            client.cancel([call])

    def _submit(self, call: Any, partition: Partition, attempt: int = 1) -> Any:
        # pure=False: a retry must be a new task, not the failed one's key again
        return self.client.submit(run_partition, call, partition, attempt, pure=False)

    def _finished(
        self,
        future: Any,
        partition: Partition,
        tries: int,
        call: Any,
        in_flight: dict[Any, tuple[Partition, int]],
    ) -> Iterator[Result]:
        status = future.status
        if status == "finished":
            report: PartitionReport = future.result()
            yield from report.results
            yield self._summary(partition, tries, report)
            return
        error: BaseException
        if status == "cancelled" or self._cancel_requested.is_set():
            error = _Cancelled(f"partition {partition.index} was cancelled")
        else:
            error = future.exception()
            if tries <= self.retries:
                self.totals.retried += 1
                in_flight[self._submit(call, partition, tries + 1)] = (partition, tries + 1)
                return
        yield self._failed_summary(partition, tries, error)

    # ------------------------------------------------------------------ results

    def _summary(self, partition: Partition, tries: int, report: PartitionReport) -> Result:
        totals = self.totals
        success = report.failed == 0 and not report.cancelled
        if success:
            totals.partitions_succeeded += 1
        elif report.cancelled:
            totals.partitions_failed += 1
        totals.done += report.done
        totals.failed += report.failed
        totals.bytes += report.bytes
        return {
            **self._fields(partition, tries),
            "success": success,
            "done": report.done,
            "failed": report.failed,
            "counts": dict(report.counts),
            "bytes": report.bytes,
            "cancelled": report.cancelled,
            "worker": report.worker,
            "seconds": report.seconds,
        }

    def _failed_summary(self, partition: Partition, tries: int, error: BaseException) -> Result:
        self.totals.partitions_failed += 1
        return {
            **self._fields(partition, tries),
            "success": False,
            "done": 0,
            "failed": 0,
            "counts": {},
            "bytes": 0,
            "cancelled": isinstance(error, _Cancelled),
            "error": error,
            "traceback": "".join(traceback.format_exception(error)),
            "error_timestamp": time.time(),
        }

    def _fields(self, partition: Partition, tries: int) -> dict[str, Any]:
        return {
            "action": ACTION,
            "operation": self.operation,
            "container": self.container,
            "partition": partition.index,
            "description": partition.describe(),
            "expected": partition.expected,
            "tries": tries,
        }


class _Cancelled(Exception):
    """The partition did not run to its end: its job was cancelled."""
