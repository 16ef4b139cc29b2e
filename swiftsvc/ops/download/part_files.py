"""Part files: the temporary files a download lands in, named, locked and renamed.

Data goes to a temporary file next to the target (:class:`TempTarget`) and is
renamed over it only once verified; on any failure the temporary file is
removed and the target was never touched. A resumable landing uses a name
derived from the target's alone (:func:`part_path`), so that a run killed
outright (``kill -9``, power loss: no clean-up ran) leaves a file the next run
finds and resumes (:mod:`swiftsvc.ops.download.partial`). Every temporary
file is held under an exclusive ``flock`` while in use: a second download of
the same target (in this process or another) falls back to a unique name,
and :func:`remove_stale_parts` removes only files nobody holds.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import secrets
import stat
from collections.abc import Iterator
from types import TracebackType
from typing import BinaryIO

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
_READ = 1 << 20


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
            data = os.pread(fd, min(_READ, end - offset), offset)
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
