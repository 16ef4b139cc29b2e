"""Bad input: a clear error naming it, nothing sent, nothing written, nothing lost (issue 11).

Every case runs through the public API against the real local Swift behind
the fault proxy, so every request is counted. For each case:

- the error (raised by the call, or the ``error`` of the item's failed
  result) names the offending input;
- nothing is sent for the bad input: no request mentions it, and a call
  refused as a whole sends nothing but auth and ``/info`` (the upload and
  copy of a long name ask ``/info`` for the cluster's name limit);
- nothing changes locally (the working folder, an existing ``out_file``)
  or remotely (the seeded container keeps its one object, unchanged).

Bad names carry the marker ``BAD`` so "nothing sent for it" is one search.
"""

from __future__ import annotations

import contextlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

import swiftsvc.ops.upload.planner  # noqa: F401  (imported now: the user "nobody" may not read it)
from swiftsvc import CopyObject, Service, SwiftError, UploadObject
from swiftsvc.errors import OptionError
from swiftsvc.ops.upload.sources import SourceKind, upload_items
from swiftsvc.testing import FaultProxy, LocalSwift

LONG = "BAD-" + "n" * 1100  # over Swift's max_object_name_length (1024)
KEEP = b"precious remote bytes"
LOCAL = b"precious local bytes"


@dataclass
class Env:
    svc: Service
    container: str
    work: Path  # the working folder: files to upload, downloads land here
    unreadable: Path  # a file the test process cannot read

    def run(self, call: Callable[[Service], Any]) -> list[dict[str, Any]]:
        output = call(self.svc)
        return [output] if isinstance(output, dict) else list(output)


@dataclass(frozen=True)
class Case:
    call: Callable[[Env], Any]
    names: tuple[str, ...]  # text the error must contain
    raises: type[BaseException] | None = SwiftError  # None: a failed result instead
    allowed: str = r"^/auth/|^/info$"  # what may be sent (regex on request paths)
    as_nobody: bool = False  # run as a user who cannot read env.unreadable


def path(env: Env, name: str) -> str:
    return str(env.work / name)


