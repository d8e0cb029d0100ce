"""Full-ranking top-k recommendation and evaluation from a score matrix.

A model hands over a dense score matrix (one row per user, one column per item, higher = more
recommendable). The helpers here mask the items a user has already seen, take the top k items of
every row at once (no Python loop over items), and evaluate them against held-out interactions.
:func:`evaluate_sampled` is the cheaper, biased protocol that chapter 02 contrasts with full ranking.

Tie policy of the full-ranking functions (:func:`top_k_items`, :func:`evaluate_full_ranking`,
:func:`next_item_ranks`, :func:`evaluate_next_item`): items are ordered by score, and equal scores
by the lower item index, so a ranking never depends on the sort algorithm and a constant scorer
recommends items 0, 1, 2, ... :func:`evaluate_sampled` follows its papers instead: a tie with a
sampled negative counts against the held-out item.

Introduced in chapter 02 (Evaluation); next-item ranks added in chapter 05.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp

from recsys_helpers.metrics import evaluate_topk
from recsys_helpers.validation import check_item_sequences, check_targets

__all__ = [
    "top_k_items",
    "evaluate_full_ranking",
    "evaluate_sampled",
    "exclusion_matrix",
    "next_item_ranks",
    "evaluate_next_item",
]

DEFAULT_METRICS = ("precision", "recall", "hit_rate", "map", "mrr", "ndcg")


def _check_scores(scores: np.ndarray) -> np.ndarray:
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must be a 2-D array (num_users, num_items), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN; a model must give every user-item pair a number")
    return scores


def _check_matrix(name: str, matrix, shape: tuple[int, int]) -> sp.csr_matrix:
    if not sp.issparse(matrix):
        raise ValueError(f"{name} must be a scipy.sparse matrix (num_users, num_items)")
    if matrix.shape != shape:
        raise ValueError(f"{name} has shape {matrix.shape}, but scores have shape {shape}")
    matrix = sp.csr_matrix(matrix, copy=True)
    matrix.eliminate_zeros()  # an explicitly stored 0 is not an interaction
    return matrix


def top_k_items(scores: np.ndarray, k: int, *, exclude: sp.spmatrix | None = None) -> np.ndarray:
    """Indices of the ``k`` highest-scoring items of every user, best first.

    Parameters
    ----------
    scores : array of shape (num_users, num_items)
        Any real numbers; higher means more recommendable. NaN is rejected.
    k : int
        List length, 1 <= k <= num_items.
    exclude : sparse matrix of shape (num_users, num_items), optional
        Non-zero entries (typically the training interactions) are never recommended.

    Returns
    -------
    ndarray of int64, shape (num_users, k)
        Column indices into ``scores``. Ties are broken by the lower item index.

    Raises
    ------
    ValueError
        Bad shapes, NaN scores, k out of range, or a user with fewer than k items left after
        exclusion.

    Examples
    --------
    >>> import numpy as np, scipy.sparse as sp
    >>> scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.8]])
    >>> top_k_items(scores, 2, exclude=sp.csr_matrix([[0, 1, 0], [0, 0, 0]])).tolist()
    [[2, 0], [2, 0]]

    Introduced in chapter 02 (Evaluation).
    """
    scores = _check_scores(scores)
    num_items = scores.shape[1]
    if not isinstance(k, (int, np.integer)) or isinstance(k, bool) or not 1 <= k <= num_items:
        raise ValueError(f"k must be an integer in [1, {num_items}], got {k!r}")
    if exclude is not None:
        exclude = _check_matrix("exclude", exclude, scores.shape)
        remaining = num_items - np.diff((exclude != 0).astype(np.int8).tocsr().indptr)
        if (remaining < k).any():
            user = int(np.argmax(remaining < k))
            raise ValueError(f"user row {user} has only {remaining[user]} items left after exclusion, fewer than k={k}")
        scores = scores.copy()
        rows, cols = exclude.nonzero()
        scores[rows, cols] = -np.inf
    # A stable sort of the negated scores breaks ties by the lower item index.
    return np.argsort(-scores, axis=1, kind="stable")[:, :k].astype(np.int64)


def _relevant_sets(test: sp.csr_matrix) -> dict[int, set[int]]:
    return {
        user: set(test.indices[test.indptr[user]:test.indptr[user + 1]].tolist())
        for user in np.flatnonzero(np.diff(test.indptr))
    }


def evaluate_full_ranking(
    scores: np.ndarray,
    train: sp.spmatrix,
    test: sp.spmatrix,
    *,
    k: int = 10,
    metrics: Sequence[str] = DEFAULT_METRICS,
) -> dict[str, float]:
    """Rank every item the user has not seen in ``train`` and score the top ``k`` against ``test``.

    Parameters
    ----------
    scores : array of shape (num_users, num_items)
        The model's scores for every user-item pair.
    train, test : sparse matrices of shape (num_users, num_items)
        Non-zero entries are the training interactions (excluded from the ranking) and the
        held-out relevant items.
    k : int, default 10
    metrics : sequence of str
        Names accepted by :func:`recsys_helpers.metrics.evaluate_topk`.

    Returns
    -------
    dict
        Mean of each metric over users with at least one test item, in [0, 1], plus
        ``num_users``.

    Introduced in chapter 02 (Evaluation).
    """
    scores = _check_scores(scores)
    test = _check_matrix("test", test, scores.shape)
    top = top_k_items(scores, k, exclude=train)
    relevant = _relevant_sets(test)
    recommendations = {user: top[user].tolist() for user in relevant}
    return evaluate_topk(recommendations, relevant, k=k, metrics=metrics)


def evaluate_sampled(
    scores: np.ndarray,
    train: sp.spmatrix,
    test: sp.spmatrix,
    *,
    k: int = 10,
    num_negatives: int = 100,
    seed: int = 0,
) -> dict[str, float]:
    """Sampled evaluation: rank each test item among ``num_negatives`` random unseen items.

    This is the protocol of many neural recommender papers. It is cheaper than full ranking but
    its hit rate and NDCG are inflated and can even order models differently (Krichene and
    Rendle, 2020); chapter 02 measures both on the same scores.

    Parameters
    ----------
    scores : array of shape (num_users, num_items)
    train, test : sparse matrices of shape (num_users, num_items)
        Negatives are drawn from items absent from both matrices for that user.
    k : int, default 10
        Cut-off within the list of ``num_negatives + 1`` candidates.
    num_negatives : int, default 100
    seed : int, default 0

    Returns
    -------
    dict
        ``hit_rate`` and ``ndcg`` averaged over all (user, test item) pairs, and ``num_pairs``.
        With one relevant item among the candidates, NDCG@k = 1 / log2(rank + 1) when the rank
        is at most k.

    Introduced in chapter 02 (Evaluation).
    """
    scores = _check_scores(scores)
    train = _check_matrix("train", train, scores.shape)
    test = _check_matrix("test", test, scores.shape)
    if num_negatives < 1:
        raise ValueError(f"num_negatives must be >= 1, got {num_negatives}")
    if not 1 <= k <= num_negatives + 1:
        raise ValueError(f"k must be in [1, num_negatives + 1 = {num_negatives + 1}], got {k}")
    rng = np.random.default_rng(seed)
    seen = (train + test) != 0
    hits, gains = [], []
    for user in np.flatnonzero(np.diff(test.indptr)):
        unseen = np.flatnonzero(~seen[user].toarray().ravel())
        if unseen.size < num_negatives:
            raise ValueError(f"user row {user} has only {unseen.size} unseen items, fewer than num_negatives")
        negatives = rng.choice(unseen, size=num_negatives, replace=False)
        positives = test.indices[test.indptr[user]:test.indptr[user + 1]]
        # rank of each positive among the negatives (1 = best); ties count against the positive
        ranks = 1 + (scores[user, negatives][None, :] >= scores[user, positives][:, None]).sum(axis=1)
        hits.append(ranks <= k)
        gains.append(np.where(ranks <= k, 1.0 / np.log2(ranks + 1), 0.0))
    hits, gains = np.concatenate(hits), np.concatenate(gains)
    return {"hit_rate": float(hits.mean()), "ndcg": float(gains.mean()), "num_pairs": int(hits.size)}


def exclusion_matrix(exclude, shape: tuple[int, int]) -> sp.csr_matrix | None:
    """``exclude`` as a boolean CSR matrix of ``shape`` (num_rows, num_items), or None for None.

    ``exclude`` is a sparse or dense matrix of that shape (its non-zeros are excluded) or one
    collection of item indices per row (for example the history sequences themselves).

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    if exclude is None:
        return None
    num_rows, num_items = shape
    if sp.issparse(exclude) or (isinstance(exclude, np.ndarray) and exclude.ndim == 2):
        if exclude.shape != shape:
            raise ValueError(f"exclude has shape {exclude.shape}, but scores have shape {shape}")
        return sp.csr_matrix(exclude != 0)
    rows = check_item_sequences(exclude, num_items=num_items, name="exclude")
    if len(rows) != num_rows:
        raise ValueError(f"exclude has {len(rows)} rows of items, but scores have {num_rows} rows")
    lengths = [len(r) for r in rows]
    row_ids = np.repeat(np.arange(num_rows), lengths)
    cols = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
    matrix = sp.csr_matrix((np.ones(len(cols), dtype=bool), (row_ids, cols)), shape=shape)
    matrix.sum_duplicates()
    return sp.csr_matrix(matrix != 0)


