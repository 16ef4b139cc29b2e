"""``Service.post``: metadata, ACL and sync settings of an account, a container or objects.

:func:`post_headers` decides what to send (pure); the functions below send it.
Posting to a missing container creates it (PUT with the same headers), as
python-swiftclient's ``SwiftService.post`` does; posting to a missing object
is a failed ``post_object`` result.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from swiftsvc import results
from swiftsvc._streams import Job
from swiftsvc.errors import ClientException
from swiftsvc.objects import PostObject
from swiftsvc.ops._not_found import not_found
from swiftsvc.options import Header, Options
from swiftsvc.results import PostAccountResult, PostContainerResult, PostObjectResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext


class Target(enum.Enum):
    ACCOUNT = "Account"
    CONTAINER = "Container"
    OBJECT = "Object"


def post_headers(
    target: Target, meta: Iterable[Header], header: Iterable[Header], options: Options
) -> dict[str, str]:
    """The request headers of a post: user metadata, then raw headers, then
    (containers only) the ACL and sync options."""
    headers = {f"X-{target.value}-Meta-{key}": value for key, value in meta}
    headers.update(header)
    if target is Target.CONTAINER:
        for value, name in (
            (options.read_acl, "X-Container-Read"),
            (options.write_acl, "X-Container-Write"),
            (options.sync_to, "X-Container-Sync-To"),
            (options.sync_key, "X-Container-Sync-Key"),
        ):
            if value is not None:
                headers[name] = value
    return headers


def object_post_headers(options: Options, overrides: Mapping[str, Any] | None) -> dict[str, str]:
    """The call's ``meta`` and ``header``, extended (not replaced) by those of
    a ``PostObject``, as python-swiftclient does."""
    headers = post_headers(Target.OBJECT, options.meta, options.header, options)
    if overrides:
        own = Options().merged(
            {key: overrides[key] for key in ("meta", "header") if key in overrides}
        )
        headers.update(post_headers(Target.OBJECT, own.meta, own.header, own))
    return headers


def post_account(conn: Connection, options: Options) -> PostAccountResult:
    headers = post_headers(Target.ACCOUNT, options.meta, options.header, options)
    try:
        response = conn.post_account(headers)
    except ClientException as error:
        if error.http_status == 404:
            raise not_found(error) from error
        return results.post_account(headers=headers, error=error)
    return results.post_account(headers=headers, response=response)


def post_container(conn: Connection, container: str, options: Options) -> PostContainerResult:
    headers = post_headers(Target.CONTAINER, options.meta, options.header, options)
    try:
        try:
            response = conn.post_container(container, headers)
        except ClientException as error:
            if error.http_status != 404:
                raise
            # python-swiftclient's behaviour: a post to a missing container creates it
            response = conn.put_container(container, headers)
    except ClientException as error:
        if error.http_status == 404:
            raise not_found(error, container) from error
        return results.post_container(container=container, headers=headers, error=error)
    return results.post_container(container=container, headers=headers, response=response)


def post_object(
    conn: Connection, container: str, obj: str, headers: dict[str, str]
) -> PostObjectResult:
    """Job: POST one object's headers (object_uu pool)."""
    response = conn.post_object(container, obj, headers)
    return results.post_object(container=container, object=obj, headers=headers,
                               response=response)


def _post_object_failed(
    container: str, obj: str, headers: dict[str, str]
) -> Callable[[BaseException], PostObjectResult]:
    def result(error: BaseException) -> PostObjectResult:
        return results.post_object(container=container, object=obj, headers=headers, error=error)

    return result


def plan_objects(
    ctx: CallContext, container: str, objects: Iterable[PostObject]
) -> Iterator[Job]:
    """One POST job per object on the object upload/update pool."""
    for item in objects:
        headers = object_post_headers(ctx.options, item.options)
        yield Job(
            ctx.pools.object_uu,
            post_object,
            (container, item.object_name, headers),
            on_error=_post_object_failed(container, item.object_name, headers),
        )
