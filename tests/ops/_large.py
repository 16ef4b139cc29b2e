"""Seeding large objects (SLO and DLO) with raw HTTP, for the delete / copy tests."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote

from _seed import Seed

from swiftsvc.auth import build_authenticator
from swiftsvc.http import Connection, connection_factory
from swiftsvc.options import Options


def put_slo(seed: Seed, container: str, name: str, segment_container: str, count: int = 3,
            size: int = 10, tag: str = "") -> list[str]:
    """An SLO of ``count`` segments in ``segment_container``; returns the segment names."""
    names = [f"{name}/slo{tag}/{i:08d}" for i in range(count)]
    manifest = []
    for i, segment in enumerate(names):
        etag = seed.put(segment_container, segment, bytes([65 + i]) * size)
        manifest.append({"path": f"/{segment_container}/{segment}", "etag": etag,
                         "size_bytes": size})
    answer = seed.session.put(
        f"{seed.storage_url}/{quote(container)}/{quote(name)}",
        params={"multipart-manifest": "put"},
        data=json.dumps(manifest).encode(), headers={"X-Auth-Token": seed.token}, timeout=30,
    )
    assert answer.status_code == 201, answer.text
    return names


def put_dlo(seed: Seed, container: str, name: str, segment_container: str, count: int = 3,
            size: int = 10, tag: str = "") -> list[str]:
    """A DLO of ``count`` segments in ``segment_container``; returns the segment names."""
    prefix = f"{name}/dlo{tag}/"
    names = [f"{prefix}{i:08d}" for i in range(count)]
    for i, segment in enumerate(names):
        seed.put(segment_container, segment, bytes([97 + i]) * size)
    seed.put(container, name, b"", headers={"X-Object-Manifest": f"{segment_container}/{prefix}"})
    return names


def names_in(seed: Seed, container: str) -> list[str]:
    """Every object name of ``container`` (raw listing, all pages)."""
    names: list[str] = []
    marker = ""
    while True:
        answer = seed.session.get(
            f"{seed.storage_url}/{container}", params={"format": "json", "marker": marker},
            headers={"X-Auth-Token": seed.token}, timeout=30,
        )
        if answer.status_code == 404:
            return names
        assert answer.status_code in (200, 204), answer.text
        page = answer.json() if answer.status_code == 200 else []
        if not page:
            return names
        names.extend(item["name"] for item in page)
        marker = page[-1]["name"]


@contextmanager
def connection(options: Mapping[str, Any]) -> Iterator[Connection]:
    """A swiftsvc Connection of its own (for tests of jobs and helpers taking one)."""
    record = Options.from_service(options, {})
    conn = connection_factory(record, build_authenticator(record))()
    try:
        yield conn
    finally:
        conn.close()
