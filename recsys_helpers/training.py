"""The one PyTorch training loop of the course: every trainable model of ``recsys_helpers`` (MF,
BPR-MF, NeuMF, two-tower, LightGCN, GRU4Rec, SASRec, the masked-item model) is fitted by
:func:`train`, with its settings in a :class:`TrainConfig`.

Vocabulary (one meaning per word):

- ``optimizer``: the update rule, one of :data:`OPTIMIZERS` -- ``"sgd"`` (plain stochastic gradient
  descent), ``"momentum"`` (SGD with heavy-ball ``momentum``), ``"adagrad"``, ``"rmsprop"``,
  ``"adam"``.
- ``lr``: the step size (learning rate) at the start of training; ``lr_schedule`` scales it per
  epoch.
- ``weight_decay``: *decoupled* weight decay (Loshchilov and Hutter, 2019). Before every step each
  parameter is multiplied by ``1 - lr_t * weight_decay``, outside the gradient and therefore
  outside Adam's or Adagrad's per-parameter scaling. ``"adam"`` with ``weight_decay > 0`` is what
  the literature calls AdamW (it runs on ``torch.optim.AdamW``).
- ``l2``: *coupled* L2 regularisation. ``l2 * θ`` is added to the gradient of every parameter θ,
  which is the gradient of ``loss + (l2 / 2) * Σ θ²``. With ``"sgd"`` the two are the same update
  (for ``weight_decay == l2``); with adaptive optimizers they differ, which chapter 08 measures.
  The recorded ``loss`` is the data loss only, without this term.
- ``history``: one dict per epoch run, ``{"epoch": int from 1, "loss": mean batch loss,
  "val_<name>": float for every metric the validation function returns}``.

Randomness is local: a fit forks PyTorch's generator (:func:`torch.random.fork_rng`) and seeds it
with ``seed`` for the initial weights and dropout, draws shuffling and negatives from its own
``numpy.random.Generator`` seeded with ``seed``, and leaves Python's ``random``, NumPy's global
generator and PyTorch's global generator exactly as it found them. Same seed, data and device,
same numbers (on CPU).

Introduced in chapter 04 (Embeddings and neural collaborative filtering); taken apart in chapter 08
(Training and optimization).
"""

from __future__ import annotations

import copy
import dataclasses
import math
import os
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import numpy as np
import torch
from torch import nn

from recsys_helpers.checks import (
    check_choice,
    check_non_negative_float,
    check_non_negative_int,
    check_optional,
    check_positive_float,
    check_positive_int,
)

__all__ = [
    "OPTIMIZERS",
    "LR_SCHEDULES",
    "TrainConfig",
    "Trained",
    "make_optimizer",
    "lr_factor",
    "local_seed",
    "to_device",
    "train",
    "save_checkpoint",
    "load_checkpoint",
]

