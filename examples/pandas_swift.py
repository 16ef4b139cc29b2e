"""pandas on Swift: write a table as CSV and as Parquet to ``swift://``, read both back.

::

    python examples/pandas_swift.py --container tables
    python examples/pandas_swift.py --container tables --rows 100000 -A URL -U acct:user -K key

The auth options (``-A/-U/-K``, ``--os-*``, or the ``ST_*`` / ``OS_*``
environment) become fsspec *storage options*: that is all pandas needs to
reach ``swift://container/path`` through :class:`swiftsvc.fsspec.SwiftFileSystem`
(found by fsspec from the ``swift`` protocol). Prints each object's size and
whether the table read back equals the one written; exit 0 only if both do.
Needs the ``fsspec`` extra, pandas and pyarrow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

import fsspec
import pandas as pd

from swiftsvc import cli_utils


def table(rows: int) -> pd.DataFrame:
    return pd.DataFrame({
        "station": [f"station-{i % 13:02d}" for i in range(rows)],
        "reading": [round(i * 0.37 % 100, 2) for i in range(rows)],
        "valid": [i % 5 != 0 for i in range(rows)],
    })  # fmt: skip


def round_trip(frame: pd.DataFrame, base: str, options: dict[str, Any]) -> list[tuple[str, bool]]:
    """(url, read back equal) for a CSV and a Parquet copy of ``frame`` under ``base``."""
    csv_url, parquet_url = f"{base}/readings.csv", f"{base}/readings.parquet"
    frame.to_csv(csv_url, index=False, storage_options=options)
    frame.to_parquet(parquet_url, storage_options=options)
    from_csv = pd.read_csv(csv_url, storage_options=options)
    from_parquet = pd.read_parquet(parquet_url, storage_options=options)
    return [(csv_url, from_csv.equals(frame)), (parquet_url, from_parquet.equals(frame))]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pandas_swift.py", description=__doc__.split("\n")[0])
    parser.add_argument("--container", required=True)
    parser.add_argument("--prefix", default="pandas-example", help="pseudo-folder for the files")
    parser.add_argument("--rows", type=int, default=20000)
    cli_utils.add_parser_options(parser, default_threads=None)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    options = cli_utils.service_options(args)
    frame = table(args.rows)
    results = round_trip(frame, f"swift://{args.container}/{args.prefix}", options)
    fs, _ = fsspec.url_to_fs(f"swift://{args.container}", **options)
    for url, equal in results:
        size = fs.size(url)
        print(f"{url}  {size} bytes  {'read back equal' if equal else 'DIFFERS'}")
    ok = all(equal for _, equal in results)
    print(f"{len(frame)} rows, CSV and Parquet: {'VERIFIED' if ok else 'FAILED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
