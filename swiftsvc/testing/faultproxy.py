"""A fault-injecting HTTP/1.1 proxy to put in front of a real Swift proxy server.

Tests script it to make the next matching request fail in a precise way::

    with FaultProxy(local_swift.proxy_url) as proxy:
        proxy.respond(503, headers={"Retry-After": "1"}, method="PUT", path=r"/obj$")
        proxy.reset_after_headers(method="GET", times=2)
        ...  # point the client at proxy.url
        assert proxy.count(method="PUT") == 2

Everything that is not faulted is relayed unchanged: the ``Host`` header is kept, so
tempauth builds its ``X-Storage-Url`` from it and the client keeps talking through the
proxy. Bodies are streamed both ways in 64 KiB pieces, so multi-hundred-megabyte uploads
pass without being buffered. Chunked request bodies are de-chunked and re-chunked towards
the upstream; an ``Expect: 100-continue`` is answered by the proxy itself, only once it
has decided to read the body (a ``respond`` fault answers without reading it).

Each client connection gets its own daemon thread and its own keep-alive upstream
connection. Only plain ``http://`` upstreams are supported.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import re
import select
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

from swiftsvc._redact import REDACTED, SECRET_HEADERS
from swiftsvc.testing._lifecycle import Lifecycle

__all__ = ["Fault", "FaultKind", "FaultProxy", "RecordedRequest"]

logger = logging.getLogger(__name__)

_PIECE = 64 * 1024
_HOP_BY_HOP = frozenset(
    {
        "connection",
        "expect",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Swift's own codes that http.HTTPStatus does not know.
_EXTRA_REASONS = {498: "Rate Limited", 499: "Client Disconnect"}


class FaultKind(str, Enum):
    RESPOND = "respond"
    RESET_BEFORE_HEADERS = "reset_before_headers"
    RESET_AFTER_HEADERS = "reset_after_headers"
    TRUNCATE_BODY = "truncate_body"
    DELAY = "delay"
    DELAY_BODY = "delay_body"
    REWRITE_RESPONSE_HEADER = "rewrite_response_header"


@dataclass(eq=False)
class Fault:
    """A scripted fault, returned by the :class:`FaultProxy` scripting methods.

    ``remaining`` is how many more requests it applies to (None: forever), ``hits`` how
    many it has been applied to so far.
    """

    kind: FaultKind
    method: str | None
    path: re.Pattern[str] | None
    remaining: int | None
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    seconds: float = 0.0
    after_bytes: int = 0
    header_name: str = ""
    header_value: str | None = None
    hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        return self.kind.value

    @property
    def expired(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def cancel(self) -> None:
        with self._lock:
            self.remaining = 0

    def _claim(self, method: str, target: str) -> bool:
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is not None and self.path.search(target) is None:
            return False
        with self._lock:
            if self.expired:
                return False
            if self.remaining is not None:
                self.remaining -= 1
            self.hits += 1
            return True


@dataclass(frozen=True)
class RecordedRequest:
    """One request the proxy received.

    ``path`` and ``query`` are the raw (still URL-encoded) parts of the request target.
    ``headers`` keeps the names as the client sent them (repeats joined with ", "), with
    credentials replaced by "<redacted>". ``status`` is the status line the proxy sent
    back (forwarded or scripted); None if it sent none (a reset before headers, a
    request still in flight or an upstream that could not be reached mid-body).
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None
    fault: str | None
    time: float

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass
class _Slot:
    # Mutable twin of RecordedRequest: recorded on arrival so a test sees a request
    # that is still being delayed, completed when the answer is known.
    method: str
    path: str
    query: str
    headers: dict[str, str]
    time: float
    fault: str | None = None
    status: int | None = None

    def freeze(self) -> RecordedRequest:
        return RecordedRequest(
            method=self.method,
            path=self.path,
            query=self.query,
            headers=dict(self.headers),
            status=self.status,
            fault=self.fault,
            time=self.time,
        )


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or "password" in lowered or "temp-url-key" in lowered


