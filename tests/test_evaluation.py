"""Tests of full-ranking top-k recommendation and the sampled protocol."""

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_helpers.evaluation import (
    evaluate_full_ranking,
    evaluate_sampled,
    per_user_list_metrics,
    per_user_metrics,
    sampled_ranks,
    top_k_items,
)
from recsys_helpers.metrics import ndcg_at_k


def python_top_k(scores, k, exclude):
    """Reference: a plain loop over users and items."""
    result = []
    for user, row in enumerate(scores):
        seen = set(exclude[user].nonzero()[1]) if exclude is not None else set()
        candidates = [(-row[i], i) for i in range(len(row)) if i not in seen]
        result.append([i for _, i in sorted(candidates)[:k]])
    return np.array(result)


@pytest.mark.parametrize("seed", range(5))
def test_top_k_matches_a_python_loop(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 5, size=(30, 25)).astype(float)  # many ties
    exclude = sp.random(30, 25, density=0.3, random_state=seed, format="csr")
    np.testing.assert_array_equal(top_k_items(scores, 7, exclude=exclude), python_top_k(scores, 7, exclude))
    np.testing.assert_array_equal(top_k_items(scores, 7), python_top_k(scores, 7, None))


@pytest.mark.parametrize("k", [1, 5, 24, 25])
def test_top_k_equals_a_full_stable_sort(k):
    rng = np.random.default_rng(k)
    scores = rng.choice([-np.inf, -1.0, -0.0, 0.0, 0.5, 2.0, np.inf], size=(40, 25))
    expected = np.argsort(-scores, axis=1, kind="stable")[:, :k]
    np.testing.assert_array_equal(top_k_items(scores, k), expected)


def test_excluded_items_are_never_recommended():
    scores = np.tile(np.arange(10.0), (3, 1))  # the best item is 9 for everyone
    exclude = sp.csr_matrix(np.eye(3, 10, k=9) + np.eye(3, 10, k=8))
    top = top_k_items(scores, 3, exclude=exclude)
    assert top.tolist() == [[7, 6, 5], [8, 7, 6], [9, 8, 7]]
    for user in range(3):
        assert not set(top[user]) & set(exclude[user].nonzero()[1])


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scores": np.ones(3), "k": 1}, "2-D"),
        ({"scores": np.array([[np.nan, 1.0]]), "k": 1}, "NaN"),
        ({"scores": np.ones((2, 3)), "k": 0}, "k must be"),
        ({"scores": np.ones((2, 3)), "k": 4}, "k must be"),
        ({"scores": np.ones((2, 3)), "k": 2, "exclude": sp.csr_matrix(np.ones((2, 2)))}, "shape"),
        ({"scores": np.ones((2, 3)), "k": 2, "exclude": sp.csr_matrix([[1, 1, 0], [0, 0, 0]])}, "fewer than k"),
    ],
)
def test_top_k_rejects_bad_input(kwargs, message):
    with pytest.raises(ValueError, match=message):
        top_k_items(**kwargs)


def test_full_ranking_on_a_hand_worked_case():
    # user 0 saw item 0; test item 3. Ranking of unseen items by score: 1, 3, 2 -> hit at rank 2.
    scores = np.array([[9.0, 8.0, 1.0, 5.0], [0.0, 0.0, 0.0, 0.0]])
    train = sp.csr_matrix([[1, 0, 0, 0], [0, 1, 0, 0]])
    test = sp.csr_matrix([[0, 0, 0, 1], [0, 0, 0, 0]])
    result = evaluate_full_ranking(scores, train, test, k=2)
    assert result["num_users"] == 1  # user 1 has no test items
    assert result["hit_rate"] == 1.0
    assert result["precision"] == pytest.approx(0.5)
    assert result["mrr"] == pytest.approx(0.5)
    assert result["ndcg"] == pytest.approx(1 / np.log2(3))


def test_perfect_scores_reach_one_and_agree_with_the_metric():
    rng = np.random.default_rng(0)
    test = sp.random(20, 40, density=0.05, random_state=1, format="csr")
    test.data[:] = 1
    train = sp.csr_matrix((20, 40))
    perfect = test.toarray() + rng.random((20, 40)) * 0.1
    result = evaluate_full_ranking(perfect, train, test, k=5)
    assert result["ndcg"] == pytest.approx(1.0)
    noisy = rng.random((20, 40))
    top = top_k_items(noisy, 5)
    users = np.flatnonzero(np.diff(test.indptr))
    expected = np.mean([ndcg_at_k(top[u].tolist(), set(test[u].indices.tolist()), 5) for u in users])
    assert evaluate_full_ranking(noisy, train, test, k=5)["ndcg"] == pytest.approx(expected)


