"""How a bulk job is cut into partitions (pure, and lazy: nothing here talks to Swift).

- **Uploads**: the local tree is walked on the client (names and sizes only)
  and cut into file lists of at most ``files`` files and about ``size``
  bytes, each a partition that a worker uploads with one ``Service.upload``.
  The files must be on storage every worker sees.
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


Partition = FileListPartition | ListingRange


def walk_files(source: str, object_prefix: str = "") -> Iterator[tuple[str, str, int]]:
    """(path, object name, size) of every file under ``source``, sorted by name
    within each folder; object names are paths relative to ``source`` with ``/``."""
    root = os.path.abspath(source)
    for folder, folders, files in os.walk(root):
        folders.sort()
        for name in sorted(files):
            path = os.path.join(folder, name)
            relative = os.path.relpath(path, root).replace(os.sep, "/")
            try:
                size = os.path.getsize(path)
            except OSError:
                size = 0  # vanished or unreadable: the upload reports it
            yield path, object_prefix + relative, size


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
