"""Which auth scheme the options ask for (pure), and env-variable fallbacks."""

from __future__ import annotations

from typing import Any

import pytest

from swiftsvc.auth import build_authenticator, choose_scheme
from swiftsvc.auth.keystone import keystone_parameters, missing_parameters, versioned_auth_url
from swiftsvc.auth.preauth import PreauthAuthenticator
from swiftsvc.errors import AuthError
from swiftsvc.options import Options

V1 = {"auth": "http://s/auth/v1.0", "user": "a:b", "key": "k"}
KS = {"os_auth_url": "http://ks:5000", "os_username": "u", "os_password": "p"}


def scheme(**options: Any) -> str:
    return choose_scheme(Options().merged(options))


def test_explicit_auth_version_wins() -> None:
    assert scheme(auth_version="1.0", **KS, os_project_domain_name="d") == "v1.0"
    assert scheme(auth_version="2", **V1) == "v2.0"
    assert scheme(auth_version="3.0", **V1) == "v3"


def test_auth_user_key_mean_v1() -> None:
    assert scheme(**V1) == "v1.0"
    # leftover keystone variables do not change a complete v1 set
    assert scheme(**V1, os_tenant_name="t") == "v1.0"


def test_domain_options_mean_v3() -> None:
    for domain in ("os_user_domain_name", "os_user_domain_id", "os_project_domain_name",
                   "os_project_domain_id"):
        assert scheme(**KS, os_project_name="p", **{domain: "x"}) == "v3"


def test_user_id_with_project_id_means_v3() -> None:
    assert scheme(os_auth_url="http://ks", os_user_id="uid", os_project_id="pid",
                  os_password="p") == "v3"


def test_application_credentials_mean_v3applicationcredential() -> None:
    assert scheme(os_auth_url="http://ks/v3", os_application_credential_id="i",
                  os_application_credential_secret="s") == "v3applicationcredential"
    assert scheme(auth_version="3", os_auth_url="http://ks/v3",
                  os_application_credential_id="i",
                  os_application_credential_secret="s") == "v3applicationcredential"


@pytest.mark.parametrize(
    ("auth_type", "expected"),
    [("v3applicationcredential", "v3applicationcredential"), ("v3password", "v3"),
     ("v2password", "v2.0"), ("v1password", "v1.0")],
)
def test_os_auth_type_names_the_scheme(auth_type: str, expected: str) -> None:
    assert scheme(os_auth_type=auth_type, auth_version="1.0", **V1) == expected


def test_tenant_options_mean_v2() -> None:
    assert scheme(**KS, os_tenant_name="t") == "v2.0"
    assert scheme(**KS, os_tenant_id="t") == "v2.0"


def test_the_auth_url_version_decides_when_nothing_else_does() -> None:
    assert scheme(**{**KS, "os_auth_url": "http://ks:5000/v3"}, os_project_name="p") == "v3"
    assert scheme(**{**KS, "os_auth_url": "http://ks:5000/v2.0/"}) == "v2.0"
    assert scheme(**KS) == "v2.0"  # python-swiftclient's historical default


def test_nothing_given_is_v1() -> None:
    assert scheme() == "v1.0"


def test_an_unsupported_auth_type_fails_at_the_first_request_naming_it() -> None:
    with pytest.raises(AuthError) as caught:
        scheme(os_auth_type="v3oidc")
    assert "v3oidc" in str(caught.value)
    authenticator = build_authenticator(Options().merged({"os_auth_type": "v3oidc"}))
    with pytest.raises(AuthError):
        authenticator.get()


@pytest.mark.parametrize(
    ("options", "named"),
    [
        ({"os_auth_type": "v3password", "auth_version": "2.0", **KS},
         ["os_auth_type", "auth_version"]),
        ({"os_auth_type": "v1password", "auth_version": "3", **V1},
         ["os_auth_type", "auth_version"]),
        ({"auth_version": "2.0", "os_application_credential_id": "ac",
          "os_application_credential_secret": "s", **KS}, ["os_application_credential_id", "2.0"]),
        ({"os_auth_type": "v2password", "os_application_credential_id": "ac", **KS},
         ["os_application_credential_id", "v2password"]),
    ],
    ids=["type-v3-version-2", "type-v1-version-3", "app-credential-with-v2",
         "app-credential-v2-type"],
)
def test_conflicting_auth_options_are_refused_naming_both(
    options: dict[str, str], named: list[str]
) -> None:
    with pytest.raises(AuthError, match="conflicting auth options") as caught:
        scheme(**options)
    for text in named:
        assert text in str(caught.value)
    # the Service's authenticator fails the same way at its first use, with no request
    authenticator = build_authenticator(Options().merged(options))
    with pytest.raises(AuthError, match="conflicting auth options"):
        authenticator.get()
    assert authenticator.auth_requests == 0


