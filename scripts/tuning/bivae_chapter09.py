"""Chapter 09's BiVAE at the benchmark's full schedule, on the Microsoft Recommenders MovieLens-100k protocol.

Fits cornac's ``BiVAECF`` with the settings of the benchmark's code (``examples/06_benchmarks`` of
microsoft/recommenders: k = 100, one hidden layer of 200 tanh units per encoder, Poisson likelihood,
batches of 1,024, learning rate 0.001, 500 epochs) on their training part
(:func:`recsys_helpers.leaderboard.benchmark_splits`), once per seed (cornac's ``seed``, the
dataset's ``seed`` and ``torch.manual_seed``), and scores each fit on their test part exactly as
chapter 09's section 6 scores its shortened live fit and EASE: the top 10 among items seen in
training with every training interaction of the user excluded
(:func:`recsys_helpers.leaderboard.top_k_known_items`), per-user metrics from
:func:`recsys_helpers.leaderboard.ranking_metrics`. Writes ``benchmarks/09_bivae.json`` with the
evaluated user ids (MovieLens ids, 1-based, in the order of the metrics' rows), a fingerprint of
the split (row counts, SHA-256 of the test pairs) and each seed's per-user NDCG@10 rounded to 6
decimals; chapter 09 reads it back for its EASE-versus-BiVAE verdict
(the paired bootstrap is computed in the chapter, on its own EASE scores).

    nice -n 10 .venv/bin/python scripts/tuning/bivae_chapter09.py [--epochs 500] [--seeds 42 43 44]

About 100 s per seed on one thread of a shared CPU (5-6 minutes for the three).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import time
from pathlib import Path

import cornac
import numpy as np
import torch

from recsys_helpers.leaderboard import (
    PUBLISHED_ML100K,
    benchmark_splits,
    ranking_metrics,
    to_matrix,
    top_k_known_items,
)

ROOT = Path(__file__).resolve().parents[2]

#: The benchmark's BiVAE settings (the same dictionary as chapter 09's section 6).
SETTINGS = {
    "k": 100,
    "encoder_structure": [200],
    "act_fn": "tanh",
    "likelihood": "pois",
    "batch_size": 1024,
    "learning_rate": 0.001,
}
DECIMALS = 6  # per-user NDCG@10 is stored rounded to this many decimals


def split_fingerprint(splits) -> dict:
    """Rows of their split and a SHA-256 of the test part's (user_id, item_id) pairs in row order (int64):
    the 943 evaluated users are the same under another split seed, the test pairs are not."""
    pairs = splits["test"][["user_id", "item_id"]].to_numpy(np.int64)
    return {"train_rows": len(splits["train"]), "test_rows": len(splits["test"]),
            "test_pairs_sha256": hashlib.sha256(pairs.tobytes()).hexdigest()}


def fit_and_score(splits, train_m, test_m, *, epochs: int, seed: int, k: int = 10):
    """Fit BiVAE on their training part; per-user metrics on their test part and the fit seconds."""
    columns = ["user_id", "item_id", "rating"]  # cornac binarises the ratings itself
    data = cornac.data.Dataset.from_uir(splits["train"][columns].itertuples(index=False), seed=seed)
    torch.manual_seed(seed)
    model = cornac.models.BiVAECF(**SETTINGS, n_epochs=epochs, seed=seed, use_gpu=False)
    began = time.perf_counter()
    model.fit(data)
    seconds = time.perf_counter() - began
    # cornac's scores over its own item indices, placed in the (943, 1682) layout of train_m
    known_items = np.array(list(data.iid_map))  # 1-based ids seen in training
    columns_of = [data.iid_map[item] for item in known_items]
    scores = np.full(train_m.shape, -np.inf)  # never-seen items are no candidates
    for user in range(train_m.shape[0]):
        user_scores = model.score(data.uid_map[user + 1])
        scores[user, known_items - 1] = user_scores[columns_of]
    top = top_k_known_items(scores, train_m, k)  # EASE's candidates exactly
    return ranking_metrics(top, test_m, k=k), seconds


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "09_bivae.json"))
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    splits = benchmark_splits()
    train_m, test_m = to_matrix(splits["train"]), to_matrix(splits["test"])
    users, runs = None, {}
    for seed in args.seeds:
        metrics, seconds = fit_and_score(splits, train_m, test_m, epochs=args.epochs, seed=seed)
        if users is None:
            users = metrics.index
        assert metrics.index.equals(users), "every seed is evaluated on the same users"
        runs[str(seed)] = {
            "fit_seconds": round(seconds, 1),
            "test": {m: round(float(metrics[m].mean()), DECIMALS) for m in ("ndcg", "precision", "recall", "map")},
            "ndcg_per_user": [round(float(v), DECIMALS) for v in metrics["ndcg"]],
        }
        print(f"seed {seed}: NDCG@10 {metrics['ndcg'].mean():.4f}, fit {seconds:.1f} s", flush=True)
    record = {
        "protocol": "Microsoft Recommenders MovieLens-100k: stratified by item, 75/25, seed 42; top 10 among "
                    "items seen in training, the user's training items removed (chapter 09, section 6)",
        "model": "cornac BiVAECF, use_gpu=False",
        "settings": SETTINGS,
        "epochs": args.epochs,
        "seeds": args.seeds,
        "split": split_fingerprint(splits),
        "versions": {"cornac": cornac.__version__, "torch": torch.__version__},
        "machine": f"{platform.processor() or platform.machine()}, shared CPU, torch threads 1",
        "published": PUBLISHED_ML100K["BiVAE"],
        "rounding": f"per-user NDCG@10 and the test means rounded to {DECIMALS} decimals",
        "user_ids": [int(u) + 1 for u in users],  # MovieLens user ids (row of train_m + 1)
        "runs": runs,
    }
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
