"""The ``swiftsvc`` command: the ``swift`` command's subcommands and flags on swiftsvc.

Exit codes: 0 when everything succeeded, 1 when any operation failed (or
credentials are missing), 2 for usage errors (bad flags, flags that do not
go together, bad option values), 130 when interrupted with Ctrl-C (after
cancelling the queued work and printing what was done, what was sent and
what is left: :mod:`swiftsvc.cli.interrupt`).

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

from swiftsvc.cli import interrupt, utils as cli_utils
from swiftsvc.cli.commands import COMMANDS, Command, UsageError
from swiftsvc.cli.credentials import missing_credentials
from swiftsvc.cli.output import Output, auth_error_of
from swiftsvc.cli.parser import ALIASES, build_parser, subcommand_parser
from swiftsvc.cli.progress import ProgressBar, ProgressState
from swiftsvc.errors import ClientException, OptionError, SwiftError

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130

_SECRETS_REFUSED = (
    "--debug-with-secrets is refused: swiftsvc never prints tokens or keys. "
    "Use --debug (requests logged, secrets redacted); `swiftsvc auth` prints the token "
    "for a curl of your own"
)


def _usage_error(parser: argparse.ArgumentParser, command: str | None, message: str) -> int:
    """``usage: ...`` and ``swiftsvc upload: error: ...``, as argparse words its own."""
    target = (subcommand_parser(parser, command) if command else None) or parser
    target.print_usage(sys.stderr)
    sys.stderr.write(f"{target.prog}: error: {message}\n")
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
    name = args.command = ALIASES.get(args.command, args.command)
    command = COMMANDS[name]
    if args.debug_with_secrets:
        return _usage_error(parser, name, _SECRETS_REFUSED)
    try:
        command.check(args)
    except UsageError as error:
        return _usage_error(parser, name, str(error))
    out = _output(args, command)
    with _logging(args, out):
        try:
            if command.offline(args, out):
                return EXIT_OK
        except UsageError as error:
            return _usage_error(parser, name, str(error))
        if command.needs_credentials(args):
            missing = missing_credentials(args, parser)
            if missing is not None:
                out.error(f"Error: {missing}")
                return EXIT_FAILED
        return _run(parser, args, command, out)


def _output(args: argparse.Namespace, command: Command) -> Output:
    # with -o -, stdout carries the object: every message goes to stderr
    text_stream = sys.stderr if getattr(args, "out_file", None) == "-" else sys.stdout
    return Output(
        stdout=text_stream,
        stderr=sys.stderr,
        json_lines=args.json and not command.swift_json,
        verbosity=cli_utils.verbosity(args),
    )


class _AuthFailureFilter(logging.Filter):
    """Library log records caused by an auth failure go to :meth:`Output.auth_failure`,
    so the one error is said once (the operation's results carry it too)."""

    def __init__(self, out: Output) -> None:
        super().__init__()
        self._out = out

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, tuple) else ()
        causes = [*args, record.exc_info[1] if record.exc_info else None]
        for cause in causes:
            auth = auth_error_of(cause)
            if auth is not None:
                self._out.auth_failure(auth)
                return False
        return True


@contextlib.contextmanager
def _logging(args: argparse.Namespace, out: Output) -> Iterator[None]:
    """The library's logging set up for this run, and put back afterwards
    (``main`` may run inside another program, or a test)."""
    logger = logging.getLogger("swiftsvc")
    level, handlers = logger.level, list(logger.handlers)
    cli_utils.setup_logger(args)
    for handler in logger.handlers:
        if handler not in handlers:
            handler.addFilter(_AuthFailureFilter(out))
    try:
        yield
    finally:
        for handler in list(logger.handlers):
            if handler not in handlers:
                logger.removeHandler(handler)
        logger.setLevel(level)


def _interrupted(
    args: argparse.Namespace, state: ProgressState, out: Output, stderr: TextIO
) -> None:
    """Print what was done, sent and left (see :mod:`swiftsvc.cli.interrupt`)."""
    snapshot = state.snapshot()
    try:
        unwalked = interrupt.not_walked(args, snapshot)
    except KeyboardInterrupt:  # a second Ctrl-C: no count of the walk, not a traceback
        unwalked = interrupt.WalkCount(0, False)
    stream = getattr(args, "files", None) == ["-"]
    lines = interrupt.summary_lines(snapshot, out, unwalked, stream=stream)
    stderr.write("\n" + "\n".join(lines) + "\n")


def _run(
    parser: argparse.ArgumentParser, args: argparse.Namespace, command: Command, out: Output
) -> int:
    stdout, stderr = sys.stdout, sys.stderr
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
        _interrupted(args, state, out, stderr)
        return EXIT_INTERRUPTED
    except (OptionError, UsageError) as error:
        out.bar = None
        return _usage_error(parser, args.command, str(error))
    except (SwiftError, ClientException) as error:
        out.bar = None
        out.exception(error)
        out.finish()
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
    out.finish()
    return EXIT_FAILED if out.failures else EXIT_OK
