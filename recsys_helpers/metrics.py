"""Evaluation metrics: top-k ranking, classification, rating error and beyond-accuracy.

Naming follows scikit-learn: ``*_score`` is higher-is-better, :func:`rmse` and :func:`mae` are
lower-is-better. Ranking metrics take one ranked list ``recommended`` (item ids, best first) and
the ``relevant`` ids of that user; :func:`evaluate_topk` averages them over users.

Introduced in chapter 02 (Evaluation).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence

import numpy as np

from recsys_helpers.checks import check_positive_int

__all__ = [
    "precision_at_k",
    "recall_at_k",
    "hit_rate_at_k",
    "average_precision_at_k",
    "reciprocal_rank_at_k",
    "ndcg_at_k",
    "evaluate_topk",
    "accuracy_score",
    "precision_score",
    "recall_score",
    "f1_score",
    "roc_auc_score",
    "roc_curve_points",
    "rmse",
    "mae",
    "catalog_coverage",
    "intra_list_diversity",
    "novelty",
    "gini_index",
]

RANKING_METRICS = ("precision", "recall", "hit_rate", "map", "mrr", "ndcg")


# --------------------------------------------------------------------------- ranked lists
def _check_k(k) -> int:
    return check_positive_int("k", k)


def _top_k(recommended: Sequence, k) -> list:
    k = _check_k(k)
    items = list(recommended)
    seen = set()
    for item in items:
        if item in seen:
            raise ValueError(f"recommended contains the item {item!r} more than once")
        seen.add(item)
    return items[:k]


def _relevant_set(relevant, *, metric: str, allow_empty: bool) -> set:
    if isinstance(relevant, Mapping):
        ids = {item for item, gain in relevant.items() if gain > 0}
    else:
        ids = set(relevant)
    if not ids and not allow_empty:
        raise ValueError(f"relevant is empty: {metric} is undefined for a user with no relevant items")
    return ids


def precision_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    """Fraction of the top ``k`` recommendations that are relevant.

    Precision@k = |top-k ∩ relevant| / k. A list shorter than ``k`` still divides by ``k``;
    an empty ``relevant`` gives 0.

    Parameters
    ----------
    recommended : sequence of item ids, best first, without duplicates
    relevant : collection of item ids
    k : int, k >= 1

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> precision_at_k([3, 1, 7], {1, 2}, 2)
    0.5

    Introduced in chapter 02 (Evaluation).
    """
    top = _top_k(recommended, k)
    hits = _relevant_set(relevant, metric="precision", allow_empty=True)
    return sum(item in hits for item in top) / k


def recall_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    """Fraction of the relevant items found in the top ``k``: |top-k ∩ relevant| / |relevant|.

    Parameters
    ----------
    recommended : sequence of item ids, best first, without duplicates
    relevant : non-empty collection of item ids
    k : int, k >= 1

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        ``relevant`` is empty, k <= 0, duplicate recommendations.

    Examples
    --------
    >>> recall_at_k([3, 1, 7], {1, 2}, 2)
    0.5

    Introduced in chapter 02 (Evaluation).
    """
    top = _top_k(recommended, k)
    hits = _relevant_set(relevant, metric="recall", allow_empty=False)
    return sum(item in hits for item in top) / len(hits)


def hit_rate_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    """1.0 if at least one relevant item is in the top ``k``, else 0.0 (0.0 for empty ``relevant``).

    Examples
    --------
    >>> hit_rate_at_k([3, 1, 7], {7}, 2), hit_rate_at_k([3, 1, 7], {7}, 3)
    (0.0, 1.0)

    Introduced in chapter 02 (Evaluation).
    """
    top = _top_k(recommended, k)
    hits = _relevant_set(relevant, metric="hit rate", allow_empty=True)
    return float(any(item in hits for item in top))


def average_precision_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    """AP@k = Σ_{i≤k} P@i · rel_i / min(k, |relevant|).

    ``rel_i`` is 1 when the item at rank i is relevant. Dividing by min(k, |relevant|) makes a
    perfect list score 1 even when there are more relevant items than slots.

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        ``relevant`` is empty, k <= 0, duplicate recommendations.

    Examples
    --------
    >>> average_precision_at_k([1, 5, 2], {1, 2}, 3)  # (1/1 + 2/3) / 2
    0.8333333333333333

    Introduced in chapter 02 (Evaluation).
    """
    top = _top_k(recommended, k)
    hits = _relevant_set(relevant, metric="average precision", allow_empty=False)
    found, total = 0, 0.0
    for rank, item in enumerate(top, start=1):
        if item in hits:
            found += 1
            total += found / rank
    return total / min(k, len(hits))


def reciprocal_rank_at_k(recommended: Sequence, relevant: Collection, k: int) -> float:
    """1 / rank of the first relevant item within the top ``k``; 0 when there is none.

    Examples
    --------
    >>> reciprocal_rank_at_k([3, 1, 7], {1, 7}, 3)
    0.5

    Introduced in chapter 02 (Evaluation).
    """
    top = _top_k(recommended, k)
    hits = _relevant_set(relevant, metric="reciprocal rank", allow_empty=True)
    for rank, item in enumerate(top, start=1):
        if item in hits:
            return 1.0 / rank
    return 0.0


def ndcg_at_k(recommended: Sequence, relevant: Collection | Mapping, k: int) -> float:
    """Normalized discounted cumulative gain at ``k``.

    DCG@k = Σ_{i≤k} gain_i / log2(i + 1) with ranks i from 1; NDCG@k = DCG@k / IDCG@k, where the
    ideal DCG places the best min(k, |relevant|) gains first.

    Parameters
    ----------
    recommended : sequence of item ids, best first, without duplicates
    relevant : collection of ids (gain 1 each) or mapping id -> gain >= 0
        With a mapping, ids with gain 0 count as not relevant.
    k : int, k >= 1

    Returns
    -------
    float in [0, 1]

    Raises
    ------
    ValueError
        No relevant item, negative gains, k <= 0, duplicate recommendations.

    Examples
    --------
    >>> round(ndcg_at_k([3, 1], {1}, 2), 4)  # (1/log2 3) / (1/log2 2)
    0.6309
    >>> ndcg_at_k([1, 2], {1: 3.0, 2: 1.0}, 2)
    1.0

    Introduced in chapter 02 (Evaluation).
    """
    top = _top_k(recommended, k)
    if isinstance(relevant, Mapping):
        gains = {item: float(gain) for item, gain in relevant.items()}
        if any(math.isnan(g) or g < 0 for g in gains.values()):
            raise ValueError("relevant gains must be non-negative numbers")
    else:
        gains = dict.fromkeys(relevant, 1.0)
    _relevant_set(gains, metric="NDCG", allow_empty=False)
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = sum(gains.get(item, 0.0) * discounts[i] for i, item in enumerate(top))
    ideal = sorted((g for g in gains.values() if g > 0), reverse=True)[:k]
    return float(dcg / np.dot(ideal, discounts[: len(ideal)]))


_PER_LIST = {
    "precision": precision_at_k,
    "recall": recall_at_k,
    "hit_rate": hit_rate_at_k,
    "map": average_precision_at_k,
    "mrr": reciprocal_rank_at_k,
    "ndcg": ndcg_at_k,
}


def evaluate_topk(
    recommendations: Mapping,
    relevant: Mapping,
    *,
    k: int = 10,
    metrics: Sequence[str] = RANKING_METRICS,
) -> dict[str, float]:
    """Mean of each ranking metric over the users that have at least one relevant item.

    Parameters
    ----------
    recommendations : mapping user id -> ranked list of item ids (dict or pandas Series)
        A user with relevant items but no entry here counts as an empty list (scores 0).
    relevant : mapping user id -> collection of relevant item ids (dict or pandas Series)
    k : int, default 10
    metrics : sequence of str
        Any of ``"precision"``, ``"recall"``, ``"hit_rate"``, ``"map"``, ``"mrr"``, ``"ndcg"``.

    Returns
    -------
    dict
        metric name -> mean in [0, 1], and ``"num_users"``: how many users were averaged.

    Examples
    --------
    >>> evaluate_topk({"a": [1, 2], "b": [3, 4]}, {"a": {2}, "b": set()}, k=2, metrics=["hit_rate"])
    {'hit_rate': 1.0, 'num_users': 1}

    Introduced in chapter 02 (Evaluation).
    """
    _check_k(k)
    unknown = [m for m in metrics if m not in _PER_LIST]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; valid names are {list(_PER_LIST)}")
    users = [user for user, items in relevant.items() if len(items) > 0]
    if not users:
        raise ValueError("no user has a relevant item: nothing to evaluate")
    results = {}
    for name in metrics:
        metric = _PER_LIST[name]
        values = [metric(recommendations.get(user, []), relevant[user], k) for user in users]
        results[name] = float(np.mean(values))
    results["num_users"] = len(users)
    return results


# --------------------------------------------------------------------------- classification
def _check_pair(y_true, y_other, *, other: str) -> tuple[np.ndarray, np.ndarray]:
    y_true = np.asarray(y_true, dtype=np.float64).ravel()
    y_other = np.asarray(y_other, dtype=np.float64).ravel()
    if y_true.size == 0:
        raise ValueError("y_true is empty")
    if y_true.shape != y_other.shape:
        raise ValueError(f"y_true has {y_true.size} values but {other} has {y_other.size}")
    for name, values in (("y_true", y_true), (other, y_other)):
        if np.isnan(values).any():
            raise ValueError(f"{name} contains NaN")
    return y_true, y_other


def _check_binary(name: str, values: np.ndarray) -> np.ndarray:
    if not np.isin(values, (0.0, 1.0)).all():
        raise ValueError(f"{name} must hold binary labels 0/1, got values {np.unique(values)[:5].tolist()}")
    return values.astype(bool)


def _confusion(y_true, y_pred) -> tuple[int, int, int, int]:
    y_true, y_pred = _check_pair(y_true, y_pred, other="y_pred")
    truth, pred = _check_binary("y_true", y_true), _check_binary("y_pred", y_pred)
    tp = int(np.sum(truth & pred))
    fp = int(np.sum(~truth & pred))
    fn = int(np.sum(truth & ~pred))
    tn = int(np.sum(~truth & ~pred))
    return tp, fp, fn, tn


def accuracy_score(y_true, y_pred) -> float:
    """(TP + TN) / N for binary labels 0/1.

    Examples
    --------
    >>> accuracy_score([1, 0, 0, 0], [0, 0, 0, 0])
    0.75

    Introduced in chapter 02 (Evaluation).
    """
    tp, fp, fn, tn = _confusion(y_true, y_pred)
    return (tp + tn) / (tp + fp + fn + tn)


def precision_score(y_true, y_pred) -> float:
    """TP / (TP + FP): the share of predicted positives that are positive (0 when none predicted).

    Examples
    --------
    >>> precision_score([1, 0, 1, 0], [1, 1, 0, 0])
    0.5

    Introduced in chapter 02 (Evaluation).
    """
    tp, fp, _, _ = _confusion(y_true, y_pred)
    return tp / (tp + fp) if tp + fp else 0.0


def recall_score(y_true, y_pred) -> float:
    """TP / (TP + FN): the share of actual positives that are predicted (0 when there are none).

    Examples
    --------
    >>> recall_score([1, 0, 1, 0], [1, 1, 0, 0])
    0.5

    Introduced in chapter 02 (Evaluation).
    """
    tp, _, fn, _ = _confusion(y_true, y_pred)
    return tp / (tp + fn) if tp + fn else 0.0


def f1_score(y_true, y_pred) -> float:
    """Harmonic mean of precision and recall: 2PR / (P + R) = 2TP / (2TP + FP + FN).

    Built from precision, not accuracy (source 000 §1.3.2 gets this wrong; see chapter 02).
    0 when there are no true positives.

    Examples
    --------
    >>> f1_score([1, 0, 1, 0], [1, 1, 0, 0])
    0.5

    Introduced in chapter 02 (Evaluation).
    """
    tp, fp, fn, _ = _confusion(y_true, y_pred)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks 1..n of ``values``, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="mergesort")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], values.size]
    mean_rank = (starts + ends + 1) / 2.0
    ranks = np.empty(values.size)
    ranks[order] = np.repeat(mean_rank, ends - starts)
    return ranks


def roc_auc_score(y_true, y_score) -> float:
    """Area under the ROC curve = P(score of a random positive > score of a random negative).

    Ties between a positive and a negative count one half (the trapezoid rule on the ROC curve
    gives the same). Computed from average ranks (the Mann–Whitney U statistic).

    Parameters
    ----------
    y_true : array of 0/1 labels, shape (n,), both classes present
    y_score : array of real scores, shape (n,), higher = more likely positive

    Returns
    -------
    float in [0, 1]; 0.5 for random scores.

    Examples
    --------
    >>> roc_auc_score([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    0.75

    Introduced in chapter 02 (Evaluation).
    """
    y_true, y_score = _check_pair(y_true, y_score, other="y_score")
    truth = _check_binary("y_true", y_true)
    num_pos, num_neg = int(truth.sum()), int((~truth).sum())
    if num_pos == 0 or num_neg == 0:
        raise ValueError("roc_auc_score needs both positive and negative labels in y_true")
    ranks = _average_ranks(y_score)
    u_statistic = ranks[truth].sum() - num_pos * (num_pos + 1) / 2
    return float(u_statistic / (num_pos * num_neg))


def roc_curve_points(y_true, y_score) -> tuple[np.ndarray, np.ndarray]:
    """False- and true-positive rates at every distinct threshold, from (0, 0) to (1, 1).

    Sweeping the threshold down from +inf adds items in order of decreasing score; items with the
    same score enter together. The trapezoid area under these points equals :func:`roc_auc_score`.

    Returns
    -------
    fpr, tpr : arrays of shape (number of distinct scores + 1,), non-decreasing, in [0, 1]

    Examples
    --------
    >>> fpr, tpr = roc_curve_points([0, 1, 1], [0.2, 0.9, 0.5])
    >>> fpr.tolist(), tpr.tolist()
    ([0.0, 0.0, 0.0, 1.0], [0.0, 0.5, 1.0, 1.0])

    Introduced in chapter 02 (Evaluation).
    """
    y_true, y_score = _check_pair(y_true, y_score, other="y_score")
    truth = _check_binary("y_true", y_true)
    if truth.all() or not truth.any():
        raise ValueError("roc_curve_points needs both positive and negative labels in y_true")
    order = np.argsort(-y_score, kind="mergesort")
    scores, labels = y_score[order], truth[order]
    last_of_group = np.r_[scores[1:] != scores[:-1], True]
    tps = np.cumsum(labels)[last_of_group]
    fps = np.cumsum(~labels)[last_of_group]
    return np.r_[0.0, fps / fps[-1]], np.r_[0.0, tps / tps[-1]]


def rmse(y_true, y_pred) -> float:
    """Root mean squared error sqrt(mean((y_true - y_pred)^2)); lower is better, >= 0.

    Examples
    --------
    >>> rmse([4, 3], [5, 3])
    0.7071067811865476

    Introduced in chapter 02 (Evaluation).
    """
    y_true, y_pred = _check_pair(y_true, y_pred, other="y_pred")
    return float(np.sqrt(np.mean((y_true - y_pred) ** 2)))


def mae(y_true, y_pred) -> float:
    """Mean absolute error mean(|y_true - y_pred|); lower is better, >= 0.

    Examples
    --------
    >>> mae([4, 3], [5, 3])
    0.5

    Introduced in chapter 02 (Evaluation).
    """
    y_true, y_pred = _check_pair(y_true, y_pred, other="y_pred")
    return float(np.mean(np.abs(y_true - y_pred)))


# --------------------------------------------------------------------------- beyond accuracy
def _lists(recommendations) -> list[list]:
    lists = list(recommendations.values()) if isinstance(recommendations, Mapping) else list(recommendations)
    if not lists:
        raise ValueError("recommendations is empty")
    return [list(items) for items in lists]


def catalog_coverage(recommendations: Mapping | Iterable, num_items: int) -> float:
    """Share of the catalog that appears in at least one recommendation list.

    Parameters
    ----------
    recommendations : mapping user -> list of item ids, or an iterable of lists
    num_items : int, size of the catalog (> 0)

    Returns
    -------
    float in [0, 1]

    Examples
    --------
    >>> catalog_coverage([[1, 2], [2, 3]], num_items=10)
    0.3

    Introduced in chapter 02 (Evaluation).
    """
    if num_items <= 0:
        raise ValueError(f"num_items must be positive, got {num_items}")
    distinct = {item for items in _lists(recommendations) for item in items}
    if len(distinct) > num_items:
        raise ValueError(f"{len(distinct)} distinct items recommended but num_items is {num_items}")
    return len(distinct) / num_items


def intra_list_diversity(recommended: Sequence, item_features) -> float:
    """Mean pairwise cosine distance (1 - cosine similarity) between the items of one list.

    Parameters
    ----------
    recommended : sequence of at least two item ids
    item_features : mapping id -> 1-D vector, a pandas DataFrame indexed by id, or a 2-D array
        whose row i is the vector of item id i. No vector may be all zeros.

    Returns
    -------
    float in [0, 2]; in [0, 1] for non-negative features such as genre indicators.

    Examples
    --------
    >>> intra_list_diversity([0, 1, 2], [[1, 0], [1, 0], [0, 1]])  # distances 0, 1, 1
    0.6666666666666666

    Introduced in chapter 02 (Evaluation).
    """
    items = list(recommended)
    if len(items) < 2:
        raise ValueError("intra_list_diversity needs a list of at least two items")
    if hasattr(item_features, "loc"):
        vectors = np.asarray(item_features.loc[items], dtype=np.float64)
    elif isinstance(item_features, Mapping):
        vectors = np.asarray([item_features[item] for item in items], dtype=np.float64)
    else:
        vectors = np.asarray(item_features, dtype=np.float64)[items]
    norms = np.linalg.norm(vectors, axis=1)
    if (norms == 0).any():
        raise ValueError(f"item {items[int(np.argmin(norms))]!r} has an all-zero feature vector")
    unit = vectors / norms[:, None]
    similarity = unit @ unit.T
    upper = np.triu_indices(len(items), k=1)
    return float(np.mean(1.0 - similarity[upper]))


def novelty(recommendations: Mapping | Iterable, item_popularity: Mapping) -> float:
    """Mean self-information -log2(p_i) of the recommended items (Zhou et al., 2010).

    ``p_i`` is the fraction of users who interacted with item i; recommending rarely seen items
    scores higher.

    Parameters
    ----------
    recommendations : mapping user -> list of item ids, or an iterable of lists
    item_popularity : mapping item id -> fraction of users in (0, 1] (dict or pandas Series)

    Returns
    -------
    float >= 0, in bits

    Examples
    --------
    >>> novelty([[1, 2]], {1: 0.5, 2: 0.25})  # (1 + 2) / 2
    1.5

    Introduced in chapter 02 (Evaluation).
    """
    items = [item for items in _lists(recommendations) for item in items]
    if not items:
        raise ValueError("recommendations hold no items")
    popularity = np.array([item_popularity.get(item, np.nan) for item in items], dtype=np.float64)
    bad = [items[i] for i in np.flatnonzero(~((popularity > 0) & (popularity <= 1)))]
    if bad:
        raise ValueError(f"item_popularity must be in (0, 1] for every recommended item; bad or missing: {bad[:5]}")
    return float(np.mean(-np.log2(popularity)))


def gini_index(counts) -> float:
    """Gini index of how recommendations (exposure) spread over the catalog.

    G = Σ_i (2i - n - 1) x_i / (n Σ x) over the counts sorted ascending (i from 1). Pass a count
    for every catalog item, zeros included: 0 means every item is recommended equally often,
    values near 1 mean a few items take all the exposure.

    Parameters
    ----------
    counts : array of non-negative numbers, shape (num_items,), not all zero

    Returns
    -------
    float in [0, 1 - 1/n]

    Examples
    --------
    >>> gini_index([5, 5, 5, 5])
    0.0
    >>> gini_index([0, 0, 0, 8])
    0.75

    Introduced in chapter 02 (Evaluation).
    """
    x = np.sort(np.asarray(counts, dtype=np.float64).ravel())
    if x.size == 0 or np.isnan(x).any() or (x < 0).any():
        raise ValueError("counts must be a non-empty array of non-negative numbers")
    if x.sum() == 0:
        raise ValueError("counts are all zero: nothing was recommended")
    n = x.size
    i = np.arange(1, n + 1)
    return float(np.sum((2 * i - n - 1) * x) / (n * x.sum()))
