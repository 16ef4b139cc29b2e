"""Values describing what the server answered: one :class:`Attempt` per try.

A request's history is data (urllib3's ``Retry.history`` idea): results build
``attempts`` and python-swiftclient's ``response_dict`` from it, and errors
carry it, so nobody fills dicts passed in by reference.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from swiftsvc._redact import SecretSafeHeaders


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try of a request. ``status`` is None when no response arrived."""

    method: str
    path: str  # quoted path and query, without scheme and host
    status: int | None
    reason: str
    headers: Mapping[str, str]  # lower-cased names
    transaction_id: str | None = None
    error: str | None = None  # what went wrong without a status (reset, timeout)
    elapsed: float = 0.0

    def response_dict(self) -> dict[str, Any]:
        # a temp-URL key answered to a HEAD is the caller's data, not the log's
        return {"status": self.status, "reason": self.reason,
                "headers": SecretSafeHeaders(self.headers)}


def response_dict(attempts: Sequence[Attempt]) -> dict[str, Any]:
    """python-swiftclient's ``response_dict``: the last answer plus every answer.

    ``{"status", "reason", "headers", "response_dicts": [...]}``; empty when
    nothing was sent.
    """
    if not attempts:
        return {}
    result = attempts[-1].response_dict()
    result["response_dicts"] = [a.response_dict() for a in attempts]
    return result


@dataclass(frozen=True, slots=True)
class Response:
    """A finished (non-streamed) answer, after any retries."""

    status: int
    reason: str
    headers: Mapping[str, str]  # lower-cased names
    body: bytes = b""
    attempts: tuple[Attempt, ...] = field(default=())

    @property
    def transaction_id(self) -> str | None:
        return self.headers.get("x-trans-id") or self.headers.get("x-openstack-request-id")

    def response_dict(self) -> dict[str, Any]:
        return response_dict(self.attempts)


class StreamedResponse(Protocol):
    """An answer whose body is read as it arrives (downloads)."""

    status: int
    reason: str
    headers: Mapping[str, str]
    attempts: tuple[Attempt, ...]

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]: ...

    def close(self) -> None: ...

    def response_dict(self) -> dict[str, Any]: ...
