"""What the object jobs of an upload share: the task, its headers, results, remote facts.

The jobs themselves are in :mod:`swiftsvc.ops.upload.files` (local files and
pseudo-directory markers) and :mod:`swiftsvc.ops.upload.stream` (file-like
objects); :mod:`swiftsvc.ops.upload.planner` plans them.
"""

from __future__ import annotations

import errno
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swiftsvc import results
from swiftsvc._hashing import FileState
from swiftsvc._pools import POLL_INTERVAL, CancelScope
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.ops.upload.conditions import (
    WriteConditions,
    explained,
    manifest_check,
    without_conditions,
)
from swiftsvc.ops.upload.large import LargeTarget, delete_segments
from swiftsvc.ops.upload.remote import (
    Existing,
    RemoteObject,
    needs_head,
    remote_from_headers,
)
from swiftsvc.ops.upload.segments import (
    SEGMENT_CONTENT_TYPE,
    manifest_count_problem,
    max_file_size,
    segment_container_name,
    segment_layout,
    segment_size_problem,
    segments_to_delete,
)
from swiftsvc.ops.upload.sources import UploadItem
from swiftsvc.options import Options
from swiftsvc.results import CreateDirMarkerResult, Status, UploadObjectResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext


class StreamBudget:
    """How many stream segment buffers one call may hold at once."""

    def __init__(self, slots: int) -> None:
        self._slots = threading.Semaphore(slots)

    def acquire(self, scope: CancelScope) -> None:
        while not self._slots.acquire(timeout=POLL_INTERVAL):
            scope.check()

    def release(self) -> None:
        self._slots.release()


@dataclass(frozen=True, slots=True)
class CallShared:
    """What every job of one upload call shares."""

    budget: StreamBudget  # stream segment buffers alive at once
    # the cluster's /info, fetched once by the planner ({} when unavailable):
    # jobs never ask for it themselves, from every worker thread
    capabilities: Mapping[str, Any]

    @property
    def max_file_size(self) -> int:
        return max_file_size(self.capabilities)


@dataclass(frozen=True, slots=True)
class UploadTask:
    """One item of an upload call, with what the planner learnt about it."""

    ctx: CallContext
    container: str
    item: UploadItem
    options: Options  # the item's own, use_slo resolved
    existing: Existing  # from the planner's listing, or UNKNOWN
    shared: CallShared


def object_headers(options: Options, mtime: str | None) -> dict[str, str]:
    """Headers of an uploaded object: its mtime, then ``meta``, then ``header``."""
    headers: dict[str, str] = {}
    if mtime is not None and not options.ignore_mtime:
        headers["X-Object-Meta-Mtime"] = mtime
    for key, value in options.meta:
        headers[f"X-Object-Meta-{key}"] = value
    for key, value in options.header:
        headers[key] = value
    return headers


def object_result(
    task: UploadTask,
    headers: Mapping[str, str] | None,
    *,
    error: BaseException | None = None,
    status: Status | None = None,
    large_object: bool = False,
    response: results.ResponseLike | None = None,
) -> UploadObjectResult:
    """The ``upload_object`` result of ``task`` (a plain object, or a skip)."""
    return results.upload_object(
        container=task.container, object=task.item.object_name, path=task.item.path,
        headers=headers or {}, status=status, large_object=large_object,
        response=response, history=None if response is not None or error is not None else (),
        error=error,
    )


def settle(
    conn: Connection,
    task: UploadTask,
    result: UploadObjectResult,
    conditions: WriteConditions,
    *,
    old: list[tuple[str, str]],
    used: list[tuple[str, str]],
) -> UploadObjectResult:
    """After an object's upload: the segments of the object it replaced that
    the new one does not use are deleted (``segment_delete_results``), or a
    refused conditional write is said in words."""
    if result["success"] and old:
        result["segment_delete_results"] = delete_segments(
            conn, task.ctx, segments_to_delete(old, used)
        )
    elif not result["success"] and result["error"] is not None:
        result["error"] = explained(result["error"], conditions, task.container,
                                    task.item.object_name)
    return result


def marker_result(
    task: UploadTask,
    headers: Mapping[str, str] | None,
    *,
    error: BaseException | None = None,
    status: Status | None = None,
    response: results.ResponseLike | None = None,
) -> CreateDirMarkerResult:
    """The ``create_dir_marker`` result of ``task``."""
    return results.create_dir_marker(
        container=task.container, object=task.item.object_name, path=task.item.path,
        headers=headers or {}, status=status, response=response, error=error,
    )


def local_error(item: UploadItem) -> BaseException:
    assert item.error is not None
    return os_error(item, item.error)


def os_error(item: UploadItem, error: OSError) -> BaseException:
    if error.errno == errno.ENOENT:
        return SwiftError(f"Local file {item.path!r} not found", exc=error)
    return error



def learn_remote(
    conn: Connection, task: UploadTask, local_size: int | None, *, skippable: bool
) -> RemoteObject | None:
    """What the upload would overwrite: the planner's answer, or a HEAD when needed."""
    existing = task.existing
    if not needs_head(task.options, local_size, existing, skippable=skippable):
        return existing if isinstance(existing, RemoteObject) else None
    try:
        response = conn.head_object(task.container, task.item.object_name)
    except ClientException as error:
        if error.http_status == 404:
            return None
        raise
    return remote_from_headers(response.headers)


def large_target(
    task: UploadTask, mtime: str, size: int | None, headers: Mapping[str, str],
    old: list[tuple[str, str]], *, source_state: FileState | None = None,
    conditions: WriteConditions | None = None,
) -> LargeTarget | str:
    """The segmented upload of ``task``, or why the cluster would refuse it."""
    options = task.options
    assert options.segment_size is not None
    slo = bool(options.use_slo)
    layout = segment_layout(
        task.item.object_name,
        segment_container=segment_container_name(task.container, options.segment_container),
        mtime=mtime, size=size, segment_size=options.segment_size, slo=slo,
        size_in_name=task.item.path is not None,
    )
    problem = segment_size_problem(options.segment_size, task.shared.max_file_size)
    if problem is None and slo and size is not None:
        problem = manifest_count_problem(layout.count, task.shared.capabilities)
    if problem is not None:
        return problem
    # a file's segments are marked as such; a stream's carry the object's
    # headers (its mtime, meta and header options), as python-swiftclient sends them
    segment_headers = (
        {"Content-Type": SEGMENT_CONTENT_TYPE} if task.item.path is not None
        else without_conditions(headers)
    )
    before_manifest = (None if conditions is None
                       else manifest_check(task.container, task.item.object_name, conditions))
    return LargeTarget(task.ctx, task.container, task.item.object_name, task.item.path,
                       options, layout, slo, headers, segment_headers, frozenset(old),
                       source_state, before_manifest)
