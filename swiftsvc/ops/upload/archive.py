"""Batch uploads: many small files in one ``PUT ?extract-archive=tar`` request.

The servers' work per request bounds small-object throughput, so a batch
sends as few requests as it can: small files are grouped into streamed tar
archives (see :mod:`swiftsvc.ops.upload.tar`) that the cluster's bulk middleware
expands, and each archive is sent on the object upload pool, in parallel.
Each file still gets its own ``upload_object`` result, parsed from the bulk
response's per-file ``Errors``; with ``checksum`` one container listing per
archive confirms every file's MD5 (the bulk response carries no ETags).

Pure planning (:func:`batch_limits`, :func:`batchable`, :func:`group`,
:func:`parse_bulk_response`) is separate from the job (:func:`extract_job`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from swiftsvc import results as result_types
from swiftsvc._streams import Job
from swiftsvc.errors import ClientException
from swiftsvc.ops.bulk_answers import (
    item_errors,
    parse_bulk_delete_response,
    request_body,
    status_code,
)
from swiftsvc.ops.upload.remote import UNKNOWN, RemoteKind, RemoteObject, wants_remote
from swiftsvc.ops.upload.segments import mtime_value
from swiftsvc.ops.upload.sources import SourceKind
from swiftsvc.ops.upload.tar import Archive, MemberChanged, TarMember
from swiftsvc.options import Options
from swiftsvc.results import Result, Status, UploadObjectResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection
    from swiftsvc.ops._context import CallContext
    from swiftsvc.ops.upload.common import UploadTask

# A file at most this big goes into an archive; bigger ones are sent alone,
# where they do not pay the per-request overhead noticeably anyway.
SMALL_FILE_LIMIT = 1 << 20
# One archive carries at most this many files / bytes: big enough to amortise
# the request, small enough that several archives keep every thread busy (the
# proxy expands one archive file after file, so parallel archives are what
# keeps the object servers busy) and a failed archive costs little to resend.
# 2000 x 4 KiB on the local cluster: 500 files per archive 9.3 s, 100 files 8.4 s,
# 40 files 7.8 s, 20 files 8.3 s.
ARCHIVE_FILES = 100
ARCHIVE_BYTES = 16 << 20


@dataclass(frozen=True, slots=True)
class BatchLimits:
    files: int
    bytes: int
    small_file: int


def batch_limits(capabilities: Mapping[str, Any]) -> BatchLimits | None:
    """How to group archives for this cluster, or None without ``bulk_upload``."""
    bulk = capabilities.get("bulk_upload")
    if not isinstance(bulk, Mapping):
        return None
    files = ARCHIVE_FILES
    max_failed = bulk.get("max_failed_extractions")
    if isinstance(max_failed, int) and max_failed > 0:
        # the cluster stops extracting after this many failures: keep every
        # file of an archive reportable
        files = min(files, max_failed)
    max_file = capabilities.get("swift", {}).get("max_file_size")
    small = SMALL_FILE_LIMIT
    if isinstance(max_file, int) and max_file > 0:
        small = min(small, max_file)
    return BatchLimits(files=files, bytes=ARCHIVE_BYTES, small_file=small)


def batchable(options: Options, size: int, limits: BatchLimits) -> bool:
    """Whether a file of ``size`` bytes with these options can ride in an archive.

    The tar path can carry object metadata (pax headers) but no other
    per-object request headers, and never a segmented upload.
    """
    if size > limits.small_file:
        return False
    if options.segment_size is not None and size > options.segment_size:
        return False
    return not options.header


def archive_full(files: int, size: int, next_size: int, limits: BatchLimits) -> bool:
    """Whether an archive of ``files`` files and ``size`` bytes must be sent
    before a file of ``next_size`` bytes is added."""
    return files > 0 and (files >= limits.files or size + next_size > limits.bytes)


def group(members: Iterable[TarMember], limits: BatchLimits) -> Iterator[list[TarMember]]:
    """Consecutive archives of at most ``limits.files`` files and about ``limits.bytes``."""
    batch: list[TarMember] = []
    size = 0
    for member in members:
        if archive_full(len(batch), size, member.size, limits):
            yield batch
            batch, size = [], 0
        batch.append(member)
        size += member.size
    if batch:
        yield batch


@dataclass(frozen=True, slots=True)
class BulkOutcome:
    status: int  # the "Response Status" of the whole archive
    reason: str
    body: str
    created: int
    errors: Mapping[str, int]  # "container/object" (unquoted) -> status


def parse_bulk_response(body: bytes) -> BulkOutcome:
    """Parse an extract-archive JSON body (leading keep-alive whitespace allowed)."""
    data = json.loads(body.decode("utf-8").strip() or "{}")
    code, _, reason = str(data.get("Response Status", "0 Unknown")).partition(" ")
    errors: dict[str, int] = {}
    for path, status in data.get("Errors", []):
        errors[unquote(str(path)).lstrip("/")] = int(str(status).split(" ", 1)[0] or 0)
    return BulkOutcome(
        status=int(code) if code.isdigit() else 0,
        reason=reason,
        body=str(data.get("Response Body", "")),
        created=int(data.get("Number Files Created", 0)),
        errors=errors,
    )


@dataclass(frozen=True, slots=True)
class BatchItem:
    """A member plus what its result must say."""

    member: TarMember
    object_name: str  # full object name inside the container
    path: str | None  # local path, for the result

    @property
    def headers(self) -> dict[str, str]:
        """The object headers the archive carries, as an ordinary upload's result names them."""
        return {f"X-Object-Meta-{key}": value for key, value in self.member.meta}


