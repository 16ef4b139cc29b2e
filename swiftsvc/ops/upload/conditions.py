"""Safe writes: ``If-None-Match: *`` and ``If-Match: <etag>`` in an upload's ``header`` option.

``header=["If-None-Match: *"]`` creates an object only if it is absent;
``header=["If-Match: <etag>"]`` replaces it only while its ETag is the one
given (``*``: any existing object). A refused object is a failed
``upload_object`` result whose error says why; nothing of it is written.

What Swift does with them on an object PUT (checked on Swift 2.38):

- ``If-None-Match: *`` is enforced by the object server, atomically (412),
  also on a manifest PUT (SLO and DLO); any other value is refused with 400,
  so it is refused here before anything is sent.
- ``If-Match`` is ignored: the PUT overwrites whatever is there, or creates
  the object. So it is checked here with a HEAD just before the upload, and
  for a segmented upload again just before the manifest. A write by someone
  else between that HEAD and the PUT is not seen (the race window: one
  request's length, for a segmented upload the manifest's).

For a segmented upload both are checked before any segment is sent, so a
refused object leaves no segments; a refusal at the manifest (the object
appeared meanwhile) goes through the ordinary failure path, which deletes
the segments sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from swiftsvc.errors import ClientException, OptionError, SwiftError
from swiftsvc.ops.upload.remote import Existing, RemoteObject

if TYPE_CHECKING:
    from swiftsvc.http.connection import Connection

__all__ = [
    "WriteConditions",
    "check_before_write",
    "explained",
    "manifest_check",
    "without_conditions",
    "write_conditions",
]

CONDITION_HEADERS = frozenset({"if-none-match", "if-match"})


@dataclass(frozen=True, slots=True)
class WriteConditions:
    """The conditions an upload's ``header`` option puts on overwriting."""

    absent: bool = False  # If-None-Match: *
    etags: tuple[str, ...] | None = None  # If-Match: the ETags allowed ("*": any); None: none

    @property
    def any(self) -> bool:
        return self.absent or self.etags is not None

    def refusal(self, etag: str | None, *, exists: bool) -> str | None:
        """Why the object (``exists``, with ``etag``) may not be written; None: it may."""
        if self.absent and exists:
            return "the object exists and If-None-Match: * allows only creating it"
        if self.etags is None:
            return None
        if not exists:
            return ("the object does not exist and If-Match allows only replacing "
                    "a known version")
        if "*" in self.etags or etag in self.etags:
            return None
        wanted = ", ".join(self.etags)
        return f"the object's ETag is {etag}, not {wanted} as If-Match requires"


def write_conditions(header: Sequence[tuple[str, str]]) -> WriteConditions:
    """The conditions in ``header`` pairs; :class:`OptionError` for values Swift cannot honour."""
    absent = False
    etags: tuple[str, ...] | None = None
    for name, value in header:
        lowered = name.lower()
        if lowered == "if-none-match":
            if value.strip() != "*":
                raise OptionError(
                    f"option 'header': {name}: {value!r} is not supported on upload; only "
                    "'If-None-Match: *' (create only if absent): Swift refuses other values"
                )
            absent = True
        elif lowered == "if-match":
            allowed = tuple(_unquoted(part) for part in value.split(",") if part.strip())
            if not allowed:
                raise OptionError(f"option 'header': {name} needs an ETag or '*'")
            etags = allowed
    return WriteConditions(absent, etags)


def _unquoted(etag: str) -> str:
    etag = etag.strip()
    if etag.startswith("W/"):
        etag = etag[2:]
    return etag.strip('"')


def without_conditions(headers: Mapping[str, str]) -> dict[str, str]:
    """``headers`` without the conditions: they are about the object, not its segments."""
    return {k: v for k, v in headers.items() if k.lower() not in CONDITION_HEADERS}


def check_before_write(
    conn: Connection, container: str, obj: str, conditions: WriteConditions,
    known: Existing, *, atomic_put: bool,
) -> None:
    """Raise :class:`SwiftError` if the conditions forbid writing the object now.

    ``known`` is what the upload learnt already: an object known to exist
    refuses ``If-None-Match`` without a request. Otherwise the object is
    HEADed, unless only ``If-None-Match`` is asked and the PUT that follows
    carries it (``atomic_put``: a plain object, which Swift checks itself).
    """
    if not conditions.any:
        return
    if isinstance(known, RemoteObject) and conditions.etags is None:
        problem = conditions.refusal(None, exists=True)
    elif conditions.etags is None and atomic_put:
        return
    else:
        try:
            response = conn.head_object(container, obj)
        except ClientException as error:
            if error.http_status != 404:
                raise
            problem = conditions.refusal(None, exists=False)
        else:
            etag = _unquoted(response.headers.get("etag", ""))
            problem = conditions.refusal(etag, exists=True)
    if problem is not None:
        # refused here as Swift refuses a failed precondition: a 412 (the
        # fsspec layer, among others, reads "exists" from it)
        refused = ClientException(problem, http_status=412, http_reason="Precondition Failed")
        raise SwiftError(f"{problem}: not uploaded", container=container, obj=obj, exc=refused)


def explained(
    error: BaseException, conditions: WriteConditions, container: str, obj: str
) -> BaseException:
    """The 412 of a PUT that carried ``If-None-Match: *``, said in words; else ``error``."""
    if (conditions.absent and isinstance(error, ClientException)
            and error.http_status == 412):
        problem = conditions.refusal(None, exists=True)
        return SwiftError(f"{problem}: not uploaded", container=container, obj=obj, exc=error)
    return error


def manifest_check(
    container: str, obj: str, conditions: WriteConditions
) -> Callable[[Connection], None] | None:
    """The check a segmented upload makes again just before its manifest (If-Match only:
    the manifest PUT carries If-None-Match itself)."""
    if conditions.etags is None:
        return None
    return lambda conn: check_before_write(conn, container, obj, conditions, None,
                                           atomic_put=True)
