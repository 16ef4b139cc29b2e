"""One token for a whole Service: the shared, single-flight authenticator.

python-swiftclient authenticates once per connection, so a Service with 40
worker threads makes 40 auth requests at start and 40 more when the token
expires. Here every connection asks the one :class:`Authenticator` of its
Service; the first caller authenticates while the others wait on a lock, and
all of them get the same :class:`Credentials`. On a 401 a connection calls
:meth:`Authenticator.invalidate` with the token that failed: only if that
token is still the current one is it dropped, so twenty threads hit by the
same expiry cause one new auth request, not twenty.

A refused password is not retried: the :class:`~swiftsvc.errors.AuthError`
is remembered and raised again to every later caller without a request.
Connection errors and 5xx answers from the auth service are retried with
the Service's retry policy, then reported to every thread that was waiting.
"""

from __future__ import annotations

import abc
import logging
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from swiftsvc._redact import redact_url
from swiftsvc.errors import AuthError
from swiftsvc.http.response import Attempt
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.options import ENVIRONMENT, Options

log = logging.getLogger(__name__)

# refresh a token this many seconds before it expires, so a request does not
# start with a token that dies in flight
EXPIRY_MARGIN = 30.0

# options that pick or feed an auth scheme; TLS settings are not among them
AUTH_OPTIONS = tuple(
    name
    for name in ENVIRONMENT
    if name not in {"insecure", "os_cacert", "os_cert", "os_key"}
)


@dataclass(frozen=True, slots=True)
class Credentials:
    """Where to send requests and the token that authorises them."""

    storage_url: str
    token: str = field(repr=False)
    expires_at: float | None = None  # time.time() seconds; None when not told


class TransientAuthFailure(Exception):
    """An auth round trip that may succeed if tried again (no answer, 5xx, 429)."""

    def __init__(self, message: str, attempt: Attempt, retry_after: str | None = None) -> None:
        super().__init__(message)
        self.attempt = attempt
        self.retry_after = retry_after


class _RetriesExhausted(Exception):
    def __init__(self, error: AuthError) -> None:
        super().__init__(str(error))
        self.error = error


class Authenticator(abc.ABC):
    """What connections ask for credentials; one per Service, shared by every thread."""

    scheme: str
    options_used: tuple[str, ...]

    @abc.abstractmethod
    def get(self) -> Credentials:
        """Current credentials, authenticating first if there are none."""

    @abc.abstractmethod
    def invalidate(self, token: str) -> None:
        """Drop ``token`` (it got a 401) if it is still the current one."""

    @property
    @abc.abstractmethod
    def auth_requests(self) -> int:
        """How many auth round trips were made (for tests and benchmarks)."""

    def close(self) -> None:  # noqa: B027 - an optional hook, most have nothing to release
        """Release network resources; the authenticator stays usable."""

    def __repr__(self) -> str:
        return f"<{type(self).__name__} scheme={self.scheme} options={list(self.options_used)}>"


