"""Loads the training data the extraction step wrote to the project's storage (or any local parquet file)."""

from __future__ import annotations

import pandas as pd


def load_training_frame(path: str) -> pd.DataFrame:
    if not path:
        raise ValueError("no training data path: set training_data in config/training.yaml or pass --data")
    if path.endswith(".csv"):
        return pd.read_csv(path)
    return pd.read_parquet(path)
