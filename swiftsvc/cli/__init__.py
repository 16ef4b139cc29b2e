"""The ``swiftsvc`` command line (``python -m swiftsvc``); see :mod:`swiftsvc.cli.main`.

Scripts of your own: :mod:`swiftsvc.cli_utils`.
"""

from swiftsvc.cli.main import main

__all__ = ["main"]
