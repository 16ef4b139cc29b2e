"""Authentication under faults: renewal without storms, failing fast with the cause,
a restart still retried, and no live token in any result.

Issue 16 items 5 and 6, issue 20 item 2 (the library side). Everything runs
against the real tempauth (through the fault proxy, which counts the auth
requests and edits auth answers) and the real Keystone; Keystone v2.0 only
through the stub (swiftsvc.testing.v2stub), since Keystone no longer serves
it. Each scenario is checked by the invariant checker, then re-run with
the fault cleared.
"""

from __future__ import annotations

import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _invariants import Checker, Run, SwiftView, run_and_check, run_call, write_tree

from swiftsvc import Service, UploadObject
from swiftsvc.errors import AuthError
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy, LocalKeystone, LocalSwift
from swiftsvc.testing.v2stub import KeystoneV2Stub

pytestmark = pytest.mark.timeout(300)

REPO = Path(__file__).resolve().parents[2]
# issue 20: "an auth URL with nothing listening fails in under 3 s"
FAIL_FAST_BOUND = 3.0
AUTH_PATH = r"^/auth/v1\.0$"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


# ------------------------------------------------ item 5: renewal without a storm


@pytest.mark.slow
@pytest.mark.parametrize("seconds_left", [20, 2])
def test_a_token_near_its_end_is_renewed_once_for_everyone(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path, seconds_left: int,
) -> None:
    """200 uploads with a token the auth service says dies in ``seconds_left``
    seconds (under the 30 s renewal margin: a short ``token_life``, or a
    cached token near its end). Was: 203 auth requests for 200 uploads."""
    files = write_tree(tmp_path / "tree", small=200, small_size=100)
    checker = Checker(view, container_name, expected=set(files), sources=files)
    fault_proxy.rewrite_response_header("X-Auth-Token-Expires", str(seconds_left),
                                        method="GET", path=AUTH_PATH, times=None)
    counted: list[int] = []

    def call(svc: Service) -> Iterator[Result]:
        return svc.upload(container_name, [UploadObject(str(tmp_path / "tree"), "tree")])

    def count_auths(run: Run) -> None:
        counted.append(fault_proxy.count(method="GET", path=AUTH_PATH))
        # renewed at half of its life at most: 1 + one more per half life
        bound = 1 + int(run.seconds // (seconds_left / 2))
        assert counted[0] <= bound, (counted[0], run.seconds)

    faulted, _ = run_and_check(checker, proxied_options, call,
                               clear_fault=fault_proxy.clear_faults, between=count_auths)
    assert faulted.failed() == [], faulted.describe_failures()
    print(f"\n{seconds_left} s token: {counted[0]} auth requests for 200 uploads "
          f"in {faulted.seconds:.1f} s")


# ---------------------------------- issue 20 item 2: failing fast and saying why


def _api_failure(options: dict[str, str]) -> tuple[float, str]:
    """Seconds and error text of an upload and a stat with these auth options."""
    started = time.monotonic()
    with Service(options) as svc:
        results = list(svc.upload("c", [UploadObject(None, "marker")]))
        stat = svc.stat()
    elapsed = time.monotonic() - started
    assert results and not any(r["success"] for r in results)
    errors = [r["error"] for r in [*results, stat] if not r["success"]]
    assert errors and all(isinstance(e, AuthError) for e in errors), errors
    return elapsed, str(errors[0])


def _cli_failure(auth_url: str) -> tuple[float, str, int]:
    """``swiftsvc -A <auth_url> -U a:b -K c stat``: seconds (interpreter start-up
    included), output, exit code."""
    script = Path(sys.executable).parent / "swiftsvc"  # the installed command
    command = [str(script)] if script.exists() else [sys.executable, "-m", "swiftsvc"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "OS_"))}
    started = time.monotonic()
    done = subprocess.run([*command, "-A", auth_url, "-U", "a:b", "-K", "c", "stat"],
                          capture_output=True, text=True, timeout=60, env=env, check=False)
    return time.monotonic() - started, done.stderr + done.stdout, done.returncode


@pytest.mark.parametrize(("where", "cause"), [
    ("refused", "Connection refused"),
    ("unknown-host", "host name not resolved"),
])
def test_an_auth_url_with_nothing_there_fails_at_once_saying_why(where: str, cause: str) -> None:
    host = f"127.0.0.1:{_free_port()}" if where == "refused" else "nosuchhost.invalid:8080"
    auth_url = f"http://{host}/auth/v1.0"
    elapsed, text = _api_failure({"auth": auth_url, "user": "a:b", "key": "c"})
    assert elapsed < FAIL_FAST_BOUND, elapsed
    assert cause in text and "not retried" in text, text
    print(f"\n{where}: API {elapsed:.2f} s: {text}")

    elapsed, output, code = _cli_failure(auth_url)
    assert code != 0
    assert elapsed < FAIL_FAST_BOUND, (elapsed, output)
    assert cause in output, output
    assert "Traceback" not in output
    print(f"{where}: CLI {elapsed:.2f} s (with interpreter start-up)")


