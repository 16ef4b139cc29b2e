"""Swift failures as the ``OSError`` subclasses fsspec users catch.

fsspec code (and pandas, zarr, dask behind it) expects the built-in
exceptions: ``FileNotFoundError`` for a missing object or container,
``PermissionError`` for 401/403, ``FileExistsError`` when an exclusive
create finds the object already there. The Swift exception is kept as
``__cause__`` (with its transaction id) for whoever needs the details.

=========================  ==========================================
Swift answer               raised
=========================  ==========================================
404 Not Found              ``FileNotFoundError`` (ENOENT)
401 / 403                  ``PermissionError`` (EACCES)
412 on ``If-None-Match``   ``FileExistsError`` (EEXIST)
409 Conflict               ``OSError`` (ENOTEMPTY): container not empty
416 Range Not Satisfiable  ``OSError`` (EINVAL)
anything else              ``OSError`` (EIO)
=========================  ==========================================
"""

from __future__ import annotations

import errno
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from swiftsvc import ClientException, SwiftError

# a Service result dict (swiftsvc.results is the library's own, private module)
Result = Mapping[str, Any]

_BY_STATUS: dict[int, tuple[type[OSError], int]] = {
    404: (FileNotFoundError, errno.ENOENT),
    401: (PermissionError, errno.EACCES),
    403: (PermissionError, errno.EACCES),
    412: (FileExistsError, errno.EEXIST),
    409: (OSError, errno.ENOTEMPTY),
    416: (OSError, errno.EINVAL),
}


def http_status(error: BaseException) -> int | None:
    """The HTTP status behind ``error`` (a ClientException, or a SwiftError wrapping one)."""
    seen = 0
    current: BaseException | None = error
    while current is not None and seen < 5:  # a SwiftError may wrap another
        if isinstance(current, ClientException):
            return current.http_status
        current = current.exception if isinstance(current, SwiftError) else None
        seen += 1
    return None


def to_os_error(error: BaseException, path: str) -> OSError:
    """The ``OSError`` an fsspec user expects for ``error`` on ``path``."""
    if isinstance(error, OSError):
        return error
    status = http_status(error)
    kind, code = _BY_STATUS.get(status or 0, (OSError, errno.EIO))
    mapped = kind(code, f"{error}", path)
    mapped.__cause__ = error
    return mapped


def check(result: Mapping[str, Any], path: str) -> None:
    """Raise the mapped error of a failed result dict; nothing for a success."""
    if result.get("success", False):
        return
    error = result.get("error")
    if not isinstance(error, BaseException):
        error = SwiftError(f"{result.get('action', 'operation')} failed")
    raise to_os_error(error, path) from error


def as_iter(value: Result | Iterator[Result]) -> Iterator[Result]:
    if isinstance(value, Mapping):
        return iter([value])
    return value


def check_all(results: Iterable[Result], path: str) -> None:
    """Consume ``results``; raise the mapped error of the first failure, if any."""
    failures = [(r, path) for r in results if not r["success"]]
    raise_first(failures)


def raise_first(failures: list[tuple[Result, str]]) -> None:
    if not failures:
        return
    result, path = failures[0]
    if len(failures) > 1:
        error = result.get("error")
        result = {**result, "error": SwiftError(
            f"{len(failures)} operations failed; the first: {error}",
            exc=error if isinstance(error, BaseException) else None,
        )}  # fmt: skip
    check(result, path)
