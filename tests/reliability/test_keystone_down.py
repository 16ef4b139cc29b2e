"""Keystone down while a token is refused mid-call: every sub-operation fails with
a clear auth error (one result each), and with Keystone back the re-run finishes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from _invariants import Checker, Run, SwiftView, run_and_check, tree_files

from swiftsvc import AuthError, ClientException, Service, SwiftError, UploadObject
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy, LocalKeystone, LocalSwift

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]

FAST = {"retries": 2, "starting_backoff": 0.01, "max_backoff": 0.05}


@pytest.fixture
def keystone_proxy(local_swift: LocalSwift, local_keystone: LocalKeystone,
                   ) -> Iterator[FaultProxy]:
    """A fault proxy in front of the Keystone-validating Swift proxy."""
    with FaultProxy(local_swift.keystone_proxy_url) as proxy:
        yield proxy


def test_keystone_down_during_a_reauthentication(
    local_swift: LocalSwift, local_keystone: LocalKeystone, keystone_proxy: FaultProxy,
    container_name: str, tmp_path: Path,
) -> None:
    project = local_keystone.demo_ids.project_id
    storage_path = f"/v1/AUTH_{project}"
    token, _ = local_keystone.get_token()
    view = SwiftView(local_swift.keystone_proxy_url + storage_path, token)
    # one request now: Swift caches the validated token, so the checks still
    # work while Keystone is down
    assert view.names(container_name) == []
    root = tmp_path / "tree"
    root.mkdir()
    for index in range(6):
        (root / f"f{index}").write_bytes(os.urandom(3000 + index))
    sources = tree_files(root)
    checker = Checker(view, container_name, expected=set(sources), sources=sources)
    # storage requests through the fault proxy (os_storage_url overrides the catalog)
    options = {**local_keystone.demo_options(), **FAST,
               "os_storage_url": keystone_proxy.url + storage_path}

    runs: list[Service] = []

    def upload(svc: Service) -> Iterator[Result]:
        runs.append(svc)
        if len(runs) == 1:  # the faulted run
            svc.stat()  # authenticated while Keystone is up
            local_keystone.stop_server()
            # the token is refused from now on, as an expired or revoked one
            keystone_proxy.respond(401, times=None)
        yield from svc.upload(container_name, [UploadObject(str(root), "tree")])

    def all_auth_errors(faulted: Run) -> None:
        assert faulted.failed_objects() == set(sources)
        for result in faulted.failed():
            error = result["error"]
            assert isinstance(error, AuthError), repr(error)
            assert "authentication failed" in str(error), str(error)
            assert local_keystone.passwords["demo"] not in str(error)

    def keystone_back() -> None:
        keystone_proxy.clear_faults()
        local_keystone.start_server()

    try:
        run_and_check(checker, options, upload, clear_fault=keystone_back,
                      between=all_auth_errors)
    finally:
        local_keystone.start_server()  # for the tests that follow in this session
        with Service(local_keystone.demo_options()) as svc, contextlib.suppress(
            SwiftError, ClientException
        ):
            for _ in svc.delete(container_name):
                pass
