"""What n can decide: power, sample sizes and minimum detectable effects (``STATISTICS.md``).

An interval that merely contains 0 is ``inconclusive``, and the claims table prints the
minimum detectable effect (MDE) for its n: the smallest true effect the test would detect with
probability ``power`` at level ``alpha``.

* One proportion against chance (:func:`mde_one_proportion`, :func:`n_one_proportion`,
  :func:`power_one_proportion`): ``statsmodels.stats.power.NormalIndPower`` (one sample:
  ``ratio=0``) on Cohen's h, ``h = 2 asin(sqrt(p1)) - 2 asin(sqrt(p0))``
  (``statsmodels.stats.proportion.proportion_effectsize``; Cohen 1988, ch. 6). This is the
  normal approximation: for 25% vs 20% at 80% power it gives 546 items two-sided (431
  one-sided) where the exact binomial test needs about 588 (463); at 40 items it gives power
  0.19 one-sided where the exact test has 0.16. Treat it as a few to ~10% optimistic.
* Two paired proportions (McNemar; :func:`mde_paired_proportions`,
  :func:`n_paired_proportions`): Connor (1987), Biometrics 43:207-211,
  ``n = (z_a sqrt(psi) + z_b sqrt(psi - d^2))^2 / d^2`` with ``psi`` the share of discordant
  items and ``d`` the difference of the two accuracies; the MDE solves it for ``d``
  (about ``(z_a + z_b) sqrt(psi / n)``). :func:`mde_paired_floor` is the smallest ``d`` any
  discordance allows (``psi = d``); :func:`mde_paired_observed` floors the observed ``psi`` by it.
* A slope (:func:`mde_slope`): ``(z_{1-a/2} + z_power) * se``; the power of the "flat" test
  at a true slope of 0 (:func:`power_flat`).

Units: proportions and differences of proportions in [0, 1]; slopes in proportion per decade.
An effect no proportion in [0, 1] can reach gives ``math.inf``. Bad input raises
:class:`~helpers.analysis.verdicts.InferenceError` (a ``ValueError``).
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.power import NormalIndPower
from statsmodels.stats.proportion import proportion_effectsize

from helpers.analysis.verdicts import InferenceError, check_level

__all__ = [
    "mde_one_proportion",
    "n_one_proportion",
    "power_one_proportion",
    "mde_paired_proportions",
    "mde_paired_floor",
    "mde_paired_observed",
    "n_paired_proportions",
    "mde_slope",
    "power_flat",
]

ALTERNATIVES = ("two-sided", "smaller", "larger")
"""statsmodels' names: "smaller" means H1 ``p1 < p0`` (below chance), "larger" ``p1 > p0``."""
POWER = 0.8
"""The power of every minimum detectable effect and sample size."""


def _check_alternative(alternative: str) -> str:
    if alternative not in ALTERNATIVES:
        raise InferenceError(f"alternative must be one of {ALTERNATIVES} (statsmodels' names); got {alternative!r}.")
    return alternative


def _check_n(n, name: str = "n") -> float:
    ok = isinstance(n, Real) and not isinstance(n, bool) and math.isfinite(n)
    if not ok or n < 1:
        raise InferenceError(f"{name} must be a number of items >= 1; got {n!r}.")
    return float(n)


def _z(alpha: float, power: float) -> float:
    """``z_{1-alpha/2} + z_power``."""
    return float(stats.norm.ppf(1.0 - alpha / 2.0) + stats.norm.ppf(power))


def _p1_for_h(p0: float, h: float) -> float:
    """The proportion ``p1`` with ``proportion_effectsize(p1, p0) == h``; NaN if out of [0, 1]."""
    target = lambda p1: float(proportion_effectsize(p1, p0)) - h  # noqa: E731
    low, high = (0.0, p0) if h < 0 else (p0, 1.0)
    if target(low) * target(high) > 0:
        return math.nan
    return float(optimize.brentq(target, low, high, xtol=1e-12))


def mde_one_proportion(n, p0, alpha=0.05, power=POWER, alternative="two-sided") -> float:
    """Smallest ``|p1 - p0|`` a test of one proportion on ``n`` items detects with ``power``.

    Solves ``NormalIndPower().solve_power`` (``ratio=0``: one sample) for Cohen's h, then
    ``proportion_effectsize(p1, p0) = h`` for ``p1`` numerically: below ``p0`` for
    "smaller", above for "larger", the closer of the two for "two-sided". Returns a
    difference of proportions; ``math.inf`` when no ``p1`` in [0, 1] is detectable.
    """
    n, p0 = _check_n(n), check_level(p0, "p0")
    alpha, power = check_level(alpha, "alpha"), check_level(power, "power")
    alternative = _check_alternative(alternative)
    h = abs(
        float(
            NormalIndPower().solve_power(
                effect_size=None, nobs1=n, alpha=alpha, power=power, ratio=0, alternative=alternative
            )
        )
    )
    sides = {"smaller": (-1,), "larger": (1,), "two-sided": (-1, 1)}[alternative]
    gaps = [abs(p1 - p0) for p1 in (_p1_for_h(p0, sign * h) for sign in sides) if not math.isnan(p1)]
    return min(gaps) if gaps else math.inf


