"""Fit RecBole models on a split written by the course and return their full score matrices.

Runs **inside the isolated RecBole environment** (``.venv-recbole/``, built by
``scripts/build_recbole_env.sh`` from ``requirements-recbole.txt``), never in the course's: RecBole
1.2.1 uses ``np.float``, which NumPy removed in 1.24, so it needs an old NumPy the course cannot
have. Appendix A writes its training and test positives as two tab-separated files of course
indices (``user_idx``, ``item_idx``) and calls

    .venv-recbole/bin/python scripts/recbole_run.py WORKDIR NUM_USERS NUM_ITEMS [SETTINGS_JSON]

(``SETTINGS_JSON`` replaces ``MODELS``: ``scripts/tuning/tune_appendix_a.py recbole`` uses it to try
learning rates on the validation split.)

The script converts them to RecBole's atomic files, fits each model of ``MODELS`` with RecBole's
own data pipeline and trainer (no validation pass: ``eval_step = 0``; the test file is handed to
RecBole only because its benchmark-file loader wants three files, and is never evaluated here),
and writes ``WORKDIR/<model>.npy`` (float32 scores, shape ``(NUM_USERS, NUM_ITEMS)``, in course
order) and ``WORKDIR/recbole.json`` (versions and fit seconds). Evaluation happens in the course's
environment with the course's metrics, so every library is scored by the same code.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
import warnings
from pathlib import Path

MODELS = {
    "EASE": {"reg_weight": 300.0},
    "BPR": {
        "embedding_size": 64,
        "epochs": 40,
        "learning_rate": 0.001,  # chosen on the validation split by scripts/tuning/tune_appendix_a.py
        "train_batch_size": 1024,
    },
}


def write_atomic(workdir: Path) -> Path:
    """RecBole's atomic files ``split/split.{train,valid,test}.inter`` from the course's files."""
    folder = workdir / "split"
    folder.mkdir(exist_ok=True)
    parts = {"train": "train.tsv", "valid": "test.tsv", "test": "test.tsv"}
    for part, source in parts.items():
        rows = (workdir / source).read_text().splitlines()
        lines = ["user_id:token\titem_id:token", *rows]
        (folder / f"split.{part}.inter").write_text("\n".join(lines) + "\n")
    return folder


def fit_one(name: str, params: dict, workdir: Path, num_users: int, num_items: int) -> float:
    import numpy as np
    import torch
    from recbole.config import Config
    from recbole.data import create_dataset, data_preparation
    from recbole.data.interaction import Interaction
    from recbole.utils import get_model, get_trainer, init_seed

    config = Config(
        model=name,
        dataset="split",
        config_dict={
            "data_path": str(workdir),
            "benchmark_filename": ["train", "valid", "test"],
            "load_col": {"inter": ["user_id", "item_id"]},
            "seed": 42,
            "reproducibility": True,
            "device": "cpu",
            "use_gpu": False,
            "eval_step": 0,
            "show_progress": False,
            "checkpoint_dir": str(workdir / "saved"),
            "state": "ERROR",
            **params,
        },
    )
    init_seed(config["seed"], config["reproducibility"])
    torch.set_num_threads(1)
    dataset = create_dataset(config)
    train_data, _, _ = data_preparation(config, dataset)
    model = get_model(config["model"])(config, train_data._dataset).to("cpu")
    trainer = get_trainer(config["MODEL_TYPE"], config["model"])(config, model)
    start = time.perf_counter()
    trainer.fit(train_data, valid_data=None, verbose=False, saved=False)
    seconds = time.perf_counter() - start

    user_tokens = dataset.field2token_id["user_id"]
    item_tokens = dataset.field2token_id["item_id"]
    users = [u for u in range(num_users) if str(u) in user_tokens]
    items = [i for i in range(num_items) if str(i) in item_tokens]
    item_ids = np.array([item_tokens[str(i)] for i in items])
    scores = np.full((num_users, num_items), np.nan, dtype=np.float32)
    model.eval()
    with torch.no_grad():
        for start_row in range(0, len(users), 256):
            chunk = users[start_row:start_row + 256]
            ids = torch.tensor([user_tokens[str(u)] for u in chunk])
            full = model.full_sort_predict(Interaction({"user_id": ids}))
            full = full.reshape(len(chunk), -1).numpy()
            scores[np.ix_(chunk, items)] = full[:, item_ids]
    floor = np.nanmin(scores) - 1.0
    np.save(workdir / f"{name}.npy", np.nan_to_num(scores, nan=floor))
    return seconds


def main(argv: list[str]) -> int:
    workdir, num_users, num_items = Path(argv[0]).resolve(), int(argv[1]), int(argv[2])
    models = json.loads(argv[3]) if len(argv) > 3 else MODELS
    os.chdir(workdir)  # RecBole writes log_tensorboard/ into the working directory
    logging.disable(logging.CRITICAL)
    warnings.simplefilter("ignore")
    write_atomic(workdir)
    import numpy
    import recbole
    import torch

    record = {
        "recbole": recbole.__version__,
        "numpy": numpy.__version__,
        "torch": torch.__version__,
        "python": sys.version.split()[0],
        "settings": models,
        "fit_seconds": {},
    }
    for name, params in models.items():
        record["fit_seconds"][name] = fit_one(name, params, workdir, num_users, num_items)
    (workdir / "recbole.json").write_text(json.dumps(record, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
