"""Chapter 02: the stated figures hold, recomputed here with scikit-learn and the helpers."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm

from recsys_helpers.baselines import ItemKNN, PopularityRecommender, UserKNN
from recsys_helpers.datasets import load_movielens_100k
from recsys_helpers.evaluation import evaluate_full_ranking
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix, to_implicit
from recsys_helpers.split import per_user_random_split

pytestmark = pytest.mark.chapters
CHAPTER = "02_evaluation"


@pytest.fixture(scope="module")
def fig(figures):
    return figures(CHAPTER)


@pytest.fixture(scope="module")
def protocol():
    """The chapter's stated protocol, rebuilt from its description."""
    encoded, users, items = encode_interactions(load_movielens_100k().ratings)
    train, test = per_user_random_split(encoded, test_fraction=0.2, seed=42)
    shape = (len(users), len(items))
    train_pos, test_pos = to_implicit(train), to_implicit(test)
    return train, test, interaction_matrix(train_pos, *shape), interaction_matrix(test_pos, *shape)


def test_rating_errors(fig, protocol):
    train, test, _, _ = protocol
    global_mean = np.full(len(test), train["rating"].mean())
    assert fig["02_rmse_global"] == pytest.approx(np.sqrt(skm.mean_squared_error(test["rating"], global_mean)))
    assert fig["02_rmse_bias"] < fig["02_rmse_global"] and fig["02_mae_bias"] < fig["02_rmse_bias"]
    assert fig["02_rating_sklearn_gap"] < 1e-12
    # the text says "exactly" only when the gap is zero
    assert (fig["02_rating_agreement"] == "exactly") == (fig["02_rating_sklearn_gap"] == 0)


def test_classification_and_the_source_f1(fig):
    assert fig["02_cls_gap"] < 1e-12
    assert (fig["02_cls_agreement"] == "exactly") == (fig["02_cls_gap"] == 0)
    assert 0.5 < fig["02_cls_accuracy"] < 1
    # recommending nothing: accuracy is the share of negatives among the candidate cells
    assert fig["02_nothing_accuracy"] == pytest.approx(1 - fig["02_topk_share_positive"] / 100)
    assert fig["02_nothing_accuracy"] > 0.99
    assert fig["02_pop_source_f1"] > fig["02_pop_f1"] > 0  # the source's F1 is inflated


def test_auc_and_the_source_formula(fig):
    assert fig["02_auc_spread"] < 1e-12
    assert fig["02_auc_methods"] == 4  # the text's count, exercise 2 included
    assert fig["02_auc_source"] == pytest.approx(fig["02_auc"] - 0.5, abs=1e-9)
    assert abs(fig["02_auc_source_random"]) < 0.02


def test_worked_example(fig):
    assert fig["02_worked_ap"] == pytest.approx((1 / 3 + 2 / 5) / 3)
    ndcg = (1 / np.log2(4) + 1 / np.log2(6)) / (1 + 1 / np.log2(3) + 1 / np.log2(4))
    assert fig["02_worked_ndcg"] == pytest.approx(ndcg)


def test_baseline_table(fig, protocol):
    _, _, train, test = protocol
    for slug, model in {
        "popularity": PopularityRecommender(),
        "userknn": UserKNN(num_neighbors=50),
        "itemknn": ItemKNN(num_neighbors=50),
    }.items():
        result = evaluate_full_ranking(model.fit(train).score(), train, test, k=10)
        assert fig[f"02_ndcg_{slug}"] == pytest.approx(result["ndcg"], abs=1e-12)
        assert fig[f"02_hr_{slug}"] == pytest.approx(result["hit_rate"], abs=1e-12)
    assert fig["02_eval_users"] == int((np.diff(test.indptr) > 0).sum())
    best = max(["userknn", "itemknn"], key=lambda s: fig[f"02_ndcg_{s}"])
    assert fig["02_best_model"] == {"userknn": "user-kNN", "itemknn": "item-kNN"}[best]
    assert fig["02_ndcg_random"] < fig["02_ndcg_content"] < fig["02_ndcg_popularity"] < fig["02_ndcg_itemknn"]


def test_paired_bootstrap_claims(fig):
    """Section 6: the intervals bracket their differences and support the text's wording."""
    for slug in ["knn", "itemknn_pop", "pop_content"]:
        assert fig[f"02_diff_{slug}_low"] <= fig[f"02_diff_{slug}"] <= fig[f"02_diff_{slug}_high"]
    assert fig["02_diff_knn"] == pytest.approx(fig["02_ndcg_userknn"] - fig["02_ndcg_itemknn"])
    # user-kNN's lead: paired interval above zero, but close to it ("a real but small lead")
    assert 0 < fig["02_diff_knn_low"] < 0.25 * fig["02_diff_knn"]
    # the unpaired interval contains zero and is wider: why pairing matters
    assert fig["02_diff_knn_unpaired_low"] < 0 < fig["02_diff_knn_unpaired_high"]
    unpaired = fig["02_diff_knn_unpaired_high"] - fig["02_diff_knn_unpaired_low"]
    assert unpaired > 1.5 * (fig["02_diff_knn_high"] - fig["02_diff_knn_low"])
    # the separate intervals overlap ("overlap widely")
    assert fig["02_boot_itemknn_high"] - fig["02_boot_userknn_low"] > 0.01
    assert fig["02_diff_itemknn_pop_low"] > 0.05 and fig["02_diff_pop_content_low"] > 0.05
    assert fig["02_temporal_gap_low"] > 0.05  # popularity ahead for new users
    assert fig["02_temporal_gap_users"] == fig["02_temporal_new_users"]


def test_sampled_evaluation_inflates_compresses_and_hides_the_order(fig):
    assert fig["02_inflation_pop"] > 1.5
    assert fig["02_ratio_sampled"] < fig["02_ratio_full"]
    assert fig["02_ndcg_userknn"] > fig["02_ndcg_itemknn"]
    # "item-kNN scores a hair higher" under sampling, but the paired interval contains zero
    assert fig["02_sampled_ndcg_userknn"] < fig["02_sampled_ndcg_itemknn"]
    assert fig["02_sampled_diff_knn"] == pytest.approx(
        fig["02_sampled_ndcg_userknn"] - fig["02_sampled_ndcg_itemknn"]
    )
    assert fig["02_sampled_diff_knn_low"] < 0 < fig["02_sampled_diff_knn_high"]


def test_beyond_accuracy_and_pitfalls(fig, figures):
    assert fig["02_coverage_pop"] < fig["02_coverage_itemknn"]
    assert fig["02_gini_pop"] > fig["02_gini_userknn"] > fig["02_gini_itemknn"]
    assert fig["02_novelty_content"] > fig["02_novelty_itemknn"]
    assert fig["02_itemknn_no_exclusion"] < fig["02_ndcg_itemknn"]
    assert fig["02_temporal_pop_new"] > fig["02_temporal_itemknn_new"]
    assert fig["02_temporal_new_users"] == figures("01_basics")["01_temporal_cold_users"]  # same split