def _effect(p0, p1, alternative) -> float:
    p0, p1 = check_level(p0, "p0"), check_level(p1, "p1")
    if p0 == p1:
        raise InferenceError(f"p1 equals p0 ({p0}): no effect to detect; pick a p1 different from p0.")
    if (alternative == "smaller" and p1 > p0) or (alternative == "larger" and p1 < p0):
        raise InferenceError(f"p1 = {p1} is on the wrong side of p0 = {p0} for alternative {alternative!r}.")
    return float(proportion_effectsize(p1, p0))


def n_one_proportion(p0, p1, alpha=0.05, power=POWER, alternative="two-sided") -> int:
    """Items needed to tell ``p1`` from ``p0`` with ``power`` at level ``alpha`` (rounded up).

    ``NormalIndPower().solve_power(nobs1=None, ratio=0)`` on Cohen's h (normal
    approximation; see the module note: 546 for 0.25 vs 0.20 two-sided, exact binomial ~588).
    """
    alpha, power = check_level(alpha, "alpha"), check_level(power, "power")
    alternative = _check_alternative(alternative)
    h = _effect(p0, p1, alternative)
    n = NormalIndPower().solve_power(
        effect_size=h, nobs1=None, alpha=alpha, power=power, ratio=0, alternative=alternative
    )
    return int(math.ceil(float(n) - 1e-9))


def power_one_proportion(n, p0, p1, alpha=0.05, alternative="two-sided") -> float:
    """Power of a one-proportion test of ``p0`` on ``n`` items when the truth is ``p1``.

    ``NormalIndPower().power(ratio=0)`` on Cohen's h (normal approximation: at 40 items, 0.25
    vs 0.20 one-sided, 0.19 where the exact binomial test has 0.16).
    """
    n, alpha = _check_n(n), check_level(alpha, "alpha")
    alternative = _check_alternative(alternative)
    h = _effect(p0, p1, alternative)
    return float(NormalIndPower().power(effect_size=h, nobs1=n, alpha=alpha, ratio=0, alternative=alternative))


def _connor_n(difference: float, discordant: float, alpha: float, power: float) -> float:
    za, zb = float(stats.norm.ppf(1.0 - alpha / 2.0)), float(stats.norm.ppf(power))
    d2 = difference * difference
    return (za * math.sqrt(discordant) + zb * math.sqrt(discordant - d2)) ** 2 / d2


def n_paired_proportions(difference, discordant, alpha=0.05, power=POWER) -> int:
    """Items needed for a two-sided McNemar test to detect a paired ``difference`` of accuracy.

    ``discordant``: expected share of items the two conditions disagree on (in (0, 1]);
    needs ``0 < |difference| <= discordant``. Connor (1987), rounded up. STATISTICS.md:
    0.20 vs 0.25 at 10/20/30% discordant -> 312 / 626 / 940.
    """
    discordant = _check_share(discordant)
    alpha, power = check_level(alpha, "alpha"), check_level(power, "power")
    ok = isinstance(difference, Real) and math.isfinite(difference)
    if not ok or not 0 < abs(difference) <= discordant:
        raise InferenceError(
            f"difference must satisfy 0 < |difference| <= discordant ({discordant}); got {difference!r}."
        )
    return int(math.ceil(_connor_n(abs(float(difference)), discordant, alpha, power) - 1e-9))


def _check_share(discordant) -> float:
    ok = isinstance(discordant, Real) and not isinstance(discordant, bool)
    if not ok or not 0 < discordant <= 1:
        raise InferenceError(f"discordant must be a share of items in (0, 1]; got {discordant!r}.")
    return float(discordant)


def mde_paired_proportions(n, discordant, alpha=0.05, power=POWER) -> float:
    """Smallest paired difference of accuracy a two-sided McNemar test on ``n`` items detects.

    Solves Connor's (1987) sample-size formula for ``d`` in ``(0, discordant]``
    (approximately ``(z_{1-a/2} + z_power) * sqrt(discordant / n)``); ``math.inf`` when even
    ``d = discordant`` (every discordant item going one way) is not detectable.
    """
    n, discordant = _check_n(n), _check_share(discordant)
    alpha, power = check_level(alpha, "alpha"), check_level(power, "power")
    needed = lambda d: _connor_n(d, discordant, alpha, power) - n  # noqa: E731
    if needed(discordant) > 0:
        return math.inf
    return float(optimize.brentq(needed, 1e-12 * discordant, discordant, xtol=1e-12))


