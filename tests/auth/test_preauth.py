"""Pre-authenticated: os_storage_url + os_auth_token, no auth request."""

from __future__ import annotations

import pytest

from swiftsvc.auth import build_authenticator
from swiftsvc.errors import AuthError
from swiftsvc.http import connection_factory
from swiftsvc.options import Options
from swiftsvc.testing import FaultProxy, LocalSwift


def proxied(url: str, local_swift: LocalSwift, fault_proxy: FaultProxy) -> str:
    return url.replace(local_swift.proxy_url, fault_proxy.url)


def test_preauth_makes_no_auth_request(local_swift: LocalSwift, fault_proxy: FaultProxy,
                                       swift_options: dict[str, str]) -> None:
    storage_url, token = local_swift.get_token("tester")
    # complete v1 options are there too, yet never used while the token works
    options = Options.from_service(
        {**swift_options, "auth": fault_proxy.url + "/auth/v1.0",
         "os_storage_url": proxied(storage_url, local_swift, fault_proxy),
         "os_auth_token": token}, {})
    authenticator = build_authenticator(options)
    conn = connection_factory(options, authenticator)()
    try:
        assert conn.head_account().status in (200, 204)
        assert conn.head_account().status in (200, 204)
    finally:
        conn.close()
    assert authenticator.scheme == "preauth"
    assert authenticator.auth_requests == 0
    assert fault_proxy.count(path="/auth/") == 0
    assert fault_proxy.count(method="HEAD") == 2


def test_preauth_from_the_environment(local_swift: LocalSwift) -> None:
    storage_url, token = local_swift.get_token("tester")
    options = Options.from_service(None, {"OS_STORAGE_URL": storage_url,
                                          "OS_AUTH_TOKEN": token})
    credentials = build_authenticator(options).get()
    assert (credentials.storage_url, credentials.token) == (storage_url, token)


def test_a_refused_preauth_token_without_other_credentials_is_an_auth_error(
    local_swift: LocalSwift, fault_proxy: FaultProxy
) -> None:
    storage_url = proxied(local_swift.storage_url("tester"), local_swift, fault_proxy)
    options = Options.from_service(
        {"os_storage_url": storage_url, "os_auth_token": "AUTH_tk00000000000000000000bad"}, {})
    authenticator = build_authenticator(options)
    conn = connection_factory(options, authenticator)()
    try:
        with pytest.raises(AuthError) as caught:
            conn.head_account()
    finally:
        conn.close()
    assert caught.value.scheme == "preauth"
    assert "os_auth_token" in str(caught.value)
    assert "AUTH_tk00000000000000000000bad" not in str(caught.value)
    assert fault_proxy.count(method="HEAD") == 1
