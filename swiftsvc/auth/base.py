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
Until a first token was obtained, though, a refused connection or a host
name that does not resolve is reported at once with its cause: that is a
wrong URL or a service that is not there, which waiting does not cure (the
``swift`` command fails at once too). Once the service has answered, the
same errors mean a restart or an outage, and are retried.

Renewal: a token is renewed :data:`EXPIRY_MARGIN` seconds before it
expires, but never before half of the life it had when received, so a
token issued with less than the margin to live (a short ``token_life``, a
cached token near its end) is renewed once for everyone, not before every
request. A renewal that brings back the same token is not tried again
before that token actually expires (:func:`renewal_plan`).
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
from swiftsvc.errors import AuthError, Cancelled
from swiftsvc.http import _inflight
from swiftsvc.http.response import Attempt
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.options import ENVIRONMENT, Options

log = logging.getLogger(__name__)

# refresh a token this many seconds before it expires, so a request does not
# start with a token that dies in flight
EXPIRY_MARGIN = 30.0
# how often a thread waiting for another's authentication checks whether its
# own request was cancelled
_LOCK_POLL = 0.05

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
    """An auth round trip that may succeed if tried again (no answer, 5xx, 429).

    ``unreachable`` is the cause when nothing answered at all: the
    connection was refused or the host name did not resolve.
    """

    def __init__(self, message: str, attempt: Attempt, retry_after: str | None = None, *,
                 unreachable: str | None = None) -> None:
        super().__init__(message)
        self.attempt = attempt
        self.retry_after = retry_after
        self.unreachable = unreachable


@dataclass(frozen=True, slots=True)
class _Held:
    """The current credentials, and when they stop being good enough."""

    credentials: Credentials
    renew_at: float | None  # renew from then on (time.time()); None: only when refused
    dead_at: float | None  # certainly expired from then on

    @property
    def fresh(self) -> bool:
        now = time.time()
        return (self.renew_at is None or now < self.renew_at) and (
            self.dead_at is None or now < self.dead_at
        )


def renewal_plan(
    credentials: Credentials, *, obtained_at: float, previous: Credentials | None = None
) -> tuple[float | None, float | None]:
    """(renew at, dead at) for a token received at ``obtained_at`` (time.time()).

    Pure. A token is renewed ``EXPIRY_MARGIN`` before it expires, but not
    before half the life it had when received: so never more than twice per
    token life, however short. A token already expired when received (the
    clocks disagree) is used until refused. A renewal that brought back
    ``previous``'s token (a cached token near its end) is not repeated
    before that token expires: asking again would bring it back again.
    """
    expires_at = credentials.expires_at
    if expires_at is None:
        return None, None
    life = expires_at - obtained_at
    if life <= 0:
        return None, None
    if previous is not None and previous.token == credentials.token:
        return None, expires_at
    return expires_at - min(EXPIRY_MARGIN, life / 2), expires_at


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
        self._held: _Held | None = None
        self._requests = 0
        self._rounds = 0  # finished authentications, successful or not
        self._last_failure: AuthError | None = None
        self._permanent_failure: AuthError | None = None
        # once the auth service has answered, a refused connection is an
        # outage to wait out, no longer a wrong address
        self._answered_once = False
        # where the auth request goes, for error messages (set by subclasses)
        self.auth_endpoint: str | None = None

    @property
    def auth_requests(self) -> int:
        return self._requests

    def get(self) -> Credentials:
        held = self._held  # lock-free fast path: one attribute read
        if held is not None and held.fresh:
            return held.credentials
        rounds_seen = self._rounds
        self._acquire()
        try:
            held = self._held
            if held is not None and held.fresh:
                return held.credentials  # another thread authenticated while we waited
            if self._permanent_failure is not None:
                raise _replay(self._permanent_failure)
            if self._rounds != rounds_seen and self._last_failure is not None:
                # it failed while we waited: share that answer, do not ask again
                raise _replay(self._last_failure)
            self._last_failure = None
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
            obtained_at = time.time()
            if self._options.os_storage_url:
                # os_storage_url overrides the catalog (or X-Storage-Url)
                credentials = Credentials(
                    self._options.os_storage_url, credentials.token, credentials.expires_at
                )
            renew_at, dead_at = renewal_plan(
                credentials, obtained_at=obtained_at,
                previous=held.credentials if held is not None else None,
            )
            self._held = _Held(credentials, renew_at, dead_at)
            log.debug("authenticated (%s), storage URL %s, renewal in %s s", self.scheme,
                      credentials.storage_url,
                      "-" if renew_at is None else f"{renew_at - obtained_at:.1f}")
            return credentials
        finally:
            self._lock.release()

    def _acquire(self) -> None:
        """Take the lock; while another thread authenticates, give up if this
        thread's request is cancelled (that one may wait on a stalled service)."""
        while not self._lock.acquire(timeout=_LOCK_POLL):
            if _inflight.stopped_here():
                raise Cancelled("cancelled while waiting for authentication")

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._held is not None and self._held.credentials.token == token:
                log.debug("token refused; the next request re-authenticates (%s)", self.scheme)
                self._held = None

    def _authenticate_with_retries(self) -> Credentials:
        self._validate()  # missing options fail before any request is counted
        policy = self._retry
        while True:
            self._requests += 1
            try:
                return self._round_trip()
            except TransientAuthFailure as failure:
                policy = policy.increment(failure.attempt)
                if failure.attempt.status is not None:
                    self._answered_once = True  # a 5xx: the service is there
                if failure.unreachable and not self._answered_once:
                    error = self.failure(
                        f"authentication failed: {failure.unreachable} (not retried: nothing "
                        "has answered at this address yet)",
                        attempts=policy.history,
                    )
                    raise _RetriesExhausted(error) from None
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
                if not _inflight.sleep_here(wait):
                    raise Cancelled("authentication cancelled before its retry") from None

    def _round_trip(self) -> Credentials:
        """One :meth:`_authenticate`; Cancelled if this thread's request was cut meanwhile."""
        try:
            # the auth session's socket serves whichever thread authenticates
            # next: an abort of this one may cut it only while it is this one's
            with _inflight.borrowed():
                credentials = self._authenticate()
        except (TransientAuthFailure, AuthError) as error:
            if _inflight.stopped_here():
                # a cut socket is no answer of the auth service: record nothing
                raise Cancelled("authentication cancelled") from None
            if isinstance(error, AuthError) and error.http_status is not None:
                self._answered_once = True  # refused: the service is there
            raise
        self._answered_once = True
        return credentials

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
