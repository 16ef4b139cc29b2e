"""The shape of each action's result dict: one TypedDict per action.

:mod:`swiftsvc.results` re-exports them with the constructors that build
them (the only way operations make results); import them from there.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any, Literal, NotRequired, TypedDict

from swiftsvc._redact import redact_headers

Item = tuple[str, Any]  # a (label, value) line of a stat result's items
Listing = list[dict[str, Any]]


class Action(enum.StrEnum):
    STAT_ACCOUNT = "stat_account"
    STAT_CONTAINER = "stat_container"
    STAT_OBJECT = "stat_object"
    LIST_ACCOUNT_PART = "list_account_part"
    LIST_CONTAINER_PART = "list_container_part"
    POST_ACCOUNT = "post_account"
    POST_CONTAINER = "post_container"
    POST_OBJECT = "post_object"
    CREATE_CONTAINER = "create_container"
    CREATE_DIR_MARKER = "create_dir_marker"
    UPLOAD_SEGMENT = "upload_segment"
    UPLOAD_OBJECT = "upload_object"
    DOWNLOAD_OBJECT = "download_object"
    DELETE_OBJECT = "delete_object"
    DELETE_SEGMENT = "delete_segment"
    DELETE_CONTAINER = "delete_container"
    BULK_DELETE = "bulk_delete"
    COPY_OBJECT = "copy_object"
    CAPABILITIES = "capabilities"


class Status(enum.StrEnum):
    """``status`` of upload and download results (swiftsvc's own for downloads)."""

    UPLOADED = "uploaded"
    DOWNLOADED = "downloaded"
    # no_download: fetched and verified, nothing written
    NOT_WRITTEN = "not-written"
    SKIPPED_IDENTICAL = "skipped-identical"
    SKIPPED_CHANGED = "skipped-changed"


class SentHeaders(dict[str, str]):
    """The request headers a result reports: a plain dict whose repr hides credentials.

    Users read results' ``headers`` as python-swiftclient gives them (the
    values sent, a sync key included), but results get printed and logged
    whole, so the repr (and str) show ``<redacted>`` for credential headers.
    """

    def __repr__(self) -> str:
        return repr(redact_headers(self))

    __str__ = __repr__


class Outcome(TypedDict):
    success: bool
    # a failure's
    error: NotRequired[BaseException]
    traceback: NotRequired[str]
    error_timestamp: NotRequired[float]


class Requested(Outcome):
    attempts: int  # tries of the request (retries and re-authentication included)
    response_dict: dict[str, Any]


class StatAccountResult(Requested):
    action: Literal["stat_account"]
    container: None
    object: None
    items: list[Item]  # (label, value) pairs, as ``swift stat`` shows them
    headers: dict[str, str]  # the answer's, lower-case names


class StatContainerResult(Requested):
    action: Literal["stat_container"]
    container: str
    object: None
    items: list[Item]
    headers: dict[str, str]


class StatObjectResult(Requested):
    action: Literal["stat_object"]
    container: str
    object: str
    items: list[Item]
    headers: dict[str, str]


class ListAccountPartResult(Outcome):
    action: Literal["list_account_part"]
    container: None
    prefix: str | None
    listing: Listing  # empty in a failure
    marker: str  # the marker this page was asked for with ('' for the first)


class ListContainerPartResult(Outcome):
    action: Literal["list_container_part"]
    container: str
    prefix: str | None
    listing: Listing
    marker: str
    version_marker: str


class PostAccountResult(Requested):
    action: Literal["post_account"]
    container: None
    object: None
    headers: dict[str, str]  # sent


class PostContainerResult(Requested):
    action: Literal["post_container"]
    container: str
    object: None
    headers: dict[str, str]


class PostObjectResult(Requested):
    action: Literal["post_object"]
    container: str
    object: str
    headers: dict[str, str]


class CreateContainerResult(Requested):
    action: Literal["create_container"]
    container: str
    # sent; None for a segment container taking the policy of its container
    headers: dict[str, str] | None


class CreateDirMarkerResult(Requested):
    action: Literal["create_dir_marker"]
    container: str
    object: str
    path: str | None
    headers: dict[str, str]
    status: NotRequired[str]  # skipped-changed when it exists unchanged


class UploadSegmentResult(Requested):
    action: Literal["upload_segment"]
    for_container: str
    for_object: str
    segment_index: int
    segment_size: int
    segment_location: str  # /segment_container/name
    log_line: str
    segment_etag: NotRequired[str]  # a success's
    reused: bool  # left by an interrupted earlier upload and still good
    status: str  # uploaded, or skipped-identical when reused


class DeleteSegmentResult(Requested):
    action: Literal["delete_segment"]
    container: str
    object: str | None  # None: the segments could not even be listed


class UploadObjectResult(Requested):
    action: Literal["upload_object"]
    container: str
    object: str | None  # None: the item was not even an object to upload
    path: str | None  # the local file; None for streams
    headers: dict[str, str]  # the object's (sent, or that would have been)
    status: NotRequired[str]  # a success's: uploaded / skipped-identical / skipped-changed
    large_object: bool
    manifest_response_dict: NotRequired[dict[str, Any]]
    segment_results: NotRequired[list[UploadSegmentResult]]
    segment_delete_results: NotRequired[list[DeleteSegmentResult]]
    segment_container: NotRequired[str]
    segment_count: NotRequired[int]
    segments_reused: NotRequired[int]
    batch: NotRequired[bool]  # sent in a tar archive with others (the batch option)


class DownloadObjectResult(Requested):
    action: Literal["download_object"]
    container: str
    object: str
    path: str  # derived from the object's name (never out_file)
    pseudodir: bool
    # time.time() values; in a failure, as far as the download got
    start_time: float
    auth_end_time: float
    headers_receipt: float
    finish_time: float
    read_length: int
    status: NotRequired[str]  # downloaded / not-written / skipped-identical (a failure's)
    contents: NotRequired[Iterator[bytes]]  # out_file '-': the bytes, to consume
    # bytes kept from the part file a killed run left (read_length: the rest)
    resumed_from: NotRequired[int]


class DeleteObjectResult(Requested):
    action: Literal["delete_object"]
    container: str
    object: str
    version_id: NotRequired[str]
    dlo_segments_deleted: NotRequired[bool]


class DeleteContainerResult(Requested):
    action: Literal["delete_container"]
    container: str
    object: None


class BulkDeleteResult(Requested):
    action: Literal["bulk_delete"]
    container: str
    objects: list[str]
    result: NotRequired[dict[str, Any]]  # the cluster's whole answer
    deleted: int
    not_found: int
    errors: list[tuple[str, str]]  # (object, status) the cluster could not delete


class CopyObjectResult(Requested):
    action: Literal["copy_object"]
    container: str
    object: str
    destination: str | None  # None: copied onto itself
    headers: dict[str, str]
    fresh_metadata: bool


class CapabilitiesResult(Outcome):
    action: Literal["capabilities"]
    timestamp: float
    capabilities: dict[str, Any]
    url: NotRequired[str]


# what each call yields
ListResult = ListAccountPartResult | ListContainerPartResult
UploadResult = (
    CreateContainerResult | CreateDirMarkerResult | UploadSegmentResult | UploadObjectResult
    | DeleteSegmentResult
)
DeleteResult = DeleteObjectResult | DeleteSegmentResult | DeleteContainerResult | BulkDeleteResult
CopyResult = CopyObjectResult | CreateContainerResult
