"""Metrics: values worked by hand, properties, and agreement with independent implementations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sklearn.metrics as skm

from recsys_helpers import metrics as M

RNG = np.random.default_rng(2026)


# --------------------------------------------------------------------------- worked by hand
def test_ranking_metrics_worked_by_hand():
    # ranks:            1  2  3  4  5      relevant = {2, 4, 9}; hits at ranks 2 and 4
    recommended = [7, 2, 5, 4, 8]
    relevant = {2, 4, 9}
    assert M.precision_at_k(recommended, relevant, 5) == pytest.approx(2 / 5)
    assert M.precision_at_k(recommended, relevant, 2) == pytest.approx(1 / 2)
    assert M.recall_at_k(recommended, relevant, 5) == pytest.approx(2 / 3)
    assert M.hit_rate_at_k(recommended, relevant, 1) == 0.0
    assert M.hit_rate_at_k(recommended, relevant, 2) == 1.0
    assert M.reciprocal_rank_at_k(recommended, relevant, 5) == pytest.approx(1 / 2)
    assert M.reciprocal_rank_at_k(recommended, relevant, 1) == 0.0
    # AP@5 = (P@2 + P@4) / min(5, 3) = (1/2 + 2/4) / 3
    assert M.average_precision_at_k(recommended, relevant, 5) == pytest.approx(1 / 3)
    # DCG = 1/log2(3) + 1/log2(5); IDCG = 1 + 1/log2(3) + 1/log2(4)
    dcg = 1 / math.log2(3) + 1 / math.log2(5)
    idcg = 1 + 1 / math.log2(3) + 1 / math.log2(4)
    assert M.ndcg_at_k(recommended, relevant, 5) == pytest.approx(dcg / idcg)
    # at k=2 the ideal list has only two slots: IDCG = 1 + 1/log2(3)
    assert M.ndcg_at_k(recommended, relevant, 2) == pytest.approx((1 / math.log2(3)) / (1 + 1 / math.log2(3)))


def test_graded_ndcg_worked_by_hand():
    gains = {"a": 3.0, "b": 2.0, "c": 0.0, "d": 1.0}
    # list b, c, a: DCG = 2 + 0 + 3/2 ; ideal a, b, d: 3 + 2/log2(3) + 1/2
    expected = (2 + 3 / 2) / (3 + 2 / math.log2(3) + 1 / 2)
    assert M.ndcg_at_k(["b", "c", "a"], gains, 3) == pytest.approx(expected)


def test_classification_worked_by_hand():
    y_true = [1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    y_pred = [1, 0, 0, 1, 0, 0, 0, 0, 0, 0]  # TP=1 FN=2 FP=1 TN=6
    assert M.accuracy_score(y_true, y_pred) == pytest.approx(0.7)
    assert M.precision_score(y_true, y_pred) == pytest.approx(0.5)
    assert M.recall_score(y_true, y_pred) == pytest.approx(1 / 3)
    assert M.f1_score(y_true, y_pred) == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    # the source documents' F1 built from accuracy would give 2*0.7*(1/3)/(0.7+1/3) = 0.4516...
    assert M.f1_score(y_true, y_pred) != pytest.approx(2 * 0.7 * (1 / 3) / (0.7 + 1 / 3))


def test_auc_worked_by_hand_with_a_tie():
    # positives 0.8, 0.4; negatives 0.4, 0.1: pairs (0.8>0.4) (0.8>0.1) (0.4=0.4 -> 1/2) (0.4>0.1)
    assert M.roc_auc_score([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(3.5 / 4)


def test_rating_errors_worked_by_hand():
    assert M.rmse([3, 4, 5], [4, 4, 3]) == pytest.approx(math.sqrt(5 / 3))
    assert M.mae([3, 4, 5], [4, 4, 3]) == pytest.approx(1.0)


def test_beyond_accuracy_worked_by_hand():
    assert M.catalog_coverage({"u": [0, 1], "v": [1, 2]}, num_items=6) == pytest.approx(0.5)
    features = np.array([[1, 0], [1, 1], [0, 1]], dtype=float)
    # cosine: (0,1)=1/sqrt2, (0,2)=0, (1,2)=1/sqrt2
    expected = np.mean([1 - 1 / math.sqrt(2), 1.0, 1 - 1 / math.sqrt(2)])
    assert M.intra_list_diversity([0, 1, 2], features) == pytest.approx(expected)
    assert M.novelty([[0], [1]], {0: 0.5, 1: 0.125}) == pytest.approx((1 + 3) / 2)
    assert M.gini_index([1, 1, 1, 1]) == pytest.approx(0.0)
    assert M.gini_index([0, 0, 0, 4]) == pytest.approx(0.75)
    assert M.gini_index([1, 3]) == pytest.approx((-1 * 1 + 1 * 3) / (2 * 4))


# --------------------------------------------------------------------------- properties
@pytest.mark.parametrize("k", [1, 3, 10])
def test_a_perfect_ranking_scores_one(k):
    relevant = {4, 8, 15, 16, 23}
    perfect = [4, 8, 15, 16, 23, 42, 1, 2, 3, 5]
    for metric in (M.precision_at_k, M.average_precision_at_k, M.ndcg_at_k, M.hit_rate_at_k, M.reciprocal_rank_at_k):
        if metric is M.precision_at_k and k > len(relevant):
            continue
        assert metric(perfect, relevant, k) == pytest.approx(1.0), metric.__name__
    assert M.recall_at_k(perfect, relevant, 10) == 1.0


def test_metrics_are_bounded_and_a_list_with_no_hit_scores_zero():
    for _ in range(200):
        recommended = RNG.permutation(30)[:10].tolist()
        relevant = set(RNG.choice(30, size=RNG.integers(1, 8), replace=False).tolist())
        k = int(RNG.integers(1, 11))
        for metric in (M.precision_at_k, M.recall_at_k, M.hit_rate_at_k, M.average_precision_at_k,
                       M.reciprocal_rank_at_k, M.ndcg_at_k):
            assert 0.0 <= metric(recommended, relevant, k) <= 1.0 + 1e-12
    for metric in (M.precision_at_k, M.recall_at_k, M.average_precision_at_k, M.ndcg_at_k):
        assert metric([1, 2, 3], {9}, 3) == 0.0


def test_evaluate_topk_is_a_mean_over_users_with_relevant_items_in_any_order():
    recs = {u: RNG.permutation(20)[:5].tolist() for u in range(30)}
    rel = {u: set(RNG.choice(20, size=3, replace=False).tolist()) for u in range(30)}
    rel[7] = set()  # skipped: no relevant item
    result = M.evaluate_topk(recs, rel, k=5)
    assert result["num_users"] == 29
    users = [u for u in rel if rel[u]]
    assert result["ndcg"] == pytest.approx(np.mean([M.ndcg_at_k(recs[u], rel[u], 5) for u in users]))
    assert result["map"] == pytest.approx(np.mean([M.average_precision_at_k(recs[u], rel[u], 5) for u in users]))
    reversed_order = {u: rel[u] for u in reversed(list(rel))}
    assert M.evaluate_topk(recs, reversed_order, k=5) == pytest.approx(result)


def test_auc_is_invariant_to_monotone_transforms_and_flips_with_the_sign():
    y = RNG.integers(0, 2, size=200)
    s = RNG.normal(size=200) + y
    auc = M.roc_auc_score(y, s)
    assert M.roc_auc_score(y, np.exp(3 * s)) == pytest.approx(auc, abs=1e-12)
    assert M.roc_auc_score(y, -s) == pytest.approx(1 - auc, abs=1e-12)


# --------------------------------------------------------------------------- independent implementations
def brute_force_auc(y, s):
    pos, neg = s[y == 1], s[y == 0]
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0) + 0.5 * (diff == 0)).mean())


@pytest.mark.parametrize("seed", range(20))
def test_classification_and_rating_metrics_agree_with_sklearn(seed):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 300))
    y = rng.integers(0, 2, size=n)
    y[:2] = [0, 1]  # both classes present
    scores = rng.integers(0, 6, size=n) / 5.0  # coarse scores: many ties
    pred = rng.integers(0, 2, size=n)
    assert M.accuracy_score(y, pred) == pytest.approx(skm.accuracy_score(y, pred), abs=1e-12)
    assert M.precision_score(y, pred) == pytest.approx(skm.precision_score(y, pred, zero_division=0), abs=1e-12)
    assert M.recall_score(y, pred) == pytest.approx(skm.recall_score(y, pred, zero_division=0), abs=1e-12)
    assert M.f1_score(y, pred) == pytest.approx(skm.f1_score(y, pred, zero_division=0), abs=1e-12)
    assert M.roc_auc_score(y, scores) == pytest.approx(skm.roc_auc_score(y, scores), abs=1e-12)
    assert M.roc_auc_score(y, scores) == pytest.approx(brute_force_auc(y, scores), abs=1e-12)
    fpr, tpr = M.roc_curve_points(y, scores)
    assert np.trapezoid(tpr, fpr) == pytest.approx(M.roc_auc_score(y, scores), abs=1e-12)
    sk_fpr, sk_tpr, _ = skm.roc_curve(y, scores, drop_intermediate=False)
    np.testing.assert_allclose(fpr, sk_fpr, atol=1e-12)
    np.testing.assert_allclose(tpr, sk_tpr, atol=1e-12)
    truth, guess = rng.normal(3, 1, size=n), rng.normal(3, 1, size=n)
    assert M.rmse(truth, guess) == pytest.approx(math.sqrt(skm.mean_squared_error(truth, guess)), abs=1e-12)
    assert M.mae(truth, guess) == pytest.approx(skm.mean_absolute_error(truth, guess), abs=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_ndcg_agrees_with_sklearn_on_random_graded_cases(seed):
    rng = np.random.default_rng(seed)
    num_items, k = 25, int(rng.integers(1, 15))
    gains = rng.integers(0, 4, size=num_items).astype(float)
    gains[rng.integers(num_items)] = 2.0  # at least one relevant item
    scores = rng.permutation(num_items).astype(float)  # distinct scores: a strict ranking
    ranking = np.argsort(-scores).tolist()
    ours = M.ndcg_at_k(ranking, dict(enumerate(gains)), k)
    assert ours == pytest.approx(skm.ndcg_score(gains[None, :], scores[None, :], k=k), abs=1e-12)


def brute_force_ap(recommended, relevant, k):
    hits = [item in relevant for item in recommended[:k]]
    precisions = [sum(hits[: i + 1]) / (i + 1) for i in range(len(hits)) if hits[i]]
    return sum(precisions) / min(k, len(relevant))


@pytest.mark.parametrize("seed", range(20))
def test_average_precision_agrees_with_a_brute_force_definition(seed):
    rng = np.random.default_rng(seed)
    recommended = rng.permutation(40)[:15].tolist()
    relevant = set(rng.choice(40, size=rng.integers(1, 12), replace=False).tolist())
    k = int(rng.integers(1, 16))
    assert M.average_precision_at_k(recommended, relevant, k) == pytest.approx(
        brute_force_ap(recommended, relevant, k), abs=1e-12
    )
    # with every relevant item retrievable in k slots, AP equals sklearn's average precision
    # of the ranking restricted to the list (a second independent check)
    if len(relevant) <= k and relevant <= set(recommended[:k]):
        labels = [int(i in relevant) for i in recommended[:k]]
        score = list(range(k, 0, -1))
        assert M.average_precision_at_k(recommended, relevant, k) == pytest.approx(
            skm.average_precision_score(labels, score), abs=1e-12
        )


# --------------------------------------------------------------------------- errors
@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: M.precision_at_k([1, 2], {1}, 0), "k must be a positive integer"),
        (lambda: M.ndcg_at_k([1, 2], {1}, -3), "k must be a positive integer"),
        (lambda: M.recall_at_k([1, 2], {1}, 2.5), "k must be a positive integer"),
        (lambda: M.precision_at_k([1, 1, 2], {1}, 3), "more than once"),
        (lambda: M.recall_at_k([1, 2], set(), 2), "relevant is empty"),
        (lambda: M.average_precision_at_k([1, 2], set(), 2), "relevant is empty"),
        (lambda: M.ndcg_at_k([1, 2], set(), 2), "relevant is empty"),
        (lambda: M.ndcg_at_k([1, 2], {1: -1.0}, 2), "non-negative"),
        (lambda: M.accuracy_score([1, 0], [1]), "y_true has 2 values but y_pred has 1"),
        (lambda: M.roc_auc_score([1, 0], [0.5, float("nan")]), "y_score contains NaN"),
        (lambda: M.roc_auc_score([1, 1], [0.5, 0.2]), "both positive and negative"),
        (lambda: M.f1_score([1, 2], [1, 0]), "binary labels"),
        (lambda: M.rmse([], []), "empty"),
        (lambda: M.evaluate_topk({}, {"u": {1}}, metrics=["auc"]), "unknown metric"),
        (lambda: M.evaluate_topk({}, {"u": set()}), "no user has a relevant item"),
        (lambda: M.catalog_coverage([[1, 2]], num_items=0), "num_items must be positive"),
        (lambda: M.intra_list_diversity([0], np.eye(2)), "at least two items"),
        (lambda: M.intra_list_diversity([0, 1], np.zeros((2, 2))), "all-zero"),
        (lambda: M.novelty([[1]], {1: 0.0}), r"\(0, 1\]"),
        (lambda: M.gini_index([0, 0]), "all zero"),
        (lambda: M.gini_index([1, -1]), "non-negative"),
    ],
)
def test_bad_input_raises_a_named_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()
