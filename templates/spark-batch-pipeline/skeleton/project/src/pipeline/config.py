"""Reads config/pipeline.yaml."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class Input:
    source: str
    path: str
    format: str = "parquet"
    endpoint: str = ""


@dataclass(frozen=True)
class PipelineConfig:
    name: str
    inputs: list[Input]
    output_path: str
    partition_by: list[str] = field(default_factory=lambda: ["event_date"])
    key_columns: list[str] = field(default_factory=lambda: ["record_id"])
    timestamp_column: str = "event_time"


def load_config(path: str | Path) -> PipelineConfig:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    inputs = [Input(**entry) for entry in raw.get("inputs") or []]
    if not inputs:
        raise ValueError(f"{path} declares no inputs")
    output = raw.get("output") or {}
    if not output.get("path"):
        raise ValueError(f"{path} declares no output.path")
    return PipelineConfig(
        name=raw["name"],
        inputs=inputs,
        output_path=output["path"],
        partition_by=output.get("partition_by") or ["event_date"],
        key_columns=raw.get("key_columns") or ["record_id"],
        timestamp_column=raw.get("timestamp_column") or "event_time",
    )
