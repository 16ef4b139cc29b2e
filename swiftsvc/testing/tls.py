"""An HTTPS front for the local Swift, with a throw-away certificate authority.

The local servers speak plain HTTP. To test certificate checking for real,
:class:`HTTPSFront` listens on ``127.0.0.1`` with a certificate issued by a
private CA (made by the ``trustme`` package, in the ``test`` extra) and
relays the decrypted bytes both ways to the upstream ``http://`` URL::

    with HTTPSFront(local_swift.proxy_url) as front:
        front.url           # https://127.0.0.1:<port>
        front.ca_path       # the CA certificate, PEM, for os_cacert
        front.handshakes    # TLS handshakes attempted (refused ones included)

A client that does not trust the CA aborts the handshake; the front counts
that in :attr:`HTTPSFront.refused`, so a test can tell how many times a
client tried. Note that tempauth builds ``X-Storage-Url`` from what it sees
(plain ``http://`` and the front's host): clients should set
``os_storage_url`` to ``front.url + "/v1/AUTH_<account>"``.
"""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

import trustme

from swiftsvc.testing._lifecycle import Lifecycle

__all__ = ["HTTPSFront"]

log = logging.getLogger(__name__)

_PIECE = 64 * 1024
# a client that connects and never speaks must not keep a thread forever
_HANDSHAKE_TIMEOUT = 10.0


class HTTPSFront(Lifecycle):
    """TLS on ``127.0.0.1``, relaying to ``upstream`` (an ``http://host:port`` URL)."""

    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        if parts.scheme != "http" or parts.hostname is None or parts.port is None:
            raise ValueError(f"upstream must be http://host:port, not {upstream!r}")
        self._upstream = (parts.hostname, parts.port)
        self._ca = trustme.CA()
        self._directory = tempfile.TemporaryDirectory(prefix="swiftsvc-tls-")
        self.ca_path = str(Path(self._directory.name) / "ca.pem")
        self._ca.cert_pem.write_to_path(self.ca_path)
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self._ca.issue_cert("127.0.0.1", "localhost").configure_cert(self._context)
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.handshakes = 0
        self.refused = 0

    @property
    def url(self) -> str:
        if self._listener is None:
            raise RuntimeError("the HTTPS front is not started")
        return f"https://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> HTTPSFront:
        listener = socket.create_server(("127.0.0.1", 0))
        self._listener = listener
        self._spawn(self._accept_loop, listener)
        return self

    def stop(self) -> None:
        self._stopping.set()
        with self._lock:
            sockets = list(self._sockets)
        if self._listener is not None:
            sockets.append(self._listener)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                sock.close()
        for thread in list(self._threads):
            thread.join(timeout=5)
        self._directory.cleanup()

    # ------------------------------------------------------------ internals

    def _spawn(self, target: Callable[..., None], *args: object) -> None:
        thread = threading.Thread(target=target, args=args, daemon=True)
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()]
            self._threads.append(thread)
        thread.start()

    def _track(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.add(sock)

    def _forget(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.discard(sock)
        # shutdown wakes the other pump, blocked in recv() on this socket
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
        with contextlib.suppress(OSError):
            sock.close()

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except OSError:
                return  # closed by stop()
            self._track(client)
            self._spawn(self._serve, client)

    def _serve(self, client: socket.socket) -> None:
        with self._lock:
            self.handshakes += 1
        client.settimeout(_HANDSHAKE_TIMEOUT)
        try:
            secure = self._context.wrap_socket(client, server_side=True)
        except (ssl.SSLError, OSError) as error:
            # the client refused our certificate (or went away): count it
            log.debug("TLS handshake failed: %s", error)
            with self._lock:
                self.refused += 1
            self._forget(client)
            return
        secure.settimeout(None)
        self._track(secure)
        try:
            upstream = socket.create_connection(self._upstream)
        except OSError:
            self._forget(secure)
            return
        self._track(upstream)
        self._spawn(self._pump, upstream, secure)
        self._pump(secure, upstream)

    def _pump(self, source: socket.socket, target: socket.socket) -> None:
        """Copy ``source`` to ``target`` until either side closes; then close both."""
        try:
            while True:
                data = source.recv(_PIECE)
                if not data:
                    break
                target.sendall(data)
        except OSError:
            pass
        finally:
            self._forget(source)
            self._forget(target)
