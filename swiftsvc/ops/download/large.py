"""What a large object's bytes must be: its parts, from the SLO manifest or DLO listing.

A download verifies a Static Large Object segment by segment against the
ETags its manifest promises, and a Dynamic Large Object against the ETags of
the segments listed under its ``X-Object-Manifest`` prefix, while the whole
object streams past in one GET (see :class:`swiftsvc.ops.download.local.StreamVerifier`).
The same parts let ``skip_identical`` compare a local file segment by segment.

Pure functions turn a manifest into parts (:func:`parse_manifest`,
:func:`manifest_etag`, :func:`slice_parts`); :func:`slo_parts` and
:func:`dlo_parts` fetch what they need (sub-manifests, listings) through the
job's connection, and :func:`large_object` picks between them by the first
answer's headers.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.http.response import Attempt, StreamedResponse
from swiftsvc.ops.download.local import Part, strip_etag
from swiftsvc.ops.listing import iter_container_pages
from swiftsvc.options import Options
from swiftsvc.results import error_attempts

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

# Swift refuses deeper nesting of SLOs in SLOs (slo.max_slo_recursion_depth)
MAX_SLO_DEPTH = 10
# a manifest of 1000 segments is ~200 KB; this only guards against a wrong answer
MAX_MANIFEST_BYTES = 64 << 20


class ManifestError(SwiftError):
    """A manifest or segment listing that cannot describe the object."""


@dataclass(frozen=True, slots=True)
class ManifestEntry:
    """One entry of ``GET ?multipart-manifest=get`` (Swift's renamed keys)."""

    name: str  # "/container/object" of the segment
    size: int  # bytes this entry contributes to the object
    etag: str | None  # the segment's (or sub-SLO's) ETag
    byte_range: tuple[int, int] | None = None  # inclusive, within the segment
    segment_size: int | None = None  # the whole segment's size, when ranged
    sub_slo: bool = False
    data: bytes | None = None  # inline data entries carry their bytes

    @property
    def etag_token(self) -> str:
        """This entry's contribution to the SLO's ETag (as Swift computes it)."""
        if self.data is not None:
            return hashlib.md5(self.data, usedforsecurity=False).hexdigest()
        if self.byte_range is not None:
            return f"{self.etag}:{self.byte_range[0]}-{self.byte_range[1]};"
        return self.etag or ""


def parse_manifest(body: bytes, *, where: str) -> list[ManifestEntry]:
    """Entries of an SLO manifest as ``?multipart-manifest=get`` returns it."""
    try:
        raw = json.loads(body)
    except ValueError as error:
        raise ManifestError(f"{where}: the SLO manifest is not JSON ({error})") from None
    if not isinstance(raw, list):
        raise ManifestError(f"{where}: the SLO manifest is not a list")
    return [_entry(item, where) for item in raw]


def _entry(item: Any, where: str) -> ManifestEntry:
    if not isinstance(item, Mapping):
        raise ManifestError(f"{where}: a manifest entry is not an object: {item!r}")
    if "data" in item:
        data = base64.b64decode(item["data"])
        return ManifestEntry(name="<inline data>", size=len(data), etag=None, data=data)
    try:
        name = str(item["name"])
        whole = int(item["bytes"])
    except (KeyError, TypeError, ValueError):
        raise ManifestError(f"{where}: a manifest entry lacks name or bytes: {item!r}") from None
    sub_slo = str(item.get("sub_slo", "")).lower() in ("true", "1", "yes")
    if sub_slo:
        # a sub-SLO's "bytes" is the size of its manifest; the object's size
        # rides in the content type (";swift_bytes=N")
        whole = _swift_bytes(str(item.get("content_type", ""))) or whole
    etag = strip_etag(item.get("hash")) or None
    byte_range = None
    size = whole
    if item.get("range"):
        first, last = _parse_range(str(item["range"]), whole, where)
        byte_range = (first, last)
        size = last - first + 1
    return ManifestEntry(
        name=name,
        size=size,
        etag=etag,
        byte_range=byte_range,
        segment_size=whole,
        sub_slo=sub_slo,
    )


def _swift_bytes(content_type: str) -> int | None:
    for param in content_type.split(";")[1:]:
        key, _, value = param.strip().partition("=")
        if key == "swift_bytes" and value.isdigit():
            return int(value)
    return None


def _parse_range(text: str, size: int, where: str) -> tuple[int, int]:
    """"M-N", "M-" or "-N" of a segment of ``size`` bytes -> inclusive (first, last)."""
    first_text, sep, last_text = text.partition("-")
    try:
        if not sep:
            raise ValueError(text)
        if not first_text:
            first, last = max(size - int(last_text), 0), size - 1
        elif not last_text:
            first, last = int(first_text), size - 1
        else:
            first, last = int(first_text), min(int(last_text), size - 1)
    except ValueError:
        raise ManifestError(f"{where}: bad segment range {text!r}") from None
    if first > last:
        raise ManifestError(f"{where}: empty segment range {text!r}")
    return first, last


def manifest_etag(entries: Sequence[ManifestEntry]) -> str:
    """The SLO's ETag as Swift computes it: MD5 over the entries' tokens."""
    digest = hashlib.md5(usedforsecurity=False)
    for entry in entries:
        digest.update(entry.etag_token.encode("ascii"))
    return digest.hexdigest()


def listing_etag(parts: Sequence[Part]) -> str:
    """A DLO's ETag as Swift computes it from one page of segments."""
    digest = hashlib.md5(usedforsecurity=False)
    for part in parts:
        digest.update((part.md5 or "").encode("ascii"))
    return digest.hexdigest()


def slice_parts(parts: Sequence[Part], first: int, last: int) -> list[Part]:
    """The parts covering bytes ``first..last`` (inclusive) of ``parts``' concatenation.

    A part cut by the slice keeps its length but loses its MD5: only whole
    segments can be checked against their ETags.
    """
    sliced: list[Part] = []
    offset = 0
    for part in parts:
        start, end = offset, offset + part.size - 1
        offset += part.size
        if end < first or start > last:
            continue
        lo, hi = max(start, first), min(end, last)
        whole = lo == start and hi == end
        sliced.append(Part(hi - lo + 1, part.md5 if whole else None, part.label))
    return sliced


@dataclass(frozen=True, slots=True)
class Piece:
    """Whole consecutive parts of an object, fetched with one ranged GET.

    ``first`` and ``last`` are the object's byte offsets (inclusive);
    ``index`` is the place of ``parts[0]`` among the object's parts.
    """

    first: int
    last: int
    parts: tuple[Part, ...]
    index: int

    @property
    def range_header(self) -> str:
        return f"bytes={self.first}-{self.last}"


def plan_pieces(parts: Sequence[Part], *, workers: int, min_size: int) -> list[Piece]:
    """Split an object into pieces of whole parts to fetch in parallel (pure).

    Pieces never cut a part, so each part is still checked against its MD5.
    A piece takes parts until it holds at least ``max(min_size, total / (4 *
    workers))`` bytes: several pieces per worker even out the workers' finish
    times, and the floor keeps a manifest of many small segments from costing
    a request (and a manifest read in the proxy) per segment. Fewer than two
    pieces means nothing to gain: an empty list.
    """
    total = sum(part.size for part in parts)
    target = max(min_size, -(-total // (4 * max(workers, 1))))
    pieces: list[Piece] = []
    start = offset = index = 0
    group: list[Part] = []
    for number, part in enumerate(parts):
        if not group:
            index = number
        group.append(part)
        offset += part.size
        if offset - start >= target:
            pieces.append(Piece(start, offset - 1, tuple(group), index))
            start, group = offset, []
    if group:
        if offset == start:  # trailing empty parts belong to the last piece
            if not pieces:
                return []
            last = pieces[-1]
            pieces[-1] = Piece(last.first, last.last, last.parts + tuple(group), last.index)
        else:
            pieces.append(Piece(start, offset - 1, tuple(group), index))
    return pieces if len(pieces) > 1 else []


@dataclass(frozen=True, slots=True)
class Segment:
    """A whole segment a piece is fetched from with its own GET."""

    container: str
    obj: str
    etag: str  # the manifest's: sent as If-Match, so the bytes are the ones it names
    size: int


def direct_segment(parts: Sequence[Part]) -> Segment | None:
    """The segment to GET for a piece that is one whole segment; else None (pure).

    A ranged GET of the SLO costs the proxy a manifest read, and Swift's SLO
    and DLO middlewares hash every whole segment they relay (on top of the
    client's own check): GETting the segment itself spares both, about 3 s of
    server CPU per GiB on the local Swift (bench/RESULTS.md). A piece of several small
    segments keeps its one ranged GET: one request, not one per segment.
    Inline data, a cut segment (no MD5) and a name that is no
    ``/container/object`` are never fetched directly.
    """
    if len(parts) != 1:
        return None
    part = parts[0]
    container, _, obj = part.label.removeprefix("/").partition("/")
    if not part.md5 or not part.label.startswith("/") or not container or not obj:
        return None
    return Segment(container, obj, part.md5, part.size)


def is_slo(headers: Mapping[str, str]) -> bool:
    """Whether an answer's headers say a Static Large Object (its manifest asked for)."""
    value = headers.get("x-static-large-object")
    return (value or "").strip().lower() in ("true", "1", "yes", "on")


# ----------------------------------------------------------------- fetching


@dataclass(slots=True)
class LargeObject:
    """A large object's parts and how to hold the server to them."""

    parts: list[Part]
    # the ETag the full GET must carry (If-Match), None when it cannot be known
    etag: str | None


def slo_parts(
    conn: Connection,
    entries: Sequence[ManifestEntry],
    attempts: list[Attempt],
    *,
    where: str,
) -> LargeObject:
    """Flatten a manifest (fetching sub-SLO manifests) into verifiable parts.

    Every request made is appended to ``attempts`` (the job's history).
    """
    parts = list(_flatten(conn, entries, attempts, where=where, depth=1))
    return LargeObject(parts=parts, etag=manifest_etag(entries))


def _flatten(
    conn: Connection,
    entries: Sequence[ManifestEntry],
    attempts: list[Attempt],
    *,
    where: str,
    depth: int,
) -> Iterator[Part]:
    for entry in entries:
        if entry.data is not None:
            yield Part(entry.size, entry.etag_token, "<inline data>")
        elif not entry.sub_slo:
            part = Part(entry.segment_size or entry.size, entry.etag, entry.name)
            if entry.byte_range is None:
                yield part
            else:
                yield from slice_parts([part], *entry.byte_range)
        else:
            if depth >= MAX_SLO_DEPTH:
                raise ManifestError(f"{where}: SLOs nested deeper than {MAX_SLO_DEPTH}")
            inner = fetch_manifest(conn, entry.name, attempts, where=where)
            inner_parts = list(_flatten(conn, inner, attempts, where=where, depth=depth + 1))
            if entry.byte_range is None:
                yield from inner_parts
            else:
                yield from slice_parts(inner_parts, *entry.byte_range)


def fetch_manifest(
    conn: Connection, segment_path: str, attempts: list[Attempt], *, where: str
) -> list[ManifestEntry]:
    """GET a (sub-)SLO's manifest by its ``/container/object`` path."""
    container, _, obj = unquote(segment_path).lstrip("/").partition("/")
    try:
        response = conn.get_object(container, obj, query={"multipart-manifest": "get"})
    except ClientException as error:
        attempts.extend(error.attempts)
        raise
    try:
        attempts.extend(response.attempts)
        body = read_limited(response.iter_chunks(), where=where)
    finally:
        response.close()
    return parse_manifest(body, where=f"{where} ({segment_path})")


def read_limited(chunks: Iterator[bytes], *, where: str) -> bytes:
    """A manifest's body, refusing one too big to be a manifest."""
    pieces: list[bytes] = []
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > MAX_MANIFEST_BYTES:
            raise ManifestError(f"{where}: manifest larger than {MAX_MANIFEST_BYTES} bytes")
        pieces.append(chunk)
    return b"".join(pieces)


def split_manifest_header(value: str) -> tuple[str, str]:
    """``X-Object-Manifest`` (``container/prefix``, maybe URL-quoted) -> parts."""
    container, sep, prefix = unquote(value).partition("/")
    if not sep or not container:
        raise ManifestError(f"bad X-Object-Manifest {value!r}")
    return container, prefix


def dlo_parts(
    conn: Connection, manifest: str, attempts: list[Attempt], *, where: str
) -> LargeObject:
    """The segments a DLO is made of, listed under its manifest prefix.

    A DLO is whatever the segment container lists under the prefix, so the
    listing's ETags are what the bytes must match. The listing is paged; a
    DLO of more than one page has no ETag of its own (Swift sends none), so
    ``etag`` is only worth comparing when the GET carries one.
    """
    container, prefix = split_manifest_header(manifest)
    parts: list[Part] = []
    # the listing is the object: filtered by the prefix and nothing else.
    # Its requests are not in ``attempts`` (those are the object's own),
    # unless it fails.
    try:
        for page in iter_container_pages(conn, container, Options(prefix=prefix)):
            for item in page:
                if "name" in item:
                    parts.append(Part(int(item["bytes"]), strip_etag(item.get("hash")) or None,
                                      f"/{container}/{item['name']}"))
    except (ClientException, SwiftError) as error:
        attempts.extend(error_attempts(error) or ())
        raise
    return LargeObject(parts=parts, etag=listing_etag(parts))


def large_object(
    conn: Connection, response: StreamedResponse, attempts: list[Attempt], *, where: str
) -> LargeObject | None:
    """The parts of an SLO or DLO (closing its manifest answer), else None."""
    headers = response.headers
    if is_slo(headers):
        try:
            manifest = read_limited(response.iter_chunks(), where=where)
        finally:
            response.close()
        entries = parse_manifest(manifest, where=where)
        return slo_parts(conn, entries, attempts, where=where)
    if "x-object-manifest" in headers:
        response.close()
        return dlo_parts(conn, headers["x-object-manifest"], attempts, where=where)
    return None


def check_listing_etag(
    response: StreamedResponse, large: LargeObject, *, where: str, container: str, obj: str
) -> None:
    """A DLO's segments may change between the listing and the GET: compare ETags."""
    etag = strip_etag(response.headers.get("etag"))
    if is_slo(response.headers) or not etag or large.etag is None or etag == large.etag:
        return
    response.close()
    raise SwiftError(
        f"{where}: the segments changed between listing and download "
        f"(etag {etag} != {large.etag} from the listing)",
        container,
        obj,
    )
