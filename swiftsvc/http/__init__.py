"""HTTP to Swift: connections, the retry policy, TLS/timeout settings, responses."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from swiftsvc.http.connection import Connection
from swiftsvc.http.response import Attempt, Response, StreamedResponse, response_dict
from swiftsvc.http.retry import RetryPolicy, parse_retry_after
from swiftsvc.http.transport import Transport
from swiftsvc.http.urls import endpoint_path, info_url
from swiftsvc.options import Options

if TYPE_CHECKING:
    from swiftsvc.auth.base import Authenticator

__all__ = [
    "Attempt",
    "Connection",
    "Response",
    "RetryPolicy",
    "StreamedResponse",
    "Transport",
    "connection_factory",
    "endpoint_path",
    "info_url",
    "parse_retry_after",
    "response_dict",
]


def connection_factory(options: Options, authenticator: Authenticator) -> Callable[[], Connection]:
    """What each worker pool calls (once per thread) to make its connection.

    Every connection shares ``authenticator`` (one token per Service) and the
    same TLS, timeout and retry settings, read from ``options`` once.
    """
    transport = Transport.from_options(options)
    retry = RetryPolicy.from_options(options)
    force_auth_retry = options.force_auth_retry

    def make_connection() -> Connection:
        return Connection(
            authenticator, transport=transport, retry=retry, force_auth_retry=force_auth_retry
        )

    return make_connection
