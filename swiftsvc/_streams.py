"""The result stream: a call's jobs run on the pools, their results yielded as they finish.

:class:`Job` is one unit of a call's work; :class:`ResultStream` submits a
lazily produced sequence of them (the pools' bounded backlog is the
backpressure) and yields one result per sub-operation, in completion order.
"""

from __future__ import annotations

import logging
import queue
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from swiftsvc._pools import POLL_INTERVAL, Abort, CancelScope, WorkerPool
from swiftsvc.errors import Cancelled
from swiftsvc.events import SILENT, EventSink
from swiftsvc.results import Result, is_failure

log = logging.getLogger("swiftsvc._pools")


JobOutput = Result | list[Result] | None


@dataclass(slots=True)
class Job:
    """One unit of a call's work: ``fn(conn, *args)`` on ``pool``.

    ``fn`` returns a result, a list of results, or None; ``on_error`` turns an
    exception the job did not handle (or its cancellation) into a result, so
    every item ends with exactly one result.
    """

    pool: WorkerPool[Any]
    fn: Callable[..., JobOutput]
    args: tuple[Any, ...] = ()
    on_error: Callable[[BaseException], JobOutput] | None = None
    kwargs: dict[str, Any] = field(default_factory=dict)


class ResultStream:
    """Runs a lazily produced sequence of jobs and yields results as they finish.

    Submission and yielding are interleaved in the consumer's thread: while
    the pools are full, finished results are yielded, so neither the queued
    jobs nor the unconsumed results grow with the size of the call.
    Jobs may also :meth:`emit` results early (e.g. one per segment).
    """

    def __init__(
        self, scope: CancelScope, *, fail_fast: bool = False, events: EventSink = SILENT
    ) -> None:
        self.scope = scope
        self.fail_fast = fail_fast
        self.events = events
        self._done: queue.SimpleQueue[tuple[Future[JobOutput], Job] | Result] = (
            queue.SimpleQueue()
        )
        self._pending = 0

    def emit(self, result: Result) -> None:
        """Thread-safe: yield ``result`` from the stream as soon as possible."""
        self._done.put(result)

    def run(self, jobs: Iterable[Job]) -> Generator[Result, None, None]:
        iterator = iter(jobs)
        waiting: Job | None = None
        exhausted = False
        try:
            while True:
                # submit as much as the pools take without blocking
                while not exhausted and not self.scope.cancelled:
                    if waiting is None:
                        try:
                            waiting = next(iterator)
                        except StopIteration:
                            exhausted = True
                            self.events.planned()  # every item is queued: totals are final
                            break
                    future = waiting.pool.try_submit(
                        self.scope, waiting.fn, *waiting.args, **waiting.kwargs
                    )
                    if future is None:
                        break
                    self._track(future, waiting)
                    waiting = None
                if self.scope.cancelled and not exhausted:
                    exhausted = True
                    if waiting is not None:
                        # produced but never submitted: still owed a result
                        yield from self._outputs(waiting, Cancelled("cancelled"))
                        waiting = None
                if exhausted and self._pending == 0 and self._done.empty():
                    return
                try:
                    item = self._done.get(timeout=POLL_INTERVAL)
                except queue.Empty:
                    continue
                if not isinstance(item, tuple):  # a result emitted by a job
                    yield from self._checked([item])
                    continue
                self._pending -= 1
                done_future, job = item
                yield from self._finished(done_future, job)
        finally:
            # closed early (break, GeneratorExit, KeyboardInterrupt): stop the rest;
            # running jobs may still clean up, in the background
            if not exhausted or self._pending:
                self.scope.cancel(abort=Abort.IN_FLIGHT)

    def _track(self, future: Future[JobOutput], job: Job) -> None:
        self._pending += 1
        future.add_done_callback(lambda f: self._done.put((f, job)))

    def _finished(self, future: Future[JobOutput], job: Job) -> Iterator[Result]:
        if future.cancelled():
            yield from self._outputs(job, Cancelled("cancelled before it started"))
            return
        error = future.exception()
        if error is not None:
            yield from self._outputs(job, error)
            return
        yield from self._checked(_as_list(future.result()))

    def _outputs(self, job: Job, error: BaseException) -> Iterator[Result]:
        if job.on_error is None:
            raise error
        yield from self._checked(_as_list(job.on_error(error)))

    def _checked(self, results: list[Result]) -> Iterator[Result]:
        for result in results:
            if self.fail_fast and is_failure(result):
                # like python-swiftclient: queued work is dropped, running work finishes
                self.scope.cancel(abort=Abort.NONE)
            self.events.result(result)
            yield result


def _as_list(output: JobOutput) -> list[Result]:
    if output is None:
        return []
    if isinstance(output, list):
        return output
    return [output]
