"""EASE: a linear item-item autoencoder with a closed-form solution (Steck, 2019).

EASE learns an item-item weight matrix B by ridge regression of every item column of X on all the
others, with the constraint diag(B) = 0 so that an item cannot predict itself:

    minimize ||X - X B||_F^2 + l2 * ||B||_F^2   subject to   diag(B) = 0.

The Lagrangian gives the solution in one matrix inverse: with P = (XᵀX + l2 I)⁻¹,
B_ij = -P_ij / P_jj for i != j and B_jj = 0, that is B = I - P / diag(P) (column j divided by
P_jj). A user's scores are their row of X times B. There is no training loop and no randomness.

Introduced in chapter 04 (Embeddings and neural collaborative filtering), as the strong non-neural baseline.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg

from recsys_helpers.base import Recommender, check_interactions
from recsys_helpers.checks import check_positive_float

__all__ = ["EASE"]


class EASE(Recommender):
    """Embarrassingly Shallow Autoencoder (Steck, 2019), closed form.

    Parameters
    ----------
    l2 : float, > 0, default 100
        L2 penalty λ added to the diagonal of the Gram matrix XᵀX. Steck uses a few hundred on
        MovieLens-20M; smaller datasets usually want a smaller value. Larger values shrink B
        towards zero and towards popularity.

    Attributes
    ----------
    train_ : csr_matrix of shape (num_users, num_items)
    weights_ : ndarray of shape (num_items, num_items)
        B, with an exactly zero diagonal.

    Memory and time grow as num_items² and num_items³: fine for MovieLens-100k (1,682 items).

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    def __init__(self, l2: float = 100.0):
        self.l2 = check_positive_float("l2", l2)

    def fit(self, interactions) -> "EASE":
        self.train_ = check_interactions(interactions)
        gram = (self.train_.T @ self.train_).toarray()
        gram[np.diag_indices_from(gram)] += self.l2
        # The Gram matrix plus l2 I is symmetric positive definite: invert via Cholesky.
        factor = scipy.linalg.cho_factor(gram)
        precision = scipy.linalg.cho_solve(factor, np.eye(gram.shape[0]))
        weights = -precision / np.diag(precision)[np.newaxis, :]
        np.fill_diagonal(weights, 0.0)
        self.weights_ = weights
        return self

    def score(self, users=None) -> np.ndarray:
        users = self._users(users)
        return np.asarray(self.train_[users] @ self.weights_)
