"""Why the trend fit is model-level: a seeded simulation of flat families (``STATISTICS.md``, rule 2).

A flat family (true slope 0) of models that scatter around the line, each scored on the same items
with their own difficulty, is fitted two ways:

* the model-level fit of :func:`helpers.analysis.trend.item_slope` (the report's fit), judged by
  :func:`~helpers.analysis.trend.slope_equivalence`;
* an item-clustered fit (the report's earlier GEE: a linear probability model with items as clusters,
  independence working correlation, robust sandwich standard error, normal interval), which treats
  the models as points exactly on the line, judged by the same rule.

:func:`simulate_flat_family` returns how often each calls the flat family "rising" or "falling".
The methods page prints these rates (``helpers.report.methods_page``) and the test suite checks them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from helpers.analysis.published import MMLU_MATH_SIZES
from helpers.analysis.trend import FLAT_MARGIN, Slope, item_slope, slope_equivalence
from helpers.analysis.verdicts import InferenceError

__all__ = ["FlatFamilySimulation", "PYTHIA_SIZES", "clustered_slope", "simulate_flat_family"]

PYTHIA_SIZES = (7.0e7, 1.6e8, 4.1e8, 1.0e9, 1.4e9, 2.8e9, 6.9e9, 1.2e10)  # the 8 standard Pythia sizes
SEED = 19
REPS = 1000
N_ITEMS = sum(MMLU_MATH_SIZES.values())  # the study's MMLU-math test items (1,064)
SCATTER = 0.015  # models' standard deviation around the line (proportion)
ITEM_SPREAD = 0.15  # items' standard deviation of difficulty (proportion)
LEVEL = 0.23  # the family's accuracy (proportion)


@dataclass(frozen=True)
class FlatFamilySimulation:
    """Result of :func:`simulate_flat_family`: its settings and the two fits' false-trend rates (0-1)."""

    reps: int
    seed: int
    n_models: int
    n_items: int
    scatter: float
    margin: float
    model_level_rate: float
    item_clustered_rate: float


def clustered_slope(correct: np.ndarray, x: np.ndarray, n_models: int) -> Slope:
    """Item-clustered slope of 0/1 ``correct`` on ``x`` (log10 size), both shape ``(n_models * n_items,)``.

    Rows are model-major (all items of the first model, then the next). Ordinary least squares with a
    sandwich variance summed over item clusters, which is statsmodels' GEE (Gaussian, identity link,
    independence) with its robust covariance; 90% and 95% normal intervals.
    """
    y, x = np.asarray(correct, dtype=float), np.asarray(x, dtype=float)
    if y.shape != x.shape or y.ndim != 1 or y.size % n_models:
        raise InferenceError(
            f"correct and x must be 1-D, equal length, n_models={n_models} blocks; got {y.shape}, {x.shape}."
        )
    centred = x - x.mean()
    sxx = float(centred @ centred)
    slope = float(centred @ (y - y.mean())) / sxx
    residual = y - y.mean() - slope * centred
    scores = (centred * residual).reshape(n_models, -1).sum(axis=0)  # one score per item (cluster)
    se = float(np.sqrt(scores @ scores) / sxx)
    z95, z90 = stats.norm.ppf(0.975), stats.norm.ppf(0.95)
    return Slope(
        slope, se, slope - z95 * se, slope + z95 * se, slope - z90 * se, slope + z90 * se,
        None, n_models, scores.size, "item-clustered OLS, robust SE", "",
    )  # fmt: skip


def simulate_flat_family(
    reps: int = REPS,
    seed: int = SEED,
    sizes=PYTHIA_SIZES,
    n_items: int = N_ITEMS,
    scatter: float = SCATTER,
    margin: float = FLAT_MARGIN,
) -> FlatFamilySimulation:
    """Simulate ``reps`` flat families (seeded) and count the fits that call them rising or falling.

    Each replicate draws each item's difficulty (sd :data:`ITEM_SPREAD`) and each model's offset (sd
    ``scatter``) around accuracy :data:`LEVEL`, then every (model, item) outcome. ``sizes``: parameter
    counts of the models; ``margin``: the equivalence test's "flat" margin (proportion per decade). Takes about
    1 s per 1,000 replicates.
    """
    if reps < 1 or n_items < 1 or len(sizes) < 3:
        raise InferenceError(f"need reps >= 1, n_items >= 1 and 3+ sizes; got {reps}, {n_items}, {len(sizes)}.")
    rng = np.random.default_rng(seed)
    sizes = np.asarray(sizes, dtype=float)
    x = np.repeat(sizes, n_items)
    log_x = np.log10(x)
    items = np.tile(np.arange(n_items), sizes.size)
    model_level = clustered = 0
    for _ in range(reps):
        ability = rng.normal(0.0, ITEM_SPREAD, n_items)
        model = rng.normal(0.0, scatter, sizes.size)
        p = np.clip(LEVEL + model[:, None] + ability[None, :], 0.0, 1.0)
        correct = (rng.random(p.shape) < p).astype(int).ravel()
        model_level += slope_equivalence(item_slope(correct, x, items), margin) in ("rising", "falling")
        clustered += slope_equivalence(clustered_slope(correct, log_x, sizes.size), margin) in ("rising", "falling")
    return FlatFamilySimulation(reps, seed, sizes.size, n_items, scatter, margin, model_level / reps, clustered / reps)
