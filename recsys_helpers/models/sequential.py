"""Next-item recommenders: GRU4Rec-style RNN, SASRec and a BERT4Rec-style masked-item model.

A user's history is a list of item indices in time order (:func:`build_sequences`); every model
here reads such lists and scores all items as candidates for the *next* one. They share one
interface:

- ``fit(sequences, *, epochs, batch_size, lr, max_len, seed, validation=None, patience=None)``;
- ``score_next(sequences)`` -> array (num_sequences, num_items), higher = more likely next;
- ``recommend_next(sequences, k, exclude=True)`` -> top-``k`` item indices per sequence;
- ``num_parameters``.

Token convention (used by :func:`pad_sequences` and every network): item index ``i`` becomes token
``i + 1``; token ``0`` is padding; the masked-item model adds a ``[MASK]`` token ``num_items + 1``.
Sequences are left-padded, so the most recent item is always in the last column, and positions
are counted back from it (0 = most recent), which makes a history's outputs independent of how
much padding precedes it.

:class:`SequentialRecommender` wraps a next-item model in the :class:`recsys_helpers.base.Recommender`
interface, so it is evaluated with the same full-ranking protocol as the models of chapters 01-04.
:func:`evaluate_next_item` computes hit rate, NDCG and MRR from the rank of one target item per
sequence, without a Python loop.

Everything is deterministic given ``seed`` (on CPU) and nothing is trained at import.

Introduced in chapter 05 (Sequential models and Transformers).
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from recsys_helpers.base import Recommender
from recsys_helpers.evaluation import top_k_items
from recsys_helpers.preprocessing import _require_columns

__all__ = [
    "PAD",
    "build_sequences",
    "pad_sequences",
    "causal_attention_mask",
    "next_item_ranks",
    "evaluate_next_item",
    "GRU4Rec",
    "SASRec",
    "MaskedItemModel",
    "SequentialRecommender",
]

#: Token id of padding; item index ``i`` is token ``i + 1``.
PAD = 0
IGNORE = -100  # target value that cross-entropy skips (padding, unmasked positions)
VALIDATION_METRICS = ("ndcg", "hit_rate")


# --------------------------------------------------------------------------- sequences
def build_sequences(
    frame: pd.DataFrame, *, user_col: str = "user_idx", item_col: str = "item_idx", time_col: str = "timestamp"
) -> dict[int, list[int]]:
    """Each user's items in chronological order.

    Parameters
    ----------
    frame : DataFrame
        One row per interaction, with integer user and item indices (see
        :func:`recsys_helpers.preprocessing.encode_interactions`) and a sortable time column.
    user_col, item_col, time_col : str
        Column names.

    Returns
    -------
    dict int -> list of int
        User index -> item indices, oldest first, for every user present in ``frame``, in
        increasing user order. Ties in time keep the row order of ``frame`` (as
        :func:`recsys_helpers.split.leave_last_out` does, so the item it holds out is the one that
        would come next here). Repeated items are kept.

    Examples
    --------
    >>> frame = pd.DataFrame({"user_idx": [1, 0, 1, 1], "item_idx": [5, 2, 3, 4], "timestamp": [30, 10, 10, 30]})
    >>> build_sequences(frame)
    {0: [2], 1: [3, 5, 4]}

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    _require_columns(frame, [user_col, item_col, time_col])
    ordered = frame.reset_index(drop=True).sort_values([user_col, time_col], kind="stable")
    users = ordered[user_col].to_numpy()
    items = ordered[item_col].to_numpy()
    if len(items) and not (np.issubdtype(items.dtype, np.integer) and np.issubdtype(users.dtype, np.integer)):
        raise ValueError(f"{user_col!r} and {item_col!r} must hold integer indices: call encode_interactions first")
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]]) if len(users) else np.array([], dtype=np.int64)
    ends = np.r_[starts[1:], len(users)]
    return {int(users[s]): items[s:e].astype(np.int64).tolist() for s, e in zip(starts, ends)}


def _as_sequence_list(sequences, *, num_items: int | None = None, name: str = "sequences") -> list[np.ndarray]:
    """Validate a list (or mapping, by its values) of item-index sequences; return int64 arrays."""
    if isinstance(sequences, Mapping):
        sequences = list(sequences.values())
    if isinstance(sequences, (str, bytes)) or not isinstance(sequences, (Sequence, np.ndarray, pd.Series)):
        raise ValueError(f"{name} must be a list of item-index sequences, got {type(sequences).__name__}")
    result = []
    for row, seq in enumerate(sequences):
        values = np.asarray(seq)
        if values.ndim != 1:
            raise ValueError(f"{name}[{row}] must be a flat sequence of item indices, got shape {values.shape}")
        if values.size == 0:
            values = values.astype(np.int64)
        elif not np.issubdtype(values.dtype, np.integer):
            if not np.issubdtype(values.dtype, np.floating) or not np.all(values == np.round(values)):
                raise ValueError(f"{name}[{row}] must hold integer item indices, got {values[:5].tolist()}")
        values = values.astype(np.int64)
        if values.size and values.min() < 0:
            raise ValueError(f"{name}[{row}] holds a negative item index {values.min()}")
        if num_items is not None and values.size and values.max() >= num_items:
            raise ValueError(f"{name}[{row}] holds item index {values.max()}, outside [0, {num_items})")
        result.append(values)
    return result


