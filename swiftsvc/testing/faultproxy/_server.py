"""The listening side: one thread per client connection, and a stop that closes them all.

A stopped proxy must not leave a thread blocked on a socket or a delay, so every
client socket, handler thread and handler (for its upstream connection) is tracked
until its connection ends.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from typing import Any

from swiftsvc.testing.faultproxy._relay import RelayContext, RelayHandler, RelayServer

__all__ = ["ProxyServer"]

logger = logging.getLogger("swiftsvc.testing.faultproxy")
_JOIN_TIMEOUT = 10.0


class ProxyServer(RelayServer):
    # Plain TCPServer rather than HTTPServer: HTTPServer.server_bind does a getfqdn()
    # lookup that can stall for seconds on hosts without working DNS.
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], context: RelayContext) -> None:
        self.context = context
        self._connections_lock = threading.Lock()
        self._client_sockets: set[socket.socket] = set()
        self._handler_threads: set[threading.Thread] = set()
        self._handlers: set[RelayHandler] = set()
        self._closing = False
        super().__init__(address, RelayHandler)

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

    def register_handler(self, handler: RelayHandler, active: bool) -> None:
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
            thread.join(timeout=_JOIN_TIMEOUT)
