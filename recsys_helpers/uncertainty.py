"""Intervals for per-user metrics: a percentile bootstrap and a paired bootstrap over users.

An offline comparison averages a metric over the test users, and those users are a sample: with
another draw of users the averages, and sometimes the winner, would change. Resampling the users
with replacement shows by how much. Two rules make the intervals honest:

- resample **users**, the unit that was sampled, not interactions or items;
- compare two models on the **same** resampled users (:func:`paired_bootstrap`): their per-user
  results are strongly correlated, so the interval of the difference is much narrower than the
  two separate intervals suggest.

:func:`bootstrap_ci` and :func:`paired_bootstrap` cover means of one or two paired per-user vectors
(vectorised); :func:`bootstrap` takes any statistic of one or more samples, paired or independent,
and can resample clusters (all rows of a drawn shopper) instead of rows.

:func:`bootstrap_p_value` gives the two-sided p-value that matches a paired interval (below 0.05 exactly
when the 95% interval excludes zero), for corrections over the many comparisons of one chapter.

:func:`verdict` turns the interval of a difference into the words a sentence may use ("beats" only
when the whole interval lies above zero), so the prose cannot claim more than the interval allows.

All three are deterministic given ``seed``. Percentile intervals are used throughout the
course; with a few dozen users they are rough, so the number of users is always reported with them.

Introduced in chapter 02 (Evaluation); used wherever a chapter compares two models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from recsys_helpers.checks import check_positive_int

__all__ = [
    "BootstrapInterval",
    "BootstrapResult",
    "PairedBootstrapResult",
    "bootstrap",
    "bootstrap_ci",
    "bootstrap_p_value",
    "paired_bootstrap",
    "verdict",
]


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


class BootstrapInterval(NamedTuple):
    """A statistic of the samples, its percentile interval, and the resampled statistics."""

    estimate: float
    low: float
    high: float
    replicates: np.ndarray


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


def bootstrap_p_value(a, b, *, num_resamples: int = 2000, seed=0) -> float:
    """Two-sided bootstrap p-value of "mean(a) = mean(b)" over the same users, in (0, 1].

    Twice the smaller share of resampled mean differences on either side of zero (each side
    counting zero): the smallest ``1 - confidence`` at which :func:`paired_bootstrap`'s percentile
    interval (same ``num_resamples`` and ``seed``) leaves zero out. With every resample on one side
    it is ``1 / num_resamples``, the resolution of the bootstrap, not 0. Feed many of them to a
    multiple-comparison correction such as ``scipy.stats.false_discovery_control``.

    >>> bootstrap_p_value([0.5, 0.6, 0.9, 0.4], [0.4, 0.5, 0.8, 0.3])  # a always 0.1 above b
    0.0005
    >>> bootstrap_p_value([0.5, 0.6], [0.5, 0.6])  # identical: nothing to tell apart
    1.0

    Raises
    ------
    ValueError
        As :func:`paired_bootstrap`.

    Introduced in chapter 08 (Training), for the multiplicity of a chapter's comparisons.
    """
    a, b = _check_values("a", a), _check_values("b", b)
    if a.shape != b.shape:
        raise ValueError(f"a and b must hold one value per user for the same users: lengths {a.size} and {b.size}")
    _check_options(num_resamples, 0.95)
    means = _resampled_means(a - b, int(num_resamples), seed)
    smaller_tail = min(np.mean(means <= 0), np.mean(means >= 0))
    return float(min(1.0, max(2 * smaller_tail, 1 / num_resamples)))


def _check_samples(samples, paired: bool, groups) -> tuple[list[np.ndarray], np.ndarray | None]:
    if not samples:
        raise ValueError("bootstrap needs at least one sample")
    arrays = []
    for position, sample in enumerate(samples):
        array = np.asarray(sample)
        if array.ndim == 0 or len(array) == 0:
            raise ValueError(f"sample {position} must be a non-empty array (one row per unit), got shape {array.shape}")
        arrays.append(array)
    if paired and len({len(a) for a in arrays}) > 1:
        raise ValueError(
            f"paired samples must have the same length (one row per unit), got lengths {[len(a) for a in arrays]}"
        )
    if groups is None:
        return arrays, None
    if not paired:
        raise ValueError("groups apply to paired samples: pass paired=True with groups")
    groups = np.asarray(groups)
    if groups.shape != (len(arrays[0]),):
        raise ValueError(f"groups must hold one label per row ({len(arrays[0])}), got shape {groups.shape}")
    return arrays, groups


def bootstrap(
    statistic: Callable[..., float],
    *samples,
    paired: bool = True,
    groups=None,
    num_resamples: int = 2000,
    confidence: float = 0.95,
    seed=0,
) -> BootstrapInterval:
    """Percentile bootstrap interval of any ``statistic(*samples)``.

    Resampling, in this order for each of the ``num_resamples`` resamples (one
    ``numpy.random.default_rng(seed)`` for all):

    - ``paired=True``, no ``groups``: the samples share their units (the same users, in the same
      order); ``idx = rng.integers(0, n, n)`` and ``statistic(*(s[idx] for s in samples))``;
    - ``paired=False``: independent samples (two groups of users); each sample in turn draws its
      own ``rng.integers(0, n_i, n_i)``;
    - ``groups`` (paired only): the units are the distinct labels of ``groups`` (``np.unique``
      order, for example the shopper of each view); ``rng.integers(0, g, g)`` draws g of them and
      the statistic sees all rows of each drawn group, group after group.

    A resample whose statistic is NaN (an AUC of a resample with one class) is left out; see
    ``len(replicates)``.

    Parameters
    ----------
    statistic : callable
        Takes the resampled samples (numpy arrays, same order as ``samples``), returns a float.
    *samples : array-like, each of length >= 1 along its first axis (one row per unit)
    paired : bool, default True
    groups : array-like of shape (n,), optional
    num_resamples : int, default 2000
    confidence : float in (0, 1), default 0.95
        The interval's ends are the ``tail`` and ``1 - tail`` quantiles of the kept replicates,
        ``tail = (1 - confidence) / 2`` rounded to 12 decimals (exactly 0.025 for 0.95).
    seed : int or numpy Generator, default 0

    Returns
    -------
    BootstrapInterval
        ``estimate`` (``statistic(*samples)``), ``low``, ``high`` and ``replicates`` (array of the
        kept resampled statistics).

    Raises
    ------
    ValueError
        No sample, an empty sample, paired samples of different lengths, ``groups`` of the wrong
        length or with ``paired=False``, an option out of range, or every replicate NaN.

    Examples
    --------
    >>> gap = bootstrap(lambda a, b: a.mean() - b.mean(), [1.0, 2, 3], [0.0, 1], paired=False)
    >>> gap.estimate, bool(gap.low <= gap.high), len(gap.replicates)
    (1.5, True, 2000)

    Introduced in issue 16 for chapter 10 (cluster bootstrap of an AUC gap) and chapter 14 (gap
    between two groups of users).
    """
    if not callable(statistic):
        raise ValueError(f"statistic must be callable, got {type(statistic).__name__}")
    arrays, groups = _check_samples(samples, paired, groups)
    _check_options(num_resamples, confidence)
    rng = np.random.default_rng(seed)
    if groups is not None:
        labels = np.unique(groups)
        rows_of = [np.flatnonzero(groups == label) for label in labels]
    replicates = []
    for _ in range(int(num_resamples)):
        if groups is not None:
            drawn = rng.integers(0, len(labels), len(labels))
            rows = np.concatenate([rows_of[g] for g in drawn])
            resampled = [a[rows] for a in arrays]
        elif paired:
            rows = rng.integers(0, len(arrays[0]), len(arrays[0]))
            resampled = [a[rows] for a in arrays]
        else:
            resampled = [a[rng.integers(0, len(a), len(a))] for a in arrays]
        replicates.append(float(statistic(*resampled)))
    replicates = np.asarray(replicates)
    replicates = replicates[~np.isnan(replicates)]
    if replicates.size == 0:
        raise ValueError("the statistic was NaN on every resample")
    tail = round((1 - confidence) / 2, 12)
    low, high = np.quantile(replicates, [tail, 1 - tail])
    return BootstrapInterval(float(statistic(*arrays)), float(low), float(high), replicates)


def verdict(low: float, high: float, *, above: str, below: str, inside: str) -> str:
    """The words the interval ``[low, high]`` of a difference allows.

    ``above`` when the whole interval lies above zero, ``below`` when it lies below zero, and
    ``inside`` when it contains zero (the data cannot tell the two apart at this confidence).

    >>> verdict(0.01, 0.03, above="beats", below="trails", inside="cannot be told apart from")
    'beats'
    >>> verdict(-0.01, 0.03, above="beats", below="trails", inside="cannot be told apart from")
    'cannot be told apart from'

    Raises
    ------
    ValueError
        ``low`` or ``high`` is not a finite number, or ``low > high``.
    """
    for name, end in (("low", low), ("high", high)):
        if isinstance(end, bool) or not isinstance(end, (int, float, np.number)) or not np.isfinite(end):
            raise ValueError(f"{name} must be a finite number, got {end!r}")
    if low > high:
        raise ValueError(f"low ({low}) is above high ({high})")
    if low > 0:
        return above
    if high < 0:
        return below
    return inside
