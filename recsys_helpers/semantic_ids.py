"""Items as tokens: semantic IDs, prefix trees and a generator that emits the next item's codes.

An item's **semantic ID** is a short tuple of codes, one per level, computed from its content
vector (TIGER, Rajput et al., NeurIPS 2023): level 1 quantises the vector, level 2 the residual
left by level 1, and so on (:func:`residual_kmeans`, or the small :class:`RQVAE`). Items that end
up with the same tuple get one more token that tells them apart (:func:`dedupe_codes`).

:class:`SemanticIdGenerator` reads a history as the codes of its items and generates the next
item one code at a time. Its scores of the whole catalogue are exact log-probabilities of each
item's code tuple, so it is evaluated with the same full-ranking protocol as SASRec (chapter 05);
:meth:`SemanticIdGenerator.generate` decodes by beam search, constrained to valid codes by a
prefix tree (:func:`prefix_tree`, :func:`beam_step`) or not.

Code convention: ``codes`` is an int array of shape (num_items, levels), row i the tuple of item
i, every entry in ``0..vocab_size[level]-1``.

Introduced in chapter 15 (Items as tokens: semantic IDs and generative retrieval).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from recsys_helpers.checks import check_item_sequences, check_positive_int
from recsys_helpers.models.sequential import (
    IGNORE,
    PAD,
    _check_blocks,
    _NextItemModel,
    _TransformerBlock,
    causal_attention_mask,
)
from recsys_helpers.training import TrainConfig, train

__all__ = [
    "kmeans",
    "residual_kmeans",
    "reconstruct",
    "codebook_perplexity",
    "collision_rate",
    "dedupe_codes",
    "prefix_tree",
    "beam_step",
    "RQVAE",
    "SemanticIdGenerator",
]


# --------------------------------------------------------------------------- tokenising items
def _check_codes(codes) -> np.ndarray:
    codes = np.asarray(codes)
    if codes.ndim != 2 or codes.shape[0] == 0 or codes.shape[1] == 0:
        raise ValueError(f"codes must be a non-empty 2-D array (num_items, levels), got shape {codes.shape}")
    if not np.issubdtype(codes.dtype, np.integer) or (codes < 0).any():
        raise ValueError("codes must hold non-negative integers")
    return codes.astype(np.int64)


def kmeans(vectors, k: int, *, seed: int = 0, max_iter: int = 100) -> tuple[np.ndarray, np.ndarray]:
    """Lloyd's k-means with a k-means++ start: (centroids (k, dim), labels (n,)).

    Iterates until no label changes (or ``max_iter``); an emptied cluster takes the point
    farthest from its centroid. Deterministic given ``seed``; plain NumPy, so the same on every
    machine and thread count.
    """
    x = np.asarray(vectors, dtype=np.float64)
    k = check_positive_int("k", k)
    if x.ndim != 2 or len(x) < k:
        raise ValueError(f"vectors must be 2-D with at least k={k} rows, got shape {x.shape}")
    rng = np.random.default_rng(seed)
    norms = (x ** 2).sum(axis=1)
    centroids = np.empty((k, x.shape[1]))
    centroids[0] = x[rng.integers(len(x))]
    closest = ((x - centroids[0]) ** 2).sum(axis=1)
    for c in range(1, k):  # k-means++: the next centroid with probability ~ squared distance
        weights = closest / closest.sum() if closest.sum() > 0 else None  # all equal: uniform
        centroids[c] = x[rng.choice(len(x), p=weights)]
        closest = np.minimum(closest, ((x - centroids[c]) ** 2).sum(axis=1))
    labels = np.full(len(x), -1)
    for _ in range(max_iter):
        distances = norms[:, None] - 2 * x @ centroids.T + (centroids ** 2).sum(axis=1)[None]
        new_labels = distances.argmin(axis=1)
        if np.array_equal(new_labels, labels):
            break
        labels = new_labels
        counts = np.bincount(labels, minlength=k)
        members = np.zeros((k, len(x)))
        members[labels, np.arange(len(x))] = 1.0
        sums = members @ x
        for empty in np.flatnonzero(counts == 0):
            far = int(distances[np.arange(len(x)), labels].argmax())
            sums[empty], counts[empty] = x[far], 1
            labels[far] = empty
        centroids = sums / counts[:, None]
    return centroids, labels


def residual_kmeans(vectors, *, levels: int = 3, k: int = 64, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Residual k-means (RQ-KMeans): k-means on the vectors, then on what each level leaves over.

    Level 0 clusters ``vectors`` into ``k`` centroids (:func:`kmeans`, seed ``seed + level``);
    each item's code is its nearest centroid, which is subtracted; level 1 clusters those
    residuals, and so on.

    Parameters
    ----------
    vectors : array (num_items, dim), num_items >= k
    levels, k : int >= 1
    seed : int

    Returns
    -------
    codes : int64 array (num_items, levels), entries in 0..k-1
    codebooks : float array (levels, k, dim)
        ``reconstruct(codes, codebooks)`` approximates ``vectors``.
    """
    vectors = np.asarray(vectors, dtype=np.float64)
    levels, k = check_positive_int("levels", levels), check_positive_int("k", k)
    if vectors.ndim != 2 or len(vectors) < k:
        raise ValueError(f"vectors must be 2-D with at least k={k} rows, got shape {vectors.shape}")
    residual = vectors.copy()
    codes = np.empty((len(vectors), levels), dtype=np.int64)
    codebooks = np.empty((levels, k, vectors.shape[1]))
    for level in range(levels):
        codebooks[level], codes[:, level] = kmeans(residual, k, seed=seed + level)
        residual -= codebooks[level][codes[:, level]]
    return codes, codebooks


