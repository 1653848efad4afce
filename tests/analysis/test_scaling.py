"""Tests of helpers.analysis.scaling on synthetic data with known answers.

Truths are set by hand (alpha = 0.3, c = 1.7, a = 450 over Pythia-like sizes; gap items
built so the relative changes are 0.30 and 0.20), and the fits are checked against them,
against their own intervals, and against an independent criterion (a least-squares fit can
never have a larger squared error than the true curve on the same data).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import scipy.stats

from helpers.analysis.inference import spearman_exact
from helpers.analysis.scaling import (
    AccuracyChange,
    ScalingInputError,
    accuracy_change,
    confidence_competence_gap,
    fit_power_law,
    fit_power_law_items,
    relative_reduction,
    scale_correlation,
)

TRUE_A, TRUE_ALPHA, TRUE_C = 450.0, 0.3, 1.7
SIZES = np.array([7.0e7, 1.6e8, 4.1e8, 1.0e9, 1.4e9, 2.8e9, 6.9e9, 1.2e10])  # [m]


def true_loss(sizes):
    return TRUE_A * np.asarray(sizes) ** (-TRUE_ALPHA) + TRUE_C


def squared_error(sizes, losses, a, alpha, c) -> float:
    return float(np.sum((a * sizes ** (-alpha) + c - losses) ** 2))


def inside(value: float, interval: tuple[float, float]) -> bool:
    return interval[0] <= value <= interval[1]


# --------------------------------------------------------------------------- power law


def test_exact_power_law_is_recovered():
    fit = fit_power_law(SIZES, true_loss(SIZES), bootstrap=100)
    assert fit.alpha == pytest.approx(TRUE_ALPHA, abs=1e-3)
    assert fit.c == pytest.approx(TRUE_C, abs=1e-3)
    assert fit.a == pytest.approx(TRUE_A, rel=1e-3)
    assert fit.predict(3.0e9) == pytest.approx(450 * 3.0e9**-0.3 + 1.7, rel=1e-6)
    np.testing.assert_allclose(fit.predict(SIZES), true_loss(SIZES), rtol=1e-6)
    assert fit.n_failed == 0 and fit.samples.shape == (100, 3)


def test_noisy_points_fit_near_truth_within_intervals():
    rng = np.random.default_rng(12)
    losses = true_loss(SIZES) + rng.normal(0.0, 0.005, SIZES.size)  # [m]
    fit = fit_power_law(SIZES, losses, bootstrap=300, seed=3)
    assert abs(fit.alpha - TRUE_ALPHA) < 0.05
    assert abs(fit.c - TRUE_C) < 0.05
    for name, truth in (("alpha", TRUE_ALPHA), ("c", TRUE_C), ("a", TRUE_A)):
        interval = getattr(fit, f"{name}_interval")
        assert inside(getattr(fit, name), interval), name
        assert inside(truth, interval), name
    # least squares: no worse than the true curve on the same points
    assert squared_error(SIZES, losses, fit.a, fit.alpha, fit.c) <= squared_error(
        SIZES, losses, TRUE_A, TRUE_ALPHA, TRUE_C
    )
    assert fit.c >= 0 and fit.alpha > 0


def test_item_level_fit_near_truth_within_intervals():
    rng = np.random.default_rng(5)
    n_items = 400
    difficulty = rng.normal(0.0, 0.3, n_items)  # [n_items], shared by every model
    item_losses = [
        loss + difficulty + rng.normal(0.0, 0.2, n_items) for loss in true_loss(SIZES)
    ]  # m arrays of [n_items]
    fit = fit_power_law_items(SIZES, item_losses, bootstrap=300, seed=1)
    assert abs(fit.alpha - TRUE_ALPHA) < 0.1
    assert abs(fit.c - TRUE_C) < 0.15
    assert inside(TRUE_ALPHA, fit.alpha_interval) and inside(fit.alpha, fit.alpha_interval)
    assert inside(TRUE_C, fit.c_interval) and inside(fit.c, fit.c_interval)
    np.testing.assert_allclose(fit.loss, [values.mean() for values in item_losses])
    low, high = fit.predict_interval(SIZES)
    assert np.all(low <= high)
    assert np.all((low <= true_loss(SIZES) + 0.05) & (true_loss(SIZES) - 0.05 <= high))

    unpaired = fit_power_law_items(SIZES, item_losses, paired=False, bootstrap=100, seed=1)
    assert unpaired.alpha == pytest.approx(fit.alpha)  # same point fit, other intervals


def test_failed_bootstrap_replicates_are_counted_not_hidden():
    sizes = SIZES[[0, 2, 4, 6]]
    with pytest.warns(RuntimeWarning, match="bootstrap fits failed"):
        fit = fit_power_law(sizes, true_loss(sizes), bootstrap=100, seed=0)
    # a resample of 4 points has at most 2 distinct sizes with probability (4 + 6 * 14) / 256
    # = 34%: about 34 of 100 fail
    assert fit.failures.get("fewer than 3 distinct sizes", 0) == fit.n_failed > 10
    assert fit.n_failed + len(fit.samples) == 100


def test_points_bootstrap_with_three_sizes_gives_no_interval():
    # Every resample of 3 points either repeats a size (unfittable) or is the data set itself,
    # so the successful replicates all reproduce the point fit: before the fix the "interval"
    # had zero width and looked like certainty.
    sizes = SIZES[[0, 3, 6]]
    rng = np.random.default_rng(2)
    fit = fit_power_law(sizes, true_loss(sizes) + rng.normal(0, 0.01, 3), bootstrap=100, seed=0)
    for name in ("a", "alpha", "c"):
        assert all(math.isnan(end) for end in getattr(fit, f"{name}_interval")), name
    assert fit.n_bootstrap == 0 and fit.n_failed == 0 and len(fit.samples) == 0
    assert "3 distinct model sizes" in fit.note and "fit_power_law_items" in fit.note
    assert fit.dof == 0 and "0 residual degrees of freedom" in fit.note
    low, high = fit.predict_interval(sizes)
    assert np.isnan(low).all() and np.isnan(high).all()
    assert math.isfinite(fit.alpha)  # the point fit is still given


def test_residual_degrees_of_freedom_are_reported():
    fit = fit_power_law(SIZES, true_loss(SIZES), bootstrap=100)
    assert fit.dof == SIZES.size - 3 == 5
    assert fit.at_bound == () and fit.note == ""  # an interior fit: nothing to flag
    row = fit.to_dict()
    assert row["dof"] == 5 and row["at_bound"] == "" and row["note"] == ""
    items = [np.full(10, loss) + np.linspace(-0.1, 0.1, 10) for loss in true_loss(SIZES[:3])]
    three = fit_power_law_items(SIZES[:3], items, bootstrap=100)
    assert three.dof == 0 and "0 residual degrees of freedom" in three.note
    # item resampling still varies the data: this interval is a real one
    assert all(math.isfinite(end) for end in three.alpha_interval)


def test_parameters_at_a_bound_are_flagged():
    # A pure power law has c = 0, the lower bound of c.
    sizes = SIZES[[0, 2, 4, 6]]
    fit = fit_power_law(sizes, 5.0 * sizes**-0.1, bootstrap=0)
    assert fit.at_bound == ("c",) and "c at its lower bound" in fit.note
    assert fit.alpha == pytest.approx(0.1, rel=1e-4)


def test_bootstrap_fits_all_at_one_bound_give_no_interval():
    # A loss that rises with size is not a falling power law: every fit flattens the curve
    # (alpha at its lower bound) and puts c at the smallest loss (its upper bound). Before the
    # fix the percentile "intervals" of alpha and c were the bound itself.
    rng = np.random.default_rng(0)
    sizes = np.array([1e8, 1e9, 1e10, 1e11])
    items = [mean + rng.normal(0.0, 0.05, 300) for mean in (2.0, 2.5, 3.0, 3.5)]
    fit = fit_power_law_items(sizes, items, bootstrap=100, seed=0)
    assert fit.at_bound == ("alpha", "c")
    assert all(math.isnan(end) for end in fit.alpha_interval + fit.c_interval)
    assert "no interval for alpha" in fit.note and "no interval for c" in fit.note
    assert fit.dof == 1 and fit.n_failed == 0 and len(fit.samples) == 100


@pytest.mark.parametrize(
    "sizes, losses, message",
    [
        (SIZES[:2], [3.0, 2.5], "at least 3 distinct model sizes"),
        ([1e8, 1e8, 1e9], [3.0, 2.9, 2.5], "at least 3 distinct model sizes"),
        ([1e8, -1e9, 1e10], [3.0, 2.5, 2.0], "n_params must be positive"),
        ([1e8, 1e9, 1e10], [3.0, math.nan, 2.0], "loss has non-finite"),
        ([1e8, 1e9, 1e10], [3.0, 2.0], "one loss per model"),
    ],
)
def test_bad_fit_input_raises(sizes, losses, message):
    with pytest.raises(ScalingInputError, match=message):
        fit_power_law(sizes, losses, bootstrap=0)


def test_paired_items_need_equal_counts():
    with pytest.raises(ScalingInputError, match="paired=False"):
        fit_power_law_items(SIZES[:3], [np.ones(5), np.ones(5), np.ones(4)], bootstrap=0)


# --------------------------------------------------------------------------- small vs large


def test_relative_changes_by_hand():
    assert relative_reduction(1.0, 0.69) == pytest.approx(0.31)
    assert relative_reduction(2.0, 2.5) == pytest.approx(-0.25)
    np.testing.assert_allclose(relative_reduction([2.0, 4.0], [1.0, 3.0]), [0.5, 0.25])
    assert accuracy_change(0.5, 0.6) == pytest.approx(AccuracyChange(0.1, 0.2))
    zero_baseline = accuracy_change(0.0, 0.1)
    assert zero_baseline.absolute == pytest.approx(0.1) and math.isnan(zero_baseline.relative)
    with pytest.raises(ScalingInputError, match="must be positive"):
        relative_reduction(0.0, 1.0)
    with pytest.raises(ScalingInputError, match=r"in \[0, 1\]"):
        accuracy_change(0.5, 60)


def gap_items(n_items: int = 200):
    """Items with mean loss 2.0 -> 1.4 (relative 0.30) and accuracy 0.5 -> 0.6 (0.20)."""
    offsets = np.tile([-0.5, 0.5], n_items // 2)  # [n_items], mean 0
    loss_small, loss_large = 2.0 + offsets, 1.4 + 0.8 * offsets
    acc_small = np.r_[np.ones(n_items // 2), np.zeros(n_items // 2)]
    acc_large = acc_small.copy()
    acc_large[n_items // 2 : n_items // 2 + n_items // 10] = 1  # 10% of items become right
    return loss_small, loss_large, acc_small, acc_large


def test_gap_with_known_ratio():
    loss_small, loss_large, acc_small, acc_large = gap_items()
    gap = confidence_competence_gap(loss_small, loss_large, acc_small, acc_large, bootstrap=500, seed=0)
    assert gap.relative_loss_reduction == pytest.approx(0.30)
    assert gap.relative_accuracy_change == pytest.approx(0.20)
    assert gap.absolute_accuracy_change == pytest.approx(0.10)
    assert gap.ratio == pytest.approx(1.5)
    assert gap.ratio_status == "finite" and gap.ratio_bounded
    assert inside(1.5, gap.ratio_interval) and math.isfinite(gap.ratio_interval[1])
    assert inside(0.30, gap.relative_loss_reduction_interval)
    assert gap.relative_accuracy_change_interval[0] > 0


def test_gap_with_flat_accuracy_is_reported_unbounded():
    loss_small, loss_large, acc_small, _ = gap_items()
    gap = confidence_competence_gap(loss_small, loss_large, acc_small, acc_small, bootstrap=100)
    assert gap.ratio == math.inf and gap.ratio_status == "accuracy_flat"
    assert not gap.ratio_bounded and gap.ratio_interval == (-math.inf, math.inf)
    assert gap.relative_loss_reduction == pytest.approx(0.30)  # still reported
    assert gap.relative_accuracy_change == 0.0


def test_gap_with_zero_small_accuracy_is_undefined():
    loss_small, loss_large, _, acc_large = gap_items()
    zeros = np.zeros_like(acc_large)
    gap = confidence_competence_gap(loss_small, loss_large, zeros, acc_large, bootstrap=100)
    assert math.isnan(gap.ratio) and gap.ratio_status == "accuracy_baseline_zero"
    assert gap.absolute_accuracy_change == pytest.approx(0.6)
    assert not gap.ratio_bounded


def test_gap_when_accuracy_change_may_be_zero_is_unbounded():
    loss_small, loss_large, acc_small, _ = gap_items()
    acc_large = acc_small.copy()
    acc_large[100] = 1  # one item of 200 becomes right: the interval includes no change
    gap = confidence_competence_gap(loss_small, loss_large, acc_small, acc_large, bootstrap=300)
    assert gap.ratio_status == "finite" and gap.ratio == pytest.approx(0.30 / 0.01)
    assert gap.relative_accuracy_change_interval[0] <= 0
    assert not gap.ratio_bounded and gap.ratio_interval == (-math.inf, math.inf)


def test_gap_input_checks():
    loss_small, loss_large, acc_small, acc_large = gap_items()
    with pytest.raises(ScalingInputError, match="paired=False"):
        confidence_competence_gap(loss_small, loss_large[:10], acc_small, acc_large[:10])
    with pytest.raises(ScalingInputError, match="acc_small_items has 10"):
        confidence_competence_gap(loss_small, loss_large, acc_small[:10], acc_large)
    unpaired = confidence_competence_gap(
        loss_small, loss_large[:100], acc_small, acc_large[:100], paired=False, bootstrap=100
    )
    assert unpaired.n_items_large == 100


# --------------------------------------------------------------------------- correlation


def test_scale_correlation_signs_and_values():
    rising = scale_correlation(SIZES, np.log10(SIZES) * 0.1 + 0.2)
    assert rising.spearman_rho == pytest.approx(1.0) and rising.pearson_r == pytest.approx(1.0)
    assert rising.spearman_p < 0.01 and rising.pearson_p < 0.01

    falling = scale_correlation(SIZES, true_loss(SIZES))
    assert falling.spearman_rho == pytest.approx(-1.0) and falling.pearson_r < -0.9

    noisy = np.array([0.25, 0.24, 0.27, 0.26, 0.25, 0.28, 0.27, 0.30])
    result = scale_correlation(SIZES, noisy)
    expected_r = np.corrcoef(np.log10(SIZES), noisy)[0, 1]  # independent formula
    assert result.pearson_r == pytest.approx(expected_r)
    ranks_sizes, ranks_values = scipy.stats.rankdata(SIZES), scipy.stats.rankdata(noisy)
    assert result.spearman_rho == pytest.approx(np.corrcoef(ranks_sizes, ranks_values)[0, 1])

    flat = scale_correlation(SIZES, np.zeros(SIZES.size))
    assert flat.constant_metric and math.isnan(flat.spearman_rho)
    with pytest.raises(ScalingInputError, match="at least 3 models"):
        scale_correlation(SIZES[:2], [0.1, 0.2])


def test_scale_correlation_p_value_is_exact_for_few_models():
    # 4 models in perfect order: of the 4! = 24 orderings only this one and its reverse are as
    # extreme, so p = 2/24. scipy's asymptotic spearmanr says p = 0 here.
    sizes = [1.6e8, 4.1e8, 1.0e9, 2.8e9]
    result = scale_correlation(sizes, [0.25, 0.27, 0.31, 0.40])
    assert result.spearman_rho == pytest.approx(1.0)
    assert result.spearman_p == pytest.approx(2 / 24)
    falling = scale_correlation(sizes, [0.40, 0.31, 0.27, 0.25])
    assert falling.spearman_rho == pytest.approx(-1.0) and falling.spearman_p == pytest.approx(2 / 24)
    # ties and 8 models: the same exact permutation p-value as helpers.analysis.inference
    values = [0.25, 0.24, 0.27, 0.27, 0.25, 0.28, 0.27, 0.30]
    assert scale_correlation(SIZES, values).spearman_p == pytest.approx(spearman_exact(SIZES, values)[1])
    assert scale_correlation(SIZES, np.log10(SIZES)).spearman_p == pytest.approx(2 / math.factorial(8))
