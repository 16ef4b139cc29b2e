"""One function per subcommand: check the arguments, call the Service, report.

Each ``run_<name>(svc, args, out)`` only uses the public Service API and
reports every result through :class:`~swiftsvc.cli.output.Output`, which
counts failures for the exit code. Argument combinations the ``swift``
command refuses raise :class:`UsageError` (exit code 2) before any request.
``upload`` and ``download`` live in :mod:`swiftsvc.cli.transfers`, ``tempurl``
in :mod:`swiftsvc.cli.tempurl`; what they all share in :mod:`swiftsvc.cli.calls`.
:data:`COMMANDS` names every subcommand's functions.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swiftsvc.cli import output, tables
from swiftsvc.cli.calls import by_scope, check_container, consume, given, no_check
from swiftsvc.cli.completion import completion_offline
from swiftsvc.cli.json_array import JsonArray
from swiftsvc.cli.json_lines import json_safe
from swiftsvc.cli.output import Output, Result
from swiftsvc.cli.tempurl import run_tempurl, tempurl_needs_credentials, tempurl_offline
from swiftsvc.cli.transfers import check_download, check_upload, run_download, run_upload
from swiftsvc.cli.usage import UsageError

if TYPE_CHECKING:
    from swiftsvc.service import Service

# ------------------------------------------------------------------ stat


def check_stat(args: argparse.Namespace) -> None:
    check_container(args)
    if args.version_id and not args.objects:
        raise UsageError("--version-id is only allowed with an object")


def run_stat(svc: Service, args: argparse.Namespace, out: Output) -> None:
    options = given(args, "header", "version_id")

    def report(result: Result) -> None:
        out.result(result, tables.stat_lines(result, human=args.human), essential=True)

    by_scope(svc, svc.stat, args, options, report)


# ------------------------------------------------------------------ list


def check_list(args: argparse.Namespace) -> None:
    check_container(args)
    if args.container is None and (args.delimiter or args.versions):
        raise UsageError("--delimiter and --versions are only allowed for container listings")
    if args.totals and not (args.long or args.human):
        raise UsageError("--totals only works with --long or --lh")


def run_list(svc: Service, args: argparse.Namespace, out: Output) -> None:
    long = bool(args.long or args.human)
    options = given(args, "prefix", "delimiter", "header", "versions", "marker", "end_marker")
    if long:
        options["long"] = True
    totals = tables.Totals()

    def report(page: Result) -> None:
        lines = tables.listing_lines(
            page,
            long=long,
            human=bool(args.human),
            totals=totals,
            only_totals=bool(args.totals),
            versions=bool(args.versions),
        )
        out.result(page, lines, essential=True)

    if args.container is None:
        pages = svc.list(options=options)
    else:
        pages = svc.list(container=args.container, options=options)
    if args.json:
        _json_listing(svc, pages, out)
        return
    consume(svc, pages, report)
    if long and not out.failures:
        text = tables.totals_line(
            totals, of_containers=args.container is None, human=bool(args.human)
        )
        out.line(text, essential=True)


def _json_listing(svc: Service, pages: Iterable[Result], out: Output) -> None:
    """``list --json``: the entries as one JSON array, as ``swift list --json`` prints them.

    Written as the pages come, so a huge container is never held in memory;
    a failed page is reported on stderr, and what came before stays valid JSON.
    """
    array = JsonArray(out.stdout)

    def report(page: Result) -> None:
        if page.get("success"):
            for entry in page.get("listing") or ():
                array.add(entry)
        else:
            array.abandon()  # as swift: a listing that fails at once prints no JSON
            out.result(page)

    try:
        consume(svc, pages, report)
    finally:
        array.close()


# ---------------------------------------------------------------- delete


def check_delete(args: argparse.Namespace) -> None:
    check_container(args)
    if args.container is None and not args.yes_all:
        raise UsageError("give a container to delete from, or --all for the whole account")
    if args.container is not None and args.yes_all:
        raise UsageError("--all deletes the whole account: give no container with it")
    if args.version_id and not args.objects:
        raise UsageError("--version-id is only allowed with an object")
    if args.versions and args.objects:
        raise UsageError("--versions is not allowed with objects: use --version-id")


def run_delete(svc: Service, args: argparse.Namespace, out: Output) -> None:
    options = given(args, "yes_all", "prefix", "versions", "version_id", "header", "leave_segments")
    whole_account = args.container is None

    def report(result: Result) -> None:
        if result.get("action") == "bulk_delete":
            errors = output.bulk_errors(result)
            for name, reason in errors:
                out.error(f"Error Deleting: {result.get('container')}/{name}: {reason}")
            if errors and result.get("success"):
                out.failures += 1  # the result says success, yet items failed
        text = output.delete_lines(result, whole_account=whole_account)
        out.result(result, text)

    if whole_account:
        results = svc.delete(options=options)
    else:
        results = svc.delete(
            container=args.container, objects=args.objects or None, options=options
        )
    consume(svc, results, report)


# ------------------------------------------------------------------ post


_CONTAINER_POST_OPTIONS = ("read_acl", "write_acl", "sync_to", "sync_key")


def check_post(args: argparse.Namespace) -> None:
    check_container(args)
    if any(getattr(args, name) for name in _CONTAINER_POST_OPTIONS) and (
        args.container is None or args.objects
    ):
        raise UsageError("-r, -w, -t and -k are only allowed for containers")


def run_post(svc: Service, args: argparse.Namespace, out: Output) -> None:
    options = given(args, "meta", "header", *_CONTAINER_POST_OPTIONS)

    def report(result: Result) -> None:
        out.result(result, None)

    by_scope(svc, svc.post, args, options, report)


# ------------------------------------------------------------------ copy


def run_copy(svc: Service, args: argparse.Namespace, out: Output) -> None:
    options = given(args, "destination", "fresh_metadata", "meta", "header")

    def report(result: Result) -> None:
        warning = result.get("action") == "create_container"
        out.result(result, output.copy_line(result), failure_is_warning=warning)

    consume(svc, svc.copy(args.container, args.objects, options=options), report)


# ---------------------------------------------------------- capabilities


def run_capabilities(svc: Service, args: argparse.Namespace, out: Output) -> None:
    result = svc.capabilities(url=args.url) if args.url else svc.capabilities()
    capabilities: Mapping[str, Any] = result.get("capabilities") or {}
    if args.json:  # swift's format: the capabilities alone, indented
        text = json.dumps(json_safe(capabilities), sort_keys=True, indent=2)
        out.result(result, text, essential=True)
        return
    out.result(result, output.capabilities_lines(capabilities), essential=True)


def _capabilities_need_credentials(args: argparse.Namespace) -> bool:
    return not args.url  # a proxy URL's /info is public


# ------------------------------------------------------------------ auth


def run_auth(svc: Service, args: argparse.Namespace, out: Output) -> None:
    """Shell exports of the storage URL and token: the one place a token is printed."""
    from swiftsvc.auth import build_authenticator
    from swiftsvc.cli import utils as cli_utils
    from swiftsvc.options import Options

    # the Service keeps its token to itself, so authenticate here the way it
    # does: the options given, then the environment
    options = Options.from_service(cli_utils.service_options(args), os.environ)
    authenticator = build_authenticator(options)
    try:
        credentials = authenticator.get()
    finally:
        authenticator.close()
    # printed even with -q or --json: it is what the command is for
    out.stdout.write(f"export OS_STORAGE_URL={shlex.quote(credentials.storage_url)}\n")
    out.stdout.write(f"export OS_AUTH_TOKEN={shlex.quote(credentials.token)}\n")
    out.stdout.flush()


def _always(args: argparse.Namespace) -> bool:
    return True


def _offline_never(args: argparse.Namespace, out: Output) -> bool:
    return False


@dataclass(frozen=True, slots=True)
class Command:
    run: Callable[[Service, argparse.Namespace, Output], None]
    # usage errors, checked before the Service exists
    check: Callable[[argparse.Namespace], None] = no_check
    # bytes worth a progress bar
    transfer: bool = False
    # does the job without a Service when it can (True: done)
    offline: Callable[[argparse.Namespace, Output], bool] = _offline_never
    # whether the command needs credentials (checked before the Service exists)
    needs_credentials: Callable[[argparse.Namespace], bool] = _always
    # --json means swift's JSON for this command, not one result per line
    swift_json: bool = False


def _run_nothing(svc: Service, args: argparse.Namespace, out: Output) -> None:
    """For commands whose ``offline`` always does the job."""


COMMANDS: dict[str, Command] = {
    "stat": Command(run_stat, check_stat),
    "list": Command(run_list, check_list, swift_json=True),
    "upload": Command(run_upload, check_upload, transfer=True),
    "download": Command(run_download, check_download, transfer=True),
    "delete": Command(run_delete, check_delete),
    "post": Command(run_post, check_post),
    "copy": Command(run_copy, check_container),
    "capabilities": Command(
        run_capabilities, needs_credentials=_capabilities_need_credentials, swift_json=True
    ),
    "auth": Command(run_auth),
    "tempurl": Command(
        run_tempurl, offline=tempurl_offline, needs_credentials=tempurl_needs_credentials
    ),
    "bash_completion": Command(_run_nothing, offline=completion_offline),
}

__all__ = ["COMMANDS", "Command", "UsageError", "consume", "given"]
