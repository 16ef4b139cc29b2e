"""The result dicts: one TypedDict and one constructor per action.

The TypedDicts are in :mod:`swiftsvc.result_shapes`, re-exported here.

Every result has ``action`` and ``success``; a failure adds ``error`` (the
exception), ``traceback`` (text) and ``error_timestamp``; a result of a
request adds ``attempts`` (the tries of that request) and ``response_dict``
(python-swiftclient's shape, with every answer). Each action's keys are
python-swiftclient's, with the same value types, plus a few of swiftsvc's own
(docs/COMPAT.md, "Results"); a key swiftclient fills with a float, a dict or
a list is never None here.

The constructors (``upload_object(...)``, ``download_object(...)``, ...) are
the only way operations build results: a success without ``error``, a
failure with it. Each takes every key of its action, so no two code paths
can give one action different keys.
"""

from __future__ import annotations

import time
import traceback as _traceback
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.http.response import Attempt, Response, StreamedResponse, response_dict
from swiftsvc.result_shapes import (
    Action as Action,
    BulkDeleteResult as BulkDeleteResult,
    CapabilitiesResult as CapabilitiesResult,
    CopyObjectResult as CopyObjectResult,
    CopyResult as CopyResult,
    CreateContainerResult as CreateContainerResult,
    CreateDirMarkerResult as CreateDirMarkerResult,
    DeleteContainerResult as DeleteContainerResult,
    DeleteObjectResult as DeleteObjectResult,
    DeleteResult as DeleteResult,
    DeleteSegmentResult as DeleteSegmentResult,
    DownloadObjectResult as DownloadObjectResult,
    Item as Item,
    ListAccountPartResult as ListAccountPartResult,
    ListContainerPartResult as ListContainerPartResult,
    Listing as Listing,
    ListResult as ListResult,
    Outcome,
    PostAccountResult as PostAccountResult,
    PostContainerResult as PostContainerResult,
    PostObjectResult as PostObjectResult,
    SentHeaders as SentHeaders,
    StatAccountResult as StatAccountResult,
    StatContainerResult as StatContainerResult,
    StatObjectResult as StatObjectResult,
    Status as Status,
    UploadObjectResult as UploadObjectResult,
    UploadResult as UploadResult,
    UploadSegmentResult as UploadSegmentResult,
)

# any result, for code that only passes results on (pools, events, the CLI)
Result = Mapping[str, Any]




# ----------------------------------------------------------------- pieces

ResponseLike = Response | StreamedResponse


def _history(
    response: ResponseLike | None,
    history: Sequence[Attempt] | None,
    error: BaseException | None,
) -> Sequence[Attempt]:
    if history is not None:
        return history
    if response is not None:
        return response.attempts
    if error is not None:
        return error_attempts(error) or ()
    return ()


def _requested(
    response: ResponseLike | None = None,
    history: Sequence[Attempt] | None = None,
    error: BaseException | None = None,
    tries: int | None = None,
) -> tuple[int, dict[str, Any]]:
    """``attempts`` and ``response_dict`` of a result."""
    seen = _history(response, history, error)
    return (len(seen) if tries is None else tries), response_dict(seen)


def _failed(result: Outcome, error: BaseException | None) -> None:
    """Mark ``result`` failed by ``error`` (when there is one)."""
    if error is None:
        return
    result["success"] = False
    result["error"] = error
    result["traceback"] = "".join(
        _traceback.format_exception(type(error), error, error.__traceback__)
    )
    result["error_timestamp"] = time.time()


def _sent(headers: Mapping[str, str] | None) -> dict[str, str]:
    return SentHeaders(headers or {})


def is_failure(result: Result) -> bool:
    """Whether ``result`` reports something that went wrong.

    A download skipped because the local file is identical is a failed
    result (python-swiftclient's contract, with its 304), yet nothing went
    wrong: it neither trips ``fail_fast`` nor counts as a failure in progress.
    """
    if result.get("success", True):
        return False
    return result.get("status") != Status.SKIPPED_IDENTICAL


def error_attempts(error: BaseException) -> tuple[Attempt, ...] | None:
    """The request history an error carries, if any."""
    if isinstance(error, SwiftError) and error.exception is not None:
        error = error.exception
    if isinstance(error, ClientException):
        return error.attempts
    return None


# ------------------------------------------------------------- constructors


