"""Merging a sorted walk with a paged listing: few requests, always the right answer."""

from __future__ import annotations

from typing import Any

from swiftsvc.ops.upload.cursor import ListingCursor, marker_before


class FakeListing:
    """A container listing of ``names`` paged by ``limit``, counting requests."""

    def __init__(self, names: list[str], limit: int) -> None:
        self.names = sorted(names)
        self.limit = limit
        self.markers: list[str] = []

    def __call__(self, marker: str) -> list[dict[str, Any]]:
        self.markers.append(marker)
        after = [n for n in self.names if n > marker]
        return [{"name": n, "bytes": 1, "hash": n} for n in after[: self.limit]]


def test_marker_before_lists_the_name_itself_but_not_what_extends_its_parent() -> None:
    marker = marker_before("dir/b")
    assert marker < "dir/b"
    assert marker > "dir/a-very-long-name"


def test_sorted_lookups_cost_one_request_per_page() -> None:
    remote = [f"d/{i:05d}" for i in range(0, 1000, 2)]
    listing = FakeListing(remote, limit=100)
    cursor = ListingCursor(listing, page_limit=100)
    found = [cursor.lookup(f"d/{i:05d}") is not None for i in range(1000)]
    assert found == [i % 2 == 0 for i in range(1000)]
    # five full pages, then one empty answer proves the listing ended
    assert len(listing.markers) == 6


def test_without_a_known_page_size_only_an_empty_page_ends_the_listing() -> None:
    listing = FakeListing(["a", "b"], limit=10)
    cursor = ListingCursor(listing)
    assert cursor.lookup("a") is not None
    assert cursor.lookup("c") is None
    assert cursor.lookup("d") is None
    assert len(listing.markers) == 2


def test_lookups_out_of_order_are_still_right() -> None:
    listing = FakeListing([f"{i:03d}" for i in range(50)], limit=10)
    cursor = ListingCursor(listing, page_limit=10)
    assert cursor.lookup("045") is not None
    assert cursor.lookup("003") is not None
    assert cursor.lookup("0035") is None


def test_many_remote_names_before_the_first_local_one_are_skipped_in_one_jump() -> None:
    remote = [f"dir/a{i:05d}" for i in range(10000)] + ["dir/b"]
    listing = FakeListing(remote, limit=100)
    cursor = ListingCursor(listing, page_limit=100)
    assert cursor.lookup("dir/b") is not None
    assert len(listing.markers) == 1
