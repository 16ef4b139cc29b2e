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
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from swiftsvc.errors import OptionError

Header = tuple[str, str]

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

# Option values that must never be printed (logs, reprs, error messages).
SECRET_OPTIONS = frozenset(
    {"key", "os_password", "os_auth_token", "os_application_credential_secret", "sync_key"}
)

_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")


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


# ---------------------------------------------------------------- coercion


def _describe(name: str, value: object) -> str:
    shown = "<secret>" if name in SECRET_OPTIONS else repr(value)
    return f"option {name!r} = {shown}"


def _opt_str(name: str, value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise OptionError(f"{_describe(name, value)}: expected a string")
    return value


def _str(name: str, value: object) -> str:
    if value is None:
        return ""
    return _opt_str(name, value) or ""


_TRUE = {"1", "true", "yes", "on", "y", "t"}
_FALSE = {"0", "false", "no", "off", "n", "f", ""}


def _bool(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    if isinstance(value, int):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise OptionError(f"{_describe(name, value)}: expected true or false")


def _opt_bool(name: str, value: object) -> bool | None:
    return None if value is None else _bool(name, value)


def _int(name: str, value: object, *, minimum: int) -> int:
    if isinstance(value, bool):
        raise OptionError(f"{_describe(name, value)}: expected a whole number")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if not isinstance(value, int):
        raise OptionError(f"{_describe(name, value)}: expected a whole number")
    if value < minimum:
        raise OptionError(f"{_describe(name, value)}: must be at least {minimum}")
    return value


def _count(minimum: int) -> Callable[[str, object], int]:
    return lambda name, value: _int(name, value, minimum=minimum)


def _opt_count(minimum: int) -> Callable[[str, object], int | None]:
    return lambda name, value: None if value is None else _int(name, value, minimum=minimum)


def _opt_float(name: str, value: object) -> float | None:
    if value is None:
        return None
    return _float(name, value)


def _float(name: str, value: object) -> float:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise OptionError(f"{_describe(name, value)}: expected a number") from None
    if number < 0:
        raise OptionError(f"{_describe(name, value)}: must not be negative")
    return number


def _auth_version(name: str, value: object) -> str | None:
    text = _opt_str(name, value if not isinstance(value, (int, float)) else str(value))
    if text is None or text == "":
        return None
    normal = {"1": "1.0", "1.0": "1.0", "2": "2.0", "2.0": "2.0", "3": "3", "3.0": "3"}
    if text not in normal:
        raise OptionError(f"{_describe(name, value)}: expected one of 1.0, 2.0, 3")
    return normal[text]


def parse_headers(name: str, value: object) -> tuple[Header, ...]:
    """``"Name:value"`` strings, ``(name, value)`` pairs or a mapping -> pairs.

    Refuses what would corrupt a request: a missing colon, a name that is not
    an HTTP token, CR/LF/NUL in a value (header injection).
    """
    if value is None:
        return ()
    items: Iterable[Any]
    if isinstance(value, Mapping):
        items = value.items()
    elif isinstance(value, str):
        items = [value]
    elif isinstance(value, Iterable):
        items = value
    else:
        raise OptionError(f"{_describe(name, value)}: expected 'Name:value' strings")
    pairs: list[Header] = []
    for item in items:
        if isinstance(item, str):
            key, sep, val = item.partition(":")
            if not sep:
                raise OptionError(
                    f"option {name!r}: {item!r} is not of the form 'Name:value'"
                )
        elif isinstance(item, tuple) and len(item) == 2:
            key, val = str(item[0]), str(item[1])
        else:
            raise OptionError(f"option {name!r}: {item!r} is not of the form 'Name:value'")
        key, val = key.strip(), val.strip()
        if not _HEADER_NAME.match(key):
            raise OptionError(f"option {name!r}: {key!r} is not a valid header name")
        if any(c in val for c in "\r\n\0"):
            raise OptionError(
                f"option {name!r}: the value of {key!r} contains a line break or NUL"
            )
        pairs.append((key, val))
    return tuple(pairs)


def _mapping(name: str, value: object) -> Mapping[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise OptionError(f"{_describe(name, value)}: expected a mapping")
    return dict(value)


def _segment_size(name: str, value: object) -> int | None:
    if value is None or value == "":
        return None
    return _int(name, value, minimum=1)


def _build_coercers() -> dict[str, Callable[[str, object], Any]]:
    special: dict[str, Callable[[str, object], Any]] = {
        "auth_version": _auth_version,
        "retries": _count(0),
        "container_threads": _count(1),
        "object_uu_threads": _count(1),
        "object_dd_threads": _count(1),
        "segment_threads": _count(1),
        "object_threads": _opt_count(1),
        "verbose": _count(0),
        "segment_size": _segment_size,
        "timeout": _opt_float,
        "retry_after": _opt_float,
        "starting_backoff": _float,
        "max_backoff": _float,
        "header": parse_headers,
        "meta": parse_headers,
        "os_options": _mapping,
        "marker": _str,
        "end_marker": _str,
        "version_marker": _str,
        "use_slo": _opt_bool,
        "changed": _opt_bool,
    }
    coercers: dict[str, Callable[[str, object], Any]] = {}
    for f in dataclasses.fields(Options):
        if f.name == "sources":
            continue
        if f.name in special:
            coercers[f.name] = special[f.name]
        elif f.type in ("bool",):
            coercers[f.name] = _bool
        elif f.type in ("str | None",):
            coercers[f.name] = _opt_str
        else:  # pragma: no cover - a new field without a coercer is a bug
            raise TypeError(f"no coercer for option {f.name} ({f.type})")
    return coercers


_COERCE = _build_coercers()
KNOWN_OPTIONS = frozenset(_COERCE)


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, KNOWN_OPTIONS, n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
