"""What the command prints: ``swift``-like text lines, or one JSON result per line.

The functions turning results into text are pure (they return strings): the
per-result lines here, the ``stat`` and ``list`` text in
:mod:`swiftsvc.cli.tables`, the JSON in :mod:`swiftsvc.cli.json_lines`.
:class:`Output` is the one place that writes, counts failures for the exit
code, and keeps lines from mangling the progress bar.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TextIO

from swiftsvc.cli.json_lines import json_line
from swiftsvc.cli.progress import PART_ACTIONS, ProgressBar
from swiftsvc.errors import AuthError, SwiftError

Result = Mapping[str, Any]

# ------------------------------------------------------- per-result lines


def _attempts_suffix(result: Result) -> str:
    attempts = result.get("attempts") or 1
    return f" [after {attempts} attempts]" if attempts > 1 else ""


def upload_line(result: Result, *, verbose: bool = False) -> str | None:
    """``name``, ``name segment 3``; None: nothing to say.

    A skipped file is named like an uploaded one, as ``swift upload`` does;
    ``verbose`` (``-v``) adds why: ``name [skipped-identical]``. A segment
    reused from an interrupted run says so: ``name segment 3 (reused)``.
    """
    action = result.get("action")
    if action == "upload_segment":
        line = f"{result.get('for_object')} segment {result.get('segment_index')}"
        # left by an interrupted run and found whole: nothing was sent for it
        return f"{line} (reused)" if result.get("reused") else line
    if action == "create_container":
        return None
    name = result.get("object")
    if name is None:
        return None
    status = result.get("status")
    if verbose and status and status != "uploaded":
        return f"{name} [{status}]"
    return f"{name}{_attempts_suffix(result)}"


def download_line(result: Result) -> str:
    """``path [auth 0.010s, headers 0.020s, total 0.050s, 10.300 MB/s]``."""
    path = result.get("path") or result.get("object")
    if result.get("status") == "skipped-identical":
        return f"Skipped identical file '{path}'"
    start = float(result.get("start_time") or 0.0)
    auth = float(result.get("auth_end_time") or start) - start
    headers = float(result.get("headers_receipt") or start) - start
    total = float(result.get("finish_time") or start) - start
    if result.get("pseudodir"):
        timing = f"auth {auth:.3f}s, headers {headers:.3f}s, total {total:.3f}s, pseudo"
    else:
        transfer = total - auth
        speed = float(result.get("read_length") or 0) / transfer / 1e6 if transfer > 0 else 0.0
        timing = f"auth {auth:.3f}s, headers {headers:.3f}s, total {total:.3f}s, {speed:.3f} MB/s"
    attempts = result.get("attempts") or 1
    if attempts > 1:
        return f"{path} [{timing} after {attempts} attempts]"
    return f"{path} [{timing}]"


def delete_lines(result: Result, *, whole_account: bool) -> list[str]:
    """What a successful delete result names: objects, segments, containers."""
    action = result.get("action")
    container = result.get("container") or ""
    suffix = _attempts_suffix(result)
    if action == "bulk_delete":
        failed = {str(name) for name, _ in bulk_errors(result)}
        names = [str(o) for o in result.get("objects") or () if str(o) not in failed]
        return [f"{container}/{o}{suffix}" if whole_account else f"{o}{suffix}" for o in names]
    if action == "delete_container":
        return [f"{container}{suffix}"]
    obj = result.get("object")
    if action == "delete_segment" or whole_account:
        return [f"{container}/{obj}{suffix}"]
    return [f"{obj}{suffix}"]


def bulk_errors(result: Result) -> list[tuple[str, str]]:
    """(object, reason) pairs a bulk_delete result reports as failed items."""
    pairs: list[tuple[str, str]] = []
    for entry in result.get("errors") or ():
        if isinstance(entry, Mapping):
            pairs.append((str(entry.get("object", entry.get("name", ""))), str(entry)))
        elif isinstance(entry, (list, tuple)) and len(entry) >= 2:
            pairs.append((str(entry[0]), str(entry[1])))
    return pairs


def copy_line(result: Result) -> str | None:
    if result.get("action") == "create_container":
        return f"created container {result.get('container')}"
    destination = result.get("destination") or "<self>"
    return f"{result.get('container')}/{result.get('object')} copied to {destination}"


def failure_text(result: Result) -> str:
    """``container/object: error`` for a failed result (``error`` when it names them)."""
    where = "/".join(str(part) for part in (result.get("container"), result.get("object")) if part)
    if result.get("action") == "upload_segment":
        where = f"{result.get('for_object')} segment {result.get('segment_index')}"
    error = result.get("error")
    text = describe_error(error) if isinstance(error, BaseException) else str(error)
    if where and (result.get("action") == "upload_segment" or _quoted_name(where) not in text):
        return f"{where}: {text}"
    return text


def _quoted_name(where: str) -> str:
    return f"'{where.rsplit('/', 1)[-1]}'"


def describe_error(error: BaseException) -> str:
    """An error as a person reads it: a SwiftError's message without the
    ``container:x object:y`` tags it already names (``Container 'x' not found``)."""
    if not isinstance(error, SwiftError):
        return str(error)
    text = str(error.value) if isinstance(error.value, str) else repr(error.value)
    for tag, name in (("container", error.container), ("object", error.obj),
                      ("segment", error.segment)):  # fmt: skip
        if name is not None and str(name) not in text:
            text += f" {tag}:{name}"
    return text


def transaction_line(error: object) -> str | None:
    """``Failed Transaction ID: tx...`` (as swift prints it) for a SwiftError
    whose request Swift answered; a ClientException's text shows its own."""
    if isinstance(error, SwiftError) and error.transaction_id:
        return f"Failed Transaction ID: {error.transaction_id}"
    return None


