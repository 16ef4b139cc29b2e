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

Pure pieces (:func:`bulk_delete_limit`, :func:`chunked`; the request body and
the answer's parsing in :mod:`swiftsvc.ops.bulk_answers`, shared with the
archive upload) are separate from the job (:func:`bulk_delete_job`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from swiftsvc import results
from swiftsvc.errors import ClientException, SwiftError
from swiftsvc.ops.bulk_answers import item_errors, parse_bulk_delete_response, request_body
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
