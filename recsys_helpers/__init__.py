"""Helpers for the course *Recommender Systems in the Era of Large Models*.

One module per concern:

- :mod:`recsys_helpers.base` -- the ``Recommender`` interface: ``fit``/``score``/``recommend`` (chapter 01).
- :mod:`recsys_helpers.data` -- readers of MovieLens-100k and its knowledge graph (chapters 01, 06), RetailRocket
  (chapter 10), Higgs Twitter (chapter 11) and Last.fm-1K (chapter 12).
- :mod:`recsys_helpers.preprocessing` -- ID encoding and implicit feedback (chapter 01), sessions from time gaps
  (chapter 12).
- :mod:`recsys_helpers.split` -- train/test splits that do not leak (chapter 01).
- :mod:`recsys_helpers.metrics` -- ranking, classification, rating and beyond-accuracy metrics (chapter 02).
- :mod:`recsys_helpers.evaluation` -- full-ranking top-k recommendation and evaluation (chapter 02).
- :mod:`recsys_helpers.baselines` -- popularity, item/user kNN and TF-IDF content baselines (chapter 01).
- :mod:`recsys_helpers.models` -- trainable models: EASE, MF/BPR, NeuMF, two-tower, LightGCN, Keras twins
  (chapter 04) and sequential next-item models (chapter 05).
- :mod:`recsys_helpers.training` -- the one PyTorch training loop every model uses: optimizers, decoupled
  weight decay vs L2, early stopping, checkpoints, local seeding (chapter 04; taken apart in chapter 08).
- :mod:`recsys_helpers.sampling` -- training pairs and negative sampling for implicit feedback (chapter 04).
- :mod:`recsys_helpers.checks` -- argument checks that name the argument and the value (chapter 04).
- :mod:`recsys_helpers.uncertainty` -- bootstrap and paired-bootstrap intervals over users (chapter 02).
- :mod:`recsys_helpers.text` -- item text embeddings from a pretrained sentence encoder, cached on disk (chapter 06).
- :mod:`recsys_helpers.llm` -- a small instruction-tuned LLM loaded offline from its wheel, candidate scoring
  (chapter 07).
- :mod:`recsys_helpers.worlds` -- seeded simulated worlds with a known ground truth: a shop (chapter 10), a
  social platform (chapter 11) and a music service (chapter 12).
- :mod:`recsys_helpers.serving` -- an LRU cache, a small HTTP recommendation service and a load generator (chapter 13).
- :mod:`recsys_helpers.distributed` -- data-parallel BPR-MF training with torch.distributed, gloo on loopback
  (chapter 13).
"""

__version__ = "0.1.0"
