"""Pre-authenticated: ``os_storage_url`` + ``os_auth_token``, no auth round trip.

Like python-swiftclient's ``preauthurl``/``preauthtoken``: the given token is
used until it gets a 401; then, if the options also hold a complete set of
credentials for another scheme, that scheme takes over (its storage URL is
still ``os_storage_url``); otherwise the 401 becomes an AuthError.
"""

from __future__ import annotations

import threading

from swiftsvc.auth.base import Authenticator, Credentials, auth_error
from swiftsvc.options import Options

SCHEME = "preauth"


class PreauthAuthenticator(Authenticator):
    def __init__(self, options: Options, *, fallback: Authenticator | None = None) -> None:
        assert options.os_storage_url and options.os_auth_token
        self.scheme = SCHEME
        self.options_used = ("os_storage_url", "os_auth_token")
        self._options = options
        self._given: Credentials | None = Credentials(
            options.os_storage_url, options.os_auth_token
        )
        self._fallback = fallback
        self._lock = threading.Lock()

    @property
    def fallback(self) -> Authenticator | None:
        return self._fallback

    @property
    def auth_requests(self) -> int:
        return self._fallback.auth_requests if self._fallback is not None else 0

    def get(self) -> Credentials:
        given = self._given
        if given is not None:
            return given
        if self._fallback is None:
            raise auth_error(
                "the pre-authenticated token (os_auth_token) was refused and no other "
                "credentials were given to get a new one",
                self._options,
                scheme=self.scheme,
                options_used=self.options_used,
                url=self._options.os_storage_url,
                http_status=401,
            )
        return self._fallback.get()

    def invalidate(self, token: str) -> None:
        with self._lock:
            if self._given is not None and self._given.token == token:
                self._given = None
                return
        if self._fallback is not None:
            self._fallback.invalidate(token)

    def close(self) -> None:
        if self._fallback is not None:
            self._fallback.close()
