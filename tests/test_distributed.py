"""recsys_helpers.distributed: two gloo processes reproduce single-process training."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.distributed import run


@pytest.fixture()
def triples(tmp_path):
    rng = np.random.default_rng(0)
    n = 4096
    path = tmp_path / "triples.npz"
    np.savez(path, users=rng.integers(0, 30, n), positives=rng.integers(0, 40, n),
             negatives=rng.integers(0, 40, n), num_users=30, num_items=40)
    return path


def test_two_processes_match_one(tmp_path, triples):
    settings = dict(dim=8, epochs=2, batch_size=512, lr=0.5, seed=3)
    one = run(str(triples), str(tmp_path / "one.npz"), world_size=1, **settings)
    two = run(str(triples), str(tmp_path / "two.npz"), world_size=2, **settings)
    assert one["world_size"] == 1 and two["world_size"] == 2
    a, b = np.load(tmp_path / "one.npz"), np.load(tmp_path / "two.npz")
    for table in ("user", "item"):
        assert np.allclose(a[table], b[table], atol=1e-5)
    assert not np.allclose(a["item"], np.load(tmp_path / "one.npz")["item"] * 0)  # trained, not zero


def test_world_size_must_divide_batch(tmp_path, triples):
    with pytest.raises(ValueError):
        run(str(triples), str(tmp_path / "x.npz"), world_size=3, batch_size=512)
