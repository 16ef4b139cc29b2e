"""Progress events (swiftsvc.events) of real uploads and downloads on the local Swift.

A subscriber must see, per object: QUEUED with its size, BYTES adding up to
its size (per segment for a segmented upload), then DONE; FAILED for a
failed item; and nothing at all must be paid when nobody subscribes.
"""

from __future__ import annotations

import collections
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from swiftsvc import Service, SwiftError, UploadObject
from swiftsvc.events import SILENT, Event, EventKind, EventSink

SEGMENT = 64 * 1024
SMALL = 1000
BIG = 2 * SEGMENT + 100  # three segments: 64 KiB, 64 KiB, 100 bytes


class Recorder:
    """A thread-safe subscriber keeping every event in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.events: list[Event] = []

    def __call__(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: EventKind, action: str, obj: str | None = None) -> list[Event]:
        return [
            e for e in self.events
            if e.kind is kind and e.action == action and (obj is None or e.obj == obj)
        ]

    def position(self, kind: EventKind, action: str, obj: str, *, last: bool = False) -> int:
        found = [
            i for i, e in enumerate(self.events)
            if e.kind is kind and e.action == action and e.obj == obj
        ]
        assert found, f"no {kind} event of {action} {obj}"
        return found[-1] if last else found[0]


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    small, big = tmp_path / "small.txt", tmp_path / "big.bin"
    small.write_bytes(os.urandom(SMALL))
    big.write_bytes(os.urandom(BIG))
    return {"small.txt": small, "big.bin": big}


@pytest.fixture
def svc(swift_options: dict[str, str], container_name: str) -> Iterator[Service]:
    with Service(swift_options) as service:
        yield service
        for name in (container_name, f"{container_name}_segments"):
            try:
                for _ in service.delete(name):
                    pass
            except SwiftError:  # never created
                pass


def _upload(
    svc: Service, container: str, files: dict[str, Path], recorder: Recorder | None = None
) -> None:
    results = list(
        svc.upload(
            container,
            [UploadObject(str(path), object_name=name) for name, path in files.items()],
            options={"segment_size": SEGMENT, "use_slo": True},
            progress=recorder,
        )
    )
    assert all(r["success"] for r in results), [r.get("error") for r in results]


def test_an_upload_publishes_queued_bytes_and_done_for_objects_and_each_segment(
    svc: Service, container_name: str, files: dict[str, Path]
) -> None:
    recorder = Recorder()
    _upload(svc, container_name, files, recorder)

    queued = {e.obj: e.nbytes for e in recorder.of(EventKind.QUEUED, "upload_object")}
    assert queued == {"small.txt": SMALL, "big.bin": BIG}

    small_bytes = recorder.of(EventKind.BYTES, "upload_object", "small.txt")
    assert sum(e.nbytes for e in small_bytes) == SMALL
    assert {e.segment for e in small_bytes} == {None}

    per_segment: collections.Counter[int | None] = collections.Counter()
    for event in recorder.of(EventKind.BYTES, "upload_segment", "big.bin"):
        assert event.container == container_name
        per_segment[event.segment] += event.nbytes
    assert per_segment == {0: SEGMENT, 1: SEGMENT, 2: 100}
    # a segmented object's bytes are counted once: as its segments, not again as the object
    assert recorder.of(EventKind.BYTES, "upload_object", "big.bin") == []

    done = collections.Counter(e.action for e in recorder.events if e.kind is EventKind.DONE)
    assert done == {"create_container": 2, "upload_segment": 3, "upload_object": 2}
    assert recorder.of(EventKind.FAILED, "upload_object") == []

    for name, action in (("small.txt", "upload_object"), ("big.bin", "upload_segment")):
        queued_at = recorder.position(EventKind.QUEUED, "upload_object", name)
        first_bytes = recorder.position(EventKind.BYTES, action, name)
        last_bytes = recorder.position(EventKind.BYTES, action, name, last=True)
        done_at = recorder.position(EventKind.DONE, "upload_object", name)
        assert queued_at < first_bytes <= last_bytes < done_at


def test_a_download_publishes_queued_bytes_and_done_per_object(
    svc: Service, container_name: str, files: dict[str, Path], tmp_path: Path
) -> None:
    _upload(svc, container_name, files)
    recorder = Recorder()
    out = tmp_path / "out"
    results = list(
        svc.download(container_name, options={"out_directory": str(out)}, progress=recorder)
    )
    assert all(r["success"] for r in results), [r.get("error") for r in results]

    queued = {e.obj: e.nbytes for e in recorder.of(EventKind.QUEUED, "download_object")}
    assert queued == {"small.txt": SMALL, "big.bin": BIG}
    for name, size in (("small.txt", SMALL), ("big.bin", BIG)):
        moved = recorder.of(EventKind.BYTES, "download_object", name)
        assert sum(e.nbytes for e in moved) == size
        queued_at = recorder.position(EventKind.QUEUED, "download_object", name)
        done_at = recorder.position(EventKind.DONE, "download_object", name)
        assert queued_at < recorder.position(EventKind.BYTES, "download_object", name)
        assert recorder.position(EventKind.BYTES, "download_object", name, last=True) < done_at
    assert [e.obj for e in recorder.of(EventKind.DONE, "download_object")].count("big.bin") == 1


def test_a_failed_download_publishes_failed(
    svc: Service, container_name: str, files: dict[str, Path], tmp_path: Path
) -> None:
    _upload(svc, container_name, {"small.txt": files["small.txt"]})
    recorder = Recorder()
    results = list(
        svc.download(
            container_name,
            ["small.txt", "missing.txt"],
            options={"out_directory": str(tmp_path / "out")},
            progress=recorder,
        )
    )
    assert sorted((r["object"], r["success"]) for r in results) == [
        ("missing.txt", False), ("small.txt", True),
    ]
    assert [e.obj for e in recorder.of(EventKind.FAILED, "download_object")] == ["missing.txt"]
    assert [e.obj for e in recorder.of(EventKind.DONE, "download_object")] == ["small.txt"]


def test_service_and_call_subscribers_both_receive_and_a_raising_one_is_harmless(
    swift_options: dict[str, str], container_name: str, files: dict[str, Path]
) -> None:
    service_level, call_level = Recorder(), Recorder()

    def broken(event: Event) -> None:
        raise RuntimeError("a broken progress bar")

    with Service(swift_options, progress=service_level) as svc:
        results = list(
            svc.upload(
                container_name,
                [UploadObject(str(files["small.txt"]), object_name="small.txt")],
                progress=broken,
            )
        )
        assert all(r["success"] for r in results)
        list(svc.upload(container_name, [UploadObject(str(files["small.txt"]), "again.txt")],
                        progress=call_level))
        for _ in svc.delete(container_name):
            pass
    # the service's subscriber saw both calls (and the delete); the call's only its own
    assert {e.obj for e in service_level.of(EventKind.DONE, "upload_object")} == {
        "small.txt", "again.txt",
    }
    assert {e.obj for e in call_level.of(EventKind.DONE, "upload_object")} == {"again.txt"}
    assert call_level.of(EventKind.DONE, "delete_object") == []


def test_without_subscribers_no_byte_callback_is_made() -> None:
    # transfers then run with on_progress=None: not even a function call per chunk
    assert SILENT.byte_counter("upload_object", "c", "o") is None
    assert not SILENT.active
    assert SILENT.with_subscriber(None) is SILENT
    assert EventSink([lambda e: None]).byte_counter("upload_object", "c", "o") is not None


def test_planned_follows_the_last_queued_item_of_a_download(
    svc: Service, container_name: str, files: dict[str, Path], tmp_path: Path
) -> None:
    # the listing drives a download's plan: PLANNED says the totals are final
    _upload(svc, container_name, files)
    recorder = Recorder()
    results = list(svc.download(container_name, options={"out_directory": str(tmp_path / "o")},
                                progress=recorder))  # fmt: skip
    assert all(r["success"] for r in results)
    kinds = [e.kind for e in recorder.events]
    assert kinds.count(EventKind.PLANNED) == 1
    planned_at = kinds.index(EventKind.PLANNED)
    assert kinds.count(EventKind.QUEUED) == 2
    assert EventKind.QUEUED not in kinds[planned_at:]
    assert recorder.events[planned_at].action == ""
