"""Train/test splits of an interaction log that do not leak test information into training.

Every function returns ``(train, test)`` as two DataFrames whose rows partition the input (each
row lands in exactly one of them; the index is reset). Randomness comes from ``seed`` only.

Introduced in chapter 01 (Recommender systems basics); chapter 02 discusses which protocol answers which question.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from recsys_helpers.checks import check_fraction, require_columns

__all__ = [
    "random_split", "per_user_random_split", "temporal_cutoff", "temporal_split", "leave_last_out",
    "stratified_split",
]


def _partition(frame: pd.DataFrame, in_test: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    return frame.loc[~in_test].reset_index(drop=True), frame.loc[in_test].reset_index(drop=True)


def random_split(interactions: pd.DataFrame, *, test_fraction: float = 0.2, seed: int = 0):
    """Put a uniformly random ``test_fraction`` of all rows in test.

    Some users may end up with no training rows; use :func:`per_user_random_split` to avoid that.
    """
    check_fraction("test_fraction", test_fraction, low_open=True)
    rng = np.random.default_rng(seed)
    num_test = int(round(test_fraction * len(interactions)))
    in_test = np.zeros(len(interactions), dtype=bool)
    in_test[rng.choice(len(interactions), size=num_test, replace=False)] = True
    return _partition(interactions, in_test)


def per_user_random_split(
    interactions: pd.DataFrame, *, test_fraction: float = 0.2, seed: int = 0,
    user_col: str = "user_idx", min_train: int = 1,
):
    """For each user, put a random ``test_fraction`` of their rows in test, keeping at least
    ``min_train`` rows in train (users with fewer rows than ``min_train + 1`` stay in train)."""
    check_fraction("test_fraction", test_fraction, low_open=True)
    require_columns(interactions, [user_col])
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(interactions))
    shuffled = interactions.iloc[order]
    position = shuffled.groupby(user_col, sort=False).cumcount().to_numpy()
    size = shuffled.groupby(user_col, sort=False)[user_col].transform("size").to_numpy()
    num_test = np.minimum(np.round(test_fraction * size), size - min_train).clip(min=0)
    in_test = np.zeros(len(interactions), dtype=bool)
    in_test[order] = position < num_test
    return _partition(interactions, in_test)


def temporal_cutoff(interactions: pd.DataFrame, *, test_fraction: float = 0.2, time_col: str = "timestamp") -> int:
    """The timestamp such that about ``test_fraction`` of the rows happen strictly after it."""
    check_fraction("test_fraction", test_fraction, low_open=True)
    require_columns(interactions, [time_col])
    times = np.sort(interactions[time_col].to_numpy())
    return int(times[int(np.floor((1.0 - test_fraction) * (len(times) - 1)))])


def temporal_split(
    interactions: pd.DataFrame, *, test_fraction: float = 0.2, cutoff: int | None = None,
    time_col: str = "timestamp",
):
    """Global temporal split: rows at or before ``cutoff`` train, rows after it test.

    This is the protocol that mirrors deployment (train on the past, predict the future); no
    training row happens after any test row. ``cutoff`` defaults to :func:`temporal_cutoff`.
    """
    if cutoff is None:
        cutoff = temporal_cutoff(interactions, test_fraction=test_fraction, time_col=time_col)
    require_columns(interactions, [time_col])
    return _partition(interactions, (interactions[time_col] > cutoff).to_numpy())


def leave_last_out(
    interactions: pd.DataFrame, *, user_col: str = "user_idx", time_col: str = "timestamp",
    min_train: int = 1,
):
    """For each user with more than ``min_train`` rows, put their latest row in test.

    Ties in time are broken by the original row order (the later row is "last"). This is the
    usual protocol of sequential recommenders (chapter 05).
    """
    require_columns(interactions, [user_col, time_col])
    order = interactions.reset_index(drop=True)
    ranked = order.sort_values([user_col, time_col], kind="stable")
    last = ~ranked.duplicated(user_col, keep="last")
    big_enough = ranked.groupby(user_col)[user_col].transform("size") > min_train
    in_test = np.zeros(len(order), dtype=bool)
    in_test[ranked.index[(last & big_enough).to_numpy()]] = True
    return _partition(order, in_test)


def stratified_split(
    interactions: pd.DataFrame, *, train_fraction: float = 0.75, stratify_by: str = "item_id",
    seed: int = 42,
):
    """Per group (an item, or a user), send the first ``train_fraction`` of its rows to train.

    Reproduces the stratified splitter of Microsoft Recommenders (``python_stratified_split``,
    used by their MovieLens benchmark with ``filter_by="item"``, ratio 0.75, seed 42), written
    from its documented behaviour:

    1. draw one uniform number per row, in the frame's row order, from NumPy's legacy
       Mersenne-Twister stream seeded with ``seed`` (``RandomState(seed).random_sample``);
    2. order the rows of each group by that number;
    3. a row at 1-based position ``r`` of a group of ``n`` rows goes to train when
       ``r / n <= train_fraction`` (a group of 1 row therefore lands in test).

    The result depends on the input's row order: the same rows in another order give another
    split. Rows keep their original relative order inside train and test (index reset).

    Parameters
    ----------
    interactions : DataFrame with column ``stratify_by``
    train_fraction : float in (0, 1), default 0.75
    stratify_by : str, default "item_id"
    seed : int, default 42

    Returns
    -------
    (train, test) : two DataFrames partitioning the rows.

    Examples
    --------
    >>> frame = pd.DataFrame({"item_id": [1, 1, 1, 1, 2], "user_id": [1, 2, 3, 4, 1]})
    >>> train, test = stratified_split(frame)
    >>> len(train), len(test), test["item_id"].tolist().count(2)
    (3, 2, 1)

    Introduced in chapter 09 (Hyperparameter tuning).
    """
    check_fraction("train_fraction", train_fraction, low_open=True)
    require_columns(interactions, [stratify_by])
    draws = np.random.RandomState(seed).random_sample(len(interactions))
    groups = interactions[stratify_by].to_numpy()
    order = np.lexsort((draws, groups))
    sorted_groups = groups[order]
    starts = np.r_[True, sorted_groups[1:] != sorted_groups[:-1]]
    group_start = np.maximum.accumulate(np.where(starts, np.arange(order.size), 0))
    position = np.arange(order.size) - group_start + 1
    sizes = pd.Series(sorted_groups).map(pd.Series(sorted_groups).value_counts()).to_numpy()
    in_train = np.zeros(len(interactions), dtype=bool)
    in_train[order] = position / sizes <= train_fraction
    return _partition(interactions, ~in_train)
