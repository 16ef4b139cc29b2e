"""FaultProxy: relays faithfully, and each scripted fault fails the way it promises.

Most tests run against a tiny threaded upstream built here, so they need no Swift; the
last one goes through the real local Swift.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import socket
import threading
import time
import tracemalloc
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from swiftsvc.testing.faultproxy import FaultProxy

PIECE = 64 * 1024


def payload(size: int) -> bytes:
    """Deterministic, non-repeating-looking bytes so truncation offsets are checkable."""
    block = hashlib.sha256(str(size).encode()).digest() * (PIECE // 32)
    return (block * (size // len(block) + 1))[:size]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    client_port: int
    body_length: int
    body_md5: str
    chunked: bool


@dataclass
class Upstream:
    url: str
    seen: list[Seen] = field(default_factory=list)


def _read_chunked(rfile: Any) -> Iterator[bytes]:
    while True:
        size = int(rfile.readline().split(b";")[0], 16)
        if size == 0:
            while rfile.readline() not in (b"\r\n", b""):
                pass
            return
        yield rfile.read(size)
        rfile.readline()


class _UpstreamHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    upstream: Upstream

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _consume_body(self) -> tuple[int, str, bool]:
        digest = hashlib.md5()
        length = 0
        chunked = "chunked" in self.headers.get("Transfer-Encoding", "")
        if chunked:
            pieces: Iterator[bytes] = _read_chunked(self.rfile)
        else:
            remaining = int(self.headers.get("Content-Length", "0"))
            pieces = iter(
                lambda: (
                    self.rfile.read(min(PIECE, remaining - length)) if remaining > length else b""
                ),
                b"",
            )
        for piece in pieces:
            digest.update(piece)
            length += len(piece)
        return length, digest.hexdigest(), chunked

    def _handle(self) -> None:
        length, md5, chunked = self._consume_body()
        url = urlsplit(self.path)
        self.upstream.seen.append(
            Seen(
                method=self.command,
                path=self.path,
                headers=dict(self.headers.items()),
                client_port=self.client_address[1],
                body_length=length,
                body_md5=md5,
                chunked=chunked,
            )
        )
        query = parse_qs(url.query)
        if url.path == "/data":
            body = payload(int(query.get("size", ["1000"])[0]))
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("ETag", hashlib.md5(body).hexdigest())
            self.send_header("X-Upstream", "yes")
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
        elif url.path == "/short":
            # An upstream that dies mid-body: promises ``size`` bytes, sends ``sent``.
            size = int(query["size"][0])
            self.send_response(200)
            self.send_header("Content-Length", str(size))
            self.end_headers()
            self.wfile.write(payload(size)[: int(query["sent"][0])])
            self.close_connection = True
        elif url.path == "/short-chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            self.wfile.write(b"6\r\nhello \r\n")
            self.close_connection = True
        elif url.path == "/until-close":
            # No framing at all: the body legitimately ends where the connection does.
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload(3000))
            self.close_connection = True
        elif url.path == "/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            for piece in (b"hello ", b"chunked ", b"world"):
                self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            self.wfile.write(b"0\r\n\r\n")
        else:
            body = json.dumps(
                {"length": length, "md5": md5, "chunked": chunked, "host": self.headers["Host"]}
            ).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    do_GET = do_HEAD = do_PUT = do_POST = do_DELETE = _handle


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Truncating and resetting faults make the upstream's writes fail; that is expected.
        pass


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    server = _QuietServer(("127.0.0.1", 0), _UpstreamHandler)
    port = server.server_address[1]
    state = Upstream(url=f"http://127.0.0.1:{port}")
    _UpstreamHandler.upstream = state
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield state
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def proxy(upstream: Upstream) -> Iterator[FaultProxy]:
    with FaultProxy(upstream.url) as running:
        yield running


def raw_connection(proxy: FaultProxy) -> socket.socket:
    parts = urlsplit(proxy.url)
    assert parts.hostname and parts.port
    return socket.create_connection((parts.hostname, parts.port), timeout=5)


def read_head(sock: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = sock.recv(1)
        if not piece:
            break
        data += piece
    return data


class LazyBody:
    """A file-like body of known length, generated as it is read (nothing buffered)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.position = 0
        self.block = payload(PIECE)
        self.md5 = hashlib.md5()

    def __len__(self) -> int:
        return self.size - self.position

    def read(self, amount: int = -1) -> bytes:
        amount = min(PIECE, self.size - self.position if amount < 0 else amount)
        data = self.block[: min(amount, self.size - self.position)]
        self.position += len(data)
        self.md5.update(data)
        return data


