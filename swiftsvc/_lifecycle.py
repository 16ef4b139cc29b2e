"""What a Service owns besides its pools, and how all of it stops.

:class:`ConsumerConnections` are the connections of the threads that consume
a call's results (requests made before, or instead of, handing work to the
pools); :func:`shutdown` stops pools, connections and the authenticator. Both
the Service's ``close()`` and its finalizer use it, so nothing here may
reference the Service itself.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from swiftsvc._pools import CancelScope
    from swiftsvc.auth.base import Authenticator
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import Pools

log = logging.getLogger("swiftsvc.service")


class ConsumerConnections:
    """One connection per consuming thread, for the requests a call makes
    before (or instead of) handing work to the pools. Closed with the Service."""

    def __init__(self, factory: Callable[[], Connection]) -> None:
        self._factory = factory
        self._local = threading.local()
        self._all: list[Connection] = []
        self._lock = threading.Lock()

    def get(self) -> Connection:
        conn: Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._factory()
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def abort(self) -> None:
        """Cut the requests these threads have in flight (their later calls still work)."""
        with self._lock:
            connections = list(self._all)
        for conn in connections:
            conn.cut()  # not abort() + resume(): a call starting between them would be refused

    def close(self) -> None:
        with self._lock:
            connections, self._all = self._all, []
        for conn in connections:
            try:
                conn.close()
            except Exception:  # closing is best effort; the socket goes anyway
                log.debug("closing a connection failed", exc_info=True)


def shutdown(
    pools: Pools,
    connections: ConsumerConnections,
    authenticator: Authenticator,
    scope_holder: list[CancelScope],
    timeout: float,
) -> None:
    """Stop everything a Service started (shared by close() and the finalizer,
    so it must not reference the Service itself)."""
    for scope in scope_holder:
        scope.cancel()
    connections.abort()
    for pool in (pools.container, pools.object_uu, pools.object_dd, pools.segment):
        pool.shutdown(timeout=timeout)
    connections.close()
    authenticator.close()
