"""delete: empty objects (possible DLO manifests) HEADed only when it can matter.

A container listing cannot tell a DLO manifest from a plain empty object, so
every empty object is HEADed, unless the whole container goes and no other
container of the account holds objects (then a DLO's segments can only be in
the container itself). These tests run in the second account of the session's
cluster (``test2``), which no other test fills, through the ``fault_proxy``
that counts the requests; each test removes what it created.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from _large import names_in, put_dlo
from _seed import Seed

from swiftsvc import Service
from swiftsvc.testing import FaultProxy, LocalSwift

USER = "tester2"


class Account:
    """The test2 account: seeding, and cleanup of the containers a test made."""

    def __init__(self, cluster: LocalSwift) -> None:
        self.seed = Seed(cluster, USER)
        self.made: list[str] = []

    def container(self, name: str) -> str:
        self.seed.container(name)
        self.made.append(name)
        return name

    def containers(self) -> list[dict[str, Any]]:
        answer = self.seed.session.get(
            self.seed.storage_url, params={"format": "json"},
            headers={"X-Auth-Token": self.seed.token}, timeout=30,
        )
        return list(answer.json()) if answer.status_code == 200 else []

    def holding_objects(self) -> list[str]:
        """Containers of the account with objects (their HEAD, not the account's lagging count)."""
        return [c["name"] for c in self.containers()
                if self.seed.head(c["name"]).headers.get("X-Container-Object-Count") != "0"]

    def remove(self, name: str) -> None:
        auth = {"X-Auth-Token": self.seed.token}
        url = f"{self.seed.storage_url}/{quote(name)}"
        for obj in names_in(self.seed, name):
            self.seed.session.delete(f"{url}/{quote(obj)}", headers=auth, timeout=30)
        self.seed.session.delete(url, headers=auth, timeout=30)


@pytest.fixture
def account(local_swift: LocalSwift) -> Iterator[Account]:
    account = Account(local_swift)
    others = account.holding_objects()
    assert others == [], f"the test2 account must hold no other objects: {others}"
    yield account
    for name in account.made:
        account.remove(name)


def _service(proxy: FaultProxy, **options: Any) -> Service:
    return Service({"auth": proxy.url + "/auth/v1.0", "user": "test2:tester2",
                    "key": "testing2", **options})


def _object_heads(proxy: FaultProxy, container: str) -> int:
    return proxy.count(method="HEAD", path=f"/{container}/")


def test_a_lone_container_of_empty_objects_goes_without_a_head_each(
    account: Account, fault_proxy: FaultProxy, container_name: str
) -> None:
    c = account.container(container_name)
    account.container(f"{c}-empty")  # exists, holds nothing: one container HEAD tells
    account.seed.bulk(c, [f"e{i:03d}" for i in range(250)], b"")
    # DLOs among them: segments in the container itself, and in no container at all
    put_dlo(account.seed, c, "e120-dlo", c, count=3)
    account.seed.put(c, "e130-dlo", b"", headers={"X-Object-Manifest": f"{c}-gone/p/"})
    with _service(fault_proxy) as svc:
        fault_proxy.clear_requests()
        results = list(svc.delete(c))
    assert all(r["success"] for r in results), [r for r in results if not r["success"]]
    assert _object_heads(fault_proxy, c) == 0
    assert fault_proxy.count(method="HEAD", path=f"/{c}-empty$") == 1
    # 255 objects (250 + 2 manifests + 3 segments): bulk requests of 200 and 55
    bulk = sorted(len(r["objects"]) for r in results if r["action"] == "bulk_delete")
    assert bulk == [55, 200]
    assert fault_proxy.count(method="POST", path="bulk-delete") == 2
    assert account.seed.head(c).status_code == 404  # segments and all


@pytest.mark.parametrize("where", ["_segments", "arbitrary"])
def test_segments_in_another_container_get_every_empty_object_headed(
    account: Account, fault_proxy: FaultProxy, container_name: str, where: str
) -> None:
    c = account.container(container_name)
    segments = account.container(
        f"{c}_segments" if where == "_segments" else f"zz-{c[::-1]}"
    )
    account.seed.put(segments, "unrelated", b"stays")
    account.seed.bulk(c, [f"e{i:03d}" for i in range(60)], b"")
    # one manifest in each half of the listing (e010-elsewhere sorts after e010)
    put_dlo(account.seed, c, "e010-elsewhere", segments, count=4)
    put_dlo(account.seed, c, "e040-here", c, count=2)
    with _service(fault_proxy, object_dd_threads=2) as svc:
        fault_proxy.clear_requests()
        results = list(svc.delete(c))
    assert all(r["success"] for r in results), [r for r in results if not r["success"]]
    assert _object_heads(fault_proxy, c) == 62  # every empty object
    manifests = {r["object"]: r for r in results if r["action"] == "delete_object"}
    assert set(manifests) == {"e010-elsewhere", "e040-here"}
    assert all(r["dlo_segments_deleted"] for r in manifests.values())
    assert names_in(account.seed, segments) == ["unrelated"]  # no orphan
    assert account.seed.head(c).status_code == 404
    # the 60 plain empty ones HEADed by two jobs (one per thread), each then
    # one bulk request: not one per small group, not one job for all
    empties = {f"e{i:03d}" for i in range(60)}
    plain = [r for r in results if r["action"] == "bulk_delete" and set(r["objects"]) <= empties]
    assert sorted(len(r["objects"]) for r in plain) == [30, 30]


def test_a_prefix_keeps_the_container_so_its_empty_objects_are_headed(
    account: Account, fault_proxy: FaultProxy, container_name: str
) -> None:
    # the container stays: segments in it outside the prefix would be orphaned
    c = account.container(container_name)
    account.seed.bulk(c, [f"m{i:02d}" for i in range(30)], b"")
    account.seed.bulk(c, [f"seg/{i:02d}" for i in range(3)], b"x")
    account.seed.put(c, "m-dlo", b"", headers={"X-Object-Manifest": f"{c}/seg/"})
    account.seed.put(c, "other", b"stays")
    with _service(fault_proxy) as svc:
        fault_proxy.clear_requests()
        results = list(svc.delete(c, options={"prefix": "m"}))
    assert all(r["success"] for r in results), [r for r in results if not r["success"]]
    assert _object_heads(fault_proxy, c) == 31
    [dlo] = [r for r in results if r["action"] == "delete_object"]
    assert dlo["object"] == "m-dlo" and dlo["dlo_segments_deleted"] is True
    assert names_in(account.seed, c) == ["other"]  # the segments went, outside the prefix


def test_another_container_with_objects_means_heads(
    account: Account, fault_proxy: FaultProxy, container_name: str
) -> None:
    c = account.container(container_name)
    account.seed.put(account.container(f"{c}-full"), "x", b"x")
    account.seed.bulk(c, [f"e{i:02d}" for i in range(30)], b"")
    with _service(fault_proxy) as svc:
        fault_proxy.clear_requests()
        results = list(svc.delete(c))
    assert all(r["success"] for r in results)
    assert _object_heads(fault_proxy, c) == 30


def test_an_account_listing_refused_means_heads(
    account: Account, fault_proxy: FaultProxy, container_name: str
) -> None:
    c = account.container(container_name)
    account.seed.bulk(c, [f"e{i:02d}" for i in range(30)], b"")
    with _service(fault_proxy) as svc:
        fault_proxy.clear_requests()
        fault_proxy.respond(403, method="GET", path=r"/v1/AUTH_test2\?")
        results = list(svc.delete(c))
    assert all(r["success"] for r in results), results
    assert fault_proxy.count(method="GET", path=r"/v1/AUTH_test2\?") == 1
    assert _object_heads(fault_proxy, c) == 30
    assert account.seed.head(c).status_code == 404


def test_without_bulk_a_lone_container_is_still_not_headed(
    account: Account, fault_proxy: FaultProxy, container_name: str
) -> None:
    # few objects (not more than 2 * object_dd_threads) go one DELETE each
    c = account.container(container_name)
    account.seed.bulk(c, [f"e{i:02d}" for i in range(5)], b"")
    put_dlo(account.seed, c, "e-dlo", c, count=2)
    with _service(fault_proxy) as svc:
        fault_proxy.clear_requests()
        results = list(svc.delete(c))
    assert all(r["success"] for r in results), results
    assert _object_heads(fault_proxy, c) == 0
    assert fault_proxy.count(method="DELETE", path=f"/{c}/") == 8
    assert account.seed.head(c).status_code == 404
