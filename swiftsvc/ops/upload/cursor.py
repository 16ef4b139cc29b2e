"""One paged container listing merged with a sorted stream of names.

python-swiftclient HEADs every object before uploading it. An upload of a
directory asks the same questions of the whole directory instead, with one
listing page per 10000 objects: :class:`ListingCursor` answers "is this name
listed, and with what size, hash and type?" for names asked in increasing
order (the order :func:`swiftsvc.ops.upload.sources.walk` produces them), holding one
page in memory. Names asked out of order are still answered correctly, at
the cost of another request.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Mapping
from typing import Any

Page = list[dict[str, Any]]


def marker_before(name: str) -> str:
    """A listing marker after which the first name listed is ``name`` or greater.

    ``name[:-1]`` would list everything that extends it (``dir/a...`` before
    ``dir/b``); decrementing the last character and appending the largest
    code point skips them, except names that themselves contain U+10FFFF.
    """
    last = ord(name[-1]) if name else 0
    if last == 0 or 0xD800 <= last - 1 <= 0xDFFF:
        return name[:-1]
    return name[:-1] + chr(last - 1) + "\U0010ffff"


class ListingCursor:
    """Listing entries by name, for names asked in (mostly) increasing order.

    ``fetch(marker)`` returns the next page of the listing after ``marker``
    (the caller binds container and prefix). ``page_limit`` is the cluster's
    page size when known: a shorter page is then the last one; without it
    only an empty page is.
    """

    def __init__(self, fetch: Callable[[str], Page], *, page_limit: int | None = None) -> None:
        self._fetch = fetch
        self._page_limit = page_limit
        self._marker: str | None = None  # None: nothing loaded yet
        self._names: list[str] = []
        self._entries: Page = []
        self._complete = False
        self.requests = 0

    def lookup(self, name: str) -> Mapping[str, Any] | None:
        """The listing entry called ``name``, or None when it is not listed."""
        while not self._covers(name):
            self._load(self._next_marker(name))
        index = bisect.bisect_left(self._names, name)
        if index < len(self._names) and self._names[index] == name:
            return self._entries[index]
        return None

    def _covers(self, name: str) -> bool:
        if self._marker is None or not self._marker < name:
            return False
        return self._complete or (bool(self._names) and name <= self._names[-1])

    def _next_marker(self, name: str) -> str:
        jump = marker_before(name)
        if self._marker is not None and self._marker < name and self._names:
            # continue the paging when that is further on: always progress
            return max(jump, self._names[-1])
        return jump

    def _load(self, marker: str) -> None:
        page = self._fetch(marker)
        self.requests += 1
        self._marker = marker
        self._entries = page
        self._names = [str(entry.get("name", entry.get("subdir", ""))) for entry in page]
        self._complete = not page or (
            self._page_limit is not None and len(page) < self._page_limit
        )
