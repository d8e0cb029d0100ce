"""Bootstrap intervals over users: values, properties, coverage, and the errors they raise."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.uncertainty import bootstrap_ci, paired_bootstrap


def test_estimate_is_the_plain_mean_and_interval_contains_it():
    values = np.random.default_rng(0).random(50)
    result = bootstrap_ci(values, seed=1)
    assert result.estimate == pytest.approx(values.mean())
    assert result.low < result.estimate < result.high
    assert result.num_users == 50


def test_constant_values_give_a_zero_width_interval():
    result = bootstrap_ci([0.3] * 7)
    assert result.low == pytest.approx(0.3) and result.high == pytest.approx(0.3)


def test_same_seed_same_interval_and_seed_matters():
    values = np.random.default_rng(2).random(30)
    assert bootstrap_ci(values, seed=5) == bootstrap_ci(values, seed=5)
    assert bootstrap_ci(values, seed=5) != bootstrap_ci(values, seed=6)


def test_width_matches_the_standard_error():
    # for a large sample the 95% percentile interval is about mean +- 1.96 * sd / sqrt(n)
    values = np.random.default_rng(3).random(2000)
    result = bootstrap_ci(values, num_resamples=4000, seed=0)
    half_width = 1.96 * values.std(ddof=1) / np.sqrt(values.size)
    assert (result.high - result.low) / 2 == pytest.approx(half_width, rel=0.1)


def test_wider_confidence_gives_a_wider_interval():
    values = np.random.default_rng(4).random(40)
    narrow, wide = bootstrap_ci(values, confidence=0.5), bootstrap_ci(values, confidence=0.99)
    assert wide.low < narrow.low and wide.high > narrow.high


def test_coverage_is_close_to_nominal():
    # 200 samples of 60 Bernoulli(0.3) users: about 95% of the intervals contain 0.3
    rng = np.random.default_rng(10)
    covered = 0
    for trial in range(200):
        sample = (rng.random(60) < 0.3).astype(float)
        result = bootstrap_ci(sample, num_resamples=500, seed=trial)
        covered += result.low <= 0.3 <= result.high
    assert 0.88 <= covered / 200 <= 0.99


def test_paired_interval_is_narrower_than_the_unpaired_one():
    rng = np.random.default_rng(6)
    user_difficulty = rng.random(100)
    a = user_difficulty + 0.05 + 0.02 * rng.normal(size=100)
    b = user_difficulty + 0.02 * rng.normal(size=100)
    paired = paired_bootstrap(a, b, seed=0)
    assert paired.difference == pytest.approx(a.mean() - b.mean())
    assert paired.low > 0 and paired.prob_not_better == 0.0
    separate = bootstrap_ci(a, seed=0), bootstrap_ci(b, seed=0)
    assert separate[0].low < separate[1].high, "separate intervals overlap ..."
    assert paired.high - paired.low < 0.2 * (separate[0].high - separate[0].low), "... the paired one does not"


def test_paired_bootstrap_is_antisymmetric_and_zero_for_identical_models():
    rng = np.random.default_rng(7)
    a, b = rng.random(40), rng.random(40)
    ab, ba = paired_bootstrap(a, b, seed=3), paired_bootstrap(b, a, seed=3)
    assert ab.difference == pytest.approx(-ba.difference)
    assert ab.low == pytest.approx(-ba.high) and ab.high == pytest.approx(-ba.low)
    same = paired_bootstrap(a, a)
    assert same.difference == same.low == same.high == 0.0 and same.prob_not_better == 1.0


def test_user_order_does_not_matter_for_the_estimate():
    rng = np.random.default_rng(8)
    a, b = rng.random(25), rng.random(25)
    order = rng.permutation(25)
    assert paired_bootstrap(a[order], b[order]).difference == pytest.approx(paired_bootstrap(a, b).difference)


@pytest.mark.parametrize(
    "values, message",
    [([], "non-empty"), ([[0.1, 0.2]], "1-D"), ([0.1, np.nan], "NaN"), (["a", "b"], "numbers")],
)
def test_bad_values_are_rejected(values, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_ci(values)


@pytest.mark.parametrize(
    "options, message",
    [
        ({"num_resamples": 0}, "num_resamples"),
        ({"confidence": 1.0}, "confidence"),
        ({"num_resamples": 2.5}, "num_resamples"),
        ({"confidence": 0}, "confidence"),
    ],
)
def test_bad_options_are_rejected(options, message):
    with pytest.raises(ValueError, match=message):
        bootstrap_ci([0.1, 0.2], **options)


def test_paired_inputs_must_match():
    with pytest.raises(ValueError, match="lengths 3 and 2"):
        paired_bootstrap([0.1, 0.2, 0.3], [0.1, 0.2])
    with pytest.raises(ValueError, match="b contains NaN"):
        paired_bootstrap([0.1, 0.2], [0.1, np.inf])


def test_options_are_keyword_only():
    with pytest.raises(TypeError):
        bootstrap_ci([0.1, 0.2], 100)