def test_sampled_metrics_are_at_least_the_full_ranking_ones():
    # one test item per user: its rank among sampled negatives can only be better than among all
    rng = np.random.default_rng(3)
    num_users, num_items = 50, 300
    test = sp.csr_matrix(
        (np.ones(num_users), (np.arange(num_users), rng.integers(0, num_items, num_users))),
        shape=(num_users, num_items),
    )
    train = sp.random(num_users, num_items, density=0.05, random_state=4, format="csr")
    train = train - train.multiply(test != 0)
    scores = rng.random((num_users, num_items)) + 0.5 * test.toarray()
    sampled = evaluate_sampled(scores, train, test, k=10, num_negatives=50, seed=0)
    full = evaluate_full_ranking(scores, train, test, k=10)
    assert sampled["num_pairs"] == num_users
    assert sampled["hit_rate"] > full["hit_rate"] and sampled["ndcg"] > full["ndcg"]
    assert evaluate_sampled(scores, train, test, k=10, num_negatives=50, seed=0) == sampled


def test_sampled_rank_is_worked_out_by_hand():
    # one user, positive item 0 scores 0.5; negatives are items 1..3 (all unseen) scoring 0.9, 0.1, 0.2
    scores = np.array([[0.5, 0.9, 0.1, 0.2]])
    test = sp.csr_matrix([[1, 0, 0, 0]])
    train = sp.csr_matrix((1, 4))
    result = evaluate_sampled(scores, train, test, k=2, num_negatives=3)
    assert result == {"hit_rate": 1.0, "ndcg": pytest.approx(1 / np.log2(3)), "num_pairs": 1}
    assert evaluate_sampled(scores, train, test, k=1, num_negatives=3)["hit_rate"] == 0.0


def test_sampled_ranks_are_the_pairs_behind_evaluate_sampled():
    rng = np.random.default_rng(7)
    num_users, num_items = 40, 120
    test = sp.random(num_users, num_items, density=0.03, random_state=7, format="csr")
    train = sp.random(num_users, num_items, density=0.05, random_state=8, format="csr")
    train = train - train.multiply(test != 0)
    scores = rng.integers(0, 6, size=(num_users, num_items)).astype(float)  # ties with negatives
    pairs = sampled_ranks(scores, train, test, num_negatives=20, seed=3)
    assert len(pairs) == test.nnz and pairs["user"].is_monotonic_increasing
    assert (test[pairs["user"], pairs["item"]] != 0).all()
    assert pairs["rank"].between(1, 21).all()
    result = evaluate_sampled(scores, train, test, k=5, num_negatives=20, seed=3)
    assert result["hit_rate"] == (pairs["rank"] <= 5).mean()
    gains = np.where(pairs["rank"] <= 5, 1 / np.log2(pairs["rank"] + 1), 0.0)
    assert result["ndcg"] == pytest.approx(gains.mean(), rel=1e-15)
    # a tie with a negative counts against the test item: a constant scorer ranks it last
    flat = sampled_ranks(np.zeros((num_users, num_items)), train, test, num_negatives=20, seed=3)
    assert (flat["rank"] == 21).all()
    with pytest.raises(ValueError, match="no non-zero entry"):
        evaluate_sampled(scores, train, sp.csr_matrix(test.shape), k=5, num_negatives=20)


def test_explicitly_stored_zeros_are_not_interactions():
    scores = np.array([[0.9, 0.5, 0.1], [0.2, 0.8, 0.4]])
    train = sp.csr_matrix(np.zeros((2, 3)))
    # user 1's row stores an explicit zero (as `matrix.multiply(mask)` leaves behind)
    test = sp.csr_matrix((np.array([1.0, 0.0]), (np.array([0, 1]), np.array([0, 2]))), shape=(2, 3))
    assert test.nnz == 2
    result = evaluate_full_ranking(scores, train, test, k=1, metrics=["hit_rate"])
    assert result == {"hit_rate": 1.0, "num_users": 1}


