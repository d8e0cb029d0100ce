"""Seeding, negative sampling and a small PyTorch training loop shared by the chapter 04 models.

- :func:`set_seed` seeds Python, NumPy and PyTorch (and TensorFlow when it is already imported).
- :class:`NegativeSampler` / :func:`sample_negatives` draw, for each user, items the user has not
  interacted with, by vectorized rejection sampling.
- :func:`train_model` runs mini-batch training with AdamW, records a per-epoch ``history`` and can
  stop early on a validation metric, restoring the best weights.
- :class:`TorchRecommender` is the glue every PyTorch model of :mod:`recsys_helpers.models` uses
  to turn a network into a :class:`recsys_helpers.base.Recommender`.

PyTorch is imported inside the functions that need it, so that importing this module (for example
from :mod:`recsys_helpers.models.keras_models`) stays cheap.

Introduced in chapter 04 (Embeddings and neural collaborative filtering).
"""

from __future__ import annotations

import copy
import math
import random
import sys
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp

from recsys_helpers.base import Recommender, check_interactions

__all__ = [
    "set_seed",
    "NegativeSampler",
    "sample_negatives",
    "train_model",
    "TorchRecommender",
]


# --------------------------------------------------------------------------- argument checks
def check_positive_int(name: str, value) -> int:
    """Return ``value`` as int, or raise ValueError naming ``name`` unless it is an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive integer, got {value!r}")
    return int(value)


def check_non_negative_int(name: str, value) -> int:
    """Return ``value`` as int, or raise ValueError naming ``name`` unless it is an integer >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value!r}")
    return int(value)


def check_positive_float(name: str, value) -> float:
    """Return ``value`` as float, or raise ValueError naming ``name`` unless it is finite and > 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value <= 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def check_non_negative_float(name: str, value) -> float:
    """Return ``value`` as float, or raise ValueError naming ``name`` unless it is finite and >= 0."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(f"{name} must be a non-negative number, got {value!r}")
    return float(value)


def check_layers(name: str, layers) -> tuple[int, ...]:
    """A tuple of positive layer widths (possibly empty), or ValueError naming ``name``."""
    if isinstance(layers, (int, np.integer)):
        raise ValueError(f"{name} must be a sequence of positive integers, got {layers!r}")
    layers = tuple(layers)
    for width in layers:
        check_positive_int(f"every width in {name}", width)
    return tuple(int(w) for w in layers)


NEUMF_MODES = ("neumf", "gmf", "mlp")


def check_neumf_config(mode: str, mlp_layers) -> tuple[int, ...]:
    """Validate a NeuMF variant (PyTorch or Keras); return the MLP widths as a tuple."""
    if mode not in NEUMF_MODES:
        raise ValueError(f"mode must be one of {NEUMF_MODES}, got {mode!r}")
    layers = check_layers("mlp_layers", mlp_layers)
    if mode != "gmf":
        if not layers:
            raise ValueError("mlp_layers must have at least one width when the MLP tower is used")
        if layers[0] % 2:
            raise ValueError(f"mlp_layers[0] must be even (user and item halves), got {layers[0]}")
    return layers


