"""A bounded pipe from a writing thread to the upload job reading it.

``open(path, "wb")`` hands the Service an :class:`UploadObject` whose
source is the reading end of this pipe: the Service reads it one segment
at a time (its own bounded budget) while the user's thread writes. At most
``capacity`` chunks wait in between, so a write of any length never holds
more than that plus the Service's segment buffers.

Either end may give up: a writer that aborts (an exception in its ``with``
block) makes the reader raise :class:`WriteAborted`, so the Service fails
the upload and removes the segments it sent instead of storing a truncated
object; a reader that stops (the upload failed) makes the writer raise
``BrokenPipeError`` instead of blocking.
"""

from __future__ import annotations

import queue
import threading

# how often a blocked end looks whether the other one gave up
_POLL = 0.1
_END = b""


class WriteAborted(OSError):
    """The writer abandoned the data: the upload must fail, not store a prefix."""


class Pipe:
    """Bytes from one writer thread to one reader thread, in bounded chunks."""

    def __init__(self, capacity: int = 2) -> None:
        self._chunks: queue.Queue[bytes] = queue.Queue(maxsize=capacity)
        self._left = memoryview(b"")
        self._ended = False
        self._aborted = threading.Event()
        self._reader_gone = threading.Event()

    # ---- writing end --------------------------------------------------

    def write(self, data: bytes) -> None:
        """Queue ``data``; blocks while the pipe is full, for as long as the reader reads."""
        if data:
            self._put(bytes(data))

    def close(self) -> None:
        """No more data: the reader sees the end once it has read what is queued."""
        self._put(_END)

    def abort(self) -> None:
        """Abandon the data: the reader raises :class:`WriteAborted` on its next read."""
        self._aborted.set()

    def _put(self, chunk: bytes) -> None:
        while True:
            if self._reader_gone.is_set():
                raise BrokenPipeError("the upload stopped reading (see its failure)")
            try:
                self._chunks.put(chunk, timeout=_POLL)
                return
            except queue.Full:
                continue

    # ---- reading end (what the Service's upload job sees) -------------

    def reader_done(self) -> None:
        """The reader will read no more (its upload finished or failed)."""
        self._reader_gone.set()

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        # the Service reads an unseekable stream one segment at a time
        return False

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` bytes (all that is left when negative); ``b""`` only at the end."""
        wanted = -1 if size is None else size
        if wanted == 0:
            return b""
        parts: list[bytes] = []
        got = 0
        while wanted < 0 or got < wanted:
            if not self._left:
                if parts and self._chunks.empty():
                    break  # return what there is rather than wait for more
                chunk = self._next_chunk()
                if chunk is None:
                    break
                self._left = memoryview(chunk)
            take = len(self._left) if wanted < 0 else min(len(self._left), wanted - got)
            parts.append(bytes(self._left[:take]))
            self._left = self._left[take:]
            got += take
        return b"".join(parts)

    def _next_chunk(self) -> bytes | None:
        if self._ended:
            return None
        while True:
            if self._aborted.is_set():
                raise WriteAborted("the write was abandoned before the file was closed")
            try:
                chunk = self._chunks.get(timeout=_POLL)
            except queue.Empty:
                continue
            if chunk == _END:
                self._ended = True
                return None
            return chunk
