"""How one request is sent: credentials, send, retry, re-authenticate.

A request is a small auth flow (httpx's idea): get credentials, send; on a
401 invalidate that token once, get fresh credentials (one auth request for
all threads) and send again; a second 401 is a failure, never a loop. Network
failures and retryable statuses are retried by the
:class:`~swiftsvc.http.retry.RetryPolicy`, honouring ``Retry-After``.

Another thread may :meth:`Requester.abort` it (the call was cancelled): the
request in flight fails at once with :class:`~swiftsvc.errors.Cancelled`,
however it is blocked (see :mod:`swiftsvc.http._inflight`), and is not
retried.
"""


from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO, Literal, Self, overload
from urllib.parse import urlsplit

import urllib3.exceptions

from swiftsvc._redact import redact_headers, redact_url
from swiftsvc.errors import Cancelled, ClientException
from swiftsvc.http import _inflight
from swiftsvc.http._body import Body
from swiftsvc.http._failures import describe, failed_attempt, retryable
from swiftsvc.http._inflight import InFlight
from swiftsvc.http._send import Sender
from swiftsvc.http._streamed import StreamedBody, close_answer, read_body
from swiftsvc.http.response import Attempt, Response, StreamedResponse
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.http.transport import Timeout, Transport
from swiftsvc.http.urls import Query, endpoint_path, logged_path, query_string

if TYPE_CHECKING:
    from swiftsvc.auth.base import Authenticator, Credentials

log = logging.getLogger(__name__)

RequestBody = bytes | BinaryIO | Iterable[bytes]

_USER_AGENT = "swiftsvc"


def _kind_name(container: str | None, obj: str | None, url: str | None) -> str:
    if url is not None:
        return "Request"
    if obj is not None:
        return "Object"
    if container is not None:
        return "Container"
    return "Account"


# ----------------------------------------------------------- connection


@dataclass(frozen=True, slots=True)
class CallPolicy:
    """How the requests of one call are sent, when its options differ from the Service's."""

    retry: RetryPolicy
    timeout: Timeout  # (connect, read) seconds; None waits forever
    force_auth_retry: bool = False


