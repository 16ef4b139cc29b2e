"""One function per subcommand: check the arguments, call the Service, report.

Each ``run_<name>(svc, args, out)`` only uses the public Service API and
reports every result through :class:`~swiftsvc.cli.output.Output`, which
counts failures for the exit code. Argument combinations the ``swift``
command refuses raise :class:`UsageError` (exit code 2) before any request.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from swiftsvc.cli import output
from swiftsvc.cli.completion import completion_offline
from swiftsvc.cli.json_array import JsonArray
from swiftsvc.cli.output import Output, Result
from swiftsvc.cli.tempurl import run_tempurl, tempurl_needs_credentials, tempurl_offline
from swiftsvc.cli.usage import UsageError
from swiftsvc.errors import ClientException

if TYPE_CHECKING:
    from swiftsvc.service import Service

# the swift command's default segment size for uploads from stdin
STDIN_SEGMENT_SIZE = 10 * 1024 * 1024


def given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The call options among ``names`` that were given (not None)."""
    return {name: value for name in names if (value := getattr(args, name, None)) is not None}


def consume(svc: Service, results: Iterable[Result], report: Callable[[Result], None]) -> None:
    """Report each result; on Ctrl-C cancel the Service's work, and always close the stream."""
    iterator = iter(results)
    try:
        for result in iterator:
            report(result)
    except KeyboardInterrupt:
        svc.cancel()  # first, so closing the stream does not wait for running jobs
        raise
    finally:
        close = getattr(iterator, "close", None)
        if callable(close):
            close()


def _by_scope(
    svc: Service,
    call: Callable[..., Result | Iterator[Result]],
    args: argparse.Namespace,
    options: dict[str, Any],
    report: Callable[[Result], None],
) -> None:
    """stat / post of the account, a container (one result dict each) or
    the objects named (an iterator of results)."""
    if args.container is None or not args.objects:
        scope = {} if args.container is None else {"container": args.container}
        result = call(options=options, **scope)
        if not isinstance(result, Mapping):
            raise TypeError(f"expected one result, got {type(result).__name__}")
        report(result)
        return
    results = call(container=args.container, objects=args.objects, options=options)
    if isinstance(results, Mapping):
        raise TypeError("expected an iterator of results, got one result")
    consume(svc, results, report)


def _check_container(args: argparse.Namespace) -> None:
    container = getattr(args, "container", None)
    if container is not None and "/" in container:
        fixed = container.replace("/", " ", 1)
        raise UsageError(
            f"/ in container name; you might have meant '{fixed}' instead of '{container}'"
        )


def _no_check(args: argparse.Namespace) -> None:
    """Nothing to check beyond what argparse does."""


# ------------------------------------------------------------------ stat


def check_stat(args: argparse.Namespace) -> None:
    _check_container(args)
    if args.version_id and not args.objects:
        raise UsageError("--version-id is only allowed with an object")


def run_stat(svc: Service, args: argparse.Namespace, out: Output) -> None:
    options = given(args, "header", "version_id")

    def report(result: Result) -> None:
        out.result(result, output.stat_lines(result, human=args.human), essential=True)

    _by_scope(svc, svc.stat, args, options, report)


# ------------------------------------------------------------------ list


def check_list(args: argparse.Namespace) -> None:
    _check_container(args)
    if args.container is None and (args.delimiter or args.versions):
        raise UsageError("--delimiter and --versions are only allowed for container listings")
    if args.totals and not (args.long or args.human):
        raise UsageError("--totals only works with --long or --lh")


