"""Swift configuration files for LocalSwift, as pure functions of a layout.

Kept apart from the process handling in ``swift.py``: what goes into each
file is decided here, from values only, so it can be read in one place.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "ADMINS",
    "STORAGE_SERVERS",
    "USERS",
    "ClusterLayout",
    "KeystoneAuth",
    "SwiftUser",
    "write_cluster_confs",
    "write_proxy_conf",
]

STORAGE_SERVERS = ("account", "container", "object")


@dataclass(frozen=True)
class SwiftUser:
    account: str
    name: str
    key: str

    @property
    def user(self) -> str:
        return f"{self.account}:{self.name}"


USERS: Mapping[str, SwiftUser] = {
    "tester": SwiftUser("test", "tester", "testing"),
    "tester2": SwiftUser("test2", "tester2", "testing2"),
    "tester3": SwiftUser("test", "tester3", "testing3"),
}
ADMINS = frozenset({"tester", "tester2"})

_PIPELINE_HEAD = "catch_errors gatekeeper healthcheck proxy-logging cache listing_formats bulk"
_PIPELINE_TAIL = (
    "copy container-quotas account-quotas slo dlo versioned_writes symlink "
    "proxy-logging proxy-server"
)
_PLAIN_FILTERS = (
    "catch_errors",
    "gatekeeper",
    "healthcheck",
    "listing_formats",
    "tempurl",
    "ratelimit",
    "copy",
    "slo",
    "dlo",
    "symlink",
)
# filters whose egg entry point spells "-" as "_"
_DASHED_FILTERS = ("proxy-logging", "container-quotas", "account-quotas")

Sections = dict[str, dict[str, object]]


@dataclass(frozen=True)
class ClusterLayout:
    """Everything the config files depend on."""

    state_dir: Path
    ports: Mapping[str, int]
    fernet_key: str
    constraints: Mapping[str, int | str] = field(default_factory=dict)
    bulk: bool = True
    bulk_limits: Mapping[str, int | str] = field(default_factory=dict)
    sweep_interval: float = 2.0

    @property
    def etc(self) -> Path:
        return self.state_dir / "etc"

    @property
    def memcached(self) -> bool:
        return "memcached" in self.ports


@dataclass(frozen=True)
class KeystoneAuth:
    """What a proxy's authtoken filter needs to validate tokens."""

    url: str
    username: str
    password: str
    project_name: str


def _ini(sections: Mapping[str, Mapping[str, object]]) -> str:
    lines: list[str] = []
    for name, values in sections.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {value}" for key, value in values.items())
        lines.append("")
    return "\n".join(lines)


def _defaults(layout: ClusterLayout, name: str) -> dict[str, object]:
    return {
        "bind_ip": "127.0.0.1",
        "bind_port": layout.ports.get(name, 0),
        # a taken port fails within seconds instead of Swift's 30 s retry
        "bind_timeout": 2,
        "workers": 0,
        "swift_dir": layout.etc,
        "devices": layout.state_dir / "devices",
        "mount_check": "false",
        "disable_fallocate": "true",
        "recon_cache_path": layout.state_dir / "recon",
        "log_name": name,
        "log_level": "INFO",
    }


def write_cluster_confs(layout: ClusterLayout) -> None:
    """swift.conf, the storage servers' and the expirer's configs, the tempauth proxy."""
    salt = secrets.token_hex(8)
    swift_conf: Sections = {
        "swift-hash": {"swift_hash_path_prefix": salt, "swift_hash_path_suffix": salt},
        "storage-policy:0": {"name": "gold", "default": "yes"},
        "storage-policy:1": {"name": "silver"},
    }
    if layout.constraints:
        swift_conf["swift-constraints"] = dict(layout.constraints)
    (layout.etc / "swift.conf").write_text(_ini(swift_conf))
    write_proxy_conf(layout, "proxy")
    for name in STORAGE_SERVERS:
        conf: Sections = {
            "DEFAULT": _defaults(layout, name),
            "pipeline:main": {"pipeline": f"healthcheck {name}-server"},
            f"app:{name}-server": {"use": f"egg:swift#{name}"},
            "filter:healthcheck": {"use": "egg:swift#healthcheck"},
        }
        if name == "container":
            # the sweep runs every few seconds: its INFO lines would drown the log
            conf["container-updater"] = {
                "interval": layout.sweep_interval,
                "log_level": "WARNING",
            }
        if name == "object":
            conf["object-updater"] = {"interval": layout.sweep_interval, "log_level": "WARNING"}
        (layout.etc / f"{name}-server.conf").write_text(_ini(conf))
    # "expirer" in the file name selects the legacy queue, and this same
    # file then configures the expirer's internal client
    expirer: Sections = {
        "DEFAULT": {**_defaults(layout, "object-expirer"), "log_level": "WARNING"},
        "object-expirer": {"interval": layout.sweep_interval, "dequeue_from_legacy": "true"},
        "pipeline:main": {"pipeline": "catch_errors proxy-logging proxy-server"},
        "app:proxy-server": {"use": "egg:swift#proxy", "account_autocreate": "true"},
        "filter:catch_errors": {"use": "egg:swift#catch_errors"},
        "filter:proxy-logging": {"use": "egg:swift#proxy_logging"},
    }
    (layout.etc / "object-expirer.conf").write_text(_ini(expirer))


