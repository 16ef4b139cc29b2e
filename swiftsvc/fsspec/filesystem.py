"""``SwiftFileSystem``: OpenStack Swift as an fsspec filesystem (``swift://``).

Every request goes through one :class:`swiftsvc.Service` per filesystem
instance: one token shared by all threads, its retry policy (Retry-After
included), its pools, segmented uploads and verified downloads. fsspec
caches instances by their storage options, so ``pandas.read_csv`` and
``to_parquet`` calls with the same options share one Service, and a
filesystem sent to another process (Dask) is rebuilt there from its
options, with its own Service.

Paths are ``container/pseudo/folder/object`` (``swift://`` optional). The
account is the root; containers are top-level folders; pseudo-folders are
the ``/`` of object names (and ``application/directory`` marker objects).
An object store has no empty folders: ``mkdir`` of a container creates
it, of a pseudo-folder does nothing.

Storage options are the Service's options (``auth``, ``user``, ``key``,
``os_*``, ``retries``, pool sizes, ...); what is not given comes from the
``ST_*`` / ``OS_*`` environment as for the Service. Besides them:
``segment_size`` (writes longer than this become Static Large Objects of
such segments; default 32 MiB) and ``block_size`` (the read and write
buffer, default 5 MiB).
"""

from __future__ import annotations

import bisect
import contextlib
import errno
import io
import os
import threading
from collections.abc import Generator, Iterable, Iterator, Mapping
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any

from fsspec.callbacks import DEFAULT_CALLBACK  # type: ignore[import-untyped]
from fsspec.spec import AbstractFileSystem  # type: ignore[import-untyped]

from swiftsvc import CopyObject, Service, SwiftError, UploadObject
from swiftsvc.fsspec import _paths
from swiftsvc.fsspec._transfers import (
    Batch,
    download_options,
    group_uploads,
    plan_downloads,
)
from swiftsvc.fsspec.errors import Result, check, http_status, to_os_error
from swiftsvc.fsspec.files import SwiftFile

DEFAULT_SEGMENT_SIZE = 32 << 20
# content types that mark an object as a folder (python-swiftclient's list)
_DIRECTORY_TYPES = frozenset({"application/directory", "text/directory"})
# AbstractFileSystem's own keyword arguments: never handed to the Service
_FSSPEC_OPTIONS = frozenset(
    {"use_listings_cache", "listings_expiry_time", "max_paths", "asynchronous", "loop",
     "skip_instance_cache"}
)  # fmt: skip
# put/get keyword arguments that become options of the Service call
_TRANSFER_OPTIONS = frozenset({"skip_identical", "changed", "segment_size", "checksum"})


