"""Entry point of the Spark application: read the inputs, curate, write the output partitioned by date.

spark-submit src/pipeline/job.py --config config/pipeline.yaml
"""

from __future__ import annotations

import argparse
from functools import reduce

from pyspark.sql import DataFrame, SparkSession

from pipeline.config import load_config
from pipeline.transform import curate


def run(spark: SparkSession, config_path: str) -> int:
    config = load_config(config_path)
    frames: list[DataFrame] = [spark.read.format(i.format).load(i.path) for i in config.inputs]
    combined = reduce(lambda a, b: a.unionByName(b, allowMissingColumns=True), frames)
    curated = curate(combined, config.key_columns, config.timestamp_column)
    curated.write.mode("overwrite").partitionBy(*config.partition_by).parquet(config.output_path)
    return curated.count()


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the pipeline once")
    parser.add_argument("--config", default="/app/config/pipeline.yaml")
    args = parser.parse_args()
    spark = SparkSession.builder.appName("pipeline").getOrCreate()
    try:
        print(f"curated {run(spark, args.config)} records")
    finally:
        spark.stop()


if __name__ == "__main__":
    main()
