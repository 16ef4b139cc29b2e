"""What the Keystone authenticator hands keystoneauth1 (no server: a recording plugin)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from swiftsvc.auth.keystone import KeystoneAuthenticator
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.http.transport import Transport
from swiftsvc.options import Options


class Catalog:
    def __init__(self) -> None:
        self.asked: dict[str, Any] = {}

    def url_for(self, **kwargs: Any) -> str:
        self.asked = kwargs
        return "http://swift.example/v1/AUTH_p"


class Access:
    auth_token = "tok"
    expires = None

    def __init__(self) -> None:
        self.service_catalog = Catalog()


class RecordingPlugin:
    def __init__(self, params: dict[str, str], scheme: str) -> None:
        self.params = params
        self.scheme = scheme
        self.session: Any = None
        self.access = Access()

    def get_access(self, session: Any) -> Access:
        self.session = session
        return self.access


def authenticate(monkeypatch: pytest.MonkeyPatch, **options: Any) -> RecordingPlugin:
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    opts = Options().merged(
        {
            "auth_version": "3",
            "os_auth_url": "https://ks.example/v3",
            "os_user_id": "uid",
            "os_password": "pw",
            "os_project_id": "pid",
            **options,
        }
    )
    plugins: list[RecordingPlugin] = []

    def factory(params: dict[str, str], scheme: str) -> Any:
        plugins.append(RecordingPlugin(params, scheme))
        return plugins[-1]

    authenticator = KeystoneAuthenticator(
        opts,
        scheme="v3",
        transport=Transport.from_options(opts),
        retry=RetryPolicy(),
        plugin_factory=factory,
    )
    assert authenticator.get().storage_url == "http://swift.example/v1/AUTH_p"
    return plugins[0]


def test_keystone_sessions_get_the_tls_and_timeout_options(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca, cert, key = (tmp_path / "ca.pem", tmp_path / "c.pem", tmp_path / "k.pem")
    for path in (ca, cert, key):
        path.write_text("placeholder\n")  # the options check that the files exist
    plugin = authenticate(
        monkeypatch, os_cacert=str(ca), os_cert=str(cert), os_key=str(key), timeout=9
    )
    assert plugin.session.verify == str(ca)
    assert plugin.session.cert == (str(cert), str(key))
    assert plugin.session.timeout == 9.0


def test_insecure_reaches_keystone(monkeypatch: pytest.MonkeyPatch) -> None:
    assert authenticate(monkeypatch, insecure=True).session.verify is False


def test_the_catalog_is_asked_by_service_type_interface_and_region(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    plugin = authenticate(
        monkeypatch,
        os_service_type="object-store-2",
        os_endpoint_type="internalURL",
        os_region_name="R2",
    )
    assert plugin.access.service_catalog.asked == {
        "service_type": "object-store-2",
        "interface": "internal",
        "region_name": "R2",
    }
    plugin = authenticate(monkeypatch)
    assert plugin.access.service_catalog.asked == {
        "service_type": "object-store",
        "interface": "public",
        "region_name": None,
    }


def test_the_plugin_gets_the_id_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    plugin = authenticate(monkeypatch)
    assert plugin.params == {
        "auth_url": "https://ks.example/v3",
        "user_id": "uid",
        "password": "pw",
        "project_id": "pid",
    }
