"""Pure pieces of large-object verification and resumption (no server)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator

import pytest

from swiftsvc.http.response import Attempt
from swiftsvc.ops.download.body import (
    ByteWindow,
    DownloadInterrupted,
    GetRequest,
    ResumableBody,
    byte_window,
    resume_range,
)
from swiftsvc.ops.download.large import (
    ManifestError,
    listing_etag,
    manifest_etag,
    parse_manifest,
    plan_pieces,
    slice_parts,
    split_manifest_header,
)
from swiftsvc.ops.download.local import Part


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def test_manifest_entries_and_the_slo_etag_as_swift_computes_it() -> None:
    body = json.dumps([
        {"name": "/segs/a", "bytes": 10, "hash": "aa", "content_type": "x"},
        {"name": "/segs/b", "bytes": 20, "hash": "bb", "range": "5-9"},
        {"name": "/segs/c", "bytes": 100, "hash": "cc", "sub_slo": True,
         "content_type": "application/octet-stream;swift_bytes=4096"},
        {"data": base64.b64encode(b"inline").decode()},
    ]).encode()
    entries = parse_manifest(body, where="o")
    assert [e.size for e in entries] == [10, 5, 4096, 6]
    assert entries[1].byte_range == (5, 9)
    assert entries[2].sub_slo
    assert entries[3].data == b"inline"
    # slo.py: md5 over hash, "hash:range;" for ranged entries, md5(data) for inline data
    expected = md5(("aa" + "bb:5-9;" + "cc" + md5(b"inline")).encode())
    assert manifest_etag(entries) == expected


@pytest.mark.parametrize("text,expected", [("-3", (7, 9)), ("4-", (4, 9)), ("2-100", (2, 9))])
def test_segment_range_forms(text: str, expected: tuple[int, int]) -> None:
    body = json.dumps([{"name": "/s/a", "bytes": 10, "hash": "aa", "range": text}]).encode()
    assert parse_manifest(body, where="o")[0].byte_range == expected


@pytest.mark.parametrize("body", [b"not json", b"{}", b"[1]", b'[{"name": "/s/a"}]'])
def test_a_broken_manifest_is_a_clear_error(body: bytes) -> None:
    with pytest.raises(ManifestError):
        parse_manifest(body, where="o")


def test_slicing_keeps_md5s_of_whole_parts_only() -> None:
    parts = [Part(10, "a", "0"), Part(10, "b", "1"), Part(10, "c", "2")]
    assert slice_parts(parts, 0, 29) == parts
    assert slice_parts(parts, 10, 19) == [Part(10, "b", "1")]
    assert slice_parts(parts, 5, 24) == [Part(5, None, "0"), Part(10, "b", "1"),
                                          Part(5, None, "2")]
    assert slice_parts(parts, 12, 13) == [Part(2, None, "1")]


def test_dlo_manifest_header_and_listing_etag() -> None:
    assert split_manifest_header("segs/big%20file/123/") == ("segs", "big file/123/")
    with pytest.raises(ManifestError):
        split_manifest_header("nocontainer")
    assert listing_etag([Part(1, "aa"), Part(2, "bb")]) == md5(b"aabb")


def test_byte_windows_of_answers() -> None:
    assert byte_window(200, {"content-length": "100"}) == ByteWindow(0, 99)
    assert byte_window(200, {}) == ByteWindow(0, None)
    assert byte_window(206, {"content-range": "bytes 10-19/100"}) == ByteWindow(10, 19)
    assert byte_window(206, {"content-type": "multipart/byteranges; boundary=x"}) is None
    assert ByteWindow(10, 19).length == 10


def test_resume_asks_for_the_rest_of_the_window() -> None:
    assert resume_range(ByteWindow(0, 99), 40) == "bytes=40-99"
    assert resume_range(ByteWindow(10, 19), 3) == "bytes=13-19"
    assert resume_range(ByteWindow(0, None), 7) == "bytes=7-"


# ------------------------------------------------- ResumableBody (fake answers)


class FakeAnswer:
    """A streamed answer whose body breaks after ``cut`` bytes (None: never)."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes,
                 cut: int | None = None) -> None:
        self.status, self.reason, self.headers = status, "", headers
        self.body, self.cut = body, cut
        self.attempts = (Attempt("GET", "/o", status, "", headers),)
        self.closed = False

    def iter_chunks(self, size: int = 65536) -> Iterator[bytes]:
        end = len(self.body) if self.cut is None else self.cut
        for start in range(0, end, 7):
            yield self.body[start:min(start + 7, end)]
        if self.cut is not None:
            raise ConnectionResetError("reset by peer")

    def close(self) -> None:
        self.closed = True


