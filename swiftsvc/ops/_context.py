"""What an operation gets from the Service for one call."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from swiftsvc._pools import CancelScope, WorkerPool
from swiftsvc._streams import ResultStream
from swiftsvc.events import SILENT, EventSink
from swiftsvc.objects import name_length_problem
from swiftsvc.options import Options

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.http.requester import CallPolicy

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Pools:
    """The Service's four pools (docs/COMPAT.md §2).

    A job may wait on jobs of another pool, never of its own: an upload job
    (object_uu) waits on its segments (segment); a download job (object_dd)
    may fetch segments on the segment pool; container jobs wait on object jobs.
    """

    container: WorkerPool[Connection]
    object_uu: WorkerPool[Connection]
    object_dd: WorkerPool[Connection]
    segment: WorkerPool[Connection]

    def for_call(self, policy: CallPolicy) -> Pools:
        """These pools as a call with its own retry policy or timeout uses them."""
        return Pools(
            container=CallPool(self.container, policy),
            object_uu=CallPool(self.object_uu, policy),
            object_dd=CallPool(self.object_dd, policy),
            segment=CallPool(self.segment, policy),
        )


class CallPool(WorkerPool["Connection"]):
    """A Service pool as seen by one call with its own retry policy or timeout.

    The same threads and the same connections: each job is handed its
    worker's connection as a view sending with the call's policy
    (``Connection.for_call``), so every request of the call (listings,
    segments, cleanups included) follows the options given to the call.
    Only what operations use of a pool is here; the Service starts and
    stops the pool itself.
    """

    def __init__(self, pool: WorkerPool[Connection], policy: CallPolicy) -> None:
        # deliberately not WorkerPool.__init__: a view owns no threads
        self.name = pool.name
        self.size = pool.size
        self._pool = pool
        self._policy = policy

    def submit(
        self, scope: CancelScope, fn: Callable[..., R], /, *args: Any, **kwargs: Any
    ) -> Future[R]:
        return self._pool.submit(scope, _with_policy, self._policy, fn, *args, **kwargs)

    def try_submit(
        self, scope: CancelScope, fn: Callable[..., R], /, *args: Any, **kwargs: Any
    ) -> Future[R] | None:
        return self._pool.try_submit(scope, _with_policy, self._policy, fn, *args, **kwargs)

    def connection(self) -> Connection:
        return self._pool.connection().for_call(self._policy)

    def shutdown(self, *, timeout: float | None = 5.0) -> None:
        raise TypeError("a call's view of a pool is not shut down: its Service's pool is")

    @property
    def threads(self) -> list[Any]:
        return self._pool.threads


def _with_policy(
    conn: Connection, policy: CallPolicy, fn: Callable[..., R], /, *args: Any, **kwargs: Any
) -> R:
    return fn(conn.for_call(policy), *args, **kwargs)


@dataclass(frozen=True, slots=True)
class CallContext:
    """One call's options, cancel scope and result stream, plus the Service's pools.

    ``connection()`` returns a connection for the calling (consumer) thread,
    for the few requests a call makes before it hands work to the pools
    (e.g. one HEAD to check a container exists, so bad arguments raise at the
    call). ``capabilities()`` is the cluster's ``/info``, cached per Service.
``events`` carries progress events (see :mod:`swiftsvc.events`).
    """

    options: Options
    pools: Pools
    scope: CancelScope
    stream: ResultStream
    connection: Callable[[], Connection]
    capabilities: Callable[[], Mapping[str, Any]]
    # progress events; pass ``events.byte_counter(...)`` as ``on_progress`` to
    # transfers (None when nobody listens, so it costs nothing)
    events: EventSink = SILENT

    def with_options(self, overrides: Mapping[str, Any] | None) -> Options:
        """The options for one item with per-object ``overrides`` applied.

        The Service's options and the call's retry policy and timeout cannot
        change for one object (:meth:`Options.for_item`).
        """
        return self.options.for_item(overrides)

    def name_length_problem(self, name: str) -> str | None:
        """Why the cluster would refuse to create an object called ``name`` (None: it would not).

        Only names longer than :data:`NAMES_THAT_FIT` bytes ask the cluster's
        ``/info``, so ordinary calls never wait for it.
        """
        if name_length_problem(name, NAMES_THAT_FIT) is None:
            return None
        return name_length_problem(name, max_object_name_length(self.capabilities()))


# Swift's max_object_name_length is 1024 unless an operator changes it, and
# nobody lowers it this far: names up to this many bytes are not checked.
NAMES_THAT_FIT = 256
# Swift's default, for a cluster whose /info does not say
DEFAULT_MAX_OBJECT_NAME_LENGTH = 1024


def max_object_name_length(capabilities: Mapping[str, Any]) -> int:
    """The longest object name (UTF-8 bytes) the cluster accepts on creation."""
    value = capabilities.get("swift", {}).get("max_object_name_length")
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return DEFAULT_MAX_OBJECT_NAME_LENGTH
