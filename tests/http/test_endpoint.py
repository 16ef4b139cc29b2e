"""URL building: endpoint_path, info_url, query strings (pure)."""

from __future__ import annotations

import pytest

from swiftsvc.http.urls import endpoint_path, info_url, query_string

STORAGE = "http://127.0.0.1:8080/v1/AUTH_test"


def test_account_endpoint() -> None:
    assert endpoint_path(STORAGE, "account") == "/v1/AUTH_test"
    assert endpoint_path(STORAGE + "/", "account", full=True) == STORAGE


def test_container_endpoint_is_quoted() -> None:
    assert endpoint_path(STORAGE, "container", "a b") == "/v1/AUTH_test/a%20b"
    assert endpoint_path(STORAGE, "container", "c", full=True) == STORAGE + "/c"


def test_object_names_keep_their_slashes_and_are_utf8_quoted() -> None:
    assert (
        endpoint_path(STORAGE, "object", "c", "dir/sub/ä?#.txt")
        == "/v1/AUTH_test/c/dir/sub/%C3%A4%3F%23.txt"
    )


def test_a_slash_in_a_container_name_is_quoted() -> None:
    assert endpoint_path(STORAGE, "container", "a/b") == "/v1/AUTH_test/a%2Fb"


@pytest.mark.parametrize(
    ("kind", "container", "obj"),
    [("container", None, None), ("object", "c", None), ("object", None, "o"),
     ("bucket", "c", None)],
)
def test_missing_names_are_refused(kind: str, container: str | None, obj: str | None) -> None:
    with pytest.raises(ValueError):
        endpoint_path(STORAGE, kind, container, obj)  # type: ignore[arg-type]


def test_info_url_from_a_storage_url() -> None:
    assert info_url(STORAGE) == "http://127.0.0.1:8080/info"
    assert info_url("https://h/swift/v1/AUTH_x") == "https://h/swift/info"
    assert info_url("http://h:8080") == "http://h:8080/info"
    assert info_url("http://h:8080/info") == "http://h:8080/info"


def test_query_string() -> None:
    assert query_string({"multipart-manifest": "put"}) == "multipart-manifest=put"
    assert query_string([("bulk-delete", "")]) == "bulk-delete"
    assert query_string([("prefix", "a b/&c"), ("limit", "2")]) == "prefix=a%20b%2F%26c&limit=2"
    assert query_string(None) == ""
