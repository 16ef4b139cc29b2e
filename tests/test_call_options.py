"""Options given to one call (COMPAT.md §2, "Option names").

The ``swift`` command passes its whole argument namespace to the Service
and again to a call; Service options given to a call are harmless with the
Service's value, applied to the call (retry policy, timeout) or refused
(authentication, TLS, pools). Requests are counted at the fault proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from swiftsvc import OptionError, Service, SwiftUploadObject
from swiftsvc.testing import FaultProxy

pytestmark = pytest.mark.timeout(120)

# what the swift command adds to the options of every call (its namespace)
SHELL_NAMESPACE: dict[str, Any] = {
    "help": False, "os_help": False, "prompt": False, "json": False, "object_name": None,
    "debug_with_secrets": False, "verbose": 1, "debug": False, "info": False,
    "human": False, "totals": False, "absolute_expiry": False, "prefix_based": False,
    "iso8601": False, "ip_range": None, "digest": "sha256", "snet": False,
}


@pytest.fixture
def service(proxied_options: dict[str, str]) -> Iterator[Service]:
    # quick retries: what is counted is how many, not how long they take
    with Service({**proxied_options, "retries": 2, "starting_backoff": 0.01}) as svc:
        yield svc


@pytest.fixture
def container(
    service: Service, container_name: str, fault_proxy: FaultProxy
) -> Iterator[str]:
    service.post(container_name)
    assert all(r["success"] for r in service.upload(
        container_name, [SwiftUploadObject(None, "obj")]))
    fault_proxy.clear_requests()
    yield container_name
    fault_proxy.clear_faults()
    for _ in service.delete(container_name):
        pass


def test_the_swift_commands_namespace_is_accepted(proxied_options: dict[str, str]) -> None:
    with Service({**proxied_options, **SHELL_NAMESPACE}) as svc:
        assert svc.stat()["success"]
        assert svc.options["object_name"] is None


def test_a_near_miss_is_still_refused_naming_the_option_meant() -> None:
    with pytest.raises(OptionError, match=r"'segmnet_size'.*'segment_size'"):
        Service({"segmnet_size": 10})


def test_per_call_retries_apply_to_that_calls_requests(
    service: Service, fault_proxy: FaultProxy, container: str
) -> None:
    fault_proxy.respond(503, method="HEAD", path=f"/{container}/obj$", times=None)
    [result] = service.stat(container, ["obj"], options={"retries": 0})
    assert not result["success"] and result["attempts"] == 1
    assert fault_proxy.count(method="HEAD", path=f"/{container}/obj$") == 1
    # the Service's own policy is untouched: 1 try + 2 retries
    [again] = service.stat(container, ["obj"])
    assert not again["success"] and again["attempts"] == 3
    assert fault_proxy.count(method="HEAD", path=f"/{container}/obj$") == 4


def test_per_call_retries_apply_to_listings_and_raised_errors_too(
    service: Service, fault_proxy: FaultProxy, container: str
) -> None:
    fault_proxy.respond(503, method="GET", path=f"/{container}\\?", times=None)
    [page] = service.list(container, options={"retries": 1})
    assert not page["success"]
    assert fault_proxy.count(method="GET", path=f"/{container}\\?") == 2


def test_per_call_timeout_applies_to_that_call(
    service: Service, fault_proxy: FaultProxy, container: str
) -> None:
    fault_proxy.delay(5, method="HEAD", path=f"/{container}/obj$", times=None)
    [result] = service.stat(container, ["obj"], options={"timeout": 0.3, "retries": 0})
    assert not result["success"]
    assert "Timeout" in str(result["error"])
    assert fault_proxy.count(method="HEAD", path=f"/{container}/obj$") == 1


def test_service_options_with_the_services_value_are_harmless(
    proxied_options: dict[str, str], container: str
) -> None:
    # the swift command's copy(..., options=options): its whole namespace again
    options = {**proxied_options, **SHELL_NAMESPACE, "container_threads": 10}
    with Service(options) as svc:
        results = list(svc.copy(container, ["obj"], options={**options, "meta": ["a:b"]}))
    assert [r["success"] for r in results] == [True]


@pytest.mark.parametrize(
    ("name", "value"),
    [("auth", "http://elsewhere/auth/v1.0"), ("key", "other"), ("insecure", True),
     ("object_dd_threads", 3), ("object_threads", 3), ("segment_threads", 1)],
)
def test_service_options_with_another_value_are_refused_naming_them(
    service: Service, name: str, value: object, fault_proxy: FaultProxy
) -> None:
    with pytest.raises(OptionError, match=f"'{name}'.*Service"):
        service.delete("c", ["o"], options={name: value})
    assert fault_proxy.count() == 0


def test_one_object_cannot_have_its_own_retries(service: Service, container: str) -> None:
    item = SwiftUploadObject(None, "other", options={"retries": 0})
    results = [r for r in service.upload(container, [item]) if r["action"] == "upload_object"]
    assert len(results) == 1 and not results[0]["success"]
    assert "'retries'" in str(results[0]["error"])
