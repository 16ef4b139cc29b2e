"""The retry policy is a pure value: decisions and waits without a network."""

from __future__ import annotations

import email.utils

import pytest

from swiftsvc.http.response import Attempt
from swiftsvc.http.retry import RetryPolicy, parse_retry_after
from swiftsvc.options import Options


def attempt(status: int | None = 503) -> Attempt:
    return Attempt("GET", "/v1/AUTH_test/c", status, "x", {})


def test_policy_comes_from_the_options() -> None:
    options = Options().merged(
        {"retries": 2, "starting_backoff": 0.5, "max_backoff": 3, "retry_on_ratelimit": False,
         "retry_after": 1.5}
    )
    policy = RetryPolicy.from_options(options)
    assert (policy.retries, policy.starting_backoff, policy.max_backoff) == (2, 0.5, 3.0)
    assert policy.retry_on_ratelimit is False
    assert policy.retry_after == 1.5


def test_defaults_match_the_spec() -> None:
    policy = RetryPolicy.from_options(Options())
    assert (policy.retries, policy.starting_backoff, policy.max_backoff) == (5, 1.0, 64.0)


@pytest.mark.parametrize("status", [None, 500, 502, 503, 504, 599, 408, 429, 498])
def test_transient_answers_are_retried(status: int | None) -> None:
    assert RetryPolicy().should_retry(status)


@pytest.mark.parametrize("status", [200, 201, 301, 400, 401, 403, 404, 409, 412, 416, 499])
def test_definitive_answers_are_not_retried(status: int) -> None:
    assert not RetryPolicy().should_retry(status)


@pytest.mark.parametrize("status", [429, 498])
def test_rate_limits_are_not_retried_when_asked_not_to(status: int) -> None:
    policy = RetryPolicy(retry_on_ratelimit=False)
    assert not policy.should_retry(status)
    assert policy.should_retry(503)


def test_increment_returns_a_new_policy_with_the_history() -> None:
    first = RetryPolicy(retries=1)
    second = first.increment(attempt(503))
    assert first.retried == 0 and first.history == ()
    assert second.retried == 1 and second.history == (attempt(503),)
    assert not second.exhausted
    third = second.increment(attempt(None))
    assert third.exhausted
    assert [a.status for a in third.history] == [503, None]


def test_an_uncounted_attempt_is_recorded_but_spends_no_retry() -> None:
    policy = RetryPolicy(retries=0).increment(attempt(401), counts=False)
    assert policy.retried == 0 and not policy.exhausted
    assert len(policy.history) == 1


def test_zero_retries_is_exhausted_after_the_first_failure() -> None:
    assert RetryPolicy(retries=0).increment(attempt()).exhausted


def backoffs(policy: RetryPolicy, tries: int, rand: float) -> list[float]:
    waits = []
    for _ in range(tries):
        policy = policy.increment(attempt())
        waits.append(policy.backoff(lambda: rand))
    return waits


def test_backoff_doubles_from_starting_backoff() -> None:
    # rand=0.5 is the middle of the jitter range: exactly the nominal backoff
    assert backoffs(RetryPolicy(starting_backoff=1.0), 5, 0.5) == [1, 2, 4, 8, 16]


def test_backoff_is_capped_by_max_backoff() -> None:
    waits = backoffs(RetryPolicy(starting_backoff=1.0, max_backoff=5.0), 6, 1.0)
    assert max(waits) == 5.0
    assert waits[-1] == 5.0


def test_backoff_jitter_stays_within_a_quarter_of_the_nominal_wait() -> None:
    low = backoffs(RetryPolicy(starting_backoff=2.0), 3, 0.0)
    high = backoffs(RetryPolicy(starting_backoff=2.0), 3, 0.999999)
    assert low == [1.5, 3.0, 6.0]
    assert high == pytest.approx([2.5, 5.0, 10.0], rel=1e-5)


def test_backoff_survives_huge_retry_counts() -> None:
    policy = RetryPolicy(retries=5000, starting_backoff=1.0, max_backoff=64.0)
    for _ in range(2000):
        policy = policy.increment(attempt())
    assert policy.backoff(lambda: 0.5) == 64.0


def test_retry_after_seconds_is_honoured_over_the_backoff() -> None:
    policy = RetryPolicy(starting_backoff=0.01).increment(attempt(429))
    assert policy.wait("2", rand=lambda: 0.5) == 2.0


def test_retry_after_is_capped_by_max_backoff() -> None:
    policy = RetryPolicy(max_backoff=10.0).increment(attempt(503))
    assert policy.wait("3600") == 10.0


def test_the_retry_after_option_forces_the_wait() -> None:
    policy = RetryPolicy(retry_after=0.25, starting_backoff=30).increment(attempt(503))
    assert policy.wait("20") == 0.25
    assert policy.wait(None) == 0.25


def test_without_retry_after_the_wait_is_the_backoff() -> None:
    policy = RetryPolicy(starting_backoff=3.0).increment(attempt(503))
    assert policy.wait(None, rand=lambda: 0.5) == 3.0
    assert policy.wait("soon", rand=lambda: 0.5) == 3.0  # unreadable: ignored


def test_parse_retry_after_seconds() -> None:
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after(" 1.5 ") == 1.5
    assert parse_retry_after("-4") == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "nan", "inf", "Mon, 99 Foo 2020"])
def test_parse_retry_after_unreadable(value: str | None) -> None:
    assert parse_retry_after(value) is None


def test_parse_retry_after_http_date() -> None:
    now = 1_700_000_000.0
    later = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(later, now=now) == pytest.approx(30.0)
    earlier = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(earlier, now=now) == 0.0
