"""copy: destination decisions (pure) and every copy mode on the real local Swift."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

import pytest
from _large import names_in, put_dlo, put_slo
from _results import client_error, every
from _seed import Seed

from swiftsvc import CopyObject, Service, SwiftError
from swiftsvc.ops.copy import names_an_object, resolve_destination
from swiftsvc.results import CopyObjectResult, CopyResult

COPY_KEYS = {"action", "success", "container", "object", "destination", "headers",
             "fresh_metadata", "response_dict", "attempts"}


class TestDecisions:
    def test_a_container_destination_keeps_the_name(self) -> None:
        assert resolve_destination("src", "dir/a", "/dst") == "/dst/dir/a"

    def test_an_object_destination_is_used_as_is(self) -> None:
        assert resolve_destination("src", "a", "/dst/b/c") == "/dst/b/c"

    def test_no_destination_is_the_object_itself(self) -> None:
        assert resolve_destination("src", "a", None) == "/src/a"

    @pytest.mark.parametrize("bad", ["dst", "/", "/dst/"])
    def test_bad_destinations(self, bad: str) -> None:
        with pytest.raises(SwiftError):
            resolve_destination("src", "a", bad)

    def test_names_an_object(self) -> None:
        assert names_an_object("/c/o")
        assert not names_an_object("/c")
        assert not names_an_object(None)


@pytest.fixture
def service(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as svc:
        yield svc


def _meta(seed: Seed, container: str, obj: str) -> dict[str, str]:
    headers = seed.head(container, obj).headers
    return {k.lower(): v for k, v in headers.items() if k.lower().startswith("x-object-meta-")}


def _body(seed: Seed, container: str, obj: str) -> bytes:
    answer = seed.session.get(f"{seed.storage_url}/{container}/{obj}",
                              headers={"X-Auth-Token": seed.token}, timeout=30)
    assert answer.status_code == 200, answer.status_code
    return answer.content


def test_copy_into_a_new_container_creates_it_once(
    seed: Seed, service: Service, container_name: str
) -> None:
    destination = f"{container_name}-dst"
    seed.container(container_name)
    for name in ("a", "dir/b"):
        seed.put(container_name, name, name.encode())
    results = list(service.copy(container_name, ["a", "dir/b"], {"destination": f"/{destination}"}))
    actions = [r["action"] for r in results]
    assert actions[0] == "create_container" and actions.count("create_container") == 1
    assert results[0]["container"] == destination and results[0]["success"]
    copies = [r for r in results if r["action"] == "copy_object"]
    assert sorted(str(r["destination"]) for r in copies) == [
        f"/{destination}/a", f"/{destination}/dir/b"]
    for result in copies:
        assert result["success"], result
        assert set(result) >= COPY_KEYS
        assert result["response_dict"]["status"] == 201
    assert _body(seed, destination, "dir/b") == b"dir/b"


def copied(results: Iterable[CopyResult]) -> list[CopyObjectResult]:
    """The copy_object results (a destination's create_container comes first)."""
    return [r for r in results if r["action"] == "copy_object"]


def test_copy_to_an_object_destination(seed: Seed, service: Service, container_name: str) -> None:
    seed.container(container_name)
    seed.put(container_name, "a", b"payload", headers={"X-Object-Meta-Kept": "yes"})
    # as python-swiftclient, the destination container is created first, the
    # source itself too (COMPAT.md §3)
    created, result = every(
        service.copy(container_name, ["a"], {"destination": f"/{container_name}/b"}))
    assert created["action"] == "create_container" and created["container"] == container_name
    assert result["success"] and result["destination"] == f"/{container_name}/b"
    assert _body(seed, container_name, "b") == b"payload"
    assert _meta(seed, container_name, "b") == {"x-object-meta-kept": "yes"}


def test_several_objects_to_one_object_destination_is_refused_at_the_call(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    with pytest.raises(SwiftError, match="multiple objects"):
        service.copy(container_name, ["a", "b"], {"destination": f"/{container_name}/x"})


def test_copy_objects_with_their_own_destinations(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    seed.put(container_name, "a", b"1")
    seed.put(container_name, "b", b"2")
    items = [CopyObject("a", {"destination": f"/{container_name}/a2"}),
             CopyObject("b", {"destination": f"/{container_name}/b2", "fresh_metadata": True})]
    results = copied(service.copy(container_name, items, {"destination": f"/{container_name}/x"}))
    assert sorted((r["object"], r["destination"], r["fresh_metadata"]) for r in results) == [
        ("a", f"/{container_name}/a2", False), ("b", f"/{container_name}/b2", True)]
    assert names_in(seed, container_name) == ["a", "a2", "b", "b2"]


def test_copy_onto_itself_adds_metadata(seed: Seed, service: Service, container_name: str) -> None:
    seed.container(container_name)
    seed.put(container_name, "a", b"same", headers={"X-Object-Meta-Old": "1"})
    # without a destination nothing is created, and destination is None (python-swiftclient's)
    [result] = copied(service.copy(container_name, ["a"], {"meta": ["New:2"]}))
    assert result["success"] and result["destination"] is None
    assert result["headers"] == {"X-Object-Meta-New": "2"}
    assert _meta(seed, container_name, "a") == {"x-object-meta-old": "1", "x-object-meta-new": "2"}
    assert _body(seed, container_name, "a") == b"same"


def test_fresh_metadata_replaces_it(seed: Seed, service: Service, container_name: str) -> None:
    seed.container(container_name)
    seed.put(container_name, "a", b"same", headers={"X-Object-Meta-Old": "1"})
    [result] = copied(service.copy(
        container_name, ["a"], {"meta": ["New:2"], "header": ["Content-Type:text/x-new"],
                                "fresh_metadata": True}))
    assert result["success"] and result["fresh_metadata"] is True
    assert _meta(seed, container_name, "a") == {"x-object-meta-new": "2"}
    assert seed.head(container_name, "a").headers["content-type"] == "text/x-new"


def test_a_missing_source_object_is_a_failed_result(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    [result] = copied(
        service.copy(container_name, ["nope"], {"destination": f"/{container_name}/x"}))
    assert not result["success"] and client_error(result).http_status == 404
    assert result["object"] == "nope"


def test_a_missing_source_container_is_a_failed_result_per_object(
    service: Service, container_name: str
) -> None:
    # python-swiftclient's contract (COMPAT.md §4): each COPY answers 404
    results = every(service.copy(container_name, ["a", "b"]))
    assert sorted(r["object"] for r in results) == ["a", "b"]
    for result in results:
        assert result["action"] == "copy_object" and not result["success"]
        assert client_error(result).http_status == 404


@pytest.mark.parametrize("kind", ["slo", "dlo"])
def test_a_large_object_copy_survives_deleting_the_original_with_its_segments(
    seed: Seed, service: Service, container_name: str, kind: str
) -> None:
    segments = f"{container_name}_segments"
    seed.container(container_name)
    seed.container(segments)
    put = put_slo if kind == "slo" else put_dlo
    put(seed, container_name, "big", segments, count=3, size=1000)
    original = _body(seed, container_name, "big")
    assert len(original) == 3000
    [copy] = copied(
        service.copy(container_name, ["big"], {"destination": f"/{container_name}/copy"}))
    assert copy["success"], copy
    deleted = list(service.delete(container_name, ["big"]))
    assert all(r["success"] for r in deleted)
    assert names_in(seed, segments) == []
    head = seed.head(container_name, "copy").headers
    assert "x-static-large-object" not in head and "x-object-manifest" not in head
    assert _body(seed, container_name, "copy") == original
