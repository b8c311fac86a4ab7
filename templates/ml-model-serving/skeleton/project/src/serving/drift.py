"""Input drift: the population stability index (PSI) of live feature values against the training distribution."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# PSI above 0.2 is the usual threshold for significant drift; the alert in the environment request uses it.
DRIFT_THRESHOLD = 0.2
_EPSILON = 1e-6


@dataclass
class FeatureReference:
    """Bin edges and the share of training rows in each bin, for one numeric feature."""

    edges: list[float]
    proportions: list[float]

    def __post_init__(self) -> None:
        if len(self.proportions) != len(self.edges) - 1:
            raise ValueError("a reference needs one proportion per bin (len(edges) - 1)")
        if abs(sum(self.proportions) - 1) > 1e-3:
            raise ValueError("reference proportions must add up to 1")

    @classmethod
    def from_values(cls, values: np.ndarray, bins: int = 10) -> "FeatureReference":
        edges = np.unique(np.quantile(values, np.linspace(0, 1, bins + 1)))
        if len(edges) < 2:
            edges = np.array([values.min() - 0.5, values.max() + 0.5])
        counts, _ = np.histogram(values, bins=edges)
        return cls(edges=edges.tolist(), proportions=(counts / counts.sum()).tolist())


def population_stability_index(reference: FeatureReference, live: np.ndarray) -> float:
    """PSI of live values against the reference; values outside the reference range count in the end bins."""
    if live.size == 0:
        return 0.0
    edges = np.asarray(reference.edges, dtype=float)
    clipped = np.clip(live, edges[0], edges[-1])
    counts, _ = np.histogram(clipped, bins=edges)
    actual = counts / counts.sum()
    expected = np.asarray(reference.proportions, dtype=float)
    actual = np.clip(actual, _EPSILON, None)
    expected = np.clip(expected, _EPSILON, None)
    return float(np.sum((actual - expected) * np.log(actual / expected)))


@dataclass
class DriftMonitor:
    """Keeps a sliding window of recent inputs per feature and scores each window against the reference."""

    references: dict[str, FeatureReference]
    window: int = 1000
    _recent: dict[str, list[float]] = field(default_factory=dict)

    def observe(self, rows: list[dict[str, float]]) -> None:
        for row in rows:
            for name in self.references:
                value = row.get(name)
                if value is None:
                    continue
                recent = self._recent.setdefault(name, [])
                recent.append(float(value))
                if len(recent) > self.window:
                    del recent[: len(recent) - self.window]

    def scores(self) -> dict[str, float]:
        return {
            name: population_stability_index(reference, np.asarray(self._recent.get(name, []), dtype=float))
            for name, reference in self.references.items()
        }

    def drifting(self) -> list[str]:
        return sorted(name for name, score in self.scores().items() if score > DRIFT_THRESHOLD)
