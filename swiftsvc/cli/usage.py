"""The error for arguments that do not make sense (the command exits 2)."""


class UsageError(Exception):
    """The arguments do not make sense together, or a value is malformed (exit code 2)."""
