"""Tests of recsys_helpers.training: the one loop, its optimizer vocabulary, seeding, early stopping,
checkpoints and devices."""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest
import scipy.sparse as sp
import torch

from recsys_helpers.models.mf import BPRMF
from recsys_helpers.models.sequential import SASRec
from recsys_helpers.training import (
    OPTIMIZERS,
    TrainConfig,
    load_checkpoint,
    local_seed,
    lr_factor,
    save_checkpoint,
    train,
)

torch.set_num_threads(1)

X = torch.linspace(-1, 1, 32).reshape(16, 2)
Y = X @ torch.tensor([[2.0], [-1.0]]) + 0.5


def full_batch(epoch, rng):
    return [(X, Y)]


def mse(module, batch):
    x, y = batch
    return ((module(x) - y) ** 2).mean()


def linear():
    return torch.nn.Linear(2, 1)


def global_states():
    return random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state().clone()


def test_a_fit_leaves_every_global_generator_as_it_was():
    random.seed(1)
    np.random.seed(1)
    torch.manual_seed(1)
    before = global_states()

    def noisy(epoch, rng):  # draws from the fit's own generators only
        yield X + torch.as_tensor(rng.normal(size=X.shape), dtype=torch.float32), Y

    train(lambda: torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Dropout(0.5), torch.nn.Linear(4, 1)),
          noisy, mse, TrainConfig(epochs=2, seed=3))
    SASRec(5, hidden=8, num_blocks=1, epochs=1, max_len=4).fit([[0, 1, 2, 3], [4, 3, 2]])
    BPRMF(4, epochs=1).fit(sp.eye(6, format="csr"))
    after = global_states()
    assert before[0] == after[0]
    np.testing.assert_array_equal(before[1], after[1])
    assert torch.equal(before[2], after[2])


def test_same_seed_same_history_and_weights_another_seed_differs():
    def run(seed):
        trained = train(linear, full_batch, mse, TrainConfig(epochs=3, lr=0.05, seed=seed))
        return trained.history, trained.module.weight.detach().clone()

    (h0, w0), (h0_again, w0_again), (_, w1) = run(0), run(0), run(1)
    assert h0 == h0_again and torch.equal(w0, w0_again)
    assert not torch.equal(w0, w1)


def test_local_seed_gives_repeatable_torch_and_numpy_draws():
    with local_seed(5) as rng:
        first = torch.rand(3), rng.random(3)
    with local_seed(5) as rng:
        second = torch.rand(3), rng.random(3)
    assert torch.equal(first[0], second[0]) and np.array_equal(first[1], second[1])


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_lowers_the_loss(optimizer):
    lr = {"sgd": 0.1, "momentum": 0.05, "adagrad": 0.3, "rmsprop": 0.02, "adam": 0.05}[optimizer]
    trained = train(linear, full_batch, mse, TrainConfig(epochs=30, optimizer=optimizer, lr=lr))
    losses = [row["loss"] for row in trained.history]
    assert losses[-1] < 0.2 * losses[0], (optimizer, losses[0], losses[-1])
    assert [row["epoch"] for row in trained.history] == list(range(1, 31))


def one_step(**settings):
    """Weights after one full-batch step from fixed weights, and the gradient at those weights."""
    def build():
        module = torch.nn.Linear(2, 1)
        with torch.no_grad():
            module.weight.copy_(torch.tensor([[0.5, 0.3]]))
            module.bias.fill_(0.1)
        return module

    trained = train(build, full_batch, mse, TrainConfig(epochs=1, **settings))
    start = build()
    mse(start, (X, Y)).backward()
    return trained.module.weight.detach(), start.weight.detach(), start.weight.grad


def test_weight_decay_is_decoupled_and_l2_is_coupled():
    lr, decay = 0.1, 0.5
    # plain SGD: both are the same update, θ - lr (g + λθ)
    after_wd, theta, grad = one_step(optimizer="sgd", lr=lr, weight_decay=decay)
    after_l2, _, _ = one_step(optimizer="sgd", lr=lr, l2=decay)
    expected = theta - lr * (grad + decay * theta)
    torch.testing.assert_close(after_wd, expected)
    torch.testing.assert_close(after_l2, expected)
    # Adam: the first step moves each weight by lr * sign(gradient); decoupled decay shrinks the
    # weight first by lr * λ * θ, outside Adam's scaling; coupled L2 only changes the gradient
    after_wd, theta, grad = one_step(optimizer="adam", lr=lr, weight_decay=decay)
    torch.testing.assert_close(after_wd, theta * (1 - lr * decay) - lr * torch.sign(grad), atol=1e-6, rtol=0)
    after_l2, _, _ = one_step(optimizer="adam", lr=lr, l2=decay)
    torch.testing.assert_close(after_l2, theta - lr * torch.sign(grad + decay * theta), atol=1e-6, rtol=0)
    # decoupled decay is applied the same way for a rule whose torch class would couple it
    after, theta, grad = one_step(optimizer="rmsprop", lr=lr, weight_decay=decay)
    plain, _, _ = one_step(optimizer="rmsprop", lr=lr)
    torch.testing.assert_close(after, plain - lr * decay * theta)


