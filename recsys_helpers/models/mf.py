"""Matrix factorization in PyTorch: explicit ratings (MSE with biases) and implicit feedback (BPR).

- :class:`MatrixFactorization` predicts a rating as ``mu + b_u + b_i + p_u · q_i`` and is trained by
  mean squared error on the observed ratings only (Koren, Bell and Volinsky, 2009).
- :class:`BPRMF` scores ``p_u · q_i`` and is trained with Bayesian Personalized Ranking (Rendle et
  al., 2009): for an observed pair (u, i) and a sampled unobserved item j, maximise
  ``log sigmoid(score(u, i) - score(u, j))``.

Introduced in chapter 04 (Embeddings and neural collaborative filtering).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from recsys_helpers.checks import check_positive_float, check_positive_int
from recsys_helpers.models.torch_base import TorchRecommender

__all__ = ["MatrixFactorization", "BPRMF", "EmbeddingDot"]


class _BiasedDot(nn.Module):
    """``mu + b_u + b_i + p_u · q_i``, the explicit-rating model."""

    def __init__(self, num_users: int, num_items: int, dim: int, init_std: float, mean_rating: float):
        super().__init__()
        self.user = nn.Embedding(num_users, dim)
        self.item = nn.Embedding(num_items, dim)
        self.user_bias = nn.Embedding(num_users, 1)
        self.item_bias = nn.Embedding(num_items, 1)
        nn.init.normal_(self.user.weight, std=init_std)
        nn.init.normal_(self.item.weight, std=init_std)
        nn.init.zeros_(self.user_bias.weight)
        nn.init.zeros_(self.item_bias.weight)
        self.register_buffer("mean", torch.tensor(float(mean_rating)))

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Predicted ratings of the pairs (users[n], items[n]), shape (n,)."""
        dot = (self.user(users) * self.item(items)).sum(-1)
        return self.mean + self.user_bias(users).squeeze(-1) + self.item_bias(items).squeeze(-1) + dot

    def all_items(self, users: torch.Tensor) -> torch.Tensor:
        """Predicted ratings of ``users`` for every item, shape (len(users), num_items)."""
        return (self.mean + self.user_bias(users) + self.item_bias.weight.T
                + self.user(users) @ self.item.weight.T)