def run_list(svc: Service, args: argparse.Namespace, out: Output) -> None:
    long = bool(args.long or args.human)
    options = given(args, "prefix", "delimiter", "header", "versions", "marker", "end_marker")
    if long:
        options["long"] = True
    totals = output.Totals()

    def report(page: Result) -> None:
        lines = output.listing_lines(
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
        text = output.totals_line(
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


# ---------------------------------------------------------------- upload


def check_upload(args: argparse.Namespace) -> None:
    # no _check_container: "cont/pseudo/dir" prefixes the object names
    paths: list[str] = args.files
    if "-" in paths:
        if len(paths) > 1:
            raise UsageError("upload from stdin cannot be used along with other files")
        if not args.object_name:
            raise UsageError("--object-name is required for uploads from stdin")
    elif args.object_name is not None and len(paths) > 1:
        raise UsageError("--object-name can only be used with one file or directory")


def upload_sources(args: argparse.Namespace) -> Iterable[Any]:
    """What to give ``Service.upload`` (arguments already checked)."""
    from swiftsvc.objects import UploadObject

    paths: list[str] = args.files
    if paths == ["-"]:
        return [UploadObject(sys.stdin.buffer, object_name=args.object_name)]
    if args.object_name is None:
        return list(paths)
    if os.path.isdir(paths[0]):
        return _renamed_tree(paths[0], args.object_name)
    return [UploadObject(paths[0], object_name=args.object_name)]


def _renamed_tree(root: str, name: str) -> Iterator[Any]:
    """The files under ``root`` named ``<name>/<relative path>``, as the swift command does."""
    from swiftsvc.objects import UploadObject

    for folder, dirs, files in os.walk(root):
        dirs.sort()
        relative = os.path.relpath(folder, root)
        prefix = name if relative == "." else f"{name}/{relative.replace(os.sep, '/')}"
        if not dirs and not files:
            yield UploadObject(None, object_name=prefix, options={"dir_marker": True})
        for file in sorted(files):
            yield UploadObject(os.path.join(folder, file), object_name=f"{prefix}/{file}")


def run_upload(svc: Service, args: argparse.Namespace, out: Output) -> None:
    sources = upload_sources(args)
    options = given(
        args,
        "changed", "skip_identical", "skip_container_put", "segment_size",
        "segment_container", "leave_segments", "meta", "header", "use_slo",
        "checksum", "ignore_mtime", "batch",
    )  # fmt: skip
    if args.files == ["-"]:
        options.setdefault("segment_size", STDIN_SEGMENT_SIZE)
        options.setdefault("use_slo", True)

    def report(result: Result) -> None:
        if result.get("action") == "create_container" and not result.get("success"):
            # as the swift command: the container may exist and the user
            # merely lack the right to create it; uploads will tell
            out.result(result, failure_is_warning=True)
            return
        out.result(result, output.upload_line(result, verbose=out.verbosity > 0))
        error = result.get("error")
        if isinstance(error, ClientException) and error.http_status == 413:
            out.warning("Consider using the --segment-size option to chunk the object")

    consume(svc, svc.upload(args.container, sources, options=options), report)


# -------------------------------------------------------------- download


def check_download(args: argparse.Namespace) -> None:
    _check_container(args)
    if args.container is None and not args.yes_all:
        raise UsageError("give a container to download, or --all for the whole account")
    if args.container is not None and args.yes_all:
        raise UsageError("--all downloads the whole account: give no container with it")
    if args.version_id and not args.objects:
        raise UsageError("--version-id is only allowed with an object")


def run_download(svc: Service, args: argparse.Namespace, out: Output) -> None:
    options = given(
        args,
        "yes_all", "marker", "prefix", "out_file", "out_directory", "remove_prefix",
        "no_download", "header", "skip_identical", "version_id", "checksum", "shuffle",
        "ignore_mtime", "versions",
    )  # fmt: skip
    to_stdout = args.out_file == "-"

    def report(result: Result) -> None:
        contents = result.get("contents")
        if contents is not None and result.get("success"):
            sink = sys.stdout.buffer
            for chunk in contents:
                sink.write(chunk)
            sink.flush()
            out.result(result, None)
            return
        if result.get("status") == "skipped-identical":
            out.skipped(result, None if to_stdout else output.download_line(result))
            return
        error = result.get("error")
        missing = None
        if isinstance(error, ClientException) and error.http_status == 404:
            missing = f"Object '{result.get('container')}/{result.get('object')}' not found"
        text = None if to_stdout else output.download_line(result)
        out.result(result, text, error_text=missing)

    if args.container is None:
        results = svc.download(options=options)
    else:
        results = svc.download(
            container=args.container, objects=args.objects or None, options=options
        )
    consume(svc, results, report)


# ---------------------------------------------------------------- delete


def check_delete(args: argparse.Namespace) -> None:
    _check_container(args)
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
    _check_container(args)
    if any(getattr(args, name) for name in _CONTAINER_POST_OPTIONS) and (
        args.container is None or args.objects
    ):
        raise UsageError("-r, -w, -t and -k are only allowed for containers")


def run_post(svc: Service, args: argparse.Namespace, out: Output) -> None:
    options = given(args, "meta", "header", *_CONTAINER_POST_OPTIONS)

    def report(result: Result) -> None:
        out.result(result, None)

    _by_scope(svc, svc.post, args, options, report)


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
        text = json.dumps(output.json_safe(capabilities), sort_keys=True, indent=2)
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
    check: Callable[[argparse.Namespace], None] = _no_check
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
    "copy": Command(run_copy, _check_container),
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
