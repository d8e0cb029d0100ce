"""The one interface every recommender in the course shares: ``fit``, ``score``, ``recommend``.

Introduced in chapter 01 (Recommender systems basics); the models of later chapters implement it too.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np
import scipy.sparse as sp

from recsys_helpers.evaluation import top_k_items

__all__ = ["Recommender", "check_interactions"]


def check_interactions(interactions) -> sp.csr_matrix:
    """Validate a user-item matrix and return it as float64 CSR.

    Parameters
    ----------
    interactions : sparse matrix or array of shape (num_users, num_items)
        Non-negative values: 1 for implicit feedback, or ratings.

    Raises
    ------
    ValueError
        Not two-dimensional, empty, negative or NaN entries.

    Introduced in chapter 01 (Recommender systems basics).
    """
    matrix = sp.csr_matrix(interactions, dtype=np.float64, copy=True)
    matrix.eliminate_zeros()  # an explicitly stored 0 is not an interaction
    if matrix.ndim != 2 or 0 in matrix.shape:
        raise ValueError(f"interactions must be a non-empty (num_users, num_items) matrix, got shape {matrix.shape}")
    if np.isnan(matrix.data).any():
        raise ValueError("interactions contain NaN")
    if (matrix.data < 0).any():
        raise ValueError("interactions must be non-negative (1 for implicit feedback, or ratings)")
    return matrix


class Recommender(ABC):
    """Base class: subclasses implement :meth:`fit` and :meth:`score`.

    Users and items are the contiguous indices of :func:`recsys_helpers.preprocessing.encode_interactions`.

    Introduced in chapter 01 (Recommender systems basics).
    """

    train_: sp.csr_matrix

    @abstractmethod
    def fit(self, interactions) -> "Recommender":
        """Learn from a (num_users, num_items) interaction matrix; return ``self``."""

    @abstractmethod
    def score(self, users=None) -> np.ndarray:
        """Scores of shape (len(users), num_items), higher = better; all users when ``users`` is None."""

    def _users(self, users) -> np.ndarray:
        if not hasattr(self, "train_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(interactions) first")
        num_users = self.train_.shape[0]
        users = np.arange(num_users) if users is None else np.asarray(users, dtype=np.int64).ravel()
        if users.size and (users.min() < 0 or users.max() >= num_users):
            raise ValueError(f"user indices must be in [0, {num_users}), got min {users.min()} max {users.max()}")
        return users

    def recommend(self, users=None, k: int = 10, *, exclude_seen: bool = True) -> np.ndarray:
        """Top-``k`` item indices per user, best first, shape (len(users), k).

        With ``exclude_seen`` the items a user interacted with in the training data are left out.
        """
        users = self._users(users)
        exclude = self.train_[users] if exclude_seen else None
        return top_k_items(self.score(users), k, exclude=exclude)
