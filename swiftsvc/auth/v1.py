"""Legacy v1.0 auth (tempauth, swauth, many hosted clusters): ``auth``, ``user``, ``key``.

``GET <auth>`` with ``X-Auth-User``/``X-Auth-Key`` answers ``X-Storage-Url``
and ``X-Auth-Token`` (or ``X-Storage-Token``).
"""

from __future__ import annotations

import time
from urllib.parse import urlsplit

import requests

from swiftsvc._redact import redact_headers, scrub
from swiftsvc.auth.base import Credentials, SharedAuthenticator, TransientAuthFailure
from swiftsvc.http._causes import network_cause, unreachable_cause
from swiftsvc.http.response import Attempt
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.http.transport import Transport
from swiftsvc.options import Options

SCHEME = "v1.0"


class V1Authenticator(SharedAuthenticator):
    """v1.0 auth; python-swiftclient's ``os_auth_url``/``os_username``/``os_password``
    stand in for ``auth``/``user``/``key`` when those are not given."""

    def __init__(
        self,
        options: Options,
        *,
        transport: Transport,
        retry: RetryPolicy,
        session: requests.Session | None = None,
    ) -> None:
        self._auth_url, auth_name = _pick(options, "auth", "os_auth_url")
        self._user, user_name = _pick(options, "user", "os_username")
        self._key, key_name = _pick(options, "key", "os_password")
        used = [name for name in (auth_name, user_name, key_name) if name]
        super().__init__(options, scheme=SCHEME, options_used=used, retry=retry)
        self._transport = transport
        self._session = session
        self.auth_endpoint = self._auth_url

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None

    def _validate(self) -> None:
        missing = [
            name
            for name, value in (("auth", self._auth_url), ("user", self._user), ("key", self._key))
            if not value
        ]
        if missing:
            raise self.failure(
                "v1.0 auth needs auth, user and key (or os_auth_url, os_username, "
                f"os_password); missing: {', '.join(missing)}"
            )

    def _authenticate(self) -> Credentials:
        assert self._auth_url and self._user and self._key
        if self._session is None:
            self._session = self._transport.session()
        path = urlsplit(self._auth_url).path or "/"
        started = time.monotonic()
        try:
            answer = self._session.get(
                self._auth_url,
                headers={"X-Auth-User": self._user, "X-Auth-Key": self._key},
                timeout=self._transport.timeout,
                allow_redirects=False,
            )
            body = answer.content
        except requests.exceptions.SSLError as error:
            # a ConnectionError subclass, but a refused certificate only repeats
            raise self.failure(f"v1.0 auth failed: TLS error: {error}") from None
        except (requests.ConnectionError, requests.Timeout) as error:
            cause = network_cause(error)
            attempt = Attempt("GET", path, None, "", {}, error=cause,
                              elapsed=time.monotonic() - started)
            raise TransientAuthFailure(cause, attempt,
                                       unreachable=unreachable_cause(error)) from None
        except requests.RequestException as error:
            raise self.failure(f"v1.0 auth request failed: {type(error).__name__}: {error}"
                               ) from None
        headers = {name.lower(): value for name, value in answer.headers.items()}
        # what results and errors keep of this answer: never the token it holds
        attempt = Attempt("GET", path, answer.status_code, answer.reason or "",
                          redact_headers(headers), headers.get("x-trans-id"),
                          elapsed=time.monotonic() - started)
        if self._retry.should_retry(answer.status_code) and answer.status_code not in (401, 403):
            raise TransientAuthFailure(f"{answer.status_code} {answer.reason}", attempt,
                                       headers.get("retry-after"))
        storage_url = headers.get("x-storage-url")
        token = headers.get("x-auth-token") or headers.get("x-storage-token")
        secrets = [token, headers.get("x-auth-token"), headers.get("x-storage-token"), self._key]
        if not 200 <= answer.status_code < 300 or not storage_url or not token:
            if answer.status_code in (401, 403):
                what = "refused: check user and key"
            elif 200 <= answer.status_code < 300:
                what = "answered without X-Storage-Url and X-Auth-Token: is auth a v1.0 URL?"
            else:
                what = "failed"
            raise self.failure(
                f"v1.0 auth {what}",
                http_status=answer.status_code,
                http_reason=answer.reason or "",
                http_response_content=_scrubbed(body, secrets),
                transaction_id=headers.get("x-trans-id"),
                attempts=(attempt,),
            )
        return Credentials(storage_url, token, _expiry(headers.get("x-auth-token-expires")))


def _scrubbed(body: bytes, secrets: list[str | None]) -> bytes:
    """The start of an auth answer's body as errors keep it, without the
    token or key should the server echo them."""
    text = body[:4096].decode("utf-8", "replace")
    return scrub(text, secrets).encode("utf-8")[:200]


def _pick(options: Options, name: str, fallback: str) -> tuple[str | None, str | None]:
    """The value of option ``name``, else of ``fallback``, and which one it was."""
    for candidate in (name, fallback):
        value = getattr(options, candidate)
        if value:
            return value, candidate
    return None, None


def _expiry(seconds: str | None) -> float | None:
    """tempauth's ``X-Auth-Token-Expires`` (seconds left) as a time.time() moment."""
    if not seconds:
        return None
    try:
        return time.time() + float(seconds)
    except ValueError:
        return None
