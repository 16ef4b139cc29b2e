"""Hashing while reading: one read, one hash, rewinds restart it."""

from __future__ import annotations

import hashlib
import io
import os
import time
from pathlib import Path

import pytest

from swiftsvc._hashing import (
    FileState,
    HashingReader,
    SourceChangedError,
    check_unchanged,
    hash_range,
    md5_hex,
)


def read_all(reader: HashingReader, chunk: int = 7) -> bytes:
    parts = []
    while data := reader.read(chunk):
        parts.append(data)
    return b"".join(parts)


def test_the_reader_returns_its_window_and_its_md5() -> None:
    raw = io.BytesIO(b"0123456789")
    raw.seek(2)
    reader = HashingReader(raw, 5)
    assert read_all(reader, 2) == b"23456"
    assert reader.hexdigest() == hashlib.md5(b"23456").hexdigest()
    assert reader.bytes_read == 5


def test_the_md5_is_unknown_until_the_window_was_read_through() -> None:
    reader = HashingReader(io.BytesIO(b"abcdef"), 6)
    reader.read(3)
    assert reader.hexdigest() is None


def test_rewinding_to_the_start_restarts_the_hash() -> None:
    raw = io.BytesIO(b"xxabcdef")
    raw.seek(2)
    reader = HashingReader(raw, 6)
    reader.read(4)
    assert reader.tell() == 4
    reader.seek(0)
    assert read_all(reader) == b"abcdef"
    assert reader.hexdigest() == md5_hex(b"abcdef")


def test_len_is_whats_left_so_http_libraries_send_content_length() -> None:
    reader = HashingReader(io.BytesIO(b"abcdef"), 4)
    assert len(reader) == 4
    reader.read(1)
    assert len(reader) == 3
    assert bool(HashingReader(io.BytesIO(b""), 0))


def test_data_ending_before_the_window_raises_not_hangs() -> None:
    reader = HashingReader(io.BytesIO(b"abc"), 10)
    reader.read(3)
    with pytest.raises(SourceChangedError):
        reader.read(3)


def test_an_unknown_length_reads_to_the_end() -> None:
    reader = HashingReader(io.BytesIO(b"abc"))
    assert read_all(reader) == b"abc"
    assert reader.hexdigest() == md5_hex(b"abc")


def test_without_checksum_there_is_no_md5() -> None:
    reader = HashingReader(io.BytesIO(b"abc"), 3, checksum=False)
    read_all(reader)
    assert reader.hexdigest() is None


def test_hash_range_hashes_part_of_a_file(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"0123456789")
    assert hash_range(path, 3, 4) == md5_hex(b"3456")


def test_verify_runs_before_the_last_bytes_are_returned() -> None:
    calls: list[int] = []
    reader = HashingReader(io.BytesIO(b"abcdefgh"), 8, verify=lambda: calls.append(reader.tell()))
    assert reader.read(5) == b"abcde" and calls == []
    assert reader.read(5) == b"fgh"
    assert calls == [5]  # asked while the last three bytes were still held back


def test_a_failing_verify_withholds_the_last_bytes() -> None:
    def changed() -> None:
        raise SourceChangedError("changed")

    reader = HashingReader(io.BytesIO(b"abcdefgh"), 8, verify=changed)
    assert reader.read(4) == b"abcd"
    with pytest.raises(SourceChangedError):
        reader.read(4)
    assert reader.bytes_read == 4 and reader.hexdigest() is None


def test_an_in_place_rewrite_of_the_same_size_is_a_change(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old bytes")
    before = FileState.at(path)
    check_unchanged(path, before)
    with open(path, "rb") as fp:
        check_unchanged(path, before, fp)
        with open(path, "r+b") as writer:
            writer.write(b"new bytes")
        stat = os.stat(path)
        os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        with pytest.raises(SourceChangedError, match=r"changed while it was read \(mtime, ctime"):
            check_unchanged(path, before, fp)
    assert FileState.at(path).size == before.size


def test_a_file_put_back_to_its_old_mtime_is_still_a_change(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"old bytes")
    before = FileState.at(path)
    time.sleep(0.02)  # past the filesystem's timestamp granularity
    path.write_bytes(b"new bytes")
    os.utime(path, ns=(before.mtime_ns, before.mtime_ns))  # the writer hides its mtime
    with pytest.raises(SourceChangedError, match=r"\(ctime changed\)") as raised:
        check_unchanged(path, before)
    assert str(path) in str(raised.value)


def test_a_vanished_file_is_a_change(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x")
    before = FileState.at(path)
    path.unlink()
    with pytest.raises(SourceChangedError, match="cannot be examined"):
        check_unchanged(path, before)