CASES: dict[str, Case] = {
    # a bad path among good ones fails alone, as in python-swiftclient (COMPAT.md §4)
    "upload: nonexistent path fails alone": Case(
        lambda e: e.run(lambda s: s.upload(e.container, [path(e, "BAD-missing"),
                                                         path(e, "good")])),
        ("BAD-missing", "not found"), raises=None, allowed=r"."),
    "upload: unreadable path fails alone": Case(
        lambda e: e.run(lambda s: s.upload(e.container, [str(e.unreadable),
                                                         str(e.unreadable.parent / "good")])),
        ("BAD-unreadable", "Permission denied"), raises=None, allowed=r".", as_nobody=True),
    "upload: nonexistent path from a generator fails alone": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, (p for p in [path(e, "BAD-missing"), path(e, "good")]))),
        ("BAD-missing", "not found"), raises=None, allowed=r"."),
    "upload: object name over the cluster's limit fails alone": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, [UploadObject(path(e, "good"), LONG), path(e, "good")])),
        (LONG[:40], "max_object_name_length"), raises=None, allowed=r"."),
    "upload: NUL in the object name": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, [UploadObject(path(e, "good"), "BAD\0nul")])),
        ("'BAD\\x00nul'", "NUL")),
    "upload: invalid UTF-8 in the object name": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, [UploadObject(path(e, "good"), "BAD-\udcff")])),
        ("'BAD-\\udcff'", "UTF-8")),
    "upload: newline in a header value": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, [path(e, "good")], options={"header": ["X-Bad: a\r\nX-Evil: 1"]})),
        ("header", "X-Bad", "line break")),
    "post: newline in a meta value": Case(
        lambda e: e.run(lambda s: s.post(e.container, ["keep"], options={"meta": ["k:a\nb"]})),
        ("meta", "'k'", "line break")),
    "upload: segment_size 0": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, [path(e, "good")], options={"segment_size": 0})),
        ("segment_size", "at least 1"), raises=OptionError),
    "upload: negative segment_size": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, [path(e, "good")], options={"segment_size": -1})),
        ("segment_size", "-1"), raises=OptionError),
    "upload: segment_size over max_file_size": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, [path(e, "good")], options={"segment_size": 6 << 30})),
        ("segment_size", str(6 << 30), "max_file_size")),
    "upload: unknown option": Case(
        lambda e: e.run(lambda s: s.upload(
            e.container, [path(e, "good")], options={"segmentsize": 10})),
        ("'segmentsize'", "segment_size"), raises=OptionError),
    "Service: unknown option": Case(
        lambda e: Service({"conatiner_threads": 2}),
        ("'conatiner_threads'", "container_threads"), raises=OptionError),
    "download: out_file is a directory": Case(
        lambda e: e.run(lambda s: s.download(
            e.container, ["keep"], options={"out_file": str(e.work)})),
        ("out_file", "/work'", "is a directory")),
    "download: container name with /": Case(
        lambda e: e.run(lambda s: s.download(f"{e.container}/BAD", ["keep"])),
        ("/BAD", "'/'")),
    "delete: container name with /": Case(
        lambda e: e.run(lambda s: s.delete(f"{e.container}/BAD", ["keep"])),
        ("/BAD",)),
    "copy: container name with /": Case(
        lambda e: e.run(lambda s: s.copy(f"{e.container}/BAD", ["keep"])),
        ("/BAD",)),
    "stat: container name with /": Case(
        lambda e: e.run(lambda s: s.stat(f"{e.container}/BAD")),
        ("/BAD", "'/'")),
    "post: container name with /": Case(
        lambda e: e.run(lambda s: s.post(f"{e.container}/BAD")),
        ("/BAD", "'/'")),
    "stat: NUL in the container name": Case(
        lambda e: e.run(lambda s: s.stat("BAD\0c")),
        ("'BAD\\x00c'", "NUL")),
    "delete: NUL in an object name": Case(
        lambda e: e.run(lambda s: s.delete(e.container, ["BAD\0x"])),
        ("'BAD\\x00x'", "NUL")),
    "download: invalid UTF-8 in an object name": Case(
        lambda e: e.run(lambda s: s.download(e.container, ["BAD-\udcfe"])),
        ("'BAD-\\udcfe'", "UTF-8")),
    "copy: destination name over the cluster's limit fails alone": Case(
        lambda e: e.run(lambda s: s.copy(e.container, [
            CopyObject("keep", {"destination": f"/{e.container}/{LONG}"}),
            CopyObject("keep", {"destination": f"/{e.container}/copy"}),
        ])),
        (LONG[:40], "max_object_name_length"), raises=None, allowed=r"."),
    "upload: empty container name": Case(
        lambda e: e.run(lambda s: s.upload("", [path(e, "good")])),
        ("''", "container")),
    "delete: empty object name": Case(
        lambda e: e.run(lambda s: s.delete(e.container, [""])),
        ("empty",)),
    "stat: empty object name": Case(
        lambda e: e.run(lambda s: s.stat(e.container, [""])),
        ("empty",)),
    "upload: empty object name": Case(
        lambda e: e.run(lambda s: s.upload(e.container, [UploadObject(None, "")])),
        ("Object names",)),
}


Switch = Callable[[], contextlib.AbstractContextManager[None]]


@contextlib.contextmanager
def unreadable_file() -> Iterator[tuple[Path, Switch]]:
    """A file this process cannot read, and a context in which that is true.

    Root reads any file, whatever its mode: as root, the call runs with the
    effective user ``nobody`` (the real user stays root, so the test can
    switch back), in a folder ``nobody`` may search.
    """
    folder = Path(tempfile.mkdtemp(prefix="swiftsvc-unreadable-"))
    folder.chmod(0o755)
    target = folder / "BAD-unreadable"
    target.write_bytes(b"secret")
    target.chmod(0o000)
    readable = folder / "good"  # beside it, for calls mixing both
    readable.write_bytes(b"good")
    readable.chmod(0o644)

    @contextlib.contextmanager
    def as_nobody() -> Iterator[None]:
        if os.geteuid() != 0:
            yield
            return
        os.setegid(65534)
        os.seteuid(65534)
        try:
            yield
        finally:
            os.seteuid(0)
            os.setegid(0)

    try:
        yield target, as_nobody
    finally:
        target.chmod(0o600)
        target.unlink()
        readable.unlink()
        folder.rmdir()


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def remote_state(local_swift: LocalSwift, container: str) -> dict[str, bytes]:
    storage_url, token = local_swift.get_token("tester")
    session = requests.Session()
    session.headers["X-Auth-Token"] = token
    listing = session.get(f"{storage_url}/{container}?format=json", timeout=30)
    listing.raise_for_status()
    return {
        item["name"]: session.get(f"{storage_url}/{container}/{item['name']}", timeout=30).content
        for item in listing.json()
    }


