"""A small Keystone v2.0 identity endpoint, faithful to the v2.0 wire format.

Keystone itself no longer serves v2.0, yet python-keystoneclient's ``v2_0`` client and
keystoneauth1's ``identity.v2`` plugins are still what many deployments use, so the
library's v2 code path needs something real to talk to. This stub answers version
discovery and ``POST /v2.0/tokens``; every token it hands out comes from a real backend
through ``issue_token(tenant, user) -> (storage_url, token)`` (in the test suite:
tempauth on the local Swift), so the token and the ``object-store`` endpoint in the
catalog really work at Swift.

Users are keyed by ``(tenant_name, username)``: a user "has a role" exactly on the
tenants it is listed with. To inject faults into identity traffic, put a
:class:`~swiftsvc.testing.faultproxy.FaultProxy` in front of the stub.
"""

from __future__ import annotations

import json
import logging
import socketserver
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler
from typing import Any

from swiftsvc.testing._lifecycle import Lifecycle

__all__ = ["IssueToken", "IssuedToken", "KeystoneV2Stub"]

logger = logging.getLogger(__name__)

IssueToken = Callable[[str, str], tuple[str, str]]
"""``issue_token(tenant_name, username) -> (storage_url, token)``."""

_JSON = "application/json"
_ID_NAMESPACE = uuid.UUID("6a0e43b1-7c1e-4d8c-9a43-2b1f7b0d8e55")


@dataclass(frozen=True)
class IssuedToken:
    """A token the stub handed out (``storage_url`` is "" for an unscoped token)."""

    token: str
    username: str
    user_id: str
    tenant_name: str | None
    tenant_id: str | None
    storage_url: str
    expires: datetime


class _AuthError(Exception):
    def __init__(self, status: HTTPStatus, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _stable_id(kind: str, name: str) -> str:
    return uuid.uuid5(_ID_NAMESPACE, f"{kind}:{name}").hex


def _isotime(moment: datetime, *, fraction: bool = False) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if fraction else "%Y-%m-%dT%H:%M:%SZ")


