"""The single-flight token cache, without a network (a scripted authenticator)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from swiftsvc.auth.base import (
    EXPIRY_MARGIN,
    Credentials,
    SharedAuthenticator,
    TransientAuthFailure,
    renewal_plan,
)
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
    auth = Scripted(token("old", expires_at=time.time() + 0.4), token("new"))
    assert auth.get().token == "old"
    assert auth.get().token == "old"  # used for half its life at least
    time.sleep(0.25)
    assert auth.get().token == "new"  # renewed before it expires


# ------------------------------------------------------------ renewal (issue 16 item 5)


def test_renewal_plan_keeps_the_margin_for_long_tokens() -> None:
    fresh = Credentials("u", "t", expires_at=1000.0 + 3600)
    assert renewal_plan(fresh, obtained_at=1000.0) == (1000.0 + 3600 - EXPIRY_MARGIN, 4600.0)


def test_renewal_plan_uses_a_short_token_for_half_its_life() -> None:
    # 20 s to live is inside the 30 s margin: renewing at once would storm
    short = Credentials("u", "t", expires_at=1020.0)
    assert renewal_plan(short, obtained_at=1000.0) == (1010.0, 1020.0)


def test_renewal_plan_does_not_renew_a_token_that_came_back_unchanged() -> None:
    # a cached token near its end: asking again only brings it back again
    again = Credentials("u", "same", expires_at=1010.0)
    previous = Credentials("u", "same", expires_at=1010.0)
    assert renewal_plan(again, obtained_at=1000.0, previous=previous) == (None, 1010.0)


def test_renewal_plan_ignores_an_expiry_in_the_past() -> None:
    # clocks that disagree: used until a 401 says otherwise, never renewed per request
    skewed = Credentials("u", "t", expires_at=900.0)
    assert renewal_plan(skewed, obtained_at=1000.0) == (None, None)
    assert renewal_plan(Credentials("u", "t"), obtained_at=1000.0) == (None, None)


def _hammer(auth: SharedAuthenticator, threads: int, calls: int) -> None:
    def work() -> None:
        for _ in range(calls):
            auth.get()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()


def test_a_token_with_less_than_the_margin_to_live_is_fetched_once_for_200_requests() -> None:
    # was: one auth round trip per request (203 for 200 uploads)
    auth = Scripted(*(token(f"t{n}", expires_at=time.time() + 20) for n in range(300)))
    _hammer(auth, threads=10, calls=20)
    assert auth.auth_requests == 1


def test_a_cached_token_near_its_end_is_not_fetched_again_before_it_expires() -> None:
    ends = time.time() + 1.0
    auth = Scripted(*(token("cached", expires_at=ends) for _ in range(300)))
    started = time.time()
    _hammer(auth, threads=10, calls=20)
    # first fetch, one renewal at half-life that brought it back, then nothing
    # more until it ends
    assert auth.auth_requests <= 2 + int((time.time() - started) >= 1.0)


def test_short_lived_tokens_are_renewed_at_most_twice_per_life() -> None:
    life = 0.2
    auth = Scripted(*(lambda: Credentials("u", "t" + str(time.time()), time.time() + life)
                      for _ in range(1000)))
    started = time.monotonic()
    deadline = started + 1.0
    while time.monotonic() < deadline:
        _hammer(auth, threads=4, calls=25)
    elapsed = time.monotonic() - started
    assert auth.auth_requests <= 1 + elapsed / (life / 2) + 1


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
