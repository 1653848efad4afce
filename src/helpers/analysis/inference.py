"""Tests and intervals behind the report's verdicts (see ``STATISTICS.md``, rules 1, 3, 4).

* :func:`binomial_vs_chance`: exact binomial test vs chance, Clopper-Pearson interval (scipy).
* :func:`holm`, :func:`chance_family`: Holm's correction over a named family (statsmodels).
* :func:`mcnemar_change`, :func:`equivalence_paired_proportions`: paired 0/1 change: exact
  McNemar p-value (statsmodels), Newcombe (1998, method 10) interval of the difference.
* :func:`paired_mean_change`: paired change of a continuous per-item value (per-token loss):
  BCa bootstrap intervals (``scipy.stats.bootstrap(paired=True)``), Wilcoxon p-value.
* :func:`spearman_exact`: Spearman's rho, exact permutation p-value for n <= 10.

Units: accuracies and their differences are proportions in [0, 1] (differences in [-1, 1]);
relative changes are fractions (-0.31 is a 31% fall). Bad input raises
:class:`~helpers.analysis.verdicts.InferenceError` (a ``ValueError``, re-exported here) naming
the value and the fix.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.contingency_tables import mcnemar
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from helpers.analysis.paired import PairedChange, PairedMeanChange, paired_mean_change, relative_fall_within
from helpers.analysis.verdicts import (
    InferenceError,
    as_binary,
    as_finite,
    check_count,
    check_counts,
    check_level,
    same_length,
)

__all__ = [
    "InferenceError",
    "ProportionTest",
    "binomial_vs_chance",
    "holm",
    "rejects",
    "chance_family",
    "PairedProportionChange",
    "newcombe_paired_interval",
    "mcnemar_change",
    "equivalence_paired_proportions",
    "PairedMeanChange",
    "paired_mean_change",
    "spearman_exact",
    "relative_fall_within",
]

ALTERNATIVES = ("two-sided", "less", "greater")
EXACT_SPEARMAN_MAX_N = 10


# --------------------------------------------------------------------------- one proportion


@dataclass(frozen=True)
class ProportionTest:
    """Exact binomial test of ``k / n`` against ``null``; ``[low, high]`` is two-sided."""

    k: int
    n: int
    estimate: float
    low: float
    high: float
    pvalue: float
    alternative: str
    null: float


def binomial_vs_chance(k, n, chance, alternative="less", confidence=0.95) -> ProportionTest:
    """Exact binomial test of ``k`` correct out of ``n`` against the rate ``chance``.

    ``alternative`` is the H1 for the true rate: ``"less"`` (below chance, the default),
    ``"greater"`` or ``"two-sided"``. The interval is the two-sided Clopper-Pearson interval
    (``binomtest(...).proportion_ci(method="exact")``) whatever ``alternative`` is.
    Proportions are in [0, 1]. Source: Clopper & Pearson (1934); scipy.stats.binomtest.
    """
    k, n = check_counts(k, n)
    chance = check_level(chance, "chance")
    confidence = check_level(confidence)
    if alternative not in ALTERNATIVES:
        raise InferenceError(f"alternative must be one of {ALTERNATIVES}; got {alternative!r}.")
    pvalue = float(stats.binomtest(k, n, chance, alternative=alternative).pvalue)
    ci = stats.binomtest(k, n, chance).proportion_ci(confidence_level=confidence, method="exact")
    return ProportionTest(k, n, k / n, float(ci.low), float(ci.high), min(pvalue, 1.0), alternative, chance)


def holm(pvalues, alpha=0.05) -> tuple[np.ndarray, np.ndarray]:
    """Holm step-down correction; returns ``(reject, adjusted_p)`` aligned with ``pvalues``.

    NaN p-values (tests not run) are left out of the family: reject False, adjusted NaN.
    ``reject`` is :func:`rejects` of the adjusted p-values (``<= alpha``).
    Source: Holm (1979); ``statsmodels.stats.multitest.multipletests(method="holm")``, which
    runs ``gc.collect()`` on every call (~0.1 s in a loaded process): in a simulation loop,
    wrap the loop in ``gc.freeze()`` / ``gc.unfreeze()``.
    """
    alpha = check_level(alpha, "alpha")
    p = np.asarray(pvalues, dtype=np.float64)
    if p.ndim != 1 or p.size == 0:
        raise InferenceError(f"pvalues must be a non-empty 1-D sequence; got shape {p.shape}.")
    present = ~np.isnan(p)
    if np.any((p[present] < 0) | (p[present] > 1)):
        raise InferenceError(f"p-values must lie in [0, 1] (or be NaN for 'not run'); got {p.tolist()}.")
    adjusted = np.full(p.size, np.nan)
    if present.any():
        adjusted[present] = multipletests(p[present], alpha=alpha, method="holm")[1]
    return rejects(adjusted, alpha), adjusted


def rejects(adjusted, alpha=0.05) -> np.ndarray:
    """The one rejection rule of the report: reject when the (Holm-)adjusted p-value is ``<= alpha``.

    statsmodels' convention (``multipletests`` rejects ``p <= alpha / (m - i)``); NaN (test not
    run) never rejects. Every caller that holds adjusted p-values decides through this function,
    so a p-value exactly at ``alpha`` is significant everywhere or nowhere.
    """
    alpha = check_level(alpha, "alpha")
    adjusted = np.asarray(adjusted, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        return np.where(np.isnan(adjusted), False, adjusted <= alpha)


def chance_family(table: pd.DataFrame, chance, alternative="less", alpha=0.05) -> pd.DataFrame:
    """Exact binomial test of every model against ``chance``, Holm-corrected across the rows.

    ``table`` has columns ``model``, ``k``, ``n``: one row per model, each model once (the
    rows are the family; counting a model once across families is the caller's job).
    Returns a copy with ``estimate, low, high`` (Clopper-Pearson 95%), ``pvalue``, ``p_holm``
    and ``significant`` (Holm at ``alpha``).
    """
    missing = {"model", "k", "n"} - set(getattr(table, "columns", []))
    if missing:
        raise InferenceError(f"table needs columns model, k, n; missing {sorted(missing)}.")
    if len(table) == 0:
        raise InferenceError("table is empty; pass one row per model (model, k, n).")
    duplicated = table["model"][table["model"].duplicated()].tolist()
    if duplicated:
        raise InferenceError(f"models {duplicated} appear more than once; count each model once.")
    tests = [binomial_vs_chance(k, n, chance, alternative) for k, n in zip(table["k"], table["n"])]
    out = table.copy()
    for field in ("estimate", "low", "high", "pvalue"):
        out[field] = [getattr(test, field) for test in tests]
    out["significant"], out["p_holm"] = holm(out["pvalue"].to_numpy(), alpha)
    return out[[*table.columns, "estimate", "low", "high", "pvalue", "p_holm", "significant"]]


# --------------------------------------------------------------------------- paired 0/1


@dataclass(frozen=True)
class PairedProportionChange(PairedChange):
    """A paired change of an accuracy, ``after - before`` on the same ``n`` items.

    ``n_up`` items went wrong -> right, ``n_down`` right -> wrong; ``pvalue`` is the exact
    two-sided McNemar test; ``[low, high]`` the Newcombe (1998, method 10) interval.
    """

    pvalue: float
    n_up: int
    n_down: int


def _wilson(k: int, n: int, alpha: float) -> tuple[float, float]:
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson")
    return (0.0 if k == 0 else float(low)), (1.0 if k == n else float(high))


def newcombe_paired_interval(both, up, down, neither, confidence=0.95) -> tuple[float, float]:
    """Newcombe's hybrid score interval for ``p_after - p_before`` from the paired counts.

    ``both``: right before and after; ``up``: wrong -> right; ``down``: right -> wrong;
    ``neither``: wrong both times. Wilson limits ``(l1, u1)`` of ``p_after`` and ``(l2, u2)``
    of ``p_before`` are combined with the correlation ``phi`` of the 2x2 table::

        low  = d - sqrt((p1-l1)^2 - 2 phi (p1-l1)(u2-p2) + (u2-p2)^2)
        high = d + sqrt((p2-l2)^2 - 2 phi (p2-l2)(u1-p1) + (u1-p1)^2)

    with Newcombe's corrected numerator for phi (``A = both*neither - up*down`` becomes
    ``A - n/2`` if ``A > n/2``, 0 if ``0 <= A <= n/2``, ``A`` if ``A < 0``) and phi = 0 when
    a margin is empty. Source: Newcombe RG (1998), Improved confidence intervals for the
    difference between binomial proportions based on paired data, Stat Med 17:2635-2650,
    method 10; Fagerland, Lydersen & Laake (2014), Stat Med 33:2850 (recommended there).
    At tiny n it can exclude 0 where the exact McNemar test does not reject (2 items
    0/2 -> 2/2 give [0.07, 1], p = 0.5): decide significance on the McNemar p-value.
    """
    both, up, down, neither = (
        check_count(value, name) for value, name in zip((both, up, down, neither), ("both", "up", "down", "neither"))
    )
    n = both + up + down + neither
    if n == 0:
        raise InferenceError("the paired table is empty (n = 0); pass at least one item.")
    alpha = 1.0 - check_level(confidence)
    p1, p2 = (both + up) / n, (both + down) / n
    l1, u1 = _wilson(both + up, n, alpha)
    l2, u2 = _wilson(both + down, n, alpha)
    margins = (both + up) * (down + neither) * (both + down) * (up + neither)
    a = both * neither - up * down
    numerator = a - n / 2 if a > n / 2 else (0.0 if a >= 0 else a)
    phi = 0.0 if margins == 0 else numerator / math.sqrt(margins)
    d = p1 - p2
    low = d - math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    high = d + math.sqrt(max(0.0, (p2 - l2) ** 2 - 2 * phi * (p2 - l2) * (u1 - p1) + (u1 - p1) ** 2))
    return max(-1.0, low), min(1.0, high)


def _paired_table(before, after) -> tuple[int, int, int, int]:
    before, after = as_binary(before, "before"), as_binary(after, "after")
    same_length(before, after, "before and after")
    both, up, down = (int(np.sum((before == b) & (after == a))) for b, a in ((1, 1), (0, 1), (1, 0)))
    return both, up, down, before.size - both - up - down


def mcnemar_change(before, after, confidence=0.95) -> PairedProportionChange:
    """Paired change of accuracy from ``before`` to ``after`` (0/1 per item, same items).

    p-value: exact two-sided McNemar test, i.e. the binomial test of ``n_up`` out of the
    ``n_up + n_down`` discordant items against 1/2 (``statsmodels ... mcnemar(exact=True)``);
    1.0 when no item is discordant. Interval: :func:`newcombe_paired_interval`.
    """
    both, up, down, neither = _paired_table(before, after)
    n = both + up + down + neither
    pvalue = 1.0
    if up + down > 0:
        pvalue = float(mcnemar([[both, down], [up, neither]], exact=True).pvalue)
    low, high = newcombe_paired_interval(both, up, down, neither, confidence)
    return PairedProportionChange(
        n=n,
        before=(both + down) / n,
        after=(both + up) / n,
        difference=(up - down) / n,
        low=low,
        high=high,
        pvalue=min(pvalue, 1.0),
        n_up=up,
        n_down=down,
    )


def equivalence_paired_proportions(before, after, margin, alpha=0.05) -> dict:
    """TOST for "no change": equivalent when the ``1 - 2*alpha`` Newcombe interval of
    ``after - before`` lies inside ``(-margin, +margin)`` (margin in proportion units).

    Returns ``{"equivalent", "low", "high", "margin"}``. Source: Schuirmann (1987) TOST,
    in its confidence-interval form; Newcombe (1998) method 10 for the interval.
    """
    margin = check_level(margin, "margin")
    alpha = check_level(alpha, "alpha")
    if alpha >= 0.5:
        raise InferenceError(f"alpha must be below 0.5 for a 1 - 2*alpha interval; got {alpha}.")
    both, up, down, neither = _paired_table(before, after)
    low, high = newcombe_paired_interval(both, up, down, neither, 1.0 - 2.0 * alpha)
    return {"equivalent": bool(-margin < low and high < margin), "low": low, "high": high, "margin": margin}


# --------------------------------------------------------------------------- rank correlation


def _rank_correlation(y_ranks: np.ndarray):
    y_centred = y_ranks - y_ranks.mean()

    def statistic(x_ranks, axis=-1):
        x_centred = x_ranks - np.mean(x_ranks, axis=axis, keepdims=True)
        numerator = np.sum(x_centred * y_centred, axis=axis)
        return numerator / np.sqrt(np.sum(x_centred**2, axis=axis) * np.sum(y_centred**2))

    return statistic


def spearman_exact(x, y) -> tuple[float, float]:
    """Spearman's rho and its two-sided p-value.

    n <= 10: exact permutation distribution over all n! pairings
    (``scipy.stats.permutation_test(permutation_type="pairings", n_resamples=inf)`` on the
    average ranks, so ties are handled exactly); n > 10: ``scipy.stats.spearmanr``.
    n < 3 or a constant ``x`` or ``y`` -> ``(nan, nan)``. Four perfectly monotone points
    give rho = 1 and p = 2/24.
    """
    x, y = as_finite(x, "x"), as_finite(y, "y")
    same_length(x, y, "x and y")
    if x.size < 3 or np.all(x == x[0]) or np.all(y == y[0]):
        return math.nan, math.nan
    if x.size > EXACT_SPEARMAN_MAX_N:
        result = stats.spearmanr(x, y)
        return float(result.statistic), float(result.pvalue)
    statistic = _rank_correlation(stats.rankdata(y))
    result = stats.permutation_test(
        (stats.rankdata(x),),
        statistic,
        permutation_type="pairings",
        n_resamples=np.inf,
        vectorized=True,
        alternative="two-sided",
    )
    return float(result.statistic), float(min(result.pvalue, 1.0))
