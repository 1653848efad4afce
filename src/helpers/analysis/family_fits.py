"""Trends within a family from per-model aggregates, comparisons of two families, and cross-family fits.

* :func:`family_trend`: slope of accuracy on ``log10 x`` (per decade) by weighted least squares
  on per-model accuracies with weights ``1 / se**2``; the slope's variance is the WLS variance
  times the residual scale (the scatter of the models around the line, which carries the
  between-model variance), and the scale is **never below 1** (the binomial floor: models cannot
  scatter less than their item sampling says). t intervals with ``n - 2`` degrees of freedom.
  Fewer than 3 models: no trend (two models give a change, not a slope). ``STATISTICS.md``,
  rule 2. Source: multiplicative-dispersion meta-regression (Thompson & Sharp 1999).
* :func:`compare_trends`: slope and level (fitted accuracy at one size) of two families,
  difference with 90% and 95% intervals, and two one-sided tests against a margin.
* :func:`threshold_fit`: ``acc = chance + (top - chance) / (1 + exp(-(x - mid) / width))``
  across families (descriptive; no verdict rests on it), with a percentile bootstrap over
  *families* for the midpoint and for where the curve leaves chance by 5 points.
* :func:`leave_one_family_out`: size alone against size plus training tokens as predictors,
  each family predicted by a fit to the others.

Units: accuracies are proportions; slopes are proportion per decade of ``x``.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import optimize, stats

from helpers.analysis.trend import MIN_MODELS as MIN_TREND_MODELS
from helpers.analysis.trend import Slope, floored_wls
from helpers.core.tasks.mmlu import CHANCE as MMLU_CHANCE

__all__ = [
    "FamilyTrend",
    "family_trend",
    "Difference",
    "compare_trends",
    "equivalence_code",
    "threshold_fit",
    "leave_one_family_out",
    "span_changes",
]


@dataclass(frozen=True)
class FamilyTrend:
    """One family's trend: slope per decade, the fitted level at ``10**x0``, their errors."""

    family: str
    models: tuple[str, ...]
    slope: Slope
    level: float
    level_se: float
    x0: float
    scale: float  # residual scale of the WLS fit (1 = item sampling only); NaN without a fit
    note: str

    @property
    def df(self) -> int | None:
        return self.slope.df


def family_trend(family: str, models, x, accuracy, se, x0: float = 9.0) -> FamilyTrend:
    """Model-level weighted trend of ``accuracy`` on ``log10 x`` (see the module docstring).

    ``se``: each model's item-sampling standard error (> 0; use an adjusted one at 0% or 100%).
    """
    models = tuple(str(model) for model in models)
    logx = np.log10(np.asarray(x, dtype=float))
    y, s = np.asarray(accuracy, dtype=float), np.asarray(se, dtype=float)
    if not (logx.size == y.size == s.size == len(models)):
        raise ValueError(
            f"{family}: models, x, accuracy and se must align; got {len(models)}, {logx.size}, {y.size}, {s.size}."
        )
    if np.any(~np.isfinite(logx)) or np.any(~np.isfinite(y)) or np.any(~(s > 0)):
        raise ValueError(
            f"{family}: x must be > 0, accuracy finite and se > 0; got x={list(x)}, "
            f"accuracy={y.tolist()}, se={s.tolist()}."
        )
    method = "model-level WLS of accuracy on log10 x, weights 1/se^2, residual scale floored at 1"
    n = int(np.unique(logx).size)
    if n < MIN_TREND_MODELS:
        nan = math.nan
        note = f"{n} model size(s): no trend from fewer than {MIN_TREND_MODELS} models" + (
            " (two models give a change, not a slope)" if n == 2 else ""
        )
        return FamilyTrend(
            family, models, Slope(nan, nan, nan, nan, nan, nan, None, n, None, method, note), nan, nan, x0, nan, note
        )
    fit = floored_wls(logx, y, s**2)
    df, scale, cov = fit.df, fit.scale, fit.cov
    slope, slope_se = float(fit.params[1]), float(math.sqrt(cov[1, 1]))
    t95, t90 = stats.t.ppf(0.975, df), stats.t.ppf(0.95, df)
    point = np.array([1.0, x0])
    level, level_se = float(point @ fit.params), float(math.sqrt(point @ cov @ point))
    note = f"{len(models)} models, residual scale {scale:.2f} (floor 1: item sampling only), {df} df"
    result = Slope(
        slope,
        slope_se,
        slope - t95 * slope_se,
        slope + t95 * slope_se,
        slope - t90 * slope_se,
        slope + t90 * slope_se,
        df,
        n,
        None,
        method,
        note,
    )
    return FamilyTrend(family, models, result, level, level_se, x0, scale, note)