#: Update rules understood by :func:`make_optimizer`.
OPTIMIZERS = ("sgd", "momentum", "adagrad", "rmsprop", "adam")
#: Per-epoch learning-rate schedules (:func:`lr_factor`).
LR_SCHEDULES = ("constant", "linear", "cosine")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; every model takes these as keyword arguments of ``__init__``.

    Parameters
    ----------
    epochs : int, >= 1
        Maximum number of passes over the training data.
    batch_size : int, >= 1
        Examples per optimizer step (read by the model's batch function).
    optimizer : one of :data:`OPTIMIZERS`, default "adam"
    lr : float, > 0
        Learning rate at epoch 1.
    weight_decay : float, >= 0
        Decoupled decay: each step multiplies every parameter by ``1 - lr_t * weight_decay``.
    l2 : float, >= 0
        Coupled L2: ``l2 * θ`` added to every parameter's gradient.
    momentum : float in [0, 1), default 0.9
        Used by ``optimizer="momentum"`` only.
    lr_schedule : one of :data:`LR_SCHEDULES`, default "constant"
        Learning rate of epoch e is ``lr * lr_factor(lr_schedule, e, epochs)``.
    clip_norm : float > 0, optional
        Clip the global gradient norm to this value before each step.
    patience : int >= 1, optional
        With validation data: stop after this many epochs without a better ``monitor`` value.
    monitor : str, default "ndcg"
        Validation metric (higher is better) that picks the best epoch; the history records it
        as ``val_<monitor>``.
    val_k : int, >= 1, default 10
        Cut-off of the validation metrics the models compute.
    seed : int, >= 0
        Seeds the initial weights, dropout, shuffling and sampling of this fit only.
    device : str or torch.device, default "cpu"
        Where the module and the batches live ("cuda", "cuda:1", "mps", ...).
    progress : bool, default False
        Show a tqdm bar over epochs (off, so that executed notebooks stay clean).

    Raises
    ------
    ValueError
        Any setting out of range, naming it.
    """

    epochs: int = 10
    batch_size: int = 256
    optimizer: str = "adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    l2: float = 0.0
    momentum: float = 0.9
    lr_schedule: str = "constant"
    clip_norm: float | None = None
    patience: int | None = None
    monitor: str = "ndcg"
    val_k: int = 10
    seed: int = 0
    device: Any = "cpu"
    progress: bool = False

    def __post_init__(self):
        checked = {
            "epochs": check_positive_int("epochs", self.epochs),
            "batch_size": check_positive_int("batch_size", self.batch_size),
            "optimizer": check_choice("optimizer", self.optimizer, OPTIMIZERS),
            "lr": check_positive_float("lr", self.lr),
            "weight_decay": check_non_negative_float("weight_decay", self.weight_decay),
            "l2": check_non_negative_float("l2", self.l2),
            "momentum": check_non_negative_float("momentum", self.momentum),
            "lr_schedule": check_choice("lr_schedule", self.lr_schedule, LR_SCHEDULES),
            "clip_norm": check_optional(check_positive_float, "clip_norm", self.clip_norm),
            "patience": check_optional(check_positive_int, "patience", self.patience),
            "val_k": check_positive_int("val_k", self.val_k),
            "seed": check_non_negative_int("seed", self.seed),
            "device": torch.device(self.device),
            "progress": bool(self.progress),
        }
        if checked["momentum"] >= 1:
            raise ValueError(f"momentum must be a number in [0, 1), got {self.momentum!r}")
        if not isinstance(self.monitor, str) or not self.monitor:
            raise ValueError(f"monitor must be a metric name such as 'ndcg', got {self.monitor!r}")
        for name, value in checked.items():
            object.__setattr__(self, name, value)

    @classmethod
    def from_settings(cls, defaults: Mapping[str, Any], settings: Mapping[str, Any]) -> "TrainConfig":
        """``TrainConfig(**{**defaults, **settings})``, with a ValueError naming an unknown setting."""
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(settings) - known)
        if unknown:
            raise ValueError(f"unknown training setting(s) {unknown}; known: {sorted(known)}")
        return cls(**{**defaults, **settings})


@dataclasses.dataclass
class Trained:
    """What :func:`train` returns.

    Attributes
    ----------
    module : torch.nn.Module
        The trained network in eval mode, holding the best epoch's weights when validating.
    history : list of dict
        One row per epoch run: ``epoch``, ``loss`` and ``val_<name>`` per validation metric.
    best_epoch : int
        Epoch whose weights ``module`` holds (the last one without validation).
    seconds : float
        Wall-clock time of the whole fit.
    """

    module: nn.Module
    history: list[dict[str, float]]
    best_epoch: int
    seconds: float


def make_optimizer(parameters, config: TrainConfig) -> torch.optim.Optimizer:
    """The torch optimizer for ``config.optimizer`` at ``config.lr``.

    Only ``"adam"`` carries ``weight_decay`` inside the optimizer (``torch.optim.AdamW``, which
    applies it decoupled); for the other rules :func:`train` applies the same decoupled decay
    itself. No rule here receives ``l2`` (the loop adds it to the gradients), so torch's own
    coupled ``weight_decay`` argument is never used.
    """
    parameters = list(parameters)
    if config.optimizer == "sgd":
        return torch.optim.SGD(parameters, lr=config.lr)
    if config.optimizer == "momentum":
        return torch.optim.SGD(parameters, lr=config.lr, momentum=config.momentum)
    if config.optimizer == "adagrad":
        return torch.optim.Adagrad(parameters, lr=config.lr)
    if config.optimizer == "rmsprop":
        return torch.optim.RMSprop(parameters, lr=config.lr)
    return torch.optim.AdamW(parameters, lr=config.lr, weight_decay=config.weight_decay)


def lr_factor(schedule: str, epoch: int, epochs: int) -> float:
    """Multiplier of the learning rate in ``epoch`` (1..epochs): "constant" 1; "linear" falls from
    1 by equal steps, ``1 - (epoch - 1) / epochs``; "cosine" ``(1 + cos(π (epoch - 1) / epochs)) / 2``.

    >>> [round(lr_factor("linear", e, 4), 2) for e in (1, 2, 3, 4)]
    [1.0, 0.75, 0.5, 0.25]
    """
    check_choice("lr_schedule", schedule, LR_SCHEDULES)
    progress = (epoch - 1) / epochs
    if schedule == "linear":
        return 1.0 - progress
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * progress))
    return 1.0


class local_seed:
    """Context manager: inside, PyTorch's generator (on ``device``'s kind) is a fork seeded with
    ``seed``; on exit the global PyTorch state is restored. NumPy and Python's ``random`` are
    never touched; ``rng`` (a fresh ``numpy.random.Generator(seed)``) is what the block should
    draw from.

    >>> with local_seed(0) as rng:
    ...     a = torch.rand(1), rng.random()
    >>> with local_seed(0) as rng:
    ...     b = torch.rand(1), rng.random()
    >>> bool(a[0] == b[0]) and a[1] == b[1]
    True
    """

    def __init__(self, seed: int, device="cpu"):
        self.seed = check_non_negative_int("seed", seed)
        device = torch.device(device)
        self._devices = []
        if device.type == "cuda":
            self._devices = [device.index if device.index is not None else torch.cuda.current_device()]
        self._fork = None

    def __enter__(self) -> np.random.Generator:
        self._fork = torch.random.fork_rng(devices=self._devices)
        self._fork.__enter__()
        torch.manual_seed(self.seed)
        return np.random.default_rng(self.seed)

    def __exit__(self, *exc):
        return self._fork.__exit__(*exc)


def to_device(batch, device):
    """``batch`` with every tensor moved to ``device`` (tuples, lists and dicts are walked)."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(part, device) for part in batch)
    if isinstance(batch, Mapping):
        return {key: to_device(value, device) for key, value in batch.items()}
    return batch


