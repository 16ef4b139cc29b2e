"""``Service.stat``: account, container and object statistics.

The ``items`` of a result are (label, value) pairs ready for display, as
python-swiftclient's ``stat_account`` / ``stat_container`` / ``stat_object``
helpers build them: the user metadata is left to the ``headers`` (the
``swift`` command turns those into ``Meta <Key>`` lines itself, so metadata
in the items would be shown twice). The ``headers`` are the answer's, less
the hop-by-hop ones (``Connection``), which describe the connection, not
the account, container or object. The pure builders (:func:`account_items`,
...) turn response headers into items; the jobs make the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING

from swiftsvc import results
from swiftsvc._streams import Job
from swiftsvc.errors import ClientException
from swiftsvc.ops._not_found import not_found
from swiftsvc.options import Options
from swiftsvc.results import Item, StatAccountResult, StatContainerResult, StatObjectResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext

_POLICY_PREFIX = "x-account-storage-policy-"
_POLICY_QUOTA_PREFIX = "x-account-quota-bytes-policy-"
# RFC 9110 7.6.1: meaningful for one connection only
_HOP_BY_HOP = frozenset({
    "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
    "upgrade",
})


def end_to_end(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` without the hop-by-hop ones."""
    return {name: value for name, value in headers.items() if name.lower() not in _HOP_BY_HOP}


def human_size(value: object, human: bool) -> str:
    """python-swiftclient's ``prt_bytes``, without its padding: ``'1536'`` or ``'1.5K'``."""
    if not human:
        return str(value)
    number = float(str(value))
    suffix = ""
    for candidate in "KMGTPEZY":
        if number <= 1023:
            break
        number /= 1024.0
        suffix = candidate
    if not suffix:
        return str(value)
    if number >= 10:
        return f"{int(number)}{suffix}"
    return f"{number:.1f}{suffix}"


def account_name(storage_url: str) -> str:
    return storage_url.rstrip("/").rsplit("/", 1)[-1]


def account_items(headers: Mapping[str, str], account: str, *, human: bool = False) -> list[Item]:
    items: list[Item] = [
        ("Account", account),
        ("Containers", int(headers.get("x-account-container-count", 0))),
        ("Objects", human_size(headers.get("x-account-object-count", 0), human)),
        ("Bytes", human_size(headers.get("x-account-bytes-used", 0), human)),
    ]
    quota = headers.get("x-account-meta-quota-bytes")
    if quota:
        items.append(("Quota Bytes", human_size(quota, human)))
    policies = sorted(
        {
            name[len(_POLICY_PREFIX):].rsplit("-", 2)[0]
            for name in headers
            if name.startswith(_POLICY_PREFIX)
        }
    )
    for policy in policies:
        base = _POLICY_PREFIX + policy
        if base + "-container-count" in headers:
            items.append(
                (f'Containers in policy "{policy}"',
                 human_size(headers[base + "-container-count"], human))
            )
        items.append(
            (f'Objects in policy "{policy}"', human_size(headers.get(base + "-object-count", 0),
                                                        human))
        )
        items.append(
            (f'Bytes in policy "{policy}"', human_size(headers.get(base + "-bytes-used", 0),
                                                      human))
        )
        quota = headers.get(_POLICY_QUOTA_PREFIX + policy)
        if quota:
            items.append((f'Quota Bytes for policy "{policy}"', human_size(quota, human)))
    return items


def container_items(
    headers: Mapping[str, str], account: str, container: str, *, human: bool = False
) -> list[Item]:
    return [
        ("Account", account),
        ("Container", container),
        ("Objects", human_size(headers.get("x-container-object-count", 0), human)),
        ("Bytes", human_size(headers.get("x-container-bytes-used", 0), human)),
        ("Read ACL", headers.get("x-container-read", "")),
        ("Write ACL", headers.get("x-container-write", "")),
        ("Sync To", headers.get("x-container-sync-to", "")),
        ("Sync Key", headers.get("x-container-sync-key", "")),
    ]


def object_items(
    headers: Mapping[str, str], account: str, container: str, obj: str, *, human: bool = False
) -> list[Item]:
    return [
        ("Account", account),
        ("Container", container),
        ("Object", obj),
        ("Content Type", headers.get("content-type")),
        ("Content Length", human_size(headers.get("content-length", 0), human)),
        ("Last Modified", headers.get("last-modified")),
        ("ETag", headers.get("etag")),
        ("Manifest", headers.get("x-object-manifest")),
    ]


# ------------------------------------------------------------------ actions


def _where(options: Options, url: str, label: str = "StorageURL") -> list[Item]:
    """``swift -v stat`` (verbose above 1) shows the URL first; python-swiftclient
    shows the auth token too, which swiftsvc never puts in a result."""
    return [(label, url)] if options.verbose > 1 else []


def stat_account(conn: Connection, options: Options) -> StatAccountResult:
    """HEAD the account; a missing account raises :class:`SwiftError`."""
    try:
        response = conn.head_account(headers=dict(options.header) or None)
    except ClientException as error:
        if error.http_status == 404:
            raise not_found(error) from error
        return results.stat_account(items=[], headers={}, error=error)
    headers = end_to_end(response.headers)
    items = [*_where(options, conn.storage_url),
             *account_items(headers, account_name(conn.storage_url), human=options.human)]
    return results.stat_account(items=items, headers=headers, response=response)


def stat_container(conn: Connection, container: str, options: Options) -> StatContainerResult:
    """HEAD ``container``; a missing container raises :class:`SwiftError`."""
    try:
        response = conn.head_container(container, headers=dict(options.header) or None)
    except ClientException as error:
        if error.http_status == 404:
            raise not_found(error, container) from error
        return results.stat_container(container=container, items=[], headers={}, error=error)
    headers = end_to_end(response.headers)
    items = [*_where(options, f"{conn.storage_url}/{container}", "URL"), *container_items(
        headers, account_name(conn.storage_url), container, human=options.human
    )]
    return results.stat_container(
        container=container, items=items, headers=headers, response=response
    )


def version_query(options: Options) -> dict[str, str] | None:
    return {"version-id": options.version_id} if options.version_id is not None else None


def stat_object(conn: Connection, container: str, obj: str, options: Options) -> StatObjectResult:
    """Job: HEAD one object (object_dd pool)."""
    response = conn.head_object(
        container, obj, headers=dict(options.header) or None, query=version_query(options)
    )
    headers = end_to_end(response.headers)
    items = [*_where(options, f"{conn.storage_url}/{container}/{obj}", "URL"), *object_items(
        headers, account_name(conn.storage_url), container, obj, human=options.human
    )]
    return results.stat_object(
        container=container, object=obj, items=items, headers=headers, response=response
    )


def _stat_object_failed(
    container: str, obj: str
) -> Callable[[BaseException], StatObjectResult]:
    def result(error: BaseException) -> StatObjectResult:
        return results.stat_object(
            container=container, object=obj, items=[], headers={}, error=error
        )

    return result


def plan_objects(ctx: CallContext, container: str, objects: Iterable[str]) -> Iterator[Job]:
    """One HEAD job per object on the object download/delete pool."""
    for name in objects:
        yield Job(
            ctx.pools.object_dd,
            stat_object,
            (container, name, ctx.options),
            on_error=_stat_object_failed(container, name),
        )
