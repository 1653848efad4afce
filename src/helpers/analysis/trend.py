"""A trend is a slope, not a range (``STATISTICS.md``, rules 2 and 7).

"Flat across scale" is judged on the slope of accuracy against ``log10`` of the parameter
count, with its interval, then an equivalence test against a margin per decade:

* :func:`wls_slope` / :func:`model_slope`: per-model accuracies (from aggregates or counts):
  weighted least squares whose error carries both sources of variance, the items (each model's
  binomial variance, Wilson-adjusted and pooled so no 0% model dominates) and the models (their
  scatter around the line: the residual scale, floored at 1), t intervals with ``n_models - 2``
  df; no trend from fewer than three models.
* :func:`item_slope`: per-item 0/1 correctness of every model, aggregated per model, same fit.
* :func:`slope_equivalence`: "flat" / "rising" / "falling" / "inconclusive".

Units: slopes are in proportion (accuracy in [0, 1]) per decade of parameters, i.e. per unit of
``log10 N``; +0.02 is two accuracy points more for every tenfold increase in size. Fit only
within a family (same architecture, tokenizer, recipe; differing in size only). Bad input raises
:class:`~helpers.analysis.verdicts.InferenceError` (a ``ValueError``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real

import numpy as np
import statsmodels.api as sm
from scipy import stats

from helpers.analysis.verdicts import InferenceError, as_binary, as_finite, same_length

__all__ = [
    "Slope",
    "FLAT_MARGIN",
    "MIN_MODELS",
    "item_floor",
    "wls_slope",
    "model_slope",
    "item_slope",
    "slope_equivalence",
]

FLAT_MARGIN = 0.01
"""The "flat" margin of :func:`slope_equivalence` (proportion per decade of parameters: within ±1 point per decade),
used by claim 1, the scaling chapter's published verdict and the flat-family simulation."""


@dataclass(frozen=True)
class Slope:
    """Slope of accuracy on ``log10 N`` (proportion per decade of parameters).

    ``[low, high]``: 95% interval; ``[low90, high90]``: 90% interval (the TOST at 5%).
    ``df``: residual degrees of freedom of a t interval (``None``: normal interval).
    ``n_models``: distinct model sizes; ``n_items``: distinct items (``None`` for WLS on
    aggregates). Bounds are NaN when no interval can be given, and ``note`` says why.
    """

    slope: float
    se: float
    low: float
    high: float
    low90: float
    high90: float
    df: int | None
    n_models: int
    n_items: int | None
    method: str
    note: str


def _no_interval(slope, df, n_models, n_items, method, note, se=math.nan) -> Slope:
    nan = math.nan
    return Slope(float(slope), float(se), nan, nan, nan, nan, df, n_models, n_items, method, note)


def _log_sizes(n_params) -> np.ndarray:
    sizes = as_finite(n_params, "n_params")
    if np.any(sizes <= 0):
        bad = int(np.argmax(sizes <= 0))
        raise InferenceError(f"n_params[{bad}] = {sizes[bad]!r}; parameter counts must be > 0 (e.g. 1.6e8).")
    return np.log10(sizes)


MIN_MODELS = 3
"""No trend from fewer models: two models give a paired change, not a slope (and no residual df)."""


def item_floor(accuracy: np.ndarray, n) -> np.ndarray:
    """Per-model variance the items alone imply: ``max(p_pool(1-p_pool), p~(1-p~)) / n``.

    ``p_pool`` is the family's pooled proportion and ``p~ = (k + 2)/(n + 4)`` the Wilson-adjusted
    (Agresti-Coull) proportion of the model, so a model at 0% (or 100%) keeps a variance of the
    size its neighbours have and cannot carry an inverse-variance fit (STATISTICS.md, rule 2).
    """
    counts = as_finite(np.broadcast_to(np.asarray(n, dtype=float), accuracy.shape), "n")
    if np.any(counts < 1) or np.any(counts != np.round(counts)):
        raise InferenceError(f"n must hold positive integer item counts; got {np.asarray(n).tolist()}.")
    pooled = float((accuracy * counts).sum() / counts.sum())
    adjusted = (accuracy * counts + 2.0) / (counts + 4.0)
    return np.maximum(pooled * (1.0 - pooled), adjusted * (1.0 - adjusted)) / counts


