"""Tests of helpers.analysis.power against closed forms and the exact binomial test.

The module uses the normal approximation on Cohen's h; STATISTICS.md quotes exact-binomial
numbers (588 two-sided, 463 one-sided items for 25% vs 20%; power 0.16 at 40 items, one-sided).
Those are checked with a stated tolerance, and the exact one-sided numbers are recomputed here
from scipy.stats.binom so the gap is visible.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from helpers.analysis.power import (
    mde_one_proportion,
    mde_paired_floor,
    mde_paired_observed,
    mde_paired_proportions,
    mde_slope,
    n_one_proportion,
    n_paired_proportions,
    power_one_proportion,
)
from helpers.analysis.verdicts import InferenceError

Z975, Z95, Z80 = stats.norm.ppf(0.975), stats.norm.ppf(0.95), stats.norm.ppf(0.80)


def cohen_h(p1, p0):
    return 2 * math.asin(math.sqrt(p1)) - 2 * math.asin(math.sqrt(p0))


def exact_one_sided_power(n, p0=0.25, p1=0.20, alpha=0.05):
    """Power of the exact one-sided binomial test 'below p0' (reject when K <= c)."""
    n = np.atleast_1d(n)
    ks = np.arange(n.max() + 1)
    cdf0 = stats.binom.cdf(ks[None, :], n[:, None], p0)
    cdf0[ks[None, :] > n[:, None]] = np.inf
    critical = (cdf0 <= alpha).sum(axis=1) - 1  # largest c with P(K <= c | p0) <= alpha
    return stats.binom.cdf(critical, n, p1)


def test_n_one_proportion_closed_form_and_exact_gap():
    h = cohen_h(0.20, 0.25)
    assert n_one_proportion(0.25, 0.20) == math.ceil((Z975 + Z80) ** 2 / h**2) == 546
    assert n_one_proportion(0.25, 0.20, alternative="smaller") == math.ceil((Z95 + Z80) ** 2 / h**2) == 431
    # exact binomial (STATISTICS.md): ~588 two-sided, ~463 one-sided; normal approx ~7% lower
    assert abs(546 - 588) / 588 < 0.10
    # the exact power is saw-toothed: first reaches 80% at 437, stays above from 463 on
    ns = np.arange(300, 700)
    reached = exact_one_sided_power(ns) >= 0.8
    first, stays = int(ns[np.argmax(reached)]), int(ns[len(ns) - np.argmax(~reached[::-1])])
    assert (first, stays) == (437, 463)
    assert abs(n_one_proportion(0.25, 0.20, alternative="smaller") - stays) / stays < 0.10


def test_power_one_proportion_at_forty_items():
    h = abs(cohen_h(0.20, 0.25))
    normal = stats.norm.cdf(h * math.sqrt(40) - Z95)
    assert power_one_proportion(40, 0.25, 0.20, alternative="smaller") == pytest.approx(normal, rel=1e-9)
    exact = float(exact_one_sided_power(40)[0])
    assert exact == pytest.approx(0.16, abs=0.01)  # STATISTICS.md
    assert power_one_proportion(40, 0.25, 0.20, alternative="smaller") == pytest.approx(exact, abs=0.05)
    two = stats.norm.cdf(h * math.sqrt(40) - Z975) + stats.norm.cdf(-h * math.sqrt(40) - Z975)
    assert power_one_proportion(40, 0.25, 0.20) == pytest.approx(two, rel=1e-6)


def test_mde_one_proportion_inverts_cohens_h():
    n, p0 = 1064, 0.25
    h = (Z975 + Z80) / math.sqrt(n)  # ignoring the far tail (tiny at this n)
    below = p0 - math.sin(math.asin(math.sqrt(p0)) - h / 2) ** 2
    above = math.sin(math.asin(math.sqrt(p0)) + h / 2) ** 2 - p0
    assert mde_one_proportion(n, p0) == pytest.approx(min(below, above), rel=1e-4)
    h1 = (Z95 + Z80) / math.sqrt(n)
    smaller = p0 - math.sin(math.asin(math.sqrt(p0)) - h1 / 2) ** 2
    assert mde_one_proportion(n, p0, alternative="smaller") == pytest.approx(smaller, rel=1e-6)
    larger = math.sin(math.asin(math.sqrt(p0)) + h1 / 2) ** 2 - p0
    assert mde_one_proportion(n, p0, alternative="larger") == pytest.approx(larger, rel=1e-6)
    # round trip: at p0 - mde the power is 80%
    mde = mde_one_proportion(200, p0, alternative="smaller")
    assert power_one_proportion(200, p0, p0 - mde, alternative="smaller") == pytest.approx(0.8, abs=1e-6)


def test_mde_one_proportion_small_n_is_infinite_not_a_crash():
    assert mde_one_proportion(1, 0.25) == math.inf  # no p1 in [0, 1] is detectable with one item
    assert mde_one_proportion(1, 0.5, alternative="larger") == math.inf  # needs h = 2.49 > pi/2
    h = (Z95 + Z80) / math.sqrt(4)  # 1.24 < pi/2: reachable
    expected = math.sin(math.pi / 4 + h / 2) ** 2 - 0.5
    assert mde_one_proportion(4, 0.5, alternative="larger") == pytest.approx(expected, rel=1e-6)
    assert mde_one_proportion(40, 0.25) > mde_one_proportion(400, 0.25) > mde_one_proportion(4000, 0.25)


def test_paired_sample_sizes_match_statistics_md():
    assert [n_paired_proportions(0.05, share) for share in (0.1, 0.2, 0.3)] == [312, 626, 940]
    # Connor (1987) by hand for 10%
    expected = (Z975 * math.sqrt(0.1) + Z80 * math.sqrt(0.1 - 0.0025)) ** 2 / 0.0025
    assert n_paired_proportions(-0.05, 0.1) == math.ceil(expected)


def test_mde_paired_proportions():
    assert mde_paired_proportions(312, 0.1) == pytest.approx(0.05, abs=2e-4)
    approx = (Z975 + Z80) * math.sqrt(0.2 / 1064)
    assert mde_paired_proportions(1064, 0.2) == pytest.approx(approx, rel=0.02)
    assert mde_paired_proportions(3, 0.1) == math.inf


def test_mde_paired_floor_solves_connor_with_every_discordant_item_one_way():
    for n in (40, 500, 2500):
        d = mde_paired_floor(n)
        assert (Z975 + Z80 * math.sqrt(1 - d)) ** 2 / d == pytest.approx(n, rel=1e-9)  # Connor with psi = d
    assert mde_paired_floor(500) == pytest.approx(0.0156, abs=2e-4)  # about (1.96 + 0.84)^2 / 500
    assert mde_paired_floor(3) == math.inf  # even d = 1 needs 3.84 items
    # the exact two-sided test cannot reject at 5% with 5 one-way flips (p = 2 / 2**5 = 0.0625)
    assert mde_paired_floor(5) == math.inf and math.isfinite(mde_paired_floor(6))


def test_mde_paired_observed_floors_a_tiny_discordance():
    floor = mde_paired_floor(500)
    assert mde_paired_observed(500, 0.0) == pytest.approx(floor)  # no item changed: not "undetectable"
    assert mde_paired_observed(500, 0.004) == pytest.approx(floor)
    assert mde_paired_observed(500, 0.2) == mde_paired_proportions(500, 0.2)
    assert mde_paired_observed(2, 0.5) == math.inf
    for bad in (1.5, -0.1, math.nan, True):
        for n in (2, 500):  # checked before the floor, also where no effect is detectable
            with pytest.raises(InferenceError, match="discordant"):
                mde_paired_observed(n, bad)
    just_above = mde_paired_floor(500) * 1.05
    assert floor < mde_paired_observed(500, just_above) < just_above  # continuous above the floor


def test_mde_slope():
    assert mde_slope(0.01) == pytest.approx((Z975 + Z80) * 0.01)
    assert mde_slope(0.0) == 0.0
    assert math.isnan(mde_slope(math.nan))


def test_mde_slope_with_few_models_uses_t_quantiles():
    # 6 residual df (8 models, WLS): t_{0.975,6} = 2.4469, t_{0.8,6} = 0.9057 (printed tables)
    assert mde_slope(0.01, df=6) == pytest.approx((2.4469 + 0.9057) * 0.01, abs=1e-5)
    assert mde_slope(0.01, df=6) > mde_slope(0.01)  # z would promise more than the t interval delivers
    with pytest.raises(InferenceError, match="df"):
        mde_slope(0.01, df=0)


@pytest.mark.parametrize(
    "call",
    [
        lambda: n_one_proportion(0.25, 0.25),
        lambda: n_one_proportion(0.0, 0.2),
        lambda: n_one_proportion(0.25, 0.30, alternative="smaller"),
        lambda: n_one_proportion(0.25, 0.20, alternative="less"),
        lambda: power_one_proportion(0, 0.25, 0.2),
        lambda: power_one_proportion(math.nan, 0.25, 0.2),
        lambda: mde_one_proportion(100, 1.0),
        lambda: mde_one_proportion(100, 0.25, power=1.0),
        lambda: n_paired_proportions(0.2, 0.1),
        lambda: n_paired_proportions(0.0, 0.1),
        lambda: mde_paired_proportions(100, 0.0),
        lambda: mde_slope(-0.01),
    ],
)
def test_bad_input_raises(call):
    with pytest.raises(ValueError):
        call()


def test_power_flat_by_hand_and_by_simulation():
    """se 0.004, margin 0.01, normal: room = 2.5 - 1.645 = 0.855 -> power 2 Phi(0.855) - 1 = 0.607."""
    from scipy import stats as st

    from helpers.analysis.power import power_flat

    assert power_flat(0.004, 0.01) == pytest.approx(2 * st.norm.cdf(0.01 / 0.004 - st.norm.ppf(0.95)) - 1)
    rng = np.random.default_rng(0)
    b = rng.normal(0, 0.004, 20_000)  # a truly flat slope's estimates
    flat = np.mean((b - 1.645 * 0.004 > -0.01) & (b + 1.645 * 0.004 < 0.01))
    assert power_flat(0.004, 0.01) == pytest.approx(flat, abs=0.01)
    assert power_flat(0.0065, 0.01, df=6) == 0.0  # the 90% interval is wider than the margin whatever b is
    assert math.isnan(power_flat(math.nan, 0.01))
