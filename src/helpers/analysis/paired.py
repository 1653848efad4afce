"""Paired change of a continuous per-item value (e.g. the per-token loss), split from
:mod:`~helpers.analysis.inference` (which re-exports it).

* :func:`paired_mean_change`: BCa bootstrap intervals (``scipy.stats.bootstrap(paired=True)``),
  Wilcoxon p-value; :func:`relative_fall_within`: an interval inside a claimed band.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
from scipy import stats

from helpers.analysis.resampling import check_resamples
from helpers.analysis.verdicts import InferenceError, as_finite, check_level, same_length

__all__ = ["PairedChange", "PairedMeanChange", "paired_bootstrap", "paired_mean_change", "relative_fall_within"]

# --------------------------------------------------------------------------- paired continuous


@dataclass(frozen=True)
class PairedChange:
    """A paired change on the same ``n`` items: ``before`` and ``after`` (means or accuracies),
    ``difference = after - before`` and its interval ``[low, high]``."""

    n: int
    before: float
    after: float
    difference: float
    low: float
    high: float


@dataclass(frozen=True)
class PairedMeanChange(PairedChange):
    """Paired change of a per-item mean (e.g. per-token loss in nats) on ``n`` items.

    ``difference = mean(after) - mean(before)``; ``relative = mean(after)/mean(before) - 1``
    (the "fall" is ``-relative``); intervals at the requested confidence; ``pvalue`` the
    two-sided Wilcoxon signed-rank test (NaN when every difference is 0), ``rank_direction``
    the side its statistic points to (sign of ``W+ - W-``; not the sign of the median, which can
    differ); ``method`` says how the intervals were made (BCa, percentile fallback, point, or none).
    """

    relative: float
    relative_low: float
    relative_high: float
    method: str
    pvalue: float
    rank_direction: int = 0  # sign of W+ - W- of the signed-rank test: +1 rose, -1 fell, 0 balanced


def _rank_direction(diffs: np.ndarray) -> int:
    """Sign of ``W+ - W-`` (zeros dropped, ties at mean ranks, as ``scipy.stats.wilcoxon``)."""
    nonzero = diffs[diffs != 0]
    if not nonzero.size:
        return 0
    ranks = stats.rankdata(np.abs(nonzero))
    return int(np.sign(ranks[nonzero > 0].sum() - ranks[nonzero < 0].sum()))


def _difference(before, after, axis=-1):
    return np.mean(after, axis=axis) - np.mean(before, axis=axis)


def _relative(before, after, axis=-1):
    return np.mean(after, axis=axis) / np.mean(before, axis=axis) - 1.0


def paired_bootstrap(
    before, after, statistic, confidence, n_resamples, seed, batch: int | None = 250
) -> tuple[float, float, str]:
    """``(low, high, method)``: the paired bootstrap interval of ``statistic(before, after, axis)``
    (``scipy.stats.bootstrap(paired=True)``, seeded, resamples drawn ``batch`` at a time): BCa, else
    percentile when BCa is undefined (degenerate); the point itself when neither is finite."""
    for method in ("BCa", "percentile"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = stats.bootstrap(
                (before, after),
                statistic,
                paired=True,
                vectorized=True,
                method=method,
                confidence_level=confidence,
                n_resamples=n_resamples,
                batch=batch,
                rng=np.random.default_rng(seed),
            )
        low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
        if math.isfinite(low) and math.isfinite(high):
            return low, high, method
    point = float(statistic(before, after))
    return point, point, "point"


def paired_mean_change(before, after, confidence=0.95, n_resamples=2000, seed=0) -> PairedMeanChange:
    """Paired change of the mean of a continuous per-item value (same items, same order).

    Intervals: ``scipy.stats.bootstrap(paired=True, method="BCa")`` (Efron 1987), seeded;
    percentile when BCa cannot be computed (``method`` says so); the point itself when every
    difference is identical. n = 1 gives NaN intervals (``method`` "none (n = 1)"); a zero
    ``mean(before)`` gives a NaN relative change. p-value: ``scipy.stats.wilcoxon``.
    """
    before, after = as_finite(before, "before"), as_finite(after, "after")
    same_length(before, after, "before and after")
    confidence = check_level(confidence)
    check_resamples(n_resamples, name="n_resamples", allow_zero=False, error=InferenceError)
    n, diffs = before.size, after - before
    mean_before, mean_after = float(before.mean()), float(after.mean())
    relative = mean_after / mean_before - 1.0 if mean_before != 0 else math.nan
    pvalue = math.nan if np.all(diffs == 0) else float(stats.wilcoxon(diffs).pvalue)
    base = dict(
        n=n,
        before=mean_before,
        after=mean_after,
        difference=mean_after - mean_before,
        relative=relative,
        pvalue=pvalue,
        rank_direction=_rank_direction(diffs),
    )
    if n == 1:
        return PairedMeanChange(
            **base,
            low=math.nan,
            high=math.nan,
            relative_low=math.nan,
            relative_high=math.nan,
            method="none (n = 1: no interval)",
        )
    if np.all(diffs == diffs[0]) and np.all(before == before[0]):
        return PairedMeanChange(
            **base,
            low=base["difference"],
            high=base["difference"],
            relative_low=relative,
            relative_high=relative,
            method="point (all values identical)",
        )
    low, high, method = paired_bootstrap(before, after, _difference, confidence, int(n_resamples), seed)
    rel_low = rel_high = math.nan
    rel_method = "undefined (mean(before) = 0)"
    if math.isfinite(relative):
        rel_low, rel_high, rel_method = paired_bootstrap(before, after, _relative, confidence, int(n_resamples), seed)
    label = f"paired bootstrap, {n_resamples} resamples, seed {seed}: difference {method}"
    return PairedMeanChange(
        **base,
        low=low,
        high=high,
        relative_low=rel_low,
        relative_high=rel_high,
        method=f"{label}, relative {rel_method}",
    )


def relative_fall_within(interval: tuple[float, float], claimed: float, margin: float) -> bool:
    """Whether a relative-fall interval ``(low, high)`` lies in ``[claimed - margin, claimed + margin]``.

    All three in the same units (fractions: a 31% fall is 0.31). A NaN bound (no interval
    could be made) gives False: a missing interval is not inside anything.
    """
    low, high = (float(value) for value in interval)
    claimed, margin = float(claimed), float(margin)
    if not (math.isfinite(claimed) and math.isfinite(margin) and margin >= 0):
        raise InferenceError(f"claimed and margin must be finite, margin >= 0; got {claimed!r}, {margin!r}.")
    if math.isnan(low) or math.isnan(high):
        return False
    if low > high:
        raise InferenceError(f"interval must be (low, high) with low <= high; got ({low}, {high}).")
    return claimed - margin <= low and high <= claimed + margin