def positive_pairs(train: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Users (int64), items (int64) and values (float32) of the non-zero entries of ``train``."""
    coo = sp.coo_matrix(train)
    keep = coo.data != 0
    return coo.row[keep].astype(np.int64), coo.col[keep].astype(np.int64), coo.data[keep].astype(np.float32)


# --------------------------------------------------------------------------- seeding
def set_seed(seed: int) -> None:
    """Seed Python's ``random``, NumPy's global generator and PyTorch (CPU).

    TensorFlow is seeded too, but only when it has already been imported: this function never
    imports TensorFlow itself.

    Parameters
    ----------
    seed : int, >= 0

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """
    seed = check_non_negative_int("seed", seed)
    random.seed(seed)
    np.random.seed(seed)
    import torch

    torch.manual_seed(seed)
    if "tensorflow" in sys.modules:
        sys.modules["tensorflow"].random.set_seed(seed)


# --------------------------------------------------------------------------- negative sampling
class NegativeSampler:
    """Draw items a user has not interacted with, uniformly, by vectorized rejection sampling.

    Every stored non-zero entry of ``train`` counts as an interaction. Candidates are drawn for all
    requested users at once; the ones that hit an interacted item are redrawn, again all at once,
    until none is left. Membership is a lookup in a dense boolean matrix when it is small (at most
    ``DENSE_LIMIT`` cells; MovieLens-100k needs 1.6 MB) and otherwise a binary search of
    ``user * num_items + item`` in the sorted keys of the training entries. A user with almost every item seen
    would make rejection slow; after ``max_rounds`` rounds the remaining draws are made exactly from
    the complement of the user's items.

    Parameters
    ----------
    train : sparse matrix of shape (num_users, num_items)
    max_rounds : int, default 50

    Raises
    ------
    ValueError
        Invalid ``train``; at sampling time, a user who has interacted with every item.

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    #: Largest user x item matrix kept as a dense boolean array for fast membership tests.
    DENSE_LIMIT = 1 << 26

    def __init__(self, train, *, max_rounds: int = 50):
        matrix = check_interactions(train).copy()
        matrix.eliminate_zeros()
        matrix.sort_indices()
        self.num_users, self.num_items = matrix.shape
        self.max_rounds = check_positive_int("max_rounds", max_rounds)
        self._matrix = matrix
        self._counts = np.diff(matrix.indptr)
        rows = np.repeat(np.arange(self.num_users, dtype=np.int64), self._counts)
        # Rows ascend and columns are sorted within each row, so the keys are already sorted.
        self._keys = rows * self.num_items + matrix.indices.astype(np.int64)
        small = self.num_users * self.num_items <= self.DENSE_LIMIT
        self._dense = matrix.toarray().astype(bool) if small else None

    def seen(self, users: np.ndarray, items: np.ndarray) -> np.ndarray:
        """Boolean array: has ``users[n]`` interacted with ``items[n]`` (same shapes)?"""
        if self._dense is not None:
            return self._dense[np.asarray(users, dtype=np.int64), np.asarray(items, dtype=np.int64)]
        keys = np.asarray(users, dtype=np.int64) * self.num_items + np.asarray(items, dtype=np.int64)
        if self._keys.size == 0:
            return np.zeros(keys.shape, dtype=bool)
        position = np.minimum(np.searchsorted(self._keys, keys), self._keys.size - 1)
        return self._keys[position] == keys

    def __call__(self, users, rng: np.random.Generator, num_negatives: int | None = None) -> np.ndarray:
        """Negative items for ``users``.

        Parameters
        ----------
        users : array of int, shape (n,)
            User indices in [0, num_users); repeats are allowed.
        rng : numpy.random.Generator
        num_negatives : int, optional
            None: one item per user, shape (n,). Otherwise shape (n, num_negatives), drawn with
            replacement.

        Returns
        -------
        ndarray of int64, item indices in [0, num_items) the user has not interacted with
        """
        users = np.asarray(users, dtype=np.int64).ravel()
        if users.size and (users.min() < 0 or users.max() >= self.num_users):
            raise ValueError(f"user indices must be in [0, {self.num_users}), got min {users.min()} max {users.max()}")
        if not isinstance(rng, np.random.Generator):
            raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
        full = self._counts[users] >= self.num_items
        if full.any():
            raise ValueError(f"user {users[full][0]} has interacted with every item: no negative to sample")
        repeat = 1 if num_negatives is None else check_positive_int("num_negatives", num_negatives)
        flat_users = np.repeat(users, repeat)
        items = rng.integers(0, self.num_items, size=flat_users.size)
        redo = np.flatnonzero(self.seen(flat_users, items))
        for _ in range(self.max_rounds):
            if redo.size == 0:
                break
            items[redo] = rng.integers(0, self.num_items, size=redo.size)
            redo = redo[self.seen(flat_users[redo], items[redo])]
        for position in redo:  # rare: users who have seen nearly everything
            user = flat_users[position]
            row = self._matrix.indices[self._matrix.indptr[user]:self._matrix.indptr[user + 1]]
            items[position] = rng.choice(np.setdiff1d(np.arange(self.num_items), row))
        return items if num_negatives is None else items.reshape(users.size, repeat)


def sample_negatives(train, users, rng: np.random.Generator, num_negatives: int | None = None) -> np.ndarray:
    """One-off version of :class:`NegativeSampler`: items each user in ``users`` has not seen.

    Parameters
    ----------
    train : sparse matrix of shape (num_users, num_items)
        Non-zero entries are interactions.
    users : array of int, shape (n,)
    rng : numpy.random.Generator
    num_negatives : int, optional
        None: shape (n,); otherwise shape (n, num_negatives).

    Returns
    -------
    ndarray of int64 item indices, never an item the user interacted with in ``train``.

    Build a :class:`NegativeSampler` once when sampling repeatedly (every mini-batch), since
    this function re-indexes ``train`` on each call.

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """
    return NegativeSampler(train)(users, rng, num_negatives)


# --------------------------------------------------------------------------- training loop
def train_model(
    model,
    batches_fn: Callable[[int], Iterable[Any]],
    loss_fn: Callable[[Any, Any], Any],
    *,
    epochs: int,
    lr: float = 1e-2,
    weight_decay: float = 0.0,
    validate: Callable[[Any], float] | None = None,
    patience: int | None = None,
    progress: bool = False,
    description: str | None = None,
) -> list[dict[str, float]]:
    """Train a ``torch.nn.Module`` with AdamW mini-batches; optional early stopping.

    Each epoch calls ``batches_fn(epoch)`` for an iterable of batches and, for each batch, takes
    one optimizer step on ``loss_fn(model, batch)``. After the epoch, ``validate(model)`` (in eval
    mode, without gradients) gives a metric where higher is better. With ``patience``, training
    stops once the metric has not improved for ``patience`` epochs, and the weights of the best
    epoch are restored; without it, all epochs run but the best weights are still restored whenever
    ``validate`` is given.

    Parameters
    ----------
    model : torch.nn.Module
    batches_fn : callable ``epoch -> iterable of batches``
        ``epoch`` counts from 1. A batch is whatever ``loss_fn`` expects.
    loss_fn : callable ``(model, batch) -> scalar tensor``
    epochs : int, >= 1
        Maximum number of passes.
    lr : float, > 0
        AdamW learning rate.
    weight_decay : float, >= 0
        Decoupled weight decay of AdamW (Loshchilov and Hutter, 2019): every step multiplies each
        parameter by ``1 - lr * weight_decay``.
    validate : callable ``model -> float``, optional
    patience : int >= 1, optional
        Needs ``validate``.
    progress : bool, default False
        Show a tqdm progress bar over epochs with the latest loss and metric.
    description : str, optional
        Label of the progress bar.

    Returns
    -------
    list of dict
        One entry per epoch run: ``epoch`` (int, from 1), ``loss`` (float, mean of the batch
        losses) and, with ``validate``, ``metric`` (float).

    Raises
    ------
    ValueError
        Bad arguments, or an epoch without batches.
    FloatingPointError
        The loss became NaN or infinite (usually: learning rate too high).

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """
    import torch

    epochs = check_positive_int("epochs", epochs)
    lr = check_positive_float("lr", lr)
    weight_decay = check_non_negative_float("weight_decay", weight_decay)
    if patience is not None:
        patience = check_positive_int("patience", patience)
        if validate is None:
            raise ValueError("patience needs a validate function: early stopping watches a validation metric")
    parameters = [p for p in model.parameters() if p.requires_grad]
    if not parameters:
        raise ValueError("model has no trainable parameters")
    optimizer = torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay)

    epoch_range: Iterable[int] = range(1, epochs + 1)
    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(epoch_range, desc=description or type(model).__name__, unit="epoch")
        epoch_range = bar

    history: list[dict[str, float]] = []
    best_metric, best_state, waited = -math.inf, None, 0
    for epoch in epoch_range:
        model.train()
        total, num_batches = 0.0, 0
        for batch in batches_fn(epoch):
            optimizer.zero_grad()
            loss = loss_fn(model, batch)
            if not torch.isfinite(loss):
                raise FloatingPointError(f"loss is {loss.item()} at epoch {epoch}: lower lr or check the inputs")
            loss.backward()
            optimizer.step()
            total += float(loss.detach())
            num_batches += 1
        if num_batches == 0:
            raise ValueError(f"batches_fn({epoch}) yielded no batches")
        record: dict[str, float] = {"epoch": epoch, "loss": total / num_batches}
        if validate is not None:
            model.eval()
            with torch.no_grad():
                metric = float(validate(model))
            record["metric"] = metric
            if metric > best_metric:
                best_metric, best_state, waited = metric, copy.deepcopy(model.state_dict()), 0
            else:
                waited += 1
        history.append(record)
        if bar is not None:
            bar.set_postfix({k: round(v, 4) for k, v in record.items() if k != "epoch"})
        if patience is not None and waited >= patience:
            break
    if bar is not None:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


