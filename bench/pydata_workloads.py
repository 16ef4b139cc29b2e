"""One PyData benchmark run, in a fresh process: ``python bench/pydata_workloads.py '<json>'``.

Run by ``bench/pydata.py``. Clients:

- ``swiftsvc``: :class:`swiftsvc.fsspec.SwiftFileSystem` (or, for the ``upload``
  workload, one ``swiftsvc.Service`` or ``swiftsvc.dask`` on N worker processes);
- ``swiftspec``: ``swiftspec.SWIFTFileSystem`` 0.0.4 from PyPI, run from its own
  virtualenv (both register the ``swift`` protocol with fsspec, so they must not
  share one). It takes a ready token, and its URLs are
  ``swift://host/account/container/object``; it speaks only ``https://``, so its
  aiohttp session is given plain-HTTP URLs for the local cluster.

swiftspec 0.0.4 has no ``get``/``put`` (fsspec's ``_get_file``/``_put_file`` are
not implemented): its runs use what it has, its concurrent ``cat`` of the paths
(files written locally) and ``pipe`` of a ``{path: bytes}`` dict. Its ``ls``
does not page: it returns the first listing page only (10000 names).

The last stdout line is ``BENCH-RESULT {json}`` (see ``workloads.py``).
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import asdict
from pathlib import Path
from typing import Any

from workloads import RESULT_PREFIX, Outcome, measured


def _swiftsvc_fs(spec: Mapping[str, Any]) -> Any:
    from swiftsvc.fsspec import SwiftFileSystem

    return SwiftFileSystem(skip_instance_cache=True, **spec["auth"])


def _swiftspec_fs(spec: Mapping[str, Any]) -> Any:
    import aiohttp
    import swiftspec

    class _PlainHTTP(aiohttp.ClientSession):  # type: ignore[misc]
        """swiftspec builds https:// URLs; the local cluster speaks http://."""

        def _request(self, method: str, url: Any, *args: Any, **kwargs: Any) -> Any:
            return super()._request(method, str(url).replace("https://", "http://", 1),
                                    *args, **kwargs)  # fmt: skip

    async def plain_client(**kwargs: Any) -> aiohttp.ClientSession:
        return _PlainHTTP(**kwargs)

    storage_url = spec["storage_url"].replace("http://", "https://", 1)
    return swiftspec.SWIFTFileSystem(
        auth=[{"token": spec["token"], "url": storage_url}], get_client=plain_client,
        skip_instance_cache=True,
    )  # fmt: skip


def _fs(spec: Mapping[str, Any]) -> Any:
    return _swiftspec_fs(spec) if spec["client"] == "swiftspec" else _swiftsvc_fs(spec)


def _url(spec: Mapping[str, Any], container: str, path: str = "") -> str:
    """The client's URL of ``container/path``."""
    if spec["client"] == "swiftspec":
        host_account = spec["storage_url"].split("://", 1)[1].replace("/v1/", "/", 1)
        base = f"swift://{host_account}/{container}"
    else:
        base = f"swift://{container}"
    return f"{base}/{path}" if path else base


# ---- workloads ------------------------------------------------------------------


