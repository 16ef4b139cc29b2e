"""Copies and trees in and out of ``swift://``: ``copy``, ``put``, ``get`` in bulk.

fsspec decides which path goes where (globs, trailing slashes,
``recursive``) and calls ``cp_file`` / ``put_file`` / ``get_file`` once per
pair; here those calls are collected into a :class:`Batch` while fsspec's own
``copy`` / ``put`` / ``get`` run, then handed to the Service in one call per
container, so the objects move in parallel on its pools.
"""

from __future__ import annotations

import errno
import os
import threading
from collections.abc import Iterable
from typing import Any

from fsspec.callbacks import DEFAULT_CALLBACK
from fsspec.spec import AbstractFileSystem

from swiftsvc import CopyObject, Service, UploadObject
from swiftsvc.fsspec import _paths
from swiftsvc.fsspec._transfers import (
    Batch,
    download_options,
    group_uploads,
    local_size,
    plan_downloads,
    whole_folder,
    without_folders,
)
from swiftsvc.fsspec.errors import Result, check_all, http_status, raise_first

# put/get keyword arguments that become options of the Service call
TRANSFER_OPTIONS = frozenset({"skip_identical", "changed", "segment_size", "checksum"})


class Trees(AbstractFileSystem):  # type: ignore[misc]
    """The copy / put / get half of :class:`~swiftsvc.fsspec.SwiftFileSystem`."""

    service: Service
    segment_size: int
    _batches: threading.local

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
        for container, key, target in without_folders(batch.pairs):
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
        raise_first(failures)

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
        given = frozenset(kwargs) & TRANSFER_OPTIONS
        batch = Batch(self._transfer_options(kwargs), given=given)
        with self._collecting(batch):
            super().put(lpath, rpath, recursive=recursive, callback=callback,
                        maxdepth=maxdepth, **kwargs)  # fmt: skip
        if "segment_size" not in batch.given and all(
            local_size(local) <= self.segment_size for _, _, local in batch.pairs
        ):
            # nothing to segment: no segment container to create either
            batch.options.pop("segment_size", None)
        failures: list[tuple[Result, str]] = []
        for container, items in group_uploads(batch.pairs).items():
            folder = whole_folder(items)
            sources = (
                # a whole local folder: the Service learns what exists from one
                # listing of its prefix instead of a HEAD per file
                [UploadObject(folder[0], object_name=folder[1])] if folder is not None
                else [UploadObject(local, object_name=key) for local, key in items]
            )  # fmt: skip
            for result in self.service.upload(container, sources, batch.options):
                if not result["success"]:
                    name = str(result.get("object") or "")
                    failures.append((result, _paths.join(container, name)))
        raise_first(failures)

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
        check_all(self.service.upload(location.container, [source], options), rpath)

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
        objects = without_folders(batch.pairs)
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
                    name = str(result.get("object") or "")
                    failures.append((result, _paths.join(container, name)))
        raise_first(failures)

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
        options = {name: kwargs.pop(name) for name in list(kwargs) if name in TRANSFER_OPTIONS}
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