def _check_max_len(max_len) -> int:
    if isinstance(max_len, bool) or not isinstance(max_len, (int, np.integer)) or max_len < 1:
        raise ValueError(f"max_len must be a positive integer, got {max_len!r}")
    return int(max_len)


def pad_sequences(sequences, max_len: int) -> torch.Tensor:
    """Token matrix of item sequences: keep the last ``max_len`` items, shift by +1, left-pad with 0.

    Parameters
    ----------
    sequences : list of sequences of item indices (each in ``0..num_items-1``), or a mapping
        (its values are used, in order)
    max_len : int, >= 1
        Width of the result; longer sequences lose their *oldest* items.

    Returns
    -------
    LongTensor of shape (len(sequences), max_len)
        Row r holds the tokens ``item + 1`` of sequence r right-aligned: the most recent item is
        in the last column and the free columns on the left hold the padding token 0. An empty
        sequence gives a row of zeros.

    Examples
    --------
    >>> pad_sequences([[4, 0], [1, 2, 3, 5]], 3).tolist()
    [[0, 5, 1], [3, 4, 6]]

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    max_len = _check_max_len(max_len)
    rows = _as_sequence_list(sequences)
    tokens = torch.full((len(rows), max_len), PAD, dtype=torch.long)
    for r, items in enumerate(rows):
        kept = items[-max_len:]
        if kept.size:
            tokens[r, max_len - kept.size:] = torch.from_numpy(kept + 1)
    return tokens


def causal_attention_mask(length: int) -> torch.Tensor:
    """Boolean (length, length) mask where ``True`` at (query i, key j) means "i may NOT attend to j".

    It is ``True`` exactly above the diagonal (j > i): each position sees itself and the past,
    never the future. This is the convention of ``torch.nn.MultiheadAttention``'s boolean
    ``attn_mask`` (and the opposite of ``torch.nn.functional.scaled_dot_product_attention``, where
    ``True`` means "may attend").

    Examples
    --------
    >>> causal_attention_mask(3).int().tolist()
    [[0, 1, 1], [0, 0, 1], [0, 0, 0]]

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 1:
        raise ValueError(f"length must be a positive integer, got {length!r}")
    return torch.ones(int(length), int(length), dtype=torch.bool).triu(diagonal=1)


# --------------------------------------------------------------------------- next-item metrics
def _exclusion_matrix(exclude, shape: tuple[int, int]) -> sp.csr_matrix | None:
    """``exclude`` as a boolean CSR matrix of ``shape``: None, a (sparse or dense) matrix, or one
    collection of item indices per row (for example the history sequences themselves)."""
    if exclude is None:
        return None
    num_rows, num_items = shape
    if sp.issparse(exclude) or (isinstance(exclude, np.ndarray) and exclude.ndim == 2):
        if exclude.shape != shape:
            raise ValueError(f"exclude has shape {exclude.shape}, but scores have shape {shape}")
        return sp.csr_matrix(exclude != 0)
    rows = _as_sequence_list(exclude, num_items=num_items, name="exclude")
    if len(rows) != num_rows:
        raise ValueError(f"exclude has {len(rows)} rows of items, but scores have {num_rows} rows")
    lengths = [len(r) for r in rows]
    row_ids = np.repeat(np.arange(num_rows), lengths)
    cols = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
    matrix = sp.csr_matrix((np.ones(len(cols), dtype=bool), (row_ids, cols)), shape=shape)
    matrix.sum_duplicates()
    return sp.csr_matrix(matrix != 0)


def _check_targets(targets, num_rows: int, num_items: int) -> np.ndarray:
    targets = np.asarray(targets)
    if targets.ndim != 1 or targets.size != num_rows:
        raise ValueError(f"targets must be a 1-D array with one item per row of scores ({num_rows}), got shape {targets.shape}")
    if not np.issubdtype(targets.dtype, np.integer):
        raise ValueError(f"targets must be integer item indices, got dtype {targets.dtype}")
    if targets.min() < 0 or targets.max() >= num_items:
        raise ValueError(f"targets must lie in [0, {num_items}), got min {targets.min()} max {targets.max()}")
    return targets.astype(np.int64)


