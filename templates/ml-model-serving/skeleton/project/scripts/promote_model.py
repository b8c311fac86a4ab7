"""Releases a registered model version: exports it from MLflow to the service's storage and starts the canary.

python scripts/promote_model.py --version 7            # canary with the configured share of traffic
python scripts/promote_model.py --version 7 --promote  # after the canary held its objectives: 100%
"""

from __future__ import annotations

import argparse
import subprocess
from pathlib import Path

import yaml

SERVICE = Path(__file__).resolve().parent.parent / "k8s" / "inference-service.yaml"


def set_canary(manifest: dict, storage_uri: str, percent: int) -> dict:
    predictor = manifest["spec"]["predictor"]
    predictor["model"]["storageUri"] = storage_uri
    predictor["canaryTrafficPercent"] = percent
    return manifest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", required=True, type=int)
    parser.add_argument("--promote", action="store_true", help="send all traffic to the version")
    parser.add_argument("--apply", action="store_true", help="kubectl apply the result")
    args = parser.parse_args()

    import mlflow

    manifest = yaml.safe_load(SERVICE.read_text(encoding="utf-8"))
    model = manifest["metadata"]["annotations"]["forge.io/registered-model"]
    target = f"{manifest['metadata']['annotations']['forge.io/model-store']}{model}/{args.version}/"
    mlflow.artifacts.download_artifacts(f"models:/{model}/{args.version}", dst_path="/tmp/model")
    subprocess.run(["aws", "s3", "sync", "/tmp/model", target], check=True)
    percent = 100 if args.promote else manifest["spec"]["predictor"].get("canaryTrafficPercent", 10)
    SERVICE.write_text(yaml.safe_dump(set_canary(manifest, target, percent), sort_keys=False), encoding="utf-8")
    print(f"{model} version {args.version} at {percent}% of traffic; commit k8s/inference-service.yaml")
    if args.apply:
        subprocess.run(["kubectl", "apply", "-f", str(SERVICE)], check=True)


if __name__ == "__main__":
    main()
