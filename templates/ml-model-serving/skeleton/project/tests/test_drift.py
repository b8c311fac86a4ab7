import numpy as np
import pytest

from serving.drift import DRIFT_THRESHOLD, DriftMonitor, FeatureReference, population_stability_index


@pytest.fixture()
def reference():
    return FeatureReference.from_values(np.random.default_rng(1).normal(0, 1, 5000))


def test_same_distribution_does_not_drift(reference):
    live = np.random.default_rng(2).normal(0, 1, 2000)
    assert population_stability_index(reference, live) < 0.05


def test_shifted_distribution_drifts(reference):
    live = np.random.default_rng(3).normal(1.5, 1, 2000)
    assert population_stability_index(reference, live) > DRIFT_THRESHOLD


def test_monitor_keeps_a_window_and_names_drifting_features(reference):
    monitor = DriftMonitor({"premium": reference, "tenure": reference}, window=500)
    rng = np.random.default_rng(4)
    monitor.observe([{"premium": float(v), "tenure": float(t)} for v, t in zip(rng.normal(3, 1, 800), rng.normal(0, 1, 800))])
    assert monitor.drifting() == ["premium"]
    assert len(monitor._recent["premium"]) == 500


def test_reference_must_be_consistent():
    with pytest.raises(ValueError, match="one proportion per bin"):
        FeatureReference(edges=[0, 1, 2], proportions=[1.0])
