"""The file objects of ``SwiftFileSystem.open``.

Reading (``"rb"``): a seekable buffered file (fsspec's block caches) whose
blocks are ranged GETs made through the Service's ``download`` (retried,
resumed if cut short, and pinned with ``If-Match`` to the ETag seen at open,
so an object replaced mid-read raises instead of mixing two versions). A
block covering the whole object is one unranged download, which the
Service verifies against the ETag (segment by segment for large objects);
a plain object read front to back in several blocks is hashed as it goes
and checked against its ETag when the last byte arrives.

Writing (``"wb"``, ``"xb"``): data that fits in one block, written before
close, goes in one retryable PUT. Anything longer streams through a
bounded :class:`~swiftsvc.fsspec._pipe.Pipe` into the Service's
``upload``, which reads it a segment at a time: past ``segment_size`` bytes
it becomes a Static Large Object, and the whole file is never held in
memory. An exception inside the ``with`` block abandons the write: the
object is not created (or not replaced) and sent segments are removed.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, cast

from fsspec.spec import AbstractBufferedFile

from swiftsvc import UploadObject
from swiftsvc.fsspec._paths import split
from swiftsvc.fsspec._pipe import Pipe
from swiftsvc.fsspec.errors import Result, check, to_os_error

if TYPE_CHECKING:
    from swiftsvc import Service


class FileSystem(Protocol):
    """What a file needs of its filesystem (``SwiftFileSystem``): its Service,
    and reads and writes that check their results. A protocol, so that this
    module does not import the filesystem that imports it."""

    service: Service

    def exists(self, path: str, **kwargs: Any) -> bool: ...

    def _read(
        self, path: str, *, start: int | None = None, end: int | None = None,
        expect_etag: str = "",
    ) -> bytes: ...

    def _write_options(self, *, exclusive: bool) -> dict[str, Any]: ...

    def _write_bytes(self, path: str, data: bytes, *, exclusive: bool = False) -> None: ...


# chunks queued between the writer and the upload job (each one block)
_PIPE_CAPACITY = 2


class SwiftFile(AbstractBufferedFile):  # type: ignore[misc]
    """A file on ``swift://``: see the module docstring for how bytes move."""

    fs: FileSystem

    def __init__(
        self,
        fs: FileSystem,
        path: str,
        mode: str = "rb",
        block_size: int | str | None = "default",
        autocommit: bool = True,
        cache_type: str = "readahead",
        cache_options: dict[str, Any] | None = None,
        size: int | None = None,
        **kwargs: Any,
    ) -> None:
        if mode not in ("rb", "wb", "xb"):
            raise NotImplementedError(
                f"mode {mode!r} is not supported on swift:// (objects are written whole: "
                "use 'rb', 'wb' or 'xb')"
            )
        if not autocommit:
            raise NotImplementedError("swift:// writes are committed on close (autocommit only)")
        location = split(path)
        if not location.key:
            raise IsADirectoryError(f"{path!r} is a container or the account, not an object")
        if mode == "xb" and fs.exists(path):
            raise FileExistsError(f"{path!r} exists (mode 'xb')")
        self._location = location
        self._upload: _StreamingUpload | None = None
        self._verifier: _SequentialVerifier | None = None
        super().__init__(fs, path, mode, block_size, autocommit, cache_type=cache_type,
                         cache_options=cache_options, size=size, **kwargs)  # fmt: skip

    # ---- reading --------------------------------------------------------

    def _fetch_range(self, start: int, end: int) -> bytes:
        end = min(end, self.size)
        if start >= end:
            return b""
        details = self.details
        etag = str(details.get("etag") or "")
        if start == 0 and end >= self.size:
            # the whole object: one unranged download, verified by the Service
            # against the ETag it is served with (If-Match would be compared with
            # a large object's manifest, not its ETag: the length pins it instead)
            data = self.fs._read(self.path)
            if len(data) != self.size:
                raise OSError(errno.EIO, "the object changed while it was being read", self.path)
            return data
        data = self.fs._read(self.path, start=start, end=end, expect_etag=etag)
        self._verify(start, data, details)
        return data

    def _verify(self, start: int, data: bytes, details: dict[str, Any]) -> None:
        """Hash a plain object read front to back in blocks; check it at its last byte."""
        if details.get("large_object") or not details.get("etag"):
            return  # a large object's ETag is not the MD5 of its bytes
        if start == 0:
            self._verifier = _SequentialVerifier(str(details["etag"]))
        if self._verifier is None:
            return
        self._verifier.update(start, data)
        if self._verifier.received == self.size:
            self._verifier.finish(self.path)
            self._verifier = None

    # ---- writing --------------------------------------------------------

    def _initiate_upload(self) -> None:
        if self.forced:
            return  # everything fits in the buffer: one PUT from _upload_chunk
        self._upload = _StreamingUpload(self.fs, self.path, self._upload_options())
        self._upload.start()

    def _upload_chunk(self, final: bool = False) -> bool:
        data = self.buffer.getvalue()
        if self._upload is None:
            self.fs._write_bytes(self.path, data, exclusive=self.mode == "xb")
            return True
        self._upload.write(data)
        if final:
            check(self._upload.finish(), self.path)
        return True

    def _upload_options(self) -> dict[str, Any]:
        return self.fs._write_options(exclusive=self.mode == "xb")

    def discard(self) -> None:
        """Abandon a write: nothing is stored, sent segments are removed."""
        if self._upload is not None:
            self._upload.abort()
            self._upload = None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None and self.writable():
            # a failed block must not leave a truncated object behind
            self.discard()
            self.forced = True  # nothing more is sent by close()
            self.closed = True
            return
        self.close()


