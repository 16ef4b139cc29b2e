"""Local side of a download: where bytes may go, and checking them.

Two small pieces, none of which talks to Swift:

- **Path safety** (:func:`relative_path`, :func:`local_place`,
  :func:`contained_path`): object names
  are untrusted input. A name with ``..`` segments, an absolute name, or one
  whose folders resolve (through local symlinks) outside the download folder
  is refused before anything is written.
- **Verification** (:class:`StreamVerifier`): checks length and MD5 while the
  bytes stream past, part by part, so a large object is checked against each
  of its segments' ETags in one pass and one read of the bytes.

Landing the bytes (temporary part files renamed over the target) is
:mod:`swiftsvc.ops.download.part_files`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from swiftsvc.errors import SwiftError
from swiftsvc.options import Options

# python-swiftclient's KNOWN_DIR_MARKERS: objects with these content types
# stand for folders
DIR_MARKER_TYPES = frozenset({"application/directory", "text/directory"})
# skip_identical hashes local files up to this size before asking (If-None-Match)
HASH_UP_FRONT = 32 << 20
_LOCAL_READ = 1 << 20


class UnsafePath(SwiftError):
    """An object name that would be written outside the download folder."""


class VerificationError(SwiftError):
    """Downloaded bytes do not match the length or MD5 the server promised."""


# ----------------------------------------------------------------- paths


def relative_path(
    container: str,
    obj: str,
    *,
    account_wide: bool,
    prefix: str | None,
    remove_prefix: bool,
) -> str:
    """The local path of ``obj`` relative to the download folder (pure).

    An account download puts each container in its own folder. With
    ``remove_prefix`` the listing prefix is cut from the *object* name
    (python-swiftclient cuts it from ``container/object`` on an account
    download, which mangles the container). The result may end in ``/`` (a
    pseudo-folder) or be empty (the prefix itself).

    Raises :class:`UnsafePath` for names that would escape: ``..``
    segments, absolute names, NUL bytes.
    """
    name = obj
    if prefix and remove_prefix and name.startswith(prefix):
        name = name[len(prefix):].lstrip("/")
    # the name actually written is checked: cutting prefix "a" from "a../x"
    # would otherwise make "../x"
    _check_name(container, obj, name)
    if account_wide:
        _check_name(container, obj, container)
    return f"{container}/{name}" if account_wide else name


@dataclass(frozen=True, slots=True)
class Place:
    """Where an object lands, as its result reports it."""

    path: str  # the object's own local path, also when out_file names another
    relative: str | None  # its path under the download folder; None: out_file
    pseudodir: bool = False


def local_place(
    container: str, obj: str, *, suffix: str, account_wide: bool, options: Options
) -> Place:
    """The object's :class:`Place`; raises :class:`UnsafePath` unless ``out_file`` is given.

    With ``out_file`` nothing is written at the object's own path: an unsafe
    name is then only reported. ``suffix`` (an older version's) goes after a
    file's name, never after a folder's.
    """
    if options.out_file:
        try:
            path = _suffixed(container, obj, suffix, account_wide=account_wide, options=options)
        except UnsafePath:
            path = obj
        if options.out_directory:
            path = os.path.join(options.out_directory, path)
        return Place(path, None)
    relative = _suffixed(container, obj, suffix, account_wide=account_wide, options=options)
    path = os.path.join(options.out_directory, relative) if options.out_directory else relative
    return Place(path, relative, pseudodir=relative.endswith("/") or not relative)


def _suffixed(container: str, obj: str, suffix: str, *, account_wide: bool,
              options: Options) -> str:
    relative = relative_path(container, obj, account_wide=account_wide, prefix=options.prefix,
                             remove_prefix=options.remove_prefix)
    if suffix and relative and not relative.endswith("/"):
        relative += suffix
    return relative


def _check_name(container: str, obj: str, name: str) -> None:
    if "\0" in name:
        raise UnsafePath(f"refusing object name with a NUL byte: {obj!r}", container, obj)
    if name.startswith("/"):
        raise UnsafePath(f"refusing absolute object name {obj!r}", container, obj)
    if ".." in name.split("/"):
        raise UnsafePath(f"refusing object name with '..' segments: {obj!r}", container, obj)


def contained_path(base: str, relative: str, *, container: str, obj: str) -> str:
    """``base/relative``, refused if it resolves outside ``base``.

    Resolves symlinks of local folders that already exist, so a local ``a ->
    /etc`` cannot carry object ``a/passwd`` out of the download folder. A
    trailing ``/`` (pseudo-folder) is kept.
    """
    path = os.path.join(base, relative) if relative else base
    root = os.path.realpath(base)
    resolved = os.path.realpath(path)
    if resolved != root and not resolved.startswith(root.rstrip(os.sep) + os.sep):
        raise UnsafePath(
            f"refusing object {obj!r}: {path!r} resolves outside {base!r}", container, obj
        )
    return path


def is_dir_marker(content_type: str | None) -> bool:
    """Whether a content type marks a folder (``application/directory; ...``)."""
    if not content_type:
        return False
    return content_type.split(";", 1)[0].strip().lower() in DIR_MARKER_TYPES


def parse_mtime(value: str | None) -> float | None:
    """``X-Object-Meta-Mtime`` as a float, None when absent or unusable."""
    if value is None:
        return None
    try:
        mtime = float(value)
    except ValueError:
        return None  # written by someone else; not worth failing the download
    return mtime if mtime == mtime and abs(mtime) != float("inf") else None


# ---------------------------------------------------------- verification


@dataclass(frozen=True, slots=True)
class Part:
    """A stretch of the body whose length (and MD5, when known) is promised.

    A plain object is one part checked against its ETag; a large object has
    one part per segment, checked against the manifest's or listing's ETags.
    """

    size: int
    md5: str | None  # None: length only (ranged reads, checksum off)
    label: str = ""  # e.g. the segment's path, for error messages


def plain_parts(status: int, headers: Mapping[str, str], *, checksum: bool) -> list[Part] | None:
    """A plain object's one part: Content-Length, and its ETag unless ranged."""
    length = headers.get("content-length")
    if length is None or not length.strip().isdigit():
        return None
    ranged = status == 206 or "content-range" in headers
    md5 = None if ranged or not checksum else (strip_etag(headers.get("etag")) or None)
    return [Part(int(length), md5, "")]


def lengths_only(parts: list[Part]) -> list[Part]:
    """``checksum=False``: keep the length checks, drop the MD5s."""
    return [Part(part.size, None, part.label) for part in parts]


def strip_etag(value: str | None) -> str:
    """An ETag header without its quotes (Swift quotes large objects' ETags)."""
    value = (value or "").strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


class StreamVerifier:
    """Checks a body against its parts while it streams; one hash, bytes seen once.

    ``update`` raises :class:`VerificationError` as soon as a part ends with
    the wrong MD5 or more bytes arrive than promised, so a corrupt first
    segment stops the download early; :meth:`finish` raises when bytes are
    missing. ``parts=None`` means the length is unknown (a chunked answer):
    nothing is checked. ``first_index``, given when ``parts`` are a piece of
    a larger object, is the index of ``parts[0]`` among the object's parts:
    errors then name the part by its place in the whole, even a piece's
    only part.
    """

    def __init__(
        self, parts: Sequence[Part] | None, *, where: str, first_index: int | None = None
    ) -> None:
        self._parts = parts
        self._where = where
        self._first_index = first_index
        self._index = 0
        self._left = parts[0].size if parts else 0
        self._hash = self._new_hash()
        self.read_length = 0

    @property
    def expected_length(self) -> int | None:
        return None if self._parts is None else sum(part.size for part in self._parts)

    def _new_hash(self) -> hashlib._Hash | None:
        if self._parts and self._index < len(self._parts) and self._parts[self._index].md5:
            return hashlib.md5(usedforsecurity=False)
        return None

    def update(self, chunk: bytes) -> None:
        self.read_length += len(chunk)
        if self._parts is None:
            return
        view = memoryview(chunk)
        while view:
            self._skip_empty_parts()
            if self._index >= len(self._parts):
                raise VerificationError(
                    f"{self._where}: more bytes than the {self.expected_length} expected"
                )
            take = min(self._left, len(view))
            if self._hash is not None:
                self._hash.update(view[:take])
            view = view[take:]
            self._left -= take
            if self._left == 0:
                self._close_part()

    def _skip_empty_parts(self) -> None:
        assert self._parts is not None
        while self._index < len(self._parts) and self._left == 0:
            self._close_part()

    def _close_part(self) -> None:
        assert self._parts is not None
        part = self._parts[self._index]
        if self._hash is not None and part.md5:
            actual = self._hash.hexdigest()
            if actual != part.md5:
                several = len(self._parts) > 1 or self._first_index is not None
                number = (self._first_index or 0) + self._index
                which = f" (part {number}: {part.label})" if several else ""
                raise VerificationError(
                    f"{self._where}: md5 {actual} != etag {part.md5}{which}"
                )
        self._index += 1
        if self._index < len(self._parts):
            self._left = self._parts[self._index].size
        self._hash = self._new_hash()

    def finish(self) -> None:
        """Raise :class:`VerificationError` unless every promised byte arrived."""
        if self._parts is None:
            return
        self._skip_empty_parts()
        if self._index < len(self._parts):
            raise VerificationError(
                f"{self._where}: read {self.read_length} of {self.expected_length} bytes"
            )


def local_parts_match(path: str, parts: Sequence[Part]) -> bool:
    """Whether the local file ``path`` holds exactly ``parts`` (skip_identical).

    Compares part by part against each part's MD5; a part without an MD5
    cannot be proven identical, so the answer is then False.
    """
    try:
        source = open(path, "rb")  # noqa: SIM115 - closed below, early returns inside
    except OSError:
        return False
    with source:
        for part in parts:
            if part.md5 is None:
                return False
            digest = hashlib.md5(usedforsecurity=False)
            left = part.size
            while left:
                data = source.read(min(_LOCAL_READ, left))
                if not data:
                    return False
                digest.update(data)
                left -= len(data)
            if digest.hexdigest() != part.md5:
                return False
        return not source.read(1)


def local_md5(path: str) -> str | None:
    """MD5 of a local regular file, None when there is none to read."""
    try:
        source = open(path, "rb")  # noqa: SIM115
    except OSError:
        return None
    with source:
        if not os.path.isfile(path):
            return None
        digest = hashlib.md5(usedforsecurity=False)
        while data := source.read(_LOCAL_READ):
            digest.update(data)
        return digest.hexdigest()


def md5_up_front(path: str | None) -> str | None:
    """skip_identical: the local file's MD5 to send as If-None-Match, when cheap.

    A file above :data:`HASH_UP_FRONT` is not hashed before the GET: the
    answer's length usually tells it differs without reading it at all.
    """
    if path is None:
        return None
    try:
        size = os.stat(path).st_size
    except OSError:
        return None
    return local_md5(path) if size <= HASH_UP_FRONT else None


def same_plain_object(headers: Mapping[str, str], path: str) -> bool:
    """skip_identical: whether the local file ``path`` has a plain object's length and ETag."""
    length = headers.get("content-length")
    try:
        if length is None or int(length) != os.stat(path).st_size:
            return False
    except (OSError, ValueError):
        return False
    return local_md5(path) == strip_etag(headers.get("etag"))
