"""Streaming tar archives for Swift's bulk extract-archive (the batch upload path).

The archive is never built in memory: member headers are made up front (a few
hundred bytes each, so the exact ``Content-Length`` is known and the request
need not be chunked), then each member's bytes are read from its source as the
request body is sent, hashed once on the way.

Per-object metadata rides in pax headers: Swift's bulk middleware turns
``SCHILY.xattr.user.meta.<key>`` into ``X-Object-Meta-<key>`` and
``SCHILY.xattr.user.mime_type`` into ``Content-Type``, so files uploaded in a
batch keep their ``X-Object-Meta-Mtime`` like files uploaded one by one.
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

BLOCK = tarfile.BLOCKSIZE  # 512
READ_SIZE = 1 << 20
_META_PREFIX = "SCHILY.xattr.user.meta."
_MIME_KEY = "SCHILY.xattr.user.mime_type"


class MemberChanged(Exception):
    """A source file's size changed between planning and sending."""


@dataclass(slots=True)
class TarMember:
    """One object of a batch: its name inside the archive and where its bytes come from."""

    name: str
    size: int
    mtime: float = 0.0
    # exactly one of ``data`` (bytes in memory) or ``opener`` (e.g. a path's open)
    data: bytes | None = None
    opener: Callable[[], BinaryIO] | None = None
    meta: Sequence[tuple[str, str]] = ()
    content_type: str | None = None
    # filled while streaming
    md5: str | None = field(default=None, compare=False)

    def header(self) -> bytes:
        info = tarfile.TarInfo(self.name)
        info.size = self.size
        info.mtime = int(self.mtime)
        info.mode = 0o644
        info.type = tarfile.REGTYPE
        pax: dict[str, str] = {f"{_META_PREFIX}{k.lower()}": v for k, v in self.meta}
        if self.content_type:
            pax[_MIME_KEY] = self.content_type
        info.pax_headers = pax
        return info.tobuf(format=tarfile.PAX_FORMAT, encoding="utf-8", errors="surrogateescape")


def _padding(size: int) -> int:
    return (-size) % BLOCK


@dataclass(slots=True)
class Archive:
    """A planned archive: headers made, length known, bytes not read yet."""

    members: list[TarMember]
    headers: list[bytes]

    @classmethod
    def of(cls, members: Sequence[TarMember]) -> Archive:
        return cls(list(members), [m.header() for m in members])

    @property
    def length(self) -> int:
        pairs = zip(self.headers, self.members, strict=True)
        body = sum(len(h) + m.size + _padding(m.size) for h, m in pairs)
        return body + 2 * BLOCK  # end-of-archive marker

    def stream(self) -> Iterator[bytes]:
        """The archive's bytes; sets each member's ``md5`` once it has been sent."""
        for header, member in zip(self.headers, self.members, strict=True):
            yield header
            digest = hashlib.md5(usedforsecurity=False)
            if member.data is not None:
                if len(member.data) != member.size:
                    raise MemberChanged(member.name)
                digest.update(member.data)
                yield member.data
            elif member.size:
                assert member.opener is not None
                with member.opener() as source:
                    left = member.size
                    while left:
                        chunk = source.read(min(READ_SIZE, left))
                        if not chunk:
                            raise MemberChanged(member.name)
                        digest.update(chunk)
                        left -= len(chunk)
                        yield chunk
                    if source.read(1):
                        raise MemberChanged(member.name)
            member.md5 = digest.hexdigest()
            pad = _padding(member.size)
            if pad:
                yield bytes(pad)
        yield bytes(2 * BLOCK)
