"""delete: routing decisions (pure) and every delete mode on the real local Swift.

Bulk behaviour is tested on ``small_swift`` (bulk deletes of at most 50
objects, listing pages of 50) through a FaultProxy that counts requests.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any

import pytest
from _large import names_in, put_dlo, put_slo
from _results import every
from _seed import Seed

from swiftsvc import DeleteObject, Service, SwiftError
from swiftsvc.ops.delete.jobs import Kind, Target
from swiftsvc.ops.delete.planner import Route, inspect_batch, inspect_groups, route, use_bulk
from swiftsvc.ops.delete.targets import classify, listing_range, with_listing
from swiftsvc.options import Options
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy, LocalSwift

OBJECT_KEYS = {"action", "success", "container", "object", "attempts", "response_dict"}
BULK_KEYS = {"action", "success", "container", "objects", "attempts", "response_dict",
             "deleted", "not_found", "errors"}


def _target(kind: Kind, **options: Any) -> Target:
    return Target("c", "o", Options().merged(options), None, kind, False)


# ------------------------------------------------------------------ pure


class TestDecisions:
    def test_an_slo_is_recognised_by_its_slo_etag(self) -> None:
        entry = {"name": "a", "bytes": 30, "hash": "x", "slo_etag": '"y"',
                 "content_type": "application/octet-stream"}
        assert classify(entry) is Kind.SLO

    def test_an_slo_is_recognised_by_swift_bytes_on_old_clusters(self) -> None:
        entry = {"name": "a", "bytes": 30, "hash": "x",
                 "content_type": "application/octet-stream;swift_bytes=30"}
        assert classify(entry) is Kind.SLO

    def test_an_empty_object_may_be_a_dlo_manifest(self) -> None:
        entry = {"name": "a", "bytes": 0, "hash": "d41d8cd98f00b204e9800998ecf8427e",
                 "content_type": "application/octet-stream"}
        assert classify(entry) is Kind.MAYBE_DLO

    @pytest.mark.parametrize("content_type", [
        "application/directory", "text/directory",
        "application/x-deleted;swift_versions_deleted=1",
    ])
    def test_directory_markers_and_delete_markers_are_plain(self, content_type: str) -> None:
        entry = {"name": "a/", "bytes": 0, "hash": "d41d8cd98f00b204e9800998ecf8427e",
                 "content_type": content_type}
        assert classify(entry) is Kind.PLAIN

    def test_a_non_empty_object_is_plain(self) -> None:
        assert classify({"name": "a", "bytes": 3, "hash": "x", "content_type": "t/p"}) \
            is Kind.PLAIN

    def test_an_unlisted_object_is_unknown(self) -> None:
        assert classify(None) is Kind.UNKNOWN

    def test_routes(self) -> None:
        assert route(_target(Kind.PLAIN)) is Route.BULK
        assert route(_target(Kind.SLO)) is Route.OBJECT
        assert route(_target(Kind.MAYBE_DLO)) is Route.INSPECT
        assert route(_target(Kind.UNKNOWN)) is Route.INSPECT

    def test_leave_segments_sends_everything_to_bulk(self) -> None:
        for kind in Kind:
            assert route(_target(kind, leave_segments=True)) is Route.BULK

    def test_versions_and_own_options_are_never_bulk(self) -> None:
        versioned = Target("c", "o", Options(), "123.4", Kind.PLAIN, False)
        own = Target("c", "o", Options(), None, Kind.PLAIN, True)
        assert route(versioned) is Route.OBJECT
        assert route(own) is Route.OBJECT

    def test_bulk_only_above_twice_the_delete_threads(self) -> None:
        options = Options().merged({"object_dd_threads": 10})
        assert not use_bulk(20, options, 10000)
        assert use_bulk(21, options, 10000)
        assert not use_bulk(21, options, None)

    def test_inspect_groups_share_the_work_and_fill_bulk_requests(self) -> None:
        targets = [_target(Kind.MAYBE_DLO) for _ in range(2000)]
        assert [len(g) for g in inspect_groups(targets[:30], 10, 200)] == [3] * 10
        assert [len(g) for g in inspect_groups(targets[:500], 2, 200)] == [200, 200, 100]
        # a full batch gives every thread one group as big as a bulk request
        batch = targets[:inspect_batch(10, 200)]
        assert [len(g) for g in inspect_groups(batch, 10, 200)] == [200] * 10

    def test_listing_range_covers_the_names(self) -> None:
        prefix, marker, budget = listing_range(["dir/a1", "dir/a7", "dir/b"])
        assert (prefix, marker, budget) == ("dir/", "dir/a", 2)
        assert marker < "dir/a1"


class _ListingOnly:
    """A connection that only lists: ``page`` entries a page, like a cluster would."""

    def __init__(self, names: list[str], page: int) -> None:
        empty = "d41d8cd98f00b204e9800998ecf8427e"
        self.entries: list[dict[str, Any]] = [{"name": n, "bytes": 0 if n.startswith("e") else 1,
                         "hash": empty if n.startswith("e") else "h", "content_type": "t/p"}
                        for n in sorted(names)]
        self.page = page
        self.calls = 0

    def get_container(self, container: str, *, marker: str = "", prefix: str | None = None,
                      **_: Any) -> tuple[None, list[dict[str, Any]]]:
        self.calls += 1
        matching = [e for e in self.entries
                    if e["name"] > marker and e["name"].startswith(prefix or "")]
        return None, matching[: self.page]


class TestNamedObjectsListing:
    def _targets(self, names: list[str]) -> list[Target]:
        return [Target("c", n, Options(), None, Kind.UNKNOWN, False) for n in names]

    def test_listed_names_get_their_kind_and_missing_ones_go_plain(self) -> None:
        conn = _ListingOnly(["a1", "a2", "e3", "z"], page=10)
        chunk = with_listing(conn, "c", self._targets(["a1", "e3", "a0-missing"]))  # type: ignore[arg-type]
        assert [t.kind for t in chunk] == [Kind.PLAIN, Kind.MAYBE_DLO, Kind.PLAIN]
        assert conn.calls == 1

    def test_names_beyond_the_page_budget_stay_unknown(self) -> None:
        stored = [f"n{i:05d}" for i in range(1000)]
        conn = _ListingOnly(stored, page=10)
        chunk = with_listing(conn, "c", self._targets(["n00000", "n00015", "n00999"]))  # type: ignore[arg-type]
        assert conn.calls == 2  # the budget, not the 100 pages the range spans
        assert [t.kind for t in chunk] == [Kind.PLAIN, Kind.PLAIN, Kind.UNKNOWN]


# ------------------------------------------------------------ real cluster


@pytest.fixture
def service(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as svc:
        yield svc


def _by_action(results: Iterable[Result]) -> dict[str, list[Result]]:
    grouped: dict[str, list[Result]] = {}
    for result in results:
        grouped.setdefault(result["action"], []).append(result)
    return grouped


def test_a_few_objects_give_one_delete_object_result_each(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    for name in ("a", "b", "keep"):
        seed.put(container_name, name, b"data")
    results = every(service.delete(container_name, ["a", DeleteObject("b")]))
    assert sorted(r["object"] for r in results) == ["a", "b"]
    for result in results:
        assert result["action"] == "delete_object" and result["success"], result
        assert set(result) >= OBJECT_KEYS
        assert result["response_dict"]["status"] == 204
    assert names_in(seed, container_name) == ["keep"]


def test_a_missing_object_is_a_404_failure(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    [result] = every(service.delete(container_name, ["nope"]))
    assert not result["success"]
    assert result["error"].http_status == 404
    assert result["object"] == "nope"


def test_a_container_goes_after_its_objects(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    for name in ("a", "b/c", "d/"):
        seed.put(container_name, name, b"x", headers={"Content-Type": "application/directory"}
                 if name.endswith("/") else None)
    results = every(service.delete(container_name))
    assert [r["action"] for r in results][-1] == "delete_container"
    assert all(r["success"] for r in results), results
    assert sorted(r["object"] for r in results[:-1]) == ["a", "b/c", "d/"]
    assert results[-1]["container"] == container_name
    assert seed.head(container_name).status_code == 404


def test_a_prefix_deletes_only_its_objects_and_keeps_the_container(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    for name in ("logs/1", "logs/2", "other"):
        seed.put(container_name, name, b"x")
    results = every(service.delete(container_name, options={"prefix": "logs/"}))
    assert {r["action"] for r in results} == {"delete_object"}
    assert names_in(seed, container_name) == ["other"]


def test_a_prefix_filters_a_list_of_objects(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    for name in ("logs/1", "other"):
        seed.put(container_name, name, b"x")
    results = every(service.delete(container_name, ["logs/1", "other"], {"prefix": "logs/"}))
    assert [r["object"] for r in results] == ["logs/1"]
    assert names_in(seed, container_name) == ["other"]


def test_a_missing_container_is_a_failed_delete_container(
    service: Service, container_name: str
) -> None:
    # python-swiftclient's contract (COMPAT.md §4): yielded, not raised
    [result] = every(service.delete(container_name))
    assert result["action"] == "delete_container" and not result["success"]
    assert isinstance(result["error"], SwiftError)
    assert str(result["error"].value) == f"Container {container_name!r} not found"
    assert result["error"].container == container_name


def test_objects_of_a_missing_container_are_failed_deletes(
    service: Service, container_name: str
) -> None:
    [result] = every(service.delete(container_name, ["a"]))
    assert result["action"] == "delete_object" and not result["success"]
    assert result["error"].http_status == 404


class TestRefusedAtTheCall:
    def test_the_account_needs_yes_all(self, service: Service) -> None:
        with pytest.raises(SwiftError, match="yes_all"):
            service.delete()

    def test_objects_need_a_container(self, service: Service) -> None:
        with pytest.raises(SwiftError, match="without container"):
            service.delete(None, ["a"], {"yes_all": True})

    def test_a_bad_object_item(self, seed: Seed, service: Service, container_name: str) -> None:
        seed.container(container_name)
        with pytest.raises(SwiftError):
            service.delete(container_name, ["a", 3])


# ------------------------------------------------------------ large objects


def test_one_by_one_an_slo_and_a_dlo_take_their_segments(
    seed: Seed, service: Service, container_name: str
) -> None:
    segments = f"{container_name}_segments"
    seed.container(container_name)
    seed.container(segments)
    put_slo(seed, container_name, "slo", segments)
    put_dlo(seed, container_name, "dlo", segments)
    seed.put(segments, "unrelated", b"stays")
    results = _by_action(every(service.delete(container_name, ["slo", "dlo"])))
    assert {r["object"] for r in results["delete_object"]} == {"slo", "dlo"}
    assert all(r["success"] for r in results["delete_object"])
    [dlo] = [r for r in results["delete_object"] if r["object"] == "dlo"]
    assert dlo["dlo_segments_deleted"] is True
    assert names_in(seed, segments) == ["unrelated"]
    assert names_in(seed, container_name) == []


def test_a_dlo_whose_segment_container_is_gone_is_still_deleted(
    seed: Seed, service: Service, container_name: str
) -> None:
    seed.container(container_name)
    seed.put(container_name, "dlo", b"", headers={"X-Object-Manifest": "no-such-container/p/"})
    [result] = every(service.delete(container_name, ["dlo"]))
    assert result["success"] and result["dlo_segments_deleted"] is True, result
    assert names_in(seed, container_name) == []


def test_leave_segments_keeps_them(seed: Seed, service: Service, container_name: str) -> None:
    segments = f"{container_name}_segments"
    seed.container(container_name)
    seed.container(segments)
    kept = put_slo(seed, container_name, "slo", segments) + put_dlo(
        seed, container_name, "dlo", segments)
    results = every(service.delete(container_name, ["slo", "dlo"], {"leave_segments": True}))
    assert all(r["success"] for r in results) and len(results) == 2
    assert names_in(seed, segments) == sorted(kept)


# ------------------------------------------------------------------- bulk


@pytest.fixture
def small_proxy(small_swift: LocalSwift) -> Iterator[FaultProxy]:
    with FaultProxy(small_swift.proxy_url) as proxy:
        yield proxy


def _options(proxy: FaultProxy, user: str = "test:tester", key: str = "testing") -> dict[str, str]:
    return {"auth": proxy.url + "/auth/v1.0", "user": user, "key": key}


def test_fifty_objects_take_one_bulk_request_not_fifty_deletes(
    small_seed: Seed, small_proxy: FaultProxy, container_name: str
) -> None:
    small_seed.container(container_name)
    names = [f"o{i:02d}" for i in range(50)]
    small_seed.bulk(container_name, names, b"x")
    with Service(_options(small_proxy)) as svc:
        small_proxy.clear_requests()
        results = every(svc.delete(container_name, names))
    assert small_proxy.count(method="POST") == 1
    assert small_proxy.count(method="DELETE") == 0
    [result] = results
    assert result["action"] == "bulk_delete" and result["success"], result
    assert set(result) >= BULK_KEYS
    assert sorted(result["objects"]) == names
    assert (result["deleted"], result["not_found"], result["errors"]) == (50, 0, [])
    assert result["result"]["Number Deleted"] == 50  # python-swiftclient's key
    assert names_in(small_seed, container_name) == []


def test_a_container_of_fifty_objects_takes_one_bulk_request_and_one_delete(
    small_seed: Seed, small_proxy: FaultProxy, container_name: str
) -> None:
    small_seed.container(container_name)
    small_seed.bulk(container_name, [f"o{i:02d}" for i in range(50)], b"x")
    with Service(_options(small_proxy)) as svc:
        small_proxy.clear_requests()
        results = every(svc.delete(container_name))
    assert [r["action"] for r in results] == ["bulk_delete", "delete_container"]
    assert all(r["success"] for r in results)
    assert small_proxy.count(method="POST") == 1
    assert small_proxy.count(method="DELETE") == 1  # the container
    assert small_seed.head(container_name).status_code == 404


def test_missing_objects_are_counted_not_failed(
    small_seed: Seed, small_proxy: FaultProxy, container_name: str
) -> None:
    small_seed.container(container_name)
    present = [f"o{i:02d}" for i in range(30)]
    small_seed.bulk(container_name, present, b"x")
    with Service(_options(small_proxy)) as svc:
        results = every(svc.delete(container_name, [*present, "gone1", "gone2"]))
    assert [(r["deleted"], r["not_found"], r["success"]) for r in results] == [(30, 2, True)]


def test_empty_objects_are_headed_and_still_bulk_deleted(
    small_seed: Seed, small_proxy: FaultProxy, container_name: str
) -> None:
    # another container holds objects: a DLO's segments could be there
    small_seed.put(f"{container_name}-other", "x", b"x")
    small_seed.container(container_name)
    small_seed.bulk(container_name, [f"e{i:02d}" for i in range(40)], b"")
    with Service(_options(small_proxy, ) | {"object_dd_threads": 4}) as svc:
        small_proxy.clear_requests()
        results = every(svc.delete(container_name))
        heads = small_proxy.count(method="HEAD", path=r"/e\d\d\?")
        deletes, posts = small_proxy.count(method="DELETE"), small_proxy.count(method="POST")
        every(svc.delete(f"{container_name}-other"))
    assert all(r["success"] for r in results), results
    assert heads == 40
    assert deletes == 1  # only the container
    assert posts == 4  # one bulk request per HEADing job


@pytest.mark.parametrize("listed", [True, False], ids=["container", "named objects"])
def test_bulk_deletes_leave_no_orphan_segments(
    small_seed: Seed, small_proxy: FaultProxy, container_name: str, listed: bool
) -> None:
    segments = f"{container_name}_segments"
    small_seed.container(container_name)
    small_seed.container(segments)
    put_slo(small_seed, container_name, "m-slo", segments, count=3)
    put_dlo(small_seed, container_name, "m-dlo", segments, count=60)  # > one listing page
    plain = [f"p{i:02d}" for i in range(40)]
    small_seed.bulk(container_name, plain, b"x")
    with Service(_options(small_proxy)) as svc:
        small_proxy.clear_requests()
        if listed:
            results = every(svc.delete(container_name))
        else:
            results = every(svc.delete(container_name, ["m-dlo", *plain, "m-slo"]))
    assert all(r["success"] for r in results), [r for r in results if not r["success"]]
    grouped = _by_action(results)
    assert {r["object"] for r in grouped["delete_object"]} == {"m-slo", "m-dlo"}
    assert names_in(small_seed, segments) == []
    assert names_in(small_seed, container_name) == []
    # 40 plain objects in one request, the DLO's 60 segments in two (50 a request)
    assert small_proxy.count(method="POST") == 3


def test_per_item_failures_name_their_objects(
    small_swift: LocalSwift, small_proxy: FaultProxy, container_name: str
) -> None:
    owner = Seed(small_swift)
    # tester3 may read (HEAD, list) but not delete
    owner.container(container_name, {"X-Container-Read": "test:tester3"})
    names = [f"o{i:02d}" for i in range(30)]
    owner.bulk(container_name, names, b"x")
    with Service(_options(small_proxy, "test:tester3", "testing3")) as svc:
        [result] = every(svc.delete(container_name, names))
    # carried out, item by item refused: a success with its errors, as
    # python-swiftclient reports it (COMPAT.md §4)
    assert result["success"]
    assert sorted(result["errors"]) == [(name, "403 Forbidden") for name in names]
    assert result["result"]["Response Status"] == "400 Bad Request"
    assert names_in(owner, container_name) == names


def test_a_conflict_in_the_bulk_answer_fails_that_item(
    small_seed: Seed, small_proxy: FaultProxy, container_name: str
) -> None:
    small_seed.container(container_name)
    names = [f"o{i:02d}" for i in range(30)]
    answer = {"Response Status": "400 Bad Request", "Response Body": "", "Number Deleted": 29,
              "Number Not Found": 0, "Errors": [[f"/{container_name}/o07", "409 Conflict"]]}
    small_proxy.respond(200, body=json.dumps(answer).encode(), method="POST",
                        path="bulk-delete", headers={"Content-Type": "application/json"})
    with Service(_options(small_proxy)) as svc:
        [result] = every(svc.delete(container_name, names))
    assert result["success"]  # carried out (COMPAT.md §4); the item that failed says so
    assert result["errors"] == [("o07", "409 Conflict")]
    assert result["deleted"] == 29
    assert result["result"]["Errors"] == [[f"/{container_name}/o07", "409 Conflict"]]


def test_a_bulk_request_refused_whole_is_a_failure(
    small_seed: Seed, small_proxy: FaultProxy, container_name: str
) -> None:
    small_seed.container(container_name)
    names = [f"o{i:02d}" for i in range(30)]
    answer = {"Response Status": "413 Request Entity Too Large", "Response Body": "too many",
              "Number Deleted": 0, "Number Not Found": 0, "Errors": []}
    small_proxy.respond(200, body=json.dumps(answer).encode(), method="POST",
                        path="bulk-delete", headers={"Content-Type": "application/json"})
    with Service(_options(small_proxy)) as svc:
        [result] = every(svc.delete(container_name, names))
    assert not result["success"] and result["errors"] == []
    assert result["error"].http_status == 413


# --------------------------------------------------------------- versions


def _versions(seed: Seed, container: str) -> list[tuple[str, str]]:
    answer = seed.session.get(
        f"{seed.storage_url}/{container}", params={"format": "json", "versions": ""},
        headers={"X-Auth-Token": seed.token}, timeout=30,
    )
    return [(e["name"], e["version_id"]) for e in answer.json()] if answer.text else []


@pytest.fixture
def versioned(seed: Seed, container_name: str) -> list[str]:
    """A versioned container with three versions of "obj"; their ids, newest first."""
    seed.container(container_name, {"X-Versions-Enabled": "true"})
    for version in range(3):
        seed.put(container_name, "obj", f"v{version}".encode())
    ids = [vid for name, vid in _versions(seed, container_name) if name == "obj"]
    assert len(ids) == 3
    return ids


def test_versions_deletes_every_version_of_an_object(
    seed: Seed, service: Service, container_name: str, versioned: list[str]
) -> None:
    results = every(service.delete(container_name, ["obj"], {"versions": True}))
    assert sorted(r["version_id"] for r in results) == sorted(versioned)
    assert all(r["success"] for r in results)
    assert _versions(seed, container_name) == []


def test_a_version_id_deletes_that_version_only(
    seed: Seed, service: Service, container_name: str, versioned: list[str]
) -> None:
    middle = versioned[1]
    [result] = every(service.delete(container_name, [DeleteObject("obj", {"version_id": middle})]))
    assert result["success"] and result["version_id"] == middle
    assert [vid for _, vid in _versions(seed, container_name)] == [versioned[0], versioned[2]]


def test_versions_empties_and_deletes_a_versioned_container(
    seed: Seed, service: Service, container_name: str, versioned: list[str]
) -> None:
    seed.put(container_name, "other", b"x")
    requests = seed.session
    requests.delete(f"{seed.storage_url}/{container_name}/other",
                    headers={"X-Auth-Token": seed.token}, timeout=30)  # leaves a delete marker
    results = every(service.delete(container_name, options={"versions": True}))
    assert all(r["success"] for r in results), results
    assert results[-1]["action"] == "delete_container"
    assert len(results) == 1 + 3 + 2  # container, obj's versions, other + its marker
    assert seed.head(container_name).status_code == 404


def test_a_big_delete_is_split_into_parallel_bulk_requests(
    seed: Seed, local_swift: LocalSwift, container_name: str
) -> None:
    # the stock cluster allows 10000 per request, but one request is worked
    # through nearly serially: 250 objects go as 200 + 50 in parallel
    seed.container(container_name)
    names = [f"o{i:03d}" for i in range(250)]
    seed.bulk(container_name, names, b"x")
    with FaultProxy(local_swift.proxy_url) as proxy, Service(_options(proxy)) as svc:
        proxy.clear_requests()
        results = every(svc.delete(container_name, names))
        assert proxy.count(method="POST", path="bulk-delete") == 2
    assert sorted(len(r["objects"]) for r in results) == [50, 200]
    assert all(r["success"] for r in results)
    assert names_in(seed, container_name) == []
