"""Connection against the real local Swift: verbs, streaming, bodies, logging."""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Callable, Iterator

import pytest

from swiftsvc.errors import ClientException
from swiftsvc.http import Connection, Response
from swiftsvc.testing import LocalSwift

Connect = Callable[..., Connection]  # the ``connect`` fixture (conftest.py)


def test_container_and_object_verbs_round_trip(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    conn = connect(swift_options)
    assert conn.put_container(container_name).status in (201, 202)
    name = "dir/ünïcode file?.txt"
    put = conn.put_object(container_name, name, b"hello", headers={"X-Object-Meta-Color": "red"})
    assert put.status == 201
    assert put.headers["etag"] == "5d41402abc4b2a76b9719d911017c592"
    assert put.transaction_id
    assert put.response_dict()["status"] == 201

    head = conn.head_object(container_name, name)
    assert head.headers["x-object-meta-color"] == "red"
    assert head.headers["content-length"] == "5"

    conn.post_object(container_name, name, {"X-Object-Meta-Color": "blue"})
    assert conn.head_object(container_name, name).headers["x-object-meta-color"] == "blue"

    copy = conn.copy_object(container_name, name, f"/{container_name}/copy",
                            fresh_metadata=True)
    assert copy.status == 201
    copied = conn.head_object(container_name, "copy").headers
    assert "x-object-meta-color" not in copied

    _, listing = conn.get_container(container_name, prefix="dir/")
    assert [item["name"] for item in listing] == [name]
    _, everything = conn.get_container(container_name)
    assert sorted(item["name"] for item in everything) == ["copy", name]
    _, limited = conn.get_container(container_name, limit=1, marker="copy")
    assert [item["name"] for item in limited] == [name]

    _, containers = conn.get_account(prefix=container_name)
    assert [c["name"] for c in containers] == [container_name]
    assert conn.head_container(container_name).headers["x-container-object-count"]

    conn.delete_object(container_name, name)
    conn.delete_object(container_name, "copy")
    with pytest.raises(ClientException) as caught:
        conn.head_object(container_name, name)
    assert caught.value.http_status == 404
    assert conn.delete_container(container_name).status == 204


def test_a_failure_carries_status_path_and_transaction(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    conn = connect(swift_options)
    with pytest.raises(ClientException) as caught:
        conn.get_container(container_name)
    error = caught.value
    assert error.http_status == 404
    assert error.http_path.endswith("/" + container_name)
    assert error.transaction_id
    assert [a.status for a in error.attempts] == [404]  # not retried
    assert "Container GET failed" in str(error)


def test_ok_statuses_are_returned_not_raised(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    conn = connect(swift_options)
    answer = conn.request("HEAD", container_name, ok={404})
    assert isinstance(answer, Response) and answer.status == 404


def test_get_object_streams_the_body(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    conn = connect(swift_options)
    conn.put_container(container_name)
    data = os.urandom(300_000)
    conn.put_object(container_name, "blob", data)
    with conn.get_object(container_name, "blob") as answer:  # type: ignore[attr-defined]
        assert answer.status == 200
        assert answer.headers["content-length"] == str(len(data))
        chunks = list(answer.iter_chunks(65536))
    assert b"".join(chunks) == data
    assert max(len(c) for c in chunks) <= 65536
    ranged = conn.get_object(container_name, "blob", headers={"Range": "bytes=10-19"})
    try:
        assert ranged.status == 206
        assert b"".join(ranged.iter_chunks()) == data[10:20]
    finally:
        ranged.close()
    # the connection stays usable after streamed responses
    assert conn.head_object(container_name, "blob").status == 200


def test_a_file_uploads_from_where_it_stands_for_content_length_bytes(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    conn = connect(swift_options)
    conn.put_container(container_name)
    source = io.BytesIO(b"0123456789abcdef")
    source.seek(4)
    reported: list[int] = []
    conn.put_object(container_name, "part", source, content_length=6,
                    on_progress=reported.append)
    with conn.get_object(container_name, "part") as answer:  # type: ignore[attr-defined]
        assert answer.read() == b"456789"
    assert sum(reported) == 6


def test_a_whole_file_is_sent_with_its_length_not_chunked(
    connect: Connect, swift_options: dict[str, str], container_name: str, tmp_path: os.PathLike[str]
) -> None:
    conn = connect(swift_options)
    conn.put_container(container_name)
    path = os.path.join(tmp_path, "f")
    with open(path, "wb") as out:
        out.write(b"x" * 100_000)
    reported: list[int] = []
    with open(path, "rb") as source:
        put = conn.put_object(container_name, "f", source, on_progress=reported.append)
    assert put.status == 201
    assert sum(reported) == 100_000
    assert conn.head_object(container_name, "f").headers["content-length"] == "100000"


def test_an_iterator_body_is_sent_chunked_or_with_a_given_length(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    conn = connect(swift_options)
    conn.put_container(container_name)

    def pieces() -> Iterator[bytes]:
        yield b"abc"
        yield b"def"

    conn.put_object(container_name, "chunked", pieces())
    conn.request("PUT", container_name, "sized", body=pieces(),
                 headers={"Content-Length": "6"})
    for name in ("chunked", "sized"):
        assert conn.head_object(container_name, name).headers["content-length"] == "6"


def test_listing_json_and_empty_listing(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    conn = connect(swift_options)
    conn.put_container(container_name)
    answer, listing = conn.get_container(container_name)
    assert listing == [] and answer.status in (200, 204)
    conn.put_object(container_name, "a", b"1")
    answer, listing = conn.get_container(container_name)
    assert json.loads(answer.body)[0]["name"] == "a"
    assert set(listing[0]) >= {"name", "bytes", "hash", "last_modified", "content_type"}


def test_info_needs_no_token(connect: Connect, local_swift: LocalSwift) -> None:
    conn = connect({"auth": "http://127.0.0.1:9/nowhere", "user": "x", "key": "y"})
    answer = conn.info(local_swift.proxy_url + "/v1/AUTH_test")
    info = json.loads(answer.body)
    assert "swift" in info and "slo" in info
    assert conn.authenticator.auth_requests == 0


def test_debug_log_redacts_the_token(
    connect: Connect, swift_options: dict[str, str], container_name: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    conn = connect(swift_options)
    token = conn.authenticator.get().token
    with caplog.at_level(logging.DEBUG):
        conn.head_account()
        with pytest.raises(ClientException) as caught:
            conn.head_container(container_name)
    assert "REQ HEAD" in caplog.text and "<redacted>" in caplog.text
    assert token not in caplog.text
    assert swift_options["key"] not in caplog.text
    assert token not in str(caught.value) and token not in repr(caught.value)
    assert token not in repr(conn) and token not in repr(conn.authenticator.get())


def test_a_body_shorter_than_its_length_fails_without_retries(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    conn = connect(swift_options)
    conn.put_container(container_name)
    with pytest.raises(ClientException) as caught:
        conn.put_object(container_name, "short", io.BytesIO(b"abc"), content_length=10)
    assert "short of its length" in str(caught.value)
    assert len(caught.value.attempts) == 1


def test_one_tcp_connection_serves_many_requests(
    connect: Connect, swift_options: dict[str, str], container_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import urllib3.connection

    conn = connect(swift_options)
    conn.put_container(container_name)
    conn.put_object(container_name, "o", b"x" * 1000)
    opened: list[object] = []
    original = urllib3.connection.HTTPConnection.connect

    def counting_connect(self: urllib3.connection.HTTPConnection) -> None:
        opened.append(self)
        original(self)

    monkeypatch.setattr(urllib3.connection.HTTPConnection, "connect", counting_connect)
    for _ in range(3):
        conn.head_object(container_name, "o")
        with conn.get_object(container_name, "o") as answer:  # type: ignore[attr-defined]
            answer.read()
        # closed unread: the little that is left is drained, the connection kept
        conn.get_object(container_name, "o").close()
        conn.get_container(container_name)
    assert opened == []


def test_bodies_are_not_content_decoded(
    connect: Connect, swift_options: dict[str, str], container_name: str
) -> None:
    import gzip

    conn = connect(swift_options)
    conn.put_container(container_name)
    packed = gzip.compress(b"hello " * 100)
    conn.put_object(container_name, "z", packed, headers={"Content-Encoding": "gzip"})
    whole = conn.request("GET", container_name, "z")
    assert isinstance(whole, Response) and whole.body == packed
    with conn.get_object(container_name, "z") as answer:  # type: ignore[attr-defined]
        assert answer.read() == packed
