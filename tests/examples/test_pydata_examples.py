"""examples/pandas_swift.py and examples/dask_bulk.py, run as a user runs them
(a subprocess, auth by flags or by the environment) against the local real Swift."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from swiftsvc import Service, SwiftError

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"


def _run(script: str, *args: str, env: Mapping[str, str] | None = None
         ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ST_", "OS_"))}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), clean.get("PYTHONPATH")]))
    clean.update(env or {})
    return subprocess.run([sys.executable, str(EXAMPLES / script), *args], env=clean,
                          capture_output=True, text=True, timeout=240)  # fmt: skip


def _flags(options: Mapping[str, str]) -> list[str]:
    return ["-A", options["auth"], "-U", options["user"], "-K", options["key"]]


@pytest.fixture
def container(container_name: str, swift_options: dict[str, str]) -> Iterator[str]:
    yield container_name
    with Service(swift_options) as svc:
        for name in (container_name, f"{container_name}-copy", f"{container_name}_segments"):
            try:
                for _ in svc.delete(name):
                    pass
            except SwiftError:  # never created
                pass


def test_pandas_example_writes_and_reads_back_csv_and_parquet(
    swift_options: dict[str, str], container: str
) -> None:
    pytest.importorskip("pyarrow")
    env = {"ST_AUTH": swift_options["auth"], "ST_USER": swift_options["user"],
           "ST_KEY": swift_options["key"]}  # fmt: skip
    done = _run("pandas_swift.py", "--container", container, "--rows", "3000", env=env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("3000 rows, CSV and Parquet: VERIFIED")
    with Service(swift_options) as svc:
        names = sorted(i["name"] for page in svc.list(container) for i in page["listing"])
    assert names == ["pandas-example/readings.csv", "pandas-example/readings.parquet"]


@pytest.mark.slow
def test_dask_example_uploads_copies_and_deletes_on_a_local_cluster(
    swift_options: dict[str, str], container: str, tmp_path: Path
) -> None:
    pytest.importorskip("distributed")
    source = tmp_path / "src"
    for index in range(40):
        path = source / f"d{index % 4}" / f"f{index}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(200))
    flags = _flags(swift_options)
    upload = _run("dask_bulk.py", "upload", str(source), "--container", container,
                  "--per-partition", "7", "--workers", "2", *flags)  # fmt: skip
    assert upload.returncode == 0, upload.stderr
    # 4 folders of 10 files, more than 7 a partition: file lists of 7 and 3
    assert "upload: 40 objects in 8 partitions (0 failed, 0 retried), 0 failures" in upload.stdout
    copy = _run("dask_bulk.py", "copy", "--container", container, "--to", f"{container}-copy",
                "--per-partition", "15", "--workers", "2", *flags)  # fmt: skip
    assert copy.returncode == 0, copy.stderr
    assert "copy: 40 objects in 3 partitions" in copy.stdout
    delete = _run("dask_bulk.py", "delete", "--container", container, "--workers", "2", *flags)
    assert delete.returncode == 0, delete.stderr
    with Service(swift_options) as svc:
        with pytest.raises(SwiftError):
            svc.stat(container)
        copied = [i["name"] for page in svc.list(f"{container}-copy") for i in page["listing"]]
    assert len(copied) == 40
