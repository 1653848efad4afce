"""Tests of helpers.analysis.inference against hand computations and independent formulas.

Expected values come from closed forms written out here (binomial sums with math.comb, the
Wilson and Clopper-Pearson formulas, Newcombe's method 10, brute-force permutations), never
from the function under test.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from helpers.analysis.inference import (
    PairedMeanChange,
    binomial_vs_chance,
    chance_family,
    equivalence_paired_proportions,
    holm,
    mcnemar_change,
    newcombe_paired_interval,
    paired_mean_change,
    relative_fall_within,
    spearman_exact,
)

Z95 = 1.959963984540054


def binom_pmf(i, n, p):
    return math.comb(n, i) * p**i * (1 - p) ** (n - i)


def wilson(k, n, z=Z95):
    """Wilson score interval, closed form (Wilson 1927)."""
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def newcombe10(both, up, down, neither, z=Z95):
    """Newcombe (1998) method 10 written out from the paper's formulas."""
    n = both + up + down + neither
    p1, p2 = (both + up) / n, (both + down) / n  # after, before
    (l1, u1), (l2, u2) = wilson(both + up, n, z), wilson(both + down, n, z)
    a = both * neither - up * down
    margins = (both + up) * (down + neither) * (both + down) * (up + neither)
    if margins == 0:
        phi = 0.0
    elif a > n / 2:
        phi = (a - n / 2) / math.sqrt(margins)
    elif a >= 0:
        phi = 0.0
    else:
        phi = a / math.sqrt(margins)
    d = p1 - p2
    low = d - math.sqrt((p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2)
    high = d + math.sqrt((p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2)
    return low, high


def items(both, up, down, neither):
    """0/1 before/after arrays with the given paired counts."""
    before = [1] * both + [0] * up + [1] * down + [0] * neither
    after = [1] * both + [1] * up + [0] * down + [0] * neither
    return np.array(before), np.array(after)


# --------------------------------------------------------------------------- binomial


def test_binomial_one_item_wrong_and_right():
    wrong = binomial_vs_chance(0, 1, 0.25)
    assert (wrong.estimate, wrong.pvalue) == (0.0, pytest.approx(0.75))  # P(K <= 0) = 0.75
    assert wrong.low == 0.0 and wrong.high == pytest.approx(0.975)  # 1 - 0.025^(1/1)
    right = binomial_vs_chance(1, 1, 0.25)
    assert right.pvalue == pytest.approx(1.0) and right.low == pytest.approx(0.025) and right.high == 1.0


def test_binomial_zero_and_all_of_ten_clopper_pearson_closed_form():
    none, all_ = binomial_vs_chance(0, 10, 0.25), binomial_vs_chance(10, 10, 0.25)
    assert none.high == pytest.approx(1 - 0.025**0.1, abs=1e-12) and none.low == 0.0
    assert all_.low == pytest.approx(0.025**0.1, abs=1e-12) and all_.high == 1.0
    assert none.pvalue == pytest.approx(0.75**10)


def test_binomial_three_of_ten_by_hand():
    k, n, p0 = 3, 10, 0.25
    less = sum(binom_pmf(i, n, p0) for i in range(k + 1))
    greater = sum(binom_pmf(i, n, p0) for i in range(k, n + 1))
    observed = binom_pmf(k, n, p0)
    two = sum(binom_pmf(i, n, p0) for i in range(n + 1) if binom_pmf(i, n, p0) <= observed * (1 + 1e-7))
    assert binomial_vs_chance(k, n, p0).pvalue == pytest.approx(less, rel=1e-12)
    assert binomial_vs_chance(k, n, p0, alternative="greater").pvalue == pytest.approx(greater, rel=1e-12)
    result = binomial_vs_chance(k, n, p0, alternative="two-sided")
    assert result.pvalue == pytest.approx(two, rel=1e-12)
    # Clopper-Pearson from beta quantiles; two-sided whatever the alternative
    assert result.low == pytest.approx(stats.beta.ppf(0.025, k, n - k + 1), rel=1e-9)
    assert result.high == pytest.approx(stats.beta.ppf(0.975, k + 1, n - k), rel=1e-9)
    assert binomial_vs_chance(k, n, p0).low == result.low
    assert (result.k, result.n, result.null, result.alternative) == (3, 10, 0.25, "two-sided")


@pytest.mark.parametrize(
    "k, n, chance, alternative",
    [
        (5, 4, 0.25, "less"),
        (1, 0, 0.25, "less"),
        (math.nan, 10, 0.25, "less"),
        (1, 10, 0.0, "less"),
        (1, 10, 0.25, "lower"),
        (-1, 10, 0.25, "less"),
        (1.5, 10, 0.25, "less"),
    ],
)
def test_binomial_bad_input_raises(k, n, chance, alternative):
    with pytest.raises(ValueError):
        binomial_vs_chance(k, n, chance, alternative)


# --------------------------------------------------------------------------- Holm


def test_holm_hand_example():
    # sorted 0.005, 0.01, 0.03, 0.04 -> x4, x3, x2, x1 = 0.02, 0.03, 0.06, 0.04 -> running max
    reject, adjusted = holm([0.01, 0.04, 0.03, 0.005])
    np.testing.assert_allclose(adjusted, [0.03, 0.06, 0.06, 0.02])
    assert reject.tolist() == [True, False, False, True]


def test_holm_leaves_nan_out_of_the_family():
    reject, adjusted = holm([math.nan, 0.02, 0.04])  # family of 2: 0.04, 0.04
    assert reject.tolist() == [False, True, True]
    assert math.isnan(adjusted[0]) and adjusted[1:].tolist() == pytest.approx([0.04, 0.04])
    reject, adjusted = holm([math.nan, math.nan])
    assert not reject.any() and np.isnan(adjusted).all()


def test_holm_single_test_and_bad_input():
    reject, adjusted = holm([0.03])
    assert reject.tolist() == [True] and adjusted.tolist() == [0.03]
    for bad in ([], [0.2, 1.5], [-0.1]):
        with pytest.raises(ValueError):
            holm(bad)


def test_chance_family_corrects_across_the_rows():
    table = pd.DataFrame({"model": ["a", "b", "c"], "k": [10, 190, 266], "n": [100, 1000, 1064]})
    out = chance_family(table, 0.25)
    p_a = sum(binom_pmf(i, 100, 0.25) for i in range(11))
    assert out["pvalue"].iloc[0] == pytest.approx(p_a, rel=1e-9)
    assert out["pvalue"].iloc[2] > 0.5  # 266/1064 = 25.0%
    ranks = np.argsort(np.argsort(out["pvalue"].to_numpy()))
    expected = np.maximum.accumulate(np.sort(out["pvalue"].to_numpy()) * np.array([3, 2, 1]))[ranks]
    np.testing.assert_allclose(out["p_holm"], np.minimum(expected, 1.0))
    assert out["significant"].tolist() == [True, True, False]
    assert list(out.columns) == ["model", "k", "n", "estimate", "low", "high", "pvalue", "p_holm", "significant"]
    assert "pvalue" not in table.columns  # input untouched


def test_chance_family_of_one_model_and_bad_tables():
    out = chance_family(pd.DataFrame({"model": ["x"], "k": [0], "n": [1]}), 0.25)
    assert out["p_holm"].iloc[0] == pytest.approx(0.75) and not out["significant"].iloc[0]
    with pytest.raises(ValueError, match="more than once"):
        chance_family(pd.DataFrame({"model": ["x", "x"], "k": [1, 2], "n": [10, 10]}), 0.25)
    with pytest.raises(ValueError, match="missing"):
        chance_family(pd.DataFrame({"model": ["x"], "k": [1]}), 0.25)
    with pytest.raises(ValueError, match="empty"):
        chance_family(pd.DataFrame({"model": [], "k": [], "n": []}), 0.25)
    with pytest.raises(ValueError):
        chance_family(pd.DataFrame({"model": ["x"], "k": [11], "n": [10]}), 0.25)


# --------------------------------------------------------------------------- McNemar / Newcombe


def test_two_items_wrong_to_right():
    result = mcnemar_change([0, 0], [1, 1])
    assert result.pvalue == pytest.approx(0.5)  # 2 * (1/2)^2
    assert (result.n, result.before, result.after, result.difference) == (2, 0.0, 1.0, 1.0)
    assert (result.n_up, result.n_down) == (2, 0)
    # Newcombe's method 10 with phi = 0 (empty margins): 1 - sqrt(2) * (1 - 2 / (2 + z^2))
    expected_low = 1 - math.sqrt(2) * (1 - 2 / (2 + Z95**2))
    assert result.low == pytest.approx(expected_low, abs=1e-9) and result.high == 1.0
    # Not the degenerate [1, 1] of a percentile bootstrap; but note: it does not reach 0 (0.07)
    # although p = 0.5. Significance is decided on the McNemar p-value.
    assert result.low < 0.1


def test_two_identical_models():
    before = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1])
    result = mcnemar_change(before, before.copy())
    assert (result.difference, result.pvalue, result.n_up, result.n_down) == (0.0, 1.0, 0, 0)
    assert result.low < 0 < result.high and result.low == pytest.approx(-result.high)
    assert (result.low, result.high) == pytest.approx(newcombe10(6, 0, 0, 4))


