"""Per-object work items: what to upload, post, delete or copy, with their own options.

They check their arguments when they are built, as python-swiftclient's
``SwiftUploadObject`` & co. do, so a bad item raises at the line that made
it; their ``options`` are also checked then (an unknown option name raises
:class:`~swiftsvc.errors.OptionError`). The caller's options mapping is
copied, never modified.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, BinaryIO, TypeVar

from swiftsvc.errors import SwiftError
from swiftsvc.options import Options

_DEFAULTS = Options()


def _checked_options(options: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if options is None:
        return None
    if not isinstance(options, Mapping):
        raise SwiftError(f"options must be a mapping, not {type(options).__name__}")
    _DEFAULTS.merged(options)  # raises OptionError for unknown names / bad values
    return dict(options)


def _checked_name(object_name: object) -> str:
    if not (isinstance(object_name, str) and object_name):
        raise SwiftError("Object names must be specified as non-empty strings")
    check_name(object_name, "object")
    return object_name


def name_problem(name: str, kind: str = "object") -> str | None:
    """Why ``name`` can never be a Swift ``kind`` name (None: it can).

    Swift names are UTF-8 and refuse NUL (412). A ``str`` holding lone
    surrogates came from undecodable bytes (``os.fsdecode`` of a file name
    that is not UTF-8): it cannot be encoded at all.
    """
    if "\0" in name:
        return f"{kind} name {name!r} contains a NUL character"
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return f"{kind} name {name!r} is not valid UTF-8 (it holds undecodable bytes)"
    return None


def name_length_problem(name: str, limit: int) -> str | None:
    """Why a cluster whose ``max_object_name_length`` is ``limit`` refuses
    to create the object ``name`` (None: it does not)."""
    length = len(name.encode("utf-8", "surrogateescape"))
    if length <= limit:
        return None
    return (f"object name {name[:40]!r}... is {length} bytes long, more than the "
            f"cluster's max_object_name_length ({limit})")


def check_name(name: str, kind: str = "object") -> None:
    """Raise :class:`SwiftError` naming ``name`` when it can never be a Swift name."""
    problem = name_problem(name, kind)
    if problem is not None:
        if kind == "container":
            raise SwiftError(problem, container=name)
        raise SwiftError(problem, obj=name)


class UploadObject:
    """One upload: ``source`` is a local path, a file-like object (with
    ``read``), or None for a pseudo-directory marker; ``object_name`` is
    required unless ``source`` is a path (it then defaults to the path)."""

    __slots__ = ("object_name", "options", "source")

    def __init__(
        self,
        source: str | BinaryIO | None,
        object_name: str | None = None,
        options: Mapping[str, Any] | None = None,
    ) -> None:
        if isinstance(source, str):
            name = object_name or source
        elif source is None or hasattr(source, "read"):
            if not object_name or not isinstance(object_name, str):
                raise SwiftError(
                    "Object names must be specified as strings for uploads from None "
                    "or file like objects."
                )
            name = object_name
        else:
            raise SwiftError(f"Unexpected source type for UploadObject: {type(source)}")
        if not isinstance(name, str):
            raise SwiftError("Object names must be specified as strings")
        name = name.lstrip("/")
        if not name:
            raise SwiftError("Object names must not be empty strings")
        check_name(name, "object")
        self.source = source
        self.object_name = name
        self.options = _checked_options(options)

    def __repr__(self) -> str:
        return f"UploadObject({self.source!r}, {self.object_name!r})"


class PostObject:
    """One object post with its own ``options`` (``meta``, ``header``)."""

    __slots__ = ("object_name", "options")

    def __init__(self, object_name: str, options: Mapping[str, Any] | None = None) -> None:
        self.object_name = _checked_name(object_name)
        self.options = _checked_options(options)

    def __repr__(self) -> str:
        return f"PostObject({self.object_name!r})"


class DeleteObject:
    """One object delete with its own ``options`` (e.g. ``version_id``, ``header``)."""

    __slots__ = ("object_name", "options")

    def __init__(self, object_name: str, options: Mapping[str, Any] | None = None) -> None:
        self.object_name = _checked_name(object_name)
        self.options = _checked_options(options)

    def __repr__(self) -> str:
        return f"DeleteObject({self.object_name!r})"


class CopyObject:
    """One object copy; ``options`` may carry ``destination`` (``/cont[/obj]``;
    ``/cont`` keeps the object's name) and ``fresh_metadata``."""

    __slots__ = ("destination", "fresh_metadata", "object_name", "options")

    def __init__(self, object_name: str, options: Mapping[str, Any] | None = None) -> None:
        self.object_name = _checked_name(object_name)
        self.options = _checked_options(options)
        self.destination: str | None = None
        self.fresh_metadata = False
        if self.options is not None:
            record = _DEFAULTS.merged(self.options)
            self.destination = record.destination
            self.fresh_metadata = record.fresh_metadata
        if self.destination is not None:
            self.destination = copy_destination(self.destination, self.object_name)

    def __repr__(self) -> str:
        return f"CopyObject({self.object_name!r}, destination={self.destination!r})"


def copy_destination(destination: str, object_name: str) -> str:
    """``/cont`` or ``/cont/obj`` -> ``/cont/obj`` (``/cont`` keeps ``object_name``).

    Raises :class:`SwiftError` for any other shape.
    """
    parts = destination.split("/")
    if parts[0] or len(parts) < 2 or not parts[1]:
        raise SwiftError("destination must be in format /cont[/obj]")
    if not parts[-1]:
        raise SwiftError("destination must not end in a slash")
    check_name(parts[1], "container")
    if len(parts) == 2:
        return f"{destination}/{object_name}"
    check_name("/".join(parts[2:]), "object")
    return destination


# python-swiftclient's names
SwiftUploadObject = UploadObject
SwiftPostObject = PostObject
SwiftDeleteObject = DeleteObject
SwiftCopyObject = CopyObject

T = TypeVar("T", PostObject, DeleteObject, CopyObject)


def _check_iterable(objects: object, operation: str) -> None:
    if isinstance(objects, (str, bytes)) or not isinstance(objects, Iterable):
        raise SwiftError(
            f"The {operation} operation takes a list of object names, "
            f"not {type(objects).__name__}"
        )


def iter_named(objects: Iterable[str | T], kind: type[T], *, operation: str) -> Iterator[T]:
    """``objects`` (names or ``kind`` items) as ``kind`` items.

    A list or tuple is checked completely now, so a bad item raises at the
    call; any other iterable (a generator fed by a listing, say) is checked
    item by item as it is consumed, keeping memory flat.
    """
    _check_iterable(objects, operation)
    if isinstance(objects, Sequence):
        return iter([_as_kind(item, kind, operation) for item in objects])
    return (_as_kind(item, kind, operation) for item in objects)


def iter_names(objects: Iterable[str], *, operation: str) -> Iterator[str]:
    """``objects`` as checked object names (a list now, a generator as it is consumed)."""
    _check_iterable(objects, operation)
    if isinstance(objects, Sequence):
        return iter([_checked_name(item) for item in objects])
    return (_checked_name(item) for item in objects)


def _as_kind(item: object, kind: type[T], operation: str) -> T:
    if isinstance(item, kind):
        return item
    if isinstance(item, str):
        return kind(item)
    raise SwiftError(
        f"The {operation} operation takes only strings or {kind.__name__} objects as input",
        obj=repr(item),
    )
