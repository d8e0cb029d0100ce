"""Chapter 02: the stated figures hold, recomputed here with scikit-learn and the helpers."""

from __future__ import annotations

import numpy as np
import pytest
import sklearn.metrics as skm

from recsys_helpers.baselines import ItemKNN, PopularityRecommender, UserKNN
from recsys_helpers.data import load_movielens_100k
from recsys_helpers.evaluation import evaluate_full_ranking
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix, to_implicit
from recsys_helpers.split import per_user_random_split
from recsys_helpers.uncertainty import verdict

CHAPTER = "02_evaluation"


@pytest.fixture(scope="module")
def protocol():
    """The chapter's stated protocol, rebuilt from its description: models fit the training positives,
    every training rating (liked or not) is excluded from the ranking."""
    encoded, users, items = encode_interactions(load_movielens_100k().ratings)
    train, test = per_user_random_split(encoded, test_fraction=0.2, seed=42)
    shape = (len(users), len(items))
    train_pos, test_pos = to_implicit(train), to_implicit(test)
    return (train, test, interaction_matrix(train_pos, *shape), interaction_matrix(test_pos, *shape),
            interaction_matrix(train, *shape))


def test_rating_errors(recorded, protocol):
    train, test, _, _, _ = protocol
    global_mean = np.full(len(test), train["rating"].mean())
    assert recorded["02_rmse_global"] == pytest.approx(np.sqrt(skm.mean_squared_error(test["rating"], global_mean)))
    assert recorded["02_rmse_bias"] < recorded["02_rmse_global"] and recorded["02_mae_bias"] < recorded["02_rmse_bias"]
    assert recorded["02_rating_sklearn_gap"] < 1e-12
    # the text says "exactly" only when the gap is zero
    assert (recorded["02_rating_agreement"] == "exactly") == (recorded["02_rating_sklearn_gap"] == 0)


def test_classification_and_the_source_f1(recorded):
    assert recorded["02_cls_gap"] < 1e-12
    assert (recorded["02_cls_agreement"] == "exactly") == (recorded["02_cls_gap"] == 0)
    assert 0.5 < recorded["02_cls_accuracy"] < 1
    # recommending nothing: accuracy is the share of negatives among the candidate cells
    assert recorded["02_nothing_accuracy"] == pytest.approx(1 - recorded["02_topk_share_positive"] / 100)
    assert recorded["02_nothing_accuracy"] > 0.99
    assert recorded["02_pop_source_f1"] > recorded["02_pop_f1"] > 0  # the source's F1 is inflated


def test_auc_and_the_source_formula(recorded):
    assert recorded["02_auc_spread"] < 1e-12
    assert recorded["02_auc_methods"] == 4  # the text's count, exercise 2 included
    assert recorded["02_auc_source"] == pytest.approx(recorded["02_auc"] - 0.5, abs=1e-9)
    assert abs(recorded["02_auc_source_random"]) < 0.02


def test_worked_example(recorded):
    assert recorded["02_worked_ap"] == pytest.approx((1 / 3 + 2 / 5) / 3)
    ndcg = (1 / np.log2(4) + 1 / np.log2(6)) / (1 + 1 / np.log2(3) + 1 / np.log2(4))
    assert recorded["02_worked_ndcg"] == pytest.approx(ndcg)


def test_baseline_table(recorded, protocol):
    _, _, train, test, seen = protocol
    for slug, model in {
        "popularity": PopularityRecommender(),
        "userknn": UserKNN(num_neighbors=50),
        "itemknn": ItemKNN(num_neighbors=50),
    }.items():
        scores = model.fit(train).score()
        result = evaluate_full_ranking(scores, seen, test, k=10)
        assert recorded[f"02_ndcg_{slug}"] == pytest.approx(result["ndcg"], abs=1e-12)
        assert recorded[f"02_hr_{slug}"] == pytest.approx(result["hit_rate"], abs=1e-12)
        positives_only = evaluate_full_ranking(scores, train, test, k=10)["ndcg"]
        assert recorded[f"02_ndcg_{slug}_positives_only"] == pytest.approx(positives_only, abs=1e-12)
        # pitfall 1: films rated 1-3 left among the candidates cost NDCG
        assert positives_only < recorded[f"02_ndcg_{slug}"]
    assert recorded["02_eval_users"] == int((np.diff(test.indptr) > 0).sum())
    best = max(["userknn", "itemknn"], key=lambda s: recorded[f"02_ndcg_{s}"])
    assert recorded["02_best_model"] == {"userknn": "user-kNN", "itemknn": "item-kNN"}[best]
    assert (
        recorded["02_ndcg_random"] < recorded["02_ndcg_content"]
        < recorded["02_ndcg_popularity"] < recorded["02_ndcg_itemknn"]
    )


