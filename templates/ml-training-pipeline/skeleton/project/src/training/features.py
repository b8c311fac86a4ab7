"""Turns a training frame into features and labels, refusing frames that cannot train a binary classifier."""

from __future__ import annotations

import pandas as pd


def split_features(frame: pd.DataFrame, target: str, features: list[str] | None = None) -> tuple[pd.DataFrame, pd.Series]:
    if frame.empty:
        raise ValueError("the training data is empty")
    if target not in frame.columns:
        raise ValueError(f"the training data has no target column '{target}'")
    labels = frame[target]
    if labels.isna().any():
        raise ValueError(f"the target column '{target}' has missing values")
    if set(labels.unique()) - {0, 1}:
        raise ValueError(f"the target column '{target}' must hold 0 and 1 only")
    if labels.nunique() < 2:
        raise ValueError(f"the target column '{target}' has a single class; a classifier needs both")
    if features:
        missing = [f for f in features if f not in frame.columns]
        if missing:
            raise ValueError(f"feature columns not in the data: {', '.join(missing)}")
        x = frame[features]
    else:
        x = frame.drop(columns=[target]).select_dtypes("number")
    if x.shape[1] == 0:
        raise ValueError("no numeric feature columns")
    return x.fillna(x.median(numeric_only=True)), labels.astype(int)
