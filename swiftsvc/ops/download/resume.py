"""One download's resume: the part file it holds, and the bytes it keeps of it.

:mod:`swiftsvc.ops.download.partial` knows part files and their states; this
applies them to one object's download (:mod:`swiftsvc.ops.download.job`):
claim the part file a killed run left, ask for the rest of a plain object
(``Range`` + ``If-Match``) and accept only an answer that is the rest of that
very object, keep the parts of a large object already verified on disk, and
land in the part file (a new one recording what it will hold, for a next run
to resume) or, below :data:`~swiftsvc.ops.download.partial.RESUME_MIN`, in a
plain temporary file.
"""

from __future__ import annotations

from swiftsvc.http.response import StreamedResponse
from swiftsvc.ops.download.large import is_slo
from swiftsvc.ops.download.local import Part
from swiftsvc.ops.download.part_files import TempTarget
from swiftsvc.ops.download.partial import RESUME_MIN, Identity, Partial, StaleSweep, plain_size


class Resume:
    """The part file of one object's download, held from claim to commit."""

    def __init__(self, container: str, obj: str, version_id: str | None) -> None:
        self._container = container
        self._obj = obj
        self._version_id = version_id
        # the part file (see ops/download/partial.py), held from claim to commit
        self.partial: Partial | None = None
        self.allowed = True
        self.resumed_from = 0  # bytes kept from a killed run's part file

    def start_over(self) -> None:
        """After a resumed download failed its check: forget the kept bytes."""
        self.allowed = False
        self.resumed_from = 0
        self.release()  # a new part file from byte 0
        self.partial = None

    def release(self) -> None:
        """Remove the part file unless committed (an error, a skip, a cancel)."""
        if self.partial is not None:
            self.partial.landing.discard()

    def claim(self, target: str, stale: StaleSweep) -> None:
        """Hold the part file a killed run left for ``target``, if any (once)."""
        if self.allowed and self.partial is None:
            stale.folder_of(target)
            self.partial = Partial.claim(target)

    def identity(self, kind: str, etag: str, size: int) -> Identity:
        return Identity(self._container, self._obj, self._version_id, kind, etag, size)

    def plain_headers(self, *, checksum: bool) -> dict[str, str]:
        """Range and If-Match for the rest of a plain object a killed run began."""
        partial = self.partial
        if not self.allowed or partial is None or not checksum:
            return {}
        found = partial.found
        if found is None or found.kind != "plain" or found != self.identity(
            "plain", found.etag, found.size
        ):
            return {}
        offset = partial.plain_offset(found)
        if not offset or not found.etag:
            return {}
        self.resumed_from = offset
        return {"Range": f"bytes={offset}-", "If-Match": found.etag}

    def resumes(self, response: StreamedResponse) -> bool:
        """Whether a ranged answer is the rest of the very object the part file began."""
        assert self.partial is not None
        found = self.partial.found
        seen = response.headers
        if response.status != 206 or is_slo(seen) or "x-object-manifest" in seen:
            return False
        window = seen.get("content-range", "")
        return (
            found is not None
            and window.partition("-")[0].strip().lower() == f"bytes {self.resumed_from}"
            and found == self.identity("plain", seen.get("etag", ""),
                                       plain_size(seen) or -1)
        )

    def give_up(self) -> None:
        """The object changed since the killed run: start over from byte 0."""
        self.resumed_from = 0
        if self.partial is not None:
            self.partial.found = None

    def verified_parts(self, identity: Identity, parts: list[Part], *, landed: bool) -> list[bool]:
        """Parts of a large object already on disk and matching their MD5s."""
        partial = self.partial
        if not landed or not self.allowed or partial is None:
            return [False] * len(parts)
        done = partial.verified_parts(identity, parts)
        if any(part.size and ok for part, ok in zip(parts, done, strict=True)):
            return done
        return [False] * len(parts)

    def keep(self, kept: int, *, cut: int) -> None:
        """Resume with ``kept`` bytes from the part file, cut (or grown) to ``cut`` bytes."""
        assert self.partial is not None
        self.resumed_from = kept
        self.partial.landing.truncate(cut)

    def landing(self, target: str, identity: Identity | None) -> TempTarget:
        """Where the bytes go: the kept part file, or a new one recording ``identity``."""
        partial = self.partial
        if partial is not None and self.resumed_from:
            return partial.landing
        if partial is None and identity is not None and identity.size >= RESUME_MIN:
            partial = self.partial = Partial.fresh(target)
        if partial is None:
            landing = TempTarget(target)
            landing.open()
            return landing
        partial.start(identity)
        return partial.landing

    def land_kept(self, target: str | None, identity: Identity, *, mtime: float | None) -> None:
        """Every part was already on disk: land them without fetching a byte."""
        assert target is not None and self.partial is not None
        self.keep(identity.size, cut=identity.size)
        self.partial.landing.commit(mtime=mtime)
