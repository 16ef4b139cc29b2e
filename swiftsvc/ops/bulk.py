"""Bulk delete: many objects removed by one ``POST /?bulk-delete`` request.

The cluster's bulk middleware (advertised as ``bulk_delete`` in ``/info``)
takes a ``text/plain`` body of newline-separated, URL-quoted
``/container/object`` paths and answers ``200 OK`` whatever happened; the
real outcome is in the JSON body (``Response Status``, ``Number Deleted``,
``Number Not Found`` and ``Errors``: ``[quoted path, "409 Conflict"]`` per
item that failed). Missing objects are only counted, never named.

One chunk (at most ``max_deletes_per_request`` objects of one container)
gives one ``bulk_delete`` result, python-swiftclient's shape (``container``,
``objects``, and ``result``: the cluster's whole answer) plus what it lacked
so each item's failure is visible on its own: ``errors`` (``[(object,
"409 Conflict"), ...]``, the status as the cluster words it), ``deleted``
and ``not_found`` counts. As in python-swiftclient, a request the cluster
carried out is a success even when some items could not be deleted (they
are in ``errors``; the ``swift`` command reports each); it fails when the
request itself failed, or the cluster refused it whole without naming an
item. A missing object is not a failure (the wanted end state holds, and
the cluster does not say which one it was).

Pure pieces (:func:`bulk_delete_limit`, :func:`quote_path`,
:func:`request_body`, :func:`chunked`, :func:`parse_bulk_delete_response`)
are separate from the job (:func:`bulk_delete_job`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import quote, unquote

from swiftsvc import results
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.results import BulkDeleteResult

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

T = TypeVar("T")

# Swift's default when the cluster advertises bulk_delete without a limit
DEFAULT_MAX_DELETES = 10000


def bulk_delete_limit(capabilities: Mapping[str, Any]) -> int | None:
    """Objects per bulk-delete request on this cluster, or None without bulk delete."""
    bulk = capabilities.get("bulk_delete")
    if not isinstance(bulk, Mapping):
        return None
    limit = bulk.get("max_deletes_per_request", DEFAULT_MAX_DELETES)
    if not isinstance(limit, int) or limit < 1:
        return DEFAULT_MAX_DELETES
    return limit


# Swift's bulk middleware works through the items of one request only a couple
# at a time, so one request of 2000 objects runs nearly serially (measured:
# 0.75x python-swiftclient's ten requests of 200). Requests of a few hundred
# keep every object_dd thread, and the servers, busy in parallel.
PARALLEL_CHUNK = 200


def bulk_delete_chunk(capabilities: Mapping[str, Any]) -> int | None:
    """Objects per bulk-delete request to send: the cluster's limit, capped so
    that a large delete spreads over the pool; None without bulk delete."""
    limit = bulk_delete_limit(capabilities)
    return None if limit is None else min(limit, PARALLEL_CHUNK)


def quote_path(container: str, obj: str | None = None) -> str:
    """``/container/object`` (or ``/container``) URL-quoted for a bulk-delete body.

    Slashes inside the object name stay (the middleware splits the container
    off at the first one); newlines and ``%`` are quoted, so every name fits
    on its line.
    """
    path = f"/{container}" if obj is None else f"/{container}/{obj}"
    return quote(path.encode("utf-8"), safe="/")


def request_body(container: str, objects: Iterable[str]) -> bytes:
    """The newline-separated body deleting ``objects`` of ``container``."""
    return b"".join(quote_path(container, obj).encode("ascii") + b"\n" for obj in objects)


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    """Consecutive lists of at most ``size`` items, consuming ``items`` lazily."""
    if size < 1:
        raise ValueError("chunk size must be at least 1")
    chunk: list[T] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


@dataclass(frozen=True, slots=True)
class BulkDeleteOutcome:
    status: int  # the "Response Status" of the whole request (0 if unreadable)
    reason: str
    body: str
    deleted: int
    not_found: int
    # "container/object" (unquoted) -> what failed, as the cluster says it:
    # usually "409 Conflict", but also e.g. "Not an SLO manifest"
    errors: Mapping[str, str]
    answer: Mapping[str, Any]  # the whole JSON answer (python-swiftclient's ``result``)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or not 200 <= self.status < 300


def parse_bulk_delete_response(body: bytes) -> BulkDeleteOutcome:
    """Parse a bulk-delete JSON body (leading keep-alive whitespace allowed).

    Also the answer of ``DELETE ?multipart-manifest=delete``. Raises
    ValueError when the body is not the middleware's JSON (e.g. the empty
    answer of an account POST on a cluster without bulk delete).
    """
    text = body.decode("utf-8").strip()
    if not text:
        raise ValueError("empty answer: is the bulk middleware enabled?")
    data = json.loads(text)
    if not isinstance(data, dict) or "Response Status" not in data:
        raise ValueError(f"not a bulk-delete answer: {text[:60]!r}")
    # not batch.parse_bulk_response: its Errors must start with a status
    # number, and an SLO delete answers e.g. "Not an SLO manifest"
    code, _, reason = str(data["Response Status"]).partition(" ")
    errors = {
        unquote(str(path)).lstrip("/"): str(status) for path, status in data.get("Errors") or []
    }
    return BulkDeleteOutcome(
        status=int(code) if code.isdigit() else 0,
        reason=reason,
        body=str(data.get("Response Body", "")),
        deleted=int(data.get("Number Deleted", 0)),
        not_found=int(data.get("Number Not Found", 0)),
        errors=errors,
        answer=data,
    )


def status_code(status: str) -> int | None:
    """``"409 Conflict"`` -> 409; a status without a number -> None."""
    code = status.partition(" ")[0]
    return int(code) if code.isdigit() else None


def item_errors(
    container: str, objects: Sequence[str], outcome: BulkDeleteOutcome
) -> list[tuple[str, str]]:
    """``(object, status)`` for each object of the chunk the cluster could not delete.

    Errors naming paths outside the chunk (an SLO's segments) keep their
    full ``container/object`` name.
    """
    wanted = {f"{container}/{obj}": obj for obj in objects}
    return [(wanted.get(path, path), status) for path, status in outcome.errors.items()]


def bulk_delete_job(
    conn: Connection,
    container: str,
    objects: Sequence[str],
    *,
    headers: Mapping[str, str] | None = None,
) -> BulkDeleteResult:
    """Job: delete ``objects`` of ``container`` with one bulk-delete request."""
    request_headers = {
        **(headers or {}),
        "Accept": "application/json",
        "Content-Type": "text/plain",
    }
    try:
        answer = conn.request(
            "POST",
            query={"bulk-delete": ""},
            headers=request_headers,
            body=request_body(container, objects),
        )
    except ClientException as error:
        return results.bulk_delete(container=container, objects=objects, error=error)
    try:
        outcome = parse_bulk_delete_response(answer.body)
    except ValueError as error:
        return results.bulk_delete(
            container=container, objects=objects, response=answer,
            error=SwiftError(
                f"No bulk-delete answer on account POST ({error}). "
                "Is the bulk operations middleware enabled?",
                container=container,
            ),
        )
    errors = item_errors(container, objects, outcome)
    problem = None
    if outcome.failed and not errors:
        # refused whole (say, too many deletes): no item says why
        problem = ClientException(
            f"Bulk delete in {container!r}: {outcome.status} {outcome.reason}"
            f"{'; ' + outcome.body if outcome.body else ''}",
            http_status=outcome.status or None,
            http_reason=outcome.reason,
            transaction_id=answer.transaction_id,
            attempts=answer.attempts,
        )
    return results.bulk_delete(
        container=container, objects=objects, answer=outcome.answer, deleted=outcome.deleted,
        not_found=outcome.not_found, errors=errors, response=answer, error=problem,
    )
