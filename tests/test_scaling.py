"""HSTU and scaling measurements (chapter 16): pointwise attention, the gate, the model, counts, fits."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from recsys_helpers.models.sequential import SASRec
from recsys_helpers.scaling import (
    HSTU,
    LossSurface,
    compute_optimal,
    fit_learning_curve,
    fit_loss_surface,
    fit_power_law,
    gated_output,
    held_out_plays,
    next_item_cross_entropy,
    non_embedding_parameters,
    oracle_entropy,
    pointwise_attention,
    power_law,
    training_flops,
)
from recsys_helpers.worlds.music import simulate_music


def test_pointwise_attention_matches_the_formula_with_causal_and_padding_masks():
    gen = torch.Generator().manual_seed(0)
    q, k = torch.randn(2, 4, 3, generator=gen), torch.randn(2, 4, 3, generator=gen)
    bias = torch.randn(4, 4, generator=gen)
    valid = torch.tensor([[True] * 4, [False, True, True, True]])
    got = pointwise_attention(q, k, bias, valid)
    expected = torch.nn.functional.silu(q @ k.transpose(1, 2) + bias) / 4
    expected = expected * torch.ones(4, 4).tril() * valid[:, None, :]
    assert torch.allclose(got, expected, atol=1e-6)
    assert not torch.allclose(got[0].sum(-1), torch.ones(4))  # no softmax
    # heads: (batch, heads, n, d) with valid broadcast over heads
    q4, k4 = q[:, None].repeat(1, 3, 1, 1), k[:, None].repeat(1, 3, 1, 1)
    assert torch.allclose(pointwise_attention(q4, k4, bias, valid), expected[:, None].expand(-1, 3, -1, -1), atol=1e-6)
    assert torch.allclose(pointwise_attention(q, k), pointwise_attention(q, k, None, None))
    with pytest.raises(ValueError):
        pointwise_attention(q, k[:, :3])


def test_gated_output_normalises_rows_then_gates():
    weights = torch.tensor([[[1.0, 0.0], [0.5, 0.5]]])
    v = torch.tensor([[[1.0, 3.0], [3.0, 7.0]]])
    u = torch.tensor([[[2.0, 1.0], [1.0, -1.0]]])
    assert torch.allclose(gated_output(weights, v, u), torch.tensor([[[-2.0, 1.0], [-1.0, -1.0]]]), atol=1e-4)


def test_hstu_trains_scores_and_counts_like_sasrec():
    rng = np.random.default_rng(0)
    sequences = [list((np.arange(12) + s) % 9) for s in range(30)] + [list(rng.integers(0, 9, 10)) for _ in range(5)]
    model = HSTU(9, hidden=8, num_blocks=2, linear_dim=12, attention_dim=6, max_len=6, epochs=25, lr=0.02,
                 dropout=0.0, seed=0).fit(sequences)
    scores = model.score_next([[0, 1, 2, 3], [4, 5]])
    assert scores.shape == (2, 9) and np.isfinite(scores).all()
    assert scores[0].argmax() == 4 and scores[1].argmax() == 6  # the cycle is learned
    # matched widths: the block's weight matrices hold 6 hidden^2 numbers, as in SASRec
    net = model.network_
    weights = sum(m.weight.numel() for b in net.blocks for m in (b.f1, b.f2))
    assert weights == 2 * 6 * 8 * 8
    assert non_embedding_parameters(model) == sum(p.numel() for p in net.parameters()) - 10 * 8 - 9
    again = HSTU(9, hidden=8, num_blocks=2, linear_dim=12, attention_dim=6, max_len=6, epochs=25, lr=0.02,
                 dropout=0.0, seed=0).fit(sequences)
    assert np.allclose(again.score_next([[0, 1, 2, 3]]), scores[:1])  # deterministic
    with pytest.raises(ValueError):
        HSTU(9, hidden=8, num_heads=3, linear_dim=8, attention_dim=8)
    with pytest.raises(RuntimeError):
        HSTU(9).score_next([[1]])


def test_non_embedding_parameters_of_sasrec_follow_the_formula():
    for hidden, blocks in [(8, 1), (16, 2), (64, 2)]:
        net = SASRec(30, hidden=hidden, num_blocks=blocks, max_len=5)._build()
        assert non_embedding_parameters(net) == blocks * (6 * hidden**2 + 10 * hidden) + 2 * hidden
    with pytest.raises(ValueError):
        non_embedding_parameters(object())


def test_training_flops_and_cross_entropy_and_entropy():
    assert training_flops(1000, 50) == 300_000.0
    with pytest.raises(ValueError):
        training_flops(-1, 5)
    logits = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.1, 0.8]]))
    assert np.allclose(next_item_cross_entropy(logits + 3.0, [0, 2]), [math.log(2), -math.log(0.8)])
    with pytest.raises(ValueError):
        next_item_cross_entropy(logits, [0, 3])
    assert np.allclose(oracle_entropy(np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])), [math.log(2), 0.0])
    with pytest.raises(ValueError):
        oracle_entropy(np.array([[0.5, 0.4]]))


def test_fit_power_law_recovers_exact_points_and_brackets_alpha():
    compute = np.logspace(8, 12, 14)
    loss = 3.0 + 40.0 * compute ** -0.25
    fit = fit_power_law(compute, loss, num_resamples=50, seed=0)
    assert abs(fit.alpha - 0.25) < 0.01 and abs(fit.E - 3.0) < 0.02
    assert np.allclose(fit.predict(compute), loss, atol=1e-3)
    assert np.allclose(power_law(compute, fit.E, fit.A, fit.alpha, fit.scale), loss, atol=1e-3)
    assert fit.alpha_low <= fit.alpha <= fit.alpha_high + 1e-9
    assert fit.scale == compute.min()
    with pytest.raises(ValueError):
        fit_power_law([1.0, 2.0], [1.0, 0.5])
    with pytest.raises(ValueError):
        fit_power_law([0.0, 1.0, 2.0], [3.0, 2.0, 1.0])


def test_loss_surface_and_compute_optimal():
    n = np.repeat([100.0, 400.0, 1600.0], 3)
    d = np.tile([1e4, 2e4, 4e4], 3)
    loss = 1.0 + 20.0 * n ** -0.5 + 300.0 * d ** -0.5
    surface = fit_loss_surface(n, d, loss)
    assert np.allclose(surface.predict(n, d), loss, atol=1e-3)
    law = LossSurface(1.0, 10.0, 0.5, 100.0, 0.5, 1.0, 1.0)
    assert compute_optimal(6 * 100 * 10_000 * 4, [400, 100, 1600], 10_000, law) == (100.0, 4, 2.5)
    size, epochs, _ = compute_optimal(6 * 100 * 10_000 * 40, [100, 400], 10_000, law, max_epochs=3)
    assert epochs <= 3
    with pytest.raises(ValueError):
        compute_optimal(1.0, [100], 10_000, law)


def test_learning_curve_keeps_the_last_epoch_and_held_out_plays_match_the_log():
    world = simulate_music(num_users=30, num_artists=8, tracks_per_artist=3, sessions_per_user=3, seed=1)
    held = held_out_plays(world, np.arange(10), last=2)
    assert held["probabilities"].shape == (len(held["targets"]), world.num_tracks)
    assert np.allclose(held["probabilities"].sum(axis=1), 1.0)
    assert len(held["users"]) == len(held["targets"]) == len(held["histories"])
    for user, history, target in zip(held["users"], held["histories"], held["targets"]):
        plays = world.events.loc[world.events["user_id"] == user, "track_id"].tolist()
        assert plays[:len(history) + 1] == history + [target]
        assert held["train"][user] == plays[:-2]
    sequences = [held["train"][u] for u in sorted(held["train"])]
    model = HSTU(world.num_tracks, hidden=8, num_blocks=1, max_len=5, epochs=3, seed=0)
    fit_learning_curve(model, sequences, held["histories"], held["targets"])
    assert [row["epoch"] for row in model.history_] == [1, 2, 3] and model.best_epoch_ == 3
    loss = next_item_cross_entropy(model.score_next(held["histories"]), held["targets"]).mean()
    assert model.history_[-1]["val_loss"] == pytest.approx(loss)
    with pytest.raises(ValueError):
        fit_learning_curve(model, sequences, held["histories"], held["targets"][:-1])
