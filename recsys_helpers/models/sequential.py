"""Next-item recommenders: GRU4Rec-style RNN, SASRec and a BERT4Rec-style masked-item model.

A user's history is a list of item indices in time order (:func:`build_sequences`); every model
here reads such lists and scores all items as candidates for the *next* one. They share one
interface:

- hyperparameters in ``__init__`` (architecture, ``max_len``, ``stride`` and the training
  settings of :class:`recsys_helpers.training.TrainConfig`: ``epochs``, ``lr``, ``seed``, ...);
- ``fit(sequences, validation=None)``, trained by :func:`recsys_helpers.training.train` on
  :func:`training_windows` that make every item of every history a target once;
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
:func:`recsys_helpers.evaluation.evaluate_next_item` computes hit rate, NDCG and MRR from the rank
of one target item per sequence, without a Python loop.

Everything is deterministic given ``seed`` (on CPU), no global random state is touched, and
nothing is trained at import.

Introduced in chapter 05 (Sequential models and Transformers).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.sparse as sp
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from recsys_helpers.base import Recommender
from recsys_helpers.checks import (
    check_choice,
    check_fraction,
    check_item_sequences,
    check_positive_int,
    check_targets,
    require_columns,
)
from recsys_helpers.evaluation import evaluate_next_item, exclusion_matrix, top_k_items
from recsys_helpers.training import TrainConfig, train

__all__ = [
    "PAD",
    "build_sequences",
    "pad_sequences",
    "causal_attention_mask",
    "training_windows",
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
    require_columns(frame, [user_col, item_col, time_col])
    ordered = frame.reset_index(drop=True).sort_values([user_col, time_col], kind="stable")
    users = ordered[user_col].to_numpy()
    items = ordered[item_col].to_numpy()
    if len(items) and not (np.issubdtype(items.dtype, np.integer) and np.issubdtype(users.dtype, np.integer)):
        raise ValueError(f"{user_col!r} and {item_col!r} must hold integer indices: call encode_interactions first")
    starts = np.flatnonzero(np.r_[True, users[1:] != users[:-1]]) if len(users) else np.array([], dtype=np.int64)
    ends = np.r_[starts[1:], len(users)]
    return {int(users[s]): items[s:e].astype(np.int64).tolist() for s, e in zip(starts, ends)}


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
    max_len = check_positive_int("max_len", max_len)
    rows = check_item_sequences(sequences)
    tokens = torch.full((len(rows), max_len), PAD, dtype=torch.long)
    for r, items in enumerate(rows):
        kept = items[-max_len:]
        if kept.size:
            tokens[r, max_len - kept.size:] = torch.from_numpy(kept + 1)
    return tokens


def causal_attention_mask(length: int, device=None) -> torch.Tensor:
    """Boolean (length, length) mask where ``True`` at (query i, key j) means "i may NOT attend to j"
    (built on ``device``, default the CPU).

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
    length = check_positive_int("length", length)
    return torch.ones(length, length, dtype=torch.bool, device=device).triu(diagonal=1)


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
        self.ffn = nn.Sequential(
            nn.Linear(hidden, ffn_size), activation(), nn.Dropout(dropout), nn.Linear(ffn_size, hidden)
        )
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
        device = tokens.device
        recency = torch.arange(length - 1, -1, -1, device=device)  # 0 = the last (most recent) column
        x = self.dropout(self.item_embedding(tokens) + self.position_embedding(recency)[None])
        blocked = (tokens == PAD)[:, None, :].expand(-1, length, -1)
        if self.causal:
            blocked = blocked | causal_attention_mask(length, device)[None]
        blocked = blocked & ~torch.eye(length, dtype=torch.bool, device=device)[None]
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
        columns = torch.arange(length, device=tokens.device)[None, :]
        right = tokens.gather(1, (columns + shift) % length)
        packed = pack_padded_sequence(self.dropout(self.item_embedding(right)), lengths.cpu(), batch_first=True,
                                      enforce_sorted=False)
        out, _ = self.gru(packed)
        out, _ = pad_packed_sequence(out, batch_first=True, total_length=length)
        back = ((columns - shift) % length)[:, :, None].expand(-1, -1, out.shape[2])
        return self.dropout(out.gather(1, back))

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.output(hidden)