def extract_job(
    conn: Connection,
    container: str,
    base: str,
    items: list[BatchItem],
    options: Options,
) -> list[Result]:
    """Send one archive; one ``upload_object`` result per file in it.

    ``base`` is the pseudo-folder inside ``container`` the archive expands
    into ('' for the container itself); member names are relative to it.
    """
    archive = Archive.of([item.member for item in items])
    headers = {"Accept": "application/json", "Content-Type": "application/x-tar"}
    for key, value in options.meta:
        headers[f"X-Object-Meta-{key}"] = value
    extract_to = f"{base}".strip("/") or None
    try:
        response = conn.request(
            "PUT",
            container,
            extract_to,
            query={"extract-archive": "tar"},
            headers={**headers, "Content-Length": str(archive.length)},
            body=archive.stream(),
        )
        outcome = parse_bulk_response(response.body)
    except (ClientException, MemberChanged, ValueError) as sent_error:
        return [_failed(container, item, sent_error) for item in items]
    if outcome.status == 0 or (outcome.status >= 300 and not outcome.errors):
        whole = ClientException(
            f"extract-archive failed: {outcome.status} {outcome.reason} {outcome.body}".strip(),
            http_status=outcome.status or None,
            http_reason=outcome.reason,
            attempts=response.attempts,
        )
        return [_failed(container, item, whole, response=response) for item in items]
    listed = _listed_hashes(conn, container, items) if options.checksum else {}
    results: list[Result] = []
    for item in items:
        status = outcome.errors.get(f"{container}/{item.object_name}")
        if status is not None:
            refused = ClientException(
                f"extract-archive could not create {item.object_name!r}",
                http_status=status,
                attempts=response.attempts,
            )
            results.append(_failed(container, item, refused, response=response))
        elif options.checksum and listed.get(item.object_name) != item.member.md5:
            mismatch = ClientException(
                f"md5 of {item.object_name!r} in the cluster "
                f"({listed.get(item.object_name)}) differs from the local file's "
                f"({item.member.md5})",
                attempts=response.attempts,
            )
            results.append(_failed(container, item, mismatch, response=response))
        else:
            results.append(_uploaded(container, item, response=response))
    return results


def _listed_hashes(conn: Connection, container: str, items: list[BatchItem]) -> dict[str, str]:
    """name -> md5 for the archive's objects, from as few listing pages as it takes.

    Names of one archive are near each other (a sorted walk), so the listing
    starts just before the smallest and stops after the largest.
    """
    names = sorted(item.object_name for item in items)
    wanted = set(names)
    hashes: dict[str, str] = {}
    marker = names[0][:-1]
    while True:
        _, page = conn.get_container(container, marker=marker)
        if not page:
            break
        for entry in page:
            name = entry.get("name", entry.get("subdir", ""))
            if name in wanted:
                hashes[name] = entry.get("hash", "")
        marker = page[-1].get("name", page[-1].get("subdir", ""))
        if marker >= names[-1] or len(hashes) == len(wanted):
            break
    return hashes


def _uploaded(
    container: str, item: BatchItem, *, response: result_types.ResponseLike | None = None,
    error: BaseException | None = None,
) -> UploadObjectResult:
    return result_types.upload_object(
        container=container, object=item.object_name, path=item.path, headers=item.headers,
        status=Status.UPLOADED, batch=True, response=response, error=error,
    )


def _failed(
    container: str, item: BatchItem, error: BaseException, *,
    response: result_types.ResponseLike | None = None,
) -> UploadObjectResult:
    return _uploaded(container, item, response=response, error=error)


