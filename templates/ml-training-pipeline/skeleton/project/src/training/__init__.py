"""Training pipeline: configuration, data, features, training with MLflow tracking, evaluation."""
