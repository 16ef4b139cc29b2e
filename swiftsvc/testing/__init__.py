"""Real local servers for tests and the demo: Swift, Keystone, fault injection.

``LocalSwift`` and ``LocalKeystone`` run real OpenStack servers from private
virtualenvs under ``$SWIFTSVC_CACHE_DIR`` (default ``~/.cache/swiftsvc``);
``FaultProxy`` sits in front of one to inject failures; ``KeystoneV2Stub``
stands in for the Keystone v2.0 API that real Keystone no longer serves.
The pytest fixtures live in ``swiftsvc.testing.pytest_plugin`` and the shell
command in ``python -m swiftsvc.testing``.
"""

from swiftsvc.testing._process import LocalClusterError
from swiftsvc.testing.faultproxy import FaultProxy
from swiftsvc.testing.keystone import LocalKeystone
from swiftsvc.testing.swift import LocalSwift
from swiftsvc.testing.v2stub import KeystoneV2Stub

__all__ = ["FaultProxy", "KeystoneV2Stub", "LocalClusterError", "LocalKeystone", "LocalSwift"]
