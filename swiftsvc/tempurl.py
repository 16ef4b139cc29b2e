"""Temporary URLs: signed links that open one object (or a prefix) without a token.

Swift's ``tempurl`` middleware lets anyone holding such a URL use the one
HTTP method it was signed for until it expires. The signature is an HMAC,
keyed with a secret stored in the account's or the container's metadata
(``X-Account-Meta-Temp-URL-Key``, ``...-Key-2``, and the container
equivalents), over the method, the expiry and the path::

    from swiftsvc import Service
    from swiftsvc.tempurl import generate_temp_url, temp_url_for

    # with the key at hand (no request at all)
    generate_temp_url("/v1/AUTH_test/photos/cat.jpg", 3600, key, "GET")
    # or let a Service find the storage URL and the key
    with Service(options) as svc:
        url = temp_url_for(svc, "GET", "photos", "cat.jpg", "1h")

:func:`generate_temp_url` takes python-swiftclient's
``swiftclient.utils.generate_temp_url`` arguments in the same order, so a
script can switch by changing its import. It differs where swiftclient's
result could not work: a path given percent-encoded is signed decoded (as
the server checks it), and the returned path is percent-encoded.
"""

from __future__ import annotations

import base64
import calendar
import datetime
import hashlib
import hmac
import ipaddress
import logging
import re
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from swiftsvc.errors import SwiftError

if TYPE_CHECKING:
    from swiftsvc.service import Service

__all__ = [
    "DIGESTS",
    "KEY_HEADERS",
    "expiry_timestamp",
    "generate_temp_url",
    "temp_url_for",
    "temp_url_keys",
]

log = logging.getLogger(__name__)

# what the tempurl middleware accepts (sha1 is deprecated on current clusters)
DIGESTS = ("sha1", "sha256", "sha512")

# where the middleware looks for keys, in the order temp_url_keys() prefers
# them: a container key signs only that container's objects, the narrower grant
KEY_HEADERS = (
    "x-container-meta-temp-url-key",
    "x-container-meta-temp-url-key-2",
    "x-account-meta-temp-url-key",
    "x-account-meta-temp-url-key-2",
)

STANDARD_METHODS = frozenset({"GET", "HEAD", "PUT", "POST", "DELETE"})

_METHOD = re.compile(r"^[A-Za-z]+$")
_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|min|h|hr|d)?$")
_UNIT_SECONDS = {None: 1, "s": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400}
ISO8601_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

Expiry = int | float | str | datetime.datetime


def expiry_timestamp(
    seconds: Expiry,
    *,
    absolute: bool = False,
    now: Callable[[], float] = time.time,
) -> int:
    """The Unix time at which a URL signed with ``seconds`` expires.

    ``seconds`` is a number of seconds from now (``3600``, or with a unit:
    ``"90s"``, ``"10m"``/``"10min"``, ``"2h"``/``"2hr"``, ``"7d"``), or with
    ``absolute`` a Unix timestamp; an ISO 8601 text (``2030-01-31T12:00:00Z``
    in UTC, the same without ``Z`` or a bare ``2030-01-31`` in local time) or
    a ``datetime`` (naive: local time) is always absolute. Raises ValueError
    naming the value when it is none of these, or is negative.
    """
    if isinstance(seconds, datetime.datetime):
        return int(seconds.timestamp())
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float, str)):
        raise ValueError(f"expiry must be seconds, a timestamp or ISO 8601 text, not {seconds!r}")
    if isinstance(seconds, str):
        text = seconds.strip()
        stamp = _iso8601(text)
        if stamp is not None:
            return stamp
        match = _RELATIVE.match(text)
        if match is None or (absolute and match.group(2)):
            raise ValueError(
                f"invalid expiry {seconds!r}: expected a whole number of seconds "
                "(optionally with s, m, h or d), or an ISO 8601 time such as "
                "2030-01-31T12:00:00Z"
            )
        value = float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
    else:
        value = float(seconds)
    if value < 0 or value != value:  # negative, or NaN
        raise ValueError(f"invalid expiry {seconds!r}: must not be negative")
    if absolute:
        if not value.is_integer():
            raise ValueError(f"invalid expiry {seconds!r}: a timestamp is a whole number")
        return int(value)
    return int(now() + value)


