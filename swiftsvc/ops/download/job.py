"""The download job: one object fetched, verified and landed.

Planned by :mod:`swiftsvc.ops.download.planner`.

:func:`download_object` runs on an object_dd worker with that worker's
connection and returns exactly one ``download_object`` result.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from swiftsvc import results
from swiftsvc._pools import Cancelled, CancelScope, WorkerPool
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.events import EventSink
from swiftsvc.http.response import Attempt, StreamedResponse
from swiftsvc.ops.download.body import GetRequest, ResumableBody
from swiftsvc.ops.download.large import (
    LargeObject,
    Piece,
    dlo_parts,
    parse_manifest,
    plan_pieces,
    read_limited,
    slo_parts,
)
from swiftsvc.ops.download.local import (
    Part,
    StreamVerifier,
    UnsafePath,
    VerificationError,
    contained_path,
    is_dir_marker,
    local_md5,
    local_parts_match,
    parse_mtime,
    relative_path,
    strip_etag,
)
from swiftsvc.ops.download.part_files import TempTarget
from swiftsvc.ops.download.partial import (
    RESUME_MIN,
    Identity,
    Partial,
    StaleSweep,
    plain_size,
    remaining_pieces,
    verified_prefix,
)
from swiftsvc.ops.download.pieces import PieceFetcher
from swiftsvc.options import Options
from swiftsvc.results import Action, DownloadObjectResult, Status, error_attempts

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

ACTION = Action.DOWNLOAD_OBJECT
STDOUT = "-"
# skip_identical hashes local files up to this size before asking (If-None-Match)
HASH_UP_FRONT = 32 << 20
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
            if not download.resumed_from:
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
    """One object's download: the state a result reports, and the steps."""

    def __init__(self, conn: Connection, item: Item, settings: Settings) -> None:
        self.conn = conn
        self.item = item
        self.settings = settings
        self.options = settings.options
        self.history: list[Attempt] = []
        # the history from here on is the tries of the request bringing the
        # body (its retries and resumes): the result's ``attempts``
        self.content_mark = 0
        self.tries: int | None = None  # set instead when pieces were fetched in parallel
        self.not_modified: ClientException | None = None  # the 304 of a skip
        self.start_time = time.time()
        self.headers_receipt: float | None = None
        self.auth_end_time: float | None = None
        self.path: str | None = None
        self.pseudodir = False
        self.read_length = 0
        self.where = f"{item.container}/{item.obj}"
        # out_file '-': the result whose read_length grows as contents are read
        self.streamed: DownloadObjectResult | None = None
        # the part file (see ops/download/partial.py), held from claim to commit
        self.partial: Partial | None = None
        self.allow_resume = True
        self.resumed_from = 0  # bytes kept from a killed run's part file

    def start_over(self) -> None:
        """After a resumed download failed its check: forget the kept bytes."""
        self.allow_resume = False
        self.resumed_from = 0
        self.read_length = 0
        self.release()  # a new part file from byte 0
        self.partial = None

    def release(self) -> None:
        """Remove the part file unless committed (an error, a skip, a cancel)."""
        if self.partial is not None:
            self.partial.landing.discard()

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
                  and not ranged and not self.pseudodir)
        if landed and self.allow_resume and self.partial is None:
            assert target is not None
            self.settings.stale.folder_of(target)
            self.partial = Partial.claim(target)
        resume = self._plain_resume_headers()
        local = None if resume else _md5_up_front(compare)
        self.conn.storage_url  # noqa: B018 - authenticates now (cached after the first)
        self.auth_end_time = time.time()
        response = self._first_get(first_query, headers, local, resume)
        if response is None:  # 304 on a plain object: the local file is identical
            return self._skipped()
        large = None if ranged else self._large_object(response)
        identity: Identity | None = None
        if large is not None:
            if compare and local_parts_match(compare, large.parts):
                return self._skipped(large=True)
            checked = large.parts if options.checksum else _lengths(large.parts)
            # the whole object must be the one the manifest describes
            slo = {"If-Match": f'"{large.etag}"'} if large.etag and _is_slo(response) else {}
            identity = self._identity("slo" if _is_slo(response) else "dlo", large.etag or "",
                                      sum(part.size for part in large.parts))
            done = self._verified_parts(identity, large.parts, landed=landed)
            pool = self.settings.segments
            if slo and not to_stdout and pool is not None and any(done):
                pieces = remaining_pieces(checked, done, workers=pool.size, min_size=PIECE_MIN)
            else:
                pieces = self._pieces(checked) if slo and not to_stdout else []
            if any(done) and all(done):
                self._land_kept(target, identity, response)  # every part was on disk already
                return self._result()
            if pieces:
                if any(done):
                    self._keep(sum(p.size for p, ok in zip(large.parts, done, strict=True) if ok),
                               cut=identity.size)
                request = GetRequest(self.item.container, self.item.obj, query, headers,
                                     if_match=slo["If-Match"])
                self._receive_pieces(request, pieces, target, identity)
                return self._result()
            offset, count = verified_prefix(large.parts, done)
            if offset:
                self._keep(offset, cut=offset)
            ranged_rest = {"Range": f"bytes={offset}-"} if offset else {}
            response = self._get(query, {**headers, **slo, **ranged_rest}, probe=False)
            assert response is not None
            self._check_listing_etag(response, large)
            parts: list[Part] | None = checked[count:]
        elif self.resumed_from:
            assert self.partial is not None and self.partial.found is not None
            identity = self.partial.found
            # the whole object's MD5: the kept prefix is read back into it
            md5 = strip_etag(identity.etag) if options.checksum else None
            parts = [Part(identity.size, md5 or None, "")]
        else:
            if compare and local is None and _same_plain_object(response, compare):
                response.close()  # a big identical file: read locally once, never fetched
                return self._skipped()
            parts = _plain_parts(response, checksum=options.checksum)
            size = plain_size(response.headers)
            if response.status == 200 and size is not None:
                identity = self._identity("plain", response.headers.get("etag", ""), size)
        request = GetRequest(self.item.container, self.item.obj, query, headers,
                             if_match=response.headers.get("etag"))
        conn = self.conn
        body = ResumableBody(
            self.settings.consumer_connection if to_stdout else (lambda: conn),
            request, response, history=self.history, max_resumes=options.retries,
        )
        verifier = StreamVerifier(parts, where=f"Error downloading {self.where}")
        if to_stdout and not options.no_download:
            self.streamed = self._result(contents=self._contents(body, verifier))
            return self.streamed
        self._receive(body, verifier, target, response, identity,
                      as_dir=self._as_dir(target, response))
        return self._result()

    # -- resuming what a killed run left (see ops/download/partial.py) -----------

    def _identity(self, kind: str, etag: str, size: int) -> Identity:
        item = self.item
        return Identity(item.container, item.obj, item.version_id, kind, etag, size)

    def _plain_resume_headers(self) -> dict[str, str]:
        """Range and If-Match for the rest of a plain object a killed run began."""
        partial = self.partial
        if not self.allow_resume or partial is None or not self.options.checksum:
            return {}
        found = partial.found
        if found is None or found.kind != "plain" or found != self._identity(
            "plain", found.etag, found.size
        ):
            return {}
        offset = partial.plain_offset(found)
        if not offset or not found.etag:
            return {}
        self.resumed_from = offset
        return {"Range": f"bytes={offset}-", "If-Match": found.etag}

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
            if response is not None and self._resumes(response):
                return response
            if response is not None:
                response.close()
            self.resumed_from = 0
            if self.partial is not None:
                self.partial.found = None
        return self._get(query, {**headers, "If-None-Match": local} if local else headers)

    def _resumes(self, response: StreamedResponse) -> bool:
        """Whether a ranged answer is the rest of the very object the part file began."""
        assert self.partial is not None
        found = self.partial.found
        seen = response.headers
        if response.status != 206 or _is_slo(response) or "x-object-manifest" in seen:
            return False
        window = seen.get("content-range", "")
        return (
            found is not None
            and window.partition("-")[0].strip().lower() == f"bytes {self.resumed_from}"
            and found == self._identity("plain", seen.get("etag", ""),
                                        plain_size(seen) or -1)
        )

    def _verified_parts(self, identity: Identity, parts: list[Part], *, landed: bool) -> list[bool]:
        """Parts of a large object already on disk and matching their MD5s."""
        partial = self.partial
        if not landed or not self.allow_resume or partial is None:
            return [False] * len(parts)
        done = partial.verified_parts(identity, parts)
        if any(part.size and ok for part, ok in zip(parts, done, strict=True)):
            return done
        return [False] * len(parts)

    def _keep(self, kept: int, *, cut: int) -> None:
        """Resume with ``kept`` bytes from the part file, cut (or grown) to ``cut`` bytes."""
        assert self.partial is not None
        self.resumed_from = kept
        self.partial.landing.truncate(cut)

    def _landing(self, target: str, identity: Identity | None) -> TempTarget:
        """Where the bytes go: the kept part file, or a new one recording ``identity``."""
        partial = self.partial
        if partial is not None and self.resumed_from:
            return partial.landing
        if partial is None and identity is not None and identity.size >= RESUME_MIN:
            partial = self.partial = Partial.fresh(target)
        if partial is None:
            landing = TempTarget(target)
            landing.open()
            return landing
        partial.start(identity)
        return partial.landing

    def _land_kept(self, target: str | None, identity: Identity,
                   response: StreamedResponse) -> None:
        """Every part was already on disk: land them without fetching a byte."""
        assert target is not None and self.partial is not None
        self._keep(identity.size, cut=identity.size)
        mtime = None if self.options.ignore_mtime else parse_mtime(
            response.headers.get("x-object-meta-mtime")
        )
        self.partial.landing.commit(mtime=mtime)

    def _as_dir(self, target: str | None, response: StreamedResponse) -> bool:
        """Names ending in "/" and directory-marker objects become folders."""
        return target is not None and not self.options.out_file and (
            self.pseudodir or is_dir_marker(response.headers.get("content-type"))
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
        options = self.options
        item = self.item
        if options.out_file:
            try:
                self.path = self._relative()
            except UnsafePath:  # nothing is written there: the name is only reported
                self.path = item.obj
            if options.out_directory:
                self.path = os.path.join(options.out_directory, self.path)
            return None if options.out_file == STDOUT else options.out_file
        relative = self._relative()
        self.path = os.path.join(options.out_directory, relative) if options.out_directory \
            else relative
        self.pseudodir = relative.endswith("/") or not relative
        return contained_path(options.out_directory or ".", relative, container=item.container,
                              obj=item.obj)

    def _relative(self) -> str:
        options, item = self.options, self.item
        relative = relative_path(
            item.container,
            item.obj,
            account_wide=self.settings.account_wide,
            prefix=options.prefix,
            remove_prefix=options.remove_prefix,
        )
        if item.suffix and relative and not relative.endswith("/"):
            relative += item.suffix
        return relative

    def _get(
        self, query: Mapping[str, str], headers: Mapping[str, str], *, probe: bool = True
    ) -> StreamedResponse | None:
        """GET; None for a 304 of a plain object (skip_identical)."""
        self.content_mark = len(self.history)
        try:
            response = self.conn.get_object(
                self.item.container, self.item.obj, headers=dict(headers), query=dict(query)
            )
        except ClientException as error:
            self.history.extend(error.attempts)
            if probe and error.http_status == 304:
                seen = {k.lower(): v for k, v in error.http_response_headers.items()}
                if "x-object-manifest" not in seen and not _true(seen.get("x-static-large-object")):
                    self.not_modified = error
                    return None
                # a large object whose manifest happens to equal the local
                # file: ask again, without the condition
                plain = {k: v for k, v in headers.items() if k.lower() != "if-none-match"}
                return self._get(query, plain, probe=False)
            raise
        self.history.extend(response.attempts)
        if self.headers_receipt is None:
            self.headers_receipt = time.time()
        return response

    def _large_object(self, response: StreamedResponse) -> LargeObject | None:
        """The parts of an SLO or DLO (closing its manifest answer), else None."""
        headers = response.headers
        if _is_slo(response):
            try:
                manifest = read_limited(response.iter_chunks(), where=self.where)
            finally:
                response.close()
            entries = parse_manifest(manifest, where=self.where)
            return slo_parts(self.conn, entries, self.history, where=self.where)
        if "x-object-manifest" in headers:
            response.close()
            return dlo_parts(self.conn, headers["x-object-manifest"], self.history,
                             where=self.where)
        return None

    def _check_listing_etag(self, response: StreamedResponse, large: LargeObject) -> None:
        """A DLO's segments may change between the listing and the GET: compare ETags."""
        etag = strip_etag(response.headers.get("etag"))
        if _is_slo(response) or not etag or large.etag is None or etag == large.etag:
            return
        response.close()
        raise SwiftError(
            f"{self.where}: the segments changed between listing and download "
            f"(etag {etag} != {large.etag} from the listing)",
            self.item.container,
            self.item.obj,
        )

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
        options = self.options
        progress = self.settings.events.byte_counter(ACTION, self.item.container, self.item.obj)
        scope = self.settings.scope
        landing = None
        if target is not None and not options.no_download:
            if as_dir:
                os.makedirs(target or ".", exist_ok=True)
            else:
                landing = self._landing(target, identity)
        try:
            if landing is not None and self.resumed_from and identity is not None \
                    and identity.kind == "plain":
                # the kept prefix goes through the whole object's check
                for data in landing.read_range(0, self.resumed_from):
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
                mtime = None if options.ignore_mtime else parse_mtime(
                    response.headers.get("x-object-meta-mtime")
                )
                landing.commit(mtime=mtime)
        finally:
            kept = self.resumed_from if identity is not None and identity.kind == "plain" else 0
            self.read_length = max(verifier.read_length - kept, 0)
            body.close()
            if landing is not None:
                landing.discard()  # after a commit there is nothing left to remove

    def _receive_pieces(
        self,
        request: GetRequest,
        pieces: list[Piece],
        target: str | None,
        identity: Identity,
    ) -> None:
        """An SLO's pieces fetched in parallel, verified, landed at their offsets."""
        pool = self.settings.segments
        assert pool is not None
        options = self.options
        fetcher = PieceFetcher(request, pieces, scope=self.settings.scope,
                               max_resumes=options.retries, where=f"Error downloading {self.where}")
        landing = None
        try:
            first = fetcher.first_response(self.conn)
            as_dir = self._as_dir(target, first)
            if target is not None and not options.no_download:
                if as_dir:
                    os.makedirs(target or ".", exist_ok=True)
                else:
                    landing = self._landing(target, identity)
                    landing.truncate(identity.size)
            progress = self.settings.events.byte_counter(ACTION, self.item.container,
                                                         self.item.obj)
            fetcher.run(self.conn, pool, landing=landing, progress=progress)
            if landing is not None:
                mtime = None if options.ignore_mtime else parse_mtime(
                    first.headers.get("x-object-meta-mtime")
                )
                landing.commit(mtime=mtime)
        finally:
            fetcher.close()
            self.history.extend(fetcher.attempts)
            self.tries = fetcher.tries
            self.read_length = fetcher.read_length
            if landing is not None:
                landing.discard()  # after a commit there is nothing left to remove

    def _contents(self, body: ResumableBody, verifier: StreamVerifier) -> Iterator[bytes]:
        """``out_file='-'``: the verified bytes, for the caller to consume.

        A mismatch raises at the end, as python-swiftclient's reader does;
        the bytes already handed out cannot be taken back.
        """
        progress = self.settings.events.byte_counter(ACTION, self.item.container, self.item.obj)
        try:
            for chunk in body:
                verifier.update(chunk)
                if progress is not None:
                    progress(len(chunk))
                if self.streamed is not None:
                    self.streamed["read_length"] = verifier.read_length
                yield chunk
            verifier.finish()
        finally:
            body.close()
            if self.streamed is not None:
                self.streamed["read_length"] = verifier.read_length
                self.streamed["finish_time"] = time.time()

    # -- results --------------------------------------------------------

    def _build(
        self,
        status: Status | None,
        *,
        error: BaseException | None = None,
        contents: Iterator[bytes] | None = None,
        history: list[Attempt] | None = None,
    ) -> DownloadObjectResult:
        """The result; times not reached (a failure before the answer) are the end's."""
        now = time.time()
        history = self.history if history is None else history
        tries = self.tries if self.tries is not None else len(history) - self.content_mark
        return results.download_object(
            container=self.item.container,
            object=self.item.obj,
            path=self.path if self.path is not None else self.item.obj,
            pseudodir=self.pseudodir,
            start_time=self.start_time,
            auth_end_time=now if self.auth_end_time is None else self.auth_end_time,
            headers_receipt=now if self.headers_receipt is None else self.headers_receipt,
            finish_time=now,
            read_length=self.read_length,
            status=status,
            tries=max(tries, 0),
            history=history,
            contents=contents,
            error=error,
            resumed_from=self.resumed_from,
        )

    def _result(self, contents: Iterator[bytes] | None = None) -> DownloadObjectResult:
        status = Status.NOT_WRITTEN if self.options.no_download else Status.DOWNLOADED
        return self._build(status, contents=contents)

    def _skipped(self, *, large: bool = False) -> DownloadObjectResult:
        item = self.item
        self.settings.events.skipped(ACTION, item.container, item.obj, item.queued_size)
        # python-swiftclient's words: the server's 304, or one of its own
        error = self.not_modified or ClientException(
            "Large object is identical" if large else "Object is identical",
            http_status=304, http_reason="Not Modified", attempts=tuple(self.history),
        )
        return self._build(Status.SKIPPED_IDENTICAL, error=error)

    def failed(self, error: BaseException) -> DownloadObjectResult:
        # every request of the job is already in the history; an error from
        # before the first one (authentication) brings its own
        history = self.history or list(error_attempts(error) or ())
        return self._build(None, error=error, history=history)


def _is_slo(response: StreamedResponse) -> bool:
    return _true(response.headers.get("x-static-large-object"))


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes", "on")


def _plain_parts(response: StreamedResponse, *, checksum: bool) -> list[Part] | None:
    """A plain object's one part: Content-Length, and its ETag unless ranged."""
    length = response.headers.get("content-length")
    if length is None or not length.strip().isdigit():
        return None
    ranged = response.status == 206 or "content-range" in response.headers
    md5 = None if ranged or not checksum else (strip_etag(response.headers.get("etag")) or None)
    return [Part(int(length), md5, "")]


def _md5_up_front(path: str | None) -> str | None:
    """skip_identical: the local file's MD5 to send as If-None-Match, when cheap.

    A file above :data:`HASH_UP_FRONT` is not hashed before the GET: the
    answer's length usually tells it differs without reading it at all.
    """
    if path is None:
        return None
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    return local_md5(path) if size <= HASH_UP_FRONT else None


def _same_plain_object(response: StreamedResponse, path: str) -> bool:
    length = response.headers.get("content-length")
    try:
        if length is None or int(length) != os.stat(path).st_size:
            return False
    except (OSError, ValueError):
        return False
    return local_md5(path) == strip_etag(response.headers.get("etag"))


def _lengths(parts: list[Part]) -> list[Part]:
    """``checksum=False``: keep the length checks, drop the MD5s."""
    return [Part(part.size, None, part.label) for part in parts]
