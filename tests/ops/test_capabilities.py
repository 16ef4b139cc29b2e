"""capabilities: /info fetched once per Service and URL, refreshable."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from swiftsvc import ClientException, Service
from swiftsvc.ops.capabilities import capabilities_url, parse_info
from swiftsvc.testing import FaultProxy, LocalSwift


@pytest.fixture
def proxy(local_swift: LocalSwift) -> Iterator[FaultProxy]:
    with FaultProxy(local_swift.proxy_url) as fp:
        yield fp


@pytest.fixture
def service(proxy: FaultProxy, swift_options: dict[str, str]) -> Iterator[Service]:
    with Service({**swift_options, "auth": proxy.url + "/auth/v1.0"}) as svc:
        yield svc


def test_parse_info_refuses_non_objects() -> None:
    assert parse_info(b'{"swift": {}}') == {"swift": {}}
    with pytest.raises(ValueError):
        parse_info(b"[1, 2]")


def test_capabilities_result_keys(service: Service) -> None:
    result = service.capabilities()
    assert result["action"] == "capabilities"
    assert result["success"] is True
    assert isinstance(result["timestamp"], float)
    capabilities = result["capabilities"]
    assert {"swift", "slo", "bulk_delete"} <= set(capabilities)
    assert capabilities["swift"]["container_listing_limit"] == 10000


def test_capabilities_are_cached_per_service(service: Service, proxy: FaultProxy) -> None:
    first = service.capabilities()
    second = service.capabilities()
    assert second["timestamp"] == first["timestamp"]
    assert proxy.count(method="GET", path=r"^/info$") == 1


def test_refresh_cache_fetches_again(service: Service, proxy: FaultProxy) -> None:
    first = service.capabilities()
    again = service.capabilities(refresh_cache=True)
    assert again["timestamp"] >= first["timestamp"]
    assert proxy.count(method="GET", path=r"^/info$") == 2


def test_url_override_is_cached_separately(
    service: Service, proxy: FaultProxy, local_swift: LocalSwift
) -> None:
    service.capabilities()
    direct = service.capabilities(url=local_swift.proxy_url + "/info")
    assert direct["url"] == local_swift.proxy_url + "/info"
    assert "swift" in direct["capabilities"]
    assert proxy.count(method="GET", path=r"^/info$") == 1  # the override went direct


def test_a_failing_info_raises_its_client_exception(
    proxy: FaultProxy, swift_options: dict[str, str]
) -> None:
    # python-swiftclient's contract (COMPAT.md §4): the ClientException itself
    proxy.respond(503, method="GET", path=r"^/info$", times=None)
    options = {**swift_options, "auth": proxy.url + "/auth/v1.0", "retries": 0}
    with Service(options) as service, pytest.raises(ClientException) as caught:
        service.capabilities()
    assert str(caught.value).startswith("Capabilities GET failed")
    assert caught.value.http_status == 503


@pytest.mark.parametrize(
    ("given", "fetched"),
    [("http://h:1/v1/AUTH_test", "http://h:1/info"),
     ("http://h:1/prefix/v1.0/AUTH_x/c?q=1", "http://h:1/prefix/info"),
     ("http://h:1", "http://h:1/info"),
     ("http://h:1/", "http://h:1/info"),
     ("http://h:1/swift", "http://h:1/swift/info"),
     ("http://h:1/info/more", "http://h:1/info/more")],
)
def test_a_url_is_turned_into_info_as_swiftclient_does(given: str, fetched: str) -> None:
    assert capabilities_url(given) == fetched


def test_a_url_given_is_fetched_as_swiftclient_maps_it(
    service: Service, proxy: FaultProxy
) -> None:
    result = service.capabilities(url=proxy.url + "/v1/AUTH_test")
    assert "swift" in result["capabilities"]
    assert proxy.count(method="GET", path=r"^/info$") == 1


def test_the_cached_result_is_not_shared_with_the_caller(service: Service) -> None:
    first = service.capabilities()
    first["capabilities"] = {}
    assert service.capabilities()["capabilities"] != {}