@dataclass(frozen=True)
class Difference:
    """``estimate`` = first minus second, with t intervals on ``df`` degrees of freedom."""

    what: str
    estimate: float
    se: float
    df: int | None
    low: float
    high: float
    low90: float
    high90: float
    margin: float
    code: str  # "equivalent" / "different" / "inconclusive"
    mde: float  # smallest difference detectable at 80% power, two-sided 5%


def equivalence_code(low, high, low90, high90, margin) -> str:
    """ "equivalent": the 90% interval inside (-margin, margin) (two one-sided tests at 5%);
    "different": the 95% interval excludes 0; else "inconclusive" (NaN bounds too)."""
    if any(not math.isfinite(v) for v in (low, high, low90, high90)):
        return "inconclusive"
    if -margin < low90 and high90 < margin:
        return "equivalent"
    if low > 0 or high < 0:
        return "different"
    return "inconclusive"


def _difference(what, estimate, se, df, margin) -> Difference:
    if df is None or not math.isfinite(se):
        nan = math.nan
        return Difference(what, estimate, se, df, nan, nan, nan, nan, margin, "inconclusive", math.inf)
    t95, t90 = stats.t.ppf(0.975, df), stats.t.ppf(0.95, df)
    low, high, low90, high90 = estimate - t95 * se, estimate + t95 * se, estimate - t90 * se, estimate + t90 * se
    mde = float((t95 + stats.t.ppf(0.8, df)) * se)
    return Difference(
        what,
        estimate,
        se,
        df,
        low,
        high,
        low90,
        high90,
        margin,
        equivalence_code(low, high, low90, high90, margin),
        mde,
    )


def compare_trends(
    first: FamilyTrend, second: FamilyTrend, slope_margin: float, level_margin: float
) -> tuple[Difference, Difference]:
    """(slope difference, level difference at ``10**x0``): independent fits, so the variances add;
    degrees of freedom the smaller of the two fits' (conservative)."""
    if first.x0 != second.x0:
        raise ValueError(f"levels at different sizes: {first.x0} and {second.x0}.")
    dfs = [t.df for t in (first, second)]
    df = None if None in dfs else min(dfs)
    slope = _difference(
        "slope per decade",
        first.slope.slope - second.slope.slope,
        math.hypot(first.slope.se, second.slope.se),
        df,
        slope_margin,
    )
    level = _difference(
        f"level at 10^{first.x0:g}",
        first.level - second.level,
        math.hypot(first.level_se, second.level_se),
        df,
        level_margin,
    )
    return slope, level


# ----------------------------------------------------------------------------- across families


def _sigmoid(x, top, mid, width, chance):
    return chance + (top - chance) / (1.0 + np.exp(-(x - mid) / width))


