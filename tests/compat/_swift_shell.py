"""python-swiftclient's ``swift`` command run in this process, on either service.

:func:`run_shell` calls ``swiftclient.shell.main`` as the ``swift`` script
would, with its output streams, standard input, working directory and
logging as a separate process would have them, and with the four names the
shell imported from ``swiftclient.service`` / ``swiftclient.exceptions``
(``SwiftService``, ``SwiftError``, ``SwiftUploadObject``, ``ClientException``)
replaced by those of a :class:`Flavour`. Nothing else is changed: the shell
passes its whole argument namespace as options, as it does for real.

:func:`normalise` hides what differs between two runs of the same command by
nature (transaction ids, times, the account and the working folder), and
nothing else; :func:`cluster_state` and :func:`disk_state` capture what a
command left behind, for comparison.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import swiftclient.client
import swiftclient.exceptions
import swiftclient.service
import swiftclient.shell

import swiftsvc

# the names swiftclient.shell imported, and so the names a drop-in must replace
SHELL_NAMES = ("SwiftService", "SwiftError", "SwiftUploadObject", "ClientException")


@dataclass(frozen=True)
class Flavour:
    """Which library's names the shell runs with."""

    name: str
    names: Mapping[str, Any]


SWIFTCLIENT = Flavour(
    "swiftclient",
    {
        "SwiftService": swiftclient.service.SwiftService,
        "SwiftError": swiftclient.service.SwiftError,
        "SwiftUploadObject": swiftclient.service.SwiftUploadObject,
        "ClientException": swiftclient.exceptions.ClientException,
    },
)
SWIFTSVC = Flavour(
    "swiftsvc",
    {
        "SwiftService": swiftsvc.SwiftService,
        "SwiftError": swiftsvc.SwiftError,
        "SwiftUploadObject": swiftsvc.SwiftUploadObject,
        "ClientException": swiftsvc.ClientException,
    },
)


@dataclass(frozen=True)
class Outcome:
    """What one ``swift`` command did, as its shell would see it."""

    exit_code: int
    stdout: str
    stderr: str


class _LastResort(logging.Handler):
    """What ``logging.lastResort`` prints in a ``swift`` process: warnings of
    loggers that have no handler of their own (swiftclient's have a
    NullHandler; a library without one shows its warnings to the user)."""

    def __init__(self, stream: io.TextIOBase) -> None:
        super().__init__(logging.WARNING)
        self._stream = stream

    def emit(self, record: logging.LogRecord) -> None:
        logger: logging.Logger | None = logging.getLogger(record.name)
        while logger is not None and logger is not logging.root:
            if logger.handlers:
                return
            if not logger.propagate:
                return
            logger = logger.parent
        self._stream.write(logging.Formatter().format(record) + "\n")


@contextlib.contextmanager
def _standard_input(data: bytes | None) -> Iterator[Any]:
    """An object like ``sys.stdin`` whose descriptor reads ``data``."""
    if data is None:
        yield _NoInput()
        return
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, data)  # small: fits the pipe's buffer
        os.close(write_end)
        write_end = -1
        yield _PipeInput(read_end)
    finally:
        if write_end >= 0:
            os.close(write_end)
        with contextlib.suppress(OSError):
            os.close(read_end)


class _NoInput:
    def fileno(self) -> int:
        raise OSError("no standard input for this step")


class _PipeInput:
    def __init__(self, fd: int) -> None:
        self._fd = fd

    def fileno(self) -> int:
        # the shell wraps it in io.open(), which closes it: give a copy
        return os.dup(self._fd)


@contextlib.contextmanager
def _no_auth_environment() -> Iterator[None]:
    """The test's own auth variables must not reach the shell's defaults."""
    saved = {
        name: value for name, value in os.environ.items()
        if name.startswith(("ST_", "OS_")) or name == "SWIFTCLIENT_INSECURE"
    }
    for name in saved:
        del os.environ[name]
    try:
        yield
    finally:
        os.environ.update(saved)


