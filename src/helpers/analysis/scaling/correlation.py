"""Does a metric move with model size? Spearman (exact for few models) and Pearson vs log10 N."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import scipy.stats

from helpers.analysis.inference import spearman_exact
from helpers.analysis.scaling.validation import ScalingInputError, _as_1d


class ScaleCorrelation(NamedTuple):
    """Rank (Spearman) and linear (Pearson, against log10 N) correlation with model size."""

    n: int
    spearman_rho: float
    spearman_p: float  # exact permutation p-value for n <= 10 (helpers.analysis.inference)
    pearson_r: float  # correlation of the metric with log10(n_params)
    pearson_p: float
    constant_metric: bool  # True when the metric does not vary: correlations are NaN


def scale_correlation(n_params: Sequence[float], metric_values: Sequence[float]) -> ScaleCorrelation:
    """Does ``metric_values[i]`` move with ``n_params[i]``? Spearman and Pearson vs log N.

    Needs at least 3 models and 2 distinct sizes. A constant metric (e.g. accuracy 0 for
    every model) gives NaN correlations with ``constant_metric=True`` rather than an error.
    p-values are two-sided. Spearman's comes from
    :func:`helpers.analysis.inference.spearman_exact`: the exact permutation distribution for
    up to 10 models (ties handled exactly), so 4 models in perfect order give p = 2/24 = 0.083,
    the smallest p-value 4 models can give, where scipy's asymptotic test would say 0.
    Pearson's is scipy's t-test on ``log10 N`` (exact under normal errors).
    """
    sizes = _as_1d(n_params, "n_params", positive=True)  # [m]
    values = _as_1d(metric_values, "metric_values")  # [m]
    if sizes.shape != values.shape:
        raise ScalingInputError(f"n_params has {sizes.size} values but metric_values has {values.size}")
    if sizes.size < 3 or np.unique(sizes).size < 2:
        raise ScalingInputError(f"a correlation needs at least 3 models of 2 or more sizes, got sizes {sizes}")
    if np.all(values == values[0]):
        return ScaleCorrelation(int(sizes.size), math.nan, math.nan, math.nan, math.nan, True)
    spearman_rho, spearman_p = spearman_exact(sizes, values)
    pearson = scipy.stats.pearsonr(np.log10(sizes), values)
    return ScaleCorrelation(
        n=int(sizes.size),
        spearman_rho=float(spearman_rho),
        spearman_p=float(spearman_p),
        pearson_r=float(pearson.statistic),
        pearson_p=float(pearson.pvalue),
        constant_metric=False,
    )
