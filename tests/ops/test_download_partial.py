"""What a killed run left in the part file: kept only when it proves right (real Swift).

The part file and its state are written here as a killed run would have left
them (``tests/reliability/test_download_resume.py`` kills real downloads);
these tests cover the cases a kill cannot produce on demand: bytes on disk
that are not what the state claims (a torn write), a DLO, a state that is
missing, two downloads of one target at once.
"""

from __future__ import annotations

import hashlib
import threading
from pathlib import Path

import pytest
from _large import put_dlo, put_slo
from _seed import Seed

from swiftsvc import Service
from swiftsvc.ops.download.part_files import STATE_SUFFIX, TEMP_SUFFIX, TempTarget, part_path
from swiftsvc.ops.download.partial import Identity, Partial
from swiftsvc.results import Result
from swiftsvc.testing import FaultProxy

MIB = 1 << 20


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if TEMP_SUFFIX in p.name)


def leave_part(target: Path, identity: Identity | None, data: bytes) -> Path:
    """The part file (and state) a run killed after writing ``data`` leaves."""
    part = Path(part_path(str(target)))
    part.parent.mkdir(parents=True, exist_ok=True)
    part.write_bytes(data)
    if identity is not None:
        Path(str(part) + STATE_SUFFIX).write_bytes(identity.dumps())
    return part


def download(fault_proxy: FaultProxy, swift_options: dict[str, str], container: str,
             obj: str, folder: Path) -> Result:
    fault_proxy.clear_requests()
    options = {**swift_options, "auth": fault_proxy.url + "/auth/v1.0"}
    with Service(options) as svc:
        (result,) = svc.download(container, [obj], options={"out_directory": str(folder)})
    return result


def ranges(fault_proxy: FaultProxy, container: str, obj: str) -> list[tuple[str | None, int]]:
    return [(r.header("Range"), r.status or 0) for r in fault_proxy.requests
            if r.method == "GET" and r.path.endswith(f"/{container}/{obj}")
            and "multipart-manifest" not in r.query]


