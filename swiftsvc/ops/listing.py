"""Listings: the lazy pagers every operation shares, and ``Service.list``.

:func:`iter_container_pages` and :func:`iter_account_pages` hold one page at
a time, so walking a container of millions of objects keeps memory flat.
They page until the cluster answers an empty page: a cluster may return
fewer items than asked (its ``container_listing_limit``), so a short page
does not mean the end.

A missing container or account raises :class:`~swiftsvc.errors.SwiftError`
(wrapping the 404 :class:`~swiftsvc.errors.ClientException`); any other
failed request raises its ``ClientException``.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from swiftsvc._pools import POLL_INTERVAL, Cancelled, CancelScope
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.options import Options
from swiftsvc.results import Action, Result, failure, success

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext

R = TypeVar("R")
Item = dict[str, Any]
Page = list[Item]

# Swift never returns more than 10000 items a page (SPEC §3)
MAX_PAGE = 10000


def item_name(item: Item) -> str:
    """The name of a listing entry: an object/container or a ``subdir`` pseudo-folder."""
    name = item.get("name", item.get("subdir", ""))
    return str(name)


def _page_limit(limit: int | None) -> int | None:
    if limit is None:
        return None
    return max(1, min(limit, MAX_PAGE))


def iter_container_pages(
    conn: Connection, container: str, options: Options, *, limit: int | None = None
) -> Iterator[Page]:
    """The pages of ``container`` filtered by ``options`` (prefix, delimiter,
    marker, end_marker, versions, header), lazily, one request per page.

    ``limit`` asks for smaller pages (at most 10000); the cluster may still
    answer fewer.
    """
    marker = options.marker
    version_marker: str | None = None
    headers = dict(options.header) or None
    while True:
        try:
            _, page = conn.get_container(
                container,
                marker=marker,
                limit=_page_limit(limit),
                prefix=options.prefix,
                delimiter=options.delimiter,
                end_marker=options.end_marker,
                versions=options.versions,
                version_marker=version_marker,
                headers=headers,
            )
        except ClientException as error:
            if error.http_status == 404:
                raise SwiftError(
                    f"Container {container!r} not found", container=container, exc=error
                ) from error
            raise
        if not page:
            return
        # read before yielding: the consumer may change the page
        last = page[-1]
        marker = item_name(last)
        # with versions, one name spans several entries: resume after this version
        version_marker = None
        if options.versions and "version_id" in last:
            version_marker = str(last["version_id"])
        yield page


def iter_account_pages(
    conn: Connection, options: Options, *, limit: int | None = None
) -> Iterator[Page]:
    """The container pages of the account filtered by ``options`` (prefix,
    delimiter, marker, end_marker, header), lazily, one request per page."""
    marker = options.marker
    headers = dict(options.header) or None
    while True:
        try:
            _, page = conn.get_account(
                marker=marker,
                limit=_page_limit(limit),
                prefix=options.prefix,
                delimiter=options.delimiter,
                end_marker=options.end_marker,
                headers=headers,
            )
        except ClientException as error:
            if error.http_status == 404:
                raise SwiftError("Account not found", exc=error) from error
            raise
        if not page:
            return
        marker = item_name(page[-1])  # before yielding: the consumer may change the page
        yield page


def iter_objects(
    conn: Connection, container: str, options: Options, *, limit: int | None = None
) -> Iterator[Item]:
    """Every entry of ``container``, page after page (convenience over the pager)."""
    for page in iter_container_pages(conn, container, options, limit=limit):
        yield from page


# ------------------------------------------------------------ Service.list


def list_results(ctx: CallContext, container: str | None) -> Iterator[Result]:
    """Start a listing: the first page is fetched now, so that a missing
    container or account raises :class:`SwiftError` at the call; the rest
    is fetched as the returned iterator is consumed."""
    conn = ctx.connection()
    pages = (
        iter_account_pages(conn, ctx.options)
        if container is None
        else iter_container_pages(conn, container, ctx.options)
    )
    first: Page | BaseException | None
    try:
        first = next(pages, None)
    except ClientException as error:  # not a 404: a failed result, like other failures
        first = error
    return _pages_as_results(ctx, container, pages, first)


def _pages_as_results(
    ctx: CallContext,
    container: str | None,
    pages: Iterator[Page],
    first: Page | BaseException | None,
) -> Iterator[Result]:
    action = Action.LIST_ACCOUNT_PART if container is None else Action.LIST_CONTAINER_PART
    marker = ctx.options.marker
    page: Page | BaseException | None = first
    finished = False
    try:
        while page is not None:
            if isinstance(page, BaseException):
                yield _failed(ctx, action, container, page, marker)
                break
            if ctx.options.long:
                try:
                    _add_meta(ctx, container, page)
                except Exception as error:
                    yield _failed(ctx, action, container, error, marker, listing=page)
                    break
            marker = item_name(page[-1])
            result = success(
                action, container=container, prefix=ctx.options.prefix, listing=page,
                marker=marker,
            )
            ctx.events.result(result)
            page = None  # hold one page at a time: the consumer has this one
            yield result
            del result
            if ctx.scope.cancelled:
                yield _failed(ctx, action, container, Cancelled("listing cancelled"), marker)
                break
            try:
                page = next(pages, None)
            except (ClientException, SwiftError) as error:
                page = error
        finished = True
    finally:
        if not finished:
            # closed early: stop any metadata request still queued
            ctx.scope.cancel()
        if isinstance(pages, Generator):
            pages.close()


def _failed(
    ctx: CallContext,
    action: Action,
    container: str | None,
    error: BaseException,
    marker: str,
    **fields: Any,
) -> Result:
    result = failure(
        action, error, container=container, prefix=ctx.options.prefix, marker=marker, **fields
    )
    ctx.events.result(result)
    return result


def _add_meta(ctx: CallContext, container: str | None, page: Page) -> None:
    """``long``: each entry's ``meta`` is the HEAD of its object or container,
    fetched in parallel (objects on the object_dd pool, containers on the
    container pool). An entry gone since the listing gets ``meta = None``."""
    futures: list[tuple[Item, Future[dict[str, str] | None]]] = []
    for item in page:
        if "name" not in item:  # a ``subdir`` pseudo-folder has nothing to HEAD
            continue
        if container is None:
            future = ctx.pools.container.submit(ctx.scope, _head_container, item["name"])
        else:
            future = ctx.pools.object_dd.submit(
                ctx.scope, _head_object, container, item["name"], item.get("version_id")
            )
        futures.append((item, future))
    for item, future in futures:
        item["meta"] = _wait(future, ctx.scope)


def _wait(future: Future[R], scope: CancelScope) -> R:
    """The future's result, giving up promptly when ``scope`` is cancelled."""
    while True:
        scope.check()
        try:
            return future.result(timeout=POLL_INTERVAL)
        except TimeoutError:
            continue


def _head_container(conn: Connection, container: str) -> dict[str, str] | None:
    try:
        return dict(conn.head_container(container).headers)
    except ClientException as error:
        if error.http_status == 404:
            return None
        raise


def _head_object(
    conn: Connection, container: str, obj: str, version_id: str | None
) -> dict[str, str] | None:
    query = {"version-id": version_id} if version_id is not None else None
    try:
        return dict(conn.head_object(container, obj, query=query).headers)
    except ClientException as error:
        if error.http_status == 404:
            return None
        raise