def reconstruct(codes, codebooks) -> np.ndarray:
    """Sum over levels of each item's codeword: array (num_items, dim)."""
    codes = _check_codes(codes)
    codebooks = np.asarray(codebooks)
    return sum(codebooks[level][codes[:, level]] for level in range(codes.shape[1]))


def codebook_perplexity(codes, k: int) -> np.ndarray:
    """Usage of each level's codebook: exp(entropy of the code frequencies), one value per level.

    It is ``k`` when every code is used equally often and 1 when one code takes every item.
    """
    codes = _check_codes(codes)
    k = check_positive_int("k", k)
    result = []
    for column in codes.T:
        share = np.bincount(column, minlength=k) / column.size
        share = share[share > 0]
        result.append(float(np.exp(-(share * np.log(share)).sum())))
    return np.array(result)


def collision_rate(codes) -> float:
    """Share of items whose whole code tuple is shared with at least one other item."""
    codes = _check_codes(codes)
    _, inverse, counts = np.unique(codes, axis=0, return_inverse=True, return_counts=True)
    return float((counts[inverse.ravel()] > 1).mean())


def dedupe_codes(codes) -> np.ndarray:
    """Append TIGER's disambiguation token: 0, 1, 2, ... among items that share a tuple, by item index.

    >>> dedupe_codes([[1, 2], [0, 5], [1, 2]]).tolist()
    [[1, 2, 0], [0, 5, 0], [1, 2, 1]]
    """
    codes = _check_codes(codes)
    _, inverse = np.unique(codes, axis=0, return_inverse=True)
    inverse = inverse.ravel()
    order = np.argsort(inverse, kind="stable")
    group_start = np.r_[True, inverse[order][1:] != inverse[order][:-1]]
    starts = np.maximum.accumulate(np.where(group_start, np.arange(order.size), 0))
    extra = np.empty(order.size, dtype=np.int64)
    extra[order] = np.arange(order.size) - starts
    return np.column_stack([codes, extra])


