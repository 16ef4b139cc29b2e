"""The ``swiftsvc`` command line (``python -m swiftsvc``); see :mod:`swiftsvc.cli.main`.

Scripts of your own: :mod:`swiftsvc.cli.utils`.
"""

from swiftsvc.cli.main import main

__all__ = ["main"]
