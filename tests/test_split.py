"""Each split partitions the rows and leaks nothing from test into train."""

from __future__ import annotations

import pandas as pd
import pytest

from helpers import make_synthetic_interactions
from recsys_helpers.preprocessing import encode_interactions
from recsys_helpers.split import (
    leave_last_out,
    per_user_random_split,
    random_split,
    temporal_cutoff,
    temporal_split,
)

KEY = ["user_idx", "item_idx", "timestamp"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return encode_interactions(make_synthetic_interactions(num_users=120, num_items=60, seed=5))[0]


def assert_partition(data, train, test):
    assert len(train) + len(test) == len(data)
    both = pd.concat([train, test]).sort_values(KEY).reset_index(drop=True)
    pd.testing.assert_frame_equal(both, data.sort_values(KEY).reset_index(drop=True))
    shared = train.merge(test, on=["user_idx", "item_idx"])
    assert shared.empty, "a test interaction also appears in train"


@pytest.mark.parametrize("split", [random_split, per_user_random_split, temporal_split, leave_last_out])
def test_every_split_partitions_without_leakage(data, split):
    train, test = split(data)
    assert_partition(data, train, test)
    again = split(data)
    pd.testing.assert_frame_equal(again[1], test)  # deterministic


def test_random_splits_depend_on_the_seed_and_fraction(data):
    a, b = random_split(data, seed=1)[1], random_split(data, seed=2)[1]
    assert not a.equals(b)
    assert len(random_split(data, test_fraction=0.25)[1]) == round(0.25 * len(data))


def test_per_user_split_keeps_every_user_in_train(data):
    train, test = per_user_random_split(data, test_fraction=0.5, seed=0)
    assert set(train["user_idx"]) == set(data["user_idx"])
    sizes = data.groupby("user_idx").size()
    expected = sizes.apply(lambda n: min(round(0.5 * n), n - 1))
    pd.testing.assert_series_equal(
        test.groupby("user_idx").size().reindex(sizes.index, fill_value=0), expected, check_names=False
    )


def test_temporal_split_has_no_train_event_after_the_cutoff(data):
    cutoff = temporal_cutoff(data, test_fraction=0.2)
    train, test = temporal_split(data, test_fraction=0.2)
    assert train["timestamp"].max() <= cutoff < test["timestamp"].min()
    assert abs(len(test) / len(data) - 0.2) < 0.02


def test_leave_last_out_holds_out_each_users_latest(data):
    train, test = leave_last_out(data)
    assert test["user_idx"].is_unique
    latest = data.groupby("user_idx")["timestamp"].max()
    assert (test.set_index("user_idx")["timestamp"] == latest.loc[test["user_idx"]].to_numpy()).all()
    merged = train.merge(test[["user_idx", "timestamp"]], on="user_idx", suffixes=("", "_test"))
    assert (merged["timestamp"] <= merged["timestamp_test"]).all()


def test_leave_last_out_skips_users_with_one_interaction():
    frame = pd.DataFrame({"user_idx": [0, 1, 1], "item_idx": [0, 0, 1], "timestamp": [1, 1, 2]})
    train, test = leave_last_out(frame)
    assert test["user_idx"].tolist() == [1] and test["item_idx"].tolist() == [1]


@pytest.mark.parametrize("fraction", [0, 1, -0.1, 1.5])
def test_bad_fraction_is_named(data, fraction):
    with pytest.raises(ValueError, match="test_fraction"):
        random_split(data, test_fraction=fraction)
