"""What the course's three simulated worlds share: config checks, drifting tastes, softmax rows.

Each world (:mod:`~recsys_helpers.worlds.music`, :mod:`~recsys_helpers.worlds.shop`,
:mod:`~recsys_helpers.worlds.social`) is a frozen ``*Config`` dataclass of knobs, a ``*World``
dataclass (a :class:`World`) holding the catalogue, the planted preferences and the log, and a
``simulate_*`` function that draws everything from one ``numpy`` generator seeded with
``config.seed``: same config, same world. Each log starts on its own day 0, the world's ``EPOCH``
(Unix seconds), chosen in the era of the public data set it imitates.

Music and shop tastes drift: a user has a start and an end affinity matrix, and on day ``d`` the
affinity is the mix ``(1 - w) * start + w * end`` with ``w = drift * d / (num_days - 1)``
(:func:`drift_weight`).

Introduced in chapter 10 (E-commerce recommendation); chapters 11 and 12 use it too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from recsys_helpers.checks import (
    check_count_range,
    check_fraction,
    check_non_negative_float,
    check_positive_float,
    check_positive_int,
)

__all__ = [
    "World",
    "check_fields",
    "config_table",
    "drift_weight",
    "affinity_on_day",
    "affinity_per_row",
    "softmax_rows",
]


@dataclass
class World:
    """Base of the simulated worlds: the config they were drawn from."""

    config: object

    @property
    def num_users(self) -> int:
        return self.config.num_users


def check_fields(config, *, positive_ints=(), count_ranges=(), probabilities=(), positive=(),
                 non_negative=()) -> None:
    """Check a config's fields by kind; the ValueError names the first bad field and its value.

    ``positive_ints``: integers >= 1; ``count_ranges``: ``(low, high)`` pairs of integers with
    ``1 <= low <= high``; ``probabilities``: numbers in [0, 1]; ``positive``: numbers > 0;
    ``non_negative``: numbers >= 0 (see :mod:`recsys_helpers.checks`).
    """
    for name in positive_ints:
        check_positive_int(name, getattr(config, name))
    for name in count_ranges:
        check_count_range(name, getattr(config, name))
    for name in probabilities:
        check_fraction(name, getattr(config, name), high_open=False)
    for name in positive:
        check_positive_float(name, getattr(config, name))
    for name in non_negative:
        check_non_negative_float(name, getattr(config, name))


def config_table(config) -> pd.Series:
    """A world's config (any of the ``*Config`` dataclasses) as a Series of strings, for display.

    Introduced in chapter 10 (E-commerce recommendation).
    """
    return pd.Series({key: str(value) for key, value in asdict(config).items()}, name="value")


def drift_weight(config, days) -> np.ndarray:
    """``drift * day / (num_days - 1)`` for each day: 0 on day 0, ``drift`` on the last day."""
    return config.drift * np.asarray(days, dtype=np.float64) / max(config.num_days - 1, 1)


def affinity_on_day(world: World, day: float | None = None, *, users=None) -> np.ndarray:
    """``(1 - w) * affinity_start + w * affinity_end`` on ``day`` (default: the last day).

    Returns an array of shape (len(users), number of items); all users when ``users`` is None.
    """
    day = world.config.num_days - 1 if day is None else day
    rows = slice(None) if users is None else np.asarray(users, dtype=np.int64)
    weight = float(drift_weight(world.config, day))
    return (1 - weight) * world.affinity_start[rows] + weight * world.affinity_end[rows]


def affinity_per_row(world: World, users, days) -> np.ndarray:
    """Affinity rows of ``users``, each on its own day, as ``start + w * (end - start)``.

    The mix of :func:`affinity_on_day` written another way: equal up to rounding, and the form
    the simulators drew their logs with (so it stays, to keep the logs bit for bit).
    """
    weight = drift_weight(world.config, days)[:, None]
    start = world.affinity_start[users]
    return start + weight * (world.affinity_end[users] - start)


def softmax_rows(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax; -inf entries get 0. Every row needs at least one finite entry."""
    weights = np.exp(logits - logits.max(axis=1, keepdims=True))
    return weights / weights.sum(axis=1, keepdims=True)
