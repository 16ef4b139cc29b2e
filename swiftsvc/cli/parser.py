"""The ``swiftsvc`` command's arguments: the ``swift`` command's subcommands and flags.

Every flag's ``dest`` is the option name it sets (docs/COMPAT.md §2); flags not given
parse as None, so only what the user typed reaches the Service (see
:func:`swiftsvc.cli.calls.given`). Common options go before or after the
subcommand (``swiftsvc -A url list`` and ``swiftsvc list -A url``). Each
subcommand's own arguments are in :mod:`swiftsvc.cli.arguments`.
"""

from __future__ import annotations

import argparse
import difflib
import sys
from collections.abc import Sequence
from typing import Any

from swiftsvc import __version__
from swiftsvc.cli import arguments, utils as cli_utils

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
    positionals: str = "",
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
        usage=f"swiftsvc [common options] {name} [options] {positionals}".rstrip(),
        # download's -D (--output-dir) takes over the common -D (--debug)
        conflict_handler="resolve",
    )
    _add_common(parser, subcommand=True)
    return parser


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
    arguments.add_stat(stat)
    listing = _subparser(
        subparsers, "list", "list the containers or a container's objects", "[container]"
    )
    arguments.add_list(listing)
    upload = _subparser(
        subparsers, "upload", "upload files and directories", "container file_or_directory [...]"
    )
    arguments.add_upload(upload)
    download = _subparser(subparsers, "download", "download objects", "[container [object ...]]")
    arguments.add_download(download)
    delete = _subparser(
        subparsers, "delete", "delete a container or objects", "[container [object ...]]"
    )
    arguments.add_delete(delete)
    post = _subparser(
        subparsers,
        "post",
        "update metadata (creates a missing container)",
        "[container [object ...]]",
    )
    arguments.add_post(post)
    copy = _subparser(subparsers, "copy", "copy objects (server side)", "container object [...]")
    arguments.add_copy(copy)
    capabilities = _subparser(
        subparsers,
        "capabilities",
        "show the cluster's capabilities",
        "[proxy_url]",
        aliases=["info"],
    )
    arguments.add_capabilities(capabilities)
    tempurl = _subparser(
        subparsers,
        "tempurl",
        "print a temporary URL: a signed link to an object that needs no token",
        "method time path [key]",
    )
    arguments.add_tempurl(tempurl)
    _subparser(subparsers, "auth", "print shell exports of the storage URL and token")
    completion = _subparser(
        subparsers,
        "bash_completion",
        "print the subcommands, or a subcommand's flags, for shell completion",
        "[subcommand]",
    )
    arguments.add_bash_completion(completion)
    return parser