def test_one_item():
    result = mcnemar_change([1], [0])
    assert result.pvalue == pytest.approx(1.0) and result.difference == -1.0
    assert -1.0 <= result.low < result.high <= 1.0


def test_mcnemar_and_newcombe_by_hand():
    both, up, down, neither = 30, 12, 4, 54
    result = mcnemar_change(*items(both, up, down, neither))
    expected_p = 2 * sum(math.comb(16, i) for i in range(5)) / 2**16  # 0.0768
    assert result.pvalue == pytest.approx(expected_p, rel=1e-12)
    assert result.difference == pytest.approx(0.08)
    assert (result.before, result.after) == (pytest.approx(0.34), pytest.approx(0.42))
    assert (result.low, result.high) == pytest.approx(newcombe10(both, up, down, neither), abs=1e-12)
    # the positive correlation (phi > 0) makes it narrower than the unpaired square-and-add
    (l1, u1), (l2, u2) = wilson(42, 100), wilson(34, 100)
    assert result.high - result.low < math.hypot(0.42 - l1, u2 - 0.34) + math.hypot(0.34 - l2, u1 - 0.42)


def test_newcombe_negative_association_branch_and_level():
    both, up, down, neither = 2, 20, 15, 3  # ad - bc = 6 - 300 < 0
    assert newcombe_paired_interval(both, up, down, neither) == pytest.approx(newcombe10(both, up, down, neither))
    z90 = stats.norm.ppf(0.95)
    assert newcombe_paired_interval(both, up, down, neither, 0.90) == pytest.approx(
        newcombe10(both, up, down, neither, z90)
    )
    with pytest.raises(ValueError, match="empty"):
        newcombe_paired_interval(0, 0, 0, 0)


