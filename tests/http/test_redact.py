"""Secrets are replaced before anything is printed."""

from __future__ import annotations

from swiftsvc._redact import REDACTED, redact_headers, redact_url, scrub


def test_credential_headers_are_redacted_whatever_their_case() -> None:
    shown = redact_headers(
        {"X-Auth-Token": "AUTH_tk123", "x-auth-key": "k", "X-Storage-Token": "t",
         "Content-Type": "text/plain", "X-Container-Meta-Temp-URL-Key": "s"}
    )
    assert shown == {"X-Auth-Token": REDACTED, "x-auth-key": REDACTED,
                     "X-Storage-Token": REDACTED, "Content-Type": "text/plain",
                     "X-Container-Meta-Temp-URL-Key": REDACTED}


def test_temp_url_signatures_and_user_info_are_redacted() -> None:
    url = redact_url("http://u:pw@h/v1/a/c/o?temp_url_sig=abc123&temp_url_expires=9")
    assert "abc123" not in url and "pw" not in url
    assert "temp_url_expires=9" in url


def test_scrub_replaces_known_secret_values() -> None:
    assert scrub("bad password hunter22 given", ["hunter22", None, ""]) == (
        f"bad password {REDACTED} given"
    )
