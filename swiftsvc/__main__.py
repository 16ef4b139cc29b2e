"""``python -m swiftsvc``: the ``swiftsvc`` command."""

from swiftsvc.cli.main import main

if __name__ == "__main__":
    raise SystemExit(main())
