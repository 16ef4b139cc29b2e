"""Hashing while reading: one read, one hash, rewinds restart it."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from swiftsvc._hashing import HashingReader, SourceChangedError, hash_range, md5_hex


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
