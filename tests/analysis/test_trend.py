"""Tests of helpers.analysis.trend: slopes of accuracy on log10 N, by hand and edge cases.

The WLS reference is the normal-equations algebra written out with numpy, with the residual
scale floored at 1 (the items' binomial scatter), and statsmodels' WLS with a fixed scale.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from helpers.analysis.trend import Slope, item_slope, model_slope, slope_equivalence, wls_slope

SIZES = np.array([7.0e7, 1.6e8, 4.1e8, 1.0e9, 1.4e9, 2.8e9, 6.9e9, 1.2e10])


def wls_by_hand(x, y, se):
    """Slope, its se and residual df from the weighted normal equations."""
    X = np.column_stack([np.ones_like(x), x])
    W = np.diag(1.0 / se**2)
    xtwx_inv = np.linalg.inv(X.T @ W @ X)
    beta = xtwx_inv @ X.T @ W @ y
    residuals = y - X @ beta
    df = x.size - 2
    scale = max(residuals @ W @ residuals / df, 1.0)  # never below what the items imply
    return beta[1], math.sqrt(scale * xtwx_inv[1, 1]), df


def test_wls_three_points_by_hand():
    n_params = np.array([1e8, 1e9, 1e10])
    accuracy = np.array([0.20, 0.23, 0.24])
    stderr = np.array([0.012, 0.013, 0.010])
    slope, se, df = wls_by_hand(np.log10(n_params), accuracy, stderr)
    result = wls_slope(n_params, accuracy, stderr)
    assert result.slope == pytest.approx(slope, rel=1e-10) and result.se == pytest.approx(se, rel=1e-10)
    assert result.df == df == 1 and result.n_models == 3 and result.n_items is None
    t95, t90 = stats.t.ppf(0.975, 1), stats.t.ppf(0.95, 1)
    assert (result.low, result.high) == pytest.approx((slope - t95 * se, slope + t95 * se), rel=1e-9)
    assert (result.low90, result.high90) == pytest.approx((slope - t90 * se, slope + t90 * se), rel=1e-9)
    assert "residual scale" in result.note


def test_wls_equal_weights_is_the_ordinary_slope():
    accuracy = np.array([0.22, 0.23, 0.22, 0.24, 0.25, 0.24, 0.26, 0.27])
    result = wls_slope(SIZES, accuracy, np.full(8, 0.013))
    assert result.slope == pytest.approx(np.polyfit(np.log10(SIZES), accuracy, 1)[0], rel=1e-10)
    assert result.df == 6


def test_wls_two_models_gives_the_line_but_no_trend():
    result = wls_slope([1e8, 1e10], [0.20, 0.26], [0.012, 0.013])
    assert result.slope == pytest.approx(0.03)  # 6 points over 2 decades
    assert math.isnan(result.se)
    assert all(math.isnan(v) for v in (result.low, result.high, result.low90, result.high90))
    assert "no trend from fewer than 3 models" in result.note
    assert slope_equivalence(result, 0.01) == "inconclusive"


def test_wls_one_model_or_one_size():
    for sizes in ([1e9], [1e9, 1e9, 1e9]):
        result = wls_slope(sizes, [0.25] * len(sizes), [0.01] * len(sizes))
        assert math.isnan(result.slope) and math.isnan(result.low) and "fewer than 3" in result.note


def test_wls_zero_stderr_needs_n_and_a_zero_model_does_not_dominate():
    with pytest.raises(ValueError, match="pass n"):
        wls_slope([1e8, 1e9, 1e10], [0.0, 0.1, 0.2], [0.0, 0.03, 0.04])
    n = 100
    result = wls_slope([1e8, 1e9, 1e10], [0.0, 0.12, 0.2], [0.0, 0.03, 0.04], n=n)
    pooled = 0.32 / 3
    floor = [max(pooled * (1 - pooled), p * (1 - p)) / n for p in ((0 + 2) / 104, (12 + 2) / 104, (20 + 2) / 104)]
    se = np.sqrt(np.maximum(floor, np.array([0.0, 0.03, 0.04]) ** 2))
    slope, slope_se, _ = wls_by_hand(np.array([8.0, 9.0, 10.0]), np.array([0.0, 0.12, 0.2]), se)
    assert result.slope == pytest.approx(slope) and result.se == pytest.approx(slope_se)
    assert se[0] >= math.sqrt(pooled * (1 - pooled) / n)  # the 0% model weighs no more than the pooled level


@pytest.mark.parametrize(
    "n_params, accuracy, stderr",
    [
        ([1e8, 1e9], [0.2], [0.01, 0.01]),
        ([1e8, 1e9], [0.2, 1.2], [0.01, 0.01]),
        ([1e8, 1e9], [0.2, math.nan], [0.01, 0.01]),
        ([0, 1e9], [0.2, 0.3], [0.01, 0.01]),
        ([1e8, 1e9], [0.2, 0.3], [0.01, -0.01]),
        ([], [], []),
    ],
)
def test_wls_bad_input_raises(n_params, accuracy, stderr):
    with pytest.raises(ValueError):
        wls_slope(n_params, accuracy, stderr)


def _long(correct_by_model, sizes):
    n_models, n_items = correct_by_model.shape
    return correct_by_model.ravel(), np.repeat(sizes, n_items), np.tile(np.arange(n_items), n_models)


def test_item_slope_is_the_model_level_fit_on_the_per_model_counts():
    rng = np.random.default_rng(11)
    sizes = SIZES[:5]
    truth = 0.2 + 0.03 * np.log10(sizes / 1e8)
    ability = rng.normal(0.0, 0.15, 60)
    by_model = (rng.random((5, 60)) < np.clip(truth[:, None] + ability[None, :], 0, 1)).astype(int)
    correct, n_params, item_ids = _long(by_model, sizes)
    result = item_slope(correct, n_params, item_ids)
    k = by_model.sum(axis=1)
    same = model_slope(sizes, k, np.full(5, 60))
    assert (result.slope, result.se, result.low, result.high) == pytest.approx(
        (same.slope, same.se, same.low, same.high)
    )
    assert result.df == 3 and result.n_models == 5 and result.n_items == 60


def test_item_ids_may_be_strings_and_unsorted():
    rng = np.random.default_rng(2)
    by_model = (rng.random((3, 20)) < 0.3).astype(int)
    correct, n_params, item_ids = _long(by_model, SIZES[:3])
    order = rng.permutation(correct.size)
    labels = np.array([f"q{i}" for i in item_ids])
    a = item_slope(correct, n_params, item_ids)
    b = item_slope(correct[order], n_params[order], labels[order])
    assert a.slope == pytest.approx(b.slope) and a.se == pytest.approx(b.se)


def test_item_slope_degenerate_designs():
    one_size = item_slope([1, 0, 1, 0], [1e9] * 4, [0, 1, 0, 1])
    assert math.isnan(one_size.slope) and "fewer than 3" in one_size.note
    two_sizes = item_slope([1, 0, 1, 1], [1e8, 1e8, 1e9, 1e9], [0, 1, 0, 1])  # rule 1: no trend from two models
    assert two_sizes.slope == pytest.approx(0.5) and math.isnan(two_sizes.low) and "paired change" in two_sizes.note
    all_right = item_slope([1] * 9, [1e8] * 3 + [1e9] * 3 + [1e10] * 3, [0, 1, 2] * 3)
    assert all_right.slope == pytest.approx(0.0, abs=1e-12) and all_right.high > 0 > all_right.low  # binomial floor
    with pytest.raises(ValueError):
        item_slope([1, 0, 2], [1e8, 1e9, 1e9], [0, 0, 1])
    with pytest.raises(ValueError):
        item_slope([1, 0, 1], [1e8, 1e9], [0, 0, 1])
    with pytest.raises(ValueError):
        item_slope([1, 0, 1], [1e8, 1e9, 1e9], [0, 0])


def _slope(low, high, low90, high90):
    return Slope(0.0, 0.01, low, high, low90, high90, 6, 8, None, "test", "")


@pytest.mark.parametrize(
    "bounds, expected",
    [
        ((-0.006, 0.006, -0.005, 0.005), "flat"),
        ((0.002, 0.008, 0.003, 0.007), "flat"),  # significant but inside the margin
        ((0.004, 0.030, 0.006, 0.028), "rising"),
        ((-0.030, -0.004, -0.028, -0.006), "falling"),
        ((-0.004, 0.030, -0.002, 0.028), "inconclusive"),
        ((-0.012, 0.009, -0.0101, 0.008), "inconclusive"),  # 90% bound just outside the margin
        ((-0.01, 0.009, -0.008, 0.01), "inconclusive"),  # touching the margin is not inside
        ((math.nan, math.nan, math.nan, math.nan), "inconclusive"),
    ],
)
def test_slope_equivalence(bounds, expected):
    assert slope_equivalence(_slope(*bounds), margin=0.01) == expected


def test_slope_equivalence_bad_margin():
    for margin in (0, -0.01, math.nan, math.inf, "0.01"):
        with pytest.raises(ValueError):
            slope_equivalence(_slope(-0.001, 0.001, -0.001, 0.001), margin)