def prefix_tree(codes) -> dict[tuple, list[int]]:
    """Which token may follow each valid prefix: ``{prefix tuple: sorted list of tokens}``.

    Keys are every prefix of length 0 to levels - 1 of some item's tuple (``()`` included).

    >>> prefix_tree([[1, 2], [1, 0], [3, 2]])
    {(): [1, 3], (1,): [0, 2], (3,): [2]}
    """
    codes = _check_codes(codes)
    tree: dict[tuple, set] = {}
    for row in codes.tolist():
        for length in range(len(row)):
            tree.setdefault(tuple(row[:length]), set()).add(row[length])
    return {prefix: sorted(tokens) for prefix, tokens in tree.items()}


def beam_step(scores: torch.Tensor, log_probs: torch.Tensor, beam: int, allowed: torch.Tensor | None = None):
    """One step of beam search for a batch of searches.

    Parameters
    ----------
    scores : tensor (batch, beams), the running log-probabilities (-inf for an empty slot)
    log_probs : tensor (batch, beams, vocab), of the next token after each beam's prefix
    beam : int, how many extensions to keep
    allowed : bool tensor (batch, beams, vocab), optional; False = the token may not follow

    Returns
    -------
    new_scores : tensor (batch, beam), best first
    parents, tokens : long tensors (batch, beam), the beam each extension extends and its token
        Ties go to the lower (beam, token) position, so the result is deterministic.
    """
    batch, beams, vocab = log_probs.shape
    candidates = scores[:, :, None] + log_probs
    if allowed is not None:
        candidates = candidates.masked_fill(~allowed, float("-inf"))
    flat = candidates.reshape(batch, beams * vocab)
    order = torch.sort(flat, dim=1, descending=True, stable=True).indices[:, :beam]
    return flat.gather(1, order), order // vocab, order % vocab


