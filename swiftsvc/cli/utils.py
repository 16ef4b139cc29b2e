"""Command-line helpers for your own scripts, public as ``swiftsvc.cli.utils``.

The ``swiftsvc`` command uses them too.

::

    import argparse
    from swiftsvc.cli import utils as cli_utils

    parser = argparse.ArgumentParser(description="nightly backup")
    parser.add_argument("container")
    cli_utils.add_parser_options(parser, default_threads=20)
    args = parser.parse_args()
    log = cli_utils.setup_logger(args)
    with cli_utils.create_service(args) as svc:
        print(svc.stat(args.container)["items"])

:func:`add_parser_options` adds the ``swift`` command's server and
authentication options (``-A/-U/-K``, ``-V``, every ``--os-*`` option), the
retry and timeout options, the pool sizes and ``-v/-q/-D`` verbosity.
Options the user does not give stay None and are *not* passed to the
Service, so the environment fallbacks (``ST_AUTH``, ``OS_PASSWORD``, ...)
still apply: the Service reads the environment itself.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from swiftsvc.events import Subscriber

if TYPE_CHECKING:
    from swiftsvc.service import Service

__all__ = [
    "add_parser_options",
    "create_service",
    "parse_size",
    "service_options",
    "setup_logger",
    "verbosity",
]

# (flags, dest, help); every dest is a Service option name (docs/COMPAT.md §2)
_AUTH_OPTIONS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("-A", "--auth"), "auth", "URL for obtaining an auth token (env ST_AUTH)"),
    (("-U", "--user"), "user", "user name for obtaining an auth token (env ST_USER)"),
    (("-K", "--key"), "key", "key for obtaining an auth token (env ST_KEY)"),
    (
        ("-V", "--auth-version", "--os-identity-api-version"),
        "auth_version",
        "authentication version: 1.0, 2.0 or 3 (default: chosen from the options given)",
    ),
    (("--os-username",), "os_username", "OpenStack user name (env OS_USERNAME)"),
    (("--os-user-id",), "os_user_id", "OpenStack user id (env OS_USER_ID)"),
    (("--os-user-domain-id",), "os_user_domain_id", "user domain id (env OS_USER_DOMAIN_ID)"),
    (
        ("--os-user-domain-name",),
        "os_user_domain_name",
        "user domain name (env OS_USER_DOMAIN_NAME)",
    ),
    (("--os-password",), "os_password", "OpenStack password (env OS_PASSWORD)"),
    (("--os-tenant-id",), "os_tenant_id", "tenant id, Keystone v2.0 (env OS_TENANT_ID)"),
    (("--os-tenant-name",), "os_tenant_name", "tenant name, Keystone v2.0 (env OS_TENANT_NAME)"),
    (("--os-project-id",), "os_project_id", "project id (env OS_PROJECT_ID)"),
    (("--os-project-name",), "os_project_name", "project name (env OS_PROJECT_NAME)"),
    (
        ("--os-project-domain-id",),
        "os_project_domain_id",
        "project domain id (env OS_PROJECT_DOMAIN_ID)",
    ),
    (
        ("--os-project-domain-name",),
        "os_project_domain_name",
        "project domain name (env OS_PROJECT_DOMAIN_NAME)",
    ),
    (("--os-auth-url",), "os_auth_url", "identity service URL (env OS_AUTH_URL)"),
    (
        ("--os-auth-type",),
        "os_auth_type",
        "e.g. v3applicationcredential (env OS_AUTH_TYPE)",
    ),
    (
        ("--os-application-credential-id",),
        "os_application_credential_id",
        "application credential id (env OS_APPLICATION_CREDENTIAL_ID)",
    ),
    (
        ("--os-application-credential-secret",),
        "os_application_credential_secret",
        "application credential secret (env OS_APPLICATION_CREDENTIAL_SECRET)",
    ),
    (
        ("--os-auth-token",),
        "os_auth_token",
        "a token to use instead of authenticating, with --os-storage-url (env OS_AUTH_TOKEN)",
    ),
    (
        ("--os-storage-url",),
        "os_storage_url",
        "storage URL to use instead of the catalog's (env OS_STORAGE_URL)",
    ),
    (("--os-region-name",), "os_region_name", "region of the catalog (env OS_REGION_NAME)"),
    (
        ("--os-service-type",),
        "os_service_type",
        "service type in the catalog, default object-store (env OS_SERVICE_TYPE)",
    ),
    (
        ("--os-endpoint-type",),
        "os_endpoint_type",
        "endpoint interface: public, internal or admin (env OS_ENDPOINT_TYPE)",
    ),
)

_TLS_OPTIONS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (("--os-cacert",), "os_cacert", "CA bundle to verify the server's certificate (env OS_CACERT)"),
    (("--os-cert",), "os_cert", "client certificate file (env OS_CERT)"),
    (("--os-key",), "os_key", "client certificate key file (env OS_KEY)"),
)

# every dest add_parser_options defines that is a Service option
SERVICE_OPTION_NAMES: frozenset[str] = frozenset(
    [dest for _, dest, _ in _AUTH_OPTIONS + _TLS_OPTIONS]
    + [
        "insecure",
        "timeout",
        "retries",
        "object_threads",
        "container_threads",
        "segment_threads",
    ]
)


def parse_size(text: str) -> int:
    """A byte count with the ``swift`` command's suffixes: ``1048576``, ``64M``, ``1G``.

    B, K, M, G and T are powers of 1024, in either case. Raises
    :class:`argparse.ArgumentTypeError` (so argparse reports a usage error).
    """
    raw = text.strip()
    multiplier = 1
    if raw and raw[-1].upper() in "BKMGT" and not raw.isdigit():
        multiplier = 1024 ** "BKMGT".index(raw[-1].upper())
        raw = raw[:-1]
    if not raw.isdigit():
        raise argparse.ArgumentTypeError(
            f"invalid size {text!r}: expected bytes, optionally with a B, K, M, G or T suffix"
        )
    size = int(raw) * multiplier
    if size <= 0:
        raise argparse.ArgumentTypeError(f"invalid size {text!r}: must be positive")
    return size


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r} must be a positive whole number")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid number {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must not be negative")
    return value


def _timeout(text: str) -> float:
    # the swift command accepts "30" and "30s"
    raw = text.strip().removesuffix("s")
    try:
        value = float(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid timeout {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"timeout {text!r} must be positive")
    return value


def add_parser_options(
    parser: argparse.ArgumentParser,
    *,
    default_threads: int | None = 10,
    suppress_defaults: bool = False,
) -> argparse.ArgumentParser:
    """Add the standard server/auth, connection, pool and verbosity options.

    Every option not given parses as None (flags too), and
    :func:`create_service` leaves those out, so environment variables still
    apply. ``default_threads`` is the default of ``--object-threads``,
    ``--container-threads`` and ``--segment-threads`` (None: the library's).

    ``suppress_defaults=True`` is for a subcommand parser that repeats the
    options of its main parser (``prog -A url list`` and ``prog list -A url``
    both work): options absent there leave the main parser's values alone.
    """

    def add(group: argparse._ArgumentGroup, *flags: str, **kwargs: Any) -> None:
        if suppress_defaults:
            kwargs["default"] = argparse.SUPPRESS
        group.add_argument(*flags, **kwargs)

    auth = parser.add_argument_group("server and authentication")
    for flags, dest, text in _AUTH_OPTIONS:
        add(auth, *flags, dest=dest, help=text, default=None)

    connection = parser.add_argument_group("connection")
    for flags, dest, text in _TLS_OPTIONS:
        add(connection, *flags, dest=dest, help=text, default=None)
    add(
        connection,
        "--insecure",
        action="store_true",
        dest="insecure",
        default=None,
        help="do not verify the server's TLS certificate (env SWIFTCLIENT_INSECURE)",
    )
    add(
        connection,
        "-T",
        "--timeout",
        type=_timeout,
        dest="timeout",
        default=None,
        help="seconds to wait for a connection or a response",
    )
    add(
        connection,
        "-R",
        "--retries",
        type=_non_negative_int,
        dest="retries",
        default=None,
        help="tries of a failed request after the first (default 5)",
    )
    shown = "library default" if default_threads is None else str(default_threads)
    for flag, dest, what in (
        ("--object-threads", "object_threads", "object uploads, downloads and deletes"),
        ("--container-threads", "container_threads", "container work"),
        ("--segment-threads", "segment_threads", "segments of large objects"),
    ):
        add(
            connection,
            flag,
            type=_positive_int,
            dest=dest,
            default=default_threads,
            metavar="N",
            help=f"threads for {what} (default {shown})",
        )

    output = parser.add_argument_group("verbosity")
    add(
        output,
        "-v",
        "--verbose",
        action="count",
        dest="verbose",
        default=0,
        help="say more (repeatable)",
    )
    add(
        output,
        "-q",
        "--quiet",
        action="store_true",
        dest="quiet",
        default=False,
        help="only report errors",
    )
    add(
        output,
        "-D",
        "--debug",
        action="store_true",
        dest="debug",
        default=False,
        help="log every request (secrets redacted)",
    )
    return parser


def service_options(args: argparse.Namespace, **overrides: Any) -> dict[str, Any]:
    """The Service options the user gave on the command line, plus ``overrides``.

    Only options added by :func:`add_parser_options` and actually given
    (not None) are included, so the Service's environment fallbacks apply
    to the rest.
    """
    options = {
        name: value
        for name, value in sorted(vars(args).items())
        if name in SERVICE_OPTION_NAMES and value is not None
    }
    options.update(overrides)
    return options


def create_service(
    args: argparse.Namespace, *, progress: Subscriber | None = None, **overrides: Any
) -> Service:
    """A :class:`~swiftsvc.Service` from parsed arguments (see :func:`service_options`).

    ``overrides`` are further Service options (``create_service(args,
    segment_size=1 << 30)``); ``progress`` is a progress-event subscriber.
    """
    from swiftsvc.service import Service

    options = service_options(args, **overrides)
    if progress is None:
        return Service(options)
    return Service(options, progress=progress)


def verbosity(args: argparse.Namespace) -> int:
    """-1 with ``-q``, 0 normally, +1 per ``-v``, at least 2 with ``-D``."""
    if getattr(args, "debug", False):
        return max(2, int(getattr(args, "verbose", 0) or 0))
    if getattr(args, "quiet", False):
        return -1
    return int(getattr(args, "verbose", 0) or 0)


_LEVELS = {-1: logging.ERROR, 0: logging.WARNING, 1: logging.INFO}


class _RedactSecrets(logging.Filter):
    """Belt and braces: the library never logs secrets; this hides the ones given here."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        # short values would redact innocent text; real secrets are long
        self._secrets = tuple(s for s in secrets if len(s) >= 4)

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            if any(secret in message for secret in self._secrets):
                for secret in self._secrets:
                    message = message.replace(secret, "<redacted>")
                record.msg, record.args = message, None
        return True


_SECRET_DESTS = ("key", "os_password", "os_auth_token", "os_application_credential_secret")
_HANDLER_NAME = "swiftsvc.cli.utils"


def setup_logger(
    args: argparse.Namespace | int,
    *,
    name: str = "swiftsvc",
    stream: TextIO | None = None,
) -> logging.Logger:
    """Log ``name`` (default the library's loggers) to stderr by verbosity.

    ``args`` is a parsed namespace (see :func:`verbosity`) or a verbosity
    number: -1 errors only, 0 warnings, 1 info, 2 and more debug. Calling it
    again replaces the handler it added rather than adding another.
    """
    level_number = args if isinstance(args, int) else verbosity(args)
    level = _LEVELS.get(level_number, logging.DEBUG if level_number > 1 else logging.ERROR)
    logger = logging.getLogger(name)
    for handler in list(logger.handlers):
        if handler.get_name() == _HANDLER_NAME:
            logger.removeHandler(handler)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    if isinstance(args, argparse.Namespace):
        secrets: Sequence[str] = [
            value for dest in _SECRET_DESTS if isinstance(value := getattr(args, dest, None), str)
        ]
        handler.addFilter(_RedactSecrets(secrets))
    logger.addHandler(handler)
    logger.setLevel(level)
    return logger