class MatrixFactorization(TorchRecommender):
    """Biased matrix factorization for explicit ratings, trained by MSE.

    ``fit`` takes a (num_users, num_items) sparse matrix whose stored values are ratings (for
    example ``interaction_matrix(frame, ..., value_col="rating")``); only the stored entries are
    used. ``score`` returns predicted ratings for every item, so ``recommend`` ranks unseen items by
    predicted rating. That is what this model is for; it ignores which items a user chose to rate,
    so on top-k ranking metrics the implicit-feedback models usually beat it.

    Parameters
    ----------
    dim : int, default 16
        Number of latent factors.
    init_std : float, default 0.1
        Standard deviation of the normal initialisation of the factors (biases start at 0).
    **training
        :class:`recsys_helpers.training.TrainConfig` settings; defaults here: ``epochs=30``,
        ``lr=0.02``, ``batch_size=256``, ``optimizer="adam"`` with decoupled
        ``weight_decay=1.0`` on all parameters (AdamW), ``seed=0``.

    Attributes
    ----------
    mean_rating_ : float
        Mean of the training ratings, the model's ``mu``.

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    training_defaults = {"epochs": 30, "lr": 0.02, "batch_size": 256, "weight_decay": 1.0}

    def __init__(self, dim: int = 16, *, init_std: float = 0.1, **training):
        super().__init__(**training)
        self.dim = check_positive_int("dim", dim)
        self.init_std = check_positive_float("init_std", init_std)

    def _prepare(self, train):
        super()._prepare(train)
        self.mean_rating_ = float(self._pos_values.mean())

    def _build(self):
        return _BiasedDot(self.num_users_, self.num_items_, self.dim, self.init_std, self.mean_rating_)

    def _batches(self, rng):
        for index in self._pair_batches(rng):
            yield (torch.as_tensor(self._pos_users[index]), torch.as_tensor(self._pos_items[index]),
                   torch.as_tensor(self._pos_values[index]))

    def _loss(self, module, batch):
        users, items, ratings = batch
        return F.mse_loss(module(users, items), ratings)

    def _score_block(self, users):
        return self.module_.all_items(users)

    def predict(self, users, items) -> np.ndarray:
        """Predicted ratings of the pairs (users[n], items[n]).

        Parameters
        ----------
        users, items : arrays of int of the same length n

        Returns
        -------
        ndarray of float64, shape (n,); not clipped to the rating scale.
        """
        users = self._users(users)
        items = np.asarray(items, dtype=np.int64).ravel()
        if items.shape != users.shape:
            raise ValueError(f"users and items must have the same length, got {users.size} and {items.size}")
        if items.size and (items.min() < 0 or items.max() >= self.num_items_):
            raise ValueError(f"item indices must be in [0, {self.num_items_}), got min {items.min()} max {items.max()}")
        self.module_.eval()
        with torch.no_grad():
            device = self.device_
            predicted = self.module_(torch.tensor(users, device=device), torch.tensor(items, device=device))
            return predicted.cpu().numpy().astype(np.float64)


class EmbeddingDot(nn.Module):
    """``p_u · q_i``, the implicit-feedback model that :class:`BPRMF` trains.

    ``user`` and ``item`` are ``nn.Embedding`` tables of shape (num_users, dim) and (num_items,
    dim), initialised from Normal(0, ``init_std``) in that order (so ``torch.manual_seed`` fixes
    both). :mod:`recsys_helpers.distributed` trains it with data parallelism.
    """

    def __init__(self, num_users: int, num_items: int, dim: int, init_std: float):
        super().__init__()
        self.user = nn.Embedding(num_users, dim)
        self.item = nn.Embedding(num_items, dim)
        nn.init.normal_(self.user.weight, std=init_std)
        nn.init.normal_(self.item.weight, std=init_std)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Scores of item tensor ``items`` (any shape with leading dim n) for users (n,)."""
        user = self.user(users)
        item = self.item(items)
        if item.dim() == 3:  # (n, m, dim): several items per user
            return torch.einsum("nd,nmd->nm", user, item)
        return (user * item).sum(-1)


class BPRMF(TorchRecommender):
    """Matrix factorization for implicit feedback, trained with the BPR pairwise loss.

    Each training example is an observed pair (u, i) with one item j drawn uniformly from the items
    u has not interacted with (:class:`recsys_helpers.sampling.NegativeSampler`, fresh
    every epoch); the loss is ``-log sigmoid(p_u · q_i - p_u · q_j)`` averaged over the batch.
    Non-zero entries of the training matrix are positives whatever their value.

    Parameters
    ----------
    dim : int, default 32
    init_std : float, default 0.1
    **training
        :class:`recsys_helpers.training.TrainConfig` settings; defaults here: ``epochs=40``,
        ``lr=0.01``, ``batch_size=256``, ``optimizer="adam"`` with decoupled
        ``weight_decay=3.0`` (AdamW; strong decay is what keeps BPR from overfitting small data).

    Attributes
    ----------
    user_embeddings_, item_embeddings_ : ndarray of shape (num_users, dim), (num_items, dim)

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    training_defaults = {"epochs": 40, "lr": 0.01, "batch_size": 256, "weight_decay": 3.0}

    def __init__(self, dim: int = 32, *, init_std: float = 0.1, **training):
        super().__init__(**training)
        self.dim = check_positive_int("dim", dim)
        self.init_std = check_positive_float("init_std", init_std)

    def _build(self):
        return EmbeddingDot(self.num_users_, self.num_items_, self.dim, self.init_std)

    def _batches(self, rng):
        return self._bpr_batches(rng)

    def _loss(self, module, batch):
        users, positives, negatives = batch
        return -F.logsigmoid(module(users, positives) - module(users, negatives)).mean()

    def _score_block(self, users):
        return self.module_.user(users) @ self.module_.item.weight.T

    @property
    def user_embeddings_(self) -> np.ndarray:
        return self.module_.user.weight.detach().cpu().numpy().copy()

    @property
    def item_embeddings_(self) -> np.ndarray:
        return self.module_.item.weight.detach().cpu().numpy().copy()
