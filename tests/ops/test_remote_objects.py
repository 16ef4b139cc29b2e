"""What an upload would overwrite: listing and HEAD facts, when to HEAD, skips, cleanup."""

from __future__ import annotations

from swiftsvc.ops.large_objects import SegmentRef
from swiftsvc.ops.upload.remote import (
    UNKNOWN,
    RemoteKind,
    RemoteObject,
    cleanup_needed,
    identical_ranges,
    is_dir_marker,
    needs_head,
    remote_from_headers,
    remote_from_listing,
    unchanged,
)
from swiftsvc.options import Options


def test_listing_shows_slo_manifests_by_slo_etag_and_maybe_dlos_by_zero_bytes() -> None:
    slo = remote_from_listing({"name": "o", "bytes": 30, "hash": "m", "slo_etag": '"x"'})
    assert slo.kind is RemoteKind.SLO and slo.size == 30 and slo.etag is None
    maybe = remote_from_listing({"name": "o", "bytes": 0, "hash": "d41d8cd9"})
    assert maybe.kind is RemoteKind.MAYBE_DLO
    plain = remote_from_listing({"name": "o", "bytes": 3, "hash": "abc"})
    assert (plain.kind, plain.etag, plain.headers) == (RemoteKind.PLAIN, "abc", None)


def test_headers_tell_slo_dlo_plain_and_symlinks() -> None:
    slo = remote_from_headers({"x-static-large-object": "True", "content-length": "9",
                               "x-object-meta-mtime": "1.000000"})
    assert (slo.kind, slo.size, slo.mtime) == (RemoteKind.SLO, 9, "1.000000")
    assert remote_from_headers({"x-object-manifest": "c/p"}).kind is RemoteKind.DLO
    plain = remote_from_headers({"etag": '"abc"', "content-length": "3"})
    assert (plain.kind, plain.etag) == (RemoteKind.PLAIN, "abc")
    assert remote_from_headers({"content-location": "/v1/a/c/o", "etag": "x"}).symlink


def test_no_option_that_needs_the_remote_object_means_no_head() -> None:
    quiet = Options(leave_segments=True)
    assert not needs_head(quiet, 3, UNKNOWN)
    assert not needs_head(quiet, 3, remote_from_listing({"bytes": 0, "hash": "h"}))


def test_unknown_objects_are_headed_when_an_option_needs_them() -> None:
    assert needs_head(Options(), 3, UNKNOWN)  # cleanup of an overwritten manifest
    assert needs_head(Options(leave_segments=True, changed=True), 3, UNKNOWN)


def test_listed_objects_need_a_head_only_for_equal_sizes_with_changed_or_zero_bytes() -> None:
    listed = remote_from_listing({"bytes": 3, "hash": "h"})
    changed = Options(leave_segments=True, changed=True)
    assert needs_head(changed, 3, listed)
    assert not needs_head(changed, 4, listed)  # size differs: changed without asking
    assert not needs_head(Options(skip_identical=True), 3, listed)  # the hash is listed
    assert needs_head(Options(), 0, remote_from_listing({"bytes": 0, "hash": "h"}))
    assert not needs_head(Options(), 3, None)


def test_streams_never_head_for_skip_options() -> None:
    options = Options(leave_segments=True, changed=True, skip_identical=True)
    assert not needs_head(options, None, UNKNOWN, skippable=False)


def test_unchanged_needs_equal_size_and_mtime() -> None:
    remote = RemoteObject(RemoteKind.PLAIN, 3, "h", mtime="1.000000", headers={})
    options = Options(changed=True)
    assert unchanged(options, 3, "1.000000", remote)
    assert not unchanged(options, 4, "1.000000", remote)
    assert not unchanged(options, 3, "2.000000", remote)
    assert not unchanged(Options(), 3, "1.000000", remote)
    assert not unchanged(options, 3, "1.000000", None)


def test_cleanup_only_for_manifests_that_are_not_symlinks_unless_leave_segments() -> None:
    slo = RemoteObject(RemoteKind.SLO, 3, None)
    assert cleanup_needed(Options(), slo)
    assert not cleanup_needed(Options(leave_segments=True), slo)
    assert not cleanup_needed(Options(), RemoteObject(RemoteKind.PLAIN, 3, "h"))
    assert not cleanup_needed(Options(), RemoteObject(RemoteKind.SLO, 3, None, symlink=True))


def test_a_listed_slo_is_enough_to_read_its_manifest() -> None:
    slo = remote_from_listing({"bytes": 30, "hash": "m", "slo_etag": "x"})
    assert slo.manifest_headers() == {"x-static-large-object": "True"}


def test_identical_ranges_follow_the_manifest_segments() -> None:
    chunks = [SegmentRef("c", "a", etag="e1", size=4), SegmentRef("c", "b", etag='"e2"', size=2)]
    assert identical_ranges(chunks, 6) == [(0, 4, "e1"), (4, 2, "e2")]
    assert identical_ranges(chunks, 7) is None
    assert identical_ranges([SegmentRef("c", "a", etag=None, size=4)], 4) is None
    assert identical_ranges([SegmentRef("c", "a", etag="e", size=4, sub_slo=True)], 4) is None
    assert identical_ranges([SegmentRef("c", "a", etag="e", size=4, range="0-1")], 4) is None


def test_a_dir_marker_is_unchanged_with_its_type_size_and_mtime() -> None:
    headers = {"content-type": "application/directory", "content-length": "0",
               "x-object-meta-mtime": "1.000000"}
    assert is_dir_marker(headers, "1.000000")
    assert not is_dir_marker(headers, "2.000000")
    assert not is_dir_marker({**headers, "content-type": "text/plain"}, "1.000000")