class SharedAuthenticator(Authenticator):
    """Single-flight token cache around :meth:`_authenticate`, one round trip.

    Subclasses implement :meth:`_authenticate`, raising
    :class:`TransientAuthFailure` for what deserves a retry and
    :class:`~swiftsvc.errors.AuthError` (built with :meth:`failure`) for
    what does not.
    """

    def __init__(
        self,
        options: Options,
        *,
        scheme: str,
        options_used: Sequence[str],
        retry: RetryPolicy,
    ) -> None:
        self.scheme = scheme
        # the options that chose the scheme count as used too
        choosers = [name for name in ("auth_version", "os_auth_type") if getattr(options, name)]
        # os_storage_url replaces the storage URL of every scheme (see get())
        overrides = ["os_storage_url"] if options.os_storage_url else []
        self.options_used = (*choosers, *options_used, *overrides)
        self._options = options
        self._retry = retry
        self._lock = threading.Lock()
        self._credentials: Credentials | None = None
        self._requests = 0
        self._rounds = 0  # finished authentications, successful or not
        self._last_failure: AuthError | None = None
        self._permanent_failure: AuthError | None = None
        # where the auth request goes, for error messages (set by subclasses)
        self.auth_endpoint: str | None = None

    @property
    def auth_requests(self) -> int:
        return self._requests

    def get(self) -> Credentials:
        current = self._credentials  # lock-free fast path: one attribute read
        if current is not None and _fresh(current):
            return current
        rounds_seen = self._rounds
        with self._lock:
            current = self._credentials
            if current is not None and _fresh(current):
                return current  # another thread authenticated while we waited
            if self._permanent_failure is not None:
                raise _replay(self._permanent_failure)
            if self._rounds != rounds_seen and self._last_failure is not None:
                # it failed while we waited: share that answer, do not ask again
                raise _replay(self._last_failure)
            try:
                credentials = self._authenticate_with_retries()
            except _RetriesExhausted as exhausted:
                # the auth service may recover: later calls may try again
                self._last_failure = exhausted.error
                raise exhausted.error from exhausted.__cause__
            except AuthError as error:
                # refused credentials or missing options: asking again cannot help
                self._last_failure = self._permanent_failure = error
                raise
            finally:
                self._rounds += 1
            self._last_failure = None
            if self._options.os_storage_url:
                # os_storage_url overrides the catalog (or X-Storage-Url)
                credentials = Credentials(
                    self._options.os_storage_url, credentials.token, credentials.expires_at
                )
            self._credentials = credentials
            log.debug("authenticated (%s), storage URL %s", self.scheme, credentials.storage_url)
            return credentials

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._credentials is not None and self._credentials.token == token:
                log.debug("token refused; the next request re-authenticates (%s)", self.scheme)
                self._credentials = None

    def _authenticate_with_retries(self) -> Credentials:
        self._validate()  # missing options fail before any request is counted
        policy = self._retry
        while True:
            self._requests += 1
            try:
                return self._authenticate()
            except TransientAuthFailure as failure:
                policy = policy.increment(failure.attempt)
                if policy.exhausted:
                    error = self.failure(
                        f"authentication failed after {len(policy.history)} tries: {failure}",
                        attempts=policy.history,
                        http_status=failure.attempt.status,
                        http_reason=failure.attempt.reason,
                    )
                    raise _RetriesExhausted(error) from failure
                wait = policy.wait(failure.retry_after)
                log.info(
                    "auth (%s) failed (%s); retry %d of %d in %.2f s",
                    self.scheme, failure, policy.retried, policy.retries, wait,
                )
                time.sleep(wait)

    def _validate(self) -> None:
        """Raise AuthError (built with :meth:`failure`) if options are missing."""

    @abc.abstractmethod
    def _authenticate(self) -> Credentials:
        """One auth round trip."""

    def failure(self, message: str, **kwargs: Any) -> AuthError:
        """An AuthError naming the scheme, the options used and where each came from."""
        return auth_error(message, self._options, scheme=self.scheme,
                          options_used=self.options_used, url=self.auth_endpoint, **kwargs)


def auth_error(
    message: str,
    options: Options,
    *,
    scheme: str,
    options_used: Sequence[str],
    url: str | None = None,
    **kwargs: Any,
) -> AuthError:
    """An AuthError whose message says where each option came from.

    ``url``, the auth endpoint, fills the ``http_*`` location fields.

    Leftover environment variables of another auth version are the classic
    cause of a failure, so the message lists the options that came from the
    environment and the auth options that were given but not used.
    """
    notes: list[str] = []
    from_environment = [
        f"{name} ({options.sources[name].removeprefix('environment ')})"
        for name in options_used
        if options.sources.get(name, "").startswith("environment")
    ]
    if from_environment:
        notes.append("from the environment: " + ", ".join(from_environment))
    ignored = [
        f"{name} ({options.sources[name]})"
        for name in AUTH_OPTIONS
        if name in options.sources and name not in options_used
        and getattr(options, name, None) not in (None, "")
    ]
    if ignored:
        notes.append("given but not used by this scheme: " + ", ".join(ignored))
    text = message + (f" [{'; '.join(notes)}]" if notes else "")
    if url:
        parts = urlsplit(redact_url(url))
        kwargs.setdefault("http_scheme", parts.scheme)
        kwargs.setdefault("http_host", parts.hostname or "")
        kwargs.setdefault("http_port", parts.port or "")
        kwargs.setdefault("http_path", parts.path)
    return AuthError(text, scheme=scheme, options_used=options_used, **kwargs)


def _replay(error: AuthError) -> AuthError:
    """A copy of ``error`` to raise again: raising one instance from many
    threads would pile every raise onto its shared traceback."""
    again = type(error).__new__(type(error))
    again.__dict__.update(error.__dict__)
    again.args = error.args
    return again


def _fresh(credentials: Credentials) -> bool:
    return credentials.expires_at is None or time.time() < credentials.expires_at - EXPIRY_MARGIN


class FailingAuthenticator(Authenticator):
    """Stands in when the options cannot authenticate at all (e.g. an unknown
    ``os_auth_type``): the Service still starts, and the first request that
    needs a token raises the error."""

    def __init__(self, error: AuthError) -> None:
        self.scheme = error.scheme
        self.options_used = error.options_used
        self._error = error

    @property
    def auth_requests(self) -> int:
        return 0

    def get(self) -> Credentials:
        raise self._error

    def invalidate(self, token: str) -> None:
        pass
