"""Metrics the pipeline logs and the model card reports."""

from __future__ import annotations

import pandas as pd
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score


def classification_metrics(labels: pd.Series, scores: pd.Series, threshold: float = 0.5) -> dict[str, float]:
    predictions = (scores >= threshold).astype(int)
    return {
        "roc_auc": float(roc_auc_score(labels, scores)),
        "precision": float(precision_score(labels, predictions, zero_division=0)),
        "recall": float(recall_score(labels, predictions, zero_division=0)),
        "f1": float(f1_score(labels, predictions, zero_division=0)),
    }


def metrics_by_group(labels: pd.Series, scores: pd.Series, groups: pd.Series) -> dict[str, dict[str, float]]:
    """The same metrics per group, for the fairness section of the model card (groups with both classes only)."""
    result: dict[str, dict[str, float]] = {}
    for group in sorted(groups.dropna().unique(), key=str):
        mask = groups == group
        if labels[mask].nunique() == 2:
            result[str(group)] = classification_metrics(labels[mask], scores[mask])
    return result
