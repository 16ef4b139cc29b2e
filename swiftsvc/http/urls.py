"""Swift URLs: quoting names, an account's / container's / object's path, ``/info``, queries.

Pure functions: the requests of :mod:`swiftsvc.http.connection` and the
Service's ``get_endpoint`` are built on them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Literal
from urllib.parse import quote, urlsplit, urlunsplit

from swiftsvc._redact import redact_url

Query = Mapping[str, str] | Sequence[tuple[str, str]]
EndpointKind = Literal["account", "container", "object"]


def quote_container(name: str) -> str:
    return quote(name, safe="")


def quote_object(name: str) -> str:
    return quote(name, safe="/")  # pseudo-folders keep their slashes


def endpoint_path(
    storage_url: str,
    kind: EndpointKind,
    container: str | None = None,
    obj: str | None = None,
    full: bool = False,
) -> str:
    """The URL (``full``) or path of an account, container or object.

    Names are quoted with ``urllib.parse.quote`` (UTF-8); object names keep
    their ``/``. Pure: the Service's ``get_endpoint`` is built on it.
    """
    if kind not in ("account", "container", "object"):
        raise ValueError(f"kind must be account, container or object, not {kind!r}")
    if kind in ("container", "object") and not container:
        raise ValueError(f"a {kind} endpoint needs a container name")
    if kind == "object" and not obj:
        raise ValueError("an object endpoint needs an object name")
    url = storage_url.rstrip("/")
    if kind in ("container", "object"):
        assert container is not None
        url += "/" + quote_container(container)
    if kind == "object":
        assert obj is not None
        url += "/" + quote_object(obj)
    if full:
        return url
    parts = urlsplit(url)
    return parts.path or "/"


def info_url(url: str) -> str:
    """The cluster's ``/info`` URL from a storage or proxy URL.

    ``http://host/v1/AUTH_x`` gives ``http://host/info``; a path prefix in
    front of ``/v1`` (a proxy behind a router) is kept; a URL already ending
    in ``/info`` is used as given.
    """
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    if not path.endswith("/info"):
        match = re.search(r"/v1(?:\.0)?(?:/|$)", path)
        path = (path[: match.start()] if match else "") + "/info"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def query_string(query: Query | None) -> str:
    """``key=value&...``, quoted; a key with an empty value is sent bare (``?bulk-delete``)."""
    if not query:
        return ""
    pairs = query.items() if isinstance(query, Mapping) else query
    return "&".join(
        quote(str(key), safe="") + ("=" + quote(str(value), safe="") if value != "" else "")
        for key, value in pairs
    )


def logged_path(url: str) -> str:
    """The path and query of ``url`` as attempts record it (credentials redacted)."""
    parts = urlsplit(redact_url(url))
    return (parts.path or "/") + ("?" + parts.query if parts.query else "")
