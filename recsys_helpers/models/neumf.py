"""Neural matrix factorization, NeuMF (He et al., 2017), in PyTorch.

Two towers read separate user and item embeddings:

- GMF (generalized matrix factorization): the element-wise product ``p_u ⊙ q_i``;
- MLP: the concatenation ``[p'_u ; q'_i]`` through ReLU layers.

Their outputs are concatenated and a final linear layer gives one logit per (user, item) pair.
Training is pointwise: each observed pair is a positive (label 1) and ``num_negatives`` items the
user has not interacted with, drawn afresh every epoch, are negatives (label 0); the loss is binary
cross-entropy. ``mode="gmf"`` or ``mode="mlp"`` keeps one tower only, as in the paper's ablations.
The paper also pre-trains the two towers separately; this implementation trains NeuMF end to end.

Introduced in chapter 04 (Embeddings and neural collaborative filtering).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from recsys_helpers.checks import check_neumf_config, check_positive_float, check_positive_int
from recsys_helpers.models.torch_base import TorchRecommender

__all__ = ["NeuMF"]


class _NeuMFNet(nn.Module):
    def __init__(self, num_users: int, num_items: int, *, mode: str, dim: int, mlp_layers: tuple[int, ...],
                 init_std: float):
        super().__init__()
        self.mode = mode
        width = 0
        if mode in ("neumf", "gmf"):
            self.gmf_user = nn.Embedding(num_users, dim)
            self.gmf_item = nn.Embedding(num_items, dim)
            nn.init.normal_(self.gmf_user.weight, std=init_std)
            nn.init.normal_(self.gmf_item.weight, std=init_std)
            width += dim
        if mode in ("neumf", "mlp"):
            half = mlp_layers[0] // 2
            self.mlp_user = nn.Embedding(num_users, half)
            self.mlp_item = nn.Embedding(num_items, half)
            nn.init.normal_(self.mlp_user.weight, std=init_std)
            nn.init.normal_(self.mlp_item.weight, std=init_std)
            layers: list[nn.Module] = []
            for width_in, width_out in zip(mlp_layers[:-1], mlp_layers[1:]):
                layers += [nn.Linear(width_in, width_out), nn.ReLU()]
            self.mlp = nn.Sequential(*layers)
            width += mlp_layers[-1]
        self.output = nn.Linear(width, 1)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Logits of the pairs (users[n], items[n]), shape (n,)."""
        parts = []
        if self.mode in ("neumf", "gmf"):
            parts.append(self.gmf_user(users) * self.gmf_item(items))
        if self.mode in ("neumf", "mlp"):
            parts.append(self.mlp(torch.cat([self.mlp_user(users), self.mlp_item(items)], dim=-1)))
        return self.output(torch.cat(parts, dim=-1)).squeeze(-1)


class NeuMF(TorchRecommender):
    """NeuMF / GMF / MLP collaborative filtering with binary cross-entropy and sampled negatives.

    Parameters
    ----------
    mode : {"neumf", "gmf", "mlp"}, default "neumf"
        Both towers, or only one of them.
    dim : int, default 16
        GMF embedding size (the "predictive factors" of the paper).
    mlp_layers : sequence of int, default (32, 16, 8)
        Widths of the MLP tower, input first: the user and item MLP embeddings have
        ``mlp_layers[0] // 2`` dimensions each, so ``mlp_layers[0]`` must be even. One width means
        no hidden layer (the concatenated embeddings go straight to the output layer).
    num_negatives : int, default 4
        Sampled negatives per observed pair and epoch.
    init_std : float, default 0.1
    **training
        :class:`recsys_helpers.training.TrainConfig` settings; defaults here: ``epochs=20``,
        ``lr=0.01``, ``batch_size=256``, ``optimizer="adam"`` with decoupled
        ``weight_decay=1.0`` (AdamW).

    ``score`` returns logits (higher = more likely to interact); apply a sigmoid for probabilities.

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    score_chunk = 256

    training_defaults = {"epochs": 20, "lr": 0.01, "batch_size": 256, "weight_decay": 1.0}

    def __init__(self, mode: str = "neumf", *, dim: int = 16, mlp_layers=(32, 16, 8), num_negatives: int = 4,
                 init_std: float = 0.1, **training):
        super().__init__(**training)
        self.mlp_layers = check_neumf_config(mode, mlp_layers)
        self.mode = mode
        self.dim = check_positive_int("dim", dim)
        self.num_negatives = check_positive_int("num_negatives", num_negatives)
        self.init_std = check_positive_float("init_std", init_std)

    def _build(self):
        return _NeuMFNet(self.num_users_, self.num_items_, mode=self.mode, dim=self.dim,
                         mlp_layers=self.mlp_layers, init_std=self.init_std)

    def _batches(self, rng):
        negatives_per_pair = self.num_negatives
        for index in self._pair_batches(rng):
            users = self._pos_users[index]
            negatives = self._sampler(users, rng, negatives_per_pair)  # (n, num_negatives)
            all_users = np.concatenate([users, np.repeat(users, negatives_per_pair)])
            all_items = np.concatenate([self._pos_items[index], negatives.ravel()])
            labels = np.concatenate([np.ones(users.size), np.zeros(negatives.size)]).astype(np.float32)
            yield torch.as_tensor(all_users), torch.as_tensor(all_items), torch.as_tensor(labels)

    def _loss(self, module, batch):
        users, items, labels = batch
        return F.binary_cross_entropy_with_logits(module(users, items), labels)

    def _score_block(self, users):
        num_items = self.num_items_
        pair_users = users.repeat_interleave(num_items)
        pair_items = torch.arange(num_items, device=users.device).repeat(users.numel())
        return self.module_(pair_users, pair_items).reshape(users.numel(), num_items)
