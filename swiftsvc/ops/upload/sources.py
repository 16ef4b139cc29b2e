"""What an upload reads from: local paths walked lazily, streams, nothing at all.

:func:`upload_items` resolves one source (what ``UploadObject.source`` may
be) into :class:`UploadItem` values, one per object to create, so the
upload code never branches on the kind of input it was given:

- a regular file (symlinks to files are followed) -> :attr:`SourceKind.FILE`;
- a directory -> walked lazily, see :func:`walk`;
- a file-like object that can seek -> :attr:`SourceKind.STREAM` (its size is
  what is left from its current position; it can be re-read for a retry);
- one that cannot seek (a pipe, a socket, a generator wrapped in a reader)
  -> :attr:`SourceKind.PIPE` (length unknown until it ends);
- None -> an empty object, or a pseudo-directory marker with ``dir_marker``.

Object names for paths are the path as given, as the ``swift`` CLI names
them: the OS separator becomes ``/`` and leading ``./`` and ``/`` are
dropped (``swift upload cont ./dir/`` creates ``dir/a/b``).
"""

from __future__ import annotations

import enum
import errno
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from swiftsvc.errors import SwiftError
from swiftsvc.objects import name_length_problem


class SourceKind(enum.Enum):
    FILE = "file"
    STREAM = "stream"
    PIPE = "pipe"
    EMPTY = "empty"
    DIR_MARKER = "dir-marker"


@dataclass(frozen=True, slots=True)
class UploadItem:
    """One object to create and where its bytes come from."""

    object_name: str
    kind: SourceKind
    path: str | None = None  # the local path (files; markers of directories)
    stream: IO[bytes] | None = None
    size: int | None = None  # bytes to send, when known before reading
    mtime: float | None = None  # the local file's or directory's mtime
    error: OSError | None = None  # the source could not be read: the item fails


def object_name_for_path(path: str) -> str:
    """The object name the ``swift`` CLI gives a local path."""
    name = path.replace(os.sep, "/") if os.sep != "/" else path
    while name.startswith("./"):
        name = name[2:]
    name = name.lstrip("/")
    return "" if name == "." else name


def upload_items(
    source: str | IO[bytes] | None,
    object_name: str,
    *,
    dir_markers: bool,
    max_name_length: int | None = None,
) -> Iterator[UploadItem]:
    """The items one source stands for; lazy for directories.

    ``object_name`` is the name for the source itself; a directory's files
    are named ``object_name/<relative path>``. A file whose object name
    cannot be created (not valid UTF-8, or longer than ``max_name_length``
    bytes, the cluster's limit) becomes an item carrying that error, so it
    fails alone and nothing is sent for it.
    """
    if source is None:
        kind = SourceKind.DIR_MARKER if dir_markers else SourceKind.EMPTY
        yield UploadItem(object_name, kind, size=0)
    elif isinstance(source, str):
        limits = _Limits(max_name_length)
        yield from _path_items(source, object_name, dir_markers=dir_markers, limits=limits)
    elif hasattr(source, "read"):
        yield stream_item(source, object_name)
    else:
        raise SwiftError(f"Unexpected source type for an upload: {type(source).__name__}")


def stream_item(stream: IO[bytes], object_name: str) -> UploadItem:
    """A seekable stream becomes STREAM with the bytes left as its size; else PIPE."""
    size = _remaining_size(stream)
    kind = SourceKind.PIPE if size is None else SourceKind.STREAM
    return UploadItem(object_name, kind, stream=stream, size=size)


def _remaining_size(stream: IO[bytes]) -> int | None:
    try:
        if not stream.seekable():
            return None
        position = stream.tell()
        end = stream.seek(0, os.SEEK_END)
        stream.seek(position)
    except (AttributeError, OSError, ValueError):
        return None
    return max(0, end - position)


def check_path(path: str) -> None:
    """Raise SwiftError now for a path that cannot be uploaded (used for eager checks).

    Readability is tried, not guessed from the mode bits: ``os.access``
    answers for the real user id, and root passes it for any file.
    """
    try:
        st = os.stat(path)
    except FileNotFoundError as error:
        raise SwiftError(f"Local file {path!r} not found", exc=error) from error
    except OSError as error:
        raise SwiftError(
            f"Local path {path!r} cannot be read: {error.strerror}", exc=error
        ) from error
    try:
        if stat.S_ISDIR(st.st_mode):
            with os.scandir(path):
                pass
        elif stat.S_ISREG(st.st_mode):
            with open(path, "rb"):
                pass
        else:
            raise SwiftError(f"Local path {path!r} is not a regular file or a directory")
    except OSError as error:
        kind = "directory" if stat.S_ISDIR(st.st_mode) else "file"
        raise SwiftError(
            f"Local {kind} {path!r} is not readable: {error.strerror}", exc=error
        ) from error


def _path_items(
    path: str, object_name: str, *, dir_markers: bool, limits: _Limits
) -> Iterator[UploadItem]:
    try:
        st = os.stat(path)  # a symlink given explicitly is followed, even to a directory
    except OSError as error:
        yield UploadItem(object_name, SourceKind.FILE, path=path, error=error)
        return
    if stat.S_ISDIR(st.st_mode):
        yield from walk(path, object_name, dir_markers=dir_markers, limits=limits)
    else:
        yield _file_item(path, object_name, st, limits)


