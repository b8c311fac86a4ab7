"""Runs the Soda checks in quality/checks.yml against the curated output; exits non-zero when a check fails.

python -m pipeline.quality --config /app/config/pipeline.yaml --checks /app/quality/checks.yml
"""

from __future__ import annotations

import argparse
import sys

from pipeline.config import load_config


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--config", default="/app/config/pipeline.yaml")
    parser.add_argument("--checks", default="/app/quality/checks.yml")
    args = parser.parse_args()

    from pyspark.sql import SparkSession
    from soda.scan import Scan

    config = load_config(args.config)
    spark = SparkSession.builder.appName(f"{config.name}-quality").getOrCreate()
    spark.read.parquet(config.output_path).createOrReplaceTempView("curated")
    scan = Scan()
    scan.set_data_source_name("spark_df")
    scan.add_spark_session(spark, data_source_name="spark_df")
    scan.add_sodacl_yaml_file(args.checks)
    scan.execute()
    print(scan.get_logs_text())
    return 1 if scan.has_check_fails() or scan.has_error_logs() else 0


if __name__ == "__main__":
    sys.exit(main())
