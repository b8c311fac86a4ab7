import pytest

from workspace_tools import connections


@pytest.fixture()
def config(tmp_path):
    path = tmp_path / "connections.yaml"
    path.write_text(
        """
sources:
  - name: policy-events-stream
    ref: resource:default/policy-events-stream
    endpoint: kafka.data.example.internal:9093
    classification: confidential
    containsPii: false
  - name: telematics-trips
    ref: resource:default/telematics-trips
    endpoint: s3://mm-telematics/trips/
    classification: confidential
    containsPii: true
""",
        encoding="utf-8",
    )
    return path


def test_lists_declared_sources_with_their_kind(config):
    sources = connections.available(config)
    assert [(s.name, s.kind, s.contains_pii) for s in sources] == [
        ("policy-events-stream", "kafka", False),
        ("telematics-trips", "object-store", True),
    ]


def test_refuses_sources_the_workspace_was_not_created_with(config):
    with pytest.raises(connections.UndeclaredSourceError, match="not a data source of this workspace"):
        connections.get("claims-warehouse", config)


def test_object_paths_stay_below_the_source(config):
    assert connections.object_path("telematics-trips", "year=2026/", config) == "s3://mm-telematics/trips/year=2026/"
    with pytest.raises(ValueError, match="must not contain"):
        connections.object_path("telematics-trips", "../other-bucket", config)
    with pytest.raises(ValueError, match="not an object store"):
        connections.object_path("policy-events-stream", "", config)
