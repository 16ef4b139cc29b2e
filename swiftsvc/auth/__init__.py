"""Authentication: one shared authenticator per Service, whatever the scheme.

``build_authenticator(options)`` picks the scheme (v1.0, Keystone v2.0, v3,
v3 application credential, or pre-authenticated) from the options; every
connection of the Service asks it for :class:`Credentials`.
"""

from __future__ import annotations

from swiftsvc.auth.base import Authenticator, Credentials
from swiftsvc.auth.factory import build_authenticator, choose_scheme

__all__ = ["Authenticator", "Credentials", "build_authenticator", "choose_scheme"]