class Requester:
    """The request flow of one worker thread's connection (not to be shared
    between threads); :class:`~swiftsvc.http.connection.Connection` adds the verbs."""

    def __init__(
        self,
        authenticator: Authenticator,
        *,
        transport: Transport | None = None,
        retry: RetryPolicy | None = None,
        force_auth_retry: bool = False,
    ) -> None:
        self._authenticator = authenticator
        self._transport = transport or Transport()
        self._retry = retry or RetryPolicy()
        self._force_auth_retry = force_auth_retry
        self._sender: Sender | None = None
        timeout = self._transport.timeout
        self._in_flight = InFlight(send_timeout=timeout[1] if timeout is not None else None)
        # a view made by for_call(): the base's socket, the call's policy
        self._base: Self | None = None
        self._timeout: Timeout | Literal["own"] = "own"

    def for_call(self, policy: CallPolicy) -> Self:
        """This connection (same socket, same token, same abort switch) sending
        with one call's own retry policy and timeout; closing it leaves this one open."""
        base = self._base or self
        view = type(self)(self._authenticator, transport=self._transport, retry=policy.retry,
                          force_auth_retry=policy.force_auth_retry)
        view._base = base
        view._in_flight = base._in_flight
        view._timeout = policy.timeout
        return view

    @property
    def authenticator(self) -> Authenticator:
        return self._authenticator

    @property
    def storage_url(self) -> str:
        """The account's URL (authenticates through the shared authenticator if needed)."""
        return self._credentials().storage_url

    def _http(self) -> Sender:
        if self._base is not None:
            return self._base._http()
        if self._sender is None:
            session = self._transport.session()
            session.headers["User-Agent"] = _USER_AGENT
            # bodies are passed on byte for byte: a gzip-encoded object must
            # not be decoded (its ETag is of the stored bytes)
            session.headers["Accept-Encoding"] = "identity"
            self._sender = Sender(session, self._transport.timeout, self._in_flight)
        return self._sender

    def close(self) -> None:
        if self._base is not None:
            return  # a view: the socket is its base's
        if self._sender is not None:
            self._sender.close()
            self._sender = None

    def abort(self) -> None:
        """From any thread: fail the request in flight now, and every request
        until :meth:`resume` (a cancelled job's clean-up must not hang on the
        server that stalled it either)."""
        self._in_flight.abort()

    def cut(self) -> None:
        """From any thread: fail the request in flight now; later requests are sent."""
        self._in_flight.cut()

    def resume(self) -> None:
        """Accept requests again after :meth:`abort` (the pool calls it between jobs)."""
        self._in_flight.resume()

    def __repr__(self) -> str:
        return f"<Connection scheme={self._authenticator.scheme}>"

    # ------------------------------------------------------------ request

    @overload
    def request(
        self,
        method: str,
        container: str | None = None,
        obj: str | None = None,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        url: str | None = None,
        stream: Literal[False] = False,
        ok: Collection[int] | None = None,
        on_progress: Callable[[int], None] | None = None,
        content_length: int | None = None,
        auth: bool | None = None,
    ) -> Response: ...

    @overload
    def request(
        self,
        method: str,
        container: str | None = None,
        obj: str | None = None,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        url: str | None = None,
        stream: Literal[True],
        ok: Collection[int] | None = None,
        on_progress: Callable[[int], None] | None = None,
        content_length: int | None = None,
        auth: bool | None = None,
    ) -> StreamedResponse: ...

    @overload
    def request(
        self,
        method: str,
        container: str | None = None,
        obj: str | None = None,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        url: str | None = None,
        stream: bool,
        ok: Collection[int] | None = None,
        on_progress: Callable[[int], None] | None = None,
        content_length: int | None = None,
        auth: bool | None = None,
    ) -> Response | StreamedResponse: ...

    def request(
        self,
        method: str,
        container: str | None = None,
        obj: str | None = None,
        *,
        query: Query | None = None,
        headers: Mapping[str, str] | None = None,
        body: RequestBody | None = None,
        url: str | None = None,
        stream: bool = False,
        ok: Collection[int] | None = None,
        on_progress: Callable[[int], None] | None = None,
        content_length: int | None = None,
        auth: bool | None = None,
    ) -> Response | StreamedResponse:
        """Send a request, with retries and re-authentication; raise ClientException if not ok.

        ``url`` replaces storage URL + container + object (e.g. ``/info``);
        no token is sent with it unless ``auth=True``. Statuses in ``ok`` are
        returned (2xx always are) and never retried. ``stream=True`` returns
        a streamed response the caller must close. A ``Content-Length`` header
        is taken as ``content_length`` (the body is then sent with it, never
        chunked).
        """
        uses_auth = (url is None) if auth is None else auth
        extra: dict[str, str] = {}
        for name, value in (headers or {}).items():
            if name.lower() == "content-length":
                if content_length is None and body is not None:
                    content_length = int(value)
                continue
            extra[name] = str(value)
        payload = Body.of(body, content_length=content_length, on_progress=on_progress)
        accept = frozenset(ok or ())
        what = f"{_kind_name(container, obj, url)} {method}"
        in_flight = self._in_flight
        if not in_flight.begin():
            raise Cancelled(f"{what} not sent: cancelled")
        query_text = query_string(query)
        policy = self._retry
        reauthenticated = False
        while True:
            credentials = self._credentials() if uses_auth or url is None else None
            target = url if url is not None else _target(credentials, container, obj)
            full_url = target + ("?" + query_text if query_text else "")
            send = dict(extra)
            if uses_auth and credentials is not None:
                send["X-Auth-Token"] = credentials.token
            path = logged_path(full_url)
            if log.isEnabledFor(logging.DEBUG):
                log.debug("REQ %s %s %s", method, redact_url(full_url), redact_headers(send))
            started = time.monotonic()
            answer: urllib3.BaseHTTPResponse | None = None
            try:
                answer = self._http().send(method, full_url, send, payload.data, self._timeout)
                accepted = _accepted(answer.status, accept)
                content = b"" if stream and accepted else read_body(answer)
            except Exception as error:
                close_answer(answer)
                if in_flight.stopped:
                    raise Cancelled(f"{what} cancelled") from None
                worth_retrying = retryable(error)
                if worth_retrying is None:
                    raise  # not a network failure: a bug or a bad argument, shown as is
                attempt = failed_attempt(method, path, error, started)
                if not worth_retrying:
                    raise self._error(f"{what} failed: {describe(error)}", full_url,
                                      (*policy.history, attempt)) from None
                policy = policy.increment(attempt)
                if not payload.can_resend:
                    raise self._error(
                        f"{what} failed ({type(error).__name__}) and was not retried: the "
                        f"request body ({payload.kind}) cannot be rewound", full_url,
                        policy.history,
                    ) from None
                if policy.exhausted:
                    raise self._error(
                        f"{what} failed after {len(policy.history)} tries: {describe(error)}",
                        full_url, policy.history,
                    ) from None
                self._pause(policy, what, type(error).__name__, None, credentials)
                payload.rewind()
                continue
            elapsed = time.monotonic() - started
            response_headers = _lower_headers(answer.headers)
            status = answer.status
            attempt = Attempt(
                method, path, status, answer.reason or "", response_headers,
                response_headers.get("x-trans-id")
                or response_headers.get("x-openstack-request-id"),
                elapsed=elapsed,
            )
            log.debug("RESP %s %s -> %d %s (%.3f s, txn %s)", method, path, status,
                      attempt.reason, elapsed, attempt.transaction_id)
            if accepted:
                history = (*policy.history, attempt)
                if stream:
                    return StreamedBody(answer, response_headers, history, what, in_flight)
                return Response(status, attempt.reason, response_headers, content, history)
            note = ""
            if status == 401 and uses_auth and credentials is not None and not reauthenticated:
                # the token expired or was revoked: one fresh token, one more try
                reauthenticated = True
                self._authenticator.invalidate(credentials.token)
                policy = policy.increment(attempt, counts=False)
                if payload.can_resend:
                    payload.rewind()
                    continue
                note = f" (not retried: the request body ({payload.kind}) cannot be rewound)"
            elif status == 401 and reauthenticated:
                policy = policy.increment(attempt, counts=False)
                note = " (again, with a fresh token)"
            elif policy.should_retry(status):
                policy = policy.increment(attempt)
                if not payload.can_resend:
                    note = f" (not retried: the request body ({payload.kind}) cannot be rewound)"
                elif not policy.exhausted:
                    self._pause(policy, what, f"{status} {attempt.reason}",
                                response_headers.get("retry-after"), credentials)
                    payload.rewind()
                    continue
                else:
                    note = f" (after {len(policy.history)} tries)"
            else:
                policy = policy.increment(attempt, counts=False)
            raise self._error(f"{what} failed{note}", full_url, policy.history,
                              content=content, headers=response_headers, attempt=attempt)

    def _credentials(self) -> Credentials:
        """The shared token; an abort cuts an authentication this thread makes
        (or waits for) as well."""
        previous = _inflight.enter(self._in_flight)
        try:
            return self._authenticator.get()
        finally:
            _inflight.leave(previous)

    def _pause(self, policy: RetryPolicy, what: str, reason: str, retry_after: str | None,
               credentials: Credentials | None) -> None:
        if self._force_auth_retry and credentials is not None:
            # python-swiftclient's force_auth_retry: any failure may be a stale token
            self._authenticator.invalidate(credentials.token)
        wait = policy.wait(retry_after)
        log.info("%s: %s; retry %d of %d in %.2f s", what, reason, policy.retried,
                 policy.retries, wait)
        if not self._in_flight.sleep(wait):
            raise Cancelled(f"{what} cancelled before its retry")

    def _error(
        self,
        message: str,
        full_url: str,
        attempts: Sequence[Attempt],
        *,
        content: bytes = b"",
        headers: Mapping[str, str] | None = None,
        attempt: Attempt | None = None,
    ) -> ClientException:
        parts = urlsplit(redact_url(full_url))
        return ClientException(
            message,
            http_scheme=parts.scheme,
            http_host=parts.hostname or "",
            http_port=parts.port or "",
            http_path=parts.path,
            http_query=parts.query,
            http_status=attempt.status if attempt else None,
            http_reason=attempt.reason if attempt else "",
            http_response_content=content[:4096],
            http_response_headers=headers,
            transaction_id=attempt.transaction_id if attempt else None,
            attempts=attempts,
        )


# --------------------------------------------------------------- helpers


def _target(credentials: Credentials | None, container: str | None, obj: str | None) -> str:
    assert credentials is not None
    if obj is not None and container is None:
        raise ValueError("an object name needs a container name")
    if obj is not None:
        return endpoint_path(credentials.storage_url, "object", container, obj, full=True)
    if container is not None:
        return endpoint_path(credentials.storage_url, "container", container, full=True)
    return credentials.storage_url


def _accepted(status: int, ok: frozenset[int]) -> bool:
    return 200 <= status < 300 or status in ok


def _lower_headers(headers: Mapping[str, str]) -> dict[str, str]:
    # by name, not items(): a repeated header is one value joined with ", "
    # (urllib3's items() gives each repeat apart; requests joined them)
    return {name.lower(): headers[name] for name in headers}
