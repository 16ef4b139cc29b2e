"""A ``distributed.LocalCluster`` of several worker processes, shared by the Dask tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

pytest.importorskip("distributed")

WORKERS = 3


@pytest.fixture(scope="module")
def dask_client() -> Iterator[Any]:
    # module scope: the cluster's threads and processes are gone before later
    # test modules run (the memory tests trace every allocation of this process)
    from distributed import Client, LocalCluster

    # processes, not threads: each worker is its own interpreter with its own Service
    with LocalCluster(  # type: ignore[no-untyped-call]
        n_workers=WORKERS, threads_per_worker=2, processes=True, dashboard_address=None,
        worker_dashboard_address=None,
    ) as cluster, Client(cluster) as client:  # type: ignore[no-untyped-call]  # fmt: skip
        client.wait_for_workers(WORKERS, timeout=120)
        yield client