# --------------------------------------------------------------------------- RQ-VAE
class RQVAE(nn.Module):
    """A small residual-quantised autoencoder (TIGER's tokenizer): MLP encoder, ``levels``
    codebooks of ``k`` vectors on the latent residuals, MLP decoder.

    Trained by :meth:`fit` with reconstruction MSE + codebook loss + ``commitment`` x commitment
    loss and straight-through gradients. ``kmeans_init=True`` sets each codebook, before training,
    to k-means centroids of the first batch's residuals (as TIGER does); without it, codebooks
    start from random vectors and may collapse onto a few codes.
    """

    def __init__(self, dim: int, *, hidden: int = 128, latent: int = 32, levels: int = 3, k: int = 64):
        super().__init__()
        self.dim, self.hidden, self.latent = (check_positive_int(n, v) for n, v in
                                              (("dim", dim), ("hidden", hidden), ("latent", latent)))
        self.levels, self.k = check_positive_int("levels", levels), check_positive_int("k", k)

    def _make_layers(self) -> None:
        """Fresh weights (called by :meth:`fit` inside its seeded context)."""
        self.encoder = nn.Sequential(nn.Linear(self.dim, self.hidden), nn.ReLU(), nn.Linear(self.hidden, self.latent))
        self.decoder = nn.Sequential(nn.Linear(self.latent, self.hidden), nn.ReLU(), nn.Linear(self.hidden, self.dim))
        self.codebooks = nn.Parameter(torch.randn(self.levels, self.k, self.latent))

    def quantise(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(codes (n, levels), quantised latents (n, latent), codebook + commitment terms (2,))."""
        residual, quantised, codes = z, torch.zeros_like(z), []
        codebook_loss = commitment_loss = z.new_zeros(())
        for level in range(self.levels):
            book = self.codebooks[level]
            code = torch.cdist(residual.detach(), book.detach()).argmin(dim=1)
            chosen = book[code]
            codebook_loss = codebook_loss + ((residual.detach() - chosen) ** 2).mean()
            commitment_loss = commitment_loss + ((residual - chosen.detach()) ** 2).mean()
            quantised = quantised + chosen
            residual = residual - chosen.detach()
            codes.append(code)
        return torch.stack(codes, dim=1), quantised, torch.stack([codebook_loss, commitment_loss])

    @torch.no_grad()
    def _kmeans_init(self, z: torch.Tensor, seed: int) -> None:
        codes, books = residual_kmeans(z.cpu().numpy(), levels=self.levels, k=self.k, seed=seed)
        self.codebooks.copy_(torch.as_tensor(books, dtype=z.dtype, device=z.device))

    def fit(self, vectors, *, epochs: int = 200, lr: float = 1e-3, batch_size: int = 512,
            commitment: float = 0.25, kmeans_init: bool = True, seed: int = 0, device="cpu") -> "RQVAE":
        """Train on ``vectors`` (num_items, dim); returns self with ``history_`` (loss per epoch)."""
        epochs, batch_size = check_positive_int("epochs", epochs), check_positive_int("batch_size", batch_size)
        data = torch.as_tensor(np.asarray(vectors), dtype=torch.float32)
        config = TrainConfig(epochs=epochs, lr=lr, batch_size=batch_size, seed=seed, device=device)
        state = {"initialised": not kmeans_init}

        def build():
            self._make_layers()
            return self

        def batches(epoch, rng):
            order = torch.as_tensor(rng.permutation(len(data)))
            for start in range(0, len(order), batch_size):
                yield data[order[start:start + batch_size]]

        def loss(module, batch):
            z = module.encoder(batch)
            if not state["initialised"]:
                module._kmeans_init(z.detach(), seed)
                state["initialised"] = True
            _, quantised, terms = module.quantise(z)
            decoded = module.decoder(z + (quantised - z).detach())  # straight-through
            return ((decoded - batch) ** 2).mean() + terms[0] + commitment * terms[1]

        trained = train(build, batches, loss, config, description="RQVAE")
        self.history_ = trained.history
        return self

    @torch.no_grad()
    def codes(self, vectors) -> np.ndarray:
        """Code tuples (num_items, levels) of ``vectors`` under the trained codebooks."""
        if not hasattr(self, "history_"):
            raise RuntimeError("RQVAE is not fitted: call fit(vectors) first")
        self.eval()
        device = self.codebooks.device
        z = self.encoder(torch.as_tensor(np.asarray(vectors), dtype=torch.float32, device=device))
        return self.quantise(z)[0].cpu().numpy()


# --------------------------------------------------------------------------- the generator
class _CodeNet(nn.Module):
    """Causal Transformer over items represented by their codes, with an autoregressive code head.

    An item enters as the sum of one embedding per code (token ``i + 1`` -> codes of item i; 0 is
    padding). The state h at a position predicts the next item's codes one level at a time:
    ``p(c_l | h, c_<l) = softmax(head_l(h + sum_{j<l} prefix_j[c_j]))``, ``head_l`` a two-layer
    MLP (GELU).
    """

    def __init__(self, codes: np.ndarray, vocab_sizes: list[int], max_len: int, *, hidden: int,
                 num_blocks: int, num_heads: int, dropout: float):
        super().__init__()
        self.num_items, self.levels = codes.shape
        self.max_len = max_len
        self.vocab_sizes = list(vocab_sizes)
        self.register_buffer("token_codes", torch.as_tensor(np.vstack([np.zeros((1, self.levels)), codes]),
                                                             dtype=torch.long))
        self.code_embedding = nn.ModuleList(nn.Embedding(v, hidden) for v in self.vocab_sizes)
        self.prefix_embedding = nn.ModuleList(nn.Embedding(v, hidden) for v in self.vocab_sizes[:-1])
        self.heads = nn.ModuleList(
            nn.Sequential(nn.Linear(hidden, hidden), nn.GELU(), nn.Linear(hidden, v)) for v in self.vocab_sizes
        )
        self.position_embedding = nn.Embedding(max_len, hidden)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            _TransformerBlock(hidden, num_heads, dropout, hidden, nn.ReLU) for _ in range(num_blocks)
        )
        self.final_norm = nn.LayerNorm(hidden)
        # every item's prefix at each level, as an index into that level's distinct prefixes
        self._prefixes = []
        for level in range(self.levels):
            distinct, index = np.unique(codes[:, :level], axis=0, return_inverse=True)
            self._prefixes.append((torch.as_tensor(distinct.reshape(len(distinct), level), dtype=torch.long),
                                   torch.as_tensor(index.ravel(), dtype=torch.long)))

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Hidden states (batch, length, hidden) of left-padded item tokens (batch, length)."""
        length = tokens.shape[1]
        if length > self.max_len:
            raise ValueError(f"sequences of length {length} exceed the model's max_len {self.max_len}")
        device = tokens.device
        codes = self.token_codes[tokens]
        x = sum(self.code_embedding[level](codes[..., level]) for level in range(self.levels))
        x = x * (tokens != PAD)[..., None]
        recency = torch.arange(length - 1, -1, -1, device=device)
        x = self.dropout(x + self.position_embedding(recency)[None])
        blocked = (tokens == PAD)[:, None, :].expand(-1, length, -1) | causal_attention_mask(length, device)[None]
        blocked = blocked & ~torch.eye(length, dtype=torch.bool, device=device)[None]
        for block in self.blocks:
            x = block(x, blocked)
        return self.final_norm(x)

    def prefix_state(self, prefixes: torch.Tensor) -> torch.Tensor:
        """sum_j prefix_j[c_j] for prefixes (n, level) -> (n, hidden) (zeros for level 0)."""
        state = self.position_embedding.weight.new_zeros(prefixes.shape[0], self.position_embedding.weight.shape[1])
        for level in range(prefixes.shape[1]):
            state = state + self.prefix_embedding[level](prefixes[:, level])
        return state

    def step_log_probs(self, hidden: torch.Tensor, prefixes: torch.Tensor) -> torch.Tensor:
        """log p(next code | h, prefix) for hidden (n, hidden), prefixes (n, level): (n, vocab_level)."""
        level = prefixes.shape[1]
        return self.heads[level](hidden + self.prefix_state(prefixes)).log_softmax(dim=-1)

    def code_loss(self, hidden: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        """Mean cross-entropy per code of the items' tuples, teacher-forced."""
        codes = self.token_codes[items + 1]
        return sum(
            nn.functional.nll_loss(self.step_log_probs(hidden, codes[:, :level]), codes[:, level])
            for level in range(self.levels)
        ) / self.levels

    def logits(self, hidden: torch.Tensor, chunk: int = 64) -> torch.Tensor:
        """Exact log-probability of every item's tuple, (batch, num_items); codes that name no
        item keep the rest of the probability mass."""
        out = []
        for start in range(0, hidden.shape[0], chunk):
            h = hidden[start:start + chunk]
            total = h.new_zeros(h.shape[0], self.num_items)
            for level, (distinct, index) in enumerate(self._prefixes):
                distinct, index = distinct.to(h.device), index.to(h.device)
                inner, activation, outer = self.heads[level]
                # inner(h + s) = inner(h) + W s: one term per user, one per distinct prefix
                state = self.prefix_state(distinct) @ inner.weight.T  # (prefixes, hidden)
                log_probs = outer(activation(inner(h)[:, None, :] + state[None])).log_softmax(dim=-1)
                code = self.token_codes[1:, level].to(h.device)
                total = total + log_probs[:, index, code]
            out.append(total)
        return torch.cat(out)


class SemanticIdGenerator(_NextItemModel):
    """Generative retrieval over item codes: a causal Transformer reads the history's codes and
    emits the next item's codes (TIGER's idea in a decoder-only form, at the scale of chapter 05).

    Parameters
    ----------
    codes : int array (num_items, levels)
        Each item's tuple; must be unique per item (see :func:`dedupe_codes`).
    vocab_sizes : list of int, optional
        Tokens per level (default: largest code + 1 of each column). Codes that name no item stay
        in the vocabulary, so the model can generate invalid tuples.
    hidden, num_blocks, num_heads, dropout, max_len, stride, **training
        As :class:`recsys_helpers.models.sequential.SASRec`.

    ``score_next`` returns each item's exact log-probability (the sum over levels of its codes'
    log-probabilities), so the full-ranking protocol of chapter 05 applies unchanged;
    :meth:`generate` decodes by beam search.
    """

    def __init__(self, codes, *, vocab_sizes=None, hidden: int = 64, num_blocks: int = 2, num_heads: int = 1,
                 dropout: float = 0.2, max_len: int = 20, stride: int | None = None, **training):
        codes = _check_codes(codes)
        if len(np.unique(codes, axis=0)) != len(codes):
            raise ValueError("codes must give every item its own tuple: append a token with dedupe_codes")
        super().__init__(len(codes), hidden=hidden, dropout=dropout, max_len=max_len, stride=stride, **training)
        _check_blocks(num_blocks, num_heads, self.hidden)
        self.num_blocks, self.num_heads = int(num_blocks), int(num_heads)
        self.codes = codes
        default = (codes.max(axis=0) + 1).tolist()
        self.vocab_sizes = default if vocab_sizes is None else [int(v) for v in vocab_sizes]
        if len(self.vocab_sizes) != codes.shape[1] or any(v < d for v, d in zip(self.vocab_sizes, default)):
            raise ValueError(f"vocab_sizes must give each of the {codes.shape[1]} levels at least {default}")
        self._item_of = {tuple(row): item for item, row in enumerate(codes.tolist())}
        self._tree = prefix_tree(codes)

    def _build(self) -> nn.Module:
        return _CodeNet(self.codes, self.vocab_sizes, self.max_len, hidden=self.hidden,
                        num_blocks=self.num_blocks, num_heads=self.num_heads, dropout=self.dropout)

    def _loss(self, network, batch):
        inputs, targets = batch
        used = targets != IGNORE
        return network.code_loss(network(inputs)[used], targets[used])

    @torch.no_grad()
    def generate(self, sequences, *, beam: int = 20, constrained: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Beam search for the next item's codes after each history.

        Returns ``items`` (int array (len(sequences), beam), best first; -1 where the generated
        tuple names no item, which only happens with ``constrained=False``) and their
        log-probabilities (same shape). ``constrained=True`` lets a token follow a prefix only if
        :func:`prefix_tree` allows it. Items of the history are not excluded.
        """
        self._check_fitted()
        beam = check_positive_int("beam", beam)
        rows = check_item_sequences(sequences, num_items=self.num_items)
        network = self.network_.eval()
        device = next(network.parameters()).device
        hidden = network(self._scoring_tokens(rows).to(device))[:, -1]
        batch = hidden.shape[0]
        prefixes = torch.zeros(batch, 1, 0, dtype=torch.long, device=device)
        scores = torch.zeros(batch, 1, device=device)
        for level in range(self.codes.shape[1]):
            beams = prefixes.shape[1]
            flat_prefixes = prefixes.reshape(batch * beams, level)
            log_probs = network.step_log_probs(hidden.repeat_interleave(beams, dim=0), flat_prefixes)
            log_probs = log_probs.reshape(batch, beams, -1)
            allowed = None
            if constrained:
                allowed = torch.zeros_like(log_probs, dtype=torch.bool)
                for row, prefix in enumerate(flat_prefixes.tolist()):
                    tokens = self._tree.get(tuple(prefix), [])
                    allowed[row // beams, row % beams, tokens] = True
            scores, parents, tokens = beam_step(scores, log_probs, beam, allowed)
            kept = prefixes.gather(1, parents[:, :, None].expand(-1, -1, level))
            prefixes = torch.cat([kept, tokens[:, :, None]], dim=2)
        items = np.array([[self._item_of.get(tuple(code), -1) for code in row] for row in prefixes.tolist()])
        scores = scores.cpu().numpy()
        items[~np.isfinite(scores)] = -1
        return items, scores
