"""``Service.delete``: objects, a container, or (with ``yes_all``) the account.

What is deleted how:

- **A list of objects** (names or ``DeleteObject``): each a ``delete_object``
  result, or, on a cluster with bulk delete and more than
  ``2 * object_dd_threads`` objects (python-swiftclient's rule), one
  ``bulk_delete`` result per request of up to ``max_deletes_per_request``
  objects (see :mod:`swiftsvc.ops.delete.bulk` for its keys).
- **A container**: its objects, listed lazily page by page, the same way;
  then the container itself (``delete_container``) once every object job
  has ended, unless ``prefix`` limited the delete to some objects.
- **The account**: every container in turn, as above, each one finished
  before the next is listed.

Unlike python-swiftclient, the bulk path never orphans the segments of large
objects. A listing entry tells an SLO manifest (``slo_etag``) and a possible
DLO manifest (an empty object that is not a directory marker); only those
leave the bulk request. An SLO gets ``DELETE ?multipart-manifest=delete``
(the cluster removes its segments). Possible DLOs are HEADed by jobs of up
to one bulk request's worth of objects (gathered across listing pages, so
every object_dd thread gets a share); the plain ones among them then share
one bulk request, and a real DLO loses its manifest, then its segments
(listed by prefix; in bulk when the cluster offers it, else one
``delete_segment`` job each on the segment pool). The manifest goes first,
so a failure midway leaves orphaned segments (reported), never an object
that reads truncated. Named objects have no listing entry: their container
is listed over the range of the names (a few pages at most, see
:mod:`swiftsvc.ops.delete.targets`); names beyond are HEADed like possible
DLOs. With ``leave_segments`` every object goes to bulk. The price of
correctness is a HEAD per empty object (python-swiftclient HEADs every
object it deletes one by one), except when a whole container goes and no
other container of the account holds objects
(:class:`~swiftsvc.ops.delete.targets.LoneContainer`): then a DLO's segments
can only be in that container, deleted with it, and its empty objects go
to bulk unHEADed. Only empty objects are taken for possible DLOs: Swift
lets a non-empty object carry ``X-Object-Manifest`` too (a PUT with a body,
or a POST), and such a one loses its manifest only, as with
python-swiftclient.

Missing objects: a named object that does not exist is a failed
``delete_object`` (404), as in python-swiftclient; in bulk the cluster only
counts it (``not_found``). A listed object gone by the time it is deleted
(deleted concurrently, e.g. a DLO's segment while the account is deleted)
counts as deleted.

Versions: with ``versions`` every version (and delete marker) is deleted by
its ``version-id``; ``version_id`` deletes one version. The bulk middleware
takes no version ids, so these are per-object deletes.

Memory stays flat however big the container: listings are paged lazily,
bulk chunks hold at most ``max_deletes_per_request`` names, and the result
stream bounds the jobs in flight.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator
from itertools import chain, islice
from typing import TYPE_CHECKING, Any

from swiftsvc import results as result_types
from swiftsvc._pools import Cancelled
from swiftsvc._streams import Job
from swiftsvc.errors import SwiftError
from swiftsvc.objects import DeleteObject, iter_named
from swiftsvc.ops.delete.bulk import PARALLEL_CHUNK, bulk_delete_chunk, bulk_delete_job, chunked
from swiftsvc.ops.delete.jobs import (
    Kind,
    Outstanding,
    Target,
    delete_container_job,
    delete_object_job,
    inspect_then_delete_job,
    needs_head,
)
from swiftsvc.ops.delete.targets import (
    ListedTargets,
    LoneContainer,
    named_targets,
    with_listing,
)
from swiftsvc.ops.listing import iter_account_pages
from swiftsvc.options import Options
from swiftsvc.results import (
    Action,
    BulkDeleteResult,
    DeleteContainerResult,
    DeleteObjectResult,
)

if TYPE_CHECKING:
    from swiftsvc.ops._context import CallContext

# ------------------------------------------------------------ pure decisions


class Route(enum.Enum):
    """How one object is deleted in a bulk-capable call."""

    BULK = "bulk"  # in a bulk-delete request
    INSPECT = "inspect"  # HEADed first (a possible DLO), then in bulk unless a manifest
    OBJECT = "object"  # its own DELETE


def route(target: Target) -> Route:
    """Bulk requests carry neither version ids, per-object headers nor
    ``multipart-manifest``: objects needing them are deleted one by one."""
    if target.version_id is not None or target.own_options:
        return Route.OBJECT
    if target.options.leave_segments or target.kind is Kind.PLAIN:
        return Route.BULK
    if target.kind is Kind.SLO:
        return Route.OBJECT
    return Route.INSPECT


def inspect_groups(targets: list[Target], threads: int, limit: int) -> Iterator[list[Target]]:
    """``targets`` to HEAD, split so every object_dd thread gets a share, at
    most ``limit`` (objects per bulk request) each: a group's plain objects
    share one bulk request."""
    size = max(1, min(limit, -(-len(targets) // max(1, threads))))
    return chunked(targets, size)


def inspect_batch(threads: int, limit: int) -> int:
    """Possible DLOs gathered before their HEAD jobs start: enough for a full
    group on every object_dd thread, so each group's bulk request is full."""
    return max(1, threads) * limit


