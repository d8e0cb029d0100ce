"""Intervals for per-user metrics: a percentile bootstrap and a paired bootstrap over users.

An offline comparison averages a metric over the test users, and those users are a sample: with
another draw of users the averages, and sometimes the winner, would change. Resampling the users
with replacement shows by how much. Two rules make the intervals honest:

- resample **users**, the unit that was sampled, not interactions or items;
- compare two models on the **same** resampled users (:func:`paired_bootstrap`): their per-user
  results are strongly correlated, so the interval of the difference is much narrower than the
  two separate intervals suggest.

Both functions are deterministic given ``seed``. Percentile intervals are used throughout the
course; with a few dozen users they are rough, so the number of users is always reported with them.

Introduced in chapter 02 (Evaluation); used wherever a chapter compares two models.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from recsys_helpers.validation import check_positive_int

__all__ = ["BootstrapResult", "PairedBootstrapResult", "bootstrap_ci", "paired_bootstrap"]


class BootstrapResult(NamedTuple):
    """Mean of a per-user metric with a percentile bootstrap interval."""

    estimate: float
    low: float
    high: float
    num_users: int


class PairedBootstrapResult(NamedTuple):
    """Mean difference ``a - b`` over the same users, its interval, and how often it was <= 0."""

    difference: float
    low: float
    high: float
    prob_not_better: float
    num_users: int


def _check_values(name: str, values) -> np.ndarray:
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a 1-D sequence of numbers, one per user: {error}") from None
    if array.ndim != 1 or array.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array (one value per user), got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(
            f"{name} contains NaN or infinite values at positions {np.flatnonzero(~np.isfinite(array))[:5].tolist()}"
        )
    return array


def _check_options(num_resamples, confidence) -> None:
    check_positive_int("num_resamples", num_resamples)
    if not isinstance(confidence, (int, float, np.floating)) or not 0 < confidence < 1:
        raise ValueError(f"confidence must lie in (0, 1), got {confidence!r}")


def _resampled_means(values: np.ndarray, num_resamples: int, seed) -> np.ndarray:
    rng = np.random.default_rng(seed)
    means = np.empty(num_resamples)
    chunk = max(1, 2_000_000 // values.size)  # bounded memory for many users
    for start in range(0, num_resamples, chunk):
        stop = min(num_resamples, start + chunk)
        rows = rng.integers(0, values.size, size=(stop - start, values.size))
        means[start:stop] = values[rows].mean(axis=1)
    return means


def bootstrap_ci(values, *, num_resamples: int = 2000, confidence: float = 0.95, seed=0) -> BootstrapResult:
    """Mean of ``values`` and a percentile bootstrap interval from resampling users.

    Parameters
    ----------
    values : array-like of float, shape (num_users,)
        One value per user (a user's NDCG@10, hit or not, ...); finite.
    num_resamples : int, default 2000
        Bootstrap resamples, each ``num_users`` users drawn with replacement.
    confidence : float in (0, 1), default 0.95
        Coverage of the interval: its ends are the ``(1 - confidence) / 2`` and
        ``(1 + confidence) / 2`` quantiles of the resampled means.
    seed : int or numpy Generator, default 0

    Returns
    -------
    BootstrapResult
        ``estimate`` (the plain mean), ``low``, ``high`` (floats, ``low <= estimate <= high`` for
        any sample that is not degenerate) and ``num_users``.

    Raises
    ------
    ValueError
        ``values`` is empty, not 1-D or not finite; an option is out of range.

    Examples
    --------
    >>> result = bootstrap_ci([0.0, 1.0, 1.0, 0.0, 1.0], seed=0)
    >>> result.estimate, result.num_users
    (0.6, 5)
    >>> 0.0 <= result.low <= 0.6 <= result.high <= 1.0
    True

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    values = _check_values("values", values)
    _check_options(num_resamples, confidence)
    means = _resampled_means(values, int(num_resamples), seed)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return BootstrapResult(float(values.mean()), float(low), float(high), int(values.size))


def paired_bootstrap(a, b, *, num_resamples: int = 2000, confidence: float = 0.95, seed=0) -> PairedBootstrapResult:
    """Mean of ``a - b`` over the same users, with a bootstrap interval that resamples users.

    Parameters
    ----------
    a, b : array-like of float, shape (num_users,)
        The two models' values for the same users, in the same order.
    num_resamples, confidence, seed
        As in :func:`bootstrap_ci`.

    Returns
    -------
    PairedBootstrapResult
        ``difference`` = mean(a) - mean(b); ``low``, ``high``: percentile interval of the
        resampled differences; ``prob_not_better``: the fraction of resamples where the difference
        is <= 0 (a rough one-sided p-value for "a is better"); ``num_users``.

    Raises
    ------
    ValueError
        ``a`` and ``b`` differ in length, are empty or not finite; an option is out of range.

    Examples
    --------
    >>> result = paired_bootstrap([0.5, 0.6, 0.9, 0.4], [0.4, 0.5, 0.8, 0.3], seed=0)
    >>> round(result.difference, 10), round(result.low, 10), round(result.high, 10)
    (0.1, 0.1, 0.1)
    >>> result.prob_not_better
    0.0

    Introduced in chapter 07 (Generative language models as recommenders).
    """
    a, b = _check_values("a", a), _check_values("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must hold one value per user for the same users: lengths {a.size} and {b.size}")
    _check_options(num_resamples, confidence)
    differences = a - b
    means = _resampled_means(differences, int(num_resamples), seed)
    tail = (1 - confidence) / 2
    low, high = np.quantile(means, [tail, 1 - tail])
    return PairedBootstrapResult(
        float(differences.mean()), float(low), float(high), float(np.mean(means <= 0)), int(a.size)
    )