def test_early_stopping_restores_the_best_weights_and_checkpoints_them(tmp_path):
    values = iter([0.1, 0.5, 0.3, 0.2, 0.9, 0.9])
    snapshots = []

    def validate(module):
        snapshots.append(module.weight.detach().clone())
        return {"ndcg": next(values), "hit_rate": 1.0}

    path = tmp_path / "best.pt"
    trained = train(linear, full_batch, mse, TrainConfig(epochs=6, lr=0.1, patience=2),
                    validate=validate, checkpoint=path)
    assert [row["epoch"] for row in trained.history] == [1, 2, 3, 4]  # no gain in epochs 3 and 4
    assert [row["val_ndcg"] for row in trained.history] == [0.1, 0.5, 0.3, 0.2]
    assert set(trained.history[0]) == {"epoch", "loss", "val_ndcg", "val_hit_rate"}
    assert trained.best_epoch == 2 and torch.equal(trained.module.weight, snapshots[1])
    restored = linear()
    state = load_checkpoint(path, restored)
    assert state["epoch"] == 2 and torch.equal(restored.weight, snapshots[1])


def test_checkpoint_round_trip_with_the_optimizer(tmp_path):
    module = linear()
    optimizer = torch.optim.Adam(module.parameters())
    mse(module, (X, Y)).backward()
    optimizer.step()
    save_checkpoint(tmp_path / "state.pt", module, optimizer=optimizer, epoch=7, history=[{"epoch": 7}])
    other, other_optimizer = linear(), None
    other_optimizer = torch.optim.Adam(other.parameters())
    state = load_checkpoint(tmp_path / "state.pt", other, optimizer=other_optimizer)
    assert state["epoch"] == 7 and state["history"] == [{"epoch": 7}]
    assert torch.equal(other.weight, module.weight)
    assert other_optimizer.state_dict()["state"][0]["step"] == 1


def test_learning_rate_schedules():
    assert [lr_factor("constant", e, 4) for e in (1, 4)] == [1.0, 1.0]
    assert [lr_factor("linear", e, 4) for e in (1, 2, 3, 4)] == [1.0, 0.75, 0.5, 0.25]
    assert lr_factor("cosine", 1, 4) == 1.0 and lr_factor("cosine", 3, 4) == pytest.approx(0.5)
    seen = []

    def record_lr(epoch, rng):
        seen.append(epoch)
        return full_batch(epoch, rng)

    trained = train(linear, record_lr, mse, TrainConfig(epochs=2, optimizer="sgd", lr=0.1, lr_schedule="linear"))
    assert seen == [1, 2] and len(trained.history) == 2


def test_gradient_clipping_bounds_the_step():
    after, theta, grad = one_step(optimizer="sgd", lr=1.0, clip_norm=0.01)
    assert float((after - theta).norm()) <= 0.01 + 1e-6 < float(grad.norm())


def test_config_is_validated_and_replaceable():
    config = TrainConfig(epochs=3, device="cpu")
    assert config.device == torch.device("cpu")
    assert dataclasses.replace(config, lr=0.5).lr == 0.5
    assert TrainConfig.from_settings({"epochs": 4}, {"lr": 0.2}) == TrainConfig(epochs=4, lr=0.2)


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"epochs": 0}, "epochs must be a positive integer"),
        ({"lr": 0.0}, "lr must be a positive number"),
        ({"optimizer": "adamw"}, "optimizer must be one of"),
        ({"weight_decay": -1.0}, "weight_decay must be a non-negative number"),
        ({"l2": float("nan")}, "l2 must be a non-negative number"),
        ({"momentum": 1.0}, "momentum must be a number in \\[0, 1\\)"),
        ({"lr_schedule": "step"}, "lr_schedule must be one of"),
        ({"patience": 0}, "patience must be a positive integer"),
        ({"seed": -1}, "seed must be a non-negative integer"),
        ({"clip_norm": 0}, "clip_norm must be a positive number"),
        ({"monitor": ""}, "monitor must be a metric name"),
    ],
)
def test_bad_settings_name_the_argument(settings, message):
    with pytest.raises(ValueError, match=message):
        TrainConfig(**settings)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"build": torch.nn.Linear(2, 1)}, "build must be a function"),
        ({"config": TrainConfig(patience=1)}, "patience needs validation data"),
        ({"batches": lambda epoch, rng: []}, "yielded no batches"),
        ({"validate": lambda module: {"auc": 1.0}}, "without the monitored 'ndcg'"),
        ({"build": lambda: torch.nn.ReLU()}, "no trainable parameters"),
    ],
)
def test_bad_calls_raise_value_error(kwargs, message):
    arguments = {"build": linear, "batches": full_batch, "config": TrainConfig(epochs=1), **kwargs}
    with pytest.raises(ValueError, match=message):
        train(arguments.pop("build"), arguments.pop("batches"), mse, arguments.pop("config"), **arguments)


def test_a_diverging_loss_stops_with_floating_point_error():
    with pytest.raises(FloatingPointError, match="lower lr"):
        train(linear, full_batch, lambda m, b: mse(m, b) * float("inf"), TrainConfig(epochs=1))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_models_train_and_score_on_a_cuda_device():
    matrix = sp.random(30, 20, density=0.3, random_state=0, format="csr")
    model = BPRMF(4, epochs=2, device="cuda").fit(matrix, validation=matrix)
    assert model.device_.type == "cuda" and model.score().shape == (30, 20)
    sasrec = SASRec(20, hidden=8, num_blocks=1, epochs=2, max_len=5, device="cuda")
    sasrec.fit([[0, 1, 2, 3, 4], [5, 6, 7]], validation=([[0, 1]], [2]))
    assert sasrec.score_next([[1, 2]]).shape == (1, 20)
