"""Preprocessing: contiguous ID encoding, implicit feedback, k-core filtering, sparse matrices, sessions.

Models index users and items by row and column, so raw ids (which may be sparse, strings, or
start at 1) are mapped to ``0..n-1`` with an :class:`IdEncoder` that can map them back.
:func:`sessionize` cuts each user's events into sessions wherever the gap between two events
exceeds a threshold (30 minutes by default, the usual choice for music and shopping logs;
chapter 12). :func:`shuffle_time_ties` orders each user's events by time with events of the same
timestamp in a seeded random order, since their true order is unknown (chapter 05).

Introduced in chapter 01 (Recommender systems basics).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recsys_helpers.checks import require_columns

__all__ = [
    "IdEncoder",
    "encode_interactions",
    "to_implicit",
    "drop_duplicate_interactions",
    "filter_min_interactions",
    "interaction_matrix",
    "sessionize",
    "shuffle_time_ties",
]


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
    require_columns(interactions, [user_col, item_col])
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
    require_columns(interactions, [rating_col])
    return interactions.loc[interactions[rating_col] >= threshold].reset_index(drop=True)


def drop_duplicate_interactions(
    interactions: pd.DataFrame, *, user_col: str = "user_id", item_col: str = "item_id",
    time_col: str | None = "timestamp",
) -> pd.DataFrame:
    """Keep one row per (user, item): the latest by ``time_col`` when given, else the last row."""
    require_columns(interactions, [user_col, item_col] + ([time_col] if time_col else []))
    frame = interactions.sort_values(time_col, kind="stable") if time_col else interactions
    return frame.drop_duplicates([user_col, item_col], keep="last").sort_index().reset_index(drop=True)


def filter_min_interactions(
    interactions: pd.DataFrame, *, min_user: int = 5, min_item: int = 5,
    user_col: str = "user_id", item_col: str = "item_id",
) -> pd.DataFrame:
    """Iterative k-core: drop users with < ``min_user`` rows and items with < ``min_item`` rows,
    repeating until every remaining user and item meets its threshold."""
    require_columns(interactions, [user_col, item_col])
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
    require_columns(interactions, [user_col, item_col] + ([value_col] if value_col else []))
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


def sessionize(user_ids, timestamps, *, gap_seconds: float = 1800) -> np.ndarray:
    """Session number of every event (a play, a view): a new session starts at a user's first event
    and after a gap.

    Parameters
    ----------
    user_ids : array-like, shape (n,)
        Any hashable ids; events need not be sorted.
    timestamps : array-like of numbers, shape (n,)
        Seconds.
    gap_seconds : float, default 1800
        A gap strictly longer than this starts a new session.

    Returns
    -------
    ndarray of int64, shape (n,)
        Session ids ``0..num_sessions-1`` in the input's order, numbered by user (in order of first
        appearance after sorting by user and time) and then by time.

    Examples
    --------
    >>> sessionize(["a", "a", "a", "b"], [0, 100, 5000, 50]).tolist()
    [0, 0, 1, 2]

    Introduced in chapter 12 (Music and video recommendation).
    """
    users = pd.factorize(pd.Series(user_ids), sort=True)[0]
    times = np.asarray(timestamps, dtype=np.float64)
    if users.shape != times.shape:
        raise ValueError(f"user_ids and timestamps differ in length: {users.shape} and {times.shape}")
    if gap_seconds < 0:
        raise ValueError(f"gap_seconds must be >= 0, got {gap_seconds!r}")
    if len(times) == 0:
        return np.zeros(0, dtype=np.int64)
    order = np.lexsort((times, users))
    new_user = np.r_[True, users[order][1:] != users[order][:-1]]
    new_gap = np.r_[True, np.diff(times[order]) > gap_seconds]
    session_sorted = np.cumsum(new_user | new_gap) - 1
    sessions = np.empty(len(times), dtype=np.int64)
    sessions[order] = session_sorted
    return sessions


def shuffle_time_ties(
    interactions: pd.DataFrame, *, seed: int, user_col: str = "user_idx", time_col: str = "timestamp"
) -> pd.DataFrame:
    """Rows sorted by user, then time, with rows of the same user and timestamp in random order.

    Logs record time to the second (MovieLens) or coarser; several events of one user often
    share a timestamp, and their order is then unknown. A stable sort would order them by
    whatever the frame's order was (for MovieLens-100k as loaded: ascending item id), and a
    sequential model can learn that artefact. Here the order inside each tie is a uniform random
    permutation drawn from ``seed``; later stable sorts by user and time (``leave_last_out``,
    ``build_sequences``) keep it. Compare several seeds to see how much a result depends on it.

    Parameters
    ----------
    interactions : DataFrame with ``user_col`` and ``time_col``
    seed : int, the seed of the tie order

    Returns
    -------
    DataFrame, the same rows (index reset), sorted by ``(user_col, time_col)``.

    >>> log = pd.DataFrame({"user_idx": [0, 0, 0, 1], "item_idx": [1, 2, 3, 4], "timestamp": [5, 5, 9, 1]})
    >>> shuffle_time_ties(log, seed=0)["timestamp"].tolist()
    [5, 5, 9, 1]
    >>> sorted({tuple(shuffle_time_ties(log, seed=s)["item_idx"][:2]) for s in range(20)})
    [(1, 2), (2, 1)]
    """
    require_columns(interactions, [user_col, time_col])
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    tie_key = np.random.default_rng(seed).random(len(interactions))
    order = np.lexsort((tie_key, interactions[time_col].to_numpy(), interactions[user_col].to_numpy()))
    return interactions.iloc[order].reset_index(drop=True)
