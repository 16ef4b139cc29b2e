"""The one translation of a 404 on the account or a container into python-swiftclient's words.

``stat``, ``post`` and the listings raise it at the call (docs/COMPAT.md §4):
``SwiftError("Container 'c' not found")`` / ``SwiftError("Account not found")``,
the 404 kept as ``exc``.
"""

from __future__ import annotations

from swiftsvc.errors import ClientException, SwiftError


def not_found(error: ClientException, container: str | None = None) -> SwiftError:
    """The error to raise for ``error`` (a 404) on ``container``, or on the account."""
    if container is None:
        return SwiftError("Account not found", exc=error)
    return SwiftError(f"Container {container!r} not found", container=container, exc=error)
