"""OpenStack Swift for the PyData world: an fsspec filesystem on ``swift://``.

Needs the ``fsspec`` extra (``pip install swiftsvc[fsspec]``). Registered
with fsspec for the ``swift`` protocol, so ``pandas.read_csv("swift://c/x.csv",
storage_options={...})`` finds it; see :mod:`swiftsvc.fsspec.filesystem`.
"""

try:
    import fsspec as _fsspec  # noqa: F401
except ImportError as error:  # pragma: no cover - depends on the installation
    raise ImportError(
        "swiftsvc.fsspec needs fsspec: pip install 'swiftsvc[fsspec]'"
    ) from error

from swiftsvc.fsspec.files import SwiftFile
from swiftsvc.fsspec.filesystem import SwiftFileSystem

__all__ = ["SwiftFile", "SwiftFileSystem"]
