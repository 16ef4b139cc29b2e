"""The download job: one object fetched, verified and landed.

Planned by :mod:`swiftsvc.ops.download.planner`.

:func:`download_object` runs on an object_dd worker with that worker's
connection and returns exactly one ``download_object`` result. The job
decides; its helpers act: :mod:`.resume` (a killed run's part file),
:mod:`.body` (the bytes' way), :mod:`.record` (what the result tells).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from swiftsvc._pools import Cancelled, CancelScope, WorkerPool
from swiftsvc.errors import ClientException
from swiftsvc.events import EventSink
from swiftsvc.http.response import StreamedResponse
from swiftsvc.ops.download.body import (
    GetRequest,
    ResumableBody,
    receive_body,
    verified_contents,
)
from swiftsvc.ops.download.large import (
    Piece,
    Segment,
    check_listing_etag,
    direct_segment,
    is_slo,
    large_object,
    plan_pieces,
)
from swiftsvc.ops.download.local import (
    Part,
    StreamVerifier,
    VerificationError,
    contained_path,
    is_dir_marker,
    lengths_only,
    local_parts_match,
    local_place,
    md5_up_front,
    parse_mtime,
    plain_parts,
    same_plain_object,
    strip_etag,
)
from swiftsvc.ops.download.part_files import TempTarget
from swiftsvc.ops.download.partial import (
    Identity,
    StaleSweep,
    plain_size,
    remaining_pieces,
    verified_prefix,
)
from swiftsvc.ops.download.pieces import PieceFetcher
from swiftsvc.ops.download.record import Record
from swiftsvc.ops.download.resume import Resume
from swiftsvc.options import Options
from swiftsvc.results import Action, DownloadObjectResult, Status, error_attempts

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

ACTION = Action.DOWNLOAD_OBJECT
STDOUT = "-"
# an SLO is fetched in parallel pieces of at least this size: below it one
# more request costs more than the parallelism gains
PIECE_MIN = 8 << 20


@dataclass(frozen=True, slots=True)
class Item:
    """One object to download."""

    container: str
    obj: str
    version_id: str | None = None
    # older versions of a versioned listing land beside the current one
    suffix: str = ""
    queued_size: int = 0  # the size announced in its QUEUED event (from the listing)


@dataclass(frozen=True, slots=True)
class Settings:
    """What every job of one call shares."""

    options: Options
    account_wide: bool
    events: EventSink
    scope: CancelScope
    # the calling thread's connection: out_file='-' contents are read (and
    # resumed) there, after the job has returned
    consumer_connection: Callable[[], Connection]
    # the segment pool, where pieces of an SLO are fetched in parallel (the
    # object job waits on them); None: every object in one GET
    segments: WorkerPool[Connection] | None = None
    # part files left by killed runs, removed once per folder
    stale: StaleSweep = field(default_factory=StaleSweep)


def download_object(conn: Connection, item: Item, settings: Settings) -> DownloadObjectResult:
    """Download one object; one ``download_object`` result, success or failure.

    A local file found identical (``skip_identical``) is a failed result with
    a 304 :class:`ClientException` and ``status`` ``skipped-identical``, as
    python-swiftclient reports it (the ``swift`` command prints "Skipped
    identical file" for it).
    """
    download = _Download(conn, item, settings)
    try:
        try:
            return download.run()
        except VerificationError:
            if not download.resume.resumed_from:
                raise
            # the kept bytes were not what the file's size claimed (a torn
            # write): once more, from byte 0
            download.start_over()
            return download.run()
    except Cancelled:
        raise
    except Exception as error:
        return download.failed(error)
    finally:
        download.release()


class _Download:
    """One object's download: the steps, noting in :attr:`record` what its result reports."""

    def __init__(self, conn: Connection, item: Item, settings: Settings) -> None:
        self.conn = conn
        self.item = item
        self.settings = settings
        self.options = settings.options
        self.record = Record(item.container, item.obj)
        self.not_modified: ClientException | None = None  # the 304 of a skip
        self.where = f"{item.container}/{item.obj}"
        # out_file '-': the result whose read_length grows as contents are read
        self.streamed: DownloadObjectResult | None = None
        self.resume = Resume(item.container, item.obj, item.version_id)

    def start_over(self) -> None:
        """After a resumed download failed its check: forget the kept bytes."""
        self.record.read_length = 0
        self.resume.start_over()

    def release(self) -> None:
        """Remove the part file unless committed (an error, a skip, a cancel)."""
        self.resume.release()

    # -- the steps ------------------------------------------------------

    def run(self) -> DownloadObjectResult:
        options = self.options
        to_stdout = options.out_file == STDOUT
        target = self._local_target()
        headers = dict(options.header)
        ranged = any(name.lower() == "range" for name in headers)
        query = {"version-id": self.item.version_id} if self.item.version_id else {}
        # a plain object ignores the query: its answer is the download itself
        first_query = query if ranged else {**query, "multipart-manifest": "get"}
        compare = target if options.skip_identical and not to_stdout and not ranged else None
        landed = (target is not None and not to_stdout and not options.no_download
                  and not ranged and not self.record.pseudodir)
        if landed:
            assert target is not None
            self.resume.claim(target, self.settings.stale)
        resume = self.resume.plain_headers(checksum=options.checksum)
        local = None if resume else md5_up_front(compare)
        self.conn.storage_url  # noqa: B018 - authenticates now (cached after the first)
        self.record.auth_end_time = time.time()
        response = self._first_get(first_query, headers, local, resume)
        if response is None:  # 304 on a plain object: the local file is identical
            return self._skipped()
        large = None if ranged else large_object(self.conn, response, self.record.history,
                                                 where=self.where)
        identity: Identity | None = None
        if large is not None:
            if compare and local_parts_match(compare, large.parts):
                return self._skipped(large=True)
            checked = large.parts if options.checksum else lengths_only(large.parts)
            # the whole object must be the one the manifest describes
            slo_object = is_slo(response.headers)
            slo = {"If-Match": f'"{large.etag}"'} if large.etag and slo_object else {}
            identity = self.resume.identity("slo" if slo_object else "dlo", large.etag or "",
                                            sum(part.size for part in large.parts))
            done = self.resume.verified_parts(identity, large.parts, landed=landed)
            pool = self.settings.segments
            # an SLO's pieces are held to its manifest (If-Match its ETag); a
            # DLO is whatever its listing says, so it is split only into its
            # segments, each held to its listed ETag (a range of a DLO of many
            # listing pages may come back whole)
            split = not to_stdout and (bool(slo) or not slo_object)
            if split and pool is not None and any(done):
                pieces = remaining_pieces(checked, done, workers=pool.size, min_size=PIECE_MIN)
            else:
                pieces = self._pieces(checked) if split else []
            segments = [direct_segment(large.parts[p.index:p.index + len(p.parts)])
                        for p in pieces]
            if not slo and not all(segments):
                pieces = []
            if any(done) and all(done):
                # every part was on disk already
                self.resume.land_kept(target, identity, mtime=self._mtime(response))
                return self._result()
            if pieces:
                if any(done):
                    kept = sum(p.size for p, ok in zip(large.parts, done, strict=True) if ok)
                    self.resume.keep(kept, cut=identity.size)
                request = GetRequest(self.item.container, self.item.obj, query, headers,
                                     if_match=slo.get("If-Match"))
                # a DLO's manifest answer describes it; an SLO's first piece does
                self._receive_pieces(request, pieces, segments, target, identity,
                                     described=None if slo else response)
                return self._result()
            offset, count = verified_prefix(large.parts, done)
            if offset:
                self.resume.keep(offset, cut=offset)
            ranged_rest = {"Range": f"bytes={offset}-"} if offset else {}
            response = self._get(query, {**headers, **slo, **ranged_rest}, probe=False)
            assert response is not None
            check_listing_etag(response, large, where=self.where, container=self.item.container,
                               obj=self.item.obj)
            parts: list[Part] | None = checked[count:]
        elif self.resume.resumed_from:
            partial = self.resume.partial
            assert partial is not None and partial.found is not None
            identity = partial.found
            # the whole object's MD5: the kept prefix is read back into it
            md5 = strip_etag(identity.etag) if options.checksum else None
            parts = [Part(identity.size, md5 or None, "")]
        else:
            if compare and local is None and same_plain_object(response.headers, compare):
                response.close()  # a big identical file: read locally once, never fetched
                return self._skipped()
            parts = plain_parts(response.status, response.headers, checksum=options.checksum)
            size = plain_size(response.headers)
            if response.status == 200 and size is not None:
                identity = self.resume.identity("plain", response.headers.get("etag", ""), size)
        request = GetRequest(self.item.container, self.item.obj, query, headers,
                             if_match=response.headers.get("etag"))
        conn = self.conn
        body = ResumableBody(
            self.settings.consumer_connection if to_stdout else (lambda: conn),
            request, response, history=self.record.history, max_resumes=options.retries,
        )
        verifier = StreamVerifier(parts, where=f"Error downloading {self.where}")
        if to_stdout and not options.no_download:
            self.streamed = self._result(contents=self._contents(body, verifier))
            return self.streamed
        self._receive(body, verifier, target, response, identity,
                      as_dir=self._as_dir(target, response))
        return self._result()

    def _first_get(
        self,
        query: Mapping[str, str],
        headers: Mapping[str, str],
        local: str | None,
        resume: Mapping[str, str],
    ) -> StreamedResponse | None:
        """The first GET; asking only for the rest when resuming a plain object."""
        if resume:
            try:
                response = self._get(query, {**headers, **resume}, probe=False)
            except ClientException as error:
                if error.http_status not in (412, 416):
                    raise
                response = None  # changed since the killed run: start over
            if response is not None and self.resume.resumes(response):
                return response
            if response is not None:
                response.close()
            self.resume.give_up()
        return self._get(query, {**headers, "If-None-Match": local} if local else headers)

    def _mtime(self, response: StreamedResponse) -> float | None:
        """The mtime to give the landed file (``X-Object-Meta-Mtime``)."""
        if self.options.ignore_mtime:
            return None
        return parse_mtime(response.headers.get("x-object-meta-mtime"))

    def _as_dir(self, target: str | None, response: StreamedResponse) -> bool:
        """Names ending in "/" and directory-marker objects become folders."""
        return target is not None and not self.options.out_file and (
            self.record.pseudodir or is_dir_marker(response.headers.get("content-type"))
        )

    def _pieces(self, parts: list[Part]) -> list[Piece]:
        pool = self.settings.segments
        if pool is None:
            return []
        return plan_pieces(parts, workers=pool.size, min_size=PIECE_MIN)

    def _local_target(self) -> str | None:
        """Where the object goes (None: nowhere, i.e. stdout); refuses unsafe names.

        The result's ``path`` is the object's own local path, also when
        ``out_file`` names another (python-swiftclient's ``path``).
        """
        options, item = self.options, self.item
        place = local_place(item.container, item.obj, suffix=item.suffix,
                            account_wide=self.settings.account_wide, options=options)
        self.record.path, self.record.pseudodir = place.path, place.pseudodir
        if place.relative is None:
            return None if options.out_file == STDOUT else options.out_file
        return contained_path(options.out_directory or ".", place.relative,
                              container=item.container, obj=item.obj)

    def _get(
        self, query: Mapping[str, str], headers: Mapping[str, str], *, probe: bool = True
    ) -> StreamedResponse | None:
        """GET; None for a 304 of a plain object (skip_identical)."""
        self.record.content_mark = len(self.record.history)
        try:
            response = self.conn.get_object(
                self.item.container, self.item.obj, headers=dict(headers), query=dict(query)
            )
        except ClientException as error:
            self.record.history.extend(error.attempts)
            if probe and error.http_status == 304:
                seen = {k.lower(): v for k, v in error.http_response_headers.items()}
                if "x-object-manifest" not in seen and not is_slo(seen):
                    self.not_modified = error
                    return None
                # a large object whose manifest happens to equal the local
                # file: ask again, without the condition
                plain = {k: v for k, v in headers.items() if k.lower() != "if-none-match"}
                return self._get(query, plain, probe=False)
            raise
        self.record.history.extend(response.attempts)
        if self.record.headers_receipt is None:
            self.record.headers_receipt = time.time()
        return response

    def _receive(
        self,
        body: ResumableBody,
        verifier: StreamVerifier,
        target: str | None,
        response: StreamedResponse,
        identity: Identity | None,
        *,
        as_dir: bool,
    ) -> None:
        """Stream, verify and (unless no_download) land the body."""
        progress = self.settings.events.byte_counter(ACTION, self.item.container, self.item.obj)
        landing = self._open_landing(target, identity, as_dir=as_dir)
        # the kept prefix of a plain object goes through the whole object's check
        kept = self.resume.resumed_from if identity is not None and identity.kind == "plain" else 0
        try:
            receive_body(body, verifier, landing, kept=kept, scope=self.settings.scope,
                         progress=progress, mtime=self._mtime(response))
        finally:
            self.record.read_length = max(verifier.read_length - kept, 0)

    def _open_landing(
        self, target: str | None, identity: Identity | None, *, as_dir: bool
    ) -> TempTarget | None:
        """Where the bytes go; None when nowhere (no_download) or a folder is made instead."""
        if target is None or self.options.no_download:
            return None
        if as_dir:
            os.makedirs(target or ".", exist_ok=True)
            return None
        return self.resume.landing(target, identity)

    def _receive_pieces(
        self,
        request: GetRequest,
        pieces: list[Piece],
        segments: list[Segment | None],
        target: str | None,
        identity: Identity,
        *,
        described: StreamedResponse | None,
    ) -> None:
        """An SLO's pieces fetched in parallel, verified, landed at their offsets."""
        pool = self.settings.segments
        assert pool is not None
        options = self.options
        fetcher = PieceFetcher(request, pieces, scope=self.settings.scope,
                               max_resumes=options.retries, where=f"Error downloading {self.where}",
                               segments=segments, first_direct=described is not None)
        landing = None
        try:
            first = fetcher.first_response(self.conn)
            described = described or first
            landing = self._open_landing(target, identity,
                                         as_dir=self._as_dir(target, described))
            if landing is not None:
                landing.truncate(identity.size)
            progress = self.settings.events.byte_counter(ACTION, self.item.container,
                                                         self.item.obj)
            fetcher.run(self.conn, pool, landing=landing, progress=progress)
            if landing is not None:
                landing.commit(mtime=self._mtime(described))
        finally:
            fetcher.close()
            self.record.history.extend(fetcher.attempts)
            self.record.tries = fetcher.tries
            self.record.read_length = fetcher.read_length
            if landing is not None:
                landing.discard()  # after a commit there is nothing left to remove

    def _contents(self, body: ResumableBody, verifier: StreamVerifier) -> Iterator[bytes]:
        """``out_file='-'``: the verified bytes, for the caller to consume.

        Counted (and ``self.streamed`` read) only once the caller starts reading.
        """
        progress = self.settings.events.byte_counter(ACTION, self.item.container, self.item.obj)
        yield from verified_contents(body, verifier, progress=progress, result=self.streamed)

    # -- results --------------------------------------------------------

    def _result(self, contents: Iterator[bytes] | None = None) -> DownloadObjectResult:
        status = Status.NOT_WRITTEN if self.options.no_download else Status.DOWNLOADED
        return self.record.build(status, contents=contents,
                                 resumed_from=self.resume.resumed_from)

    def _skipped(self, *, large: bool = False) -> DownloadObjectResult:
        item = self.item
        self.settings.events.skipped(ACTION, item.container, item.obj, item.queued_size)
        # python-swiftclient's words: the server's 304, or one of its own
        error = self.not_modified or ClientException(
            "Large object is identical" if large else "Object is identical",
            http_status=304, http_reason="Not Modified", attempts=tuple(self.record.history),
        )
        return self.record.build(Status.SKIPPED_IDENTICAL, error=error,
                                 resumed_from=self.resume.resumed_from)

    def failed(self, error: BaseException) -> DownloadObjectResult:
        # every request of the job is already in the history; an error from
        # before the first one (authentication) brings its own
        history = self.record.history or list(error_attempts(error) or ())
        return self.record.build(None, error=error, history=history,
                                 resumed_from=self.resume.resumed_from)