def test_a_keystone_url_with_nothing_there_fails_at_once_saying_why() -> None:
    options = {"auth_version": "3", "os_auth_url": f"http://127.0.0.1:{_free_port()}/v3",
               "os_username": "u", "os_password": "p", "os_project_name": "x",
               "os_user_domain_name": "Default", "os_project_domain_name": "Default"}
    elapsed, text = _api_failure(options)
    assert elapsed < FAIL_FAST_BOUND, elapsed
    assert "Connection refused" in text, text


@pytest.mark.slow
def test_a_proxy_restarting_during_a_job_is_waited_for_storage_and_auth_alike(
    local_swift: LocalSwift, swift_options: dict[str, str], view: SwiftView,
    container_name: str, tmp_path: Path, caplog: pytest.LogCaptureFixture,
) -> None:
    """Once the auth service has answered, a refused connection is an outage:
    the proxy (auth and storage both go through it) is down for a second in
    the middle of an upload whose token must be renewed meanwhile (2 s left),
    and every request waits it out."""
    files = write_tree(tmp_path / "tree", small=60, small_size=100)
    checker = Checker(view, container_name, expected=set(files), sources=files)
    port = _free_port()

    def proxy() -> FaultProxy:
        started = FaultProxy(local_swift.proxy_url, port=port).start()
        started.rewrite_response_header("X-Auth-Token-Expires", "2", method="GET",
                                        path=AUTH_PATH, times=None)
        # 60 PUTs of 0.5 s on 10 threads: a job of 3 s, the outage in its middle
        started.delay(0.5, method="PUT", path=r"/tree/", times=None)
        return started

    current = [proxy()]
    options = {**swift_options, "auth": f"http://127.0.0.1:{port}/auth/v1.0"}
    auths: list[int] = []
    outage = threading.Event()

    def restart() -> None:
        time.sleep(1.0)
        auths.append(current[0].count(method="GET", path=AUTH_PATH))
        current[0].stop()  # nothing listens: connections are refused
        outage.set()
        time.sleep(1.0)
        current.append(proxy())

    restarter = threading.Thread(target=restart, name="test-restarter")
    restarter.start()
    try:
        with caplog.at_level(logging.INFO, logger="swiftsvc"):
            run = run_call(options, lambda svc: svc.upload(
                container_name, [UploadObject(str(tmp_path / "tree"), "tree")]))
    finally:
        restarter.join(10)
        current[-1].stop()
    assert outage.is_set() and len(current) == 2
    assert run.seconds > 2.0  # the upload outlived the outage
    checker.check_finished(run)  # nothing failed: every request waited
    # the token's renewal (due 1 s in) met the outage: refused, and retried
    refused = [r.getMessage() for r in caplog.records
               if r.name == "swiftsvc.auth.base" and "Connection refused" in r.getMessage()]
    assert refused, caplog.text
    assert current[1].count(method="GET", path=AUTH_PATH) >= 1  # renewed once it was back


# ------------------------------------------------- item 6: no live token in results


def _texts(results: list[Result]) -> list[str]:
    """Everything of the results a user could print, log or serialise."""
    texts: list[str] = []
    for result in results:
        texts += [repr(result), str(result), str(result.get("error")),
                  repr(result.get("error")), str(result.get("traceback")),
                  json.dumps(result.get("response_dict") or {}, default=str)]
        error = result.get("error")
        if isinstance(error, AuthError):
            texts += [repr(error.http_response_content), repr(error.http_response_headers),
                      json.dumps([a.response_dict() for a in error.attempts], default=str)]
    return texts


def _assert_absent(secrets: list[str], results: list[Result]) -> None:
    """No secret (a string, or ``re:<pattern>``) in anything of ``results``."""
    texts = _texts(results)
    for secret in secrets:
        for text in texts:
            if secret.startswith("re:"):
                found = re.search(secret[3:], text)
                assert found is None, f"{found.group()[:12]}... in {text[:300]}"
            else:
                assert secret not in text, f"{secret[:12]}... in {text[:300]}"


# tempauth's tokens: AUTH_tk<hex> (memcached), AUTH_ftk / AUTH_zftk<fernet>
TEMPAUTH_TOKEN = r"re:AUTH_(z?f)?tk[\w-]{8}"


