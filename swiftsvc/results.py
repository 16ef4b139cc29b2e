"""The one place result dicts are built.

Every result has ``action`` and ``success``; a failure adds ``error`` (the
exception), ``traceback`` (text) and ``error_timestamp``; a result of a
request adds ``attempts`` and ``response_dict`` (python-swiftclient's shape).
Operation modules call :func:`success` / :func:`failure` with their own keys
(SPEC §2) and never write a result dict by hand.
"""

from __future__ import annotations

import enum
import time
import traceback as _traceback
from collections.abc import Sequence
from typing import Any

from swiftsvc._redact import redact_headers
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.http.response import Attempt, Response, StreamedResponse, response_dict

Result = dict[str, Any]


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
    """``status`` of upload and download results."""

    UPLOADED = "uploaded"
    DOWNLOADED = "downloaded"
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


def _with_fields(result: Result, fields: dict[str, Any]) -> None:
    headers = fields.get("headers")
    if isinstance(headers, dict) and not isinstance(headers, SentHeaders):
        fields = {**fields, "headers": SentHeaders(headers)}
    result.update(fields)


def _request_fields(
    response: Response | StreamedResponse | None, attempts: Sequence[Attempt] | None
) -> dict[str, Any]:
    history: Sequence[Attempt]
    if attempts is not None:
        history = attempts
    elif response is not None:
        history = response.attempts
    else:
        return {}
    return {"attempts": len(history), "response_dict": response_dict(history)}


def success(
    action: Action,
    *,
    response: Response | StreamedResponse | None = None,
    attempts: Sequence[Attempt] | None = None,
    **fields: Any,
) -> Result:
    """A successful result of ``action`` with the operation's own ``fields``."""
    result: Result = {"action": str(action), "success": True}
    result.update(_request_fields(response, attempts))
    _with_fields(result, fields)
    return result


def failure(
    action: Action,
    error: BaseException,
    *,
    response: Response | StreamedResponse | None = None,
    attempts: Sequence[Attempt] | None = None,
    **fields: Any,
) -> Result:
    """A failed result: the exception, its traceback text and when it happened.

    The request history comes from ``response``/``attempts`` or else from the
    error itself (a :class:`ClientException`, or a :class:`SwiftError`
    wrapping one).
    """
    result: Result = {"action": str(action), "success": False}
    if response is None and attempts is None:
        attempts = error_attempts(error)
    result.update(_request_fields(response, attempts))
    _with_fields(result, fields)
    result["error"] = error
    result["traceback"] = "".join(
        _traceback.format_exception(type(error), error, error.__traceback__)
    )
    result["error_timestamp"] = time.time()
    return result


def error_attempts(error: BaseException) -> tuple[Attempt, ...] | None:
    """The request history an error carries, if any."""
    if isinstance(error, SwiftError) and error.exception is not None:
        error = error.exception
    if isinstance(error, ClientException):
        return error.attempts
    return None
