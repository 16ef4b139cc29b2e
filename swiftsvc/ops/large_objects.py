"""Recognising large-object manifests and finding their segments.

Two kinds of manifest (docs/COMPAT.md §6):

- a Static Large Object (SLO) answers HEAD/GET with ``X-Static-Large-Object:
  True``; ``GET ?multipart-manifest=get`` returns its JSON list of segments
  (``name``/``hash``/``bytes``; ``path``/``etag``/``size_bytes`` with
  ``format=raw``), each ``/container/object``;
- a Dynamic Large Object (DLO) carries ``X-Object-Manifest:
  <container>/<prefix>`` (URL-quoted, as Swift's dlo middleware unquotes it);
  its segments are whatever the container lists under that prefix.

Upload (overwriting a large object), delete (removing its segments) and
skip-identical comparisons all need the segment list, so it lives here once.
Parsing is pure; :func:`manifest_entries` / :func:`manifest_segments` do the
requests. Nested SLOs (``sub_slo``) are listed as their manifest object, not
expanded: ``DELETE ?multipart-manifest=delete`` removes them server-side.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from swiftsvc import results
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.ops.listing import iter_container_pages
from swiftsvc.options import Options
from swiftsvc.results import DeleteSegmentResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

_TRUE = frozenset({"true", "1", "yes", "on", "t", "y"})
_DEFAULTS = Options()


@dataclass(frozen=True, slots=True)
class SegmentRef:
    """One segment of a large object, as its manifest (or listing) describes it."""

    container: str
    obj: str
    etag: str | None = None  # md5 of the segment's content, when known
    size: int | None = None
    range: str | None = None  # SLO segments may use a byte range of their object
    sub_slo: bool = False  # the segment is itself an SLO manifest


def _header(headers: Mapping[str, str], name: str) -> str | None:
    # our Responses lower-case names; a caller's mapping may not
    value = headers.get(name)
    if value is None:
        for key, candidate in headers.items():
            if key.lower() == name:
                return candidate
    return value


def is_slo(headers: Mapping[str, str]) -> bool:
    """Whether these object headers describe an SLO manifest."""
    value = _header(headers, "x-static-large-object")
    return value is not None and value.strip().lower() in _TRUE


def is_dlo(headers: Mapping[str, str]) -> bool:
    """Whether these object headers describe a DLO manifest."""
    return bool(_header(headers, "x-object-manifest"))


def parse_manifest_path(path: str) -> tuple[str, str]:
    """``"/cont/obj"`` (an SLO segment's path) -> ``("cont", "obj")``.

    Only the first slash after the container splits: object names may
    contain slashes. Raises ValueError for a path without an object part.
    """
    container, sep, obj = path.lstrip("/").partition("/")
    if not container or not sep or not obj:
        raise ValueError(f"not a /container/object path: {path!r}")
    return container, obj


def parse_dlo_manifest(value: str) -> tuple[str, str]:
    """An ``X-Object-Manifest`` value -> (segment container, object prefix), unquoted."""
    container, _, prefix = value.lstrip("/").partition("/")
    if not container:
        raise ValueError(f"not a <container>/<prefix> manifest: {value!r}")
    return unquote(container), unquote(prefix)


def parse_slo_manifest(body: bytes) -> list[SegmentRef]:
    """The segments of a ``GET ?multipart-manifest=get`` JSON body.

    Swift stores segment paths as given at PUT time, unquoted, so they are
    used as they are (unquoting would corrupt names containing ``%``).
    """
    data: Any = json.loads(body.decode("utf-8") or "[]")
    if not isinstance(data, list):
        raise ValueError("an SLO manifest must be a JSON list")
    segments: list[SegmentRef] = []
    for entry in data:
        if not isinstance(entry, Mapping):
            raise ValueError(f"not a manifest entry: {entry!r}")
        if "data" in entry:  # inline data segment (Swift >= 2.28): no object behind it
            continue
        path = entry.get("name", entry.get("path"))
        if not isinstance(path, str):
            raise ValueError(f"manifest entry without a path: {entry!r}")
        container, obj = parse_manifest_path(path)
        etag = entry.get("hash", entry.get("etag"))
        size = entry.get("bytes", entry.get("size_bytes"))
        segments.append(
            SegmentRef(
                container=container,
                obj=obj,
                etag=etag if isinstance(etag, str) else None,
                size=size if isinstance(size, int) else None,
                range=entry.get("range") if isinstance(entry.get("range"), str) else None,
                sub_slo=bool(entry.get("sub_slo", False)),
            )
        )
    return segments


def slo_entries(
    conn: Connection, container: str, obj: str, *, version_id: str | None = None
) -> list[SegmentRef]:
    """Fetch and parse an SLO's manifest."""
    query = {"multipart-manifest": "get"}
    if version_id is not None:
        query["version-id"] = version_id
    response = conn.request("GET", container, obj, query=query)
    return parse_slo_manifest(response.body)


def iter_dlo_segments(
    conn: Connection, segment_container: str, prefix: str
) -> Iterator[SegmentRef]:
    """A DLO's segments in listing order, one page in memory at a time
    (none when the segment container does not exist)."""
    options = _DEFAULTS.merged({"prefix": prefix})
    try:
        for page in iter_container_pages(conn, segment_container, options):
            for item in page:
                yield SegmentRef(
                    container=segment_container,
                    obj=str(item["name"]),
                    etag=item.get("hash"),
                    size=item.get("bytes"),
                )
    except SwiftError as error:  # the listing's "container not found"
        if not isinstance(error.exception, ClientException) or (
            error.exception.http_status != 404
        ):
            raise


def manifest_entries(
    conn: Connection,
    container: str,
    obj: str,
    headers: Mapping[str, str],
    *,
    version_id: str | None = None,
) -> list[SegmentRef]:
    """The segments of the object ``headers`` describe ([] if not a manifest).

    ``headers`` are the object's HEAD/GET headers; for an SLO its manifest is
    fetched, for a DLO its segment prefix is listed in full.
    """
    if is_slo(headers):
        return slo_entries(conn, container, obj, version_id=version_id)
    manifest = _header(headers, "x-object-manifest")
    if manifest:
        segment_container, prefix = parse_dlo_manifest(manifest)
        return list(iter_dlo_segments(conn, segment_container, prefix))
    return []


def manifest_segments(
    conn: Connection,
    container: str,
    obj: str,
    headers: Mapping[str, str],
    *,
    version_id: str | None = None,
) -> list[tuple[str, str]]:
    """(segment container, segment object) of each segment ([] if not a manifest)."""
    return [
        (ref.container, ref.obj)
        for ref in manifest_entries(conn, container, obj, headers, version_id=version_id)
    ]


def delete_segment_job(conn: Connection, container: str, obj: str) -> DeleteSegmentResult:
    """Job (segment pool): delete one segment; one already gone counts as deleted."""
    try:
        response = conn.delete_object(container, obj)
    except ClientException as error:
        if error.http_status != 404:
            raise
        return results.delete_segment(container=container, object=obj,
                                           history=error.attempts)
    return results.delete_segment(container=container, object=obj, response=response)
