"""Typed options: one frozen record inside, plain dicts only at the public boundary.

A ``Service`` builds its :class:`Options` once from its ``options`` mapping
and the environment (read then, never at import). Each call, and each
``UploadObject``/``PostObject``/... with its own options, derives a new record
with :meth:`Options.merged`; nothing is ever mutated, the caller's dict
included. Every name python-swiftclient's ``SwiftService`` or its ``swift`` command
passes is accepted (the command's own, such as ``verbose`` or ``help``, are
kept and ignored by the library); any other name raises
:class:`~swiftsvc.errors.OptionError` naming it, and the option meant when it
is a near miss (``segmnet_size``).

Scope (docs/COMPAT.md, "Option names"): the options that build the Service
(:data:`SERVICE_OPTIONS`: authentication, TLS, pool sizes) cannot change for
one call; given to a call with the Service's own value they are harmless,
with another value they are refused naming the option. The retry policy and
timeout (:data:`CALL_TRANSPORT_OPTIONS`) given to a call apply to that call's
requests (see :meth:`Options.for_call`); given to one object, only the
call's value is accepted.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from swiftsvc.errors import OptionError
from swiftsvc.option_values import (
    SECRET_OPTIONS as SECRET_OPTIONS,
    Header as Header,
    as_auth_version,
    as_bool,
    as_count,
    as_float,
    as_mapping,
    as_opt_bool,
    as_opt_count,
    as_opt_float,
    as_opt_str,
    as_segment_size,
    as_str,
    parse_headers,
)

# option name -> environment variable it falls back to (docs/COMPAT.md §2)
ENVIRONMENT: Mapping[str, str] = {
    "auth_version": "ST_AUTH_VERSION",
    "auth": "ST_AUTH",
    "user": "ST_USER",
    "key": "ST_KEY",
    "insecure": "SWIFTCLIENT_INSECURE",
    **{
        name: name.upper()
        for name in (
            "os_username", "os_user_id", "os_user_domain_name", "os_user_domain_id",
            "os_password", "os_tenant_id", "os_tenant_name", "os_project_name",
            "os_project_id", "os_project_domain_name", "os_project_domain_id",
            "os_auth_url", "os_auth_token", "os_auth_type",
            "os_application_credential_id", "os_application_credential_secret",
            "os_storage_url", "os_region_name", "os_service_type", "os_endpoint_type",
            "os_cacert", "os_cert", "os_key",
        )
    },
}

# what builds the Service itself: its authenticator, TLS settings and pools
SERVICE_OPTIONS = frozenset({
    *(name for name in ENVIRONMENT if name != "os_storage_url"),
    "os_storage_url", "os_options", "container_threads", "object_uu_threads",
    "object_dd_threads", "segment_threads", "object_threads",
})
# how requests are sent: a call may have its own
CALL_TRANSPORT_OPTIONS = frozenset({
    "retries", "retry_on_ratelimit", "starting_backoff", "max_backoff", "retry_after",
    "timeout", "force_auth_retry",
})



@dataclass(frozen=True, slots=True, kw_only=True)
class Options:
    """Every option a Service or a call understands (docs/COMPAT.md §2 for meanings)."""

    # --- authentication (each falls back to its environment variable) ---
    auth_version: str | None = None  # None: chosen from the options given
    auth: str | None = None
    user: str | None = None
    key: str | None = field(default=None, repr=False)
    os_username: str | None = None
    os_user_id: str | None = None
    os_user_domain_name: str | None = None
    os_user_domain_id: str | None = None
    os_password: str | None = field(default=None, repr=False)
    os_tenant_id: str | None = None
    os_tenant_name: str | None = None
    os_project_name: str | None = None
    os_project_id: str | None = None
    os_project_domain_name: str | None = None
    os_project_domain_id: str | None = None
    os_auth_url: str | None = None
    os_auth_token: str | None = field(default=None, repr=False)
    os_auth_type: str | None = None
    os_application_credential_id: str | None = None
    os_application_credential_secret: str | None = field(default=None, repr=False)
    os_storage_url: str | None = None
    os_region_name: str | None = None
    os_service_type: str | None = None
    os_endpoint_type: str | None = None
    # --- transport ---
    os_cacert: str | None = None
    os_cert: str | None = None
    os_key: str | None = None
    insecure: bool = False
    timeout: float | None = None
    retries: int = 5
    retry_on_ratelimit: bool = True
    starting_backoff: float = 1.0
    max_backoff: float = 64.0
    retry_after: float | None = None  # forces this wait between tries
    force_auth_retry: bool = False
    # --- pools ---
    container_threads: int = 10
    object_uu_threads: int = 10
    object_dd_threads: int = 10
    segment_threads: int = 10
    # --- per-call behaviour ---
    segment_size: int | None = None
    use_slo: bool | None = None  # None: SLO when the cluster offers it
    segment_container: str | None = None
    leave_segments: bool = False
    changed: bool | None = None
    skip_identical: bool = False
    skip_container_put: bool = False
    yes_all: bool = False
    no_download: bool = False
    header: tuple[Header, ...] = ()
    meta: tuple[Header, ...] = ()
    long: bool = False
    fail_fast: bool = False
    prefix: str | None = None
    delimiter: str | None = None
    marker: str = ""
    end_marker: str = ""
    dir_marker: bool = False
    checksum: bool = True
    shuffle: bool = False
    destination: str | None = None
    fresh_metadata: bool = False
    out_directory: str | None = None
    out_file: str | None = None
    remove_prefix: bool = False
    read_acl: str | None = None
    write_acl: str | None = None
    sync_to: str | None = None
    sync_key: str | None = field(default=None, repr=False)
    ignore_mtime: bool = False
    versions: bool = False
    version_id: str | None = None
    version_marker: str = ""  # with versions: the version to list after (with marker)
    batch: bool = False
    # --- accepted for python-swiftclient compatibility; the library ignores them ---
    verbose: int = 1
    debug: bool = False
    info: bool = False
    human: bool = False
    totals: bool = False
    snet: bool = False
    ssl_compression: bool = False
    object_threads: int | None = None
    os_options: Mapping[str, Any] | None = field(default=None, repr=False)
    # the rest of the ``swift`` command's argument namespace, which it passes
    # whole as options (docs/COMPAT.md, "Option names")
    help: bool = False
    os_help: bool = False
    prompt: bool = False
    json: bool = False
    object_name: str | None = None
    debug_with_secrets: bool = False
    absolute_expiry: bool = False
    prefix_based: bool = False
    iso8601: bool = False
    ip_range: str | None = None
    digest: str | None = None
    # names given explicitly (by mapping or environment) -> where from, e.g.
    # {"os_password": "environment OS_PASSWORD"}; used in auth error messages.
    sources: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_service(
        cls, options: Mapping[str, Any] | None, environ: Mapping[str, str]
    ) -> Options:
        """The record a Service starts from: defaults, then environment, then ``options``."""
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for name, variable in ENVIRONMENT.items():
            raw = environ.get(variable)
            if raw not in (None, ""):
                values[name] = raw
                sources[name] = f"environment {variable}"
        for name, value in (options or {}).items():
            values[name] = value
            sources[name] = "option"
        return cls().merged(values, sources=sources)

    def merged(
        self, overrides: Mapping[str, Any] | None, *, sources: Mapping[str, str] | None = None
    ) -> Options:
        """A new record with ``overrides`` (a public-boundary dict) applied."""
        if not overrides:
            return self
        changes: dict[str, Any] = {}
        for name, value in overrides.items():
            if name not in _COERCE:
                raise OptionError(f"unknown option {name!r}{_suggest(name)}")
            changes[name] = _COERCE[name](name, value)
        if changes.get("os_options"):
            for sub, value in changes["os_options"].items():
                legacy = _OS_OPTIONS_KEYS.get(sub)
                if legacy and legacy not in overrides and value not in (None, ""):
                    changes[legacy] = _COERCE[legacy](legacy, value)
        if changes.get("object_threads"):
            # the swift CLI's --object-threads sizes both object pools
            changes.setdefault("object_uu_threads", changes["object_threads"])
            changes.setdefault("object_dd_threads", changes["object_threads"])
        new_sources = dict(self.sources)
        new_sources.update(sources if sources is not None else dict.fromkeys(overrides, "option"))
        changes["sources"] = new_sources
        return dataclasses.replace(self, **changes)

    def for_call(self, overrides: Mapping[str, Any] | None) -> Options:
        """The options of one call: ``overrides`` applied to the Service's.

        A Service option (:data:`SERVICE_OPTIONS`) with a value other than
        the Service's raises :class:`OptionError` naming it: the
        authenticator, TLS settings and pools are the Service's.
        """
        new = self.merged(overrides)
        _refuse_changes(self, new, SERVICE_OPTIONS, overrides or {},
                        "configures the Service (authentication, TLS, pools) and cannot "
                        "change for one call: create a Service with it")
        return new

    def for_item(self, overrides: Mapping[str, Any] | None) -> Options:
        """The options of one object of a call (``UploadObject(..., options)``, ...).

        Besides the Service's own, the retry policy and timeout are the
        call's: one object cannot have others.
        """
        new = self.merged(overrides)
        _refuse_changes(self, new, SERVICE_OPTIONS | CALL_TRANSPORT_OPTIONS, overrides or {},
                        "applies to the whole call and cannot change for one object")
        return new

    def transport_differs(self, other: Options) -> bool:
        """Whether ``other`` sends requests otherwise (retries, timeout) than these."""
        return any(getattr(self, name) != getattr(other, name) for name in CALL_TRANSPORT_OPTIONS)

    def given(self, name: str) -> bool:
        """Whether ``name`` was set explicitly (by an option or the environment)."""
        return name in self.sources

    def to_dict(self) -> dict[str, Any]:
        """The public-boundary view: option name -> value (secrets included)."""
        return {
            f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.name != "sources"
        }


def _refuse_changes(
    before: Options, after: Options, names: frozenset[str], overrides: Mapping[str, Any],
    why: str,
) -> None:
    for name in sorted(names):
        if getattr(before, name) != getattr(after, name):
            given = name if name in overrides else next(
                (key for key in ("object_threads", "os_options") if key in overrides), name
            )
            raise OptionError(f"option {given!r} {why}")


_OS_OPTIONS_KEYS = {
    "user_id": "os_user_id",
    "user_domain_id": "os_user_domain_id",
    "user_domain_name": "os_user_domain_name",
    "tenant_id": "os_tenant_id",
    "tenant_name": "os_tenant_name",
    "project_id": "os_project_id",
    "project_name": "os_project_name",
    "project_domain_id": "os_project_domain_id",
    "project_domain_name": "os_project_domain_name",
    "service_type": "os_service_type",
    "endpoint_type": "os_endpoint_type",
    "auth_token": "os_auth_token",
    "object_storage_url": "os_storage_url",
    "region_name": "os_region_name",
    "auth_type": "os_auth_type",
    "application_credential_id": "os_application_credential_id",
    "application_credential_secret": "os_application_credential_secret",
}


def _build_coercers() -> dict[str, Callable[[str, object], Any]]:
    special: dict[str, Callable[[str, object], Any]] = {
        "auth_version": as_auth_version,
        "retries": as_count(0),
        "container_threads": as_count(1),
        "object_uu_threads": as_count(1),
        "object_dd_threads": as_count(1),
        "segment_threads": as_count(1),
        "object_threads": as_opt_count(1),
        "verbose": as_count(0),
        "segment_size": as_segment_size,
        "timeout": as_opt_float,
        "retry_after": as_opt_float,
        "starting_backoff": as_float,
        "max_backoff": as_float,
        "header": parse_headers,
        "meta": parse_headers,
        "os_options": as_mapping,
        "marker": as_str,
        "end_marker": as_str,
        "version_marker": as_str,
        "use_slo": as_opt_bool,
        "changed": as_opt_bool,
    }
    coercers: dict[str, Callable[[str, object], Any]] = {}
    for f in dataclasses.fields(Options):
        if f.name == "sources":
            continue
        if f.name in special:
            coercers[f.name] = special[f.name]
        elif f.type in ("bool",):
            coercers[f.name] = as_bool
        elif f.type in ("str | None",):
            coercers[f.name] = as_opt_str
        else:  # pragma: no cover - a new field without a coercer is a bug
            raise TypeError(f"no coercer for option {f.name} ({f.type})")
    return coercers


_COERCE = _build_coercers()
KNOWN_OPTIONS = frozenset(_COERCE)


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, KNOWN_OPTIONS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
