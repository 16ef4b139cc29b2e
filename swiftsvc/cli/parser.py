"""The ``swiftsvc`` command's arguments: the ``swift`` command's subcommands and flags.

Every flag's ``dest`` is the option name it sets (docs/COMPAT.md §2); flags not given
parse as None, so only what the user typed reaches the Service (see
:func:`swiftsvc.cli.commands.given`). Common options go before or after the
subcommand (``swiftsvc -A url list`` and ``swiftsvc list -A url``).
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from typing import Any

from swiftsvc import __version__
from swiftsvc.cli import utils as cli_utils

PROG = "swiftsvc"
_DESCRIPTION = "Command-line interface to OpenStack Swift, on the swiftsvc library."
_EPILOG = """examples:
  swiftsvc -A http://127.0.0.1:8080/auth/v1.0 -U test:tester -K testing stat
  swiftsvc upload --segment-size 1G backups disk.img
  swiftsvc list --lh photos
  swiftsvc tempurl GET 1h photos/cat.jpg   # key read from the metadata
  eval "$(swiftsvc auth)"   # then --os-storage-url/--os-auth-token come from the environment

where swiftsvc differs from the swift command (see docs/CLI.md):
  - a flag it does not know is an error (exit 2, with the flag meant), where
    swift ignores it: a typo such as --segmnet-size must not go unnoticed
  - Ctrl-C cancels the work, prints what was done, sent and kept, and exits
    130 (swift exits 2); an interrupted segmented upload keeps the segments
    that landed, and the same command again reuses them
  - --debug-with-secrets is refused: no output shows a token or a key
    (use --debug, secrets redacted; `swiftsvc auth` prints the token)
  - usage errors exit 2, failures 1; --json prints one JSON result per line
    (list and capabilities: swift's JSON)
"""

# the subcommands' other names, as the swift command accepts them
ALIASES = {"info": "capabilities"}


def _add_common(parser: argparse.ArgumentParser, *, subcommand: bool) -> None:
    """Options every subcommand understands; on subcommands they must not reset defaults."""
    cli_utils.add_parser_options(parser, default_threads=None, suppress_defaults=subcommand)
    group = parser.add_argument_group("output and behaviour")
    default: Any = argparse.SUPPRESS if subcommand else False
    group.add_argument(
        "--json",
        action="store_true",
        dest="json",
        default=default,
        help="print one JSON result per line (list and capabilities: swift's JSON)",
    )
    group.add_argument(
        "--fail-fast",
        action="store_true",
        dest="fail_fast",
        default=default,
        help="stop queued work after the first failure",
    )
    group.add_argument(
        "--debug-with-secrets",
        action="store_true",
        dest="debug_with_secrets",
        default=default,
        help="refused: swiftsvc never prints secrets (use --debug)",
    )
    if not subcommand:
        group.add_argument(
            "--os-help",
            "--os_help",
            action=_OsHelp,
            nargs=0,
            default=argparse.SUPPRESS,
            help="show the authentication and connection options only, and exit",
        )


class _OsHelp(argparse.Action):
    """``--os-help``: the server, authentication and TLS options (the swift command's habit)."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        formatter = parser._get_formatter()
        formatter.add_usage(parser.usage, [], [])
        for group in parser._action_groups:
            if group.title in AUTH_GROUPS:
                formatter.start_section(group.title)
                formatter.add_arguments(group._group_actions)
                formatter.end_section()
        formatter.add_text("Each option falls back to the environment variable named with it.")
        sys.stdout.write(formatter.format_help())  # help goes to stdout, as --help's
        parser.exit(0)


# the groups cli_utils.add_parser_options fills with server and auth options
AUTH_GROUPS = ("server and authentication", "connection")


class CommandParser(argparse.ArgumentParser):
    """The main parser: an error after the subcommand shows that subcommand's usage,
    and an unknown flag is reported with the flag that was probably meant."""

    def parse_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        parsed, extras = self.parse_known_args(args, namespace)
        if extras:
            target: argparse.ArgumentParser = self
            command = getattr(parsed, "command", None)
            if command is not None:
                target = subcommand_parser(self, command) or self
            target.error(unrecognized_message(target, extras))
        return parsed


def _subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return dict(action.choices)
    return {}


def subcommand_parser(parser: argparse.ArgumentParser, name: str) -> argparse.ArgumentParser | None:
    """The parser of subcommand ``name`` (or an alias of it), None if there is none."""
    return _subcommands(parser).get(name)


def subcommand_names(parser: argparse.ArgumentParser) -> list[str]:
    """Every subcommand name, aliases included."""
    return list(_subcommands(parser))


def unrecognized_message(parser: argparse.ArgumentParser, extras: Sequence[str]) -> str:
    """``unrecognized arguments: --segmnet-size 1G (did you mean --segment-size?)``."""
    known = list(parser._option_string_actions)
    hints = []
    for extra in extras:
        flag = extra.split("=", 1)[0]
        if flag.startswith("-"):
            close = difflib.get_close_matches(flag, known, n=1, cutoff=0.75)
            if close:
                hints.append(f"{flag}: did you mean {close[0]}?")
    text = f"unrecognized arguments: {' '.join(extras)}"
    return f"{text} ({'; '.join(hints)})" if hints else text


def _subparser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    text: str,
    arguments: str = "",
    aliases: Sequence[str] = (),
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name,
        aliases=list(aliases),
        # "swiftsvc upload: error: ...", not the main parser's whole usage line
        prog=f"{PROG} {name}",
        help=text,
        description=text,
        # the common options would fill a screen: say they exist instead
        usage=f"swiftsvc [common options] {name} [options] {arguments}".rstrip(),
        # download's -D (--output-dir) takes over the common -D (--debug)
        conflict_handler="resolve",
    )
    _add_common(parser, subcommand=True)
    return parser


def _header(parser: argparse.ArgumentParser, text: str = "a request header") -> None:
    parser.add_argument(
        "-H",
        "--header",
        action="append",
        dest="header",
        default=None,
        metavar="NAME:VALUE",
        help=f"{text} (repeatable)",
    )


def _meta(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-m",
        "--meta",
        action="append",
        dest="meta",
        default=None,
        metavar="NAME:VALUE",
        help="a metadata item, e.g. -m Color:Blue (repeatable)",
    )


def _flag(parser: argparse.ArgumentParser, *flags: str, dest: str, help: str) -> None:
    # None when absent, so the library default (or the Service's) applies
    parser.add_argument(*flags, action="store_true", dest=dest, default=None, help=help)


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(
        prog=PROG,
        usage="swiftsvc [common options] <subcommand> [options] [arguments]",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"swiftsvc {__version__}")
    _add_common(parser, subcommand=False)
    subparsers = parser.add_subparsers(
        dest="command", metavar="<subcommand>", required=True, parser_class=argparse.ArgumentParser
    )

    stat = _subparser(
        subparsers, "stat", "show the account, a container or objects", "[container [object ...]]"
    )
    stat.add_argument("container", nargs="?")
    stat.add_argument("objects", nargs="*")
    stat.add_argument("--lh", action="store_true", dest="human", help="human-readable sizes")
    stat.add_argument("--version-id", dest="version_id", help="a version of the object")
    _header(stat)

    listing = _subparser(
        subparsers, "list", "list the containers or a container's objects", "[container]"
    )
    listing.add_argument("container", nargs="?")
    listing.add_argument("-l", "--long", action="store_true", help="long listing, like ls -l")
    listing.add_argument(
        "--lh",
        action="store_true",
        dest="human",
        help="long listing with human-readable sizes, like ls -lh",
    )
    listing.add_argument(
        "-t", "--totals", action="store_true", help="with --long or --lh: only the totals"
    )
    listing.add_argument("-p", "--prefix", help="only names starting with this")
    listing.add_argument("-d", "--delimiter", help="roll up names at this character")
    listing.add_argument("--marker", help="start after this name")
    listing.add_argument("--end-marker", dest="end_marker", help="stop before this name")
    listing.add_argument(
        "-j",
        "--json",
        action="store_true",
        dest="json",
        default=argparse.SUPPRESS,
        help="the listing as a JSON array of entries, as swift list --json prints it",
    )
    _flag(listing, "--versions", dest="versions", help="every version of each object")
    _header(listing)

    upload = _subparser(
        subparsers, "upload", "upload files and directories", "container file_or_directory [...]"
    )
    upload.add_argument("container")
    upload.add_argument(
        "files",
        nargs="+",
        metavar="file_or_directory",
        help='"-" reads standard input (needs --object-name)',
    )
    _flag(upload, "-c", "--changed", dest="changed", help="only files whose size or mtime changed")
    _flag(
        upload,
        "--skip-identical",
        dest="skip_identical",
        help="skip files identical on both sides (MD5)",
    )
    _flag(
        upload,
        "--skip-container-put",
        dest="skip_container_put",
        help="assume the containers exist",
    )
    upload.add_argument(
        "-S",
        "--segment-size",
        dest="segment_size",
        type=cli_utils.parse_size,
        metavar="SIZE",
        help="segment files larger than SIZE (e.g. 64M, 1G)",
    )
    upload.add_argument(
        "-C",
        "--segment-container",
        dest="segment_container",
        help="where segments go (default <container>_segments)",
    )
    _flag(
        upload,
        "--leave-segments",
        dest="leave_segments",
        help="keep the old segments of overwritten large objects",
    )
    upload.add_argument(
        "--use-slo",
        action="store_true",
        dest="use_slo",
        default=None,
        help="segmented uploads as Static Large Objects (the default)",
    )
    upload.add_argument(
        "--use-dlo",
        action="store_false",
        dest="use_slo",
        default=None,
        help="segmented uploads as Dynamic Large Objects",
    )
    upload.add_argument(
        "--object-name", dest="object_name", help="the object's name (or prefix, for a directory)"
    )
    upload.add_argument(
        "--ignore-checksum",
        action="store_false",
        dest="checksum",
        default=None,
        help="do not verify checksums",
    )
    _flag(upload, "--ignore-mtime", dest="ignore_mtime", help="do not store the files' mtime")
    _flag(
        upload,
        "--batch",
        dest="batch",
        help="send small files in bulk (tar archives) when the cluster allows",
    )
    _meta(upload)
    _header(upload)

    download = _subparser(subparsers, "download", "download objects", "[container [object ...]]")
    download.add_argument("container", nargs="?")
    download.add_argument("objects", nargs="*")
    _flag(download, "-a", "--all", dest="yes_all", help="download the whole account")
    download.add_argument("-m", "--marker", help="start after this name")
    download.add_argument("-p", "--prefix", help="only objects starting with this")
    download.add_argument(
        "-o", "--output", dest="out_file", help='write the one object here ("-": standard output)'
    )
    download.add_argument(
        "-D", "--output-dir", dest="out_directory", help="write objects under this directory"
    )
    _flag(
        download,
        "-r",
        "--remove-prefix",
        dest="remove_prefix",
        help="with --prefix: local names without it",
    )
    _flag(download, "--no-download", dest="no_download", help="do everything but write")
    _flag(
        download,
        "--skip-identical",
        dest="skip_identical",
        help="skip objects identical to the local file",
    )
    download.add_argument("--version-id", dest="version_id", help="a version of the object")
    _flag(download, "--versions", dest="versions", help="every version")
    download.add_argument(
        "--ignore-checksum",
        action="store_false",
        dest="checksum",
        default=None,
        help="do not verify checksums",
    )
    download.add_argument(
        "--no-shuffle",
        action="store_false",
        dest="shuffle",
        default=None,
        help="download in listing order",
    )
    download.add_argument(
        "--shuffle",
        action="store_true",
        dest="shuffle",
        default=None,
        help="download in random order",
    )
    _flag(download, "--ignore-mtime", dest="ignore_mtime", help="do not restore mtimes")
    _header(download, "a request header such as Range")

    delete = _subparser(
        subparsers, "delete", "delete a container or objects", "[container [object ...]]"
    )
    delete.add_argument("container", nargs="?")
    delete.add_argument("objects", nargs="*")
    _flag(delete, "-a", "--all", dest="yes_all", help="delete everything in the account")
    delete.add_argument("-p", "--prefix", help="only objects starting with this")
    _flag(delete, "--versions", dest="versions", help="every version")
    delete.add_argument("--version-id", dest="version_id", help="a version of the object")
    _flag(
        delete, "--leave-segments", dest="leave_segments", help="keep the segments of large objects"
    )
    _header(delete)

    post = _subparser(
        subparsers,
        "post",
        "update metadata (creates a missing container)",
        "[container [object ...]]",
    )
    post.add_argument("container", nargs="?")
    post.add_argument("objects", nargs="*")
    post.add_argument("-r", "--read-acl", dest="read_acl", help="container read ACL")
    post.add_argument("-w", "--write-acl", dest="write_acl", help="container write ACL")
    post.add_argument("-t", "--sync-to", dest="sync_to", help="container sync destination")
    post.add_argument("-k", "--sync-key", dest="sync_key", help="container sync key")
    _meta(post)
    _header(post)

    copy = _subparser(subparsers, "copy", "copy objects (server side)", "container object [...]")
    copy.add_argument("container")
    copy.add_argument("objects", nargs="+")
    copy.add_argument(
        "-d",
        "--destination",
        dest="destination",
        help="/container or /container/object (default: the object itself)",
    )
    _flag(
        copy,
        "-M",
        "--fresh-metadata",
        dest="fresh_metadata",
        help="copy without the existing metadata",
    )
    _meta(copy)
    _header(copy)

    capabilities = _subparser(
        subparsers,
        "capabilities",
        "show the cluster's capabilities",
        "[proxy_url]",
        aliases=["info"],
    )
    capabilities.add_argument("url", nargs="?", help="a proxy URL (no authentication then)")
    capabilities.add_argument(
        "--json",
        action="store_true",
        dest="json",
        default=argparse.SUPPRESS,
        help="the capabilities as one JSON document, as swift capabilities --json prints them",
    )

    _add_tempurl(subparsers)
    _subparser(subparsers, "auth", "print shell exports of the storage URL and token")
    completion = _subparser(
        subparsers,
        "bash_completion",
        "print the subcommands, or a subcommand's flags, for shell completion",
        "[subcommand]",
    )
    completion.add_argument("subcommand", nargs="?")
    return parser


def _add_tempurl(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    tempurl = _subparser(
        subparsers,
        "tempurl",
        "print a temporary URL: a signed link to an object that needs no token",
        "method time path [key]",
    )
    tempurl.formatter_class = argparse.RawDescriptionHelpFormatter
    tempurl.epilog = """path:  /v1/AUTH_account/container/object, a full URL, or container/object
       (resolved against your storage URL, which needs credentials)
time:  seconds from now (3600, 90s, 10m, 2h, 7d), a Unix time with --absolute,
       or an ISO 8601 time (2030-01-31T12:00:00Z is UTC, without Z local time)
key:   the account's or container's Temp-URL-Key; when not given, read from
       the container's metadata, then the account's (needs credentials)
"""
    tempurl.add_argument("method", help="the HTTP method it allows, usually GET or PUT")
    tempurl.add_argument("time", help="when it expires (see below)")
    tempurl.add_argument("path", help="the object (see below)")
    tempurl.add_argument("temp_url_key", nargs="?", metavar="key", help="the signing key")
    tempurl.add_argument(
        "--absolute",
        action="store_true",
        dest="absolute_expiry",
        help="time is a Unix timestamp, not seconds from now",
    )
    tempurl.add_argument(
        "--prefix-based",
        action="store_true",
        dest="prefix_based",
        help="path ends with an object-name prefix: the URL opens every object under it",
    )
    tempurl.add_argument(
        "--iso8601",
        action="store_true",
        help="write the expiry as an ISO 8601 UTC time rather than a Unix time",
    )
    tempurl.add_argument(
        "--ip-range", dest="ip_range", help="only clients from this address or CIDR network"
    )
    tempurl.add_argument(
        "--digest",
        choices=("sha1", "sha256", "sha512"),
        default="sha256",
        help="signature digest (default sha256; older clusters may need sha1)",
    )
