"""``Service.batch()``: queue many small uploads and deletes, send them in the fewest requests.

::

    with svc.batch() as batch:
        for path in small_files:
            batch.upload("logs", path)
        batch.delete("logs", "old/2019.txt")
    for result in batch.results:
        ...

On leaving the block (or at :meth:`Batch.flush`) small uploads go out as
streamed tar archives to ``PUT /<container>?extract-archive=tar`` and
deletes as ``POST ?bulk-delete``, chunked by the cluster's limits and sent
in parallel. What cannot ride in a batch (large files, per-object headers
other than metadata, a cluster without the bulk middleware) falls back to
ordinary requests, transparently. Every queued operation gets exactly one
result, in the same shape as outside a batch. If the block raises, nothing
queued is sent.
"""

from __future__ import annotations

import io
import os
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import TracebackType
from typing import Any, BinaryIO

from swiftsvc import results as result_types
from swiftsvc._streams import Job
from swiftsvc.errors import SwiftError
from swiftsvc.ops._context import CallContext
from swiftsvc.ops.delete.bulk import bulk_delete_chunk, chunked
from swiftsvc.ops.upload.archive import (
    BatchItem,
    archive_failed,
    batch_limits,
    batchable,
    delete_items_job,
    extract_job,
    group,
)
from swiftsvc.ops.upload.segments import mtime_value
from swiftsvc.ops.upload.tar import TarMember
from swiftsvc.results import Action, Result

Source = str | bytes | BinaryIO


@dataclass(frozen=True, slots=True)
class _Upload:
    container: str
    source: Source
    object_name: str
    options: Mapping[str, Any] | None


@dataclass(frozen=True, slots=True)
class _Delete:
    container: str
    object_name: str
    options: Mapping[str, Any] | None


