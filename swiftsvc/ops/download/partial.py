"""A download killed outright is resumed by the next run, not restarted.

A download that fails in the process cleans up after itself; one killed
outright (``kill -9``, a power cut) cannot. Its bytes stay in the target's
part file (:func:`swiftsvc.ops.download.part_files.part_path`, one name per
target) and its *state file* beside it says what they are a part of: container, object,
version, kind (plain, SLO, DLO), ETag and size, written before the first
byte. The next download of that target claims the part file
(:class:`Partial`) and keeps its bytes only if the object is still that one:

- **plain object**: the bytes on disk are a prefix (written in order); the
  rest is asked for with ``Range: bytes=N-`` and ``If-Match: <ETag>``, and
  the MD5 of the whole file (prefix read back from disk, then the rest as it
  streams) must equal the ETag at the end. A mismatch (a torn write: the
  kernel lost pages the file's size claims) starts over once from byte 0.
- **large object** (SLO, DLO): the object's parts (segments) are known from
  the manifest or listing; a part counts as done only if the bytes on disk
  at its place hash to its ETag, so nothing unverified is ever kept, in
  whatever order the pieces were written. Only the other parts are fetched
  (ranged GETs with ``If-Match`` on the SLO's ETag; a DLO's listing ETag
  must equal the recorded one).

When the object changed (another ETag or size, a 412 to ``If-Match``), the
state is unreadable, or the download cannot resume (``checksum=False``: no
way to prove the old bytes), the part file is emptied and the download
starts over in it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import threading
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass

from swiftsvc.ops.download.large import Piece, plan_pieces
from swiftsvc.ops.download.local import Part
from swiftsvc.ops.download.part_files import TempTarget, part_path, remove_stale_parts

log = logging.getLogger(__name__)

# below this size a killed download is simply fetched again: a state file
# per small object would cost more than the bytes it saves
RESUME_MIN = 1 << 20
_STATE_MAX = 64 << 10


@dataclass(frozen=True, slots=True)
class Identity:
    """What a part file's bytes are a part of (its state file, as JSON)."""

    container: str
    obj: str
    version_id: str | None
    kind: str  # "plain", "slo" or "dlo"
    etag: str  # plain: the ETag header as sent; SLO/DLO: the computed ETag
    size: int

    def dumps(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True).encode()

    @classmethod
    def loads(cls, data: bytes) -> Identity | None:
        try:
            raw = json.loads(data)
            identity = cls(
                container=str(raw["container"]), obj=str(raw["obj"]),
                version_id=None if raw["version_id"] is None else str(raw["version_id"]),
                kind=str(raw["kind"]), etag=str(raw["etag"]), size=int(raw["size"]),
            )
        except (ValueError, KeyError, TypeError):
            return None  # torn or foreign: not a state this code can trust
        return identity


