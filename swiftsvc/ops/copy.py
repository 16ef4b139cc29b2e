"""``Service.copy``: server-side ``COPY`` of objects, one ``copy_object`` result each.

Destinations: ``destination`` (call or per ``CopyObject``) is ``/cont`` (the
object keeps its name) or ``/cont/obj``; without one, an object is copied
onto itself, which is how its metadata is changed in place (``meta`` /
``header`` are added to what it has, or replace it with
``fresh_metadata``). A call-level ``/cont/obj`` with several objects is
refused at the call (python-swiftclient's rule): they would overwrite each
other. Each destination container other than the source is created once
(``create_container`` result, emitted before the first copy into it); a
failure there is only reported, the copies then say what is wrong.

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

from swiftsvc._pools import Job
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.objects import CopyObject, copy_destination, iter_named
from swiftsvc.ops.large_objects import parse_manifest_path
from swiftsvc.ops.post import object_post_headers
from swiftsvc.ops.upload import create_container_job
from swiftsvc.options import Options
from swiftsvc.results import Action, Result, failure, success

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
    """Raise :class:`SwiftError` now for bad arguments or a missing source container.

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
    try:
        ctx.connection().head_container(container)
    except ClientException as error:
        if error.http_status == 404:
            raise SwiftError(
                f"Container {container!r} not found", container=container, exc=error
            ) from error
        raise


def plan(ctx: CallContext, container: str, objects: Iterable[Any]) -> Iterator[Job]:
    """One COPY job per object on the object upload/update pool."""
    shared = _SharedTarget(ctx.options)
    created: set[str] = {container}
    for item in iter_named(objects, CopyObject, operation="copy"):
        shared.check(item)
        options = ctx.with_options(item.options)
        destination = resolve_destination(container, item.object_name, options.destination)
        target_container, target_object = parse_manifest_path(destination)
        headers = object_post_headers(ctx.options, item.options)
        fields = {
            "container": container,
            "object": item.object_name,
            "destination": destination,
            "headers": headers,
            "fresh_metadata": options.fresh_metadata,
        }
        too_long = ctx.name_length_problem(target_object)
        if too_long is not None:
            error = SwiftError(too_long, container=container, obj=item.object_name)
            ctx.stream.emit(_copy_failed(fields)(error))
            continue
        if target_container not in created:
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
            on_error=_copy_failed(fields),
        )


def policy_headers(options: Options) -> dict[str, str]:
    """The storage policy of ``header``, if any, for a container created by copy."""
    return {name: value for name, value in options.header if name.lower() == _POLICY}


def copy_object_job(
    conn: Connection,
    container: str,
    obj: str,
    destination: str,
    headers: dict[str, str],
    fresh_metadata: bool,
) -> Result:
    """Job (object_uu pool): COPY one object to ``destination`` (``/cont/obj``)."""
    response = conn.copy_object(
        container, obj, destination, headers=headers, fresh_metadata=fresh_metadata
    )
    return success(
        Action.COPY_OBJECT,
        response=response,
        container=container,
        object=obj,
        destination=destination,
        headers=headers,
        fresh_metadata=fresh_metadata,
    )


def _copy_failed(fields: dict[str, Any]) -> Callable[[BaseException], Result]:
    def result(error: BaseException) -> Result:
        return failure(Action.COPY_OBJECT, error, **fields)

    return result