def auth_error_of(error: object) -> AuthError | None:
    """The authentication failure behind ``error`` (itself, or what it wraps)."""
    seen = 0
    while isinstance(error, BaseException) and seen < 8:
        if isinstance(error, AuthError):
            return error
        wrapped = error.exception if isinstance(error, SwiftError) else None
        error = wrapped or error.__cause__ or error.__context__
        seen += 1
    return None


def capabilities_lines(capabilities: Mapping[str, Any]) -> list[str]:
    """``swift capabilities`` text: the core first, then each middleware."""
    lines: list[str] = []

    def component(title: str, features: Mapping[str, Any]) -> None:
        for feature, options in sorted(features.items()):
            lines.append(f"{title}: {feature}")
            if isinstance(options, Mapping) and options:
                lines.append(" Options:")
                for key, value in sorted(options.items()):
                    lines.append(f"  {key}: {value}")

    rest = dict(capabilities)
    if "swift" in rest:
        component("Core", {"swift": rest.pop("swift")})
    component("Additional middleware", rest)
    return lines


# ------------------------------------------------------------------ writer


@dataclass(frozen=True, slots=True)
class Landed:
    """The segments of one unfinished large object reported so far."""

    count: int = 0
    nbytes: int = 0
    reused: int = 0
    segment_container: str | None = None

    def add(self, segment: Result) -> Landed:
        location = str(segment.get("segment_location") or "")
        return Landed(
            self.count + 1,
            self.nbytes + int(segment.get("segment_size") or 0),
            self.reused + bool(segment.get("reused")),
            location.lstrip("/").partition("/")[0] or self.segment_container,
        )


