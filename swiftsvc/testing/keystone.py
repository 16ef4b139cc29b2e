"""A real Keystone (v3) on 127.0.0.1, for tests of Keystone auth.

``LocalKeystone`` installs ``keystone==30.0.0`` and gunicorn into a private
virtualenv, keeps its sqlite database and fernet keys in a state folder, and
serves it with one gunicorn worker (the in-memory dogpile cache is per
process). After ``keystone-manage bootstrap`` it creates, through the API:

* project ``service`` and user ``swift`` (admin) for a Swift proxy's authtoken;
* project ``demo`` and user ``demo`` (member) in the Default domain, plus an
  application credential of ``demo``;
* domain ``other`` with project ``otherproj`` and user ``otheruser`` (member),
  so tests can name domains by id or by name.

``register_object_store(proxy_url)`` adds the object-store endpoints.
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
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, NamedTuple

import requests

from swiftsvc.testing import _venv
from swiftsvc.testing._keystone_conf import write_keystone_state
from swiftsvc.testing._lifecycle import Launcher
from swiftsvc.testing._process import (
    LocalClusterError,
    free_port,
    port_is_free,
    start_server,
    stop_pids,
    wait_healthy,
)

__all__ = ["AppCredential", "KeystoneIds", "LocalKeystone", "ServiceUser"]

Progress = Callable[[str], None]
_HEALTH_TIMEOUT = 60.0

class KeystoneIds(NamedTuple):
    user_id: str
    project_id: str
    domain_id: str


class AppCredential(NamedTuple):
    id: str
    secret: str


class ServiceUser(NamedTuple):
    username: str
    password: str
    project_name: str


def _stderr(message: str) -> None:
    print(f"[swiftsvc.testing] {message}", file=sys.stderr, flush=True)


class LocalKeystone(Launcher):
    """Keystone v3 from a private virtualenv; ``start()`` or ``with``.

    Its server dies with this Python process, however that ends, unless
    ``detached`` (see :class:`~swiftsvc.testing.swift.LocalSwift`).
    """

    name = "keystone"
    venv = _venv.KEYSTONE_VENV

    def __init__(
        self,
        *,
        cache_dir: str | os.PathLike[str] | None = None,
        state_dir: str | os.PathLike[str] | None = None,
        keep_state: bool = False,
        port: int | None = None,
        progress: Progress | None = None,
        detached: bool = False,
    ) -> None:
        self.cache_dir = Path(cache_dir) if cache_dir else _venv.default_cache_dir()
        self._given_state_dir = Path(state_dir) if state_dir else None
        self.keep_state = keep_state
        self._wanted_port = port
        self._progress = progress or _stderr
        self.detached = detached
        self.timings: dict[str, float] = {}
        self.state_dir = Path()
        self.python = Path()
        self.port = 0
        self.pid: int | None = None
        self.admin_password = secrets.token_urlsafe(12)
        self.passwords = {
            "demo": secrets.token_urlsafe(12),
            "otheruser": secrets.token_urlsafe(12),
            "swift": secrets.token_urlsafe(12),
        }
        self.demo_ids = KeystoneIds("", "", "default")
        self.other_ids = KeystoneIds("", "", "")
        self.app_credential = AppCredential("", "")
        self._admin_token: str | None = None
        self._running = False

    # ---- lifecycle -------------------------------------------------------

    def _phases(self) -> list[tuple[str, Callable[[], Any]]]:
        return [
            ("config/db", self._prepare),
            ("healthy", self._serve),
            ("users", self._provision),
        ]

    def _ready_url(self) -> str:
        return self.url

    def stop(self) -> None:
        if not self._running:
            return
        self._running = False
        atexit.unregister(self.stop)
        pid, self.pid = self.pid, None
        survivors = stop_pids([pid]) if pid is not None else []
        if self._given_state_dir is None and not self.keep_state:
            self._remove_temporary_state_dir(self.state_dir)
        if survivors:
            raise LocalClusterError(f"keystone (pid {pid}) survived SIGKILL")

    # ---- server control (reliability tests) ------------------------------

    def stop_server(self) -> None:
        """Stop the Keystone server only: its state folder and port are kept,
        so :meth:`start_server` brings the same users, keys and tokens back."""
        pid, self.pid = self.pid, None
        if pid is not None and stop_pids([pid]):
            raise LocalClusterError(f"keystone (pid {pid}) survived SIGKILL")

    def start_server(self) -> None:
        """Start a server stopped by :meth:`stop_server` again (~8 s: Keystone's imports)."""
        if not self._running:
            raise LocalClusterError("LocalKeystone is not started; use start()")
        if self.pid is not None:
            return
        started = time.monotonic()
        self._serve()
        self._record("restart", time.monotonic() - started)

    # ---- what tests use --------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v3"

    @property
    def log_path(self) -> Path:
        return self.state_dir / "keystone.log"

    @property
    def service_user(self) -> ServiceUser:
        return ServiceUser("swift", self.passwords["swift"], "service")

    @property
    def admin_options(self) -> dict[str, str]:
        return self._password_options("admin", self.admin_password, "admin")

    def demo_options(self) -> dict[str, str]:
        return self._password_options("demo", self.passwords["demo"], "demo")

    def other_options(self) -> dict[str, str]:
        """otheruser in domain ``other``, naming user and project domains by id."""
        return {
            "auth_version": "3",
            "os_auth_url": self.url,
            "os_username": "otheruser",
            "os_password": self.passwords["otheruser"],
            "os_project_name": "otherproj",
            "os_user_domain_id": self.other_ids.domain_id,
            "os_project_domain_id": self.other_ids.domain_id,
        }

    def app_credential_options(self) -> dict[str, str]:
        return {
            "auth_version": "3",
            "os_auth_url": self.url,
            "os_auth_type": "v3applicationcredential",
            "os_application_credential_id": self.app_credential.id,
            "os_application_credential_secret": self.app_credential.secret,
        }

    def user_options(self, user: str) -> dict[str, str]:
        """Options by name: demo, otheruser, admin, appcred."""
        choices: Mapping[str, Callable[[], dict[str, str]]] = {
            "demo": self.demo_options,
            "otheruser": self.other_options,
            "admin": lambda: self.admin_options,
            "appcred": self.app_credential_options,
        }
        if user not in choices:
            raise KeyError(f"no keystone user {user!r}; have {sorted(choices)}")
        return choices[user]()

    def get_token(self, options: Mapping[str, str] | None = None) -> tuple[str, dict[str, Any]]:
        """(token, token body with catalog) for password options (demo by default)."""
        chosen = options or self.demo_options()
        user: dict[str, Any] = {"name": chosen["os_username"], "password": chosen["os_password"]}
        project: dict[str, Any] = {"name": chosen["os_project_name"]}
        if "os_user_domain_id" in chosen:
            user["domain"] = {"id": chosen["os_user_domain_id"]}
        else:
            user["domain"] = {"name": chosen["os_user_domain_name"]}
        if "os_project_domain_id" in chosen:
            project["domain"] = {"id": chosen["os_project_domain_id"]}
        else:
            project["domain"] = {"name": chosen["os_project_domain_name"]}
        body = {
            "auth": {
                "identity": {"methods": ["password"], "password": {"user": user}},
                "scope": {"project": project},
            }
        }
        answer = requests.post(f"{self.url}/auth/tokens", json=body, timeout=30)
        if answer.status_code != 201:
            raise LocalClusterError(
                f"keystone auth failed: HTTP {answer.status_code}: {answer.text[:300]}"
            )
        return answer.headers["X-Subject-Token"], answer.json()["token"]

    def register_object_store(self, proxy_url: str) -> None:
        """(Re)create the object-store service with its three endpoints."""
        for service in self._api("GET", "/services?type=object-store")["services"]:
            self._api("DELETE", f"/services/{service['id']}")
        service_id = self._api(
            "POST",
            "/services",
            {"service": {"type": "object-store", "name": "swift", "enabled": True}},
        )["service"]["id"]
        for interface in ("public", "internal", "admin"):
            self._api(
                "POST",
                "/endpoints",
                {
                    "endpoint": {
                        "service_id": service_id,
                        "interface": interface,
                        "region_id": "RegionOne",
                        "url": f"{proxy_url}/v1/AUTH_%(project_id)s",
                        "enabled": True,
                    }
                },
            )

    def to_state(self) -> dict[str, Any]:
        return {
            "state_dir": str(self.state_dir),
            "port": self.port,
            "pid": self.pid,
            "url": self.url,
            "admin_password": self.admin_password,
            "passwords": dict(self.passwords),
            "demo_ids": self.demo_ids._asdict(),
            "app_credential": self.app_credential._asdict(),
        }

    # ---- internals -------------------------------------------------------

    def _password_options(self, user: str, password: str, project: str) -> dict[str, str]:
        return {
            "auth_version": "3",
            "os_auth_url": self.url,
            "os_username": user,
            "os_password": password,
            "os_project_name": project,
            "os_user_domain_name": "Default",
            "os_project_domain_name": "Default",
        }

    def _prepare(self) -> None:
        if self._given_state_dir is not None:
            self.state_dir = self._given_state_dir
            self.state_dir.mkdir(parents=True, exist_ok=True)
            # a fresh database each start; only what we wrote, the folder may be shared
            for folder in ("fernet-keys", "credential-keys"):
                shutil.rmtree(self.state_dir / folder, ignore_errors=True)
            for name in ("keystone.db", "keystone.log", "gunicorn.log"):
                (self.state_dir / name).unlink(missing_ok=True)
        elif self.keep_state:
            self.state_dir = Path(tempfile.mkdtemp(prefix="swiftsvc-keystone-"))
        else:
            self.state_dir = self._temporary_state_dir("swiftsvc-keystone-")
        if self._wanted_port is not None and not port_is_free(self._wanted_port):
            raise LocalClusterError(f"port {self._wanted_port} wanted by keystone is in use")
        self.port = self._wanted_port or free_port()
        write_keystone_state(self.state_dir, log_path=self.log_path)
        self._manage("db_sync")
        self._manage(
            "bootstrap",
            # one argument with "=": a random password may start with "-", which
            # argparse would take for an option
            f"--bootstrap-password={self.admin_password}",
            "--bootstrap-admin-url",
            self.url,
            "--bootstrap-internal-url",
            self.url,
            "--bootstrap-public-url",
            self.url,
            "--bootstrap-region-id",
            "RegionOne",
        )

    def _manage(self, *args: str) -> None:
        script = "import sys; from keystone.cmd.manage import main; sys.argv = sys.argv[1:]; main()"
        argv = [
            str(self.python),
            "-c",
            script,
            "keystone-manage",
            "--config-file",
            str(self.state_dir / "keystone.conf"),
            *args,
        ]
        done = subprocess.run(
            argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False, timeout=300
        )
        if done.returncode != 0:
            tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
            raise LocalClusterError(f"keystone-manage {args[0]} failed:\n{tail}")

    def _serve(self) -> None:
        env = {**os.environ, "OS_KEYSTONE_CONFIG_FILES": str(self.state_dir / "keystone.conf")}
        self.pid = start_server(
            [
                str(self.python),
                "-m",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--workers",
                "1",
                "--threads",
                "8",
                "--timeout",
                "120",
                # tests never leave requests in flight worth 30 s of grace
                "--graceful-timeout",
                "1",
                "--chdir",
                str(self.state_dir),
                "keystone_wsgi:application",
            ],
            log_path=self.state_dir / "gunicorn.log",
            env=env,
            outlive_parent=self.detached,
        )
        wait_healthy(
            self.url,
            pid=self.pid,
            name="keystone (gunicorn)",
            log_path=self.state_dir / "gunicorn.log",
            timeout=_HEALTH_TIMEOUT,
        )

    def _api(
        self,
        method: str,
        path: str,
        body: Mapping[str, Any] | None = None,
        *,
        token: str | None = None,
    ) -> Any:
        if token is None:
            if self._admin_token is None:
                self._admin_token = self.get_token(self.admin_options)[0]
            token = self._admin_token
        answer = requests.request(
            method, f"{self.url}{path}", json=body, timeout=30, headers={"X-Auth-Token": token}
        )
        if answer.status_code >= 300:
            raise LocalClusterError(
                f"keystone {method} {path}: HTTP {answer.status_code}: {answer.text[:300]}"
            )
        return answer.json() if answer.content else None

    def _provision(self) -> None:
        roles = {role["name"]: role["id"] for role in self._api("GET", "/roles")["roles"]}
        other_domain = self._api("POST", "/domains", {"domain": {"name": "other"}})["domain"]
        demo = self._project_user("demo", "demo", "default", roles["member"])
        self._project_user("service", "swift", "default", roles["admin"])
        other = self._project_user("otherproj", "otheruser", other_domain["id"], roles["member"])
        self.demo_ids = KeystoneIds(demo[1], demo[0], "default")
        self.other_ids = KeystoneIds(other[1], other[0], other_domain["id"])
        demo_token = self.get_token(self.demo_options())[0]
        credential = self._api(
            "POST",
            f"/users/{self.demo_ids.user_id}/application_credentials",
            {"application_credential": {"name": "swiftsvc-tests"}},
            token=demo_token,
        )["application_credential"]
        self.app_credential = AppCredential(credential["id"], credential["secret"])

    def _project_user(
        self, project: str, user: str, domain_id: str, role_id: str
    ) -> tuple[str, str]:
        project_id = self._api(
            "POST", "/projects", {"project": {"name": project, "domain_id": domain_id}}
        )["project"]["id"]
        user_id = self._api(
            "POST",
            "/users",
            {
                "user": {
                    "name": user,
                    "domain_id": domain_id,
                    "password": self.passwords[user],
                    "default_project_id": project_id,
                }
            },
        )["user"]["id"]
        self._api("PUT", f"/projects/{project_id}/users/{user_id}/roles/{role_id}")
        return project_id, user_id

