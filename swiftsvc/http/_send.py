"""Sending one request: straight to a urllib3 pool, configured by requests.

``requests.Session.request`` costs about twice the client CPU of the urllib3
pool it ends in (measured on a 4 KiB GET: 0.69 ms against 0.34 ms), spent on
merging settings, cookies, hooks and preparing a request object again for
every call. Small objects are bound by the servers on a small machine, so
that CPU taken from them is throughput. :class:`Sender` therefore keeps
requests for what it is good at, configuration (TLS verification, CA bundle,
client certificate, the adapter's pool of one connection sending in large
blocks), takes the urllib3 pool requests itself would use, and sends through
it, framing bodies and merging headers the way requests does.

When the environment names a proxy, requests' proxy handling (``NO_PROXY``,
proxy authentication, CONNECT tunnels) is worth its cost: the session sends.

Either way the sockets are made and used while the connection's
:class:`~swiftsvc.http._inflight.InFlight` is declared, so another thread
can cut them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal
from urllib.parse import urlsplit

import requests
import urllib3
from requests.utils import check_header_validity

from swiftsvc.http import _inflight
from swiftsvc.http.transport import Timeout

# requests adds Content-Length: 0 to a request without a body, except these
_NO_LENGTH_WHEN_EMPTY = frozenset({"GET", "HEAD"})


class Sender:
    """One worker connection's way out: its session's adapter pool, or the session."""

    def __init__(self, session: requests.Session, timeout: Timeout,
                 in_flight: _inflight.InFlight | None = None) -> None:
        self._session = session
        self._timeout = timeout
        self._in_flight = in_flight or _inflight.InFlight()
        # requests' own proxy decision (Transport.session): trust_env stays on
        # only when the environment names a proxy
        self._direct = not session.trust_env
        self._pool_timeout = _pool_timeout(timeout)
        self._origin: str | None = None
        self._pool: urllib3.HTTPConnectionPool | None = None
        # lower-cased name -> (name, value): the session's headers, merged once
        self._defaults = {
            name.lower(): (name, value) for name, value in session.headers.items()
            if isinstance(value, str)
        }

    def send(self, method: str, url: str, headers: Mapping[str, str], data: Any,
             timeout: Timeout | Literal["own"] = "own") -> urllib3.BaseHTTPResponse:
        """Send; the answer's body is left unread (``preload_content=False``).

        ``timeout`` replaces this sender's own for this request (one call's
        own timeout, see ``Connection.for_call``).
        """
        previous = _inflight.enter(self._in_flight)
        try:
            return self._send(method, url, headers, data, timeout)
        finally:
            _inflight.leave(previous)

    def _send(self, method: str, url: str, headers: Mapping[str, str], data: Any,
              timeout: Timeout | Literal["own"]) -> urllib3.BaseHTTPResponse:
        if isinstance(timeout, str):  # "own"
            session_timeout, pool_timeout = self._timeout, self._pool_timeout
        else:
            session_timeout, pool_timeout = timeout, _pool_timeout(timeout)
        if not self._direct:
            answer = self._session.request(
                method, url, headers=headers, data=data, stream=True, timeout=session_timeout,
                allow_redirects=False,
            )
            raw: urllib3.BaseHTTPResponse = answer.raw
            return raw
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        pool = self._pool if origin == self._origin and self._pool is not None \
            else self._pool_for(origin)
        target = (parts.path or "/") + ("?" + parts.query if parts.query else "")
        merged = self._headers(headers)
        body = _framing(method, data, merged)
        return pool.urlopen(
            method, target, body=body, headers=merged, redirect=False,
            assert_same_host=False, preload_content=False, decode_content=False,
            retries=False, timeout=pool_timeout,
        )

    def close(self) -> None:
        self._session.close()  # closes the adapter's pool manager, and so our pool
        self._origin = None
        self._pool = None

    def _pool_for(self, origin: str) -> urllib3.HTTPConnectionPool:
        """The pool requests would send a request to ``origin`` through.

        The adapter keeps one pool (``pool_connections=1``): asking it for
        another origin closes the previous pool, so only the last is cached.
        """
        session = self._session
        adapter = session.get_adapter(origin)  # InvalidSchema for anything but http(s)
        if not isinstance(adapter, requests.adapters.HTTPAdapter):
            raise TypeError(f"no HTTP adapter for {origin}: {type(adapter).__name__}")
        request = requests.Request("GET", origin + "/").prepare()  # InvalidURL when malformed
        pool = adapter.get_connection_with_tls_context(request, session.verify, cert=session.cert)
        if not isinstance(pool, urllib3.HTTPConnectionPool):  # HTTPS pools are HTTP pools too
            raise TypeError(f"no HTTP connection pool for {origin}: {type(pool).__name__}")
        # what requests does before every send: CA bundle / client certificate
        # files must exist (OSError naming the file), then sets them on the pool
        adapter.cert_verify(  # type: ignore[no-untyped-call]  # untyped in types-requests
            pool, origin, session.verify, session.cert)
        self._origin, self._pool = origin, pool
        return pool

    def _headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """The session's headers, then these, case-insensitively (as requests merges)."""
        merged = dict(self._defaults)
        for name, value in headers.items():
            # requests refuses values with CR/LF or leading whitespace (InvalidHeader)
            check_header_validity((name, value))
            merged[name.lower()] = (name, value)
        return dict(merged.values())


def _pool_timeout(timeout: Timeout) -> urllib3.Timeout:
    # requests' TimeoutSauce is urllib3's Timeout; None waits forever
    connect, read = timeout if timeout is not None else (None, None)
    return urllib3.Timeout(connect=connect, read=read)


def _framing(method: str, data: Any, headers: dict[str, str]) -> Any:
    """The body to hand urllib3, with the ``Content-Length`` requests would send.

    urllib3 frames bytes itself and sends what has no length it can see
    chunked. What it cannot know: the length of our sized readers and chunk
    lists (``len()``, as requests reads it), and that requests announces an
    empty body (``Content-Length: 0``) on every method but GET and HEAD.
    """
    if data is not None and not isinstance(data, bytes) and hasattr(data, "__len__"):
        length = len(data)
        if length or hasattr(data, "__iter__"):  # an empty stream goes chunked in requests
            if length:
                headers["Content-Length"] = str(length)
            return data
        data = None
    if not data and method not in _NO_LENGTH_WHEN_EMPTY:
        headers["Content-Length"] = "0"
        return None
    return data or None
