"""The scripted faults: what may go wrong, which requests it applies to, how often.

A :class:`Fault` is a value the test keeps (to read ``hits`` or ``cancel()`` it);
the :class:`FaultBook` is the proxy's ordered list of them, from which each request
claims at most one.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

__all__ = ["Fault", "FaultBook", "FaultKind"]


class FaultKind(StrEnum):
    RESPOND = "respond"
    RESET_BEFORE_HEADERS = "reset_before_headers"
    RESET_AFTER_HEADERS = "reset_after_headers"
    TRUNCATE_BODY = "truncate_body"
    DELAY = "delay"
    DELAY_BODY = "delay_body"
    REWRITE_RESPONSE_HEADER = "rewrite_response_header"


@dataclass(eq=False)
class Fault:
    """A scripted fault, returned by the :class:`FaultProxy` scripting methods.

    ``remaining`` is how many more requests it applies to (None: forever), ``hits`` how
    many it has been applied to so far.
    """

    kind: FaultKind
    method: str | None
    path: re.Pattern[str] | None
    remaining: int | None
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    body: bytes = b""
    seconds: float = 0.0
    after_bytes: int = 0
    header_name: str = ""
    header_value: str | None = None
    hits: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def name(self) -> str:
        return self.kind.value

    @property
    def expired(self) -> bool:
        return self.remaining is not None and self.remaining <= 0

    def cancel(self) -> None:
        with self._lock:
            self.remaining = 0

    def claim(self, method: str, target: str) -> bool:
        """Whether it applies to this request; if so, count the request against it."""
        if self.method is not None and self.method.upper() != method.upper():
            return False
        if self.path is not None and self.path.search(target) is None:
            return False
        with self._lock:
            if self.expired:
                return False
            if self.remaining is not None:
                self.remaining -= 1
            self.hits += 1
            return True


class FaultBook:
    """The faults in the order they were added; the first that matches applies.

    Shared by the scripting test thread and every connection thread of the proxy.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []

    def add(
        self,
        kind: FaultKind,
        method: str | None,
        path: str | None,
        times: int | None,
        **params: Any,
    ) -> Fault:
        if times is not None and times < 1:
            raise ValueError("times must be >= 1 or None")
        fault = Fault(
            kind=kind,
            method=method,
            path=re.compile(path) if path is not None else None,
            remaining=times,
            **params,
        )
        with self._lock:
            self._faults = [known for known in self._faults if not known.expired]
            self._faults.append(fault)
        return fault

    def claim(self, method: str, target: str) -> Fault | None:
        """The fault that applies to this request (at most one), already counted."""
        with self._lock:
            candidates = list(self._faults)
        for fault in candidates:
            if fault.claim(method, target):
                return fault
        return None

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def active(self) -> list[Fault]:
        with self._lock:
            return [fault for fault in self._faults if not fault.expired]
