"""Object jobs for local files and pseudo-directory markers.

Planned by :mod:`swiftsvc.ops.upload.planner`.

A file job learns what it would overwrite (the planner's listing, or a HEAD
when a decision needs one), decides whether to skip (``skip_identical``,
``changed``), uploads plainly or in segments (:mod:`swiftsvc.ops.upload.large`)
and finally deletes the overwritten large object's segments the new object
does not use.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from swiftsvc._hashing import (
    FileState,
    HashingReader,
    SourceChangedError,
    check_unchanged,
    hash_range,
    hash_stream,
)
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.ops.large_objects import SegmentRef, manifest_entries
from swiftsvc.ops.upload.common import (
    UploadTask,
    large_target,
    learn_remote,
    local_error,
    marker_result,
    object_headers,
    object_result,
    os_error,
    settle,
)
from swiftsvc.ops.upload.conditions import check_before_write, explained, write_conditions
from swiftsvc.ops.upload.large import checked_etag, upload_file_segments
from swiftsvc.ops.upload.remote import (
    DIRECTORY_CONTENT_TYPE,
    RemoteObject,
    cleanup_needed,
    identical_ranges,
    is_dir_marker,
    unchanged,
)
from swiftsvc.ops.upload.segments import (
    UploadMode,
    mtime_value,
    too_large_message,
    upload_mode,
)
from swiftsvc.results import Action, CreateDirMarkerResult, Status, UploadObjectResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection


def upload_file(conn: Connection, task: UploadTask) -> UploadObjectResult:
    """Upload one local file, unless ``changed`` / ``skip_identical`` skip it.

    The file is stat'ed afresh here (the walk's stat may be old), and every
    read of it (hashing for ``skip_identical``, the upload itself, each
    segment) ends by checking that this stat still holds: a file written
    while it is read fails with :class:`SourceChangedError` rather than
    being stored as bytes that never existed together, or skipped on a
    stale comparison.
    """
    item, options = task.item, task.options
    if item.error is not None:
        return object_result(task, None, error=local_error(item))
    assert item.path is not None and item.size is not None and item.mtime is not None
    try:
        state = FileState.at(item.path)
    except OSError as error:
        return object_result(task, None, error=os_error(item, error))
    size = state.size
    mtime = mtime_value(state.mtime)
    headers = object_headers(options, mtime)
    try:
        conditions = write_conditions(options.header)
    except SwiftError as error:
        return object_result(task, headers, error=error)
    try:
        remote = learn_remote(conn, task, size, skippable=True)
        chunks: list[SegmentRef] = []
        if remote is not None and remote.is_manifest and (
            options.skip_identical or cleanup_needed(options, remote)
        ):
            chunks = manifest_entries(
                conn, task.container, item.object_name, remote.manifest_headers()
            )
        local_md5: str | None = None
        if options.skip_identical and remote is not None:
            identical, local_md5 = _identical(item.path, size, remote, chunks)
            check_unchanged(item.path, state)  # the decision stands on what was hashed
            if identical:
                return _skipped(task, Status.SKIPPED_IDENTICAL, headers, remote)
        if unchanged(options, size, mtime, remote):
            return _skipped(task, Status.SKIPPED_CHANGED, headers, remote)
        old = [(c.container, c.obj) for c in chunks] if cleanup_needed(options, remote) else []
        limit = task.shared.max_file_size
        mode = upload_mode(size, options.segment_size, limit)
        if mode is UploadMode.TOO_LARGE:
            problem = SwiftError(too_large_message(size, limit),
                                 container=task.container, obj=item.object_name)
            return object_result(task, headers, error=problem)
        if mode is UploadMode.SEGMENTED:
            target = large_target(task, mtime, size, headers, old, source_state=state,
                                  conditions=conditions)
            if isinstance(target, str):
                problem = SwiftError(target, container=task.container, obj=item.object_name)
                return object_result(task, headers, error=problem)
            # before any segment: a refused object leaves none
            check_before_write(conn, task.container, item.object_name, conditions, remote,
                               atomic_put=False)
            result, used = upload_file_segments(conn, target)
        else:
            check_before_write(conn, task.container, item.object_name, conditions, remote,
                               atomic_put=True)
            result, used = _put_file(conn, task, state, headers, local_md5), []
    except ClientException as error:
        return object_result(
            task, headers, error=explained(error, conditions, task.container, item.object_name)
        )
    except SwiftError as error:
        return object_result(task, headers, error=error)
    except SourceChangedError as error:
        problem = SwiftError(str(error), container=task.container, obj=item.object_name,
                             exc=error)
        return object_result(task, headers, error=problem)
    except OSError as error:
        return object_result(task, headers, error=os_error(item, error))
    return settle(conn, task, result, conditions, old=old, used=used)


def _put_file(
    conn: Connection, task: UploadTask, state: FileState, headers: dict[str, str],
    local_md5: str | None,
) -> UploadObjectResult:
    item, options = task.item, task.options
    assert item.path is not None
    sent = dict(headers)
    if local_md5 is not None and options.checksum:
        sent["ETag"] = local_md5  # known already (skip_identical hashed the file)
    progress = task.ctx.events.byte_counter(
        Action.UPLOAD_OBJECT, task.container, item.object_name
    )
    path = item.path
    with open(path, "rb") as fp:
        reader = HashingReader(fp, state.size, checksum=options.checksum and local_md5 is None,
                               verify=lambda: check_unchanged(path, state, fp))
        response = conn.put_object(
            task.container, item.object_name, reader,
            headers=sent, content_length=state.size, on_progress=progress,
        )
    checked_etag(response, local_md5 or reader.hexdigest(), options.checksum,
                 f"object {item.object_name!r}")
    return object_result(task, headers, status=Status.UPLOADED, response=response)


def _identical(
    path: str, size: int, remote: RemoteObject, chunks: list[SegmentRef]
) -> tuple[bool, str | None]:
    """Whether the local file equals the object (segment by segment for manifests).

    Also returns the file's MD5 when it was computed whole, so the upload
    that may follow can send it as the ETag without reading the file twice.
    """
    if not remote.is_manifest:
        if remote.size != size:
            return False, None
        with open(path, "rb") as fp:
            local = hash_stream(fp)
        return local == remote.etag, local
    ranges = identical_ranges(chunks, size)
    if ranges is None:
        return False, None
    return all(hash_range(path, start, length) == md5 for start, length, md5 in ranges), None


def _skipped(task: UploadTask, status: Status, headers: dict[str, str],
             remote: RemoteObject | None) -> UploadObjectResult:
    item = task.item
    task.ctx.events.skipped(Action.UPLOAD_OBJECT, task.container, item.object_name,
                            item.size or 0)  # the size it was queued with
    large = remote is not None and remote.is_manifest
    return object_result(task, headers, status=status, large_object=large)


def create_dir_marker(conn: Connection, task: UploadTask) -> CreateDirMarkerResult:
    """An empty ``application/directory`` object (python-swiftclient's dir marker)."""
    item, options = task.item, task.options
    if item.error is not None:
        return marker_result(task, None, error=local_error(item))
    mtime = mtime_value(item.mtime if item.mtime is not None else round(time.time()))
    headers = {} if options.ignore_mtime else {"X-Object-Meta-Mtime": mtime}
    try:
        if options.changed:
            try:
                head = conn.head_object(task.container, item.object_name)
            except ClientException as error:
                if error.http_status != 404:
                    raise
            else:
                if is_dir_marker(head.headers, mtime):
                    return marker_result(task, headers, status=Status.SKIPPED_CHANGED,
                                         response=head)
        response = conn.put_object(
            task.container, item.object_name, b"",
            headers={**headers, "Content-Type": DIRECTORY_CONTENT_TYPE}, content_length=0,
        )
    except ClientException as error:
        return marker_result(task, headers, error=error)
    return marker_result(task, headers, response=response)
