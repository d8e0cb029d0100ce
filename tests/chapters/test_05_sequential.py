"""Chapter 05: the stated comparison holds and the listings fail the way the text says."""

from __future__ import annotations

import pytest

from recsys_helpers.baselines import PopularityRecommender
from recsys_helpers.datasets import load_movielens_100k
from recsys_helpers.evaluation import evaluate_full_ranking
from recsys_helpers.models.ease import EASE
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix
from recsys_helpers.split import leave_last_out

pytestmark = pytest.mark.chapters
CHAPTER = "05_sequential"


@pytest.fixture(scope="module")
def fig(figures):
    return figures(CHAPTER)


def test_non_sequential_baselines_recomputed(fig):
    frame, users, items = encode_interactions(load_movielens_100k().ratings)
    history, test = leave_last_out(frame)
    shape = (len(users), len(items))
    train, target = interaction_matrix(history, *shape), interaction_matrix(test, *shape)
    pop = evaluate_full_ranking(PopularityRecommender().fit(train).score(), train, target, k=10)["ndcg"]
    ease = evaluate_full_ranking(EASE(l2=300.0).fit(train).score(), train, target, k=10)["ndcg"]
    assert fig["05_pop_ndcg"] == pytest.approx(pop, abs=1e-12)
    assert fig["05_best_static"] == "EASE" and fig["05_best_static_ndcg"] == pytest.approx(ease, abs=1e-12)
    assert fig["05_num_test_users"] == 943


def test_sasrec_beats_every_non_sequential_baseline(fig):
    assert fig["05_sasrec_ndcg"] > fig["05_best_static_ndcg"]
    assert fig["05_sasrec_vs_static"] == pytest.approx(fig["05_sasrec_ndcg"] / fig["05_best_static_ndcg"])
    assert fig["05_sasrec_ndcg"] > fig["05_gru_ndcg"] > fig["05_masked_ndcg"] > fig["05_pop_ndcg"]
    assert 0 < fig["05_sasrec_ndcg"] <= fig["05_sasrec_hr"] <= 1


def test_the_trained_model_is_causal(fig):
    assert fig["05_causal_leak"] == 0.0


def test_scaling_figures_match_the_text(fig):
    assert fig["05_scaling_large"] > fig["05_scaling_small"]
    assert fig["05_scaling_32"] - fig["05_scaling_small"] > fig["05_scaling_large"] - fig["05_scaling_32"]  # "most of the gain in the first doubling"
    assert fig["05_scaling_param_ratio"] > 8 and fig["05_scaling_time_ratio"] > 1


def test_listings_fail_as_described(fig):
    assert fig["05_listing_rnn_as_printed"].startswith("NameError")
    assert fig["05_listing_rnn_forward"].startswith("RuntimeError")
    assert "tgt" in fig["05_listing_transformer_forward"]
    assert fig["05_listing_bce_on_ratings"].startswith("ValueError")
    assert fig["05_single_softmax"] == [1.0, 1.0]
