"""``--json``: one JSON line per result, credentials redacted.

Owns what makes a result JSON-safe (exceptions as text, contents left out)
and the header names, stat labels and options whose values never print.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

from swiftsvc.options import SECRET_OPTIONS

# header names (lower case) and stat labels whose values are credentials
_SECRET_HEADERS = frozenset(
    {
        "x-auth-token",
        "x-storage-token",
        "x-subject-token",
        "x-service-token",
        "authorization",
        "x-container-sync-key",
        "x-account-meta-temp-url-key",
        "x-account-meta-temp-url-key-2",
        "x-container-meta-temp-url-key",
        "x-container-meta-temp-url-key-2",
    }
)
_SECRET_LABELS = frozenset(
    {"auth token", "sync key", "meta temp-url-key", "meta temp-url-key-2", "token"}
)
_SECRET_KEYS = _SECRET_HEADERS | _SECRET_LABELS | SECRET_OPTIONS
REDACTED = "<redacted>"
_OMIT = object()


def json_safe(value: Any) -> Any:
    """``value`` made JSON-serialisable, for ``--json``.

    Exceptions become their text, tuples and sets lists, bytes and iterators
    (a download's ``contents``) are left out, and the values of credential
    headers, labels and options are replaced by ``<redacted>``.
    """
    converted = _convert(value)
    return None if converted is _OMIT else converted


def _convert(value: Any) -> Any:
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if isinstance(value, BaseException):
        return str(value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if name.lower() in _SECRET_KEYS and item not in (None, ""):
                out[name] = REDACTED
                continue
            converted = _convert(item)
            if converted is not _OMIT:
                out[name] = converted
        return out
    if (
        isinstance(value, tuple)
        and len(value) == 2
        and isinstance(value[0], str)
        and value[0].lower() in _SECRET_KEYS
        and value[1] not in (None, "")
    ):
        return [value[0], REDACTED]  # a (label, value) pair of stat items
    if isinstance(value, (list, tuple, set, frozenset)):
        items = (_convert(item) for item in value)
        return [item for item in items if item is not _OMIT]
    return _OMIT  # bytes, iterators of contents, anything else opaque


def json_line(result: Mapping[str, Any]) -> str:
    return json.dumps(json_safe(result), sort_keys=True)
