"""The jobs of ``Service.delete`` (planning: :mod:`swiftsvc.ops.delete.planner`).

:func:`delete_object_job` deletes one object (one version with
``version-id``), its large-object segments included unless
``leave_segments``: an SLO by ``DELETE ?multipart-manifest=delete`` (the
cluster removes the segments and answers with a bulk-style JSON body that
is checked), a DLO by deleting the manifest, then its segments.
:func:`inspect_then_delete_job` HEADs a group of possible DLO manifests and
bulk deletes the plain ones together. :func:`delete_container_job` waits
until the container's object jobs (counted by :class:`Outstanding`) ended.

Pools: object jobs run on object_dd and may wait on segment jobs; the
container job runs on the container pool and waits on object jobs; nothing
waits on its own pool.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swiftsvc import results as result_types
from swiftsvc._pools import POLL_INTERVAL, Cancelled, CancelScope
from swiftsvc._streams import Job, JobOutput
from swiftsvc.errors import ClientException
from swiftsvc.ops.bulk_answers import item_errors, parse_bulk_delete_response
from swiftsvc.ops.delete.bulk import bulk_delete_job, bulk_delete_limit, chunked
from swiftsvc.ops.large_objects import (
    delete_segment_job,
    is_slo,
    iter_dlo_segments,
    parse_dlo_manifest,
)
from swiftsvc.options import Options
from swiftsvc.results import (
    DeleteContainerResult,
    DeleteObjectResult,
    DeleteSegmentResult,
    Result,
)

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext


class Kind(enum.Enum):
    """What is known of an object before deleting it."""

    PLAIN = "plain"  # listed, not a manifest (or a delete marker)
    SLO = "slo"  # listed as an SLO manifest
    MAYBE_DLO = "maybe-dlo"  # listed as an empty object: a HEAD tells
    UNKNOWN = "unknown"  # not listed: a HEAD tells


@dataclass(frozen=True, slots=True)
class Target:
    """One object (or one version of it) to delete, with its options."""

    container: str
    obj: str
    options: Options
    version_id: str | None
    kind: Kind
    own_options: bool  # a DeleteObject with options of its own (never bulk)
    # listed a moment ago: if it is gone by now (deleted concurrently, e.g. a
    # segment of a DLO deleted with its manifest), the wanted state holds
    missing_ok: bool = False

    def with_kind(self, kind: Kind) -> Target:
        return dataclasses.replace(self, kind=kind)


@dataclass(frozen=True, slots=True)
class Manifest:
    """What an object's HEAD says about it being a large-object manifest."""

    slo: bool = False
    dlo: str | None = None  # the X-Object-Manifest value of a DLO

    @property
    def large(self) -> bool:
        return self.slo or bool(self.dlo)


def needs_head(target: Target) -> bool:
    """Whether only a HEAD can tell how to delete this object."""
    return not target.options.leave_segments and target.kind in (Kind.UNKNOWN, Kind.MAYBE_DLO)


def inspect(conn: Connection, target: Target) -> Manifest:
    """HEAD the object: SLO, DLO or neither (also when it is gone)."""
    # symlink=get: a symlink's own headers (its target's segments are not
    # ours); multipart-manifest=get: the manifest's own headers, without the
    # cluster listing a DLO's segments (it answers 404 if they are missing)
    query = {"symlink": "get", "multipart-manifest": "get"}
    if target.version_id is not None:
        query["version-id"] = target.version_id
    try:
        head = conn.head_object(
            target.container, target.obj, headers=dict(target.options.header) or None,
            query=query,
        )
    except ClientException as error:
        if error.http_status != 404:
            raise
        return Manifest()  # gone already: its DELETE reports the 404
    return Manifest(is_slo(head.headers), head.headers.get("x-object-manifest") or None)


def delete_object_job(conn: Connection, ctx: CallContext, target: Target) -> DeleteObjectResult:
    """Job (object_dd pool): delete one object and, unless ``leave_segments``,
    its segments; ``delete_segment`` / ``bulk_delete`` results of a DLO's
    segments are emitted on the call's stream before this returns."""
    if needs_head(target):
        manifest = inspect(conn, target)
    else:
        manifest = Manifest(slo=target.kind is Kind.SLO)
    return delete_inspected(conn, ctx, target, manifest)


def inspect_then_delete_job(
    conn: Connection, ctx: CallContext, container: str, targets: list[Target]
) -> list[Result]:
    """Job (object_dd pool): HEAD objects that may be DLO manifests (empty
    ones), delete the manifests among them one by one with their segments
    and all the others with one bulk request."""
    results: list[Result] = []
    plain: list[str] = []
    for target in targets:
        ctx.scope.check()
        try:
            manifest = inspect(conn, target)
            if manifest.large:
                results.append(delete_inspected(conn, ctx, target, manifest))
            else:
                plain.append(target.obj)
        except ClientException as error:
            results.append(result_types.delete_object(
                container=container, object=target.obj, version_id=target.version_id,
                error=error))
    if plain:
        results.append(bulk_delete_job(conn, container, plain))
    return results


