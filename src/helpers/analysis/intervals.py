"""Confidence intervals and significance tests for accuracies and mean metrics.

* :func:`wilson_interval`: score interval for a binomial proportion (accuracy ``k / n``),
  computed by ``statsmodels.stats.proportion.proportion_confint(method="wilson")``.
* :func:`harness_stderr`: the standard error lm-evaluation-harness prints next to an
  accuracy (sample standard deviation / sqrt(n)), to compare with published numbers.
* :func:`bootstrap_mean_ci`: seeded, deterministic bootstrap interval of a mean (scipy).
* :func:`binomial_test_vs_chance`: exact binomial test of ``k / n`` against a chance rate.
* :func:`relative_change`: ``(b - a) / a``.

Bad input raises :class:`helpers.analysis.metrics.MetricError`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from helpers.analysis.metrics import MetricError
from helpers.analysis.resampling import check_resamples


@dataclass(frozen=True)
class Interval:
    """A two-sided confidence interval ``[low, high]`` at level ``confidence``."""

    low: float
    high: float
    confidence: float


def _check_confidence(confidence: float) -> float:
    if not (isinstance(confidence, (int, float)) and 0.0 < confidence < 1.0):
        raise MetricError(f"confidence must be a number in (0, 1), e.g. 0.95; got {confidence!r}.")
    return float(confidence)


def _check_counts(k, n) -> tuple[int, int]:
    if isinstance(k, bool) or isinstance(n, bool) or int(k) != k or int(n) != n:
        raise MetricError(f"k and n must be integer counts; got k={k!r}, n={n!r}.")
    k, n = int(k), int(n)
    if n <= 0:
        raise MetricError(f"n must be a positive number of trials; got n={n}.")
    if not 0 <= k <= n:
        raise MetricError(f"k must lie in 0..n; got k={k}, n={n}.")
    return k, n


def wilson_interval(k: int, n: int, confidence: float = 0.95) -> Interval:
    """Wilson score interval for ``k`` successes out of ``n`` trials.

    Computed by ``statsmodels.stats.proportion.proportion_confint(k, n, alpha, method="wilson")``
    (Wilson 1927). At ``k = 0`` (``k = n``) the lower (upper) bound is exactly 0 (1); it is set
    so, because the library's floating-point value can miss it by ~1e-17.
    """
    k, n = _check_counts(k, n)
    confidence = _check_confidence(confidence)
    low, high = proportion_confint(k, n, alpha=1.0 - confidence, method="wilson")
    low = 0.0 if k == 0 else max(0.0, float(low))
    high = 1.0 if k == n else min(1.0, float(high))
    return Interval(low=low, high=high, confidence=confidence)


def harness_stderr(k: int, n: int) -> float:
    """lm-evaluation-harness's stderr of an accuracy: ``sqrt(p(1 - p) / (n - 1))``, ``p = k/n``.

    (The harness takes the sample standard deviation of the 0/1 scores, ``ddof=1``, over
    ``sqrt(n)``.) Needs ``n >= 2``.
    """
    k, n = _check_counts(k, n)
    if n < 2:
        raise MetricError(f"harness_stderr needs n >= 2 items; got n={n}.")
    p = k / n
    return math.sqrt(p * (1.0 - p) / (n - 1))


def bootstrap_mean_ci(
    values,
    n_resamples: int = 2000,
    confidence: float = 0.95,
    seed: int = 0,
    method: str = "percentile",
) -> Interval:
    """Bootstrap confidence interval of the mean of ``values`` (1-D), seeded and deterministic.

    Uses ``scipy.stats.bootstrap`` with ``method`` ``"percentile"`` (default, robust for 0/1
    data), ``"basic"`` or ``"BCa"``. If every value is equal the interval is that value.
    """
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size < 2:
        raise MetricError(f"values must be 1-D with at least 2 entries; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        bad = int(np.argmax(~np.isfinite(array)))
        raise MetricError(f"values[{bad}] is not finite; drop or fix it first.")
    check_resamples(n_resamples, name="n_resamples", allow_zero=False, error=MetricError)
    if method not in ("percentile", "basic", "BCa"):
        raise MetricError(f"method must be 'percentile', 'basic' or 'BCa'; got {method!r}.")
    confidence = _check_confidence(confidence)
    if np.all(array == array[0]):
        return Interval(low=float(array[0]), high=float(array[0]), confidence=confidence)
    result = stats.bootstrap(
        (array,),
        np.mean,
        n_resamples=int(n_resamples),
        confidence_level=confidence,
        method=method,
        vectorized=True,
        rng=np.random.default_rng(seed),
    )
    interval = result.confidence_interval
    return Interval(low=float(interval.low), high=float(interval.high), confidence=confidence)


@dataclass(frozen=True)
class BinomialTestResult:
    """Exact binomial test of an observed rate ``k / n`` against ``p_chance``."""

    k: int
    n: int
    observed: float
    p_chance: float
    pvalue_two_sided: float
    pvalue_less: float  # H1: true rate < p_chance (below chance)
    pvalue_greater: float  # H1: true rate > p_chance (above chance)


def binomial_test_vs_chance(k: int, n: int, p_chance: float) -> BinomialTestResult:
    """Exact binomial test (``scipy.stats.binomtest``) of ``k`` successes in ``n`` vs ``p_chance``."""
    k, n = _check_counts(k, n)
    if not (isinstance(p_chance, (int, float)) and 0.0 < p_chance < 1.0):
        raise MetricError(f"p_chance must be in (0, 1), e.g. 0.25 for 4 choices; got {p_chance!r}.")
    p_chance = float(p_chance)
    return BinomialTestResult(
        k=k,
        n=n,
        observed=k / n,
        p_chance=p_chance,
        pvalue_two_sided=float(stats.binomtest(k, n, p_chance, alternative="two-sided").pvalue),
        pvalue_less=float(stats.binomtest(k, n, p_chance, alternative="less").pvalue),
        pvalue_greater=float(stats.binomtest(k, n, p_chance, alternative="greater").pvalue),
    )


def relative_change(a, b):
    """Relative change from ``a`` to ``b``: ``(b - a) / a`` (scalars or arrays; ``a`` != 0)."""
    a_array = np.asarray(a, dtype=np.float64)
    b_array = np.asarray(b, dtype=np.float64)
    if np.any(a_array == 0):
        raise MetricError(f"relative_change is undefined for a == 0 (a={a!r}); report b - a instead.")
    if np.isnan(a_array).any() or np.isnan(b_array).any():
        raise MetricError(f"relative_change got NaN (a={a!r}, b={b!r}).")
    change = (b_array - a_array) / a_array
    return float(change) if change.ndim == 0 else change