class Partial:
    """The part file of one target, held (locked) by this download."""

    def __init__(self, landing: TempTarget, found: Identity | None, size: int) -> None:
        self.landing = landing
        self.found = found  # what a killed run was downloading, if anything
        self.found_size = size  # bytes it left

    @classmethod
    def claim(cls, target: str) -> Partial | None:
        """The part file a killed run left for ``target``, held; None if there is none
        (or another download holds it)."""
        if not os.path.lexists(part_path(target)):
            return None
        landing = TempTarget(target, resumable=True)
        landing.open()
        if not landing.resumable:  # held by a download running now: not ours
            landing.discard()
            return None
        found = None
        with contextlib.suppress(OSError), open(landing.state_path, "rb") as state:
            found = Identity.loads(state.read(_STATE_MAX))
        return cls(landing, found, landing.size())

    @classmethod
    def fresh(cls, target: str) -> Partial:
        """A new landing for ``target``: the part file when free, else a unique name."""
        landing = TempTarget(target, resumable=True)
        landing.open()
        landing.truncate(0)
        return cls(landing, None, 0)

    def matches(self, identity: Identity) -> bool:
        return self.found == identity and self.found_size > 0

    def start(self, identity: Identity | None) -> None:
        """Start over for ``identity``: empty the file, record what it will hold.

        The state is written before any byte, so a part file whose state is
        missing or torn is never resumed. ``None`` (an answer of unknown
        length): nothing recorded, nothing a next run could resume.
        """
        self.found, self.found_size = None, 0
        if self.landing.resumable:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.landing.state_path)
        self.landing.truncate(0)
        if identity is None or not self.landing.resumable:
            return
        with open(self.landing.state_path, "wb") as state:
            state.write(identity.dumps())

    # -- plain objects -----------------------------------------------------

    def plain_offset(self, identity: Identity) -> int:
        """Where a plain object resumes (0: from the start); the file is cut there.

        At least the last byte is always asked for again: a ranged answer
        (with ``If-Match``) is what proves the object unchanged.
        """
        if not self.matches(identity) or identity.size == 0:
            return 0
        offset = min(self.found_size, identity.size - 1)
        self.landing.truncate(offset)
        return offset

    # -- large objects -----------------------------------------------------

    def verified_parts(self, identity: Identity, parts: Sequence[Part]) -> list[bool]:
        """Which parts the file already holds, each checked against its MD5 on disk."""
        done = [False] * len(parts)
        if not self.matches(identity):
            return done
        offset = 0
        for index, part in enumerate(parts):
            if part.size == 0:
                done[index] = True
            elif part.md5 is not None and offset + part.size <= self.found_size:
                digest = hashlib.md5(usedforsecurity=False)
                for data in self.landing.read_range(offset, part.size):
                    digest.update(data)
                done[index] = digest.hexdigest() == part.md5
            offset += part.size
        return done


def verified_prefix(parts: Sequence[Part], done: Sequence[bool]) -> tuple[int, int]:
    """(bytes, parts) of the leading run of done parts."""
    offset = count = 0
    for part, ok in zip(parts, done, strict=True):
        if not ok:
            break
        offset += part.size
        count += 1
    return offset, count


def remaining_pieces(
    parts: Sequence[Part], done: Sequence[bool], *, workers: int, min_size: int
) -> list[Piece]:
    """Pieces covering every part not done, each run of them split like a whole object."""
    pieces: list[Piece] = []
    offset = 0
    run_start: int | None = None
    run_offset = 0
    for index, part in enumerate([*parts, None]):
        missing = part is not None and not done[index]
        if missing and run_start is None:
            run_start, run_offset = index, offset
        if not missing and run_start is not None:
            pieces.extend(_run_pieces(parts[run_start:index], run_start, run_offset,
                                      workers=workers, min_size=min_size))
            run_start = None
        if part is not None:
            offset += part.size
    return pieces


def _run_pieces(
    run: Sequence[Part], index: int, offset: int, *, workers: int, min_size: int
) -> list[Piece]:
    size = sum(part.size for part in run)
    if size == 0:
        return []
    planned = plan_pieces(run, workers=workers, min_size=min_size) or [
        Piece(0, size - 1, tuple(run), 0)
    ]
    return [
        Piece(piece.first + offset, piece.last + offset, piece.parts, piece.index + index)
        for piece in planned
    ]


class StaleSweep:
    """Removes unique-named part files killed runs left, once per folder per call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seen: set[str] = set()

    def folder_of(self, target: str) -> None:
        folder = os.path.dirname(target) or "."
        with self._lock:
            if folder in self._seen:
                return
            self._seen.add(folder)
        for name in remove_stale_parts(folder):
            log.info("removed %s, left by a download that was killed", os.path.join(folder, name))


def plain_size(headers: Mapping[str, str]) -> int | None:
    """A plain object's whole size from a 200 or a 206 (``Content-Range: ... /total``)."""
    content_range = headers.get("content-range")
    if content_range:
        total = content_range.rpartition("/")[2].strip()
        return int(total) if total.isdigit() else None
    length = headers.get("content-length", "").strip()
    return int(length) if length.isdigit() else None
