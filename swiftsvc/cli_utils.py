"""Command-line helpers for your own scripts: see :mod:`swiftsvc.cli.utils`.

This name stays importable (``from swiftsvc import cli_utils``) for the
scripts written against it; the code lives with the command line it serves.
"""

from swiftsvc.cli.utils import (
    SERVICE_OPTION_NAMES,
    add_parser_options,
    create_service,
    parse_size,
    service_options,
    setup_logger,
    verbosity,
)

__all__ = [
    "SERVICE_OPTION_NAMES",
    "add_parser_options",
    "create_service",
    "parse_size",
    "service_options",
    "setup_logger",
    "verbosity",
]
