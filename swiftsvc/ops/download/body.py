"""A GET's body that survives a dropped connection: resumed, not restarted.

When the connection drops in the middle of a body (a reset, or the server
closing early), the rest is asked for with ``Range: bytes=<received>-`` and
``If-Match: <the first answer's ETag>``, so the resumed bytes belong to the
same object; the caller's hash simply continues over them (one hash, every
byte read once). Each resume is one more entry in the request history and so
in the result's ``attempts``.

The ranged pieces of :mod:`swiftsvc.ops.download.pieces` resume the same way.

:func:`receive_body` streams such a body through its checks into its landing,
:func:`verified_contents` to the caller (``out_file='-'``).

:func:`byte_window` and :func:`resume_range` are pure.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from swiftsvc._pools import CancelScope
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.http.response import Attempt, StreamedResponse
from swiftsvc.ops.download.local import StreamVerifier
from swiftsvc.ops.download.part_files import TempTarget
from swiftsvc.results import DownloadObjectResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

log = logging.getLogger(__name__)

# big enough that per-chunk Python work (hash call, write, event) is noise
CHUNK_SIZE = 1 << 20

_CONTENT_RANGE = re.compile(r"^\s*bytes\s+(\d+)-(\d+)/(\d+|\*)\s*$", re.IGNORECASE)


class DownloadInterrupted(SwiftError):
    """The body could not be read to its end, resumes included."""


@dataclass(frozen=True, slots=True)
class ByteWindow:
    """Where an answer's body sits in the object: first byte, last byte (inclusive).

    ``last`` is None when the answer gave no length (chunked): a resume then
    asks for everything from the next byte on.
    """

    first: int
    last: int | None

    @property
    def length(self) -> int | None:
        return None if self.last is None else self.last - self.first + 1


def byte_window(status: int, headers: Mapping[str, str]) -> ByteWindow | None:
    """The window of a 200 or single-range 206 answer; None if it cannot be resumed.

    A multi-range answer (``multipart/byteranges``) is not resumable.
    """
    if status == 206:
        match = _CONTENT_RANGE.match(headers.get("content-range", ""))
        if match is None:
            return None
        return ByteWindow(int(match.group(1)), int(match.group(2)))
    if status != 200:
        return None
    length = headers.get("content-length")
    if length is not None and length.strip().isdigit():
        return ByteWindow(0, int(length) - 1)
    return ByteWindow(0, None)


def resume_range(window: ByteWindow, received: int) -> str:
    """The ``Range`` header asking for what is left after ``received`` bytes."""
    start = window.first + received
    return f"bytes={start}-" if window.last is None else f"bytes={start}-{window.last}"


@dataclass(frozen=True, slots=True)
class GetRequest:
    """What was asked, so that a resume asks the same (minus the range)."""

    container: str
    obj: str
    query: Mapping[str, str]
    headers: Mapping[str, str]
    # the ETag resumed parts must match; None where Swift cannot check it (DLO)
    if_match: str | None


class ResumableBody:
    """Iterates a streamed answer's body, resuming up to ``max_resumes`` times.

    ``history`` (the job's list of attempts) grows with every resume request;
    the interrupted try is recorded with what went wrong. ``connection``
    gives the connection to resume on, asked for only when needed and in the
    thread that reads (connections are per thread).
    """

    def __init__(
        self,
        connection: Callable[[], Connection],
        request: GetRequest,
        response: StreamedResponse,
        *,
        history: list[Attempt],
        max_resumes: int,
    ) -> None:
        self._connection = connection
        self._request = request
        self._response = response
        self._history = history
        self._max_resumes = max_resumes
        self._window = byte_window(response.status, response.headers)
        self.resumes = 0

    def close(self) -> None:
        self._response.close()

    def __iter__(self) -> Iterator[bytes]:
        received = 0
        skip = 0  # bytes to drop when a server ignored the Range and resent all
        try:
            while True:
                chunks = self._response.iter_chunks(CHUNK_SIZE)
                cause: BaseException | str | None = None
                while True:
                    # only the stream's own errors mean "resume"; the consumer's
                    # (a full disk) never reach this generator
                    try:
                        chunk = next(chunks)
                    except StopIteration:
                        break
                    except Exception as error:
                        cause = error
                        break
                    if skip:
                        dropped = min(skip, len(chunk))
                        chunk, skip = chunk[dropped:], skip - dropped
                        if not chunk:
                            continue
                    received += len(chunk)
                    yield chunk
                length = None if self._window is None else self._window.length
                if cause is None and (length is None or received >= length):
                    return
                if cause is None:
                    cause = f"body ended after {received} of {length} bytes"
                skip = self._resume(received, cause)
        finally:
            self._response.close()

    def _resume(self, received: int, cause: BaseException | str) -> int:
        """Ask for the rest; returns how many leading bytes of the answer to drop."""
        self._response.close()
        if self._history:
            self._history[-1] = dataclasses.replace(
                self._history[-1], error=f"body interrupted after {received} bytes: {cause}"
            )
        request = self._request
        where = f"{request.container}/{request.obj}"
        if self._window is None or self.resumes >= self._max_resumes:
            raise DownloadInterrupted(
                f"download of {where} interrupted after {received} bytes"
                f" ({self.resumes} resumes): {cause}",
                request.container,
                request.obj,
                exc=cause if isinstance(cause, BaseException) else None,
            )
        self.resumes += 1
        log.debug("resuming %s at byte %d after: %s", where, received, cause)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "range"}
        headers["Range"] = resume_range(self._window, received)
        if request.if_match:
            headers["If-Match"] = request.if_match
        try:
            response = self._connection().get_object(
                request.container, request.obj, headers=headers, query=request.query
            )
        except ClientException as error:
            self._history.extend(error.attempts)
            if error.http_status == 412:
                raise SwiftError(
                    f"{where} changed during the download (If-Match failed on resume)",
                    request.container,
                    request.obj,
                    exc=error,
                ) from error
            raise
        self._history.extend(response.attempts)
        self._response = response
        if response.status == 200 and self._window.first == 0:
            return received  # the Range was ignored: the whole object again
        window = byte_window(response.status, response.headers)
        if window is None or window.first != self._window.first + received:
            raise DownloadInterrupted(
                f"download of {where}: resumed answer covers the wrong bytes "
                f"({response.headers.get('content-range')!r})",
                request.container,
                request.obj,
            )
        return 0


def receive_body(
    body: ResumableBody,
    verifier: StreamVerifier,
    landing: TempTarget | None,
    *,
    kept: int,
    scope: CancelScope,
    progress: Callable[[int], None] | None,
    mtime: float | None,
) -> None:
    """Stream ``body`` through ``verifier`` into ``landing`` (if any), then commit it.

    ``kept``: bytes already in the landing (a resumed plain object), read back
    first so that they go through the whole object's check. The body is
    closed and an uncommitted landing removed, whatever happens.
    """
    try:
        if landing is not None and kept:
            for data in landing.read_range(0, kept):
                verifier.update(data)
        for chunk in body:
            scope.check()
            verifier.update(chunk)
            if landing is not None:
                landing.write(chunk)
            if progress is not None:
                progress(len(chunk))
        verifier.finish()
        if landing is not None:
            landing.commit(mtime=mtime)
    finally:
        body.close()
        if landing is not None:
            landing.discard()  # after a commit there is nothing left to remove


def verified_contents(
    body: ResumableBody,
    verifier: StreamVerifier,
    *,
    progress: Callable[[int], None] | None,
    result: DownloadObjectResult | None,
) -> Iterator[bytes]:
    """``out_file='-'``: the verified bytes, for the caller to consume.

    A mismatch raises at the end, as python-swiftclient's reader does; the
    bytes already handed out cannot be taken back. ``result``'s
    ``read_length`` grows as the bytes are read.
    """
    try:
        for chunk in body:
            verifier.update(chunk)
            if progress is not None:
                progress(len(chunk))
            if result is not None:
                result["read_length"] = verifier.read_length
            yield chunk
        verifier.finish()
    finally:
        body.close()
        if result is not None:
            result["read_length"] = verifier.read_length
            result["finish_time"] = time.time()