def _redacted_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        shown = REDACTED if _is_secret(name) else value
        headers[name] = f"{headers[name]}, {shown}" if name in headers else shown
    return headers


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _EXTRA_REASONS.get(status, "Unknown")


def _matches(pattern: str | None, method: str | None, record: RecordedRequest) -> bool:
    if method is not None and record.method.upper() != method.upper():
        return False
    target = f"{record.path}?{record.query}" if record.query else record.path
    return pattern is None or re.search(pattern, target) is not None


class _Aborted(Exception):
    """The client connection is finished (reset, truncated or broken); stop serving it."""


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
        self._upstream_address = (parts.hostname, parts.port or 80)
        self._bind_address = (host, port)
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._slots: list[_Slot] = []
        self._server: _Server | None = None
        self._serve_thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> FaultProxy:
        if self._server is not None:
            raise RuntimeError("FaultProxy already started")
        self._stopping.clear()
        self._server = _Server(self._bind_address, self)
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
        self._stopping.set()
        server.shutdown()
        server.server_close()
        server.close_all_connections()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout=10)
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
        with self._lock:
            self._faults.clear()

    @property
    def faults(self) -> list[Fault]:
        """The faults that have not expired yet."""
        with self._lock:
            return [fault for fault in self._faults if not fault.expired]

    # -- recording -------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received since the last :meth:`clear_requests`."""
        with self._lock:
            return [slot.freeze() for slot in self._slots]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        """How many recorded requests match ``method`` and the ``path`` regex."""
        return sum(1 for record in self.requests if _matches(path, method, record))

    def clear_requests(self) -> None:
        with self._lock:
            self._slots.clear()

    # -- internals used by the handler -----------------------------------------------

    def _add(
        self,
        kind: FaultKind,
        method: str | None,
        path: str | None,
        times: int | None,
        **params: Any,
    ) -> Fault:
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        fault = Fault(
            kind=kind,
            method=method,
            path=re.compile(path) if path is not None else None,
            remaining=times,
            **params,
        )
        with self._lock:
            self._faults = [known for known in self._faults if not known.expired]
            self._faults.append(fault)
        return fault

    def _claim_fault(self, method: str, target: str) -> Fault | None:
        with self._lock:
            candidates = list(self._faults)
        for fault in candidates:
            if fault._claim(method, target):
                return fault
        return None

    def _record(self, slot: _Slot) -> None:
        with self._lock:
            self._slots.append(slot)

    def _complete(self, slot: _Slot, status: int) -> None:
        with self._lock:
            slot.status = status


