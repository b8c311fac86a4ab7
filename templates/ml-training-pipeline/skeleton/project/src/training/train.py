"""Trains the model, tracks the run in MLflow and registers the model when it is good enough.

python -m training.train --config config/training.yaml [--data path.parquet] [--register]
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

import mlflow
import pandas as pd
from mlflow.models import infer_signature
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.model_selection import train_test_split

from training.config import TrainingConfig, load_config
from training.data import load_training_frame
from training.evaluate import classification_metrics, metrics_by_group
from training.features import split_features


@dataclass
class TrainingResult:
    run_id: str
    metrics: dict[str, float]
    registered_version: str | None


def train(frame: pd.DataFrame, config: TrainingConfig, register: bool = False) -> TrainingResult:
    features, labels = split_features(frame, config.target, config.features)
    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=config.test_size, random_state=config.random_state, stratify=labels
    )
    if config.tracking_uri:
        mlflow.set_tracking_uri(config.tracking_uri)
    mlflow.set_experiment(config.experiment)
    with mlflow.start_run() as run:
        params = {"max_iter": 200, "learning_rate": 0.1, "random_state": config.random_state}
        model = HistGradientBoostingClassifier(**params).fit(x_train, y_train)
        scores = pd.Series(model.predict_proba(x_test)[:, 1], index=x_test.index)
        metrics = classification_metrics(y_test, scores)
        mlflow.log_params({**params, "rows": len(frame), "features": features.shape[1]})
        mlflow.log_metrics(metrics)
        if config.group_column and config.group_column in frame.columns:
            for group, group_metrics in metrics_by_group(y_test, scores, frame.loc[x_test.index, config.group_column]).items():
                mlflow.log_metrics({f"{name}_{group}": value for name, value in group_metrics.items()})
        mlflow.sklearn.log_model(
            model, artifact_path="model", signature=infer_signature(x_test, scores), input_example=x_test.head(3)
        )
        version = None
        if register:
            if metrics["roc_auc"] < config.min_roc_auc:
                print(f"ROC AUC {metrics['roc_auc']:.3f} is below {config.min_roc_auc}; not registering the model")
            else:
                version = mlflow.register_model(f"runs:/{run.info.run_id}/model", config.registered_model).version
        return TrainingResult(run_id=run.info.run_id, metrics=metrics, registered_version=version)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train and track the model")
    parser.add_argument("--config", default="config/training.yaml")
    parser.add_argument("--data", help="training data (parquet or csv); defaults to training_data in the config")
    parser.add_argument("--register", action="store_true", help="register the model if it is good enough")
    args = parser.parse_args(argv)
    config = load_config(args.config)
    result = train(load_training_frame(args.data or config.training_data), config, register=args.register)
    print(f"run {result.run_id}: {result.metrics}; registered version: {result.registered_version}")


if __name__ == "__main__":
    main()
