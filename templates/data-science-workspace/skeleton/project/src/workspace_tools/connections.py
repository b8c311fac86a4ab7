"""Governed connections: a notebook reaches the data sources declared for this project, and nothing else.

The list comes from connections.yaml (mounted from the workspace's ConfigMap), which Forge wrote from the catalog when
the project was created; the network policy of the namespace allows exactly those endpoints. Credentials are never
typed into a notebook: object stores use the workload identity, databases IAM tokens from it.

    from workspace_tools import connections
    connections.available()                      # what this workspace may read
    df = connections.read_parquet("policy-events-stream", "year=2026/")
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import yaml

CONNECTIONS_FILE = Path(os.environ.get("FORGE_CONNECTIONS", "/etc/forge/connections.yaml"))


@dataclass(frozen=True)
class DataSource:
    name: str
    ref: str
    endpoint: str
    classification: str
    contains_pii: bool

    @property
    def kind(self) -> str:
        scheme = urlparse(self.endpoint).scheme if "://" in self.endpoint else ""
        if scheme in ("s3", "gs", "abfss"):
            return "object-store"
        if scheme in ("https", "http"):
            return "http"
        port = self.endpoint.rsplit(":", 1)[-1]
        return {"5432": "postgres", "9093": "kafka"}.get(port, "tcp")


class UndeclaredSourceError(LookupError):
    """A notebook asked for a source this workspace was not created with."""


def load(path: Path | str = CONNECTIONS_FILE) -> dict[str, DataSource]:
    raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    sources = {}
    for entry in raw.get("sources") or []:
        source = DataSource(
            name=entry["name"],
            ref=entry["ref"],
            endpoint=entry.get("endpoint") or "",
            classification=entry.get("classification") or "unclassified",
            contains_pii=bool(entry.get("containsPii")),
        )
        sources[source.name] = source
    return sources


def available(path: Path | str = CONNECTIONS_FILE) -> list[DataSource]:
    return sorted(load(path).values(), key=lambda s: s.name)


def get(name: str, path: Path | str = CONNECTIONS_FILE) -> DataSource:
    sources = load(path)
    if name not in sources:
        raise UndeclaredSourceError(
            f"'{name}' is not a data source of this workspace (available: {', '.join(sorted(sources)) or 'none'}). "
            "Add it to the project in Forge; the network policy and the catalog change with it."
        )
    return sources[name]


def object_path(name: str, key: str = "", path: Path | str = CONNECTIONS_FILE) -> str:
    """The full object-store path of a key below a source, refusing keys that climb out of it."""
    source = get(name, path)
    if source.kind != "object-store":
        raise ValueError(f"'{name}' is a {source.kind} source, not an object store")
    if key.startswith("/") or ".." in key.split("/"):
        raise ValueError(f"key '{key}' must be relative to the source and must not contain '..'")
    return source.endpoint.rstrip("/") + "/" + key


def read_parquet(name: str, key: str = "", path: Path | str = CONNECTIONS_FILE):
    """A pandas DataFrame of Parquet below an object-store source, read with the workspace's workload identity."""
    import pandas as pd

    source = get(name, path)
    if source.contains_pii:
        print(f"Note: {name} holds personal data ({source.classification}); keep results inside the workspace.")
    return pd.read_parquet(object_path(name, key, path))


def sql_engine(name: str, database: str, user: str, path: Path | str = CONNECTIONS_FILE):
    """A SQLAlchemy engine for a PostgreSQL source, authenticated with an IAM token (no password in notebooks)."""
    import boto3
    from sqlalchemy import create_engine

    source = get(name, path)
    if source.kind != "postgres":
        raise ValueError(f"'{name}' is a {source.kind} source, not PostgreSQL")
    host, port = source.endpoint.rsplit(":", 1)
    token = boto3.client("rds").generate_db_auth_token(DBHostname=host, Port=int(port), DBUsername=user)
    return create_engine(
        f"postgresql+psycopg://{user}@{host}:{port}/{database}",
        connect_args={"password": token, "sslmode": "require"},
    )
