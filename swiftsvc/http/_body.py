"""Request bodies: what requests is given, whether it can be sent again, progress.

A body is wrapped once per request. The wrappers hand data to urllib3 as it
is read (no copy of a file into memory), give requests a length when one is
known (so an upload is sent with ``Content-Length`` rather than chunked), and
count bytes for ``on_progress``. A retry rewinds the body: bytes and lists
always can be, files when seekable, generators never, and then the request
is not retried and the error says so.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable, Iterator
from typing import Any

Progress = Callable[[int], None]


class ShortBody(ValueError):
    """The body ended before its announced Content-Length.

    Not an OSError on purpose: urllib3 would take that for a network failure
    and the request would be retried instead of failing with this message.
    """


class _Meter:
    """Reports bytes to ``on_progress`` once each: after a rewind, the bytes
    sent again are not reported twice (a progress bar must not pass 100%)."""

    __slots__ = ("_on_progress", "_reported", "_sent", "touched")

    def __init__(self, on_progress: Progress | None) -> None:
        self._on_progress = on_progress
        self._sent = 0
        self._reported = 0
        self.touched = False  # whether anything was read from the source yet

    def add(self, nbytes: int) -> None:
        self.touched = True
        self._sent += nbytes
        if self._on_progress is not None and self._sent > self._reported:
            self._on_progress(self._sent - self._reported)
            self._reported = self._sent

    def rewind(self) -> None:
        self._sent = 0


class _Reader:
    """A file-like view of (part of) a file: ``length`` bytes from where it stood."""

    def __init__(self, file: Any, length: int | None, meter: _Meter) -> None:
        self._file = file
        self._left = length
        self._length = length
        self._meter = meter
        self._start: int | None = None
        try:
            if file.seekable():
                self._start = file.tell()
        except (AttributeError, OSError, ValueError):
            self._start = None

    @property
    def rewindable(self) -> bool:
        return self._start is not None

    def rewind(self) -> None:
        assert self._start is not None
        self._file.seek(self._start)
        self._left = self._length
        self._meter.rewind()

    def read(self, size: int = -1) -> bytes:
        self._meter.touched = True
        if self._left is not None:
            if self._left <= 0:
                return b""
            size = self._left if size is None or size < 0 else min(size, self._left)
        data: bytes = self._file.read(size)
        if self._left is not None:
            if not data:
                raise ShortBody(f"the body ended {self._left} bytes short of its length")
            self._left -= len(data)
        self._meter.add(len(data))
        return data


class _SizedReader(_Reader):
    # requests sets Content-Length from len(); without it the body goes chunked
    def __len__(self) -> int:
        assert self._length is not None
        return self._length


class _Chunks:
    """An iterable body, counted; re-iterable when the source is a list or tuple."""

    def __init__(self, chunks: Iterable[bytes], meter: _Meter) -> None:
        self._chunks = chunks
        self._meter = meter
        self.rewindable = isinstance(chunks, (list, tuple))

    def rewind(self) -> None:
        self._meter.rewind()

    def __iter__(self) -> Iterator[bytes]:
        self._meter.touched = True
        for chunk in self._chunks:
            self._meter.add(len(chunk))
            yield chunk


class _SizedChunks(_Chunks):
    def __init__(self, chunks: Iterable[bytes], meter: _Meter, length: int) -> None:
        super().__init__(chunks, meter)
        self._length = length

    def __len__(self) -> int:
        return self._length


class Body:
    """One request's body: ``data`` for requests, plus rewinding."""

    def __init__(self, data: Any, *, rewindable: bool, kind: str,
                 rewinder: Callable[[], None] | None = None, meter: _Meter | None = None
                 ) -> None:
        self.data = data
        self.rewindable = rewindable
        self.kind = kind  # for messages: "an iterator", "a non-seekable file"...
        self._rewinder = rewinder
        self._meter = meter

    @property
    def can_resend(self) -> bool:
        """Whether the body can be sent again: rewindable, or never read from."""
        return self.rewindable or self._meter is None or not self._meter.touched

    def rewind(self) -> None:
        if self._rewinder is not None:
            self._rewinder()

    @classmethod
    def of(
        cls,
        body: Any,
        *,
        content_length: int | None = None,
        on_progress: Progress | None = None,
    ) -> Body:
        meter = _Meter(on_progress)
        if body is None:
            return cls(None, rewindable=True, kind="no body")
        if content_length == 0:
            return cls(b"", rewindable=True, kind="an empty body")
        if isinstance(body, (bytes, bytearray, memoryview)):
            if on_progress is None:
                return cls(body, rewindable=True, kind="bytes")
            reader = _SizedReader(io.BytesIO(body), len(body), meter)
            return cls(reader, rewindable=True, kind="bytes", rewinder=reader.rewind,
                       meter=meter)
        if hasattr(body, "read"):
            if content_length is None:
                content_length = _remaining(body)
            file_reader: _Reader = (
                _SizedReader(body, content_length, meter)
                if content_length is not None
                else _Reader(body, None, meter)
            )
            kind = "a seekable file" if file_reader.rewindable else "a non-seekable file"
            return cls(file_reader, rewindable=file_reader.rewindable, kind=kind,
                       rewinder=file_reader.rewind if file_reader.rewindable else None,
                       meter=meter)
        if isinstance(body, Iterable):
            chunks = (
                _SizedChunks(body, meter, content_length)
                if content_length is not None
                else _Chunks(body, meter)
            )
            kind = "a list of chunks" if chunks.rewindable else "an iterator"
            return cls(chunks, rewindable=chunks.rewindable, kind=kind, rewinder=chunks.rewind,
                       meter=meter)
        raise TypeError(f"cannot send a body of type {type(body).__name__}")


def _remaining(file: Any) -> int | None:
    """Bytes left in a seekable file, without reading them; None when unknown."""
    try:
        if not file.seekable():
            return None
        here: int = file.tell()
        end: int = file.seek(0, io.SEEK_END)
        file.seek(here)
    except (AttributeError, OSError, ValueError):
        return None
    return max(0, end - here)
