"""Tests of full-ranking top-k recommendation and the sampled protocol."""

import numpy as np
import pytest
import scipy.sparse as sp

from recsys_helpers.evaluation import evaluate_full_ranking, evaluate_sampled, top_k_items
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


def test_explicitly_stored_zeros_are_not_interactions():
    scores = np.array([[0.9, 0.5, 0.1], [0.2, 0.8, 0.4]])
    train = sp.csr_matrix(np.zeros((2, 3)))
    # user 1's row stores an explicit zero (as `matrix.multiply(mask)` leaves behind)
    test = sp.csr_matrix((np.array([1.0, 0.0]), (np.array([0, 1]), np.array([0, 2]))), shape=(2, 3))
    assert test.nnz == 2
    result = evaluate_full_ranking(scores, train, test, k=1, metrics=["hit_rate"])
    assert result == {"hit_rate": 1.0, "num_users": 1}
