"""Keep secrets out of logs, exception messages and reprs.

Tokens, keys, passwords and application-credential secrets travel in a few
well-known headers and query parameters; everything that prints a request
goes through these helpers first, so a DEBUG log can be shared safely.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "<redacted>"

# lower-cased header names whose values are credentials
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-auth-key",
        "x-auth-token",
        "x-service-token",
        "x-storage-pass",
        "x-storage-token",
        "x-subject-token",
        "x-account-meta-temp-url-key",
        "x-account-meta-temp-url-key-2",
        "x-container-meta-temp-url-key",
        "x-container-meta-temp-url-key-2",
        "x-container-sync-key",
    }
)

# query parameters that authorise a request on their own (temporary URLs)
SECRET_QUERY = frozenset({"temp_url_sig", "signature"})


def is_secret_header(name: str) -> bool:
    return name.lower() in SECRET_HEADERS


def redact_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    """A copy of ``headers`` with credential values replaced by ``<redacted>``."""
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {name: REDACTED if is_secret_header(name) else value for name, value in items}


class SecretSafeHeaders(dict[str, str]):
    """Headers as recorded in results: a plain dict (the values are data a
    caller may read) whose repr and str show ``<redacted>`` for credentials,
    since results get printed and logged whole."""

    def __repr__(self) -> str:
        return repr(redact_headers(self))

    __str__ = __repr__


def redact_url(url: str) -> str:
    """``url`` without user info and with signature query values replaced."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rsplit('@', 1)[1]}"
    query = parts.query
    if query and any(key.lower() in SECRET_QUERY for key, _ in parse_qsl(query)):
        query = urlencode(
            [
                (key, REDACTED if key.lower() in SECRET_QUERY else value)
                for key, value in parse_qsl(query, keep_blank_values=True)
            ],
            safe="<>",
        )
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def scrub(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every occurrence of each (non-empty) secret replaced.

    For messages built from third-party exceptions, which may echo what was
    sent; the secrets are the values we know we sent.
    """
    for secret in secrets:
        if secret and len(secret) >= 4:  # shorter values would blank out ordinary words
            text = text.replace(secret, REDACTED)
    return text