def stat_account(
    *, items: list[Item], headers: Mapping[str, str], response: ResponseLike | None = None,
    error: BaseException | None = None,
) -> StatAccountResult:
    attempts, answers = _requested(response, error=error)
    result = StatAccountResult(
        action="stat_account", success=True, container=None, object=None, items=items,
        headers=dict(headers), attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def stat_container(
    *, container: str, items: list[Item], headers: Mapping[str, str],
    response: ResponseLike | None = None, error: BaseException | None = None,
) -> StatContainerResult:
    attempts, answers = _requested(response, error=error)
    result = StatContainerResult(
        action="stat_container", success=True, container=container, object=None, items=items,
        headers=dict(headers), attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def stat_object(
    *, container: str, object: str, items: list[Item], headers: Mapping[str, str],
    response: ResponseLike | None = None, error: BaseException | None = None,
) -> StatObjectResult:
    attempts, answers = _requested(response, error=error)
    result = StatObjectResult(
        action="stat_object", success=True, container=container, object=object, items=items,
        headers=dict(headers), attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def list_account_part(
    *, prefix: str | None, listing: Listing, marker: str, error: BaseException | None = None,
) -> ListAccountPartResult:
    result = ListAccountPartResult(
        action="list_account_part", success=True, container=None, prefix=prefix,
        listing=listing, marker=marker,
    )
    _failed(result, error)
    return result


def list_container_part(
    *, container: str, prefix: str | None, listing: Listing, marker: str,
    version_marker: str, error: BaseException | None = None,
) -> ListContainerPartResult:
    result = ListContainerPartResult(
        action="list_container_part", success=True, container=container, prefix=prefix,
        listing=listing, marker=marker, version_marker=version_marker,
    )
    _failed(result, error)
    return result


def post_account(
    *, headers: Mapping[str, str], response: ResponseLike | None = None,
    error: BaseException | None = None,
) -> PostAccountResult:
    attempts, answers = _requested(response, error=error)
    result = PostAccountResult(
        action="post_account", success=True, container=None, object=None,
        headers=_sent(headers), attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def post_container(
    *, container: str, headers: Mapping[str, str], response: ResponseLike | None = None,
    error: BaseException | None = None,
) -> PostContainerResult:
    attempts, answers = _requested(response, error=error)
    result = PostContainerResult(
        action="post_container", success=True, container=container, object=None,
        headers=_sent(headers), attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def post_object(
    *, container: str, object: str, headers: Mapping[str, str],
    response: ResponseLike | None = None, error: BaseException | None = None,
) -> PostObjectResult:
    attempts, answers = _requested(response, error=error)
    result = PostObjectResult(
        action="post_object", success=True, container=container, object=object,
        headers=_sent(headers), attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def create_container(
    *, container: str, headers: Mapping[str, str] | None, response: ResponseLike | None = None,
    error: BaseException | None = None,
) -> CreateContainerResult:
    attempts, answers = _requested(response, error=error)
    result = CreateContainerResult(
        action="create_container", success=True, container=container,
        headers=None if headers is None else _sent(headers), attempts=attempts,
        response_dict=answers,
    )
    _failed(result, error)
    return result


def create_dir_marker(
    *, container: str, object: str, path: str | None, headers: Mapping[str, str],
    status: Status | None = None, response: ResponseLike | None = None,
    error: BaseException | None = None,
) -> CreateDirMarkerResult:
    attempts, answers = _requested(response, error=error)
    result = CreateDirMarkerResult(
        action="create_dir_marker", success=True, container=container, object=object,
        path=path, headers=_sent(headers), attempts=attempts, response_dict=answers,
    )
    if status is not None:
        result["status"] = status.value
    _failed(result, error)
    return result


def upload_segment(
    *, for_container: str, for_object: str, segment_index: int, segment_size: int,
    segment_location: str, segment_etag: str | None = None, reused: bool = False,
    response: ResponseLike | None = None, error: BaseException | None = None,
) -> UploadSegmentResult:
    attempts, answers = _requested(response, error=error)
    status = Status.SKIPPED_IDENTICAL if reused else Status.UPLOADED
    result = UploadSegmentResult(
        action="upload_segment", success=True, for_container=for_container,
        for_object=for_object, segment_index=segment_index, segment_size=segment_size,
        segment_location=segment_location, log_line=f"{for_object} segment {segment_index}",
        reused=reused, status=status.value, attempts=attempts, response_dict=answers,
    )
    if segment_etag is not None:
        result["segment_etag"] = segment_etag
    _failed(result, error)
    return result


def upload_object(
    *, container: str, object: str | None, path: str | None, headers: Mapping[str, str],
    status: Status | None = None, large_object: bool = False,
    manifest_response_dict: dict[str, Any] | None = None,
    segment_results: list[UploadSegmentResult] | None = None,
    segment_delete_results: list[DeleteSegmentResult] | None = None,
    segment_container: str | None = None, segments_reused: int = 0, batch: bool = False,
    response: ResponseLike | None = None, history: Sequence[Attempt] | None = None,
    error: BaseException | None = None,
) -> UploadObjectResult:
    """``upload_object``; ``status`` is a success's, the segment keys a large object's."""
    attempts, answers = _requested(response, history, error)
    result = UploadObjectResult(
        action="upload_object", success=True, container=container, object=object, path=path,
        headers=_sent(headers), large_object=large_object, attempts=attempts,
        response_dict=answers,
    )
    if status is not None and error is None:
        result["status"] = status.value
    if manifest_response_dict is not None:
        result["manifest_response_dict"] = manifest_response_dict
    if segment_results is not None:
        result["segment_results"] = segment_results
        result["segment_count"] = len(segment_results)
        result["segments_reused"] = segments_reused
    if segment_delete_results is not None:
        result["segment_delete_results"] = segment_delete_results
    if segment_container is not None:
        result["segment_container"] = segment_container
    if batch:
        result["batch"] = True
    _failed(result, error)
    return result


def download_object(
    *, container: str, object: str, path: str, pseudodir: bool, start_time: float,
    auth_end_time: float, headers_receipt: float, finish_time: float, read_length: int,
    status: Status | None, tries: int, history: Sequence[Attempt],
    contents: Iterator[bytes] | None = None, error: BaseException | None = None,
    resumed_from: int = 0,
) -> DownloadObjectResult:
    """``download_object``; ``tries``: of the request that brought the body (resumes too)."""
    attempts, answers = _requested(history=history, tries=tries)
    result = DownloadObjectResult(
        action="download_object", success=True, container=container, object=object,
        path=path, pseudodir=pseudodir, start_time=start_time, auth_end_time=auth_end_time,
        headers_receipt=headers_receipt, finish_time=finish_time, read_length=read_length,
        attempts=attempts, response_dict=answers,
    )
    if status is not None:
        result["status"] = status.value
    if contents is not None:
        result["contents"] = contents
    if resumed_from:
        result["resumed_from"] = resumed_from
    _failed(result, error)
    return result


def delete_object(
    *, container: str, object: str, version_id: str | None = None,
    dlo_segments_deleted: bool | None = None, response: ResponseLike | None = None,
    history: Sequence[Attempt] | None = None, error: BaseException | None = None,
) -> DeleteObjectResult:
    attempts, answers = _requested(response, history, error)
    result = DeleteObjectResult(
        action="delete_object", success=True, container=container, object=object,
        attempts=attempts, response_dict=answers,
    )
    if version_id is not None:
        result["version_id"] = version_id
    if dlo_segments_deleted is not None:
        result["dlo_segments_deleted"] = dlo_segments_deleted
    _failed(result, error)
    return result


def delete_segment(
    *, container: str, object: str | None, response: ResponseLike | None = None,
    history: Sequence[Attempt] | None = None, error: BaseException | None = None,
) -> DeleteSegmentResult:
    attempts, answers = _requested(response, history, error)
    result = DeleteSegmentResult(
        action="delete_segment", success=True, container=container, object=object,
        attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def delete_container(
    *, container: str, response: ResponseLike | None = None, error: BaseException | None = None,
) -> DeleteContainerResult:
    attempts, answers = _requested(response, error=error)
    result = DeleteContainerResult(
        action="delete_container", success=True, container=container, object=None,
        attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def bulk_delete(
    *, container: str, objects: Sequence[str], answer: Mapping[str, Any] | None = None,
    deleted: int = 0, not_found: int = 0, errors: Sequence[tuple[str, str]] = (),
    response: ResponseLike | None = None, error: BaseException | None = None,
) -> BulkDeleteResult:
    """``bulk_delete``; ``answer`` is the cluster's JSON answer (swiftclient's ``result``)."""
    attempts, answers = _requested(response, error=error)
    result = BulkDeleteResult(
        action="bulk_delete", success=True, container=container, objects=list(objects),
        deleted=deleted, not_found=not_found, errors=list(errors), attempts=attempts,
        response_dict=answers,
    )
    if answer is not None:
        result["result"] = dict(answer)
    _failed(result, error)
    return result


def copy_object(
    *, container: str, object: str, destination: str | None, headers: Mapping[str, str],
    fresh_metadata: bool, response: ResponseLike | None = None,
    error: BaseException | None = None,
) -> CopyObjectResult:
    attempts, answers = _requested(response, error=error)
    result = CopyObjectResult(
        action="copy_object", success=True, container=container, object=object,
        destination=destination, headers=_sent(headers), fresh_metadata=fresh_metadata,
        attempts=attempts, response_dict=answers,
    )
    _failed(result, error)
    return result


def capabilities(
    *, timestamp: float, info: Mapping[str, Any], url: str | None = None,
) -> CapabilitiesResult:
    result = CapabilitiesResult(
        action="capabilities", success=True, timestamp=timestamp, capabilities=dict(info),
    )
    if url is not None:
        result["url"] = url
    return result
