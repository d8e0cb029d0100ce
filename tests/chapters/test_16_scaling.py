"""Chapter 16: counts and baselines recomputed, every verdict checked against its recorded interval, and the
prose's statements about the sweep, the fits and the budget checked against the recorded figures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from recsys_helpers.baselines import PopularityRecommender
from recsys_helpers.data import load_movielens_100k
from recsys_helpers.evaluation import per_user_metrics
from recsys_helpers.models.ease import EASE
from recsys_helpers.models.sequential import SASRec, build_sequences
from recsys_helpers.preprocessing import encode_interactions, interaction_matrix, shuffle_time_ties
from recsys_helpers.scaling import HSTU, held_out_plays, non_embedding_parameters, oracle_entropy
from recsys_helpers.split import leave_last_out
from recsys_helpers.worlds.music import simulate_music

CHAPTER = "16_scaling"
SEED, K = 0, 10
SIZES = [(8, 1), (16, 1), (32, 2), (64, 2)]
WORDS = {"ahead of", "behind", "not distinguishable from"}
LOSS_WORDS = {"higher than", "lower than", "not distinguishable from"}
SCALES = ("ml", "music100", "music400", "music1600")


def expected(low, high, above, below):
    return above if low > 0 else below if high < 0 else "not distinguishable from"


def test_parameter_counts_recomputed(recorded):
    """Sections 2-3: the sweep's sizes, the matched pair, the embedding shares."""
    hstu = [HSTU(1682, hidden=h, num_blocks=b, linear_dim=3 * h // 2, attention_dim=3 * h // 4, max_len=20)._build()
            for h, b in SIZES]
    counts = [non_embedding_parameters(net) for net in hstu]
    assert recorded["16_n_smallest"] == counts[0] and recorded["16_n_largest"] == counts[-1]
    assert recorded["16_n_orders"] == pytest.approx(math.log10(counts[-1] / counts[0]))
    assert recorded["16_n_orders"] >= 1.5  # "over two orders of magnitude" needs at least the 1.5
    sasrec = non_embedding_parameters(SASRec(1682, hidden=64, num_blocks=2, max_len=20)._build())
    assert recorded["16_sasrec_n"] == sasrec and recorded["16_hstu_n"] == counts[-1]
    assert abs(counts[-1] - sasrec) / sasrec < 0.01  # "differ by under 1%"
    total = sum(p.numel() for p in hstu[-1].parameters())
    assert recorded["16_embedding_share_large"] == pytest.approx(1 - counts[-1] / total)
    assert recorded["16_embedding_share_small"] > recorded["16_embedding_share_large"] > 0.5


@pytest.fixture(scope="module")
def protocol():
    data = load_movielens_100k()
    frame, users, items = encode_interactions(data.ratings)
    num_users, num_items = len(users.classes_), len(items.classes_)
    history, test = leave_last_out(shuffle_time_ties(frame, seed=SEED))
    sequences = build_sequences(history)
    histories = [sequences[u] for u in range(num_users)]
    targets = test.set_index("user_idx").loc[np.arange(num_users), "item_idx"].to_numpy()
    return histories, targets, interaction_matrix(history, num_users, num_items), num_items


def test_simple_baselines_recomputed(recorded, protocol):
    """Section 3: popularity, item-to-item transitions and EASE on the shuffled-ties protocol."""
    histories, targets, matrix, num_items = protocol
    popularity = PopularityRecommender().fit(matrix).score()
    counts = np.zeros((num_items, num_items))
    for sequence in map(np.asarray, histories):
        np.add.at(counts, (sequence[:-1], sequence[1:]), 1.0)
    transitions = counts[[h[-1] for h in histories]] + popularity / (popularity.max() + 1.0)
    ease = EASE(l2=300.0).fit(matrix).score()
    for slug, scores in (("popularity", popularity), ("transitions", transitions), ("ease", ease)):
        metrics = per_user_metrics(scores, targets, k=K, exclude=matrix)
        assert recorded[f"16_{slug}_ndcg"] == pytest.approx(metrics["ndcg"].mean(), abs=1e-12)
        assert recorded[f"16_{slug}_hr"] == pytest.approx(metrics["hit_rate"].mean(), abs=1e-12)
    assert recorded["16_num_test_users"] == 943
    assert recorded["16_uniform_ml"] == pytest.approx(math.log(num_items))


def test_oracle_floor_recomputed(recorded):
    """Section 4: the simulator's entropy over the held-out plays."""
    world = simulate_music(num_users=1600, sessions_per_user=6, seed=SEED)
    held = held_out_plays(world, np.arange(100), last=5)
    assert recorded["16_floor"] == pytest.approx(oracle_entropy(held["probabilities"]).mean(), rel=1e-9)
    assert recorded["16_num_held"] == len(held["targets"]) == 500
    assert recorded["16_floor"] < recorded["16_uniform_music"] == pytest.approx(math.log(world.num_tracks))
    # "a noisy estimate of the same number"
    assert abs(recorded["16_oracle_ce"] - recorded["16_floor"]) < 0.2


@pytest.mark.parametrize("key, a, b", [
    ("hstu_sasrec", "hstu", "sasrec"), ("hstu_ease", "hstu", "ease"), ("hstu_transitions", "hstu", "transitions"),
    ("sasrec_ease", "sasrec", "ease"), ("sasrec_transitions", "sasrec", "transitions"),
    ("hstu_popularity", "hstu", "popularity"),
])
def test_model_verdicts_follow_their_intervals(recorded, key, a, b):
    """Section 3: each glued word is the one the paired interval allows."""
    low, difference, high = (recorded[f"16_diff_{key}{s}"] for s in ("_low", "", "_high"))
    assert low <= difference <= high
    assert difference == pytest.approx(recorded[f"16_{a}_ndcg"] - recorded[f"16_{b}_ndcg"], abs=1e-12)
    assert recorded[f"16_verdict_{key}"] == expected(low, high, "ahead of", "behind")


def test_loss_verdicts_follow_their_intervals(recorded):
    low, difference, high = (recorded[f"16_loss_hstu_sasrec{s}"] for s in ("_low", "", "_high"))
    assert low <= difference <= high
    assert difference == pytest.approx(recorded["16_hstu_loss"] - recorded["16_sasrec_loss"], abs=1e-9)
    assert recorded["16_verdict_loss_hstu_sasrec"] == expected(low, high, "higher than", "lower than")
    for scale in SCALES:
        for kind in ("size_loss", "step_loss"):
            low, difference, high = (recorded[f"16_{kind}_{scale}{s}"] for s in ("_low", "", "_high"))
            assert low <= difference <= high
            assert recorded[f"16_verdict_{kind}_{scale}"] == expected(low, high, "higher than", "lower than")
        low, difference, high = (recorded[f"16_size_ndcg_{scale}{s}"] for s in ("_low", "", "_high"))
        assert low <= difference <= high
        assert recorded[f"16_verdict_size_ndcg_{scale}"] == expected(low, high, "ahead of", "behind")
        assert recorded[f"16_size_loss_{scale}"] == pytest.approx(
            recorded[f"16_big_loss_{scale}"] - recorded[f"16_small_loss_{scale}"], abs=1e-9)


def test_model_figures_are_consistent(recorded):
    for slug in ("popularity", "transitions", "ease", "sasrec", "hstu"):
        ndcg, hr = recorded[f"16_{slug}_ndcg"], recorded[f"16_{slug}_hr"]
        assert 0 <= ndcg <= hr <= 1
        assert recorded[f"16_{slug}_ndcg_low"] <= ndcg <= recorded[f"16_{slug}_ndcg_high"]
    for slug in ("sasrec", "hstu"):
        assert recorded[f"16_{slug}_loss_low"] <= recorded[f"16_{slug}_loss"] <= recorded[f"16_{slug}_loss_high"]
        assert recorded[f"16_{slug}_loss"] < recorded["16_uniform_ml"]
        assert recorded[f"16_{slug}_seconds"] > 0


def test_sweep_statements(recorded):
    """Sections 5 and 7: what the prose says about the curves."""
    assert recorded["16_epochs_100"] > recorded["16_epochs_400"] > recorded["16_epochs_1600"] >= 2
    assert recorded["16_targets_100"] < recorded["16_targets_400"] < recorded["16_targets_1600"]
    # "At 100 listeners the larger models' loss turns upward": the largest ends above its best epoch
    assert recorded["16_big_final_loss_music100"] > recorded["16_big_min_loss_music100"] + 0.1
    # "with 1,600 listeners the curves still fall at the end": the largest ends at its best epoch
    assert recorded["16_big_final_loss_music1600"] == pytest.approx(recorded["16_big_min_loss_music1600"])
    # "the larger models sit lower" at 1,600 and "size paid only with data"
    assert recorded["16_verdict_size_loss_music1600"] == "lower than"
    assert recorded["16_verdict_size_loss_music100"] == "higher than"
    assert recorded["16_best_music100"] != "HSTU 64 x 2"
    for scale in SCALES:
        assert recorded[f"16_best_{scale}"] in {f"HSTU {h} x {b}" for h, b in SIZES}
    # no run reaches the oracle's floor
    for scale in SCALES[1:]:
        assert recorded[f"16_big_final_loss_{scale}"] > recorded["16_floor"]
    assert recorded["16_sweep_seconds"] > 0 and recorded["16_ml_sweep_seconds"] > 0


def test_power_law_fits(recorded):
    """Section 6: exponents inside their intervals, offsets against the floor."""
    for scale in SCALES:
        alpha = recorded[f"16_alpha_{scale}"]
        assert 0 <= recorded[f"16_alpha_{scale}_low"] <= alpha <= recorded[f"16_alpha_{scale}_high"] + 1e-9
        assert recorded[f"16_frontier_{scale}"] >= 3
    for scale in SCALES[1:]:
        side = "above" if recorded[f"16_E_{scale}"] > recorded["16_floor"] else "below"
        assert recorded[f"16_E_side_{scale}"] == side


def test_budget_check(recorded):
    """Section 8: the recommendation fits the budget and is checked on a fresh run."""
    choice = recorded["16_budget_choice"]
    hidden, blocks = (int(v) for v in choice.split()[1::2])
    assert (hidden, blocks) in SIZES and 1 <= recorded["16_budget_epochs"] <= 8
    net = HSTU(480, hidden=hidden, num_blocks=blocks, linear_dim=3 * hidden // 2, attention_dim=3 * hidden // 4,
               max_len=20)._build()
    flops = 6 * non_embedding_parameters(net) * recorded["16_targets_1600"] * recorded["16_budget_epochs"]
    assert flops <= recorded["16_budget"]
    assert recorded["16_budget_error"] == pytest.approx(
        recorded["16_budget_measured"] - recorded["16_budget_predicted"])
    assert recorded["16_budget_measured"] > recorded["16_floor"]


def test_run_time_recorded(recorded):
    assert math.isfinite(recorded["16_run_seconds"]) and recorded["16_run_seconds"] > 0
    words = {recorded[k] for k in recorded if k.startswith("16_verdict_")}
    assert words <= WORDS | LOSS_WORDS