def delete_items_job(conn: Connection, container: str, objects: list[str]) -> list[Result]:
    """Send one bulk-delete request; one ``delete_object`` result per object.

    The bulk answer names each object the cluster could not delete (with its
    status), so those fail alone. It only *counts* missing objects without
    naming them, so a missing object reads as deleted here, where a delete
    outside a batch reports its 404: a batch trades that detail for
    requests.
    """
    try:
        response = conn.request(
            "POST",
            query={"bulk-delete": ""},
            headers={"Accept": "application/json", "Content-Type": "text/plain"},
            body=request_body(container, objects),
        )
        outcome = parse_bulk_delete_response(response.body)
    except (ClientException, ValueError) as error:
        return [
            result_types.delete_object(container=container, object=obj, error=error)
            for obj in objects
        ]
    refused = dict(item_errors(container, objects, outcome))
    whole_failed = not refused and not 200 <= outcome.status < 300
    results: list[Result] = []
    for obj in objects:
        status = refused.get(obj)
        if status is None and not whole_failed:
            results.append(
                result_types.delete_object(container=container, object=obj, response=response)
            )
            continue
        problem = ClientException(
            f"bulk delete could not delete {obj!r}: "
            f"{status or f'{outcome.status} {outcome.reason} {outcome.body}'.strip()}",
            http_status=status_code(status) if status else outcome.status or None,
            attempts=response.attempts,
        )
        results.append(result_types.delete_object(
            container=container, object=obj, response=response, error=problem))
    return results


# ------------------------------------------------- upload(options={'batch': True})


def batch_eligible(task: UploadTask, limits: BatchLimits) -> bool:
    """Whether an upload's item can ride in an archive instead of its own job.

    Only plain small files whose fate the planner already knows: nothing to
    overwrite, or a plain object the listing shows must be replaced (a size
    that differs settles ``changed`` and ``skip_identical``). Whatever needs
    a HEAD, a hash comparison or the cleanup of a manifest's segments keeps
    its ordinary job.
    """
    item, options, existing = task.item, task.options, task.existing
    if item.kind is not SourceKind.FILE or item.error is not None or item.size is None:
        return False
    if not batchable(options, item.size, limits):
        return False
    if existing is None:
        return True
    if existing is UNKNOWN:
        return not wants_remote(options)
    assert isinstance(existing, RemoteObject)
    if existing.kind is not RemoteKind.PLAIN:
        return False
    return not (options.changed or options.skip_identical) or existing.size != item.size


def upload_member(task: UploadTask) -> TarMember:
    """The archive member of an eligible file: its bytes, mtime and metadata."""
    item, options = task.item, task.options
    assert item.path is not None and item.size is not None
    path = item.path
    meta = list(options.meta)
    if item.mtime is not None and not options.ignore_mtime:
        meta.insert(0, ("Mtime", mtime_value(item.mtime)))
    return TarMember(
        item.object_name, item.size, item.mtime or 0.0,
        opener=lambda: open(path, "rb"), meta=meta,
    )


class UploadBatcher:
    """Collects an upload call's eligible files into archives, one job per archive.

    Fed by the planner in walk order, so each archive holds names that are
    near each other (its checksum listing stays short).
    """

    def __init__(self, ctx: CallContext, container: str, options: Options,
                 limits: BatchLimits) -> None:
        self._ctx = ctx
        self._container = container
        self._options = options
        self._limits = limits
        self._items: list[BatchItem] = []
        self._size = 0

    def takes(self, task: UploadTask) -> bool:
        return task.container == self._container and batch_eligible(task, self._limits)

    def add(self, task: UploadTask) -> Iterator[Job]:
        """Queue ``task``'s file; yields the previous archive's job when it is full."""
        member = upload_member(task)
        if archive_full(len(self._items), self._size, member.size, self._limits):
            yield from self.flush()
        self._items.append(BatchItem(member, task.item.object_name, task.item.path))
        self._size += member.size

    def flush(self) -> Iterator[Job]:
        """The job of what is queued, if anything."""
        if not self._items:
            return
        items, self._items, self._size = self._items, [], 0
        yield Job(
            self._ctx.pools.object_uu,
            extract_job,
            (self._container, "", items, self._options),
            on_error=archive_failed(self._container, items),
        )


def archive_failed(
    container: str, items: list[BatchItem]
) -> Callable[[BaseException], list[Result]]:
    """The failed results of an archive job that raised or was cancelled."""

    def results(error: BaseException) -> list[Result]:
        return [_failed(container, item, error) for item in items]

    return results
