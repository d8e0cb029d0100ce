"""LightGCN (He et al., 2020): graph convolution without weights or non-linearities, in PyTorch.

Users and items are the nodes of the bipartite interaction graph, with adjacency
``A = [[0, R], [Rᵀ, 0]]`` for the binary interaction matrix R. LightGCN keeps only neighbourhood
aggregation with the symmetric normalisation ``Â = D^{-1/2} A D^{-1/2}`` (D the node degrees):

    E^(0) = free embeddings,   E^(l+1) = Â E^(l),   E = (E^(0) + ... + E^(L)) / (L + 1),

and scores a pair by the dot product of its final user and item embeddings. Training uses BPR with
one sampled negative per observed pair. Â is a sparse tensor; propagation is ``torch.sparse.mm``.

Introduced in chapter 04 (Embeddings and neural collaborative filtering).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn import functional as F

from recsys_helpers.checks import check_non_negative_int, check_positive_float, check_positive_int
from recsys_helpers.models.torch_base import TorchRecommender

__all__ = ["LightGCN", "normalized_adjacency"]


def normalized_adjacency(interactions) -> sp.csr_matrix:
    """Symmetric-normalised adjacency ``D^{-1/2} A D^{-1/2}`` of the user-item bipartite graph.

    Parameters
    ----------
    interactions : sparse matrix of shape (num_users, num_items)
        Non-zero entries are edges (weights are ignored).

    Returns
    -------
    csr_matrix of shape (num_users + num_items, num_users + num_items)
        Users first, then items. Entry (u, num_users + i) is ``1 / sqrt(deg(u) deg(i))`` for an
        edge; nodes without edges have all-zero rows. Symmetric, values in (0, 1].

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """
    binary = (sp.csr_matrix(interactions) != 0).astype(np.float64)
    adjacency = sp.bmat([[None, binary], [binary.T, None]], format="csr")
    degree = np.asarray(adjacency.sum(axis=1)).ravel()
    inverse_sqrt = np.divide(1.0, np.sqrt(degree), out=np.zeros_like(degree), where=degree > 0)
    scale = sp.diags(inverse_sqrt)
    return (scale @ adjacency @ scale).tocsr()


class _LightGCNNet(nn.Module):
    def __init__(self, num_users: int, num_items: int, dim: int, num_layers: int, adjacency: sp.csr_matrix,
                 init_std: float):
        super().__init__()
        self.num_users, self.num_layers = num_users, num_layers
        self.embedding = nn.Embedding(num_users + num_items, dim)
        nn.init.normal_(self.embedding.weight, std=init_std)
        coo = adjacency.tocoo()
        indices = torch.as_tensor(np.vstack([coo.row, coo.col]), dtype=torch.int64)
        # A plain attribute, not a buffer: the graph is data, not a learned or saved state
        # (so ``_apply`` below moves it with the module).
        self.adjacency = torch.sparse_coo_tensor(indices, torch.as_tensor(coo.data, dtype=torch.float32),
                                                 adjacency.shape, check_invariants=True).coalesce()

    def _apply(self, fn, *args, **kwargs):
        super()._apply(fn, *args, **kwargs)
        self.adjacency = self.adjacency.to(self.embedding.weight.device)
        return self

    def propagate(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Final (layer-averaged) user and item embeddings, shapes (num_users, dim), (num_items, dim)."""
        layer = self.embedding.weight
        total = layer
        for _ in range(self.num_layers):
            layer = torch.sparse.mm(self.adjacency, layer)
            total = total + layer
        final = total / (self.num_layers + 1)
        return final[:self.num_users], final[self.num_users:]


class LightGCN(TorchRecommender):
    """LightGCN collaborative filtering with BPR loss.

    Parameters
    ----------
    dim : int, default 32
        Embedding size.
    num_layers : int, >= 0, default 3
        Propagation layers L. With 0 layers LightGCN is plain BPR matrix factorization.
    init_std : float, default 0.1
    **training
        :class:`recsys_helpers.training.TrainConfig` settings; defaults here: ``epochs=20``,
        ``lr=0.03``, ``batch_size=256``, ``optimizer="adam"`` with decoupled
        ``weight_decay=3.0`` (AdamW) on the layer-0 embeddings (the only parameters).

    Attributes
    ----------
    adjacency_ : csr_matrix, :func:`normalized_adjacency` of the training data
    user_embeddings_, item_embeddings_ : ndarray, final propagated embeddings

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    training_defaults = {"epochs": 20, "lr": 0.03, "batch_size": 256, "weight_decay": 3.0}

    def __init__(self, dim: int = 32, *, num_layers: int = 3, init_std: float = 0.1, **training):
        super().__init__(**training)
        self.dim = check_positive_int("dim", dim)
        self.num_layers = check_non_negative_int("num_layers", num_layers)
        self.init_std = check_positive_float("init_std", init_std)

    def _prepare(self, train):
        super()._prepare(train)
        self.adjacency_ = normalized_adjacency(train)

    def _build(self):
        return _LightGCNNet(self.num_users_, self.num_items_, self.dim, self.num_layers, self.adjacency_,
                            self.init_std)

    def _batches(self, rng):
        return self._bpr_batches(rng)

    def _loss(self, module, batch):
        users, positives, negatives = batch
        user_final, item_final = module.propagate()
        user = user_final[users]
        margin = (user * item_final[positives]).sum(-1) - (user * item_final[negatives]).sum(-1)
        return -F.logsigmoid(margin).mean()

    def _score_block(self, users):
        user_final, item_final = self.module_.propagate()
        return user_final[users] @ item_final.T

    @property
    def user_embeddings_(self) -> np.ndarray:
        with torch.no_grad():
            return self.module_.propagate()[0].cpu().numpy().copy()

    @property
    def item_embeddings_(self) -> np.ndarray:
        with torch.no_grad():
            return self.module_.propagate()[1].cpu().numpy().copy()