# --------------------------------------------------------------------------- training windows
def training_windows(sequences, max_len: int, *, stride: int | None = None, first_target: int = 1):
    """Cut every history into windows of ``max_len`` positions so that each item from position
    ``first_target`` on is a training target exactly once.

    Window ``w`` of a history of ``n`` items ends at position ``e_w = n - 1 - w * stride`` (the
    newest window first) and only its last ``stride`` columns carry targets, so the windows'
    target ranges ``(e_w - stride, e_w]`` tile the whole history while the other columns are
    context. ``stride = max_len`` (the default) gives non-overlapping windows; a smaller stride
    gives every target at least ``max_len - stride`` items of context at the price of
    ``max_len / stride`` times more windows.

    Parameters
    ----------
    sequences : list of item-index sequences (oldest first)
    max_len : int, >= 1
        Width of a window.
    stride : int in [1, max_len], optional
        Default ``max_len``.
    first_target : {1, 0}
        1 for next-item (causal) training, where position t is predicted from the items before
        it, so the first item is never a target; 0 when every item can be a target (the
        masked-item model predicts masked items from both sides).

    Returns
    -------
    inputs, targets : LongTensors of shape (num_windows, max_len)
        With ``first_target=1``: ``inputs`` holds the tokens (item + 1, left-padded with 0) of the
        items *before* each target column and ``targets`` the item index to predict there, or
        -100 (ignored by cross-entropy) for padding and context columns. With
        ``first_target=0``: ``inputs`` holds the window's own tokens and ``targets`` the item at
        each target column, -100 elsewhere. Histories with no target position give no window.

    Examples
    --------
    >>> inputs, targets = training_windows([[3, 1, 4, 1, 5]], 3)
    >>> inputs.tolist(), targets.tolist()
    ([[2, 5, 2], [0, 0, 4]], [[4, 1, 5], [-100, -100, 1]])

    Introduced in chapter 05 (Sequential models and Transformers).
    """
    max_len = check_positive_int("max_len", max_len)
    stride = max_len if stride is None else check_positive_int("stride", stride)
    if stride > max_len:
        raise ValueError(f"stride must be at most max_len={max_len}, got {stride}")
    check_choice("first_target", first_target, (0, 1))
    window_inputs, window_targets = [], []
    for items in check_item_sequences(sequences):
        end = items.size - 1
        while end >= first_target:
            start = max(first_target, end - max_len + 1)  # first target position in the window
            window_inputs.append(items[start - first_target:end + 1 - first_target])
            window_targets.append(items[start:end + 1])
            end -= stride
    if not window_inputs:
        empty = torch.empty((0, max_len), dtype=torch.long)
        return empty, empty.clone()
    inputs = pad_sequences(window_inputs, max_len)
    targets = pad_sequences(window_targets, max_len) - 1  # back to item indices; padding -> -1
    targets[targets < 0] = IGNORE
    targets[:, :max_len - stride] = IGNORE  # context columns
    return inputs, targets


