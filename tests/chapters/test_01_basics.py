"""Chapter 01: the figures it states are the ones the data gives, recomputed independently here."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from recsys_helpers.data import load_movielens_100k
from recsys_helpers.preprocessing import encode_interactions, filter_min_interactions, to_implicit
from recsys_helpers.split import temporal_split

CHAPTER = "01_basics"


@pytest.fixture(scope="module")
def ratings():
    return load_movielens_100k().ratings


def test_dataset_description(recorded, ratings):
    assert (recorded["01_num_ratings"], recorded["01_num_users"], recorded["01_num_items"]) == (100_000, 943, 1682)
    assert recorded["01_first_day"] == "1997-09-20" and recorded["01_last_day"] == "1998-04-22"
    assert recorded["01_sparsity"] == pytest.approx(1 - 100_000 / (943 * 1682), abs=1e-12)
    assert recorded["01_share_liked"] == pytest.approx(100 * (ratings["rating"] >= 4).mean())
    per_user = ratings["user_id"].value_counts()
    assert (recorded["01_median_per_user"], recorded["01_max_per_user"]) == (per_user.median(), per_user.max())


def test_long_tail(recorded, ratings):
    counts = np.sort(ratings["item_id"].value_counts().to_numpy())[::-1]
    head = int(0.2 * counts.size)
    assert recorded["01_top20_share"] == pytest.approx(100 * counts[:head].sum() / counts.sum())
    assert recorded["01_rare_items"] == int((counts <= 5).sum())
    assert recorded["01_top20_share"] > 60  # the text calls it a long tail


def test_k_core(recorded, ratings):
    core = filter_min_interactions(ratings, min_user=20, min_item=20)
    assert (recorded["01_core_ratings"], recorded["01_core_items"]) == (len(core), core["item_id"].nunique())
    assert recorded["01_duplicates"] == 0


def test_similarity_example(recorded):
    assert recorded["01_example_cosine"] > 0.9 and recorded["01_example_pearson"] == pytest.approx(-1.0)


def test_split_figures(recorded, ratings):
    positives = to_implicit(encode_interactions(ratings)[0])
    train, test = temporal_split(positives, test_fraction=0.2)
    test_users = pd.Series(test["user_idx"].unique())
    assert recorded["01_temporal_test_users"] == test_users.size
    assert recorded["01_temporal_cold_users"] == int((~test_users.isin(train["user_idx"])).sum())
    assert 50 < recorded["01_random_future_percent"] <= 100
