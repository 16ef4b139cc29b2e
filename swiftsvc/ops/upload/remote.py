"""What an upload would overwrite, and the pure decisions that depend on it.

The facts come from a container listing entry (:func:`remote_from_listing`)
or HEAD headers (:func:`remote_from_headers`); :func:`needs_head` says when a
listing is not enough. Skips (``changed``, ``skip_identical``) and the
cleanup of an overwritten large object's segments are decided here; the
jobs in :mod:`swiftsvc.ops.upload.files` act on the answers.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from swiftsvc.ops.large_objects import SegmentRef, is_dlo, is_slo
from swiftsvc.options import Options

DIRECTORY_CONTENT_TYPE = "application/directory"
# content types python-swiftclient recognises as pseudo-directory markers
KNOWN_DIR_MARKERS = ("application/directory", "text/directory")



class RemoteKind(enum.Enum):
    PLAIN = "plain"
    SLO = "slo"
    DLO = "dlo"
    # a listing shows a DLO manifest as 0 bytes with the empty MD5, like an
    # empty object: only a HEAD tells them apart
    MAYBE_DLO = "maybe-dlo"


@dataclass(frozen=True, slots=True)
class RemoteObject:
    """What is known of the object an upload would overwrite."""

    kind: RemoteKind
    size: int  # content length (the whole object for manifests, 0 for MAYBE_DLO)
    etag: str | None  # MD5 of the content for plain objects; None for manifests
    mtime: str | None = None  # X-Object-Meta-Mtime (None: absent or not known)
    headers: Mapping[str, str] | None = None  # from a HEAD; None when from a listing
    symlink: bool = False  # a symlink to another object: never clean its target's segments

    @property
    def is_manifest(self) -> bool:
        return self.kind in (RemoteKind.SLO, RemoteKind.DLO)

    def manifest_headers(self) -> Mapping[str, str]:
        """Headers enough for :func:`~swiftsvc.ops.large_objects.manifest_entries`."""
        if self.headers is not None:
            return self.headers
        if self.kind is RemoteKind.SLO:
            return {"x-static-large-object": "True"}
        return {}


class _Unknown(enum.Enum):
    UNKNOWN = "unknown"


# "not looked up yet": the object job HEADs when a decision needs it
UNKNOWN = _Unknown.UNKNOWN
Existing = RemoteObject | None | _Unknown


def remote_from_listing(entry: Mapping[str, Any]) -> RemoteObject:
    """A container listing entry -> what it tells about the object."""
    size = entry.get("bytes")
    size = size if isinstance(size, int) else 0
    content_type = str(entry.get("content_type", ""))
    etag = entry.get("hash")
    if "slo_etag" in entry or "swift_bytes=" in content_type:
        return RemoteObject(RemoteKind.SLO, size, None)
    if size == 0:
        return RemoteObject(RemoteKind.MAYBE_DLO, 0, etag if isinstance(etag, str) else None)
    return RemoteObject(RemoteKind.PLAIN, size, etag if isinstance(etag, str) else None)


def remote_from_headers(headers: Mapping[str, str]) -> RemoteObject:
    """HEAD response headers (lower-case names) -> the object's facts."""
    size = int(headers.get("content-length", "0") or 0)
    mtime = headers.get("x-object-meta-mtime")
    symlink = bool(headers.get("content-location"))
    if is_slo(headers):
        kind = RemoteKind.SLO
    elif is_dlo(headers):
        kind = RemoteKind.DLO
    else:
        etag = headers.get("etag", "").strip('"') or None
        return RemoteObject(RemoteKind.PLAIN, size, etag, mtime, headers, symlink)
    return RemoteObject(kind, size, None, mtime, headers, symlink)


def wants_remote(options: Options, *, skippable: bool = True) -> bool:
    """Whether any decision of an upload depends on the object it would overwrite.

    ``skippable`` is False for streams: ``changed`` and ``skip_identical``
    compare local files, so only the cleanup of old segments is left.
    """
    skip = skippable and bool(options.changed or options.skip_identical)
    return skip or not options.leave_segments


def needs_head(
    options: Options, local_size: int | None, remote: Existing, *, skippable: bool = True
) -> bool:
    """Whether the object job must HEAD the object before deciding.

    A listing answers most questions: a size mismatch already means
    "changed", its hash suffices for skip_identical of plain objects, and it
    shows SLO manifests. Only ``changed`` with matching sizes (the mtime is
    not listed) and zero-byte entries (a DLO manifest looks like an empty
    object) need a HEAD.
    """
    if remote is None or not wants_remote(options, skippable=skippable):
        return False
    if remote is UNKNOWN:
        return True
    if remote.headers is not None:
        return False
    if remote.kind is RemoteKind.MAYBE_DLO:
        return True
    return bool(
        skippable and options.changed and local_size is not None and remote.size == local_size
    )


def unchanged(options: Options, local_size: int | None, local_mtime: str | None,
              remote: RemoteObject | None) -> bool:
    """``changed``: the object has the local file's size and mtime, so skip it."""
    return bool(
        options.changed
        and remote is not None
        and local_size is not None
        and local_mtime is not None
        and remote.size == local_size
        and remote.mtime == local_mtime
    )


def cleanup_needed(options: Options, remote: RemoteObject | None) -> bool:
    """Whether overwriting ``remote`` leaves segments behind that we should delete."""
    return bool(
        not options.leave_segments
        and remote is not None
        and remote.is_manifest
        and not remote.symlink
    )


def identical_ranges(
    chunks: Sequence[SegmentRef], local_size: int
) -> list[tuple[int, int, str]] | None:
    """(start, length, md5) of the local ranges a manifest's segments must match.

    None when the manifest cannot equal the local data whatever its bytes:
    sizes that do not add up, segments without an MD5, byte ranges of
    segments or nested SLOs.
    """
    ranges: list[tuple[int, int, str]] = []
    start = 0
    for chunk in chunks:
        if chunk.size is None or chunk.etag is None or chunk.range is not None or chunk.sub_slo:
            return None
        ranges.append((start, chunk.size, chunk.etag.strip('"')))
        start += chunk.size
    if start != local_size:
        return None
    return ranges


def is_dir_marker(headers: Mapping[str, str], mtime: str | None) -> bool:
    """Whether HEAD ``headers`` show an unchanged pseudo-directory marker."""
    content_type = headers.get("content-type", "").split(";", 1)[0].strip()
    return (
        content_type in KNOWN_DIR_MARKERS
        and headers.get("content-length") == "0"
        and headers.get("x-object-meta-mtime") == mtime
    )
