"""The streamed tar archive: exact length, readable by tarfile, metadata in pax headers."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from swiftsvc.ops.upload.tar import Archive, MemberChanged, TarMember


def test_stream_is_a_valid_tar_of_exact_length(tmp_path: Path) -> None:
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * 1_500_000)
    members = [
        TarMember("a/empty", 0, data=b""),
        TarMember(
            "a/small.txt", 5, mtime=1700000000.5, data=b"hello",
            meta=[("Mtime", "1700000000.500000")],
        ),
        TarMember("b/ünïcode " + "n" * 150, big.stat().st_size, opener=lambda: big.open("rb"),
                  content_type="application/x-test"),
    ]
    archive = Archive.of(members)
    body = b"".join(archive.stream())
    assert len(body) == archive.length
    with tarfile.open(fileobj=io.BytesIO(body), mode="r|") as tar:
        seen = {}
        for info in tar:
            handle = tar.extractfile(info)
            assert handle is not None
            seen[info.name] = (handle.read(), dict(info.pax_headers))
    assert seen["a/small.txt"][0] == b"hello"
    assert seen["a/small.txt"][1]["SCHILY.xattr.user.meta.mtime"] == "1700000000.500000"
    long_name = "b/ünïcode " + "n" * 150
    assert seen[long_name][0] == big.read_bytes()
    assert seen[long_name][1]["SCHILY.xattr.user.mime_type"] == "application/x-test"
    assert members[1].md5 == hashlib.md5(b"hello").hexdigest()
    assert members[2].md5 == hashlib.md5(big.read_bytes()).hexdigest()


def test_a_file_that_grew_since_planning_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"abc")
    archive = Archive.of([TarMember("c/f", 2, opener=lambda: path.open("rb"))])
    with pytest.raises(MemberChanged, match="c/f"):
        b"".join(archive.stream())


def test_a_file_that_shrank_since_planning_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"a")
    archive = Archive.of([TarMember("c/f", 2, opener=lambda: path.open("rb"))])
    with pytest.raises(MemberChanged):
        b"".join(archive.stream())
