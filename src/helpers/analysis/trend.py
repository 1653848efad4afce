"""A trend is a slope, not a range (``STATISTICS.md``, rules 2 and 7).

"Flat across scale" is judged on the slope of accuracy against ``log10`` of the parameter
count, with its interval, then an equivalence test against a margin per decade:

* :func:`wls_slope`: per-model accuracies with their standard errors (when only aggregates
  exist): weighted least squares, weights ``1 / stderr**2`` (``statsmodels`` WLS), t intervals
  with ``n_models - 2`` residual degrees of freedom.
* :func:`item_slope`: per-item 0/1 correctness of every model: a linear probability model fitted
  by GEE with items as clusters and robust (sandwich) standard errors (``statsmodels`` GEE;
  Liang & Zeger 1986), normal intervals.
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

__all__ = ["Slope", "wls_slope", "item_slope", "slope_equivalence"]

Z95, Z90 = float(stats.norm.ppf(0.975)), float(stats.norm.ppf(0.95))
PERFECT_FIT_SCALE = 1e-10
"""WLS residual scale (1 = scatter as large as the stderrs say) below which the fit counts as
perfect (e.g. identical accuracies): the scatter then cannot estimate the scale, no interval."""


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


def _filled_stderr(accuracy: np.ndarray, stderr: np.ndarray, n) -> tuple[np.ndarray, str]:
    """Replace zero stderr (accuracy 0 or 1) by the stderr at the 0.5/n continuity point."""
    zero = stderr == 0
    if not zero.any():
        return stderr, ""
    if n is None:
        raise InferenceError(
            f"stderr is 0 for models {np.flatnonzero(zero).tolist()} (accuracy 0 or 1), so their "
            "weight would be infinite; pass n (items per model) to use the 0.5/n continuity stderr."
        )
    counts = as_finite(np.broadcast_to(np.asarray(n, dtype=float), accuracy.shape), "n")
    if np.any(counts < 1) or np.any(counts != np.round(counts)):
        raise InferenceError(f"n must hold positive integer item counts; got {np.asarray(n).tolist()}.")
    shifted = np.clip(accuracy, 0.5 / counts, 1.0 - 0.5 / counts)
    filled = np.where(zero, np.sqrt(shifted * (1.0 - shifted) / counts), stderr)
    return filled, f"; stderr 0 replaced by sqrt(p'(1-p')/n), p' = 0.5/n from 0 or 1, for {int(zero.sum())} model(s)"


def wls_slope(n_params, accuracy, stderr, n=None) -> Slope:
    """Slope of per-model accuracy on ``log10(n_params)`` by weighted least squares.

    ``accuracy`` in [0, 1], ``stderr`` its standard error (e.g. the harness stderr), one per
    model; weights ``1 / stderr**2``; the residual scale is estimated from the scatter (as
    ``statsmodels.WLS`` does), intervals are t with ``n_models - 2`` degrees of freedom.
    A zero stderr (accuracy 0 or 1) is replaced by ``sqrt(p'(1 - p')/n)`` with
    ``p' = 0.5/n`` (or ``1 - 0.5/n``) when ``n`` (items per model, scalar or per model) is
    given, else raises. Two models: exact line, no interval (zero residual df). Fewer than
    two sizes: NaN slope. All accuracies identical with zero stderr, or a perfect fit:
    no interval. Source: weighted regression, e.g. Draper & Smith (1998), ch. 9.
    """
    x = _log_sizes(n_params)
    accuracy, stderr = as_finite(accuracy, "accuracy"), as_finite(stderr, "stderr")
    same_length(x, accuracy, "n_params and accuracy")
    same_length(x, stderr, "n_params and stderr")
    if np.any((accuracy < 0) | (accuracy > 1)):
        raise InferenceError(f"accuracy must be proportions in [0, 1]; got {accuracy.tolist()}.")
    if np.any(stderr < 0):
        raise InferenceError(f"stderr must be >= 0; got {stderr.tolist()}.")
    n_models, method = int(np.unique(x).size), "WLS of accuracy on log10 N, weights 1/stderr^2"
    if n_models < 2:
        return _no_interval(math.nan, None, n_models, None, method, "fewer than 2 distinct model sizes: no slope")
    if np.all(stderr == 0) and np.all(accuracy == accuracy[0]) and n is None:
        return _no_interval(0.0, x.size - 2, n_models, None, method,
                            "all accuracies identical with zero stderr: no interval")
    stderr, fill_note = _filled_stderr(accuracy, stderr, n)
    fit = sm.WLS(accuracy, sm.add_constant(x, has_constant="add"), weights=1.0 / stderr**2).fit()
    slope, df = float(fit.params[1]), int(round(fit.df_resid))
    if df < 1:
        return _no_interval(slope, df, n_models, None, method,
                            f"{x.size} models: zero residual df, no interval{fill_note}")
    if not fit.scale > PERFECT_FIT_SCALE:
        return _no_interval(slope, df, n_models, None, method,
                            f"perfect fit (zero residual scatter): the scale cannot be estimated{fill_note}")
    (low, high), (low90, high90) = fit.conf_int(0.05)[1], fit.conf_int(0.10)[1]
    note = f"residual scale {fit.scale:.3g} (1 = binomial scatter only){fill_note}"
    return Slope(slope, float(fit.bse[1]), float(low), float(high), float(low90), float(high90),
                 df, n_models, None, method, note)


def item_slope(correct, n_params, item_ids, cov_struct="independence") -> Slope:
    """Item-level slope of 0/1 correctness on ``log10 N``, items as clusters.

    ``correct``, ``n_params`` and ``item_ids`` are long and aligned: one entry per (model,
    item). Linear probability model fitted by ``statsmodels`` GEE (Gaussian family, identity
    link, ``cov_struct`` "independence" or "exchangeable" working correlation), robust
    (sandwich) standard errors, normal intervals (``df`` None). With every model scoring the
    same items the slope equals the OLS slope of per-model accuracy on ``log10 N``.
    Fewer than 2 distinct sizes or 2 items: NaN slope; all outcomes identical: no interval.
    Source: Liang & Zeger (1986), Biometrika 73:13-22.
    """
    y = as_binary(correct, "correct").astype(float)
    x = _log_sizes(n_params)
    same_length(y, x, "correct and n_params")
    items = np.asarray(item_ids)
    if items.ndim != 1 or items.size != y.size:
        raise InferenceError(f"item_ids must be 1-D and aligned with correct; got shape {items.shape}, {y.size} rows.")
    structures = {"independence": sm.cov_struct.Independence, "exchangeable": sm.cov_struct.Exchangeable}
    if cov_struct not in structures:
        raise InferenceError(f"cov_struct must be one of {sorted(structures)}; got {cov_struct!r}.")
    groups = np.unique(items, return_inverse=True)[1]
    n_models, n_items = int(np.unique(x).size), int(groups.max() + 1)
    method = f"GEE linear probability model, items as clusters, {cov_struct} working correlation, robust SE"
    if n_models < 2 or n_items < 2:
        return _no_interval(math.nan, None, n_models, n_items, method,
                            f"{n_models} distinct model size(s), {n_items} item(s): need 2 of each")
    if np.all(y == y[0]):
        return _no_interval(0.0, None, n_models, n_items, method,
                            "all outcomes identical: the robust SE is 0, no interval")
    model = sm.GEE(y, sm.add_constant(x, has_constant="add"), groups=groups,
                   family=sm.families.Gaussian(), cov_struct=structures[cov_struct]())
    fit = model.fit()
    slope, se = float(fit.params[1]), float(fit.bse[1])
    if not se > 0:
        return _no_interval(slope, None, n_models, n_items, method, "robust SE is 0: no interval", se)
    return Slope(slope, se, slope - Z95 * se, slope + Z95 * se, slope - Z90 * se, slope + Z90 * se,
                 None, n_models, n_items, method, f"{n_items} item clusters, {y.size} rows")


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