def run_shell(
    flavour: Flavour,
    argv: Sequence[str],
    *,
    cwd: Path,
    stdin: bytes | None = None,
) -> Outcome:
    """``swift <argv>`` in ``cwd`` with ``flavour``'s names; never raises SystemExit."""
    out_bytes, err_bytes = io.BytesIO(), io.BytesIO()
    out = io.TextIOWrapper(out_bytes, encoding="utf-8", errors="surrogateescape",
                           write_through=True)
    err = io.TextIOWrapper(err_bytes, encoding="utf-8", errors="surrogateescape",
                           write_through=True)
    saved_names = {name: getattr(swiftclient.shell, name) for name in SHELL_NAMES}
    saved_stdin = swiftclient.shell.stdin
    saved_streams = sys.stdout, sys.stderr
    saved_sigint = signal.getsignal(signal.SIGINT)
    saved_cwd = os.getcwd()
    last_resort = _LastResort(err)
    code: int
    with _standard_input(stdin) as fake_stdin, _no_auth_environment():
        try:
            for name, value in flavour.names.items():
                setattr(swiftclient.shell, name, value)
            swiftclient.shell.stdin = fake_stdin
            sys.stdout, sys.stderr = out, err
            logging.root.addHandler(last_resort)
            os.chdir(cwd)
            try:
                swiftclient.shell.main(["swift", *argv])
                code = 0
            except SystemExit as stop:
                # what the interpreter does with the exit argument
                if stop.code is None:
                    code = 0
                elif isinstance(stop.code, int):
                    code = stop.code
                else:
                    err.write(f"{stop.code}\n")
                    code = 1
        finally:
            os.chdir(saved_cwd)
            logging.root.removeHandler(last_resort)
            sys.stdout, sys.stderr = saved_streams
            swiftclient.shell.stdin = saved_stdin
            for name, value in saved_names.items():
                setattr(swiftclient.shell, name, value)
            signal.signal(signal.SIGINT, saved_sigint)
    out.flush()
    err.flush()
    return Outcome(
        code,
        out_bytes.getvalue().decode("utf-8", "replace"),
        err_bytes.getvalue().decode("utf-8", "replace"),
    )


# ------------------------------------------------------------ normalising

_TXN = re.compile(r"tx[0-9a-f]{21}-[0-9a-f]{10}")
_HTTP_DATE = re.compile(r"[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT")
_ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?")
_DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}( +)\d{2}:\d{2}:\d{2}")
_EPOCH = re.compile(r"(?<![\d.])1\d{9}\.\d+")
_TIMING = re.compile(
    r"\[auth \d+\.\d{3}s, headers -?\d+\.\d{3}s, total \d+\.\d{3}s, (pseudo|\d+\.\d{3} MB/s)"
)
# the MD5 of an SLO manifest as stored: it holds its segments' upload times
_MANIFEST_ETAG = re.compile(r"(X-Manifest-Etag: )[0-9a-f]{32}", re.IGNORECASE)
# the same in a JSON listing entry of an SLO (sorted keys: slo_etag follows)
_LISTED_SLO_HASH = re.compile(
    r'"hash": "[0-9a-f]{32}"(?=,\s*"last_modified": "[^"]*",\s*"name": "[^"]*",\s*"slo_etag")'
)
_WINDOW = 7 * 24 * 3600  # an epoch this close to now is a time of the run


def _epoch(match: re.Match[str]) -> str:
    value = float(match.group(0))
    return "<now>" if abs(value - time.time()) < _WINDOW else match.group(0)


def _timing(match: re.Match[str]) -> str:
    speed = "pseudo" if match.group(1) == "pseudo" else "<speed>"
    return f"[auth <t>, headers <t>, total <t>, {speed}"


@dataclass(frozen=True)
class Normaliser:
    """Replaces what differs by nature between two sides running the same command.

    ``account``: the side's account name (``AUTH_test2``), ``workdir``: its
    working folder. Times of the run (epoch seconds near now, HTTP and ISO
    dates, the download timings) become placeholders; fixed times (the local
    files' mtimes are set in the past) stay.
    """

    account: str
    workdir: Path

    def __call__(self, text: str) -> str:
        text = text.replace(str(self.workdir), "<workdir>")
        text = re.sub(rf"\b{re.escape(self.account)}\b", "AUTH_<account>", text)
        text = _TXN.sub("<txn>", text)
        text = _HTTP_DATE.sub("<http-date>", text)
        text = _ISO_TIME.sub("<iso-time>", text)
        text = _DATE_TIME.sub(lambda m: f"<date>{m.group(1)}<time>", text)
        text = _TIMING.sub(_timing, text)
        text = _MANIFEST_ETAG.sub(r"\1<manifest-etag>", text)
        text = _LISTED_SLO_HASH.sub('"hash": "<manifest-etag>"', text)
        return _EPOCH.sub(_epoch, text)


# ------------------------------------------------------------ what was left


@dataclass(frozen=True)
class Account:
    """A side's account, reached with swiftclient's own client (the judge)."""

    storage_url: str
    token: str

    def connection(self) -> swiftclient.client.Connection:
        return swiftclient.client.Connection(
            preauthurl=self.storage_url, preauthtoken=self.token, retries=2
        )


