"""The base class of the PyTorch recommenders that learn from a user-item matrix (MF, BPR-MF,
NeuMF, two-tower, LightGCN): hyperparameters in ``__init__``, data in ``fit``, training by the
course's one loop, :func:`recsys_helpers.training.train`.

Introduced in chapter 04 (Embeddings and neural collaborative filtering).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
import torch

from recsys_helpers.base import Recommender, check_interactions
from recsys_helpers.sampling import NegativeSampler, positive_pairs
from recsys_helpers.training import TrainConfig, train

__all__ = ["TorchRecommender"]


class TorchRecommender(Recommender):
    """Glue between a network and the :class:`~recsys_helpers.base.Recommender` interface.

    A subclass sets ``training_defaults`` (its default training settings) and implements
    ``_build()`` (a fresh ``torch.nn.Module``), ``_batches(rng)`` (the batches of one epoch),
    ``_loss(module, batch)`` and ``_score_block(users)`` (a (len(users), num_items) tensor for a
    tensor of users on the module's device); ``_prepare(train)`` derives training data from the
    CSR matrix (by default the positive pairs and a negative sampler).

    Parameters
    ----------
    **training
        Any field of :class:`recsys_helpers.training.TrainConfig` (``epochs``, ``batch_size``,
        ``optimizer``, ``lr``, ``weight_decay`` (decoupled), ``l2`` (coupled), ``patience``,
        ``monitor``, ``seed``, ``device``, ``progress``, ...); unset ones take the model's
        ``training_defaults``, then TrainConfig's defaults.

    Attributes
    ----------
    training : TrainConfig
    train_ : csr_matrix, the training interactions
    module_ : torch.nn.Module, the trained network
    history_ : list of dict, one row per epoch (``epoch``, ``loss``, ``val_ndcg``, ``val_hit_rate``)
    best_epoch_ : int, epoch whose weights are kept
    fit_seconds_ : float

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    #: Default training settings of the subclass (see TrainConfig).
    training_defaults: dict[str, Any] = {}
    #: Users scored per forward pass in :meth:`score` (bounds memory for pairwise models).
    score_chunk: int = 1024

    def __init__(self, **training):
        self.training = TrainConfig.from_settings(self.training_defaults, training)

    # hooks ------------------------------------------------------------------
    def _check_train(self, interactions) -> sp.csr_matrix:
        matrix = check_interactions(interactions)
        if matrix.nnz == 0:
            raise ValueError("interactions has no non-zero entry to learn from")
        return matrix

    def _prepare(self, train: sp.csr_matrix) -> None:
        """Default: the (user, item) pairs of the non-zero entries and a negative sampler."""
        self._pos_users, self._pos_items, self._pos_values = positive_pairs(train)
        self._sampler = NegativeSampler(train)

    def _pair_batches(self, rng: np.random.Generator):
        """Shuffled mini-batches of indices into the positive pairs."""
        order = rng.permutation(self._pos_users.size)
        size = self.training.batch_size
        for start in range(0, order.size, size):
            yield order[start:start + size]

    def _bpr_batches(self, rng: np.random.Generator):
        """Mini-batches of (users, positive items, one sampled negative per pair) tensors."""
        for index in self._pair_batches(rng):
            users = self._pos_users[index]
            yield (torch.as_tensor(users), torch.as_tensor(self._pos_items[index]),
                   torch.as_tensor(self._sampler(users, rng)))

    def _build(self):
        raise NotImplementedError

    def _batches(self, rng: np.random.Generator) -> Iterable[Any]:
        raise NotImplementedError

    def _loss(self, module, batch):
        raise NotImplementedError

    def _score_block(self, users):
        raise NotImplementedError

    # public API -------------------------------------------------------------
    def fit(self, interactions, validation=None) -> "TorchRecommender":
        """Train on a (num_users, num_items) matrix; return ``self``.

        Parameters
        ----------
        interactions : sparse matrix of shape (num_users, num_items)
        validation : sparse matrix of the same shape, optional
            Held-out interactions. After every epoch the model ranks all items not in
            ``interactions`` (:func:`recsys_helpers.evaluation.evaluate_full_ranking`) and the
            history records ``val_ndcg`` and ``val_hit_rate`` at ``val_k``; the weights of the best
            ``monitor`` epoch are kept, and ``patience`` stops training early.
        """
        train_matrix = self._check_train(interactions)
        validate = None
        if validation is not None:
            if not sp.issparse(validation) or validation.shape != train_matrix.shape:
                raise ValueError(f"validation must be a sparse matrix of shape {train_matrix.shape}")
            from recsys_helpers.evaluation import evaluate_full_ranking

            validation = sp.csr_matrix(validation)

            def validate(_module) -> dict[str, float]:
                result = evaluate_full_ranking(self.score(), train_matrix, validation,
                                               k=self.training.val_k, metrics=("ndcg", "hit_rate"))
                return {"ndcg": result["ndcg"], "hit_rate": result["hit_rate"]}

        self.num_users_, self.num_items_ = train_matrix.shape
        self.train_ = train_matrix
        self._prepare(train_matrix)

        def build():
            self.module_ = self._build()
            return self.module_

        trained = train(build, lambda epoch, rng: self._batches(rng), self._loss, self.training,
                        validate=validate, description=type(self).__name__)
        self.history_, self.best_epoch_, self.fit_seconds_ = trained.history, trained.best_epoch, trained.seconds
        return self

    @property
    def device_(self) -> torch.device:
        """Device of the fitted network."""
        return next(self.module_.parameters()).device

    def score(self, users=None) -> np.ndarray:
        """Scores of shape (len(users), num_items), float64; higher = more recommendable."""
        users = self._users(users)
        if users.size == 0:
            return np.empty((0, self.num_items_))
        self.module_.eval()
        device = self.device_
        with torch.no_grad():
            blocks = [
                self._score_block(torch.as_tensor(users[start:start + self.score_chunk], device=device)).cpu().numpy()
                for start in range(0, users.size, self.score_chunk)
            ]
        return np.concatenate(blocks).astype(np.float64)
