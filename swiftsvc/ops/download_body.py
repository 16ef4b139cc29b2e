"""A GET's body that survives a dropped connection: resumed, not restarted.

When the connection drops in the middle of a body (a reset, or the server
closing early), the rest is asked for with ``Range: bytes=<received>-`` and
``If-Match: <the first answer's ETag>``, so the resumed bytes belong to the
same object; the caller's hash simply continues over them (one hash, every
byte read once). Each resume is one more entry in the request history and so
in the result's ``attempts``.

:class:`PieceFetcher` fetches a large object as ranged GETs of its pieces
in parallel, each resumed the same way.

:func:`byte_window` and :func:`resume_range` are pure.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent import futures
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING

from swiftsvc._download_io import StreamVerifier, TempTarget
from swiftsvc._pools import Cancelled, CancelScope, WorkerPool
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.http.response import Attempt, StreamedResponse
from swiftsvc.ops.download_large import Piece

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


# ------------------------------------------------------ pieces in parallel


class PieceFetcher:
    """One large object fetched as ranged GETs of its pieces, in parallel.

    The job's own thread takes pieces too, and helpers on the segment pool
    (started with ``try_submit``: never waiting for a busy pool; with no free
    worker the job's thread fetches every piece itself) take the rest from a
    shared list. Each piece is verified part by part against its MD5s while
    it streams, resumes on its own, and lands at its offset in the temporary
    file. Every ranged GET carries ``If-Match`` (the SLO's ETag), so all
    pieces come from the object the manifest describes.

    The first failure cancels the other pieces; :meth:`run` waits for every
    helper before it returns or raises, so nothing writes to the file after.
    """

    def __init__(
        self,
        request: GetRequest,
        pieces: Sequence[Piece],
        *,
        scope: CancelScope,
        max_resumes: int,
        where: str,
    ) -> None:
        self._request = request
        self._pieces = pieces
        self._call_scope = scope
        # cancelled by the first failure (or with the call): the others stop
        self._scope = scope.child()
        self._max_resumes = max_resumes
        self._where = where
        self._lock = threading.Lock()
        self._next = 0
        self._attempts: list[list[Attempt]] = [[] for _ in pieces]
        self._read: list[int] = [0] * len(pieces)
        self._errors: list[BaseException | None] = [None] * len(pieces)
        self._done: list[bool] = [False] * len(pieces)
        self._first: StreamedResponse | None = None

    @property
    def attempts(self) -> list[Attempt]:
        """Every request, in piece order (not the order they were sent)."""
        return [attempt for piece in self._attempts for attempt in piece]

    @property
    def read_length(self) -> int:
        return sum(self._read)

    def first_response(self, conn: Connection) -> StreamedResponse:
        """GET the first piece (its headers describe the object); its body is read by run()."""
        self._next = 1
        self._first = self._get(conn, 0)
        return self._first

    def run(
        self,
        conn: Connection,
        pool: WorkerPool[Connection],
        *,
        landing: TempTarget | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        """Fetch every piece (after :meth:`first_response`); raise the first failure."""
        helpers: list[Future[None]] = []
        try:
            for _ in range(min(pool.size, len(self._pieces) - 1)):
                helper = pool.try_submit(self._scope, self._help, landing, progress)
                if helper is None:
                    break
                helpers.append(helper)
            first, self._first = self._first, None
            self._fetch(conn, 0, first, landing, progress)
            self._help(conn, landing, progress)
        except BaseException:
            self._scope.cancel()
            raise
        finally:
            # no helper may still write to the file once this returns
            futures.wait(helpers)
            self.close()
        self._call_scope.check()
        errors = [error for error in self._errors if error is not None]
        # the other pieces stopped (Cancelled) because of the first real failure
        real = [error for error in errors if not isinstance(error, Cancelled)]
        if real or errors:
            raise (real or errors)[0]
        if not all(self._done):
            raise DownloadInterrupted(
                f"{self._where}: pieces left unread", self._request.container, self._request.obj
            )

    def close(self) -> None:
        """Close the first piece's answer if run() never read it."""
        if self._first is not None:
            self._first.close()
            self._first = None

    def _take(self) -> int | None:
        with self._lock:
            if self._next >= len(self._pieces) or self._scope.cancelled:
                return None
            self._next += 1
            return self._next - 1

    def _help(
        self,
        conn: Connection,
        landing: TempTarget | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        while (number := self._take()) is not None:
            self._fetch(conn, number, None, landing, progress)

    def _fetch(
        self,
        conn: Connection,
        number: int,
        response: StreamedResponse | None,
        landing: TempTarget | None,
        progress: Callable[[int], None] | None,
    ) -> None:
        """One piece, start to end; its failure is recorded, and stops the others."""
        piece = self._pieces[number]
        request = self._request
        try:
            if response is None:
                response = self._get(conn, number)
            body = ResumableBody(lambda: conn, request, response, history=self._attempts[number],
                                 max_resumes=self._max_resumes)
            verifier = StreamVerifier(piece.parts, where=self._where, first_index=piece.index)
            offset = piece.first
            try:
                for chunk in body:
                    self._scope.check()
                    verifier.update(chunk)
                    if landing is not None:
                        landing.write_at(chunk, offset)
                    offset += len(chunk)
                    if progress is not None:
                        progress(len(chunk))
                verifier.finish()
            finally:
                self._read[number] = verifier.read_length
                body.close()
            self._done[number] = True
        except BaseException as error:
            self._errors[number] = error
            self._scope.cancel()
            if not isinstance(error, Exception):
                raise

    def _get(self, conn: Connection, number: int) -> StreamedResponse:
        piece = self._pieces[number]
        request = self._request
        headers = {k: v for k, v in request.headers.items() if k.lower() != "range"}
        headers["Range"] = piece.range_header
        if request.if_match:
            headers["If-Match"] = request.if_match
        history = self._attempts[number]
        try:
            response = conn.get_object(request.container, request.obj, headers=headers,
                                       query=dict(request.query))
        except ClientException as error:
            history.extend(error.attempts)
            raise
        history.extend(response.attempts)
        window = byte_window(response.status, response.headers)
        if window != ByteWindow(piece.first, piece.last):
            response.close()
            raise DownloadInterrupted(
                f"{self._where}: asked for {piece.range_header}, the answer covers other "
                f"bytes ({response.status}, {response.headers.get('content-range')!r})",
                request.container,
                request.obj,
            )
        return response
