"""``Service.download``: objects, a container, or the whole account, verified.

Planning (:func:`validate`, :func:`plan`) lists lazily in the consumer's
thread and yields one job per object on the object_dd pool;
:func:`~swiftsvc.ops.download.job.download_object` is that job. Per object:

1. One ``GET ?multipart-manifest=get``: for a plain object this *is* the
   download (the query means nothing to it), so small objects cost one
   request, no HEAD. For an SLO it returns the manifest, for a DLO its
   manifest object; those are then fetched whole, with their parts known
   (:mod:`swiftsvc.ops.download.large`). A user ``Range`` skips the trick:
   ranged reads are checked by length only.
2. The body streams into a temporary file next to the target while
   :class:`~swiftsvc.ops.download.local.StreamVerifier` checks length and MD5
   (segment by segment for large objects); a dropped connection resumes
   (:mod:`swiftsvc.ops.download.body`).
3. Only verified data is renamed into place, with its ``X-Object-Meta-Mtime``.
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections.abc import Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from swiftsvc import results
from swiftsvc._streams import Job
from swiftsvc.errors import SwiftError
from swiftsvc.objects import iter_names
from swiftsvc.ops.download.job import ACTION, STDOUT, Item, Settings, download_object
from swiftsvc.ops.listing import iter_account_pages, iter_container_pages
from swiftsvc.results import DownloadObjectResult, error_attempts

if TYPE_CHECKING:
    from swiftsvc.ops._context import CallContext

__all__ = ["download_object", "plan", "validate"]

log = logging.getLogger(__name__)


# ---------------------------------------------------------------- planning


def validate(ctx: CallContext, container: str | None, objects: Iterable[str] | None) -> None:
    """Refuse bad arguments at the call (raises :class:`SwiftError`)."""
    options = ctx.options
    if not container:
        if objects:
            raise SwiftError("Objects specified without container")
        if not options.yes_all:
            raise SwiftError(
                "downloading a whole account needs the yes_all option "
                "(or name a container)"
            )
    elif not isinstance(container, str) or "/" in container:
        raise SwiftError(f"container name {container!r} must be a string without '/'",
                         container=str(container))
    if objects is not None:
        iter_names(objects, operation="download")
    out_file = options.out_file
    if out_file:
        count = len(objects) if isinstance(objects, (list, tuple)) else None
        if objects is None or count not in (1, None):
            raise SwiftError(
                f"out_file {out_file!r} takes exactly one object "
                f"({'a whole container' if objects is None else f'{count} given'})"
            )
        if out_file != STDOUT and os.path.isdir(out_file):
            raise SwiftError(f"out_file {out_file!r} is a directory")
    if options.version_id is not None and objects is None:
        raise SwiftError("version_id needs the objects to download named")
    if options.out_directory and os.path.exists(options.out_directory) and not os.path.isdir(
        options.out_directory
    ):
        raise SwiftError(f"out_directory {options.out_directory!r} is not a directory")


def plan(ctx: CallContext, container: str | None, objects: Iterable[str] | None) -> Iterator[Job]:
    """One job per object, produced lazily (listings are read page by page)."""
    options = ctx.options
    settings = Settings(
        options=options,
        account_wide=not container,
        events=ctx.events,
        scope=ctx.scope,
        consumer_connection=ctx.connection,
        # pieces of a large SLO are fetched in parallel there
        segments=ctx.pools.segment,
    )
    if not container:
        yield from _account_jobs(ctx, settings)
    elif objects is None:
        yield from _container_jobs(ctx, settings, container)
    else:
        for seen, name in enumerate(iter_names(objects, operation="download")):
            if options.out_file and seen:
                raise SwiftError(f"out_file {options.out_file!r} takes exactly one object")
            yield _job(ctx, settings, Item(container, name, options.version_id))


def _account_jobs(ctx: CallContext, settings: Settings) -> Iterator[Job]:
    # prefix, marker and delimiter filter objects, not containers
    account_options = ctx.options.merged(
        {"prefix": None, "marker": "", "end_marker": "", "delimiter": None}
    )
    for page in iter_account_pages(ctx.connection(), account_options):
        names = [str(item["name"]) for item in page if "name" in item]
        if ctx.options.shuffle:
            random.shuffle(names)
        for name in names:
            try:
                yield from _container_jobs(ctx, settings, name)
            except SwiftError as error:
                if error.container != name:
                    raise
                # deleted since the account was listed: nothing left to download
                log.info("skipping container %r: %s", name, error)


def _container_jobs(ctx: CallContext, settings: Settings, container: str) -> Iterator[Job]:
    """Jobs for a container's objects; one listing page is held at a time.

    ``shuffle`` shuffles within each page: a global shuffle would need the
    whole listing in memory.
    """
    options = ctx.options
    for page in iter_container_pages(ctx.connection(), container, options):
        entries = [entry for entry in page if "name" in entry]  # skip subdir entries
        del page
        if options.shuffle:
            random.shuffle(entries)
        for entry in entries:
            item = _listed_item(container, entry, versions=options.versions)
            if item is None:
                continue
            ctx.events.queued(ACTION, container, item.obj, item.queued_size)
            yield _job(ctx, settings, item)
        del entries  # not alive while the next page is fetched


def _listed_item(container: str, entry: Mapping[str, Any], *, versions: bool) -> Item | None:
    name = str(entry["name"])
    size = int(entry.get("bytes") or 0)
    if not versions or "version_id" not in entry:
        return Item(container, name, queued_size=size)
    if str(entry.get("content_type", "")).startswith("application/x-deleted"):
        return None  # a delete marker has no bytes to download
    version = str(entry["version_id"])
    # the current version keeps the plain name; older ones get ".<version_id>"
    latest = entry.get("is_latest", True) in (True, "true", "True")
    return Item(container, name, version, "" if latest else f".{version}", queued_size=size)


def _job(ctx: CallContext, settings: Settings, item: Item) -> Job:
    def on_error(error: BaseException) -> DownloadObjectResult:
        # the job never ran (cancelled), or broke before its own result
        now = time.time()
        history = error_attempts(error) or ()
        return results.download_object(
            container=item.container, object=item.obj, path=item.obj, pseudodir=False,
            start_time=now, auth_end_time=now, headers_receipt=now, finish_time=now,
            read_length=0, status=None, tries=len(history), history=history, error=error,
        )

    return Job(ctx.pools.object_dd, download_object, (item, settings), on_error=on_error)
