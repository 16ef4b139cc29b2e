"""SwiftFileSystem's own behaviour on the real local Swift: what fsspec's abstract
suite does not pin (large objects, streaming writes, verification, errors, bulk
transfers, the registry and the environment)."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import fsspec
import pytest

from swiftsvc import Service, UploadObject
from swiftsvc.fsspec import SwiftFileSystem
from swiftsvc.fsspec.files import _SequentialVerifier
from swiftsvc.testing import FaultProxy, LocalSwift

MIB = 1 << 20


def _names(options: dict[str, str], container: str) -> list[str]:
    with Service(options) as service:
        try:
            return [i["name"] for page in service.list(container) for i in page["listing"]]
        except Exception:  # no such container
            return []


@pytest.fixture
def small_segments(local_swift: LocalSwift) -> Iterator[SwiftFileSystem]:
    """A filesystem writing SLOs past 1 MiB, with small buffers."""
    fs = SwiftFileSystem(skip_instance_cache=True, segment_size=MIB, block_size=256 << 10,
                         **local_swift.auth_options("tester"))  # fmt: skip
    yield fs
    fs.service.close()


# ---------------------------------------------------------------- listings


def test_listings_show_containers_pseudo_folders_and_marker_objects(
    swift_fs: SwiftFileSystem, bucket: str, swift_options: dict[str, str]
) -> None:
    swift_fs.pipe({f"{bucket}/a/b/c.txt": b"c", f"{bucket}/a/d.txt": b"dd", f"{bucket}/e": b""})
    with Service(swift_options) as service:  # a folder marker, as `swift upload` makes them
        assert all(r["success"] for r in service.upload(
            bucket, [UploadObject(None, object_name="marked")], {"dir_marker": True}))  # fmt: skip

    assert bucket in swift_fs.ls("", detail=False)
    assert sorted(swift_fs.ls(bucket, detail=False)) == [f"{bucket}/{n}" for n in
                                                         ("a", "e", "marked")]  # fmt: skip
    assert swift_fs.isdir(f"{bucket}/marked") and swift_fs.isdir(f"{bucket}/a/b")
    assert swift_fs.info(f"{bucket}/a/d.txt")["size"] == 2
    assert swift_fs.ls(f"{bucket}/a/d.txt", detail=False) == [f"{bucket}/a/d.txt"]
    assert swift_fs.find(bucket) == [f"{bucket}/{n}" for n in ("a/b/c.txt", "a/d.txt", "e")]
    assert swift_fs.find(f"swift://{bucket}/a", withdirs=True) == [
        f"{bucket}/a", f"{bucket}/a/b", f"{bucket}/a/b/c.txt", f"{bucket}/a/d.txt"]  # fmt: skip
    assert swift_fs.glob(f"{bucket}/**/*.txt") == [f"{bucket}/a/b/c.txt", f"{bucket}/a/d.txt"]
    assert swift_fs.glob(f"{bucket}/a/*") == [f"{bucket}/a/b", f"{bucket}/a/d.txt"]
    assert not swift_fs.exists(f"{bucket}/a/nothing") and not swift_fs.exists("no-such-container")
    with pytest.raises(FileNotFoundError):
        swift_fs.ls("no-such-container-here")


def test_an_object_and_a_folder_of_names_that_share_a_prefix_are_told_apart(
    swift_fs: SwiftFileSystem, bucket: str
) -> None:
    swift_fs.pipe({f"{bucket}/x": b"1", f"{bucket}/x-y": b"2", f"{bucket}/x.z/w": b"3",
                   f"{bucket}/x0/q": b"4"})  # fmt: skip
    assert swift_fs.info(f"{bucket}/x")["type"] == "file"
    assert swift_fs.info(f"{bucket}/x.z")["type"] == "directory"
    assert swift_fs.info(f"{bucket}/x0")["type"] == "directory"
    with pytest.raises(FileNotFoundError):
        swift_fs.info(f"{bucket}/x-")


# ------------------------------------------------------------------ reading


def test_a_read_file_seeks_with_ranged_gets_and_whole_reads_match(
    swift_fs: SwiftFileSystem, bucket: str
) -> None:
    data = os.urandom(3 * MIB + 5)
    swift_fs.pipe(f"{bucket}/blob", data)
    with swift_fs.open(f"{bucket}/blob", "rb", block_size=MIB) as f:
        f.seek(2 * MIB)
        assert f.read(10) == data[2 * MIB : 2 * MIB + 10]
        f.seek(-5, 2)
        assert f.read() == data[-5:]
        f.seek(0)
        assert f.read() == data
    assert swift_fs.cat_file(f"{bucket}/blob", start=10, end=20) == data[10:20]
    assert swift_fs.cat_file(f"{bucket}/blob", start=-3) == data[-3:]
    assert swift_fs.cat_file(f"{bucket}/blob", start=len(data) + 10) == b""
    assert hashlib.md5(swift_fs.cat_file(f"{bucket}/blob")).hexdigest() == hashlib.md5(
        data).hexdigest()  # fmt: skip


def test_large_objects_read_in_ranges_and_whole(
    swift_fs: SwiftFileSystem, bucket: str, swift_options: dict[str, str], tmp_path: Path
) -> None:
    data = os.urandom(3 * MIB + 11)
    local = tmp_path / "data"
    local.write_bytes(data)
    with Service(swift_options) as service:
        # a file, not a stream: as in python-swiftclient, a stream is segmented
        # only as an SLO (use_slo False makes it one plain object)
        for name, slo in (("slo", True), ("dlo", False)):
            source = UploadObject(str(local), object_name=name)
            options = {"segment_size": MIB, "use_slo": slo}
            assert all(r["success"] for r in service.upload(bucket, [source], options))
    for name in ("slo", "dlo"):
        info = swift_fs.info(f"{bucket}/{name}")
        assert info["size"] == len(data) and info["large_object"]
        with swift_fs.open(f"{bucket}/{name}", "rb", block_size=MIB) as f:
            f.seek(1000)
            assert f.read(2 * MIB) == data[1000 : 1000 + 2 * MIB]
            f.seek(0)
            assert f.read() == data


def test_a_whole_read_that_does_not_match_the_etag_raises(
    local_swift: LocalSwift, bucket: str, swift_fs: SwiftFileSystem
) -> None:
    swift_fs.pipe(f"{bucket}/blob", os.urandom(MIB + 7))
    with FaultProxy(local_swift.proxy_url) as proxy:
        options = {**local_swift.auth_options("tester"), "auth": f"{proxy.url}/auth/v1.0"}
        fs = SwiftFileSystem(skip_instance_cache=True, **options)  # type: ignore[arg-type]
        try:
            # the server announces another ETag than the bytes it sends
            proxy.rewrite_response_header("ETag", '"0123456789abcdef0123456789abcdef"',
                                          method="GET", path=r"/blob", times=None)  # fmt: skip
            with pytest.raises(OSError, match=r"md5 .* != etag 0123456789abcdef"):
                fs.cat_file(f"{bucket}/blob")
            with fs.open(f"{bucket}/blob", "rb") as f, pytest.raises(OSError, match="etag"):
                f.read()  # one block covering the object: the Service's verified download
        finally:
            fs.service.close()


def test_blocks_read_front_to_back_are_checked_against_the_etag_at_the_last_byte() -> None:
    data = os.urandom(1000)
    good = _SequentialVerifier(hashlib.md5(data).hexdigest())
    for start in range(0, 1000, 300):
        good.update(start, data[start : start + 300])
    good.finish("c/o")  # no error
    bad = _SequentialVerifier(hashlib.md5(data).hexdigest())
    bad.update(0, data[:500])
    bad.update(500, b"x" * 500)
    with pytest.raises(OSError, match="do not match the ETag"):
        bad.finish("c/o")
    seeking = _SequentialVerifier(hashlib.md5(data).hexdigest())
    seeking.update(0, data[:100])
    seeking.update(500, b"y" * 500)  # a seek: these are no longer the object's first bytes
    seeking.finish("c/o")  # nothing to compare, nothing raised


def test_an_object_replaced_while_open_is_not_read_as_a_mix(
    swift_fs: SwiftFileSystem, bucket: str
) -> None:
    swift_fs.pipe(f"{bucket}/blob", b"a" * MIB)
    with swift_fs.open(f"{bucket}/blob", "rb", block_size=1000, cache_type="none") as f:
        assert f.read(10) == b"a" * 10
        swift_fs.pipe(f"{bucket}/blob", b"b" * MIB)
        with pytest.raises(OSError, match="changed"):
            f.read(10)


# ------------------------------------------------------------------ writing


def test_a_long_write_streams_segments_before_close_and_becomes_an_slo(
    small_segments: SwiftFileSystem, bucket: str, swift_options: dict[str, str]
) -> None:
    data = os.urandom(3 * MIB + 100)
    cut = 2 * MIB + (320 << 10)
    with small_segments.open(f"{bucket}/big", "wb") as f:
        for start in range(0, cut, 64 << 10):
            f.write(data[start : start + (64 << 10)])
        # not closed yet: the first segment gets stored, nothing holds the whole file
        for _ in range(300):
            if _names(swift_options, f"{bucket}_segments"):
                break
            time.sleep(0.1)  # the segment job runs on the Service's segment pool
        assert len(_names(swift_options, f"{bucket}_segments")) >= 1
        f.write(data[cut:])
    info = small_segments.info(f"{bucket}/big")
    assert info["size"] == len(data) and info["large_object"]
    assert small_segments.cat_file(f"{bucket}/big") == data
    assert len(_names(swift_options, f"{bucket}_segments")) == 4


def test_a_short_write_is_one_plain_object(
    small_segments: SwiftFileSystem, bucket: str, swift_options: dict[str, str]
) -> None:
    with small_segments.open(f"{bucket}/small.txt", "w") as f:
        f.write("hello\n" * 1000)
    info = small_segments.info(f"{bucket}/small.txt")
    assert info["size"] == 6000 and not info["large_object"]
    assert _names(swift_options, f"{bucket}_segments") == []


def test_a_write_abandoned_by_an_exception_stores_nothing(
    small_segments: SwiftFileSystem, bucket: str, swift_options: dict[str, str]
) -> None:
    small_segments.pipe(f"{bucket}/kept", b"old")
    with pytest.raises(RuntimeError), small_segments.open(f"{bucket}/kept", "wb") as f:
        f.write(os.urandom(2 * MIB + 1))
        raise RuntimeError("the producer failed")
    assert small_segments.cat_file(f"{bucket}/kept") == b"old"
    with pytest.raises(ValueError), small_segments.open(f"{bucket}/new", "wb") as f:
        f.write(b"x" * 1000)
        raise ValueError("before the first block")
    assert not small_segments.exists(f"{bucket}/new")
    assert _names(swift_options, f"{bucket}_segments") == []  # sent segments removed


def test_exclusive_creation_refuses_an_existing_object(
    swift_fs: SwiftFileSystem, bucket: str
) -> None:
    swift_fs.pipe_file(f"{bucket}/once", b"1", mode="create")
    with pytest.raises(FileExistsError):
        swift_fs.pipe_file(f"{bucket}/once", b"2", mode="create")
    with pytest.raises(FileExistsError):
        swift_fs.open(f"{bucket}/once", "xb")
    assert swift_fs.cat_file(f"{bucket}/once") == b"1"
    with pytest.raises(NotImplementedError):
        swift_fs.open(f"{bucket}/once", "ab")


# ------------------------------------------------------------------- errors


def test_errors_are_the_exceptions_fsspec_users_catch(
    local_swift: LocalSwift, swift_fs: SwiftFileSystem, bucket: str
) -> None:
    swift_fs.pipe(f"{bucket}/private", b"secret")
    with pytest.raises(FileNotFoundError):
        swift_fs.cat_file(f"{bucket}/missing")
    with pytest.raises(FileNotFoundError):
        swift_fs.open(f"{bucket}/missing", "rb")
    # tester3 is no admin of the account: no access to its containers
    other = SwiftFileSystem(skip_instance_cache=True, **local_swift.auth_options("tester3"))  # type: ignore[arg-type]
    try:
        with pytest.raises(PermissionError):
            other.cat_file(f"{bucket}/private")
        with pytest.raises(PermissionError):
            other.pipe(f"{bucket}/intruder", b"x")
        with pytest.raises(PermissionError):
            other.ls(bucket)
    finally:
        other.service.close()
    with pytest.raises(OSError) as error:
        swift_fs.rmdir(bucket)
    assert error.value.errno == 39  # ENOTEMPTY


# ------------------------------------------------------- trees in and out


def test_put_and_get_move_trees_in_one_call_per_container_with_skip_identical(
    local_swift: LocalSwift, bucket: str, tmp_path: Path
) -> None:
    source = tmp_path / "src"
    tree = {f"d{i % 3}/f{i}.bin": os.urandom(100 + i) for i in range(30)}
    for name, data in tree.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_bytes(data)
    with FaultProxy(local_swift.proxy_url) as proxy:
        options = {**local_swift.auth_options("tester"), "auth": f"{proxy.url}/auth/v1.0"}
        fs = SwiftFileSystem(skip_instance_cache=True, **options)  # type: ignore[arg-type]
        # trailing slashes: the folder's contents, not the folder, both times
        fs.put(f"{source}/", f"{bucket}/up/", recursive=True)
        # a whole folder: one listing tells what exists, no HEAD per object
        assert proxy.count(method="HEAD", path=r"/up/") == 0
        assert proxy.count(method="PUT", path=r"/up/") == len(tree)
        assert sorted(fs.find(f"{bucket}/up")) == sorted(f"{bucket}/up/{n}" for n in tree)
        proxy.clear_requests()
        fs.put(f"{source}/", f"{bucket}/up/", recursive=True, skip_identical=True)
        assert proxy.count(method="PUT", path=r"/up/") == 0  # nothing sent again

        fs.get(f"{bucket}/up", str(tmp_path / "down"), recursive=True)
        fs.get(f"{bucket}/up/d1/f1.bin", str(tmp_path / "renamed.bin"))
        fs.service.close()
    landed = {p.relative_to(tmp_path / "down").as_posix(): p.read_bytes()
              for p in (tmp_path / "down").rglob("*") if p.is_file()}  # fmt: skip
    assert landed == tree
    assert (tmp_path / "renamed.bin").read_bytes() == tree["d1/f1.bin"]


def test_recursive_rm_removes_large_objects_with_their_segments(
    small_segments: SwiftFileSystem, bucket: str, swift_options: dict[str, str]
) -> None:
    small_segments.pipe({f"{bucket}/tree/a": b"a", f"{bucket}/tree/b/c": b"c",
                         f"{bucket}/keep": b"k"})  # fmt: skip
    with small_segments.open(f"{bucket}/tree/big", "wb") as f:
        f.write(os.urandom(2 * MIB + 3))
    assert len(_names(swift_options, f"{bucket}_segments")) == 3
    small_segments.rm(f"{bucket}/tree", recursive=True)
    assert _names(swift_options, bucket) == ["keep"]
    assert _names(swift_options, f"{bucket}_segments") == []
    small_segments.rm(bucket, recursive=True)
    assert not small_segments.exists(bucket)


def test_copy_and_move_are_server_side(swift_fs: SwiftFileSystem, bucket: str) -> None:
    swift_fs.pipe({f"{bucket}/src/a": b"a", f"{bucket}/src/b/c": b"c"})
    swift_fs.cp_file(f"{bucket}/src/a", f"{bucket}/one")
    swift_fs.copy(f"{bucket}/src", f"{bucket}/dst", recursive=True)
    swift_fs.mv(f"{bucket}/dst", f"{bucket}/moved", recursive=True)
    assert swift_fs.cat_file(f"{bucket}/one") == b"a"
    assert swift_fs.find(f"{bucket}/moved") == [f"{bucket}/moved/a", f"{bucket}/moved/b/c"]
    assert not swift_fs.exists(f"{bucket}/dst")


# ---------------------------------------------- registry and configuration


def test_the_swift_protocol_finds_this_filesystem_and_reads_the_environment(
    local_swift: LocalSwift, bucket: str, swift_fs: SwiftFileSystem,
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    swift_fs.pipe(f"{bucket}/hello.txt", b"hello")
    assert fsspec.get_filesystem_class("swift") is SwiftFileSystem
    options = local_swift.auth_options("tester")
    monkeypatch.setenv("ST_AUTH", options["auth"])
    monkeypatch.setenv("ST_USER", options["user"])
    monkeypatch.setenv("ST_KEY", options["key"])
    with fsspec.open(f"swift://{bucket}/hello.txt", "rt", skip_instance_cache=True) as f:
        assert f.read() == "hello"
    fs, path = fsspec.url_to_fs(f"swift://{bucket}/hello.txt", skip_instance_cache=True)
    assert isinstance(fs, SwiftFileSystem) and path == f"{bucket}/hello.txt"


def test_a_misspelt_storage_option_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="segmnet_size"):
        SwiftFileSystem(skip_instance_cache=True, segmnet_size=5)


def test_pickled_filesystems_rebuild_their_own_service(swift_fs: SwiftFileSystem) -> None:
    import pickle

    clone = pickle.loads(pickle.dumps(swift_fs))
    try:
        assert isinstance(clone, SwiftFileSystem)
        assert clone.storage_options == swift_fs.storage_options
        # the Service is never pickled (it holds threads): each process builds its own
        assert clone.service is not swift_fs.service
        assert clone.ls("", detail=False) == swift_fs.ls("", detail=False)
    finally:
        clone.service.close()