def test_agreeing_auth_options_are_no_conflict() -> None:
    assert scheme(os_auth_type="v3password", auth_version="3", **KS) == "v3"
    assert scheme(os_auth_type="v3applicationcredential", auth_version="3",
                  os_application_credential_id="ac", os_application_credential_secret="s",
                  **KS) == "v3applicationcredential"
    assert scheme(os_auth_type="v1password", auth_version="1.0", **V1) == "v1.0"


def test_storage_url_and_token_start_preauthenticated_with_a_fallback() -> None:
    options = Options().merged({"os_storage_url": "http://s/v1/AUTH_t", "os_auth_token": "tk",
                                **V1})
    authenticator = build_authenticator(options)
    assert isinstance(authenticator, PreauthAuthenticator)
    assert authenticator.fallback is not None and authenticator.fallback.scheme == "v1.0"
    credentials = authenticator.get()
    assert (credentials.storage_url, credentials.token) == ("http://s/v1/AUTH_t", "tk")
    assert authenticator.auth_requests == 0


def test_preauth_without_complete_credentials_has_no_fallback() -> None:
    options = Options().merged({"os_storage_url": "http://s/v1/AUTH_t", "os_auth_token": "tk",
                                "os_username": "u"})
    authenticator = build_authenticator(options)
    assert isinstance(authenticator, PreauthAuthenticator) and authenticator.fallback is None


def test_env_variables_feed_the_choice() -> None:
    environ = {"ST_AUTH": "http://s/auth/v1.0", "ST_USER": "a:b", "ST_KEY": "k"}
    assert choose_scheme(Options.from_service(None, environ)) == "v1.0"
    environ = {"OS_AUTH_URL": "http://ks/v3", "OS_USERNAME": "u", "OS_PASSWORD": "p",
               "OS_PROJECT_NAME": "p", "OS_USER_DOMAIN_NAME": "Default",
               "OS_PROJECT_DOMAIN_NAME": "Default"}
    options = Options.from_service(None, environ)
    assert choose_scheme(options) == "v3"
    params, used = keystone_parameters(options, "v3")
    assert params["project_domain_name"] == "Default" and "os_password" in used
    # an option given to the Service beats the environment
    assert choose_scheme(Options.from_service({"auth_version": "1.0"}, environ)) == "v1.0"


def test_keystone_parameters_mirror_python_swiftclient() -> None:
    # auth/user/key stand in for the os_ names; tenant:user carries the tenant
    params, used = keystone_parameters(Options().merged(
        {"auth": "http://ks/v2.0", "user": "tenant:name", "key": "pw"}), "v2.0")
    assert params == {"auth_url": "http://ks/v2.0", "username": "name", "password": "pw",
                      "tenant_name": "tenant"}
    assert used == ["auth", "user", "key"]
    # project options serve as tenant options for v2.0 and the other way round
    params, _ = keystone_parameters(Options().merged({**KS, "os_project_id": "p"}), "v2.0")
    assert params["tenant_id"] == "p"
    params, _ = keystone_parameters(Options().merged({**KS, "os_tenant_name": "t"}), "v3")
    assert params["project_name"] == "t"


def test_missing_keystone_options_are_named() -> None:
    params, _ = keystone_parameters(Options().merged({**KS, "os_project_name": "p"}), "v3")
    missing = missing_parameters(params, "v3")
    assert any("os_user_domain" in m for m in missing)
    assert any("os_project_domain" in m for m in missing)
    params, _ = keystone_parameters(Options().merged(KS), "v2.0")
    assert missing_parameters(params, "v2.0") == ["os_tenant_name or os_tenant_id"]
    params, _ = keystone_parameters(Options(), "v3applicationcredential")
    assert missing_parameters(params, "v3applicationcredential") == [
        "os_auth_url", "os_application_credential_id", "os_application_credential_secret"]


def test_versionless_auth_urls_get_a_version() -> None:
    assert versioned_auth_url("http://ks:5000", "v3") == "http://ks:5000/v3"
    assert versioned_auth_url("http://ks:5000/", "v2.0") == "http://ks:5000/v2.0"
    assert versioned_auth_url("http://ks:5000/identity/v3", "v3") == "http://ks:5000/identity/v3"


def test_missing_options_fail_without_a_request_and_name_their_source() -> None:
    environ = {"OS_PASSWORD": "hunter22", "OS_AUTH_URL": "http://127.0.0.1:9/v3",
               "OS_TENANT_NAME": "leftover"}
    options = Options.from_service({"os_username": "u", "auth_version": "3",
                                    "os_project_name": "p"}, environ)
    authenticator = build_authenticator(options)
    with pytest.raises(AuthError) as caught:
        authenticator.get()
    error = caught.value
    text = str(error)
    assert error.scheme == "v3"
    assert "os_password" in error.options_used and "os_username" in error.options_used
    assert "environment OS_PASSWORD" in text or "os_password (OS_PASSWORD)" in text
    assert "hunter22" not in text and "hunter22" not in repr(error)
    assert authenticator.auth_requests == 0
