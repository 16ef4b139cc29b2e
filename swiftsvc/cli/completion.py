"""``swiftsvc bash_completion [subcommand]``: words for shell completion.

The protocol of ``swift bash_completion``: without an argument, the
subcommands and the common flags; with a subcommand, its flags. The bash
function that uses it is in docs/CLI.md.
"""

from __future__ import annotations

import argparse

from swiftsvc.cli.output import Output


def completion_words(subcommand: str | None) -> list[str]:
    from swiftsvc.cli.parser import build_parser, subcommand_names, subcommand_parser

    parser = build_parser()
    if subcommand is None:
        names = [name for name in subcommand_names(parser) if name != "bash_completion"]
        return sorted(names) + sorted(parser._option_string_actions)
    found = subcommand_parser(parser, subcommand)
    if found is None:
        return []
    return sorted(found._option_string_actions)


def completion_offline(args: argparse.Namespace, out: Output) -> bool:
    out.line(" ".join(completion_words(args.subcommand)), essential=True)
    return True
