"""Chapter 09's longer tuning study on the Microsoft Recommenders MovieLens-100k protocol.

Every model is tuned with TPE on the validation split carved from their training part
(:func:`recsys_helpers.leaderboard.benchmark_splits`), with the same budget of trials; the best
setting is refitted on the whole training part and scored once on the test part. Writes
``benchmarks/09_tuning.json``; chapter 09 reproduces the study on a smaller budget.

    nice -n 10 .venv/bin/python scripts/tuning/tune_chapter09.py [--trials 40]
"""

from __future__ import annotations

import argparse
import json
import platform
import time
from pathlib import Path

import torch

from recsys_helpers.baselines import ItemKNN, PopularityRecommender
from recsys_helpers.leaderboard import (
    PUBLISHED_ML100K,
    benchmark_splits,
    ranking_metrics,
    to_matrix,
    top_k_known_items,
)
from recsys_helpers.models.ease import EASE
from recsys_helpers.models.mf import BPRMF
from recsys_helpers.tuning import tune, validation_objective

ROOT = Path(__file__).resolve().parents[2]

SPACES = {
    "EASE": {"l2": ("float", 10.0, 5000.0, "log")},
    "ItemKNN": {"num_neighbors": ("int", 5, 1000, "log"), "shrink": ("float", 0.0, 200.0)},
    "BPR-MF": {"dim": ("int", 16, 256, "log"), "epochs": ("int", 5, 60),
               "lr": ("float", 1e-3, 5e-2, "log"), "weight_decay": ("float", 1e-3, 10.0, "log")},
}


def build(name: str, params: dict):
    if name == "EASE":
        return EASE(l2=params["l2"])
    if name == "ItemKNN":
        return ItemKNN(num_neighbors=params["num_neighbors"], shrink=params["shrink"])
    if name == "BPR-MF":
        return BPRMF(params["dim"], epochs=params["epochs"], lr=params["lr"],
                     weight_decay=params["weight_decay"], batch_size=1024, seed=0)
    return PopularityRecommender()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=40)
    parser.add_argument("--bpr-trials", type=int, default=20)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "09_tuning.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    splits = benchmark_splits()
    fit, validation = to_matrix(splits["fit"]), to_matrix(splits["validation"])
    train, test = to_matrix(splits["train"]), to_matrix(splits["test"])
    results = {}
    for name, space in SPACES.items():
        trials = args.bpr_trials if name == "BPR-MF" else args.trials
        objective = validation_objective(lambda p, n=name: build(n, p), fit, validation)
        began = time.perf_counter()
        tuned = tune(objective, space, sampler="tpe", max_trials=trials, seed=0)
        tuning_seconds = time.perf_counter() - began
        began = time.perf_counter()
        model = build(name, tuned.best_params).fit(train)
        fit_seconds = time.perf_counter() - began
        per_user = ranking_metrics(top_k_known_items(model.score(), train), test)
        results[name] = {
            "best_params": tuned.best_params, "validation_ndcg": tuned.best_value,
            "trials": len(tuned.trials), "tuning_seconds": tuning_seconds,
            "fit_seconds": fit_seconds, "num_users": len(per_user),
            "test": {m: float(per_user[m].mean()) for m in per_user.columns},
        }
        print(name, results[name], flush=True)
    record = {
        "protocol": "Microsoft Recommenders MovieLens-100k: stratified by item, 75/25, seed 42; "
                    "validation carved from train the same way; top 10, seen items removed",
        "machine": f"{platform.processor() or platform.machine()}, shared CPU, torch threads 1",
        "published": PUBLISHED_ML100K, "results": results,
    }
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
