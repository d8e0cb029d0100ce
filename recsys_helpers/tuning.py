"""Hyperparameter tuning on a validation split: search spaces, samplers and budgets over Optuna.

A thin layer so that every model in a comparison is tuned the same way:

* a search space is a plain dict, ``{"l2": ("float", 10.0, 3000.0, "log"), "dim": ("int", 8, 128,
  "log"), "similarity": ("categorical", ["cosine", "pearson"])}``; :func:`suggest` turns it into
  Optuna ``trial.suggest_*`` calls and :func:`grid_values` into the value lists of a grid;
* :func:`validation_objective` scores a model built from a configuration by NDCG@k on validation
  interactions (training items removed, only items known from training ranked);
* :func:`tune` runs a study (``"grid"``, ``"random"`` or ``"tpe"``) under a :class:`Budget` of trials
  *and* wall-clock seconds, checked before each trial starts, so two models given the same budget
  get the same number of chances and the same time. Trials may report intermediate values and be
  pruned (``optuna.TrialPruned``).

Optuna's own log lines are silenced (:func:`quiet`): the course prints its own tables.

Introduced in chapter 09 (Hyperparameter tuning).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
import pandas as pd

__all__ = [
    "Budget", "TuningResult", "quiet", "suggest", "grid_values", "make_sampler", "tune",
    "validation_objective",
]


def quiet() -> None:
    """Silence Optuna's per-trial log lines and its experimental-feature warnings."""
    import warnings

    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def _check_space(space: dict) -> dict:
    if not isinstance(space, dict):
        raise TypeError(f"space must be a dict of name -> spec, got {type(space).__name__}")
    for name, spec in space.items():
        kind = spec[0] if isinstance(spec, tuple) and spec else None
        if kind in ("int", "float"):
            if len(spec) not in (3, 4) or not spec[1] < spec[2]:
                raise ValueError(f"{name}: expected ({kind!r}, low, high[, 'log']) with low < high, got {spec}")
            if len(spec) == 4 and (spec[3] != "log" or spec[1] <= 0):
                raise ValueError(f"{name}: the 4th entry must be 'log' and low must be > 0, got {spec}")
        elif kind == "categorical":
            if len(spec) != 2 or not list(spec[1]):
                raise ValueError(f"{name}: expected ('categorical', [choices]), got {spec}")
        elif kind != "fixed":
            raise ValueError(f"{name}: kind must be int, float, categorical or fixed, got {spec!r}")
    return space


def suggest(trial, space: dict) -> dict[str, Any]:
    """One configuration from ``space``, drawn through ``trial`` (an ``optuna.Trial``).

    ``("fixed", value)`` entries are passed through without a suggestion.
    """
    params = {}
    for name, spec in _check_space(space).items():
        kind = spec[0]
        if kind == "int":
            params[name] = trial.suggest_int(name, spec[1], spec[2], log=len(spec) == 4)
        elif kind == "float":
            params[name] = trial.suggest_float(name, spec[1], spec[2], log=len(spec) == 4)
        elif kind == "categorical":
            params[name] = trial.suggest_categorical(name, list(spec[1]))
        else:
            params[name] = spec[1]
    return params


def grid_values(space: dict, points: int) -> dict[str, list]:
    """Evenly spaced values per dimension (geometrically for ``"log"``), for ``GridSampler``.

    Integers are rounded and de-duplicated; categorical dimensions keep all their choices.
    """
    if int(points) < 1:
        raise ValueError(f"points must be >= 1, got {points}")
    grid = {}
    for name, spec in _check_space(space).items():
        kind = spec[0]
        if kind in ("int", "float"):
            low, high = spec[1], spec[2]
            if len(spec) == 4:
                values = np.geomspace(low, high, points)
            else:
                values = np.linspace(low, high, points)
            grid[name] = (sorted({int(round(v)) for v in values}) if kind == "int"
                          else [float(v) for v in values])
        elif kind == "categorical":
            grid[name] = list(spec[1])
    return grid


def make_sampler(name: str, *, seed: int = 0):
    """``"random"`` or ``"tpe"`` Optuna sampler, seeded (a grid is enqueued by :func:`tune`)."""
    import optuna

    if name in ("random", "grid"):
        return optuna.samplers.RandomSampler(seed=seed)
    if name == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=5)
    raise ValueError(f"sampler must be 'grid', 'random' or 'tpe', got {name!r}")


def _grid_points(space: dict, points: int, seed: int) -> list[dict]:
    """Every grid configuration, in a seeded random order (a cut-off grid then covers evenly)."""
    import itertools

    grid = grid_values(space, points)
    names = list(grid)
    combos = [dict(zip(names, values)) for values in itertools.product(*grid.values())]
    order = np.random.default_rng(seed).permutation(len(combos))
    return [combos[i] for i in order]


