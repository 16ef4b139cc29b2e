"""The Service on the real local Swift: options, lifecycle, cancellation, eager checks."""

from __future__ import annotations

import _thread
import copy
import gc
import os
import subprocess
import sys
import textwrap
import threading
import time
from typing import Any

import pytest

from swiftsvc import ClientException, OptionError, Service, SwiftError
from swiftsvc._pools import Cancelled
from swiftsvc.events import Event, EventKind
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy, LocalSwift


def http_status(result: Result) -> int | None:
    """The HTTP status of a failed result's error (None: not an HTTP failure)."""
    error = result.get("error")
    return error.http_status if isinstance(error, ClientException) else None

def pool_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name.startswith("swiftsvc-")}


def slow_heads(fault_proxy: FaultProxy, seconds: float = 0.1) -> None:
    """Every object HEAD waits: a long call to cancel half-way."""
    fault_proxy.delay(seconds, method="HEAD", path=r"/obj-", times=None)


def many(count: int) -> list[str]:
    return [f"obj-{i:04d}" for i in range(count)]


# ------------------------------------------------------------------ options


def test_unknown_option_raises_at_construction() -> None:
    with pytest.raises(OptionError, match="'segmnet_size'"):
        Service({"segmnet_size": 1})


def test_unknown_option_raises_at_the_call_not_at_next(swift_options: dict[str, str]) -> None:
    with Service(swift_options) as svc:
        with pytest.raises(OptionError, match="'lnog'"):
            svc.list(options={"lnog": True})
        with pytest.raises(OptionError, match="'lnog'"):
            svc.stat("c", ["o"], options={"lnog": True})


def test_options_must_be_a_mapping() -> None:
    with pytest.raises(OptionError, match="mapping"):
        Service([("retries", 1)])  # type: ignore[arg-type]


def test_the_callers_options_are_never_mutated(
    swift_options: dict[str, str], container_name: str
) -> None:
    service_options: dict[str, Any] = {**swift_options, "meta": ["a:b"], "header": ["X-A:1"]}
    call_options: dict[str, Any] = {"meta": ["c:d"], "read_acl": ".r:*", "long": True}
    before = copy.deepcopy((service_options, call_options))
    with Service(service_options) as svc:
        svc.post(container_name, options=call_options)
        list(svc.list(container_name, options=call_options))
        svc.stat(container_name, options=call_options)
    assert (service_options, call_options) == before


def test_call_options_override_the_services(
    swift_options: dict[str, str], container_name: str
) -> None:
    with Service({**swift_options, "prefix": "no-such-prefix-"}) as svc:
        svc.post(container_name)  # creates it
        assert list(svc.list()) == []
        pages = list(svc.list(options={"prefix": container_name}))
        assert [c["name"] for p in pages for c in p["listing"]] == [container_name]
        assert svc.options["prefix"] == "no-such-prefix-"


def test_environment_is_read_when_the_service_is_created(
    local_swift: LocalSwift, monkeypatch: pytest.MonkeyPatch
) -> None:
    auth = local_swift.auth_options("tester")
    monkeypatch.setenv("ST_AUTH", auth["auth"])
    monkeypatch.setenv("ST_USER", auth["user"])
    monkeypatch.setenv("ST_KEY", auth["key"])
    svc = Service()
    monkeypatch.setenv("ST_USER", "test:nobody")
    try:
        result = svc.stat()
        assert isinstance(result, dict) and result["success"] is True
    finally:
        svc.close()


# ---------------------------------------------------------------- lifecycle


def test_leaving_the_context_joins_every_worker_thread(
    swift_options: dict[str, str], container_name: str
) -> None:
    before = pool_threads()
    with Service(swift_options) as svc:
        svc.post(container_name)
        results = list(svc.stat(container_name, many(40)))
        assert len(results) == 40
        assert pool_threads() - before  # the object pool did start threads
    assert pool_threads() - before == set()


def test_a_closed_service_refuses_calls(swift_options: dict[str, str]) -> None:
    svc = Service(swift_options)
    svc.close()
    svc.close()  # twice is fine
    with pytest.raises(SwiftError, match="closed"):
        svc.stat()
    with pytest.raises(SwiftError, match="closed"):
        svc.capabilities()


