"""Chapter 08: the recorded figures bound the claims the text makes about each part of the loop."""

from __future__ import annotations

import math

import pytest

from recsys_helpers.datasets import load_movielens_100k
from recsys_helpers.preprocessing import encode_interactions, to_implicit
from recsys_helpers.split import per_user_random_split

pytestmark = pytest.mark.chapters
CHAPTER = "08_training"


@pytest.fixture(scope="module")
def fig(figures):
    return figures(CHAPTER)


def interval(fig, slug):
    return fig[f"08_ci_{slug}_low"], fig[f"08_ci_{slug}_high"]


def established(fig, slug):
    """The text calls this difference real: its paired interval over users excludes zero."""
    low, high = interval(fig, slug)
    assert low <= fig[f"08_ci_{slug}_difference"] <= high, slug
    return low > 0 or high < 0


def test_split_sizes_are_recomputed(fig):
    encoded, _, _ = encode_interactions(load_movielens_100k().ratings)
    rest, test = per_user_random_split(to_implicit(encoded), test_fraction=0.2, seed=42)
    train, val = per_user_random_split(rest, test_fraction=0.1, seed=42)
    assert (fig["08_num_pairs"], fig["08_num_val"], fig["08_num_test"]) == (
        len(train), len(val), len(test))
    assert fig["08_epochs_long"] == 2 * fig["08_epochs"]


def test_pipelines_agree_and_batching_is_faster(fig):
    assert fig["08_all_same_batches"] is True
    assert fig["08_rate_batched"] > 3 * fig["08_rate_per_example"]
    assert fig["08_rate_tensor"] > 3 * fig["08_rate_per_example"]


def test_popularity_negatives(fig):
    assert fig["08_sampler_popularity_ndcg"] < fig["08_sampler_uniform_ndcg"]
    assert fig["08_sampler_popularity_head"] < fig["08_sampler_uniform_head"]
    assert established(fig, "sampler_ndcg") and established(fig, "sampler_head")
    assert fig["08_ci_sampler_ndcg_num_users"] == 942
    assert fig["08_ci_sampler_ndcg_difference"] == pytest.approx(
        fig["08_sampler_popularity_ndcg"] - fig["08_sampler_uniform_ndcg"])


def test_gradients(fig):
    assert fig["08_grad_gap"] < 1e-12
    assert fig["08_doc_grad_nan32"] >= 1 and fig["08_doc_grad_nan64"] >= 1


def test_losses(fig):
    assert fig["08_loss_sampled"] < 0.1 < fig["08_loss_logq"]
    assert fig["08_loss_sampled_head"] < fig["08_loss_logq_head"]
    assert fig["08_ci_logq_uncorrected_low"] > 0
    assert fig["08_ci_full_logq_low"] > 0
    low, high = interval(fig, "full_bpr")
    assert low < 0 < high  # the text: the full softmax's lead over BPR is not established
    assert abs(fig["08_loss_pointwise"] - fig["08_loss_bpr"]) < 0.02


def test_initialisation(fig):
    assert fig["08_init_xavier_relu"] < 1e-2  # vanishes through 30 ReLU layers
    assert 0.3 < fig["08_init_he_relu"] < 3
    assert 0.05 < fig["08_init_xavier_tanh"] < 1
    assert fig["08_init_he_tanh"] > fig["08_init_xavier_tanh"]


def test_optimizers(fig):
    assert fig["08_opt_runs"] == 30
    for name in ("adam", "adamw", "rmsprop", "adagrad"):
        assert 0.01 <= fig[f"08_opt_{name}_lr"] <= 0.1
        assert abs(fig[f"08_opt_{name}_test"] - fig["08_opt_sgd_test"]) < 0.02  # "end close"
    assert fig["08_opt_sgd_lr"] >= 10 and fig["08_opt_momentum_lr"] >= 1
    assert fig["08_ci_opt_adam_sgd_low"] > 0  # small but established
    for slug in ("adagrad", "momentum"):  # the text: not established
        low, high = interval(fig, f"opt_{slug}_sgd")
        assert low < 0 < high, slug
    assert fig["08_opt_adam_lr"] == fig["08_opt_adamw_lr"] == fig["08_opt_rmsprop_lr"] == 0.01


def test_weight_decay(fig):
    assert fig["08_touched_adam"] == fig["08_touched_adamw"] == 1682
    assert fig["08_touched_l2"] < 600  # at most 2 x 256 rows of one batch
    assert fig["08_reg_adamwd"] < 0.05 and fig["08_reg_adamwd_rare"] < 1e-3
    assert fig["08_reg_adamwdsmall"] == max(
        fig[f"08_reg_{s}"] for s in ("none", "l2", "adamwd", "adamwdsmall", "adamw", "dropout"))
    assert fig["08_reg_adamwdsmall_rare"] < fig["08_reg_adamwdsmall_popular"]
    assert fig["08_reg_l2_popular"] < fig["08_reg_l2_rare"]
    for slug in ("l2", "adamw", "dropout", "adamwdsmall"):
        assert fig[f"08_ci_reg_{slug}_low"] > 0, slug


def test_batch_size(fig):
    seconds = [fig[f"08_batch_{b}_seconds"] for b in (128, 512, 2048, 8192)]
    assert seconds == sorted(seconds, reverse=True)  # a larger batch: a faster epoch
    assert fig["08_batch_8192_loss"] > fig["08_batch_128_loss"]
    assert fig["08_batch_8192_ndcg"] < fig["08_batch_2048_ndcg"]
    assert fig["08_batch_128_ndcg"] < fig["08_batch_2048_ndcg"]
    low, high = interval(fig, "batch_scaled_small")
    assert low < 0 < high  # "level with the batch of 128"
    assert fig["08_ci_batch_scaled_large_low"] > 0
    assert fig["08_batch_scaled_ndcg"] < fig["08_batch_512_ndcg"]


def test_schedules_and_early_stopping(fig):
    assert fig["08_ci_sched_cosine_constant_low"] > 0
    for slug in ("step", "cosine", "warmup"):
        assert fig[f"08_sched_{slug}"] > fig["08_sched_constant"]
        assert fig[f"08_sched_{slug}"] < fig["08_loss_bpr"]  # below the 0.01 runs
    assert fig["08_early_best_epoch"] < fig["08_early_epochs"] <= 40
    assert fig["08_early_epochs"] - fig["08_early_best_epoch"] == 3  # patience
    assert fig["08_ci_early_best_last_low"] > 0 and fig["08_ci_early_best_full_low"] > 0
    assert fig["08_early_full"] < fig["08_early_last"] < fig["08_early_best"]


def test_checkpoints_and_reproducibility(fig):
    assert fig["08_resume_full_gap"] == 0.0 and fig["08_resume_noopt_gap"] > 0.1
    assert fig["08_repro_same"] == 0.0 and fig["08_repro_global"] == 0.0
    assert fig["08_repro_seed"] > 0.1 and fig["08_repro_stray"] > 0.1
    assert fig["08_workers_again"] == 1.0 and fig["08_workers_same"] < 0.01


def test_library_loop(fig):
    assert fig["08_lib_untouched"] is True and fig["08_lib_reload_gap"] == 0.0
    assert fig["08_lib_best_epoch"] < fig["08_lib_epochs"]
    # the same procedure with other random streams: close, though not within the user interval
    assert abs(fig["08_lib_test"] - fig["08_early_best"]) < 0.05


def test_run_time(fig):
    assert math.isfinite(fig["08_run_seconds"]) and fig["08_run_seconds"] > 0