# --------------------------------------------------------------------------- per-user metrics
def _brute_force_ndcg(scores, train, test, k):
    """NDCG@k per test user from a plain Python ranking: score desc, then item index asc."""
    values = []
    for user in range(scores.shape[0]):
        relevant = set(np.flatnonzero(test[user].toarray().ravel()).tolist())
        if not relevant:
            continue
        seen = set(np.flatnonzero(train[user].toarray().ravel()).tolist())
        ranked = sorted((i for i in range(scores.shape[1]) if i not in seen), key=lambda i: (-scores[user, i], i))
        gains = sum(1 / np.log2(r + 2) for r, item in enumerate(ranked[:k]) if item in relevant)
        ideal = sum(1 / np.log2(r + 2) for r in range(min(k, len(relevant))))
        values.append((user, gains / ideal))
    return values


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_per_user_metrics_match_a_brute_force_ranking_with_ties(seed):
    rng = np.random.default_rng(seed)
    scores = rng.integers(0, 4, size=(30, 25)).astype(float)  # many ties
    train = sp.random(30, 25, density=0.2, random_state=seed, format="csr")
    test = sp.random(30, 25, density=0.1, random_state=seed + 10, format="csr")
    test = test - test.multiply(train != 0)
    frame = per_user_metrics(scores, test, k=5, exclude=train)
    expected = _brute_force_ndcg(scores, train, test, 5)
    assert frame["user"].tolist() == [u for u, _ in expected]
    np.testing.assert_allclose(frame["ndcg"], [v for _, v in expected], rtol=0, atol=1e-12)
    means = evaluate_full_ranking(scores, train, test, k=5, metrics=["ndcg", "recall", "hit_rate"])
    for name in ("ndcg", "recall", "hit_rate"):
        assert frame[name].mean() == pytest.approx(means[name], abs=1e-12)


def test_per_user_metrics_candidate_policy_is_explicit():
    scores = np.array([[0.9, 0.8, 0.1]])
    test = sp.csr_matrix([[0, 1, 0]])
    seen = sp.csr_matrix([[1, 0, 0]])
    assert per_user_metrics(scores, test, k=1, exclude=seen)["hit_rate"].tolist() == [1.0]
    assert per_user_metrics(scores, test, k=1, exclude=None)["hit_rate"].tolist() == [0.0]
    assert per_user_metrics(scores, test, k=1, exclude=[[0]])["hit_rate"].tolist() == [1.0]
    with pytest.raises(TypeError, match="exclude"):
        per_user_metrics(scores, test, k=1)


def test_per_user_metrics_tie_goes_to_the_lower_item_index():
    scores = np.ones((1, 4))
    assert per_user_metrics(scores, np.array([1]), k=1, exclude=None)["ndcg"].tolist() == [0.0]
    assert per_user_metrics(scores, np.array([0]), k=1, exclude=None)["ndcg"].tolist() == [1.0]


def test_one_target_per_row_gives_one_over_log_rank():
    scores = np.array([[0.1, 0.9, 0.5, 0.3], [0.4, 0.3, 0.2, 0.1], [0.0, 0.1, 0.2, 0.3]])
    frame = per_user_metrics(scores, np.array([2, 3, 1]), k=3, exclude=None, metrics=["ndcg", "mrr"])
    assert frame["user"].tolist() == [0, 1, 2]
    np.testing.assert_allclose(frame["ndcg"], [1 / np.log2(3), 0.0, 1 / np.log2(4)])
    np.testing.assert_allclose(frame["mrr"], [0.5, 0.0, 1 / 3])


def test_list_metrics_score_given_lists_and_skip_users_without_test_items():
    lists = np.array([[3, 1, 0], [0, 1, 2], [2, 0, 1]])
    test = sp.csr_matrix(np.array([[1, 1, 0, 0], [0, 0, 0, 0], [0, 0, 0, 1]]))
    frame = per_user_list_metrics(lists, test, k=2, metrics=["recall", "ndcg"])
    assert frame["user"].tolist() == [0, 2]
    np.testing.assert_allclose(frame["recall"], [0.5, 0.0])
    np.testing.assert_allclose(frame["ndcg"], [ndcg_at_k([3, 1], {0, 1}, 2), 0.0])


@pytest.mark.parametrize(
    "lists, test, kwargs, message",
    [
        ([[0, 1]], sp.csr_matrix([[1, 0]]), {"metrics": ["auc"]}, "unknown metric"),
        ([[0, 1]], sp.csr_matrix([[0, 0]]), {}, "no non-zero entry"),
        ([[0, 1]], sp.csr_matrix([[1, 0], [0, 1]]), {}, "2 rows, but there are 1"),
        ([[0, 1]], np.array([0.5]), {}, "one target item per row"),
        ([[0, 0]], np.array([0]), {}, "more than once"),
    ],
)
def test_list_metrics_reject_bad_input(lists, test, kwargs, message):
    with pytest.raises(ValueError, match=message):
        per_user_list_metrics(lists, test, k=2, **kwargs)
