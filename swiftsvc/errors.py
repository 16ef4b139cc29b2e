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

``SwiftError`` and ``ClientException`` keep python-swiftclient's attributes
and the words of their ``str()`` (what the ``swift`` command prints), so code
written against ``swiftclient.service`` keeps working. They are not
subclasses of swiftclient's exceptions (swiftsvc does not depend on
python-swiftclient): code catching ``swiftclient.exceptions.ClientException``
catches ``swiftsvc.ClientException`` instead (docs/COMPAT.md).
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
        """python-swiftclient's text: ``msg: url status reason  [first 60 chars ...] (txn: ...)``.

        The response content is shown as python-swiftclient shows it (the
        repr of bytes), so the ``swift`` command prints the same line.
        """
        where = ""
        if self.http_scheme:
            where += f"{self.http_scheme}://"
        if self.http_host:
            where += self.http_host
        if self.http_port:
            where += f":{self.http_port}"
        where += self.http_path
        if self.http_query:
            where += f"?{self.http_query}"
        if self.http_status:
            where = f"{where} {self.http_status}" if where else str(self.http_status)
        if self.http_reason:
            where = f"{where} {self.http_reason}" if where else f"- {self.http_reason}"
        if self.http_device:
            where = f"{where}: device {self.http_device}" if where else \
                f"device {self.http_device}"
        content = self.http_response_content
        if content:
            if len(content) <= 60:
                where += f"   {content!s}"
            else:
                where += f"  [first 60 chars of response] {content[:60]!s}"
        txn = f" (txn: {self.transaction_id})" if self.transaction_id else ""
        return f"{self.msg}: {where}{txn}" if where else f"{self.msg}{txn}"


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
        # python-swiftclient's: the repr of the value, then where
        text = repr(self.value)
        if self.container is not None:
            text += f" container:{_shown(self.container)}"
        if self.obj is not None:
            text += f" object:{_shown(self.obj)}"
        if self.segment is not None:
            text += f" segment:{_shown(self.segment)}"
        return text

    def __repr__(self) -> str:
        return str(self)


class OptionError(SwiftError, ValueError):
    """An unknown option name, or an option value of the wrong kind.

    swiftsvc's own (python-swiftclient has none): its text is the message
    alone, without the quotes of a ``SwiftError``'s.
    """

    def __str__(self) -> str:
        return str(self.value)


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
