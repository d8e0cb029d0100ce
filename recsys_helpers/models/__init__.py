"""Trainable recommenders, each a :class:`recsys_helpers.base.Recommender` (``fit``/``score``/``recommend``).

- :mod:`recsys_helpers.models.training` -- seeding, a small training loop with early stopping (chapter 04).
- embedding and neural collaborative-filtering models (chapter 04).
- :mod:`recsys_helpers.models.sequential` -- next-item models: GRU4Rec-style, SASRec, masked-item (chapter 05).
"""