def read_large(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """open + read() of one large object."""
    url = _url(spec, spec["container"], spec["object"])
    with measured(outcome, None):
        fs = _fs(spec)
        with fs.open(url, "rb") as f:
            data = f.read()
    outcome.bytes = len(data)
    if hashlib.md5(data).hexdigest() == spec["md5"]:
        outcome.ok = 1
    else:
        outcome.failed = 1
        outcome.first_error = f"read {len(data)} bytes that do not match"


def get_small(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """Every object of a folder into a local folder."""
    out = Path(spec["out_dir"])
    with measured(outcome, None):
        fs = _fs(spec)
        folder = _url(spec, spec["container"], spec["prefix"])
        if spec["client"] == "swiftspec":
            paths = fs.ls(folder, detail=False)
            contents = fs.cat(paths)
            for path, data in contents.items():
                (out / path.rsplit("/", 1)[1]).write_bytes(data)
        else:
            fs.get(folder + "/", str(out) + "/", recursive=True)
    files = list(out.iterdir())
    outcome.ok = len(files)
    outcome.bytes = sum(f.stat().st_size for f in files)
    if outcome.ok != spec["expected"]:
        outcome.failed = 1
        outcome.first_error = f"{outcome.ok} files of {spec['expected']}"


def put_small(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """Every file of a local folder into a folder of a container."""
    source = Path(spec["source_dir"])
    with measured(outcome, None):
        fs = _fs(spec)
        folder = _url(spec, spec["container"], spec["prefix"])
        if spec["client"] == "swiftspec":
            fs.pipe({f"{folder}/{p.name}": p.read_bytes() for p in sorted(source.iterdir())})
        else:
            fs.put(str(source) + "/", folder + "/", recursive=True)
    outcome.ok = len(fs.ls(folder, detail=False))
    if outcome.ok != spec["expected"]:
        outcome.failed = 1
        outcome.first_error = f"{outcome.ok} objects of {spec['expected']}"


def ls_big(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """ls (with details) of a folder holding many objects."""
    with measured(outcome, None):
        fs = _fs(spec)
        entries = fs.ls(_url(spec, spec["container"], spec["prefix"]), detail=True)
    outcome.ok = len(entries)
    if outcome.ok != spec["expected"]:
        outcome.failed = 1
        outcome.first_error = f"listed {outcome.ok} of {spec['expected']}"


def upload_tree(spec: Mapping[str, Any], outcome: Outcome) -> None:
    """A folder uploaded by one Service (``workers`` 0) or by swiftsvc.dask on N processes."""
    workers = int(spec["workers"])
    if workers == 0:
        from swiftsvc import Service

        with measured(outcome, None), Service(spec["auth"]) as service:
            for result in service.upload(spec["container"], [spec["source_dir"] + "/"]):
                _count(outcome, result, "upload_object")
        return
    from distributed import Client, LocalCluster

    from swiftsvc import dask as swift_dask

    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:  # fmt: skip
        client.wait_for_workers(workers, timeout=120)
        before = sum(client.run(_cpu_seconds).values())
        with measured(outcome, None):
            job = swift_dask.upload(client, spec["container"], spec["source_dir"],
                                    options=spec["auth"],
                                    files_per_partition=spec["per_partition"])  # fmt: skip
            for result in job:
                if not result["success"]:
                    _count(outcome, result, "")
            outcome.ok = job.totals.done
        outcome.cpu_user += sum(client.run(_cpu_seconds).values()) - before  # the workers'


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _count(outcome: Outcome, result: Mapping[str, Any], counted: str) -> None:
    if not result["success"]:
        outcome.failed += 1
        if outcome.first_error is None:
            outcome.first_error = f"{result['action']}: {result.get('error')!r}"
    elif result["action"] == counted:
        outcome.ok += 1


WORKLOADS: dict[str, Callable[[Mapping[str, Any], Outcome], None]] = {
    "read_large": read_large,
    "get_small": get_small,
    "put_small": put_small,
    "ls_big": ls_big,
    "upload_tree": upload_tree,
}


def _import_client(spec: Mapping[str, Any]) -> None:
    """Imports happen before the measured block, as in workloads.py."""
    if spec["client"] == "swiftspec":
        import aiohttp  # noqa: F401
        import swiftspec  # noqa: F401
    elif spec["workload"] == "upload_tree":
        import distributed  # noqa: F401

        import swiftsvc.dask
    else:
        import swiftsvc.fsspec  # noqa: F401


def main(argv: list[str]) -> int:
    spec = json.loads(argv[1])
    outcome = Outcome()
    _import_client(spec)
    try:
        WORKLOADS[spec["workload"]](spec, outcome)
    except Exception as error:  # reported, not raised: the harness records a failed run
        outcome.failed += 1
        outcome.first_error = f"{type(error).__name__}: {error}"
        traceback.print_exc()
    print(RESULT_PREFIX + json.dumps({**asdict(outcome), "cpu": outcome.cpu}), flush=True)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv))
