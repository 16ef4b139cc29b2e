"""Progress events: typed, thread-safe, and free when nobody listens.

A subscriber is any callable taking one :class:`Event`; give it to the
Service (``Service(options, progress=fn)``) or to one call
(``svc.upload(..., progress=fn)``). Events arrive from worker threads, so a
subscriber must be quick and thread-safe (the CLI's progress bar only adds
numbers under a lock). With no subscriber, :data:`SILENT` is used and the
byte-counting callbacks are None, so transfers pay nothing.
"""

from __future__ import annotations

import enum
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from swiftsvc.results import is_failure

log = logging.getLogger(__name__)


class EventKind(enum.StrEnum):
    QUEUED = "queued"  # an item of work was planned (size when known)
    BYTES = "bytes"  # bytes of an object or segment went over the wire
    DONE = "done"  # a sub-operation ended with a successful result
    FAILED = "failed"  # a sub-operation ended with a failed result
    # a queued item turned out to need no transfer (skip_identical, skip_changed);
    # nbytes: the size it was queued with, no longer to be expected
    SKIPPED = "skipped"
    # the call has planned all its work (the directory walk or the listing is
    # over): every item it will do has been QUEUED, so the totals are final.
    # Not sent when the call is cancelled first. action: "" (the whole call)
    PLANNED = "planned"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    action: str  # the result action this belongs to ("upload_object", ...)
    container: str | None = None
    obj: str | None = None
    nbytes: int = 0  # BYTES: bytes just moved; QUEUED: expected size (0 if unknown)
    segment: int | None = None
    time: float = field(default_factory=time.monotonic)


Subscriber = Callable[[Event], None]


class EventSink:
    """Fans events out to subscribers; a subscriber that raises is logged, not fatal."""

    __slots__ = ("_subscribers",)

    def __init__(self, subscribers: Sequence[Subscriber] = ()) -> None:
        self._subscribers = tuple(subscribers)

    @property
    def active(self) -> bool:
        return bool(self._subscribers)

    def with_subscriber(self, subscriber: Subscriber | None) -> EventSink:
        if subscriber is None:
            return self
        return EventSink((*self._subscribers, subscriber))

    def publish(self, event: Event) -> None:
        for subscriber in self._subscribers:
            try:
                subscriber(event)
            except Exception:  # a broken progress bar must not fail a transfer
                log.exception("progress subscriber %r failed", subscriber)

    def queued(self, action: str, container: str | None, obj: str | None, size: int = 0) -> None:
        if self._subscribers:
            self.publish(Event(EventKind.QUEUED, action, container, obj, size))

    def skipped(self, action: str, container: str | None, obj: str | None, size: int) -> None:
        if self._subscribers:
            self.publish(Event(EventKind.SKIPPED, action, container, obj, size))

    def planned(self) -> None:
        """PLANNED: no more QUEUED events will come from this call."""
        if self._subscribers:
            self.publish(Event(EventKind.PLANNED, ""))

    def result(self, result: Mapping[str, object]) -> None:
        """DONE or FAILED for a finished result (called by the result stream)."""
        if self._subscribers:
            kind = EventKind.FAILED if is_failure(result) else EventKind.DONE
            container = result.get("container")
            obj = result.get("object")
            self.publish(
                Event(
                    kind,
                    str(result.get("action")),
                    container if isinstance(container, str) else None,
                    obj if isinstance(obj, str) else None,
                )
            )

    def byte_counter(
        self, action: str, container: str | None, obj: str | None, segment: int | None = None
    ) -> Callable[[int], None] | None:
        """An ``on_progress`` callback for a transfer, or None when nobody listens."""
        if not self._subscribers:
            return None

        def moved(nbytes: int) -> None:
            self.publish(Event(EventKind.BYTES, action, container, obj, nbytes, segment))

        return moved


SILENT = EventSink()
