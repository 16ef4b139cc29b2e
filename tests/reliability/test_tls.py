"""TLS certificate checks are on by default (issue 11, security).

An HTTPS front with a certificate from a throw-away CA sits before the local
Swift (swiftsvc.testing.tls). Auth and storage both go through it: tempauth
would hand out a plain-http storage URL, so ``os_storage_url`` names the
front's.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from swiftsvc import Service, SwiftError
from swiftsvc.cli.utils import add_parser_options, service_options
from swiftsvc.errors import ClientException
from swiftsvc.testing import LocalSwift
from swiftsvc.testing.tls import HTTPSFront


@pytest.fixture
def front(local_swift: LocalSwift) -> Iterator[HTTPSFront]:
    with HTTPSFront(local_swift.proxy_url) as https:
        yield https


def tls_options(front: HTTPSFront, local_swift: LocalSwift, **extra: Any) -> dict[str, Any]:
    plain = local_swift.auth_options("tester")
    account = local_swift.storage_url("tester").rsplit("/", 1)[1]
    return {
        "auth": front.url + "/auth/v1.0", "user": plain["user"], "key": plain["key"],
        "os_storage_url": f"{front.url}/v1/{account}", **extra,
    }


def remote_names(local_swift: LocalSwift, container: str) -> list[str] | None:
    """The container's object names, asked directly (None: no such container)."""
    storage_url, token = local_swift.get_token("tester")
    answer = requests.get(f"{storage_url}/{container}?format=json",
                          headers={"X-Auth-Token": token}, timeout=30)
    if answer.status_code == 404:
        return None
    answer.raise_for_status()
    return [item["name"] for item in answer.json()]


@pytest.fixture
def no_ca_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SWIFTCLIENT_INSECURE"):
        monkeypatch.delenv(variable, raising=False)


def upload_error(svc: Service, container: str, path: Path) -> BaseException:
    """The error of an upload that must fail: raised by the call, or its first failed result."""
    try:
        for result in svc.upload(container, [str(path)]):
            if not result["success"]:
                return result["error"]
    except (ClientException, SwiftError) as error:
        return error
    raise AssertionError("the upload did not fail")


@pytest.mark.usefixtures("no_ca_from_environment")
def test_an_untrusted_certificate_fails_the_storage_request_at_once(
    front: HTTPSFront, local_swift: LocalSwift, container_name: str, tmp_path: Path
) -> None:
    (tmp_path / "f").write_bytes(b"data")
    account_url = tls_options(front, local_swift)["os_storage_url"]
    token = local_swift.get_token("tester")[1]
    # pre-authenticated: only storage requests, each one through the front
    options = {"os_storage_url": account_url, "os_auth_token": token, "retries": 3}
    with Service(options) as svc:
        error = upload_error(svc, container_name, tmp_path / "f")
        assert "certificate" in str(error).lower(), error
        # retries=3, yet one handshake per request: a certificate error would only repeat
        # (the upload asks /info, then PUTs the container: two requests, not eight)
        assert front.refused == front.handshakes <= 2
    assert remote_names(local_swift, container_name) is None


@pytest.mark.usefixtures("no_ca_from_environment")
def test_an_untrusted_certificate_fails_authentication_at_once(
    front: HTTPSFront, local_swift: LocalSwift, container_name: str, tmp_path: Path
) -> None:
    (tmp_path / "f").write_bytes(b"data")
    with Service(tls_options(front, local_swift, retries=3)) as svc:
        error = upload_error(svc, container_name, tmp_path / "f")
    assert "certificate" in str(error).lower(), error
    assert "not used by this scheme: os_storage_url" not in str(error)
    # retries=3, yet one handshake: the failure is remembered, not repeated
    assert front.handshakes == 1 and front.refused == 1
    assert remote_names(local_swift, container_name) is None


def test_the_ca_given_as_os_cacert_makes_it_work(
    front: HTTPSFront, local_swift: LocalSwift, container_name: str, tmp_path: Path
) -> None:
    payload = b"over tls " * 1000
    (tmp_path / "f").write_bytes(payload)
    out = tmp_path / "out"
    with Service(tls_options(front, local_swift, os_cacert=front.ca_path)) as svc:
        uploaded = list(svc.upload(container_name, [str(tmp_path / "f")]))
        assert all(r["success"] for r in uploaded), uploaded
        [name] = remote_names(local_swift, container_name) or []
        [downloaded] = svc.download(container_name, [name],
                                    options={"out_file": str(out)})
    assert downloaded["success"], downloaded
    assert out.read_bytes() == payload
    assert front.refused == 0 and front.handshakes >= 1


def test_insecure_skips_the_check_only_when_asked(
    front: HTTPSFront, local_swift: LocalSwift, container_name: str
) -> None:
    with Service(tls_options(front, local_swift, insecure=True)) as svc:
        assert svc.options["insecure"] is True
        result = svc.post(container_name)
        assert isinstance(result, dict) and result["success"], result
    assert remote_names(local_swift, container_name) == []
    assert front.refused == 0


def test_insecure_is_off_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SWIFTCLIENT_INSECURE", raising=False)
    with Service({"auth": "https://example.invalid/auth/v1.0", "user": "u", "key": "k"}) as svc:
        assert svc.options["insecure"] is False
    # the environment variable turns it on, as in python-swiftclient
    monkeypatch.setenv("SWIFTCLIENT_INSECURE", "true")
    with Service({"auth": "https://example.invalid/auth/v1.0", "user": "u", "key": "k"}) as svc:
        assert svc.options["insecure"] is True


def test_the_cli_is_insecure_only_with_the_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    monkeypatch.delenv("SWIFTCLIENT_INSECURE", raising=False)
    parser = argparse.ArgumentParser()
    add_parser_options(parser)
    plain = service_options(parser.parse_args(["-A", "https://h/auth/v1.0"]))
    assert not plain.get("insecure")
    with Service(plain) as svc:
        assert svc.options["insecure"] is False
    flagged = service_options(parser.parse_args(["-A", "https://h/auth/v1.0", "--insecure"]))
    assert flagged["insecure"] is True


def test_the_cli_refuses_an_untrusted_certificate(
    front: HTTPSFront, local_swift: LocalSwift
) -> None:
    account_url = tls_options(front, local_swift)["os_storage_url"]
    token = local_swift.get_token("tester")[1]
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    argv = [sys.executable, "-m", "swiftsvc", "--os-storage-url", account_url,
            "--os-auth-token", token, "stat"]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode != 0
    assert "certificate" in done.stderr.lower(), done.stderr
    assert front.refused == front.handshakes == 1
    done = subprocess.run([*argv[:-1], "--insecure", "stat"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert done.returncode == 0, done.stderr
