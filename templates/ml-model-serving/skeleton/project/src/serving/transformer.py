"""KServe transformer: passes requests to the predictor unchanged and exports input drift as Prometheus metrics.

python -m serving.transformer --model_name <name> --predictor_host <host>
"""

from __future__ import annotations

import argparse
import os

from prometheus_client import Gauge, start_http_server

from serving.drift import DriftMonitor
from serving.reference import load_references

DRIFT = Gauge("forge_model_feature_drift_score", "Population stability index of live inputs", ["feature"])


def rows_from_request(payload: dict) -> list[dict[str, float]]:
    """Rows of a v1 ({"instances": [...]}) or v2 ({"inputs": [...]}) inference request, as feature dicts."""
    if "instances" in payload:
        return [r for r in payload["instances"] if isinstance(r, dict)]
    rows: list[dict[str, float]] = []
    for tensor in payload.get("inputs", []):
        name, data = tensor.get("name"), tensor.get("data", [])
        for index, value in enumerate(data):
            if len(rows) <= index:
                rows.append({})
            rows[index][name] = value
    return rows


def record(monitor: DriftMonitor, payload: dict) -> None:
    monitor.observe(rows_from_request(payload))
    for feature, score in monitor.scores().items():
        DRIFT.labels(feature=feature).set(score)


def main() -> None:  # pragma: no cover - needs a KServe runtime
    import kserve

    parser = argparse.ArgumentParser(parents=[kserve.model_server.parser])
    parser.add_argument("--model_name", default=os.environ.get("MODEL_NAME", "model"))
    parser.add_argument("--predictor_host", required=True)
    parser.add_argument("--reference", default="/app/reference/features.json")
    args, _ = parser.parse_known_args()
    monitor = DriftMonitor(load_references(args.reference))

    class DriftTransformer(kserve.Model):
        def __init__(self) -> None:
            super().__init__(args.model_name)
            self.predictor_host = args.predictor_host
            self.ready = True

        def preprocess(self, payload, headers=None):
            record(monitor, payload)
            return payload

    start_http_server(8081)
    kserve.ModelServer().start([DriftTransformer()])


if __name__ == "__main__":
    main()
