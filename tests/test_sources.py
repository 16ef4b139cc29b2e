"""Resolving upload sources: names as the swift CLI gives them, a lazy sorted walk, streams."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from swiftsvc.errors import SwiftError
from swiftsvc.ops.upload.sources import (
    SourceKind,
    check_path,
    object_name_for_path,
    stream_item,
    upload_items,
    walk,
)


def names(items: object) -> list[str]:
    return [item.object_name for item in items]  # type: ignore[attr-defined]


def make(root: Path, *files: str) -> None:
    for name in files:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(name.encode())


def test_object_names_are_the_path_as_given_without_leading_dot_slash_or_slash() -> None:
    assert object_name_for_path("dir/a/b") == "dir/a/b"
    assert object_name_for_path("./dir/a") == "dir/a"
    assert object_name_for_path("/tmp/x") == "tmp/x"
    assert object_name_for_path(".") == ""


def test_a_directory_walk_names_files_under_the_given_name(tmp_path: Path) -> None:
    make(tmp_path, "a/b/c.txt", "top.txt")
    items = list(walk(str(tmp_path), "dir", dir_markers=False))
    assert names(items) == ["dir/a/b/c.txt", "dir/top.txt"]
    assert {item.kind for item in items} == {SourceKind.FILE}
    assert items[1].size == len(b"top.txt")
    assert items[1].path == str(tmp_path / "top.txt")


def test_the_walk_yields_names_in_container_listing_order(tmp_path: Path) -> None:
    # "a.txt" < "a/x" < "a0" in byte order, though a depth-first walk sorted by
    # entry name would give "a/x" before "a.txt"
    make(tmp_path, "a/x", "a.txt", "a0", "B", "é", "a/y/z", "a/y.txt")
    produced = names(walk(str(tmp_path), "", dir_markers=False))
    assert produced == sorted(produced, key=lambda n: n.encode("utf-8"))
    assert len(produced) == 7


def test_the_walk_is_lazy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make(tmp_path, "a/1", "b/x/2", "c/y/3")
    opened: list[str] = []
    real = os.scandir

    def spy(path: str) -> object:
        opened.append(path)
        return real(path)

    monkeypatch.setattr(os, "scandir", spy)
    walker = walk(str(tmp_path), "d", dir_markers=False)
    assert next(walker).object_name == "d/a/1"
    # only peeked at the top level's directories (are they empty?), not walked
    assert not any(p.endswith(("x", "y")) for p in opened)


def test_empty_directories_become_markers_and_all_do_with_dir_markers(tmp_path: Path) -> None:
    make(tmp_path, "full/f")
    (tmp_path / "empty").mkdir()
    plain = list(walk(str(tmp_path), "d", dir_markers=False))
    assert [(i.object_name, i.kind) for i in plain] == [
        ("d/empty", SourceKind.DIR_MARKER), ("d/full/f", SourceKind.FILE)]
    marked = list(walk(str(tmp_path), "d", dir_markers=True))
    assert names(marked) == ["d", "d/empty", "d/full", "d/full/f"]
    assert marked[0].kind is SourceKind.DIR_MARKER and marked[0].mtime is not None


def test_an_empty_directory_given_directly_is_one_marker(tmp_path: Path) -> None:
    (tmp_path / "e").mkdir()
    [item] = upload_items(str(tmp_path / "e"), "e", dir_markers=False)
    assert (item.object_name, item.kind) == ("e", SourceKind.DIR_MARKER)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_file_symlinks_are_followed_and_directory_symlinks_are_not(tmp_path: Path) -> None:
    make(tmp_path, "real/f", "target.txt")
    (tmp_path / "real" / "link.txt").symlink_to(tmp_path / "target.txt")
    (tmp_path / "real" / "loop").symlink_to(tmp_path)
    items = list(walk(str(tmp_path / "real"), "r", dir_markers=False))
    assert names(items) == ["r/f", "r/link.txt"]
    assert items[1].size == len(b"target.txt")


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks")
def test_a_broken_symlink_is_an_item_carrying_its_error(tmp_path: Path) -> None:
    (tmp_path / "gone").symlink_to(tmp_path / "nowhere")
    [item] = walk(str(tmp_path), "d", dir_markers=False)
    assert item.object_name == "d/gone" and isinstance(item.error, FileNotFoundError)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs")
def test_a_fifo_is_refused_not_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    [item] = walk(str(tmp_path), "d", dir_markers=False)
    assert item.error is not None and "not a regular file" in str(item.error)


def test_a_missing_path_is_an_item_carrying_its_error(tmp_path: Path) -> None:
    [item] = upload_items(str(tmp_path / "nope"), "nope", dir_markers=False)
    assert item.kind is SourceKind.FILE and isinstance(item.error, FileNotFoundError)


def test_check_path_refuses_missing_paths_eagerly(tmp_path: Path) -> None:
    with pytest.raises(SwiftError, match="not found"):
        check_path(str(tmp_path / "nope"))
    check_path(str(tmp_path))


def test_a_seekable_stream_is_sized_from_its_position() -> None:
    stream = io.BytesIO(b"0123456789")
    stream.seek(4)
    item = stream_item(stream, "s")
    assert (item.kind, item.size) == (SourceKind.STREAM, 6)
    assert stream.tell() == 4


def test_an_unseekable_stream_has_no_size() -> None:
    read_end, write_end = os.pipe()
    os.close(write_end)
    with open(read_end, "rb") as pipe:
        item = stream_item(pipe, "p")
    assert (item.kind, item.size) == (SourceKind.PIPE, None)


def test_none_is_an_empty_object_or_a_marker() -> None:
    [empty] = upload_items(None, "n", dir_markers=False)
    [marker] = upload_items(None, "n", dir_markers=True)
    assert (empty.kind, marker.kind) == (SourceKind.EMPTY, SourceKind.DIR_MARKER)


def test_other_sources_are_refused() -> None:
    with pytest.raises(SwiftError):
        list(upload_items(42, "x", dir_markers=False))  # type: ignore[arg-type]
