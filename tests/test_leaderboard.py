"""The benchmark protocol of chapter 09: their split, their ranking restrictions, their metrics."""

import math

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recsys_helpers.data import load_ratings_file_order
from recsys_helpers.leaderboard import (
    PUBLISHED_ML100K,
    benchmark_splits,
    ranking_metrics,
    to_matrix,
    top_k_known_items,
)
from recsys_helpers.split import stratified_split


def small_frame():
    # RandomState(42) draws, in row order: .3745 .9507 .7320 .5987 .1560 .1560 .0581 .8662
    # .6011 .7081 .0206
    return pd.DataFrame({"item_id": [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4],
                         "user_id": range(11)})


def test_stratified_split_is_pinned_on_a_small_frame():
    train, test = stratified_split(small_frame(), train_fraction=0.75, stratify_by="item_id", seed=42)
    # item 1: rows ordered 0, 3, 2, 1 by draw -> row 1 is 4th of 4 (1.0 > .75): test
    # item 2: rows 6, 5, 4, 7 -> row 7 test; item 3: rows 8, 9 -> row 9 (2/2) test;
    # item 4: a single row is 1/1 > .75: test
    assert sorted(test["user_id"]) == [1, 7, 9, 10]
    assert sorted(train["user_id"]) == [0, 2, 3, 4, 5, 6, 8]
    assert list(train.index) == list(range(len(train)))  # partition, index reset, order kept


def test_stratified_split_depends_on_row_order_and_seed():
    frame = small_frame()
    _, test = stratified_split(frame, seed=42)
    _, reversed_test = stratified_split(frame.iloc[::-1].reset_index(drop=True), seed=42)
    _, other_seed = stratified_split(frame, seed=0)
    assert sorted(test["user_id"]) != sorted(reversed_test["user_id"]) or \
        sorted(test["user_id"]) != sorted(other_seed["user_id"])


def test_stratified_split_by_user_and_bad_fraction():
    frame = small_frame().rename(columns={"item_id": "g"})
    train, test = stratified_split(frame, stratify_by="g")
    assert len(train) + len(test) == len(frame)
    with pytest.raises(ValueError):
        stratified_split(frame, stratify_by="g", train_fraction=1.0)
    with pytest.raises(ValueError):
        stratified_split(frame, stratify_by="missing")


def test_benchmark_split_sizes_and_file_order():
    ratings = load_ratings_file_order()
    assert ratings.iloc[0].tolist() == [196, 242, 3, 881250949]  # the first line of u.data
    assert ratings.iloc[-1].tolist() == [12, 203, 3, 879959583]  # its last line
    splits = benchmark_splits(ratings)
    assert len(splits["train"]) == 74331 and len(splits["test"]) == 25669
    assert len(splits["fit"]) + len(splits["validation"]) == len(splits["train"])
    merged = splits["fit"].merge(splits["test"], on=["user_id", "item_id"])
    assert merged.empty  # validation carved from train never touches test


def test_top_k_known_items_skips_seen_and_unknown_items():
    train = sp.csr_matrix(np.array([[1, 0, 0, 0], [0, 1, 0, 0]], dtype=float))
    scores = np.array([[9.0, 1.0, 5.0, 0.5], [3.0, 9.0, 8.0, 2.0]])
    top = top_k_known_items(scores, train, k=1)
    assert top.tolist() == [[1], [0]]  # item 2 and 3 never occur in training


def test_top_k_known_items_is_a_stable_argsort_with_seen_and_unknown_items_last():
    rng = np.random.default_rng(0)
    scores = rng.integers(0, 3, size=(20, 30)).astype(float)  # many ties
    seen = rng.random((20, 30)) < 0.3
    seen[:, [4, 17]] = False  # two items nobody saw
    train = sp.csr_matrix(seen.astype(float))
    masked = scores.copy()
    masked[train.toarray() != 0] = -np.inf
    masked[:, [4, 17]] = -np.inf
    expected = np.argsort(-masked, axis=1, kind="stable")[:, :5]
    assert top_k_known_items(scores, train, k=5).tolist() == expected.tolist()
    with pytest.raises(ValueError, match="fewer than k"):
        top_k_known_items(scores, train, k=28)
    with pytest.raises(ValueError, match="differ in shape"):
        top_k_known_items(scores[:, :-1], train, k=5)


def test_ranking_metrics_match_hand_computed_values():
    top = np.array([[0, 1, 2], [2, 1, 0], [0, 1, 2]])
    test = sp.csr_matrix(np.array([[1, 0, 1, 1], [0, 0, 0, 1], [0, 0, 0, 0]], dtype=float))
    frame = ranking_metrics(top, test, k=3)
    assert frame.index.tolist() == [0, 1]  # user 2 has no test item: not averaged
    user0 = frame.loc[0]
    # hits at ranks 1 and 3, three relevant items
    dcg = 1 + 1 / math.log2(4)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert math.isclose(user0["ndcg"], dcg / idcg)
    assert math.isclose(user0["precision"], 2 / 3) and math.isclose(user0["recall"], 2 / 3)
    assert math.isclose(user0["map"], (1 + 2 / 3) / 3)
    assert math.isclose(user0["map_min"], (1 + 2 / 3) / 3)
    assert frame.loc[1].tolist() == [0.0] * 5  # no hit: zeros, still averaged


def test_map_divides_by_all_relevant_items_map_min_by_k():
    top = np.array([[0, 1]])
    test = sp.csr_matrix(np.ones((1, 5)))
    frame = ranking_metrics(top, test, k=2)
    assert math.isclose(frame.loc[0, "map"], 2 / 5) and math.isclose(frame.loc[0, "map_min"], 1.0)


def test_to_matrix_and_published_table():
    frame = pd.DataFrame({"user_id": [1, 1, 2], "item_id": [1, 1, 3], "rating": [5, 4, 1]})
    matrix = to_matrix(frame, num_users=2, num_items=3)
    assert matrix.toarray().tolist() == [[1, 0, 0], [0, 0, 1]]
    assert PUBLISHED_ML100K["BiVAE"]["ndcg"] == 0.475077
    assert PUBLISHED_ML100K["BPR"]["ndcg"] == 0.441997
