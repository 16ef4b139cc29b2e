"""The retry policy as a value (urllib3's ``Retry`` idea).

A :class:`RetryPolicy` is frozen: :meth:`RetryPolicy.increment` returns a new
policy with one more attempt in its ``history``, so a request's retry state
is plain data that results and errors can carry. Deciding (``should_retry``)
and waiting (``wait``/``backoff``) are pure functions of that data, tested
without a network; the connection only acts on them.
"""

from __future__ import annotations

import dataclasses
import email.utils
import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from swiftsvc.http.response import Attempt
from swiftsvc.options import Options

# "slow down" answers; retried only while ``retry_on_ratelimit`` is on
RATELIMIT_STATUSES = frozenset({429, 498})
# a server that timed out waiting for our request: trying again is sound
TIMEOUT_STATUSES = frozenset({408})


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value: delay-seconds or an HTTP date.

    None when absent or unreadable (the caller then backs off as usual); a
    date in the past gives 0.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        # nan/inf parse as floats but are no delay a server meant
        if seconds != seconds or seconds in (float("inf"), float("-inf")):
            return None
        return max(0.0, seconds)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; be lenient with sloppy ones
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    """How many more times to try, how long to wait, and what happened so far.

    ``retries`` counts tries after the first (python-swiftclient's meaning).
    ``retried`` is how many of them were used; ``history`` holds every
    attempt, including re-authentication tries that do not count.
    """

    retries: int = 5
    starting_backoff: float = 1.0
    max_backoff: float = 64.0
    retry_on_ratelimit: bool = True
    retry_after: float | None = None  # forces this wait between tries
    retried: int = 0
    history: tuple[Attempt, ...] = ()

    @classmethod
    def from_options(cls, options: Options) -> RetryPolicy:
        return cls(
            retries=options.retries,
            starting_backoff=options.starting_backoff,
            max_backoff=options.max_backoff,
            retry_on_ratelimit=options.retry_on_ratelimit,
            retry_after=options.retry_after,
        )

    # ------------------------------------------------------------ deciding

    def should_retry(self, status: int | None) -> bool:
        """Whether an answer with ``status`` (None: no answer at all) deserves another try.

        Connection errors, 5xx and 408 do; 429/498 do unless rate-limit
        retries are off. The budget is checked separately (:attr:`exhausted`).
        """
        if status is None:
            return True
        if status in RATELIMIT_STATUSES:
            return self.retry_on_ratelimit
        return status in TIMEOUT_STATUSES or 500 <= status <= 599

    @property
    def exhausted(self) -> bool:
        """True once more retries were used than allowed."""
        return self.retried > self.retries

    def increment(self, attempt: Attempt, *, counts: bool = True) -> RetryPolicy:
        """A new policy with ``attempt`` recorded; ``counts=False`` spends no retry.

        A 401 answered by re-authenticating is recorded without spending a
        retry: it is the auth flow, not a failure of the request.
        """
        return dataclasses.replace(
            self,
            retried=self.retried + (1 if counts else 0),
            history=(*self.history, attempt),
        )

    # ------------------------------------------------------------- waiting

    def backoff(self, rand: Callable[[], float] = random.random) -> float:
        """Exponential backoff with jitter for the retry about to happen.

        The n-th retry waits around ``starting_backoff * 2**(n-1)`` (between
        0.75 and 1.25 times it, so threads that failed together do not all
        come back together), never more than ``max_backoff``.
        """
        if self.retried <= 0:
            return 0.0
        # cap the exponent: 2**1100 overflows a float long before max_backoff matters
        base = self.starting_backoff * 2.0 ** min(self.retried - 1, 64)
        return min(self.max_backoff, base * (0.75 + 0.5 * rand()))

    def wait(
        self,
        retry_after_header: str | None = None,
        *,
        rand: Callable[[], float] = random.random,
        now: float | None = None,
    ) -> float:
        """Seconds to sleep before the next try.

        The ``retry_after`` option wins; then the server's ``Retry-After``
        (capped by ``max_backoff``: a server asking for an hour must not hang
        a backup job); else :meth:`backoff`.
        """
        if self.retry_after is not None:
            return self.retry_after
        asked = parse_retry_after(retry_after_header, now=now)
        if asked is not None:
            return min(asked, self.max_backoff)
        return self.backoff(rand)
