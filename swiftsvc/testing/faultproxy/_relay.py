"""One client connection: read each request, apply its fault, relay the rest.

Each client connection is served by one :class:`RelayHandler` on its own thread, with
its own keep-alive upstream connection. Bodies stream both ways in 64 KiB pieces;
chunked request bodies are de-chunked and re-chunked towards the upstream; an
``Expect: 100-continue`` is answered here, only once the body is going to be read.

What the client sees of the upstream is the truth unless a fault says otherwise: when
the upstream dies in the middle of a response body, the client connection is closed
without completing the body, just as a direct connection would have been.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import socketserver
import struct
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any, NoReturn

from swiftsvc.testing.faultproxy._recorder import Recorder, Slot, redacted_headers
from swiftsvc.testing.faultproxy._rules import Fault, FaultBook, FaultKind
from swiftsvc.testing.faultproxy._wire import (
    HOP_BY_HOP,
    PIECE,
    Aborted,
    connection_tokens,
    ended_short,
    read_chunked,
    reason,
    upstream_dropped,
)

__all__ = ["RelayContext", "RelayHandler", "RelayServer"]

logger = logging.getLogger("swiftsvc.testing.faultproxy")


@dataclass(frozen=True)
class RelayContext:
    """What every connection of one proxy shares."""

    faults: FaultBook
    recorder: Recorder
    upstream: tuple[str, int]
    upstream_timeout: float
    # set when the proxy stops: wakes handlers sleeping in a delay fault
    stopping: threading.Event


class RelayServer(socketserver.TCPServer):
    """What a :class:`RelayHandler` needs from the server it runs in."""

    context: RelayContext

    def register_handler(self, handler: RelayHandler, active: bool) -> None:
        raise NotImplementedError


class RelayHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: RelayServer
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
        except Aborted as exc:
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
        context = self.server.context
        path, _, query = self.path.partition("?")
        fault = context.faults.claim(self.command, self.path)
        slot = Slot(
            method=self.command,
            path=path,
            query=query,
            headers=redacted_headers(self.headers.items()),
            time=time.time(),
            fault=fault.name if fault is not None else None,
        )
        context.recorder.record(slot)
        if fault is not None:
            logger.debug("fault proxy: %s %s -> %s", self.command, self.path, fault.name)
        kind = fault.kind if fault is not None else None

        if kind is FaultKind.RESET_BEFORE_HEADERS:
            self._reset_client()
            raise Aborted("reset before headers")
        if fault is not None and kind is FaultKind.RESPOND:
            self._respond(slot, fault)
            return
        if fault is not None and kind is FaultKind.DELAY and context.stopping.wait(fault.seconds):
            raise Aborted("proxy stopping")
        self._forward(slot, fault)

    def _body_framing(self) -> tuple[bool, int]:
        """(chunked, content length) of the client's request body."""
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return True, 0
        try:
            length = int(self.headers.get("Content-Length", "0") or "0")
        except ValueError as exc:
            raise Aborted("bad Content-Length") from exc
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
        # Client-side read failures become Aborted so that they are never mistaken for
        # an upstream failure while relaying.
        try:
            if chunked:
                yield from read_chunked(self.rfile)
            remaining = 0 if chunked else length
            while remaining > 0:
                data = self.rfile.read(min(PIECE, remaining))
                if not data:
                    raise Aborted("client closed in the middle of the request body")
                remaining -= len(data)
                yield data
        except OSError as exc:
            raise Aborted(f"reading the request body failed: {exc!r}") from exc
        self._body_done = True

    def _respond(self, slot: Slot, fault: Fault) -> None:
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
        self._send_head(fault.status, reason(fault.status), headers)
        self.server.context.recorder.complete(slot, fault.status)
        if self.command != "HEAD" and fault.body:
            self.wfile.write(fault.body)

    def _send_head(self, status: int, phrase: str, headers: Iterable[tuple[str, str]]) -> None:
        self.send_response_only(status, phrase)
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()

    def _upstream_headers(self, chunked: bool) -> list[tuple[str, str]]:
        declared = connection_tokens(self.headers.get("Connection"))
        headers = [
            (name, value)
            for name, value in self.headers.items()
            if name.lower() not in HOP_BY_HOP
            and name.lower() not in declared
            and not (chunked and name.lower() == "content-length")
        ]
        if chunked:
            headers.append(("Transfer-Encoding", "chunked"))
        return headers

    def _forward(self, slot: Slot, fault: Fault | None) -> None:
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
            self.server.context.recorder.complete(slot, 502)
            return
        self._relay(slot, fault, response)

    def _exchange(
        self, headers: list[tuple[str, str]], body: Iterator[bytes] | None, chunked: bool
    ) -> http.client.HTTPResponse:
        context = self.server.context
        # One retry, and only when nothing of the request can have been consumed: an
        # idle keep-alive upstream connection may have been closed by the server.
        for attempt in range(2):
            conn = self._upstream
            if conn is not None and upstream_dropped(conn):
                # The upstream closed the idle keep-alive connection (Swift's
                # client_timeout); reconnect now rather than fail a request with a body.
                self._drop_upstream()
                conn = None
            if conn is None:
                host, port = context.upstream
                conn = http.client.HTTPConnection(host, port, timeout=context.upstream_timeout)
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

    def _relay(self, slot: Slot, fault: Fault | None, response: http.client.HTTPResponse) -> None:
        context = self.server.context
        kind = fault.kind if fault is not None else None
        status = response.status
        declared = connection_tokens(response.getheader("Connection"))
        headers = [
            (name, value)
            for name, value in response.getheaders()
            if name.lower() not in HOP_BY_HOP and name.lower() not in declared
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
        context.recorder.complete(slot, status)
        if kind is FaultKind.RESET_AFTER_HEADERS:
            self._reset_client()
            raise Aborted("reset after headers")
        delay = fault.seconds if fault is not None and kind is FaultKind.DELAY_BODY else 0.0
        if delay and context.stopping.wait(delay):
            raise Aborted("proxy stopping")
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
            try:
                data = response.read1(PIECE)
            except (OSError, http.client.HTTPException) as exc:
                self._cut_short(slot, f"upstream failed mid-body: {exc!r}")
            if not data:
                break
            if limit is not None:
                data = data[: limit - sent]
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data) if chunked_out else data)
            sent += len(data)
        if ended_short(response):
            self._cut_short(slot, f"upstream body ended {response.length} bytes short")
        if chunked_out:
            self.wfile.write(b"0\r\n\r\n")
        response.close()

    def _cut_short(self, slot: Slot, why: str) -> NoReturn:
        # Finishing the response normally would pass the short body off as whole (no
        # final chunk missing) or leave the client waiting on a kept-alive connection
        # for bytes that will never come; closing shows it the cut the upstream made.
        self.server.context.recorder.mark_cut(slot)
        self._drop_upstream()
        self.close_connection = True
        raise Aborted(why)
