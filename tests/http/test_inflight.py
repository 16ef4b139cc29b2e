"""Cutting a connection's request from another thread, and the idle timeout of sends.

Each test starts a raw socket server that misbehaves in one precise way
(answers headers then stalls the body, never answers, never reads the
body) and talks to it through a real :class:`~swiftsvc.http.Connection`,
pre-authenticated so no auth server is needed. No Swift: these are the
mechanics; tests/reliability/test_stalls.py runs them against the real one.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from swiftsvc.auth import build_authenticator
from swiftsvc.errors import Cancelled, ClientException
from swiftsvc.http import Connection
from swiftsvc.http.retry import RetryPolicy
from swiftsvc.http.transport import Transport
from swiftsvc.options import Options

Connect = Callable[..., Connection]  # the ``connect`` fixture (conftest.py)
Handler = Callable[[socket.socket], None]

# how long a cut must take at most: the point is "at once", not "after a timeout"
PROMPT = 1.0


class RawServer:
    """Accepts connections on 127.0.0.1 and hands each to ``handler`` in a thread."""

    def __init__(self, handler: Handler) -> None:
        self._handler = handler
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self._stop = threading.Event()
        self._clients: list[socket.socket] = []
        self._thread = threading.Thread(target=self._serve, name="raw-server", daemon=True)
        self._thread.start()
        self.connections = 0

    @property
    def url(self) -> str:
        host, port = self._listener.getsockname()[:2]
        return f"http://{host}:{port}/v1/AUTH_test"

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                continue
            self.connections += 1
            self._clients.append(client)
            threading.Thread(target=self._handler, args=(client,), daemon=True).start()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._listener.close()
        for client in self._clients:
            client.close()


def read_head(client: socket.socket) -> bytes:
    data = b""
    while b"\r\n\r\n" not in data:
        piece = client.recv(65536)
        if not piece:
            break
        data += piece
    return data


def stall_after_headers(client: socket.socket) -> None:
    """A download whose body never comes."""
    read_head(client)
    client.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000000\r\n\r\n" + b"x" * 1000)
    time.sleep(60)


def never_answer(client: socket.socket) -> None:
    read_head(client)
    time.sleep(60)


def never_read(client: socket.socket) -> None:
    """An upload whose body is never read: the client's send fills the buffers and blocks."""
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    time.sleep(60)


def answer_quickly(client: socket.socket) -> None:
    """Every request answered at once with an empty 204, until the client leaves."""
    while True:
        head = read_head(client)
        if not head:
            return
        client.sendall(b"HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n")


@pytest.fixture
def serve() -> Iterator[Callable[[Handler], RawServer]]:
    servers: list[RawServer] = []

    def start(handler: Handler) -> RawServer:
        server = RawServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def preauth(server: RawServer, **options: object) -> dict[str, object]:
    return {"os_storage_url": server.url, "os_auth_token": "tk", **options}


def cut_after(conn: Connection, seconds: float) -> list[float]:
    """Abort ``conn`` from another thread after ``seconds``; [when it was cut]."""
    when: list[float] = []

    def cut() -> None:
        time.sleep(seconds)
        when.append(time.monotonic())
        conn.abort()

    threading.Thread(target=cut, daemon=True).start()
    return when


def big_body() -> bytes:
    return b"\0" * (64 << 20)  # more than every socket buffer between the two ends


def test_a_download_stalled_mid_body_is_cut_at_once(
    connect: Connect, serve: Callable[[Handler], RawServer]
) -> None:
    conn = connect(preauth(serve(stall_after_headers)))
    response = conn.get_object("c", "o")
    when = cut_after(conn, 0.3)
    with pytest.raises(Cancelled):
        b"".join(response.iter_chunks())
    assert time.monotonic() - when[0] < PROMPT
    response.close()