def test_breaking_out_of_a_result_generator_then_closing_is_quick(
    fault_proxy: FaultProxy, proxied_options: dict[str, Any], container_name: str
) -> None:
    before = pool_threads()
    svc = Service(proxied_options)
    svc.post(container_name)
    slow_heads(fault_proxy)
    results = svc.stat(container_name, many(500))
    next(results)
    started = time.monotonic()
    results.close()
    svc.close()
    assert time.monotonic() - started < 1.5
    assert pool_threads() - before == set()
    assert fault_proxy.count(method="HEAD", path=r"/obj-") < 60


def test_cancel_stops_queued_work_and_later_calls_run(
    fault_proxy: FaultProxy, proxied_options: dict[str, Any], container_name: str
) -> None:
    with Service(proxied_options) as svc:
        svc.post(container_name)
        slow_heads(fault_proxy)
        threading.Timer(0.3, svc.cancel).start()
        started = time.monotonic()
        results = list(svc.stat(container_name, many(300)))
        assert time.monotonic() - started < 2.0
        # objects not yet planned get no result; those queued end as Cancelled
        assert len(results) < 100
        assert any(isinstance(r.get("error"), Cancelled) for r in results)
        assert fault_proxy.count(method="HEAD", path=r"/obj-") < 100
        fault_proxy.clear_faults()
        again = list(svc.stat(container_name, many(5)))
        assert [http_status(r) for r in again] == [404] * 5


def test_keyboard_interrupt_in_the_consuming_thread_stops_the_call(
    fault_proxy: FaultProxy, proxied_options: dict[str, Any], container_name: str
) -> None:
    before = pool_threads()
    with Service(proxied_options) as svc:
        svc.post(container_name)
        slow_heads(fault_proxy)
        seen = 0
        consuming = threading.Event()

        def interrupt() -> None:
            if consuming.is_set():  # never hit pytest itself after the loop
                _thread.interrupt_main()

        timer = threading.Timer(0.3, interrupt)
        started = time.monotonic()
        try:
            with pytest.raises(KeyboardInterrupt):
                consuming.set()
                timer.start()
                for _ in svc.stat(container_name, many(300)):
                    seen += 1
        finally:
            consuming.clear()
            timer.cancel()
        assert time.monotonic() - started < 1.5
        heads = fault_proxy.count(method="HEAD", path=r"/obj-")
        time.sleep(0.3)
        # nothing queued starts after the interrupt (at most the running ones finish)
        assert fault_proxy.count(method="HEAD", path=r"/obj-") <= heads + 10
        assert seen < 100
    assert pool_threads() - before == set()


def test_fail_fast_cancels_the_calls_queued_work(
    fault_proxy: FaultProxy, proxied_options: dict[str, Any], container_name: str
) -> None:
    with Service({**proxied_options, "object_dd_threads": 2}) as svc:
        svc.post(container_name)
        slow_heads(fault_proxy, 0.05)
        names = ["missing", *many(200)]
        results = list(svc.stat(container_name, names, {"fail_fast": True}))
        assert results[0]["object"] == "missing" and http_status(results[0]) == 404
        assert len(results) < 20
        assert all(isinstance(r["error"], (Cancelled, type(results[0]["error"])))
                   for r in results if not r["success"])
        assert fault_proxy.count(method="HEAD", path=r"/obj-") < 20


def test_a_forgotten_service_is_cleaned_up_by_the_garbage_collector(
    swift_options: dict[str, str], container_name: str
) -> None:
    before = pool_threads()
    svc = Service(swift_options)
    svc.post(container_name)
    list(svc.stat(container_name, many(20)))
    assert pool_threads() - before
    del svc
    gc.collect()
    deadline = time.monotonic() + 2
    while pool_threads() - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert pool_threads() - before == set()


