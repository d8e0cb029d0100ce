"""Choose chapter 04's hyperparameters on a validation split, never on the test set.

The validation split holds out 10% of each user's *training* positives (seed 7) from chapter 02's
protocol; each model is trained on the rest for every candidate setting and scored by NDCG@10 with
full ranking; the rating-trained factorization is scored by RMSE on the validation *ratings*. The
best settings are the ones chapter 04 hard-codes, and this script is how to re-derive them. Every weight-decay grid
extends at least one step past the value it chooses (an optimum on a grid's edge says the grid is too small; NeuMF's
moved from 0.5 to 1.0 when its grid was widened, the two-tower model's stayed at 1.0). Only the weight decay is
searched for the neural models; dimension, learning rate and epochs are fixed by hand:
``python scripts/tuning/tune_chapter04.py`` (about five minutes on two CPU cores).
"""

from __future__ import annotations

import itertools
import time

import numpy as np
import torch

from recsys_helpers.data import load_movielens_100k
from recsys_helpers.evaluation import evaluate_full_ranking
from recsys_helpers.models.ease import EASE
from recsys_helpers.models.lightgcn import LightGCN
from recsys_helpers.models.mf import BPRMF, MatrixFactorization
from recsys_helpers.models.neumf import NeuMF
from recsys_helpers.models.two_tower import TwoTower
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix, to_implicit
from recsys_helpers.split import per_user_random_split

GRIDS = {
    "EASE": (EASE, {"l2": [100.0, 300.0, 600.0, 1200.0]}),
    "BPR-MF": (BPRMF, {
        "dim": [64], "epochs": [40], "batch_size": [1024], "lr": [0.005], "weight_decay": [0.1, 0.3, 0.5, 1.0],
    }),
    "NeuMF": (NeuMF, {
        "dim": [32], "mlp_layers": [(64, 32, 16)], "epochs": [15], "batch_size": [1024], "lr": [0.003],
        "weight_decay": [0.1, 0.3, 0.5, 1.0, 2.0],
    }),
    "two-tower": (TwoTower, {
        "dim": [64], "epochs": [15], "batch_size": [512], "lr": [0.005], "weight_decay": [0.3, 0.5, 1.0, 2.0],
    }),
    "LightGCN": (LightGCN, {
        "dim": [64], "num_layers": [2], "epochs": [30], "batch_size": [4096], "lr": [0.01],
        "weight_decay": [0.1, 0.3, 0.5],
    }),
}

RATING_GRID = {"dim": [32], "epochs": [20], "lr": [0.005], "batch_size": [1024], "weight_decay": [0.3, 1.0, 3.0]}


def tune_rating_model(fit_ratings, validation_ratings, shape) -> None:
    """Grid over the explicit-rating factorization, scored by validation RMSE (lower is better)."""
    matrix = interaction_matrix(fit_ratings, *shape, value_col="rating")
    results = []
    for values in itertools.product(*RATING_GRID.values()):
        params = dict(zip(RATING_GRID, values))
        model = MatrixFactorization(**params).fit(matrix)
        predicted = np.clip(model.predict(validation_ratings["user_idx"], validation_ratings["item_idx"]), 1, 5)
        rmse = float(np.sqrt(np.mean((predicted - validation_ratings["rating"].to_numpy()) ** 2)))
        results.append((rmse, params))
        print(f"MF (ratings) {params} validation RMSE {rmse:.4f}", flush=True)
    best = min(results, key=lambda r: r[0])
    print(f"==> MF (ratings): {best[1]} (validation RMSE {best[0]:.4f})", flush=True)


def main() -> None:
    torch.set_num_threads(1)
    encoded, users, items = encode_interactions(load_movielens_100k().ratings)
    train, _ = per_user_random_split(encoded, test_fraction=0.2, seed=42)  # chapter 02's protocol
    shape = (len(users), len(items))
    fit_ratings, validation_ratings = per_user_random_split(train, test_fraction=0.1, seed=7)
    tune_rating_model(fit_ratings, validation_ratings, shape)
    fit_part, validation = per_user_random_split(to_implicit(train), test_fraction=0.1, seed=7)
    fit_matrix, validation_matrix = interaction_matrix(fit_part, *shape), interaction_matrix(validation, *shape)
    for name, (model_class, grid) in GRIDS.items():
        results = []
        for values in itertools.product(*grid.values()):
            params = dict(zip(grid, values))
            start = time.perf_counter()
            model = model_class(**params).fit(fit_matrix)
            ndcg = evaluate_full_ranking(model.score(), fit_matrix, validation_matrix, k=10)["ndcg"]
            results.append((ndcg, params))
            print(
                f"{name:10s} {params} validation NDCG@10 {ndcg:.4f} ({time.perf_counter() - start:.1f} s)", flush=True
            )
        best = max(results, key=lambda r: r[0])
        print(f"==> {name}: {best[1]} (validation NDCG@10 {best[0]:.4f})", flush=True)


if __name__ == "__main__":
    main()