@pytest.mark.parametrize(
    "before, after",
    [([], []), ([1, 0], [1]), ([1, math.nan], [1, 0]), ([1, 2], [1, 0]), ([[1, 0]], [[1, 0]])],
)
def test_mcnemar_bad_input_raises(before, after):
    with pytest.raises(ValueError):
        mcnemar_change(before, after)


def test_equivalence_paired_proportions():
    before, after = items(50, 0, 0, 50)  # identical: difference 0
    z90 = stats.norm.ppf(0.95)
    low, high = newcombe10(50, 0, 0, 50, z90)
    result = equivalence_paired_proportions(before, after, margin=0.05)
    assert result == {"equivalent": True, "low": pytest.approx(low), "high": pytest.approx(high), "margin": 0.05}
    assert not equivalence_paired_proportions(before, after, margin=0.01)["equivalent"]
    moved = equivalence_paired_proportions(*items(40, 15, 5, 40), margin=0.05)
    assert not moved["equivalent"] and moved["low"] < 0.1 < moved["high"]
    with pytest.raises(ValueError):
        equivalence_paired_proportions(before, after, margin=0.0)
    with pytest.raises(ValueError):
        equivalence_paired_proportions(before, after, margin=0.05, alpha=0.5)


# --------------------------------------------------------------------------- paired means