@dataclass(frozen=True)
class FlooredFit:
    """A model-level weighted line ``y = params[0] + params[1] * x`` (see :func:`floored_wls`)."""

    params: np.ndarray  # (2,): intercept, slope
    cov: np.ndarray  # (2, 2): WLS covariance times max(residual scale, 1)
    scale: float  # the residual scale as estimated (chi-square / df; 1 = item sampling only)
    df: int  # residual degrees of freedom, n - 2


def floored_wls(x, y, variance) -> FlooredFit:
    """Weighted least squares of ``y`` on ``x`` (``statsmodels`` WLS, weights ``1 / variance``)
    whose covariance is scaled by the residual scale **floored at 1**: the points' scatter around
    the line adds to their sampling variance and never counts for less than it (a
    quasi-likelihood dispersion floor; McCullagh & Nelder 1989, sec. 4.5; Thompson & Sharp 1999).
    The one fit behind :func:`wls_slope` and ``family_fits.family_trend``; ``x``, ``y``,
    ``variance``: (n,) arrays, n >= 3, variance > 0.
    """
    x, y, variance = (np.asarray(v, dtype=float) for v in (x, y, variance))
    fit = sm.WLS(y, sm.add_constant(x, has_constant="add"), weights=1.0 / variance).fit()
    scale = float(fit.scale)
    cov = np.asarray(fit.normalized_cov_params, dtype=float) * max(scale, 1.0)
    return FlooredFit(np.asarray(fit.params, dtype=float), cov, scale, int(x.size - 2))


def wls_slope(n_params, accuracy, stderr=None, n=None) -> Slope:
    """Slope of per-model accuracy on ``log10(n_params)``: both sources of variance in its error.

    ``accuracy`` in [0, 1] per model; ``stderr`` its standard error (harness or cluster-robust;
    ``None``: items only); ``n`` items per model (scalar or per model). Each model's variance is
    ``max(stderr**2, item floor)`` (:func:`item_floor`, needs ``n``); the fit is weighted least
    squares (``statsmodels`` WLS) with weights ``1 / variance`` whose residual scale is estimated
    from the scatter around the line (the models' own deviations) but **never below 1**, what the
    items alone imply (a quasi-likelihood dispersion floor; McCullagh & Nelder 1989, sec. 4.5).
    Intervals are t with ``n_models - 2`` df (conservative where the floor binds). Identical
    accuracies give the binomial interval, not "no interval"; one item's difference cannot shrink it.
    Fewer than :data:`MIN_MODELS` distinct sizes: no trend (NaN interval; two models give the
    line through both points as ``slope`` and a note to compare them as a paired change).
    """
    x = _log_sizes(n_params)
    accuracy = as_finite(accuracy, "accuracy")
    same_length(x, accuracy, "n_params and accuracy")
    if np.any((accuracy < 0) | (accuracy > 1)):
        raise InferenceError(f"accuracy must be proportions in [0, 1]; got {accuracy.tolist()}.")
    variance = np.zeros_like(accuracy)
    if stderr is not None:
        stderr = as_finite(stderr, "stderr")
        same_length(x, stderr, "n_params and stderr")
        if np.any(stderr < 0):
            raise InferenceError(f"stderr must be >= 0; got {stderr.tolist()}.")
        variance = stderr**2
    n_models = int(np.unique(x).size)
    method = "WLS of per-model accuracy on log10 N, variance max(stderr², items), residual scale >= 1"
    if n_models < MIN_MODELS:
        slope = float(np.polyfit(x, accuracy, 1)[0]) if n_models == 2 else math.nan
        return _no_interval(
            slope,
            None,
            n_models,
            None,
            method,
            f"{n_models} model size(s): no trend from fewer than {MIN_MODELS} models "
            "(two models give a paired change, not a slope)",
        )
    if n is None and np.any(variance == 0):
        raise InferenceError(
            "stderr is 0 for some models (accuracy 0 or 1) or missing, so their weight would be "
            "infinite; pass n (items per model) for the item-sampling floor."
        )
    if n is not None:
        variance = np.maximum(variance, item_floor(accuracy, n))
    fit = floored_wls(x, accuracy, variance)
    slope, df = float(fit.params[1]), fit.df
    se = math.sqrt(float(fit.cov[1, 1]))
    t95, t90 = float(stats.t.ppf(0.975, df)), float(stats.t.ppf(0.95, df))
    note = (
        f"residual scale {fit.scale:.3g} (1 = the items' binomial scatter only; used "
        f"{'as estimated' if fit.scale > 1 else 'floored at 1'}), {df} residual df"
    )
    return Slope(
        slope,
        se,
        slope - t95 * se,
        slope + t95 * se,
        slope - t90 * se,
        slope + t90 * se,
        df,
        n_models,
        None,
        method,
        note,
    )


