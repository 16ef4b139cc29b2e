"""A real one-node OpenStack Swift on 127.0.0.1, for tests and the demo.

``LocalSwift`` installs ``swift==2.38.3`` into a private virtualenv (see
``_venv``), writes configs and one-replica rings into a state folder, and runs
proxy, account, container and object servers (``workers = 0``) plus a light
sweep loop (updaters and expirer) and, when it can, a private memcached::

    with LocalSwift(constraints={"container_listing_limit": 100}) as swift:
        requests.get(swift.auth_url, headers=...)

Users (tempauth, stateless fernet tokens): ``tester`` (test:tester, .admin),
``tester2`` (test2:tester2, .admin, a second account) and ``tester3``
(test:tester3, not an admin). ``add_keystone_proxy()`` adds a second proxy
validating Keystone tokens against a ``LocalKeystone``.

Nothing touches /etc/swift: the runner points Swift at the state folder (see
``_swift_runner``).
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from base64 import urlsafe_b64encode
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import requests

from swiftsvc.testing import _venv
from swiftsvc.testing._lifecycle import Launcher
from swiftsvc.testing._process import (
    LocalClusterError,
    ensure_memcached_binary,
    free_port,
    log_tail,
    memcached_ready,
    pid_alive,
    port_is_free,
    start_server,
    stop_pids,
    wait_healthy,
    wait_ready,
)
from swiftsvc.testing._swift_conf import (
    ADMINS,
    STORAGE_SERVERS,
    USERS,
    ClusterLayout,
    KeystoneAuth,
    SwiftUser,
    write_cluster_confs,
    write_proxy_conf,
)

if TYPE_CHECKING:
    from swiftsvc.testing.keystone import LocalKeystone

__all__ = ["USERS", "LocalSwift", "SwiftUser"]

# run by path with ``python -I``: otherwise this folder lands on sys.path and
# this very module (swift.py) would shadow the swift package
_RUNNER = Path(__file__).with_name("_swift_runner.py")
_HEALTH_TIMEOUT = 60.0


Progress = Callable[[str], None]


def _stderr(message: str) -> None:
    print(f"[swiftsvc.testing] {message}", file=sys.stderr, flush=True)


class LocalSwift(Launcher):
    """A one-node Swift cluster run from a private virtualenv.

    Nothing starts in the constructor: call ``start()`` or use ``with``.
    ``stop()`` (also registered with atexit) kills every process by PID and
    removes a temporary state folder unless ``keep_state``. The servers die
    with this Python process even when it is killed (SIGTERM, SIGKILL) before
    it can call ``stop()``, unless ``detached`` (then :meth:`detach` hands
    them over to whoever stops them by PID later).
    """

    name = "swift"
    venv = _venv.SWIFT_VENV

    def __init__(
        self,
        *,
        constraints: Mapping[str, int | str] | None = None,
        bulk: bool = True,
        bulk_limits: Mapping[str, int | str] | None = None,
        cache_dir: str | os.PathLike[str] | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        keep_state: bool = False,
        memcached: bool = True,
        ports: Mapping[str, int] | None = None,
        sweep_interval: float = 2.0,
        progress: Progress | None = None,
        detached: bool = False,
    ) -> None:
        self.constraints = dict(constraints or {})
        self.bulk = bulk
        self.bulk_limits = dict(bulk_limits or {})
        self.cache_dir = Path(cache_dir) if cache_dir else _venv.default_cache_dir()
        self._given_state_dir = Path(state_dir) if state_dir else None
        self.keep_state = keep_state
        self.use_memcached = memcached
        self._wanted_ports = dict(ports or {})
        self.sweep_interval = sweep_interval
        self._progress = progress or _stderr
        self.detached = detached
        self.timings: dict[str, float] = {}
        self.state_dir = Path()
        self.python = Path()
        self.ports: dict[str, int] = {}
        self._pids: dict[str, int] = {}
        self._memcached_port: int | None = None
        self._memcached_binary: str | None = None
        self._keystone: LocalKeystone | None = None
        self._fernet_key = urlsafe_b64encode(secrets.token_bytes(32)).decode()
        self._running = False

    # ---- lifecycle -------------------------------------------------------

    def _phases(self) -> list[tuple[str, Callable[[], Any]]]:
        return [
            ("rings/config", self._prepare),
            ("start", self._spawn_all),
            ("healthy", self._wait_all),
        ]

    def _ready_url(self) -> str:
        return self.proxy_url

    def stop(self) -> None:
        """Stop every process by PID; raise if one survives SIGKILL."""
        if not self._running:
            return
        self._running = False
        atexit.unregister(self.stop)
        pids = list(self._pids.values())
        self._pids.clear()
        survivors = stop_pids(pids)
        if self._given_state_dir is None and not self.keep_state:
            self._remove_temporary_state_dir(self.state_dir)
        if survivors:
            raise LocalClusterError(f"processes still running after SIGKILL: {survivors}")

    # ---- what tests use --------------------------------------------------

    @property
    def proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['proxy']}"

    @property
    def auth_url(self) -> str:
        return f"{self.proxy_url}/auth/v1.0"

    @property
    def pids(self) -> dict[str, int]:
        return dict(self._pids)

    @property
    def memcached_port(self) -> int | None:
        return self._memcached_port

    def log_path(self, server: str) -> Path:
        return self.state_dir / "logs" / f"{server}.log"

    def auth_options(self, user: str = "tester") -> dict[str, str]:
        """swiftsvc / SwiftService options for a tempauth user."""
        account = USERS[user]
        return {
            "auth_version": "1.0",
            "auth": self.auth_url,
            "user": account.user,
            "key": account.key,
        }

    def storage_url(self, user: str = "tester") -> str:
        return f"{self.proxy_url}/v1/AUTH_{USERS[user].account}"

    def get_token(self, user: str = "tester") -> tuple[str, str]:
        """(storage URL, token) from a v1.0 auth request."""
        account = USERS[user]
        answer = requests.get(
            self.auth_url,
            headers={"X-Auth-User": account.user, "X-Auth-Key": account.key},
            timeout=10,
        )
        if answer.status_code != 200:
            raise LocalClusterError(f"auth for {account.user} failed: HTTP {answer.status_code}")
        return answer.headers["X-Storage-Url"], answer.headers["X-Auth-Token"]

    def is_admin(self, user: str) -> bool:
        return user in ADMINS

    # ---- proxy control (reliability tests) -------------------------------

    def stop_proxy(self, name: str = "proxy") -> None:
        pid = self._pids.pop(name, None)
        if pid is not None and stop_pids([pid]):
            raise LocalClusterError(f"{name} (pid {pid}) survived SIGKILL")

    def start_proxy(self, name: str = "proxy") -> None:
        """Start a stopped proxy again on the same port."""
        if name in self._pids:
            return
        self._spawn(name)
        self._wait(name)

    def restart_proxy(self, name: str = "proxy") -> None:
        self.stop_proxy(name)
        self.start_proxy(name)

    # ---- Keystone --------------------------------------------------------

    def add_keystone_proxy(self, keystone: LocalKeystone) -> str:
        """Start a second proxy validating Keystone tokens; return its URL.

        It shares the account/container/object servers, and is registered as
        the object-store endpoint in ``keystone``.
        """
        if "keystone-proxy" in self._pids and self._keystone is keystone:
            return self.keystone_proxy_url
        self.stop_proxy("keystone-proxy")
        started = time.monotonic()
        self._keystone = keystone
        self.ports.setdefault("keystone-proxy", self._free_port())
        write_proxy_conf(
            self._layout(),
            "keystone-proxy",
            KeystoneAuth(
                url=keystone.url,
                username=keystone.service_user.username,
                password=keystone.service_user.password,
                project_name=keystone.service_user.project_name,
            ),
        )
        self._spawn("keystone-proxy")
        try:
            self._wait("keystone-proxy")
        except BaseException:
            self.stop_proxy("keystone-proxy")
            raise
        keystone.register_object_store(self.keystone_proxy_url)
        self._record("keystone proxy", time.monotonic() - started)
        return self.keystone_proxy_url

    @property
    def keystone_proxy_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['keystone-proxy']}"

    def keystone_options(self, user: str = "demo") -> dict[str, str]:
        """v3 options for a Keystone user, via the keystone proxy's catalog."""
        if self._keystone is None:
            raise LocalClusterError("call add_keystone_proxy() first")
        return self._keystone.user_options(user)

    # ---- state for the shell command ------------------------------------

    def to_state(self) -> dict[str, Any]:
        return {
            "state_dir": str(self.state_dir),
            "python": str(self.python),
            "ports": dict(self.ports),
            "pids": dict(self._pids),
            "memcached_port": self._memcached_port,
            "proxy_url": self.proxy_url,
            "auth_options": {user: self.auth_options(user) for user in USERS},
        }

    # ---- internals -------------------------------------------------------

    def _layout(self) -> ClusterLayout:
        return ClusterLayout(
            state_dir=self.state_dir,
            ports=dict(self.ports),
            fernet_key=self._fernet_key,
            constraints=self.constraints,
            bulk=self.bulk,
            bulk_limits=self.bulk_limits,
            sweep_interval=self.sweep_interval,
        )

    def _free_port(self) -> int:
        return free_port(avoid=list(self.ports.values()))

    def _prepare(self) -> None:
        if self._given_state_dir is not None:
            self.state_dir = self._given_state_dir
            self.state_dir.mkdir(parents=True, exist_ok=True)
            # a fresh cluster each start: old objects would confuse tests
            for stale in ("devices", "logs", "recon"):
                shutil.rmtree(self.state_dir / stale, ignore_errors=True)
        elif self.keep_state:
            self.state_dir = Path(tempfile.mkdtemp(prefix="swiftsvc-swift-"))
        else:
            self.state_dir = self._temporary_state_dir("swiftsvc-swift-")
        for folder in ("devices/sdb1", "logs", "recon", "etc"):
            (self.state_dir / folder).mkdir(parents=True, exist_ok=True)
        for name in ("proxy", *STORAGE_SERVERS):
            wanted = self._wanted_ports.get(name)
            if wanted is not None and not port_is_free(wanted):
                raise LocalClusterError(
                    f"port {wanted} wanted by the {name} server is already in use"
                )
            self.ports[name] = wanted if wanted is not None else self._free_port()
        if self.use_memcached:
            self._memcached_binary = ensure_memcached_binary(
                lock_dir=self.cache_dir, progress=self._say
            )
            if self._memcached_binary is None:
                self._say("WARNING: no memcached; running without it (slower, noisy proxy log)")
            else:
                self.ports["memcached"] = self._free_port()
        write_cluster_confs(self._layout())
        rings = subprocess.run(
            [
                str(self.python),
                "-I",
                str(_RUNNER),
                "rings",
                str(self._etc),
                *(str(self.ports[name]) for name in STORAGE_SERVERS),
            ],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            check=False,
        )
        if rings.returncode != 0:
            tail = "\n".join((rings.stdout + rings.stderr).splitlines()[-30:])
            raise LocalClusterError(f"building rings failed:\n{tail}")

    @property
    def _etc(self) -> Path:
        return self.state_dir / "etc"

    def _spawn_memcached(self) -> None:
        if self._memcached_binary is None or "memcached" not in self.ports:
            return
        argv = [
            self._memcached_binary,
            "-l",
            "127.0.0.1",
            "-p",
            str(self.ports["memcached"]),
            "-U",
            "0",
            "-m",
            "64",
        ]
        if os.geteuid() == 0:
            argv += ["-u", "root"]  # memcached refuses to run as root otherwise
        self._pids["memcached"] = start_server(
            argv, log_path=self.log_path("memcached"), outlive_parent=self.detached
        )

    def _wait_memcached(self) -> None:
        if "memcached" not in self._pids:
            return
        port = self.ports["memcached"]
        wait_ready(
            lambda: None if memcached_ready(port) else "no VERSION answer",
            pid=self._pids["memcached"],
            name="memcached",
            log_path=self.log_path("memcached"),
            timeout=10,
        )
        self._memcached_port = port

    def _spawn_all(self) -> None:
        self._spawn_memcached()
        for name in (*STORAGE_SERVERS, "proxy"):
            self._spawn(name)
        self._pids["sweep"] = start_server(
            [
                str(self.python),
                "-I",
                str(_RUNNER),
                "sweep",
                str(self._etc),
                str(self._etc / "container-server.conf"),
                str(self._etc / "object-server.conf"),
                str(self._etc / "object-expirer.conf"),
                str(self.sweep_interval),
            ],
            log_path=self.log_path("sweep"),
            outlive_parent=self.detached,
        )

    def _spawn(self, name: str) -> None:
        kind = "proxy" if name.endswith("proxy") else name
        conf = self._etc / f"{name}-server.conf"
        self._pids[name] = start_server(
            [str(self.python), "-I", str(_RUNNER), "server", kind, str(self._etc), str(conf)],
            log_path=self.log_path(name),
            outlive_parent=self.detached,
        )

    def _wait_all(self) -> None:
        self._wait_memcached()
        for name in (*STORAGE_SERVERS, "proxy"):
            self._wait(name)
        if not pid_alive(self._pids["sweep"]):
            raise LocalClusterError(
                f"sweep loop exited; last lines of its log:\n{log_tail(self.log_path('sweep'))}"
            )

    def _wait(self, name: str) -> None:
        wait_healthy(
            f"http://127.0.0.1:{self.ports[name]}/healthcheck",
            pid=self._pids[name],
            name=f"swift {name} server",
            log_path=self.log_path(name),
            timeout=_HEALTH_TIMEOUT,
        )
