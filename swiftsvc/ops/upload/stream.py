"""Object jobs for file-like objects (planning: :mod:`swiftsvc.ops.upload.planner`).

A seekable stream of known size no larger than a segment goes in one PUT
that can be retried; anything else with ``segment_size`` (and ``use_slo``)
is read one segment at a time into memory (a stream cannot be read by
several threads), each buffer holding a slot of the call's
:class:`StreamBudget` until its segment is sent, so memory stays about
``segment_threads`` segments whatever the stream's length. A stream that
turns out no longer than one segment becomes a plain object; a None source
is an empty stream.

As in python-swiftclient: a stream becomes an SLO only, never a DLO
(``use_slo`` False uploads it as one plain object, however long); its
segments carry the object's headers (``X-Object-Meta-Mtime``, ``meta``,
``header``) rather than a segment content type; its mtime is the upload's
start, in whole seconds.
"""

from __future__ import annotations

import io
import time
from typing import IO, TYPE_CHECKING, Any

from swiftsvc._hashing import HashingReader, md5_hex
from swiftsvc._pools import CancelScope
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.ops.large_objects import manifest_entries
from swiftsvc.ops.upload.common import (
    StreamBudget,
    UploadTask,
    large_target,
    learn_remote,
    object_headers,
    object_result,
    settle,
)
from swiftsvc.ops.upload.conditions import (
    WriteConditions,
    check_before_write,
    explained,
    write_conditions,
)
from swiftsvc.ops.upload.large import checked_etag, upload_stream_segments
from swiftsvc.ops.upload.remote import cleanup_needed
from swiftsvc.ops.upload.segments import (
    UploadMode,
    mtime_value,
    too_large_message,
    upload_mode,
)
from swiftsvc.results import Action, Status, UploadObjectResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection


def read_segment(stream: IO[bytes], size: int) -> bytes:
    """Up to ``size`` bytes of ``stream`` (fewer only at its end), in one buffer."""
    data = stream.read(size)
    if not data or len(data) == size:
        return data or b""
    parts = [data]
    got = len(data)
    while got < size:
        more = stream.read(size - got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


class SegmentReader:
    """Reads a stream one segment-sized buffer at a time, each holding a budget slot.

    Whoever takes a buffer owns its slot and must :meth:`StreamBudget.release`
    it once the buffer is no longer needed. Nothing here keeps a taken
    buffer alive, so memory is the buffers in flight and nothing more.
    """

    def __init__(
        self, stream: IO[bytes], segment_size: int, budget: StreamBudget, scope: CancelScope
    ) -> None:
        self._stream = stream
        self.segment_size = segment_size
        self.budget = budget
        self._scope = scope
        self._ahead: list[bytes] = []
        self._ended = False
        self._buffers = 0  # buffers read so far

    def prefetch(self) -> bool:
        """Read ahead until it is known whether the stream is longer than one segment."""
        while not self._ended and len(self._ahead) < 2:
            first_full = not self._ahead or len(self._ahead[0]) == self.segment_size
            if not first_full:
                break
            self._read()
        return len(self._ahead) > 1

    def take(self) -> bytes | None:
        """The next buffer (its slot now yours), or None at the end of the stream."""
        if not self._ahead:
            self._read()
        return self._ahead.pop(0) if self._ahead else None

    def discard(self) -> None:
        """Give back the slots of buffers read ahead and not taken (reads nothing more)."""
        while self._ahead:
            self._ahead.pop()
            self.budget.release()
        self._ended = True

    def _read(self) -> None:
        if self._ended:
            return
        self.budget.acquire(self._scope)
        data = read_segment(self._stream, self.segment_size)
        if data or not self._buffers:
            self._ahead.append(data)  # an empty stream still has one (empty) buffer
            self._buffers += 1
        else:
            self.budget.release()
        if len(data) < self.segment_size:
            self._ended = True


def upload_stream(conn: Connection, task: UploadTask) -> UploadObjectResult:
    """A file-like object (or an empty one for a None source)."""
    item, options = task.item, task.options
    stream = item.stream if item.stream is not None else io.BytesIO()
    # a stream has no mtime: its start time names its segments, as python-swiftclient does
    mtime = mtime_value(round(time.time()))
    headers = object_headers(options, mtime)
    try:
        conditions = write_conditions(options.header)
    except SwiftError as error:
        return object_result(task, headers, error=error)
    try:
        remote = learn_remote(conn, task, item.size, skippable=False)
        old: list[tuple[str, str]] = []
        if cleanup_needed(options, remote):
            assert remote is not None
            old = [(c.container, c.obj) for c in manifest_entries(
                conn, task.container, item.object_name, remote.manifest_headers())]
        limit = task.shared.max_file_size
        segment_size = options.segment_size if options.use_slo else None
        mode = upload_mode(item.size, segment_size, limit)
        if mode is UploadMode.TOO_LARGE:
            assert item.size is not None
            problem = SwiftError(too_large_message(item.size, limit),
                                 container=task.container, obj=item.object_name)
            return object_result(task, headers, error=problem)
        used: list[tuple[str, str]] = []
        # before anything is read or sent: a refused object leaves no segments
        check_before_write(conn, task.container, item.object_name, conditions, remote,
                           atomic_put=mode is UploadMode.PLAIN)
        if mode is UploadMode.PLAIN:
            result = _put_stream(conn, task, stream, headers)
        else:
            result, used = _segmented_stream(conn, task, stream, mtime, headers, old,
                                             conditions)
    except ClientException as error:
        return object_result(
            task, headers, error=explained(error, conditions, task.container, item.object_name)
        )
    except SwiftError as error:
        return object_result(task, headers, error=error)
    return settle(conn, task, result, conditions, old=old, used=used)


def _put_stream(
    conn: Connection, task: UploadTask, stream: Any, headers: dict[str, str]
) -> UploadObjectResult:
    """One PUT, read as it is sent; hashed on the way for the ETag check."""
    item, options = task.item, task.options
    reader = HashingReader(stream, item.size, checksum=options.checksum)
    progress = task.ctx.events.byte_counter(
        Action.UPLOAD_OBJECT, task.container, item.object_name
    )
    try:
        response = conn.put_object(
            task.container, item.object_name, reader,
            headers=headers, content_length=item.size, on_progress=progress,
        )
    except ClientException as error:
        if error.http_status == 413 and not options.segment_size:
            raise SwiftError(
                f"{error}: the object is larger than the cluster allows; "
                "set segment_size to upload it as a segmented large object",
                container=task.container, obj=item.object_name, exc=error,
            ) from error
        raise
    checked_etag(response, reader.hexdigest(), options.checksum, f"object {item.object_name!r}")
    return object_result(task, headers, status=Status.UPLOADED, response=response)


def _segmented_stream(
    conn: Connection, task: UploadTask, stream: Any, mtime: str, headers: dict[str, str],
    old: list[tuple[str, str]], conditions: WriteConditions,
) -> tuple[UploadObjectResult, list[tuple[str, str]]]:
    """Segment a stream in memory, one segment at a time; small ones go in one PUT."""
    item, options, ctx = task.item, task.options, task.ctx
    assert options.segment_size is not None
    reader = SegmentReader(stream, options.segment_size, task.shared.budget, ctx.scope)
    if not reader.prefetch():
        data = reader.take() or b""
        try:
            return _put_bytes(conn, task, data, headers), []
        finally:
            del data
            task.shared.budget.release()
    target = large_target(task, mtime, item.size, headers, old, conditions=conditions)
    if isinstance(target, str):
        reader.discard()
        problem = SwiftError(target, container=task.container, obj=item.object_name)
        return object_result(task, headers, error=problem), []
    return upload_stream_segments(conn, target, reader.take, reader.budget.release)


def _put_bytes(
    conn: Connection, task: UploadTask, data: bytes, headers: dict[str, str]
) -> UploadObjectResult:
    item, options = task.item, task.options
    local = md5_hex(data)
    sent = {**headers, "ETag": local} if options.checksum else dict(headers)
    response = conn.put_object(
        task.container, item.object_name, data, headers=sent, content_length=len(data),
        on_progress=task.ctx.events.byte_counter(
            Action.UPLOAD_OBJECT, task.container, item.object_name),
    )
    checked_etag(response, local, options.checksum, f"object {item.object_name!r}")
    return object_result(task, headers, status=Status.UPLOADED, response=response)
