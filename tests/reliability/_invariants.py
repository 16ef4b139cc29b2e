"""The scenario-level checks of the reliability suite, shared by every fault test.

A fault test runs one call of the public API twice: once under the fault, once
more with the fault cleared (the user re-running the same command). After each
run :class:`Checker` asserts the invariants of docs/RELIABILITY.md:

1. **one result each**: every expected sub-operation (object uploaded or
   downloaded) has exactly one result, success or failure; none twice, none
   unexpected, none missing; every segment at most once;
2. **no partial files**: the local folder holds only expected names (no
   ``*.swiftsvc-part`` or other temporary files);
3. **no orphan segments**: every object of the segment container is referenced
   by a manifest that exists (SLO: its JSON via ``?multipart-manifest=get``;
   DLO: its ``X-Object-Manifest`` prefix). After a faulted run a segment may
   remain only if the user was told: a failed ``delete_segment`` result names
   it, or an upload the user interrupted kept it for the resume (its failed
   ``upload_object`` result says so and names it in ``segment_results``);
4. **no threads left**: once the Service is closed, no thread it started is
   alive (after a short join);
5. **re-run finishes**: the second run succeeds everywhere and the data is
   right (MD5 of every object against the local file).

The cluster side is read with plain ``requests``, independent of the code
under test.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import requests

from swiftsvc import Service
from swiftsvc.ops.download.part_files import TEMP_SUFFIX

Result = Mapping[str, Any]  # any result (swiftsvc.results.Result)
Call = Callable[[Service], Iterable[Result]]

# what each kind of call owes one result per object for
OBJECT_ACTIONS = frozenset({"upload_object", "download_object", "create_dir_marker"})
# threads of the test's own tooling, never the library's
_INFRASTRUCTURE_THREADS = ("faultproxy",)
_THREAD_JOIN = 5.0


# ------------------------------------------------------------------ running


@dataclass
class Run:
    """The results of one call, and the threads still alive after its Service closed."""

    results: list[Result]
    leftover_threads: list[str]
    seconds: float

    def of(self, action: str) -> list[Result]:
        return [r for r in self.results if r["action"] == action]

    def failed(self) -> list[Result]:
        return [r for r in self.results if not r["success"]]

    def failed_objects(self) -> set[str]:
        return {r["object"] for r in self.results
                if not r["success"] and r["action"] in OBJECT_ACTIONS}

    def describe_failures(self) -> str:
        return "\n".join(f"{_label(r)}: {r.get('error')!r}" for r in self.failed())


def _label(result: Result) -> str:
    name = result.get("object") or result.get("for_object") or result.get("container")
    index = result.get("segment_index")
    return f"{result['action']} {name}" + ("" if index is None else f" segment {index}")


def run_call(options: Mapping[str, Any], call: Call,
             service: Callable[[Mapping[str, Any]], Service] = Service) -> Run:
    """Run ``call`` on a fresh Service, consume every result, close the Service,
    and record which threads it left behind."""
    before = set(threading.enumerate())
    started = time.monotonic()
    with service(options) as svc:
        results = list(call(svc))
    seconds = time.monotonic() - started
    return Run(results, leftover_threads(before), seconds)


def leftover_threads(before: Collection[threading.Thread],
                     timeout: float = _THREAD_JOIN) -> list[str]:
    """Names of threads started since ``before`` still alive after a short join.

    The fault proxy's own threads are test infrastructure and not counted.
    """
    deadline = time.monotonic() + timeout
    new = [
        thread for thread in threading.enumerate()
        if thread not in before and not thread.name.startswith(_INFRASTRUCTURE_THREADS)
    ]
    for thread in new:
        thread.join(max(0.0, deadline - time.monotonic()))
    return [thread.name for thread in new if thread.is_alive()]


# ---------------------------------------------------------- cluster access


class SwiftView:
    """Raw HTTP access to one account (plain ``requests``): reads, and ``put`` for setups."""

    def __init__(self, storage_url: str, token: str) -> None:
        self.storage_url = storage_url.rstrip("/")
        self.token = token
        self.session = requests.Session()

    def _url(self, container: str, obj: str | None = None) -> str:
        url = f"{self.storage_url}/{quote(container, safe='')}"
        return url if obj is None else f"{url}/{quote(obj)}"

    def _get(self, url: str, **params: str) -> requests.Response:
        return self.session.get(url, params=params, timeout=30,
                                headers={"X-Auth-Token": self.token})

    def listing(self, container: str) -> list[dict[str, Any]]:
        """Every entry of ``container`` (all pages); [] if it does not exist."""
        entries: list[dict[str, Any]] = []
        marker = ""
        while True:
            answer = self._get(self._url(container), format="json", marker=marker)
            if answer.status_code == 404:
                return []
            answer.raise_for_status()
            page = answer.json() if answer.status_code == 200 else []
            if not page:
                return entries
            entries.extend(page)
            marker = page[-1]["name"]

    def put(self, container: str, obj: str, data: bytes) -> None:
        """PUT one object, creating its container first."""
        headers = {"X-Auth-Token": self.token}
        self.session.put(self._url(container), headers=headers, timeout=30).raise_for_status()
        self.session.put(self._url(container, obj), data=data, headers=headers,
                         timeout=30).raise_for_status()

    def names(self, container: str) -> list[str]:
        return [entry["name"] for entry in self.listing(container)]

    def head(self, container: str, obj: str) -> requests.Response:
        return self.session.head(self._url(container, obj), timeout=30,
                                 headers={"X-Auth-Token": self.token})

    def md5(self, container: str, obj: str) -> str:
        """MD5 of the object's content; a large object's is assembled from its segments.

        Segments are read one by one rather than through the manifest: Swift's
        proxy rate-limits the segments of a large-object GET after the tenth
        (one a second by default), which would make each check take seconds.
        """
        head = self.head(container, obj)
        head.raise_for_status()
        digest = hashlib.md5()
        for segment in self._segment_paths(container, obj, head.headers):
            segment_container, _, name = segment.partition("/")
            self._read_into(digest, self._url(segment_container, name))
        return digest.hexdigest()

    def _segment_paths(self, container: str, obj: str,
                       headers: Mapping[str, str]) -> list[str]:
        """``[container/name]`` of the object itself, or of its segments in order."""
        if headers.get("X-Static-Large-Object", "").lower() == "true":
            answer = self._get(self._url(container, obj),
                               **{"multipart-manifest": "get", "format": "raw"})
            answer.raise_for_status()
            return [unquote(item["path"]).lstrip("/") for item in json.loads(answer.content)]
        manifest = headers.get("X-Object-Manifest")
        if manifest is not None:
            segment_container, _, prefix = unquote(manifest).partition("/")
            answer = self._get(self._url(segment_container), format="json", prefix=prefix)
            answer.raise_for_status()
            return [f"{segment_container}/{item['name']}" for item in answer.json()]
        return [f"{container}/{obj}"]

    def _read_into(self, digest: Any, url: str) -> None:
        with self.session.get(url, stream=True, timeout=60,
                              headers={"X-Auth-Token": self.token}) as answer:
            answer.raise_for_status()
            for chunk in answer.iter_content(1 << 16):
                digest.update(chunk)

    def referenced_segments(self, container: str) -> tuple[set[str], list[str]]:
        """(``segment_container/name`` of every segment a manifest of
        ``container`` references, the DLO prefixes ``segment_container/prefix``)."""
        paths: set[str] = set()
        prefixes: list[str] = []
        for entry in self.listing(container):
            # SLO manifests are listed with an slo_etag; DLO manifests are empty
            if "slo_etag" not in entry and entry["bytes"] != 0:
                continue
            head = self.head(container, entry["name"])
            if head.status_code != 200:
                continue
            if head.headers.get("X-Static-Large-Object", "").lower() == "true":
                answer = self._get(self._url(container, entry["name"]),
                                   **{"multipart-manifest": "get", "format": "raw"})
                answer.raise_for_status()
                for segment in json.loads(answer.content):
                    paths.add(unquote(segment["path"]).lstrip("/"))
            elif "X-Object-Manifest" in head.headers:
                prefixes.append(unquote(head.headers["X-Object-Manifest"]))
        return paths, prefixes

    def orphan_segments(self, container: str, segment_container: str) -> list[str]:
        """Objects of ``segment_container`` that no manifest of ``container`` references."""
        paths, prefixes = self.referenced_segments(container)
        orphans = []
        for name in self.names(segment_container):
            full = f"{segment_container}/{name}"
            if full not in paths and not any(full.startswith(p) for p in prefixes):
                orphans.append(name)
        return orphans


# ---------------------------------------------------------------- checking


def local_md5(path: Path) -> str:
    digest = hashlib.md5()
    with open(path, "rb") as fp:
        for chunk in iter(lambda: fp.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def tree_files(root: Path, base: Path | None = None) -> dict[str, Path]:
    """{name relative to ``base`` (default: ``root``'s parent): path} of the files under root."""
    base = base if base is not None else root.parent
    return {
        str(path.relative_to(base)): path
        for path in sorted(root.rglob("*")) if path.is_file()
    }


@dataclass
class Checker:
    """The invariants of one scenario.

    ``expected`` names the objects the call owes a result for (upload: object
    names; download: object names, also the files expected in ``local_dir``);
    ``sources`` maps object names to the local files whose bytes they must
    hold once the job is finished (upload: the sources; download: the files
    written, compared with the cluster).
    """

    view: SwiftView
    container: str
    expected: set[str]
    sources: dict[str, Path] = field(default_factory=dict)
    local_dir: Path | None = None
    segment_container: str | None = None

    @property
    def segments(self) -> str:
        return self.segment_container or f"{self.container}_segments"

    def check(self, run: Run) -> None:
        """Invariants 1-4, which hold after any run, faulted or not."""
        self.one_result_each(run)
        self.no_partial_files()
        self.no_silent_orphans(run)
        assert run.leftover_threads == [], f"threads left: {run.leftover_threads}"

    def check_finished(self, run: Run) -> None:
        """Invariants 1-5: the re-run with the fault cleared finished the job."""
        self.check(run)
        assert run.failed() == [], run.describe_failures()
        orphans = self.view.orphan_segments(self.container, self.segments)
        assert orphans == [], f"orphan segments in {self.segments}: {orphans}"
        self.data_is_right()

    def one_result_each(self, run: Run) -> None:
        counted = Counter(r["object"] for r in run.results if r["action"] in OBJECT_ACTIONS)
        twice = sorted(name for name, n in counted.items() if n > 1)
        missing = sorted(self.expected - set(counted))
        unexpected = sorted(set(counted) - self.expected)
        assert not twice, f"more than one result for {twice}"
        assert not missing, f"no result for {missing}"
        assert not unexpected, f"results for unexpected objects {unexpected}"
        segments = Counter(
            (r["for_object"], r["segment_index"]) for r in run.of("upload_segment")
        )
        assert all(n == 1 for n in segments.values()), (
            f"segments with several results: {[k for k, n in segments.items() if n > 1]}"
        )
        for result in run.results:
            if not result["success"]:
                assert result.get("error") is not None, f"a failure without error: {result}"

    def no_partial_files(self) -> None:
        if self.local_dir is None:
            return
        present = {
            str(path.relative_to(self.local_dir))
            for path in self.local_dir.rglob("*") if not path.is_dir()
        }
        temporary = sorted(name for name in present if TEMP_SUFFIX in name)
        assert not temporary, f"temporary files left: {temporary}"
        unexpected = sorted(present - self.expected)
        assert not unexpected, f"unexpected local files: {unexpected}"

    def no_silent_orphans(self, run: Run) -> None:
        """Every segment no manifest references was reported: a failed delete_segment,
        or kept for the resume (see :func:`kept_for_resume`)."""
        orphans = self.view.orphan_segments(self.container, self.segments)
        reported = {r["object"] for r in run.of("delete_segment") if not r["success"]}
        silent = sorted(set(orphans) - reported - kept_for_resume(run.results))
        assert not silent, f"orphan segments nobody was told about: {silent}"

    def data_is_right(self) -> None:
        listing = {entry["name"]: entry for entry in self.view.listing(self.container)}
        for name, path in sorted(self.sources.items()):
            assert name in listing, f"{name} is not in {self.container}"
            entry = listing[name]
            want = local_md5(path)
            # a plain object's listing hash is its MD5; a manifest is read whole
            got = entry["hash"] if entry["bytes"] and "slo_etag" not in entry else None
            if got != want:
                got = self.view.md5(self.container, name)
            assert got == want, f"{name}: cluster MD5 {got} != local {want}"


def kept_for_resume(results: Iterable[Result]) -> set[str]:
    """Names of the segments interrupted uploads kept for their resume.

    An upload the user interrupted (``Service.cancel()``, a closed iterator)
    is not a failure: its failed ``upload_object`` result says the segments
    are kept, and its ``segment_results`` name the ones that landed.
    """
    kept: set[str] = set()
    for result in results:
        if (result["action"] != "upload_object" or result["success"]
                or "kept in" not in str(result.get("error"))):
            continue
        for segment in result.get("segment_results") or ():
            if segment["success"]:
                kept.add(str(segment["segment_location"]).lstrip("/").partition("/")[2])
    return kept


def run_and_check(
    checker: Checker,
    options: Mapping[str, Any],
    call: Call,
    *,
    clear_fault: Callable[[], None],
    rerun_options: Mapping[str, Any] | None = None,
    between: Callable[[Run], None] | None = None,
) -> tuple[Run, Run]:
    """The whole scenario: run under the fault, check; clear it, run again, check finished.

    ``between`` gets the faulted run for the scenario's own checks, before the re-run.
    """
    faulted = run_call(options, call)
    checker.check(faulted)
    if between is not None:
        between(faulted)
    clear_fault()
    again = run_call(rerun_options if rerun_options is not None else options, call)
    checker.check_finished(again)
    return faulted, again


def write_tree(root: Path, *, small: int, small_size: int = 2048,
               large: Iterable[int] = ()) -> dict[str, Path]:
    """``small`` files ``f0000..`` of random bytes plus large files ``big0..``; {name: path}."""
    root.mkdir(parents=True)
    for index in range(small):
        (root / f"f{index:04d}").write_bytes(os.urandom(small_size))
    for index, size in enumerate(large):
        (root / f"big{index}").write_bytes(os.urandom(size))
    return tree_files(root)


class Tmpfs:
    """A small tmpfs mounted at ``path``; :meth:`resize` makes room (the "fault cleared")."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mount(self, size: str) -> str | None:
        """Mount it; the error text when this host does not allow mounting."""
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(self.path)], capture_output=True, text=True, check=False)
        return done.stderr.strip() or "mount failed" if done.returncode else None

    def resize(self, size: str) -> None:
        subprocess.run(["mount", "-o", f"remount,size={size}", str(self.path)],
                       capture_output=True, check=True)

    def unmount(self) -> None:
        subprocess.run(["umount", str(self.path)], capture_output=True, check=False)
