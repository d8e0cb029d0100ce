"""Training pairs and negative sampling for implicit feedback, shared by the PyTorch models and
their Keras twins (NumPy only, so importing it never imports a deep-learning framework).

- :func:`positive_pairs` lists the observed (user, item, value) entries of a matrix.
- :class:`NegativeSampler` / :func:`sample_negatives` draw, for each user, items the user has not
  interacted with, uniformly, by vectorized rejection sampling.

Introduced in chapter 04 (Embeddings and neural collaborative filtering); chapter 08 measures
what uniform negatives do to popular items.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recsys_helpers.base import check_interactions
from recsys_helpers.checks import check_positive_int

__all__ = ["positive_pairs", "NegativeSampler", "sample_negatives"]


def positive_pairs(train: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Users (int64), items (int64) and values (float32) of the non-zero entries of ``train``."""
    coo = sp.coo_matrix(train)
    keep = coo.data != 0
    return coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64), coo.data[keep].astype(np.float32)


class NegativeSampler:
    """Draw items a user has not interacted with, uniformly, by vectorized rejection sampling.

    Every stored non-zero entry of ``train`` counts as an interaction. Candidates are drawn for all
    requested users at once; the ones that hit an interacted item are redrawn, again all at once,
    until none is left. Membership is a lookup in a dense boolean matrix when it is small (at most
    ``DENSE_LIMIT`` cells; MovieLens-100k needs 1.6 MB) and otherwise a binary search of
    ``user * num_items + item`` in the sorted keys of the training entries. A user with almost every item seen
    would make rejection slow; after ``max_rounds`` rounds the remaining draws are made exactly from
    the complement of the user's items.

    Parameters
    ----------
    train : sparse matrix of shape (num_users, num_items)
    max_rounds : int, default 50

    Raises
    ------
    ValueError
        Invalid ``train``; at sampling time, a user who has interacted with every item.

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    #: Largest user x item matrix kept as a dense boolean array for fast membership tests.
    DENSE_LIMIT = 1 << 26

    def __init__(self, train, *, max_rounds: int = 50):
        matrix = check_interactions(train).copy()
        matrix.eliminate_zeros()
        matrix.sort_indices()
        self.num_users, self.num_items = matrix.shape
        self.max_rounds = check_positive_int("max_rounds", max_rounds)
        self._matrix = matrix
        self._counts = np.diff(matrix.indptr)
        rows = np.repeat(np.arange(self.num_users, dtype=np.int64), self._counts)
        # Rows ascend and columns are sorted within each row, so the keys are already sorted.
        self._keys = rows * self.num_items + matrix.indices.astype(np.int64)
        small = self.num_users * self.num_items <= self.DENSE_LIMIT
        self._dense = matrix.toarray().astype(bool) if small else None

    def seen(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Boolean array: has ``users[n]`` interacted with ``items[n]`` (same shapes)?"""
        if self._dense is not None:
            return self._dense[np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)]
        keys = np.asarray(users, dtype=np.int64) * self.num_items + np.asarray(items, dtype=np.int64)
        if self._keys.size == 0:
            return np.zeros(keys.shape, dtype=bool)
        position = np.minimum(np.searchsorted(self._keys, keys), self._keys.size - 1)
        return self._keys[position] == keys

    def __call__(self, users, rng: np.random.Generator, num_negatives: int | None = None) -> np.ndarray:
        """Negative items for ``users``.

        Parameters
        ----------
        users : array of int, shape (n,)
            User indices in [0, num_users); repeats are allowed.
        rng : numpy.random.Generator
        num_negatives : int, optional
            None: one item per user, shape (n,). Otherwise shape (n, num_negatives), drawn with
            replacement.

        Returns
        -------
        ndarray of int64, item indices in [0, num_items) the user has not interacted with
        """
        users = np.asarray(users, dtype=np.int64).ravel()
        if users.size and (users.min() < 0 or users.max() >= self.num_users):
            raise ValueError(f"user indices must be in [0, {self.num_users}), got min {users.min()} max {users.max()}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        full = self._counts[users] >= self.num_items
        if full.any():
            raise ValueError(f"user {users[full][0]} has interacted with every item: no negative to sample")
        repeat = 1 if num_negatives is None else check_positive_int("num_negatives", num_negatives)
        flat_users = np.repeat(users, repeat)
        items = rng.integers(0, self.num_items, size=flat_users.size)
        redo = np.flatnonzero(self.seen(flat_users, items))
        for _ in range(self.max_rounds):
            if redo.size == 0:
                break
            items[redo] = rng.integers(0, self.num_items, size=redo.size)
            redo = redo[self.seen(flat_users[redo], items[redo])]
        for position in redo:  # rare: users who have seen nearly everything
            user = flat_users[position]
            row = self._matrix.indices[self._matrix.indptr[user]:self._matrix.indptr[user + 1]]
            items[position] = rng.choice(np.setdiff1d(np.arange(self.num_items), row))
        return items if num_negatives is None else items.reshape(users.size, repeat)


def sample_negatives(train, users, rng: np.random.Generator, num_negatives: int | None = None) -> np.ndarray:
    """One-off version of :class:`NegativeSampler`: items each user in ``users`` has not seen.

    Parameters
    ----------
    train : sparse matrix of shape (num_users, num_items)
        Non-zero entries are interactions.
    users : array of int, shape (n,)
    rng : numpy.random.Generator
    num_negatives : int, optional
        None: shape (n,); otherwise shape (n, num_negatives).

    Returns
    -------
    ndarray of int64 item indices, never an item the user interacted with in ``train``.

    Build a :class:`NegativeSampler` once when sampling repeatedly (every mini-batch), since
    this function re-indexes ``train`` on each call.

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """
    return NegativeSampler(train)(users, rng, num_negatives)