class _SequentialVerifier:
    """MD5 of a plain object's bytes, as long as they arrive in order from 0."""

    def __init__(self, etag: str) -> None:
        self._etag = etag.strip('"')
        self._md5 = hashlib.md5(usedforsecurity=False)
        self.received = 0
        self._broken = False

    def update(self, start: int, data: bytes) -> None:
        if start != self.received:
            self._broken = True  # a seek: the hash would not be of the object's bytes
            return
        self._md5.update(data)
        self.received += len(data)

    def finish(self, path: str) -> None:
        if not self._broken and self._md5.hexdigest() != self._etag:
            raise OSError(5, f"the bytes read do not match the ETag {self._etag}", path)


class _StreamingUpload:
    """One ``Service.upload`` reading a :class:`Pipe` in its own thread.

    The thread only consumes the upload's result iterator (which is what
    drives the Service's jobs); the bytes are read and sent by the Service's
    pools. It ends when the upload does: after the pipe is closed and the
    last segment and manifest are sent, or when the pipe is aborted.
    """

    def __init__(self, fs: FileSystem, path: str, options: dict[str, Any]) -> None:
        self._fs = fs
        self._path = path
        self._options = options
        self._pipe = Pipe(_PIPE_CAPACITY)
        self._results: list[Result] = []
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._run, name=f"swiftsvc-fsspec-write-{path}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        location = split(self._path)
        try:
            # the Service reads any object with read(); its annotation says BinaryIO
            source = UploadObject(cast(BinaryIO, self._pipe), object_name=location.key)
            for result in self._fs.service.upload(location.container, [source], self._options):
                self._results.append(result)
        except BaseException as error:  # handed to the writer's thread by finish()
            self._error = error
        finally:
            self._pipe.reader_done()

    def write(self, data: bytes) -> None:
        try:
            self._pipe.write(data)
        except BrokenPipeError:
            # the upload failed early: its failure says why
            self._thread.join()
            raise self._failure() from None

    def finish(self) -> Result:
        """Close the pipe, wait for the upload, and return its ``upload_object`` result."""
        with contextlib.suppress(BrokenPipeError):  # the upload ended early: see below
            self._pipe.close()
        self._thread.join()
        if self._error is not None:
            raise to_os_error(self._error, self._path) from self._error
        return self._outcome()

    def abort(self) -> None:
        self._pipe.abort()
        self._thread.join()

    def _outcome(self) -> Result:
        failed = [r for r in self._results if not r["success"]]
        for result in self._results:
            if result["action"] == "upload_object":
                return result if result["success"] or not failed else failed[0]
        if failed:
            return failed[0]
        raise OSError(5, "the upload gave no upload_object result", self._path)

    def _failure(self) -> OSError:
        if self._error is not None:
            return to_os_error(self._error, self._path)
        outcome = self._outcome()
        try:
            check(outcome, self._path)
        except OSError as error:
            return error
        return BrokenPipeError(f"the upload of {self._path!r} stopped reading")

