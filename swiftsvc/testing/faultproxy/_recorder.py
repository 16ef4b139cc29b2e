"""What the proxy saw: one record per request, with credentials redacted.

A request is recorded on arrival (so a test sees one that is still being delayed)
and completed once the proxy knows what it answered.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass

from swiftsvc._redact import REDACTED, SECRET_HEADERS

__all__ = ["RecordedRequest", "Recorder", "Slot"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the proxy received.

    ``path`` and ``query`` are the raw (still URL-encoded) parts of the request target.
    ``headers`` keeps the names as the client sent them (repeats joined with ", "), with
    credentials replaced by "<redacted>". ``status`` is the status line the proxy sent
    back (forwarded or scripted); None if it sent none (a reset before headers, a
    request still in flight or an upstream that could not be reached mid-body).
    ``upstream_cut`` is True when the upstream's response body ended before its own
    framing said it would (the upstream died or closed mid-body): the proxy then cut
    the client connection too, so the client saw a broken body, never a short one
    passed off as whole.
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int | None
    fault: str | None
    time: float
    upstream_cut: bool = False

    def header(self, name: str) -> str | None:
        """Case-insensitive header lookup."""
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return None


@dataclass
class Slot:
    """Mutable twin of :class:`RecordedRequest`, filled in as the request proceeds."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    time: float
    fault: str | None = None
    status: int | None = None
    upstream_cut: bool = False

    def freeze(self) -> RecordedRequest:
        return RecordedRequest(
            method=self.method,
            path=self.path,
            query=self.query,
            headers=dict(self.headers),
            status=self.status,
            fault=self.fault,
            time=self.time,
            upstream_cut=self.upstream_cut,
        )


def _is_secret(name: str) -> bool:
    lowered = name.lower()
    return lowered in SECRET_HEADERS or "password" in lowered or "temp-url-key" in lowered


def redacted_headers(items: Iterable[tuple[str, str]]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for name, value in items:
        shown = REDACTED if _is_secret(name) else value
        headers[name] = f"{headers[name]}, {shown}" if name in headers else shown
    return headers


def _matches(pattern: str | None, method: str | None, record: RecordedRequest) -> bool:
    if method is not None and record.method.upper() != method.upper():
        return False
    target = f"{record.path}?{record.query}" if record.query else record.path
    return pattern is None or re.search(pattern, target) is not None


class Recorder:
    """Every request since the last :meth:`clear`, shared by all connection threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._slots: list[Slot] = []

    def record(self, slot: Slot) -> None:
        with self._lock:
            self._slots.append(slot)

    def complete(self, slot: Slot, status: int) -> None:
        with self._lock:
            slot.status = status

    def mark_cut(self, slot: Slot) -> None:
        with self._lock:
            slot.upstream_cut = True

    def snapshot(self) -> list[RecordedRequest]:
        with self._lock:
            return [slot.freeze() for slot in self._slots]

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return sum(1 for record in self.snapshot() if _matches(path, method, record))

    def clear(self) -> None:
        with self._lock:
            self._slots.clear()
