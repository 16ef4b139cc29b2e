"""``Service.capabilities``: the cluster's ``/info``, fetched once per Service and URL.

Operations consult it often (SLO or DLO, bulk delete limits, listing
limits), so one :class:`CapabilitiesCache` per Service keeps the answers;
``refresh_cache=True`` fetches again. A URL given is turned into the
cluster's ``/info`` as python-swiftclient does it (:func:`capabilities_url`).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from swiftsvc import results
from swiftsvc.errors import AuthError, ClientException, SwiftError
from swiftsvc.results import CapabilitiesResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

log = logging.getLogger(__name__)

_VERSION_PATH = re.compile(r"/v\d+\.?\d*(/.*)?")


def capabilities_url(url: str) -> str:
    """Where python-swiftclient looks for ``/info`` given ``url``.

    A path with a version (``/v1/AUTH_x``) has it and what follows replaced
    by ``/info``; a path holding ``/info`` is used as it is; any other gets
    ``/info`` appended. The query is not sent.
    """
    parts = urlsplit(url)
    path = parts.path
    if _VERSION_PATH.search(path):
        path = _VERSION_PATH.sub("/info", path)
    elif "/info" not in path:
        path += "info" if path.endswith("/") else "/info"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def parse_info(body: bytes) -> dict[str, Any]:
    """The JSON body of ``/info`` as a dict; anything else raises ValueError."""
    data = json.loads(body.decode("utf-8") or "{}")
    if not isinstance(data, dict):
        raise ValueError("the /info answer is not a JSON object")
    return data


class CapabilitiesCache:
    """``/info`` results by URL (None: the cluster of the storage URL); thread-safe."""

    def __init__(self, connection: Callable[[], Connection]) -> None:
        self._connection = connection
        self._results: dict[str | None, CapabilitiesResult] = {}
        # one fetch at a time: concurrent first calls would all GET /info
        self._lock = threading.Lock()

    def result(self, url: str | None = None, *, refresh: bool = False) -> CapabilitiesResult:
        """The ``capabilities`` result.

        A failed request raises its :class:`ClientException` (python-swiftclient's
        ``Capabilities GET failed``); an answer that is not a JSON object
        raises :class:`SwiftError`.
        """
        with self._lock:
            cached = self._results.get(url)
            if cached is not None and not refresh:
                return cached
            timestamp = time.time()
            conn = self._connection()
            try:
                response = conn.request("GET", url=capabilities_url(url or conn.storage_url))
            except AuthError:
                raise
            except ClientException as error:
                raise _capabilities_error(error) from None
            try:
                info = parse_info(response.body)
            except ValueError as error:
                raise SwiftError(f"Capabilities GET failed: {error}", exc=error) from error
            result = results.capabilities(timestamp=timestamp, info=info, url=url)
            self._results[url] = result
            return result

    def info(self) -> Mapping[str, Any]:
        """The cluster's capabilities for operations; empty when /info is unavailable.

        An operation then behaves as on a cluster without optional features
        (no SLO, no bulk delete); a later call tries again. When
        authentication failed, the call's own requests will say so: no
        warning here on top.
        """
        try:
            capabilities: Mapping[str, Any] = self.result()["capabilities"]
        except (ClientException, SwiftError) as error:
            auth_failed = isinstance(error, AuthError) or getattr(error, "http_status", 0) == 401
            log.log(logging.DEBUG if auth_failed else logging.WARNING,
                    "cluster capabilities unavailable, assuming none: %s", error)
            return {}
        return capabilities


def _capabilities_error(error: ClientException) -> ClientException:
    """``error`` worded as python-swiftclient's (``Capabilities GET failed``)."""
    # the connection's words for a request to a URL, with its notes (tries, ...)
    message = error.msg.replace("Request GET failed", "Capabilities GET failed", 1)
    return ClientException(
        message,
        http_scheme=error.http_scheme,
        http_host=error.http_host,
        http_port=error.http_port,
        http_path=error.http_path,
        http_query=error.http_query,
        http_status=error.http_status,
        http_reason=error.http_reason,
        http_response_content=error.http_response_content,
        http_response_headers=error.http_response_headers,
        transaction_id=error.transaction_id,
        attempts=error.attempts,
    )
