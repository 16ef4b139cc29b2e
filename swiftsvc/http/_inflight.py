"""Cutting a worker's requests from another thread, and the idle timeout of sends.

A worker blocked on a socket (a server that sends headers and then stalls
the body, or stops reading an upload) does not look at its cancel scope:
only a timeout or data would wake it. Cancelling from another thread must
reach it, so every :class:`~swiftsvc.http.connection.Connection` has an
:class:`InFlight`: the sockets its requests use. :meth:`InFlight.abort`,
called by the cancelling thread, shuts them down; the blocked ``recv`` or
``send`` returns at once with an error, and the connection, seeing it was
aborted, raises :class:`~swiftsvc.errors.Cancelled` instead of retrying.

The sockets are found by the urllib3 connection classes below, which every
pool of a :class:`~swiftsvc.http.transport.Transport` session uses: when one
connects or sends, it registers its socket with the :class:`InFlight` the
sending thread declared (:func:`enter`, a thread-local). Those classes also
fix what urllib3 does with a request body: it sends it with the
*connect* timeout as the socket timeout; here a body may stall as long as an
answer may (the idle timeout), not just as long as a TCP handshake.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import urllib3
import urllib3.connection

_current = threading.local()


class InFlight:
    """The sockets of one connection's requests; abortable from any thread.

    An abort is *sticky* (every request fails until :meth:`resume`, which the
    worker pool calls between jobs, so a cancelled job's clean-up cannot hang
    on the same stalled server) and also *counted*: a request that was in
    flight when an abort came fails even if :meth:`resume` follows at once
    (:meth:`cut` fails only the requests in flight, without refusing later
    ones: ``Service.cancel()`` stops a consumer thread's request that way).
    """

    def __init__(self, *, send_timeout: float | None = None) -> None:
        # seconds a request body may stall; None: urllib3's own behaviour
        self.send_timeout = send_timeout
        self._lock = threading.Lock()
        self._sockets: weakref.WeakSet[socket.socket] = weakref.WeakSet()
        self._aborted = False
        self._aborts = 0
        self._aborts_at_start = 0
        self._wake = threading.Event()

    # -- the owning thread --------------------------------------------------

    def begin(self) -> bool:
        """A request starts: False if it must not (aborted until resumed).

        No lock (this is on every request's path): an abort between the two
        reads is seen by the second, one after them by :attr:`stopped`.
        """
        self._aborts_at_start = self._aborts
        if self._aborted:
            return False
        if self._wake.is_set():
            self._wake.clear()  # a wake-up of an earlier abort; sleep() checks stopped first
        return True

    @property
    def stopped(self) -> bool:
        """Whether the current request was aborted (now or since it began)."""
        return self._aborted or self._aborts != self._aborts_at_start

    def sleep(self, seconds: float) -> bool:
        """Wait ``seconds`` (a retry's backoff); False at once if aborted meanwhile."""
        if self.stopped:
            return False
        self._wake.wait(seconds)
        return not self.stopped

    # -- any thread ---------------------------------------------------------

    def abort(self) -> None:
        """Shut every socket down now; requests fail until :meth:`resume`."""
        with self._lock:
            self._aborted = True
            self._aborts += 1
            sockets = list(self._sockets)
        self._wake.set()
        for sock in sockets:
            _shut(sock)

    def cut(self) -> None:
        """Fail the requests in flight now, and only them: unlike :meth:`abort`,
        a request that begins afterwards is sent (no :meth:`resume` needed, so
        no window in which a caller's next request is refused)."""
        with self._lock:
            self._aborts += 1
            sockets = list(self._sockets)
        self._wake.set()
        for sock in sockets:
            _shut(sock)

    def resume(self) -> None:
        """Accept new requests again (a request in flight at the abort still fails)."""
        with self._lock:
            self._aborted = False

    # -- the urllib3 connections --------------------------------------------

    def _forget(self, sockets: list[socket.socket]) -> None:
        with self._lock:
            for sock in sockets:
                self._sockets.discard(sock)

    def _register(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)
            stopped = self.stopped
        if stopped:
            # aborted between the request's start and its socket: cut it now
            _shut(sock)


@contextlib.contextmanager
def borrowed() -> Iterator[None]:
    """Sockets registered inside the block are forgotten at its end.

    For the shared authentication session: the thread that authenticates
    may be cut while it does, but once done the socket may serve another
    thread's authentication, which an abort of this one must not cut.
    """
    sockets: list[socket.socket] = []
    previous = getattr(_current, "borrowed", None)
    _current.borrowed = sockets
    try:
        yield
    finally:
        _current.borrowed = previous
        in_flight = current()
        if in_flight is not None and sockets:
            in_flight._forget(sockets)


def enter(in_flight: InFlight) -> InFlight | None:
    """Until :func:`leave`, sockets this thread connects or sends on are
    ``in_flight``'s; returns what to give :func:`leave`.

    (A pair of calls rather than a context manager: this is on every
    request's path, and costs less so.)
    """
    previous: InFlight | None = getattr(_current, "in_flight", None)
    _current.in_flight = in_flight
    return previous


def leave(previous: InFlight | None) -> None:
    _current.in_flight = previous


def current() -> InFlight | None:
    """The :class:`InFlight` the calling thread is sending for, if any."""
    in_flight: InFlight | None = getattr(_current, "in_flight", None)
    return in_flight


def stopped_here() -> bool:
    """Whether the request the calling thread is sending for was aborted."""
    in_flight = current()
    return in_flight is not None and in_flight.stopped


def sleep_here(seconds: float) -> bool:
    """:meth:`InFlight.sleep` of the calling thread's request, or a plain sleep."""
    in_flight = current()
    if in_flight is None:
        threading.Event().wait(seconds)
        return True
    return in_flight.sleep(seconds)


def _shut(sock: socket.socket) -> None:
    # shutdown, not close: the owning thread still holds the descriptor, and
    # a closed number could be reused by another socket before it notices.
    # socket.socket's own method, not SSLSocket's: that one also drops the
    # TLS state the owning thread is reading through
    with contextlib.suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Tracked(urllib3.connection.HTTPConnection):
    """Registers its socket with the sending thread's InFlight; sends with the idle timeout."""

    # the InFlight and socket registered last: a keep-alive connection's
    # requests skip registering the same socket again
    _tracked: tuple[InFlight, socket.socket] | None = None

    def _track(self) -> None:
        in_flight = current()
        sock = self.sock
        if in_flight is None or sock is None:
            return
        borrowed: list[socket.socket] | None = getattr(_current, "borrowed", None)
        if borrowed is not None:
            borrowed.append(sock)  # forgotten again at the end of the block
        elif self._tracked is not None and self._tracked[0] is in_flight \
                and self._tracked[1] is sock:
            if in_flight.stopped:
                _shut(sock)
            return
        in_flight._register(sock)
        self._tracked = None if borrowed is not None else (in_flight, sock)

    def connect(self) -> None:
        super().connect()
        self._track()
        in_flight = current()
        if in_flight is not None and in_flight.send_timeout is not None and self.sock:
            # connected within the connect timeout; the body may now stall as
            # long as an answer may
            self.sock.settimeout(in_flight.send_timeout)

    def request(self, method: str, url: str, body: Any = None, headers: Any = None,
                **kwargs: Any) -> None:
        if self.sock is None:  # connects (and registers) while sending
            super().request(method, url, body, headers, **kwargs)
            return
        self._track()
        in_flight = current()
        if in_flight is None or in_flight.send_timeout is None:
            super().request(method, url, body, headers, **kwargs)
            return
        # urllib3 sets the connect timeout for sending a request; a reused
        # connection's body gets the idle timeout instead
        connect_timeout = self.timeout
        self.timeout = in_flight.send_timeout
        try:
            super().request(method, url, body, headers, **kwargs)
        finally:
            self.timeout = connect_timeout


class TrackedHTTPConnection(_Tracked):
    pass


class TrackedHTTPSConnection(_Tracked, urllib3.connection.HTTPSConnection):
    pass


class TrackedHTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = TrackedHTTPConnection


class TrackedHTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = TrackedHTTPSConnection


TRACKED_POOL_CLASSES: dict[str, type[urllib3.HTTPConnectionPool]] = {
    "http": TrackedHTTPConnectionPool,
    "https": TrackedHTTPSConnectionPool,
}
