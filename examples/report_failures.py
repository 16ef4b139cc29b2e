"""Run one Service operation and report its failures, grouped, with transaction ids.

::

    python examples/report_failures.py upload photos 2024/ 2025/
    python examples/report_failures.py delete photos old-1.jpg old-2.jpg
    python examples/report_failures.py download photos -o out_directory=restored
    python examples/report_failures.py delete photos -o prefix=tmp/

The operation's result dicts are read as they come; the failed ones are
grouped by action and by the kind of error (``ClientException 404``,
``SwiftError``, ``FileNotFoundError``...), and each failure is listed with
its object and the transaction id to look for in the cluster's logs. A call
that fails as a whole (``SwiftError`` raised, e.g. a missing container) is
reported the same way. Exit 0 when nothing failed, 1 otherwise.

``-o name=value`` passes any Service option to the call (values are read as
JSON when they parse: ``-o segment_size=1048576 -o use_slo=true``).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from swiftsvc import ClientException, Service, SwiftError, cli_utils

Result = dict[str, Any]

OPERATIONS = ("upload", "download", "delete", "post", "copy", "stat")


@dataclass(frozen=True, slots=True)
class Failure:
    action: str
    kind: str  # the kind of error, e.g. "ClientException 404"
    where: str  # container/object
    transaction_id: str | None
    message: str


def error_kind(error: BaseException) -> str:
    """``ClientException 404``; a SwiftError wrapping another error is named by both."""
    inner = error.exception if isinstance(error, SwiftError) else None
    cause = inner if inner is not None else error
    status = getattr(cause, "http_status", None)
    kind = type(cause).__name__ + (f" {status}" if status else "")
    return f"{type(error).__name__} ({kind})" if inner is not None else kind


def transaction_id(result: Result) -> str | None:
    """The id Swift gave the failed request: the error's, else the last response's."""
    found = getattr(result.get("error"), "transaction_id", None)
    if found:
        return str(found)
    headers = (result.get("response_dict") or {}).get("headers") or {}
    found = headers.get("x-trans-id") or headers.get("x-openstack-request-id")
    return str(found) if found else None


def message(error: BaseException) -> str:
    """One short line: the transaction id and the URL are reported apart."""
    if isinstance(error, ClientException):
        return f"{error.msg}: {error.http_status} {error.http_reason}".rstrip()
    lines = str(error).splitlines()
    return lines[0] if lines else type(error).__name__


def as_failure(result: Result) -> Failure:
    error = result.get("error")
    parts = (result.get("container"), result.get("object"))
    return Failure(
        action=str(result["action"]),
        kind=error_kind(error) if isinstance(error, BaseException) else "unknown",
        where="/".join(str(part) for part in parts if part) or "-",
        transaction_id=transaction_id(result),
        message=message(error) if isinstance(error, BaseException) else "",
    )


def report(total: int, failures: Sequence[Failure]) -> list[str]:
    """The report's lines: a table of groups, then each failure by group."""
    if not failures:
        return [f"{_results(total)}, no failures"]
    groups: dict[tuple[str, str], list[Failure]] = {}
    for failure in failures:
        groups.setdefault((failure.action, failure.kind), []).append(failure)
    keys = sorted(groups, key=lambda key: (-len(groups[key]), key))
    action_width = max(len("action"), *(len(action) for action, _ in keys))
    kind_width = max(len("error"), *(len(kind) for _, kind in keys))
    lines = [
        f"{len(failures)} of {_results(total)} failed",
        "",
        f"{'action':<{action_width}}  {'error':<{kind_width}}  count",
    ]
    lines += [f"{a:<{action_width}}  {k:<{kind_width}}  {len(groups[a, k]):>5}" for a, k in keys]
    for action, kind in keys:
        lines += ["", f"{action}, {kind}:"]
        members = sorted(groups[action, kind], key=lambda f: f.where)
        where_width = max(len(f.where) for f in members)
        for failure in members:
            txn = failure.transaction_id or "-"
            lines.append(f"  {failure.where:<{where_width}}  {txn}  {failure.message}")
    return lines


def _results(count: int) -> str:
    return f"{count} result" + ("" if count == 1 else "s")


def run(svc: Service, args: argparse.Namespace) -> Iterator[Result]:
    """The operation's results (a single-dict operation is a one-item stream)."""
    options = dict(args.option)
    items = args.items or None
    outcome: Result | Iterator[Result]
    if args.operation == "upload":
        outcome = svc.upload(args.container, items or [], options=options)
    elif args.operation == "download":
        outcome = svc.download(args.container, items, options=options)
    elif args.operation == "delete":
        outcome = svc.delete(args.container, items, options=options)
    elif args.operation == "copy":
        outcome = svc.copy(args.container, items or [], options=options)
    elif args.operation == "post":
        outcome = svc.post(args.container, items, options=options)
    else:
        outcome = svc.stat(args.container, items, options=options)
    if isinstance(outcome, dict):
        yield outcome
    else:
        yield from outcome


def _option(text: str) -> tuple[str, Any]:
    name, equals, raw = text.partition("=")
    if not equals or not name:
        raise argparse.ArgumentTypeError(f"expected name=value, not {text!r}")
    try:
        value = json.loads(raw)
    except ValueError:
        value = raw  # a plain string: -o prefix=tmp/
    return name.replace("-", "_"), value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="report_failures.py", description="Run an operation; report its failures."
    )
    parser.add_argument("operation", choices=OPERATIONS)
    parser.add_argument("container")
    parser.add_argument("items", nargs="*", help="paths (upload) or object names")
    parser.add_argument(
        "-o",
        "--option",
        type=_option,
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a Service option for the call (repeatable)",
    )
    cli_utils.add_parser_options(parser, default_threads=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    cli_utils.setup_logger(args)
    total = 0
    failures: list[Failure] = []
    try:
        with cli_utils.create_service(args) as svc:
            for result in run(svc, args):
                total += 1
                if not result["success"]:
                    failures.append(as_failure(result))
    except (SwiftError, ClientException) as error:  # the call failed as a whole
        total += 1
        failures.append(
            Failure(
                action=args.operation,
                kind=error_kind(error),
                where=args.container,
                transaction_id=getattr(error, "transaction_id", None),
                message=message(error),
            )
        )
    print("\n".join(report(total, failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
