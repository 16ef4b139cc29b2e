"""Retries, backoff, Retry-After and re-authentication, through the fault proxy."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from swiftsvc.auth import Authenticator, build_authenticator
from swiftsvc.errors import ClientException
from swiftsvc.http import Connection, connection_factory
from swiftsvc.options import Options
from swiftsvc.testing import FaultProxy, LocalSwift

Connect = Callable[..., Connection]  # the ``connect`` fixture (conftest.py)
pytestmark = pytest.mark.timeout(60)


@pytest.fixture
def conn(connect: Connect, proxied_options: dict[str, str], container_name: str) -> Connection:
    connection = connect(proxied_options)
    connection.put_container(container_name)
    return connection


def test_three_503s_then_success(conn: Connection, fault_proxy: FaultProxy,
                                 container_name: str) -> None:
    fault_proxy.respond(503, method="PUT", path="/obj$", times=3)
    answer = conn.put_object(container_name, "obj", b"data")
    assert answer.status == 201
    assert [a.status for a in answer.attempts] == [503, 503, 503, 201]
    assert [d["status"] for d in answer.response_dict()["response_dicts"]] == [503, 503, 503, 201]
    assert fault_proxy.count(method="PUT", path="/obj$") == 4


def test_retries_exhausted_reports_every_attempt(
    connect: Connect, proxied_options: dict[str, str], fault_proxy: FaultProxy,
    container_name: str,
) -> None:
    conn = connect(proxied_options, retries=2)
    fault_proxy.respond(500, method="HEAD", path=container_name, times=None)
    with pytest.raises(ClientException) as caught:
        conn.head_container(container_name)
    error = caught.value
    assert error.http_status == 500
    assert [a.status for a in error.attempts] == [500, 500, 500]
    assert "after 3 tries" in str(error)
    assert fault_proxy.count(method="HEAD", path=container_name) == 3


def test_retries_zero_tries_once(connect: Connect, proxied_options: dict[str, str],
                                 fault_proxy: FaultProxy, container_name: str) -> None:
    conn = connect(proxied_options, retries=0)
    fault_proxy.respond(503, method="HEAD", path=container_name, times=None)
    with pytest.raises(ClientException):
        conn.head_container(container_name)
    assert fault_proxy.count(method="HEAD", path=container_name) == 1


def test_429_with_retry_after_waits_that_long(
    connect: Connect, proxied_options: dict[str, str], fault_proxy: FaultProxy,
    container_name: str,
) -> None:
    # the backoff is tiny; only Retry-After (capped by max_backoff) makes it wait
    conn = connect(proxied_options, max_backoff=10)
    conn.put_container(container_name)
    fault_proxy.respond(429, headers={"Retry-After": "2"}, method="HEAD", path=container_name)
    started = time.monotonic()
    answer = conn.request("HEAD", container_name)
    waited = time.monotonic() - started
    assert answer.status == 204
    assert 2.0 <= waited < 15.0  # generous: CI machines are loaded
    assert [a.status for a in answer.attempts] == [429, 204]


def test_retry_after_is_capped_by_max_backoff(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    fault_proxy.respond(503, headers={"Retry-After": "30"}, method="HEAD", path=container_name)
    started = time.monotonic()
    conn.head_container(container_name)
    assert time.monotonic() - started < 10.0  # not 30 s


def test_ratelimit_is_not_retried_when_retry_on_ratelimit_is_off(
    connect: Connect, proxied_options: dict[str, str], fault_proxy: FaultProxy,
    container_name: str,
) -> None:
    conn = connect(proxied_options, retry_on_ratelimit=False)
    fault_proxy.respond(498, method="HEAD", path=container_name)
    with pytest.raises(ClientException) as caught:
        conn.head_container(container_name)
    assert caught.value.http_status == 498
    assert fault_proxy.count(method="HEAD", path=container_name) == 1


def test_a_reset_before_the_answer_is_retried(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    fault_proxy.reset_before_headers(method="PUT", path="/obj$")
    answer = conn.put_object(container_name, "obj", io.BytesIO(b"payload"))
    assert answer.status == 201
    assert answer.attempts[0].status is None and answer.attempts[0].error
    with conn.get_object(container_name, "obj") as body:  # type: ignore[attr-defined]
        assert body.read() == b"payload"


def test_a_reset_in_the_middle_of_a_body_is_retried(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    conn.put_object(container_name, "obj", b"x" * 10_000)
    fault_proxy.reset_after_headers(method="GET", path=f"{container_name}\\?")
    _, listing = conn.get_container(container_name)
    assert [item["name"] for item in listing] == ["obj"]
    assert fault_proxy.count(method="GET", path=f"{container_name}\\?") == 2


def test_a_truncated_stream_raises_while_reading(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    conn.put_object(container_name, "obj", b"x" * 100_000)
    fault_proxy.truncate_body(1000, method="GET", path="/obj$")
    answer = conn.get_object(container_name, "obj")
    try:
        with pytest.raises(ClientException) as caught:
            b"".join(answer.iter_chunks())
    finally:
        answer.close()
    assert "reading the body" in str(caught.value)


def test_an_iterator_body_is_not_retried_silently(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    fault_proxy.respond(503, method="PUT", path="/obj$")

    def pieces() -> Iterator[bytes]:
        yield b"abc"

    with pytest.raises(ClientException) as caught:
        conn.put_object(container_name, "obj", pieces())
    assert caught.value.http_status == 503
    assert "cannot be rewound" in str(caught.value)
    assert fault_proxy.count(method="PUT", path="/obj$") == 1


def test_a_seekable_file_is_rewound_for_the_retry(
    conn: Connection, fault_proxy: FaultProxy, container_name: str
) -> None:
    fault_proxy.respond(503, method="PUT", path="/obj$", times=2)
    source = io.BytesIO(b"..payload")
    source.seek(2)
    reported: list[int] = []
    conn.put_object(container_name, "obj", source, on_progress=reported.append)
    with conn.get_object(container_name, "obj") as body:  # type: ignore[attr-defined]
        assert body.read() == b"payload"
    assert sum(reported) == len(b"payload")  # bytes sent again are not counted twice


def test_timeout_then_retry(connect: Connect, proxied_options: dict[str, str],
                            fault_proxy: FaultProxy, container_name: str) -> None:
    conn = connect(proxied_options, timeout=1.5)
    conn.put_container(container_name)
    fault_proxy.delay(4.0, method="HEAD", path=container_name)
    answer = conn.head_container(container_name)
    assert answer.status == 204
    assert answer.attempts[0].error and "Timeout" in answer.attempts[0].error


def test_a_401_mid_run_gives_exactly_one_reauthentication(
    connect: Connect, proxied_options: dict[str, str], fault_proxy: FaultProxy,
    container_name: str,
) -> None:
    conn = connect(proxied_options)
    conn.put_container(container_name)
    assert conn.authenticator.auth_requests == 1
    fault_proxy.respond(401, method="HEAD", path=container_name)
    answer = conn.head_container(container_name)
    assert [a.status for a in answer.attempts] == [401, 204]
    assert conn.authenticator.auth_requests == 2
    assert fault_proxy.count(path="/auth/v1.0") == 2


def test_a_second_401_with_a_fresh_token_fails_without_a_loop(
    connect: Connect, proxied_options: dict[str, str], fault_proxy: FaultProxy,
    container_name: str,
) -> None:
    conn = connect(proxied_options)
    assert conn.storage_url  # authenticated before the faults start
    fault_proxy.respond(401, method="HEAD", path=container_name, times=None)
    with pytest.raises(ClientException) as caught:
        conn.head_container(container_name)
    assert caught.value.http_status == 401
    assert "fresh token" in str(caught.value)
    assert fault_proxy.count(method="HEAD", path=container_name) == 2
    assert conn.authenticator.auth_requests == 2


def run_in_threads(connections: list[Connection], work: Callable[[Connection], object]
                   ) -> list[BaseException]:
    """Run ``work`` on every connection at once (a barrier lines the threads up)."""
    barrier = threading.Barrier(len(connections))
    failures: list[BaseException] = []

    def run(conn: Connection) -> None:
        barrier.wait()
        try:
            work(conn)
        except BaseException as error:  # reported by the caller
            failures.append(error)

    threads = [threading.Thread(target=run, args=(c,)) for c in connections]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def shared_connections(options: dict[str, str], count: int) -> tuple[Authenticator,
                                                                     list[Connection]]:
    opts = Options.from_service({**options, "starting_backoff": 0.01}, {})
    authenticator = build_authenticator(opts)
    make = connection_factory(opts, authenticator)
    return authenticator, [make() for _ in range(count)]


def test_twenty_threads_share_one_auth_request(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, container_name: str,
) -> None:
    authenticator, connections = shared_connections(proxied_options, 20)
    try:
        failures = run_in_threads(connections, lambda c: c.head_account())
    finally:
        for conn in connections:
            conn.close()
    assert failures == []
    assert authenticator.auth_requests == 1
    assert fault_proxy.count(path="/auth/v1.0") == 1


def test_twenty_threads_refused_the_same_token_reauthenticate_once(
    proxied_options: dict[str, str], fault_proxy: FaultProxy, local_swift: LocalSwift,
    container_name: str,
) -> None:
    storage_url = local_swift.storage_url("tester").replace(local_swift.proxy_url,
                                                            fault_proxy.url)
    # a token Swift refuses (as an expired one): every thread gets a real 401
    options = {**proxied_options, "os_storage_url": storage_url,
               "os_auth_token": "AUTH_tk0000000000000000000000000000dead"}
    authenticator, connections = shared_connections(options, 20)
    try:
        failures = run_in_threads(connections, lambda c: c.head_account())
    finally:
        for conn in connections:
            conn.close()
    assert failures == []
    assert authenticator.auth_requests == 1
    assert fault_proxy.count(path="/auth/v1.0") == 1
    # each thread sends one HEAD, plus one more if it used the dead token; a
    # thread scheduled late may already find the fresh one (seen under load)
    assert 21 <= fault_proxy.count(method="HEAD") <= 40
    heads = [r for r in fault_proxy.requests if r.method == "HEAD"]
    assert sum(1 for r in heads if r.status == 401) + 20 == len(heads)
