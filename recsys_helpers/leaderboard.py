"""The Microsoft Recommenders MovieLens-100k benchmark, reproduced on its own protocol.

Their benchmark (``examples/06_benchmarks/movielens.ipynb`` in microsoft/recommenders, table in
that repository's README) loads ``u.data`` in file order, splits it with
``python_stratified_split(filter_by="item", ratio=0.75, seed=42)`` (reproduced by
:func:`recsys_helpers.split.stratified_split`), recommends the top 10 of the items known from
training with each user's training items removed, and scores with their ranking metrics. This
module holds the three pieces that are specific to that protocol:

* :func:`benchmark_splits`: their split of the ratings in the row order of ``u.data``
  (:func:`recsys_helpers.data.load_ratings_file_order`; the course's
  :func:`recsys_helpers.data.load_movielens_100k` sorts by time, which gives another split);
* :func:`top_k_known_items`: top-``k`` lists restricted to items that occur in training;
* :func:`ranking_metrics`: per-user NDCG, precision, recall and average precision defined as
  their ``python_evaluation`` module defines them (binary relevance: every test rating counts;
  averages over the users that have test items; a user without a hit scores 0).

:data:`PUBLISHED_ML100K` is their published table (MovieLens-100k, k = 10, 15 epochs).

Introduced in chapter 09 (Hyperparameter tuning).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_helpers.data.movielens import load_ratings_file_order
from recsys_helpers.evaluation import top_k_items

__all__ = [
    "PUBLISHED_ML100K", "benchmark_splits", "to_matrix",
    "top_k_known_items", "ranking_metrics",
]

#: Microsoft Recommenders' README, "Algorithm Comparison" (MovieLens-100k, top 10; P100 GPU for
#: the deep models). ``map`` divides by all of a user's test items (see :func:`ranking_metrics`).
PUBLISHED_ML100K: dict[str, dict[str, float]] = {
    "ALS": {"map": 0.004732, "ndcg": 0.044239, "precision": 0.048462, "recall": 0.017796},
    "BiVAE": {"map": 0.146126, "ndcg": 0.475077, "precision": 0.411771, "recall": 0.219145},
    "BPR": {"map": 0.132478, "ndcg": 0.441997, "precision": 0.388229, "recall": 0.212522},
    "FastAI": {"map": 0.025503, "ndcg": 0.147866, "precision": 0.130329, "recall": 0.053824},
    "LightGCN": {"map": 0.088526, "ndcg": 0.419846, "precision": 0.379626, "recall": 0.144336},
    "NCF": {"map": 0.107720, "ndcg": 0.396118, "precision": 0.347296, "recall": 0.180775},
    "SAR": {"map": 0.110591, "ndcg": 0.382461, "precision": 0.330753, "recall": 0.176385},
    "SVD": {"map": 0.012873, "ndcg": 0.095930, "precision": 0.091198, "recall": 0.032783},
}


def benchmark_splits(ratings: pd.DataFrame | None = None, *, seed: int = 42,
                     validation_seed: int = 42) -> dict[str, pd.DataFrame]:
    """Their train/test split, and a validation split carved from their training part.

    ``train``/``test``: :func:`recsys_helpers.split.stratified_split` by item, 75/25, ``seed``, on
    the ratings in file order. ``fit``/``validation``: the same splitter applied to ``train`` with
    ``validation_seed``, so settings can be chosen without looking at ``test``.

    Returns
    -------
    dict of DataFrames: ``ratings``, ``train``, ``test``, ``fit``, ``validation``.
    """
    from recsys_helpers.split import stratified_split

    ratings = load_ratings_file_order() if ratings is None else ratings
    train, test = stratified_split(ratings, train_fraction=0.75, stratify_by="item_id", seed=seed)
    fit, validation = stratified_split(train, train_fraction=0.75, stratify_by="item_id",
                                       seed=validation_seed)
    return {"ratings": ratings, "train": train, "test": test, "fit": fit, "validation": validation}


def to_matrix(frame: pd.DataFrame, *, num_users: int = 943, num_items: int = 1682) -> sp.csr_matrix:
    """Binary (num_users, num_items) CSR matrix of a ratings frame; 1-based ids become 0-based rows
    and columns (every rating counts as an interaction, as in their ranking evaluation)."""
    users = frame["user_id"].to_numpy() - 1
    items = frame["item_id"].to_numpy() - 1
    matrix = sp.csr_matrix((np.ones(users.size), (users, items)), shape=(num_users, num_items))
    matrix.data[:] = 1.0
    return matrix


def top_k_known_items(scores: np.ndarray, train: sp.spmatrix, k: int = 10) -> np.ndarray:
    """Top-``k`` item indices per user among items with a training interaction, seen ones removed.

    :func:`recsys_helpers.evaluation.top_k_items` with every seen item and every item that no one
    saw in training excluded.

    Parameters
    ----------
    scores : array of shape (num_users, num_items)
    train : sparse matrix of the same shape; its non-zero entries are removed from each user's
        ranking, and items without any non-zero entry are never recommended.
    k : int, default 10

    Returns
    -------
    ndarray of int64, shape (num_users, k), best first; ties go to the lower item index.

    Raises
    ------
    ValueError
        Shapes differ, or a user has fewer than ``k`` known items left (from ``top_k_items``).
    """
    train = sp.csr_matrix(train)
    if np.shape(scores) != train.shape:
        raise ValueError(f"scores {np.shape(scores)} and train {train.shape} differ in shape")
    excluded = train.toarray() != 0
    excluded[:, train.getnnz(axis=0) == 0] = True
    return top_k_items(scores, k, exclude=sp.csr_matrix(excluded))


def ranking_metrics(top_items: np.ndarray, test: sp.spmatrix, *, k: int = 10) -> pd.DataFrame:
    """Per-user ranking metrics as Microsoft Recommenders' ``python_evaluation`` defines them.

    For each user with at least one test item (``n`` of them, ``hits`` in the top ``k``):

    * ``precision`` = hits / k; ``recall`` = hits / n;
    * ``ndcg``: binary gains, DCG = Σ 1/log(1 + rank) over hits, divided by the DCG of a list with
      min(n, k) hits on top (the log base cancels);
    * ``map`` = Σ over hits of (hits so far / rank), divided by n (all test items: the definition
      behind their published MAP column); ``map_min`` divides by min(n, k) instead (what their
      later ``map_at_k`` computes).

    A user without a hit scores 0 on all five. The means over these users are the published numbers.

    Parameters
    ----------
    top_items : int array of shape (num_users, >= k), best first
    test : sparse matrix of shape (num_users, num_items); non-zero = relevant
    k : int, default 10

    Returns
    -------
    DataFrame indexed by user index (users with test items only), columns ``ndcg``, ``precision``,
    ``recall``, ``map``, ``map_min``, values in [0, 1].
    """
    test = sp.csr_matrix(test)
    top_items = np.asarray(top_items)[:, :k]
    users = np.flatnonzero(np.diff(test.indptr))
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    rows = []
    for user in users:
        relevant = set(test.indices[test.indptr[user]:test.indptr[user + 1]].tolist())
        hit = np.array([item in relevant for item in top_items[user]], dtype=float)
        n = len(relevant)
        found = np.cumsum(hit)
        ideal = discounts[: min(n, k)].sum()
        precision_at_hits = (found / np.arange(1, k + 1) * hit).sum()
        rows.append((hit @ discounts / ideal, hit.sum() / k, hit.sum() / n,
                     precision_at_hits / n, precision_at_hits / min(n, k)))
    return pd.DataFrame(rows, index=pd.Index(users, name="user"),
                        columns=["ndcg", "precision", "recall", "map", "map_min"])
