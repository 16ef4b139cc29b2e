"""How a bulk job is cut into partitions (pure, and lazy: nothing here talks to Swift).

- **Uploads**: the local tree is walked on the client (names and sizes
  only). A folder holding (with its subfolders) at most ``files_per_partition``
  files and ``bytes_per_partition`` bytes is one **subtree** partition: the
  worker uploads it as a folder, so the Service learns what exists with one
  listing of its prefix instead of a HEAD per file. The files directly in a
  larger folder are cut into **file lists** of that size; its subfolders are
  planned the same way. The files must be on storage every worker sees.
- **Download, delete, copy**: the container's names arrive from its listing
  (``Service.list`` on the client, 10000 names a request); every ``count``
  names close a partition described only by a **listing range**: objects
  after ``marker`` and before ``end_marker`` (exclusive, Swift's meaning),
  under ``prefix``, keeping names from ``first`` on. The worker lists that
  range itself. A range ends just before the ``first`` name of the next
  one, so every name the client saw is in exactly one partition, and so is
  an object created meanwhile between two partitions' names.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FileListPartition:
    """Files to upload: (local path, object name) pairs."""

    index: int
    files: tuple[tuple[str, str], ...]
    size: int

    @property
    def expected(self) -> int:
        return len(self.files)

    def describe(self) -> str:
        first = self.files[0][1] if self.files else ""
        return f"files {first!r} ... ({len(self.files)})"


@dataclass(frozen=True, slots=True)
class ListingRange:
    """Objects named from ``first`` on and before ``end_marker`` ('' = to the end).

    ``marker`` (the name listed just before ``first``) is where the worker's
    listing starts; names after it but before ``first`` belong to the previous
    range.
    """

    index: int
    prefix: str | None
    marker: str
    first: str
    end_marker: str
    expected: int

    def keeps(self, name: str) -> bool:
        return name >= self.first and (not self.end_marker or name < self.end_marker)

    def describe(self) -> str:
        end = f"before {self.end_marker!r}" if self.end_marker else "to the end"
        return f"names from {self.first!r} {end} ({self.expected} listed)"


@dataclass(frozen=True, slots=True)
class SubtreePartition:
    """A local folder uploaded whole, its objects named ``object_name/<relative path>``."""

    index: int
    path: str
    object_name: str
    files: int
    size: int

    @property
    def expected(self) -> int:
        return self.files

    def describe(self) -> str:
        return f"folder {self.object_name!r} ({self.files} files)"


UploadPartition = FileListPartition | SubtreePartition
Partition = FileListPartition | SubtreePartition | ListingRange


def tree_partitions(
    source: str, object_prefix: str = "", *, files_per_partition: int, bytes_per_partition: int
) -> Iterator[UploadPartition]:
    """Subtree and file-list partitions of the tree ``source`` (see the module docstring)."""
    if files_per_partition < 1 or bytes_per_partition < 1:
        raise ValueError("partitions need room for at least one file and one byte")
    root = os.path.abspath(source)
    if not os.path.isdir(root):
        raise NotADirectoryError(f"{source!r} is not a folder")
    totals = _folder_totals(root)
    index = 0
    pending = [root]
    while pending:
        folder = pending.pop(0)
        relative = os.path.relpath(folder, root).replace(os.sep, "/")
        name = object_prefix + ("" if relative == "." else relative)
        files, size = totals.get(folder, (0, 0))
        if files == 0:
            continue
        fits = files <= files_per_partition and size <= bytes_per_partition
        if fits and name and not name.endswith("/"):
            yield SubtreePartition(index, folder, name, files, size)
            index += 1
            continue
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        direct = [
            (entry.path, _object_name(name, entry.name), _size(entry))
            for entry in entries if entry.is_file()
        ]
        for part in file_partitions(direct, files_per_partition=files_per_partition,
                                    bytes_per_partition=bytes_per_partition):  # fmt: skip
            yield FileListPartition(index, part.files, part.size)
            index += 1
        pending[0:0] = [e.path for e in entries if e.is_dir(follow_symlinks=False)]


def _object_name(folder_name: str, file_name: str) -> str:
    if not folder_name:
        return file_name
    return folder_name + ("" if folder_name.endswith("/") else "/") + file_name


def _size(entry: os.DirEntry[str]) -> int:
    try:
        return entry.stat().st_size
    except OSError:
        return 0  # vanished or unreadable: the upload reports it


def _folder_totals(root: str) -> dict[str, tuple[int, int]]:
    """(files, bytes) of every folder under ``root``, its subfolders included."""
    totals: dict[str, tuple[int, int]] = {}
    for folder, folders, files in os.walk(root, topdown=False):
        count = len(files)
        size = 0
        for name in files:
            with contextlib.suppress(OSError):  # vanished: the upload reports it
                size += os.path.getsize(os.path.join(folder, name))
        for sub in folders:
            sub_files, sub_size = totals.get(os.path.join(folder, sub), (0, 0))
            count += sub_files
            size += sub_size
        totals[folder] = (count, size)
    return totals


def file_partitions(
    files: Iterable[tuple[str, str, int]], *, files_per_partition: int, bytes_per_partition: int
) -> Iterator[FileListPartition]:
    """Cut (path, name, size) triples into partitions, lazily."""
    if files_per_partition < 1 or bytes_per_partition < 1:
        raise ValueError("partitions need room for at least one file and one byte")
    chunk: list[tuple[str, str]] = []
    size = 0
    index = 0
    for path, name, file_size in files:
        if chunk and (len(chunk) >= files_per_partition or size + file_size > bytes_per_partition):
            yield FileListPartition(index, tuple(chunk), size)
            index += 1
            chunk, size = [], 0
        chunk.append((path, name))
        size += file_size
    if chunk:
        yield FileListPartition(index, tuple(chunk), size)


def listing_ranges(
    names: Iterable[str], *, prefix: str | None, objects_per_partition: int
) -> Iterator[ListingRange]:
    """Ranges of ``objects_per_partition`` names each, from names in listing order."""
    if objects_per_partition < 1:
        raise ValueError("objects_per_partition must be at least 1")
    index = 0
    count = 0
    marker = first = last = ""
    for name in names:
        if count == objects_per_partition:
            # this range ends just before the first name of the next one
            yield ListingRange(index, prefix, marker, first, name, count)
            index += 1
            marker, first, count = last, name, 0
        if count == 0 and index == 0:
            first = ""  # the first range starts at the beginning of the listing
        count += 1
        last = name
    if count:
        yield ListingRange(index, prefix, marker, first, "", count)
