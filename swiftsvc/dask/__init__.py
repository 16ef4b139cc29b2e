"""Bulk jobs on a Dask cluster: upload, download, delete and copy past one machine.

Needs the ``dask`` extra (``pip install swiftsvc[dask]``: ``dask.distributed``).
Every function takes a ``distributed.Client``, cuts the job into partitions
(:mod:`swiftsvc.dask._partitions`: file lists for uploads, listing ranges
for the rest) and returns a :class:`DaskJob`::

    from distributed import Client
    from swiftsvc import dask as swift_dask

    with Client("scheduler:8786") as client:
        job = swift_dask.upload(client, "backups", "/shared/data", options=auth)
        for result in job:
            if not result["success"]:
                print(result["action"], result.get("object"), result["error"])
        print(job.totals)

Each worker process runs its partitions on one :class:`swiftsvc.Service`
per set of ``options`` (one token, one set of pools per process, not per
task); ``options`` are the Service options (auth, pool sizes, retries);
options not given come from the ``ST_*`` / ``OS_*`` environment *of each
worker*. ``call_options`` are options of the Service call each partition
makes (``segment_size``, ``skip_identical``, ``header``, ...).

**Results**, in completion order: for each partition, its failed results
(the Service's own result dicts, same actions and keys; with
``every_result=True`` every result, successes too), then one summary
dict with ``action`` ``"dask_partition"``: ``operation``, ``container``,
``partition`` (index), ``description``, ``expected`` (objects the client
listed or walked for it), ``done`` (objects the operation completed),
``failed`` (failed results), ``counts`` (successful results by action),
``bytes``, ``tries``, ``worker``, ``seconds``, ``cancelled``, and
``success``. A partition whose task fails as a whole is retried
(``retries`` times), then reported with ``error`` and ``traceback``:
never silently dropped. :attr:`DaskJob.totals` adds everything up.

``max_in_flight`` bounds the partitions submitted and not yet finished
(default: twice the cluster's worker threads), so the client's listing or
walk, and the scheduler's memory, stay proportional to it.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator, Mapping
from typing import Any

if importlib.util.find_spec("distributed") is None:  # pragma: no cover - installation
    raise ImportError("swiftsvc.dask needs dask.distributed: pip install 'swiftsvc[dask]'")

from swiftsvc import Service, SwiftError
from swiftsvc.dask._partitions import (
    FileListPartition,
    ListingRange,
    SubtreePartition,
    file_partitions,
    listing_ranges,
    tree_partitions,
)
from swiftsvc.dask._runner import DaskJob, JobTotals
from swiftsvc.dask._worker import Call, Result, services_in_process, worker_service

__all__ = [
    "DaskJob",
    "FileListPartition",
    "JobTotals",
    "ListingRange",
    "SubtreePartition",
    "copy",
    "delete",
    "download",
    "file_partitions",
    "listing_ranges",
    "services_in_process",
    "tree_partitions",
    "upload",
    "worker_service",
]

DEFAULT_FILES_PER_PARTITION = 1000
DEFAULT_BYTES_PER_PARTITION = 1 << 30
DEFAULT_OBJECTS_PER_PARTITION = 2000


def upload(
    client: Any,
    container: str,
    source: str,
    *,
    options: Mapping[str, Any] | None = None,
    call_options: Mapping[str, Any] | None = None,
    object_prefix: str = "",
    files_per_partition: int = DEFAULT_FILES_PER_PARTITION,
    bytes_per_partition: int = DEFAULT_BYTES_PER_PARTITION,
    max_in_flight: int | None = None,
    retries: int = 2,
    every_result: bool = False,
) -> DaskJob:
    """Upload the tree ``source`` (on storage every worker sees) into ``container``;
    object names are ``object_prefix`` + paths relative to ``source``. Folders of at
    most ``files_per_partition`` files and ``bytes_per_partition`` bytes are
    partitions of their own; larger ones are cut into file lists."""
    _check_container(container)
    partitions = tree_partitions(
        source, object_prefix, files_per_partition=files_per_partition,
        bytes_per_partition=bytes_per_partition,
    )
    call = Call("upload", container, dict(options or {}), dict(call_options or {}), every_result)
    return _job(client, call, partitions, max_in_flight, retries)


def download(
    client: Any,
    container: str,
    out_directory: str,
    *,
    options: Mapping[str, Any] | None = None,
    call_options: Mapping[str, Any] | None = None,
    prefix: str | None = None,
    objects_per_partition: int = DEFAULT_OBJECTS_PER_PARTITION,
    max_in_flight: int | None = None,
    retries: int = 2,
    every_result: bool = False,
) -> DaskJob:
    """Download ``container`` (or the objects under ``prefix``) into
    ``out_directory``, on storage every worker sees."""
    call_opts = {**(call_options or {}), "out_directory": out_directory}
    return _listed_job(client, "download", container, options, call_opts, prefix,
                       objects_per_partition, max_in_flight, retries, every_result)  # fmt: skip


def delete(
    client: Any,
    container: str,
    *,
    options: Mapping[str, Any] | None = None,
    call_options: Mapping[str, Any] | None = None,
    prefix: str | None = None,
    objects_per_partition: int = DEFAULT_OBJECTS_PER_PARTITION,
    max_in_flight: int | None = None,
    retries: int = 2,
    every_result: bool = False,
) -> DaskJob:
    """Delete the objects of ``container`` (under ``prefix``), segments of large
    objects included; without ``prefix`` the container itself goes last, once
    every partition succeeded (its ``delete_container`` result ends the job)."""
    job = _listed_job(client, "delete", container, options, call_options or {}, prefix,
                      objects_per_partition, max_in_flight, retries, every_result)  # fmt: skip
    if prefix is None:
        job._finish = lambda totals: _delete_container(options, container, totals)
    return job


def copy(
    client: Any,
    container: str,
    destination: str,
    *,
    options: Mapping[str, Any] | None = None,
    call_options: Mapping[str, Any] | None = None,
    prefix: str | None = None,
    objects_per_partition: int = DEFAULT_OBJECTS_PER_PARTITION,
    max_in_flight: int | None = None,
    retries: int = 2,
    every_result: bool = False,
) -> DaskJob:
    """Server-side copy of ``container``'s objects (under ``prefix``) into the
    container ``destination``, keeping their names."""
    _check_container(destination)
    call_opts = {**(call_options or {}), "destination": f"/{destination}"}
    return _listed_job(client, "copy", container, options, call_opts, prefix,
                       objects_per_partition, max_in_flight, retries, every_result)  # fmt: skip


# ---------------------------------------------------------------------- helpers


def _listed_job(
    client: Any,
    operation: str,
    container: str,
    options: Mapping[str, Any] | None,
    call_options: Mapping[str, Any],
    prefix: str | None,
    objects_per_partition: int,
    max_in_flight: int | None,
    retries: int,
    every_result: bool,
) -> DaskJob:
    _check_container(container)
    names = _listed_names(options, container, prefix)
    partitions = listing_ranges(names, prefix=prefix, objects_per_partition=objects_per_partition)
    call = Call(operation, container, dict(options or {}), dict(call_options), every_result)
    return _job(client, call, partitions, max_in_flight, retries)


def _listed_names(
    options: Mapping[str, Any] | None, container: str, prefix: str | None
) -> Iterator[str]:
    """The container's names, listed lazily by a Service in the client process.

    Raises SwiftError when the container does not exist (at the first partition).
    """
    with Service(options) as service:
        list_options = {"prefix": prefix} if prefix else {}
        for page in service.list(container, list_options):
            if not page["success"]:
                error = page["error"]
                raise error if isinstance(error, BaseException) else SwiftError(str(error))
            for item in page["listing"]:
                yield str(item["name"])


def _delete_container(
    options: Mapping[str, Any] | None, container: str, totals: JobTotals
) -> Iterator[Result]:
    if totals.partitions_failed or totals.failed or totals.cancelled:
        return  # objects are left: the container stays, the failures say why
    with Service(options) as service:
        yield from service.delete(container)


def _job(
    client: Any,
    call: Call,
    partitions: Iterator[FileListPartition | SubtreePartition] | Iterator[ListingRange],
    max_in_flight: int | None,
    retries: int,
) -> DaskJob:
    if max_in_flight is None:
        threads = sum(client.nthreads().values()) or 1
        max_in_flight = 2 * threads
    return DaskJob(client, call, iter(partitions), max_in_flight=max_in_flight, retries=retries)


def _check_container(container: object) -> None:
    if not isinstance(container, str) or not container or "/" in container:
        raise SwiftError(f"container must be a name without '/', not {container!r}")
