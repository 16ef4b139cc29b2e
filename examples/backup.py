"""Incremental backup of a folder to Swift, and a verified restore.

::

    python examples/backup.py backup ~/photos --container photos-backup
    python examples/backup.py restore --container photos-backup ~/photos-restored

Authentication comes from the ``swift`` command's flags (``-A/-U/-K``,
``--os-*``) or from the environment (``ST_AUTH``/``ST_USER``/``ST_KEY``,
``OS_*``), through :mod:`swiftsvc.cli_utils`.

``backup`` uploads the files under SRC, named by their path relative to SRC,
and only those whose size or modification time differ from the object's
(the ``changed`` option), or with ``--skip-identical`` only those whose MD5
differs. Files larger than ``--segment-size`` become Static Large Objects,
their segments in ``<container>_segments``; the old segments of a file
that is uploaded again are removed. Objects of files deleted locally stay.

``restore`` downloads every object of the container into DEST. The library
checks each object's MD5 as it streams (segment by segment for a large
object) and restores the files' modification times; the tool counts what
was restored.

Both print a summary and exit 0 only when nothing failed (1 otherwise, 2 for
usage errors).
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Sequence
from pathlib import Path

from _report import Tally, run_phase, show_progress, table

from swiftsvc import Service, SwiftError, cli_utils
from swiftsvc.errors import ClientException

DEFAULT_SEGMENT_SIZE = 1 << 30


def backup(
    svc: Service,
    source: Path,
    container: str,
    *,
    segment_size: int = DEFAULT_SEGMENT_SIZE,
    skip_identical: bool = False,
    progress: bool = False,
    phase: str = "backup",
) -> Tally:
    """Upload what changed under ``source`` into ``container``."""
    options = {
        "segment_size": segment_size,
        "use_slo": True,
        # size + mtime is free to compare (one listing answers for the whole
        # tree); MD5 means reading every file again
        "changed": not skip_identical,
        "skip_identical": skip_identical,
    }
    # "." from inside SRC, as in `cd SRC && swift upload C .`: the objects are
    # named relative to SRC, and the directory is one source, so the library
    # learns what exists from one container listing instead of a HEAD per file
    with contextlib.chdir(source):
        return run_phase(
            phase,
            lambda subscriber: svc.upload(container, ["."], options=options, progress=subscriber),
            progress=progress,
        )


def restore(
    svc: Service,
    container: str,
    destination: Path,
    *,
    progress: bool = False,
    phase: str = "restore",
) -> Tally:
    """Download every object of ``container`` into ``destination``, verified."""
    destination.mkdir(parents=True, exist_ok=True)
    options = {"out_directory": str(destination), "checksum": True}
    return run_phase(
        phase,
        lambda subscriber: svc.download(container, options=options, progress=subscriber),
        progress=progress,
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backup.py", description="Incremental backup of a folder to Swift, and restore."
    )
    cli_utils.add_parser_options(parser, default_threads=None)
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("backup", help="upload the files of SRC that changed")
    up.add_argument("source", metavar="SRC", type=Path)
    up.add_argument("--container", required=True)
    up.add_argument(
        "--segment-size",
        type=cli_utils.parse_size,
        default=DEFAULT_SEGMENT_SIZE,
        help="files larger than this are uploaded in segments, e.g. 64M (default 1G)",
    )
    up.add_argument(
        "--skip-identical",
        action="store_true",
        help="compare MD5s (reads every file) rather than size and modification time",
    )

    down = commands.add_parser("restore", help="download the container into DEST")
    down.add_argument("--container", required=True)
    down.add_argument("destination", metavar="DEST", type=Path)

    # the auth options may also follow the command: `backup.py backup -A ... SRC`
    for sub in (up, down):
        cli_utils.add_parser_options(sub, default_threads=None, suppress_defaults=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cli_utils.setup_logger(args)
    progress = show_progress() and cli_utils.verbosity(args) >= 0
    try:
        with cli_utils.create_service(args) as svc:
            if args.command == "backup":
                if not args.source.is_dir():
                    print(f"error: {args.source} is not a folder", file=sys.stderr)
                    return 2
                tally = backup(
                    svc,
                    args.source,
                    args.container,
                    segment_size=args.segment_size,
                    skip_identical=args.skip_identical,
                    progress=progress,
                )
            else:
                tally = restore(svc, args.container, args.destination, progress=progress)
    except (SwiftError, ClientException) as error:  # the call failed as a whole
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("\n".join(table([tally])))
    if tally.failed:
        print(f"{tally.failed} failed", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