def _iso8601(text: str) -> int | None:
    """Unix time of an ISO 8601 text, or None if it is not one."""
    for layout, utc in ((ISO8601_FORMAT, True), (ISO8601_FORMAT[:-1], False), ("%Y-%m-%d", False)):
        try:
            parsed = time.strptime(text, layout)
        except ValueError:
            continue
        return calendar.timegm(parsed) if utc else int(time.mktime(parsed))
    return None


def generate_temp_url(
    path: str,
    seconds: Expiry,
    key: str | bytes,
    method: str,
    absolute: bool = False,
    prefix: bool = False,
    iso8601: bool = False,
    ip_range: str | None = None,
    digest: str = "sha256",
) -> str:
    """A temporary URL for ``path``, valid for ``method`` until ``seconds``.

    ``path`` is an object's path (``/v1/AUTH_acct/container/object``), or
    with ``prefix`` a container path plus an object-name prefix (possibly
    empty: ``/v1/AUTH_acct/container/``), which opens every object whose
    name starts with it. A full URL may be given instead of a path: the
    result is then a full URL too. ``seconds``: see :func:`expiry_timestamp`.
    ``iso8601`` writes the expiry as ``YYYY-MM-DDThh:mm:ssZ`` rather than a
    Unix time; ``ip_range`` (an address or a CIDR network) limits the clients
    that may use it; ``digest`` is ``sha256`` (default), ``sha512`` or
    ``sha1``. Raises ValueError naming what is wrong with an argument.
    """
    if isinstance(key, bytes):
        key_bytes = key
    elif isinstance(key, str):
        key_bytes = key.encode("utf-8")
    else:
        raise ValueError(f"key must be text or bytes, not {type(key).__name__}")
    if not key_bytes:
        raise ValueError("key must not be empty")
    if digest not in DIGESTS:
        raise ValueError(f"digest must be one of {', '.join(DIGESTS)}, not {digest!r}")
    if not isinstance(method, str) or not _METHOD.match(method):
        raise ValueError(f"method must be an HTTP method such as GET or PUT, not {method!r}")
    verb = method.upper()
    if verb not in STANDARD_METHODS:
        log.warning("temporary URL for the non-standard HTTP method %s", verb)
    parts = urlsplit(path)
    if parts.query or parts.fragment:
        raise ValueError(f"path must not carry a query or fragment: {path!r}")
    signed_path = unquote(parts.path)
    object_prefix = _checked_path(signed_path, prefix=prefix)
    ranges = _checked_ip_range(ip_range)
    expires = expiry_timestamp(seconds, absolute=absolute)

    lines = [verb, str(expires), ("prefix:" if prefix else "") + signed_path]
    if ranges is not None:
        lines.insert(0, f"ip={ranges}")
    mac = hmac.new(key_bytes, "\n".join(lines).encode("utf-8"), getattr(hashlib, digest))
    if digest == "sha512":
        # a sha512 hex digest would make long URLs longer still: Swift takes base64
        signature = "sha512:" + base64.urlsafe_b64encode(mac.digest()).decode("ascii").rstrip("=")
    else:
        signature = mac.hexdigest()
    shown_expiry = time.strftime(ISO8601_FORMAT, time.gmtime(expires)) if iso8601 else str(expires)
    query = f"temp_url_sig={signature}&temp_url_expires={shown_expiry}"
    if ranges is not None:
        query += f"&temp_url_ip_range={quote(ranges, safe='/:')}"
    if object_prefix is not None:
        query += f"&temp_url_prefix={quote(object_prefix, safe='/')}"
    quoted_path = quote(signed_path, safe="/")
    if parts.scheme and parts.netloc:
        return urlunsplit((parts.scheme, parts.netloc, quoted_path, query, ""))
    return f"{quoted_path}?{query}"


