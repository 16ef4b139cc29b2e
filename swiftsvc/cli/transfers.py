"""The ``upload`` and ``download`` subcommands: what to send or fetch, and each result's line.

``upload`` turns its arguments into sources (standard input, files, a tree
renamed by ``--object-name``); :mod:`swiftsvc.cli.interrupt` walks the same
sources again to count what an interrupt left.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from swiftsvc.cli.calls import check_container, consume, given
from swiftsvc.cli.output import Output, Result, download_line, upload_line
from swiftsvc.cli.usage import UsageError
from swiftsvc.errors import ClientException

if TYPE_CHECKING:
    from swiftsvc.service import Service

# the swift command's default segment size for uploads from stdin
STDIN_SEGMENT_SIZE = 10 * 1024 * 1024


# ---------------------------------------------------------------- upload


def check_upload(args: argparse.Namespace) -> None:
    # no check_container: "cont/pseudo/dir" prefixes the object names
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
        out.result(result, upload_line(result, verbose=out.verbosity > 0))
        error = result.get("error")
        if isinstance(error, ClientException) and error.http_status == 413:
            out.warning("Consider using the --segment-size option to chunk the object")

    consume(svc, svc.upload(args.container, sources, options=options), report)


# -------------------------------------------------------------- download


def check_download(args: argparse.Namespace) -> None:
    check_container(args)
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
            out.skipped(result, None if to_stdout else download_line(result))
            return
        error = result.get("error")
        missing = None
        if isinstance(error, ClientException) and error.http_status == 404:
            missing = f"Object '{result.get('container')}/{result.get('object')}' not found"
        text = None if to_stdout else download_line(result)
        out.result(result, text, error_text=missing)

    if args.container is None:
        results = svc.download(options=options)
    else:
        results = svc.download(
            container=args.container, objects=args.objects or None, options=options
        )
    consume(svc, results, report)
