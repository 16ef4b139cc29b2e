"""Segmented uploads: segments in parallel on the segment pool, then the manifest.

The object job (object_uu pool) submits one job per segment to the segment
pool and waits for them: different pools, so no deadlock. Each segment's
MD5 is checked against the ETag the server returns, and its
``upload_segment`` result is emitted on the call's stream as it lands.

- Files: each segment job opens the file and streams its byte range; a
  segment left by an interrupted earlier run (same name, same size) whose
  MD5 matches the local range is reused instead of sent again (resume).
- Streams: buffers read one segment at a time by
  :class:`~swiftsvc.ops.upload.stream.SegmentReader`, whose budget bounds
  the buffers alive at once (about ``segment_threads``), so a stream of any
  length uploads in bounded memory.

No orphans: every segment is registered in the upload's ledger before it is
sent, and if any segment or the manifest fails, the registered segments are
deleted (unless ``leave_segments``). An interrupt by the user is not a
failure: a file's segments that landed are kept for the resume (see
:func:`_kept_for_resume`).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from concurrent.futures import CancelledError, Future
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

from swiftsvc import results
from swiftsvc._hashing import (
    FileState,
    HashingReader,
    SourceChangedError,
    check_unchanged,
    hash_range,
    md5_hex,
)
from swiftsvc._pools import Cancelled
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.http.response import Response
from swiftsvc.ops.large_objects import delete_segment_job, iter_dlo_segments
from swiftsvc.ops.upload.segments import (
    SegmentDone,
    SegmentLayout,
    existing_segments,
    location_ref,
    reuse_candidate,
    slo_manifest,
)
from swiftsvc.options import Options
from swiftsvc.results import (
    Action,
    DeleteSegmentResult,
    UploadObjectResult,
    UploadSegmentResult,
)

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext

log = logging.getLogger(__name__)

SegmentRef = tuple[str, str]  # (container, name)


@dataclass(frozen=True, slots=True)
class LargeTarget:
    """One segmented upload: where it goes and how it is cut."""

    ctx: CallContext
    container: str
    obj: str
    path: str | None
    options: Options
    layout: SegmentLayout
    slo: bool
    headers: Mapping[str, str]  # for the manifest
    segment_headers: Mapping[str, str]  # for each segment
    # segments of the object being overwritten: never deleted on failure
    protected: frozenset[SegmentRef] = frozenset()
    # files: the stat each segment's read and the whole upload must end with
    source_state: FileState | None = None
    # checked just before the manifest PUT; raises SwiftError to refuse it
    before_manifest: Callable[[Connection], None] | None = None


@dataclass(slots=True)
class _Ledger:
    """Segments this upload sent (registered before each PUT), for cleanup on
    failure, and the ``upload_segment`` results (the object's ``segment_results``)."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    sent: list[SegmentRef] = field(default_factory=list)
    results: list[UploadSegmentResult] = field(default_factory=list)
    failed: threading.Event = field(default_factory=threading.Event)

    def register(self, ref: SegmentRef) -> None:
        with self.lock:
            self.sent.append(ref)

    def report(self, result: UploadSegmentResult) -> None:
        with self.lock:
            self.results.append(result)

    def segment_results(self) -> list[UploadSegmentResult]:
        with self.lock:
            return sorted(self.results, key=lambda r: r["segment_index"])


@dataclass(frozen=True, slots=True)
class _SegmentJob:
    target: LargeTarget
    ledger: _Ledger
    index: int
    size: int
    reuse_md5: str | None = None  # file segments: a leftover segment to reuse if it matches
    data: bytes | None = None  # stream segments: the buffer


def segment_job(conn: Connection, job: _SegmentJob) -> SegmentDone:
    """Job (segment pool): upload (or reuse) one segment and emit its result."""
    target, index = job.target, job.index

    def segment_result(
        *, etag: str | None = None, reused: bool = False, response: Response | None = None,
        error: BaseException | None = None,
    ) -> UploadSegmentResult:
        return results.upload_segment(
            for_container=target.container, for_object=target.obj, segment_index=index,
            segment_size=job.size, segment_location=target.layout.location(index),
            segment_etag=etag, reused=reused, response=response, error=error,
        )

    try:
        done, response = _send_segment(conn, job)
    except BaseException as error:
        job.ledger.failed.set()
        result = segment_result(error=error)
        job.ledger.report(result)
        target.ctx.stream.emit(result)
        raise
    result = segment_result(etag=done.etag, reused=done.reused, response=response)
    job.ledger.report(result)
    target.ctx.stream.emit(result)
    return done


def _send_segment(conn: Connection, job: _SegmentJob) -> tuple[SegmentDone, Response | None]:
    target, index, layout = job.target, job.index, job.target.layout
    location = layout.location(index)
    if job.data is None and target.path is not None:
        start, length = layout.range(index)
        if job.reuse_md5 is not None and hash_range(target.path, start, length) == job.reuse_md5:
            _check_source(target)
            return SegmentDone(index, location, job.reuse_md5, length, reused=True), None
    headers = dict(target.segment_headers)
    progress = target.ctx.events.byte_counter(
        Action.UPLOAD_SEGMENT, target.container, target.obj, index
    )
    # registered before sending: a PUT that fails midway may still have landed
    job.ledger.register((layout.segment_container, layout.name(index)))
    if job.data is not None:
        local = md5_hex(job.data)
        if target.options.checksum:
            headers["ETag"] = local  # the server refuses a corrupted segment itself
        response = conn.put_object(
            layout.segment_container, layout.name(index), job.data,
            headers=headers, content_length=len(job.data), on_progress=progress,
        )
        local_md5: str | None = local
    else:
        assert target.path is not None
        start, length = layout.range(index)
        with open(target.path, "rb") as fp:
            fp.seek(start)
            reader = HashingReader(fp, length, checksum=target.options.checksum,
                                   verify=lambda: _check_source(target, fp))
            response = conn.put_object(
                layout.segment_container, layout.name(index), reader,
                headers=headers, content_length=length, on_progress=progress,
            )
        local_md5 = reader.hexdigest()
    etag = checked_etag(response, local_md5, target.options.checksum, f"segment {index}")
    return SegmentDone(index, location, etag, job.size), response


def _check_source(target: LargeTarget, fp: IO[bytes] | None = None) -> None:
    """Raise :class:`SourceChangedError` if the file changed since the upload began."""
    if target.path is not None and target.source_state is not None:
        check_unchanged(target.path, target.source_state, fp)


def checked_etag(response: Response, local_md5: str | None, checksum: bool, what: str) -> str:
    """The ETag the server returned, after comparing it with the MD5 of what was sent."""
    etag = response.headers.get("etag", "").strip('"')
    if checksum and local_md5 is not None and etag and etag != local_md5:
        raise SwiftError(
            f"{what}: upload verification failed: md5 mismatch, local {local_md5} != "
            f"remote {etag} (the remote copy has not been removed)"
        )
    return etag or (local_md5 or "")


# ------------------------------------------------------------ object jobs


def upload_file_segments(
    conn: Connection, target: LargeTarget
) -> tuple[UploadObjectResult, list[SegmentRef]]:
    """Upload a local file as segments plus a manifest; (upload_object result, segments used)."""
    assert target.path is not None
    layout = target.layout
    leftovers = _leftovers(conn, layout)
    ledger = _Ledger()
    indexes = iter(range(layout.count))

    def next_job() -> _SegmentJob | None:
        index = next(indexes, None)
        if index is None:
            return None
        size = layout.range(index)[1]
        reuse = reuse_candidate(leftovers, index, size)
        return _SegmentJob(target, ledger, index, size, reuse_md5=reuse)

    futures = _submit_all(target.ctx, next_job, ledger, release=None)
    return _finish(conn, target, ledger, futures)


def upload_stream_segments(
    conn: Connection,
    target: LargeTarget,
    take: Callable[[], bytes | None],
    release: Callable[[], None],
) -> tuple[UploadObjectResult, list[SegmentRef]]:
    """Upload buffers as segments plus a manifest.

    ``take`` returns the next buffer read from the stream (None at its end);
    ``release`` is called once per buffer when it is no longer needed (see
    :class:`~swiftsvc.ops.upload.stream.SegmentReader`).
    """
    ledger = _Ledger()
    counter = iter(range(1 << 62))

    def next_job() -> _SegmentJob | None:
        data = take()
        if data is None:
            return None
        return _SegmentJob(target, ledger, next(counter), len(data), data=data)

    futures = _submit_all(target.ctx, next_job, ledger, release=release)
    return _finish(conn, target, ledger, futures)


def _leftovers(conn: Connection, layout: SegmentLayout) -> dict[int, tuple[int, str]]:
    """Segments of this very layout already in the cluster (an interrupted earlier run).

    Reusing them only saves bytes: a listing that fails (after its retries)
    means every segment is sent again, never that the upload fails.
    """
    try:
        return existing_segments(
            layout, iter_dlo_segments(conn, layout.segment_container, layout.prefix)
        )
    except ClientException as error:
        if error.http_status != 404:
            log.warning("listing leftover segments of %s failed, sending them all: %s",
                        layout.prefix, error)
        return {}


def _submit_all(
    ctx: CallContext,
    next_job: Callable[[], _SegmentJob | None],
    ledger: _Ledger,
    *,
    release: Callable[[], None] | None,
) -> list[Future[SegmentDone]]:
    """Submit segment jobs until they run out, one fails, or the call is cancelled.

    ``release`` gives a job's budget slot back once the job is over (or was
    never submitted). No reference to a submitted job stays here, so a
    stream buffer is freed as soon as its segment is sent.
    """
    futures: list[Future[SegmentDone]] = []
    while not ledger.failed.is_set() and not ctx.scope.cancelled:
        try:
            job = next_job()
        except Cancelled:
            break
        if job is None:
            break
        try:
            future = ctx.pools.segment.submit(ctx.scope, segment_job, job)
        except Cancelled:
            if release is not None:
                release()
            break
        finally:
            del job
        if release is not None:
            future.add_done_callback(lambda _f: release())
        futures.append(future)
    return futures


def _finish(
    conn: Connection, target: LargeTarget, ledger: _Ledger, futures: list[Future[SegmentDone]]
) -> tuple[UploadObjectResult, list[SegmentRef]]:
    done: list[SegmentDone] = []
    error: BaseException | None = None
    for future in futures:
        try:
            done.append(future.result())
        except CancelledError:
            error = error or Cancelled("cancelled before all segments were uploaded")
        except Exception as exc:
            error = error or exc
    if error is None and target.ctx.scope.cancelled:
        error = Cancelled("cancelled before all segments were uploaded")
    if error is None:
        try:  # the whole file, once every segment was read: no manifest over mixed bytes
            _check_source(target)
        except SourceChangedError as exc:
            error = exc

    def object_result(
        *, response: Response | None = None, problem: BaseException | None = None
    ) -> UploadObjectResult:
        return results.upload_object(
            container=target.container, object=target.obj, path=target.path,
            headers=target.headers, status=results.Status.UPLOADED, large_object=True,
            manifest_response_dict=None if response is None else response.response_dict(),
            segment_results=ledger.segment_results(),
            segment_container=target.layout.segment_container,
            segments_reused=sum(1 for d in done if d.reused),
            response=response, history=() if response is None and problem is None else None,
            error=problem,
        )

    if isinstance(error, SourceChangedError):  # said as it is: the segments went well
        _clean_up(conn, target, ledger)
        changed = SwiftError(str(error), container=target.container, obj=target.obj, exc=error)
        return object_result(problem=changed), []

    if error is not None:
        kept = _kept_for_resume(target, ledger)
        if kept is None:
            _clean_up(conn, target, ledger)
        problem = SwiftError(
            f"Aborting manifest creation because not all segments could be uploaded: {error}"
            + ("" if kept is None else f"; {kept}"),
            container=target.container, obj=target.obj, exc=error,
        )
        return object_result(problem=problem), []
    try:
        if target.before_manifest is not None:
            target.before_manifest(conn)
        response = _put_manifest(conn, target, done)
    except (ClientException, SwiftError) as exc:
        _clean_up(conn, target, ledger)
        return object_result(problem=exc), []
    return object_result(response=response), [location_ref(d.location) for d in done]


def _put_manifest(conn: Connection, target: LargeTarget, done: list[SegmentDone]) -> Response:
    if target.slo:
        return conn.put_object(
            target.container, target.obj, slo_manifest(done),
            headers=dict(target.headers), query={"multipart-manifest": "put"},
        )
    headers = {**target.headers, "X-Object-Manifest": target.layout.dlo_manifest()}
    return conn.put_object(target.container, target.obj, b"", headers=headers, content_length=0)


def _kept_for_resume(target: LargeTarget, ledger: _Ledger) -> str | None:
    """What the upload keeps for its resume, said in words; None: nothing, clean up.

    A file upload the user interrupted (``Service.cancel()``, a closed result
    iterator, Ctrl-C in the CLI) keeps the segments that landed: the same
    upload again finds them by name and reuses those whose MD5 matches, as
    after a crash. A failure (a segment or the manifest refused, fail_fast
    after another object failed) cleans up as before. A stream's segments
    are named after the upload's start time, so no later run can reuse them:
    they are cleaned up too.
    """
    if target.path is None or not target.ctx.scope.interrupted:
        return None
    landed = [r for r in ledger.segment_results() if r["success"]]
    if not landed:
        return "no segment had landed"
    what = "the segment that landed is" if len(landed) == 1 else (
        f"the {len(landed)} segments that landed are")
    return (
        f"interrupted: {what} kept in {target.layout.segment_container} for the resume "
        "(the same upload reuses them)"
    )


def _clean_up(conn: Connection, target: LargeTarget, ledger: _Ledger) -> None:
    """After a failure: delete the segments this upload sent (unless leave_segments)."""
    if target.options.leave_segments:
        return
    with ledger.lock:
        refs = [ref for ref in ledger.sent if ref not in target.protected]
    delete_segments(conn, target.ctx, refs)


def delete_segments(
    conn: Connection, ctx: CallContext, refs: list[SegmentRef]
) -> list[DeleteSegmentResult]:
    """Delete segments, emitting a ``delete_segment`` result for each; returns them.

    In parallel on the segment pool (this runs on object_uu); once the call is
    cancelled (fail_fast after a failed segment, say) the pool takes no more
    work, and the rest are deleted right here, so nothing is left behind.
    """
    reported: list[DeleteSegmentResult] = []

    def report(result: DeleteSegmentResult) -> None:
        reported.append(result)
        ctx.stream.emit(result)

    futures: list[tuple[SegmentRef, Future[DeleteSegmentResult]]] = []
    inline: list[SegmentRef] = []
    for ref in refs:
        if inline or ctx.scope.cancelled:
            inline.append(ref)
            continue
        try:
            futures.append((ref, ctx.pools.segment.submit(ctx.scope, delete_segment_job, *ref)))
        except Cancelled:
            inline.append(ref)
    for ref, future in futures:
        try:
            report(future.result())
        except CancelledError:
            inline.append(ref)
        except Exception as error:
            report(_delete_failed(ref, error))
    for ref in inline:
        try:
            report(delete_segment_job(conn, *ref))
        except Exception as error:
            report(_delete_failed(ref, error))
    return reported


def _delete_failed(ref: SegmentRef, error: BaseException) -> DeleteSegmentResult:
    return results.delete_segment(container=ref[0], object=ref[1], error=error)
