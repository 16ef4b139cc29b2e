"""swiftsvc: a threaded storage-service library for OpenStack Swift.

A drop-in for python-swiftclient's ``SwiftService``: same option names,
operations and result dicts (see docs/COMPAT.md; the result types are in
:mod:`swiftsvc.results`)::

    from swiftsvc import Service

    with Service({"auth": ..., "user": ..., "key": ...}) as svc:
        for result in svc.upload("photos", ["2024/"]):
            if not result["success"]:
                print(result["error"])
"""

import logging

from swiftsvc.errors import AuthError, ClientException, OptionError, SwiftError
from swiftsvc.objects import (
    CopyObject,
    DeleteObject,
    PostObject,
    SwiftCopyObject,
    SwiftDeleteObject,
    SwiftPostObject,
    SwiftUploadObject,
    UploadObject,
)
from swiftsvc.service import Service, SwiftService

__version__ = "0.1.0"

# a library logs, the application shows: without a handler of the
# application's, no warning of ours reaches its stderr (as python-swiftclient)
logging.getLogger(__name__).addHandler(logging.NullHandler())

__all__ = [
    "AuthError",
    "ClientException",
    "CopyObject",
    "DeleteObject",
    "OptionError",
    "PostObject",
    "Service",
    "SwiftCopyObject",
    "SwiftDeleteObject",
    "SwiftError",
    "SwiftPostObject",
    "SwiftService",
    "SwiftUploadObject",
    "UploadObject",
    "__version__",
]
