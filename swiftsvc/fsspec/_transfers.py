"""Trees in and out: ``put`` and ``get`` as one Service call per container.

fsspec's ``put``/``get`` decide which local path goes to which remote path
(globs, trailing slashes, ``recursive``) and then call ``put_file`` /
``get_file`` once per pair. :class:`SwiftFileSystem` keeps fsspec's
decisions but collects the pairs (:class:`Batch`), then hands them to the
Service in one ``upload`` / ``download`` per container, so the files move
in parallel on its pools, with its retries, checksums and ``skip_identical``.

A download places each object at ``out_directory`` + its name less a
prefix; :func:`plan_downloads` finds, for each pair, the ``out_directory``
and prefix that put the object where fsspec wants it, and groups the pairs
that share them. A pair no such rule fits (the file renamed on the way)
is downloaded alone with ``out_file``.
"""

from __future__ import annotations

import bisect
import os
import posixpath
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any


@dataclass(slots=True)
class Batch:
    """The pairs collected by one ``put`` or ``get``, and its Service options."""

    options: dict[str, Any]
    # (container, object name, local path)
    pairs: list[tuple[str, str, str]] = field(default_factory=list)
    given: frozenset[str] = frozenset()  # the options the caller named
    # info of the paths listed during this call (by find/ls), path -> info
    known: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DownloadGroup:
    """Objects of one container landing at ``out_directory`` + name less ``strip``."""

    container: str
    out_directory: str
    strip: str
    objects: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class SingleDownload:
    container: str
    key: str
    local_path: str


def plan_downloads(
    pairs: Iterable[tuple[str, str, str]],
) -> tuple[list[DownloadGroup], list[SingleDownload]]:
    """Group (container, object, local path) pairs into download calls (pure)."""
    groups: dict[tuple[str, str, str], list[str]] = defaultdict(list)
    singles: list[SingleDownload] = []
    for container, key, local_path in pairs:
        placement = _placement(key, local_path)
        if placement is None:
            singles.append(SingleDownload(container, key, local_path))
            continue
        out_directory, strip = placement
        groups[(container, out_directory, strip)].append(key)
    planned = [
        DownloadGroup(container, out_directory, strip, tuple(keys))
        for (container, out_directory, strip), keys in groups.items()
    ]
    return planned, singles


def _placement(key: str, local_path: str) -> tuple[str, str] | None:
    """(out_directory, prefix to strip) placing ``key`` at ``local_path``, or None."""
    names = key.split("/")
    local = PurePosixPath(local_path).parts
    shared = 0
    while (
        shared < len(names)
        and shared < len(local)
        and names[-1 - shared] == local[-1 - shared]
        and names[-1 - shared] not in ("", ".", "..")
    ):
        shared += 1
    if shared == 0 or shared == len(local):
        return None
    strip = "/".join(names[: len(names) - shared])
    out_directory = str(PurePosixPath(*local[: len(local) - shared]))
    return out_directory, (strip + "/" if strip else "")


def group_uploads(pairs: Iterable[tuple[str, str, str]]) -> dict[str, list[tuple[str, str]]]:
    """(container, object, local path) pairs -> {container: [(local path, object)]}."""
    by_container: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for container, key, local_path in pairs:
        by_container[container].append((local_path, key))
    return dict(by_container)


def whole_folder(items: list[tuple[str, str]]) -> tuple[str, str] | None:
    """(local folder, object prefix) when ``items`` (local path, object name) are
    exactly the files of one local folder, each named prefix + its relative path;
    None otherwise (a subset, renamed files, symbolic links, or no common folder).
    """
    if not items:
        return None
    placement = _placement(items[0][1], items[0][0])
    if placement is None:
        return None
    folder, strip = placement
    prefix = strip.rstrip("/")
    if not prefix:
        return None  # the Service names a folder's objects after a non-empty name
    wanted = {(os.path.join(folder, key[len(strip):]), key) for _, key in items
              if key.startswith(strip)}  # fmt: skip
    if len(wanted) != len(items) or wanted != {(os.path.normpath(p), k) for p, k in items}:
        return None
    found: set[tuple[str, str]] = set()
    for root, folders, files in os.walk(folder):
        for name in folders + files:
            if os.path.islink(os.path.join(root, name)):
                return None  # how links are followed is the walker's business: stay exact
        for name in files:
            path = os.path.join(root, name)
            relative = os.path.relpath(path, folder).replace(os.sep, "/")
            found.add((path, strip + relative))
    return (folder, prefix) if found == wanted else None


def download_options(
    group: DownloadGroup, options: Mapping[str, Any]
) -> dict[str, Any]:
    placed: dict[str, Any] = {"out_directory": group.out_directory}
    if group.strip:
        placed.update(prefix=group.strip, remove_prefix=True)
    return {**options, **placed}


def is_under(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/") or posixpath.normpath(path) == folder


def local_size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0  # the upload reports the missing file


def without_folders(pairs: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
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
