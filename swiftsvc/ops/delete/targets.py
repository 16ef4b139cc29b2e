"""Where ``Service.delete`` gets its targets: names given, or listings.

A listing entry tells how to delete its object (:func:`classify`); an object
only named has no entry, so a chunk of names gets one by listing their
container over the names' range (:func:`with_listing`), a bounded number
of pages: names beyond them stay :attr:`~Kind.UNKNOWN` and are HEADed.

A listing entry cannot tell a DLO manifest from a plain empty object (same
size 0, etag of the empty string and content type, checked on Swift 2.38),
so those are :attr:`~Kind.MAYBE_DLO`. When a whole container is deleted,
:class:`LoneContainer` may show that no HEAD can matter (see there).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from os.path import commonprefix
from typing import TYPE_CHECKING, Any

from swiftsvc import results as result_types
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.objects import DeleteObject, iter_named
from swiftsvc.ops.delete.jobs import Kind, Target
from swiftsvc.ops.listing import iter_account_pages, iter_container_pages
from swiftsvc.options import Options

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext

log = logging.getLogger(__name__)

_EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"
_DIRECTORY_TYPES = frozenset({"application/directory", "application/x-directory", "text/directory"})
_DELETE_MARKER_TYPE = "application/x-deleted"


def classify(entry: Mapping[str, Any] | None) -> Kind:
    """What a listing entry (None: not listed) says about the object behind it."""
    if entry is None:
        return Kind.UNKNOWN
    content_type = str(entry.get("content_type", ""))
    base_type = content_type.partition(";")[0].strip().lower()
    if base_type == _DELETE_MARKER_TYPE:
        return Kind.PLAIN
    # clusters without listing_formats show an SLO's size as swift_bytes
    if "slo_etag" in entry or "swift_bytes=" in content_type:
        return Kind.SLO
    if entry.get("bytes") == 0 and base_type not in _DIRECTORY_TYPES and entry.get(
        "hash", _EMPTY_MD5
    ) == _EMPTY_MD5:
        # a DLO manifest is an empty object; only a HEAD can tell
        return Kind.MAYBE_DLO
    return Kind.PLAIN


def named_targets(
    ctx: CallContext, container: str, objects: Iterable[Any]
) -> Iterator[Target]:
    """The objects given to ``delete`` (names or ``DeleteObject``), each with
    its own options; with ``versions``, one target per version."""
    prefix = ctx.options.prefix
    for item in iter_named(objects, DeleteObject, operation="delete"):
        name = item.object_name
        if prefix and not name.startswith(prefix):
            continue  # python-swiftclient's filter
        options = ctx.with_options(item.options)
        own = bool(item.options)
        if options.versions and options.version_id is None:
            yield from _version_targets(ctx, container, name, options, own)
            continue
        yield Target(container, name, options, options.version_id, Kind.UNKNOWN, own)


def _version_targets(
    ctx: CallContext, container: str, name: str, options: Options, own: bool
) -> Iterator[Target]:
    """Every version of one object (``versions`` with a list of names)."""
    listing_options = options.merged(
        {"prefix": name, "marker": "", "end_marker": "", "delimiter": None, "versions": True}
    )
    try:
        for page in iter_container_pages(ctx.connection(), container, listing_options):
            for entry in page:
                if entry.get("name") == name:
                    yield Target(
                        container, name, options, entry.get("version_id"), classify(entry), own
                    )
    except (ClientException, SwiftError) as error:
        ctx.stream.emit(result_types.delete_object(container=container, object=name, error=error))


class ListedTargets:
    """A container's listing as targets, page by page; a failed listing ends
    the iteration and is kept in ``error``."""

    def __init__(self, ctx: CallContext, container: str) -> None:
        self._ctx = ctx
        self._container = container
        self.error: BaseException | None = None

    def __iter__(self) -> Iterator[Target]:
        options = self._ctx.options
        try:
            for page in iter_container_pages(self._ctx.connection(), self._container, options):
                for entry in page:
                    if "name" not in entry:
                        continue  # a subdir entry (delimiter given): no object to delete
                    version_id = entry.get("version_id") if options.versions else None
                    yield Target(
                        self._container, str(entry["name"]), options, version_id,
                        classify(entry), own_options=False, missing_ok=True,
                    )
        except (ClientException, SwiftError) as error:
            self.error = error


def listing_range(names: list[str]) -> tuple[str, str, int]:
    """(prefix, marker, page budget) of a listing that covers sorted ``names``.

    The marker sorts just before the first name; the budget grows with the
    names so a dense range is listed fully while sparse names in a huge
    container cost a few pages, not the whole container.
    """
    # character by character on purpose: a listing prefix, not a path
    prefix = commonprefix([names[0], names[-1]])  # noqa: RUF071
    return prefix, names[0][:-1], 2 + len(names) // 1000


def with_listing(conn: Connection, container: str, chunk: list[Target]) -> list[Target]:
    """``chunk`` with the listing entries of its unknown objects filled in;
    a name inside the listed range but not listed becomes a plain delete
    (it is missing), one beyond it stays unknown (HEADed later)."""
    names = sorted({t.obj for t in chunk if t.kind is Kind.UNKNOWN})
    prefix, marker, budget = listing_range(names)
    entries: dict[str, Mapping[str, Any]] = {}
    horizon: str | None = None  # every name <= horizon was covered
    wanted = set(names)
    try:
        for _ in range(budget):
            _, page = conn.get_container(container, marker=marker, prefix=prefix or None)
            if not page:
                horizon = names[-1]
                break
            entries.update((e["name"], e) for e in page if e.get("name") in wanted)
            marker = str(page[-1].get("name", marker))
            horizon = marker
            if marker >= names[-1]:
                break
    except ClientException:
        return chunk  # no listing: everything unknown is HEADed instead
    updated: list[Target] = []
    for target in chunk:
        if target.kind is Kind.UNKNOWN:
            entry = entries.get(target.obj)
            if entry is not None:
                target = target.with_kind(classify(entry))
            elif horizon is not None and target.obj <= horizon:
                target = target.with_kind(Kind.PLAIN)
        updated.append(target)
    return updated


# other containers listed as empty that LoneContainer HEADs at most: beyond
# that the account is too big for the check to be worth it
MAX_CONTAINER_CHECKS = 1000


class LoneContainer:
    """Whether the container being deleted whole is the only container of
    its account that holds objects.

    Then the HEAD of its empty objects cannot matter: a DLO manifest names
    its segments as ``<container>/<prefix>`` of the same account, so they are
    either in this container, whose every object this call deletes (if the
    call fails midway the container stays, with them, and says so), or in a
    container that is empty or does not exist: nothing can be orphaned.
    Only sound when the call lists and deletes the whole container (no
    prefix, delimiter or markers): the caller decides that.

    The check is one account listing (its object counts lag behind in
    Swift, the container updater reports them later: a count above 0 is
    taken as is, a 0 is confirmed by a HEAD of that container), done when
    the first empty objects come. Each call spends at most ``budget``
    container HEADs (the object HEADs it may save), so a large account with
    a few empty objects costs no more than before. Like every listing, it
    shows the account at one moment: a container filled while the delete
    runs is not seen.
    """

    def __init__(self, ctx: CallContext, container: str) -> None:
        self._ctx = ctx
        self._container = container
        self._verdict: bool | None = None
        self._unchecked: list[str] | None = None  # listed with count 0, not HEADed yet

    def holds_all_segments(self, budget: int) -> bool:
        """True once shown; False once disproved or undecidable (an error)."""
        if self._verdict is None:
            try:
                self._verdict = self._check(budget)
            except (ClientException, SwiftError) as error:
                # e.g. a user who may not list the account: HEAD the objects
                log.debug("cannot tell whether %r is alone, HEADing: %s", self._container, error)
                self._verdict = False
        return bool(self._verdict)

    def _check(self, budget: int) -> bool | None:
        conn = self._ctx.connection()
        headers = dict(self._ctx.options.header) or None
        if self._unchecked is None:
            self._unchecked = self._listed_empty(conn)
            if self._unchecked is None:
                return False
        while self._unchecked and budget > 0:
            name = self._unchecked.pop()
            budget -= 1
            try:
                head = conn.head_container(name, headers=headers)
            except ClientException as error:
                if error.http_status == 404:
                    continue  # gone since the listing
                raise
            if head.headers.get("x-container-object-count") != "0":
                return False
        return None if self._unchecked else True

    def _list_options(self) -> Options:
        return self._ctx.options.merged(
            {"prefix": None, "marker": "", "end_marker": "", "delimiter": None}
        )

    def _listed_empty(self, conn: Connection) -> list[str] | None:
        """The other containers the account listing shows as empty; None if
        one holds objects or there are too many to check."""
        empty: list[str] = []
        for page in iter_account_pages(conn, self._list_options()):
            for item in page:
                name = item.get("name")
                if name is None or name == self._container:
                    continue
                if item.get("count") != 0 or len(empty) >= MAX_CONTAINER_CHECKS:
                    return None
                empty.append(str(name))
        return empty