def whole_container(options: Options) -> bool:
    """Whether a container delete lists, and so deletes, every object of the
    container (then the container itself goes too)."""
    return not (options.prefix or options.delimiter or options.marker or options.end_marker)


def without_inspection(chunk: list[Target]) -> list[Target]:
    """``chunk`` with its possible DLOs taken as plain objects."""
    return [t.with_kind(Kind.PLAIN) if t.kind is Kind.MAYBE_DLO else t for t in chunk]


def use_bulk(count: int, options: Options, limit: int | None) -> bool:
    """python-swiftclient's rule: bulk only for more than 2 * object_dd_threads objects."""
    return limit is not None and limit > 1 and count > 2 * options.object_dd_threads


# ---------------------------------------------------------------- validate


def validate(ctx: CallContext, container: str | None, objects: Iterable[Any] | None) -> None:
    """Raise :class:`SwiftError` now for bad arguments.

    A missing container is not one: as in python-swiftclient, its delete is a
    failed ``delete_container`` result (or, for named objects, a failed
    ``delete_object`` each).
    """
    options = ctx.options
    if container is None:
        if objects:
            raise SwiftError("Objects specified without container")
        if options.prefix:
            raise SwiftError("Prefix specified without container")
        if not options.yes_all:
            raise SwiftError("Deleting a whole account needs the yes_all option")
        return
    if not isinstance(container, str) or not container or "/" in container:
        raise SwiftError(f"Invalid container name {container!r}", container=str(container))
    if objects is not None:
        iter_named(objects, DeleteObject, operation="delete")  # raises for bad items


# -------------------------------------------------------------------- plan


def plan(
    ctx: CallContext, container: str | None, objects: Iterable[Any] | None
) -> Iterator[Job]:
    """The jobs of one delete call, produced lazily (see the module docstring)."""
    if container is None:
        yield from _plan_account(ctx)
    elif objects is None:
        yield from _plan_container(ctx, container)
    else:
        yield from _plan_targets(ctx, container, named_targets(ctx, container, objects))


def _plan_account(ctx: CallContext) -> Iterator[Job]:
    conn = ctx.connection()
    account_options = ctx.options.merged({"prefix": None, "marker": "", "delimiter": None})
    for page in iter_account_pages(conn, account_options):
        names = [str(item["name"]) for item in page if "name" in item]
        del page
        for name in names:
            # one container after the other, as python-swiftclient: a segment
            # container listed while its SLOs are still being deleted would
            # have the segments the SLO deletes remove deleted a second time
            finished = Outstanding()
            for job in _plan_container(ctx, name):
                yield finished.track(job)
            try:
                finished.wait(ctx.scope)
            except Cancelled:
                return


