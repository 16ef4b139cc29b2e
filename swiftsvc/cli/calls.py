"""What the subcommands share around their Service call.

The call options the user gave (:func:`given`), the results reported as they
come with Ctrl-C cancelling the work (:func:`consume`), stat and post by scope
(:func:`by_scope`), and the container-name check most subcommands make.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from swiftsvc.cli.output import Result
from swiftsvc.cli.usage import UsageError

if TYPE_CHECKING:
    from swiftsvc.service import Service


def given(args: argparse.Namespace, *names: str) -> dict[str, Any]:
    """The call options among ``names`` that were given (not None)."""
    return {name: value for name in names if (value := getattr(args, name, None)) is not None}


def consume(svc: Service, results: Iterable[Result], report: Callable[[Result], None]) -> None:
    """Report each result; on Ctrl-C cancel the Service's work, and always close the stream."""
    iterator = iter(results)
    try:
        for result in iterator:
            report(result)
    except KeyboardInterrupt:
        svc.cancel()  # first, so closing the stream does not wait for running jobs
        raise
    finally:
        close = getattr(iterator, "close", None)
        if callable(close):
            close()


def by_scope(
    svc: Service,
    call: Callable[..., Result | Iterator[Result]],
    args: argparse.Namespace,
    options: dict[str, Any],
    report: Callable[[Result], None],
) -> None:
    """stat / post of the account, a container (one result dict each) or
    the objects named (an iterator of results)."""
    if args.container is None or not args.objects:
        scope = {} if args.container is None else {"container": args.container}
        result = call(options=options, **scope)
        if not isinstance(result, Mapping):
            raise TypeError(f"expected one result, got {type(result).__name__}")
        report(result)
        return
    results = call(container=args.container, objects=args.objects, options=options)
    if isinstance(results, Mapping):
        raise TypeError("expected an iterator of results, got one result")
    consume(svc, results, report)


def check_container(args: argparse.Namespace) -> None:
    container = getattr(args, "container", None)
    if container is not None and "/" in container:
        fixed = container.replace("/", " ", 1)
        raise UsageError(
            f"/ in container name; you might have meant '{fixed}' instead of '{container}'"
        )


def no_check(args: argparse.Namespace) -> None:
    """Nothing to check beyond what argparse does."""