class Output:
    """Writes lines and results; counts failures for the exit code.

    ``json_lines``: every result is one JSON line on stdout and nothing else
    goes there. ``verbosity`` -1 (``-q``) keeps only errors.
    """

    def __init__(
        self,
        *,
        stdout: TextIO,
        stderr: TextIO,
        json_lines: bool = False,
        verbosity: int = 0,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.json_lines = json_lines
        self.verbosity = verbosity
        self.failures = 0
        self.done = 0  # successful results, not counting parts (segments, containers)
        self.bar: ProgressBar | None = None
        # (container, object) -> its segments that landed, until its own result
        # comes: what an interrupt leaves for the resume
        self.landed: dict[tuple[str, str], Landed] = {}
        # an auth failure fails every request alike: said once, then counted
        self._auth_lock = threading.Lock()
        self._auth_errors: set[str] = set()
        self._auth_failures = 0

    def _write(self, text: str, stream: TextIO) -> None:
        if self.bar is not None:
            self.bar.write_above(text, stream)
        else:
            stream.write(text + "\n")
            stream.flush()

    def line(self, text: str, *, essential: bool = False) -> None:
        """A line of text output: never with ``--json``; with ``-q`` only if ``essential``.

        Essential lines are what a command is asked for (a listing, a stat),
        not reports of progress (each uploaded name).
        """
        if not self.json_lines and (essential or self.verbosity >= 0):
            self._write(text, self.stdout)

    def lines(self, texts: Iterable[str], *, essential: bool = False) -> None:
        for text in texts:
            self.line(text, essential=essential)

    def error(self, text: str) -> None:
        self._write(text, self.stderr)

    def warning(self, text: str) -> None:
        if self.verbosity >= 0:
            self._write(text, self.stderr)

    def skipped(self, result: Result, text: str | None) -> None:
        """A result that skipped its work: a download's local file was identical.

        The library reports it as a failure with a 304 (python-swiftclient's
        contract); it is neither a failure nor work done here.
        """
        if self.json_lines:
            self._write(json_line(result), self.stdout)
        elif text is not None:
            self.line(text)

    def result(
        self,
        result: Result,
        text: str | Iterable[str] | None = None,
        *,
        failure_is_warning: bool = False,
        error_text: str | None = None,
        essential: bool = False,
    ) -> None:
        """Report one result: its JSON line, or ``text`` / its failure.

        A failure counts towards the exit code unless ``failure_is_warning``;
        ``error_text`` replaces the standard ``Error: container/object: error``;
        ``essential`` text is printed even with ``-q`` (see :meth:`line`).
        """
        failed = not result.get("success", False)
        self._track_segments(result, failed)
        if failed and not failure_is_warning:
            self.failures += 1
        elif not failed and result.get("action") not in PART_ACTIONS:
            self.done += 1
        if self.json_lines:
            self._write(json_line(result), self.stdout)
        elif failed:
            error = result.get("error")
            auth = auth_error_of(error)
            if auth is not None:
                self.auth_failure(auth, counted=not failure_is_warning)
            elif failure_is_warning:
                self.warning(f"Warning: {failure_text(result)}")
            else:
                self.error(error_text or f"Error: {failure_text(result)}")
                if error_text is None and (txn := transaction_line(error)):
                    self.error(txn)
        elif isinstance(text, str):
            self.line(text, essential=essential)
        elif text is not None:
            self.lines(text, essential=essential)

    def _track_segments(self, result: Result, failed: bool) -> None:
        action = result.get("action")
        if action == "upload_segment" and not failed:
            key = (str(result.get("for_container")), str(result.get("for_object")))
            self.landed[key] = self.landed.get(key, Landed()).add(result)
        elif action == "upload_object":
            self.landed.pop((str(result.get("container")), str(result.get("object"))), None)

    def exception(self, error: BaseException) -> None:
        """An error that stopped the command (not counted: the caller exits 1)."""
        auth = auth_error_of(error)
        if auth is not None:
            self.auth_failure(auth)
            return
        self.error(f"Error: {describe_error(error)}")
        if txn := transaction_line(error):
            self.error(txn)

    def auth_failure(self, error: AuthError, *, counted: bool = False) -> bool:
        """Print an authentication failure the first time it is seen; True if printed.

        ``counted``: it is the failure of an operation, summed up by :meth:`finish`.
        Thread-safe: the library's log records (from any thread) come here too.
        """
        text = str(error)
        with self._auth_lock:
            first = text not in self._auth_errors
            self._auth_errors.add(text)
            if counted:
                self._auth_failures += 1
        if first:
            self.error(f"Error: {text}")
        return first

    def finish(self) -> None:
        """Say how many failures the one authentication error stands for."""
        if self._auth_failures > 1 and not self.json_lines:
            self.error(f"({self._auth_failures} operations failed with this authentication error)")
