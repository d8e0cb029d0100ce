"""Chapter 04: stated results hold, EASE is recomputed here, and both frameworks agree."""

from __future__ import annotations

import pytest

from recsys_helpers.datasets import load_movielens_100k
from recsys_helpers.evaluation import evaluate_full_ranking
from recsys_helpers.models.ease import EASE
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix, to_implicit
from recsys_helpers.split import per_user_random_split

pytestmark = pytest.mark.chapters
CHAPTER = "04_embeddings_ncf"
NEURAL = ["04_bpr_ndcg", "04_ndcg_gmf", "04_ndcg_mlp", "04_ndcg_neumf", "04_ndcg_twotower", "04_ndcg_lightgcn"]


@pytest.fixture(scope="module")
def fig(figures):
    return figures(CHAPTER)


def matrices(test_fraction: float, implicit: bool):
    encoded, users, items = encode_interactions(load_movielens_100k().ratings)
    train, test = per_user_random_split(encoded, test_fraction=test_fraction, seed=42)
    if implicit:
        train, test = to_implicit(train), to_implicit(test)
    shape = (len(users), len(items))
    return interaction_matrix(train, *shape), interaction_matrix(test, *shape)


def test_ease_figures_recomputed(fig):
    train, test = matrices(0.2, implicit=True)
    ndcg = evaluate_full_ranking(EASE(l2=300.0).fit(train).score(), train, test, k=10)["ndcg"]
    assert fig["04_ndcg_ease"] == pytest.approx(ndcg, abs=1e-9)
    ref_train, ref_test = matrices(0.25, implicit=False)
    ref = evaluate_full_ranking(EASE(l2=300.0).fit(ref_train).score(), ref_train, ref_test, k=10)["ndcg"]
    assert fig["04_ref_ease"] == pytest.approx(ref, abs=1e-9)
    assert fig["04_ref_ease"] > 0.44  # the class of the published GPU results (0.442 BPR, 0.475 BiVAE)


def test_the_ranking_the_text_states(fig, figures):
    neural = {name: fig[name] for name in NEURAL}
    assert fig["04_best_model"] == "EASE" and fig["04_best_ndcg"] == fig["04_ndcg_ease"]
    assert all(value < fig["04_ndcg_ease"] for value in neural.values())
    assert fig["04_best_neural_ndcg"] == pytest.approx(max(neural.values()))
    # "EASE is ahead of every neural model": each paired interval over users lies above zero
    assert fig["04_diff_ease_best_neural_low"] > 0
    assert fig["04_ease_clearly_above"] == fig["04_neural_count"] == 7
    assert fig["04_diff_ease_best_neural_difference"] == pytest.approx(
        fig["04_ndcg_ease"] - fig["04_best_neural_ndcg"], abs=1e-9
    )
    # section 3: GMF above the MLP, BPR-MF above the MLP and NeuMF, all three intervals above zero
    assert fig["04_ndcg_mlp"] < fig["04_ndcg_gmf"] and fig["04_ndcg_mlp"] < fig["04_bpr_ndcg"]
    for slug in ("gmf_mlp", "bpr_mlp", "bpr_neumf"):
        assert fig[f"04_diff_{slug}_low"] > 0, slug
    assert fig["04_ndcg_itemknn"] == pytest.approx(figures("02_evaluation")["02_ndcg_itemknn"])  # same protocol
    assert fig["04_ease_seconds"] < fig["04_best_neural_seconds"]
    assert fig["04_time_ratio"] == pytest.approx(fig["04_best_neural_seconds"] / fig["04_ease_seconds"])
    assert fig["04_time_ratio"] > 3  # "times faster to fit"


def test_rating_model_predicts_well_and_ranks_poorly(fig, figures):
    assert fig["04_explicit_rmse"] < figures("02_evaluation")["02_rmse_bias"]
    # "no better than the popularity list": popularity - rating MF has an interval containing 0
    assert fig["04_diff_pop_mse_low"] < 0 < fig["04_diff_pop_mse_high"]
    assert fig["04_diff_pop_mse_difference"] == pytest.approx(
        fig["04_ndcg_popularity"] - fig["04_explicit_ndcg"], abs=1e-9
    )
    assert fig["04_diff_bpr_mse_low"] > 0.1  # the loss matters: BPR-MF far above the rating model
    assert fig["04_eval_users"] > 900


def test_naive_log_sigmoid_limits(fig):
    assert fig["04_logsig_limit_float32"] == pytest.approx(-88.72, abs=0.02)
    assert fig["04_logsig_limit_float64"] == pytest.approx(-709.78, abs=0.02)


def test_frameworks_agree(fig):
    assert fig["04_framework_gap"] < 0.03
    assert fig["04_keras_mf_ndcg"] > fig["04_ndcg_popularity"]
    for slug in ("bprmf", "neumf"):  # "both paired intervals of Keras - PyTorch contain zero"
        assert fig[f"04_diff_keras_{slug}_low"] < 0 < fig[f"04_diff_keras_{slug}_high"], slug


def test_source_listings_fail_as_described(fig):
    # 000 B.1 as printed: one DataFrame for a two-input model fails before any lookup
    assert fig["04_b1_first_error"].startswith("ValueError") and "expects 2" in fig["04_b1_first_error"]
    assert "is not in [0, 943)" in fig["04_b1_error"] or "is not in [0, 1682)" in fig["04_b1_error"]
    assert fig["04_b1_loss"] < 0  # binary cross-entropy on 1-5 ratings is not a cross-entropy
    assert fig["04_b1_accuracy"] <= fig["04_b1_one_star"] + 0.02
    assert fig["04_listing_004_error"].startswith("AttributeError")
    # 004 §4.5: the printed Z_ij = 0.4 is U's first row times y_1; x_1 . y_1 with its X is 0
    assert fig["04_doc004_z_printed"] == pytest.approx(0.4)
    assert fig["04_doc004_z_defined"] == 0
