"""Listings and metadata of ``swift://``: ``ls``, ``info``, ``find`` on Swift's listings.

One listing request answers most questions: ``info`` asks for the names
starting with the key up to its ``/`` (an object and a pseudo-folder of the
same name sort first and last), ``find`` lists flat under the folder's
prefix, ``ls`` lists with ``delimiter="/"``. A page shorter than the
cluster's listing limit ends a listing without asking for the empty page.
What a ``put``/``get``/``copy``/``rm`` lists answers its own later
``isdir`` questions (see :class:`~swiftsvc.fsspec._transfers.Batch`).
"""

from __future__ import annotations

import contextlib
import errno
import threading
from collections.abc import Generator, Iterable, Mapping
from datetime import datetime
from typing import Any

from fsspec.spec import AbstractFileSystem

from swiftsvc import Service, SwiftError
from swiftsvc.fsspec import _paths
from swiftsvc.fsspec._info import (
    DIRECTORY_TYPES,
    container_info,
    container_stat_info,
    folder_info,
    head_info,
    listing_info,
)
from swiftsvc.fsspec._transfers import Batch
from swiftsvc.fsspec.errors import as_iter, check, http_status, to_os_error


class Listings(AbstractFileSystem):  # type: ignore[misc]
    """The listing and metadata half of :class:`~swiftsvc.fsspec.SwiftFileSystem`."""

    service: Service
    _batches: threading.local
    _listing_limits: tuple[int, int] | None

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        location = _paths.split(path)
        if location.is_root:
            entries = [container_info(item) for item in self._list(None, {})]
        else:
            entries = self._ls_folder(path, location)
        if detail:
            return entries
        return [entry["name"] for entry in entries]

    def _ls_folder(self, path: str, location: _paths.SwiftPath) -> list[dict[str, Any]]:
        prefix = location.folder_prefix
        entries: dict[str, dict[str, Any]] = {}
        for item in self._list(location.container, {"prefix": prefix or None, "delimiter": "/"}):
            if "subdir" in item:
                name = _paths.join(location.container, str(item["subdir"]).rstrip("/"))
                entries.setdefault(name, folder_info(name))
                continue
            if item["name"] == prefix:
                continue  # the folder's own marker object ("a/b/")
            info = listing_info(location.container, item)
            if info["type"] == "directory" and info["name"] in entries:
                continue
            entries[info["name"]] = info
        if entries or location.is_container:
            self._learned(entries.values())
            return list(entries.values())
        # nothing below it: an object's own path lists as that object
        info = self.info(path)
        if info["type"] == "file":
            return [info]
        return []

    def info(self, path: str, **kwargs: Any) -> dict[str, Any]:
        location = _paths.split(path)
        if location.is_root:
            return folder_info("")
        batch: Batch | None = getattr(self._batches, "current", None)
        if batch is not None and location.full in batch.known:
            # listed moments ago by this same put/get/copy/rm: fsspec asks isdir()
            # of every path it expanded, which would be one request each
            return dict(batch.known[location.full])
        if location.is_container:
            try:
                stat = self.service.stat(location.container)
            except SwiftError as error:
                raise to_os_error(error, path) from error
            assert isinstance(stat, dict)
            return container_stat_info(location.container, stat["headers"])
        return self._object_orfolder_info(path, location)

    def _object_orfolder_info(self, path: str, location: _paths.SwiftPath) -> dict[str, Any]:
        """One listing request tells an object from a pseudo-folder: names starting
        with the key, up to its ``/`` (``end_marker`` is the key + ``"0"``, the
        character after ``/``), rolled up at the ``/`` by the delimiter."""
        key = location.key
        listed = self._list(
            location.container,
            {"prefix": key, "delimiter": "/", "end_marker": key + "0"},
        )
        entry: dict[str, Any] | None = None
        folder = False
        with contextlib.closing(listed):
            # sorted: the object "key" comes first, the folder "key/" last, so
            # either ends the search without asking for the (empty) next page
            for item in listed:
                if item.get("name") == key:
                    entry = item
                    break
                if item.get("subdir") == key + "/":
                    folder = True
                    break
        if entry is not None:
            marker = entry.get("content_type") in DIRECTORY_TYPES
            if int(entry.get("bytes", 0)) == 0 and not marker:
                # an empty object may be a DLO manifest, whose size only a HEAD tells
                return self._head(path, location)
            return listing_info(location.container, entry)
        if folder:
            return folder_info(location.full)
        raise FileNotFoundError(errno.ENOENT, "no such object or folder", path)

    def _head(self, path: str, location: _paths.SwiftPath) -> dict[str, Any]:
        [result] = list(as_iter(self.service.stat(location.container, [location.key])))
        check(result, path)
        return head_info(location.full, result["headers"])

    def find(
        self,
        path: str,
        maxdepth: int | None = None,
        withdirs: bool = False,
        detail: bool = False,
        **kwargs: Any,
    ) -> Any:
        """Everything below ``path`` from flat listings (one request per 10000 names)."""
        if maxdepth is not None and maxdepth < 1:
            raise ValueError("maxdepth must be at least 1")
        location = _paths.split(path)
        found: dict[str, dict[str, Any]] = {}
        below = False
        containers = (
            [str(item["name"]) for item in self._list(None, {})]
            if location.is_root else [location.container]
        )  # fmt: skip
        for container in containers:
            if location.is_root:
                if withdirs:
                    found[container] = folder_info(container)
                depth = None if maxdepth is None else maxdepth - 1
                if depth == 0:
                    continue
                self._find_in(_paths.SwiftPath(container, ""), depth, withdirs, found)
            else:
                below = self._find_in(location, maxdepth, withdirs, found)
        if not below and not location.is_root:
            try:
                info = self.info(path)
            except FileNotFoundError:
                info = None
            if info is not None and info["type"] == "file":
                found[info["name"]] = info
        if withdirs and below and not location.is_root and location.full not in found:
            found[location.full] = folder_info(location.full)  # it has objects below it
        self._learned(found.values())
        names = sorted(found)
        if detail:
            return {name: found[name] for name in names}
        return names

    def _find_in(
        self,
        location: _paths.SwiftPath,
        maxdepth: int | None,
        withdirs: bool,
        found: dict[str, dict[str, Any]],
    ) -> bool:
        """Add what lies below ``location`` to ``found``; whether anything does."""
        prefix = location.folder_prefix
        seen = False
        for item in self._list(location.container, {"prefix": prefix or None}, missing_ok=True):
            key = str(item["name"])
            if key == prefix:
                continue
            seen = True
            depth = key[len(prefix):].count("/") + 1
            if withdirs:
                for folder_depth, folder in enumerate(_paths.folders_of(key, prefix), start=1):
                    if maxdepth is None or folder_depth <= maxdepth:
                        name = _paths.join(location.container, folder)
                        found.setdefault(name, folder_info(name))
            if maxdepth is not None and depth > maxdepth:
                continue
            info = listing_info(location.container, item)
            if info["type"] == "directory" and not withdirs:
                continue
            found[info["name"]] = info
        return seen

    def _list(
        self, container: str | None, options: Mapping[str, Any], *, missing_ok: bool = False
    ) -> Generator[dict[str, Any], None, None]:
        """The items of every page of the account or ``container``, lazily."""
        try:
            pages = self.service.list(container, options=dict(options))
        except SwiftError as error:  # a missing container raises at the call
            if missing_ok and http_status(error) == 404:
                return
            raise to_os_error(error, container or "") from error
        full_page = self._page_limit(container is None)
        try:
            for page in pages:
                if not page["success"]:
                    if missing_ok and http_status(page["error"]) == 404:
                        return
                    check(page, container or "")
                yield from page["listing"]
                if len(page["listing"]) < full_page:
                    # a page shorter than the cluster's limit is the last one: do not
                    # ask for the empty page that would say so
                    return
        finally:
            close = getattr(pages, "close", None)
            if callable(close):
                close()

    def _learned(self, entries: Iterable[dict[str, Any]]) -> None:
        """Remember listed entries for the rest of the current put/get/copy/rm."""
        batch: Batch | None = getattr(self._batches, "current", None)
        if batch is not None:
            for entry in entries:
                batch.known[entry["name"]] = entry

    def _page_limit(self, account: bool) -> int:
        """The cluster's listing page size (its ``/info``, cached by the Service)."""
        if self._listing_limits is None:
            try:
                info = self.service.capabilities()["capabilities"].get("swift", {})
            except Exception:  # no /info: never stop on a short page
                info = {}
            self._listing_limits = (
                min(int(info.get("account_listing_limit", 0)) or 1 << 62, 10000),
                min(int(info.get("container_listing_limit", 0)) or 1 << 62, 10000),
            ) if info else (1 << 62, 1 << 62)  # fmt: skip
        return self._listing_limits[0 if account else 1]

    def created(self, path: str) -> datetime:
        return self.modified(path)

    def modified(self, path: str) -> datetime:
        info = self.info(path)
        if "last_modified" not in info:
            raise IsADirectoryError(errno.EISDIR, "folders have no modification time", path)
        value = info["last_modified"]
        assert isinstance(value, datetime)
        return value

    def ukey(self, path: str) -> str:
        info = self.info(path)
        return str(info.get("etag") or info["name"])
