"""The result constructors: python-swiftclient's keys and value types, at least (COMPAT.md §5).

The key sets below are read off python-swiftclient 4.x's ``service.py``, one
per action: a result may carry more, never fewer, and where swiftclient has
a float, a dict or a list, the value is never None.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pytest

from swiftsvc import ClientException, SwiftError, results
from swiftsvc.http.response import Attempt, Response
from swiftsvc.results import Status, is_failure

SWIFTCLIENT_KEYS: dict[str, set[str]] = {
    "stat_account": {"action", "success", "container", "object", "items", "headers"},
    "stat_container": {"action", "success", "container", "object", "items", "headers"},
    "stat_object": {"action", "success", "container", "object", "items", "headers"},
    "list_account_part": {"action", "success", "container", "prefix", "listing", "marker"},
    "list_container_part": {"action", "success", "container", "prefix", "listing", "marker",
                            "version_marker"},
    "post_account": {"action", "success", "container", "object", "headers"},
    "post_container": {"action", "success", "container", "object", "headers"},
    "post_object": {"action", "success", "container", "object", "headers", "response_dict"},
    "create_container": {"action", "success", "container", "headers", "response_dict"},
    "create_dir_marker": {"action", "success", "container", "object", "path", "headers",
                          "response_dict"},
    "upload_segment": {"action", "success", "for_container", "for_object", "segment_index",
                       "segment_size", "segment_location", "log_line", "segment_etag",
                       "response_dict", "attempts"},
    "upload_object": {"action", "success", "container", "object", "path", "headers",
                      "large_object", "status", "response_dict", "attempts"},
    "download_object": {"action", "success", "container", "object", "path", "pseudodir",
                        "start_time", "finish_time", "headers_receipt", "auth_end_time",
                        "read_length", "attempts", "response_dict"},
    "delete_object": {"action", "success", "container", "object", "response_dict", "attempts"},
    "delete_segment": {"action", "success", "container", "object", "response_dict", "attempts"},
    "delete_container": {"action", "success", "container", "object", "response_dict",
                         "attempts"},
    "bulk_delete": {"action", "success", "container", "objects", "result", "response_dict",
                    "attempts"},
    "copy_object": {"action", "success", "container", "object", "destination", "headers",
                    "fresh_metadata", "response_dict"},
    "capabilities": {"action", "success", "timestamp", "capabilities"},
}
# keys python-swiftclient fills with a float, a dict or a list
NEVER_NONE = {"items", "headers", "listing", "response_dict", "start_time", "finish_time",
              "headers_receipt", "auth_end_time", "objects", "result", "capabilities",
              "timestamp", "error_timestamp"}
FAILURE_KEYS = {"error", "traceback", "error_timestamp"}

ATTEMPT = Attempt("PUT", "/v1/AUTH_t/c/o", 201, "Created", {"etag": "x"}, "tx1")
RESPONSE = Response(201, "Created", {"etag": "x"}, b"", (ATTEMPT,))
TIMES: dict[str, Any] = {
    "start_time": 1.0, "auth_end_time": 2.0, "headers_receipt": 3.0, "finish_time": 4.0}

BUILDERS: dict[str, Callable[..., Mapping[str, Any]]] = {
    "stat_account": lambda **kw: results.stat_account(items=[("a", 1)], headers={}, **kw),
    "stat_container": lambda **kw: results.stat_container(
        container="c", items=[], headers={}, **kw),
    "stat_object": lambda **kw: results.stat_object(
        container="c", object="o", items=[], headers={}, **kw),
    "list_account_part": lambda **kw: results.list_account_part(
        prefix=None, listing=[], marker="", error=kw.get("error")),
    "list_container_part": lambda **kw: results.list_container_part(
        container="c", prefix=None, listing=[], marker="", version_marker="",
        error=kw.get("error")),
    "post_account": lambda **kw: results.post_account(headers={"X-A": "b"}, **kw),
    "post_container": lambda **kw: results.post_container(container="c", headers={}, **kw),
    "post_object": lambda **kw: results.post_object(container="c", object="o", headers={}, **kw),
    "create_container": lambda **kw: results.create_container(container="c", headers={}, **kw),
    "create_dir_marker": lambda **kw: results.create_dir_marker(
        container="c", object="d", path=None, headers={}, **kw),
    "upload_segment": lambda **kw: results.upload_segment(
        for_container="c", for_object="o", segment_index=0, segment_size=1,
        segment_location="/c_segments/o/0", segment_etag="x", **kw),
    "upload_object": lambda **kw: results.upload_object(
        container="c", object="o", path="o", headers={}, status=Status.UPLOADED, **kw),
    "download_object": lambda **kw: results.download_object(
        container="c", object="o", path="o", pseudodir=False, read_length=0,
        status=Status.DOWNLOADED, tries=1, history=[ATTEMPT], error=kw.get("error"), **TIMES),
    "delete_object": lambda **kw: results.delete_object(container="c", object="o", **kw),
    "delete_segment": lambda **kw: results.delete_segment(container="c", object="o", **kw),
    "delete_container": lambda **kw: results.delete_container(container="c", **kw),
    "bulk_delete": lambda **kw: results.bulk_delete(
        container="c", objects=["o"], answer={"Errors": []}, **kw),
    "copy_object": lambda **kw: results.copy_object(
        container="c", object="o", destination=None, headers={}, fresh_metadata=False, **kw),
    "capabilities": lambda **kw: results.capabilities(timestamp=1.0, info={"swift": {}}),
}


@pytest.mark.parametrize("action", sorted(SWIFTCLIENT_KEYS))
def test_a_success_has_swiftclients_keys_and_no_none_for_its_containers(action: str) -> None:
    kwargs = {} if action.startswith(("list_", "capabilities")) else {"response": RESPONSE}
    if action == "download_object":
        kwargs = {}
    result = BUILDERS[action](**kwargs)
    assert result["action"] == action and result["success"] is True
    assert SWIFTCLIENT_KEYS[action] <= set(result), SWIFTCLIENT_KEYS[action] - set(result)
    assert not FAILURE_KEYS & set(result)
    assert [key for key in NEVER_NONE & set(result) if result[key] is None] == []


@pytest.mark.parametrize("action", sorted(set(SWIFTCLIENT_KEYS) - {"capabilities"}))
def test_a_failure_adds_the_error_its_traceback_and_time(action: str) -> None:
    try:
        raise ClientException("Object PUT failed", http_status=503, attempts=(ATTEMPT,))
    except ClientException as caught:
        error = caught
    result = BUILDERS[action](error=error)
    assert result["success"] is False and result["error"] is error
    assert "ClientException" in result["traceback"]
    assert isinstance(result["error_timestamp"], float)
    # a success's keys, but for what only a success can say
    wanted = SWIFTCLIENT_KEYS[action] - {"status", "segment_etag", "result"}
    assert wanted <= set(result), wanted - set(result)
    assert [key for key in NEVER_NONE & set(result) if result[key] is None] == []


def test_attempts_and_response_dict_come_from_the_request() -> None:
    retried = (Attempt("PUT", "/p", 503, "Service Unavailable", {}), ATTEMPT)
    result = results.delete_object(
        container="c", object="o", response=Response(204, "No Content", {}, b"", retried))
    assert result["attempts"] == 2
    assert [d["status"] for d in result["response_dict"]["response_dicts"]] == [503, 201]


def test_an_error_brings_its_own_request_history() -> None:
    error = SwiftError("wrapped", exc=ClientException("x", attempts=(ATTEMPT, ATTEMPT)))
    result = results.post_object(container="c", object="o", headers={}, error=error)
    assert result["attempts"] == 2


def test_sent_headers_hide_credentials_when_printed() -> None:
    result = results.post_container(container="c", headers={"X-Container-Sync-Key": "s3cr3t"})
    assert result["headers"]["X-Container-Sync-Key"] == "s3cr3t"
    assert "s3cr3t" not in repr(result) and "s3cr3t" not in str(result["headers"])


def test_only_a_success_has_a_status() -> None:
    assert BUILDERS["upload_object"]()["status"] == "uploaded"
    assert "status" not in BUILDERS["upload_object"](error=OSError("x"))


def test_a_download_skipped_as_identical_is_no_failure_to_report() -> None:
    skipped = results.download_object(
        container="c", object="o", path="o", pseudodir=False, read_length=0,
        status=Status.SKIPPED_IDENTICAL, tries=1, history=(),
        error=ClientException("Object GET failed", http_status=304), **TIMES)
    assert skipped["success"] is False and not is_failure(skipped)
    assert is_failure(results.delete_container(container="c", error=OSError("x")))
    assert not is_failure(results.delete_container(container="c"))
