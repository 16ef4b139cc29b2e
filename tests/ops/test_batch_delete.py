"""Batched deletes must not orphan large-object segments (Service.batch())."""

from __future__ import annotations

from _large import names_in, put_dlo, put_slo
from _seed import Seed

from swiftsvc import Service


def test_batched_delete_of_slo_and_dlo_removes_their_segments(
    seed: Seed, swift_options: dict[str, str], container_name: str
) -> None:
    segments = f"{container_name}_segments"
    seed.put(container_name, "plain", b"data")
    put_slo(seed, container_name, "big-slo", segments, count=3)
    put_dlo(seed, container_name, "big-dlo", segments, count=3)
    assert len(names_in(seed, segments)) == 6

    with Service(swift_options) as svc, svc.batch() as batch:
        for name in ("plain", "big-slo", "big-dlo"):
            batch.delete(container_name, name)

    assert all(r["success"] for r in batch.results), [r.get("error") for r in batch.results]
    deleted = {r.get("object") for r in batch.results if r["action"] == "delete_object"}
    assert deleted == {"plain", "big-slo", "big-dlo"}
    assert names_in(seed, container_name) == []
    assert names_in(seed, segments) == []
