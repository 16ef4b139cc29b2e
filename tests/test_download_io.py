"""The local side of downloads: path safety, streaming verification, atomic landing."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from swiftsvc.ops.download.local import (
    Part,
    StreamVerifier,
    UnsafePath,
    VerificationError,
    contained_path,
    is_dir_marker,
    local_md5,
    local_parts_match,
    parse_mtime,
    relative_path,
    strip_etag,
)
from swiftsvc.ops.download.part_files import TEMP_SUFFIX, TempTarget


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


# ------------------------------------------------------------------- paths


def rel(obj: str, **kwargs: object) -> str:
    options: dict[str, object] = {"account_wide": False, "prefix": None, "remove_prefix": False}
    options.update(kwargs)
    return relative_path("cont", obj, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["../evil", "a/../../b", "a/..", "/abs", "/etc/passwd", "x\0y"])
def test_names_that_escape_are_refused_naming_the_object(name: str) -> None:
    with pytest.raises(UnsafePath) as caught:
        rel(name)
    assert caught.value.obj == name
    assert caught.value.container == "cont"


@pytest.mark.parametrize("name", ["a/b/c", "a..b", "..hidden", "a/./b", "dir/", "a//b"])
def test_ordinary_names_are_kept(name: str) -> None:
    assert rel(name) == name


def test_account_download_puts_objects_under_their_container() -> None:
    assert rel("a/b", account_wide=True) == "cont/a/b"


def test_remove_prefix_cuts_the_prefix_from_the_object_name_only() -> None:
    assert rel("photos/2024/x.jpg", prefix="photos/", remove_prefix=True) == "2024/x.jpg"
    assert rel("photos/x", prefix="photos", remove_prefix=True) == "x"
    assert rel("photos/x", account_wide=True, prefix="photos/", remove_prefix=True) == "cont/x"
    # without remove_prefix the prefix stays
    assert rel("photos/x", prefix="photos/") == "photos/x"


def test_remove_prefix_cannot_manufacture_a_parent_segment() -> None:
    with pytest.raises(UnsafePath):
        rel("a../x", prefix="a", remove_prefix=True)


def test_contained_path_refuses_a_local_symlink_leading_outside(tmp_path: Path) -> None:
    base = tmp_path / "out"
    base.mkdir()
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (base / "link").symlink_to(outside)
    with pytest.raises(UnsafePath):
        contained_path(str(base), "link/file", container="c", obj="link/file")
    assert contained_path(str(base), "sub/file", container="c", obj="sub/file") == str(
        base / "sub/file"
    )
    assert contained_path(str(base), "", container="c", obj="p/") == str(base)
    assert contained_path(str(base), "dir/", container="c", obj="dir/").endswith("dir/")


def test_dir_markers_and_mtimes() -> None:
    assert is_dir_marker("application/directory")
    assert is_dir_marker("text/directory; charset=utf-8")
    assert not is_dir_marker("application/octet-stream")
    assert not is_dir_marker(None)
    assert parse_mtime("1700000000.5") == 1700000000.5
    assert parse_mtime("soon") is None
    assert parse_mtime("nan") is None
    assert parse_mtime(None) is None
    assert strip_etag('"abc"') == "abc"
    assert strip_etag("abc") == "abc"


# ------------------------------------------------------------ verification


def feed(verifier: StreamVerifier, data: bytes, size: int) -> None:
    for start in range(0, len(data), size):
        verifier.update(data[start:start + size])


def test_plain_body_matching_its_etag_passes() -> None:
    data = os.urandom(5000)
    verifier = StreamVerifier([Part(len(data), md5(data))], where="o")
    feed(verifier, data, 777)
    verifier.finish()
    assert verifier.read_length == len(data)


def test_a_wrong_md5_fails() -> None:
    data = os.urandom(100)
    verifier = StreamVerifier([Part(100, md5(b"x" * 100))], where="obj")
    with pytest.raises(VerificationError, match="md5"):
        feed(verifier, data, 30)
        verifier.finish()


def test_missing_bytes_fail_at_finish() -> None:
    verifier = StreamVerifier([Part(10, None)], where="obj")
    verifier.update(b"12345")
    with pytest.raises(VerificationError, match="read 5 of 10"):
        verifier.finish()


def test_extra_bytes_fail() -> None:
    verifier = StreamVerifier([Part(3, None)], where="obj")
    with pytest.raises(VerificationError, match="more bytes"):
        verifier.update(b"abcd")


def test_segments_are_checked_across_chunk_boundaries() -> None:
    segments = [os.urandom(1000), os.urandom(1), b"", os.urandom(2500)]
    parts = [Part(len(s), md5(s), f"seg{i}") for i, s in enumerate(segments)]
    for size in (1, 7, 1000, 1001, 10000):
        verifier = StreamVerifier(parts, where="slo")
        feed(verifier, b"".join(segments), size)
        verifier.finish()


def test_a_corrupt_segment_fails_as_soon_as_it_ends_naming_it() -> None:
    good, bad = os.urandom(100), os.urandom(100)
    parts = [Part(100, md5(good), "/s/0"), Part(100, md5(b"\0" * 100), "/s/1"),
             Part(100, md5(good), "/s/2")]
    verifier = StreamVerifier(parts, where="slo")
    verifier.update(good)
    with pytest.raises(VerificationError, match="/s/1"):
        verifier.update(bad)  # raised here, before the third segment is read


def test_a_piece_of_an_object_names_its_part_by_its_place_in_the_whole() -> None:
    data = os.urandom(100)
    verifier = StreamVerifier([Part(100, md5(b"\0" * 100), "/s/7")], where="slo", first_index=7)
    with pytest.raises(VerificationError, match=r"\(part 7: /s/7\)"):
        verifier.update(data)


def test_unknown_length_checks_nothing() -> None:
    verifier = StreamVerifier(None, where="o")
    verifier.update(b"whatever")
    verifier.finish()
    assert verifier.read_length == 8


def test_local_parts_match(tmp_path: Path) -> None:
    a, b = os.urandom(300), os.urandom(200)
    path = tmp_path / "f"
    path.write_bytes(a + b)
    parts = [Part(300, md5(a)), Part(200, md5(b))]
    assert local_parts_match(str(path), parts)
    assert not local_parts_match(str(path), parts[:1])  # file longer than the parts
    assert not local_parts_match(str(path), [*parts, Part(1, md5(b"x"))])  # shorter
    assert not local_parts_match(str(path), [Part(300, md5(a)), Part(200, md5(a[:200]))])
    assert not local_parts_match(str(path), [Part(500, None)])  # unverifiable
    assert not local_parts_match(str(tmp_path / "missing"), parts)
    assert local_md5(str(path)) == md5(a + b)
    assert local_md5(str(tmp_path / "missing")) is None
    assert local_md5(str(tmp_path)) is None


# ----------------------------------------------------------------- landing


def leftovers(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.endswith(TEMP_SUFFIX)]


def test_commit_renames_into_place_with_the_mtime(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "file"
    with TempTarget(str(target)) as landing:
        landing.write(b"hello ")
        landing.write(b"world")
        assert not target.exists()
        assert leftovers(tmp_path / "sub")
        landing.commit(mtime=1234567890.0)
    assert target.read_bytes() == b"hello world"
    assert target.stat().st_mtime == 1234567890.0
    assert not leftovers(tmp_path / "sub")


def test_pieces_written_at_their_offsets_in_any_order(tmp_path: Path) -> None:
    target = tmp_path / "file"
    with TempTarget(str(target)) as landing:
        landing.open()
        landing.write_at(b"world", 6)
        landing.write_at(b"hello ", 0)
        landing.commit()
    assert target.read_bytes() == b"hello world"


def test_a_failed_download_in_pieces_leaves_nothing(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"old")
    with TempTarget(str(target)) as landing:
        landing.open()
        landing.write_at(b"new", 3)
    assert target.read_bytes() == b"old"
    assert not leftovers(tmp_path)


def test_commit_of_nothing_makes_an_empty_file(tmp_path: Path) -> None:
    target = tmp_path / "empty"
    with TempTarget(str(target)) as landing:
        landing.commit()
    assert target.read_bytes() == b""


def test_the_file_mode_follows_the_umask_like_open(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        with TempTarget(str(tmp_path / "f")) as landing:
            landing.commit()
    finally:
        os.umask(old)
    assert (tmp_path / "f").stat().st_mode & 0o777 == 0o640


def test_a_failure_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "file"
    target.write_bytes(b"old")
    with pytest.raises(RuntimeError), TempTarget(str(target)) as landing:
        landing.write(b"new partial data")
        raise RuntimeError("network gone")
    assert target.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


def test_a_long_name_still_gets_a_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / ("n" * 250)
    with TempTarget(str(target)) as landing:
        landing.write(b"x")
        landing.commit()
    assert target.read_bytes() == b"x"
