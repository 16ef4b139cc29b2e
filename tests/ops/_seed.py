"""Seeding the real local Swift with raw HTTP, independent of the code under test."""

from __future__ import annotations

import concurrent.futures
import io
import json
import os
import tarfile
from collections.abc import Iterable, Iterator, Mapping
from typing import NamedTuple
from urllib.parse import quote

import requests

from swiftsvc.testing import LocalSwift

# Objects of the memory-flatness tests. 1000 on small_swift (listing pages of
# 50, bulk deletes of 50) are 20 pages: a leak of each object's listing entry
# (~450 bytes) adds ~300 KB between the first quarter and the rest, well over
# the margins the tests allow (measured, see the tests). Filling costs the
# servers ~10-50 ms an object on 2 cores, so CI keeps it small;
# SWIFTSVC_MEMORY_OBJECTS=20000 runs the figures of bench/NOTES-memory.md.
# (SWIFTSVC_DOWNLOAD_MEMORY_OBJECTS, the download test's older name, still counts)
MEMORY_OBJECTS = int(
    os.environ.get("SWIFTSVC_MEMORY_OBJECTS")
    or os.environ.get("SWIFTSVC_DOWNLOAD_MEMORY_OBJECTS")
    or "1000"
)


class Filled(NamedTuple):
    container: str
    objects: int


class Seed:
    """PUTs through plain ``requests`` with a tempauth token."""

    def __init__(self, cluster: LocalSwift, user: str = "tester") -> None:
        self.cluster, self.user = cluster, user
        self.storage_url, self.token = cluster.get_token(user)
        self.session = requests.Session()

    def _url(self, container: str, obj: str | None = None) -> str:
        url = f"{self.storage_url}/{quote(container)}"
        return url if obj is None else f"{url}/{quote(obj)}"

    def _check(self, answer: requests.Response) -> requests.Response:
        if answer.status_code >= 300:
            raise AssertionError(f"seeding failed: {answer.status_code} {answer.text[:200]}")
        return answer

    def container(self, name: str, headers: Mapping[str, str] | None = None) -> None:
        self._check(self.session.put(
            self._url(name), headers={"X-Auth-Token": self.token, **(headers or {})}, timeout=30
        ))

    def put(
        self, container: str, obj: str, data: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> str:
        """PUT one object (creating its container if missing); returns its ETag."""
        for _ in range(2):
            answer = self.session.put(
                self._url(container, obj), data=data,
                headers={"X-Auth-Token": self.token, **(headers or {})}, timeout=30,
            )
            if answer.status_code != 404:
                break
            self.container(container)
        return self._check(answer).headers["etag"]

    def head(self, container: str, obj: str | None = None) -> requests.Response:
        return self.session.head(
            self._url(container, obj), headers={"X-Auth-Token": self.token}, timeout=30
        )

    def get(self, container: str, obj: str) -> bytes:
        """The object's content (a large object's, assembled by the proxy)."""
        return self._check(self.session.get(
            self._url(container, obj), headers={"X-Auth-Token": self.token}, timeout=60
        )).content

    def bulk(
        self,
        container: str,
        names: Iterable[str],
        data: bytes = b"",
        *,
        threads: int = 1,
        per_archive: int = 10000,
    ) -> int:
        """Create many objects by extract-archive, ``per_archive`` names an archive,
        ``threads`` archives in flight (the cluster expands one archive serially)."""
        archives = _chunks(names, per_archive)
        if threads <= 1:
            return sum(self._archive(container, batch, data) for batch in archives)
        created = 0
        with concurrent.futures.ThreadPoolExecutor(threads) as pool:
            pending: set[concurrent.futures.Future[int]] = set()
            for batch in archives:
                if len(pending) >= threads:  # bounded: the names may be a generator
                    done, pending = concurrent.futures.wait(
                        pending, return_when=concurrent.futures.FIRST_COMPLETED
                    )
                    created += sum(f.result() for f in done)
                pending.add(pool.submit(Seed(self.cluster, self.user)._archive,
                                        container, batch, data))
            created += sum(f.result() for f in pending)
        return created

    def _archive(self, container: str, names: list[str], data: bytes) -> int:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.USTAR_FORMAT) as tar:
            for name in names:
                info = tarfile.TarInfo(name)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
        answer = self._check(self.session.put(
            self._url(container), params={"extract-archive": "tar"}, data=buffer.getvalue(),
            headers={"X-Auth-Token": self.token, "Accept": "application/json"}, timeout=600,
        ))
        outcome = json.loads(answer.text.strip())
        if outcome.get("Errors"):
            raise AssertionError(f"extract-archive errors: {outcome['Errors'][:5]}")
        return int(outcome["Number Files Created"])


def _chunks(names: Iterable[str], size: int) -> Iterator[list[str]]:
    batch: list[str] = []
    for name in names:
        batch.append(name)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