def save_checkpoint(path, module: nn.Module, *, optimizer: torch.optim.Optimizer | None = None,
                    epoch: int | None = None, history: list | None = None) -> None:
    """Write the module's weights (and optionally the optimizer state, epoch and history) to
    ``path`` with ``torch.save``; the folder must exist. Written to a temporary file first and
    renamed, so an interrupted save never leaves half a checkpoint."""
    state = {"module": module.state_dict(), "epoch": epoch, "history": history}
    if optimizer is not None:
        state["optimizer"] = optimizer.state_dict()
    path = os.fspath(path)
    temporary = path + ".tmp"
    torch.save(state, temporary)
    os.replace(temporary, path)


def load_checkpoint(path, module: nn.Module, *, optimizer: torch.optim.Optimizer | None = None) -> dict:
    """Load the weights saved by :func:`save_checkpoint` into ``module`` (same architecture) and,
    when given and saved, the optimizer state; return the stored dict (``epoch``, ``history``)."""
    state = torch.load(os.fspath(path), map_location=next(module.parameters()).device, weights_only=False)
    module.load_state_dict(state["module"])
    if optimizer is not None:
        if "optimizer" not in state:
            raise ValueError(f"{path} holds no optimizer state")
        optimizer.load_state_dict(state["optimizer"])
    return state


