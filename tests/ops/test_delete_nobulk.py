"""delete on a cluster without the bulk middleware: per-object deletes.

The cluster is private to this module, so deleting a whole account here
touches no other test.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _large import names_in, put_dlo, put_slo
from _results import every
from _seed import Seed

from swiftsvc import Service
from swiftsvc.testing import FaultProxy, LocalSwift


@pytest.fixture(scope="module")
def nobulk_swift() -> Iterator[LocalSwift]:
    with LocalSwift(bulk=False, progress=lambda message: None) as swift:
        yield swift


@pytest.fixture
def nobulk_seed(nobulk_swift: LocalSwift) -> Seed:
    return Seed(nobulk_swift)


@pytest.fixture
def proxy(nobulk_swift: LocalSwift) -> Iterator[FaultProxy]:
    with FaultProxy(nobulk_swift.proxy_url) as fault_proxy:
        yield fault_proxy


def _options(proxy: FaultProxy) -> dict[str, str]:
    return {"auth": proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing"}


def test_without_bulk_each_object_gets_its_own_delete(
    nobulk_seed: Seed, proxy: FaultProxy, container_name: str
) -> None:
    nobulk_seed.container(container_name)
    names = [f"o{i:02d}" for i in range(50)]
    for name in names:
        nobulk_seed.put(container_name, name, b"x")
    with Service(_options(proxy)) as svc:
        assert "bulk_delete" not in svc.capabilities()["capabilities"]
        proxy.clear_requests()
        results = every(svc.delete(container_name, names))
    assert sorted(r["object"] for r in results) == names
    assert {r["action"] for r in results} == {"delete_object"}
    assert all(r["success"] for r in results)
    assert proxy.count(method="POST") == 0
    assert proxy.count(method="DELETE") == 50
    assert names_in(nobulk_seed, container_name) == []


def test_without_bulk_dlo_segments_are_deleted_one_by_one(
    nobulk_seed: Seed, proxy: FaultProxy, container_name: str
) -> None:
    segments = f"{container_name}_segments"
    nobulk_seed.container(container_name)
    nobulk_seed.container(segments)
    dlo_segments = put_dlo(nobulk_seed, container_name, "dlo", segments, count=4)
    put_slo(nobulk_seed, container_name, "slo", segments)
    with Service(_options(proxy)) as svc:
        results = every(svc.delete(container_name))
    assert all(r["success"] for r in results), results
    deleted_segments = sorted(r["object"] for r in results if r["action"] == "delete_segment")
    assert deleted_segments == dlo_segments
    assert all(r["container"] == segments for r in results if r["action"] == "delete_segment")
    assert names_in(nobulk_seed, segments) == []
    assert nobulk_seed.head(container_name).status_code == 404


def test_yes_all_deletes_every_container_of_the_account(
    nobulk_seed: Seed, proxy: FaultProxy
) -> None:
    for container in ("acct-a", "acct-b", "acct-b_segments"):
        nobulk_seed.container(container)
    nobulk_seed.put("acct-a", "x", b"1")
    put_dlo(nobulk_seed, "acct-b", "big", "acct-b_segments", count=2)
    with Service(_options(proxy)) as svc:
        results = every(svc.delete(options={"yes_all": True}))
    assert all(r["success"] for r in results), results
    deleted = {r["container"] for r in results if r["action"] == "delete_container"}
    assert {"acct-a", "acct-b", "acct-b_segments"} <= deleted
    answer = nobulk_seed.session.get(
        nobulk_seed.storage_url, params={"format": "json"},
        headers={"X-Auth-Token": nobulk_seed.token}, timeout=30,
    )
    assert answer.status_code == 204 or answer.json() == []