def test_interpreter_exit_does_not_hang_with_work_in_flight(
    fault_proxy: FaultProxy, proxied_options: dict[str, Any], container_name: str
) -> None:
    with Service(proxied_options) as svc:
        svc.post(container_name)
    fault_proxy.delay(30, method="HEAD", path=r"/obj-", times=None)
    # a call left running in a background thread, its HEADs stuck for 30 s,
    # and a Service nobody closed: the interpreter must still exit at once
    script = textwrap.dedent(f"""
        import threading, time
        from swiftsvc import Service
        svc = Service({proxied_options!r})
        results = svc.stat({container_name!r}, [f"obj-{{i}}" for i in range(100)])
        threading.Thread(target=lambda: next(results), daemon=True).start()
        time.sleep(1.0)
        print("exiting", flush=True)
    """)
    started = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=20,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert done.returncode == 0, done.stderr
    assert "exiting" in done.stdout
    assert time.monotonic() - started < 10


# ---------------------------------------------------------- eager argument checks


def test_bad_arguments_raise_at_the_call_not_at_next(
    swift_options: dict[str, str], container_name: str
) -> None:
    with Service(swift_options) as svc:
        with pytest.raises(SwiftError, match="without container"):
            svc.stat(None, ["o"])  # type: ignore[call-overload]
        with pytest.raises(SwiftError, match="list of object names"):
            svc.stat(container_name, "o")
        with pytest.raises(SwiftError, match="must not contain"):
            svc.list("a/b")
        with pytest.raises(SwiftError, match="strings"):
            svc.stat(42)  # type: ignore[call-overload]
        # a missing container is not a bad argument: a failed page (COMPAT.md §4)
        pages = svc.list(container_name)
        assert [page["success"] for page in pages] == [False]


# ------------------------------------------------------------ shared pieces


def test_one_authentication_for_every_pool_and_thread(
    swift_options: dict[str, str], container_name: str
) -> None:
    with Service(swift_options) as svc:
        svc.post(container_name)
        list(svc.stat(container_name, many(50)))
        list(svc.post(container_name, many(50)))
        list(svc.list(container_name, {"long": True}))
        assert svc.auth_requests == 1


def test_progress_subscribers_see_each_result(
    swift_options: dict[str, str], container_name: str
) -> None:
    events: list[Event] = []
    lock = threading.Lock()

    def record(event: Event) -> None:
        with lock:
            events.append(event)

    with Service(swift_options, progress=record) as svc:
        svc.post(container_name)
        list(svc.stat(container_name, many(3)))
    failed = [e for e in events if e.kind is EventKind.FAILED and e.action == "stat_object"]
    assert sorted(e.obj or "" for e in failed) == many(3)


def test_a_result_iterator_keeps_its_unreferenced_service_alive(
    swift_options: dict[str, str], container_name: str
) -> None:
    with Service(swift_options) as svc:
        svc.post(container_name)
    results = Service(swift_options).stat(container_name, many(30))
    gc.collect()
    statuses = [http_status(r) for r in results if not r["success"]]
    assert statuses == [404] * 30  # not Cancelled by a collected Service


def test_get_endpoint_builds_quoted_urls_and_paths(
    swift_options: dict[str, str], local_swift: LocalSwift
) -> None:
    with Service(swift_options) as svc:
        account = local_swift.storage_url("tester")
        assert svc.get_endpoint("account", full=True) == account
        assert svc.get_endpoint("account") == "/v1/AUTH_test"
        assert svc.get_endpoint("container", "a b") == "/v1/AUTH_test/a%20b"
        assert svc.get_endpoint("object", "c", "dir/é", full=True) == (
            account + "/c/dir/%C3%A9")
        with pytest.raises(SwiftError, match="kind"):
            svc.get_endpoint("bucket")
        with pytest.raises(SwiftError, match="object name"):
            svc.get_endpoint("object", "c")


def test_bad_credentials_make_a_failed_result_not_a_crash(
    swift_options: dict[str, str],
) -> None:
    from swiftsvc import AuthError

    with Service({**swift_options, "key": "wrong", "retries": 0}) as svc:
        result = svc.stat()
    assert isinstance(result, dict)
    assert result["success"] is False
    assert isinstance(result["error"], AuthError)
    assert "wrong" not in str(result["error"]) and "wrong" not in result["traceback"]


def test_batch_checks_its_options_at_the_call(swift_options: dict[str, str]) -> None:
    with Service(swift_options) as svc, pytest.raises(OptionError, match="'bogus'"):
        svc.batch({"bogus": 1})