# headers that say when or through which request, not what is stored
_VOLATILE_HEADERS = frozenset({
    "date", "last-modified", "x-timestamp", "x-put-timestamp", "x-trans-id",
    "x-openstack-request-id", "connection", "keep-alive", "accept-ranges",
    # the MD5 of an SLO manifest as stored: it holds its segments' upload times
    "x-manifest-etag",
})


def _stored_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {
        name.lower(): value
        for name, value in sorted(headers.items())
        if name.lower() not in _VOLATILE_HEADERS
    }


HeadCache = dict[tuple[str, str, str], dict[str, str]]


def cluster_state(account: Account, heads: HeadCache | None = None) -> dict[str, Any]:
    """Every container and object of the account: listings, metadata, headers.

    ``heads`` keeps object headers by (container, name, listed time): an
    object whose listing entry kept its ``last_modified`` (which every PUT,
    POST and COPY changes) is not HEADed again.
    """
    heads = {} if heads is None else heads
    local = threading.local()

    def conn() -> swiftclient.client.Connection:
        if not hasattr(local, "conn"):
            local.conn = account.connection()
        connection: swiftclient.client.Connection = local.conn
        return connection

    def container(name: str) -> tuple[str, dict[str, Any]]:
        headers, listing = conn().get_container(name, full_listing=True)
        stored = _stored_headers(headers)
        # the listing says what these count; a GET's type and length are the listing's
        for header in ("x-container-object-count", "x-container-bytes-used", "content-type",
                       "content-length"):
            stored.pop(header, None)
        objects = {}
        for item in listing:
            modified[(name, item["name"])] = item.get("last_modified", "")
            entry = {key: item[key] for key in ("bytes", "hash", "content_type") if key in item}
            if "slo_etag" in item:
                # the hash of the manifest as stored, with its segments'
                # upload times: the SLO's own ETag (slo_etag) is what counts
                entry["hash"] = item["slo_etag"]
            objects[item["name"]] = entry
        return name, {"headers": stored, "objects": objects}

    def head(ref: tuple[str, str]) -> tuple[tuple[str, str], dict[str, str]]:
        return ref, _stored_headers(conn().head_object(*ref))

    modified: dict[tuple[str, str], str] = {}
    account_headers, containers = conn().get_account(full_listing=True)
    with ThreadPoolExecutor(8) as pool:
        listed = dict(pool.map(container, [entry["name"] for entry in containers]))
        refs = [ref for ref in modified if (*ref, modified[ref]) not in heads]
        for ref, headers in pool.map(head, refs):
            heads[(*ref, modified[ref])] = headers
    for (name, obj), when in modified.items():
        listed[name]["objects"][obj]["headers"] = heads[(name, obj, when)]
    return {
        "account": {
            name: value
            for name, value in _stored_headers(account_headers).items()
            if name.startswith("x-account-meta-")
        },
        "containers": listed,
    }


def disk_state(root: Path) -> dict[str, Any]:
    """Every folder and file under ``root``: size, MD5 and whole-second mtime."""
    files: dict[str, Any] = {}
    for folder, subfolders, filenames in os.walk(root):
        subfolders.sort()
        relative = os.path.relpath(folder, root)
        if not filenames and not subfolders:
            files[relative + "/"] = "empty folder"
        for filename in sorted(filenames):
            path = Path(folder, filename)
            data = path.read_bytes()
            files[os.path.join(relative, filename)] = {
                "bytes": len(data),
                "md5": hashlib.md5(data, usedforsecurity=False).hexdigest(),
                "mtime": f"{int(path.stat().st_mtime)}.0",
            }
    return dict(sorted(files.items()))


def flatten(state: Mapping[str, Any], normalise: Normaliser) -> dict[str, str]:
    """``{"a / b / c": value}`` for every leaf of a state, normalised."""
    flat: dict[str, str] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, Mapping) and value:
            for key, inner in value.items():
                walk(f"{prefix} / {key}" if prefix else str(key), inner)
        else:
            flat[normalise(prefix)] = normalise(json.dumps(value))

    walk("", state)
    return flat


def changes(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """What a step changed, one line per leaf added, removed or changed."""
    lines = []
    for key in sorted(before.keys() | after.keys()):
        old, new = before.get(key), after.get(key)
        if old != new:
            lines.append(f"{key}: {old or '(none)'} -> {new or '(none)'}")
    return lines
