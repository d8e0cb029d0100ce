"""Choose appendix A's library hyperparameters on a validation split, never on the test set.

The same validation split as ``scripts/tuning/tune_chapter04.py``: chapter 02's protocol (per-user 80/20,
seed 42, ratings >= 4 are positives), then 10% of each user's training positives held out (seed 7).
Each library model is fitted on the rest for every candidate setting and scored by validation
NDCG@10 with full ranking. The course's own models keep chapter 04's tuned settings; the item-kNN
neighbourhood size is chosen here for both the course's and the libraries' versions.
``python scripts/tuning/tune_appendix_a.py [NAME ...]`` (``recbole``: RecBole's BPR, in its own
environment) re-derives the values appendix A hard-codes (about two
minutes on one core).
"""

from __future__ import annotations

import itertools
import sys

from threadpoolctl import threadpool_limits

from recsys_helpers.baselines import ItemKNN
from recsys_helpers.data import load_movielens_100k
from recsys_helpers.evaluation import evaluate_full_ranking
from recsys_helpers.external import fit_cornac, fit_implicit
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix, to_implicit
from recsys_helpers.split import per_user_random_split


class PureSVD:
    """Truncated SVD of the 0/1 matrix, scores X V V^T (Cremonesi et al., 2010): a course-style wrapper."""

    def __init__(self, svd):
        self.svd = svd

    def fit(self, matrix):
        self.matrix = matrix
        self.components = self.svd.fit(matrix).components_
        return self

    def score(self):
        return (self.matrix @ self.components.T) @ self.components


def grids():
    import cornac
    from implicit.als import AlternatingLeastSquares
    from implicit.bpr import BayesianPersonalizedRanking
    from implicit.nearest_neighbours import CosineRecommender
    from sklearn.decomposition import TruncatedSVD

    return {
        "course item-kNN": (
            lambda **p: ItemKNN(**p), "course", {"num_neighbors": [20, 50, 100, 200, 500]}
        ),
        "cornac BPR": (
            lambda **p: cornac.models.BPR(k=64, max_iter=200, num_threads=1, seed=42, **p),
            "cornac",
            {"learning_rate": [0.01, 0.05], "lambda_reg": [0.001, 0.01, 0.1]},
        ),
        "implicit BPR": (
            lambda **p: BayesianPersonalizedRanking(
                factors=64, num_threads=1, random_state=42, **p
            ),
            "implicit",
            {
                "iterations": [20, 50, 100, 200],
                "learning_rate": [0.01],
                "regularization": [0.01, 0.1],
            },
        ),
        "implicit ALS": (
            lambda **p: AlternatingLeastSquares(
                factors=64, iterations=15, num_threads=1, random_state=42, **p
            ),
            "implicit",
            {"regularization": [1.0, 10.0, 30.0, 100.0], "alpha": [0.5, 1.0, 5.0]},
        ),
        "scikit-learn PureSVD": (
            lambda **p: PureSVD(TruncatedSVD(random_state=42, **p)),
            "course",
            {"n_components": [8, 16, 32, 64]},
        ),
        "implicit item-kNN": (
            lambda **p: CosineRecommender(num_threads=1, **p),
            "implicit",
            {"K": [20, 50, 200, 500, 1000]},
        ),
    }


def tune_recbole(fit_part, validation, shape) -> None:
    """RecBole's BPR learning rate, through the isolated environment (``make recbole``)."""
    import json
    import subprocess
    import tempfile
    from pathlib import Path

    import numpy as np

    root = Path(__file__).resolve().parents[2]
    python = root / ".venv-recbole" / "bin" / "python"
    fit_matrix = interaction_matrix(fit_part, *shape)
    validation_matrix = interaction_matrix(validation, *shape)
    results = []
    for lr in [0.0005, 0.001, 0.005, 0.01]:
        settings = {"BPR": {"embedding_size": 64, "epochs": 40, "learning_rate": lr,
                            "train_batch_size": 1024}}
        with tempfile.TemporaryDirectory() as workdir:
            for name, frame in [("train", fit_part), ("test", validation)]:
                frame[["user_idx", "item_idx"]].to_csv(
                    Path(workdir) / f"{name}.tsv", sep="\t", header=False, index=False
                )
            subprocess.run(
                [str(python), str(root / "scripts" / "recbole_run.py"), workdir,
                 str(shape[0]), str(shape[1]), json.dumps(settings)],
                check=True, capture_output=True,
            )
            scores = np.load(Path(workdir) / "BPR.npy").astype(np.float64)
        ndcg = evaluate_full_ranking(scores, fit_matrix, validation_matrix, k=10)["ndcg"]
        results.append((ndcg, lr))
        print(f"RecBole BPR        learning_rate={lr} validation NDCG@10 {ndcg:.4f}", flush=True)
    best = max(results)
    print(f"==> RecBole BPR: learning_rate={best[1]} (validation NDCG@10 {best[0]:.4f})", flush=True)


def main(only: list[str]) -> None:
    encoded, users, items = encode_interactions(load_movielens_100k().ratings)
    train, _ = per_user_random_split(encoded, test_fraction=0.2, seed=42)
    shape = (len(users), len(items))
    fit_part, validation = per_user_random_split(to_implicit(train), test_fraction=0.1, seed=7)
    fit_matrix = interaction_matrix(fit_part, *shape)
    validation_matrix = interaction_matrix(validation, *shape)
    if "recbole" in only:
        tune_recbole(fit_part, validation, shape)
        return
    with threadpool_limits(1):
        for name, (make, library, grid) in grids().items():
            if only and not any(word in name for word in only):
                continue
            results = []
            for values in itertools.product(*grid.values()):
                params = dict(zip(grid, values))
                model = make(**params)
                if library == "cornac":
                    scores = fit_cornac(model, fit_matrix).scores
                elif library == "implicit":
                    scores = fit_implicit(model, fit_matrix).scores
                else:
                    scores = model.fit(fit_matrix).score()
                ndcg = evaluate_full_ranking(scores, fit_matrix, validation_matrix, k=10)["ndcg"]
                results.append((ndcg, params))
                print(f"{name:18s} {params} validation NDCG@10 {ndcg:.4f}", flush=True)
            best = max(results, key=lambda r: r[0])
            print(f"==> {name}: {best[1]} (validation NDCG@10 {best[0]:.4f})", flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
