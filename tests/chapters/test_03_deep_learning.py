"""Chapter 03: the diagnosis of 001's example and the gradient checks, recomputed independently."""

from __future__ import annotations

import numpy as np
import pytest

pytestmark = pytest.mark.chapters
CHAPTER = "03_deep_learning"


@pytest.fixture(scope="module")
def fig(figures):
    return figures(CHAPTER)


def test_gradient_descent_demo(fig):
    theta = -2.0
    for _ in range(25):
        theta -= 0.05 * 2 * (theta - 3)
    assert fig["03_gd_small"] == pytest.approx(theta)
    assert abs(fig["03_gd_diverge"] - 3) > 5  # |1 - 2 * 1.05| > 1: the iterates move away


def test_the_sources_example(fig):
    assert "placeholder" in fig["03_listing_error"] and fig["03_listing_error"].startswith("AttributeError")
    assert fig["03_ascent_last"] > fig["03_ascent_first"]  # 001's update rule climbs
    x = np.arange(1.0, 6.0)
    assert fig["03_sigmoid_floor"] == pytest.approx(np.mean((2 * x - 1) ** 2))
    assert fig["03_sigmoid_floor"] <= fig["03_sigmoid_loss"] < fig["03_ascent_first"]
    assert fig["03_sigmoid_max_pred"] < 1


def test_the_corrected_model_fits_in_all_three_frameworks(fig):
    assert fig["03_fixed_w"] == pytest.approx(2.0, abs=1e-4)
    assert fig["03_fixed_loss"] < 1e-8 and fig["03_fixed_spread"] < 1e-8


def test_gradient_checks(fig):
    assert fig["03_grad_gap_frameworks"] < 1e-12
    assert fig["03_grad_gap_numeric"] < 1e-6


def test_learning_curves_tell_the_story_the_text_tells(fig, figures):
    assert fig["03_lr_fast_last"] > fig["03_lr_fast_best"]  # the large rate overfits after its best epoch
    assert fig["03_lr_slow_last"] > fig["03_best_rmse"] + 0.05  # the small rate is still far behind
    assert fig["03_init_large_last"] > 1.2
    assert fig["03_batch_small_seconds"] > fig["03_batch_large_seconds"]
    assert fig["03_best_rmse"] < figures("02_evaluation")["02_rmse_bias"]  # "already beats the bias baseline"


def test_comparisons_carry_paired_intervals_over_users(fig, figures):
    """Each difference the text calls real has a 95% paired bootstrap interval that excludes 0."""
    assert fig["03_eval_users"] == 943
    for name in ("overfit", "init"):
        low, diff, high = fig[f"03_{name}_low"], fig[f"03_{name}_diff"], fig[f"03_{name}_high"]
        assert low <= diff <= high
        assert low > 0, f"{name}: the text says the first model is worse; interval [{low}, {high}]"
    low, diff, high = fig["03_vs_bias_low"], fig["03_vs_bias_diff"], fig["03_vs_bias_high"]
    assert low <= diff <= high < 0, "the text says the best run is below the bias baseline"
    assert isinstance(fig["03_best_run"], str) and ", " in fig["03_best_run"]