class _Server(socketserver.TCPServer):
    # Plain TCPServer rather than HTTPServer: HTTPServer.server_bind does a getfqdn()
    # lookup that can stall for seconds on hosts without working DNS.
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], proxy: FaultProxy) -> None:
        self.proxy = proxy
        self._connections_lock = threading.Lock()
        self._client_sockets: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._handlers: set[_ProxyHandler] = set()
        self._closing = False
        super().__init__(address, _ProxyHandler)

    def process_request(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        assert isinstance(request, socket.socket)
        thread = threading.Thread(
            target=self._serve_connection,
            args=(request, client_address),
            name=f"faultproxy-conn-{client_address[1]}",
            daemon=True,
        )
        with self._connections_lock:
            if self._closing:
                request.close()
                return
            self._client_sockets.add(request)
            self._handler_threads.add(thread)
        thread.start()

    def _serve_connection(self, request: socket.socket, client_address: Any) -> None:
        try:
            self.finish_request(request, client_address)
        except Exception:
            logger.debug("fault proxy connection from %s failed", client_address, exc_info=True)
        finally:
            with self._connections_lock:
                self._client_sockets.discard(request)
                self._handler_threads.discard(threading.current_thread())
            self.shutdown_request(request)

    def register_handler(self, handler: _ProxyHandler, active: bool) -> None:
        with self._connections_lock:
            if active:
                self._handlers.add(handler)
            else:
                self._handlers.discard(handler)

    def close_all_connections(self) -> None:
        with self._connections_lock:
            self._closing = True
            sockets = list(self._client_sockets)
            threads = list(self._handler_threads)
            handlers = list(self._handlers)
        # shutdown() rather than close(): it wakes a thread blocked in recv() on the
        # socket, and the owning thread still closes it.
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for handler in handlers:
            handler.abort_upstream()
        for thread in threads:
            thread.join(timeout=10)


class _ProxyHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    _upstream: http.client.HTTPConnection | None = None
    _upstream_reused = False
    _continue_sent = False
    _body_done = True  # whether the current request's body has been read entirely

    # -- connection plumbing ---------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        self.server.register_handler(self, True)

    def finish(self) -> None:
        self.server.register_handler(self, False)
        self._drop_upstream()
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("fault proxy: " + format, *args)

    def handle_expect_100(self) -> bool:
        # Deferred: a 100 Continue is sent only once we decide to read the body.
        return True

    def handle_one_request(self) -> None:
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if len(self.raw_requestline) > 65536:
                self.send_error(HTTPStatus.REQUEST_URI_TOO_LONG)
                return
            if not self.raw_requestline:
                self.close_connection = True
                return
            self._continue_sent = False
            if not self.parse_request():
                return
            self._proxy_one()
        except _Aborted as exc:
            logger.debug("fault proxy: connection ended: %s", exc)
            self._drop_upstream()
            self.close_connection = True
        except (OSError, http.client.HTTPException) as exc:
            logger.debug("fault proxy: connection failed: %r", exc)
            self._drop_upstream()
            self.close_connection = True

    def abort_upstream(self) -> None:
        conn = self._upstream
        if conn is not None and conn.sock is not None:
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)

    def _drop_upstream(self) -> None:
        conn, self._upstream = self._upstream, None
        self._upstream_reused = False
        if conn is not None:
            conn.close()

    def _reset_client(self) -> None:
        # SO_LINGER 0 makes close() send an RST instead of a FIN.
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
        # The socket is really closed only when its makefile() readers are closed too.
        with contextlib.suppress(OSError, ValueError):
            self.rfile.close()
        with contextlib.suppress(OSError, ValueError):
            self.wfile.close()

    # -- one request -----------------------------------------------------------------

    def _proxy_one(self) -> None:
        proxy = self.server.proxy
        path, _, query = self.path.partition("?")
        fault = proxy._claim_fault(self.command, self.path)
        slot = _Slot(
            method=self.command,
            path=path,
            query=query,
            headers=_redacted_headers(self.headers.items()),
            time=time.time(),
            fault=fault.name if fault is not None else None,
        )
        proxy._record(slot)
        if fault is not None:
            logger.debug("fault proxy: %s %s -> %s", self.command, self.path, fault.name)
        kind = fault.kind if fault is not None else None

        if kind is FaultKind.RESET_BEFORE_HEADERS:
            self._reset_client()
            raise _Aborted("reset before headers")
        if fault is not None and kind is FaultKind.RESPOND:
            self._respond(slot, fault)
            return
        if fault is not None and kind is FaultKind.DELAY and proxy._stopping.wait(fault.seconds):
            raise _Aborted("proxy stopping")
        self._forward(slot, fault)

    def _body_framing(self) -> tuple[bool, int]:
        """(chunked, content length) of the client's request body."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return True, 0
        try:
            length = int(self.headers.get("Content-Length", "0") or "0")
        except ValueError as exc:
            raise _Aborted("bad Content-Length") from exc
        return False, length

    def _expects_continue(self) -> bool:
        return (
            self.headers.get("Expect", "").lower() == "100-continue"
            and self.request_version >= "HTTP/1.1"
        )

    def _request_body(self, chunked: bool, length: int) -> Iterator[bytes]:
        if self._expects_continue() and not self._continue_sent:
            self._continue_sent = True
            self.send_response_only(HTTPStatus.CONTINUE)
            self.end_headers()
        # Client-side read failures become _Aborted so that they are never mistaken for
        # an upstream failure while relaying.
        try:
            if chunked:
                yield from _read_chunked(self.rfile)
            remaining = 0 if chunked else length
            while remaining > 0:
                data = self.rfile.read(min(_PIECE, remaining))
                if not data:
                    raise _Aborted("client closed in the middle of the request body")
                remaining -= len(data)
                yield data
        except OSError as exc:
            raise _Aborted(f"reading the request body failed: {exc!r}") from exc
        self._body_done = True

    def _respond(self, slot: _Slot, fault: Fault) -> None:
        chunked, length = self._body_framing()
        self._body_done = not (chunked or length > 0)
        if not self._body_done:
            if self._expects_continue():
                self.close_connection = True
            else:
                for _ in self._request_body(chunked, length):
                    pass
        headers = list(fault.headers)
        if not any(name.lower() == "content-length" for name, _ in headers):
            headers.append(("Content-Length", str(len(fault.body))))
        if self.close_connection:
            headers.append(("Connection", "close"))
        self._send_head(fault.status, _reason(fault.status), headers)
        proxy = self.server.proxy
        proxy._complete(slot, fault.status)
        if self.command != "HEAD" and fault.body:
            self.wfile.write(fault.body)

    def _send_head(self, status: int, reason: str, headers: Iterable[tuple[str, str]]) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _upstream_headers(self, chunked: bool) -> list[tuple[str, str]]:
        connection_tokens = {
            token.strip().lower() for token in self.headers.get("Connection", "").split(",")
        }
        headers = [
            (name, value)
            for name, value in self.headers.items()
            if name.lower() not in _HOP_BY_HOP
            and name.lower() not in connection_tokens
            and not (chunked and name.lower() == "content-length")
        ]
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        return headers

    def _forward(self, slot: _Slot, fault: Fault | None) -> None:
        chunked, length = self._body_framing()
        has_body = chunked or length > 0
        self._body_done = not has_body
        headers = self._upstream_headers(chunked)
        try:
            response = self._exchange(
                headers, self._request_body(chunked, length) if has_body else None, chunked
            )
        except (OSError, http.client.HTTPException) as exc:
            logger.debug("fault proxy: upstream failed: %r", exc)
            self._drop_upstream()
            body = f"fault proxy: upstream failed: {exc!r}\n".encode()
            headers = [("Content-Length", str(len(body))), ("Content-Type", "text/plain")]
            if not self._body_done:
                # The rest of the request body is unread: the connection cannot be reused.
                self.close_connection = True
            if self.close_connection:
                headers.append(("Connection", "close"))
            self._send_head(502, "Bad Gateway", headers)
            self.wfile.write(body)
            self.server.proxy._complete(slot, 502)
            return
        self._relay(slot, fault, response)

    def _exchange(
        self, headers: list[tuple[str, str]], body: Iterator[bytes] | None, chunked: bool
    ) -> http.client.HTTPResponse:
        # One retry, and only when nothing of the request can have been consumed: an
        # idle keep-alive upstream connection may have been closed by the server.
        for attempt in range(2):
            conn = self._upstream
            if conn is not None and _dropped(conn):
                # The upstream closed the idle keep-alive connection (Swift's
                # client_timeout); reconnect now rather than fail a request with a body.
                self._drop_upstream()
                conn = None
            if conn is None:
                host, port = self.server.proxy._upstream_address
                conn = http.client.HTTPConnection(
                    host, port, timeout=self.server.proxy.upstream_timeout
                )
                self._upstream = conn
            reused = self._upstream_reused
            try:
                conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
                for name, value in headers:
                    conn.putheader(name, value)
                conn.endheaders()
                if body is not None:
                    self._send_body(conn, body, chunked)
                response = conn.getresponse()
            except (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected):
                self._drop_upstream()
                if attempt == 0 and reused and body is None:
                    continue
                raise
            self._upstream_reused = True
            return response
        raise AssertionError("unreachable")

    def _send_body(
        self, conn: http.client.HTTPConnection, body: Iterator[bytes], chunked: bool
    ) -> None:
        try:
            for data in body:
                conn.send(b"%x\r\n%s\r\n" % (len(data), data) if chunked else data)
            if chunked:
                conn.send(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            # The upstream may have answered early (say 401) and closed; relay that
            # answer if it is readable, and drop the client since its body is unread.
            self.close_connection = True

    def _relay(self, slot: _Slot, fault: Fault | None, response: http.client.HTTPResponse) -> None:
        kind = fault.kind if fault is not None else None
        status = response.status
        connection_tokens = {
            token.strip().lower() for token in (response.getheader("Connection") or "").split(",")
        }
        headers = [
            (name, value)
            for name, value in response.getheaders()
            if name.lower() not in _HOP_BY_HOP and name.lower() not in connection_tokens
        ]
        if fault is not None and kind is FaultKind.REWRITE_RESPONSE_HEADER:
            wanted = fault.header_name.lower()
            headers = [(name, value) for name, value in headers if name.lower() != wanted]
            if fault.header_value is not None:
                headers.append((fault.header_name, fault.header_value))

        bodyless = self.command == "HEAD" or status < 200 or status in (204, 304)
        has_length = response.length is not None and not response.chunked
        chunked_out = False
        if not bodyless and not has_length:
            if self.request_version >= "HTTP/1.1":
                chunked_out = True
                headers.append(("Transfer-Encoding", "chunked"))
            else:
                self.close_connection = True
        if self.close_connection:
            headers.append(("Connection", "close"))

        self._send_head(status, response.reason, headers)
        self.server.proxy._complete(slot, status)
        if kind is FaultKind.RESET_AFTER_HEADERS:
            self._reset_client()
            raise _Aborted("reset after headers")
        delay = fault.seconds if fault is not None and kind is FaultKind.DELAY_BODY else 0.0
        if delay and self.server.proxy._stopping.wait(delay):
            raise _Aborted("proxy stopping")
        if bodyless:
            response.read()
            response.close()
            return
        limit = fault.after_bytes if fault is not None and kind is FaultKind.TRUNCATE_BODY else None
        sent = 0
        while True:
            if limit is not None and sent >= limit:
                # Leave the rest unsent; the handler's normal close sends a FIN.
                self._drop_upstream()
                self.close_connection = True
                return
            data = response.read1(_PIECE)
            if not data:
                break
            if limit is not None:
                data = data[: limit - sent]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked_out else data)
            sent += len(data)
        if chunked_out:
            self.wfile.write(b"0\r\n\r\n")
        response.close()


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle upstream connection was closed by the other end (readable = EOF)."""
    if conn.sock is None:
        return False
    try:
        readable, _, _ = select.select([conn.sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def _read_chunked(rfile: Any) -> Iterator[bytes]:
    """De-chunk a ``Transfer-Encoding: chunked`` body, yielding pieces of <= 64 KiB."""
    while True:
        line: bytes = rfile.readline(1024)
        if not line.endswith(b"\n"):
            raise _Aborted("truncated chunk size line")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise _Aborted(f"bad chunk size line {line!r}") from exc
        if size == 0:
            # Trailers are dropped: Swift ignores them and so may we.
            while rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass
            return
        remaining = size
        while remaining > 0:
            data: bytes = rfile.read(min(_PIECE, remaining))
            if not data:
                raise _Aborted("client closed in the middle of a chunk")
            remaining -= len(data)
            yield data
        if rfile.readline(3) not in (b"\r\n", b"\n"):
            raise _Aborted("missing CRLF after a chunk")
