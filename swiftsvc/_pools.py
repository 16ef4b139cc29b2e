"""Bounded worker pools, cancellation scopes and the result stream.

Backpressure lives here, not in the operations (s3transfer's
``BoundedExecutor``): :meth:`WorkerPool.submit` takes a slot before queueing
and a finished job gives it back, so a walk of a million files never queues
more than ``backlog`` jobs. Each worker thread owns one connection, created
lazily, passed to every job as its first argument.

Jobs on one pool may wait on jobs of another pool (an object job waits on its
segment jobs), never on their own pool: that would deadlock once every worker
waits.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from swiftsvc.events import SILENT, EventSink
from swiftsvc.results import Result

log = logging.getLogger(__name__)

ConnT = TypeVar("ConnT")
R = TypeVar("R")

# how often blocked waits look at their cancel scope; bounds cancel latency
POLL_INTERVAL = 0.05


class Cancelled(Exception):
    """The work was cancelled (``Service.cancel()``, a closed generator, fail_fast)."""


class CancelScope:
    """A cancel flag that a call shares with the jobs it submits.

    A scope cancelled cancels its children; ``Service.cancel()`` cancels the
    service's root scope and so every call.
    """

    def __init__(self, parent: CancelScope | None = None) -> None:
        self._event = threading.Event()
        self._parent = parent

    def cancel(self) -> None:
        self._event.set()

    @property
    def cancelled(self) -> bool:
        scope: CancelScope | None = self
        while scope is not None:
            if scope._event.is_set():
                return True
            scope = scope._parent
        return False

    def check(self) -> None:
        """Raise :class:`Cancelled` if this scope (or a parent) was cancelled."""
        if self.cancelled:
            raise Cancelled("cancelled")

    def child(self) -> CancelScope:
        return CancelScope(self)


@dataclass(slots=True)
class _Task:
    future: Future[Any]
    scope: CancelScope
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]


_STOP = object()


class WorkerPool(Generic[ConnT]):
    """A fixed number of threads, each with its own connection; bounded queue."""

    def __init__(
        self,
        name: str,
        size: int,
        connection_factory: Callable[[], ConnT],
        *,
        backlog: int | None = None,
    ) -> None:
        self.name = name
        self.size = size
        self._connection_factory = connection_factory
        # queued + running jobs; twice the workers keeps them busy while the
        # producer is between submissions, yet memory stays flat
        self._slots = threading.BoundedSemaphore(backlog or size * 2)
        self._queue: queue.SimpleQueue[_Task | object] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False
        self._local = threading.local()

    # -- submission -------------------------------------------------------

    def submit(
        self,
        scope: CancelScope,
        fn: Callable[..., R],
        /,
        *args: Any,
        **kwargs: Any,
    ) -> Future[R]:
        """Queue ``fn(connection, *args, **kwargs)``; blocks while the pool is full.

        Raises :class:`Cancelled` if ``scope`` is cancelled while waiting.
        """
        while not self._slots.acquire(timeout=POLL_INTERVAL):
            scope.check()
            self._check_open()
        return self._enqueue(scope, fn, args, kwargs)

    def try_submit(
        self, scope: CancelScope, fn: Callable[..., R], /, *args: Any, **kwargs: Any
    ) -> Future[R] | None:
        """Like :meth:`submit`, but returns None instead of waiting for a slot."""
        if not self._slots.acquire(blocking=False):
            return None
        return self._enqueue(scope, fn, args, kwargs)

    def _enqueue(
        self, scope: CancelScope, fn: Callable[..., R], args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Future[R]:
        try:
            self._check_open()
            scope.check()
        except BaseException:
            self._slots.release()
            raise
        future: Future[R] = Future()
        future.add_done_callback(lambda _f: self._slots.release())
        self._start_thread_if_needed()
        self._queue.put(_Task(future, scope, fn, args, kwargs))
        return future

    def _check_open(self) -> None:
        if self._closed:
            raise Cancelled(f"the {self.name} pool is shut down")

    # -- workers ----------------------------------------------------------

    def _start_thread_if_needed(self) -> None:
        with self._lock:
            if len(self._threads) >= self.size:
                return
            thread = threading.Thread(
                target=self._work,
                name=f"swiftsvc-{self.name}-{len(self._threads)}",
                # daemon: a forgotten Service must never keep the interpreter alive
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()

    def connection(self) -> ConnT:
        """This worker thread's connection, created on first use."""
        conn: ConnT | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connection_factory()
            self._local.conn = conn
        return conn

    def _work(self) -> None:
        try:
            while True:
                task = self._queue.get()
                if task is _STOP:
                    return
                assert isinstance(task, _Task)
                if task.scope.cancelled or not task.future.set_running_or_notify_cancel():
                    task.future.cancel()
                    task.future.set_running_or_notify_cancel()
                    continue
                try:
                    value = task.fn(self.connection(), *task.args, **task.kwargs)
                except BaseException as exc:  # handed to whoever waits on the future
                    task.future.set_exception(exc)
                else:
                    task.future.set_result(value)
                del task
        finally:
            conn = getattr(self._local, "conn", None)
            close = getattr(conn, "close", None)
            if callable(close):
                close()

    def shutdown(self, *, timeout: float | None = 5.0) -> None:
        """Cancel queued jobs, stop the threads and join them."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        # drain what no worker picked up yet
        while True:
            try:
                task = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(task, _Task):
                task.future.cancel()
        for _ in threads:
            self._queue.put(_STOP)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join(timeout)

    @property
    def threads(self) -> list[threading.Thread]:
        return list(self._threads)


# ------------------------------------------------------------------ streams


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

    def run(self, jobs: Iterable[Job]) -> Iterator[Result]:
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
                if isinstance(item, dict):
                    yield from self._checked([item])
                    continue
                self._pending -= 1
                done_future, job = item
                yield from self._finished(done_future, job)
        finally:
            # closed early (break, GeneratorExit, KeyboardInterrupt): stop the rest
            if not exhausted or self._pending:
                self.scope.cancel()

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
            if self.fail_fast and not result.get("success", True):
                self.scope.cancel()
            self.events.result(result)
            yield result


def _as_list(output: JobOutput) -> list[Result]:
    if output is None:
        return []
    if isinstance(output, list):
        return output
    return [output]
