"""Reads config/training.yaml into a typed, validated configuration."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import yaml


@dataclass(frozen=True)
class TrainingConfig:
    experiment: str
    registered_model: str
    target: str
    training_data: str = ""
    tracking_uri: str = ""
    features: list[str] = field(default_factory=list)
    group_column: str = ""
    test_size: float = 0.2
    random_state: int = 42
    min_roc_auc: float = 0.7
    data_sources: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not 0 < self.test_size < 1:
            raise ValueError(f"test_size must be between 0 and 1, not {self.test_size}")
        if not 0 <= self.min_roc_auc <= 1:
            raise ValueError(f"min_roc_auc must be between 0 and 1, not {self.min_roc_auc}")
        if not self.target:
            raise ValueError("target must name the label column")


def load_config(path: str | Path) -> TrainingConfig:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    known = {f for f in TrainingConfig.__dataclass_fields__}
    unknown = set(raw) - known
    if unknown:
        raise ValueError(f"unknown settings in {path}: {', '.join(sorted(unknown))}")
    return TrainingConfig(**raw)
