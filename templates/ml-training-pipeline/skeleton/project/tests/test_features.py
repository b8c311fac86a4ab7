import pandas as pd
import pytest

from training.features import split_features


def test_uses_numeric_columns_and_fills_gaps():
    frame = pd.DataFrame({"age": [30, None, 50, 40], "region": ["a", "b", "a", "b"], "label": [0, 1, 0, 1]})
    features, labels = split_features(frame, "label")
    assert list(features.columns) == ["age"]
    assert features["age"].isna().sum() == 0
    assert labels.tolist() == [0, 1, 0, 1]


@pytest.mark.parametrize(
    "frame, message",
    [
        (pd.DataFrame(), "empty"),
        (pd.DataFrame({"x": [1, 2]}), "no target column"),
        (pd.DataFrame({"x": [1, 2], "label": [1, 1]}), "single class"),
        (pd.DataFrame({"x": [1, 2], "label": [0, 2]}), "0 and 1 only"),
    ],
)
def test_refuses_frames_that_cannot_train(frame, message):
    with pytest.raises(ValueError, match=message):
        split_features(frame, "label")
