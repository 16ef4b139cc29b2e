"""TLS and timeout settings, shared by storage connections and identity sessions.

One :class:`Transport` value is built from the options once per Service; every
``requests.Session`` (one per worker thread, plus the authenticator's) and
every keystoneauth session is configured from it, so ``os_cacert`` or
``insecure`` can never apply to some requests and not others.

requests stays the configuration: a worker's storage requests are sent
straight through the urllib3 pool its session's adapter holds (half the
client CPU of ``Session.request``; see :mod:`swiftsvc.http._send`), so the
TLS settings of that pool are requests' own.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from swiftsvc.errors import OptionError
from swiftsvc.options import Options

# urllib3 reads request bodies from files in pieces of this size; its default
# (16 KiB) costs a syscall and a Python loop per 16 KiB of a multi-GiB upload
SEND_BLOCK_SIZE = 1024 * 1024

Timeout = tuple[float, float] | None
Verify = bool | str
Cert = str | tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class Transport:
    """How to reach servers: certificate checks, client certificate, timeouts."""

    verify: Verify = True  # True, False (insecure) or a CA bundle path
    cert: Cert = None  # client certificate, or (certificate, key)
    timeout: Timeout = None  # (connect, read) seconds; None waits forever

    @classmethod
    def from_options(cls, options: Options) -> Transport:
        # a missing certificate file would otherwise surface on the first
        # request, as a network error retried with backoff
        # (``insecure`` makes os_cacert unused, so it is not checked then)
        checked = ("os_cert", "os_key") if options.insecure else ("os_cacert", "os_cert", "os_key")
        for name in checked:
            path = getattr(options, name)
            if path and not os.path.isfile(path):
                raise OptionError(f"{name}: certificate file {path!r} not found")
        verify: Verify
        if options.insecure:
            verify = False
        elif options.os_cacert:
            verify = options.os_cacert
        else:
            verify = True  # verification stays on unless asked otherwise
        cert: Cert = None
        if options.os_cert and options.os_key:
            cert = (options.os_cert, options.os_key)
        elif options.os_cert:
            cert = options.os_cert  # a PEM file holding both certificate and key
        timeout = None if options.timeout is None else (options.timeout, options.timeout)
        return cls(verify=verify, cert=cert, timeout=timeout)

    def session(self) -> requests.Session:
        """A new ``requests.Session`` configured for these settings.

        One connection per host is kept alive (each worker thread has its own
        session), and urllib3 retries nothing itself: the retry policy decides.
        """
        session = requests.Session()
        session.verify = self.verify
        session.cert = self.cert
        if not urllib.request.getproxies():
            # requests re-reads the environment for proxies on every request
            # (two scans of os.environ, a third of a small request's client
            # CPU); with no proxy configured, read what else it would take
            # from there (a CA bundle) once, now
            session.trust_env = False
            if self.verify is True:
                bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                session.verify = bundle or True
        # our own retry policy decides; urllib3 must not retry behind its back
        adapter = _Adapter(pool_connections=1, pool_maxsize=1, max_retries=0)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        return session

    def keystone_session_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for ``keystoneauth1.session.Session`` with the same TLS."""
        timeout = None if self.timeout is None else max(self.timeout)
        return {"verify": self.verify, "cert": self.cert, "timeout": timeout}


class _Adapter(HTTPAdapter):
    """An HTTPAdapter whose connections send request bodies in large blocks."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs.setdefault("blocksize", SEND_BLOCK_SIZE)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
