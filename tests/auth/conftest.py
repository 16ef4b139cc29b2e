"""Helpers for the auth tests: authenticators built the way a Service builds them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from swiftsvc.auth import Authenticator, build_authenticator
from swiftsvc.options import Options

MakeAuthenticator = Callable[..., Authenticator]


@pytest.fixture
def make_authenticator() -> Iterator[MakeAuthenticator]:
    """``make_authenticator(options, environ=None)`` with tiny backoffs; closed after."""
    made: list[Authenticator] = []

    def make(options: dict[str, Any], environ: dict[str, str] | None = None) -> Authenticator:
        merged = {"starting_backoff": 0.01, "max_backoff": 0.05, **options}
        authenticator = build_authenticator(Options.from_service(merged, environ or {}))
        made.append(authenticator)
        return authenticator

    yield make
    for authenticator in made:
        authenticator.close()

