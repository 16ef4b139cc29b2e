"""TLS and timeout options reach requests and keystoneauth sessions."""

from __future__ import annotations

import pytest

from swiftsvc.http.transport import SEND_BLOCK_SIZE, Transport
from swiftsvc.options import Options


def transport(**options: object) -> Transport:
    return Transport.from_options(Options().merged(options))


def test_certificates_are_verified_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    session = transport().session()
    assert session.verify is True
    assert session.cert is None


def test_insecure_turns_verification_off() -> None:
    assert transport(insecure=True).session().verify is False
    # the environment's string form works too
    env = Options.from_service(None, {"SWIFTCLIENT_INSECURE": "true"})
    assert Transport.from_options(env).session().verify is False


def test_os_cacert_is_the_ca_bundle() -> None:
    assert transport(os_cacert="/etc/ca.pem").session().verify == "/etc/ca.pem"


def test_insecure_wins_over_a_ca_bundle() -> None:
    assert transport(os_cacert="/etc/ca.pem", insecure=True).session().verify is False


def test_client_certificate_and_key() -> None:
    assert transport(os_cert="/c.pem", os_key="/k.pem").session().cert == ("/c.pem", "/k.pem")
    assert transport(os_cert="/both.pem").session().cert == "/both.pem"


def test_timeout_applies_to_connect_and_read() -> None:
    assert transport(timeout=7).timeout == (7.0, 7.0)
    assert transport().timeout is None


def test_keystone_sessions_get_the_same_tls_settings() -> None:
    kwargs = transport(os_cacert="/ca.pem", os_cert="/c.pem", os_key="/k.pem",
                       timeout=3).keystone_session_kwargs()
    assert kwargs == {"verify": "/ca.pem", "cert": ("/c.pem", "/k.pem"), "timeout": 3.0}


def test_sessions_keep_one_connection_and_let_the_policy_retry() -> None:
    adapter = transport().session().get_adapter("http://127.0.0.1/")
    assert adapter.max_retries.total == 0  # type: ignore[attr-defined]
    assert adapter.poolmanager.connection_pool_kw["blocksize"] == SEND_BLOCK_SIZE  # type: ignore[attr-defined]


def test_without_proxies_the_environment_is_read_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY", "no_proxy", "NO_PROXY", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/env/ca.pem")
    session = transport().session()
    assert session.trust_env is False
    assert session.verify == "/env/ca.pem"  # what requests would have read per request
    assert transport(os_cacert="/opt/ca.pem").session().verify == "/opt/ca.pem"


def test_proxies_from_the_environment_still_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert transport().session().trust_env is True