# --------------------------------------------------------------------------- models
class _NextItemModel:
    """Hyperparameters, training through :func:`recsys_helpers.training.train`, scoring and
    validation shared by the next-item models."""

    #: Default training settings (see :class:`recsys_helpers.training.TrainConfig`).
    training_defaults = {"epochs": 50, "batch_size": 128, "lr": 1e-3}
    #: 1: next-item (causal) training; 0: every item can be a (masked) target.
    _first_target = 1

    def __init__(self, num_items: int, *, hidden: int, dropout: float, max_len: int, stride: int | None,
                 **training):
        self.num_items = check_positive_int("num_items", num_items)
        if self.num_items < 2:
            raise ValueError(f"num_items must be an integer >= 2, got {num_items!r}")
        self.hidden = check_positive_int("hidden", hidden)
        self.dropout = check_fraction("dropout", dropout)
        self.max_len = check_positive_int("max_len", max_len)
        self.stride = self.max_len if stride is None else check_positive_int("stride", stride)
        if self.stride > self.max_len:
            raise ValueError(f"stride must be at most max_len={self.max_len}, got {stride}")
        self.training = TrainConfig.from_settings(self.training_defaults, training)

    # --- hooks for the subclasses
    def _build(self) -> nn.Module:
        raise NotImplementedError

    def _corrupt(self, inputs: torch.Tensor, targets: torch.Tensor, rng: np.random.Generator):
        """Per-batch random corruption (the masked-item model masks here); identity by default."""
        return inputs, targets

    def _scoring_tokens(self, sequences: list[np.ndarray]) -> torch.Tensor:
        return pad_sequences(sequences, self.max_len)

    # --- public interface
    def _check_fitted(self) -> None:
        if not hasattr(self, "network_"):
            raise RuntimeError(f"{type(self).__name__} is not fitted: call fit(sequences) first")

    @property
    def num_parameters(self) -> int:
        """Number of trainable parameters (embeddings included) of the fitted network."""
        self._check_fitted()
        return sum(p.numel() for p in self.network_.parameters() if p.requires_grad)

    def _loss(self, network, batch):
        inputs, targets = batch
        used = targets != IGNORE
        hidden = network(inputs)
        # logits only where there is a target: (positions, num_items), not (batch, length, num_items)
        return nn.functional.cross_entropy(network.logits(hidden[used]), targets[used])

    def fit(self, sequences, validation=None):
        """Train on item sequences with full-softmax cross-entropy over all items.

        Parameters
        ----------
        sequences : list of sequences of item indices in ``0..num_items-1``, oldest first
            (or a mapping such as :func:`build_sequences` returns; its values are used). Each is
            cut into :func:`training_windows` of ``max_len`` positions and step ``stride``, so
            every item after the first (every item, for the masked-item model) is a target once.
        validation : (sequences, targets), optional
            Histories and their true next items. After every epoch the model scores them (items
            of each history excluded) and the history records ``val_ndcg`` and ``val_hit_rate``
            at ``val_k``; the weights of the best ``monitor`` epoch are kept and ``patience``
            stops training early.

        Returns
        -------
        self
            With ``network_``, ``history_`` (one dict per epoch: ``epoch``, ``loss`` and the
            validation metrics), ``best_epoch_`` and ``fit_seconds_``.

        Raises
        ------
        ValueError
            Items outside ``0..num_items-1``, no training target, a malformed ``validation``,
            or ``monitor`` other than "ndcg"/"hit_rate" with validation.
        """
        inputs, targets = training_windows(sequences, self.max_len, stride=self.stride,
                                           first_target=self._first_target)
        check_item_sequences(sequences, num_items=self.num_items)
        if len(inputs) == 0:
            raise ValueError("no training sequence has a target position: nothing to learn from")
        validate = None
        if validation is not None:
            if not isinstance(validation, (tuple, list)) or len(validation) != 2:
                raise ValueError("validation must be a pair (sequences, targets)")
            val_sequences = check_item_sequences(validation[0], num_items=self.num_items,
                                                 name="validation sequences")
            if not val_sequences or np.ndim(validation[1]) != 1 or len(validation[1]) != len(val_sequences):
                raise ValueError(
                    f"validation needs one target per sequence: {len(val_sequences)} sequences, "
                    f"targets of shape {np.shape(validation[1])}"
                )
            val_targets = check_targets(validation[1], len(val_sequences), self.num_items)
            check_choice("monitor", self.training.monitor, VALIDATION_METRICS)
            k = min(self.training.val_k, self.num_items)

            def validate(_network):
                result = evaluate_next_item(self.score_next(val_sequences), val_targets, k=k,
                                            exclude=val_sequences)
                return {name: result[name] for name in VALIDATION_METRICS}

        def batches(epoch, rng):
            order = rng.permutation(len(inputs))
            for start in range(0, order.size, self.training.batch_size):
                index = torch.as_tensor(order[start:start + self.training.batch_size])
                yield self._corrupt(inputs[index], targets[index], rng)

        def build():
            self.network_ = self._build()
            return self.network_

        trained = train(build, batches, self._loss, self.training, validate=validate,
                        description=type(self).__name__)
        self.history_, self.best_epoch_, self.fit_seconds_ = trained.history, trained.best_epoch, trained.seconds
        return self

    @torch.no_grad()
    def score_next(self, sequences, *, batch_size: int = 512) -> np.ndarray:
        """Scores of every item as the next one after each history.

        Parameters
        ----------
        sequences : list of sequences of item indices, oldest first (or a mapping; its values)
            Only the last ``max_len`` items are read (``max_len - 1`` for the masked-item
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
        rows = check_item_sequences(sequences, num_items=self.num_items)
        self.network_.eval()
        device = next(self.network_.parameters()).device
        out = np.empty((len(rows), self.num_items), dtype=np.float64)
        for start in range(0, len(rows), batch_size):
            tokens = self._scoring_tokens(rows[start:start + batch_size]).to(device)
            hidden = self.network_(tokens)[:, -1]
            out[start:start + len(tokens)] = self.network_.logits(hidden).double().cpu().numpy()
        return out

    def recommend_next(self, sequences, k: int = 10, exclude=True) -> np.ndarray:
        """Top-``k`` next items per history, best first, shape (len(sequences), k).

        ``exclude=True`` leaves out the items already in each history; ``None``/``False``
        excludes nothing; anything else is passed on as in
        :func:`recsys_helpers.evaluation.next_item_ranks` (a matrix or one collection of items
        per history). Ties: lower item index first, as everywhere in the course.
        """
        rows = check_item_sequences(sequences, num_items=self.num_items)
        scores = self.score_next(rows)
        if exclude is True:
            exclude = rows
        elif exclude is False:
            exclude = None
        return top_k_items(scores, k, exclude=exclusion_matrix(exclude, scores.shape))


def _check_blocks(num_blocks, num_heads, hidden) -> None:
    check_positive_int("num_blocks", num_blocks)
    if check_positive_int("num_heads", num_heads) and hidden % num_heads:
        raise ValueError(f"num_heads must be a positive integer dividing hidden={hidden}, got {num_heads!r}")


class GRU4Rec(_NextItemModel):
    """A GRU over the item sequence predicts the next item at every position.

    Architecture: item embedding (hidden) -> dropout -> GRU (``num_layers``, hidden units) ->
    dropout -> linear layer to one logit per item. Training: cross-entropy over all items
    (full softmax) at every position of every training window, so a history of n items gives
    n - 1 training examples per epoch. This follows Hidasi et al. (2016) in spirit; their
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
    max_len : int, default 50
        Longest history the network reads; also the width of a training window.
    stride : int in [1, max_len], optional
        Step between training windows (:func:`training_windows`); default ``max_len``
        (non-overlapping windows, every target once).
    **training
        :class:`recsys_helpers.training.TrainConfig` settings; defaults here: ``epochs=50``,
        ``batch_size=128``, ``optimizer="adam"``, ``lr=1e-3``, no weight decay, ``seed=0``.

    Introduced in chapter 05 (Sequential models and Transformers).
    """

    def __init__(self, num_items: int, *, hidden: int = 64, num_layers: int = 1, dropout: float = 0.2,
                 max_len: int = 50, stride: int | None = None, **training):
        super().__init__(num_items, hidden=hidden, dropout=dropout, max_len=max_len, stride=stride, **training)
        self.num_layers = check_positive_int("num_layers", num_layers)

    def _build(self) -> nn.Module:
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
    max_len : int, default 50
        Longest history the network reads; also the width of a training window.
    stride : int in [1, max_len], optional
        Step between training windows (:func:`training_windows`); default ``max_len``
        (non-overlapping windows, every target once).
    **training
        :class:`recsys_helpers.training.TrainConfig` settings; defaults here: ``epochs=50``,
        ``batch_size=128``, ``optimizer="adam"``, ``lr=1e-3``, no weight decay, ``seed=0``.

    Introduced in chapter 05 (Sequential models and Transformers).
    """

    def __init__(self, num_items: int, *, hidden: int = 64, num_blocks: int = 2, num_heads: int = 1,
                 dropout: float = 0.2, max_len: int = 50, stride: int | None = None, **training):
        super().__init__(num_items, hidden=hidden, dropout=dropout, max_len=max_len, stride=stride, **training)
        _check_blocks(num_blocks, num_heads, self.hidden)
        self.num_blocks = int(num_blocks)
        self.num_heads = int(num_heads)

    def _build(self) -> nn.Module:
        return _TransformerNet(self.num_items, self.max_len, hidden=self.hidden, num_blocks=self.num_blocks,
                               num_heads=self.num_heads, dropout=self.dropout, causal=True,
                               ffn_size=self.hidden, activation=nn.ReLU, extra_tokens=0)

    @torch.no_grad()
    def hidden_states(self, sequences) -> torch.Tensor:
        """Final-layer states (len(sequences), max_len, hidden) of the left-padded histories, in
        evaluation mode (no dropout), on the network's device; row r's last column summarises the
        whole history."""
        self._check_fitted()
        self.network_.eval()
        rows = check_item_sequences(sequences, num_items=self.num_items)
        return self.network_(pad_sequences(rows, self.max_len).to(next(self.network_.parameters()).device))