class KeystoneV2Stub(Lifecycle):
    """A threaded Keystone v2.0 endpoint; ``url`` is the v2.0 auth URL.

    ``tenant_ids`` maps tenant names to ids (by default a stable id derived from the
    name); user ids are derived from the username. Tokens live ``token_ttl`` seconds.
    """

    def __init__(
        self,
        *,
        users: Mapping[tuple[str, str], str],
        issue_token: IssueToken,
        tenant_ids: Mapping[str, str] | None = None,
        region: str = "RegionOne",
        token_ttl: float = 3600.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._users = dict(users)
        self._issue_token = issue_token
        tenant_names = {tenant for tenant, _ in self._users}
        self._tenant_ids = {name: _stable_id("tenant", name) for name in tenant_names}
        self._tenant_ids.update(tenant_ids or {})
        self.region = region
        self.token_ttl = token_ttl
        self._bind_address = (host, port)
        self._lock = threading.Lock()
        self._token_requests = 0
        self._issued: list[IssuedToken] = []
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> KeystoneV2Stub:
        if self._server is not None:
            raise RuntimeError("KeystoneV2Stub already started")
        self._server = _Server(self._bind_address, self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="keystone-v2-stub",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    @property
    def base_url(self) -> str:
        """The unversioned root, e.g. "http://127.0.0.1:35357"."""
        if self._server is None:
            raise RuntimeError("KeystoneV2Stub is not running")
        host, port = self._server.socket.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The v2.0 auth URL, e.g. "http://127.0.0.1:35357/v2.0"."""
        return f"{self.base_url}/v2.0"

    # -- observations ----------------------------------------------------------------

    @property
    def token_requests(self) -> int:
        """How many ``POST /v2.0/tokens`` were received, successful or not."""
        with self._lock:
            return self._token_requests

    @property
    def issued(self) -> list[IssuedToken]:
        with self._lock:
            return list(self._issued)

    def reset_counters(self) -> None:
        with self._lock:
            self._token_requests = 0
            self._issued.clear()

    def tenant_id(self, tenant_name: str) -> str:
        return self._tenant_ids[tenant_name]

    @staticmethod
    def user_id(username: str) -> str:
        return _stable_id("user", username)

    # -- documents -------------------------------------------------------------------

    def version_document(self) -> dict[str, Any]:
        return {
            "id": "v2.0",
            "status": "deprecated",
            "updated": "2016-08-04T00:00:00Z",
            "links": [
                {"rel": "self", "href": f"{self.url}/"},
                {"rel": "describedby", "type": "text/html", "href": "https://docs.openstack.org/"},
            ],
            "media-types": [
                {"base": _JSON, "type": "application/vnd.openstack.identity-v2.0+json"}
            ],
        }

    def _authenticate(self, request: Mapping[str, Any]) -> dict[str, Any]:
        """Answer a ``POST /v2.0/tokens`` body; raises _AuthError for 400/401."""
        auth = request.get("auth")
        if not isinstance(auth, dict):
            raise _AuthError(HTTPStatus.BAD_REQUEST, "Expecting to find auth in request body.")
        tenant_name = self._requested_tenant(auth)
        username = self._authenticated_user(auth, tenant_name)
        if tenant_name is None:
            issued = IssuedToken(
                token=f"unscoped-{uuid.uuid4().hex}",
                username=username,
                user_id=self.user_id(username),
                tenant_name=None,
                tenant_id=None,
                storage_url="",
                expires=self._expiry(),
            )
        else:
            if (tenant_name, username) not in self._users:
                raise _AuthError(
                    HTTPStatus.UNAUTHORIZED,
                    f"User {self.user_id(username)} is unauthorized for tenant {tenant_name}",
                )
            storage_url, token = self._issue_token(tenant_name, username)
            issued = IssuedToken(
                token=token,
                username=username,
                user_id=self.user_id(username),
                tenant_name=tenant_name,
                tenant_id=self._tenant_ids[tenant_name],
                storage_url=storage_url,
                expires=self._expiry(),
            )
        with self._lock:
            self._issued.append(issued)
        return self._access_document(issued)

    def _expiry(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.token_ttl)

    def _requested_tenant(self, auth: Mapping[str, Any]) -> str | None:
        if "tenantId" in auth:
            by_id = {tenant_id: name for name, tenant_id in self._tenant_ids.items()}
            if auth["tenantId"] not in by_id:
                raise _AuthError(HTTPStatus.UNAUTHORIZED, "Could not find project.")
            return by_id[auth["tenantId"]]
        tenant_name = auth.get("tenantName")
        if tenant_name is not None and tenant_name not in self._tenant_ids:
            raise _AuthError(HTTPStatus.UNAUTHORIZED, "Could not find project.")
        return tenant_name if isinstance(tenant_name, str) else None

    def _authenticated_user(self, auth: Mapping[str, Any], tenant_name: str | None) -> str:
        """The username proven by the password or token credentials in ``auth``."""
        if isinstance(auth.get("token"), dict):
            token_id = auth["token"].get("id")
            with self._lock:
                known = {issued.token: issued for issued in self._issued}
            issued = known.get(token_id) if isinstance(token_id, str) else None
            if issued is None or issued.expires <= datetime.now(UTC):
                raise _AuthError(
                    HTTPStatus.UNAUTHORIZED, "The request you have made requires authentication."
                )
            return issued.username
        credentials = auth.get("passwordCredentials")
        if not isinstance(credentials, dict) or "password" not in credentials:
            raise _AuthError(
                HTTPStatus.BAD_REQUEST,
                "Expecting to find passwordCredentials or token in auth.",
            )
        username = credentials.get("username")
        if username is None and "userId" in credentials:
            names = {self.user_id(user): user for _, user in self._users}
            username = names.get(credentials["userId"])
        password = credentials["password"]
        entries = [
            key
            for key in self._users
            if key[1] == username and (tenant_name is None or key[0] == tenant_name)
        ]
        if not isinstance(username, str) or not any(
            self._users[key] == password for key in entries
        ):
            raise _AuthError(
                HTTPStatus.UNAUTHORIZED, "The request you have made requires authentication."
            )
        return username

    def _access_document(self, issued: IssuedToken) -> dict[str, Any]:
        token: dict[str, Any] = {
            "id": issued.token,
            "issued_at": _isotime(datetime.now(UTC), fraction=True),
            "expires": _isotime(issued.expires),
            "audit_ids": [uuid.uuid4().hex[:22]],
        }
        catalog: list[dict[str, Any]] = []
        if issued.tenant_name is not None:
            token["tenant"] = {
                "id": issued.tenant_id,
                "name": issued.tenant_name,
                "description": None,
                "enabled": True,
            }
            catalog = [
                self._service("object-store", "swift", issued.storage_url),
                self._service("identity", "keystone", self.url),
            ]
        return {
            "access": {
                "token": token,
                "serviceCatalog": catalog,
                "user": {
                    "id": issued.user_id,
                    "name": issued.username,
                    "username": issued.username,
                    "roles": [{"name": "member"}] if issued.tenant_name else [],
                    "roles_links": [],
                },
                "metadata": {"is_admin": 0, "roles": []},
            }
        }

    def _service(self, kind: str, name: str, url: str) -> dict[str, Any]:
        return {
            "type": kind,
            "name": name,
            "endpoints": [
                {
                    "id": _stable_id("endpoint", f"{kind}:{url}"),
                    "region": self.region,
                    "publicURL": url,
                    "internalURL": url,
                    "adminURL": url,
                }
            ],
            "endpoints_links": [],
        }

    def _count_token_request(self) -> None:
        with self._lock:
            self._token_requests += 1


class _Server(socketserver.ThreadingTCPServer):
    # ThreadingTCPServer, not HTTPServer: HTTPServer.server_bind does a getfqdn() lookup
    # that can stall for seconds on hosts without working DNS.
    allow_reuse_address = True
    daemon_threads = True

    def __init__(self, address: tuple[str, int], stub: KeystoneV2Stub) -> None:
        self.stub = stub
        super().__init__(address, _Handler)


def _error(status: HTTPStatus, message: str) -> dict[str, Any]:
    return {"error": {"code": int(status), "title": status.phrase, "message": message}}


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("keystone v2 stub: " + format, *args)

    def _send_json(self, status: HTTPStatus, document: Mapping[str, Any]) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", _JSON)
        self.send_header("Content-Length", str(len(body)))
        if status == HTTPStatus.UNAUTHORIZED:
            self.send_header("WWW-Authenticate", f'Keystone uri="{self.server.stub.base_url}"')
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        stub = self.server.stub
        path = self.path.split("?", 1)[0].rstrip("/")
        if path == "":
            self._send_json(
                HTTPStatus.MULTIPLE_CHOICES,
                {"versions": {"values": [stub.version_document()]}},
            )
        elif path == "/v2.0":
            self._send_json(HTTPStatus.OK, {"version": stub.version_document()})
        else:
            self._send_json(HTTPStatus.NOT_FOUND, _error(HTTPStatus.NOT_FOUND, "Not found."))

    def do_POST(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or "0")
        raw = self.rfile.read(length)
        if self.path.split("?", 1)[0].rstrip("/") != "/v2.0/tokens":
            self._send_json(HTTPStatus.NOT_FOUND, _error(HTTPStatus.NOT_FOUND, "Not found."))
            return
        stub._count_token_request()
        try:
            request = json.loads(raw)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            status = HTTPStatus.BAD_REQUEST
            self._send_json(status, _error(status, "The request body must be a JSON object."))
            return
        try:
            self._send_json(HTTPStatus.OK, stub._authenticate(request))
        except _AuthError as failure:
            self._send_json(failure.status, _error(failure.status, failure.message))
        except Exception as exc:
            logger.exception("keystone v2 stub: issue_token failed")
            status = HTTPStatus.INTERNAL_SERVER_ERROR
            self._send_json(status, _error(status, f"issue_token failed: {exc!r}"))
