"""Listings: the lazy pagers every operation shares, and ``Service.list``.

:func:`iter_container_pages` and :func:`iter_account_pages` hold one page at
a time, so walking a container of millions of objects keeps memory flat.
They page until the cluster answers an empty page: a cluster may return
fewer items than asked (its ``container_listing_limit``), so a short page
does not mean the end.

In the pagers, a missing container or account raises
:class:`~swiftsvc.errors.SwiftError` (wrapping the 404
:class:`~swiftsvc.errors.ClientException`); any other failed request raises
its ``ClientException``. ``Service.list`` yields these errors as a failed
page, as python-swiftclient does.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any, TypeVar

from swiftsvc import results
from swiftsvc._pools import POLL_INTERVAL, Cancelled, CancelScope
from swiftsvc.errors import ClientException
from swiftsvc.ops._not_found import not_found
from swiftsvc.options import Options
from swiftsvc.results import ListAccountPartResult, ListContainerPartResult, ListResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext

R = TypeVar("R")
Item = dict[str, Any]
Page = list[Item]

# Swift never returns more than 10000 items a page (docs/COMPAT.md §6)
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
    version_marker: str | None = options.version_marker or None
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
                raise not_found(error, container) from error
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
                raise not_found(error) from error
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


def list_results(ctx: CallContext, container: str | None) -> Iterator[ListResult]:
    """The pages of the account or of ``container``, fetched as they are consumed.

    A failed page (a missing container, say) is the last result, as
    python-swiftclient yields it; only one page is held at a time.
    """
    conn = ctx.connection()
    options = ctx.options
    pages = (
        iter_account_pages(conn, options)
        if container is None
        else iter_container_pages(conn, container, options)
    )
    marker = options.marker
    version_marker = options.version_marker
    finished = False
    try:
        while True:
            listing: Page = []
            try:
                page = next(pages, None)
                if page is None:
                    break
                listing = page
                del page
                if options.long:
                    _add_meta(ctx, container, listing)
            except Exception as error:
                if isinstance(error, Cancelled):
                    raise
                yield _page(ctx, container, listing, marker, version_marker, error)
                break
            result = _page(ctx, container, listing, marker, version_marker)
            # the next page starts after this one's last entry
            last = listing[-1]
            marker = item_name(last)
            version_marker = str(last.get("version_id", "")) if options.versions else ""
            del listing
            yield result  # hold one page at a time: the consumer has this one
            del result
            if ctx.scope.cancelled:
                yield _page(ctx, container, [], marker, version_marker,
                            Cancelled("listing cancelled"))
                break
        finished = True
    finally:
        if not finished:
            # closed early: stop any metadata request still queued
            ctx.scope.cancel()
        if isinstance(pages, Generator):
            pages.close()


def _page(
    ctx: CallContext,
    container: str | None,
    listing: Page,
    marker: str,
    version_marker: str,
    error: BaseException | None = None,
) -> ListResult:
    """One ``list_*_part`` result; a failure keeps what was listed (``long``) or nothing."""
    prefix = ctx.options.prefix
    result: ListAccountPartResult | ListContainerPartResult
    if container is None:
        result = results.list_account_part(
            prefix=prefix, listing=listing, marker=marker, error=error
        )
    else:
        result = results.list_container_part(
            container=container, prefix=prefix, listing=listing, marker=marker,
            version_marker=version_marker, error=error,
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