class FakeConnection:
    def __init__(self, answers: list[FakeAnswer]) -> None:
        self.answers = answers
        self.asked: list[dict[str, str]] = []

    def get_object(self, container: str, obj: str, *, headers: dict[str, str],
                   query: dict[str, str]) -> FakeAnswer:
        self.asked.append(headers)
        return self.answers.pop(0)


DATA = bytes(range(100))


def body_of(first: FakeAnswer, later: list[FakeAnswer], max_resumes: int = 3
            ) -> tuple[ResumableBody, FakeConnection, list[Attempt]]:
    conn = FakeConnection(later)
    history = list(first.attempts)
    request = GetRequest("c", "o", {}, {"X-Custom": "1"}, if_match="etag1")
    body = ResumableBody(lambda: conn, request, first, history=history,  # type: ignore[arg-type, return-value]
                         max_resumes=max_resumes)
    return body, conn, history


def test_a_reset_body_resumes_with_range_and_if_match() -> None:
    first = FakeAnswer(200, {"content-length": "100"}, DATA, cut=30)
    rest = FakeAnswer(206, {"content-range": "bytes 30-99/100"}, DATA[30:])
    body, conn, history = body_of(first, [rest])
    assert b"".join(body) == DATA
    assert conn.asked == [{"X-Custom": "1", "Range": "bytes=30-99", "If-Match": "etag1"}]
    assert len(history) == 2
    assert "interrupted after 30 bytes" in (history[0].error or "")
    assert first.closed and rest.closed


def test_a_server_ignoring_the_range_is_skipped_forward() -> None:
    first = FakeAnswer(200, {"content-length": "100"}, DATA, cut=50)
    whole = FakeAnswer(200, {"content-length": "100"}, DATA)
    body, _, _ = body_of(first, [whole])
    assert b"".join(body) == DATA


def test_a_resume_answering_other_bytes_is_refused() -> None:
    first = FakeAnswer(200, {"content-length": "100"}, DATA, cut=50)
    wrong = FakeAnswer(206, {"content-range": "bytes 0-99/100"}, DATA)
    body, _, _ = body_of(first, [wrong])
    with pytest.raises(DownloadInterrupted, match="wrong bytes"):
        b"".join(body)


def test_resumes_are_bounded() -> None:
    first = FakeAnswer(200, {"content-length": "100"}, DATA, cut=10)
    again = [FakeAnswer(206, {"content-range": f"bytes {n}-99/100"}, DATA[n:], cut=5)
             for n in (10, 15)]
    body, _, history = body_of(first, again, max_resumes=2)
    with pytest.raises(DownloadInterrupted, match="interrupted after 20 bytes"):
        b"".join(body)
    assert len(history) == 3


def test_a_body_ending_early_without_an_error_is_resumed() -> None:
    first = FakeAnswer(200, {"content-length": "100"}, DATA[:40])  # clean end, too short
    rest = FakeAnswer(206, {"content-range": "bytes 40-99/100"}, DATA[40:])
    body, conn, _ = body_of(first, [rest])
    assert b"".join(body) == DATA
    assert conn.asked[0]["Range"] == "bytes=40-99"


def test_pieces_hold_whole_parts_of_at_least_the_minimum_size() -> None:
    parts = [Part(4, "a", "/s/0"), Part(5, "b", "/s/1"), Part(9, "c", "/s/2"), Part(2, "d", "/s/3")]
    pieces = plan_pieces(parts, workers=10, min_size=8)
    assert [(p.first, p.last, p.index) for p in pieces] == [(0, 8, 0), (9, 17, 2), (18, 19, 3)]
    assert [[part.label for part in p.parts] for p in pieces] == [
        ["/s/0", "/s/1"], ["/s/2"], ["/s/3"]
    ]
    assert pieces[1].range_header == "bytes=9-17"


def test_pieces_grow_with_the_object_so_each_worker_gets_about_four() -> None:
    parts = [Part(1, None, f"/s/{i}") for i in range(1000)]
    pieces = plan_pieces(parts, workers=10, min_size=1)
    assert len(pieces) == 40
    assert sum(len(p.parts) for p in pieces) == 1000
    assert [p.first for p in pieces] == list(range(0, 1000, 25))


def test_an_object_of_one_piece_is_not_split() -> None:
    assert plan_pieces([Part(5, "a"), Part(5, "b")], workers=4, min_size=10) == []
    assert plan_pieces([], workers=4, min_size=10) == []
    assert plan_pieces([Part(0, "e"), Part(0, "e")], workers=4, min_size=1) == []


def test_trailing_empty_parts_join_the_last_piece() -> None:
    parts = [Part(8, "a"), Part(8, "b"), Part(0, "e", "/s/empty")]
    pieces = plan_pieces(parts, workers=1, min_size=8)
    assert [(p.first, p.last, len(p.parts)) for p in pieces] == [(0, 7, 1), (8, 15, 2)]
