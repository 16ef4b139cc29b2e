"""Bulk jobs on a Dask cluster: upload, download, copy or delete a whole tree or container.

::

    python examples/dask_bulk.py upload SRC --container C            # a LocalCluster here
    python examples/dask_bulk.py download --container C DEST --workers 4
    python examples/dask_bulk.py copy --container C --to C2 --scheduler tcp://host:8786
    python examples/dask_bulk.py delete --container C --prefix tmp/

Without ``--scheduler`` a ``distributed.LocalCluster`` of ``--workers``
processes is started for the run. Local paths must be on storage every
worker sees. Each finished partition prints one line (partition, objects
done, failures, worker); failures are printed as they come; the totals
end the output. Exit 0 only when every partition succeeded with no
failure. Auth comes from ``-A/-U/-K``, ``--os-*`` or the environment (of
the workers too, for what is not given). Needs the ``dask`` extra.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from swiftsvc import cli_utils, dask as swift_dask


@contextmanager
def dask_client(scheduler: str | None, workers: int) -> Iterator[Any]:
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler) as client:
            yield client
        return
    with LocalCluster(n_workers=workers, threads_per_worker=2, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        yield client


def start(client: Any, args: argparse.Namespace, options: dict[str, Any]) -> swift_dask.DaskJob:
    common: dict[str, Any] = {"options": options}
    if args.segment_size:
        common["call_options"] = {"segment_size": args.segment_size}
    if args.operation == "upload":
        return swift_dask.upload(client, args.container, args.path, **common,
                                 files_per_partition=args.per_partition)  # fmt: skip
    listed = {**common, "prefix": args.prefix, "objects_per_partition": args.per_partition}
    if args.operation == "download":
        return swift_dask.download(client, args.container, args.path, **listed)
    if args.operation == "copy":
        return swift_dask.copy(client, args.container, args.to, **listed)
    return swift_dask.delete(client, args.container, **listed)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dask_bulk.py", description=__doc__.split("\n")[0])
    parser.add_argument("operation", choices=("upload", "download", "copy", "delete"))
    parser.add_argument("path", nargs="?", help="source folder (upload) or destination (download)")
    parser.add_argument("--container", required=True)
    parser.add_argument("--to", help="destination container (copy)")
    parser.add_argument("--prefix", default=None, help="only objects under this prefix")
    parser.add_argument("--per-partition", type=int, default=1000, help="files or objects")
    parser.add_argument("--segment-size", type=cli_utils.parse_size, default=None)
    parser.add_argument("--scheduler", help="address of a running scheduler")
    parser.add_argument("--workers", type=int, default=2, help="LocalCluster worker processes")
    cli_utils.add_parser_options(parser, default_threads=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.operation in ("upload", "download") and not args.path:
        parser.error(f"{args.operation} needs a path")
    if args.operation == "copy" and not args.to:
        parser.error("copy needs --to")
    options = cli_utils.service_options(args)
    with dask_client(args.scheduler, args.workers) as client:
        job = start(client, args, options)
        for result in job:
            if result["action"] == "dask_partition":
                state = "ok" if result["success"] else f"FAILED {result.get('error', '')}"
                print(f"partition {result['partition']:>4}: {result['done']:>6} done "
                      f"{result['failed']:>4} failed  {result['worker']}  {state}")  # fmt: skip
            elif not result["success"]:
                where = "/".join(str(p) for p in (result.get("container"), result.get("object"))
                                 if p)  # fmt: skip
                print(f"  FAILED {result['action']} {where}: {result['error']}", file=sys.stderr)
        totals = job.totals
    print(f"{args.operation}: {totals.done} objects in {totals.partitions} partitions "
          f"({totals.partitions_failed} failed, {totals.retried} retried), "
          f"{totals.failed} failures")  # fmt: skip
    ok = not (totals.failed or totals.partitions_failed)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