class Batch:
    """Queued operations of one :meth:`Service.batch` block."""

    def __init__(self, make_context: Callable[[], CallContext]) -> None:
        self._make_context = make_context
        self._uploads: list[_Upload] = []
        self._deletes: list[_Delete] = []
        self.results: list[Result] = []

    # -- queueing (arguments are checked now, nothing is sent) -------------

    def upload(
        self,
        container: str,
        source: Source,
        object_name: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        _check_container(container)
        if isinstance(source, str):
            if not os.path.isfile(source):
                raise SwiftError(f"batch upload source {source!r} is not a readable file")
            name = object_name or source
        elif isinstance(source, bytes) or hasattr(source, "read"):
            if not object_name:
                raise SwiftError("batch upload of bytes or a stream needs an object_name")
            name = object_name
        else:
            raise SwiftError(f"unexpected batch upload source type {type(source).__name__}")
        name = name.replace(os.sep, "/").lstrip("/")
        if name.startswith("./"):
            name = name[2:]
        if not name:
            raise SwiftError("object names must not be empty")
        self._uploads.append(_Upload(container, source, name, options))

    def delete(
        self, container: str, object_name: str, options: Mapping[str, Any] | None = None
    ) -> None:
        _check_container(container)
        if not object_name:
            raise SwiftError("object names must not be empty", container=container)
        self._deletes.append(_Delete(container, object_name, options))

    # -- sending -----------------------------------------------------------

    def flush(self) -> Iterator[Result]:
        """Send what is queued; yields one result per queued operation."""
        uploads, deletes = self._uploads, self._deletes
        self._uploads, self._deletes = [], []
        if not uploads and not deletes:
            return iter(())
        ctx = self._make_context()
        return ctx.stream.run(self._jobs(ctx, uploads, deletes))

    def _jobs(
        self, ctx: CallContext, uploads: list[_Upload], deletes: list[_Delete]
    ) -> Iterator[Job]:
        from swiftsvc.objects import UploadObject
        from swiftsvc.ops.upload import planner as upload_op

        limits = batch_limits(ctx.capabilities())
        by_container: dict[str, list[BatchItem]] = defaultdict(list)
        alone: dict[str, list[Any]] = defaultdict(list)
        for item in uploads:
            options = ctx.with_options(item.options)
            member = _member(item, options) if limits else None
            if limits and member and batchable(options, member.size, limits):
                path = item.source if isinstance(item.source, str) else None
                ctx.events.queued(Action.UPLOAD_OBJECT, item.container, item.object_name,
                                  member.size)
                by_container[item.container].append(BatchItem(member, item.object_name, path))
            else:
                alone[item.container].append(
                    UploadObject(_as_upload_source(item.source), item.object_name, item.options)
                )
        for container, items in by_container.items():
            # extract-archive creates the container itself when it is missing
            assert limits is not None
            for chunk in group((i.member for i in items), limits):
                wanted = {id(m) for m in chunk}
                chunk_items = [i for i in items if id(i.member) in wanted]
                yield Job(
                    ctx.pools.object_uu,
                    extract_job,
                    (container, "", chunk_items, ctx.options),
                    on_error=archive_failed(container, chunk_items),
                )
        for container, objects in alone.items():
            yield from upload_op.plan(ctx, container, objects)
        yield from _delete_jobs(ctx, deletes)

    def __enter__(self) -> Batch:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.results.extend(self.flush())
        else:  # the block failed: send nothing it queued
            self._uploads.clear()
            self._deletes.clear()


def _delete_jobs(ctx: CallContext, deletes: list[_Delete]) -> Iterator[Job]:
    """Bulk-delete chunks of plain objects; everything else as ordinary deletes.

    A batch must not orphan segments either: each chunk is classified from
    one listing, as ``delete()`` does, and large-object manifests (and empty
    objects that may be DLO manifests) go to the per-object job, which removes
    their segments. A delete with its own version or request headers cannot be
    said in a bulk-delete body; without the middleware nothing can.
    """
    from swiftsvc.objects import DeleteObject
    from swiftsvc.ops.delete import planner as delete_op
    from swiftsvc.ops.delete.targets import named_targets, with_listing

    limit = bulk_delete_chunk(ctx.capabilities()) if deletes else None
    in_bulk: dict[str, list[DeleteObject]] = defaultdict(list)
    alone: dict[str, list[DeleteObject]] = defaultdict(list)
    for d in deletes:
        options = ctx.with_options(d.options)
        if limit is not None and options.version_id is None and not options.header:
            in_bulk[d.container].append(DeleteObject(d.object_name, d.options))
        else:
            alone[d.container].append(DeleteObject(d.object_name, d.options))
    for container, objects in in_bulk.items():
        assert limit is not None
        for chunk in chunked(named_targets(ctx, container, objects), limit):
            chunk = with_listing(ctx.connection(), container, chunk)
            names: list[str] = []
            for target in chunk:
                if delete_op.route(target) is delete_op.Route.BULK:
                    names.append(target.obj)
                else:
                    yield delete_op.object_job(ctx, target)
            if names:
                yield Job(
                    ctx.pools.object_dd,
                    delete_items_job,
                    (container, names),
                    on_error=_deletes_failed(container, names),
                )
    for container, objects in alone.items():
        yield from delete_op.plan(ctx, container, objects)


def _deletes_failed(
    container: str, objects: list[str]
) -> Callable[[BaseException], list[Result]]:
    def results(error: BaseException) -> list[Result]:
        return [
            result_types.delete_object(container=container, object=obj, error=error)
            for obj in objects
        ]

    return results


def _check_container(container: str) -> None:
    if not container or not isinstance(container, str):
        raise SwiftError("container names must be non-empty strings")
    if "/" in container:
        raise SwiftError(f"container name {container!r} must not contain '/'")


def _member(item: _Upload, options: Any) -> TarMember | None:
    meta: list[tuple[str, str]] = list(options.meta)
    source = item.source
    if isinstance(source, str):
        st = os.stat(source)
        if not options.ignore_mtime:
            meta.insert(0, ("Mtime", mtime_value(st.st_mtime)))
        return TarMember(
            item.object_name, st.st_size, st.st_mtime, opener=lambda: open(source, "rb"), meta=meta
        )
    if isinstance(source, bytes):
        return TarMember(item.object_name, len(source), data=source, meta=meta)
    return None  # streams of unknown size go the ordinary way


def _as_upload_source(source: Source) -> str | BinaryIO:
    return io.BytesIO(source) if isinstance(source, bytes) else source
