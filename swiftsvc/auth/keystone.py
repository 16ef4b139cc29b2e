"""Keystone v2.0 and v3 (password, application credential) through keystoneauth1.

The token comes from the identity service; the storage URL from its catalog,
chosen by ``os_service_type`` (default ``object-store``), ``os_endpoint_type``
(the interface, default ``public``) and ``os_region_name``, unless
``os_storage_url`` overrides it. keystoneauth1 is what python-keystoneclient
itself is built on; its sessions get the same TLS settings as storage
requests.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import requests

from swiftsvc._redact import redact_headers, scrub
from swiftsvc.auth.base import Credentials, SharedAuthenticator, TransientAuthFailure
from swiftsvc.http._causes import unreachable_cause
from swiftsvc.http.response import Attempt
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.http.transport import Transport
from swiftsvc.options import Options

if TYPE_CHECKING:
    # keystoneauth1 costs ~0.15 s to import: only Keystone users pay it, at first auth
    from keystoneauth1 import exceptions as ks_exceptions
    from keystoneauth1.identity.base import BaseIdentityPlugin

V2 = "v2.0"
V3 = "v3"
V3_APPLICATION_CREDENTIAL = "v3applicationcredential"

_VERSIONED_PATH = re.compile(r"^v\d+(\.\d+)?$")


def versioned_auth_url(auth_url: str, scheme: str) -> str:
    """``auth_url`` with ``/v3`` or ``/v2.0`` appended when it names no version.

    python-swiftclient does the same, so an ``OS_AUTH_URL`` of
    ``https://keystone:5000`` keeps working.
    """
    last = urlsplit(auth_url).path.rstrip("/").rsplit("/", 1)[-1]
    if _VERSIONED_PATH.match(last):
        return auth_url
    return auth_url.rstrip("/") + ("/v2.0" if scheme == V2 else "/v3")


def _token_url(auth_url: str, scheme: str) -> str:
    """Where keystoneauth1 posts the credentials."""
    base = versioned_auth_url(auth_url, scheme).rstrip("/")
    return base + ("/tokens" if scheme == V2 else "/auth/tokens")


def keystone_parameters(options: Options, scheme: str) -> tuple[dict[str, str], list[str]]:
    """The keystoneauth1 parameters for ``scheme`` and the option names they came from.

    Pure: mirrors python-swiftclient (``auth``/``user``/``key`` stand in for
    ``os_auth_url``/``os_username``/``os_password``; a ``tenant:user`` user
    name carries the tenant; tenant and project options are interchangeable).
    """
    params: dict[str, str] = {}
    used: list[str] = []

    def take(param: str, *names: str) -> None:
        for name in names:
            value = getattr(options, name)
            if value:
                params[param] = value
                used.append(name)
                return

    take("auth_url", "os_auth_url", "auth")
    if scheme == V3_APPLICATION_CREDENTIAL:
        take("application_credential_id", "os_application_credential_id")
        take("application_credential_secret", "os_application_credential_secret")
        return params, used
    take("username", "os_username", "user")
    take("user_id", "os_user_id")
    take("password", "os_password", "key")
    if scheme == V2:
        take("tenant_name", "os_tenant_name", "os_project_name")
        take("tenant_id", "os_tenant_id", "os_project_id")
        tenant_param = "tenant_name"
    else:
        take("user_domain_name", "os_user_domain_name")
        take("user_domain_id", "os_user_domain_id")
        take("project_name", "os_project_name", "os_tenant_name")
        take("project_id", "os_project_id", "os_tenant_id")
        take("project_domain_name", "os_project_domain_name")
        take("project_domain_id", "os_project_domain_id")
        tenant_param = "project_name"
    username = params.get("username", "")
    if ":" in username and tenant_param not in params and "tenant_id" not in params \
            and "project_id" not in params:
        params[tenant_param], params["username"] = username.split(":", 1)
    return params, used


def missing_parameters(params: dict[str, str], scheme: str) -> list[str]:
    """What keeps ``params`` from authenticating under ``scheme`` (option names)."""
    missing: list[str] = []
    if "auth_url" not in params:
        missing.append("os_auth_url")
    if scheme == V3_APPLICATION_CREDENTIAL:
        if "application_credential_id" not in params:
            missing.append("os_application_credential_id")
        if "application_credential_secret" not in params:
            missing.append("os_application_credential_secret")
        return missing
    if "username" not in params and "user_id" not in params:
        missing.append("os_username or os_user_id")
    if "password" not in params:
        missing.append("os_password")
    if scheme == V2:
        if "tenant_name" not in params and "tenant_id" not in params:
            missing.append("os_tenant_name or os_tenant_id")
        return missing
    if "project_name" not in params and "project_id" not in params:
        missing.append("os_project_name or os_project_id")
    # Keystone v3 names are unique only inside a domain
    if "username" in params and "user_id" not in params \
            and "user_domain_name" not in params and "user_domain_id" not in params:
        missing.append("os_user_domain_name or os_user_domain_id (needed with os_username)")
    if "project_name" in params and "project_id" not in params \
            and "project_domain_name" not in params and "project_domain_id" not in params:
        missing.append(
            "os_project_domain_name or os_project_domain_id (needed with os_project_name)"
        )
    return missing


def build_plugin(params: dict[str, str], scheme: str) -> BaseIdentityPlugin:
    """A fresh keystoneauth1 plugin (fresh: a re-authentication must not reuse a cache)."""
    from keystoneauth1.identity import v2, v3

    auth_url = versioned_auth_url(params["auth_url"], scheme)
    if scheme == V3_APPLICATION_CREDENTIAL:
        return v3.ApplicationCredential(
            auth_url=auth_url,
            application_credential_id=params["application_credential_id"],
            application_credential_secret=params["application_credential_secret"],
        )
    if scheme == V2:
        return v2.Password(
            auth_url,
            username=params.get("username"),
            user_id=params.get("user_id"),
            password=params["password"],
            tenant_name=params.get("tenant_name"),
            tenant_id=params.get("tenant_id"),
        )
    return v3.Password(
        auth_url=auth_url,
        username=params.get("username"),
        user_id=params.get("user_id"),
        password=params["password"],
        user_domain_name=params.get("user_domain_name"),
        user_domain_id=params.get("user_domain_id"),
        project_name=params.get("project_name"),
        project_id=params.get("project_id"),
        project_domain_name=params.get("project_domain_name"),
        project_domain_id=params.get("project_domain_id"),
    )


class KeystoneAuthenticator(SharedAuthenticator):
    """Keystone v2.0 / v3 / v3 application credential, one token per Service."""

    def __init__(
        self,
        options: Options,
        *,
        scheme: str,
        transport: Transport,
        retry: RetryPolicy,
        plugin_factory: Callable[[dict[str, str], str], BaseIdentityPlugin] = build_plugin,
    ) -> None:
        params, used = keystone_parameters(options, scheme)
        for name in ("os_service_type", "os_endpoint_type", "os_region_name", "os_storage_url"):
            if getattr(options, name):
                used.append(name)
        super().__init__(options, scheme=scheme, options_used=used, retry=retry)
        self._params = params
        self._transport = transport
        self._plugin_factory = plugin_factory
        self._service_type = options.os_service_type or "object-store"
        self._interface = (options.os_endpoint_type or "public").removesuffix("URL")
        self._region = options.os_region_name or None
        self._http: requests.Session | None = None
        if "auth_url" in params:
            self.auth_endpoint = _token_url(params["auth_url"], scheme)

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def _validate(self) -> None:
        missing = missing_parameters(self._params, self.scheme)
        if missing:
            raise self.failure(f"Keystone {self.scheme} auth needs " + "; ".join(missing))

    def _authenticate(self) -> Credentials:
        from keystoneauth1 import exceptions as ks_exceptions, session as ks_session

        if self._http is None:
            self._http = self._transport.session()
        plugin = self._plugin_factory(self._params, self.scheme)
        settings = self._transport.keystone_session_kwargs()
        # the session's verify includes a CA bundle named by the environment
        settings["verify"] = self._http.verify
        session = ks_session.Session(auth=plugin, session=self._http, **settings)
        token_path = urlsplit(_token_url(self._params["auth_url"], self.scheme)).path
        started = time.monotonic()
        try:
            access = plugin.get_access(session)
        except ks_exceptions.ClientException as error:
            raise self._classify(error, token_path, time.monotonic() - started) from None
        token = access.auth_token
        if not token:
            raise self.failure("Keystone answered without a token")
        storage_url = self._options.os_storage_url or self._catalog_url(access)
        expires = access.expires.timestamp() if access.expires is not None else None
        return Credentials(storage_url, token, expires)

    def _catalog_url(self, access: object) -> str:
        from keystoneauth1 import exceptions as ks_exceptions

        catalog = getattr(access, "service_catalog", None)
        try:
            url = catalog.url_for(  # type: ignore[union-attr]
                service_type=self._service_type,
                interface=self._interface,
                region_name=self._region,
            )
        except ks_exceptions.EndpointNotFound:
            url = None
        if not url:
            where = f"service type {self._service_type!r}, interface {self._interface!r}"
            if self._region:
                where += f", region {self._region!r}"
            raise self.failure(
                f"no storage endpoint in the Keystone catalog for {where}: check "
                "os_service_type, os_endpoint_type and os_region_name, or give os_storage_url"
            )
        return str(url)

    def _classify(
        self, error: ks_exceptions.ClientException, path: str, elapsed: float
    ) -> Exception:
        """A keystoneauth1 error as TransientAuthFailure (retry) or AuthError (give up)."""
        from keystoneauth1 import exceptions as ks_exceptions

        text = scrub(str(error), self._secrets())
        status = getattr(error, "http_status", None)
        if isinstance(error, ks_exceptions.HttpError) and status:
            headers = {k.lower(): v for k, v in (getattr(error.response, "headers", None)
                                                   or {}).items()}
            # results and errors keep this answer: never a token it may hold
            attempt = Attempt("POST", path, status, type(error).__name__,
                              redact_headers(headers), error.request_id, elapsed=elapsed)
            if status not in (401, 403) and self._retry.should_retry(status):
                return TransientAuthFailure(text, attempt, headers.get("retry-after"))
            if status == 401:
                hint = (
                    "check os_application_credential_id and _secret"
                    if self.scheme == V3_APPLICATION_CREDENTIAL
                    else "check user name/id, password, project/tenant and domains"
                )
                message = f"Keystone {self.scheme} auth refused (401 Unauthorized): {hint}"
            else:
                message = f"Keystone {self.scheme} auth failed: {text}"
            return self.failure(message, http_status=status, http_reason=type(error).__name__,
                                transaction_id=error.request_id, attempts=(attempt,))
        if isinstance(error, ks_exceptions.RetriableConnectionFailure):
            attempt = Attempt("POST", path, None, "", {}, error=type(error).__name__,
                              elapsed=elapsed)
            return TransientAuthFailure(text, attempt, unreachable=unreachable_cause(error))
        # TLS failures, discovery failures, missing plugin options: not worth retrying
        return self.failure(f"Keystone {self.scheme} auth failed: {type(error).__name__}: {text}")

    def _secrets(self) -> list[str | None]:
        return [self._params.get("password"), self._params.get("application_credential_secret")]
