"""The single-flight token cache, without a network (a scripted authenticator)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from swiftsvc.auth.base import Credentials, SharedAuthenticator, TransientAuthFailure
from swiftsvc.errors import AuthError
from swiftsvc.http.response import Attempt
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.options import Options


class Scripted(SharedAuthenticator):
    """Answers each round trip with the next step of a script."""

    def __init__(self, *steps: Callable[[], Credentials], retries: int = 5,
                 delay: float = 0.0) -> None:
        super().__init__(Options(), scheme="test", options_used=["auth"],
                         retry=RetryPolicy(retries=retries, starting_backoff=0.001))
        self._steps = list(steps)
        self._delay = delay

    def _authenticate(self) -> Credentials:
        time.sleep(self._delay)
        return self._steps.pop(0)()


def token(name: str, expires_at: float | None = None) -> Callable[[], Credentials]:
    return lambda: Credentials("http://s/v1/AUTH_t", name, expires_at)


def unavailable() -> Credentials:
    raise TransientAuthFailure("503", Attempt("GET", "/auth", 503, "Unavailable", {}))


def test_invalidating_a_stale_token_keeps_the_current_one() -> None:
    auth = Scripted(token("one"), token("two"))
    assert auth.get().token == "one"
    auth.invalidate("one")
    assert auth.get().token == "two"
    auth.invalidate("one")  # a late 401 for the old token: ignored
    assert auth.get().token == "two"
    assert auth.auth_requests == 2


def test_a_token_about_to_expire_is_renewed_before_use() -> None:
    auth = Scripted(token("old", expires_at=time.time() + 5), token("new"))
    assert auth.get().token == "old"  # 5 s left is inside the safety margin
    assert auth.get().token == "new"


def test_concurrent_callers_share_one_round_trip() -> None:
    auth = Scripted(token("only"), delay=0.2)
    barrier = threading.Barrier(16)
    seen: list[str] = []

    def work() -> None:
        barrier.wait()
        seen.append(auth.get().token)

    threads = [threading.Thread(target=work) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert seen == ["only"] * 16
    assert auth.auth_requests == 1


def test_transient_failures_are_retried_within_one_get() -> None:
    auth = Scripted(unavailable, unavailable, token("ok"))
    assert auth.get().token == "ok"
    assert auth.auth_requests == 3


def test_waiters_share_a_failure_but_a_later_call_tries_again() -> None:
    auth = Scripted(unavailable, token("ok"), retries=0, delay=0.2)
    barrier = threading.Barrier(8)
    failures: list[BaseException] = []

    def work() -> None:
        barrier.wait()
        try:
            auth.get()
        except AuthError as error:
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 8 and auth.auth_requests == 1
    assert auth.get().token == "ok"
    assert auth.auth_requests == 2


def test_a_refusal_is_permanent() -> None:
    auth = Scripted()

    def refused() -> Credentials:
        raise auth.failure("refused", http_status=401)

    auth._steps = [refused, token("never")]
    for _ in range(3):
        with pytest.raises(AuthError):
            auth.get()
    assert auth.auth_requests == 1


def test_credentials_repr_hides_the_token() -> None:
    assert "s3cr3t" not in repr(Credentials("http://s", "s3cr3t"))