def test_the_rank_direction_is_the_signed_rank_statistic_not_the_median():
    # 300 differences of -0.01 (ranks 1-300) and 200 of +0.5 (ranks 301-500): the median is -0.01,
    # but W+ = 301 + ... + 500 = 80,100 > W- = 1 + ... + 300 = 45,150, so the test points up
    diffs = np.array([-0.01] * 300 + [0.5] * 200)
    rose = paired_mean_change(np.ones(500), 1 + diffs, n_resamples=200)
    assert np.median(diffs) < 0 and rose.rank_direction == 1 and rose.pvalue < 1e-6
    fell = paired_mean_change(np.ones(500), 1 - diffs, n_resamples=200)
    assert fell.rank_direction == -1
    assert paired_mean_change(np.ones(4), np.ones(4), n_resamples=200).rank_direction == 0


def test_paired_mean_change_hand_values():
    before = np.array([2.0, 2.5, 3.0, 2.5])
    after = before - np.array([0.1, 0.2, 0.3, 0.4])
    result = paired_mean_change(before, after)
    assert isinstance(result, PairedMeanChange)
    assert (result.n, result.before, result.after) == (4, 2.5, pytest.approx(2.25))
    assert result.difference == pytest.approx(-0.25) and result.relative == pytest.approx(-0.1)
    assert result.pvalue == pytest.approx(2 / 16)  # exact Wilcoxon: all 4 signed ranks negative
    assert result.low <= result.difference <= result.high
    assert result.relative_low <= result.relative <= result.relative_high
    assert "BCa" in result.method
    assert paired_mean_change(before, after) == result  # seeded: deterministic


def test_paired_mean_change_interval_matches_t_interval_at_large_n():
    rng = np.random.default_rng(7)
    before = rng.normal(3.0, 0.5, 400)
    after = 0.7 * before + rng.normal(0.0, 0.3, 400)
    result = paired_mean_change(before, after)
    d = after - before
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / math.sqrt(d.size)
    assert result.low == pytest.approx(d.mean() - half, abs=0.2 * half)
    assert result.high == pytest.approx(d.mean() + half, abs=0.2 * half)
    assert -0.33 < result.relative_low < result.relative < result.relative_high < -0.27


