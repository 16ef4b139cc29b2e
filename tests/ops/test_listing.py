"""Listings on the real local Swift: paging, filters, long, versions, the shared pagers."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import pytest
from _seed import Seed

from swiftsvc import ClientException, Service, SwiftError
from swiftsvc.options import Options
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy, LocalSwift
from swiftsvc.testing.pytest_plugin import SMALL_LISTING_LIMIT

LISTING_ITEM_KEYS = {"name", "bytes", "last_modified", "hash", "content_type"}


@pytest.fixture
def small_service(small_swift: LocalSwift) -> Iterator[Service]:
    with Service(small_swift.auth_options("tester")) as svc:
        yield svc


@pytest.fixture
def service(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as svc:
        yield svc


def names(pages: Sequence[Result]) -> list[str]:
    return [item.get("name", item.get("subdir")) for page in pages for item in page["listing"]]


def test_container_pages_follow_the_clusters_listing_limit(
    small_service: Service, small_seed: Seed, container_name: str
) -> None:
    wanted = [f"obj-{i:04d}" for i in range(2 * SMALL_LISTING_LIMIT + 7)]
    small_seed.bulk(container_name, wanted, b"x")
    pages = list(small_service.list(container_name))
    assert [len(p["listing"]) for p in pages] == [50, 50, 7]
    assert names(pages) == wanted
    # each page's marker is the one it was asked for with (python-swiftclient's)
    assert [p["marker"] for p in pages] == ["", "obj-0049", "obj-0099"]
    for page in pages:
        assert page["action"] == "list_container_part"
        assert page["success"] is True
        assert page["container"] == container_name
        assert page["prefix"] is None
        assert set(page["listing"][0]) >= LISTING_ITEM_KEYS
        assert "meta" not in page["listing"][0]


def test_prefix_delimiter_and_markers(
    service: Service, seed: Seed, container_name: str
) -> None:
    seed.bulk(container_name, ["a/1", "a/2", "b/1", "b/2", "c", "d"])
    by_prefix = list(service.list(container_name, {"prefix": "b/"}))
    assert names(by_prefix) == ["b/1", "b/2"]
    assert by_prefix[0]["prefix"] == "b/"
    by_delimiter = names(list(service.list(container_name, {"delimiter": "/"})))
    assert by_delimiter == ["a/", "b/", "c", "d"]
    window = names(list(service.list(container_name, {"marker": "a/2", "end_marker": "c"})))
    assert window == ["b/1", "b/2"]


def test_delimiter_paging_resumes_after_a_pseudo_folder(
    small_service: Service, small_seed: Seed, container_name: str
) -> None:
    wanted = [f"d{i:03d}/x" for i in range(SMALL_LISTING_LIMIT + 5)]
    small_seed.bulk(container_name, wanted)
    pages = list(small_service.list(container_name, {"delimiter": "/"}))
    assert names(pages) == [f"d{i:03d}/" for i in range(SMALL_LISTING_LIMIT + 5)]
    assert [p["marker"] for p in pages] == ["", "d049/"]


def test_long_listing_carries_each_objects_metadata(
    service: Service, seed: Seed, container_name: str
) -> None:
    for i in range(5):
        seed.put(container_name, f"o{i}", b"data", {"X-Object-Meta-Color": f"c{i}"})
    seed.put(container_name, "dir/inner", b"")
    pages = list(service.list(container_name, {"long": True, "delimiter": "/"}))
    listing = [item for page in pages for item in page["listing"]]
    objects = [item for item in listing if "name" in item]
    assert [item["meta"]["x-object-meta-color"] for item in objects] == [
        f"c{i}" for i in range(5)
    ]
    assert all(item["meta"]["content-length"] == "4" for item in objects)
    assert [item for item in listing if "subdir" in item] == [{"subdir": "dir/"}]


def test_account_listing_with_long(
    small_service: Service, small_seed: Seed, container_name: str
) -> None:
    # (the account listing limit stays 10000 on the small cluster: the paging of
    # accounts is pinned by TestPagers.test_account_pages_honour_prefix)
    created = [f"{container_name}-{i:03d}" for i in range(12)]
    for name in created:
        small_seed.container(name, {"X-Container-Meta-Tag": name[-3:]})
    pages = list(small_service.list(options={"prefix": container_name, "long": True}))
    assert names(pages) == created
    assert pages[0]["action"] == "list_account_part"
    assert pages[0]["container"] is None
    assert pages[0]["prefix"] == container_name
    assert pages[-1]["listing"][-1]["meta"]["x-container-meta-tag"] == created[-1][-3:]


def test_versions_listing_pages_through_every_version(
    small_service: Service, small_seed: Seed, container_name: str
) -> None:
    small_seed.container(container_name, {"X-Versions-Enabled": "true"})
    count = SMALL_LISTING_LIMIT // 2 + 5  # two versions each: more than one page
    small_seed.bulk(container_name, [f"v{i:03d}" for i in range(count)], b"one")
    small_seed.bulk(container_name, [f"v{i:03d}" for i in range(count)], b"two")
    pages = list(small_service.list(container_name, {"versions": True}))
    listing = [item for page in pages for item in page["listing"]]
    assert len(listing) == 2 * count
    assert len({(item["name"], item["version_id"]) for item in listing}) == 2 * count
    assert len(pages) >= 2
    plain = list(small_service.list(container_name))
    assert len(names(plain)) == count


def test_a_missing_container_is_a_failed_page(service: Service, container_name: str) -> None:
    # python-swiftclient's contract (COMPAT.md §4): yielded, not raised
    [page] = service.list(container_name)
    assert page["action"] == "list_container_part" and page["success"] is False
    assert page["listing"] == [] and page["marker"] == ""
    error = page["error"]
    assert isinstance(error, SwiftError) and error.container == container_name
    assert str(error.value) == f"Container {container_name!r} not found"
    assert getattr(error.exception, "http_status", None) == 404


def test_an_empty_container_yields_nothing(
    service: Service, seed: Seed, container_name: str
) -> None:
    seed.container(container_name)
    assert list(service.list(container_name)) == []


class TestPagers:
    """iter_container_pages / iter_account_pages, used by download and delete."""

    def test_container_pages_with_a_requested_limit(
        self, service: Service, seed: Seed, container_name: str
    ) -> None:
        from swiftsvc.ops.listing import iter_container_pages

        wanted = [f"p{i:03d}" for i in range(25)]
        seed.bulk(container_name, wanted)
        conn = service._call(None).connection()
        pages = list(iter_container_pages(conn, container_name, Options(), limit=10))
        assert [len(p) for p in pages] == [10, 10, 5]
        assert [item["name"] for page in pages for item in page] == wanted

    def test_pages_are_fetched_lazily(
        self, service: Service, seed: Seed, container_name: str
    ) -> None:
        from swiftsvc.ops.listing import iter_container_pages

        seed.bulk(container_name, [f"p{i:03d}" for i in range(25)])
        conn = service._call(None).connection()
        pages = iter_container_pages(conn, container_name, Options(), limit=10)
        assert [item["name"] for item in next(pages)][-1] == "p009"
        seed.put(container_name, "p0095")  # created after the first page: still listed
        rest = [item["name"] for page in pages for item in page]
        assert rest[0] == "p0095"

    def test_missing_container_raises_swift_error(
        self, service: Service, container_name: str
    ) -> None:
        from swiftsvc.ops.listing import iter_container_pages

        conn = service._call(None).connection()
        with pytest.raises(SwiftError, match="not found"):
            next(iter_container_pages(conn, container_name, Options()))

    def test_account_pages_honour_prefix(
        self, service: Service, seed: Seed, container_name: str
    ) -> None:
        from swiftsvc.ops.listing import iter_account_pages

        for i in range(3):
            seed.container(f"{container_name}-{i}")
        conn = service._call(None).connection()
        pages = list(iter_account_pages(conn, Options(prefix=container_name), limit=2))
        assert [len(p) for p in pages] == [2, 1]


@pytest.fixture
def proxy(small_swift: LocalSwift) -> Iterator[FaultProxy]:
    with FaultProxy(small_swift.proxy_url) as fp:
        yield fp


def test_a_page_that_fails_midway_ends_with_a_failed_result(
    proxy: FaultProxy, small_swift: LocalSwift, small_seed: Seed, container_name: str
) -> None:
    small_seed.bulk(container_name, [f"o{i:03d}" for i in range(SMALL_LISTING_LIMIT + 5)])
    options = {**small_swift.auth_options("tester"), "auth": proxy.url + "/auth/v1.0",
               "retries": 0}
    proxy.respond(500, method="GET", path=r"marker=o049", times=None)
    with Service(options) as svc:
        pages = list(svc.list(container_name))
    assert [p["success"] for p in pages] == [True, False]
    assert pages[1]["marker"] == "o049"
    error = pages[1]["error"]
    assert isinstance(error, ClientException) and error.http_status == 500
    assert {"traceback", "error_timestamp"} <= set(pages[1])


def test_long_listing_gives_none_meta_for_an_object_gone_since_listed(
    proxy: FaultProxy, small_swift: LocalSwift, small_seed: Seed, container_name: str
) -> None:
    for name in ("a", "b"):
        small_seed.put(container_name, name, b"x")
    options = {**small_swift.auth_options("tester"), "auth": proxy.url + "/auth/v1.0"}
    proxy.respond(404, method="HEAD", path=r"/b$", times=None)
    with Service(options) as svc:
        (page,) = svc.list(container_name, {"long": True})
    assert page["success"] is True
    assert page["listing"][0]["meta"]["content-length"] == "1"
    assert page["listing"][1]["meta"] is None


def test_closing_a_listing_early_stops_it(
    small_service: Service, small_seed: Seed, container_name: str
) -> None:
    small_seed.bulk(container_name, [f"o{i:03d}" for i in range(3 * SMALL_LISTING_LIMIT)])
    pages = small_service.list(container_name, {"long": True})
    first = next(pages)
    assert len(first["listing"]) == SMALL_LISTING_LIMIT
    pages.close()
    assert list(pages) == []
