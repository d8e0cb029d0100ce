"""recsys_helpers.simulation: simulator AUC, the target-holding simulated user, critiques, metrics, leak check,
memorisation scoring and counterfactual rank change (no language model is loaded)."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.simulation import (
    TargetUser,
    counterfactual_prompts,
    critique_update,
    mentions_title,
    rank_change,
    recall_by_turn,
    retrieve,
    run_conversation,
    score_completion,
    simulator_auc,
    turns_to_success,
    user_turn,
)


def test_simulator_auc_counts_pairs_and_ties():
    assert simulator_auc([0.9, 0.1, 0.5, 0.3], [1, 0, 1, 0]) == 1.0
    assert simulator_auc([1.0, 2.0, 2.0, 0.0], [1, 1, 0, 0]) == pytest.approx(0.625)
    assert simulator_auc([3.0, 3.0], [True, False]) == 0.5
    rng = np.random.default_rng(0)
    scores, labels = rng.normal(size=30), rng.integers(0, 2, 30)
    from sklearn.metrics import roc_auc_score

    assert simulator_auc(scores, labels) == pytest.approx(roc_auc_score(labels, scores))


@pytest.mark.parametrize(
    "scores, labels",
    [([1.0, 2.0], [1, 1]), ([1.0, 2.0], [0, 0]), ([1.0], [1, 0]), ([1.0, np.nan], [1, 0]), ([1.0, 2.0], [2, 0])],
)
def test_simulator_auc_rejects_bad_input(scores, labels):
    with pytest.raises(ValueError):
        simulator_auc(scores, labels)


def _user(**changes):
    fields = dict(target=9, title="Die Hard", genres=["Action", "Thriller"], decade=1980, similar=[3, 4],
                  similar_titles=["Lethal Weapon", "Speed"])
    fields.update(changes)
    return TargetUser(**fields)


def test_user_reveals_one_attribute_per_turn_and_can_leak():
    user = _user()
    said = [user_turn(user, t)[:2] for t in range(6)]
    assert said == [("genre", "Action"), ("decade", 1980), ("film", 3), ("genre", "Thriller"), ("film", 4),
                    ("none", None)]
    kind, value, words = user_turn(user, 2, leak=True)
    assert (kind, value) == ("film", 9) and mentions_title(words, "Die Hard")
    assert not any(mentions_title(user_turn(user, t)[2], "Die Hard") for t in range(6))
    with pytest.raises(ValueError):
        user_turn(user, -1)
    with pytest.raises(ValueError):
        _user(similar=[9], similar_titles=["Die Hard"]).attributes()
    with pytest.raises(ValueError):
        _user(similar=[3], similar_titles=[]).attributes()


def test_critique_update_drops_rejected_items_unless_the_target_was_shown():
    assert critique_update([5, 3, 9, 1, 7], [9, 5], target=7).tolist() == [3, 1, 7]
    assert critique_update([5, 3, 9, 1, 7], [9, 7], target=7).tolist() == [5, 3, 9, 1, 7]
    assert critique_update([1, 2], [1], target=None).tolist() == [2]
    with pytest.raises(ValueError):
        critique_update([[1, 2]], [1])


def test_retrieve_prefers_items_that_fit_then_the_query():
    vectors = np.eye(4)
    genres = [("A",), ("B",), ("A", "B"), ("B",)]
    decades = np.array([1990, 1990, 1980, 1990])
    top = retrieve(vectors, [0, 1, 2, 3], genres=["B"], decade=1990, item_genres=genres, item_decades=decades,
                   prior=np.array([4.0, 1.0, 3.0, 2.0]), k=4)
    assert top.tolist() == [3, 1, 0, 2]  # fits (by prior), then the rest (by prior)
    top = retrieve(vectors, [0, 1, 2, 3], liked=[2], k=2)
    assert top[0] == 2
    assert retrieve(vectors, [], k=3).tolist() == []
    with pytest.raises(ValueError):
        retrieve(vectors, [0, 1], genres=["A"])
    with pytest.raises(ValueError):
        retrieve(vectors, [0, 1], decade=1990)


def test_conversation_finds_a_target_described_by_its_attributes_and_the_leak_inflates():
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(60, 8))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    genres = [("A",) if i % 3 else ("B",) for i in range(60)]
    decades = np.array([1990 if i % 2 else 1980 for i in range(60)])
    similar = int(np.argsort(-(vectors @ vectors[6]))[1])
    user = TargetUser(6, "Six", ["B"], 1980, [similar], ["Similar"])
    settings = dict(item_genres=genres, item_decades=decades, prior=np.arange(60.0), turns=4, k=3)
    candidates = np.setdiff1d(np.arange(60), [similar])
    hits = run_conversation(user, vectors, candidates, **settings)
    leaky = run_conversation(user, vectors, candidates, leak=True, **settings)
    assert hits.dtype == bool and hits.shape == (4,)
    assert leaky[2]  # the named target is its own nearest vector
    assert recall_by_turn(leaky[None])[-1] >= recall_by_turn(hits[None])[-1]


def test_recall_by_turn_and_turns_to_success():
    hits = np.array([[0, 1, 0], [0, 0, 0], [1, 0, 0], [0, 0, 1]], dtype=bool)
    assert np.allclose(recall_by_turn(hits), [0.25, 0.5, 0.75])
    assert turns_to_success(hits).tolist() == [2.0, np.inf, 1.0, 3.0]
    with pytest.raises(ValueError):
        recall_by_turn(np.zeros((0, 3)))
    with pytest.raises(ValueError):
        turns_to_success(np.zeros(3))


@pytest.mark.parametrize(
    "utterance, title, expected",
    [
        ("Something like The Godfather!", "Godfather, The", True),
        ("Something like Cheaters.", "Heat", False),
        ("toy-story please", "Toy Story", True),
        ("like Die Hard 2", "Die Hard", True),
        ("like Die Hard", "Die Hard 2", False),
    ],
)
def test_mentions_title(utterance, title, expected):
    assert mentions_title(utterance, title) is expected


def test_mentions_title_rejects_bad_input():
    with pytest.raises(ValueError):
        mentions_title("x", "!!")
    with pytest.raises(ValueError):
        mentions_title(None, "x")


def test_score_completion():
    assert score_completion("1995), genre: Comedy", 1995, ["Animation", "Comedy"]) == {"year": True, "genre": True}
    assert score_completion("2001, 1995), genre: Sci-Fi", 1995, ["Sci-Fi"]) == {"year": False, "genre": True}
    assert score_completion("19956) scifi", 1995, ["Sci-Fi"]) == {"year": False, "genre": True}
    assert score_completion("1995) Dramatic", 1995, ["Drama"])["genre"] is False
    assert score_completion("1995) childrens", 1995, ["Children's"])["genre"] is True
    with pytest.raises(ValueError):
        score_completion(None, 1995, [])


def test_rank_change():
    assert rank_change([3.0, 2.0, 1.0], [1.0, 2.0, 3.0]) == pytest.approx(4 / 3)
    assert rank_change([0.5, 0.1], [5.0, 1.0]) == 0.0
    assert rank_change([1.0, 1.0, 0.0], [2.0, 1.0, 0.0]) == pytest.approx(1 / 3)
    with pytest.raises(ValueError):
        rank_change([1.0], [1.0, 2.0])


def test_counterfactual_prompts_differ_only_in_the_statement():
    prompts = counterfactual_prompts("I liked Heat.", ["I am a woman.", "I am a man."])
    assert prompts == ["I am a woman. I liked Heat.", "I am a man. I liked Heat."]
    with pytest.raises(ValueError):
        counterfactual_prompts("I liked Heat.", ["only one"])
    with pytest.raises(ValueError):
        counterfactual_prompts("I liked Heat.", "I am a woman.")