class MaskedItemModel(_NextItemModel):
    """BERT4Rec-style model (Sun et al., 2019): a bidirectional Transformer fills in masked items.

    Training: every history is cut into :func:`training_windows` of ``max_len`` items (step
    ``stride``); in each window every target column's item is replaced, with probability
    ``mask_prob``, by the [MASK] token ``num_items + 1`` (at least one per window: the last item
    when the draw masked none), and the model predicts the original items at the masked
    positions with cross-entropy over all items. Masks are re-drawn every epoch from the fit's
    generator. Every position attends to every real position, before and after it.

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
    max_len : int, default 50
        Longest history the network reads; also the width of a training window.
    stride : int in [1, max_len], optional
        Step between training windows (:func:`training_windows`); default ``max_len``
        (non-overlapping windows, every target once).
    **training
        :class:`recsys_helpers.training.TrainConfig` settings; defaults here: ``epochs=50``,
        ``batch_size=128``, ``optimizer="adam"``, ``lr=1e-3``, no weight decay, ``seed=0``.

    Introduced in chapter 05 (Sequential models and Transformers).
    """

    def __init__(self, num_items: int, *, hidden: int = 64, num_blocks: int = 2, num_heads: int = 2,
                 dropout: float = 0.2, mask_prob: float = 0.2, max_len: int = 50, stride: int | None = None,
                 **training):
        super().__init__(num_items, hidden=hidden, dropout=dropout, max_len=max_len, stride=stride, **training)
        _check_blocks(num_blocks, num_heads, self.hidden)
        if self.max_len < 2:
            raise ValueError("MaskedItemModel needs max_len >= 2 (at least one item plus the [MASK])")
        self.mask_prob = check_fraction("mask_prob", mask_prob, low_open=True)
        self.num_blocks = int(num_blocks)
        self.num_heads = int(num_heads)

    @property
    def mask_token(self) -> int:
        """Token id of [MASK]: ``num_items + 1`` (0 is padding, 1..num_items are items)."""
        return self.num_items + 1

    _first_target = 0  # every item of a window can be masked and predicted

    def _build(self) -> nn.Module:
        return _TransformerNet(self.num_items, self.max_len, hidden=self.hidden, num_blocks=self.num_blocks,
                               num_heads=self.num_heads, dropout=self.dropout, causal=False,
                               ffn_size=4 * self.hidden, activation=nn.GELU, extra_tokens=1)

    def _corrupt(self, inputs, targets, rng):
        """Mask target columns with probability ``mask_prob`` (drawn from the fit's ``rng``);
        targets stay only where a mask was placed."""
        eligible = targets != IGNORE
        masked = torch.as_tensor(rng.random(tuple(inputs.shape)) < self.mask_prob) & eligible
        masked[:, -1] |= ~masked.any(dim=1)  # the last column is always a target item
        new_targets = torch.where(masked, targets, torch.full_like(targets, IGNORE))
        return inputs.masked_fill(masked, self.mask_token), new_targets

    def _scoring_tokens(self, sequences):
        tokens = pad_sequences([s[-(self.max_len - 1):] for s in sequences], self.max_len)
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
    ``SequentialRecommender(SASRec(num_items, epochs=30, max_len=50)).fit(train, num_users=n)``

    Introduced in chapter 05 (Sequential models and Transformers).
    """

    def __init__(self, model: _NextItemModel, *, user_col: str = "user_idx", item_col: str = "item_idx",
                 time_col: str = "timestamp"):
        if not isinstance(model, _NextItemModel):
            raise ValueError(f"model must be a GRU4Rec, SASRec or MaskedItemModel, got {type(model).__name__}")
        self.model = model
        self.user_col, self.item_col, self.time_col = user_col, item_col, time_col

    def fit(self, interactions: pd.DataFrame, validation=None, *, num_users: int | None = None,
            fit_model: bool = True) -> "SequentialRecommender":
        """Build each user's history from ``interactions`` and (unless ``fit_model=False``, for a
        model trained already) train the model on them with ``model.fit(histories, validation)``.

        ``num_users`` defaults to the largest user index + 1; users without rows get an empty
        history. ``train_`` is the binary (num_users, num_items) matrix of the interactions.
        """
        require_columns(interactions, [self.user_col, self.item_col, self.time_col])
        by_user = build_sequences(interactions, user_col=self.user_col, item_col=self.item_col, time_col=self.time_col)
        largest = max(by_user, default=-1)
        num_users = largest + 1 if num_users is None else int(num_users)
        if by_user and (min(by_user) < 0 or largest >= num_users):
            raise ValueError(f"user indices must lie in [0, {num_users}), got min {min(by_user)} max {largest}")
        if num_users < 1:
            raise ValueError("interactions are empty and num_users is not given")
        self.sequences_ = [by_user.get(user, []) for user in range(num_users)]
        check_item_sequences(self.sequences_, num_items=self.model.num_items)  # item range check
        users = interactions[self.user_col].to_numpy()
        items = interactions[self.item_col].to_numpy()
        matrix = sp.csr_matrix((np.ones(len(users)), (users, items)), shape=(num_users, self.model.num_items))
        matrix.sum_duplicates()
        matrix.data[:] = 1.0
        self.train_ = matrix
        if fit_model:
            self.model.fit(self.sequences_, validation)
        else:
            self.model._check_fitted()
        return self

    def score(self, users=None) -> np.ndarray:
        users = self._users(users)
        return self.model.score_next([self.sequences_[u] for u in users])