@dataclass(frozen=True, slots=True)
class _Limits:
    """What the cluster accepts as object names (None: not known, not checked)."""

    max_name_length: int | None = None

    def error(self, name: str, path: str) -> OSError | None:
        """Why a file at ``path`` cannot become the object ``name`` (None: it can)."""
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:
            return OSError(errno.EILSEQ, "file name is not valid UTF-8, so it cannot "
                           f"be an object name ({name!r})", path)
        too_long = (None if self.max_name_length is None
                    else name_length_problem(name, self.max_name_length))
        return None if too_long is None else OSError(errno.ENAMETOOLONG, too_long, path)


def _file_item(
    path: str, object_name: str, st: os.stat_result, limits: _Limits = _Limits()
) -> UploadItem:
    if not stat.S_ISREG(st.st_mode):
        error = OSError(f"{path!r} is not a regular file (a device, FIFO or socket)")
        return UploadItem(object_name, SourceKind.FILE, path=path, error=error)
    refused = limits.error(object_name, path)
    if refused is None and not os.access(path, os.R_OK, effective_ids=_EFFECTIVE_IDS):
        # refused now, so no request is sent for a file that cannot be read
        refused = OSError(errno.EACCES, os.strerror(errno.EACCES), path)
    if refused is not None:
        return UploadItem(object_name, SourceKind.FILE, path=path, error=refused)
    return UploadItem(
        object_name, SourceKind.FILE, path=path, size=st.st_size, mtime=st.st_mtime
    )


# ask for the effective user (who opens the file) where the OS can say
_EFFECTIVE_IDS = os.access in os.supports_effective_ids


@dataclass(frozen=True, slots=True)
class _Entry:
    key: bytes  # sort key: the name's UTF-8, with "/" after directories to descend
    name: str
    path: str
    descend: bool  # True: walk into it; False: a file, or a directory's marker


def walk(
    root: str, root_name: str, *, dir_markers: bool, limits: _Limits | None = None
) -> Iterator[UploadItem]:
    """The files under ``root`` as items, lazily, in the order Swift lists their names.

    Names are ``root_name/<relative path>``. The walk is depth-first with one
    directory's entries in memory at a time (per level), sorted so that the
    object names come out in the byte order of a container listing: the
    upload can then merge the walk with one paged listing instead of a HEAD
    per object.

    Symlinks: a symlink to a file is followed (the file's content is
    uploaded under the link's name); a symlink to a directory is not
    descended into, so a link back up the tree cannot loop (the ``swift``
    CLI, using ``os.walk``, does the same). Broken links, sockets, FIFOs and
    devices yield an item carrying the error, which the upload reports as a
    failed result.

    Directories become pseudo-directory markers when ``dir_markers`` is
    set; empty directories always do (as the ``swift`` CLI makes them), or
    they would vanish from the upload.
    """
    limits = limits or _Limits()
    prefix = f"{root_name}/" if root_name else ""
    try:
        entries = _entries(root, prefix, dir_markers=dir_markers)
    except OSError as error:
        yield UploadItem(root_name, SourceKind.DIR_MARKER, path=root, error=error)
        return
    if root_name and (dir_markers or not entries):
        yield _leaf(_Entry(b"", root_name, root, descend=False), limits)
    stack = [iter(entries)]
    while stack:
        entry = next(stack[-1], None)
        if entry is None:
            stack.pop()
            continue
        if entry.descend:
            try:
                stack.append(iter(_entries(entry.path, entry.name + "/", dir_markers=dir_markers)))
            except OSError as error:
                yield UploadItem(entry.name, SourceKind.DIR_MARKER, path=entry.path, error=error)
            continue
        yield _leaf(entry, limits)


def _leaf(entry: _Entry, limits: _Limits) -> UploadItem:
    try:
        st = os.stat(entry.path)
    except OSError as error:  # a broken symlink, or gone since the directory was read
        return UploadItem(entry.name, SourceKind.FILE, path=entry.path, error=error)
    if stat.S_ISDIR(st.st_mode):
        refused = limits.error(entry.name, entry.path)
        if refused is not None:
            return UploadItem(entry.name, SourceKind.DIR_MARKER, path=entry.path, error=refused)
        return UploadItem(
            entry.name, SourceKind.DIR_MARKER, path=entry.path, size=0, mtime=st.st_mtime
        )
    return _file_item(entry.path, entry.name, st, limits)


def _entries(directory: str, prefix: str, *, dir_markers: bool) -> list[_Entry]:
    """One directory's entries, sorted by the object names they produce."""
    entries: list[_Entry] = []
    with os.scandir(directory) as scan:
        for dirent in scan:
            name = prefix + dirent.name
            if dirent.is_dir(follow_symlinks=False):
                empty = _is_empty(dirent.path)
                if dir_markers or empty:
                    entries.append(_Entry(_key(name), name, dirent.path, descend=False))
                if not empty:
                    entries.append(_Entry(_key(name + "/"), name, dirent.path, descend=True))
            elif dirent.is_symlink() and _points_to_directory(dirent.path):
                continue  # not followed: see walk()
            else:
                entries.append(_Entry(_key(name), name, dirent.path, descend=False))
    entries.sort(key=lambda e: e.key)
    return entries


def _key(name: str) -> bytes:
    return name.encode("utf-8", "surrogateescape")


def _is_empty(directory: str) -> bool:
    try:
        with os.scandir(directory) as scan:
            return next(scan, None) is None
    except OSError:
        return False  # unreadable: descend, and report the error there


def _points_to_directory(path: str) -> bool:
    try:
        return stat.S_ISDIR(os.stat(path).st_mode)
    except OSError:
        return False


def describe(source: Any) -> str:
    """A short text for a source in messages."""
    if isinstance(source, str):
        return repr(source)
    return type(source).__name__
