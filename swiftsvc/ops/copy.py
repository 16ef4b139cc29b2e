"""``Service.copy``: server-side ``COPY`` of objects, one ``copy_object`` result each.

Destinations: ``destination`` (call or per ``CopyObject``) is ``/cont`` (the
object keeps its name) or ``/cont/obj``; without one, an object is copied
onto itself, which is how its metadata is changed in place (``meta`` /
``header`` are added to what it has, or replace it with
``fresh_metadata``); the result's ``destination`` is then None, as in
python-swiftclient. A call-level ``/cont/obj`` with several objects is
refused at the call (python-swiftclient's rule): they would overwrite each
other. Each destination container is created once (``create_container``
result, emitted before the first copy into it), the source container too
when it is a destination, as python-swiftclient does; a failure there is
only reported, the copies then say what is wrong. A missing source
container or object is a failed ``copy_object`` result (404).

Large objects: the COPY is sent without ``?multipart-manifest=get``, so the
cluster copies the *content* of an SLO or DLO (all its segments,
concatenated) into one ordinary object. The copy shares nothing with the
original: deleting the original with its segments (the default of
``delete``) leaves the copy whole. Copying the manifest instead would be
cheap but leave a copy that breaks when the original is deleted. The cost:
a large object bigger than the cluster's ``max_file_size`` cannot be copied
this way (the result fails with the cluster's 413); download and upload it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from swiftsvc import results
from swiftsvc._streams import Job
from swiftsvc.errors import SwiftError
from swiftsvc.objects import CopyObject, copy_destination, iter_named
from swiftsvc.ops.containers import create_container_job
from swiftsvc.ops.large_objects import parse_manifest_path
from swiftsvc.ops.post import object_post_headers
from swiftsvc.options import Options
from swiftsvc.results import CopyObjectResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext

# the one request header that matters when creating a destination container
_POLICY = "x-storage-policy"


def resolve_destination(container: str, obj: str, destination: str | None) -> str:
    """The ``/cont/obj`` an object is copied to (itself without a destination)."""
    if destination is None:
        return f"/{container}/{obj}"
    return copy_destination(destination, obj)


def names_an_object(destination: str | None) -> bool:
    """Whether ``destination`` is ``/cont/obj`` rather than ``/cont``."""
    return destination is not None and destination.strip("/").count("/") >= 1


class _SharedTarget:
    """Refuses a second object copied to the call's ``/cont/obj`` destination."""

    def __init__(self, options: Options) -> None:
        self._shared = names_an_object(options.destination)
        self._seen = False

    def check(self, item: CopyObject) -> None:
        if not self._shared or (item.options and "destination" in item.options):
            return
        if self._seen:
            raise SwiftError(
                "Combination of multiple objects and destination including object is invalid"
            )
        self._seen = True


def validate(ctx: CallContext, container: str, objects: Iterable[Any] | None) -> None:
    """Raise :class:`SwiftError` now for bad arguments.

    A list of objects is checked whole; a generator is checked as it is
    consumed (a second object for a ``/cont/obj`` destination raises then).
    """
    if not isinstance(container, str) or not container or "/" in container:
        raise SwiftError(f"Invalid container name {container!r}", container=str(container))
    if objects is None:
        raise SwiftError("Copy needs a list of objects", container=container)
    if ctx.options.destination is not None:
        copy_destination(ctx.options.destination, "object")  # raises for a bad shape
    items = iter_named(objects, CopyObject, operation="copy")
    if isinstance(objects, Sequence):
        shared = _SharedTarget(ctx.options)
        for item in items:
            shared.check(item)
            own = ctx.with_options(item.options).destination
            if own is not None:
                copy_destination(own, item.object_name)


def plan(ctx: CallContext, container: str, objects: Iterable[Any]) -> Iterator[Job]:
    """One COPY job per object on the object upload/update pool."""
    shared = _SharedTarget(ctx.options)
    created: set[str] = set()
    for item in iter_named(objects, CopyObject, operation="copy"):
        shared.check(item)
        options = ctx.with_options(item.options)
        destination = (
            None if options.destination is None
            else copy_destination(options.destination, item.object_name)
        )
        target_container, target_object = parse_manifest_path(
            resolve_destination(container, item.object_name, destination)
        )
        headers = object_post_headers(ctx.options, item.options)
        failed = _copy_failed(container, item.object_name, destination, headers,
                              options.fresh_metadata)
        too_long = ctx.name_length_problem(target_object)
        if too_long is not None:
            ctx.stream.emit(failed(SwiftError(too_long, container=container,
                                              obj=item.object_name)))
            continue
        if destination is not None and target_container not in created:
            created.add(target_container)
            # before any copy into it; from this (consumer) thread, so in order
            ctx.stream.emit(
                create_container_job(
                    ctx.connection(), target_container, policy_headers(options), None
                )
            )
        yield Job(
            ctx.pools.object_uu,
            copy_object_job,
            (container, item.object_name, destination, headers, options.fresh_metadata),
            on_error=failed,
        )


def policy_headers(options: Options) -> dict[str, str]:
    """The storage policy of ``header``, if any, for a container created by copy."""
    return {name: value for name, value in options.header if name.lower() == _POLICY}


def copy_object_job(
    conn: Connection,
    container: str,
    obj: str,
    destination: str | None,
    headers: dict[str, str],
    fresh_metadata: bool,
) -> CopyObjectResult:
    """Job (object_uu pool): COPY one object to ``destination`` (``/cont/obj``; None: itself)."""
    response = conn.copy_object(
        container, obj, resolve_destination(container, obj, destination), headers=headers,
        fresh_metadata=fresh_metadata,
    )
    return results.copy_object(
        container=container, object=obj, destination=destination, headers=headers,
        fresh_metadata=fresh_metadata, response=response,
    )


def _copy_failed(
    container: str, obj: str, destination: str | None, headers: dict[str, str],
    fresh_metadata: bool,
) -> Callable[[BaseException], CopyObjectResult]:
    def result(error: BaseException) -> CopyObjectResult:
        return results.copy_object(
            container=container, object=obj, destination=destination, headers=headers,
            fresh_metadata=fresh_metadata, error=error,
        )

    return result
