"""Pure decisions of uploads: segment plans and names, manifests, skips, cleanup.

Nothing here does I/O, so all of it is unit-tested without a cluster or
threads; :mod:`swiftsvc.ops.upload.planner` and :mod:`swiftsvc.ops.upload.large` act
on what these functions decide.

Segment names follow python-swiftclient (docs/COMPAT.md §6), so either tool can resume,
skip or clean up what the other uploaded::

    SLO  <object>/slo/<mtime>/<size>/<segment_size>/<index:08d>
    DLO  <object>/<mtime>/<size>/<segment_size>/<index:08d>

A stream has no ``<size>`` part (python-swiftclient's stream naming), even
when its length is known; its ``<mtime>`` is the upload's start time.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from swiftsvc.ops.large_objects import SegmentRef
from swiftsvc.options import Options

# Swift's default max_file_size (constraints.py), used when /info is unavailable
DEFAULT_MAX_FILE_SIZE = 5 * 1024 * 1024 * 1024 + 2
SEGMENT_CONTENT_TYPE = "application/swiftclient-segment"


def segment_container_name(container: str, segment_container: str | None = None) -> str:
    """Where the segments of ``container``'s large objects go (the one place this is decided)."""
    return segment_container or f"{container}_segments"


def mtime_value(mtime: float) -> str:
    """``X-Object-Meta-Mtime`` as python-swiftclient writes it: ``"%f"`` of the mtime."""
    return f"{mtime:f}"


def split_container(container: str) -> tuple[str, str]:
    """``"cont/pseudo/path"`` -> ``("cont", "pseudo/path/")``; ``"cont"`` -> ``("cont", "")``."""
    name, _, pseudo = container.partition("/")
    pseudo = pseudo.strip("/")
    return name, f"{pseudo}/" if pseudo else ""


# ------------------------------------------------------------------ layouts


