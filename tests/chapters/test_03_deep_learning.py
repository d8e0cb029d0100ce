"""Chapter 03: the diagnosis of 001's example and the gradient checks, recomputed independently."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.uncertainty import verdict

CHAPTER = "03_deep_learning"


def test_gradient_descent_demo(recorded):
    theta = -2.0
    for _ in range(25):
        theta -= 0.05 * 2 * (theta - 3)
    assert recorded["03_gd_small"] == pytest.approx(theta)
    assert abs(recorded["03_gd_diverge"] - 3) > 5  # |1 - 2 * 1.05| > 1: the iterates move away


def test_the_sources_example(recorded):
    assert "placeholder" in recorded["03_listing_error"] and recorded["03_listing_error"].startswith("AttributeError")
    assert recorded["03_ascent_last"] > recorded["03_ascent_first"]  # 001's update rule climbs
    x = np.arange(1.0, 6.0)
    assert recorded["03_sigmoid_floor"] == pytest.approx(np.mean((2 * x - 1) ** 2))
    assert recorded["03_sigmoid_floor"] <= recorded["03_sigmoid_loss"] < recorded["03_ascent_first"]
    assert recorded["03_sigmoid_max_pred"] < 1


def test_the_corrected_model_fits_in_all_three_frameworks(recorded):
    assert recorded["03_fixed_w"] == pytest.approx(2.0, abs=1e-4)
    assert recorded["03_fixed_loss"] < 1e-8 and recorded["03_fixed_spread"] < 1e-8


def test_gradient_checks(recorded):
    assert recorded["03_grad_gap_frameworks"] < 1e-12
    assert recorded["03_grad_gap_numeric"] < 1e-6


def test_learning_curves_tell_the_story_the_text_tells(recorded, figures):
    assert recorded["03_lr_fast_last"] > recorded["03_lr_fast_best"]  # the large rate overfits after its best epoch
    assert recorded["03_lr_slow_last"] > recorded["03_best_rmse"] + 0.05  # the small rate is still far behind
    assert recorded["03_init_large_last"] > 1.2
    assert recorded["03_batch_small_seconds"] > recorded["03_batch_large_seconds"]
    # the run and epoch chosen on validation, against the bias baseline fitted on the same nine tenths
    assert recorded["03_best_rmse"] < recorded["03_bias_rmse"]
    assert 1 <= recorded["03_fast_best_epoch"] < recorded["03_epochs"]  # the large rate peaks before the end
    assert 1 <= recorded["03_best_epoch"] <= recorded["03_epochs"]


def test_comparisons_carry_paired_intervals_over_users(recorded, figures):
    """Each difference the text calls real has a 95% paired bootstrap interval that excludes 0."""
    assert recorded["03_eval_users"] == 943
    for name in ("overfit", "init"):
        low, diff, high = recorded[f"03_{name}_low"], recorded[f"03_{name}_diff"], recorded[f"03_{name}_high"]
        assert low <= diff <= high
        assert low > 0, f"{name}: the text says the first model is worse; interval [{low}, {high}]"
    low, diff, high = recorded["03_vs_bias_low"], recorded["03_vs_bias_diff"], recorded["03_vs_bias_high"]
    assert low <= diff <= high < 0, "the text says the best run is below the bias baseline"
    assert isinstance(recorded["03_best_run"], str) and ", " in recorded["03_best_run"]


@pytest.mark.parametrize("name", ["overfit", "init", "vs_bias"])
def test_verdicts_follow_their_intervals(recorded, name):
    words = {"above": "worse than", "below": "better than", "inside": "level with"}
    low, high = recorded[f"03_{name}_low"], recorded[f"03_{name}_high"]
    assert recorded[f"03_{name}_verdict"] == verdict(low, high, **words)
