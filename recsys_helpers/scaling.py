"""Large recommendation models and how to measure when size pays: an HSTU block and scaling-law fits.

Two halves, both introduced in chapter 16 (When does size pay?):

**HSTU** (Zhai et al., ICML 2024, "Actions Speak Louder than Words"), a sequential transducer
block that replaces softmax attention by *pointwise* attention:

- :func:`pointwise_attention`: ``SiLU(Q Kᵀ + bias) / n`` with a causal mask and masked padding
  keys, no softmax (rows do not sum to 1);
- :func:`gated_output`: ``LayerNorm(A V) ⊙ U``, the elementwise gate of the block;
- :class:`HSTU`: a next-item model with the interface of
  :class:`recsys_helpers.models.sequential.SASRec` (``fit``, ``score_next``, ``recommend_next``,
  ``num_parameters``), built from such blocks with a learned relative-position bias; it has no
  absolute position embedding and no time bias (the paper's bucketed time-gap bias is left out).

**Scaling measurements**:

- :func:`non_embedding_parameters` counts a network's parameters outside its item and position
  tables and its per-item output bias; :func:`training_flops` is the usual ``6 N D`` estimate;
- :func:`next_item_cross_entropy` and :func:`oracle_entropy` give the held-out loss of a model
  and the floor that a known next-item distribution sets;
- :func:`fit_power_law` fits ``L(C) = E + A C^(-alpha)`` with a bootstrap over the fitted points;
  :func:`fit_loss_surface` fits ``L(N, D) = E + A N^(-a) + B D^(-b)``;
  :func:`compute_optimal` picks the size and the number of epochs that a fitted surface
  recommends for a budget of FLOPs.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from recsys_helpers.checks import check_item_sequences, check_positive_int
from recsys_helpers.evaluation import evaluate_next_item
from recsys_helpers.models.sequential import PAD, _check_blocks, _NextItemModel, training_windows
from recsys_helpers.training import train

__all__ = [
    "pointwise_attention",
    "gated_output",
    "HSTU",
    "non_embedding_parameters",
    "training_flops",
    "next_item_cross_entropy",
    "oracle_entropy",
    "PowerLawFit",
    "fit_power_law",
    "power_law",
    "LossSurface",
    "fit_loss_surface",
    "compute_optimal",
    "fit_learning_curve",
    "held_out_plays",
]


# --------------------------------------------------------------------------- HSTU
def pointwise_attention(q: torch.Tensor, k: torch.Tensor, bias=None, valid=None) -> torch.Tensor:
    """HSTU's attention weights: ``SiLU(q kᵀ + bias) / n``, causal, without softmax.

    Parameters
    ----------
    q, k : tensors (..., n, d)
    bias : tensor broadcastable to (..., n, n), optional
        Added before the SiLU (HSTU's relative position bias).
    valid : bool tensor (batch, n), optional
        False marks a padding key: its weight is 0 for every query. With extra leading
        dimensions (heads), ``valid`` is broadcast over them.

    Returns
    -------
    tensor (..., n, n)
        Weight of key j for query i; 0 wherever j > i (the future) or key j is invalid.
        ``n`` is the length of the window (padding included), as in the paper.
    """
    if q.shape != k.shape or q.dim() < 2:
        raise ValueError(f"q and k must have the same shape (..., n, d), got {tuple(q.shape)} and {tuple(k.shape)}")
    n = q.shape[-2]
    scores = q @ k.transpose(-2, -1)
    if bias is not None:
        scores = scores + bias
    keep = torch.ones(n, n, dtype=torch.bool, device=q.device).tril()
    if valid is not None:
        valid = torch.as_tensor(valid, dtype=torch.bool, device=q.device)
        shape = (valid.shape[0],) + (1,) * (q.dim() - 3) + (1, n) if q.dim() > 2 else (1, n)
        keep = keep & valid.reshape(shape)
    return torch.where(keep, nn.functional.silu(scores) / n, torch.zeros((), dtype=scores.dtype, device=q.device))


def gated_output(weights: torch.Tensor, v: torch.Tensor, u: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """HSTU's gated output ``LayerNorm(weights @ v) * u`` (layer norm over the last axis, no learned scale).

    Shapes: ``weights`` (..., n, n), ``v`` and ``u`` (..., n, d_v); returns (..., n, d_v).
    """
    mixed = weights @ v
    return nn.functional.layer_norm(mixed, mixed.shape[-1:], eps=eps) * u


class _HSTUBlock(nn.Module):
    """x + f2(Dropout(LayerNorm(A V) ⊙ U)), with U, V, Q, K = SiLU(f1(LayerNorm(x)))."""

    def __init__(self, hidden: int, linear_dim: int, attention_dim: int, num_heads: int, max_len: int,
                 dropout: float):
        super().__init__()
        self.linear_dim, self.attention_dim, self.num_heads = linear_dim, attention_dim, num_heads
        self.input_norm = nn.LayerNorm(hidden)
        self.f1 = nn.Linear(hidden, 2 * linear_dim + 2 * attention_dim)
        self.f2 = nn.Linear(linear_dim, hidden)
        # one learned bias per distance i - j = 0 .. max_len - 1 (the past only: the mask hides the rest)
        self.relative_bias = nn.Parameter(torch.zeros(max_len))
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        batch, n, _ = x.shape
        heads = self.num_heads
        u, v, q, k = nn.functional.silu(self.f1(self.input_norm(x))).split(
            [self.linear_dim, self.linear_dim, self.attention_dim, self.attention_dim], dim=-1)

        def split(t):  # (batch, n, width) -> (batch, heads, n, width / heads)
            return t.view(batch, n, heads, -1).transpose(1, 2)

        position = torch.arange(n, device=x.device)
        distance = (position[:, None] - position[None, :]).clamp(min=0)
        weights = pointwise_attention(split(q), split(k), self.relative_bias[distance], valid)
        mixed = (weights @ split(v)).transpose(1, 2).reshape(batch, n, self.linear_dim)
        gated = nn.functional.layer_norm(mixed, mixed.shape[-1:]) * u
        return x + self.f2(self.dropout(gated))


class _HSTUNet(nn.Module):
    """Item embedding -> dropout -> HSTU blocks -> layer norm; tied output as in SASRec."""

    def __init__(self, num_items: int, max_len: int, *, hidden: int, num_blocks: int, num_heads: int,
                 linear_dim: int, attention_dim: int, dropout: float):
        super().__init__()
        self.num_items, self.max_len = num_items, max_len
        self.item_embedding = nn.Embedding(num_items + 1, hidden, padding_idx=PAD)
        self.dropout = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(
            _HSTUBlock(hidden, linear_dim, attention_dim, num_heads, max_len, dropout) for _ in range(num_blocks)
        )
        self.final_norm = nn.LayerNorm(hidden)
        self.output_bias = nn.Parameter(torch.zeros(num_items))
        nn.init.normal_(self.item_embedding.weight, std=hidden ** -0.5)
        with torch.no_grad():
            self.item_embedding.weight[PAD].zero_()

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        if tokens.shape[1] > self.max_len:
            raise ValueError(f"sequences of length {tokens.shape[1]} exceed the model's max_len {self.max_len}")
        valid = tokens != PAD
        x = self.dropout(self.item_embedding(tokens))
        for block in self.blocks:
            x = block(x, valid)
        return self.final_norm(x)

    def logits(self, hidden: torch.Tensor) -> torch.Tensor:
        return hidden @ self.item_embedding.weight[1:self.num_items + 1].T + self.output_bias


class HSTU(_NextItemModel):
    """Next-item model of HSTU blocks (Zhai et al., 2024), trained like SASRec (full-softmax cross-entropy).

    Each block: ``U, V, Q, K = SiLU(f1(LayerNorm(x)))`` (``f1`` one linear map to
    ``2 linear_dim + 2 attention_dim``), weights ``SiLU(Q Kᵀ + rab) / n`` (causal, no softmax,
    ``rab`` a learned bias per relative distance), ``y = f2(LayerNorm(A V) ⊙ U)`` and ``x + y``.
    With ``linear_dim = 1.5 hidden`` and ``attention_dim = 0.75 hidden`` the weight matrices of a
    block hold exactly the ``6 hidden²`` numbers of a SASRec block.

    Parameters
    ----------
    num_items : int, >= 2
    hidden : int, default 64
        Width of the item embeddings and of the residual stream.
    num_blocks : int, default 2
    num_heads : int, default 1
        Must divide ``linear_dim`` and ``attention_dim``.
    linear_dim, attention_dim : int, optional
        Widths of U/V and of Q/K; default ``hidden`` each.
    dropout : float in [0, 1), default 0.2
    max_len, stride, **training
        As for :class:`recsys_helpers.models.sequential.SASRec`.
    """

    def __init__(self, num_items: int, *, hidden: int = 64, num_blocks: int = 2, num_heads: int = 1,
                 linear_dim: int | None = None, attention_dim: int | None = None, dropout: float = 0.2,
                 max_len: int = 50, stride: int | None = None, **training):
        super().__init__(num_items, hidden=hidden, dropout=dropout, max_len=max_len, stride=stride, **training)
        self.linear_dim = self.hidden if linear_dim is None else check_positive_int("linear_dim", linear_dim)
        self.attention_dim = (self.hidden if attention_dim is None
                              else check_positive_int("attention_dim", attention_dim))
        _check_blocks(num_blocks, num_heads, self.linear_dim)
        _check_blocks(num_blocks, num_heads, self.attention_dim)
        self.num_blocks, self.num_heads = int(num_blocks), int(num_heads)

    def _build(self) -> nn.Module:
        return _HSTUNet(self.num_items, self.max_len, hidden=self.hidden, num_blocks=self.num_blocks,
                        num_heads=self.num_heads, linear_dim=self.linear_dim, attention_dim=self.attention_dim,
                        dropout=self.dropout)


# --------------------------------------------------------------------------- counting
def non_embedding_parameters(model) -> int:
    """Trainable parameters outside the item table, the position table and the per-item output bias.

    ``model`` is a fitted course sequence model (``network_``) or a ``torch.nn.Module``. These are
    the parameters whose count does not grow with the catalogue: the ``N`` of scaling laws.
    """
    network = getattr(model, "network_", model)
    if not isinstance(network, nn.Module):
        raise ValueError("model must be a fitted sequence model or a torch.nn.Module")
    skip = {id(m.weight) for m in network.modules() if isinstance(m, nn.Embedding)}
    bias = getattr(network, "output_bias", None)
    if bias is not None:
        skip.add(id(bias))
    return sum(p.numel() for p in network.parameters() if p.requires_grad and id(p) not in skip)


def training_flops(non_embedding: float, tokens: float) -> float:
    """``6 N D``: forward (2 N) and backward (4 N) multiply-adds per token, for ``D`` training tokens.

    It omits the attention scores (which grow with the window length), the item-embedding lookup
    and the output layer over the catalogue (``6 hidden × items`` per token), and anything
    spent on evaluation.
    """
    if non_embedding < 0 or tokens < 0:
        raise ValueError("non_embedding and tokens must be >= 0")
    return 6.0 * float(non_embedding) * float(tokens)


def next_item_cross_entropy(logits, targets) -> np.ndarray:
    """Per-row cross-entropy (nats) of the target under ``softmax(logits)``: shape (n,).

    ``logits`` (n, items) unnormalised log-probabilities, ``targets`` (n,) item indices.
    """
    logits = np.asarray(logits, dtype=np.float64)
    targets = np.asarray(targets, dtype=np.int64)
    if logits.ndim != 2 or targets.shape != (len(logits),):
        raise ValueError(f"logits must be (n, items) and targets (n,), got {logits.shape} and {targets.shape}")
    if targets.size and (targets.min() < 0 or targets.max() >= logits.shape[1]):
        raise ValueError("targets must lie in 0..items-1")
    top = logits.max(axis=1, keepdims=True)
    log_norm = top[:, 0] + np.log(np.exp(logits - top).sum(axis=1))
    return log_norm - logits[np.arange(len(targets)), targets]


def oracle_entropy(probabilities) -> np.ndarray:
    """Entropy (nats) of each row of a next-item distribution, ``0 log 0 = 0``: shape (n,).

    Its mean is the expected cross-entropy of a model that knows the distribution exactly: no model
    reading less can beat it on average (the irreducible loss).
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2 or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise ValueError("probabilities must be a 2-d array of non-negative rows summing to 1")
    logs = np.log(np.where(p > 0, p, 1.0))
    return -(p * logs).sum(axis=1)


# --------------------------------------------------------------------------- fits
class PowerLawFit(NamedTuple):
    """``L(C) = E + A (C / scale)^(-alpha)``; ``alpha_low``/``alpha_high``: bootstrap percentile interval."""

    E: float
    A: float
    alpha: float
    scale: float
    alpha_low: float
    alpha_high: float
    alpha_sd: float  # standard error of alpha from the fit's covariance (nan if unavailable)

    def predict(self, compute) -> np.ndarray:
        return power_law(compute, self.E, self.A, self.alpha, self.scale)


def power_law(compute, E: float, A: float, alpha: float, scale: float = 1.0) -> np.ndarray:
    """``E + A (compute / scale)^(-alpha)``."""
    return E + A * (np.asarray(compute, dtype=np.float64) / scale) ** (-alpha)


def _fit_once(x: np.ndarray, loss: np.ndarray):
    from scipy.optimize import curve_fit

    def model(logx, E, log_a, alpha):
        return E + np.exp(log_a - alpha * logx)

    logx = np.log(x)
    floor = float(loss.min())
    best = None
    for alpha0 in (0.1, 0.3, 1.0):
        E0 = floor - 0.1 * (loss.max() - floor) - 1e-6
        gap = max(loss[np.argmin(logx)] - E0, 1e-6)
        p0 = (max(E0, 0.0), math.log(gap), alpha0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                params, cov = curve_fit(model, logx, loss, p0=p0, bounds=([0.0, -30.0, 0.0], [floor, 30.0, 5.0]),
                                        maxfev=20_000)
        except (RuntimeError, ValueError):
            continue
        error = float(((model(logx, *params) - loss) ** 2).sum())
        if best is None or error < best[0]:
            best = (error, params, cov)
    if best is None:
        raise RuntimeError("the power law could not be fitted to these points")
    return best[1], best[2]


def fit_power_law(compute, loss, *, num_resamples: int = 200, confidence: float = 0.95, seed=0) -> PowerLawFit:
    """Least-squares fit of ``L = E + A (C / scale)^(-alpha)`` with ``0 <= E <= min(loss)``, ``0 <= alpha <= 5``.

    ``scale`` is the smallest compute (so ``A`` is the excess loss there). The interval of
    ``alpha`` is a percentile bootstrap over the points (resampled with replacement and refitted;
    resamples with fewer than 3 distinct points are skipped); ``alpha_sd`` comes from the fit's
    covariance matrix instead.
    """
    compute = np.asarray(compute, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    if compute.ndim != 1 or compute.shape != loss.shape or len(compute) < 3:
        raise ValueError("compute and loss must be 1-d arrays of the same length, at least 3 points")
    if (compute <= 0).any() or not np.isfinite(loss).all():
        raise ValueError("compute must be > 0 and loss finite")
    scale = float(compute.min())
    (E, log_a, alpha), cov = _fit_once(compute / scale, loss)
    sd = float(math.sqrt(cov[2, 2])) if np.isfinite(cov[2, 2]) and cov[2, 2] >= 0 else float("nan")
    low = high = float("nan")
    if num_resamples:
        rng = np.random.default_rng(seed)
        alphas = []
        for _ in range(num_resamples):
            pick = rng.integers(0, len(compute), len(compute))
            if len(np.unique(compute[pick])) < 3:
                continue
            try:
                alphas.append(_fit_once(compute[pick] / scale, loss[pick])[0][2])
            except RuntimeError:
                continue
        if alphas:
            tail = (1 - confidence) / 2
            low, high = (float(v) for v in np.quantile(alphas, [tail, 1 - tail]))
    return PowerLawFit(float(E), float(math.exp(log_a)), float(alpha), scale, low, high, sd)


class LossSurface(NamedTuple):
    """``L(N, D) = E + A (N / n_scale)^(-a) + B (D / d_scale)^(-b)``."""

    E: float
    A: float
    a: float
    B: float
    b: float
    n_scale: float
    d_scale: float

    def predict(self, params, tokens) -> np.ndarray:
        params = np.asarray(params, dtype=np.float64) / self.n_scale
        tokens = np.asarray(tokens, dtype=np.float64) / self.d_scale
        return self.E + self.A * params ** (-self.a) + self.B * tokens ** (-self.b)


def fit_loss_surface(params, tokens, loss) -> LossSurface:
    """Least-squares fit of ``L(N, D)`` to runs of ``N`` non-embedding parameters that have seen ``D``
    training tokens (epochs × tokens per epoch), at least 5 points."""
    from scipy.optimize import curve_fit

    params = np.asarray(params, dtype=np.float64)
    tokens = np.asarray(tokens, dtype=np.float64)
    loss = np.asarray(loss, dtype=np.float64)
    if not (params.shape == tokens.shape == loss.shape) or params.ndim != 1 or len(loss) < 5:
        raise ValueError("params, tokens and loss must be 1-d arrays of the same length, at least 5 points")
    if (params <= 0).any() or (tokens <= 0).any():
        raise ValueError("params and tokens must be > 0")
    n_scale, d_scale = float(params.min()), float(tokens.min())
    logn, logd = np.log(params / n_scale), np.log(tokens / d_scale)

    def model(x, E, log_a, a, log_b, b):
        return E + np.exp(log_a - a * x[0]) + np.exp(log_b - b * x[1])

    floor, spread = float(loss.min()), float(loss.max() - loss.min()) + 1e-6
    best = None
    for a0, b0 in ((0.3, 0.3), (1.0, 0.3), (0.3, 1.0)):
        p0 = (max(floor - 0.5 * spread, 0.0), math.log(spread / 2), a0, math.log(spread / 2), b0)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                fitted, _ = curve_fit(model, np.vstack([logn, logd]), loss, p0=p0,
                                      bounds=([0.0, -30, 0.0, -30, 0.0], [floor, 30, 5.0, 30, 5.0]), maxfev=20_000)
        except (RuntimeError, ValueError):
            continue
        error = float(((model(np.vstack([logn, logd]), *fitted) - loss) ** 2).sum())
        if best is None or error < best[0]:
            best = (error, fitted)
    if best is None:
        raise RuntimeError("the loss surface could not be fitted to these points")
    E, log_a, a, log_b, b = best[1]
    return LossSurface(float(E), math.exp(log_a), float(a), math.exp(log_b), float(b), n_scale, d_scale)


def compute_optimal(budget: float, sizes, tokens_per_epoch: float, surface, *, max_epochs: int | None = None):
    """The size and whole number of epochs that a fitted surface predicts best within ``budget`` FLOPs.

    For each candidate ``N`` in ``sizes`` the budget buys ``floor(budget / (6 N T))`` epochs of
    ``T = tokens_per_epoch`` tokens (at most ``max_epochs``; sizes that cannot afford one epoch are
    skipped); the predicted loss is ``surface.predict(N, epochs × T)``.

    Returns
    -------
    (size, epochs, predicted_loss)
        Ties go to the smaller model.
    """
    if budget <= 0 or tokens_per_epoch <= 0:
        raise ValueError("budget and tokens_per_epoch must be > 0")
    best = None
    for size in sorted(float(s) for s in sizes):
        epochs = int(budget // training_flops(size, tokens_per_epoch))
        if max_epochs is not None:
            epochs = min(epochs, int(max_epochs))
        if epochs < 1:
            continue
        predicted = float(surface.predict(size, epochs * tokens_per_epoch))
        if best is None or predicted < best[2]:
            best = (size, epochs, predicted)
    if best is None:
        raise ValueError("the budget does not buy one epoch of any of these sizes")
    return best


# --------------------------------------------------------------------------- learning curves
def fit_learning_curve(model, sequences, histories, targets, *, k: int = 10, exclude_history: bool = False):
    """Train a course next-item model and measure it on held-out targets after every epoch.

    Like ``model.fit(sequences)``, but after each epoch the model scores ``histories`` and the
    history row gets ``val_loss`` (mean :func:`next_item_cross_entropy` of ``targets``, full
    softmax) and ``val_ndcg`` (NDCG@``k``; the items of each history excluded only with
    ``exclude_history=True``). The *last* epoch's weights are kept: nothing is selected on the
    held-out targets. Returns the fitted model (``history_``, ``fit_seconds_``).
    """
    from dataclasses import replace

    histories = check_item_sequences(histories, num_items=model.num_items, name="histories")
    targets = np.asarray(targets, dtype=np.int64)
    if targets.shape != (len(histories),):
        raise ValueError(f"one target per history: {len(histories)} histories, targets {targets.shape}")
    inputs, window_targets = training_windows(sequences, model.max_len, stride=model.stride,
                                              first_target=model._first_target)
    check_item_sequences(sequences, num_items=model.num_items)
    if len(inputs) == 0:
        raise ValueError("no training sequence has a target position: nothing to learn from")
    config = replace(model.training, monitor="epoch", patience=None)
    epoch_counter = [0]

    def validate(network):
        model.network_ = network
        epoch_counter[0] += 1
        logits = model.score_next(histories)
        ndcg = evaluate_next_item(logits, targets, k=min(k, model.num_items),
                                  exclude=histories if exclude_history else None)["ndcg"]
        return {"epoch": float(epoch_counter[0]), "loss": float(next_item_cross_entropy(logits, targets).mean()),
                "ndcg": float(ndcg)}

    def batches(epoch, rng):
        order = rng.permutation(len(inputs))
        for start in range(0, order.size, config.batch_size):
            index = torch.as_tensor(order[start:start + config.batch_size])
            yield model._corrupt(inputs[index], window_targets[index], rng)

    def build():
        model.network_ = model._build()
        return model.network_

    trained = train(build, batches, model._loss, config, validate=validate, description=type(model).__name__)
    model.network_ = trained.module
    model.history_, model.best_epoch_, model.fit_seconds_ = trained.history, trained.best_epoch, trained.seconds
    return model


def held_out_plays(world, users, last: int = 5):
    """The last ``last`` plays of each listener of a music world, with the simulator's own next-track
    distribution for each (:func:`recsys_helpers.worlds.music.next_track_probabilities`).

    Returns
    -------
    dict
        ``train``: {user: list of track ids before the held-out plays}; ``users``: the listener of
        each held-out play (n,); ``histories``: one list
        per held-out play (every earlier track of that user, oldest first); ``targets``: the
        played track (n,); ``probabilities``: the oracle's distribution (n, num_tracks), which
        knows the listener's taste, the day, the hour, the session's previous track and the
        play counts. Users with fewer than ``last + 2`` plays are left out.
    """
    from recsys_helpers.worlds.music import next_track_probabilities

    last = check_positive_int("last", last)
    events = world.events
    chosen = events[events["user_id"].isin(np.asarray(users))]
    rows, histories, targets, train_part = [], [], [], {}
    play_counts = []
    for user, frame in chosen.groupby("user_id", sort=True):
        tracks = frame["track_id"].to_numpy()
        if len(tracks) < last + 2:
            continue
        counts = np.zeros(world.num_tracks)
        skipped = frame["skipped"].to_numpy()
        sessions = frame["session_id"].to_numpy()
        start = len(tracks) - last
        for position in range(start):
            if not skipped[position]:
                counts[tracks[position]] += 1
        train_part[int(user)] = tracks[:start].tolist()
        for position in range(start, len(tracks)):
            same_session = position > 0 and sessions[position - 1] == sessions[position]
            rows.append((int(user), frame["day"].iat[position], frame["hour"].iat[position],
                         int(tracks[position - 1]) if same_session else -1))
            play_counts.append(counts.copy())
            histories.append(tracks[:position].tolist())
            targets.append(int(tracks[position]))
            if not skipped[position]:
                counts[tracks[position]] += 1
    if not rows:
        raise ValueError("no listener has enough plays")
    users_, days, hours, previous = (np.array(c) for c in zip(*rows))
    probabilities = next_track_probabilities(world, users_, days, hours, previous, np.array(play_counts))
    return {"train": train_part, "histories": histories, "targets": np.array(targets), "users": users_,
            "probabilities": probabilities}