def _fit_sigmoid(x, y, chance):
    start = (min(max(float(np.max(y)), chance + 0.05), 0.95), float(np.median(x)) + 0.5, 0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params, _ = optimize.curve_fit(
            lambda x, top, mid, width: _sigmoid(x, top, mid, width, chance),
            x,
            y,
            p0=start,
            bounds=([chance + 0.01, x.min() - 3, 0.05], [1.0, x.max() + 3, 5.0]),
            maxfev=20000,
        )
    return params


def _departure(top, mid, width, chance, lift):
    return mid - width * math.log((top - chance) / lift - 1.0) if top - chance > lift else math.nan


def threshold_fit(logx, accuracy, families, chance=MMLU_CHANCE, lift=0.05, n_boot=1000, seed=0) -> dict:
    """Sigmoid of accuracy on ``logx`` with its floor fixed at ``chance``; bootstrap over families.

    Returns ``top, mid, width, departure`` (where the curve reaches ``chance + lift``), their 95%
    percentile intervals (``*_low``, ``*_high``), ``n_models``, ``n_families``, ``n_boot`` and
    ``failed`` (resamples whose fit did not converge, left out and counted).
    """
    x, y, groups = np.asarray(logx, float), np.asarray(accuracy, float), np.asarray(families)
    top, mid, width = _fit_sigmoid(x, y, chance)
    result = {
        "top": top,
        "mid": mid,
        "width": width,
        "departure": _departure(top, mid, width, chance, lift),
        "n_models": int(x.size),
        "n_families": int(np.unique(groups).size),
        "n_boot": n_boot,
        "lift": lift,
    }
    names = np.unique(groups)
    index = {name: np.flatnonzero(groups == name) for name in names}
    rng = np.random.default_rng(seed)
    draws, failed = [], 0
    for _ in range(n_boot):
        rows = np.concatenate([index[name] for name in rng.choice(names, size=names.size, replace=True)])
        try:
            t, m, w = _fit_sigmoid(x[rows], y[rows], chance)
        except (RuntimeError, ValueError):
            failed += 1
            continue
        draws.append((t, m, _departure(t, m, w, chance, lift)))
    draws = np.array(draws) if draws else np.full((0, 3), np.nan)
    for column, name in enumerate(("top", "mid", "departure")):
        values = draws[:, column][np.isfinite(draws[:, column])]
        low, high = np.percentile(values, [2.5, 97.5]) if values.size else (math.nan, math.nan)
        result[f"{name}_low"], result[f"{name}_high"] = float(low), float(high)
    result["failed"] = failed
    return result


def _logistic_predictor(features, y, chance):
    """Fit ``chance + (top - chance) * sigmoid(features @ beta)``; returns a predict function."""
    k = features.shape[1]

    def model(X, top, *beta):
        return chance + (top - chance) / (1.0 + np.exp(-(X @ np.asarray(beta))))

    design = np.column_stack([np.ones(len(features)), features])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        params, _ = optimize.curve_fit(
            lambda X, top, *beta: model(X, top, *beta),
            design,
            y,
            p0=[0.7, -2.0, *([1.0] * k)],
            maxfev=20000,
            bounds=([chance + 0.01, -50, *([-50] * k)], [1.0, 50, *([50] * k)]),
        )
    return lambda new: model(np.column_stack([np.ones(len(new)), new]), *params)


def leave_one_family_out(frame: pd.DataFrame, y: str = "mmlu", chance=MMLU_CHANCE, n_boot=1000, seed=0) -> dict:
    """Leave-one-family-out absolute error of size alone vs size plus training tokens.

    ``frame``: one row per model with ``family, params, tokens`` and ``y`` (no missing values;
    families with one model included: a held-out family of one is still a prediction). Both
    predictors are ``chance + (top - chance) * sigmoid(linear in centred log10 values)``.
    Returns the per-model table (``errors``), the mean absolute errors ``mae_size``,
    ``mae_size_tokens``, the relative improvement ``1 - mae_size_tokens / mae_size`` and its 95%
    percentile interval from a bootstrap over held-out families.
    """
    logs = np.column_stack([np.log10(frame["params"].to_numpy(float)), np.log10(frame["tokens"].to_numpy(float))])
    logs = logs - logs.mean(axis=0)
    target, families = frame[y].to_numpy(float), frame["family"].to_numpy()
    rows = []
    for family in pd.unique(families):
        held = families == family
        for name, columns in (("size", [0]), ("size_tokens", [0, 1])):
            predict = _logistic_predictor(logs[~held][:, columns], target[~held], chance)
            error = np.abs(predict(logs[held][:, columns]) - target[held])
            rows += [(family, model, name, e) for model, e in zip(frame["model"][held], error)]
    errors = pd.DataFrame(rows, columns=["family", "model", "predictor", "abs_error"])
    wide = errors.pivot_table(index=["family", "model"], columns="predictor", values="abs_error").reset_index()
    per_family = wide.groupby("family")[["size", "size_tokens"]].sum()
    mae_size, mae_both = float(wide["size"].mean()), float(wide["size_tokens"].mean())
    rng = np.random.default_rng(seed)
    counts = wide.groupby("family").size()
    draws = []
    for _ in range(n_boot):
        chosen = rng.choice(per_family.index.to_numpy(), size=len(per_family), replace=True)
        draws.append(1.0 - per_family.loc[chosen, "size_tokens"].sum() / per_family.loc[chosen, "size"].sum())
    low, high = np.percentile(draws, [2.5, 97.5])
    return {
        "errors": wide,
        "mae_size": mae_size,
        "mae_size_tokens": mae_both,
        "improvement": 1.0 - mae_both / mae_size,
        "low": float(low),
        "high": float(high),
        "n_models": int(len(wide)),
        "n_families": int(len(counts)),
        "n_boot": n_boot,
    }


def span_changes(frame: pd.DataFrame, columns, size: str = "params") -> pd.DataFrame:
    """Per family, smallest to largest model (by ``size``, among models with every column): the change
    in each column and the decades of ``size`` spanned. Families with fewer than 2 such models are
    left out (the caller names them)."""
    out = []
    for family, rows in frame.dropna(subset=[size, *columns]).groupby("family", sort=True):
        if len(rows) < 2:
            continue
        rows = rows.sort_values(size)
        small, large = rows.iloc[0], rows.iloc[-1]
        record = {
            "family": family,
            "smallest": small["model"],
            "largest": large["model"],
            "n_models": len(rows),
            "decades": float(np.log10(large[size] / small[size])),
        }
        record.update({f"d_{column}": float(large[column] - small[column]) for column in columns})
        out.append(record)
    return pd.DataFrame(out)
