"""Bulk delete: request building and response parsing (pure), and the job on the real cluster."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest

from swiftsvc.ops.bulk_answers import (
    item_errors,
    parse_bulk_delete_response,
    quote_path,
    request_body,
    status_code,
)
from swiftsvc.ops.delete.bulk import bulk_delete_limit, chunked


def test_limit_comes_from_capabilities() -> None:
    assert bulk_delete_limit({"bulk_delete": {"max_deletes_per_request": 50}}) == 50


def test_limit_defaults_when_the_cluster_gives_none() -> None:
    assert bulk_delete_limit({"bulk_delete": {}}) == 10000


def test_no_limit_without_bulk_delete() -> None:
    assert bulk_delete_limit({"swift": {"version": "2.38.3"}, "bulk_upload": {}}) is None


def test_paths_are_quoted_but_keep_their_slashes() -> None:
    assert quote_path("c", "a b/ü%\n") == "/c/a%20b/%C3%BC%25%0A"


def test_body_has_one_line_per_object_that_unquotes_to_its_path() -> None:
    names = ["plain", "with space", "line\nbreak", "pct%41"]
    lines = request_body("cont", names).decode("ascii").splitlines()
    assert [unquote(line) for line in lines] == [f"/cont/{n}" for n in names]


def test_chunked_is_lazy_and_bounded() -> None:
    consumed: list[int] = []

    def items() -> Any:
        for i in range(7):
            consumed.append(i)
            yield i

    chunks = chunked(items(), 3)
    assert next(chunks) == [0, 1, 2]
    assert consumed == [0, 1, 2]
    assert list(chunks) == [[3, 4, 5], [6]]


def test_chunk_size_must_be_positive() -> None:
    with pytest.raises(ValueError):
        list(chunked([1], 0))


def _answer(**fields: Any) -> bytes:
    body = {"Response Status": "200 OK", "Response Body": "", "Number Deleted": 0,
            "Number Not Found": 0, "Errors": []}
    body.update(fields)
    # the middleware sends whitespace while it works, before the JSON
    return b"   \r\n\r\n" + json.dumps(body).encode()


def test_parse_counts_and_per_item_errors() -> None:
    outcome = parse_bulk_delete_response(_answer(**{
        "Response Status": "400 Bad Request", "Number Deleted": 3, "Number Not Found": 2,
        "Errors": [["/c/a%20b", "409 Conflict"], ["/c/x", "Not an SLO manifest"]],
    }))
    assert (outcome.status, outcome.deleted, outcome.not_found) == (400, 3, 2)
    assert outcome.errors == {"c/a b": "409 Conflict", "c/x": "Not an SLO manifest"}
    assert outcome.failed


def test_missing_objects_alone_are_not_a_failure() -> None:
    outcome = parse_bulk_delete_response(_answer(**{"Number Not Found": 4}))
    assert not outcome.failed


def test_an_empty_answer_is_not_a_bulk_answer() -> None:
    with pytest.raises(ValueError):
        parse_bulk_delete_response(b"")


def test_item_errors_name_the_objects_of_the_chunk() -> None:
    outcome = parse_bulk_delete_response(_answer(**{
        "Response Status": "400 Bad Request",
        "Errors": [["/c/dir/a", "403 Forbidden"], ["/segs/s1", "503 Service Unavailable"]],
    }))
    assert item_errors("c", ["dir/a", "b"], outcome) == [
        ("dir/a", "403 Forbidden"), ("segs/s1", "503 Service Unavailable"),
    ]


def test_status_code() -> None:
    assert status_code("409 Conflict") == 409
    assert status_code("Not an SLO manifest") is None
