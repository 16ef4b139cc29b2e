"""Reading results as the contract words them (docs/COMPAT.md §4, §5)."""

from __future__ import annotations

from collections.abc import Iterable

from swiftsvc import ClientException
from swiftsvc.results import Result


def skipped_identical(result: Result) -> bool:
    """A download skipped as identical: python-swiftclient's failed result with a 304."""
    error = result.get("error")
    return (
        result["success"] is False
        and result.get("status") == "skipped-identical"
        and isinstance(error, ClientException)
        and error.http_status == 304
    )


def client_error(result: Result) -> ClientException:
    """The result's error, which must be a :class:`ClientException`."""
    error = result.get("error")
    assert isinstance(error, ClientException), error
    return error


def every(results: Iterable[Result]) -> list[Result]:
    """A call's results read as plain mappings, whatever their action (the
    tests read keys of several actions from one list)."""
    return list(results)
