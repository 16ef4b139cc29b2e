"""Missing credentials, told in the words a user types: ``ST_KEY`` and ``-K``.

The library names what is missing by option name (``key``), which is right
for a script and wrong for someone at a shell. Before any request, the
command asks the library's own rules (:func:`swiftsvc.auth.factory.choose_scheme`
and the Keystone parameter check) what the options given, plus the
environment, lack, and names each missing piece by its environment variable
and flags. When the library would refuse for another reason (conflicting
options), this stays silent and the library's error is shown.
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Mapping

from swiftsvc.auth.factory import choose_scheme
from swiftsvc.auth.keystone import keystone_parameters, missing_parameters
from swiftsvc.auth.v1 import SCHEME as V1
from swiftsvc.cli import utils as cli_utils
from swiftsvc.errors import AuthError, OptionError
from swiftsvc.options import ENVIRONMENT, Options

_NONE_GIVEN = """no credentials: nothing says where and as whom to authenticate.
Set one of these groups, as environment variables or as the flags shown:
  v1.0 auth:    {ST_AUTH}, {ST_USER}, {ST_KEY}
  Keystone v3:  {OS_AUTH_URL}, {OS_USERNAME},
                {OS_PASSWORD}, {OS_PROJECT_NAME},
                {OS_USER_DOMAIN_NAME},
                {OS_PROJECT_DOMAIN_NAME}
  a token:      {OS_STORAGE_URL}, {OS_AUTH_TOKEN}
`swiftsvc --os-help` lists every authentication option."""

_OPTION_NAME = re.compile(r"\bos_[a-z_]+\b")


def flags_by_option(parser: argparse.ArgumentParser) -> dict[str, list[str]]:
    """Option name -> the flags that set it (``key`` -> ``["-K", "--key"]``)."""
    flags: dict[str, list[str]] = {}
    for action in parser._actions:
        if action.option_strings:
            flags.setdefault(action.dest, []).extend(action.option_strings)
    return flags


def describe(name: str, flags: Mapping[str, list[str]]) -> str:
    """``ST_KEY (-K)``: the variable and the shortest flag setting option ``name``."""
    variable = ENVIRONMENT.get(name, name)
    given = sorted(flags.get(name, ()), key=len)
    return f"{variable} ({given[0]})" if given else variable


def missing_credentials(
    args: argparse.Namespace,
    parser: argparse.ArgumentParser,
    environment: Mapping[str, str] | None = None,
) -> str | None:
    """What keeps the command from authenticating, for a person; None if nothing.

    ``environment`` defaults to ``os.environ`` (the Service reads it the same way).
    """
    try:
        options = Options.from_service(
            cli_utils.service_options(args), os.environ if environment is None else environment
        )
    except OptionError:
        return None  # a bad value: the Service says which
    if options.os_storage_url and options.os_auth_token:
        return None  # pre-authenticated
    try:
        scheme = choose_scheme(options)
    except AuthError:
        return None  # conflicting options: the library's message names them
    flags = flags_by_option(parser)
    if scheme == V1:
        pairs = (("auth", "os_auth_url"), ("user", "os_username"), ("key", "os_password"))
        missing = [
            name for name, fallback in pairs
            if not (getattr(options, name) or getattr(options, fallback))
        ]
        if not missing:
            return None
        if len(missing) == 3:
            return _NONE_GIVEN.format(
                **{variable: describe(name, flags) for name, variable in ENVIRONMENT.items()}
            )
        shown = ", ".join(describe(name, flags) for name in missing)
        return (
            f"v1.0 auth needs {describe('auth', flags)}, {describe('user', flags)} and "
            f"{describe('key', flags)}; missing: {shown}"
        )
    params, _ = keystone_parameters(options, scheme)
    needs = missing_parameters(params, scheme)
    if not needs:
        return None
    shown = "; ".join(
        _OPTION_NAME.sub(lambda match: describe(match.group(0), flags), need) for need in needs
    )
    return f"Keystone {scheme} auth is missing: {shown}"
