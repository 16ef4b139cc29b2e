"""The exceptions swiftsvc raises.

::

    Exception
     ├── ClientException          an HTTP request to Swift or the identity
     │    │                       service failed (after its retries)
     │    └── AuthError           authentication failed; names the scheme and
     │                            the options used, never their secret values
     ├── SwiftError               an operation failed as a whole, or its
     │    │                       arguments were bad (python-swiftclient's name)
     │    └── OptionError         an unknown option name or a bad option value
     └── Cancelled                the work was cancelled (``Service.cancel()``,
                                  a closed result iterator, leaving ``with``),
                                  also a request cut off while in flight

``SwiftError`` and ``ClientException`` keep python-swiftclient's attributes so
code written against ``swiftclient.service`` keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from swiftsvc.http.response import Attempt


class ClientException(Exception):
    """An HTTP request failed; carries what the server said."""

    def __init__(
        self,
        msg: str,
        *,
        http_scheme: str = "",
        http_host: str = "",
        http_port: int | str = "",
        http_path: str = "",
        http_query: str = "",
        http_status: int | None = None,
        http_reason: str = "",
        http_device: str = "",
        http_response_content: bytes | str = "",
        http_response_headers: Mapping[str, str] | None = None,
        transaction_id: str | None = None,
        attempts: Sequence[Attempt] = (),
    ) -> None:
        super().__init__(msg)
        self.msg = msg
        self.http_scheme = http_scheme
        self.http_host = http_host
        self.http_port = http_port
        self.http_path = http_path
        self.http_query = http_query
        self.http_status = http_status
        self.http_reason = http_reason
        self.http_device = http_device
        self.http_response_content = http_response_content
        self.http_response_headers = dict(http_response_headers or {})
        self.transaction_id = transaction_id
        # every try of the request, oldest first (see swiftsvc.http.response)
        self.attempts = tuple(attempts)

    @property
    def reason(self) -> str:
        """The HTTP reason phrase (an alias of ``http_reason``)."""
        return self.http_reason

    def __str__(self) -> str:
        parts = [self.msg]
        if self.http_host:
            where = f"{self.http_scheme}://{self.http_host}"
            if self.http_port:
                where += f":{self.http_port}"
            where += self.http_path
            if self.http_query:
                where += "?" + self.http_query
            parts.append(f"{where}")
        if self.http_status is not None:
            parts.append(f"{self.http_status} {self.http_reason}".rstrip())
        content = self.http_response_content
        if isinstance(content, bytes):
            content = content.decode("utf-8", "replace")
        if content:
            parts.append(f"[first 60 chars of response] {content[:60]}")
        if self.transaction_id:
            parts.append(f"(txn: {self.transaction_id})")
        return " ".join(p for p in parts if p)


class AuthError(ClientException):
    """Authentication failed.

    ``scheme`` is the scheme that was tried (``"v1.0"``, ``"v2.0"``, ``"v3"``,
    ``"v3applicationcredential"``, ``"preauth"``) and ``options_used`` the
    names of the options it was built from, so that a leftover environment
    variable of another version is easy to spot.
    """

    def __init__(
        self,
        msg: str,
        *,
        scheme: str,
        options_used: Sequence[str] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(msg, **kwargs)
        self.scheme = scheme
        self.options_used = tuple(options_used)

    def __str__(self) -> str:
        used = ", ".join(self.options_used) or "none"
        return f"{super().__str__()} (auth scheme {self.scheme}; options used: {used})"


class SwiftError(Exception):
    """An operation failed as a whole (python-swiftclient's ``SwiftError``)."""

    def __init__(
        self,
        value: object,
        container: str | None = None,
        obj: str | None = None,
        segment: str | None = None,
        exc: BaseException | None = None,
        transaction_id: str | None = None,
    ) -> None:
        super().__init__(value)
        self.value = value
        self.container = container
        self.obj = obj
        self.segment = segment
        self.exception = exc
        if transaction_id is None and isinstance(exc, ClientException):
            transaction_id = exc.transaction_id
        self.transaction_id = transaction_id

    def __str__(self) -> str:
        text = str(self.value) if isinstance(self.value, str) else repr(self.value)
        if self.container is not None:
            text += f" container:{_shown(self.container)}"
        if self.obj is not None:
            text += f" object:{_shown(self.obj)}"
        if self.segment is not None:
            text += f" segment:{_shown(self.segment)}"
        return text

    def __repr__(self) -> str:
        return f"SwiftError({self!s})"


class OptionError(SwiftError, ValueError):
    """An unknown option name, or an option value of the wrong kind."""


class Cancelled(Exception):
    """The work was cancelled (``Service.cancel()``, a closed generator, fail_fast).

    Also raised by a request whose connection was cut from another thread
    because its call was cancelled: never retried, never taken for a
    network failure.
    """


def _shown(name: object) -> str:
    """``name`` as is, or its repr when it holds control characters or
    undecodable bytes: a bad name must not garble, or fail, the message
    that reports it (printing a lone surrogate raises UnicodeEncodeError)."""
    if not isinstance(name, str):
        return repr(name)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return repr(name)
    return name if name.isprintable() else repr(name)
