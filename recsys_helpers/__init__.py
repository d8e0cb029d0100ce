"""Helpers for the course *Recommender Systems in the Era of Large Models*.

One module per concern:

- :mod:`recsys_helpers.datasets` -- MovieLens-100k and a seeded synthetic dataset (chapter 01).
- :mod:`recsys_helpers.preprocessing` -- ID encoding and implicit feedback (chapter 01).
- :mod:`recsys_helpers.split` -- train/test splits that do not leak (chapter 01).
- :mod:`recsys_helpers.metrics` -- ranking, classification, rating and beyond-accuracy metrics (chapter 02).
- :mod:`recsys_helpers.evaluation` -- full-ranking top-k recommendation and evaluation (chapter 02).
- :mod:`recsys_helpers.baselines` -- popularity, item/user kNN and TF-IDF content baselines (chapter 01).
"""

__version__ = "0.1.0"
