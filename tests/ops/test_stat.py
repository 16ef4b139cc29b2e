"""stat: the item builders (pure) and the stat_* results on the real local Swift."""

from __future__ import annotations

import gc
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from _seed import Filled, Seed

from swiftsvc import ClientException, Service, SwiftError
from swiftsvc.ops.listing import iter_objects
from swiftsvc.ops.stat import account_items, container_items, human_size, object_items
from swiftsvc.options import Options
from swiftsvc.testing import LocalSwift

RESULT_KEYS = {"action", "success", "container", "object", "items", "headers", "attempts",
               "response_dict"}


@pytest.fixture
def service(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as svc:
        yield svc


class TestItems:
    def test_human_sizes_like_swiftclient(self) -> None:
        assert human_size(1536, False) == "1536"
        assert human_size(1000, True) == "1000"
        assert human_size(1536, True) == "1.5K"
        assert human_size(20 * 1024 * 1024, True) == "20M"

    def test_account_items_with_policies_quota_and_meta(self) -> None:
        headers = {
            "x-account-container-count": "3",
            "x-account-object-count": "10",
            "x-account-bytes-used": "2048",
            "x-account-meta-quota-bytes": "4096",
            "x-account-meta-owner": "ann",
            "x-account-storage-policy-gold-container-count": "1",
            "x-account-storage-policy-gold-object-count": "4",
            "x-account-storage-policy-gold-bytes-used": "100",
        }
        items = dict(account_items(headers, "AUTH_test"))
        assert items["Account"] == "AUTH_test"
        assert items["Containers"] == 3
        assert (items["Objects"], items["Bytes"]) == ("10", "2048")
        assert items["Quota Bytes"] == "4096"
        assert items['Containers in policy "gold"'] == "1"
        assert items['Objects in policy "gold"'] == "4"
        assert items['Bytes in policy "gold"'] == "100"
        # metadata is left to the headers: the swift command makes its Meta
        # lines from them, so items holding it printed each twice (COMPAT.md §5)
        assert not [label for label in items if label.startswith("Meta")]

    def test_container_items_in_swiftclients_order(self) -> None:
        headers = {"x-container-object-count": "2", "x-container-bytes-used": "9",
                   "x-container-read": ".r:*", "x-container-meta-color": "blue"}
        items = container_items(headers, "AUTH_test", "c")
        assert [label for label, _ in items] == [
            "Account", "Container", "Objects", "Bytes", "Read ACL", "Write ACL", "Sync To",
            "Sync Key"]
        assert dict(items)["Read ACL"] == ".r:*"
        assert dict(items)["Write ACL"] == ""

    def test_object_items(self) -> None:
        headers = {"content-type": "text/plain", "content-length": "5", "etag": "abc",
                   "last-modified": "then", "x-object-meta-mtime": "1.5"}
        items = dict(object_items(headers, "AUTH_test", "c", "o"))
        assert items["Object"] == "o"
        assert items["Content Length"] == "5"
        assert items["ETag"] == "abc"
        assert items["Manifest"] is None
        assert "Meta Mtime" not in items


def test_verbose_stat_shows_the_url_first_and_never_the_token(
    swift_options: dict[str, str], local_swift: LocalSwift, seed: Seed, container_name: str
) -> None:
    seed.container(container_name)
    with Service({**swift_options, "verbose": 2}) as svc:
        account, container = svc.stat(), svc.stat(container_name)
    assert account["items"][0] == ("StorageURL", local_swift.storage_url())
    assert container["items"][0] == ("URL", f"{local_swift.storage_url()}/{container_name}")
    assert "Auth Token" not in dict(account["items"]) | dict(container["items"])


def test_stat_account(service: Service, seed: Seed, container_name: str) -> None:
    seed.container(container_name)
    result = service.stat()
    assert isinstance(result, dict)
    assert set(result) >= RESULT_KEYS
    assert result["action"] == "stat_account" and result["success"] is True
    assert result["container"] is None and result["object"] is None
    items = dict(result["items"])
    assert items["Account"] == "AUTH_test"
    assert items["Containers"] >= 1
    assert "x-account-container-count" in result["headers"]
    assert result["response_dict"]["status"] == 204


def test_stat_container(service: Service, seed: Seed, container_name: str) -> None:
    seed.container(container_name, {"X-Container-Read": ".r:*", "X-Container-Meta-Color": "red"})
    result = service.stat(container_name)
    assert isinstance(result, dict)
    assert set(result) >= RESULT_KEYS
    assert result["action"] == "stat_container" and result["success"] is True
    assert result["container"] == container_name
    items = dict(result["items"])
    assert items["Container"] == container_name
    assert items["Read ACL"] == ".r:*"
    assert "Meta Color" not in items
    assert result["headers"]["x-container-meta-color"] == "red"
    # hop-by-hop headers describe the connection, not the container
    assert "connection" not in result["headers"]


def test_stat_missing_container_raises(service: Service, container_name: str) -> None:
    with pytest.raises(SwiftError, match="not found") as caught:
        service.stat(container_name)
    assert caught.value.container == container_name


def test_stat_objects_yields_one_result_each(
    service: Service, seed: Seed, container_name: str
) -> None:
    seed.put(container_name, "a", b"hello", {"X-Object-Meta-Color": "green"})
    seed.put(container_name, "b", b"")
    results = {r["object"]: r for r in service.stat(container_name, ["a", "b", "missing"])}
    assert set(results) == {"a", "b", "missing"}
    a = results["a"]
    assert set(a) >= RESULT_KEYS
    assert a["action"] == "stat_object" and a["success"] is True
    assert a["container"] == container_name
    assert dict(a["items"])["Content Length"] == "5"
    assert "Meta Color" not in dict(a["items"])
    assert a["headers"]["x-object-meta-color"] == "green"
    assert a["headers"]["etag"] == "5d41402abc4b2a76b9719d911017c592"
    missing = results["missing"]
    assert missing["success"] is False
    assert isinstance(missing["error"], ClientException)
    assert missing["error"].http_status == 404
    assert {"traceback", "error_timestamp", "attempts", "response_dict"} <= set(missing)


def test_stat_object_version(service: Service, seed: Seed, container_name: str) -> None:
    seed.container(container_name, {"X-Versions-Enabled": "true"})
    seed.put(container_name, "v", b"first")
    first = seed.head(container_name, "v").headers["x-object-version-id"]
    seed.put(container_name, "v", b"second!")
    (old,) = service.stat(container_name, ["v"], {"version_id": first})
    (new,) = service.stat(container_name, ["v"])
    assert old["headers"]["content-length"] == "5"
    assert new["headers"]["content-length"] == "7"


def test_objects_without_container_is_an_error(service: Service) -> None:
    with pytest.raises(SwiftError, match="without container"):
        service.stat(None, ["o"])  # type: ignore[call-overload]


def test_objects_given_as_a_string_is_an_error_at_the_call(
    service: Service, container_name: str
) -> None:
    with pytest.raises(SwiftError, match="list of object names"):
        service.stat(container_name, "just-a-string")


def test_a_bad_object_name_in_a_list_raises_at_the_call(
    service: Service, container_name: str
) -> None:
    with pytest.raises(SwiftError, match="non-empty strings"):
        service.stat(container_name, ["ok", ""])


# ------------------------------------------------------------ memory at scale

# on the shared container of small_swift (_seed.MEMORY_OBJECTS, 1000 by
# default; the 50k figure is in bench/NOTES-memory.md): pages of 50 names, so
# memory that grows with the objects stated so far shows as a later peak above
# the early one. Measured on 1000 objects: flat runs put the later peak within
# ~20 KB of the early one; keeping every listing entry (~450 bytes an object,
# injected once into iter_container_pages) put it ~300 KB higher.
MEMORY_BOUND = 40 * 1024 * 1024
NOTES = Path(__file__).resolve().parents[2] / "bench" / "NOTES-memory.md"


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_listing_driven_stat_of_a_big_container_keeps_memory_flat(
    small_swift: LocalSwift, big_small_container: Filled
) -> None:
    import time

    container, objects = big_small_container
    early_phase = objects // 4
    early_peak = 0
    options = small_swift.auth_options("tester")
    with Service({**options, "object_dd_threads": 20}) as svc:
        conn = svc._call(None).connection()
        gc.collect()
        tracemalloc.start()
        started = time.monotonic()
        names = (item["name"] for item in iter_objects(conn, container, Options()))
        ok = 0
        for count, result in enumerate(svc.stat(container, names), start=1):
            ok += result["success"]
            if count == early_phase:
                early_peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.reset_peak()
        elapsed = time.monotonic() - started
        _, late_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert ok == objects
    peak = max(early_peak, late_peak)
    if os.environ.get("SWIFTSVC_RECORD_MEMORY"):  # tests never touch tracked files by default
        _record_memory(peak, elapsed, objects)
    # the rest (three times as many objects) must not need more than the start
    assert late_peak <= early_peak + 128 * 1024
    assert peak < MEMORY_BOUND


_HEADING = "# Memory of a listing-driven stat"
_EXPLANATION = (
    "Memory stays flat because the pager holds one listing page (<= 10000 names)\n"
    "and the result stream submits jobs only as the bounded pool frees slots\n"
    "(backlog = 2 x threads), yielding finished results in between. The peak is\n"
    "mostly that one page of listing dicts: it grows with the page size (up to the\n"
    "cluster's 10000 limit), not with the number of objects. Wall times depend on\n"
    "the machine's load (the servers do ~5x the client's work per request).\n"
)


def _record_memory(peak: int, elapsed: float, objects: int) -> None:
    """Rewrite this test's figures in bench/NOTES-memory.md, leaving the rest
    of the file (other tests' sections, the runs table below ours) alone."""
    figures = (
        f"{_HEADING}\n\n"
        "Measured by `tests/ops/test_stat.py::"
        "test_listing_driven_stat_of_a_big_container_keeps_memory_flat` on the local\n"
        f"one-node Swift with listing pages of 50: {objects} objects listed page by page\n"
        "(`iter_objects`) and fed lazily to `Service.stat(container, names)` with 20\n"
        "object_dd threads.\n\n"
        f"- tracemalloc peak: **{peak / 1024 / 1024:.1f} MiB** (bound asserted: "
        f"{MEMORY_BOUND // 1024 // 1024} MiB)\n"
        f"- stat of {objects} objects: {elapsed:.1f} s wall ({objects / elapsed:.0f} HEADs/s)\n\n"
    )
    text = NOTES.read_text() if NOTES.exists() else ""
    start = text.find(_HEADING)
    end = text.find(_EXPLANATION[:40], start) if start >= 0 else -1
    if start >= 0 and end >= 0:
        text = text[:start] + figures + text[end:]
    else:
        text = figures + _EXPLANATION + ("\n" + text if text else "")
    NOTES.parent.mkdir(exist_ok=True)
    NOTES.write_text(text)
