"""Bootstrap intervals over users: values, properties, coverage, and the errors they raise."""

from __future__ import annotations

import numpy as np
import pytest

from recsys_helpers.uncertainty import bootstrap, bootstrap_ci, bootstrap_p_value, paired_bootstrap


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


# --------------------------------------------------------------------------- general bootstrap
def _gap(a, b):
    return a.mean() - b.mean()


def test_two_sample_bootstrap_reproduces_chapter_14s_loop_exactly():
    rng = np.random.default_rng(3)
    a, b = rng.random(37), rng.random(91)
    loop = np.random.default_rng(42)  # chapter 14's group_gap before issue 16
    diffs = [loop.choice(a, a.size).mean() - loop.choice(b, b.size).mean() for _ in range(500)]
    result = bootstrap(_gap, a, b, paired=False, num_resamples=500, seed=42)
    assert result.replicates.tolist() == diffs
    assert (result.low, result.high) == tuple(np.quantile(diffs, [0.025, 0.975]))
    assert result.estimate == a.mean() - b.mean()


def test_cluster_bootstrap_reproduces_chapter_10s_loop_exactly():
    rng = np.random.default_rng(5)
    owner = rng.integers(0, 12, 80)
    label = (rng.random(80) < 0.3).astype(int)
    score = rng.random(80)

    def statistic(label, score):
        if label.min() == label.max():
            return float("nan")
        return score[label == 1].mean() - score[label == 0].mean()

    owners = np.unique(owner)  # chapter 10's loop before issue 16
    rows_of = {u: np.flatnonzero(owner == u) for u in owners}
    loop, expected = np.random.default_rng(42), []
    for _ in range(300):
        rows = np.concatenate([rows_of[u] for u in loop.choice(owners, len(owners))])
        if label[rows].min() != label[rows].max():
            expected.append(statistic(label[rows], score[rows]))
    result = bootstrap(statistic, label, score, groups=owner, num_resamples=300, seed=42)
    assert result.replicates.tolist() == expected
    assert result.low == np.percentile(expected, 2.5) and result.high == np.percentile(expected, 97.5)


def test_paired_bootstrap_of_the_mean_matches_a_brute_force_loop():
    a, b = np.arange(10.0), np.arange(10.0)[::-1] ** 1.5
    result = bootstrap(_gap, a, b, num_resamples=50, seed=1)
    loop = np.random.default_rng(1)
    expected = []
    for _ in range(50):
        rows = loop.integers(0, 10, 10)
        expected.append(a[rows].mean() - b[rows].mean())
    assert result.replicates.tolist() == expected


def test_groups_of_one_row_each_are_the_plain_paired_bootstrap_of_their_rows():
    values = np.array([0.2, 0.9, 0.4, 0.7])
    by_rows = bootstrap(np.mean, values, num_resamples=100, seed=3)
    by_groups = bootstrap(np.mean, values, groups=[10, 11, 12, 13], num_resamples=100, seed=3)
    assert by_rows.replicates.tolist() == by_groups.replicates.tolist()


@pytest.mark.parametrize(
    "samples, options, message",
    [
        ((), {}, "at least one sample"),
        (([],), {}, "non-empty"),
        (([1.0, 2.0], [1.0]), {}, "same length"),
        (([1.0, 2.0],), {"groups": [0]}, "one label per row"),
        (([1.0, 2.0],), {"groups": [0, 1], "paired": False}, "paired=True"),
        (([1.0, 2.0],), {"confidence": 1.0}, "confidence"),
        (([1.0, 2.0],), {"num_resamples": 0}, "num_resamples"),
    ],
)
def test_general_bootstrap_rejects_bad_input(samples, options, message):
    with pytest.raises(ValueError, match=message):
        bootstrap(np.mean, *samples, **options)


def test_a_statistic_that_is_always_nan_is_an_error():
    with pytest.raises(ValueError, match="NaN on every resample"):
        bootstrap(lambda x: float("nan"), [1.0, 2.0], num_resamples=5)


@pytest.mark.parametrize(
    ("low", "high", "words"),
    [(0.001, 0.2, "beats"), (-0.2, -1e-9, "trails"), (-0.1, 0.1, "level"), (0.0, 0.1, "level"), (-0.1, 0.0, "level")],
)
def test_verdict_claims_a_direction_only_when_the_interval_excludes_zero(low, high, words):
    from recsys_helpers.uncertainty import verdict

    assert verdict(low, high, above="beats", below="trails", inside="level") == words


@pytest.mark.parametrize(("low", "high"), [(0.2, 0.1), (float("nan"), 0.1), (0.0, float("inf")), (True, 1.0)])
def test_verdict_rejects_an_interval_that_is_not_one(low, high):
    from recsys_helpers.uncertainty import verdict

    with pytest.raises(ValueError, match="low|high"):
        verdict(low, high, above="a", below="b", inside="c")


def test_the_bootstrap_p_value_agrees_with_the_paired_interval():
    """p < 0.05 exactly when the 95% interval of the same resamples leaves zero out."""
    rng = np.random.default_rng(3)
    agree = 0
    for shift in np.linspace(-0.3, 0.3, 25):
        a, b = rng.normal(size=80) + shift, rng.normal(size=80)
        interval = paired_bootstrap(a, b, seed=1)
        p = bootstrap_p_value(a, b, seed=1)
        assert 0 < p <= 1
        agree += (p < 0.05) == (interval.low > 0 or interval.high < 0)
    assert agree >= 24, "at most one case on the boundary may differ (quantile interpolation)"
    assert bootstrap_p_value([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]) == 1.0
    assert bootstrap_p_value([1.0, 2.0, 3.0], [0.0, 1.0, 2.0], num_resamples=500) == 1 / 500
    with pytest.raises(ValueError, match="lengths 2 and 3"):
        bootstrap_p_value([1.0, 2.0], [1.0, 2.0, 3.0])
