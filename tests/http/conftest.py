"""Helpers for the connection tests: connections built the way a Service builds them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from swiftsvc.auth import Authenticator, build_authenticator
from swiftsvc.http import Connection, connection_factory
from swiftsvc.options import Options

Connect = Callable[..., Connection]


@pytest.fixture
def connect() -> Iterator[Connect]:
    """``connect(options, **overrides)``: a connection with tiny backoffs, closed after."""
    made: list[tuple[Connection, Authenticator]] = []

    def make(options: dict[str, Any], **overrides: Any) -> Connection:
        merged = {"starting_backoff": 0.01, "max_backoff": 0.05, **options, **overrides}
        opts = Options.from_service(merged, {})
        authenticator = build_authenticator(opts)
        conn = connection_factory(opts, authenticator)()
        made.append((conn, authenticator))
        return conn

    yield make
    for conn, authenticator in made:
        conn.close()
        authenticator.close()
