"""pytest fixtures on the real local Swift and Keystone.

Enable with ``pytest_plugins = ["swiftsvc.testing.pytest_plugin"]`` in a
conftest. Servers start lazily, once per session, only for tests that ask:

``local_swift`` (session)
    A ``LocalSwift`` with stock constraints (listing limit 10000, 5 GiB max
    object), so it behaves like a production cluster.
``small_swift`` (session)
    A second ``LocalSwift`` with small limits, for tests of paging and of
    segmenting that would otherwise need 10000 objects or 5 GiB:
    ``container_listing_limit`` = ``SMALL_LISTING_LIMIT`` (50),
    ``max_file_size`` = ``SMALL_MAX_FILE_SIZE`` (1 MiB), bulk delete in
    chunks of ``SMALL_BULK_DELETES`` (50), and bulk extraction stopping after
    ``SMALL_BULK_FAILED_EXTRACTIONS`` (25) failures (batches hold that many files).
``local_keystone`` (session)
    A ``LocalKeystone``, with a Keystone-validating proxy added to
    ``local_swift`` (``local_swift.keystone_proxy_url``); tests using it get the
    ``keystone`` marker automatically.
``swift_options`` / ``keystone_options`` (function)
    Fresh option dicts: v1.0 ``tester`` on ``local_swift``; v3 ``demo``.
``fault_proxy`` (function)
    A ``FaultProxy`` in front of ``local_swift``'s proxy, stopped after the test.
``proxied_options`` (function)
    v1.0 ``tester`` options authenticating through ``fault_proxy``, so the
    storage URL handed out (and every storage request) goes through it too.
``container_name`` (function)
    ``t-<test name, shortened>-<8 hex>``: unique, so tests never share state.

Markers ``keystone`` (needs Keystone, ~10 s to start) and ``slow`` are
registered here. The time of each start-up phase is printed in the terminal
summary, so CI logs show it. A test is also marked ``slow`` when its recorded
duration is over the ``swiftsvc_slow_after`` ini option (seconds, default 1):
see ``swiftsvc.testing._durations`` (``--record-durations`` re-records).

A SIGTERM (what a CI timeout sends) ends the run as Ctrl-C does: the test in
progress is interrupted and every fixture torn down, so the servers stop and
their state folders go. A second SIGTERM, or a SIGKILL, ends it at once; the
servers still die with the process (see ``swiftsvc.testing._tether``).
"""

from __future__ import annotations

import re
import signal
import sys
import threading
import uuid
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import pytest

from swiftsvc.testing import _durations
from swiftsvc.testing.faultproxy import FaultProxy
from swiftsvc.testing.keystone import LocalKeystone
from swiftsvc.testing.swift import LocalSwift

SMALL_LISTING_LIMIT = 50
SMALL_MAX_FILE_SIZE = 1024 * 1024
SMALL_BULK_DELETES = 50
SMALL_BULK_FAILED_EXTRACTIONS = 25

_phases: list[str] = []
_measured: defaultdict[str, float] = defaultdict(float)


def _record(message: str) -> None:
    _phases.append(message)
    print(f"[swiftsvc.testing] {message}", file=sys.stderr, flush=True)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini(
        "swiftsvc_durations", "JSON file of recorded test durations (marks slow tests)"
    )
    parser.addini(
        "swiftsvc_slow_after", "seconds over which a recorded test is marked slow", default="1.0"
    )
    parser.getgroup("swiftsvc").addoption(
        "--record-durations",
        action="store_true",
        help="write this run's test durations into the swiftsvc_durations file",
    )


def _durations_file(config: pytest.Config) -> Path | None:
    name = str(config.getini("swiftsvc_durations") or "")
    return config.rootpath / name if name else None


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "keystone: needs the local Keystone (slower start)")
    config.addinivalue_line("markers", "slow: takes more than a few seconds")
    if config.getoption("record_durations") and _durations_file(config) is None:
        raise pytest.UsageError("--record-durations needs the swiftsvc_durations ini option")
    _tear_down_on_sigterm()


def pytest_unconfigure(config: pytest.Config) -> None:
    if _is_main_thread() and signal.getsignal(signal.SIGTERM) is _on_sigterm:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _is_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _on_sigterm(signum: int, frame: FrameType | None) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # a second one ends it at once
    pytest.exit("terminated by SIGTERM", returncode=128 + signum)


def _tear_down_on_sigterm() -> None:
    # only where nobody chose otherwise; signals can only be set from the main thread
    if _is_main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    path = _durations_file(config)
    recorded = _durations.load(path) if path is not None else {}
    slow_after = float(config.getini("swiftsvc_slow_after"))
    for item in items:
        if "local_keystone" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.keystone)
        if recorded.get(item.nodeid, 0.0) > slow_after:
            item.add_marker(pytest.mark.slow)


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    _measured[report.nodeid] += report.duration  # setup, call and teardown


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = _durations_file(session.config)
    if not session.config.getoption("record_durations") or path is None:
        return
    if exitstatus == pytest.ExitCode.INTERRUPTED:
        return  # a test cut short would be recorded as fast
    _durations.save(path, _durations.merged(_durations.load(path), _measured))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _phases:
        terminalreporter.section("swiftsvc.testing server phases")
        for line in _phases:
            terminalreporter.write_line(line)


@pytest.fixture(scope="session")
def local_swift() -> Iterator[LocalSwift]:
    with LocalSwift(progress=_record) as swift:
        yield swift


@pytest.fixture(scope="session")
def small_swift() -> Iterator[LocalSwift]:
    cluster = LocalSwift(
        constraints={
            "container_listing_limit": SMALL_LISTING_LIMIT,
            "max_file_size": SMALL_MAX_FILE_SIZE,
        },
        bulk_limits={
            "max_deletes_per_request": SMALL_BULK_DELETES,
            "max_failed_extractions": SMALL_BULK_FAILED_EXTRACTIONS,
        },
        progress=lambda message: _record(f"(small) {message}"),
    )
    with cluster as swift:
        yield swift


@pytest.fixture(scope="session")
def local_keystone(local_swift: LocalSwift) -> Iterator[LocalKeystone]:
    with LocalKeystone(progress=_record) as keystone:
        local_swift.add_keystone_proxy(keystone)
        yield keystone
        local_swift.stop_proxy("keystone-proxy")


@pytest.fixture
def swift_options(local_swift: LocalSwift) -> dict[str, str]:
    return local_swift.auth_options("tester")


@pytest.fixture
def keystone_options(local_keystone: LocalKeystone) -> dict[str, str]:
    return local_keystone.demo_options()


@pytest.fixture
def fault_proxy(local_swift: LocalSwift) -> Iterator[FaultProxy]:
    with FaultProxy(local_swift.proxy_url) as proxy:
        yield proxy


@pytest.fixture
def proxied_options(fault_proxy: FaultProxy, swift_options: dict[str, str]) -> dict[str, str]:
    return {**swift_options, "auth": fault_proxy.url + "/auth/v1.0"}


@pytest.fixture
def container_name(request: pytest.FixtureRequest) -> str:
    short = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")
    short = short.removeprefix("test-")[:40].strip("-")
    return f"t-{short}-{uuid.uuid4().hex[:8]}"
