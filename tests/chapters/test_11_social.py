"""Chapter 11: the simulated platform is reproduced, comparisons are consistent, B.2 fails as reported."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.worlds.social import SocialConfig, simulate_social

CHAPTER = "11_social"


@pytest.fixture(scope="module")
def world():
    return simulate_social(SocialConfig(num_users=250, seed=42))  # the parameters cell's defaults


def test_simulated_log_is_reproduced(recorded, world):
    events = world.events
    assert recorded["11_num_events"] == len(events) and recorded["11_num_posts"] == world.num_posts
    assert recorded["11_num_users"] == 250
    pairs = events.drop_duplicates(["user_id", "post_id"])
    assert recorded["11_stat_density_of_the_user_x_post_matrix"] == pytest.approx(
        len(pairs) / (250 * world.num_posts))
    assert recorded["11_stat_engagements_with_a_followed_author"] == pytest.approx(
        events["follows_author"].mean())
    assert recorded["11_stat_median_age_of_an_engaged_post_hours"] == pytest.approx(
        events["age_hours"].median())
    shares = events["type"].value_counts(normalize=True)
    for kind in ("like", "comment", "share"):
        assert recorded[f"11_stat_share_of_{kind}s"] == pytest.approx(shares[kind])
    unit = world.theta / np.linalg.norm(world.theta, axis=1, keepdims=True)
    cosine = unit @ unit.T
    edges = cosine[world.follows["follower_id"], world.follows["followee_id"]].mean()
    others = (cosine.sum() - np.trace(cosine)) / (250 * 249)
    assert recorded["11_homophily"] == pytest.approx(edges / others) and recorded["11_homophily"] > 1.2


def test_protocol_sizes(recorded):
    assert 200 <= recorded["11_test_users"] <= 250 and 200 <= recorded["11_valid_users"] <= 250
    assert recorded["11_ci_deep_simple_num_users"] == recorded["11_test_users"]
    assert 0.5 < recorded["11_new_post_share"] == recorded["11_b2_unseen_share"] <= 1
    assert recorded["11_feed_size"] > 20 and recorded["11_train_visits"] > 1000


def test_intervals_are_consistent(recorded):
    slugs = {name[len("11_ci_"):-len("_difference")] for name in recorded if name.endswith("_difference")}
    assert len(slugs) >= 12
    for slug in slugs:
        low, diff, high = (recorded[f"11_ci_{slug}_{part}"] for part in ("low", "difference", "high"))
        assert low <= diff <= high, slug
        assert recorded[f"11_ci_{slug}_num_users"] == recorded["11_test_users"], slug


def test_feed_models_against_baselines_and_oracle(recorded):
    feeds = ["newest", "popular", "followed", "ease", "deep_features", "deep_text", "b2"]
    assert all(recorded["11_feed_oracle"] > recorded[f"11_feed_{m}"] for m in feeds)
    assert recorded["11_best_simple"] == "followed first"
    assert recorded["11_ci_deep_simple_difference"] == pytest.approx(
        recorded["11_feed_deep_text"] - recorded["11_feed_followed"], abs=1e-9)
    assert recorded["11_ci_deep_simple_low"] > 0  # the text ranker beats the strongest baseline
    assert recorded["11_ci_text_features_low"] > 0  # and text is what it gains from
    assert recorded["11_ci_oracle_deep_low"] > 0  # the oracle is a real ceiling
    assert 0 < recorded["11_rho_ease"] < recorded["11_rho_deep_text"] < 1
    assert recorded["11_rho_deep_features"] < recorded["11_rho_deep_text"]


def test_pipeline_challenges_and_fusion(recorded):
    assert 0.5 < recorded["11_candidate_recall"] <= 1 and 0 < recorded["11_candidate_share"] < 1
    assert recorded["11_topics_capped"] > recorded["11_topics_plain"]
    assert recorded["11_ci_cap_difference"] == pytest.approx(
        recorded["11_feed_capped"] - recorded["11_feed_deep_text"], abs=1e-9)
    assert recorded["11_fusion_weight"] in (0.0, 0.25, 0.5, 1.0)
    assert recorded["11_ci_online_difference"] == pytest.approx(
        recorded["11_feed_online"] - recorded["11_feed_deep_text"], abs=1e-9)
    assert recorded["11_ci_skew_difference"] == pytest.approx(
        recorded["11_feed_skew"] - recorded["11_feed_deep_text"], abs=1e-9)


@pytest.mark.parametrize("verdict, prefix", [
    ("11_verdict_online", "11_ci_online"),
    ("11_verdict_skew", "11_ci_skew"),
])
def test_verdicts_follow_their_intervals(recorded, verdict, prefix):
    low, high = recorded[f"{prefix}_low"], recorded[f"{prefix}_high"]
    assert low <= recorded[f"{prefix}_difference"] <= high
    expected = "is above" if low > 0 else "is below" if high < 0 else "cannot be told apart from"
    assert recorded[verdict] == expected, (verdict, recorded[verdict], low, high)


@pytest.mark.parametrize("verdict, prefix, words", [
    ("11_verdict_deep3", "11_ci_deep3_simple", ("is ahead of", "is behind", "cannot be told apart from")),
    ("11_verdict_text3", "11_ci_text3_features", ("raises", "lowers", "does not measurably change")),
])
def test_three_seed_verdicts_follow_their_intervals(recorded, verdict, prefix, words):
    low, high = recorded[f"{prefix}_low"], recorded[f"{prefix}_high"]
    assert low <= recorded[f"{prefix}_difference"] <= high
    assert recorded[verdict] == (words[0] if low > 0 else words[1] if high < 0 else words[2])
    assert recorded["11_deep_seed_min"] <= recorded["11_feed_deep_text"] <= recorded["11_deep_seed_max"]


def test_interaction_types(recorded):
    losses = {m: recorded[f"11_type_loss_{m}"] for m in ("overall", "own", "markov", "gru", "oracle")}
    assert losses["oracle"] < losses["gru"] < min(losses["overall"], losses["own"], losses["markov"])
    assert recorded["11_best_counting"] == "previous type (Markov)"
    assert recorded["11_ci_type_gru_difference"] == pytest.approx(losses["markov"] - losses["gru"], abs=1e-6)
    assert recorded["11_ci_type_oracle_low"] > 0
    assert all(0 < recorded[f"11_type_acc_{m}"] < 1 for m in losses)


def test_b2_fails_as_reported(recorded):
    assert recorded["11_b2_printed"].startswith("AttributeError") and "index" in recorded["11_b2_printed"]
    assert recorded["11_b2_list"].startswith("RuntimeError") and "Long" in recorded["11_b2_list"]
    assert recorded["11_b2_long"].startswith("IndexError")
    assert recorded["11_b2_same_top10"] == 1.0  # a linear layer over a concatenation cannot personalise
    assert recorded["11_ci_b2_simple_high"] < 0 < recorded["11_feed_b2"]


def test_generative_topic_labels(recorded, world):
    n = recorded["11_llm_posts"]
    topics = world.posts["topic"].nunique()
    assert n == 40 and recorded["11_llm_num_topics"] == topics
    assert recorded["11_llm_chance"] == pytest.approx(1 / topics)
    for name in ("11_llm_accuracy", "11_llm_minilm_accuracy"):
        assert 0 <= recorded[name] <= 1 and recorded[name] * n == pytest.approx(round(recorded[name] * n))
    assert recorded["11_llm_accuracy_low"] <= recorded["11_llm_accuracy"] <= recorded["11_llm_accuracy_high"]
    assert recorded["11_llm_gap"] == pytest.approx(recorded["11_llm_minilm_accuracy"] - recorded["11_llm_accuracy"])
    assert recorded["11_llm_gap_low"] <= recorded["11_llm_gap"] <= recorded["11_llm_gap_high"]
    verdict = ("MiniLM is the better labeller" if recorded["11_llm_gap_low"] > 0
               else "SmolLM2 is the better labeller" if recorded["11_llm_gap_high"] < 0
               else "the two cannot be told apart on these posts")
    assert recorded["11_llm_verdict"] == verdict
    assert recorded["11_llm_seconds_per_post"] > 0 and recorded["11_llm_tokens_per_post"] > 0
    assert recorded["11_llm_load_seconds"] > 0
