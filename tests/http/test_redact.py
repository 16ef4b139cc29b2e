"""Secrets are replaced before anything is printed."""

from __future__ import annotations

import json

from swiftsvc._redact import REDACTED, SecretSafeHeaders, redact_headers, redact_url, scrub
from swiftsvc.http.response import Attempt, response_dict


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


def test_recorded_answers_keep_their_values_but_print_no_credentials() -> None:
    # a HEAD of an account answers its temp-URL key: the caller's data, not the log's
    attempt = Attempt("HEAD", "/v1/AUTH_a", 204, "No Content",
                      {"x-account-meta-temp-url-key": "sekrit-key", "x-trans-id": "tx1"})
    recorded = response_dict([attempt])
    headers = recorded["headers"]
    assert headers["x-account-meta-temp-url-key"] == "sekrit-key"
    assert isinstance(headers, dict) and json.loads(json.dumps(headers)) == dict(headers)
    for shown in (repr(recorded), str(recorded), repr(headers), str(headers)):
        assert "sekrit-key" not in shown and REDACTED in shown and "tx1" in shown
    assert repr(SecretSafeHeaders({"Content-Type": "a"})) == "{'Content-Type': 'a'}"
