"""Choosing the auth scheme from the options given.

:func:`choose_scheme` is pure and mirrors python-swiftclient's
``process_options`` where that is sensible:

1. ``os_auth_type`` names the scheme (``v3applicationcredential``,
   ``v3password``, ``v2password``, ``v1password``; ``password`` decides nothing);
2. an explicit ``auth_version`` wins;
3. ``auth`` + ``user`` + ``key`` mean v1.0;
4. an application credential, any domain option, or a user id with a
   project id mean v3;
5. an ``os_auth_url`` ending in ``/v3`` or ``/v2.0`` names its version;
6. other Keystone options (tenant, project, ``os_username``...) mean v2.0,
   python-swiftclient's historical default.

``os_storage_url`` + ``os_auth_token`` always start pre-authenticated (no auth
request); the chosen scheme, when its options are complete, takes over if
that token is refused.
"""

from __future__ import annotations

from swiftsvc.auth.base import Authenticator, FailingAuthenticator, auth_error
from swiftsvc.auth.keystone import (
    V2,
    V3,
    V3_APPLICATION_CREDENTIAL,
    KeystoneAuthenticator,
    keystone_parameters,
    missing_parameters,
)
from swiftsvc.auth.preauth import PreauthAuthenticator
from swiftsvc.auth.v1 import SCHEME as V1, V1Authenticator
from swiftsvc.errors import AuthError
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.http.transport import Transport
from swiftsvc.options import Options

_AUTH_TYPES = {
    "v1password": V1,
    "v2password": V2,
    "v3password": V3,
    "v3applicationcredential": V3_APPLICATION_CREDENTIAL,
}
_VERSIONS = {"1.0": V1, "2.0": V2, "3": V3}
_DOMAIN_OPTIONS = (
    "os_user_domain_id", "os_user_domain_name", "os_project_domain_id", "os_project_domain_name",
)
_KEYSTONE_HINTS = (
    "os_auth_url", "os_username", "os_user_id", "os_password", "os_tenant_name",
    "os_tenant_id", "os_project_name", "os_project_id",
)


def choose_scheme(options: Options) -> str:
    """The auth scheme the options ask for: "v1.0", "v2.0", "v3" or "v3applicationcredential".

    Raises AuthError for an ``os_auth_type`` this library does not support.
    """
    def given(*names: str) -> bool:
        return any(getattr(options, name) for name in names)

    auth_type = (options.os_auth_type or "").strip().lower()
    if auth_type and auth_type != "password":
        if auth_type not in _AUTH_TYPES:
            raise auth_error(
                f"os_auth_type {options.os_auth_type!r} is not supported; use one of "
                + ", ".join(sorted([*_AUTH_TYPES, "password"])),
                options, scheme=auth_type, options_used=["os_auth_type"],
            )
        chosen = _AUTH_TYPES[auth_type]
        _refuse_conflict(options, chosen, "os_auth_type", options.os_auth_type)
        return chosen
    if options.auth_version is not None:
        version = _VERSIONS[options.auth_version]
        if version == V3 and _wants_application_credential(options):
            return V3_APPLICATION_CREDENTIAL
        _refuse_conflict(options, version, "auth_version", options.auth_version)
        return version
    if given("auth") and given("user") and given("key"):
        return V1
    if given("os_application_credential_id"):
        return V3_APPLICATION_CREDENTIAL
    if given(*_DOMAIN_OPTIONS) or (given("os_user_id") and given("os_project_id")):
        return V3
    if given(*_KEYSTONE_HINTS):
        url_version = _url_version(options.os_auth_url or options.auth or "")
        if url_version is not None:
            return url_version
        return V2
    return V1


# the auth_version each os_auth_type means
_TYPE_VERSIONS = {V1: "1.0", V2: "2.0", V3: "3", V3_APPLICATION_CREDENTIAL: "3"}


def _refuse_conflict(options: Options, scheme: str, chooser: str, value: str | None) -> None:
    """Raise AuthError naming both sides when options ask for two schemes at once.

    Guessing which one was meant could send a password to the wrong
    service; refusing sends nothing.
    """
    if chooser == "auth_version" and value == "1.0":
        return  # python-swiftclient's default, passed along by many callers: it insists on nothing
    problem = None
    if (chooser == "os_auth_type" and options.auth_version not in (None, "1.0")
            and options.auth_version != _TYPE_VERSIONS[scheme]):
        problem = (f"os_auth_type {value!r} means auth_version {_TYPE_VERSIONS[scheme]!r}, "
                   f"but auth_version {options.auth_version!r} was given")
    elif scheme in (V1, V2) and options.os_application_credential_id:
        problem = (f"os_application_credential_id is given, but {chooser} {value!r} asks for "
                   f"{scheme} auth, which has no application credentials (use v3)")
    if problem is not None:
        raise auth_error(f"conflicting auth options: {problem}", options, scheme=scheme,
                         options_used=[chooser])


def build_authenticator(
    options: Options,
    *,
    transport: Transport | None = None,
    retry: RetryPolicy | None = None,
) -> Authenticator:
    """The Service's one authenticator for ``options``.

    Never raises: missing or wrong credentials (or an unsupported
    ``os_auth_type``) are reported, as an AuthError, by the first request
    that needs a token, so a Service that only asks ``capabilities(url)`` of
    a public cluster needs no credentials.
    """
    transport = transport or Transport.from_options(options)
    retry = retry or RetryPolicy.from_options(options)
    if options.os_storage_url and options.os_auth_token:
        fallback: Authenticator | None = None
        try:
            fallback = _scheme_authenticator(options, transport, retry)
        except AuthError:
            fallback = None
        if fallback is not None and not _complete(options, fallback.scheme):
            fallback = None
        return PreauthAuthenticator(options, fallback=fallback)
    try:
        return _scheme_authenticator(options, transport, retry)
    except AuthError as error:
        return FailingAuthenticator(error)


def _scheme_authenticator(options: Options, transport: Transport, retry: RetryPolicy
                          ) -> Authenticator:
    scheme = choose_scheme(options)
    if scheme == V1:
        return V1Authenticator(options, transport=transport, retry=retry)
    return KeystoneAuthenticator(options, scheme=scheme, transport=transport, retry=retry)


def _complete(options: Options, scheme: str) -> bool:
    """Whether the options hold everything ``scheme`` needs to authenticate."""
    if scheme == V1:
        return bool((options.auth or options.os_auth_url) and (options.user or options.os_username)
                    and (options.key or options.os_password))
    params, _ = keystone_parameters(options, scheme)
    return not missing_parameters(params, scheme)


def _wants_application_credential(options: Options) -> bool:
    return bool(options.os_application_credential_id) and not (
        options.os_password or options.key
    )


def _url_version(auth_url: str) -> str | None:
    last = auth_url.rstrip("/").rsplit("/", 1)[-1]
    if last in ("v3", "v3.0"):
        return V3
    if last in ("v2.0", "v2"):
        return V2
    return None
