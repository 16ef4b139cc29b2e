"""``swiftsvc tempurl``: the ``swift tempurl`` subcommand on :mod:`swiftsvc.tempurl`.

With a key and a full path (``/v1/AUTH_acct/c/o`` or a URL) it signs
offline, as ``swift tempurl`` does. Without a key, the key is read from the
container's metadata, then the account's; a ``container/object`` path is
resolved against the storage URL. Both need credentials.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING
from urllib.parse import quote, unquote, urlsplit

from swiftsvc.cli.output import Output
from swiftsvc.cli.usage import UsageError
from swiftsvc.errors import SwiftError
from swiftsvc.tempurl import generate_temp_url, temp_url_keys

if TYPE_CHECKING:
    from swiftsvc.service import Service


def _full_path(path: str) -> bool:
    """``/v1/...`` or ``scheme://host/v1/...``: a path that names its account."""
    return path.startswith("/") or bool(urlsplit(path).scheme)


def _sign(args: argparse.Namespace, path: str, key: str) -> str:
    try:
        return generate_temp_url(
            path, args.time, key, args.method, absolute=args.absolute_expiry,
            prefix=args.prefix_based, iso8601=args.iso8601, ip_range=args.ip_range,
            digest=args.digest,
        )  # fmt: skip
    except ValueError as error:
        raise UsageError(str(error)) from None


def tempurl_needs_credentials(args: argparse.Namespace) -> bool:
    return args.temp_url_key is None or not _full_path(args.path)


def tempurl_offline(args: argparse.Namespace, out: Output) -> bool:
    """Sign without any request when the key and the account are given."""
    if tempurl_needs_credentials(args):
        return False
    out.line(_sign(args, args.path, args.temp_url_key), essential=True)
    return True


def run_tempurl(svc: Service, args: argparse.Namespace, out: Output) -> None:
    path: str = args.path
    if _full_path(path):
        container = _container_in_own_account(svc, path)
    else:
        container, _, name = path.partition("/")
        if not container or (not name and not args.prefix_based):
            raise UsageError(
                f"path must be container/object (or /v1/<account>/<container>/<object>): {path!r}"
            )
        base = svc.get_endpoint("container", container, full=True)
        path = f"{base}/{quote(name, safe='/')}"
    key = args.temp_url_key
    if key is None:
        keys = temp_url_keys(svc, container)
        if not keys:
            raise SwiftError(
                f"no temporary URL key is set on container {container!r} or on the "
                f"account: give the key, or set one with "
                f"`swiftsvc post -m Temp-URL-Key:<secret> {container}`"
            )
        key = keys[0]
    out.line(_sign(args, path, key), essential=True)


def _container_in_own_account(svc: Service, path: str) -> str:
    """The container of a full ``path``; the key is read from *our* account's
    metadata, so a path in another account is refused."""
    ours = unquote(urlsplit(svc.get_endpoint("account")).path).rstrip("/")
    given = unquote(urlsplit(path).path)
    if not given.startswith(ours + "/"):
        raise UsageError(
            f"{path!r} is not in your account ({ours}): its key cannot be read "
            "from your metadata; give the key"
        )
    container = given[len(ours) + 1 :].split("/", 1)[0]
    if not container:
        raise UsageError(
            f"path must be an object's full path, e.g. /v1/AUTH_account/container/object: {path!r}"
        )
    return container
