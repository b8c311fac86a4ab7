import mlflow
import numpy as np
import pandas as pd
import pytest

from training.config import TrainingConfig, load_config
from training.train import train


@pytest.fixture()
def frame():
    rng = np.random.default_rng(7)
    n = 600
    tenure = rng.integers(0, 20, n)
    claims = rng.poisson(1.0, n)
    premium = rng.normal(800, 150, n)
    logit = -1.5 + 0.25 * claims - 0.15 * tenure + 0.002 * (premium - 800)
    label = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    return pd.DataFrame(
        {"tenure": tenure, "claims": claims, "premium": premium, "segment": rng.choice(["a", "b"], n), "label": label}
    )


@pytest.fixture()
def config(tmp_path):
    return TrainingConfig(
        experiment="test",
        registered_model="test-model",
        target="label",
        tracking_uri=f"sqlite:///{tmp_path}/mlflow.db",
        group_column="segment",
        min_roc_auc=0.6,
    )


def test_trains_tracks_and_registers(frame, config):
    result = train(frame, config, register=True)
    assert result.metrics["roc_auc"] > 0.6
    run = mlflow.get_run(result.run_id)
    assert run.data.metrics["roc_auc"] == pytest.approx(result.metrics["roc_auc"])
    assert "roc_auc_a" in run.data.metrics
    assert result.registered_version == "1"


def test_does_not_register_a_model_below_the_bar(frame, config):
    strict = TrainingConfig(**{**config.__dict__, "min_roc_auc": 0.99})
    assert train(frame, strict, register=True).registered_version is None


def test_config_in_the_repository_loads():
    config = load_config("config/training.yaml")
    assert config.target == "label"