def next_item_ranks(scores, targets, *, exclude=None) -> np.ndarray:
    """Rank (1 = best) of each sequence's target item among all items, with excluded items removed.

    The order is the one :func:`recsys_helpers.evaluation.top_k_items` produces: higher score
    first, ties broken by the lower item index. So ``rank <= k`` exactly when the target is in
    ``top_k_items(scores, k, exclude=...)``.

    Parameters
    ----------
    scores : array of shape (num_sequences, num_items), no NaN
    targets : array of int of shape (num_sequences,), item indices in ``0..num_items-1``
    exclude : optional
        Items that cannot be recommended (typically those already in the history): a sparse or
        dense (num_sequences, num_items) matrix whose non-zeros are excluded, or one collection of
        item indices per sequence (the history lists themselves work).

    Returns
    -------
    ndarray of float64, shape (num_sequences,)
        Ranks in ``1..num_items``; ``inf`` where the target itself is excluded (it can never be
        recommended, so it counts as a miss at every cut-off).

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    scores = np.array(scores, dtype=np.float64)  # a copy: excluded entries are overwritten below
    if scores.ndim != 2 or 0 in scores.shape:
        raise ValueError(f"scores must be a non-empty 2-D array (num_sequences, num_items), got shape {scores.shape}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN")
    num_rows, num_items = scores.shape
    targets = _check_targets(targets, num_rows, num_items)
    rows = np.arange(num_rows)
    excluded = _exclusion_matrix(exclude, scores.shape)
    target_excluded = np.zeros(num_rows, dtype=bool)
    if excluded is not None:
        target_excluded = np.asarray(excluded[rows, targets]).ravel().astype(bool)
        r, c = excluded.nonzero()
        scores[r, c] = -np.inf
    target_scores = scores[rows, targets][:, None]
    better = (scores > target_scores).sum(axis=1)
    tied_before = ((scores == target_scores) & (np.arange(num_items)[None, :] < targets[:, None])).sum(axis=1)
    ranks = (1 + better + tied_before).astype(np.float64)
    ranks[target_excluded] = np.inf
    return ranks


def evaluate_next_item(scores, targets, *, k: int = 10, exclude=None) -> dict[str, float]:
    """Hit rate, NDCG and MRR at ``k`` for next-item prediction with one target per sequence.

    With one relevant item at rank r: HR@k = [r <= k], NDCG@k = 1 / log2(r + 1) if r <= k else 0
    (the ideal DCG is 1), MRR@k = 1 / r if r <= k else 0. These equal
    :func:`recsys_helpers.metrics.hit_rate_at_k`, :func:`~recsys_helpers.metrics.ndcg_at_k` and
    :func:`~recsys_helpers.metrics.reciprocal_rank_at_k` of the list
    :func:`recsys_helpers.evaluation.top_k_items` returns, but come from the target's rank
    (:func:`next_item_ranks`) in one vectorised pass.

    Parameters
    ----------
    scores : array of shape (num_sequences, num_items)
    targets : array of int of shape (num_sequences,)
    k : int, 1 <= k <= num_items
    exclude : optional
        Items never recommended, as in :func:`next_item_ranks`; pass the histories to get the
        usual "seen items excluded" protocol.

    Returns
    -------
    dict
        ``hit_rate``, ``ndcg``, ``mrr`` (means over sequences, in [0, 1]) and ``num_sequences``.

    Examples
    --------
    >>> scores = np.array([[0.1, 0.9, 0.5], [0.3, 0.2, 0.8]])
    >>> evaluate_next_item(scores, [2, 0], k=1, exclude=[[1], []])
    {'hit_rate': 0.5, 'ndcg': 0.5, 'mrr': 0.5, 'num_sequences': 2}

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    ranks = next_item_ranks(scores, targets, exclude=exclude)
    num_items = np.shape(scores)[1]
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= num_items:
        raise ValueError(f"k must be an integer in [1, num_items = {num_items}], got {k!r}")
    hit = ranks <= k
    return {
        "hit_rate": float(hit.mean()),
        "ndcg": float(np.where(hit, 1.0 / np.log2(ranks + 1.0), 0.0).mean()),
        "mrr": float(np.where(hit, 1.0 / ranks, 0.0).mean()),
        "num_sequences": int(ranks.size),
    }


# --------------------------------------------------------------------------- networks
class _SelfAttention(nn.Module):
    """Multi-head scaled dot-product self-attention with a boolean "blocked" mask (True = no)."""

    def __init__(self, hidden: int, num_heads: int, dropout: float):
        super().__init__()
        self.num_heads = num_heads
        self.head_size = hidden // num_heads
        self.qkv = nn.Linear(hidden, 3 * hidden)
        self.out = nn.Linear(hidden, hidden)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, blocked: torch.Tensor) -> torch.Tensor:
        batch, length, hidden = x.shape
        # (batch, length, 3 * hidden) -> three tensors of shape (batch, heads, length, head_size)
        q, k, v = self.qkv(x).view(batch, length, 3, self.num_heads, self.head_size).permute(2, 0, 3, 1, 4)
        weights = q @ k.transpose(-2, -1) / math.sqrt(self.head_size)
        weights = weights.masked_fill(blocked[:, None], float("-inf")).softmax(dim=-1)
        mixed = self.dropout(weights) @ v
        return self.out(mixed.transpose(1, 2).reshape(batch, length, hidden))


