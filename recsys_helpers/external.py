"""Run models from established libraries (cornac, implicit) on the course's matrices.

Each library has its own data format and scoring call. These adapters take the course's
``(num_users, num_items)`` training matrix, fit the library's model on it, time only the fit, and
return a dense score matrix in the course's user and item order, so that one evaluation function
(:func:`recsys_helpers.evaluation.evaluate_full_ranking`) scores every library the same way.

The libraries are imported when an adapter is first called, so importing this module costs nothing.

Introduced in appendix A (Tools and frameworks).
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import scipy.sparse as sp

from recsys_helpers.base import check_interactions

__all__ = ["FitResult", "cornac_dataset", "fit_cornac", "fit_implicit"]


class FitResult(tuple):
    """``(scores, fit_seconds)``: dense scores of shape (num_users, num_items), float64."""

    __slots__ = ()

    def __new__(cls, scores: np.ndarray, fit_seconds: float):
        return super().__new__(cls, (scores, fit_seconds))

    @property
    def scores(self) -> np.ndarray:
        return self[0]

    @property
    def fit_seconds(self) -> float:
        return self[1]


def cornac_dataset(train, *, seed: int = 0):
    """A ``cornac.data.Dataset`` holding the non-zero cells of ``train`` as (user, item, 1.0).

    Raw ids are the course's integer indices written as strings; cornac numbers users and items
    in order of first appearance, so its ``uid_map`` / ``iid_map`` translate back.

    Parameters
    ----------
    train : sparse or dense matrix of shape (num_users, num_items); non-zero cells are positives.
    seed : int, default 0
    """
    import cornac

    matrix = check_interactions(train).tocoo()
    triples = [(str(u), str(i), 1.0) for u, i in zip(matrix.row.tolist(), matrix.col.tolist())]
    return cornac.data.Dataset.from_uir(triples, seed=seed)


def fit_cornac(model, train, *, seed: int = 0) -> FitResult:
    """Fit a cornac recommender on ``train`` and score every (user, item) pair.

    Users and items with no training interaction are unknown to cornac; their cells get the
    lowest finite score of the matrix minus one, so they rank last (the course's models give
    such items a score too, and evaluation removes seen items separately).

    Returns
    -------
    FitResult
        ``scores`` of shape ``train.shape`` (float64) and ``fit_seconds`` (the ``fit`` call only).
    """
    matrix = check_interactions(train)
    dataset = cornac_dataset(matrix, seed=seed)
    start = time.perf_counter()
    model.fit(dataset)
    seconds = time.perf_counter() - start
    num_users, num_items = matrix.shape
    users = [u for u in range(num_users) if str(u) in dataset.uid_map]
    items = np.array([i for i in range(num_items) if str(i) in dataset.iid_map])
    columns = np.array([dataset.iid_map[str(i)] for i in items])
    scores = np.full((num_users, num_items), np.nan)
    for user in users:
        row = np.asarray(model.score(int(dataset.uid_map[str(user)])), dtype=np.float64).ravel()
        scores[user, items] = row[columns]
    floor = np.nanmin(scores) - 1.0 if np.isfinite(scores).any() else 0.0
    return FitResult(np.nan_to_num(scores, nan=floor), seconds)


def fit_implicit(model, train) -> FitResult:
    """Fit an ``implicit`` model on ``train`` (user x item CSR, float32) and score every pair.

    Factor models score with ``user_factors @ item_factors.T``; item-item neighbourhood models
    with ``train @ similarity``. Progress bars are switched off, and so is the warning implicit's
    item-item models raise about a COO matrix they build themselves from the CSR input.

    Returns
    -------
    FitResult
        ``scores`` of shape ``train.shape`` (float64) and ``fit_seconds`` (the ``fit`` call only).
    """
    matrix = sp.csr_matrix(check_interactions(train), dtype=np.float32)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Method expects CSR input")
        start = time.perf_counter()
        model.fit(matrix, show_progress=False)
        seconds = time.perf_counter() - start
    if hasattr(model, "similarity"):
        scores = sp.csr_matrix(matrix @ sp.csr_matrix(model.similarity)).toarray()
    else:
        user_factors = np.asarray(model.user_factors)
        item_factors = np.asarray(model.item_factors)
        scores = user_factors @ item_factors.T
    return FitResult(np.asarray(scores, dtype=np.float64), seconds)