def test_a_torn_prefix_fails_the_whole_md5_and_starts_over_once(
    seed: Seed, fault_proxy: FaultProxy, swift_options: dict[str, str], container_name: str,
    tmp_path: Path,
) -> None:
    data = bytes(range(256)) * (6 * MIB // 256)
    etag = seed.put(container_name, "plain", data)
    # the size says 2 MiB landed, but the kernel kept zeros for part of them
    torn = data[:MIB] + bytes(MIB)
    leave_part(tmp_path / "plain", Identity(container_name, "plain", None, "plain", etag,
                                            len(data)), torn)
    fault_proxy.clear_requests()
    result = download(fault_proxy, swift_options, container_name, "plain", tmp_path)
    assert result["success"], result.get("error")
    assert "resumed_from" not in result
    assert (tmp_path / "plain").read_bytes() == data
    assert leftovers(tmp_path) == []
    gets = [(r.header("Range"), r.header("If-Match"), r.status) for r in fault_proxy.requests
            if r.method == "GET" and r.path.endswith("/plain")]
    assert gets == [(f"bytes={2 * MIB}-", etag, 206), (None, None, 200)]


def test_only_slo_segments_whose_bytes_on_disk_match_are_kept(
    seed: Seed, fault_proxy: FaultProxy, swift_options: dict[str, str], container_name: str,
    tmp_path: Path,
) -> None:
    seed.container(container_name)
    put_slo(seed, container_name, "big", f"{container_name}_segments", count=3, size=MIB)
    data = b"A" * MIB + b"B" * MIB + b"C" * MIB
    slo_etag = seed.head(container_name, "big").headers["etag"].strip('"')
    # segment 1 on disk is wrong (never fetched, or lost): only it is fetched
    leave_part(tmp_path / "big", Identity(container_name, "big", None, "slo", slo_etag,
                                          len(data)), b"A" * MIB + bytes(MIB) + b"C" * MIB)
    result = download(fault_proxy, swift_options, container_name, "big", tmp_path)
    assert result["success"], result.get("error")
    assert result.get("resumed_from") == 2 * MIB
    assert result["read_length"] == MIB
    assert ranges(fault_proxy, container_name, "big") == [(f"bytes={MIB}-{2 * MIB - 1}", 206)]
    assert (tmp_path / "big").read_bytes() == data
    assert leftovers(tmp_path) == []


def test_a_dlo_resumes_after_its_last_whole_segment_on_disk(
    seed: Seed, fault_proxy: FaultProxy, swift_options: dict[str, str], container_name: str,
    tmp_path: Path,
) -> None:
    names = put_dlo(seed, container_name, "dlo", f"{container_name}_segments", count=3,
                    size=MIB)
    data = b"a" * MIB + b"b" * MIB + b"c" * MIB
    listing = hashlib.md5(usedforsecurity=False)
    for index in range(len(names)):
        listing.update(hashlib.md5(bytes([97 + index]) * MIB).hexdigest().encode())
    leave_part(tmp_path / "dlo", Identity(container_name, "dlo", None, "dlo",
                                          listing.hexdigest(), len(data)), data[:MIB + 5])
    result = download(fault_proxy, swift_options, container_name, "dlo", tmp_path)
    assert result["success"], result.get("error")
    assert result.get("resumed_from") == MIB
    assert ranges(fault_proxy, container_name, "dlo") == [(f"bytes={MIB}-", 206)]
    assert (tmp_path / "dlo").read_bytes() == data
    assert leftovers(tmp_path) == []


def test_a_part_file_without_its_state_is_not_trusted(
    seed: Seed, fault_proxy: FaultProxy, swift_options: dict[str, str], container_name: str,
    tmp_path: Path,
) -> None:
    data = b"x" * (2 * MIB)
    seed.put(container_name, "plain", data)
    leave_part(tmp_path / "plain", None, data[:MIB])
    result = download(fault_proxy, swift_options, container_name, "plain", tmp_path)
    assert result["success"], result.get("error")
    assert "resumed_from" not in result
    assert [(r.header("Range"), r.status) for r in fault_proxy.requests
            if r.method == "GET" and r.path.endswith("/plain")] == [(None, 200)]
    assert (tmp_path / "plain").read_bytes() == data
    assert leftovers(tmp_path) == []


def test_a_symlink_at_the_part_name_is_not_followed(
    seed: Seed, fault_proxy: FaultProxy, swift_options: dict[str, str], container_name: str,
    tmp_path: Path,
) -> None:
    data = b"y" * (2 * MIB)
    seed.put(container_name, "plain", data)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(b"precious")
    out = tmp_path / "out"
    out.mkdir()
    Path(part_path(str(out / "plain"))).symlink_to(elsewhere)
    result = download(fault_proxy, swift_options, container_name, "plain", out)
    assert result["success"], result.get("error")
    assert (out / "plain").read_bytes() == data
    assert elsewhere.read_bytes() == b"precious"


# ----------------------------------------------------------- no server


def test_two_landings_of_one_target_never_share_the_part_file(tmp_path: Path) -> None:
    target = str(tmp_path / "file")
    first = TempTarget(target, resumable=True)
    second = TempTarget(target, resumable=True)
    first.open()
    second.open()
    try:
        assert first.resumable and first.temp_path == part_path(target)
        assert not second.resumable and second.temp_path != first.temp_path
        # nor may a claim take the held part file from under the first
        assert Partial.claim(target) is None
        first.write_at(b"first", 0)
        second.write(b"second")
        second.commit()
        first.commit()
    finally:
        first.discard()
        second.discard()
    assert Path(target).read_bytes() == b"first"
    assert leftovers(tmp_path) == []


def test_concurrent_downloads_of_one_target_in_one_process(
    seed: Seed, swift_options: dict[str, str], container_name: str, tmp_path: Path,
) -> None:
    data = b"z" * (3 * MIB)
    seed.put(container_name, "same", data)
    found: list[Result] = []

    def one() -> None:
        with Service(swift_options) as svc:
            found.extend(svc.download(container_name, ["same"],
                                      options={"out_directory": str(tmp_path)}))

    threads = [threading.Thread(target=one) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert len(found) == 4 and all(r["success"] for r in found), found
    assert (tmp_path / "same").read_bytes() == data
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("length", [150, 255])
def test_long_names_get_distinct_part_files(tmp_path: Path, length: int) -> None:
    one, two = "n" * (length - 1) + "a", "n" * (length - 1) + "b"
    assert part_path(str(tmp_path / one)) != part_path(str(tmp_path / two))
    assert len(Path(part_path(str(tmp_path / one))).name + STATE_SUFFIX) <= 255
