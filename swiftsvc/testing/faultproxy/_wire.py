"""HTTP/1.1 framing the proxy needs by hand: chunked bodies, hop-by-hop headers,
reason phrases, and telling an idle upstream connection that was closed."""

from __future__ import annotations

import http.client
import select
from collections.abc import Iterator
from http import HTTPStatus
from typing import Any

__all__ = [
    "HOP_BY_HOP",
    "PIECE",
    "Aborted",
    "connection_tokens",
    "ended_short",
    "read_chunked",
    "reason",
    "upstream_dropped",
]

# bodies are relayed in pieces of this size both ways, never buffered whole
PIECE = 64 * 1024
HOP_BY_HOP = frozenset(
    {
        "connection",
        "expect",
        "keep-alive",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Swift's own codes that http.HTTPStatus does not know.
_EXTRA_REASONS = {498: "Rate Limited", 499: "Client Disconnect"}


class Aborted(Exception):
    """The client connection is finished (reset, truncated or broken); stop serving it."""


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return _EXTRA_REASONS.get(status, "Unknown")


def connection_tokens(value: str | None) -> set[str]:
    """The header names a ``Connection`` header declares hop-by-hop."""
    return {token.strip().lower() for token in (value or "").split(",")}


def upstream_dropped(conn: http.client.HTTPConnection) -> bool:
    """Whether an idle upstream connection was closed by the other end (readable = EOF)."""
    if conn.sock is None:
        return False
    try:
        readable, _, _ = select.select([conn.sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def read_chunked(rfile: Any) -> Iterator[bytes]:
    """De-chunk a ``Transfer-Encoding: chunked`` body, yielding pieces of <= 64 KiB."""
    while True:
        line: bytes = rfile.readline(1024)
        if not line.endswith(b"\n"):
            raise Aborted("truncated chunk size line")
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise Aborted(f"bad chunk size line {line!r}") from exc
        if size == 0:
            # Trailers are dropped: Swift ignores them and so may we.
            while rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                pass
            return
        remaining = size
        while remaining > 0:
            data: bytes = rfile.read(min(PIECE, remaining))
            if not data:
                raise Aborted("client closed in the middle of a chunk")
            remaining -= len(data)
            yield data
        if rfile.readline(3) not in (b"\r\n", b"\n"):
            raise Aborted("missing CRLF after a chunk")


def ended_short(response: http.client.HTTPResponse) -> bool:
    """Whether a fully read response got fewer body bytes than its Content-Length.

    http.client counts ``length`` down as it reads and simply returns b"" at an early
    EOF, so a leftover count is the only sign that the upstream died mid-body.
    """
    return not response.chunked and response.length is not None and response.length > 0