def test_paired_bootstrap_claims(recorded):
    """Section 6: the intervals bracket their differences and support the text's wording."""
    for slug in ["knn", "itemknn_pop", "pop_content"]:
        assert recorded[f"02_diff_{slug}_low"] <= recorded[f"02_diff_{slug}"] <= recorded[f"02_diff_{slug}_high"]
    assert recorded["02_diff_knn"] == pytest.approx(recorded["02_ndcg_userknn"] - recorded["02_ndcg_itemknn"])
    # user-kNN's lead: paired interval above zero, but close to it ("a real but small lead")
    assert 0 < recorded["02_diff_knn_low"] < 0.5 * recorded["02_diff_knn"]
    # the unpaired interval contains zero and is wider: why pairing matters
    assert recorded["02_diff_knn_unpaired_low"] < 0 < recorded["02_diff_knn_unpaired_high"]
    unpaired = recorded["02_diff_knn_unpaired_high"] - recorded["02_diff_knn_unpaired_low"]
    assert unpaired > 1.5 * (recorded["02_diff_knn_high"] - recorded["02_diff_knn_low"])
    # the separate intervals overlap ("overlap widely")
    assert recorded["02_boot_itemknn_high"] - recorded["02_boot_userknn_low"] > 0.01
    assert recorded["02_diff_itemknn_pop_low"] > 0.05 and recorded["02_diff_pop_content_low"] > 0.05
    assert recorded["02_temporal_gap_low"] > 0.05  # popularity ahead for new users
    assert recorded["02_temporal_gap_users"] == recorded["02_temporal_new_users"]


WORDS = {"above": "ahead of", "below": "behind", "inside": "level with"}


@pytest.mark.parametrize("verdict_name, interval", [
    ("02_verdict_knn", "02_diff_knn"),
    ("02_verdict_itemknn_pop", "02_diff_itemknn_pop"),
    ("02_temporal_known_userknn_verdict", "02_temporal_known_userknn_pop"),
    ("02_temporal_known_itemknn_verdict", "02_temporal_known_itemknn_pop"),
])
def test_verdicts_follow_their_intervals(recorded, verdict_name, interval):
    low, high = recorded[f"{interval}_low"], recorded[f"{interval}_high"]
    assert recorded[verdict_name] == verdict(low, high, **WORDS)


def test_temporal_split_removes_the_knn_lead(recorded):
    """Section 9 and the summary: for known users the kNN models are level with or behind popularity."""
    assert recorded["02_verdict_itemknn_pop"] == "ahead of"
    for slug in ["userknn", "itemknn"]:
        assert recorded[f"02_temporal_known_{slug}_verdict"] != "ahead of"
        difference = recorded[f"02_temporal_known_{slug}"] - recorded["02_temporal_known_pop"]
        assert recorded[f"02_temporal_known_{slug}_pop_difference"] == pytest.approx(difference)


def test_sampled_evaluation_inflates_compresses_and_hides_the_order(recorded):
    assert recorded["02_inflation_pop"] > 1.5
    assert recorded["02_ratio_sampled"] < recorded["02_ratio_full"]
    assert recorded["02_ndcg_userknn"] > recorded["02_ndcg_itemknn"]
    # "item-kNN scores a hair higher" under sampling, but the paired interval contains zero
    assert recorded["02_sampled_ndcg_userknn"] < recorded["02_sampled_ndcg_itemknn"]
    assert recorded["02_sampled_diff_knn"] == pytest.approx(
        recorded["02_sampled_ndcg_userknn"] - recorded["02_sampled_ndcg_itemknn"]
    )
    assert recorded["02_sampled_diff_knn_low"] < 0 < recorded["02_sampled_diff_knn_high"]


def test_beyond_accuracy_and_pitfalls(recorded, figures):
    assert recorded["02_coverage_pop"] < recorded["02_coverage_itemknn"]
    assert recorded["02_gini_pop"] > recorded["02_gini_userknn"] > recorded["02_gini_itemknn"]
    assert recorded["02_novelty_content"] > recorded["02_novelty_itemknn"]
    assert recorded["02_itemknn_no_exclusion"] < recorded["02_ndcg_itemknn"]
    assert recorded["02_temporal_pop_new"] > recorded["02_temporal_itemknn_new"]
    assert recorded["02_temporal_new_users"] == figures("01_basics")["01_temporal_cold_users"]  # same split