# --------------------------------------------------------------------------- recommender glue
class TorchRecommender(Recommender):
    """Base class of the PyTorch recommenders: hyperparameter checks, seeding, fit and score.

    A subclass implements four hooks: ``_prepare(train)`` (derive training data from the CSR
    matrix), ``_build()`` (return a fresh ``torch.nn.Module``), ``_batches(rng)`` (iterable of
    batches for one epoch) and ``_loss(module, batch)``, plus ``_score_block(users)`` returning a
    (len(users), num_items) tensor. :meth:`fit` then seeds everything with ``seed``, trains with
    :func:`train_model` and keeps the per-epoch ``history_``.

    Parameters
    ----------
    epochs : int, >= 1
    lr : float, > 0
    batch_size : int, >= 1
    weight_decay : float, >= 0
        AdamW decoupled weight decay.
    seed : int, >= 0
        Same seed and data, same scores.
    progress : bool, default False
        tqdm progress bar over epochs.

    Attributes
    ----------
    train_ : csr_matrix, the training interactions
    module_ : torch.nn.Module, the trained network
    history_ : list of dict, see :func:`train_model`

    Introduced in chapter 04 (Embeddings and neural collaborative filtering).
    """

    #: Users scored per forward pass in :meth:`score` (bounds memory for pairwise models).
    score_chunk: int = 1024

    def __init__(self, *, epochs: int, lr: float, batch_size: int, weight_decay: float, seed: int,
                 progress: bool = False):
        self.epochs = check_positive_int("epochs", epochs)
        self.lr = check_positive_float("lr", lr)
        self.batch_size = check_positive_int("batch_size", batch_size)
        self.weight_decay = check_non_negative_float("weight_decay", weight_decay)
        self.seed = check_non_negative_int("seed", seed)
        self.progress = bool(progress)

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
        for start in range(0, order.size, self.batch_size):
            yield order[start:start + self.batch_size]

    def _bpr_batches(self, rng: np.random.Generator):
        """Mini-batches of (users, positive items, one sampled negative per pair) tensors."""
        import torch

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
    def fit(self, interactions, *, validation=None, patience: int | None = None, k: int = 10) -> "TorchRecommender":
        """Train on a (num_users, num_items) matrix; return ``self``.

        Parameters
        ----------
        interactions : sparse matrix of shape (num_users, num_items)
        validation : sparse matrix of the same shape, optional
            Held-out interactions; after each epoch the model is scored by NDCG@``k`` on them
            (training items excluded) and the best epoch's weights are kept.
        patience : int, optional
            Stop after this many epochs without a better validation NDCG (needs ``validation``).
        k : int, default 10
        """
        train = self._check_train(interactions)
        validate = None
        if validation is not None:
            if not sp.issparse(validation) or validation.shape != train.shape:
                raise ValueError(f"validation must be a sparse matrix of shape {train.shape}")
            from recsys_helpers.evaluation import evaluate_full_ranking

            validation = sp.csr_matrix(validation)

            def validate(_module) -> float:
                return evaluate_full_ranking(self.score(), train, validation, k=k, metrics=("ndcg",))["ndcg"]
        elif patience is not None:
            raise ValueError("patience needs validation interactions")

        set_seed(self.seed)
        rng = np.random.default_rng(self.seed)
        self.num_users_, self.num_items_ = train.shape
        self.train_ = train
        self._prepare(train)
        self.module_ = self._build()
        self.history_ = train_model(
            self.module_,
            lambda epoch: self._batches(rng),
            self._loss,
            epochs=self.epochs,
            lr=self.lr,
            weight_decay=self.weight_decay,
            validate=validate,
            patience=patience,
            progress=self.progress,
            description=type(self).__name__,
        )
        return self

    def score(self, users=None) -> np.ndarray:
        """Scores of shape (len(users), num_items), float64; higher = more recommendable."""
        import torch

        users = self._users(users)
        if users.size == 0:
            return np.empty((0, self.num_items_))
        self.module_.eval()
        with torch.no_grad():
            blocks = [
                self._score_block(torch.as_tensor(users[start:start + self.score_chunk])).numpy()
                for start in range(0, users.size, self.score_chunk)
            ]
        return np.concatenate(blocks).astype(np.float64)
