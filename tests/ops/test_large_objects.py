"""Recognising manifests and finding their segments: pure parsing, then the real cluster."""

from __future__ import annotations

import json

import pytest
from _large import connection, put_dlo, put_slo
from _seed import Seed

from swiftsvc.ops.large_objects import (
    SegmentRef,
    is_dlo,
    is_slo,
    manifest_entries,
    manifest_segments,
    parse_dlo_manifest,
    parse_manifest_path,
    parse_slo_manifest,
)


def test_is_slo_reads_the_header_whatever_its_case() -> None:
    assert is_slo({"X-Static-Large-Object": "True"})
    assert is_slo({"x-static-large-object": "true"})
    assert not is_slo({"x-static-large-object": "false"})
    assert not is_slo({"content-length": "3"})


def test_is_dlo_needs_a_manifest_value() -> None:
    assert is_dlo({"x-object-manifest": "segs/prefix/"})
    assert not is_dlo({"x-object-manifest": ""})
    assert not is_dlo({})


def test_manifest_path_splits_at_the_first_slash_only() -> None:
    assert parse_manifest_path("/cont/dir/obj") == ("cont", "dir/obj")


@pytest.mark.parametrize("path", ["/cont", "/cont/", "", "/"])
def test_manifest_path_needs_an_object(path: str) -> None:
    with pytest.raises(ValueError):
        parse_manifest_path(path)


def test_dlo_manifest_is_unquoted() -> None:
    assert parse_dlo_manifest("my%20segs/a%2Fb/c%25") == ("my segs", "a/b/c%")


def test_slo_manifest_names_are_used_as_stored() -> None:
    # Swift stores segment paths unquoted; "%41" is part of the name
    body = json.dumps([
        {"name": "/segs/a%41/1", "hash": "h1", "bytes": 10},
        {"name": "/segs/b", "hash": "h2", "bytes": 5, "range": "0-1", "sub_slo": True},
    ]).encode()
    assert parse_slo_manifest(body) == [
        SegmentRef("segs", "a%41/1", "h1", 10),
        SegmentRef("segs", "b", "h2", 5, range="0-1", sub_slo=True),
    ]


def test_slo_raw_format_and_inline_data_segments() -> None:
    body = json.dumps([
        {"data": "aGVsbG8="},
        {"path": "/segs/x", "etag": "e", "size_bytes": 3},
    ]).encode()
    assert parse_slo_manifest(body) == [SegmentRef("segs", "x", "e", 3)]


def test_slo_manifest_must_be_a_list() -> None:
    with pytest.raises(ValueError):
        parse_slo_manifest(b'{"name": "/a/b"}')


# ------------------------------------------------------------ real cluster


def test_segments_of_an_slo_and_a_dlo(
    seed: Seed, swift_options: dict[str, str], container_name: str
) -> None:
    segs = f"{container_name}_segments"
    seed.container(container_name)
    seed.container(segs)
    slo_segments = put_slo(seed, container_name, "slo %41", segs)
    dlo_segments = put_dlo(seed, container_name, "dlo", segs, size=1)

    with connection(swift_options) as conn:
        slo_head = conn.head_object(container_name, "slo %41").headers
        dlo_head = conn.head_object(container_name, "dlo").headers
        assert manifest_segments(conn, container_name, "slo %41", slo_head) == [
            (segs, name) for name in slo_segments
        ]
        assert [(r.container, r.obj, r.size) for r in
                manifest_entries(conn, container_name, "dlo", dlo_head)] == [
            (segs, name, 1) for name in dlo_segments
        ]
        assert manifest_segments(conn, container_name, "plain", {"content-length": "0"}) == []


def test_a_dlo_without_its_segment_container_has_no_segments(
    seed: Seed, swift_options: dict[str, str], container_name: str
) -> None:
    seed.container(container_name)
    seed.put(container_name, "dlo", b"", headers={"X-Object-Manifest": "no-such-container/p/"})
    with connection(swift_options) as conn:
        # without multipart-manifest=get the cluster answers 404 for such a DLO
        head = conn.head_object(container_name, "dlo", query={"multipart-manifest": "get"}).headers
        assert is_dlo(head)
        assert manifest_segments(conn, container_name, "dlo", head) == []
