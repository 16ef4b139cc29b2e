"""A large object fetched as ranged GETs of its pieces, in parallel.

An SLO's pieces (whole segments, planned by
:func:`swiftsvc.ops.download.large.plan_pieces`) are fetched by the job's
own thread and by helpers on the segment pool, each piece verified and
written at its offset in the temporary file, each resumed on its own like
any body (:class:`~swiftsvc.ops.download.body.ResumableBody`). A piece that
is one whole segment is fetched from the segment itself
(:func:`~swiftsvc.ops.download.large.direct_segment`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent import futures
from concurrent.futures import Future
from typing import TYPE_CHECKING

from swiftsvc._pools import Cancelled, CancelScope, WorkerPool
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.http.response import Attempt, StreamedResponse
from swiftsvc.ops.download.body import (
    ByteWindow,
    DownloadInterrupted,
    GetRequest,
    ResumableBody,
    byte_window,
)
from swiftsvc.ops.download.large import Piece, Segment
from swiftsvc.ops.download.local import StreamVerifier
from swiftsvc.ops.download.part_files import TempTarget

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

log = logging.getLogger(__name__)

# a segment the token may not read directly, or not found by that name: the
# ranged GET of the object (which reads it as the proxy sees it) is asked instead
_FALL_BACK = frozenset({401, 403, 404})
# the manifest's conditions are not the segment's
_NOT_FOR_SEGMENTS = frozenset(
    {"range", "if-match", "if-none-match", "if-modified-since", "if-unmodified-since"}
)


class PieceFetcher:
    """One large object fetched as ranged GETs of its pieces, in parallel.

    The job's own thread takes pieces too, and helpers on the segment pool
    (started with ``try_submit``: never waiting for a busy pool; with no free
    worker the job's thread fetches every piece itself) take the rest from a
    shared list. Each piece is verified part by part against its MD5s while
    it streams, resumes on its own, and lands at its offset in the temporary
    file. Every ranged GET carries ``If-Match`` (the SLO's ETag), so all
    pieces come from the object the manifest describes; a piece fetched
    from its segment carries the segment's ETag from that manifest instead.
    An SLO's first piece is always a ranged GET of the object: its headers
    describe the object, and its ``If-Match`` holds the manifest to the SLO
    (``first_direct``: a DLO's first piece is a segment too).

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
        segments: Sequence[Segment | None] = (),
        first_direct: bool = False,
    ) -> None:
        self._request = request
        self._pieces = pieces
        self._segments = list(segments) or [None] * len(pieces)
        # an SLO's first piece is a range of the SLO: its headers describe it
        self._first_direct = first_direct
        # what each piece's resumes ask for: the object, or the piece's segment
        self._requests = [request] * len(pieces)
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
    def tries(self) -> int:
        """Tries of the piece that needed the most (its retries and resumes)."""
        return max((len(history) for history in self._attempts), default=0)

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
        try:
            if response is None:
                response = self._get(conn, number)
            body = ResumableBody(lambda: conn, self._requests[number], response,
                                 history=self._attempts[number], max_resumes=self._max_resumes)
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
        segment = self._segments[number] if number or self._first_direct else None
        if segment is not None:
            response = self._get_segment(conn, number, segment)
            if response is not None:
                return response
        piece = self._pieces[number]
        request = self._request
        headers = {k: v for k, v in request.headers.items() if k.lower() != "range"}
        headers["Range"] = piece.range_header
        if request.if_match:
            headers["If-Match"] = request.if_match
        response = self._ask(conn, number, request.container, request.obj, headers,
                             request.query)
        return self._covering(response, ByteWindow(piece.first, piece.last),
                              f"asked for {piece.range_header}, the answer covers other bytes")

    def _get_segment(
        self, conn: Connection, number: int, segment: Segment
    ) -> StreamedResponse | None:
        """GET the piece's segment itself; None: ask the object for the range instead."""
        request = self._request
        headers = {k: v for k, v in request.headers.items() if k.lower() not in _NOT_FOR_SEGMENTS}
        headers["If-Match"] = f'"{segment.etag}"'
        where = f"/{segment.container}/{segment.obj}"
        try:
            response = self._ask(conn, number, segment.container, segment.obj, headers, {})
        except ClientException as error:
            if error.http_status in _FALL_BACK:
                log.debug("segment %s not readable directly (%s): ranged GET of the object",
                          where, error.http_status)
                return None
            if error.http_status == 412:
                raise SwiftError(
                    f"{self._where}: segment {where} changed since the object's segments "
                    "were read (If-Match failed)",
                    request.container,
                    request.obj,
                    exc=error,
                ) from error
            raise
        response = self._covering(response, ByteWindow(0, segment.size - 1),
                                  f"segment {where} is not the {segment.size} bytes "
                                  "the manifest says")
        self._requests[number] = GetRequest(segment.container, segment.obj, {}, headers,
                                            if_match=headers["If-Match"])
        return response

    def _ask(
        self,
        conn: Connection,
        number: int,
        container: str,
        obj: str,
        headers: dict[str, str],
        query: Mapping[str, str],
    ) -> StreamedResponse:
        """One GET for piece ``number``; every try goes into the piece's history."""
        history = self._attempts[number]
        try:
            response = conn.get_object(container, obj, headers=headers, query=dict(query))
        except ClientException as error:
            history.extend(error.attempts)
            raise
        history.extend(response.attempts)
        return response

    def _covering(
        self, response: StreamedResponse, expected: ByteWindow, problem: str
    ) -> StreamedResponse:
        """``response`` if its body is exactly the ``expected`` bytes; else closed and refused."""
        if byte_window(response.status, response.headers) == expected:
            return response
        response.close()
        request = self._request
        raise DownloadInterrupted(
            f"{self._where}: {problem} ({response.status}, content-range "
            f"{response.headers.get('content-range')!r}, content-length "
            f"{response.headers.get('content-length')!r})",
            request.container,
            request.obj,
        )
