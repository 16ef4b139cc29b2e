"""Keystone v3 (real local Keystone) and v2.0 (KeystoneV2Stub) authentication."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator

import pytest

from swiftsvc.auth import Authenticator
from swiftsvc.errors import AuthError
from swiftsvc.http import connection_factory
from swiftsvc.options import Options
from swiftsvc.testing import KeystoneV2Stub, LocalKeystone, LocalSwift

MakeAuthenticator = Callable[..., Authenticator]  # the make_authenticator fixture
pytestmark = pytest.mark.timeout(120)


def works_at_swift(authenticator: Authenticator) -> int:
    conn = connection_factory(Options(), authenticator)()
    try:
        return conn.head_account().status
    finally:
        conn.close()


def keystone_storage_url(local_swift: LocalSwift, project_id: str) -> str:
    return f"{local_swift.keystone_proxy_url}/v1/AUTH_{project_id}"


# ------------------------------------------------------------------- v3


def test_v3_with_names_and_domain_names(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone, local_swift: LocalSwift
) -> None:
    authenticator = make_authenticator(local_keystone.demo_options())
    credentials = authenticator.get()
    assert authenticator.scheme == "v3"
    assert credentials.storage_url == keystone_storage_url(
        local_swift, local_keystone.demo_ids.project_id
    )
    assert credentials.expires_at is not None
    assert works_at_swift(authenticator) in (200, 204)
    assert authenticator.auth_requests == 1


def test_v3_with_domain_ids(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone, local_swift: LocalSwift
) -> None:
    authenticator = make_authenticator(local_keystone.other_options())
    credentials = authenticator.get()
    assert credentials.storage_url == keystone_storage_url(
        local_swift, local_keystone.other_ids.project_id
    )
    assert works_at_swift(authenticator) in (200, 204)


def test_v3_with_user_id_and_project_id_chosen_without_auth_version(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone, local_swift: LocalSwift
) -> None:
    ids = local_keystone.demo_ids
    authenticator = make_authenticator(
        {
            "os_auth_url": local_keystone.url,
            "os_user_id": ids.user_id,
            "os_project_id": ids.project_id,
            "os_password": local_keystone.passwords["demo"],
        }
    )
    assert authenticator.scheme == "v3"
    assert authenticator.get().storage_url == keystone_storage_url(local_swift, ids.project_id)


def test_v3_application_credential(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone, local_swift: LocalSwift
) -> None:
    authenticator = make_authenticator(local_keystone.app_credential_options())
    assert authenticator.scheme == "v3applicationcredential"
    assert authenticator.get().storage_url == keystone_storage_url(
        local_swift, local_keystone.demo_ids.project_id
    )
    assert works_at_swift(authenticator) in (200, 204)


def test_v3_from_environment_variables_and_a_versionless_url(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone
) -> None:
    demo = local_keystone.demo_options()
    environ = {name.upper(): value for name, value in demo.items() if name.startswith("os_")}
    environ["OS_AUTH_URL"] = demo["os_auth_url"].removesuffix("/v3")
    authenticator = make_authenticator({}, environ)
    assert authenticator.scheme == "v3"
    assert authenticator.get().token


def test_v3_internal_interface_and_region(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone
) -> None:
    authenticator = make_authenticator(
        {
            **local_keystone.demo_options(),
            "os_endpoint_type": "internalURL",
            "os_region_name": "RegionOne",
        }
    )
    assert "/v1/AUTH_" in authenticator.get().storage_url


def test_no_endpoint_for_the_region_is_a_clear_error(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone
) -> None:
    authenticator = make_authenticator(
        {**local_keystone.demo_options(), "os_region_name": "Atlantis"}
    )
    with pytest.raises(AuthError) as caught:
        authenticator.get()
    assert "'Atlantis'" in str(caught.value) and "os_region_name" in str(caught.value)


def test_os_storage_url_overrides_the_catalog(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone
) -> None:
    authenticator = make_authenticator(
        {**local_keystone.demo_options(), "os_storage_url": "http://elsewhere/v1/AUTH_x"}
    )
    assert authenticator.get().storage_url == "http://elsewhere/v1/AUTH_x"


def test_a_wrong_password_fails_fast_and_is_not_asked_again(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone
) -> None:
    authenticator = make_authenticator(
        {**local_keystone.demo_options(), "os_password": "not-the-password"},
        {"OS_TENANT_NAME": "leftover"},
    )
    for _ in range(3):
        with pytest.raises(AuthError) as caught:
            authenticator.get()
    error = caught.value
    assert authenticator.auth_requests == 1
    assert error.http_status == 401 and error.scheme == "v3"
    assert "os_password" in error.options_used
    assert "os_tenant_name (environment OS_TENANT_NAME)" in str(error)  # the leftover
    assert "not-the-password" not in str(error)


def test_a_wrong_application_credential_secret(
    make_authenticator: MakeAuthenticator, local_keystone: LocalKeystone
) -> None:
    authenticator = make_authenticator(
        {**local_keystone.app_credential_options(), "os_application_credential_secret": "nope-nope"}
    )
    with pytest.raises(AuthError) as caught:
        authenticator.get()
    assert "os_application_credential_id" in str(caught.value)
    assert "nope-nope" not in str(caught.value)


def test_secrets_never_reach_the_logs(
    make_authenticator: MakeAuthenticator,
    local_keystone: LocalKeystone,
    caplog: pytest.LogCaptureFixture,
) -> None:
    demo = local_keystone.demo_options()
    appcred = local_keystone.app_credential_options()
    with caplog.at_level(logging.DEBUG):
        tokens = [make_authenticator(options).get().token for options in (demo, appcred)]
        authenticator = make_authenticator(demo)
        assert works_at_swift(authenticator) in (200, 204)
        tokens.append(authenticator.get().token)
    assert caplog.records  # DEBUG logging was on and something was logged
    for secret in (demo["os_password"], appcred["os_application_credential_secret"], *tokens):
        assert secret not in caplog.text


# ------------------------------------------------------------------ v2.0


@pytest.fixture
def v2_stub(local_swift: LocalSwift) -> Iterator[KeystoneV2Stub]:
    def issue_token(tenant: str, user: str) -> tuple[str, str]:
        return local_swift.get_token("tester")

    with KeystoneV2Stub(users={("test", "tester"): "v2-password"}, issue_token=issue_token) as stub:
        yield stub


def v2_options(stub: KeystoneV2Stub, **overrides: str) -> dict[str, str]:
    return {
        "os_auth_url": stub.url,
        "os_username": "tester",
        "os_password": "v2-password",
        "os_tenant_name": "test",
        **overrides,
    }


def test_v2_with_tenant_name(
    make_authenticator: MakeAuthenticator, v2_stub: KeystoneV2Stub, local_swift: LocalSwift
) -> None:
    authenticator = make_authenticator(v2_options(v2_stub))
    assert authenticator.scheme == "v2.0"
    assert authenticator.get().storage_url == local_swift.storage_url("tester")
    assert works_at_swift(authenticator) in (200, 204)
    assert v2_stub.token_requests == 1


def test_v2_with_tenant_id_and_a_versionless_url(
    make_authenticator: MakeAuthenticator, v2_stub: KeystoneV2Stub
) -> None:
    authenticator = make_authenticator(
        {
            "auth_version": "2.0",
            "os_auth_url": v2_stub.base_url,
            "os_username": "tester",
            "os_password": "v2-password",
            "os_tenant_id": v2_stub.tenant_id("test"),
        }
    )
    assert authenticator.get().token
    assert v2_stub.token_requests == 1


def test_v2_wrong_password(make_authenticator: MakeAuthenticator, v2_stub: KeystoneV2Stub) -> None:
    authenticator = make_authenticator(v2_options(v2_stub, os_password="bad-password"))
    for _ in range(2):
        with pytest.raises(AuthError) as caught:
            authenticator.get()
    assert caught.value.http_status == 401 and caught.value.scheme == "v2.0"
    assert v2_stub.token_requests == 1


def test_v2_twenty_threads_one_token_request(
    make_authenticator: MakeAuthenticator, v2_stub: KeystoneV2Stub
) -> None:
    authenticator = make_authenticator(v2_options(v2_stub))
    barrier = threading.Barrier(20)
    tokens: list[str] = []

    def work() -> None:
        barrier.wait()
        tokens.append(authenticator.get().token)

    threads = [threading.Thread(target=work) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(tokens) == 20 and len(set(tokens)) == 1
    assert v2_stub.token_requests == 1