def delete_inspected(
    conn: Connection, ctx: CallContext, target: Target, manifest: Manifest
) -> DeleteObjectResult:
    """Delete one object whose kind of manifest is known."""
    options = target.options
    headers = dict(options.header)
    query: dict[str, str] = {}
    if target.version_id is not None:
        query["version-id"] = target.version_id
    if manifest.slo and not options.leave_segments:
        query["multipart-manifest"] = "delete"
        headers["Accept"] = "application/json"
    try:
        response = conn.delete_object(
            target.container, target.obj, headers=headers or None, query=query or None
        )
    except ClientException as error:
        if error.http_status == 404 and target.missing_ok:
            return result_types.delete_object(
                container=target.container, object=target.obj, version_id=target.version_id,
                history=error.attempts,
            )
        raise
    problem = None
    if "multipart-manifest" in query:
        problem = _slo_delete_problem(target, response.body, response.attempts)
    segments_deleted = None
    if problem is None and manifest.dlo and not options.leave_segments:
        segments_deleted = _delete_dlo_segments(conn, ctx, manifest.dlo)
    return result_types.delete_object(
        container=target.container, object=target.obj, version_id=target.version_id,
        dlo_segments_deleted=segments_deleted, response=response, error=problem,
    )


def _slo_delete_problem(target: Target, body: bytes, attempts: Any) -> ClientException | None:
    """The error in the JSON answer of ``?multipart-manifest=delete``, if any."""
    try:
        outcome = parse_bulk_delete_response(body)
    except ValueError:
        return None  # a cluster answering without a body: its status said 2xx
    if not outcome.failed:
        return None
    errors = item_errors(target.container, [target.obj], outcome)
    return ClientException(
        f"Deleting SLO {target.obj!r} and its segments: {outcome.status} {outcome.reason}"
        f"{'; ' + outcome.body if outcome.body else ''}; failed: {errors}",
        http_status=outcome.status or None,
        http_reason=outcome.reason,
        attempts=attempts,
    )


def _delete_dlo_segments(conn: Connection, ctx: CallContext, manifest: str) -> bool:
    """Delete the segments a DLO manifest pointed at; True if all went.

    In bulk when the cluster offers it (from this job, one request per
    chunk), else one ``delete_segment`` job each on the segment pool (this
    job runs on object_dd, so waiting on the segment pool cannot deadlock).
    """
    segment_container, prefix = parse_dlo_manifest(manifest)
    names = (ref.obj for ref in iter_dlo_segments(conn, segment_container, prefix))
    limit = bulk_delete_limit(ctx.capabilities())
    try:
        if limit is not None and limit > 1:
            all_ok = True
            for chunk in chunked(names, limit):
                result = bulk_delete_job(conn, segment_container, chunk)
                all_ok = all_ok and result["success"] and not result["errors"]
                ctx.stream.emit(result)
            return all_ok
        return _delete_segments_in_pool(ctx, segment_container, names)
    except ClientException as error:  # the segment listing failed
        ctx.stream.emit(
            result_types.delete_segment(container=segment_container, object=None, error=error)
        )
        return False


def _delete_segments_in_pool(ctx: CallContext, container: str, names: Iterator[str]) -> bool:
    pending = 0
    all_ok = True
    condition = threading.Condition()

    def finished(name: str, future: Future[DeleteSegmentResult]) -> None:
        nonlocal pending, all_ok
        result: DeleteSegmentResult
        if future.cancelled():
            result = result_types.delete_segment(
                container=container, object=name, error=Cancelled("cancelled"))
        elif future.exception() is not None:
            error = future.exception()
            assert error is not None
            result = result_types.delete_segment(container=container, object=name, error=error)
        else:
            result = future.result()
        # emitted before the count drops: the object job returns only after
        # every segment result is on the stream
        ctx.stream.emit(result)
        with condition:
            all_ok = all_ok and bool(result["success"])
            pending -= 1
            condition.notify_all()

    try:
        for name in names:
            future = ctx.pools.segment.submit(ctx.scope, delete_segment_job, container, name)
            with condition:
                pending += 1
            future.add_done_callback(functools.partial(finished, name))
    finally:
        with condition:
            while pending > 0:
                condition.wait(POLL_INTERVAL)
    return all_ok


# ------------------------------------------------------ container and waits


class Outstanding:
    """Counts a container's object jobs still running, so the container is
    deleted only once they all ended (Swift refuses a non-empty one)."""

    def __init__(self) -> None:
        self._count = 0
        self._condition = threading.Condition()

    def track(self, job: Job) -> Job:
        """``job`` wrapped so that it reports its end here exactly once."""
        with self._condition:
            self._count += 1
        on_error = job.on_error or _reraise

        def never_ran(error: BaseException) -> JobOutput:
            # the stream calls this only for a job that did not run (cancelled
            # before it started): _tracked handles the errors of one that ran
            self.done()
            return on_error(error)

        return Job(
            job.pool, _tracked, (self, job.fn, on_error, *job.args), on_error=never_ran,
            kwargs=job.kwargs,
        )

    def done(self) -> None:
        with self._condition:
            self._count -= 1
            self._condition.notify_all()

    def wait(self, scope: CancelScope) -> None:
        with self._condition:
            while self._count > 0:
                scope.check()
                self._condition.wait(POLL_INTERVAL)


def _reraise(error: BaseException) -> JobOutput:
    raise error


def _tracked(
    conn: Connection,
    outstanding: Outstanding,
    fn: Callable[..., JobOutput],
    on_error: Callable[[BaseException], JobOutput],
    *args: Any,
    **kwargs: Any,
) -> JobOutput:
    try:
        try:
            return fn(conn, *args, **kwargs)
        except BaseException as error:  # its result is made here, so done() runs once
            return on_error(error)
    finally:
        outstanding.done()


def delete_container_job(
    conn: Connection,
    container: str,
    headers: dict[str, str],
    outstanding: Outstanding,
    scope: CancelScope,
) -> DeleteContainerResult:
    """Job (container pool): wait for the container's object jobs, then DELETE it."""
    outstanding.wait(scope)
    response = conn.delete_container(container, headers=headers or None)
    return result_types.delete_container(container=container, response=response)