def mde_paired_floor(n, alpha=0.05, power=POWER) -> float:
    """Smallest paired difference a two-sided McNemar test on ``n`` items can detect at all.

    That is when every discordant item goes one way (``discordant = difference``): Connor's
    (1987) formula becomes ``(z_{1-a/2} + z_power * sqrt(1 - d))**2 / d = n``, solved for ``d``
    (about ``7.85 / n``: 1.6 points on 500 items). The exact test also needs at least
    ``k = ceil(log2(2 / alpha))`` one-way flips to reject at all (6 at 5%: ``2 * 0.5**6 = 0.031``),
    so the floor is at least ``k / n``; ``math.inf`` when ``n < k``. A best case: the MDE at
    any observed discordance is at least this.
    """
    n = _check_n(n)
    alpha, power = check_level(alpha, "alpha"), check_level(power, "power")
    exact_minimum = math.ceil(math.log2(2.0 / alpha) - 1e-12)
    needed = lambda d: _connor_n(d, d, alpha, power) - n  # noqa: E731
    if n < exact_minimum or needed(1.0) > 0:
        return math.inf
    return max(float(optimize.brentq(needed, 1e-12, 1.0, xtol=1e-12)), exact_minimum / n)


def mde_paired_observed(n, discordant, alpha=0.05, power=POWER) -> float:
    """MDE of a McNemar test on ``n`` items at the observed discordant share, floored.

    A share below :func:`mde_paired_floor` (few or no items changed) would make every effect
    look undetectable; the floor asks instead for the smallest effect the items could show.
    ``discordant`` in [0, 1]. Used by the scaling views, claim 4a and the swap verdicts.
    """
    ok = isinstance(discordant, Real) and not isinstance(discordant, bool) and 0.0 <= discordant <= 1.0
    if not ok:
        raise InferenceError(f"discordant must be a share in [0, 1]; got {discordant!r}.")
    floor = mde_paired_floor(n, alpha, power)
    if math.isinf(floor):
        return math.inf
    if discordant <= floor:
        return floor  # = mde_paired_proportions(n, floor), without its rounding at the boundary
    return mde_paired_proportions(n, float(discordant), alpha, power)


def mde_slope(se, alpha=0.05, power=POWER, df=None) -> float:
    """Smallest slope a two-sided test detects: ``(z_{1-alpha/2} + z_power) * se``.

    ``se`` in proportion per decade (a :class:`~helpers.analysis.trend.Slope`'s ``se``); a
    NaN ``se`` (no interval could be made) gives NaN. ``df``: residual degrees of freedom when
    the slope's interval is a t interval (WLS on a few models): t quantiles replace z, as in
    the interval itself (``(t_{1-alpha/2, df} + t_{power, df}) * se``; Cohen 1988, ch. 9).
    """
    alpha, power = check_level(alpha, "alpha"), check_level(power, "power")
    if not isinstance(se, Real) or isinstance(se, bool) or se < 0:
        raise InferenceError(f"se must be a standard error >= 0 (or NaN); got {se!r}.")
    if math.isnan(se):  # no interval (e.g. a family of two models, zero residual df): no MDE either
        return math.nan
    if df is not None and (isinstance(df, bool) or not isinstance(df, (int, np.integer)) or df < 1):
        raise InferenceError(f"df must be a positive integer (or None for a normal interval); got {df!r}.")
    if df is None:
        return _z(alpha, power) * float(se)
    return float(stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df)) * float(se)


def power_flat(se, margin, df=None, alpha=0.05) -> float:
    """Power of the "flat" test (TOST at ``alpha``: the ``1 - 2 alpha`` interval inside ``±margin``)
    when the true slope is exactly 0: ``P(|b| < margin - q se) = 2 F((margin - q se)/se) - 1`` with
    ``b / se`` following t on ``df`` (normal when ``df`` is None) and ``q`` its ``1 - alpha`` quantile;
    0 when the interval is wider than the margin whatever the estimate. NaN ``se``: NaN.
    """
    alpha = check_level(alpha, "alpha")
    if not isinstance(se, Real) or isinstance(se, bool) or se < 0:
        raise InferenceError(f"se must be a standard error >= 0 (or NaN); got {se!r}.")
    if not isinstance(margin, Real) or not margin > 0:
        raise InferenceError(f"margin must be a positive number; got {margin!r}.")
    if math.isnan(se):
        return math.nan
    if se == 0:
        return 1.0
    law = stats.norm if df is None else stats.t(df)
    room = float(margin) / float(se) - float(law.ppf(1 - alpha))
    return max(0.0, 2.0 * float(law.cdf(room)) - 1.0)