def model_slope(n_params, k, n, stderr=None) -> Slope:
    """:func:`wls_slope` from counts: ``k`` correct of ``n`` items per model."""
    k, n = as_finite(k, "k"), as_finite(n, "n")
    same_length(k, n, "k and n")
    if np.any(n < 1) or np.any((k < 0) | (k > n)):
        raise InferenceError(f"need 0 <= k <= n and n >= 1 per model; got k={k.tolist()}, n={n.tolist()}.")
    return wls_slope(n_params, k / n, stderr, n)


def item_slope(correct, n_params, item_ids) -> Slope:
    """Slope from per-item 0/1 correctness of every model (long and aligned: one entry per (model, item)).

    Aggregated to one accuracy per model size and fitted by :func:`wls_slope` with the item floor:
    the models are a sample too, so the slope's error carries their scatter around the line as well
    as the items' sampling. (An item-clustered GEE treats the models as points exactly on the line
    and calls a flat family "rising" about a quarter of the time when models scatter a point or two;
    STATISTICS.md, rule 2.) ``n_items``: distinct items.
    """
    y = as_binary(correct, "correct").astype(float)
    x = _log_sizes(n_params)
    same_length(y, x, "correct and n_params")
    items = np.asarray(item_ids)
    if items.ndim != 1 or items.size != y.size:
        raise InferenceError(f"item_ids must be 1-D and aligned with correct; got shape {items.shape}, {y.size} rows.")
    sizes, which = np.unique(x, return_inverse=True)
    k, n = np.bincount(which, weights=y), np.bincount(which).astype(float)
    slope = model_slope(10.0**sizes, k, n)
    return Slope(**{**slope.__dict__, "n_items": int(np.unique(items).size)})


def slope_equivalence(slope: Slope, margin: float) -> str:
    """Classify a slope against an equivalence margin (proportion per decade, > 0).

    "flat" when the 90% interval lies inside ``(-margin, +margin)`` (two one-sided tests at
    5%, Schuirmann 1987); else "rising" when the 95% interval lies above 0; "falling" when it
    lies below 0; else "inconclusive". A significant slope inside the margin is "flat" (too
    small to matter). NaN bounds -> "inconclusive".
    """
    if not isinstance(margin, Real) or isinstance(margin, bool) or not 0 < margin < math.inf:
        raise InferenceError(f"margin must be a positive number (proportion per decade, e.g. 0.01); got {margin!r}.")
    bounds = (slope.low, slope.high, slope.low90, slope.high90)
    if any(math.isnan(bound) for bound in bounds):
        return "inconclusive"
    if -margin < slope.low90 and slope.high90 < margin:
        return "flat"
    if slope.low > 0:
        return "rising"
    if slope.high < 0:
        return "falling"
    return "inconclusive"