# -- faithful relaying -----------------------------------------------------------------


def test_relays_get_keeping_host_and_reusing_the_upstream_connection(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    with requests.Session() as session:
        first = session.get(f"{proxy.url}/data?size=100000")
        second = session.put(f"{proxy.url}/thing", data=b"abc")
    assert first.status_code == 200
    assert first.content == payload(100000)
    assert first.headers["ETag"] == hashlib.md5(payload(100000)).hexdigest()
    assert second.status_code == 201
    assert second.json()["host"] == urlsplit(proxy.url).netloc
    assert len(upstream.seen) == 2
    # One client connection maps to one keep-alive upstream connection.
    assert upstream.seen[0].client_port == upstream.seen[1].client_port
    assert [(r.method, r.path, r.query, r.status) for r in proxy.requests] == [
        ("GET", "/data", "size=100000", 200),
        ("PUT", "/thing", "", 201),
    ]


def test_head_keeps_content_length_without_a_body(proxy: FaultProxy) -> None:
    with requests.Session() as session:
        head = session.head(f"{proxy.url}/data?size=5000")
        after = session.get(f"{proxy.url}/data?size=10")
    assert head.headers["Content-Length"] == "5000"
    assert head.content == b""
    assert after.content == payload(10)


def test_relays_a_chunked_response(proxy: FaultProxy) -> None:
    response = requests.get(f"{proxy.url}/chunked")
    assert response.content == b"hello chunked world"
    assert response.headers["Transfer-Encoding"] == "chunked"


def test_streams_a_large_upload_without_buffering_it(proxy: FaultProxy, upstream: Upstream) -> None:
    size = 48 * 1024 * 1024
    body = LazyBody(size)
    tracemalloc.start()
    try:
        response = requests.put(f"{proxy.url}/big", data=body)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 201
    assert response.json() == {
        "length": size,
        "md5": body.md5.hexdigest(),
        "chunked": False,
        "host": urlsplit(proxy.url).netloc,
    }
    assert upstream.seen[-1].headers["Content-Length"] == str(size)
    assert peak < 8 * 1024 * 1024


def test_relays_a_chunked_upload_from_a_generator(proxy: FaultProxy) -> None:
    pieces = [payload(1000 + n) for n in range(50)]

    response = requests.put(f"{proxy.url}/gen", data=iter(pieces))

    whole = b"".join(pieces)
    assert response.json()["length"] == len(whole)
    assert response.json()["md5"] == hashlib.md5(whole).hexdigest()
    assert response.json()["chunked"] is True


def test_answers_expect_100_continue_before_reading_the_body(proxy: FaultProxy) -> None:
    with raw_connection(proxy) as sock:
        sock.sendall(
            b"PUT /obj HTTP/1.1\r\nHost: example\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        assert read_head(sock).startswith(b"HTTP/1.1 100")
        sock.sendall(b"hello")
        head = read_head(sock)
    assert head.startswith(b"HTTP/1.1 201")


def test_reconnects_when_the_upstream_closed_an_idle_connection(
    proxy: FaultProxy, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Like Swift's client_timeout: the upstream drops keep-alive connections idle 0.2 s.
    monkeypatch.setattr(_UpstreamHandler, "timeout", 0.2)
    with requests.Session() as session:
        assert session.put(f"{proxy.url}/a", data=b"first").status_code == 201
        time.sleep(0.5)
        assert session.put(f"{proxy.url}/a", data=b"second").json()["length"] == 6
        time.sleep(0.5)
        assert session.get(f"{proxy.url}/data?size=3").content == payload(3)
    assert upstream.seen[0].client_port != upstream.seen[1].client_port


def test_unreachable_upstream_gives_502() -> None:
    with socket.socket() as placeholder:
        placeholder.bind(("127.0.0.1", 0))
        dead_port = placeholder.getsockname()[1]
    with FaultProxy(f"http://127.0.0.1:{dead_port}") as proxy:
        response = requests.get(f"{proxy.url}/x")
    assert response.status_code == 502


def test_rejects_non_http_upstreams() -> None:
    with pytest.raises(ValueError):
        FaultProxy("https://example.com")


# -- faults ----------------------------------------------------------------------------


def test_respond_answers_without_the_upstream_then_expires(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    fault = proxy.respond(503, headers={"Retry-After": "2"}, body=b"busy", method="GET")
    with requests.Session() as session:
        first = session.get(f"{proxy.url}/data?size=10")
        second = session.get(f"{proxy.url}/data?size=10")
    assert (first.status_code, first.headers["Retry-After"], first.content) == (503, "2", b"busy")
    assert second.status_code == 200
    assert len(upstream.seen) == 1
    assert fault.hits == 1 and fault.expired
    assert [(r.fault, r.status) for r in proxy.requests] == [("respond", 503), (None, 200)]


def test_faults_match_by_method_and_path_regex(proxy: FaultProxy) -> None:
    proxy.respond(498, method="PUT", path=r"/c/o\?multipart-manifest=put$", times=None)
    assert requests.put(f"{proxy.url}/c/o", data=b"x").status_code == 201
    assert requests.get(f"{proxy.url}/c/o?multipart-manifest=put").status_code == 201
    for _ in range(3):
        answer = requests.put(f"{proxy.url}/c/o?multipart-manifest=put", data=b"x")
        assert (answer.status_code, answer.reason) == (498, "Rate Limited")
    proxy.clear_faults()
    assert requests.put(f"{proxy.url}/c/o?multipart-manifest=put").status_code == 201
    assert proxy.count(method="PUT", path="multipart-manifest") == 4
    assert proxy.count(path=r"^/c/o$") == 1


def test_respond_drains_a_request_body_and_keeps_the_connection(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.respond(401, method="PUT")
    with requests.Session() as session:
        refused = session.put(f"{proxy.url}/obj", data=payload(300000))
        accepted = session.put(f"{proxy.url}/obj", data=payload(3000))
    assert refused.status_code == 401
    assert accepted.json()["length"] == 3000
    assert len(upstream.seen) == 1


def test_respond_to_expect_continue_skips_the_body_and_closes(proxy: FaultProxy) -> None:
    proxy.respond(401)
    with raw_connection(proxy) as sock:
        sock.sendall(
            b"PUT /obj HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n"
            b"Expect: 100-continue\r\n\r\n"
        )
        head = read_head(sock)
        assert head.startswith(b"HTTP/1.1 401")
        assert b"Connection: close" in head
        assert sock.recv(10) == b""


def test_reset_before_headers_sends_nothing_and_skips_the_upstream(
    proxy: FaultProxy, upstream: Upstream
) -> None:
    proxy.reset_before_headers(method="GET")
    with raw_connection(proxy) as sock:
        sock.sendall(b"GET /data HTTP/1.1\r\nHost: x\r\n\r\n")
        with pytest.raises(ConnectionResetError):
            sock.recv(10)
    assert requests.get(f"{proxy.url}/data?size=5").status_code == 200
    assert len(upstream.seen) == 1
    assert [(r.fault, r.status) for r in proxy.requests] == [
        ("reset_before_headers", None),
        (None, 200),
    ]


def test_reset_before_headers_fails_a_requests_upload(proxy: FaultProxy) -> None:
    proxy.reset_before_headers()
    with pytest.raises(requests.ConnectionError):
        requests.put(f"{proxy.url}/obj", data=payload(2 * 1024 * 1024))


def test_reset_after_headers_sends_the_head_then_rst(proxy: FaultProxy) -> None:
    proxy.reset_after_headers()
    with raw_connection(proxy) as sock:
        sock.sendall(b"GET /data?size=100000 HTTP/1.1\r\nHost: x\r\n\r\n")
        head = read_head(sock)
        assert head.startswith(b"HTTP/1.1 200")
        assert b"Content-Length: 100000" in head
        with pytest.raises(ConnectionResetError):
            while sock.recv(65536):
                pass
    assert proxy.requests[0].status == 200
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        proxy.reset_after_headers()
        requests.get(f"{proxy.url}/data?size=100000")


def test_truncate_body_keeps_content_length_and_stops_after_k_bytes(proxy: FaultProxy) -> None:
    proxy.truncate_body(1000, path="^/data")
    parts = urlsplit(proxy.url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=5)
    conn.request("GET", "/data?size=200000")
    response = conn.getresponse()
    assert response.getheader("Content-Length") == "200000"
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert caught.value.partial == payload(200000)[:1000]
    conn.close()
    # Only the next request was faulted.
    assert requests.get(f"{proxy.url}/data?size=200000").content == payload(200000)


def test_truncate_body_on_a_chunked_response(proxy: FaultProxy) -> None:
    proxy.truncate_body(8)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{proxy.url}/chunked")


def test_an_upstream_dying_mid_body_cuts_the_client_connection(proxy: FaultProxy) -> None:
    parts = urlsplit(proxy.url)
    # the timeout is far longer than the cut may take: a connection held open fails
    # with a timeout, not with the IncompleteRead of a connection closed at once
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    conn.request("GET", "/short?size=200000&sent=70000")
    response = conn.getresponse()
    assert response.getheader("Content-Length") == "200000"
    with pytest.raises(http.client.IncompleteRead) as caught:
        response.read()
    assert caught.value.partial == payload(200000)[:70000]
    conn.close()
    [record] = proxy.requests
    assert (record.status, record.upstream_cut, record.fault) == (200, True, None)
    # the proxy itself goes on serving
    assert requests.get(f"{proxy.url}/data?size=10", timeout=5).content == payload(10)
    assert proxy.requests[-1].upstream_cut is False


def test_an_upstream_dying_mid_body_fails_a_requests_download(proxy: FaultProxy) -> None:
    with requests.Session() as session:
        with pytest.raises(requests.exceptions.ChunkedEncodingError):
            session.get(f"{proxy.url}/short?size=100000&sent=0", timeout=30)
        # the session's next request gets a fresh, working connection
        assert session.get(f"{proxy.url}/data?size=5", timeout=5).content == payload(5)


def test_an_upstream_dying_mid_chunked_body_cuts_the_client_connection(
    proxy: FaultProxy,
) -> None:
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(f"{proxy.url}/short-chunked", timeout=30)
    assert proxy.requests[0].upstream_cut is True


def test_a_body_delimited_by_the_upstream_close_is_whole_not_cut(proxy: FaultProxy) -> None:
    response = requests.get(f"{proxy.url}/until-close", timeout=30)
    assert response.content == payload(3000)
    assert proxy.requests[0].upstream_cut is False


def test_delay_provokes_a_client_read_timeout(proxy: FaultProxy) -> None:
    proxy.delay(1.0)
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(f"{proxy.url}/data?size=10", timeout=(5, 0.3))
    started = time.monotonic()
    assert requests.get(f"{proxy.url}/data?size=10", timeout=5).status_code == 200
    assert time.monotonic() - started < 0.5


def test_delay_body_sends_headers_first(proxy: FaultProxy) -> None:
    proxy.delay_body(0.6)
    started = time.monotonic()
    response = requests.get(f"{proxy.url}/data?size=1000", stream=True, timeout=5)
    headers_after = time.monotonic() - started
    body = response.content
    body_after = time.monotonic() - started
    assert headers_after < 0.4
    assert body_after >= 0.6
    assert body == payload(1000)


def test_rewrite_response_header_replaces_adds_and_removes(proxy: FaultProxy) -> None:
    proxy.rewrite_response_header("ETag", "0" * 32, times=None, path="size=1$")
    proxy.rewrite_response_header("X-Upstream", None, path="size=2$")
    proxy.rewrite_response_header("X-Added", "here", path="size=3$")
    assert requests.get(f"{proxy.url}/data?size=1").headers["ETag"] == "0" * 32
    assert requests.get(f"{proxy.url}/data?size=1").headers["ETag"] == "0" * 32
    assert "X-Upstream" not in requests.get(f"{proxy.url}/data?size=2").headers
    assert requests.get(f"{proxy.url}/data?size=3").headers["X-Added"] == "here"
    assert [r.fault for r in proxy.requests] == ["rewrite_response_header"] * 4


def test_faults_apply_in_the_order_added_one_per_request(proxy: FaultProxy) -> None:
    proxy.respond(500)
    proxy.respond(503, times=2)
    statuses = [requests.get(f"{proxy.url}/data").status_code for _ in range(4)]
    assert statuses == [500, 503, 503, 200]


def test_cancelled_fault_no_longer_applies(proxy: FaultProxy) -> None:
    fault = proxy.respond(500, times=None)
    fault.cancel()
    assert requests.get(f"{proxy.url}/data").status_code == 200
    assert proxy.faults == []


# -- recording -------------------------------------------------------------------------


def test_recorded_headers_hide_credentials(proxy: FaultProxy) -> None:
    requests.get(
        f"{proxy.url}/data",
        headers={
            "X-Auth-Token": "AUTH_tk1",
            "X-Auth-Key": "secret",
            "X-Service-Token": "svc",
            "Authorization": "Bearer b",
            "X-Storage-Pass": "pw",
            "X-Object-Meta-Color": "blue",
        },
    )
    record = proxy.requests[0]
    for name in ("X-Auth-Token", "X-Auth-Key", "X-Service-Token", "Authorization"):
        assert record.headers[name] == "<redacted>"
    assert record.header("x-storage-pass") == "<redacted>"
    assert record.header("X-OBJECT-META-COLOR") == "blue"
    assert "AUTH_tk1" not in repr(proxy.requests)


def test_count_and_clear_requests(proxy: FaultProxy) -> None:
    with requests.Session() as session:
        session.get(f"{proxy.url}/data?size=1")
        session.head(f"{proxy.url}/data?size=1")
        session.put(f"{proxy.url}/c/o", data=b"x")
    assert proxy.count() == 3
    assert proxy.count(method="get") == 1
    assert proxy.count(path=r"^/data") == 2
    proxy.clear_requests()
    assert proxy.count() == 0 and proxy.requests == []


def test_stop_closes_idle_and_delayed_connections_quickly(upstream: Upstream) -> None:
    proxy = FaultProxy(upstream.url).start()
    idle = raw_connection(proxy)
    idle.sendall(b"GET /data?size=1 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert read_head(idle).startswith(b"HTTP/1.1 200")
    assert idle.recv(1) == payload(1)
    proxy.delay(30)
    outcome: list[BaseException] = []

    def delayed_get() -> None:
        try:
            requests.get(f"{proxy.url}/d", timeout=10)
        except requests.RequestException as exc:
            outcome.append(exc)

    waiting = threading.Thread(target=delayed_get)
    waiting.start()
    time.sleep(0.2)
    started = time.monotonic()
    proxy.stop()
    assert time.monotonic() - started < 3
    waiting.join(timeout=5)
    assert not waiting.is_alive()
    assert isinstance(outcome[0], requests.ConnectionError)
    assert idle.recv(100) == b""
    idle.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("faultproxy")]


# -- through the real Swift ------------------------------------------------------------


def test_real_swift_auth_and_20mb_round_trip_through_the_proxy(local_swift: Any) -> None:
    options = local_swift.auth_options("tester")
    with FaultProxy(local_swift.proxy_url) as proxy, requests.Session() as session:
        auth = session.get(
            proxy.url + urlsplit(options["auth"]).path,
            headers={"X-Auth-User": options["user"], "X-Auth-Key": options["key"]},
        )
        assert auth.status_code == 200
        storage_url = auth.headers["X-Storage-Url"]
        token = auth.headers["X-Auth-Token"]
        assert storage_url.startswith(proxy.url + "/")

        container = f"faultproxy-{uuid.uuid4().hex}"
        headers = {"X-Auth-Token": token}
        assert session.put(f"{storage_url}/{container}", headers=headers).status_code in (
            201,
            202,
        )
        size = 20 * 1024 * 1024
        body = LazyBody(size)
        pieces = iter(lambda: body.read(PIECE), b"")  # chunked upload
        put = session.put(f"{storage_url}/{container}/big", data=pieces, headers=headers)
        assert put.status_code == 201
        assert put.headers["ETag"] == body.md5.hexdigest()

        proxy.respond(503, headers={"Retry-After": "1"}, method="GET", path="/big$")
        assert session.get(f"{storage_url}/{container}/big", headers=headers).status_code == 503
        got = session.get(f"{storage_url}/{container}/big", headers=headers, stream=True)
        digest = hashlib.md5()
        for piece in got.iter_content(PIECE):
            digest.update(piece)
        assert got.status_code == 200
        assert digest.hexdigest() == body.md5.hexdigest()

        session.delete(f"{storage_url}/{container}/big", headers=headers)
        session.delete(f"{storage_url}/{container}", headers=headers)

        assert proxy.count(method="GET", path=r"/auth/v1\.0") == 1
        assert proxy.count(method="PUT", path="/big$") == 1
        assert proxy.count(method="GET", path="/big$") == 2
        assert proxy.count() == 7
        assert all(r.header("X-Auth-Token") in (None, "<redacted>") for r in proxy.requests)
        assert all(r.header("X-Auth-Key") in (None, "<redacted>") for r in proxy.requests)