def test_v1_a_token_answered_without_a_storage_url_is_in_no_result(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = write_tree(tmp_path / "tree", small=3)
    checker = Checker(view, container_name, expected=set(files), sources=files)
    # tempauth answers 200 with a live token, but no X-Storage-Url
    fault_proxy.rewrite_response_header("X-Storage-Url", None, method="GET", path=AUTH_PATH,
                                        times=None)

    def call(svc: Service) -> Iterator[Result]:
        return svc.upload(container_name, [UploadObject(str(tmp_path / "tree"), "tree")])

    def no_token(run: Run) -> None:
        assert run.failed() and len(run.failed()) == len(run.results)
        # the answer was recorded, its token redacted
        _assert_absent([TEMPAUTH_TOKEN], run.results)
        recorded = [r["response_dict"] for r in run.results if r.get("response_dict")]
        assert any(d["headers"].get("x-auth-token") == "<redacted>" for d in recorded), recorded
        assert "X-Storage-Url" in str(run.results[0]["error"])

    run_and_check(checker, proxied_options, call, clear_fault=fault_proxy.clear_faults,
                  between=no_token)


@pytest.fixture
def v2_stub(local_swift: LocalSwift) -> Iterator[KeystoneV2Stub]:
    with KeystoneV2Stub(users={("test", "tester"): "v2-password"},
                        issue_token=lambda tenant, user: local_swift.get_token("tester")
                        ) as stub:
        yield stub


def test_keystone_v2_a_token_without_a_storage_endpoint_is_in_no_result(
    v2_stub: KeystoneV2Stub, swift_options: dict[str, str], view: SwiftView,
    container_name: str, tmp_path: Path,
) -> None:
    files = write_tree(tmp_path / "tree", small=3)
    checker = Checker(view, container_name, expected=set(files), sources=files)
    v2 = {"os_auth_url": v2_stub.url, "os_username": "tester", "os_password": "v2-password",
          "os_tenant_name": "test"}
    call = _call_upload(container_name, tmp_path / "tree")
    # a token is issued, but no endpoint of this service type is in the catalog
    faulted = run_call({**v2, "os_service_type": "no-such-service"}, call)
    checker.check(faulted)
    assert v2_stub.issued and len(faulted.failed()) == len(faulted.results)
    _assert_absent([t.token for t in v2_stub.issued] + ["v2-password"], faulted.results)
    # a refused password: the identity answer is recorded, the password is not
    refused = run_call({**v2, "os_password": "wrong-v2-password"}, call)
    assert any(r.get("response_dict", {}).get("status") == 401 for r in refused.results)
    _assert_absent(["wrong-v2-password"], refused.results)
    checker.check_finished(run_call(v2, call))


def _call_upload(container: str, root: Path) -> Any:
    def call(svc: Service) -> Iterator[Result]:
        return svc.upload(container, [UploadObject(str(root), "tree")])

    return call


def test_keystone_v3_tokens_and_passwords_are_in_no_result(
    local_keystone: LocalKeystone, keystone_options: dict[str, str], container_name: str,
    tmp_path: Path,
) -> None:
    files = write_tree(tmp_path / "tree", small=3)
    token, _ = local_keystone.get_token(keystone_options)
    with Service(keystone_options) as svc:
        account = svc.get_endpoint("account", full=True)
    checker = Checker(SwiftView(account, token), container_name, expected=set(files),
                      sources=files)
    call = _call_upload(container_name, tmp_path / "tree")
    # a token is issued, but no endpoint of this service type is in the catalog
    no_endpoint = run_call({**keystone_options, "os_service_type": "no-such-service"}, call)
    checker.check(no_endpoint)
    assert len(no_endpoint.failed()) == len(no_endpoint.results)
    # Keystone's fernet tokens all start gAAAAA
    _assert_absent(["gAAAAA", token, keystone_options["os_password"]], no_endpoint.results)
    refused = run_call({**keystone_options, "os_password": "wrong-v3-password"}, call)
    assert any(r.get("response_dict", {}).get("status") == 401 for r in refused.results)
    _assert_absent(["gAAAAA", "wrong-v3-password"], refused.results)
    finished = run_call(keystone_options, call)
    checker.check_finished(finished)
    _assert_absent(["gAAAAA", token], finished.results)


def test_a_preauth_token_is_in_no_result(
    local_swift: LocalSwift, view: SwiftView, container_name: str, tmp_path: Path,
) -> None:
    files = write_tree(tmp_path / "tree", small=3)
    checker = Checker(view, container_name, expected=set(files), sources=files)
    storage_url, token = local_swift.get_token("tester")
    other_url, _ = local_swift.get_token("tester2")
    call = _call_upload(container_name, tmp_path / "tree")
    # a live token used on an account it has no rights on: 403 answers, recorded
    forbidden = run_call({"os_storage_url": other_url, "os_auth_token": token}, call)
    assert forbidden.failed() and any(
        r.get("response_dict", {}).get("status") == 403 for r in forbidden.results)
    _assert_absent([token], forbidden.results)
    wrong = "AUTH_tk" + "0" * 32
    refused = run_call({"os_storage_url": storage_url, "os_auth_token": wrong}, call)
    checker.check(refused)
    assert refused.failed() and all(getattr(r["error"], "http_status", None) == 401
                                    for r in refused.failed()), refused.describe_failures()
    _assert_absent([token, wrong], refused.results)
    finished = run_call({"os_storage_url": storage_url, "os_auth_token": token}, call)
    checker.check_finished(finished)
    _assert_absent([token], finished.results)
