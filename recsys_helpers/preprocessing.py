"""Preprocessing: contiguous ID encoding, implicit feedback, k-core filtering, sparse matrices.

Models index users and items by row and column, so raw ids (which may be sparse, strings, or
start at 1) are mapped to ``0..n-1`` with an :class:`IdEncoder` that can map them back.

Introduced in chapter 01 (Recommender systems basics).
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = [
    "IdEncoder",
    "encode_interactions",
    "to_implicit",
    "drop_duplicate_interactions",
    "filter_min_interactions",
    "interaction_matrix",
]


def _require_columns(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise TypeError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {missing}; the frame has {list(frame.columns)}")


class IdEncoder:
    """A reversible mapping from raw ids to contiguous indices ``0..n-1`` (sorted raw order).

    >>> enc = IdEncoder().fit([30, 10, 20, 10])
    >>> enc.transform([10, 30]).tolist(), enc.inverse_transform([2]).tolist()
    ([0, 2], [30])
    """

    def __init__(self) -> None:
        self.classes_: np.ndarray | None = None
        self._index: pd.Index | None = None

    def fit(self, ids) -> "IdEncoder":
        values = pd.Series(ids)
        if values.isna().any():
            raise ValueError("ids contain missing values")
        self.classes_ = np.sort(values.unique())
        self._index = pd.Index(self.classes_)
        return self

    def __len__(self) -> int:
        self._check_fitted()
        return len(self.classes_)

    def _check_fitted(self) -> None:
        if self.classes_ is None:
            raise RuntimeError("IdEncoder is not fitted: call fit(ids) first")

    def transform(self, ids) -> np.ndarray:
        """Raw ids -> int64 indices; raises ``KeyError`` naming ids not seen in ``fit``."""
        self._check_fitted()
        codes = self._index.get_indexer(pd.Series(ids))
        if (codes < 0).any():
            unknown = pd.Series(ids)[codes < 0].unique()[:5].tolist()
            raise KeyError(f"unknown id(s) not seen in fit: {unknown}")
        return codes.astype(np.int64)

    def inverse_transform(self, indices) -> np.ndarray:
        """Indices in ``0..n-1`` -> raw ids."""
        self._check_fitted()
        indices = np.asarray(indices, dtype=np.int64)
        if indices.size and (indices.min() < 0 or indices.max() >= len(self.classes_)):
            raise IndexError(f"indices must lie in [0, {len(self.classes_) - 1}]")
        return self.classes_[indices]


def encode_interactions(
    interactions: pd.DataFrame, *, user_col: str = "user_id", item_col: str = "item_id"
) -> tuple[pd.DataFrame, IdEncoder, IdEncoder]:
    """Add ``user_idx`` and ``item_idx`` (int64, contiguous from 0) to a copy of ``interactions``.

    Returns
    -------
    (DataFrame, IdEncoder, IdEncoder)
        The frame with the two new columns, and the user and item encoders.
    """
    _require_columns(interactions, [user_col, item_col])
    users, items = IdEncoder().fit(interactions[user_col]), IdEncoder().fit(interactions[item_col])
    out = interactions.copy()
    out["user_idx"] = users.transform(out[user_col])
    out["item_idx"] = items.transform(out[item_col])
    return out, users, items


def to_implicit(interactions: pd.DataFrame, *, threshold: float = 4, rating_col: str = "rating") -> pd.DataFrame:
    """Keep the rows with ``rating >= threshold`` as positive implicit feedback (a copy).

    MovieLens ratings are 1-5; the usual convention, used in this course, treats 4 and 5 as
    "liked". The rating column is kept for reference.
    """
    _require_columns(interactions, [rating_col])
    return interactions.loc[interactions[rating_col] >= threshold].reset_index(drop=True)


def drop_duplicate_interactions(
    interactions: pd.DataFrame, *, user_col: str = "user_id", item_col: str = "item_id",
    time_col: str | None = "timestamp",
) -> pd.DataFrame:
    """Keep one row per (user, item): the latest by ``time_col`` when given, else the last row."""
    _require_columns(interactions, [user_col, item_col] + ([time_col] if time_col else []))
    frame = interactions.sort_values(time_col, kind="stable") if time_col else interactions
    return frame.drop_duplicates([user_col, item_col], keep="last").sort_index().reset_index(drop=True)


def filter_min_interactions(
    interactions: pd.DataFrame, *, min_user: int = 5, min_item: int = 5,
    user_col: str = "user_id", item_col: str = "item_id",
) -> pd.DataFrame:
    """Iterative k-core: drop users with < ``min_user`` rows and items with < ``min_item`` rows,
    repeating until every remaining user and item meets its threshold."""
    _require_columns(interactions, [user_col, item_col])
    if min_user < 1 or min_item < 1:
        raise ValueError("min_user and min_item must be >= 1")
    frame = interactions
    while True:
        user_counts = frame[user_col].map(frame[user_col].value_counts())
        item_counts = frame[item_col].map(frame[item_col].value_counts())
        keep = (user_counts >= min_user) & (item_counts >= min_item)
        if keep.all():
            return frame.reset_index(drop=True)
        frame = frame.loc[keep]


def interaction_matrix(
    interactions: pd.DataFrame, num_users: int, num_items: int, *,
    user_col: str = "user_idx", item_col: str = "item_idx", value_col: str | None = None,
) -> sp.csr_matrix:
    """A (num_users, num_items) CSR matrix with 1.0 (or ``value_col``) at each interaction.

    Duplicate pairs are an error rather than being silently summed.
    """
    _require_columns(interactions, [user_col, item_col] + ([value_col] if value_col else []))
    rows = interactions[user_col].to_numpy()
    cols = interactions[item_col].to_numpy()
    if len(rows) and (rows.min() < 0 or rows.max() >= num_users or cols.min() < 0 or cols.max() >= num_items):
        raise ValueError(
            f"indices out of range for shape ({num_users}, {num_items}): encode ids with encode_interactions first"
        )
    if interactions.duplicated([user_col, item_col]).any():
        raise ValueError("duplicate (user, item) pairs: call drop_duplicate_interactions first")
    values = interactions[value_col].to_numpy(dtype=np.float64) if value_col else np.ones(len(rows))
    return sp.csr_matrix((values, (rows, cols)), shape=(num_users, num_items))