def test_paired_mean_change_degenerate_cases():
    same = paired_mean_change([1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    assert math.isnan(same.pvalue) and (same.low, same.high) == (0.0, 0.0)
    assert (same.relative_low, same.relative_high) == pytest.approx((0.0, 0.0))
    assert "percentile" in same.method  # BCa is undefined for a constant statistic
    flat = paired_mean_change([2.0, 2.0, 2.0], [1.0, 1.0, 1.0])
    assert (flat.low, flat.high, flat.relative_low, flat.relative_high) == (-1.0, -1.0, -0.5, -0.5)
    assert "point" in flat.method
    one = paired_mean_change([2.0], [1.5])
    assert one.difference == -0.5 and math.isnan(one.low) and math.isnan(one.relative_high)
    zero = paired_mean_change([0.0, 0.0, 0.0], [1.0, 2.0, 4.0])
    assert math.isnan(zero.relative) and math.isnan(zero.relative_low) and zero.low <= 7 / 3 <= zero.high


@pytest.mark.parametrize(
    "before, after, kwargs",
    [
        ([], [], {}),
        ([1.0, 2.0], [1.0], {}),
        ([1.0, math.nan], [1.0, 2.0], {}),
        ([1.0, 2.0], [1.0, math.inf], {}),
        ([1.0, 2.0], [2.0, 3.0], {"n_resamples": 10}),
    ],
)
def test_paired_mean_change_bad_input_raises(before, after, kwargs):
    with pytest.raises(ValueError):
        paired_mean_change(before, after, **kwargs)


def test_relative_fall_within():
    assert relative_fall_within((0.27, 0.33), claimed=0.31, margin=0.05)
    assert relative_fall_within((0.26, 0.36), claimed=0.31, margin=0.05)  # bounds inclusive
    assert not relative_fall_within((0.20, 0.33), claimed=0.31, margin=0.05)
    assert not relative_fall_within((math.nan, math.nan), claimed=0.31, margin=0.05)
    with pytest.raises(ValueError):
        relative_fall_within((0.33, 0.27), claimed=0.31, margin=0.05)
    with pytest.raises(ValueError):
        relative_fall_within((0.27, 0.33), claimed=math.nan, margin=0.05)


# --------------------------------------------------------------------------- Spearman


def brute_force_spearman_p(x, y):
    """Two-sided exact p-value: 2 * min tail over all n! pairings of the ranks."""
    rx, ry = stats.rankdata(x), stats.rankdata(y)
    observed = np.corrcoef(rx, ry)[0, 1]
    values = np.array([np.corrcoef(np.array(perm), ry)[0, 1] for perm in itertools.permutations(rx)])
    greater = np.mean(values >= observed - 1e-12)
    less = np.mean(values <= observed + 1e-12)
    return observed, min(1.0, 2 * min(greater, less))


def test_spearman_four_monotone_points():
    assert spearman_exact([1, 2, 3, 4], [0.1, 0.5, 0.7, 2.0]) == (pytest.approx(1.0), pytest.approx(2 / 24))
    assert spearman_exact([1, 2, 3, 4], [4, 3, 2, 1]) == (pytest.approx(-1.0), pytest.approx(2 / 24))
    assert spearman_exact([1, 2, 3], [1, 2, 3]) == (pytest.approx(1.0), pytest.approx(2 / 6))


def test_spearman_hand_example_and_ties():
    rho, p = spearman_exact([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])
    assert rho == pytest.approx(1 - 6 * 4 / (5 * 24))  # sum d^2 = 4 -> 0.8
    assert p == pytest.approx(brute_force_spearman_p([1, 2, 3, 4, 5], [2, 1, 4, 3, 5])[1])
    x, y = [1, 2, 2, 3, 4, 5], [1.0, 3.0, 2.0, 2.0, 6.0, 5.0]
    expected_rho, expected_p = brute_force_spearman_p(x, y)
    assert spearman_exact(x, y) == (pytest.approx(expected_rho), pytest.approx(expected_p))


def test_spearman_large_n_uses_spearmanr_and_degenerate_cases():
    rng = np.random.default_rng(3)
    x, y = rng.normal(size=15), rng.normal(size=15)
    expected = stats.spearmanr(x, y)
    assert spearman_exact(x, y) == (pytest.approx(expected.statistic), pytest.approx(expected.pvalue))
    for x, y in (([1, 2], [2, 1]), ([1], [1]), ([1, 1, 1, 1], [1, 2, 3, 4]), ([1, 2, 3], [5, 5, 5])):
        rho, p = spearman_exact(x, y)
        assert math.isnan(rho) and math.isnan(p)
    with pytest.raises(ValueError):
        spearman_exact([1, 2, 3], [1, 2])
    with pytest.raises(ValueError):
        spearman_exact([1, 2, math.nan], [1, 2, 3])
