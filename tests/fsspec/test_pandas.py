"""A user's proof: pandas writes and reads CSV and Parquet through ``swift://``."""

from __future__ import annotations

from typing import Any

import pytest

from swiftsvc.testing import LocalSwift

pd = pytest.importorskip("pandas")
pytest.importorskip("pyarrow")


def _frame() -> Any:
    return pd.DataFrame({
        "station": [f"s{i % 7}" for i in range(5000)],
        "reading": [i * 0.25 for i in range(5000)],
        "ok": [i % 3 == 0 for i in range(5000)],
    })  # fmt: skip


def test_pandas_round_trips_csv_and_parquet_through_swift_urls(
    local_swift: LocalSwift, bucket: str
) -> None:
    frame = _frame()
    # what a pandas user writes: a URL and the auth in storage_options
    options = {**local_swift.auth_options("tester"), "skip_instance_cache": True}
    frame.to_csv(f"swift://{bucket}/tables/readings.csv", index=False, storage_options=options)
    frame.to_parquet(f"swift://{bucket}/tables/readings.parquet", storage_options=options)

    from_csv = pd.read_csv(f"swift://{bucket}/tables/readings.csv", storage_options=options)
    from_parquet = pd.read_parquet(f"swift://{bucket}/tables/readings.parquet",
                                   storage_options=options)  # fmt: skip
    pd.testing.assert_frame_equal(from_csv, frame)
    pd.testing.assert_frame_equal(from_parquet, frame)
    # parquet is read by ranges (footer first): it went through the seekable file
    assert from_parquet["reading"].sum() == frame["reading"].sum()


def test_a_partitioned_parquet_dataset_is_a_folder_of_objects(
    local_swift: LocalSwift, bucket: str, swift_fs: Any
) -> None:
    frame = _frame()
    options = {**local_swift.auth_options("tester"), "skip_instance_cache": True}
    frame.to_parquet(f"swift://{bucket}/dataset", partition_cols=["station"],
                     storage_options=options)  # fmt: skip
    back = pd.read_parquet(f"swift://{bucket}/dataset", storage_options=options)
    assert sorted(back["station"].astype(str).unique()) == [f"s{i}" for i in range(7)]
    assert len(back) == len(frame)
    assert sorted(back["reading"]) == sorted(frame["reading"])
