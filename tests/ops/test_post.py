"""post: the header decisions (pure) and post_* results on the real local Swift."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _seed import Seed

from swiftsvc import ClientException, PostObject, Service, SwiftError
from swiftsvc.ops.post import Target, object_post_headers, post_headers
from swiftsvc.options import Options

POST_KEYS = {"action", "success", "container", "object", "headers", "response_dict"}


@pytest.fixture
def service(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as svc:
        yield svc


class TestHeaders:
    def test_container_headers_carry_meta_header_acls_and_sync(self) -> None:
        options = Options().merged({
            "meta": ["Color:blue"], "header": ["X-Custom:1"], "read_acl": ".r:*",
            "write_acl": "test:tester3", "sync_to": "//r/c", "sync_key": "k",
        })
        headers = post_headers(Target.CONTAINER, options.meta, options.header, options)
        assert headers == {
            "X-Container-Meta-Color": "blue", "X-Custom": "1", "X-Container-Read": ".r:*",
            "X-Container-Write": "test:tester3", "X-Container-Sync-To": "//r/c",
            "X-Container-Sync-Key": "k",
        }

    def test_acl_options_only_apply_to_containers(self) -> None:
        options = Options().merged({"meta": ["a:1"], "read_acl": ".r:*"})
        assert post_headers(Target.ACCOUNT, options.meta, options.header, options) == {
            "X-Account-Meta-a": "1"}

    def test_per_object_options_extend_the_calls(self) -> None:
        options = Options().merged({"meta": ["a:1", "b:2"], "header": ["X-H:call"]})
        headers = object_post_headers(options, {"meta": ["b:object"], "header": ["X-O:1"]})
        assert headers == {"X-Object-Meta-a": "1", "X-Object-Meta-b": "object",
                           "X-H": "call", "X-O": "1"}
        assert object_post_headers(options, None) == {
            "X-Object-Meta-a": "1", "X-Object-Meta-b": "2", "X-H": "call"}


def test_post_account_sets_and_removes_metadata(
    service: Service, seed: Seed, container_name: str
) -> None:
    key = container_name[-8:]
    result = service.post(options={"meta": [f"{key}:yes"]})
    assert isinstance(result, dict)
    assert set(result) >= POST_KEYS
    assert result["action"] == "post_account" and result["success"] is True
    assert result["container"] is None and result["object"] is None
    assert result["headers"] == {f"X-Account-Meta-{key}": "yes"}
    assert result["response_dict"]["status"] == 204
    assert seed.session.head(seed.storage_url, headers={"X-Auth-Token": seed.token}).headers[
        f"x-account-meta-{key}"] == "yes"
    service.post(options={"meta": [f"{key}:"]})
    after = seed.session.head(seed.storage_url, headers={"X-Auth-Token": seed.token})
    assert f"x-account-meta-{key}" not in after.headers


def test_post_container_sets_acls_and_metadata(
    service: Service, seed: Seed, container_name: str
) -> None:
    seed.container(container_name)
    result = service.post(container_name, options={
        "read_acl": ".r:*,.rlistings", "write_acl": "test:tester3", "meta": ["Color:red"],
        "header": ["X-Container-Meta-Extra:1"]})
    assert isinstance(result, dict)
    assert set(result) >= POST_KEYS
    assert result["action"] == "post_container" and result["success"] is True
    assert result["container"] == container_name and result["object"] is None
    headers = seed.head(container_name).headers
    assert headers["x-container-read"] == ".r:*,.rlistings"
    assert headers["x-container-write"] == "test:tester3"
    assert headers["x-container-meta-color"] == "red"
    assert headers["x-container-meta-extra"] == "1"


def test_post_to_a_missing_container_creates_it(
    service: Service, seed: Seed, container_name: str
) -> None:
    result = service.post(container_name, options={"meta": ["Made:by-post"]})
    assert isinstance(result, dict)
    assert result["success"] is True
    assert result["response_dict"]["status"] in (201, 202)
    head = seed.head(container_name)
    assert head.status_code == 204
    assert head.headers["x-container-meta-made"] == "by-post"


def test_post_objects_with_per_object_options(
    service: Service, seed: Seed, container_name: str
) -> None:
    seed.put(container_name, "a", b"1")
    seed.put(container_name, "b", b"2")
    results = {
        r["object"]: r
        for r in service.post(
            container_name,
            ["a", PostObject("b", {"meta": ["Own:b"]})],
            {"meta": ["Shared:yes"]},
        )
    }
    assert set(results) == {"a", "b"}
    for result in results.values():
        assert set(result) >= POST_KEYS
        assert result["action"] == "post_object" and result["success"] is True
        assert result["container"] == container_name
    assert results["b"]["headers"] == {"X-Object-Meta-Shared": "yes", "X-Object-Meta-Own": "b"}
    a = seed.head(container_name, "a").headers
    b = seed.head(container_name, "b").headers
    assert a["x-object-meta-shared"] == "yes" and "x-object-meta-own" not in a
    assert b["x-object-meta-shared"] == "yes" and b["x-object-meta-own"] == "b"


def test_post_to_a_missing_object_is_a_failed_result(
    service: Service, seed: Seed, container_name: str
) -> None:
    seed.container(container_name)
    (result,) = service.post(container_name, ["ghost"], {"meta": ["a:b"]})
    assert result["action"] == "post_object"
    assert result["success"] is False
    assert isinstance(result["error"], ClientException)
    assert result["error"].http_status == 404
    assert result["object"] == "ghost"
    assert result["response_dict"]["status"] == 404


def test_bad_post_items_raise_at_the_call(service: Service, container_name: str) -> None:
    with pytest.raises(SwiftError, match="strings or PostObject"):
        service.post(container_name, ["ok", 42])  # type: ignore[list-item]
    with pytest.raises(SwiftError, match="without container"):
        service.post(None, ["o"])  # type: ignore[call-overload]
    with pytest.raises(SwiftError, match="must not contain '/'"):
        service.post("a/b")
