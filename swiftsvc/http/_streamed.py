"""A streamed answer (a download): headers now, the body as it arrives."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from types import TracebackType
from typing import Any

import urllib3.exceptions

from swiftsvc.errors import Cancelled, ClientException
from swiftsvc.http._causes import network_cause
from swiftsvc.http._inflight import InFlight
from swiftsvc.http.response import Attempt, response_dict

# a streamed body closed with at most this much unread is drained, not dropped
_DRAIN_LIMIT = 64 * 1024


class StreamedBody:
    """A download: headers now, body as it arrives. Close it (or use ``with``)."""

    status: int
    reason: str
    headers: Mapping[str, str]
    attempts: tuple[Attempt, ...]

    def __init__(self, answer: urllib3.BaseHTTPResponse, headers: Mapping[str, str],
                 attempts: tuple[Attempt, ...], what: str, in_flight: InFlight) -> None:
        self._answer = answer
        self._what = what
        self._in_flight = in_flight
        self.status = answer.status
        self.reason = answer.reason or ""
        self.headers = headers
        self.attempts = attempts

    @property
    def transaction_id(self) -> str | None:
        return self.headers.get("x-trans-id") or self.headers.get("x-openstack-request-id")

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]:
        """The body in pieces of at most ``size`` bytes, exactly as sent (no decoding).

        A connection that breaks or stalls mid-body raises ClientException
        (the caller may resume with a Range request).
        """
        try:
            yield from self._answer.stream(size, decode_content=False)
        except (urllib3.exceptions.HTTPError, OSError) as error:
            if self._in_flight.stopped:
                raise Cancelled(f"{self._what} cancelled while reading the body") from None
            raise ClientException(
                f"{self._what} failed while reading the body: {network_cause(error)}",
                http_status=self.status,
                http_reason=self.reason,
                http_response_headers=self.headers,
                transaction_id=self.transaction_id,
                attempts=self.attempts,
            ) from None

    def read(self) -> bytes:
        return b"".join(self.iter_chunks())

    def close(self) -> None:
        """Release the connection: drained for reuse when little is left, else closed."""
        raw = self._answer
        remaining = getattr(raw, "length_remaining", None)
        if isinstance(remaining, int) and remaining <= _DRAIN_LIMIT:
            # reading a few KiB costs less than a new TCP (and TLS) connection
            with contextlib.suppress(urllib3.exceptions.HTTPError, OSError):
                for _ in raw.stream(65536, decode_content=False):
                    pass
        close_answer(raw)

    def response_dict(self) -> dict[str, Any]:
        return response_dict(self.attempts)

    def __enter__(self) -> StreamedBody:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<StreamedResponse {self.status} {self.reason} txn={self.transaction_id}>"


def read_body(answer: urllib3.BaseHTTPResponse) -> bytes:
    """The whole body as sent (no content decoding, like downloads)."""
    return b"".join(answer.stream(65536, decode_content=False))


def close_answer(answer: urllib3.BaseHTTPResponse | None) -> None:
    """What ``requests.Response.close`` does: a body read to its end has given
    the connection back already; one left unread closes it."""
    if answer is not None:
        answer.close()
        answer.release_conn()
