"""A JSON array written item by item, laid out as ``json.dump(items, indent=2, sort_keys=True)``.

``swift list --json`` prints its listing that way; writing as the pages
come keeps a million-entry listing out of memory.
"""

from __future__ import annotations

import json
from typing import Any, TextIO

from swiftsvc.cli.json_lines import json_safe


class JsonArray:
    """``add`` items, then ``close`` (idempotent); nothing is written for no item
    until ``close``, which then writes ``[]``, unless ``abandon`` came first."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._count = 0
        self._closed = False

    def add(self, item: Any) -> None:
        if self._closed:
            raise ValueError("the JSON array is closed")
        text = json.dumps(json_safe(item), sort_keys=True, indent=2)
        indented = "\n".join("  " + line for line in text.splitlines())
        self._stream.write(("[\n" if self._count == 0 else ",\n") + indented)
        self._count += 1

    def abandon(self) -> None:
        """Nothing was listed (the listing failed at once): write nothing at all."""
        if self._count == 0:
            self._closed = True
        else:
            self.close()

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._stream.write("\n]\n" if self._count else "[]\n")
        self._stream.flush()
