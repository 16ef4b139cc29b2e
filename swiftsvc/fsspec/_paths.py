"""Paths of the ``swift://`` filesystem: ``container/pseudo/folders/object`` (pure).

The account is the root (``""``), a container is a top-level folder, and
an object name's ``/`` make pseudo-folders, as Swift's listings with
``delimiter="/"`` show them.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

PROTOCOL = "swift"


@dataclass(frozen=True, slots=True)
class SwiftPath:
    """A path split into its container and object name (either may be empty)."""

    container: str
    key: str

    @property
    def is_root(self) -> bool:
        return not self.container

    @property
    def is_container(self) -> bool:
        return bool(self.container) and not self.key

    @property
    def full(self) -> str:
        return f"{self.container}/{self.key}" if self.key else self.container

    @property
    def folder_prefix(self) -> str:
        """The listing prefix of what lies under this path as a pseudo-folder."""
        return f"{self.key}/" if self.key else ""


def strip_protocol(path: str) -> str:
    """``swift://c/a/b/`` -> ``c/a/b``; also accepts ``swift::`` chains and bare paths."""
    for head in (f"{PROTOCOL}://", f"{PROTOCOL}::"):
        if path.startswith(head):
            path = path[len(head):]
            break
    return path.strip("/")


def split(path: str) -> SwiftPath:
    """A stripped path's container and object name."""
    stripped = strip_protocol(path)
    container, _, key = stripped.partition("/")
    return SwiftPath(container, key)


def join(container: str, key: str) -> str:
    return f"{container}/{key}" if key else container


def parent(path: str) -> str:
    stripped = strip_protocol(path)
    return posixpath.dirname(stripped)


def folders_of(key: str, below: str) -> list[str]:
    """The pseudo-folders between ``below`` (a folder prefix, ``""`` or ending
    in ``/``) and the object name ``key``: ``folders_of("a/b/c/x", "a/")`` is
    ``["a/b", "a/b/c"]``."""
    rest = key[len(below):].split("/")[:-1]
    folders = []
    current = below.rstrip("/")
    for part in rest:
        current = f"{current}/{part}" if current else part
        folders.append(current)
    return folders