def _checked_path(path: str, *, prefix: bool) -> str | None:
    """The object prefix of a prefix-based path (None otherwise); ValueError if malformed."""
    pieces = path.split("/", 4)
    well_formed = len(pieces) == 5 and pieces[0] == "" and all(pieces[1:4])
    if prefix:
        if not well_formed:
            raise ValueError(
                f"a prefix-based temporary URL needs /v1/<account>/<container>/<prefix>: {path!r}"
            )
        return pieces[4]
    if not well_formed or not pieces[4]:
        raise ValueError(
            f"path must be an object's full path, e.g. /v1/AUTH_account/container/object: {path!r}"
        )
    return None


def _checked_ip_range(ip_range: str | None) -> str | None:
    if ip_range is None:
        return None
    try:
        if "/" in ip_range:
            ipaddress.ip_network(ip_range, strict=False)
        else:
            ipaddress.ip_address(ip_range)
    except ValueError:
        raise ValueError(
            f"ip_range must be an IP address or a network such as 10.0.0.0/24: {ip_range!r}"
        ) from None
    return ip_range


# ------------------------------------------------------------- with a Service


def temp_url_keys(service: Service, container: str | None = None) -> list[str]:
    """The temporary-URL keys set on ``container`` (if given), then on the account.

    Reads the metadata with ``stat`` (one HEAD each); needs the right to
    read it, which on most clusters means being an account owner. The order
    is :data:`KEY_HEADERS`'; an empty list when no key is set.
    """
    found: dict[str, str] = {}
    scopes: list[Mapping[str, object]] = []
    if container:
        scopes.append(_stat_headers(service, container))
    scopes.append(_stat_headers(service, None))
    for headers in scopes:
        for name, value in headers.items():
            if name.lower() in KEY_HEADERS and isinstance(value, str) and value:
                found[name.lower()] = value
    return [found[name] for name in KEY_HEADERS if name in found]


def _stat_headers(service: Service, container: str | None) -> Mapping[str, object]:
    result = service.stat() if container is None else service.stat(container)
    if not isinstance(result, Mapping):
        raise TypeError(f"expected one stat result, got {type(result).__name__}")
    if not result.get("success"):
        error = result.get("error")
        if isinstance(error, BaseException):
            raise error
        raise SwiftError(f"stat failed: {error}", container=container)
    headers = result.get("headers") or {}
    return headers if isinstance(headers, Mapping) else {}


def temp_url_for(
    service: Service,
    method: str,
    container: str,
    obj: str,
    seconds: Expiry,
    *,
    key: str | bytes | None = None,
    absolute: bool = False,
    prefix: bool = False,
    iso8601: bool = False,
    ip_range: str | None = None,
    digest: str = "sha256",
) -> str:
    """A full temporary URL for ``container``/``obj`` on ``service``'s cluster.

    The storage URL comes from the Service's authentication; without ``key``,
    the first of :func:`temp_url_keys` is used (SwiftError when none is set).
    With ``prefix``, ``obj`` is the object-name prefix ('' for the whole
    container). Other arguments as :func:`generate_temp_url`.
    """
    if prefix:
        url = service.get_endpoint("container", container, full=True) + "/" + quote(obj, safe="/")
    else:
        url = service.get_endpoint("object", container, obj, full=True)
    if key is None:
        keys = temp_url_keys(service, container)
        if not keys:
            raise SwiftError(
                "no temporary URL key is set on the container or the account; set one "
                "with e.g. `swiftsvc post -m Temp-URL-Key:<secret>` (account) or "
                "`swiftsvc post -m Temp-URL-Key:<secret> <container>`",
                container=container,
            )
        key = keys[0]
    return generate_temp_url(
        url, seconds, key, method, absolute=absolute, prefix=prefix,
        iso8601=iso8601, ip_range=ip_range, digest=digest,
    )  # fmt: skip