def next_item_ranks(scores, targets, *, exclude=None) -> np.ndarray:
    """Rank (1 = best) of each sequence's target item among all items, with excluded items removed.

    Tie policy, the same as :func:`top_k_items` and :func:`evaluate_full_ranking`: higher score
    first, and among equal scores the lower item index first. So a target tied with items of
    lower index ranks behind them, one tied with items of higher index ahead of them, and
    ``rank <= k`` exactly when the target is in ``top_k_items(scores, k, exclude=...)``.

    >>> next_item_ranks([[0.5, 0.5, 0.5, 0.9]], [2]).tolist()  # behind item 3 and tied items 0, 1
    [4.0]

    Parameters
    ----------
    scores : array of shape (num_sequences, num_items), no NaN
    targets : array of int of shape (num_sequences,), item indices in ``0..num_items-1``
    exclude : optional
        Items that cannot be recommended (typically those already in the history): a sparse or
        dense (num_sequences, num_items) matrix whose non-zeros are excluded, or one collection of
        item indices per sequence (the history lists themselves work).

    Returns
    -------
    ndarray of float64, shape (num_sequences,)
        Ranks in ``1..num_items``; ``inf`` where the target itself is excluded (it can never be
        recommended, so it counts as a miss at every cut-off).

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    scores = np.array(scores, dtype=np.float64)  # a copy: excluded entries are overwritten below
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(f"scores must be a non-empty 2-D array (num_sequences, num_items), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    num_rows, num_items = scores.shape
    targets = check_targets(targets, num_rows, num_items)
    rows = np.arange(num_rows)
    excluded = exclusion_matrix(exclude, scores.shape)
    target_excluded = np.zeros(num_rows, dtype=bool)
    if excluded is not None:
        target_excluded = np.asarray(excluded[rows, targets]).ravel().astype(bool)
        r, c = excluded.nonzero()
        scores[r, c] = -np.inf
    target_scores = scores[rows, targets][:, None]
    better = (scores > target_scores).sum(axis=1)
    tied_before = ((scores == target_scores) & (np.arange(num_items)[None, :] < targets[:, None])).sum(axis=1)
    ranks = (1 + better + tied_before).astype(np.float64)
    ranks[target_excluded] = np.inf
    return ranks


def evaluate_next_item(scores, targets, *, k: int = 10, exclude=None) -> dict[str, float]:
    """Hit rate, NDCG and MRR at ``k`` for next-item prediction with one target per sequence.

    With one relevant item at rank r: HR@k = [r <= k], NDCG@k = 1 / log2(r + 1) if r <= k else 0
    (the ideal DCG is 1), MRR@k = 1 / r if r <= k else 0. These equal
    :func:`recsys_helpers.metrics.hit_rate_at_k`, :func:`~recsys_helpers.metrics.ndcg_at_k` and
    :func:`~recsys_helpers.metrics.reciprocal_rank_at_k` of the list
    :func:`top_k_items` returns (same tie policy: lower item index first), but come from the target's rank
    (:func:`next_item_ranks`) in one vectorised pass.

    Parameters
    ----------
    scores : array of shape (num_sequences, num_items)
    targets : array of int of shape (num_sequences,)
    k : int, 1 <= k <= num_items
    exclude : optional
        Items never recommended, as in :func:`next_item_ranks`; pass the histories to get the
        usual "seen items excluded" protocol.

    Returns
    -------
    dict
        ``hit_rate``, ``ndcg``, ``mrr`` (means over sequences, in [0, 1]) and ``num_sequences``.

    Examples
    --------
    >>> scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.8]])
    >>> evaluate_next_item(scores, [2, 0], k=1, exclude=[[1], []])
    {'hit_rate': 0.5, 'ndcg': 0.5, 'mrr': 0.5, 'num_sequences': 2}

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    ranks = next_item_ranks(scores, targets, exclude=exclude)
    num_items = np.shape(scores)[1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= num_items:
        raise ValueError(f"k must be an integer in [1, num_items = {num_items}], got {k!r}")
    hit = ranks <= k
    return {
        "hit_rate": float(hit.mean()),
        "ndcg": float(np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0).mean()),
        "mrr": float(np.where(hit, 1.0 / ranks, 0.0).mean()),
        "num_sequences": int(ranks.size),
    }
