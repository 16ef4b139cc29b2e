"""The pure decisions of uploads: segment plans and names, manifests, limits."""

from __future__ import annotations

import json

import pytest

from swiftsvc.ops.large_objects import SegmentRef
from swiftsvc.ops.upload.segments import (
    SegmentDone,
    UploadMode,
    existing_segments,
    location_ref,
    manifest_count_problem,
    max_file_size,
    mtime_value,
    resolve_use_slo,
    reuse_candidate,
    segment_container_name,
    segment_layout,
    segment_size_problem,
    segments_to_delete,
    slo_manifest,
    split_container,
    upload_mode,
)
from swiftsvc.options import Options

# --------------------------------------------------------------- names


def test_segment_container_defaults_to_container_underscore_segments() -> None:
    assert segment_container_name("photos") == "photos_segments"
    assert segment_container_name("photos", "elsewhere") == "elsewhere"


def test_a_container_argument_with_a_path_is_a_pseudo_folder_prefix() -> None:
    assert split_container("cont") == ("cont", "")
    assert split_container("cont/a/b") == ("cont", "a/b/")
    assert split_container("cont/a/b/") == ("cont", "a/b/")


def test_mtime_is_written_as_python_swiftclient_does() -> None:
    assert mtime_value(1700000000.5) == "1700000000.500000"


def test_slo_segment_names_follow_the_swiftclient_scheme() -> None:
    plan = segment_layout("dir/obj", segment_container="c_segments", mtime="17.000000",
                          size=2500, segment_size=1000, slo=True)
    assert plan.name(0) == "dir/obj/slo/17.000000/2500/1000/00000000"
    assert plan.location(2) == "/c_segments/dir/obj/slo/17.000000/2500/1000/00000002"


def test_dlo_segment_names_have_no_slo_part_and_a_quoted_manifest_prefix() -> None:
    plan = segment_layout("a b/ü", segment_container="c seg", mtime="17.000000",
                          size=10, segment_size=4, slo=False)
    assert plan.prefix == "a b/ü/17.000000/10/4/"
    assert plan.dlo_manifest() == "c%20seg/a%20b/%C3%BC/17.000000/10/4/"


def test_a_stream_of_unknown_length_has_no_size_in_its_segment_names() -> None:
    plan = segment_layout("s", segment_container="c", mtime="5.000000", size=None,
                          segment_size=1000, slo=True)
    assert plan.name(3) == "s/slo/5.000000/1000/00000003"
    assert plan.range(3) == (3000, 1000)
    with pytest.raises(ValueError):
        _ = plan.count


def test_segments_cover_the_object_with_a_short_last_one() -> None:
    plan = segment_layout("o", segment_container="c", mtime="1", size=2500, segment_size=1000,
                          slo=True)
    assert plan.count == 3
    assert [plan.range(i) for i in range(3)] == [(0, 1000), (1000, 1000), (2000, 500)]
    with pytest.raises(IndexError):
        plan.range(3)


def test_an_exact_multiple_has_no_empty_last_segment() -> None:
    plan = segment_layout("o", segment_container="c", mtime="1", size=3000, segment_size=1000,
                          slo=True)
    assert plan.count == 3


def test_index_of_recognises_only_this_layouts_segments() -> None:
    plan = segment_layout("o", segment_container="c", mtime="1", size=3000, segment_size=1000,
                          slo=True)
    assert plan.index_of("o/slo/1/3000/1000/00000002") == 2
    assert plan.index_of("o/slo/1/3000/999/00000002") is None
    assert plan.index_of("o/slo/1/3000/1000/2") is None
    assert plan.index_of("o/slo/1/3000/1000/00000002/x") is None


# --------------------------------------------------------------- modes


def test_upload_mode_segments_only_above_segment_size() -> None:
    limit = 5000
    assert upload_mode(1000, 1000, limit) is UploadMode.PLAIN
    assert upload_mode(1001, 1000, limit) is UploadMode.SEGMENTED
    assert upload_mode(6000, None, limit) is UploadMode.TOO_LARGE
    assert upload_mode(None, None, limit) is UploadMode.PLAIN
    assert upload_mode(None, 10, limit) is UploadMode.SEGMENTED


def test_segment_size_above_max_file_size_is_refused() -> None:
    assert segment_size_problem(100, 100) is None
    problem = segment_size_problem(101, 100)
    assert problem is not None and "max_file_size" in problem


def test_max_file_size_comes_from_capabilities_with_swifts_default() -> None:
    assert max_file_size({"swift": {"max_file_size": 1234}}) == 1234
    assert max_file_size({}) == 5 * 1024**3 + 2


def test_too_many_slo_segments_are_refused_with_advice() -> None:
    caps = {"slo": {"max_manifest_segments": 1000}}
    assert manifest_count_problem(1000, caps) is None
    problem = manifest_count_problem(1001, caps)
    assert problem is not None and "segment_size" in problem


def test_use_slo_none_follows_the_clusters_slo_middleware() -> None:
    assert resolve_use_slo(Options(), {"slo": {}}) is True
    assert resolve_use_slo(Options(), {"swift": {}}) is False
    assert resolve_use_slo(Options(), None) is False
    assert resolve_use_slo(Options(use_slo=False), {"slo": {}}) is False


# ---------------------------------------------------- segments and manifests


def test_existing_segments_of_the_layout_are_found_for_resume() -> None:
    plan = segment_layout("o", segment_container="c", mtime="1", size=3000, segment_size=1000,
                          slo=True)
    refs = [
        SegmentRef("c", "o/slo/1/3000/1000/00000000", etag="aa", size=1000),
        SegmentRef("c", "o/slo/1/3000/1000/00000002", etag="cc", size=1000),
        SegmentRef("other", "o/slo/1/3000/1000/00000001", etag="bb", size=1000),
        SegmentRef("c", "o/slo/2/3000/1000/00000001", etag="bb", size=1000),
    ]
    found = existing_segments(plan, refs)
    assert found == {0: (1000, "aa"), 2: (1000, "cc")}
    assert reuse_candidate(found, 0, 1000) == "aa"
    assert reuse_candidate(found, 0, 999) is None
    assert reuse_candidate(found, 1, 1000) is None


def test_slo_manifest_lists_segments_in_index_order() -> None:
    done = [SegmentDone(1, "/c/s1", "e1", 5), SegmentDone(0, "/c/s0", "e0", 10)]
    assert json.loads(slo_manifest(done)) == [
        {"path": "/c/s0", "etag": "e0", "size_bytes": 10},
        {"path": "/c/s1", "etag": "e1", "size_bytes": 5},
    ]


def test_only_old_segments_the_new_object_does_not_use_are_deleted() -> None:
    old = [("c", "a"), ("c", "b"), ("c", "b"), ("d", "a")]
    assert segments_to_delete(old, [("c", "a")]) == [("c", "b"), ("d", "a")]
    assert location_ref("/c/x/y") == ("c", "x/y")
