"""The bulk middleware's request bodies and answers, shared by bulk delete and
the archive upload (``extract-archive``).

Both answer ``200 OK`` whatever happened; the real outcome is a JSON body
(``Response Status``, counts, and ``Errors``: ``[quoted path, "409
Conflict"]`` per item that failed). Pure functions, unit-tested without a
cluster.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote


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
