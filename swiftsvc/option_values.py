"""Option values as users give them, coerced to what :class:`~swiftsvc.options.Options` holds.

python-swiftclient's callers pass strings from a command line as readily as
typed values (``"3"`` for a count, ``"true"`` for a flag, ``"X-A: b"`` for a
header); each function here takes the option's name (for the error) and the
raw value, and returns the typed value or raises
:class:`~swiftsvc.errors.OptionError` naming the option.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from swiftsvc.errors import OptionError

Header = tuple[str, str]

# Option values that must never be printed (logs, reprs, error messages).
SECRET_OPTIONS = frozenset(
    {"key", "os_password", "os_auth_token", "os_application_credential_secret", "sync_key"}
)

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


def describe(name: str, value: object) -> str:
    shown = "<secret>" if name in SECRET_OPTIONS else repr(value)
    return f"option {name!r} = {shown}"


def as_opt_str(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise OptionError(f"{describe(name, value)}: expected a string")
    return value


def as_str(name: str, value: object) -> str:
    if value is None:
        return ""
    return as_opt_str(name, value) or ""


_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def as_bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise OptionError(f"{describe(name, value)}: expected true or false")


def as_opt_bool(name: str, value: object) -> bool | None:
    return None if value is None else as_bool(name, value)


def as_int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool):
        raise OptionError(f"{describe(name, value)}: expected a whole number")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int):
        raise OptionError(f"{describe(name, value)}: expected a whole number")
    if value < minimum:
        raise OptionError(f"{describe(name, value)}: must be at least {minimum}")
    return value


def as_count(minimum: int) -> Callable[[str, object], int]:
    return lambda name, value: as_int(name, value, minimum=minimum)


def as_opt_count(minimum: int) -> Callable[[str, object], int | None]:
    return lambda name, value: None if value is None else as_int(name, value, minimum=minimum)


def as_opt_float(name: str, value: object) -> float | None:
    if value is None:
        return None
    return as_float(name, value)


def as_float(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise OptionError(f"{describe(name, value)}: expected a number") from None
    if number < 0:
        raise OptionError(f"{describe(name, value)}: must not be negative")
    return number


def as_auth_version(name: str, value: object) -> str | None:
    text = as_opt_str(name, value if not isinstance(value, (int, float)) else str(value))
    if text is None or text == "":
        return None
    normal = {"1": "1.0", "1.0": "1.0", "2": "2.0", "2.0": "2.0", "3": "3", "3.0": "3"}
    if text not in normal:
        raise OptionError(f"{describe(name, value)}: expected one of 1.0, 2.0, 3")
    return normal[text]


def parse_headers(name: str, value: object) -> tuple[Header, ...]:
    """``"Name:value"`` strings, ``(name, value)`` pairs or a mapping -> pairs.

    Refuses what would corrupt a request: a missing colon, a name that is not
    an HTTP token, CR/LF/NUL in a value (header injection).
    """
    if value is None:
        return ()
    items: Iterable[Any]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, str):
        items = [value]
    elif isinstance(value, Iterable):
        items = value
    else:
        raise OptionError(f"{describe(name, value)}: expected 'Name:value' strings")
    pairs: list[Header] = []
    for item in items:
        if isinstance(item, str):
            key, sep, val = item.partition(":")
            if not sep:
                raise OptionError(
                    f"option {name!r}: {item!r} is not of the form 'Name:value'"
                )
        elif isinstance(item, tuple) and len(item) == 2:
            key, val = str(item[0]), str(item[1])
        else:
            raise OptionError(f"option {name!r}: {item!r} is not of the form 'Name:value'")
        key, val = key.strip(), val.strip()
        if not _HEADER_NAME.match(key):
            raise OptionError(f"option {name!r}: {key!r} is not a valid header name")
        if any(c in val for c in "\r\n\0"):
            raise OptionError(
                f"option {name!r}: the value of {key!r} contains a line break or NUL"
            )
        pairs.append((key, val))
    return tuple(pairs)


def as_mapping(name: str, value: object) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise OptionError(f"{describe(name, value)}: expected a mapping")
    return dict(value)


def as_segment_size(name: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    return as_int(name, value, minimum=1)
