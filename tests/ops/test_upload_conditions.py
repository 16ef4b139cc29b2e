"""Safe writes on the real cluster: ``If-None-Match: *`` and ``If-Match: <etag>`` given
in the ``header`` option (swiftsvc.ops.upload.conditions).

Swift enforces ``If-None-Match: *`` on a PUT itself and ignores ``If-Match``
(checked here too, so the day it changes a test says so); either way a
refused object is a failed result saying why, and nothing of it is written:
for a segmented upload, not one segment.
"""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from _large import names_in
from _seed import Seed
from _uploads import Result, all_succeeded, of, one, upload, write

from swiftsvc import OptionError, Service, UploadObject
from swiftsvc.ops.upload.conditions import WriteConditions, write_conditions
from swiftsvc.testing import FaultProxy, LocalSwift

SEG = 64 * 1024


@pytest.fixture
def svc(swift_options: dict[str, str]) -> Iterator[Service]:
    with Service(swift_options) as service:
        yield service


@pytest.fixture
def here(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def md5(data: bytes) -> str:
    return hashlib.md5(data).hexdigest()


def refused(results: list[Result], words: str) -> None:
    result = one(results, "upload_object")
    assert not result["success"]
    assert words in str(result["error"]) and "not uploaded" in str(result["error"])


# ------------------------------------------------------------- the option


def test_conditions_are_read_from_the_header_option() -> None:
    assert write_conditions([("X-Foo", "1")]) == WriteConditions()
    assert write_conditions([("if-none-match", " * ")]) == WriteConditions(absent=True)
    assert write_conditions([("If-Match", '"abc", W/"def"')]) == WriteConditions(
        etags=("abc", "def"))
    with pytest.raises(OptionError, match="only 'If-None-Match: \\*'"):
        write_conditions([("If-None-Match", "abc")])


def test_refusals_say_why() -> None:
    absent = WriteConditions(absent=True)
    assert absent.refusal(None, exists=False) is None
    assert "exists" in str(absent.refusal("x", exists=True))
    known = WriteConditions(etags=("abc",))
    assert known.refusal("abc", exists=True) is None
    assert "does not exist" in str(known.refusal(None, exists=False))
    assert "ETag is def, not abc" in str(known.refusal("def", exists=True))
    assert WriteConditions(etags=("*",)).refusal("any", exists=True) is None


def test_an_if_none_match_swift_would_refuse_is_refused_at_the_call(
    svc: Service, here: Path, container_name: str
) -> None:
    write(here / "a.txt", b"a")
    with pytest.raises(OptionError, match="If-None-Match"):
        upload(svc, container_name, ["a.txt"], header=["If-None-Match: abc"])


# ------------------------------------------------------- If-None-Match: *


def test_if_none_match_creates_an_absent_object_and_refuses_an_existing_one(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    seed.put(container_name, "there.txt", b"the original")
    write(here / "there.txt", b"a new version")
    write(here / "new.txt", b"brand new")
    results = upload(svc, container_name, ["there.txt", "new.txt"],
                     header=["If-None-Match: *"])
    by_name = {r["object"]: r for r in of(results, "upload_object")}
    assert by_name["new.txt"]["success"] and by_name["new.txt"]["status"] == "uploaded"
    failed = by_name["there.txt"]
    assert not failed["success"]
    assert "the object exists and If-None-Match: * allows only creating it" in str(
        failed["error"])
    assert seed.get(container_name, "there.txt") == b"the original"
    assert seed.get(container_name, "new.txt") == b"brand new"


def test_swift_itself_refuses_the_put_when_the_object_appeared_unseen(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    # with leave_segments nothing needs a HEAD before a plain upload: the PUT
    # carries the condition, Swift answers 412, and that is said in words
    seed.put(container_name, "late.txt", b"someone else's")
    write(here / "late.txt", b"mine")
    results = upload(svc, container_name, [UploadObject("late.txt")],
                     header=["If-None-Match: *"], leave_segments=True)
    refused(results, "exists")
    result = one(results, "upload_object")
    assert result["error"].exception.http_status == 412
    assert seed.get(container_name, "late.txt") == b"someone else's"


@pytest.mark.parametrize("use_slo", [True, False], ids=["slo", "dlo"])
def test_a_refused_large_object_sends_no_segment(
    svc: Service, seed: Seed, here: Path, container_name: str, use_slo: bool
) -> None:
    seed.put(container_name, "big.bin", b"the original")
    write(here / "big.bin", os.urandom(3 * SEG))
    results = upload(svc, container_name, ["big.bin"], segment_size=SEG, use_slo=use_slo,
                     header=["If-None-Match: *"])
    refused(results, "exists")
    assert of(results, "upload_segment") == []
    assert names_in(seed, f"{container_name}_segments") == []
    assert seed.get(container_name, "big.bin") == b"the original"


def test_an_object_created_while_the_segments_were_sent_refuses_the_manifest(
    local_swift: LocalSwift, seed: Seed, here: Path, container_name: str
) -> None:
    data = os.urandom(3 * SEG)
    write(here / "big.bin", data)
    with FaultProxy(local_swift.proxy_url) as proxy:
        held = proxy.delay(2.0, method="PUT", path=r"_segments/big\.bin/", times=1)

        def someone_else_writes() -> None:
            deadline = time.monotonic() + 60
            while held.hits == 0 and time.monotonic() < deadline:
                time.sleep(0.01)
            seed.put(container_name, "big.bin", b"someone else's")

        writer = threading.Thread(target=someone_else_writes, daemon=True)
        writer.start()
        options = {"auth": proxy.url + "/auth/v1.0", "user": "test:tester", "key": "testing"}
        with Service(options) as svc:
            results = upload(svc, container_name, ["big.bin"], segment_size=SEG,
                             use_slo=True, header=["If-None-Match: *"])
        writer.join(60)
    refused(results, "exists")
    assert len(of(results, "upload_segment")) == 3
    assert all(r["success"] for r in of(results, "delete_segment"))
    assert names_in(seed, f"{container_name}_segments") == []
    assert seed.get(container_name, "big.bin") == b"someone else's"


def test_if_none_match_refuses_a_stream_too(
    svc: Service, seed: Seed, container_name: str
) -> None:
    seed.put(container_name, "s.bin", b"the original")
    results = upload(svc, container_name, [UploadObject(io.BytesIO(b"x" * (3 * SEG)), "s.bin")],
                     segment_size=SEG, use_slo=True, header=["If-None-Match: *"])
    refused(results, "exists")
    assert of(results, "upload_segment") == []
    assert seed.get(container_name, "s.bin") == b"the original"


# ------------------------------------------------------------- If-Match


def test_swift_ignores_if_match_on_put_which_is_why_it_is_checked_here(
    seed: Seed, container_name: str
) -> None:
    seed.put(container_name, "o", b"one")
    seed.put(container_name, "o", b"two", headers={"If-Match": md5(b"not it")})
    assert seed.get(container_name, "o") == b"two"


def test_if_match_replaces_the_known_version_only(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    etag = seed.put(container_name, "doc.txt", b"version 1")
    write(here / "doc.txt", b"version 2")
    results = upload(svc, container_name, ["doc.txt"], header=[f'If-Match: "{md5(b"other")}"'])
    refused(results, f"the object's ETag is {etag}, not {md5(b'other')}")
    assert seed.get(container_name, "doc.txt") == b"version 1"

    assert all_succeeded(upload(svc, container_name, ["doc.txt"], header=[f"If-Match: {etag}"]))
    assert seed.get(container_name, "doc.txt") == b"version 2"


def test_if_match_does_not_create_an_absent_object(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    write(here / "ghost.txt", b"boo")
    results = upload(svc, container_name, ["ghost.txt"], header=["If-Match: *"])
    refused(results, "does not exist")
    assert seed.head(container_name, "ghost.txt").status_code == 404


def test_if_match_on_a_large_object_checks_before_any_segment(
    svc: Service, seed: Seed, here: Path, container_name: str
) -> None:
    etag = seed.put(container_name, "big.bin", b"version 1")
    write(here / "big.bin", data := os.urandom(3 * SEG))
    results = upload(svc, container_name, ["big.bin"], segment_size=SEG,
                     header=["If-Match: 0123"])
    refused(results, "not 0123")
    assert of(results, "upload_segment") == []
    assert names_in(seed, f"{container_name}_segments") == []

    results = upload(svc, container_name, ["big.bin"], segment_size=SEG,
                     header=[f"If-Match: {etag}"])
    assert all_succeeded(results)
    assert seed.get(container_name, "big.bin") == data
    # the large object's own ETag (as a HEAD shows it) is what the next write names
    slo_etag = seed.head(container_name, "big.bin").headers["etag"]
    write(here / "big.bin", again := os.urandom(2 * SEG))
    results = upload(svc, container_name, ["big.bin"], segment_size=SEG,
                     header=[f"If-Match: {slo_etag}"])
    assert all_succeeded(results)
    assert seed.get(container_name, "big.bin") == again
