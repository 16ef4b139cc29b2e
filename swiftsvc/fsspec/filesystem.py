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
such segments; default 32 MiB, so with the cluster's usual limit of 1000
segments a streamed write may reach 32 GiB: raise it for larger files) and
``block_size`` (the read and write buffer, fsspec's default otherwise).
A streamed write holds at most about ``segment_threads + 1`` segments and two
blocks in memory, whatever its length.
"""

from __future__ import annotations

import errno
import io
import os
import threading
from typing import Any

from swiftsvc import Service, SwiftError, UploadObject
from swiftsvc.fsspec import _paths
from swiftsvc.fsspec._listings import Listings
from swiftsvc.fsspec._transfers import Batch
from swiftsvc.fsspec._trees import Trees
from swiftsvc.fsspec.errors import Result, check, check_all, http_status, raise_first, to_os_error
from swiftsvc.fsspec.files import SwiftFile

DEFAULT_SEGMENT_SIZE = 32 << 20
# AbstractFileSystem's own keyword arguments: never handed to the Service
_FSSPEC_OPTIONS = frozenset(
    {"use_listings_cache", "listings_expiry_time", "max_paths", "asynchronous", "loop",
     "skip_instance_cache"}
)  # fmt: skip


class SwiftFileSystem(Trees, Listings):
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
                check_all(results, path)
                return
        source = UploadObject(io.BytesIO(data), object_name=location.key)
        check_all(self.service.upload(location.container, [source], options), path)

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
                    name = str(result.get("object") or "")
                    failures.append((result, _paths.join(container, name)))
        raise_first(failures)

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
        check_all(self.service.delete(location.container), path)

    # ---- deleting -----------------------------------------------------------

    def rm_file(self, path: str) -> None:
        location = _paths.split(path)
        if not location.key:
            raise IsADirectoryError(errno.EISDIR, "not an object", path)
        check_all(self.service.delete(location.container, [location.key]), path)

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
            check_all(self.service.delete(container), container)

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
