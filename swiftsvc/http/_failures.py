"""Which network failures are worth another try, and how an attempt records one."""

from __future__ import annotations

import time

import requests
import urllib3.exceptions

from swiftsvc.http._body import ShortBody
from swiftsvc.http.response import Attempt

# what no new try can fix: TLS, a malformed URL, a malformed answer header
_FINAL_ERRORS = (
    ShortBody,
    requests.exceptions.SSLError,
    urllib3.exceptions.SSLError,
    urllib3.exceptions.LocationValueError,  # requests: InvalidURL
    urllib3.exceptions.InvalidHeader,  # requests: InvalidHeader
)
# no answer, or an answer cut short: worth another try (TLS failures are not)
_RETRYABLE_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    urllib3.exceptions.HTTPError,  # while reading a body: reset, timeout, cut short
)


def failed_attempt(method: str, path: str, error: BaseException, started: float) -> Attempt:
    return Attempt(method, path, None, "", {}, error=f"{type(error).__name__}: {error}",
                   elapsed=time.monotonic() - started)


def retryable(error: BaseException) -> bool | None:
    """True for network failures worth another try, False for failures that
    would only repeat (TLS, a malformed URL, a body shorter than announced),
    None for what is no network failure at all."""
    if isinstance(error, _FINAL_ERRORS):
        return False
    if isinstance(error, _RETRYABLE_ERRORS):
        return True
    if isinstance(error, requests.RequestException):
        return False
    if isinstance(error, OSError):  # the socket itself, while reading a body
        return True
    return None


def describe(error: BaseException) -> str:
    if isinstance(error, (requests.exceptions.SSLError, urllib3.exceptions.SSLError)):
        return f"TLS error: {error}"
    return f"{type(error).__name__}: {error}"
