"""TLS and timeout settings, shared by storage connections and identity sessions.

One :class:`Transport` value is built from the options once per Service; every
``requests.Session`` (one per worker thread, plus the authenticator's) and
every keystoneauth session is configured from it, so ``os_cacert`` or
``insecure`` can never apply to some requests and not others.

requests stays the configuration: a worker's storage requests are sent
straight through the urllib3 pool its session's adapter holds (half the
client CPU of ``Session.request``; see :mod:`swiftsvc.http._send`), so the
TLS settings of that pool are requests' own. Those pools make connections
that another thread can cut (:mod:`swiftsvc.http._inflight`).

Timeouts: python-swiftclient waits forever by default (``timeout=None``),
so a server that stalls mid-body hangs a backup job for good. Here
``timeout=None`` (the default) means :data:`CONNECT_TIMEOUT` to connect and
:data:`IDLE_TIMEOUT` without a byte moving either way (an answer awaited, a
body read or a body sent); a number sets both. A timeout is a network error
like a reset: retried with backoff, ``retries`` times.
"""

from __future__ import annotations

import os
import urllib.request
from dataclasses import dataclass
from typing import Any

import requests
import urllib3.poolmanager
from requests.adapters import HTTPAdapter

from swiftsvc.errors import OptionError
from swiftsvc.http._inflight import TRACKED_POOL_CLASSES
from swiftsvc.options import Options

# urllib3 reads request bodies from files in pieces of this size; its default
# (16 KiB) costs a syscall and a Python loop per 16 KiB of a multi-GiB upload
SEND_BLOCK_SIZE = 1024 * 1024

# a TCP handshake: three SYN retransmissions (1 s, 3 s, 7 s) fit, and a
# host that is down is given up within seconds, not minutes
CONNECT_TIMEOUT = 10.0
# seconds without a byte moving. Swift's proxy gives up on a backend after
# node_timeout (10 s, up to three nodes) and on a silent client after
# client_timeout (60 s): a healthy cluster is never this quiet, a slow link
# still moves bytes (boto3 and the AWS CLI wait 60 s as well)
IDLE_TIMEOUT = 60.0

Timeout = tuple[float, float] | None
Verify = bool | str
Cert = str | tuple[str, str] | None


@dataclass(frozen=True, slots=True)
class Transport:
    """How to reach servers: certificate checks, client certificate, timeouts."""

    verify: Verify = True  # True, False (insecure) or a CA bundle path
    cert: Cert = None  # client certificate, or (certificate, key)
    # (connect, idle) seconds; None waits forever (only by explicit choice:
    # the ``timeout`` option's None means the defaults)
    timeout: Timeout = (CONNECT_TIMEOUT, IDLE_TIMEOUT)

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
        timeout: Timeout = (CONNECT_TIMEOUT, IDLE_TIMEOUT)
        if options.timeout is not None:
            timeout = (options.timeout, options.timeout)
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
    """An HTTPAdapter whose connections send request bodies in large blocks
    and can be cut from another thread (:mod:`swiftsvc.http._inflight`)."""

    def init_poolmanager(
        self, connections: int, maxsize: int, block: bool = False, **pool_kwargs: Any
    ) -> None:
        pool_kwargs.setdefault("blocksize", SEND_BLOCK_SIZE)
        super().init_poolmanager(connections, maxsize, block, **pool_kwargs)
        _use_tracked_pools(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.PoolManager:
        manager: urllib3.PoolManager = super().proxy_manager_for(proxy, **proxy_kwargs)
        _use_tracked_pools(manager)
        return manager


def _use_tracked_pools(manager: urllib3.PoolManager) -> None:
    # a SOCKS proxy manager has pools of its own kind: left as they are
    if manager.pool_classes_by_scheme is urllib3.poolmanager.pool_classes_by_scheme:
        manager.pool_classes_by_scheme = TRACKED_POOL_CLASSES
