"""recsys_helpers.worlds.social: the social world follows its story (follow graph, post texts, engagement, types).

The contract all worlds keep (seeding, config checks) is in tests/test_worlds.py."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.worlds.social import (
    EPOCH,
    INTERACTION_TYPES,
    TOPIC_WORDS,
    SocialConfig,
    interaction_type_probabilities,
    simulate_social,
    true_utility,
)

SMALL = dict(num_users=60, follows_per_user=6, visits_per_user=8, num_days=7, seed=3)


@pytest.fixture(scope="module")
def world():
    return simulate_social(**SMALL)


def test_tables_have_documented_columns_and_ranges(world):
    events, posts = world.events, world.posts
    assert list(events.columns) == ["user_id", "visit_id", "post_id", "author_id", "topic_id", "type",
                                    "timestamp", "day", "follows_author", "age_hours"]
    assert set(events["type"]) <= set(INTERACTION_TYPES)
    assert events["timestamp"].is_monotonic_increasing
    assert (posts["post_id"].to_numpy() == np.arange(len(posts))).all()
    assert posts["created"].is_monotonic_increasing
    assert events["timestamp"].between(EPOCH, EPOCH + 7 * 86_400).all()
    # a post is engaged with after it was published, within the feed window, never by its author
    assert (events["age_hours"] >= 0).all()
    assert (events["age_hours"] <= 3.0 * 24).all()
    assert (events["user_id"] != events["author_id"]).all()
    assert not events.duplicated(["user_id", "post_id"]).any()
    assert (world.visits.groupby("user_id").size() == 8).all()
    assert world.visits["num_actions"].sum() == len(events)


def test_follow_graph_has_fixed_out_degree_and_homophily(world):
    assert (world.follows.groupby("follower_id").size() == 6).all()
    assert (world.follows["follower_id"] != world.follows["followee_id"]).all()
    unit = world.theta / np.linalg.norm(world.theta, axis=1, keepdims=True)
    similarity = unit @ unit.T
    followed = similarity[world.follows["follower_id"], world.follows["followee_id"]].mean()
    off_diagonal = similarity[~np.eye(len(similarity), dtype=bool)].mean()
    assert followed > off_diagonal + 0.1
    flat = simulate_social(**{**SMALL, "homophily": 0.0, "celebrity_sd": 0.0})
    flat_similarity = flat.theta / np.linalg.norm(flat.theta, axis=1, keepdims=True)
    flat_followed = (flat_similarity @ flat_similarity.T)[flat.follows["follower_id"], flat.follows["followee_id"]]
    assert followed > flat_followed.mean()


def test_post_text_is_built_from_its_topic_words(world):
    names = list(TOPIC_WORDS)
    on_topic = [
        sum(word in text for word in TOPIC_WORDS[names[topic]])
        for text, topic in zip(world.posts["text"], world.posts["topic_id"])
    ]
    assert np.mean(np.array(on_topic) >= 1) > 0.95
    assert world.posts["text"].str.len().min() > 20
    no_noise = simulate_social(**{**SMALL, "off_topic_word_prob": 0.0})
    for text, topic in zip(no_noise.posts["text"], no_noise.posts["topic_id"]):
        others = [w for t in names[: SocialConfig().num_topics] if t != names[topic] for w in TOPIC_WORDS[t]
                  if w not in TOPIC_WORDS[names[topic]]]
        assert not any(f" {w} " in f" {text} " for w in others if " " not in w and len(w) > 5)


def test_engagement_follows_ties_and_topics(world):
    # users engage with followed authors far more than the share of followed authors in the feed
    events = world.events
    assert events["follows_author"].mean() > 6 / 60 * 1.5
    utility = true_utility(world, events["user_id"].to_numpy())
    chosen = utility[np.arange(len(events)), events["post_id"].to_numpy()]
    assert chosen.mean() > utility.mean() + 0.5


def test_true_utility_freshness_and_unpublished(world):
    users = np.array([0, 1])
    late = EPOCH + 6 * 86_400
    static = true_utility(world, users)
    fresh = true_utility(world, users, at_time=late)
    published = world.posts["created"].to_numpy() <= late
    age_days = (late - world.posts["created"].to_numpy()) / 86_400
    assert np.isneginf(fresh[:, ~published]).all()
    assert np.allclose(fresh[:, published], static[:, published] - np.log(2) * age_days[published])
    assert true_utility(world, users, [3, 1]).shape == (2, 2)


def test_type_oracle_rows_sum_to_one_and_persistence():
    world = simulate_social(**{**SMALL, "type_persistence": 0.5})
    users, posts = np.array([0, 1, 2]), np.array([0, 1, 2])
    probs = interaction_type_probabilities(world, users, posts, np.array([-1, 0, 2]))
    assert probs.shape == (3, 3) and np.allclose(probs.sum(axis=1), 1)
    base = interaction_type_probabilities(world, users, posts, np.array([-1, -1, -1]))
    assert np.allclose(probs[1], 0.5 * base[1] + 0.5 * np.eye(3)[0])
    assert np.allclose(probs[2], 0.5 * base[2] + 0.5 * np.eye(3)[2])
    with pytest.raises(ValueError):
        interaction_type_probabilities(world, users, posts, np.array([-1]))
    # with full persistence every user repeats their first type forever
    sticky = simulate_social(**{**SMALL, "type_persistence": 1.0})
    assert (sticky.events.groupby("user_id")["type"].nunique() == 1).all()
