"""What a network failure comes down to, in the words a user recognises.

requests and urllib3 wrap the socket's error several layers deep
(``ConnectionError(MaxRetryError(reason=NewConnectionError(...)))``, the
``ConnectionRefusedError`` as its ``__cause__``), and their own messages
name connection-pool objects. The cause is what the ``swift`` command
prints and what a user can act on: "Connection refused", a host name that
does not resolve, a timeout.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator


def _chain(error: BaseException) -> Iterator[BaseException]:
    """``error`` and everything it wraps, outermost first."""
    seen: set[int] = set()
    pending = [error]
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        wrapped = [getattr(current, "reason", None), current.__cause__, current.__context__,
                   *current.args]
        pending.extend(item for item in wrapped if isinstance(item, BaseException))


def unreachable_cause(error: BaseException) -> str | None:
    """"Connection refused" or why the host name did not resolve; None for
    any other failure (a timeout, a reset, TLS...)."""
    for inner in _chain(error):
        if isinstance(inner, ConnectionRefusedError):
            return "Connection refused"
        if isinstance(inner, socket.gaierror):
            return f"host name not resolved ({inner.strerror or inner})"
    return None


def network_cause(error: BaseException) -> str:
    """``error``'s kind and its innermost cause, e.g. ``ConnectionError: Connection refused``."""
    cause = unreachable_cause(error)
    if cause is None:
        innermost: BaseException = error
        for inner in _chain(error):
            innermost = inner
        strerror = getattr(innermost, "strerror", None)
        cause = strerror if isinstance(strerror, str) and strerror else str(innermost)
    return f"{type(error).__name__}: {cause}" if cause else type(error).__name__
