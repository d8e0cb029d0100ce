"""Classic baselines: popularity, item-kNN, user-kNN and content-based TF-IDF.

Every class follows :class:`recsys_helpers.base.Recommender`: ``fit`` a (num_users, num_items)
interaction matrix, ``score`` users against all items, ``recommend`` the top k unseen items.

Introduced in chapter 01 (Recommender systems basics); evaluated in chapter 02.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from recsys_helpers.base import Recommender, check_interactions

__all__ = ["PopularityRecommender", "ItemKNN", "UserKNN", "TfidfContentRecommender", "cosine_similarity_matrix"]

SIMILARITIES = ("cosine", "pearson")


def _centered_rows(matrix: sp.csr_matrix) -> sp.csr_matrix:
    """Subtract each row's mean over its stored entries (for Pearson correlation)."""
    counts = np.diff(matrix.indptr)
    means = np.divide(np.asarray(matrix.sum(axis=1)).ravel(), counts, out=np.zeros(matrix.shape[0]), where=counts > 0)
    centered = matrix.copy()
    centered.data = centered.data - np.repeat(means, counts)
    return centered


def cosine_similarity_matrix(vectors, *, num_neighbors: int | None = None, shrink: float = 0.0) -> np.ndarray:
    """Cosine similarity between the rows of ``vectors``, with the diagonal set to zero.

    Parameters
    ----------
    vectors : sparse matrix or array of shape (n, d)
    num_neighbors : int, optional
        Keep only the ``num_neighbors`` largest similarities in each row (the neighbourhood).
    shrink : float, default 0
        Shrinkage: ``sim * overlap / (overlap + shrink)`` with ``overlap`` the number of
        co-occurring non-zero dimensions; damps similarities built on few common ratings.

    Returns
    -------
    ndarray of shape (n, n), values in [-1, 1]

    Introduced in chapter 01 (Recommender systems basics).
    """
    if shrink < 0:
        raise ValueError(f"shrink must be >= 0, got {shrink}")
    vectors = sp.csr_matrix(vectors, dtype=np.float64)
    unit = normalize(vectors, norm="l2", axis=1)
    similarity = (unit @ unit.T).toarray()
    if shrink > 0:
        support = (vectors != 0).astype(np.float64)
        overlap = (support @ support.T).toarray()
        similarity *= overlap / (overlap + shrink)
    np.fill_diagonal(similarity, 0.0)
    if num_neighbors is not None:
        if not 1 <= num_neighbors <= similarity.shape[0]:
            raise ValueError(f"num_neighbors must be in [1, {similarity.shape[0]}], got {num_neighbors}")
        # zero everything below each row's num_neighbors-th largest value
        cut = np.argpartition(-similarity, num_neighbors - 1, axis=1)[:, num_neighbors:]
        np.put_along_axis(similarity, cut, 0.0, axis=1)
    return similarity


class PopularityRecommender(Recommender):
    """Recommend the items with the most interactions in the training data to everyone.

    Introduced in chapter 01 (Recommender systems basics).
    """

    def fit(self, interactions) -> "PopularityRecommender":
        self.train_ = check_interactions(interactions)
        self.item_counts_ = np.diff(self.train_.tocsc().indptr).astype(np.float64)
        return self

    def score(self, users=None) -> np.ndarray:
        users = self._users(users)
        return np.tile(self.item_counts_, (users.size, 1))


class _NeighbourhoodModel(Recommender):
    def __init__(self, *, num_neighbors: int = 50, similarity: str = "cosine", shrink: float = 0.0):
        if similarity not in SIMILARITIES:
            raise ValueError(f"similarity must be one of {SIMILARITIES}, got {similarity!r}")
        self.num_neighbors = num_neighbors
        self.similarity = similarity
        self.shrink = shrink

    def _vectors(self, matrix: sp.csr_matrix) -> sp.csr_matrix:
        return _centered_rows(matrix) if self.similarity == "pearson" else matrix


class ItemKNN(_NeighbourhoodModel):
    """Item-based collaborative filtering: score(u, i) = sum over j in u's items of sim(i, j) * r_uj.

    Similarity is cosine between item columns, or Pearson (cosine after subtracting each item's
    mean rating). Only each item's ``num_neighbors`` most similar items are kept.

    Introduced in chapter 01 (Recommender systems basics).
    """

    def fit(self, interactions) -> "ItemKNN":
        self.train_ = check_interactions(interactions)
        num_neighbors = min(self.num_neighbors, self.train_.shape[1])
        items = self._vectors(self.train_.T.tocsr())
        self.similarity_ = cosine_similarity_matrix(items, num_neighbors=num_neighbors, shrink=self.shrink)
        return self

    def score(self, users=None) -> np.ndarray:
        users = self._users(users)
        return np.asarray(self.train_[users] @ self.similarity_.T)


class UserKNN(_NeighbourhoodModel):
    """User-based collaborative filtering: score(u, i) = sum over similar users v of sim(u, v) * r_vi.

    Similarity is cosine between user rows, or Pearson (cosine after subtracting each user's mean
    rating). Only each user's ``num_neighbors`` most similar users are kept.

    Introduced in chapter 01 (Recommender systems basics).
    """

    def fit(self, interactions) -> "UserKNN":
        self.train_ = check_interactions(interactions)
        num_neighbors = min(self.num_neighbors, self.train_.shape[0])
        users = self._vectors(self.train_)
        self.similarity_ = cosine_similarity_matrix(users, num_neighbors=num_neighbors, shrink=self.shrink)
        return self

    def score(self, users=None) -> np.ndarray:
        users = self._users(users)
        return np.asarray(self.train_.T @ self.similarity_[users].T).T


class TfidfContentRecommender(Recommender):
    """Content-based filtering over item text with TF-IDF.

    Each item is a TF-IDF vector of its text (for MovieLens: title words and genres). A user's
    profile is the interaction-weighted mean of the vectors of the items they interacted with; the
    score of an item is its cosine similarity to that profile.

    Parameters
    ----------
    item_texts : sequence of str, length num_items
        Text of item index i at position i.
    min_df : int, default 1
        Ignore terms that occur in fewer items.
    stop_words : "english" or None, default "english"
        Drop common English words; otherwise "The" in "Abyss, The" makes such titles look alike.

    Introduced in chapter 01 (Recommender systems basics).
    """

    def __init__(self, item_texts: Sequence[str], *, min_df: int = 1, stop_words: str | None = "english"):
        if isinstance(item_texts, str) or len(item_texts) == 0:
            raise ValueError("item_texts must be a non-empty sequence of strings, one per item")
        self.item_texts = list(item_texts)
        self.min_df = min_df
        self.stop_words = stop_words

    def fit(self, interactions) -> "TfidfContentRecommender":
        self.train_ = check_interactions(interactions)
        if self.train_.shape[1] != len(self.item_texts):
            raise ValueError(
                f"interactions have {self.train_.shape[1]} items but item_texts has {len(self.item_texts)} texts"
            )
        self.vectorizer_ = TfidfVectorizer(
            min_df=self.min_df, stop_words=self.stop_words, token_pattern=r"(?u)\b[\w-]+\b"
        )
        self.item_vectors_ = normalize(self.vectorizer_.fit_transform(self.item_texts))
        return self

    def score(self, users=None) -> np.ndarray:
        users = self._users(users)
        profiles = normalize(self.train_[users] @ self.item_vectors_)
        return np.asarray((profiles @ self.item_vectors_.T).todense())
