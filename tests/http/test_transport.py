"""TLS and timeout options reach requests and keystoneauth sessions."""

from __future__ import annotations

from pathlib import Path

import pytest

from swiftsvc.errors import OptionError
from swiftsvc.http.transport import CONNECT_TIMEOUT, IDLE_TIMEOUT, SEND_BLOCK_SIZE, Transport
from swiftsvc.options import Options


def transport(**options: object) -> Transport:
    return Transport.from_options(Options().merged(options))


@pytest.fixture
def pem(tmp_path: Path) -> dict[str, str]:
    """Paths of (placeholder) certificate files that exist: the options check that."""
    paths = {}
    for name in ("ca", "c", "k", "both"):
        path = tmp_path / f"{name}.pem"
        path.write_text("placeholder\n")
        paths[name] = str(path)
    return paths


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


def test_os_cacert_is_the_ca_bundle(pem: dict[str, str]) -> None:
    assert transport(os_cacert=pem["ca"]).session().verify == pem["ca"]


def test_insecure_wins_over_a_ca_bundle(pem: dict[str, str]) -> None:
    assert transport(os_cacert=pem["ca"], insecure=True).session().verify is False


def test_client_certificate_and_key(pem: dict[str, str]) -> None:
    assert transport(os_cert=pem["c"], os_key=pem["k"]).session().cert == (pem["c"], pem["k"])
    assert transport(os_cert=pem["both"]).session().cert == pem["both"]


@pytest.mark.parametrize("name", ["os_cacert", "os_cert", "os_key"])
def test_a_missing_certificate_file_is_refused_naming_the_option(
    name: str, tmp_path: Path
) -> None:
    missing = str(tmp_path / "nowhere.pem")
    with pytest.raises(OptionError, match=f"{name}: certificate file .*nowhere.pem.* not found"):
        transport(**{name: missing})


def test_an_unused_missing_ca_bundle_is_not_refused(tmp_path: Path) -> None:
    # insecure: the CA bundle is not read, so a stale OS_CACERT does not matter
    assert transport(os_cacert=str(tmp_path / "nowhere.pem"), insecure=True).verify is False


def test_timeout_applies_to_connect_and_read() -> None:
    assert transport(timeout=7).timeout == (7.0, 7.0)


def test_without_a_timeout_nothing_waits_forever() -> None:
    # python-swiftclient's None waits forever; here None means the defaults
    assert transport().timeout == (CONNECT_TIMEOUT, IDLE_TIMEOUT) == (10.0, 60.0)
    assert transport(timeout=None).timeout == (CONNECT_TIMEOUT, IDLE_TIMEOUT)
    assert transport().keystone_session_kwargs()["timeout"] == IDLE_TIMEOUT


def test_keystone_sessions_get_the_same_tls_settings(pem: dict[str, str]) -> None:
    kwargs = transport(os_cacert=pem["ca"], os_cert=pem["c"], os_key=pem["k"],
                       timeout=3).keystone_session_kwargs()
    assert kwargs == {"verify": pem["ca"], "cert": (pem["c"], pem["k"]), "timeout": 3.0}


def test_sessions_keep_one_connection_and_let_the_policy_retry() -> None:
    adapter = transport().session().get_adapter("http://127.0.0.1/")
    assert adapter.max_retries.total == 0  # type: ignore[attr-defined]
    assert adapter.poolmanager.connection_pool_kw["blocksize"] == SEND_BLOCK_SIZE  # type: ignore[attr-defined]


def test_without_proxies_the_environment_is_read_once(
    monkeypatch: pytest.MonkeyPatch, pem: dict[str, str]
) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY",
                 "ALL_PROXY", "no_proxy", "NO_PROXY", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/env/ca.pem")
    session = transport().session()
    assert session.trust_env is False
    assert session.verify == "/env/ca.pem"  # what requests would have read per request
    assert transport(os_cacert=pem["ca"]).session().verify == pem["ca"]


def test_proxies_from_the_environment_still_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    assert transport().session().trust_env is True
