"""v1.0 auth on the real local Swift, and the shared single-flight authenticator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from swiftsvc.auth import Authenticator
from swiftsvc.errors import AuthError
from swiftsvc.http import connection_factory
from swiftsvc.options import Options
from swiftsvc.testing import FaultProxy, LocalSwift

MakeAuthenticator = Callable[..., Authenticator]  # the make_authenticator fixture
pytestmark = pytest.mark.timeout(60)


def test_v1_gives_the_storage_url_and_a_working_token(
    make_authenticator: MakeAuthenticator, local_swift: LocalSwift, swift_options: dict[str, str]
) -> None:
    authenticator = make_authenticator(swift_options)
    credentials = authenticator.get()
    assert credentials.storage_url == local_swift.storage_url("tester")
    assert credentials.token.startswith("AUTH_")
    assert credentials.expires_at is not None and credentials.expires_at > time.time()
    assert authenticator.get() is credentials  # cached
    assert authenticator.auth_requests == 1
    conn = connection_factory(Options(), authenticator)()
    assert conn.head_account().status in (200, 204)
    conn.close()


def test_v1_from_environment_variables(
    make_authenticator: MakeAuthenticator, local_swift: LocalSwift
) -> None:
    options = local_swift.auth_options("tester2")
    environ = {"ST_AUTH": options["auth"], "ST_USER": options["user"], "ST_KEY": options["key"]}
    credentials = make_authenticator({}, environ).get()
    assert credentials.storage_url == local_swift.storage_url("tester2")


def test_os_names_stand_in_for_auth_user_key(
    make_authenticator: MakeAuthenticator, local_swift: LocalSwift, swift_options: dict[str, str]
) -> None:
    authenticator = make_authenticator(
        {
            "auth_version": "1.0",
            "os_auth_url": swift_options["auth"],
            "os_username": swift_options["user"],
            "os_password": swift_options["key"],
        }
    )
    assert authenticator.get().storage_url == local_swift.storage_url("tester")


def test_os_storage_url_overrides_the_answered_one(
    make_authenticator: MakeAuthenticator, swift_options: dict[str, str]
) -> None:
    authenticator = make_authenticator(
        {**swift_options, "os_storage_url": "http://elsewhere/v1/AUTH_x"}
    )
    assert authenticator.get().storage_url == "http://elsewhere/v1/AUTH_x"


def test_a_wrong_key_fails_fast_once_for_everyone(
    make_authenticator: MakeAuthenticator, swift_options: dict[str, str], fault_proxy: FaultProxy
) -> None:
    authenticator = make_authenticator(
        {**swift_options, "key": "wrong-key-value", "auth": fault_proxy.url + "/auth/v1.0"}
    )
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            authenticator.get()
        except AuthError as error:
            errors.append(error)

    started = time.monotonic()
    threads = [threading.Thread(target=work) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with pytest.raises(AuthError):
        authenticator.get()  # later callers too, without asking again
    assert time.monotonic() - started < 10  # no backoff storm
    assert len(errors) == 10
    assert fault_proxy.count(path="/auth/v1.0") == 1
    assert authenticator.auth_requests == 1
    error = errors[0]
    assert isinstance(error, AuthError)
    assert error.scheme == "v1.0" and error.http_status == 401
    assert set(error.options_used) >= {"auth", "user", "key"}
    assert "check user and key" in str(error)
    assert "wrong-key-value" not in str(error) and "wrong-key-value" not in repr(error)


def test_an_auth_service_503_is_retried(
    make_authenticator: MakeAuthenticator, swift_options: dict[str, str], fault_proxy: FaultProxy
) -> None:
    fault_proxy.respond(503, path="/auth/v1.0", times=2)
    authenticator = make_authenticator({**swift_options, "auth": fault_proxy.url + "/auth/v1.0"})
    assert authenticator.get().token
    assert authenticator.auth_requests == 3
    assert fault_proxy.count(path="/auth/v1.0") == 3


def test_an_unreachable_auth_service_reports_its_attempts_and_may_recover(
    make_authenticator: MakeAuthenticator, swift_options: dict[str, str], fault_proxy: FaultProxy
) -> None:
    fault_proxy.reset_before_headers(path="/auth/v1.0", times=3)
    authenticator = make_authenticator(
        {**swift_options, "retries": 2, "auth": fault_proxy.url + "/auth/v1.0"}
    )
    with pytest.raises(AuthError) as caught:
        authenticator.get()
    assert len(caught.value.attempts) == 3
    assert all(a.status is None for a in caught.value.attempts)
    assert "after 3 tries" in str(caught.value)
    # not a refusal: a later call tries again, and the service is back
    assert authenticator.get().token
    assert authenticator.auth_requests == 4


def test_missing_v1_options_are_named(
    make_authenticator: MakeAuthenticator, local_swift: LocalSwift
) -> None:
    authenticator = make_authenticator({"auth": local_swift.auth_url, "user": "test:tester"})
    with pytest.raises(AuthError) as caught:
        authenticator.get()
    assert "missing: key" in str(caught.value)
    assert authenticator.auth_requests == 0