def test_a_request_waiting_for_its_answer_is_cut_at_once_and_not_retried(
    connect: Connect, serve: Callable[[Handler], RawServer]
) -> None:
    server = serve(never_answer)
    conn = connect(preauth(server, retries=5))
    when = cut_after(conn, 0.3)
    with pytest.raises(Cancelled):
        conn.head_object("c", "o")
    assert time.monotonic() - when[0] < PROMPT
    assert server.connections == 1  # a cut is no network error: no retry


def test_an_upload_the_server_does_not_read_is_cut_at_once(
    connect: Connect, serve: Callable[[Handler], RawServer]
) -> None:
    conn = connect(preauth(serve(never_read)))
    when = cut_after(conn, 0.5)
    with pytest.raises(Cancelled):
        conn.put_object("c", "o", big_body())
    assert time.monotonic() - when[0] < PROMPT


def test_a_retry_backoff_is_cut_short(
    connect: Connect, serve: Callable[[Handler], RawServer]
) -> None:
    def unavailable(client: socket.socket) -> None:
        while read_head(client):
            client.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n\r\n")

    conn = connect(preauth(serve(unavailable), retries=3, starting_backoff=30, max_backoff=30))
    when = cut_after(conn, 0.3)
    with pytest.raises(Cancelled):
        conn.head_object("c", "o")
    assert time.monotonic() - when[0] < PROMPT


def test_after_an_abort_requests_fail_until_resumed(
    connect: Connect, serve: Callable[[Handler], RawServer]
) -> None:
    conn = connect(preauth(serve(answer_quickly)))
    assert conn.head_object("c", "o").status == 204
    conn.abort()
    # a cancelled job's clean-up must not hang on the server that stalled it
    with pytest.raises(Cancelled, match="not sent"):
        conn.head_object("c", "o")
    conn.resume()
    assert conn.head_object("c", "o").status == 204  # the next job's requests go


def test_a_request_in_flight_at_an_abort_fails_even_if_resumed_at_once(
    connect: Connect, serve: Callable[[Handler], RawServer]
) -> None:
    # what Service.cancel() does to a calling thread's connection: cut what is
    # in flight, refuse nothing later
    conn = connect(preauth(serve(never_answer)))

    def cut_and_resume() -> None:
        time.sleep(0.3)
        conn.abort()
        conn.resume()

    threading.Thread(target=cut_and_resume, daemon=True).start()
    with pytest.raises(Cancelled):
        conn.head_object("c", "o")


def test_a_cut_fails_the_request_in_flight_and_refuses_nothing_after_it(
    connect: Connect, serve: Callable[[Handler], RawServer]
) -> None:
    # what Service.cancel() does to a calling thread's connection; unlike
    # abort() + resume(), no moment exists in which the next request is refused
    conn = connect(preauth(serve(never_answer)))
    threading.Timer(0.3, conn.cut).start()
    with pytest.raises(Cancelled):
        conn.head_object("c", "o")
    quick = connect(preauth(serve(answer_quickly)))
    quick.cut()  # nothing in flight: nothing to fail
    assert quick.head_object("c", "o").status == 204


def test_a_body_may_stall_as_long_as_the_idle_timeout_not_the_connect_timeout(
    serve: Callable[[Handler], RawServer],
) -> None:
    # urllib3 sends a body with the connect timeout as the socket timeout; a
    # stalled write must get the idle timeout instead
    server = serve(never_read)
    options = Options.from_service(preauth(server), {})
    conn = Connection(build_authenticator(options), transport=Transport(timeout=(0.2, 2.0)),
                      retry=RetryPolicy(retries=0))
    started = time.monotonic()
    with pytest.raises(ClientException) as caught:
        conn.put_object("c", "o", big_body())
    elapsed = time.monotonic() - started
    conn.close()
    assert 1.8 <= elapsed < 10, elapsed
    assert "tries" in str(caught.value) or "failed" in str(caught.value)


def test_connections_without_a_request_in_flight_can_be_aborted(connect: Connect) -> None:
    conn = connect({"os_storage_url": "http://127.0.0.1:9/v1/AUTH_x", "os_auth_token": "tk"})
    conn.abort()  # nothing sent yet: nothing to cut, and no error
    conn.resume()
