"""Readers of the public data sets the course uses; nothing is downloaded.

- :mod:`~recsys_helpers.data.movielens` -- MovieLens-100k, its knowledge graph, and its ratings in
  file order (chapters 01-09, 12-14);
- :mod:`~recsys_helpers.data.retailrocket` -- RetailRocket's e-commerce events and item categories
  (chapter 10);
- :mod:`~recsys_helpers.data.higgs` -- Higgs Twitter's interactions and follow graph (chapter 11);
- :mod:`~recsys_helpers.data.lastfm` -- Last.fm-1K listening logs (chapter 12).

The readers are importable from here: ``from recsys_helpers.data import load_movielens_100k``.
"""

from recsys_helpers.data.higgs import HIGGS_TYPES, load_higgs_activity
from recsys_helpers.data.lastfm import LASTFM_1K_COLUMNS, load_lastfm_1k
from recsys_helpers.data.movielens import (
    GENRES,
    MovieLens100K,
    load_movielens_100k,
    load_movielens_100k_kg,
    load_ratings_file_order,
)
from recsys_helpers.data.retailrocket import (
    EVENT_TYPES,
    RETAILROCKET_COLUMNS,
    load_retailrocket_categories,
    load_retailrocket_events,
)

__all__ = [
    "GENRES",
    "MovieLens100K",
    "load_movielens_100k",
    "load_movielens_100k_kg",
    "load_ratings_file_order",
    "EVENT_TYPES",
    "RETAILROCKET_COLUMNS",
    "load_retailrocket_events",
    "load_retailrocket_categories",
    "HIGGS_TYPES",
    "load_higgs_activity",
    "LASTFM_1K_COLUMNS",
    "load_lastfm_1k",
]