@dataclass(frozen=True, slots=True)
class SegmentLayout:
    """How one large object is cut: names and byte ranges, computed on demand."""

    segment_container: str
    prefix: str  # every segment's name starts with it; ends with "/"
    size: int | None  # the whole object; None for a stream of unknown length
    segment_size: int

    @property
    def count(self) -> int:
        """How many segments (0 for an empty object; unknown lengths raise)."""
        if self.size is None:
            raise ValueError("a stream of unknown length has no segment count")
        return -(-self.size // self.segment_size)

    def name(self, index: int) -> str:
        return f"{self.prefix}{index:08d}"

    def location(self, index: int) -> str:
        """``/<segment container>/<segment name>``, as an SLO manifest's ``path``."""
        return f"/{self.segment_container}/{self.name(index)}"

    def range(self, index: int) -> tuple[int, int]:
        """(start, length) of segment ``index`` in the whole object."""
        start = index * self.segment_size
        if self.size is None:
            return start, self.segment_size
        if not 0 <= start < self.size:
            raise IndexError(f"segment {index} is beyond the object's {self.size} bytes")
        return start, min(self.segment_size, self.size - start)

    def index_of(self, name: str) -> int | None:
        """The index of a segment of this layout called ``name``; None if it is not one."""
        if not name.startswith(self.prefix):
            return None
        tail = name[len(self.prefix):]
        if len(tail) != 8 or not tail.isdigit():
            return None
        return int(tail)

    def dlo_manifest(self) -> str:
        """The ``X-Object-Manifest`` value naming these segments (quoted, as Swift unquotes it)."""
        return f"{quote(self.segment_container)}/{quote(self.prefix)}"


def segment_layout(
    obj: str,
    *,
    segment_container: str,
    mtime: str,
    size: int | None,
    segment_size: int,
    slo: bool,
    size_in_name: bool = True,
) -> SegmentLayout:
    """The layout of ``obj``'s segments (see the module docstring for the names).

    ``size_in_name`` False: a stream's names, which never hold its size
    (python-swiftclient's), even when the stream's length is known.
    """
    parts = [obj]
    if slo:
        parts.append("slo")
    parts.append(mtime)
    if size is not None and size_in_name:
        parts.append(str(size))
    parts.append(str(segment_size))
    return SegmentLayout(segment_container, "/".join(parts) + "/", size, segment_size)


class UploadMode(enum.Enum):
    PLAIN = "plain"  # one PUT
    SEGMENTED = "segmented"  # segments, then a manifest
    TOO_LARGE = "too-large"  # over the cluster's limit and no segment_size to cut it


def upload_mode(size: int | None, segment_size: int | None, max_file_size: int) -> UploadMode:
    """How to upload ``size`` bytes (None: unknown yet, decided while reading)."""
    if size is None:
        return UploadMode.SEGMENTED if segment_size else UploadMode.PLAIN
    if segment_size and size > segment_size:
        return UploadMode.SEGMENTED
    if size > max_file_size:
        return UploadMode.TOO_LARGE
    return UploadMode.PLAIN


def too_large_message(size: int, max_file_size: int) -> str:
    return (
        f"{size} bytes is more than the cluster's max_file_size ({max_file_size}): "
        "set segment_size to upload it as a segmented large object"
    )


def segment_size_problem(segment_size: int | None, max_file_size: int) -> str | None:
    """Why ``segment_size`` cannot work on this cluster, or None."""
    if segment_size is not None and segment_size > max_file_size:
        return (
            f"segment_size {segment_size} is larger than the cluster's max_file_size "
            f"({max_file_size}): every segment would be refused"
        )
    return None


def manifest_count_problem(count: int, capabilities: Mapping[str, Any]) -> str | None:
    """Why an SLO of ``count`` segments would be refused by this cluster, or None."""
    slo = capabilities.get("slo")
    limit = slo.get("max_manifest_segments") if isinstance(slo, Mapping) else None
    if isinstance(limit, int) and count > limit:
        return (
            f"{count} segments are more than the cluster allows in one SLO manifest "
            f"({limit}): use a larger segment_size"
        )
    return None


def max_file_size(capabilities: Mapping[str, Any]) -> int:
    swift = capabilities.get("swift")
    value = swift.get("max_file_size") if isinstance(swift, Mapping) else None
    return value if isinstance(value, int) and value > 0 else DEFAULT_MAX_FILE_SIZE


def resolve_use_slo(options: Options, capabilities: Mapping[str, Any] | None) -> bool:
    """``use_slo`` None means: SLO when the cluster has the slo middleware."""
    if options.use_slo is not None:
        return options.use_slo
    return capabilities is not None and "slo" in capabilities


# ---------------------------------------------------------------- segments


@dataclass(frozen=True, slots=True)
class SegmentDone:
    """A segment that is in the cluster now (uploaded or reused)."""

    index: int
    location: str  # /segment_container/name
    etag: str
    size: int
    reused: bool = False


def existing_segments(
    layout: SegmentLayout, listing: Iterable[SegmentRef]
) -> dict[int, tuple[int, str]]:
    """index -> (bytes, md5) of this layout's segments found in a listing (for resume)."""
    found: dict[int, tuple[int, str]] = {}
    for ref in listing:
        if ref.container != layout.segment_container or ref.size is None or ref.etag is None:
            continue
        index = layout.index_of(ref.obj)
        if index is not None:
            found[index] = (ref.size, ref.etag)
    return found


def reuse_candidate(
    existing: Mapping[int, tuple[int, str]], index: int, size: int
) -> str | None:
    """The md5 a leftover segment must match to be reused, if one of the right size exists."""
    found = existing.get(index)
    if found is None or found[0] != size:
        return None
    return found[1]


def slo_manifest(segments: Iterable[SegmentDone]) -> bytes:
    """The JSON body of ``PUT ?multipart-manifest=put``, segments in index order."""
    ordered = sorted(segments, key=lambda s: s.index)
    return json.dumps(
        [{"path": s.location, "etag": s.etag, "size_bytes": s.size} for s in ordered]
    ).encode("utf-8")


def segments_to_delete(
    old: Iterable[tuple[str, str]], keep: Iterable[tuple[str, str]]
) -> list[tuple[str, str]]:
    """Old (container, name) segments the new object does not use, in their order."""
    kept = set(keep)
    seen: set[tuple[str, str]] = set()
    doomed: list[tuple[str, str]] = []
    for ref in old:
        if ref not in kept and ref not in seen:
            seen.add(ref)
            doomed.append(ref)
    return doomed


def location_ref(location: str) -> tuple[str, str]:
    """``/cont/name`` -> ``("cont", "name")``."""
    container, _, name = location.lstrip("/").partition("/")
    return container, name
