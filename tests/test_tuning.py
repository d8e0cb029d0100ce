"""recsys_helpers.tuning: spaces, grids, budgets, samplers and pruning, on cheap objectives."""

import math

import numpy as np
import optuna
import pytest
import scipy.sparse as sp

from helpers import make_synthetic_interactions
from recsys_helpers.tuning import Budget, grid_values, make_sampler, suggest, tune, validation_objective

SPACE = {"x": ("float", -2.0, 2.0), "n": ("int", 1, 64, "log"), "kind": ("categorical", ["a", "b"]),
         "fixed": ("fixed", 7)}


def peak(params):
    return -(params["x"] - 0.5) ** 2 - 0.01 * abs(math.log2(params["n"]) - 3) + (params["kind"] == "b")


def test_suggest_respects_the_space():
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    for _ in range(20):
        params = suggest(study.ask(), SPACE)
        assert -2 <= params["x"] <= 2 and 1 <= params["n"] <= 64 and params["kind"] in "ab"
        assert params["fixed"] == 7 and isinstance(params["n"], int)


@pytest.mark.parametrize("bad", [{"x": ("float", 2, 1)}, {"x": ("float", 0, 1, "log")},
                                 {"x": ("normal", 0, 1)}, {"x": ("categorical", [])}])
def test_bad_spaces_are_rejected(bad):
    with pytest.raises(ValueError):
        grid_values(bad, 3)


def test_grid_values_log_and_int():
    grid = grid_values({"l2": ("float", 1.0, 100.0, "log"), "n": ("int", 1, 3)}, 3)
    assert np.allclose(grid["l2"], [1.0, 10.0, 100.0]) and grid["n"] == [1, 2, 3]


def test_budget_counts_trials_and_seconds():
    budget = Budget(max_trials=2)
    budget.start()
    assert budget.allows_another()
    budget.spend(), budget.spend()
    assert not budget.allows_another() and budget.trials == 2
    with pytest.raises(ValueError):
        Budget(max_trials=0)
    timed = Budget(max_trials=100, max_seconds=1e-9)
    timed.start()
    timed.spend()
    assert not timed.allows_another()


@pytest.mark.parametrize("sampler", ["grid", "random", "tpe"])
def test_tune_stays_within_budget_and_is_reproducible(sampler):
    first = tune(peak, SPACE, sampler=sampler, max_trials=12, seed=3)
    second = tune(peak, SPACE, sampler=sampler, max_trials=12, seed=3)
    assert len(first.trials) <= 12 and first.budget.trials == len(first.trials)
    assert first.trials["value"].tolist() == second.trials["value"].tolist()
    assert first.best_value == first.trials["value"].max() == peak(first.best_params)
    assert first.trials["best_so_far"].is_monotonic_increasing


def test_grid_stops_when_the_grid_is_exhausted():
    result = tune(lambda p: -(p["x"] - 0.5) ** 2, {"x": ("float", -1.0, 1.0)}, sampler="grid",
                  max_trials=50, grid_points=5)
    assert len(result.trials) == 5 and math.isclose(result.best_params["x"], 0.5)


def test_unknown_sampler():
    with pytest.raises(ValueError):
        make_sampler("annealing")


def test_pruned_trials_are_recorded():
    def objective(params, trial):
        for step in range(5):
            trial.report(params["x"] * step, step)
            if trial.should_prune():
                raise optuna.TrialPruned()
        return params["x"]

    pruner = optuna.pruners.MedianPruner(n_startup_trials=2, n_warmup_steps=1)
    result = tune(objective, {"x": ("float", 0.0, 1.0)}, sampler="random", max_trials=20,
                  seed=0, pruner=pruner)
    states = set(result.trials["state"])
    assert "pruned" in states and "complete" in states
    assert result.trials.loc[result.trials["state"] == "pruned", "value"].isna().all()


def test_validation_objective_scores_a_model():
    from recsys_helpers.models.ease import EASE
    from recsys_helpers.split import per_user_random_split

    data = make_synthetic_interactions(num_users=60, num_items=40, seed=0)
    fit, held = per_user_random_split(data, user_col="user_id", test_fraction=0.3, seed=0)
    shape = (60, 40)

    def matrix(f):
        return sp.csr_matrix((np.ones(len(f)), (f.user_id, f.item_id)), shape=shape)

    objective = validation_objective(lambda p: EASE(l2=p["l2"]), matrix(fit), matrix(held))
    value = objective({"l2": 10.0})
    assert 0.0 < value <= 1.0 and objective.last_fit_seconds >= 0
    assert np.isclose(objective.per_user[(("l2", 10.0),)].mean(), value)
