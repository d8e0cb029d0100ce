"""Test data shared by the unit tests (nothing in the course itself uses it)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def make_synthetic_interactions(
    num_users: int = 50,
    num_items: int = 40,
    *,
    num_clusters: int = 4,
    interactions_per_user: tuple[int, int] = (3, 12),
    seed: int = 0,
) -> pd.DataFrame:
    """A tiny implicit-feedback log with planted taste clusters and a long-tail popularity.

    Users and items are split into ``num_clusters`` groups; a user picks 80% of their items from
    their own group, weighted towards popular items. Same seed, same frame.

    Returns
    -------
    DataFrame
        ``user_id`` (int64, 0..num_users-1), ``item_id`` (int64, 0..num_items-1), ``rating``
        (int64, 1..5) and ``timestamp`` (int64, Unix seconds within one year, strictly increasing
        per user, users interleaved in time); unique
        (user, item) pairs and at least ``interactions_per_user[0]`` rows per user.
    """
    low, high = interactions_per_user
    if num_users < 1 or num_items < 2 or num_clusters < 1:
        raise ValueError("num_users must be >= 1, num_items >= 2 and num_clusters >= 1")
    if not 1 <= low <= high <= num_items // 2:
        raise ValueError(
            f"interactions_per_user must satisfy 1 <= low <= high <= num_items // 2, got {interactions_per_user}"
        )
    rng = np.random.default_rng(seed)
    item_cluster = np.arange(num_items) % num_clusters
    popularity = 1.0 / np.arange(1, num_items + 1) ** 0.8
    rows = []
    start, span = 1_000_000_000, 365 * 24 * 3600
    for user in range(num_users):
        cluster = user % num_clusters
        count = int(rng.integers(low, high + 1))
        weights = popularity * np.where(item_cluster == cluster, 4.0, 0.25)
        items = rng.choice(num_items, size=count, replace=False, p=weights / weights.sum())
        times = start + np.sort(rng.choice(span, size=count, replace=False))
        for item, time in zip(items, times):
            liked = item_cluster[item] == cluster
            rating = int(np.clip(rng.normal(4.2 if liked else 2.6, 0.8), 1, 5).round())
            rows.append((user, int(item), rating, int(time)))
    frame = pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])
    return frame.astype("int64")
