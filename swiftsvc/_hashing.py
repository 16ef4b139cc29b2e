"""MD5 as Swift uses it (an ETag, not a security measure), hashed while reading.

:class:`HashingReader` is what uploads hand to the HTTP layer as the body: it
reads a window of an underlying file (a whole file, or one segment of it),
feeding every chunk it returns to one MD5 and counting bytes as it goes, so
the data is read once and hashed once, with no copy beyond the chunk the
read returns. When the HTTP layer rewinds it to retry a request, the hash
starts over with the data.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from hashlib import _Hash

# large enough that hashing and syscalls cost little per byte, small enough
# that a reader never holds much
READ_CHUNK = 1 << 20

EMPTY_MD5 = "d41d8cd98f00b204e9800998ecf8427e"


def md5(data: bytes = b"") -> _Hash:
    """An MD5 object; ``usedforsecurity=False`` keeps it working on FIPS systems."""
    return hashlib.md5(data, usedforsecurity=False)


def md5_hex(data: bytes) -> str:
    return md5(data).hexdigest()


class SourceChangedError(ValueError):
    """The local data changed while it was being read.

    Not an OSError on purpose: the HTTP layer would take it for a network
    failure and send the request again, to fail the same way.
    """


@dataclass(frozen=True, slots=True)
class FileState:
    """What tells that a local file was written: its size, mtime and ctime.

    Taken before a file is read and compared after (see :func:`check_unchanged`):
    an in-place rewrite of the same size moves the mtime (or the ctime, if
    the writer put the mtime back), so equal states mean the bytes read
    existed together. Limit: a write within the filesystem's timestamp
    granularity of the first stat (a few milliseconds on Linux) and of the
    same size cannot be seen; rsync and python-swiftclient's ``changed``
    share it.
    """

    size: int
    mtime_ns: int
    ctime_ns: int
    mtime: float = field(compare=False)  # st_mtime as the float the headers carry

    @classmethod
    def of(cls, st: os.stat_result) -> FileState:
        return cls(st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_mtime)

    @classmethod
    def at(cls, path: str | os.PathLike[str]) -> FileState:
        return cls.of(os.stat(path))


def check_unchanged(
    path: str | os.PathLike[str], before: FileState, fp: IO[bytes] | None = None
) -> None:
    """Raise :class:`SourceChangedError` (naming ``path``) unless the file is as ``before``.

    With ``fp``, the open file itself is asked (``fstat``), so a rename over
    ``path`` during the read does not count: the bytes read are the old
    file's, whole.
    """
    try:
        after = FileState.of(os.fstat(fp.fileno()) if fp is not None else os.stat(path))
    except OSError as error:
        raise SourceChangedError(
            f"local file {os.fspath(path)!r} changed while it was read "
            f"(it cannot be examined any more: {error.strerror})"
        ) from error
    if after == before:
        return
    what = [name for name, old, new in (
        ("size", before.size, after.size),
        ("mtime", before.mtime_ns, after.mtime_ns),
        ("ctime", before.ctime_ns, after.ctime_ns),
    ) if old != new]
    raise SourceChangedError(
        f"local file {os.fspath(path)!r} changed while it was read "
        f"({', '.join(what)} changed); it was not stored, upload it again"
    )


class HashingReader(io.RawIOBase):
    """A read-only window of ``raw`` that hashes and counts what it returns.

    The window starts at ``raw``'s position when the reader is made and is
    ``length`` bytes long (to the end of ``raw`` when None). ``tell()`` and
    ``seek()`` are relative to the window's start; seeking back to 0 restarts
    the hash (a retried request re-sends the data). Reading fewer than
    ``length`` bytes before ``raw`` ends raises :class:`SourceChangedError`,
    so a file that shrinks under an upload fails it rather than leaving the
    server waiting for bytes that never come.

    ``verify`` (windows of known length only) is called before the window's
    last bytes are returned, and may raise (:func:`check_unchanged`): the
    request then never carries the whole body, so the server stores nothing
    of a file that changed while it was read.

    Deliberately no ``fileno()``: HTTP libraries would size the body from
    the whole file instead of the window.
    """

    def __init__(
        self, raw: IO[bytes], length: int | None = None, *, checksum: bool = True,
        verify: Callable[[], None] | None = None,
    ) -> None:
        super().__init__()
        self._raw = raw
        self._length = length
        self._checksum = checksum
        self._verify = verify
        self._start = raw.tell() if _seekable(raw) else 0
        self._position = 0
        self._hash: _Hash | None = md5() if checksum else None
        # the hash covers bytes [0, _hashed) of the window, contiguous from 0
        self._hashed = 0

    # -- what callers read ------------------------------------------------

    @property
    def bytes_read(self) -> int:
        """Bytes returned since the window's start (or the last rewind)."""
        return self._position

    def hexdigest(self) -> str | None:
        """MD5 of the whole window once it was read through from 0; else None."""
        if self._hash is None or self._hashed != self._position:
            return None
        if self._length is not None and self._position != self._length:
            return None
        return self._hash.hexdigest()

    # -- io.RawIOBase -----------------------------------------------------

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return _seekable(self._raw)

    def tell(self) -> int:
        return self._position

    def __len__(self) -> int:
        """Bytes left in the window (requests sizes bodies with ``len``)."""
        if self._length is None:
            raise TypeError("a reader of unknown length has no len()")
        return self._length - self._position

    def __bool__(self) -> bool:
        # a body is a body even when empty (``__len__`` would make it falsy)
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_CUR:
            offset += self._position
        elif whence == io.SEEK_END:
            if self._length is None:
                raise io.UnsupportedOperation("cannot seek from the end of an unknown length")
            offset += self._length
        elif whence != io.SEEK_SET:
            raise ValueError(f"invalid whence {whence}")
        if offset < 0:
            raise ValueError("negative seek position")
        if offset == self._position:
            return offset
        self._raw.seek(self._start + offset)
        self._position = offset
        if offset == 0 and self._checksum:
            self._hash = md5()
            self._hashed = 0
        return offset

    def read(self, size: int | None = -1) -> bytes:
        wanted = self._remaining() if size is None or size < 0 else size
        if self._length is not None:
            wanted = min(wanted, self._length - self._position)
        if wanted <= 0:
            return b""
        data = self._raw.read(wanted)
        if not data:
            if self._length is not None and self._position < self._length:
                raise SourceChangedError(
                    f"the data ended after {self._position} of {self._length} bytes "
                    "(did the file shrink while it was uploaded?)"
                )
            return b""
        if (self._verify is not None and self._length is not None
                and self._position + len(data) >= self._length):
            self._verify()
        self._consume(data)
        return data

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def __iter__(self) -> HashingReader:
        return self

    def __next__(self) -> bytes:
        data = self.read(READ_CHUNK)
        if not data:
            raise StopIteration
        return data

    def close(self) -> None:
        # the underlying file belongs to whoever opened it
        super().close()

    # -- internals --------------------------------------------------------

    def _remaining(self) -> int:
        if self._length is not None:
            return self._length - self._position
        return READ_CHUNK

    def _consume(self, data: bytes) -> None:
        if self._hash is not None and self._hashed == self._position:
            self._hash.update(data)
            self._hashed += len(data)
        self._position += len(data)


def _seekable(raw: IO[bytes]) -> bool:
    try:
        return bool(raw.seekable())
    except (AttributeError, OSError, ValueError):
        return False


def hash_range(path: str | os.PathLike[str], start: int, length: int) -> str:
    """MD5 of ``length`` bytes of the file at ``path`` from ``start``."""
    with open(path, "rb", buffering=0) as fp:
        fp.seek(start)
        return hash_stream(fp, length)


def hash_stream(fp: IO[bytes], length: int | None = None) -> str:
    """MD5 of the next ``length`` bytes of ``fp`` (to its end when None)."""
    reader = HashingReader(fp, length)
    while reader.read(READ_CHUNK):
        pass
    digest = reader.hexdigest()
    assert digest is not None  # read through from 0
    return digest
