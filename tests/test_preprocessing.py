"""ID encoding, implicit conversion, de-duplication, k-core filtering, sparse matrices and sessions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from helpers import make_synthetic_interactions
from recsys_helpers.preprocessing import (
    IdEncoder,
    drop_duplicate_interactions,
    encode_interactions,
    filter_min_interactions,
    interaction_matrix,
    sessionize,
    to_implicit,
)


def test_encoding_is_contiguous_and_reversible():
    frame = pd.DataFrame({"user_id": ["u9", "u2", "u9", "u5"], "item_id": [100, 7, 7, 3]})
    encoded, users, items = encode_interactions(frame)
    assert sorted(encoded["user_idx"].unique()) == [0, 1, 2]
    assert sorted(encoded["item_idx"].unique()) == [0, 1, 2]
    assert encoded["user_idx"].dtype == np.int64
    assert users.inverse_transform(encoded["user_idx"]).tolist() == frame["user_id"].tolist()
    assert items.inverse_transform(encoded["item_idx"]).tolist() == frame["item_id"].tolist()
    assert "user_idx" not in frame.columns  # the input is not modified


def test_encoder_errors_are_named():
    enc = IdEncoder().fit([1, 2, 3])
    with pytest.raises(KeyError, match="unknown id"):
        enc.transform([4])
    with pytest.raises(IndexError, match=r"\[0, 2\]"):
        enc.inverse_transform([3])
    with pytest.raises(RuntimeError, match="not fitted"):
        IdEncoder().transform([1])
    with pytest.raises(ValueError, match="missing"):
        IdEncoder().fit([1, None])
    with pytest.raises(ValueError, match="missing column"):
        encode_interactions(pd.DataFrame({"user": [1]}))


def test_to_implicit_keeps_ratings_at_or_above_the_threshold():
    frame = pd.DataFrame({"user_id": [1, 1, 2, 2], "item_id": [1, 2, 1, 3], "rating": [5, 3, 4, 1]})
    assert to_implicit(frame)["rating"].tolist() == [5, 4]
    assert len(to_implicit(frame, threshold=1)) == 4


def test_drop_duplicates_keeps_the_latest():
    frame = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [5, 5, 5], "rating": [2, 4, 3], "timestamp": [20, 10, 5]})
    out = drop_duplicate_interactions(frame)
    assert len(out) == 2 and out.loc[out["user_id"] == 1, "rating"].item() == 2


def test_k_core_filter_reaches_a_fixed_point():
    data = make_synthetic_interactions(num_users=80, num_items=40, seed=2)
    core = filter_min_interactions(data, min_user=5, min_item=8)
    assert core.groupby("user_id").size().min() >= 5
    assert core.groupby("item_id").size().min() >= 8
    assert len(core) < len(data)
    # brute force: one more round changes nothing, and no dropped row could have been kept
    pd.testing.assert_frame_equal(filter_min_interactions(core, min_user=5, min_item=8), core)


def test_k_core_cascade():
    # item 9 has 2 ratings, one from user 3; dropping user 3 (1 rating) leaves item 9 with 1.
    frame = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [1, 9, 1, 2, 9]})
    core = filter_min_interactions(frame, min_user=2, min_item=2)
    assert core.empty or core["item_id"].value_counts().min() >= 2
    assert 3 not in set(core["user_id"]) and 9 not in set(core["item_id"])


def test_interaction_matrix():
    frame = pd.DataFrame({"user_idx": [0, 0, 2], "item_idx": [1, 3, 0], "rating": [5, 2, 4]})
    ones = interaction_matrix(frame, 3, 4)
    assert ones.shape == (3, 4) and ones.nnz == 3 and ones[0, 3] == 1.0
    assert interaction_matrix(frame, 3, 4, value_col="rating")[2, 0] == 4.0
    with pytest.raises(ValueError, match="out of range"):
        interaction_matrix(frame, 2, 4)
    with pytest.raises(ValueError, match="duplicate"):
        interaction_matrix(pd.concat([frame, frame]), 3, 4)


def test_sessionize_cuts_on_gaps_per_user_in_any_order():
    assert sessionize(["a", "a", "a", "b"], [0, 100, 5000, 50]).tolist() == [0, 0, 1, 2]
    assert sessionize(["b", "a", "a"], [10, 3000, 0], gap_seconds=1800).tolist() == [2, 1, 0]
    assert sessionize(["a", "a"], [0, 1800]).tolist() == [0, 0]  # a gap equal to the threshold continues
    assert sessionize([], []).tolist() == []
    with pytest.raises(ValueError):
        sessionize(["a"], [1, 2])


def test_shuffle_time_ties_orders_by_user_and_time_and_shuffles_only_ties():
    from recsys_helpers.preprocessing import shuffle_time_ties

    rng = np.random.default_rng(3)
    log = pd.DataFrame({"user_idx": rng.integers(0, 20, 2000), "timestamp": rng.integers(0, 30, 2000)})
    log["item_idx"] = np.arange(len(log))  # ascending within every tie, as a stable sort would leave it
    first = shuffle_time_ties(log, seed=1)
    keys = list(zip(first["user_idx"], first["timestamp"]))
    assert keys == sorted(keys) and sorted(first["item_idx"]) == list(range(len(log)))
    assert first.equals(shuffle_time_ties(log, seed=1)) and not first.equals(shuffle_time_ties(log, seed=2))
    ties = first.groupby(["user_idx", "timestamp"])["item_idx"]
    ascending = ties.apply(lambda items: items.is_monotonic_increasing)[ties.size() == 2]
    assert len(ascending) > 50 and 0.35 < ascending.mean() < 0.65  # a random pair is in item order half the time
    with pytest.raises(TypeError, match="seed"):
        shuffle_time_ties(log, seed=1.5)