def write_proxy_conf(
    layout: ClusterLayout, name: str, keystone: KeystoneAuth | None = None
) -> None:
    """``<name>-server.conf``: tempauth, or authtoken + keystoneauth given ``keystone``."""
    cache = layout.memcached
    auth = "authtoken keystoneauth" if keystone else "tempauth"
    pipeline = f"{_PIPELINE_HEAD} tempurl ratelimit {auth} {_PIPELINE_TAIL}"
    if not layout.bulk:
        pipeline = pipeline.replace(" bulk ", " ")
    if not cache:
        pipeline = pipeline.replace(" cache ", " ")
    conf: Sections = {
        "DEFAULT": _defaults(layout, name),
        "pipeline:main": {"pipeline": pipeline},
        "app:proxy-server": {
            "use": "egg:swift#proxy",
            "allow_account_management": "true",
            "account_autocreate": "true",
        },
        "filter:cache": {
            "use": "egg:swift#memcache",
            "memcache_servers": f"127.0.0.1:{layout.ports.get('memcached', 11211)}",
        },
        "filter:bulk": {"use": "egg:swift#bulk", **layout.bulk_limits},
        "filter:versioned_writes": {
            "use": "egg:swift#versioned_writes",
            "allow_versioned_writes": "true",
            "allow_object_versioning": "true",
        },
    }
    for middleware in _PLAIN_FILTERS:
        conf[f"filter:{middleware}"] = {"use": f"egg:swift#{middleware}"}
    for middleware in _DASHED_FILTERS:
        conf[f"filter:{middleware}"] = {"use": f"egg:swift#{middleware.replace('-', '_')}"}
    if keystone:
        conf.update(_keystone_filters(keystone, cache))
    else:
        conf["filter:tempauth"] = _tempauth_filter(layout)
    (layout.etc / f"{name}-server.conf").write_text(_ini(conf))


def _tempauth_filter(layout: ClusterLayout) -> dict[str, object]:
    tempauth: dict[str, object] = {
        "use": "egg:swift#tempauth",
        # stateless tokens: no "Memcache required" when memcached is absent
        "fernet_key_1": layout.fernet_key,
        "active_fernet_key_id": 1,
    }
    for key, user in USERS.items():
        roles = " .admin" if key in ADMINS else ""
        tempauth[f"user_{user.account}_{user.name}"] = f"{user.key}{roles}"
    return tempauth


def _keystone_filters(keystone: KeystoneAuth, cache: bool) -> Sections:
    authtoken: dict[str, object] = {
        "paste.filter_factory": "keystonemiddleware.auth_token:filter_factory",
        "www_authenticate_uri": keystone.url,
        "auth_url": keystone.url,
        "auth_type": "password",
        "username": keystone.username,
        "password": keystone.password,
        "project_name": keystone.project_name,
        "user_domain_id": "default",
        "project_domain_id": "default",
        "delay_auth_decision": "true",
    }
    if cache:
        authtoken["cache"] = "swift.cache"
    return {
        "filter:authtoken": authtoken,
        "filter:keystoneauth": {
            "use": "egg:swift#keystoneauth",
            # Swift's default omits member, so ordinary users could not write
            "operator_roles": "admin, member, swiftoperator",
        },
    }
