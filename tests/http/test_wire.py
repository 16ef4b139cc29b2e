"""What a Connection puts on the wire, seen by the fault proxy.

Requests go straight to a urllib3 pool (not through ``requests.Session``) unless
the environment names a proxy; these pin that the bytes sent are what requests
would send: its default headers, caller headers merged case-insensitively,
bodies framed by Content-Length or chunked, header values checked.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator

import pytest

from swiftsvc.errors import ClientException
from swiftsvc.http import Connection, Response
from swiftsvc.testing import FaultProxy

Connect = Callable[..., Connection]  # the ``connect`` fixture (conftest.py)
pytestmark = pytest.mark.timeout(60)

_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "no_proxy",
                    "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


@pytest.fixture
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def conn(connect: Connect, proxied_options: dict[str, str], container_name: str,
         no_proxy_environment: None) -> Connection:
    connection = connect(proxied_options)
    connection.put_container(container_name)
    return connection


def last(fault_proxy: FaultProxy, method: str, path: str) -> dict[str, str | None]:
    """The framing and default headers of the last ``method`` request to ``path``."""
    sent = [r for r in fault_proxy.requests if r.method == method and r.path.endswith(path)]
    assert sent, f"no {method} {path} reached the proxy"
    request = sent[-1]
    names = ("Content-Length", "Transfer-Encoding", "User-Agent", "Accept-Encoding", "Accept",
             "Connection", "X-Auth-Token")
    return {name: request.header(name) for name in names}


def test_default_headers_are_those_of_the_session(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    conn.head_container(container_name)
    sent = last(fault_proxy, "HEAD", "/" + container_name)
    assert sent["User-Agent"] == "swiftsvc"
    assert sent["Accept-Encoding"] == "identity"  # bodies are never content-decoded
    assert sent["Accept"] == "*/*"
    assert sent["Connection"] == "keep-alive"
    assert sent["X-Auth-Token"] == "<redacted>"  # sent (the proxy hides its value)
    assert sent["Content-Length"] is None and sent["Transfer-Encoding"] is None


def test_caller_headers_replace_defaults_whatever_their_case(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    conn.head_container(container_name, headers={"ACCEPT": "application/json",
                                                 "user-AGENT": "mine/1"})
    sent = last(fault_proxy, "HEAD", "/" + container_name)
    # one header each, not the default and the caller's joined
    assert sent["Accept"] == "application/json"
    assert sent["User-Agent"] == "mine/1"


def test_bodies_are_framed_as_requests_frames_them(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    conn.put_object(container_name, "bytes", b"12345")
    assert last(fault_proxy, "PUT", "/bytes")["Content-Length"] == "5"

    conn.put_object(container_name, "empty", b"")
    assert last(fault_proxy, "PUT", "/empty")["Content-Length"] == "0"

    conn.copy_object(container_name, "bytes", f"/{container_name}/copy")
    assert last(fault_proxy, "COPY", "/bytes")["Content-Length"] == "0"  # no body

    def pieces() -> Iterator[bytes]:
        yield b"ab"
        yield b"cd"

    conn.put_object(container_name, "iterator", pieces())
    sent = last(fault_proxy, "PUT", "/iterator")
    assert sent["Transfer-Encoding"] == "chunked" and sent["Content-Length"] is None

    conn.put_object(container_name, "sized", pieces(), content_length=4)
    sent = last(fault_proxy, "PUT", "/sized")
    assert sent["Content-Length"] == "4" and sent["Transfer-Encoding"] is None

    read, write = os.pipe()  # a file whose length nobody knows
    os.write(write, b"piped")
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        conn.put_object(container_name, "pipe", pipe)
    assert last(fault_proxy, "PUT", "/pipe")["Transfer-Encoding"] == "chunked"

    conn.put_object(container_name, "file", io.BytesIO(b"0123456789"),
                    on_progress=lambda sent: None)
    assert last(fault_proxy, "PUT", "/file")["Content-Length"] == "10"

    for name, data in (("bytes", b"12345"), ("empty", b""), ("iterator", b"abcd"),
                       ("sized", b"abcd"), ("pipe", b"piped"), ("file", b"0123456789")):
        with conn.get_object(container_name, name) as answer:  # type: ignore[attr-defined]
            assert answer.read() == data, name
    assert last(fault_proxy, "GET", "/file")["Content-Length"] is None
    conn.delete_object(container_name, "copy")
    assert last(fault_proxy, "DELETE", "/copy")["Content-Length"] == "0"  # as requests does


def test_a_header_value_with_a_line_break_is_refused_before_sending(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    before = fault_proxy.count(method="POST")
    with pytest.raises(ClientException) as caught:
        conn.post_container(container_name, {"X-Container-Meta-A": "1\r\nX-Injected: 2"})
    assert "InvalidHeader" in str(caught.value)
    assert len(caught.value.attempts) == 1  # not retried
    assert fault_proxy.count(method="POST") == before


def test_a_url_of_another_scheme_fails_without_retries(
    connect: Connect, no_proxy_environment: None
) -> None:
    conn = connect({"auth": "http://127.0.0.1:9/nowhere", "user": "x", "key": "y"})
    with pytest.raises(ClientException) as caught:
        conn.request("GET", url="ftp://127.0.0.1/info")
    assert "InvalidSchema" in str(caught.value)
    assert len(caught.value.attempts) == 1


def test_a_refused_connection_is_retried(connect: Connect, no_proxy_environment: None) -> None:
    conn = connect({"auth": "http://127.0.0.1:9/nowhere", "user": "x", "key": "y"}, retries=1)
    with pytest.raises(ClientException) as caught:
        conn.request("GET", url="http://127.0.0.1:9/info")  # the discard port: nobody listens
    assert [a.status for a in caught.value.attempts] == [None, None]
    assert "after 2 tries" in str(caught.value)


def test_a_proxy_from_the_environment_is_used(
    connect: Connect, fault_proxy: FaultProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in _PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", fault_proxy.url)
    fault_proxy.respond(200, body=b"{}", path="swift.invalid")
    conn = connect({"auth": "http://127.0.0.1:9/nowhere", "user": "x", "key": "y"})
    # the host does not resolve: only a proxy can answer for it
    answer = conn.request("GET", url="http://swift.invalid/info")
    assert isinstance(answer, Response) and answer.body == b"{}"
    assert fault_proxy.count(method="GET", path="swift.invalid") == 1
