from datetime import datetime

import pytest

pyspark = pytest.importorskip("pyspark")
from pyspark.sql import SparkSession  # noqa: E402

from pipeline.transform import curate, daily_counts  # noqa: E402


@pytest.fixture(scope="module")
def spark():
    session = SparkSession.builder.master("local[1]").appName("tests").config("spark.ui.enabled", "false").getOrCreate()
    yield session
    session.stop()


def test_keeps_the_latest_row_per_key_and_dates_it(spark):
    rows = [
        ("a", datetime(2026, 3, 1, 9), 10),
        ("a", datetime(2026, 3, 2, 9), 11),
        ("b", datetime(2026, 3, 1, 12), 20),
    ]
    frame = spark.createDataFrame(rows, ["record_id", "event_time", "value"])
    curated = curate(frame, ["record_id"], "event_time")
    result = {r["record_id"]: (r["value"], str(r["event_date"])) for r in curated.collect()}
    assert result == {"a": (11, "2026-03-02"), "b": (20, "2026-03-01")}
    assert [(str(r["event_date"]), r["records"]) for r in daily_counts(curated).collect()] == [
        ("2026-03-01", 1),
        ("2026-03-02", 1),
    ]


def test_refuses_input_without_the_key(spark):
    frame = spark.createDataFrame([(1,)], ["value"])
    with pytest.raises(ValueError, match="record_id"):
        curate(frame, ["record_id"], "event_time")
