"""Trainable recommenders, each a :class:`recsys_helpers.base.Recommender` (``fit``/``score``/``recommend``).

- :mod:`recsys_helpers.models.torch_base` -- the base class of the matrix models, trained by
  :func:`recsys_helpers.training.train` (chapter 04).
- :mod:`recsys_helpers.models.ease` -- EASE, the closed-form item-item autoencoder (chapter 04).
- :mod:`recsys_helpers.models.mf` -- matrix factorization: explicit ratings (MSE) and BPR (chapter 04).
- :mod:`recsys_helpers.models.neumf` -- NeuMF, GMF and MLP with sampled negatives (chapter 04).
- :mod:`recsys_helpers.models.two_tower` -- two-tower retrieval with in-batch softmax (chapter 04).
- :mod:`recsys_helpers.models.lightgcn` -- LightGCN graph propagation with BPR (chapter 04).
- :mod:`recsys_helpers.models.keras_models` -- TensorFlow/Keras twins of MF and NeuMF (chapter 04).
- :mod:`recsys_helpers.models.sequential` -- next-item models: GRU4Rec-style, SASRec, masked-item (chapter 05).
"""
