"""``Service.capabilities``: the cluster's ``/info``, fetched once per Service and URL.

Operations consult it often (SLO or DLO, bulk delete limits, listing
limits), so one :class:`CapabilitiesCache` per Service keeps the answers;
``refresh_cache=True`` fetches again.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.results import Action, Result, success

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

log = logging.getLogger(__name__)


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
        self._results: dict[str | None, Result] = {}
        # one fetch at a time: concurrent first calls would all GET /info
        self._lock = threading.Lock()

    def result(self, url: str | None = None, *, refresh: bool = False) -> Result:
        """The ``capabilities`` result; raises :class:`SwiftError` when /info fails."""
        with self._lock:
            cached = self._results.get(url)
            if cached is not None and not refresh:
                return cached
            timestamp = time.time()
            try:
                response = self._connection().info(url)
                info = parse_info(response.body)
            except ClientException as error:
                raise SwiftError(f"Capabilities GET failed: {error}", exc=error) from error
            except ValueError as error:
                raise SwiftError(f"Capabilities GET failed: {error}", exc=error) from error
            fields: dict[str, Any] = {"timestamp": timestamp, "capabilities": info}
            if url is not None:
                fields["url"] = url
            result = success(Action.CAPABILITIES, response=response, **fields)
            self._results[url] = result
            return result

    def info(self) -> Mapping[str, Any]:
        """The cluster's capabilities for operations; empty when /info is unavailable.

        An operation then behaves as on a cluster without optional features
        (no SLO, no bulk delete); a later call tries again.
        """
        try:
            capabilities: Mapping[str, Any] = self.result()["capabilities"]
        except SwiftError as error:
            log.warning("cluster capabilities unavailable, assuming none: %s", error)
            return {}
        return capabilities
