"""``Service.upload``: plan the work lazily, then one job per object.

:func:`plan` is a generator the result stream consumes as the pools take
work: it creates the containers first (their ``create_container`` results
lead the stream), then walks the sources (:mod:`swiftsvc.ops.upload.sources`) and
yields one object job per item, so an upload of a million files holds
neither the items nor their results in memory.

Speed: python-swiftclient HEADs every object before uploading it. Here,
for a directory, one paged container listing (merged with the sorted walk,
see :mod:`swiftsvc.ops.upload.cursor`) tells which objects exist, with their size,
MD5 and whether they are SLO manifests; a job HEADs only when the listing
cannot answer (``changed`` with equal sizes, zero-byte entries that may be
DLO manifests). Sources given one by one are HEADed by their job, and only
when an option needs to know (``changed``, ``skip_identical``, or the
cleanup of an overwritten manifest's segments, i.e. unless
``leave_segments``).

The object jobs are in :mod:`swiftsvc.ops.upload.files` and
:mod:`swiftsvc.ops.upload.stream` (chosen by the item's kind, see
:data:`STRATEGIES`), segmented uploads in :mod:`swiftsvc.ops.upload.large`;
the decisions in :mod:`swiftsvc.ops.upload.segments` and
:mod:`swiftsvc.ops.upload.remote`.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import CancelledError
from typing import TYPE_CHECKING, Any

from swiftsvc import results
from swiftsvc._pools import Cancelled
from swiftsvc._streams import Job
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.objects import UploadObject
from swiftsvc.ops._context import max_object_name_length
from swiftsvc.ops.containers import create_container_job
from swiftsvc.ops.upload.archive import UploadBatcher, batch_limits
from swiftsvc.ops.upload.common import (
    CallShared,
    StreamBudget,
    UploadTask,
    marker_result,
    object_result,
)
from swiftsvc.ops.upload.conditions import write_conditions
from swiftsvc.ops.upload.cursor import ListingCursor
from swiftsvc.ops.upload.files import create_dir_marker, upload_file
from swiftsvc.ops.upload.remote import UNKNOWN, Existing, remote_from_listing, wants_remote
from swiftsvc.ops.upload.segments import (
    max_file_size,
    resolve_use_slo,
    segment_container_name,
    segment_size_problem,
    split_container,
)
from swiftsvc.ops.upload.sources import SourceKind, object_name_for_path, upload_items
from swiftsvc.ops.upload.stream import upload_stream
from swiftsvc.options import Options
from swiftsvc.results import (
    Action,
    CreateDirMarkerResult,
    UploadObjectResult,
)

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext

__all__ = ["plan", "upload_job", "validate"]


def validate(ctx: CallContext, container: str, objects: Iterable[str | UploadObject]) -> None:
    """Raise :class:`SwiftError` now for arguments that cannot work.

    A list or tuple of sources is checked item by item (each must be a path
    or an ``UploadObject``); any other iterable is checked as it is
    consumed. A path that does not exist or cannot be read is a failed
    ``upload_object`` result of its own while the others are uploaded, as
    in python-swiftclient.
    """
    if not isinstance(container, str) or not split_container(container)[0]:
        raise SwiftError(f"container name {container!r} must be a non-empty string")
    if isinstance(objects, (str, bytes)) or not isinstance(objects, Iterable):
        raise SwiftError(
            "The upload operation takes a list of paths or UploadObjects, "
            f"not {type(objects).__name__}"
        )
    if isinstance(objects, Sequence):
        for item in objects:
            as_upload_object(item)
    write_conditions(ctx.options.header)  # an If-None-Match Swift would refuse: at the call
    if ctx.options.segment_size is not None:
        limit = max_file_size(ctx.capabilities())
        problem = segment_size_problem(ctx.options.segment_size, limit)
        if problem is not None:
            raise SwiftError(problem, container=container)


def as_upload_object(item: object) -> UploadObject:
    if isinstance(item, UploadObject):
        return item
    if isinstance(item, str):
        return UploadObject(item)
    raise SwiftError(
        "The upload operation takes only strings or UploadObjects as input", obj=repr(item)
    )


def plan(ctx: CallContext, container: str, objects: Iterable[str | UploadObject]) -> Iterator[Job]:
    """The jobs of one upload call, lazily; results of container creation are emitted."""
    container, pseudo = split_container(container)
    # {} when /info is unavailable: then Swift's defaults and no SLO
    shared = CallShared(StreamBudget(ctx.options.segment_threads + 1), ctx.capabilities())
    call_options = _resolved(ctx.options, shared)
    created: set[str] = set()  # containers PUT by this call, each once
    if not call_options.skip_container_put and not _create_containers(
        ctx, container, call_options, created
    ):
        return
    # ``batch``: small files share tar archives (see swiftsvc.ops.upload.archive);
    # without the bulk middleware every file keeps its own job
    limits = batch_limits(shared.capabilities) if call_options.batch else None
    batcher = UploadBatcher(ctx, container, call_options, limits) if limits else None
    for entry in objects:
        if ctx.scope.cancelled:
            return
        try:
            upload_object = as_upload_object(entry)
            options = (
                _resolved(ctx.with_options(upload_object.options), shared)
                if upload_object.options else call_options
            )
        except SwiftError as error:
            ctx.stream.emit(results.upload_object(
                container=container, object=None, path=None, headers={}, error=error))
            continue
        if options is not call_options and not options.skip_container_put and not (
            _create_containers(ctx, container, options, created)
        ):
            return  # cancelled
        source = upload_object.source
        name = pseudo + _base_name(upload_object)
        too_long = None if isinstance(source, str) else ctx.name_length_problem(name)
        if too_long is not None:
            # (files from paths are checked as they are walked, in upload_items)
            ctx.stream.emit(results.upload_object(
                container=container, object=name, path=None, headers={},
                error=SwiftError(too_long, container=container, obj=name),
            ))
            continue
        lookup = _lookup_for(ctx, container, source, name, options, shared)
        items = upload_items(source, name, dir_markers=options.dir_marker,
                             max_name_length=max_object_name_length(shared.capabilities))
        for item in items:
            if ctx.scope.cancelled:
                return
            existing = lookup(item.object_name) if item.kind is SourceKind.FILE else UNKNOWN
            action = (Action.CREATE_DIR_MARKER if item.kind is SourceKind.DIR_MARKER
                      else Action.UPLOAD_OBJECT)
            ctx.events.queued(action, container, item.object_name, item.size or 0)
            task = UploadTask(ctx, container, item, options, existing, shared)
            if batcher is not None and batcher.takes(task):
                yield from batcher.add(task)
                continue
            yield Job(ctx.pools.object_uu, upload_job, (task,), on_error=upload_failed(task))
    if batcher is not None:
        yield from batcher.flush()


def _base_name(upload_object: UploadObject) -> str:
    """The object name for a source: a path's as the ``swift`` CLI names it,
    else the given name without a leading ``./``; never a trailing ``/``."""
    source, name = upload_object.source, upload_object.object_name
    if isinstance(source, str) and name == source.lstrip("/"):
        name = object_name_for_path(source)
    while name.startswith("./"):
        name = name[2:]
    return name.rstrip("/") if isinstance(source, str) else name


def _resolved(options: Options, shared: CallShared) -> Options:
    """``use_slo`` None becomes what the cluster offers, once segments are wanted."""
    if options.segment_size is None or options.use_slo is not None:
        return options
    return options.merged({"use_slo": resolve_use_slo(options, shared.capabilities)})


# -------------------------------------------------------------------- jobs

# the job for each kind of source: the planner never branches on input kinds
STRATEGIES: Mapping[
    SourceKind, Callable[[Connection, UploadTask], UploadObjectResult | CreateDirMarkerResult]
] = {
    SourceKind.FILE: upload_file,
    SourceKind.STREAM: upload_stream,
    SourceKind.PIPE: upload_stream,
    SourceKind.EMPTY: upload_stream,
    SourceKind.DIR_MARKER: create_dir_marker,
}


def upload_job(
    conn: Connection, task: UploadTask
) -> UploadObjectResult | CreateDirMarkerResult:
    """Job (object_uu pool): upload one item; returns its result (segments are emitted)."""
    return STRATEGIES[task.item.kind](conn, task)


def upload_failed(
    task: UploadTask,
) -> Callable[[BaseException], UploadObjectResult | CreateDirMarkerResult]:
    """The failed result of a job that raised or was cancelled."""

    def result(error: BaseException) -> UploadObjectResult | CreateDirMarkerResult:
        if task.item.kind is SourceKind.DIR_MARKER:
            return marker_result(task, None, error=error)
        return object_result(task, None, error=error)

    return result


# -------------------------------------------------------------- containers


def _create_containers(
    ctx: CallContext, container: str, options: Options, created: set[str]
) -> bool:
    """PUT the container (and the segment container), emitting their results.

    Done before any object job that needs them is planned, on the container
    pool: for the call's options before the walk, and again for an
    ``UploadObject`` whose own options ask for segments (its ``segment_size``
    or ``segment_container``); ``created`` holds the names already PUT by
    this call, so each is created once. The segment container follows the
    main container's storage policy unless the ``header`` option names one.
    A failure is reported, not fatal: the user may lack the right to create
    containers that exist already. False when the call was cancelled.
    """
    policy = next((v for k, v in options.header if k.lower() == "x-storage-policy"), None)
    headers = {"X-Storage-Policy": policy} if policy else {}
    wanted: list[tuple[str, str | None]] = [(container, None)]
    if options.segment_size is not None:
        segments = segment_container_name(container, options.segment_container)
        if segments != container:
            wanted.append((segments, None if policy else container))
    for name, policy_source in wanted:
        if name in created:
            continue
        created.add(name)
        try:
            future = ctx.pools.container.submit(
                ctx.scope, create_container_job, name, headers, policy_source
            )
            ctx.stream.emit(future.result())
        except (Cancelled, CancelledError):
            return False
    return True


# ----------------------------------------------------------------- listing


def _lookup_for(
    ctx: CallContext, container: str, source: object, name: str, options: Options,
    shared: CallShared,
) -> Callable[[str], Existing]:
    """How the planner learns what a walked file would overwrite.

    A directory is answered by one paged listing of its prefix; anything
    else is left to its job (UNKNOWN), which HEADs only when it must.
    """
    if not wants_remote(options) or not (isinstance(source, str) and os.path.isdir(source)):
        return lambda _name: UNKNOWN
    prefix = f"{name}/" if name else None
    limit = shared.capabilities.get("swift", {}).get("container_listing_limit")
    conn = ctx.connection()

    def fetch(marker: str) -> list[dict[str, Any]]:
        return conn.get_container(container, marker=marker, prefix=prefix)[1]

    return _DirectoryLookup(
        ListingCursor(fetch, page_limit=limit if isinstance(limit, int) else None)
    )


class _DirectoryLookup:
    """Existing objects from the listing; a listing that fails degrades, never aborts."""

    def __init__(self, cursor: ListingCursor) -> None:
        self._cursor = cursor
        self._failed = False
        self._fallback: Existing = UNKNOWN  # the answer once the listing failed

    def __call__(self, object_name: str) -> Existing:
        if self._failed:
            return self._fallback
        try:
            entry = self._cursor.lookup(object_name)
        except ClientException as error:
            # 404: no container, nothing to overwrite; else (say, write-only
            # access) the jobs HEAD where they must
            self._failed = True
            self._fallback = None if error.http_status == 404 else UNKNOWN
            return self._fallback
        return None if entry is None else remote_from_listing(entry)