@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_bad_input_is_refused_by_name_with_nothing_sent_or_lost(
    case: Case, local_swift: LocalSwift, fault_proxy: FaultProxy,
    proxied_options: dict[str, str], container_name: str, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    storage_url, token = local_swift.get_token("tester")
    requests.put(f"{storage_url}/{container_name}", headers={"X-Auth-Token": token},
                 timeout=30).raise_for_status()
    requests.put(f"{storage_url}/{container_name}/keep", data=KEEP,
                 headers={"X-Auth-Token": token}, timeout=30).raise_for_status()
    work = tmp_path / "work"
    work.mkdir()
    (work / "good").write_bytes(b"good")
    (work / "existing").write_bytes(LOCAL)
    monkeypatch.chdir(work)  # downloads without out_directory land here
    before_local = snapshot(work)
    before_remote = remote_state(local_swift, container_name)
    with unreadable_file() as (unreadable, as_nobody), Service(proxied_options) as svc:
        env = Env(svc, container_name, work, unreadable)
        fault_proxy.clear_requests()
        error: BaseException | None = None
        results: list[dict[str, Any]] = []
        with as_nobody() if case.as_nobody else contextlib.nullcontext():
            if case.raises is not None:
                with pytest.raises(case.raises) as caught:
                    case.call(env)
                error = caught.value
            else:
                results = case.call(env)
        sent = fault_proxy.requests

    if case.raises is None:
        failed = [r for r in results if not r["success"]]
        assert len(failed) == 1, results  # the bad item fails alone...
        error = failed[0]["error"]
        # ...and the good ones go
        assert any(r["success"] and r["action"] in ("upload_object", "copy_object")
                   for r in results), results
    text = str(error)
    for name in case.names:
        assert name in text, f"{name!r} not in {text!r}"
    assert not [r for r in sent if "BAD" in r.path], sent
    unexpected = [r for r in sent if not re.search(case.allowed, r.path)]
    assert not unexpected, unexpected
    # nothing lost: the local folder and the remote container are as they were
    # (but for what the good items of a mixed call uploaded)
    assert snapshot(work) == before_local
    after_remote = remote_state(local_swift, container_name)
    assert after_remote["keep"] == KEEP
    assert not [name for name in after_remote if "BAD" in name]
    if case.raises is not None:
        assert after_remote == before_remote


def test_an_existing_out_file_survives_a_failed_download(
    fault_proxy: FaultProxy, proxied_options: dict[str, str], container_name: str,
    tmp_path: Path, local_swift: LocalSwift,
) -> None:
    storage_url, token = local_swift.get_token("tester")
    requests.put(f"{storage_url}/{container_name}", headers={"X-Auth-Token": token},
                 timeout=30).raise_for_status()
    target = tmp_path / "existing"
    target.write_bytes(LOCAL)
    with Service(proxied_options) as svc:
        [result] = svc.download(container_name, ["missing"], options={"out_file": str(target)})
    assert not result["success"] and "missing" in str(result["error"])
    assert target.read_bytes() == LOCAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["existing"]


def test_walked_files_with_names_the_cluster_refuses_fail_alone(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "ok").write_bytes(b"x")
    (tree / ("n" * 60)).write_bytes(b"x")
    # a file name that is not UTF-8 (os.fsdecode gives it lone surrogates)
    with open(os.path.join(os.fsencode(tree), b"BAD-\xff"), "wb") as bad:
        bad.write(b"x")
    items = {item.object_name: item for item in upload_items(
        str(tree), "tree", dir_markers=False, max_name_length=40)}
    assert items["tree/ok"].error is None and items["tree/ok"].kind is SourceKind.FILE
    too_long = items["tree/" + "n" * 60].error
    assert too_long is not None and "max_object_name_length (40)" in str(too_long)
    assert str(tree) in str(too_long)
    not_utf8 = items["tree/BAD-\udcff"].error
    assert not_utf8 is not None and "not valid UTF-8" in str(not_utf8)


def test_conflicting_auth_options_are_refused_with_nothing_sent(
    fault_proxy: FaultProxy, proxied_options: dict[str, str]
) -> None:
    # v1 credentials through the fault proxy, but os_auth_type and auth_version disagree
    options = {**proxied_options, "os_auth_type": "v1password", "auth_version": "3"}
    with Service(options) as svc:
        result = svc.stat()
    assert isinstance(result, dict) and not result["success"]
    message = str(result["error"])
    assert "conflicting auth options" in message
    assert "os_auth_type 'v1password'" in message and "auth_version '3'" in message
    assert fault_proxy.requests == []  # not even an auth request
