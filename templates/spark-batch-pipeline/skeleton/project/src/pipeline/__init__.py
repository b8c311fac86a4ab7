"""Spark batch pipeline: configuration, transformations, the job entry point and quality checks."""
