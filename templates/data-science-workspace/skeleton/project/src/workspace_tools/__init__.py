"""Helpers for the workspace: governed connections to the project's data sources."""
