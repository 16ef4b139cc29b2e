"""Bounded worker pools and cancellation scopes (the result stream: :mod:`swiftsvc._streams`).

Backpressure lives here, not in the operations (s3transfer's
``BoundedExecutor``): :meth:`WorkerPool.submit` takes a slot before queueing
and a finished job gives it back, so a walk of a million files never queues
more than ``backlog`` jobs. Each worker thread owns one connection, created
lazily, passed to every job as its first argument.

Jobs on one pool may wait on jobs of another pool (an object job waits on its
segment jobs), never on their own pool: that would deadlock once every worker
waits.

Cancelling reaches work in flight: while a job runs, its worker's connection
is registered with the job's :class:`CancelScope`, and cancelling the scope
(or any parent) aborts that connection from the cancelling thread, so a
worker blocked on a stalled server stops at once instead of at its next
check (:meth:`swiftsvc.http.connection.Connection.abort`).
"""

from __future__ import annotations

import enum
import logging
import queue
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

# Cancelled is re-exported: the operations import it from here
from swiftsvc.errors import Cancelled as Cancelled

log = logging.getLogger(__name__)

ConnT = TypeVar("ConnT")
R = TypeVar("R")

# how often blocked waits look at their cancel scope; bounds cancel latency
POLL_INTERVAL = 0.05

# called with True when the job must send nothing more (Abort.ALL)
AbortCallback = Callable[[bool], None]


class Abort(enum.Enum):
    """What cancelling does to the jobs already running."""

    # queued work is dropped; running jobs finish (fail_fast, as python-swiftclient's)
    NONE = "none"
    # the requests in flight are cut; the jobs may still send (their clean-up):
    # a closed result iterator, whose jobs finish in the background
    IN_FLIGHT = "in_flight"
    # the requests in flight are cut, and the jobs send nothing more until they
    # end: Service.cancel() and close(), which must not wait for a clean-up
    # stuck on the server that stalled the work
    ALL = "all"


class CancelScope:
    """A cancel flag that a call shares with the jobs it submits.

    A scope cancelled cancels its children; ``Service.cancel()`` cancels the
    service's root scope and so every call. Cancelling also aborts (see
    :class:`Abort`): the callbacks registered with :meth:`on_abort` on this
    scope or its children run, in the cancelling thread, to cut the requests
    in flight.
    """

    def __init__(self, parent: CancelScope | None = None) -> None:
        self._event = threading.Event()
        self._parent = parent
        self._lock = threading.Lock()
        self._aborted = False  # Abort.ALL happened
        self._interrupted = False  # cancelled with IN_FLIGHT or ALL: by the user, not fail_fast
        self._on_abort: dict[object, AbortCallback] = {}

    def cancel(self, *, abort: Abort = Abort.ALL) -> None:
        """Cancel: queued jobs never start, running ones stop at their next check
        and, unless ``abort`` is NONE, their requests in flight are cut now."""
        if abort is not Abort.NONE:
            # before the flag: a job that sees the cancel also sees who cancelled
            self._interrupted = True
        self._event.set()
        if abort is Abort.NONE:
            return
        with self._lock:
            if abort is Abort.ALL:
                self._aborted = True
            callbacks = list(self._on_abort.values())
        for callback in callbacks:
            try:
                callback(abort is Abort.ALL)
            except Exception:  # one connection that fails to abort must not spare the others
                log.warning("aborting a request failed", exc_info=True)

    @property
    def aborted(self) -> bool:
        """Whether this scope or a parent was cancelled with :attr:`Abort.ALL`."""
        scope: CancelScope | None = self
        while scope is not None:
            if scope._aborted:
                return True
            scope = scope._parent
        return False

    @property
    def interrupted(self) -> bool:
        """Whether this scope or a parent was cancelled by its user (``Service.cancel()``,
        a closed result iterator, leaving ``with``), not by fail_fast after a failure.

        Work stopped this way may be resumed by running the same call again,
        so what it left (the segments that landed) is kept for that resume.
        """
        scope: CancelScope | None = self
        while scope is not None:
            if scope._interrupted:
                return True
            scope = scope._parent
        return False

    def on_abort(self, callback: AbortCallback) -> Callable[[], None]:
        """Call ``callback(for_good)`` when this scope or a parent is aborted
        (at once if it was with :attr:`Abort.ALL`); ``for_good`` is True for
        :attr:`Abort.ALL`. Returns the function that unregisters it."""
        key = object()
        chain = self._chain()
        for scope in chain:
            with scope._lock:
                scope._on_abort[key] = callback
        # after registering: an abort from now on sees the callback, and one
        # that came before is seen here
        if self.aborted:
            callback(True)

        def unregister() -> None:
            for scope in chain:
                with scope._lock:
                    scope._on_abort.pop(key, None)

        return unregister

    def _chain(self) -> Sequence[CancelScope]:
        chain: list[CancelScope] = []
        scope: CancelScope | None = self
        while scope is not None:
            chain.append(scope)
            scope = scope._parent
        return chain

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
        self._connections: list[ConnT] = []

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
            with self._lock:
                self._connections.append(conn)
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
                    value = self._run(task)
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

    def _run(self, task: _Task) -> Any:
        conn = self.connection()
        abort: Callable[[], None] | None = getattr(conn, "abort", None)
        resume: Callable[[], None] | None = getattr(conn, "resume", None)
        if abort is None or resume is None:  # a connection that cannot be cut
            return task.fn(conn, *task.args, **task.kwargs)

        # a cancel may reach cut() after the job ended and this worker began the
        # next call's job: only an abort while the job still runs may touch it
        guard = threading.Lock()
        running = [True]

        def cut(for_good: bool) -> None:
            # in the cancelling thread: the request in flight fails now
            with guard:
                if not running[0]:
                    return
                abort()
                if not for_good:
                    resume()  # the job may still send its clean-up

        # while the job runs, cancelling its scope cuts this connection's requests
        unregister = task.scope.on_abort(cut)
        try:
            return task.fn(conn, *task.args, **task.kwargs)
        finally:
            unregister()
            with guard:
                running[0] = False
            if not self._closed:
                resume()  # the next job's requests are its own

    def shutdown(self, *, timeout: float | None = 5.0) -> None:
        """Cancel queued jobs, cut the requests of running ones, stop the threads
        and join them."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
            connections = list(self._connections)
        for conn in connections:
            abort = getattr(conn, "abort", None)
            if callable(abort):
                abort()
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