def _plan_container(ctx: CallContext, container: str) -> Iterator[Job]:
    outstanding = Outstanding()
    listing = ListedTargets(ctx, container)
    lone = LoneContainer(ctx, container) if whole_container(ctx.options) else None
    for job in _plan_targets(ctx, container, iter(listing), lone):
        yield outstanding.track(job)
    if listing.error is not None:
        # nothing more can be listed: keep the container, say why
        ctx.stream.emit(result_types.delete_container(container=container, error=listing.error))
        return
    if ctx.options.prefix:
        return  # only some objects were to go
    yield Job(
        ctx.pools.container,
        delete_container_job,
        (container, dict(ctx.options.header), outstanding, ctx.scope),
        on_error=_container_failed(container),
    )


def _plan_targets(
    ctx: CallContext,
    container: str,
    targets: Iterator[Target],
    lone: LoneContainer | None = None,
) -> Iterator[Job]:
    """``lone``: given when the whole container goes (see :class:`LoneContainer`)."""
    limit = bulk_delete_chunk(ctx.capabilities())
    threshold = 2 * ctx.options.object_dd_threads
    head = list(islice(targets, threshold + 1))
    everything = chain(head, targets)
    if not use_bulk(len(head), ctx.options, limit):
        for chunk in chunked(everything, PARALLEL_CHUNK):
            for target in _settled(chunk, lone):
                yield object_job(ctx, target)
        return
    assert limit is not None
    del head
    threads = ctx.options.object_dd_threads
    inspect: list[Target] = []  # possible DLOs gathered across chunks
    for chunk in chunked(everything, limit):
        if any(t.kind is Kind.UNKNOWN and route(t) is Route.INSPECT for t in chunk):
            chunk = with_listing(ctx.connection(), container, chunk)
        chunk = _settled(chunk, lone)
        names: list[str] = []
        for target in chunk:
            way = route(target)
            if way is Route.BULK:
                names.append(target.obj)
            elif way is Route.INSPECT:
                inspect.append(target)
            else:
                yield object_job(ctx, target)
        del chunk
        if len(inspect) >= inspect_batch(threads, limit):
            yield from _inspect_jobs(ctx, container, inspect, limit)
            inspect = []
        if names:
            ctx.events.queued(Action.BULK_DELETE, container, None, 0)
            yield Job(
                ctx.pools.object_dd,
                bulk_delete_job,
                (container, names),
                on_error=_bulk_failed(container, names),
            )
    yield from _inspect_jobs(ctx, container, inspect, limit)


def _settled(chunk: list[Target], lone: LoneContainer | None) -> list[Target]:
    """``chunk``, its possible DLOs taken as plain when ``lone`` shows that
    no HEAD can matter (asked only when some would be HEADed)."""
    if lone is None:
        return chunk
    heads = sum(1 for t in chunk if t.kind is Kind.MAYBE_DLO and needs_head(t))
    if heads and lone.holds_all_segments(budget=heads):
        return without_inspection(chunk)
    return chunk


def _inspect_jobs(
    ctx: CallContext, container: str, targets: list[Target], limit: int
) -> Iterator[Job]:
    for group in inspect_groups(targets, ctx.options.object_dd_threads, limit):
        yield Job(
            ctx.pools.object_dd,
            inspect_then_delete_job,
            (ctx, container, group),
            on_error=_bulk_failed(container, [t.obj for t in group]),
        )


def object_job(ctx: CallContext, target: Target) -> Job:
    """The job deleting one object and, unless ``leave_segments``, its segments."""
    ctx.events.queued(Action.DELETE_OBJECT, target.container, target.obj, 0)
    return Job(
        ctx.pools.object_dd,
        delete_object_job,
        (ctx, target),
        on_error=_object_failed(target),
    )


def _object_failed(target: Target) -> Callable[[BaseException], DeleteObjectResult]:
    def result(error: BaseException) -> DeleteObjectResult:
        return result_types.delete_object(
            container=target.container, object=target.obj, version_id=target.version_id,
            error=error,
        )

    return result


def _container_failed(container: str) -> Callable[[BaseException], DeleteContainerResult]:
    def result(error: BaseException) -> DeleteContainerResult:
        return result_types.delete_container(container=container, error=error)

    return result


def _bulk_failed(container: str, names: list[str]) -> Callable[[BaseException], BulkDeleteResult]:
    def result(error: BaseException) -> BulkDeleteResult:
        return result_types.bulk_delete(container=container, objects=names, error=error)

    return result
