"""FaultProxy: start and stop the proxy, script its faults, read what it recorded."""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from swiftsvc.testing._lifecycle import Lifecycle
from swiftsvc.testing.faultproxy._recorder import RecordedRequest, Recorder
from swiftsvc.testing.faultproxy._relay import RelayContext
from swiftsvc.testing.faultproxy._rules import Fault, FaultBook, FaultKind
from swiftsvc.testing.faultproxy._server import ProxyServer

__all__ = ["FaultProxy"]

logger = logging.getLogger("swiftsvc.testing.faultproxy")
_JOIN_TIMEOUT = 10.0


class FaultProxy(Lifecycle):
    """A threaded HTTP/1.1 proxy in front of ``upstream`` that injects scripted faults.

    Faults are tried in the order they were added; the first one whose ``method``
    (None: any) and ``path`` (a regex searched in the path plus query; None: any) match
    is applied, and only one fault applies to a request. Each applies to the next
    ``times`` matching requests (None: forever), then expires.
    """

    def __init__(
        self,
        upstream: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        upstream_timeout: float = 120.0,
    ) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"upstream must be an http:// URL, got {upstream!r}")
        self.upstream = upstream
        self.upstream_timeout = upstream_timeout
        self._bind_address = (host, port)
        self._faults = FaultBook()
        self._recorder = Recorder()
        self._context = RelayContext(
            faults=self._faults,
            recorder=self._recorder,
            upstream=(parts.hostname, parts.port or 80),
            upstream_timeout=upstream_timeout,
            stopping=threading.Event(),
        )
        self._server: ProxyServer | None = None
        self._serve_thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> FaultProxy:
        if self._server is not None:
            raise RuntimeError("FaultProxy already started")
        self._context.stopping.clear()
        self._server = ProxyServer(self._bind_address, self._context)
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"faultproxy-{self._server.server_address[1]}",
            daemon=True,
        )
        self._serve_thread.start()
        logger.debug("fault proxy %s -> %s started", self.url, self.upstream)
        return self

    def stop(self) -> None:
        """Stop accepting, close every client and upstream connection, join the threads."""
        server, self._server = self._server, None
        if server is None:
            return
        # Wake delayed handlers first so that joining them does not wait out a delay.
        self._context.stopping.set()
        server.shutdown()
        server.server_close()
        server.close_all_connections()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=_JOIN_TIMEOUT)
            self._serve_thread = None

    @property
    def url(self) -> str:
        """The proxy's base URL, e.g. "http://127.0.0.1:41234"."""
        if self._server is None:
            raise RuntimeError("FaultProxy is not running")
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    # -- scripting -------------------------------------------------------------------

    def respond(
        self,
        status: int,
        *,
        headers: Mapping[str, str] | None = None,
        body: bytes = b"",
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Answer with ``status`` without contacting the upstream.

        A request body is read and discarded so the connection stays usable, except when
        the client sent ``Expect: 100-continue``: then it is answered at once and the
        connection closed, as a real server refusing the body would.
        """
        return self._add(
            FaultKind.RESPOND,
            method,
            path,
            times,
            status=status,
            headers=tuple((headers or {}).items()),
            body=body,
        )

    def reset_before_headers(
        self, *, method: str | None = None, path: str | None = None, times: int | None = 1
    ) -> Fault:
        """Reset the client connection (RST) once its request headers are read.

        Nothing is sent and the request body, if any, is not read; the upstream never
        sees the request.
        """
        return self._add(FaultKind.RESET_BEFORE_HEADERS, method, path, times)

    def reset_after_headers(
        self, *, method: str | None = None, path: str | None = None, times: int | None = 1
    ) -> Fault:
        """Forward the request, relay the response status and headers, then reset (RST)."""
        return self._add(FaultKind.RESET_AFTER_HEADERS, method, path, times)

    def truncate_body(
        self,
        after_bytes: int,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Forward, relay the headers unchanged (Content-Length included) and only the
        first ``after_bytes`` body bytes, then close the connection (FIN).

        A body no longer than ``after_bytes`` is relayed whole.
        """
        return self._add(FaultKind.TRUNCATE_BODY, method, path, times, after_bytes=after_bytes)

    def delay(
        self,
        seconds: float,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Wait ``seconds`` after reading the request headers, then forward as usual."""
        return self._add(FaultKind.DELAY, method, path, times, seconds=seconds)

    def delay_body(
        self,
        seconds: float,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Forward, relay the response headers, wait ``seconds``, then relay the body."""
        return self._add(FaultKind.DELAY_BODY, method, path, times, seconds=seconds)

    def rewrite_response_header(
        self,
        name: str,
        value: str | None,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int | None = 1,
    ) -> Fault:
        """Forward, but replace response header ``name`` (or add it); None removes it.

        The body framing stays the upstream's, so do not rewrite Content-Length.
        """
        return self._add(
            FaultKind.REWRITE_RESPONSE_HEADER,
            method,
            path,
            times,
            header_name=name,
            header_value=value,
        )

    def clear_faults(self) -> None:
        self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults that have not expired yet."""
        return self._faults.active()

    def _add(
        self,
        kind: FaultKind,
        method: str | None,
        path: str | None,
        times: int | None,
        **params: Any,
    ) -> Fault:
        return self._faults.add(kind, method, path, times, **params)

    # -- recording -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received since the last :meth:`clear_requests`."""
        return self._recorder.snapshot()

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many recorded requests match ``method`` and the ``path`` regex."""
        return self._recorder.count(method, path)

    def clear_requests(self) -> None:
        self._recorder.clear()