@dataclass
class Budget:
    """A tuning budget: at most ``max_trials`` trials and ``max_seconds`` of wall-clock.

    Both limits are checked before a trial starts; a trial that has started runs to its end, so
    the time spent can exceed ``max_seconds`` by at most one trial.
    """

    max_trials: int
    max_seconds: float = math.inf
    trials: int = 0
    seconds: float = 0.0
    _start: float | None = field(default=None, repr=False)

    def __post_init__(self):
        if int(self.max_trials) < 1:
            raise ValueError(f"max_trials must be >= 1, got {self.max_trials}")
        if not self.max_seconds > 0:
            raise ValueError(f"max_seconds must be > 0, got {self.max_seconds}")

    def start(self) -> None:
        self._start = time.perf_counter()

    def allows_another(self) -> bool:
        """True while fewer than ``max_trials`` ran and less than ``max_seconds`` elapsed."""
        if self._start is not None:
            self.seconds = time.perf_counter() - self._start
        return self.trials < self.max_trials and self.seconds < self.max_seconds

    def spend(self) -> None:
        self.trials += 1
        if self._start is not None:
            self.seconds = time.perf_counter() - self._start


@dataclass
class TuningResult:
    """What :func:`tune` returns.

    ``best_params`` and ``best_value`` (validation score, higher is better), ``trials`` (one row
    per trial: ``number``, ``value`` (NaN when pruned), ``state``, ``seconds``, ``best_so_far`` and
    one column per parameter), the ``budget`` as spent, and the Optuna ``study`` (for its plots).
    """

    best_params: dict
    best_value: float
    trials: pd.DataFrame
    budget: Budget
    study: Any


def tune(
    objective: Callable[..., float], space: dict, *, sampler: str = "tpe", max_trials: int = 20,
    max_seconds: float = math.inf, seed: int = 0, pruner=None, grid_points: int = 3,
) -> TuningResult:
    """Maximise ``objective(params)`` (or ``objective(params, trial)``) over ``space``.

    Parameters
    ----------
    objective : callable
        ``objective(params) -> float``; if it accepts a second argument it also gets the Optuna
        trial, to ``trial.report(value, step)`` and raise ``optuna.TrialPruned`` when
        ``trial.should_prune()``.
    space : dict
        See :func:`suggest`.
    sampler : "grid", "random" or "tpe"
        ``"grid"`` runs the points of :func:`grid_values` in a seeded random order (all of them
        if the budget allows).
    max_trials, max_seconds : the :class:`Budget`
    seed : int
        Seeds the sampler; the same seed and objective give the same configurations.
    pruner : optuna pruner, optional
    grid_points : int
        Values per numeric dimension of the grid.

    Returns
    -------
    TuningResult
    """
    import inspect

    import optuna

    quiet()
    _check_space(space)
    takes_trial = len(inspect.signature(objective).parameters) >= 2
    study = optuna.create_study(
        direction="maximize", pruner=pruner,
        sampler=make_sampler(sampler, seed=seed),
    )
    grid = _grid_points(space, grid_points, seed) if sampler == "grid" else None
    for point in grid or []:
        study.enqueue_trial(point, skip_if_exists=False)
    budget = Budget(max_trials, max_seconds)
    budget.start()
    rows = []
    while budget.allows_another():
        trial = study.ask()
        params = suggest(trial, space)
        began = time.perf_counter()
        try:
            value = float(objective(params, trial) if takes_trial else objective(params))
            study.tell(trial, value)
            state = "complete"
        except optuna.TrialPruned:
            study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            value, state = math.nan, "pruned"
        rows.append({"number": trial.number, "value": value, "state": state,
                     "seconds": time.perf_counter() - began, **params})
        budget.spend()
        if grid is not None and len(rows) >= len(grid):
            break
    trials = pd.DataFrame(rows)
    trials["best_so_far"] = trials["value"].fillna(-math.inf).cummax().replace(-math.inf, math.nan)
    completed = trials[trials["state"] == "complete"]
    if completed.empty:
        raise RuntimeError("no trial completed within the budget")
    best = completed.loc[completed["value"].idxmax()]
    best_params = {name: _plain(best[name]) for name in space}
    return TuningResult(best_params, float(best["value"]), trials, budget, study)


def _plain(value):
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def validation_objective(make_model: Callable[[dict], Any], train, validation, *, k: int = 10):
    """``params -> mean NDCG@k`` of ``make_model(params).fit(train)`` on ``validation``.

    Ranking and metric follow :mod:`recsys_helpers.leaderboard`: training items removed, only
    items seen in ``train`` ranked, binary relevance, mean over users with validation items.
    The returned function also records the fit time of its last call in ``.last_fit_seconds``
    and, per configuration (a tuple of sorted ``(name, value)`` pairs), the per-user NDCG array in
    ``.per_user`` (for interval estimates and selection experiments without refitting).
    """
    from recsys_helpers.leaderboard import ranking_metrics, top_k_known_items

    def objective(params: dict) -> float:
        began = time.perf_counter()
        model = make_model(params).fit(train)
        objective.last_fit_seconds = time.perf_counter() - began
        top = top_k_known_items(model.score(), train, k)
        values = ranking_metrics(top, validation, k=k)["ndcg"].to_numpy()
        objective.per_user[tuple(sorted(params.items()))] = values
        return float(values.mean())

    objective.last_fit_seconds = math.nan
    objective.per_user = {}
    return objective
