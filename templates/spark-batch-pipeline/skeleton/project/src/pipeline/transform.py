"""The pipeline's transformations: pure functions of DataFrames, so they are tested on a local Spark session."""

from __future__ import annotations

from pyspark.sql import DataFrame, Window
from pyspark.sql import functions as F


def latest_per_key(frame: DataFrame, key_columns: list[str], timestamp_column: str) -> DataFrame:
    """Keeps the most recent row of each key (sources often deliver updates as new rows)."""
    order = Window.partitionBy(*key_columns).orderBy(F.col(timestamp_column).desc())
    return frame.withColumn("_rank", F.row_number().over(order)).where("_rank = 1").drop("_rank")


def with_event_date(frame: DataFrame, timestamp_column: str) -> DataFrame:
    return frame.withColumn("event_date", F.to_date(F.col(timestamp_column)))


def curate(frame: DataFrame, key_columns: list[str], timestamp_column: str) -> DataFrame:
    """Deduplicated rows with an event date and the time they were curated."""
    missing = [c for c in [*key_columns, timestamp_column] if c not in frame.columns]
    if missing:
        raise ValueError(f"input lacks the columns {', '.join(missing)}")
    curated = with_event_date(latest_per_key(frame, key_columns, timestamp_column), timestamp_column)
    return curated.withColumn("curated_at", F.current_timestamp())


def daily_counts(frame: DataFrame) -> DataFrame:
    return frame.groupBy("event_date").agg(F.count(F.lit(1)).alias("records")).orderBy("event_date")
