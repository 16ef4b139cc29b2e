"""Local side of a download: where bytes may go, checking them, and landing them.

Three small pieces, none of which talks to Swift:

- **Path safety** (:func:`relative_path`, :func:`contained_path`): object names
  are untrusted input. A name with ``..`` segments, an absolute name, or one
  whose folders resolve (through local symlinks) outside the download folder
  is refused before anything is written.
- **Verification** (:class:`StreamVerifier`): checks length and MD5 while the
  bytes stream past, part by part, so a large object is checked against each
  of its segments' ETags in one pass and one read of the bytes.
- **Landing** (:class:`TempTarget`): data goes to a temporary file next to
  the target and is renamed over it only once verified; on any failure the
  temporary file is removed and the target was never touched. A resumable
  landing uses a name derived from the target's alone (:func:`part_path`), so
  that a run killed outright (``kill -9``, power loss: no clean-up ran) leaves
  a file the next run finds and resumes (:mod:`swiftsvc.ops.download.partial`).
  Every temporary file is held under an exclusive ``flock`` while in use:
  a second download of the same target (in this process or another) falls
  back to a unique name, and :func:`remove_stale_parts` removes only files
  nobody holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO

from swiftsvc.errors import SwiftError

# python-swiftclient's KNOWN_DIR_MARKERS: objects with these content types
# stand for folders
DIR_MARKER_TYPES = frozenset({"application/directory", "text/directory"})
TEMP_SUFFIX = ".swiftsvc-part"
# beside a resumable part file: what it is a part of (see ops/download/partial.py)
STATE_SUFFIX = "-state"
# room left for the temporary name's prefix and suffix under NAME_MAX (255)
_TEMP_STEM = 180
# a longer name keeps this much and a hash of the rest, so that two long
# names sharing their first 180 characters never share a part file
_LONG_KEEP = 150
# the unique names: ".<stem>.<12 hex digits>.swiftsvc-part"
_UNIQUE_PART = re.compile(r"^\..*\.[0-9a-f]{12}" + re.escape(TEMP_SUFFIX) + "$", re.DOTALL)
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


# --------------------------------------------------------------- landing


def _stem(name: str) -> str:
    if len(name) <= _TEMP_STEM:
        return name
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    return f"{name[:_LONG_KEEP]}~{digest}"


def part_path(path: str) -> str:
    """The resumable part file of target ``path``: ``.<name>.swiftsvc-part`` beside it."""
    folder, name = os.path.split(path)
    return os.path.join(folder, f".{_stem(name)}{TEMP_SUFFIX}")


def _lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _claim(path: str) -> int | None:
    """Open and lock the part file ``path`` (created if missing); None if held elsewhere.

    Whoever renames or removes a part file does so while holding its lock,
    so a lock won on an inode that is no longer at ``path`` (renamed into
    place by the previous holder meanwhile) is given up: it could be the
    finished target.
    """
    flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
    try:
        fd = os.open(path, flags, 0o666)
    except OSError:
        return None  # e.g. a symlink planted at the name (ELOOP)
    if _lock(fd) and _still_at(fd, path):
        return fd
    os.close(fd)
    return None


def _still_at(fd: int, path: str) -> bool:
    """Whether ``fd`` is the regular file at ``path`` now (not renamed or removed)."""
    try:
        held = os.fstat(fd)
        now = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISREG(held.st_mode) and (now.st_dev, now.st_ino) == (held.st_dev, held.st_ino)


def remove_stale_parts(folder: str) -> list[str]:
    """Remove unique-named part files in ``folder`` that no running download holds.

    Those are left only by a download that was killed outright; a running
    one (in any process) holds its file's lock. Returns the names removed.
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(folder or "."))
    except OSError:
        return removed
    for entry in entries:
        if not _UNIQUE_PART.match(entry.name):
            continue
        try:
            fd = os.open(entry.path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
        except OSError:
            continue
        try:
            if _lock(fd) and _still_at(fd, entry.path):
                os.unlink(entry.path)
                removed.append(entry.name)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


class TempTarget:
    """A temporary file next to ``path``, renamed over it by :meth:`commit`.

    The temporary file is created with the umask-respecting mode a plain
    ``open()`` would give (``mkstemp`` would make it 0600). No fsync: the
    rename already makes the switch atomic for readers, and an fsync per
    small object would cost more than the download itself.

    ``resumable``: use :func:`part_path` (keeping what it holds) when no one
    else holds it, else a unique name; :attr:`resumable` then says which.
    The file is locked (``flock``) from :meth:`open` until it is renamed or
    removed.
    """

    def __init__(self, path: str, *, resumable: bool = False) -> None:
        self.path = path
        folder, name = os.path.split(path)
        self._folder = folder or "."
        self._stem = f".{name[:_TEMP_STEM]}."
        self._want_resumable = resumable
        self.resumable = False  # holding part_path(path), not a unique name
        self.temp_path: str | None = None
        self._file: BinaryIO | None = None

    @property
    def state_path(self) -> str:
        """The resumable part file's companion (what the bytes are a part of)."""
        return part_path(self.path) + STATE_SUFFIX

    def __enter__(self) -> TempTarget:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.discard()  # nothing left after a commit

    def open(self) -> BinaryIO:
        os.makedirs(self._folder, exist_ok=True)
        if self._want_resumable:
            candidate = part_path(self.path)
            fd = _claim(candidate)
            if fd is not None:
                self.resumable = True
                self.temp_path = candidate
                self._file = os.fdopen(fd, "r+b")
                return self._file
        while True:
            candidate = os.path.join(
                self._folder, f"{self._stem}{secrets.token_hex(6)}{TEMP_SUFFIX}"
            )
            try:
                fd = os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC,
                             0o666)
            except FileExistsError:
                continue
            # remove_stale_parts may have taken it between the create and the
            # lock (it saw no holder): then it is gone, try another name
            if _lock(fd) and _still_at(fd, candidate):
                break
            os.close(fd)
        self.temp_path = candidate
        self._file = os.fdopen(fd, "wb")
        return self._file

    def write(self, data: bytes) -> None:
        if self._file is None:
            self.open()
        assert self._file is not None
        self._file.write(data)

    def write_at(self, data: bytes, offset: int) -> None:
        """Write ``data`` at ``offset`` (``os.pwrite``): safe from several threads at once.

        Pieces of one object fetched in parallel land at their own offsets;
        :meth:`open` must have been called first (not thread-safe).
        """
        assert self._file is not None, "open() the target before writing pieces"
        fd = self._file.fileno()
        view = memoryview(data)
        while view:
            written = os.pwrite(fd, view, offset)
            view, offset = view[written:], offset + written

    def size(self) -> int:
        """Bytes in the temporary file now (what a killed run left, right after open)."""
        assert self._file is not None, "open() the target first"
        self._file.flush()
        return os.fstat(self._file.fileno()).st_size

    def truncate(self, size: int) -> None:
        """Cut (or extend with a hole) to ``size`` bytes; :meth:`write` goes on from there."""
        assert self._file is not None, "open() the target first"
        self._file.flush()
        os.ftruncate(self._file.fileno(), size)
        self._file.seek(size)

    def read_range(self, first: int, length: int) -> Iterator[bytes]:
        """The temporary file's bytes ``first`` .. ``first + length - 1`` (short at its end)."""
        assert self._file is not None, "open() the target first"
        self._file.flush()
        fd = self._file.fileno()
        offset, end = first, first + length
        while offset < end:
            data = os.pread(fd, min(_LOCAL_READ, end - offset), offset)
            if not data:
                return
            offset += len(data)
            yield data

    def commit(self, *, mtime: float | None = None) -> None:
        """Set the mtime and rename into place (atomic on one filesystem), then close.

        The rename happens under the file's lock (see :func:`_claim`).
        """
        if self._file is None:
            self.open()
        assert self._file is not None and self.temp_path is not None
        self._file.flush()
        if mtime is not None:
            os.utime(self._file.fileno(), (mtime, mtime))
        os.replace(self.temp_path, self.path)
        self.temp_path = None
        if self.resumable:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.state_path)
        self._file.close()
        self._file = None

    def discard(self) -> None:
        """Remove the temporary file (and its state), if any; the target stays as it was."""
        if self.temp_path is not None:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.temp_path)
            if self.resumable:
                with contextlib.suppress(FileNotFoundError):
                    os.unlink(self.state_path)
            self.temp_path = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                self._file.close()
            self._file = None
