"""The ``swiftsvc`` command: the ``swift`` command's subcommands and flags on swiftsvc.

Exit codes: 0 when everything succeeded, 1 when any operation failed, 2 for
usage errors (bad flags, flags that do not go together, bad option values),
130 when interrupted with Ctrl-C (after cancelling the queued work and
printing what was done).

Common options go before or after the subcommand (``swiftsvc -A url list``
and ``swiftsvc list -A url``), as with the ``swift`` command.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TextIO

from swiftsvc import cli_utils
from swiftsvc.cli.commands import COMMANDS, Command, UsageError
from swiftsvc.cli.output import Output
from swiftsvc.cli.parser import build_parser
from swiftsvc.cli.progress import ProgressBar, ProgressState
from swiftsvc.errors import ClientException, OptionError, SwiftError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def _usage_error(parser: argparse.ArgumentParser, command: str | None, message: str) -> int:
    sys.stderr.write(f"{parser.prog} {command or ''}".rstrip() + f": error: {message}\n")
    return EXIT_USAGE


def _show_bar(args: argparse.Namespace, stdout: TextIO, stderr: TextIO) -> bool:
    return (
        COMMANDS[args.command].transfer
        and not args.json
        and cli_utils.verbosity(args) >= 0
        and getattr(args, "out_file", None) != "-"
        and stdout.isatty()
        and stderr.isatty()
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit code (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, --version, or a usage error (2)
        return exit_.code if isinstance(exit_.code, int) else EXIT_USAGE
    command = COMMANDS[args.command]
    try:
        command.check(args)
    except UsageError as error:
        return _usage_error(parser, args.command, str(error))
    with _logging(args):
        return _run(parser, args, command)


@contextlib.contextmanager
def _logging(args: argparse.Namespace) -> Iterator[None]:
    """The library's logging set up for this run, and put back afterwards
    (``main`` may run inside another program, or a test)."""
    logger = logging.getLogger("swiftsvc")
    level, handlers = logger.level, list(logger.handlers)
    cli_utils.setup_logger(args)
    try:
        yield
    finally:
        for handler in list(logger.handlers):
            if handler not in handlers:
                logger.removeHandler(handler)
        logger.setLevel(level)


def _run(parser: argparse.ArgumentParser, args: argparse.Namespace, command: Command) -> int:
    stdout, stderr = sys.stdout, sys.stderr
    # with -o -, stdout carries the object: every message goes to stderr
    text_stream = stderr if getattr(args, "out_file", None) == "-" else stdout
    out = Output(
        stdout=text_stream, stderr=stderr, json_lines=args.json, verbosity=cli_utils.verbosity(args)
    )
    state = ProgressState()
    overrides = {"fail_fast": True} if args.fail_fast else {}
    try:
        with contextlib.ExitStack() as stack:
            svc = stack.enter_context(cli_utils.create_service(args, progress=state, **overrides))
            if _show_bar(args, stdout, stderr):
                out.bar = stack.enter_context(ProgressBar(state, stderr))
            command.run(svc, args, out)
    except KeyboardInterrupt:
        out.bar = None
        numbers = state.snapshot()
        stderr.write(
            f"\ninterrupted: {out.done} done, {out.failures} failed, "
            f"{numbers.not_started} not started\n"
        )
        return EXIT_INTERRUPTED
    except OptionError as error:
        return _usage_error(parser, args.command, str(error))
    except (SwiftError, ClientException) as error:
        out.bar = None
        out.error(f"Error: {error}")
        return EXIT_FAILED
    except BrokenPipeError:
        # the reader went away (| head): stop quietly, and keep Python's
        # exit-time flush from complaining about stdout again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_FAILED
    except OSError as error:  # network trouble outside any result (requests' errors too)
        out.bar = None
        out.error(f"Error: {error}")
        return EXIT_FAILED
    return EXIT_FAILED if out.failures else EXIT_OK