class _TransformerBlock(nn.Module):
    """Pre-layer-norm block: x + Dropout(Attention(LN(x))), then x + Dropout(FFN(LN(x)))."""

    def __init__(self, hidden: int, num_heads: int, dropout: float, ffn_size: int, activation: type[nn.Module]):
        super().__init__()
        self.attention_norm = nn.LayerNorm(hidden)
        self.attention = _SelfAttention(hidden, num_heads, dropout)
        self.ffn_norm = nn.LayerNorm(hidden)
        self.ffn = nn.Sequential(nn.Linear(hidden, ffn_size), activation(), nn.Dropout(dropout), nn.Linear(ffn_size, hidden))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, blocked: torch.Tensor) -> torch.Tensor:
        x = x + self.dropout(self.attention(self.attention_norm(x), blocked))
        return x + self.dropout(self.ffn(self.ffn_norm(x)))


class _TransformerNet(nn.Module):
    """Item + learned position embeddings -> Transformer blocks -> layer norm; tied output.

    ``causal=True`` is SASRec (position i sees positions <= i); ``causal=False`` is the
    bidirectional encoder of the masked-item model. Padding keys are always blocked; a padding
    query may attend to itself only, so no softmax row is empty.
    """

    def __init__(self, num_items: int, max_len: int, *, hidden: int, num_blocks: int, num_heads: int,
                 dropout: float, causal: bool, ffn_size: int, activation: type[nn.Module], extra_tokens: int):
        super().__init__()
        self.num_items = num_items
        self.max_len = max_len
        self.causal = causal
        self.item_embedding = nn.Embedding(num_items + 1 + extra_tokens, hidden, padding_idx=PAD)
        self.position_embedding = nn.Embedding(max_len, hidden)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            _TransformerBlock(hidden, num_heads, dropout, ffn_size, activation) for _ in range(num_blocks)
        )
        self.final_norm = nn.LayerNorm(hidden)
        self.output_bias = nn.Parameter(torch.zeros(num_items))
        nn.init.normal_(self.item_embedding.weight, std=hidden ** -0.5)
        nn.init.normal_(self.position_embedding.weight, std=hidden ** -0.5)
        with torch.no_grad():
            self.item_embedding.weight[PAD].zero_()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Hidden states of shape (batch, length, hidden) for left-padded tokens (batch, length)."""
        length = tokens.shape[1]
        if length > self.max_len:
            raise ValueError(f"sequences of length {length} exceed the model's max_len {self.max_len}")
        recency = torch.arange(length - 1, -1, -1)  # 0 = the last (most recent) column
        x = self.dropout(self.item_embedding(tokens) + self.position_embedding(recency)[None])
        blocked = (tokens == PAD)[:, None, :].expand(-1, length, -1)
        if self.causal:
            blocked = blocked | causal_attention_mask(length)[None]
        blocked = blocked & ~torch.eye(length, dtype=torch.bool)[None]
        for block in self.blocks:
            x = block(x, blocked)
        return self.final_norm(x)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        """Scores over the real items (not padding or [MASK]): hidden @ item embeddings^T + bias."""
        return hidden @ self.item_embedding.weight[1:self.num_items + 1].T + self.output_bias


class _GRUNet(nn.Module):
    """Item embedding -> GRU -> linear layer over all items (GRU4Rec with a full softmax)."""

    def __init__(self, num_items: int, *, hidden: int, num_layers: int, dropout: float):
        super().__init__()
        self.item_embedding = nn.Embedding(num_items + 1, hidden, padding_idx=PAD)
        self.dropout = nn.Dropout(dropout)
        self.gru = nn.GRU(hidden, hidden, num_layers=num_layers, batch_first=True)
        self.output = nn.Linear(hidden, num_items)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """Hidden states (batch, length, hidden); padding never enters the recurrence.

        Rows are rotated from left- to right-padding, run as a packed batch (each row starts
        from the zero state at its first real item), and rotated back.
        """
        batch, length = tokens.shape
        lengths = (tokens != PAD).sum(dim=1).clamp(min=1)  # an empty row runs one padding step
        shift = (length - lengths)[:, None]
        columns = torch.arange(length)[None, :]
        right = tokens.gather(1, (columns + shift) % length)
        packed = pack_padded_sequence(self.dropout(self.item_embedding(right)), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=length)
        back = ((columns - shift) % length)[:, :, None].expand(-1, -1, out.shape[2])
        return self.dropout(out.gather(1, back))

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.output(hidden)


# --------------------------------------------------------------------------- models
class _NextItemModel:
    """Shared training loop, scoring and validation of the next-item models."""

    def __init__(self, num_items: int, *, hidden: int, dropout: float):
        if isinstance(num_items, bool) or not isinstance(num_items, (int, np.integer)) or num_items < 2:
            raise ValueError(f"num_items must be an integer >= 2, got {num_items!r}")
        if isinstance(hidden, bool) or not isinstance(hidden, (int, np.integer)) or hidden < 1:
            raise ValueError(f"hidden must be a positive integer, got {hidden!r}")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        self.num_items = int(num_items)
        self.hidden = int(hidden)
        self.dropout = float(dropout)

    # --- hooks for the subclasses
    def _build(self, max_len: int) -> nn.Module:
        raise NotImplementedError

    def _training_tensors(self, sequences: list[np.ndarray], max_len: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Inputs and targets (IGNORE where there is nothing to predict) of causal next-item training:
        each sequence's last ``max_len + 1`` items, inputs = all but the last, targets = all but the first."""
        inputs = pad_sequences([s[:-1] for s in sequences], max_len)
        targets = pad_sequences([s[1:] for s in sequences], max_len) - 1  # back to item indices; padding -> -1
        targets[targets < 0] = IGNORE
        return inputs, targets

    def _corrupt(self, inputs: torch.Tensor, targets: torch.Tensor, generator: torch.Generator):
        """Per-batch random corruption (the masked-item model masks here); identity by default."""
        return inputs, targets

    def _scoring_tokens(self, sequences: list[np.ndarray]) -> torch.Tensor:
        return pad_sequences(sequences, self.max_len_)

    # --- public interface
    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(sequences, ...) first")

    @property
    def num_parameters(self) -> int:
        """Number of trainable parameters (embeddings included) of the fitted network."""
        self._check_fitted()
        return sum(p.numel() for p in self.network_.parameters() if p.requires_grad)

    def fit(self, sequences, *, epochs: int = 50, batch_size: int = 128, lr: float = 1e-3, max_len: int = 50,
            seed: int = 0, validation=None, patience: int | None = None, metric: str = "ndcg",
            weight_decay: float = 0.0, verbose: bool = False):
        """Train on item sequences with Adam and full-softmax cross-entropy over all items.

        Parameters
        ----------
        sequences : list of sequences of item indices in ``0..num_items-1``, oldest first
            (or a mapping such as :func:`build_sequences` returns; its values are used). Only the
            last ``max_len + 1`` items of each sequence are used (the last ``max_len`` for the
            masked-item model); sequences with fewer than 2 items are skipped.
        epochs : int, >= 1
            Maximum number of passes over the sequences.
        batch_size : int, >= 1
        lr : float, > 0
            Adam learning rate.
        max_len : int, >= 1
            Longest history the network reads; also the size of the position table.
        seed : int
            Initial weights, shuffling, dropout and masking all derive from it; the global torch
            random state is left untouched.
        validation : (sequences, targets), optional
            Histories and their true next items. After every epoch the model scores them (items of
            each history excluded) and the weights with the best ``metric`` at 10 are kept.
        patience : int, optional
            With ``validation``: stop after this many epochs without improvement.
        metric : {"ndcg", "hit_rate"}
            Validation metric (at k = 10).
        weight_decay : float, default 0
            Adam's L2 penalty.
        verbose : bool
            Print one line per epoch.

        Returns
        -------
        self
            With ``network_``, ``max_len_``, ``history_`` (one dict per epoch: ``epoch``,
            ``loss`` and ``val_<metric>`` when validating), ``best_epoch_`` and ``fit_seconds_``.

        Raises
        ------
        ValueError
            Bad hyper-parameters, items outside ``0..num_items-1``, no sequence of 2+ items, or a
            malformed ``validation``.
        """
        started = time.perf_counter()
        for name, value in (("epochs", epochs), ("batch_size", batch_size)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not lr > 0:
            raise ValueError(f"lr must be > 0, got {lr}")
        max_len = _check_max_len(max_len)
        if metric not in VALIDATION_METRICS:
            raise ValueError(f"metric must be one of {VALIDATION_METRICS}, got {metric!r}")
        if patience is not None and (isinstance(patience, bool) or not isinstance(patience, (int, np.integer)) or patience < 1):
            raise ValueError(f"patience must be a positive integer or None, got {patience!r}")
        if patience is not None and validation is None:
            raise ValueError("patience needs validation=(sequences, targets) to monitor")
        rows = [s for s in _as_sequence_list(sequences, num_items=self.num_items) if s.size >= 2]
        if not rows:
            raise ValueError("no training sequence has at least 2 items: nothing to learn from")
        if validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise ValueError("validation must be a pair (sequences, targets)")
            val_sequences = _as_sequence_list(validation[0], num_items=self.num_items, name="validation sequences")
            if not val_sequences or np.ndim(validation[1]) != 1 or len(validation[1]) != len(val_sequences):
                raise ValueError(
                    f"validation needs one target per sequence: {len(val_sequences)} sequences, "
                    f"targets of shape {np.shape(validation[1])}"
                )
            val_targets = _check_targets(validation[1], len(val_sequences), self.num_items)

        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            generator = torch.Generator().manual_seed(seed)
            network = self._build(max_len)  # may reject max_len before any state is touched
            self.max_len_, self.network_ = max_len, network
            inputs, targets = self._training_tensors(rows, max_len)
            optimizer = torch.optim.Adam(self.network_.parameters(), lr=lr, weight_decay=weight_decay)
            loss_function = nn.CrossEntropyLoss(ignore_index=IGNORE)
            self.history_, self.best_epoch_ = [], None
            best_value, best_state, waited = -np.inf, None, 0
            for epoch in range(1, int(epochs) + 1):
                self.network_.train()
                order = torch.randperm(len(inputs), generator=generator)
                total, count = 0.0, 0
                for start in range(0, len(order), int(batch_size)):
                    batch = order[start:start + int(batch_size)]
                    batch_inputs, batch_targets = self._corrupt(inputs[batch], targets[batch], generator)
                    used = batch_targets != IGNORE
                    if not used.any():
                        continue
                    hidden = self.network_(batch_inputs)
                    # logits only where there is a target: (positions, num_items), not (batch, length, num_items)
                    loss = loss_function(self.network_.logits(hidden[used]), batch_targets[used])
                    optimizer.zero_grad()
                    loss.backward()
                    optimizer.step()
                    total += loss.item() * int(used.sum())
                    count += int(used.sum())
                record = {"epoch": epoch, "loss": total / max(count, 1)}
                if validation is not None:
                    value = evaluate_next_item(self.score_next(val_sequences), val_targets, k=min(10, self.num_items),
                                               exclude=val_sequences)[metric]
                    record[f"val_{metric}"] = value
                    if value > best_value:
                        best_value, waited, self.best_epoch_ = value, 0, epoch
                        best_state = copy.deepcopy(self.network_.state_dict())
                    else:
                        waited += 1
                self.history_.append(record)
                if verbose:
                    print(", ".join(f"{key} {val:.4f}" if isinstance(val, float) else f"{key} {val}" for key, val in record.items()))
                if patience is not None and waited >= patience:
                    break
            if best_state is not None:
                self.network_.load_state_dict(best_state)
            else:
                self.best_epoch_ = len(self.history_)
        self.network_.eval()
        self.fit_seconds_ = time.perf_counter() - started
        return self

    @torch.no_grad()
    def score_next(self, sequences, *, batch_size: int = 512) -> np.ndarray:
        """Scores of every item as the next one after each history.

        Parameters
        ----------
        sequences : list of sequences of item indices, oldest first (or a mapping; its values)
            Only the last ``max_len_`` items are read (``max_len_ - 1`` for the masked-item
            model, which appends a [MASK]). An empty history gets the model's prediction without
            context.
        batch_size : int
            Histories scored at once (memory only; the result does not depend on it).

        Returns
        -------
        ndarray of float64, shape (len(sequences), num_items)
            Unnormalised log-probabilities (logits); higher = more likely next. Items already in
            the history are *not* masked here (see :meth:`recommend_next`).
        """
        self._check_fitted()
        rows = _as_sequence_list(sequences, num_items=self.num_items)
        self.network_.eval()
        out = np.empty((len(rows), self.num_items), dtype=np.float64)
        for start in range(0, len(rows), batch_size):
            tokens = self._scoring_tokens(rows[start:start + batch_size])
            hidden = self.network_(tokens)[:, -1]
            out[start:start + len(tokens)] = self.network_.logits(hidden).double().numpy()
        return out

    def recommend_next(self, sequences, k: int = 10, exclude=True) -> np.ndarray:
        """Top-``k`` next items per history, best first, shape (len(sequences), k).

        ``exclude=True`` leaves out the items already in each history; ``None``/``False``
        excludes nothing; anything else is passed on as in :func:`next_item_ranks` (a matrix or
        one collection of items per history).
        """
        rows = _as_sequence_list(sequences, num_items=self.num_items)
        scores = self.score_next(rows)
        if exclude is True:
            exclude = rows
        elif exclude is False:
            exclude = None
        return top_k_items(scores, k, exclude=_exclusion_matrix(exclude, scores.shape))


def _check_blocks(num_blocks, num_heads, hidden) -> None:
    if isinstance(num_blocks, bool) or not isinstance(num_blocks, (int, np.integer)) or num_blocks < 1:
        raise ValueError(f"num_blocks must be a positive integer, got {num_blocks!r}")
    if isinstance(num_heads, bool) or not isinstance(num_heads, (int, np.integer)) or num_heads < 1 or hidden % num_heads:
        raise ValueError(f"num_heads must be a positive integer dividing hidden={hidden}, got {num_heads!r}")


class GRU4Rec(_NextItemModel):
    """A GRU over the item sequence predicts the next item at every position.

    Architecture: item embedding (hidden) -> dropout -> GRU (``num_layers``, hidden units) ->
    dropout -> linear layer to one logit per item. Training: cross-entropy over all items
    (full softmax) at every position of every sequence, so a sequence of n items gives n - 1
    training examples in one pass. This follows Hidasi et al. (2016) in spirit; their
    session-parallel mini-batches and sampled ranking losses (TOP1, BPR) are replaced here by
    padded mini-batches and cross-entropy over all items (the same loss as :class:`SASRec`, so
    the two differ only in the sequence encoder).

    Parameters
    ----------
    num_items : int, >= 2
        Items are indices ``0..num_items-1``.
    hidden : int, default 64
        Embedding and GRU state size.
    num_layers : int, default 1
    dropout : float in [0, 1), default 0.2

    Introduced in chapter 05 (Sequential models and Transformers).
    """

    def __init__(self, num_items: int, *, hidden: int = 64, num_layers: int = 1, dropout: float = 0.2):
        super().__init__(num_items, hidden=hidden, dropout=dropout)
        if isinstance(num_layers, bool) or not isinstance(num_layers, (int, np.integer)) or num_layers < 1:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        self.num_layers = int(num_layers)

    def _build(self, max_len: int) -> nn.Module:
        return _GRUNet(self.num_items, hidden=self.hidden, num_layers=self.num_layers, dropout=self.dropout)


class SASRec(_NextItemModel):
    """Self-attentive sequential recommendation (Kang & McAuley, 2018).

    Architecture: item embedding + learned position embedding -> dropout -> ``num_blocks``
    Transformer blocks (causal multi-head self-attention and a ReLU feed-forward layer of width
    ``hidden``, each with layer norm, dropout and a residual connection) -> layer norm. The
    logit of item j at position t is the dot product of the position's state with item j's
    *input* embedding (tied weights) plus a per-item bias.

    The causal mask (:func:`causal_attention_mask`) lets position t attend only to positions
    <= t, so one pass predicts the next item at every position, as in the paper. Unlike the
    paper, which samples one negative item per position with binary cross-entropy, the loss is
    cross-entropy over *all* items (full softmax); with ~1.7k items this is cheap and trains a
    markedly stronger model (Klenitskiy & Vasilev, 2023). Positions are counted back from the
    most recent item, so the same history gives the same outputs whatever its padding.

    Parameters
    ----------
    num_items : int, >= 2
    hidden : int, default 64
    num_blocks : int, default 2
    num_heads : int, default 1
        Must divide ``hidden``.
    dropout : float in [0, 1), default 0.2

    Introduced in chapter 05 (Sequential models and Transformers).
    """

    def __init__(self, num_items: int, *, hidden: int = 64, num_blocks: int = 2, num_heads: int = 1,
                 dropout: float = 0.2):
        super().__init__(num_items, hidden=hidden, dropout=dropout)
        _check_blocks(num_blocks, num_heads, self.hidden)
        self.num_blocks = int(num_blocks)
        self.num_heads = int(num_heads)

    def _build(self, max_len: int) -> nn.Module:
        return _TransformerNet(self.num_items, max_len, hidden=self.hidden, num_blocks=self.num_blocks,
                               num_heads=self.num_heads, dropout=self.dropout, causal=True,
                               ffn_size=self.hidden, activation=nn.ReLU, extra_tokens=0)

    @torch.no_grad()
    def hidden_states(self, sequences) -> torch.Tensor:
        """Final-layer states (len(sequences), max_len_, hidden) of the left-padded histories, in
        evaluation mode (no dropout); row r's last column summarises the whole history."""
        self._check_fitted()
        self.network_.eval()
        return self.network_(pad_sequences(_as_sequence_list(sequences, num_items=self.num_items), self.max_len_))


class MaskedItemModel(_NextItemModel):
    """BERT4Rec-style model (Sun et al., 2019): a bidirectional Transformer fills in masked items.

    Training: in each sequence (its last ``max_len`` items) every item is replaced, with
    probability ``mask_prob``, by the [MASK] token ``num_items + 1`` (at least one per sequence:
    the last item when the draw masked none), and the model predicts the original items at the
    masked positions with cross-entropy over all items. Masks are re-drawn every epoch. Every
    position attends to every real position, before and after it.

    Inference: the history (its last ``max_len - 1`` items) is followed by one [MASK]; the
    prediction at that position scores the next item.

    Architecture as :class:`SASRec` but bidirectional, with a GELU feed-forward layer of width
    ``4 * hidden`` as in BERT; tied output embeddings plus a per-item bias.

    Parameters
    ----------
    num_items : int, >= 2
    hidden : int, default 64
    num_blocks : int, default 2
    num_heads : int, default 2
    dropout : float in [0, 1), default 0.2
    mask_prob : float in (0, 1), default 0.2

    Introduced in chapter 05 (Sequential models and Transformers).
    """

    def __init__(self, num_items: int, *, hidden: int = 64, num_blocks: int = 2, num_heads: int = 2,
                 dropout: float = 0.2, mask_prob: float = 0.2):
        super().__init__(num_items, hidden=hidden, dropout=dropout)
        _check_blocks(num_blocks, num_heads, self.hidden)
        if not 0.0 < mask_prob < 1.0:
            raise ValueError(f"mask_prob must be in (0, 1), got {mask_prob}")
        self.num_blocks = int(num_blocks)
        self.num_heads = int(num_heads)
        self.mask_prob = float(mask_prob)

    @property
    def mask_token(self) -> int:
        """Token id of [MASK]: ``num_items + 1`` (0 is padding, 1..num_items are items)."""
        return self.num_items + 1

    def _build(self, max_len: int) -> nn.Module:
        if max_len < 2:
            raise ValueError("MaskedItemModel needs max_len >= 2 (at least one item plus the [MASK])")
        return _TransformerNet(self.num_items, max_len, hidden=self.hidden, num_blocks=self.num_blocks,
                               num_heads=self.num_heads, dropout=self.dropout, causal=False,
                               ffn_size=4 * self.hidden, activation=nn.GELU, extra_tokens=1)

    def _training_tensors(self, sequences, max_len):
        tokens = pad_sequences(sequences, max_len)
        return tokens, tokens.clone()  # targets are filled in by _corrupt

    def _corrupt(self, inputs, targets, generator):
        real = inputs != PAD
        masked = (torch.rand(inputs.shape, generator=generator) < self.mask_prob) & real
        masked[:, -1] |= ~masked.any(dim=1)  # the last column is always a real item
        new_targets = torch.where(masked, targets - 1, torch.full_like(targets, IGNORE))
        return inputs.masked_fill(masked, self.mask_token), new_targets

    def _scoring_tokens(self, sequences):
        tokens = pad_sequences([s[-(self.max_len_ - 1):] for s in sequences], self.max_len_)
        tokens = torch.roll(tokens, shifts=-1, dims=1)  # drop one padding column, free the last one
        tokens[:, -1] = self.mask_token
        return tokens


# --------------------------------------------------------------------------- adapter
class SequentialRecommender(Recommender):
    """Use a next-item model as a :class:`~recsys_helpers.base.Recommender` (``fit``/``score``/``recommend``).

    ``fit`` takes the interaction *log* (a DataFrame with time), not a matrix: the order is what a
    sequential model learns from. ``score(users)`` scores every item as each user's next one,
    given the user's whole training history, so
    ``evaluate_full_ranking(rec.score(), rec.train_, test_matrix)`` evaluates it exactly like the
    models of chapters 01-04 (training items excluded, full ranking).

    Parameters
    ----------
    model : GRU4Rec, SASRec or MaskedItemModel
    user_col, item_col, time_col : str
        Columns of the frames passed to :meth:`fit`.

    Examples
    --------
    ``SequentialRecommender(SASRec(num_items)).fit(train, num_users=n, epochs=30, max_len=50)``

    Introduced in chapter 05 (Sequential models and Transformers).
    """

    def __init__(self, model: _NextItemModel, *, user_col: str = "user_idx", item_col: str = "item_idx",
                 time_col: str = "timestamp"):
        if not isinstance(model, _NextItemModel):
            raise ValueError(f"model must be a GRU4Rec, SASRec or MaskedItemModel, got {type(model).__name__}")
        self.model = model
        self.user_col, self.item_col, self.time_col = user_col, item_col, time_col

    def fit(self, interactions: pd.DataFrame, *, num_users: int | None = None, fit_model: bool = True,
            **fit_params) -> "SequentialRecommender":
        """Build each user's history from ``interactions`` and (unless ``fit_model=False``, for a
        model trained already) train the model on them with ``model.fit(histories, **fit_params)``.

        ``num_users`` defaults to the largest user index + 1; users without rows get an empty
        history. ``train_`` is the binary (num_users, num_items) matrix of the interactions.
        """
        _require_columns(interactions, [self.user_col, self.item_col, self.time_col])
        by_user = build_sequences(interactions, user_col=self.user_col, item_col=self.item_col, time_col=self.time_col)
        largest = max(by_user, default=-1)
        num_users = largest + 1 if num_users is None else int(num_users)
        if by_user and (min(by_user) < 0 or largest >= num_users):
            raise ValueError(f"user indices must lie in [0, {num_users}), got min {min(by_user)} max {largest}")
        if num_users < 1:
            raise ValueError("interactions are empty and num_users is not given")
        self.sequences_ = [by_user.get(user, []) for user in range(num_users)]
        _as_sequence_list(self.sequences_, num_items=self.model.num_items)  # item range check
        users = interactions[self.user_col].to_numpy()
        items = interactions[self.item_col].to_numpy()
        matrix = sp.csr_matrix((np.ones(len(users)), (users, items)), shape=(num_users, self.model.num_items))
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        self.train_ = matrix
        if fit_model:
            self.model.fit(self.sequences_, **fit_params)
        else:
            self.model._check_fitted()
        return self

    def score(self, users=None) -> np.ndarray:
        users = self._users(users)
        return self.model.score_next([self.sequences_[u] for u in users])
