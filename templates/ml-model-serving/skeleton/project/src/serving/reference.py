"""Loads reference/features.json, written at promotion time from the training data."""

from __future__ import annotations

import json
from pathlib import Path

from serving.drift import FeatureReference


def load_references(path: str | Path) -> dict[str, FeatureReference]:
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    features = raw.get("features")
    if not isinstance(features, dict):
        raise ValueError(f"{path} must hold an object 'features' mapping feature names to edges and proportions")
    return {name: FeatureReference(**spec) for name, spec in features.items()}


def save_references(path: str | Path, references: dict[str, FeatureReference]) -> None:
    payload = {"features": {n: {"edges": r.edges, "proportions": r.proportions} for n, r in references.items()}}
    Path(path).write_text(json.dumps(payload, indent=2), encoding="utf-8")
