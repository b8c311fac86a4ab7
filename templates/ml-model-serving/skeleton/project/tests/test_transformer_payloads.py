from serving.transformer import rows_from_request


def test_reads_v1_instances():
    assert rows_from_request({"instances": [{"a": 1.0}, {"a": 2.0}]}) == [{"a": 1.0}, {"a": 2.0}]


def test_reads_v2_tensors_column_by_column():
    payload = {"inputs": [{"name": "a", "data": [1, 2]}, {"name": "b", "data": [3, 4]}]}
    assert rows_from_request(payload) == [{"a": 1, "b": 3}, {"a": 2, "b": 4}]
