"""Secrets stay secret, downloads stay inside their folder (issue 11, security).

Gathered here: real operations with DEBUG logging of ``swiftsvc`` and
``urllib3`` captured, for each way of authenticating (v1 key, a
pre-authenticated token, Keystone v3 password), successes and failures
alike. The key, password and token must not appear in the log text, in
``str()``/``repr()`` of the errors raised, nor in ``repr()`` of any result
dict (``response_dict``, ``headers``, ``error`` included). Unit tests of the
redaction helpers are in tests/http/test_redact.py; the DEBUG request log in
tests/http/test_connection.py; Keystone secrets in tests/auth/.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast
from urllib.parse import quote

import pytest
import requests

from swiftsvc import Service
from swiftsvc.results import Result
from swiftsvc.testing import LocalKeystone, LocalSwift


@pytest.fixture
def debug_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    with caplog.at_level(logging.DEBUG, logger="swiftsvc"), \
            caplog.at_level(logging.DEBUG, logger="urllib3"):
        yield caplog


def exercise(options: dict[str, Any], container: str, work: Path) -> list[str]:
    """Successes and failures of each kind of call; the texts a user could see."""
    seen: list[str] = []

    def keep(output: object) -> None:
        results = [output] if isinstance(output, dict) else list(output)  # type: ignore[call-overload]
        seen.extend(repr(r) for r in results)
        seen.extend(str(r.get("error")) for r in results)

    (work / "f").write_bytes(b"payload")
    with Service(options) as svc:
        for call in (
            lambda: svc.upload(container, [str(work / "f")]),
            lambda: svc.stat(container, ["missing"]),  # 404
            lambda: svc.download(container, ["missing"], options={"out_directory": str(work)}),
            lambda: svc.stat(container),
            lambda: svc.post(container, options={"read_acl": ".r:*"}),
            lambda: svc.delete(container, ["missing"]),
        ):
            try:
                keep(call())
            except Exception as error:
                seen.extend([str(error), repr(error)])
    return seen


def assert_secret_free(secrets: list[str], texts: list[str], log: str) -> None:
    assert log  # DEBUG logging was on and something was logged
    for secret in filter(None, secrets):
        assert secret not in log, f"{secret!r} in the DEBUG log"
        for text in texts:
            assert secret not in text, f"{secret!r} in {text[:200]!r}"


def test_v1_key_and_token_stay_out_of_logs_errors_and_results(
    local_swift: LocalSwift, swift_options: dict[str, str], container_name: str,
    tmp_path: Path, debug_log: pytest.LogCaptureFixture,
) -> None:
    texts = exercise(swift_options, container_name, tmp_path)
    token = local_swift.get_token("tester")[1]
    # a refused key: 401 from tempauth, raised as AuthError
    texts += exercise({**swift_options, "key": "wrong-key-123"}, container_name + "x", tmp_path)
    assert any("401" in text or "refused" in text for text in texts)
    assert_secret_free([swift_options["key"], "wrong-key-123", token], texts, debug_log.text)


def test_secret_request_headers_stay_out_of_result_reprs_but_not_out_of_the_data(
    swift_options: dict[str, str], container_name: str, debug_log: pytest.LogCaptureFixture,
) -> None:
    key_header = "X-Container-Meta-Temp-URL-Key"
    with Service(swift_options) as svc:
        created = cast(Result, svc.post(container_name, options={"sync_key": "sekrit-sync-key"}))
        keyed = cast(Result, svc.post(container_name,
                                      options={"header": [f"{key_header}: sekrit-url-key"]}))
    results = [created, keyed]
    assert all(r["success"] for r in results), results
    assert_secret_free(["sekrit-url-key", "sekrit-sync-key"],
                       [repr(r) for r in results] + [str(r) for r in results], debug_log.text)
    # callers still read what was sent, as from python-swiftclient
    assert created["headers"]["X-Container-Sync-Key"] == "sekrit-sync-key"
    assert keyed["headers"][key_header] == "sekrit-url-key"
    assert "<redacted>" in repr(created)


def test_a_preauth_token_stays_out_of_logs_errors_and_results(
    local_swift: LocalSwift, container_name: str, tmp_path: Path,
    debug_log: pytest.LogCaptureFixture,
) -> None:
    storage_url, token = local_swift.get_token("tester")
    options = {"os_storage_url": storage_url, "os_auth_token": token}
    texts = exercise(options, container_name, tmp_path)
    bad = {"os_storage_url": storage_url, "os_auth_token": "AUTH_tk-not-a-real-token"}
    texts += exercise(bad, container_name, tmp_path)  # 401, nothing to fall back to
    assert_secret_free([token, "AUTH_tk-not-a-real-token"], texts, debug_log.text)


def test_a_keystone_password_and_token_stay_out_of_logs_errors_and_results(
    local_keystone: LocalKeystone, keystone_options: dict[str, str], container_name: str,
    tmp_path: Path, debug_log: pytest.LogCaptureFixture,
) -> None:
    texts = exercise(keystone_options, container_name, tmp_path)
    wrong = {**keystone_options, "os_password": "wrong-password-456"}
    texts += exercise(wrong, container_name, tmp_path)
    assert any("401" in text for text in texts)
    assert_secret_free([keystone_options["os_password"], "wrong-password-456"], texts,
                       debug_log.text)


@pytest.mark.parametrize("name", ["../x", "/etc/x", "a/../../x"])
def test_download_refuses_names_that_escape_out_directory(
    local_swift: LocalSwift, swift_options: dict[str, str], container_name: str,
    tmp_path: Path, name: str,
) -> None:
    storage_url, token = local_swift.get_token("tester")
    session = requests.Session()
    session.headers["X-Auth-Token"] = token
    session.put(f"{storage_url}/{container_name}", timeout=30).raise_for_status()
    # dots percent-encoded, or the HTTP client would resolve ".." itself
    session.put(f"{storage_url}/{container_name}/{quote(name).replace('.', '%2E')}",
                data=b"evil", timeout=30).raise_for_status()
    out = tmp_path / "a" / "b" / "out"
    out.mkdir(parents=True)
    with Service(swift_options) as svc:
        results = list(svc.download(container_name, options={"out_directory": str(out)}))
        named = list(svc.download(container_name, [name], options={"out_directory": str(out)}))
    for result in (*results, *named):
        assert not result["success"], result
        assert name in str(result["error"])
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []
    assert not Path("/etc/x").exists()
