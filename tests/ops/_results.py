"""Reading results as the contract words them (docs/COMPAT.md §4, §5)."""

from __future__ import annotations

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
