"""Full-ranking top-k recommendation and evaluation from a score matrix.

A model hands over a dense score matrix (one row per user, one column per item, higher = more
recommendable). The helpers here mask the items a user has already seen, take the top k items of
every row at once (no Python loop over items), and evaluate them against held-out interactions.
:func:`evaluate_sampled` is the cheaper, biased protocol that chapter 02 contrasts with full ranking.

:func:`per_user_metrics` keeps one row per user (for intervals and per-group gaps) and
:func:`per_user_list_metrics` scores ranked lists a chapter built itself (re-ranked, with slots).

Tie policy of the full-ranking functions (:func:`top_k_items`, :func:`evaluate_full_ranking`,
:func:`per_user_metrics`, :func:`next_item_ranks`, :func:`evaluate_next_item`): items are ordered
by score, and equal scores by the lower item index, so a ranking never depends on the sort
algorithm and a constant scorer recommends items 0, 1, 2, ... :func:`evaluate_sampled` follows its
papers instead: a tie with a sampled negative counts against the held-out item. A chapter whose
scorer ties by the thousand (popularity-like scores) asks :func:`next_item_ranks` for that second
rule by name, ``ties="against the target"``, so the item ids cannot decide its figures.

:func:`rank_metrics` turns ranks into one row of hit rate, NDCG and MRR per ranked target.

Introduced in chapter 02 (Evaluation); next-item ranks added in chapter 05.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_helpers import metrics as _metrics
from recsys_helpers.checks import check_item_sequences, check_targets
from recsys_helpers.metrics import evaluate_topk

__all__ = [
    "top_k_items",
    "evaluate_full_ranking",
    "per_user_metrics",
    "per_user_list_metrics",
    "evaluate_sampled",
    "exclusion_matrix",
    "sampled_ranks",
    "next_item_ranks",
    "rank_metrics",
    "evaluate_next_item",
]

DEFAULT_METRICS = ("precision", "recall", "hit_rate", "map", "mrr", "ndcg")
PER_USER_METRICS = ("ndcg", "recall", "hit_rate")
TIE_RULES = ("lower index first", "against the target")


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
    return _stable_top_k(scores, k)


def _stable_top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """``np.argsort(-scores, axis=1, kind="stable")[:, :k]`` without sorting whole rows.

    Each row keeps its items above its k-th largest score and, of the items equal to it, the
    lowest-indexed ones that complete k; only those k are then sorted (stably, in index order).
    """
    num_users, num_items = scores.shape
    if k == num_items:
        return np.argsort(-scores, axis=1, kind="stable").astype(np.int64)
    kth = -np.partition(-scores, k - 1, axis=1)[:, k - 1 : k]  # (num_users, 1)
    above = scores > kth
    chosen = above | (scores == kth)
    crowded = np.flatnonzero(chosen.sum(axis=1) > k)  # more items tied with the k-th than fit
    if crowded.size:
        tied = scores[crowded] == kth[crowded]
        needed = k - above[crowded].sum(axis=1, keepdims=True)
        chosen[crowded] = above[crowded] | (tied & (np.cumsum(tied, axis=1) <= needed))
    items = np.nonzero(chosen)[1].reshape(num_users, k)  # increasing item index per row
    order = np.argsort(-np.take_along_axis(scores, items, axis=1), axis=1, kind="stable")
    return np.take_along_axis(items, order, axis=1).astype(np.int64)


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


def _relevant_rows(test, num_rows: int) -> tuple[np.ndarray, list[set[int]]]:
    """Rows to evaluate and their relevant items, from a sparse matrix or one target per row."""
    if sp.issparse(test):
        if test.shape[0] != num_rows:
            raise ValueError(f"test has {test.shape[0]} rows, but there are {num_rows} ranked lists")
        test = sp.csr_matrix(test, copy=True)
        test.eliminate_zeros()
        rows = np.flatnonzero(np.diff(test.indptr))
        if rows.size == 0:
            raise ValueError("test has no non-zero entry: no user to evaluate")
        return rows, [set(test.indices[test.indptr[r]:test.indptr[r + 1]].tolist()) for r in rows]
    targets = np.asarray(test)
    if targets.ndim != 1 or targets.size != num_rows or not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(
            "test must be a sparse (num_users, num_items) matrix of held-out items or a 1-D integer array "
            f"with one target item per row ({num_rows}), got {type(test).__name__} of shape {targets.shape}"
        )
    return np.arange(num_rows), [{int(t)} for t in targets]


def per_user_list_metrics(lists, test, *, k: int, metrics: Sequence[str] = PER_USER_METRICS) -> pd.DataFrame:
    """Ranking metrics at ``k`` of ready-made ranked lists, one row per evaluated user.

    Parameters
    ----------
    lists : 2-D array of int (num_users, >= k) or sequence of sequences
        Row u is user u's list of item indices, best first, without duplicates.
    test : sparse matrix (num_users, num_items), or 1-D int array (num_users,)
        Held-out relevant items (non-zeros): only users with at least one are evaluated. Or one
        target item per row (next-item protocol): every row is evaluated.
    k : int, k >= 1
    metrics : names among ``precision``, ``recall``, ``hit_rate``, ``map``, ``mrr``, ``ndcg``
        Each is the :mod:`recsys_helpers.metrics` function of that name (``ndcg_at_k``, ...)
        applied to the user's list, so the column means equal :func:`evaluate_full_ranking`'s.

    Returns
    -------
    DataFrame
        Column ``user`` (row index into ``lists``, increasing) and one float column per metric,
        in [0, 1], one row per evaluated user.

    Raises
    ------
    ValueError
        Unknown metric, ``test`` of the wrong shape or without any relevant item, a list with a
        duplicate item, k < 1.

    Examples
    --------
    >>> per_user_list_metrics([[2, 0], [1, 2]], np.array([0, 2]), k=2, metrics=["hit_rate", "mrr"])
       user  hit_rate  mrr
    0     0       1.0  0.5
    1     1       1.0  0.5

    Introduced in issue 16 (chapters 12 and 14 re-rank lists before scoring them).
    """
    unknown = [m for m in metrics if m not in _metrics._PER_LIST]
    if unknown or not metrics:
        raise ValueError(f"unknown metric(s) {unknown}; choose from {list(_metrics._PER_LIST)}")
    rows, relevant = _relevant_rows(test, len(lists))
    columns = {"user": rows}
    for name in metrics:
        metric = _metrics._PER_LIST[name]
        columns[name] = np.array([metric(np.asarray(lists[r]).tolist(), rel, k) for r, rel in zip(rows, relevant)])
    return pd.DataFrame(columns)


def per_user_metrics(
    scores: np.ndarray, test, *, k: int, exclude, metrics: Sequence[str] = PER_USER_METRICS
) -> pd.DataFrame:
    """Full-ranking metrics at ``k``, one row per user with a held-out item.

    Candidate policy (``exclude``, required so that every call states it): each user's ranking
    holds every item except the non-zeros of ``exclude`` (typically the training interactions);
    ``exclude=None`` ranks all items. Tie rule: equal scores go to the lower item index, as in
    :func:`top_k_items`.

    Parameters
    ----------
    scores : array of shape (num_users, num_items), no NaN
    test : sparse matrix (num_users, num_items) or 1-D int array (num_users,)
        As in :func:`per_user_list_metrics`.
    k : int, 1 <= k <= num_items
    exclude : None, sparse or dense (num_users, num_items) matrix, or one item collection per user
        Items never recommended (see :func:`exclusion_matrix`).
    metrics : names as in :func:`per_user_list_metrics`, default ``("ndcg", "recall", "hit_rate")``

    Returns
    -------
    DataFrame
        Column ``user`` (row of ``scores``) and one float column per metric in [0, 1]; the mean
        of a column equals :func:`evaluate_full_ranking`'s value for a sparse ``test``.

    Raises
    ------
    ValueError
        As :func:`top_k_items` and :func:`per_user_list_metrics`.

    Examples
    --------
    >>> scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.8]])
    >>> test = sp.csr_matrix([[1, 0, 1], [1, 0, 0]])
    >>> per_user_metrics(scores, test, k=1, exclude=sp.csr_matrix([[0, 1, 0], [0, 0, 1]]))
       user  ndcg  recall  hit_rate
    0     0   1.0     0.5       1.0
    1     1   1.0     1.0       1.0

    Introduced in issue 16 (replaces the chapters' own ``per_user_ndcg``).
    """
    scores = _check_scores(scores)
    top = top_k_items(scores, k, exclude=exclusion_matrix(exclude, scores.shape))
    return per_user_list_metrics(top, test, k=k, metrics=metrics)


def sampled_ranks(
    scores: np.ndarray,
    train: sp.spmatrix,
    test: sp.spmatrix,
    *,
    num_negatives: int = 100,
    seed: int = 0,
) -> pd.DataFrame:
    """Rank of each held-out (user, item) pair among ``num_negatives`` random unseen items.

    The candidates of :func:`evaluate_sampled`, one row per pair: for each user with a test item
    (in increasing user order), ``num_negatives`` items absent from both ``train`` and ``test`` are
    drawn without replacement from ``numpy.random.default_rng(seed)``, and each of the user's test
    items is ranked among them. A tie with a negative counts against the test item.

    Parameters
    ----------
    scores : array of shape (num_users, num_items)
    train, test : sparse matrices of shape (num_users, num_items)
    num_negatives : int, default 100
    seed : int, default 0

    Returns
    -------
    DataFrame
        Columns ``user``, ``item`` and ``rank`` (int, 1 = best, in ``1..num_negatives + 1``),
        one row per non-zero of ``test``.

    Raises
    ------
    ValueError
        ``num_negatives < 1``, ``test`` without a non-zero, or a user with fewer unseen items than
        ``num_negatives``.

    Introduced in chapter 02 (Evaluation): its per-user interval of sampled NDCG.
    """
    scores = _check_scores(scores)
    train = _check_matrix("train", train, scores.shape)
    test = _check_matrix("test", test, scores.shape)
    if num_negatives < 1:
        raise ValueError(f"num_negatives must be >= 1, got {num_negatives}")
    if test.nnz == 0:
        raise ValueError("test has no non-zero entry: no (user, item) pair to rank")
    rng = np.random.default_rng(seed)
    seen = (train + test) != 0
    users, items, ranks = [], [], []
    for user in np.flatnonzero(np.diff(test.indptr)):
        unseen = np.flatnonzero(~seen[user].toarray().ravel())
        if unseen.size < num_negatives:
            raise ValueError(f"user row {user} has only {unseen.size} unseen items, fewer than num_negatives")
        negatives = rng.choice(unseen, size=num_negatives, replace=False)
        positives = test.indices[test.indptr[user]:test.indptr[user + 1]]
        above = scores[user, negatives][None, :] >= scores[user, positives][:, None]
        users.append(np.full(positives.size, user))
        items.append(positives)
        ranks.append(1 + above.sum(axis=1))
    return pd.DataFrame({"user": np.concatenate(users), "item": np.concatenate(items), "rank": np.concatenate(ranks)})


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
        ``hit_rate`` and ``ndcg`` averaged over all (user, test item) pairs of
        :func:`sampled_ranks`, and ``num_pairs``. With one relevant item among the candidates,
        NDCG@k = 1 / log2(rank + 1) when the rank is at most k.

    Introduced in chapter 02 (Evaluation).
    """
    if num_negatives >= 1 and not 1 <= k <= num_negatives + 1:
        raise ValueError(f"k must be in [1, num_negatives + 1 = {num_negatives + 1}], got {k}")
    pairs = rank_metrics(sampled_ranks(scores, train, test, num_negatives=num_negatives, seed=seed)["rank"], k)
    return {
        "hit_rate": float(pairs["hit_rate"].to_numpy().mean()),
        "ndcg": float(pairs["ndcg"].to_numpy().mean()),
        "num_pairs": len(pairs),
    }


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


def next_item_ranks(scores, targets, *, exclude=None, ties: str = "lower index first") -> np.ndarray:
    """Rank (1 = best) of each sequence's target item among all items, with excluded items removed.

    Tie policy, by default the same as :func:`top_k_items` and :func:`evaluate_full_ranking`:
    higher score first, and among equal scores the lower item index first. So a target tied with
    items of lower index ranks behind them, one tied with items of higher index ahead of them, and
    ``rank <= k`` exactly when the target is in ``top_k_items(scores, k, exclude=...)``.
    ``ties="against the target"`` (the rule of :func:`evaluate_sampled`) ranks the target behind
    every item with an equal score, whatever its index: for scorers whose ties are common.

    >>> next_item_ranks([[0.5, 0.5, 0.5, 0.9]], [2]).tolist()  # behind item 3 and tied items 0, 1
    [4.0]
    >>> next_item_ranks([[0.5, 0.5, 0.5, 0.9]], [0], ties="against the target").tolist()
    [4.0]

    Parameters
    ----------
    scores : array of shape (num_sequences, num_items), no NaN
    targets : array of int of shape (num_sequences,), item indices in ``0..num_items-1``
    exclude : optional
        Items that cannot be recommended (typically those already in the history): a sparse or
        dense (num_sequences, num_items) matrix whose non-zeros are excluded, or one collection of
        item indices per sequence (the history lists themselves work).
    ties : {"lower index first", "against the target"}

    Returns
    -------
    ndarray of float64, shape (num_sequences,)
        Ranks in ``1..num_items``; ``inf`` where the target itself is excluded (it can never be
        recommended, so it counts as a miss at every cut-off).

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    if ties not in TIE_RULES:
        raise ValueError(f"ties must be one of {TIE_RULES}, got {ties!r}")
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
    if ties == "against the target":
        tied_before = (scores == target_scores).sum(axis=1) - 1  # every tied item but the target
    else:
        tied_before = ((scores == target_scores) & (np.arange(num_items)[None, :] < targets[:, None])).sum(axis=1)
    ranks = (1 + better + tied_before).astype(np.float64)
    ranks[target_excluded] = np.inf
    return ranks


def rank_metrics(ranks, k: int) -> pd.DataFrame:
    """Hit rate, NDCG and MRR at ``k`` of each ranked target, one row per rank.

    With one relevant item at rank r: HR@k = [r <= k], NDCG@k = 1 / log2(r + 1) if r <= k else 0
    (the ideal DCG is 1), MRR@k = 1 / r if r <= k else 0.

    Parameters
    ----------
    ranks : 1-D array of shape (n,), values in ``1..`` or ``inf`` (a target never recommended)
        For example :func:`next_item_ranks` or the ``rank`` column of :func:`sampled_ranks`.
    k : int, k >= 1

    Returns
    -------
    DataFrame
        Float columns ``hit_rate``, ``ndcg``, ``mrr`` in [0, 1], one row per rank, in order.

    Raises
    ------
    ValueError
        ``ranks`` not 1-D, NaN or below 1; ``k`` not a positive integer.

    Examples
    --------
    >>> rank_metrics([1, 3, np.inf], k=2)
       hit_rate  ndcg  mrr
    0       1.0   1.0  1.0
    1       0.0   0.0  0.0
    2       0.0   0.0  0.0

    Introduced in issue 16 (the chapters' own rank-to-NDCG lines).
    """
    ranks = np.asarray(ranks, dtype=np.float64)
    if ranks.ndim != 1:
        raise ValueError(f"ranks must be 1-D, got shape {ranks.shape}")
    if np.isnan(ranks).any() or (ranks < 1).any():
        raise ValueError("ranks must be numbers >= 1 (inf for a target never recommended)")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer, got {k!r}")
    hit = ranks <= k
    return pd.DataFrame(
        {
            "hit_rate": hit.astype(np.float64),
            "ndcg": np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0),
            "mrr": np.where(hit, 1.0 / ranks, 0.0),
        }
    )


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
    per_target = rank_metrics(ranks, k)
    return {name: float(per_target[name].to_numpy().mean()) for name in ("hit_rate", "ndcg", "mrr")} | {
        "num_sequences": int(ranks.size)
    }