class SwiftFileSystem(AbstractFileSystem):  # type: ignore[misc]
    """OpenStack Swift through one :class:`swiftsvc.Service` (see the module docstring)."""

    protocol = "swift"
    root_marker = ""
    sep = "/"

    def __init__(
        self,
        *,
        segment_size: int = DEFAULT_SEGMENT_SIZE,
        block_size: int | None = None,
        **storage_options: Any,
    ) -> None:
        fsspec_options = {
            name: storage_options.pop(name)
            for name in list(storage_options)
            if name in _FSSPEC_OPTIONS
        }
        super().__init__(**fsspec_options)
        if int(segment_size) < 1 << 20:
            raise ValueError(
                f"segment_size must be at least 1 MiB (SLO segments), not {segment_size}"
            )
        self.segment_size = int(segment_size)
        if block_size is not None:
            self.blocksize = int(block_size)
        # unknown or misspelt option names are refused here, by the Service
        self.service = Service(storage_options)
        self._batches = threading.local()
        self._listing_limits: tuple[int, int] | None = None

    # ---- paths ----------------------------------------------------------

    @classmethod
    def _strip_protocol(cls, path: Any) -> Any:
        if isinstance(path, list):
            return [cls._strip_protocol(p) for p in path]
        return _paths.strip_protocol(os.fspath(path) if not isinstance(path, str) else path)

    @classmethod
    def _parent(cls, path: str) -> str:
        return _paths.parent(path)

    def unstrip_protocol(self, name: str) -> str:
        return f"swift://{_paths.strip_protocol(name)}"

    # ---- listings and metadata -----------------------------------------

    def ls(self, path: str, detail: bool = True, **kwargs: Any) -> list[Any]:
        location = _paths.split(path)
        if location.is_root:
            entries = [_container_info(item) for item in self._list(None, {})]
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
                entries.setdefault(name, _folder_info(name))
                continue
            if item["name"] == prefix:
                continue  # the folder's own marker object ("a/b/")
            info = _listing_info(location.container, item)
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
            return _folder_info("")
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
            return _container_stat_info(location.container, stat["headers"])
        return self._object_or_folder_info(path, location)

    def _object_or_folder_info(self, path: str, location: _paths.SwiftPath) -> dict[str, Any]:
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
            marker = entry.get("content_type") in _DIRECTORY_TYPES
            if int(entry.get("bytes", 0)) == 0 and not marker:
                # an empty object may be a DLO manifest, whose size only a HEAD tells
                return self._head(path, location)
            return _listing_info(location.container, entry)
        if folder:
            return _folder_info(location.full)
        raise FileNotFoundError(errno.ENOENT, "no such object or folder", path)

    def _head(self, path: str, location: _paths.SwiftPath) -> dict[str, Any]:
        [result] = list(_as_iter(self.service.stat(location.container, [location.key])))
        check(result, path)
        return _head_info(location.full, result["headers"])

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
                    found[container] = _folder_info(container)
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
            found[location.full] = _folder_info(location.full)  # it has objects below it
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
                        found.setdefault(name, _folder_info(name))
            if maxdepth is not None and depth > maxdepth:
                continue
            info = _listing_info(location.container, item)
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

    # ---- reading ---------------------------------------------------------

    def _open(
        self,
        path: str,
        mode: str = "rb",
        block_size: int | None = None,
        autocommit: bool = True,
        cache_options: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> SwiftFile:
        return SwiftFile(self, path, mode, block_size or self.blocksize, autocommit,
                         cache_options=cache_options, **kwargs)  # fmt: skip

    def cat_file(
        self, path: str, start: int | None = None, end: int | None = None, **kwargs: Any
    ) -> bytes:
        if (start is not None and start < 0) or (end is not None and end < 0):
            size = int(self.info(path)["size"])
            start = None if start is None else (start if start >= 0 else max(0, size + start))
            end = None if end is None else (end if end >= 0 else max(0, size + end))
        if start is not None and end is not None and end <= start:
            return b""
        return self._read(path, start=start or None, end=end)

    def _read(
        self, path: str, *, start: int | None = None, end: int | None = None,
        expect_etag: str = "",
    ) -> bytes:
        """Bytes ``[start, end)`` of an object, or all of it (verified) without a range."""
        location = _paths.split(path)
        if not location.key:
            raise IsADirectoryError(errno.EISDIR, "not an object", path)
        headers: list[str] = []
        if start is not None or end is not None:
            first = start or 0
            headers.append(f"Range:bytes={first}-{'' if end is None else end - 1}")
        if expect_etag:
            # the object must still be the one opened, or the bytes would mix versions
            headers.append(f"If-Match:{expect_etag}")
        options: dict[str, Any] = {"out_file": "-", "header": headers}
        [result] = list(self.service.download(location.container, [location.key], options))
        if not result["success"]:
            status = http_status(result["error"])
            if status == 416:
                return b""  # a range past the end reads nothing, as a local file would
            if status == 412:
                raise OSError(errno.EIO, "the object changed while it was being read", path)
            check(result, path)
        chunks = result.get("contents")
        if chunks is None:  # a directory marker or an empty pseudo-folder object
            return b""
        try:
            return b"".join(chunks)
        except SwiftError as error:
            raise to_os_error(error, path) from error

    # ---- writing ---------------------------------------------------------

    def _write_options(self, *, exclusive: bool) -> dict[str, Any]:
        options: dict[str, Any] = {"segment_size": self.segment_size}
        if exclusive:
            # checked by the server at the PUT: atomic, unlike a HEAD first
            options["header"] = ["If-None-Match:*"]
        return options

    def _write_bytes(self, path: str, data: bytes, *, exclusive: bool = False) -> None:
        location = _paths.split(path)
        if not location.key:
            raise IsADirectoryError(errno.EISDIR, "not an object", path)
        options = self._write_options(exclusive=exclusive)
        if len(data) <= self.segment_size:
            # one PUT of bytes that can be sent again: try it without creating the
            # container (and no segment container), and create it only on a 404
            del options["segment_size"]
            results = list(self.service.upload(
                location.container, [UploadObject(io.BytesIO(data), object_name=location.key)],
                {**options, "skip_container_put": True},
            ))  # fmt: skip
            if not any(not r["success"] and http_status(r["error"]) == 404 for r in results):
                _check_all(results, path)
                return
        source = UploadObject(io.BytesIO(data), object_name=location.key)
        _check_all(self.service.upload(location.container, [source], options), path)

    def pipe_file(self, path: str, value: bytes, mode: str = "overwrite", **kwargs: Any) -> None:
        if mode not in ("overwrite", "create"):
            raise ValueError(f"mode must be 'overwrite' or 'create', not {mode!r}")
        self._write_bytes(path, bytes(value), exclusive=mode == "create")

    def pipe(self, path: Any, value: bytes | None = None, **kwargs: Any) -> None:
        """Write one object, or a ``{path: bytes}`` dict in one Service upload per container
        (the objects go in parallel on its pools)."""
        if not isinstance(path, dict) or len(path) < 2:
            super().pipe(path, value, **kwargs)
            return
        mode = kwargs.pop("mode", "overwrite")
        if mode not in ("overwrite", "create"):
            raise ValueError(f"mode must be 'overwrite' or 'create', not {mode!r}")
        by_container: dict[str, list[UploadObject]] = {}
        largest = 0
        for name, data in path.items():
            location = _paths.split(name)
            if not location.key:
                raise IsADirectoryError(errno.EISDIR, "not an object", name)
            largest = max(largest, len(data))
            by_container.setdefault(location.container, []).append(
                UploadObject(io.BytesIO(bytes(data)), object_name=location.key)
            )
        options = self._write_options(exclusive=mode == "create")
        if largest <= self.segment_size:
            del options["segment_size"]  # no segment container to create
        failures: list[tuple[Result, str]] = []
        for container, sources in by_container.items():
            for result in self.service.upload(container, sources, options):
                if not result["success"]:
                    failures.append((result, _paths.join(container, result.get("object") or "")))
        _raise_first(failures)

    def touch(self, path: str, truncate: bool = True, **kwargs: Any) -> None:
        if not truncate and self.exists(path):
            # refreshing the timestamp would need a rewrite of the object
            raise NotImplementedError("touch(truncate=False) of an existing object")
        self._write_bytes(path, b"")

    # ---- folders and containers -------------------------------------------

    def mkdir(self, path: str, create_parents: bool = True, **kwargs: Any) -> None:
        location = _paths.split(path)
        if location.is_root:
            return
        if location.is_container or create_parents:
            self._ensure_container(location.container)

    def makedirs(self, path: str, exist_ok: bool = False) -> None:
        location = _paths.split(path)
        if location.is_root:
            return
        if location.is_container and not exist_ok and self.exists(path):
            raise FileExistsError(errno.EEXIST, "the container exists", path)
        self._ensure_container(location.container)

    def _ensure_container(self, container: str) -> None:
        # post() creates a missing container (python-swiftclient's behaviour)
        result = self.service.post(container)
        assert isinstance(result, dict)
        check(result, container)

    def rmdir(self, path: str) -> None:
        location = _paths.split(path)
        if location.is_root:
            raise PermissionError(errno.EPERM, "the account cannot be removed", path)
        if not location.is_container:
            return  # a pseudo-folder disappears with its last object
        for _ in self._list(location.container, {}):
            raise OSError(errno.ENOTEMPTY, "the container is not empty", path)
        _check_all(self.service.delete(location.container), path)

    # ---- deleting -----------------------------------------------------------

    def rm_file(self, path: str) -> None:
        location = _paths.split(path)
        if not location.key:
            raise IsADirectoryError(errno.EISDIR, "not an object", path)
        _check_all(self.service.delete(location.container, [location.key]), path)

    def rm(self, path: Any, recursive: bool = False, maxdepth: int | None = None) -> None:
        """Delete objects; ``recursive`` deletes whole folders and containers.

        The Service deletes in bulk (``?bulk-delete``) where the cluster offers
        it, and removes the segments of large objects with them.
        """
        with self._collecting(Batch({})):
            paths = self.expand_path(path, recursive=recursive, maxdepth=maxdepth)
        whole: list[str] = []
        objects: dict[str, list[str]] = {}
        for name in paths:
            location = _paths.split(name)
            if location.is_root:
                raise PermissionError(errno.EPERM, "the account cannot be removed", name)
            if location.is_container:
                if recursive and maxdepth is None:
                    whole.append(location.container)
                continue
            objects.setdefault(location.container, []).append(location.key)
        for container, keys in objects.items():
            if container in whole:
                continue  # deleted with its container below
            self._delete_objects(container, keys)
        for container in whole:
            _check_all(self.service.delete(container), container)

    def _delete_objects(self, container: str, keys: list[str]) -> None:
        """Delete ``keys``; names that are only pseudo-folders (404) are no failure."""
        failures = []
        for result in self.service.delete(container, keys):
            if result["success"]:
                continue
            if result["action"] == "delete_object" and http_status(result["error"]) == 404:
                continue  # a pseudo-folder of the expansion, or deleted meanwhile
            failures.append(result)
        if failures:
            check(failures[0], _paths.join(container, str(failures[0].get("object") or "")))

    # ---- copying ------------------------------------------------------------

    def copy(
        self,
        path1: Any,
        path2: Any,
        recursive: bool = False,
        maxdepth: int | None = None,
        on_error: str | None = None,
        **kwargs: Any,
    ) -> None:
        """Server-side copies, in one Service call per source container."""
        batch = Batch({})
        with self._collecting(batch):
            super().copy(path1, path2, recursive=recursive, maxdepth=maxdepth,
                         on_error=on_error, **kwargs)  # fmt: skip
        raise_missing = on_error == "raise" or (on_error is None and not recursive)
        by_container: dict[str, list[CopyObject]] = {}
        for container, key, target in _without_folders(batch.pairs):
            by_container.setdefault(container, []).append(
                CopyObject(key, {"destination": "/" + target})
            )
        for container, items in by_container.items():
            self._copy_objects(container, items, raise_missing=raise_missing)

    def cp_file(self, path1: str, path2: str, **kwargs: Any) -> None:
        source, target = _paths.split(path1), _paths.split(path2)
        if not source.key or not target.key:
            return  # containers and the account are folders: nothing to copy itself
        batch: Batch | None = getattr(self._batches, "current", None)
        if batch is not None:
            batch.pairs.append((source.container, source.key, target.full))
            return
        destination = CopyObject(source.key, {"destination": "/" + target.full})
        self._copy_objects(source.container, [destination], raise_missing=True)

    def _copy_objects(
        self, container: str, items: list[CopyObject], *, raise_missing: bool
    ) -> None:
        failures: list[tuple[Result, str]] = []
        for result in self.service.copy(container, items):
            if result["success"]:
                continue
            path = _paths.join(container, str(result.get("object") or ""))
            missing = result["action"] == "copy_object" and http_status(result["error"]) == 404
            if missing and (not raise_missing or self.isdir(path)):
                continue  # a pseudo-folder (its objects are copied one by one)
            failures.append((result, path))
        _raise_first(failures)

    # ---- trees in and out ---------------------------------------------------

    def put(
        self,
        lpath: Any,
        rpath: Any,
        recursive: bool = False,
        callback: Any = DEFAULT_CALLBACK,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Upload files and trees in one Service call per container (``skip_identical``,
        ``changed``, ``segment_size`` and ``checksum`` may be given)."""
        given = frozenset(kwargs) & _TRANSFER_OPTIONS
        batch = Batch(self._transfer_options(kwargs), given=given)
        with self._collecting(batch):
            super().put(lpath, rpath, recursive=recursive, callback=callback,
                        maxdepth=maxdepth, **kwargs)  # fmt: skip
        if "segment_size" not in batch.given and all(
            _size(local) <= self.segment_size for _, _, local in batch.pairs
        ):
            # nothing to segment: no segment container to create either
            batch.options.pop("segment_size", None)
        failures: list[tuple[Result, str]] = []
        for container, items in group_uploads(batch.pairs).items():
            sources = [UploadObject(local, object_name=key) for local, key in items]
            for result in self.service.upload(container, sources, batch.options):
                if not result["success"]:
                    failures.append((result, _paths.join(container, result.get("object") or "")))
        _raise_first(failures)

    def put_file(
        self, lpath: str, rpath: str, callback: Any = DEFAULT_CALLBACK,
        mode: str = "overwrite", **kwargs: Any,
    ) -> None:
        if os.path.isdir(lpath):
            return  # an object store has no empty folders; files below make the path
        location = _paths.split(rpath)
        if not location.key:
            raise IsADirectoryError(errno.EISDIR, "a file needs an object name", rpath)
        batch: Batch | None = getattr(self._batches, "current", None)
        if batch is not None and mode == "overwrite":
            batch.pairs.append((location.container, location.key, os.fspath(lpath)))
            return
        options = {**self._write_options(exclusive=mode == "create"),
                   **self._transfer_options(kwargs)}  # fmt: skip
        source = UploadObject(os.fspath(lpath), object_name=location.key)
        _check_all(self.service.upload(location.container, [source], options), rpath)

    def get(
        self,
        rpath: Any,
        lpath: Any,
        recursive: bool = False,
        callback: Any = DEFAULT_CALLBACK,
        maxdepth: int | None = None,
        **kwargs: Any,
    ) -> None:
        """Download objects and trees in as few Service calls as their placement allows
        (``skip_identical`` and ``checksum`` may be given)."""
        batch = Batch(self._transfer_options(kwargs))
        with self._collecting(batch):
            super().get(rpath, lpath, recursive=recursive, callback=callback,
                        maxdepth=maxdepth, **kwargs)  # fmt: skip
        objects = _without_folders(batch.pairs)
        for pair in set(batch.pairs) - set(objects):
            os.makedirs(pair[2], exist_ok=True)  # a pseudo-folder: its local folder
        groups, singles = plan_downloads(objects)
        failures: list[tuple[Result, str]] = []
        calls: list[tuple[str, Iterable[str], dict[str, Any]]] = [
            (g.container, g.objects, download_options(g, batch.options)) for g in groups
        ]
        calls += [
            (s.container, [s.key], {**batch.options, "out_file": s.local_path}) for s in singles
        ]
        for container, keys, options in calls:
            for result in self.service.download(container, list(keys), options):
                if not result["success"]:
                    failures.append((result, _paths.join(container, result.get("object") or "")))
        _raise_first(failures)

    def get_file(
        self, rpath: str, lpath: str, callback: Any = DEFAULT_CALLBACK,
        outfile: Any = None, **kwargs: Any,
    ) -> None:
        batch: Batch | None = getattr(self._batches, "current", None)
        location = _paths.split(rpath)
        if batch is not None and outfile is None and location.key and isinstance(lpath, str):
            batch.pairs.append((location.container, location.key, lpath))
            return
        super().get_file(rpath, lpath, callback=callback, outfile=outfile, **kwargs)

    def _transfer_options(self, kwargs: dict[str, Any]) -> dict[str, Any]:
        """Pop the Service call options out of fsspec keyword arguments."""
        options = {name: kwargs.pop(name) for name in list(kwargs) if name in _TRANSFER_OPTIONS}
        options.setdefault("segment_size", self.segment_size)
        return options

    def _collecting(self, batch: Batch) -> _Collecting:
        return _Collecting(self._batches, batch)


class _Collecting:
    """While active in this thread, put_file/get_file add to ``batch`` instead of moving."""

    def __init__(self, local: threading.local, batch: Batch) -> None:
        self._local = local
        self._batch = batch

    def __enter__(self) -> None:
        self._local.current = self._batch

    def __exit__(self, *_exc: object) -> None:
        self._local.current = None


# ---- info dicts ----------------------------------------------------------------


def _folder_info(name: str) -> dict[str, Any]:
    return {"name": name, "size": 0, "type": "directory"}


def _container_info(item: Mapping[str, Any]) -> dict[str, Any]:
    return {**_folder_info(str(item["name"])), "count": item.get("count", 0),
            "bytes": item.get("bytes", 0)}  # fmt: skip


def _container_stat_info(container: str, headers: Mapping[str, str]) -> dict[str, Any]:
    return {**_folder_info(container),
            "count": int(headers.get("x-container-object-count", 0) or 0),
            "bytes": int(headers.get("x-container-bytes-used", 0) or 0)}  # fmt: skip


def _listing_info(container: str, item: Mapping[str, Any]) -> dict[str, Any]:
    name = _paths.join(container, str(item["name"]).rstrip("/"))
    if item.get("content_type") in _DIRECTORY_TYPES:
        return {**_folder_info(name), "marker": True}
    slo_etag = item.get("slo_etag")
    info: dict[str, Any] = {
        "name": name,
        "size": int(item.get("bytes", 0)),
        "type": "file",
        # an SLO's listing hash is its manifest's; its ETag is slo_etag
        "etag": str(slo_etag).strip('"') if slo_etag else item.get("hash"),
        "content_type": item.get("content_type"),
        "large_object": bool(slo_etag),
    }
    modified = item.get("last_modified")
    if modified:
        info["last_modified"] = datetime.fromisoformat(str(modified)).replace(
            tzinfo=timezone.utc
        )
    return info


def _head_info(name: str, headers: Mapping[str, str]) -> dict[str, Any]:
    if headers.get("content-type", "").split(";")[0] in _DIRECTORY_TYPES:
        return {**_folder_info(name), "marker": True}
    large = headers.get("x-static-large-object", "").lower() == "true" or bool(
        headers.get("x-object-manifest")
    )
    info: dict[str, Any] = {
        "name": name,
        "size": int(headers.get("content-length", 0) or 0),
        "type": "file",
        "etag": headers.get("etag", "").strip('"'),
        "content_type": headers.get("content-type"),
        "large_object": large,
    }
    if headers.get("last-modified"):
        info["last_modified"] = parsedate_to_datetime(headers["last-modified"])
    return info


# ---- results -------------------------------------------------------------------


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the upload reports the missing file


def _without_folders(pairs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """The (container, key, target) pairs whose key is no pseudo-folder of another's
    (fsspec expands trees with their folders; a folder is no object to move)."""
    keys = sorted({(container, key) for container, key, _ in pairs})

    def is_folder(container: str, key: str) -> bool:
        below = (container, key + "/")
        index = bisect.bisect_left(keys, below)
        return index < len(keys) and keys[index][0] == container and (
            keys[index][1].startswith(below[1])
        )

    return [pair for pair in pairs if not is_folder(pair[0], pair[1])]


def _as_iter(value: Result | Iterator[Result]) -> Iterator[Result]:
    if isinstance(value, dict):
        return iter([value])
    return value


def _check_all(results: Iterable[Result], path: str) -> None:
    """Consume ``results``; raise the mapped error of the first failure, if any."""
    failures = [(r, path) for r in results if not r["success"]]
    _raise_first(failures)


def _raise_first(failures: list[tuple[Result, str]]) -> None:
    if not failures:
        return
    result, path = failures[0]
    if len(failures) > 1:
        error = result.get("error")
        result = {**result, "error": SwiftError(
            f"{len(failures)} operations failed; the first: {error}",
            exc=error if isinstance(error, BaseException) else None,
        )}  # fmt: skip
    check(result, path)
