"""Drift monitoring in front of the KServe predictor."""