def train(
    build: Callable[[], nn.Module],
    batches: Callable[[int, np.random.Generator], Iterable[Any]],
    loss: Callable[[nn.Module, Any], torch.Tensor],
    config: TrainConfig | None = None,
    *,
    validate: Callable[[nn.Module], Mapping[str, float]] | None = None,
    checkpoint=None,
    description: str | None = None,
) -> Trained:
    """Build a module and train it with mini-batches; optional validation, early stopping and
    checkpoints.

    Inside :class:`local_seed` (``config.seed``): ``build()`` makes the module, which is moved to
    ``config.device``. Then for every epoch e = 1, 2, ...: for each batch of
    ``batches(e, rng)`` (tensors moved to the device) one step on ``loss(module, batch)``::

        zero gradients -> loss.backward() -> gradients += l2 * θ -> clip (clip_norm)
        -> θ *= 1 - lr_e * weight_decay (all rules but "adam", where AdamW does it) -> step

    After the epoch, ``validate(module)`` (eval mode, no gradients) returns metrics, higher is
    better; the history row gets ``val_<name>`` for each. The best ``config.monitor`` so far keeps
    a copy of the weights (and is written to ``checkpoint`` when given); after ``patience`` epochs
    without improvement training stops. At the end the best weights are restored. Without
    ``validate``, every epoch runs, the last weights are kept and ``checkpoint`` is rewritten
    after each epoch.

    Parameters
    ----------
    build : callable ``() -> torch.nn.Module``
        Called once, seeded, so the initial weights depend on ``config.seed`` only.
    batches : callable ``(epoch, rng) -> iterable of batches``
        ``rng`` is this fit's ``numpy.random.Generator``: shuffle and sample with it. A batch is
        whatever ``loss`` takes (a tensor, or a tuple/list/dict of them).
    loss : callable ``(module, batch) -> scalar tensor``
    config : TrainConfig, optional
        Defaults to ``TrainConfig()``.
    validate : callable ``module -> dict of str to float``, optional
        Must contain ``config.monitor``.
    checkpoint : str or path, optional
        File that receives :func:`save_checkpoint` of the best (or latest) epoch.
    description : str, optional
        Label of the progress bar.

    Returns
    -------
    Trained
        ``module``, ``history``, ``best_epoch``, ``seconds``.

    Raises
    ------
    ValueError
        ``build`` is not a function returning a module with trainable parameters, ``patience``
        without ``validate``, an epoch without batches, or ``validate`` missing ``monitor``.
    FloatingPointError
        The loss became NaN or infinite (usually: learning rate too high).
    """
    started = time.perf_counter()
    config = TrainConfig() if config is None else config
    if not isinstance(config, TrainConfig):
        raise ValueError(f"config must be a TrainConfig, got {type(config).__name__}")
    if isinstance(build, nn.Module) or not callable(build):
        raise ValueError("build must be a function that returns a new torch.nn.Module (for example a lambda)")
    if config.patience is not None and validate is None:
        raise ValueError("patience needs validation data: early stopping watches a validation metric")
    device = config.device
    with local_seed(config.seed, device) as rng:
        module = build()
        if not isinstance(module, nn.Module):
            raise ValueError(f"build() must return a torch.nn.Module, got {type(module).__name__}")
        module.to(device)
        parameters = [p for p in module.parameters() if p.requires_grad]
        if not parameters:
            raise ValueError("the module has no trainable parameters")
        optimizer = make_optimizer(parameters, config)
        decoupled = config.weight_decay > 0 and config.optimizer != "adam"

        epochs: Iterable[int] = range(1, config.epochs + 1)
        bar = None
        if config.progress:
            from tqdm.auto import tqdm

            bar = tqdm(epochs, desc=description or type(module).__name__, unit="epoch")
            epochs = bar
        history: list[dict[str, float]] = []
        best_value, best_state, best_epoch, waited = -math.inf, None, 0, 0
        for epoch in epochs:
            step_lr = config.lr * lr_factor(config.lr_schedule, epoch, config.epochs)
            for group in optimizer.param_groups:
                group["lr"] = step_lr
            module.train()
            total, num_batches = 0.0, 0
            for batch in batches(epoch, rng):
                batch = to_device(batch, device)
                optimizer.zero_grad(set_to_none=True)
                value = loss(module, batch)
                if not torch.isfinite(value):
                    raise FloatingPointError(
                        f"loss is {value.item()} at epoch {epoch}: lower lr or check the inputs"
                    )
                value.backward()
                with torch.no_grad():
                    if config.l2:
                        for p in parameters:
                            if p.grad is not None:
                                p.grad.add_(p, alpha=config.l2)
                    if config.clip_norm is not None:
                        nn.utils.clip_grad_norm_(parameters, config.clip_norm)
                    if decoupled:
                        for p in parameters:
                            p.mul_(1.0 - step_lr * config.weight_decay)
                optimizer.step()
                total += float(value.detach())
                num_batches += 1
            if num_batches == 0:
                raise ValueError(f"batches({epoch}, rng) yielded no batches")
            record: dict[str, float] = {"epoch": epoch, "loss": total / num_batches}
            improved = validate is None
            if validate is not None:
                module.eval()
                with torch.no_grad():
                    metrics = dict(validate(module))
                if config.monitor not in metrics:
                    raise ValueError(
                        f"validate returned {sorted(metrics)}, without the monitored {config.monitor!r}"
                    )
                record.update({f"val_{name}": float(v) for name, v in metrics.items()})
                if metrics[config.monitor] > best_value:
                    best_value, waited, improved = float(metrics[config.monitor]), 0, True
                    best_state = copy.deepcopy(module.state_dict())
                else:
                    waited += 1
            if improved:
                best_epoch = epoch
            history.append(record)
            if checkpoint is not None and improved:
                save_checkpoint(checkpoint, module, optimizer=optimizer, epoch=epoch, history=history)
            if bar is not None:
                bar.set_postfix({k: round(v, 4) for k, v in record.items() if k != "epoch"})
            if config.patience is not None and waited >= config.patience:
                break
        if bar is not None:
            bar.close()
        if best_state is not None:
            module.load_state_dict(best_state)
        module.eval()
    return Trained(module=module, history=history, best_epoch=best_epoch,
                   seconds=time.perf_counter() - started)
