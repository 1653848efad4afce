"""Scaling fits and scale statistics for one model family at a time.

* :func:`fit_power_law` fits ``L(N) = a * N**(-alpha) + c`` to one loss per model, and
  :func:`fit_power_law_items` to per-item losses, with percentile bootstrap intervals.
* :func:`relative_reduction`, :func:`accuracy_change` and :func:`confidence_competence_gap`
  compare a small and a large model: how much more *confident* the large model is on the
  right answer (relative fall of the loss) against how much more often it is *right*
  (relative rise of the accuracy).
* :func:`scale_correlation` asks whether a metric moves with scale (Spearman and Pearson
  against ``log10 N``).

The fit. ``N`` is divided by its geometric mean ``N0`` so the parameters are of order one:
``L = A * (N / N0)**(-alpha) + c`` with ``a = A * N0**alpha``. Least squares on ``L``
itself (residuals in loss units: losses of one family span a factor of two or so, so log
residuals would weigh points almost equally anyway), with bounds ``A > 0``, ``alpha`` in
``(0, 10]``, ``0 <= c <= min(L)``. The start comes from a grid over ``alpha``: for a fixed
``alpha`` the model is linear in ``(A, c)``, solved in closed form, and the best grid point
starts ``scipy.optimize.curve_fit``. Three parameters need at least three distinct ``N``.

The bootstrap. :func:`fit_power_law` resamples the ``(N, L)`` points; with five models per
family this is crude (a resample with fewer than three distinct ``N`` cannot be fitted and is
counted as failed). :func:`fit_power_law_items` resamples items instead, which is what
varies between runs: with ``paired=True`` (the models scored the same items, in the same
order) one set of item indices is drawn per replicate and used for every model, otherwise
each model's items are resampled independently. Replicates whose fit fails are counted by
reason (:attr:`PowerLawFit.failures`), never dropped silently.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, NamedTuple, Sequence

import numpy as np
import scipy.optimize
import scipy.stats

__all__ = [
    "ScalingInputError",
    "FitFailure",
    "PowerLawFit",
    "fit_power_law",
    "fit_power_law_items",
    "relative_reduction",
    "AccuracyChange",
    "accuracy_change",
    "GapResult",
    "confidence_competence_gap",
    "ScaleCorrelation",
    "scale_correlation",
]

ALPHA_GRID = np.geomspace(0.01, 5.0, 60)
"""Exponents tried to start the fit (the model is linear in ``A`` and ``c`` for each)."""
ALPHA_MAX = 10.0
MIN_DISTINCT_SIZES = 3


class ScalingInputError(ValueError):
    """Bad input to a scaling function (shapes, non-finite or non-positive values)."""


class FitFailure(RuntimeError):
    """One fit could not be done; ``reason`` is a short label used to count failures."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


# --------------------------------------------------------------------------- validation


def _as_1d(values, name: str, *, positive: bool = False) -> np.ndarray:
    """``values`` as a finite float vector, or :class:`ScalingInputError` naming ``name``."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 1 or array.size == 0:
        raise ScalingInputError(f"{name} must be a non-empty 1-D sequence, got shape {array.shape}")
    if not np.all(np.isfinite(array)):
        raise ScalingInputError(f"{name} has non-finite values {array[~np.isfinite(array)][:5]}")
    if positive and np.any(array <= 0):
        raise ScalingInputError(f"{name} must be positive, got {array[array <= 0][:5]}")
    return array


def _check_bootstrap(bootstrap: int, level: float) -> None:
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, (int, np.integer)) or bootstrap < 0:
        raise ScalingInputError(f"bootstrap must be a non-negative integer, got {bootstrap!r}")
    if not 0 < level < 1:
        raise ScalingInputError(f"level must be in (0, 1), e.g. 0.95, got {level!r}")


def _percentile_interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """The central ``level`` percentile interval of ``samples`` (NaNs if there are none)."""
    if samples.size == 0:
        return (math.nan, math.nan)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return (float(low), float(high))


# --------------------------------------------------------------------------- power law


@dataclass(frozen=True)
class PowerLawFit:
    """``L(N) = a * N**(-alpha) + c`` with bootstrap percentile intervals.

    ``samples`` holds the successful bootstrap replicates' ``(a, alpha, c)`` (shape
    ``[n_ok, 3]``); ``n_failed`` of ``n_bootstrap`` replicates failed, counted by reason in
    ``failures``.
    """

    a: float
    alpha: float
    c: float
    a_interval: tuple[float, float]
    alpha_interval: tuple[float, float]
    c_interval: tuple[float, float]
    level: float
    n_bootstrap: int
    n_failed: int
    failures: dict[str, int]
    n_params: np.ndarray = field(repr=False)  # [m] model sizes fitted
    loss: np.ndarray = field(repr=False)  # [m] mean loss per model
    samples: np.ndarray = field(repr=False)  # [n_ok, 3] bootstrap (a, alpha, c)

    def predict(self, n_params) -> np.ndarray:
        """The fitted loss at ``n_params`` (scalar or array of parameter counts)."""
        sizes = np.asarray(n_params, dtype=float)
        return self.a * sizes ** (-self.alpha) + self.c

    def predict_interval(self, n_params) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise bootstrap percentile band ``(low, high)`` of the loss at ``n_params``."""
        sizes = np.atleast_1d(np.asarray(n_params, dtype=float))  # [k]
        if len(self.samples) == 0:
            nan = np.full(sizes.shape, np.nan)
            return nan, nan.copy()
        a, alpha, c = (self.samples[:, i : i + 1] for i in range(3))  # each [n_ok, 1]
        curves = a * sizes[None, :] ** (-alpha) + c  # [n_ok, k]
        tail = 100 * (1 - self.level) / 2
        low, high = np.percentile(curves, [tail, 100 - tail], axis=0)  # each [k]
        return low, high

    def to_dict(self) -> dict[str, float | int]:
        """Point estimates, interval ends and failure count as a flat dict (a table row)."""
        row: dict[str, float | int] = {}
        for name in ("a", "alpha", "c"):
            low, high = getattr(self, f"{name}_interval")
            row.update({name: getattr(self, name), f"{name}_low": low, f"{name}_high": high})
        row.update(n_bootstrap=self.n_bootstrap, n_failed=self.n_failed)
        return row


def _start_from_grid(scaled_sizes: np.ndarray, loss: np.ndarray) -> tuple[float, float, float]:
    """Best ``(A, alpha, c)`` over :data:`ALPHA_GRID`, each solved linearly in ``(A, c)``."""
    power = scaled_sizes[None, :] ** (-ALPHA_GRID[:, None])  # [grid, m]
    centred_power = power - power.mean(axis=1, keepdims=True)  # [grid, m]
    slope = centred_power @ (loss - loss.mean()) / np.maximum(
        np.sum(centred_power**2, axis=1), 1e-300
    )  # [grid]
    intercept = np.clip(loss.mean() - slope * power.mean(axis=1), 0.0, loss.min())  # [grid]
    slope = np.maximum(
        np.sum(power * (loss - intercept[:, None]), axis=1) / np.sum(power**2, axis=1), 1e-12
    )  # [grid]: refit with the clipped intercept, amplitude kept positive
    sse = np.sum((slope[:, None] * power + intercept[:, None] - loss) ** 2, axis=1)  # [grid]
    best = int(np.argmin(sse))
    return float(slope[best]), float(ALPHA_GRID[best]), float(intercept[best])


def _fit_once(n_params: np.ndarray, loss: np.ndarray) -> tuple[float, float, float]:
    """Least-squares ``(a, alpha, c)`` for one data set, or :class:`FitFailure`."""
    if np.unique(n_params).size < MIN_DISTINCT_SIZES:
        raise FitFailure("fewer than 3 distinct sizes")
    reference_size = math.exp(float(np.mean(np.log(n_params))))  # geometric mean N0
    scaled_sizes = n_params / reference_size
    start = _start_from_grid(scaled_sizes, loss)
    c_max = float(loss.min())
    upper_c = c_max if c_max > 0 else 1e-12

    log_sizes = np.log(scaled_sizes)  # [m]

    def model(sizes, amplitude, alpha, c):
        return amplitude * sizes ** (-alpha) + c

    def jacobian(sizes, amplitude, alpha, c):  # [m, 3]: d model / d (A, alpha, c)
        power = sizes ** (-alpha)
        return np.stack([power, -amplitude * log_sizes * power, np.ones_like(power)], axis=1)

    start = (start[0], start[1], float(np.clip(start[2], 0.0, upper_c)))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", scipy.optimize.OptimizeWarning)  # pcov is unused
            params, _ = scipy.optimize.curve_fit(
                model,
                scaled_sizes,
                loss,
                p0=start,
                jac=jacobian,
                bounds=([1e-12, 1e-6, 0.0], [np.inf, ALPHA_MAX, upper_c]),
                method="trf",
                ftol=1e-12,
                xtol=1e-12,
                gtol=1e-12,
                max_nfev=5_000,
            )
    except (RuntimeError, ValueError) as error:
        raise FitFailure("curve_fit did not converge", str(error)) from None
    amplitude, alpha, c = (float(value) for value in params)
    if not all(math.isfinite(value) for value in params):
        raise FitFailure("non-finite parameters")
    return amplitude * reference_size**alpha, alpha, c


def _bootstrap_fits(
    replicate: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]],
    bootstrap: int,
    seed: int,
) -> tuple[np.ndarray, Counter]:
    """Fit ``bootstrap`` resampled data sets; ``([n_ok, 3] params, failure counts)``."""
    rng = np.random.default_rng(seed)
    samples, failures = [], Counter()
    for _ in range(bootstrap):
        sizes, losses = replicate(rng)
        try:
            samples.append(_fit_once(sizes, losses))
        except FitFailure as failure:
            failures[failure.reason] += 1
    return np.array(samples, dtype=float).reshape(-1, 3), failures


def _make_fit(
    n_params: np.ndarray,
    loss: np.ndarray,
    samples: np.ndarray,
    failures: Counter,
    bootstrap: int,
    level: float,
) -> PowerLawFit:
    a, alpha, c = _fit_once(n_params, loss)
    n_failed = int(sum(failures.values()))
    if bootstrap and n_failed > bootstrap / 10:
        warnings.warn(
            f"{n_failed} of {bootstrap} bootstrap fits failed ({dict(failures)}); the "
            "intervals rest on the rest only",
            RuntimeWarning,
            stacklevel=3,
        )
    intervals = [_percentile_interval(samples[:, i], level) for i in range(3)]
    return PowerLawFit(
        a=a,
        alpha=alpha,
        c=c,
        a_interval=intervals[0],
        alpha_interval=intervals[1],
        c_interval=intervals[2],
        level=level,
        n_bootstrap=bootstrap,
        n_failed=n_failed,
        failures=dict(failures),
        n_params=n_params,
        loss=loss,
        samples=samples,
    )


def fit_power_law(
    n_params: Sequence[float],
    loss: Sequence[float],
    *,
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> PowerLawFit:
    """Fit ``L(N) = a N^-alpha + c`` to one loss per model (``n_params[i]``, ``loss[i]``).

    The bootstrap resamples the ``(N, L)`` points (see the module docstring; prefer
    :func:`fit_power_law_items` when per-item losses are available). Raises
    :class:`ScalingInputError` for bad input and :class:`FitFailure` if the point fit fails.
    """
    _check_bootstrap(bootstrap, level)
    sizes = _as_1d(n_params, "n_params", positive=True)  # [m]
    losses = _as_1d(loss, "loss")  # [m]
    if sizes.shape != losses.shape:
        raise ScalingInputError(
            f"n_params has {sizes.size} values but loss has {losses.size}: one loss per model"
        )
    if np.unique(sizes).size < MIN_DISTINCT_SIZES:
        raise ScalingInputError(
            f"a 3-parameter power law needs at least 3 distinct model sizes, got {np.unique(sizes)}"
        )

    def replicate(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        picked = rng.integers(0, sizes.size, sizes.size)  # [m]
        return sizes[picked], losses[picked]

    samples, failures = _bootstrap_fits(replicate, bootstrap, seed)
    return _make_fit(sizes, losses, samples, failures, bootstrap, level)


def fit_power_law_items(
    n_params: Sequence[float],
    item_losses: Sequence[Sequence[float]],
    *,
    paired: bool = True,
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
) -> PowerLawFit:
    """Fit the power law to mean per-item losses, bootstrapping over items.

    ``item_losses[i]`` (shape ``[n_items_i]``) holds model ``i``'s loss on each item. With
    ``paired=True`` every model must have scored the same items in the same order, and each
    replicate draws one set of item indices for all models; ``paired=False`` resamples each
    model's items independently.
    """
    _check_bootstrap(bootstrap, level)
    sizes = _as_1d(n_params, "n_params", positive=True)  # [m]
    if len(item_losses) != sizes.size:
        raise ScalingInputError(
            f"n_params has {sizes.size} models but item_losses has {len(item_losses)} arrays"
        )
    per_model = [_as_1d(values, f"item_losses[{i}]") for i, values in enumerate(item_losses)]
    if np.unique(sizes).size < MIN_DISTINCT_SIZES:
        raise ScalingInputError(
            f"a 3-parameter power law needs at least 3 distinct model sizes, got {np.unique(sizes)}"
        )
    lengths = {values.size for values in per_model}
    if paired and len(lengths) != 1:
        raise ScalingInputError(
            f"paired=True needs the same items for every model, got item counts {sorted(lengths)}; "
            "pass paired=False if the models were scored on different items"
        )
    mean_losses = np.array([values.mean() for values in per_model])  # [m]

    if paired:
        stacked = np.stack(per_model)  # [m, n_items]

        def replicate(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            picked = rng.integers(0, stacked.shape[1], stacked.shape[1])  # [n_items]
            return sizes, stacked[:, picked].mean(axis=1)

    else:

        def replicate(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
            means = [
                values[rng.integers(0, values.size, values.size)].mean() for values in per_model
            ]
            return sizes, np.array(means)

    samples, failures = _bootstrap_fits(replicate, bootstrap, seed)
    return _make_fit(sizes, mean_losses, samples, failures, bootstrap, level)


# --------------------------------------------------------------------------- small vs large


def relative_reduction(small, large):
    """How much the loss fell, relative to the small model's: ``(small - large) / small``.

    A loss falling from 1.00 to 0.69 gives 0.31; a loss that rose gives a negative value.
    Works elementwise on arrays. Losses must be positive (a relative change from 0 is
    undefined).
    """
    small_array = np.asarray(small, dtype=float)
    large_array = np.asarray(large, dtype=float)
    if not (np.all(np.isfinite(small_array)) and np.all(np.isfinite(large_array))):
        raise ScalingInputError(f"losses must be finite, got small={small!r}, large={large!r}")
    if np.any(small_array <= 0):
        raise ScalingInputError(
            f"the small model's loss must be positive to take a relative change, got {small!r}; "
            "use the absolute difference instead"
        )
    reduction = (small_array - large_array) / small_array
    return float(reduction) if reduction.ndim == 0 else reduction


class AccuracyChange(NamedTuple):
    """Accuracy gained from the small to the large model."""

    absolute: float  # large - small, in accuracy points (0.10 = ten points)
    relative: float  # (large - small) / small; NaN when small == 0 (undefined)


def accuracy_change(small: float, large: float) -> AccuracyChange:
    """Absolute and relative accuracy gain from ``small`` to ``large`` (both in [0, 1]).

    ``accuracy_change(0.5, 0.6) == (0.1, 0.2)``. The relative gain is NaN when the small
    model's accuracy is 0: report the absolute gain then.
    """
    for name, value in (("small", small), ("large", large)):
        if not (math.isfinite(value) and 0.0 <= value <= 1.0):
            raise ScalingInputError(f"accuracy {name}={value!r} must be a number in [0, 1]")
    absolute = float(large) - float(small)
    relative = absolute / float(small) if small > 0 else math.nan
    return AccuracyChange(absolute, relative)


@dataclass(frozen=True)
class GapResult:
    """Confidence-competence gap between a small and a large model.

    ``ratio = relative_loss_reduction / relative_accuracy_change``: above 1 the large model
    became more confident faster than it became right. ``ratio_status`` says whether the
    ratio is a number:

    * ``"finite"``: the relative accuracy change is not ~0;
    * ``"accuracy_flat"``: |relative accuracy change| <= the threshold; the ratio is
      ``+-inf`` (NaN if the loss did not move either): unbounded, read the two relative
      changes instead;
    * ``"accuracy_baseline_zero"``: the small model's accuracy is 0, so the relative
      accuracy change (and the ratio) is undefined (NaN).

    ``ratio_bounded`` is True only when the status is finite *and* the bootstrap interval
    of the relative accuracy change excludes 0; otherwise ``ratio_interval`` is
    ``(-inf, inf)``, because a denominator that may be 0 makes the ratio unbounded.
    """

    loss_small: float
    loss_large: float
    accuracy_small: float
    accuracy_large: float
    relative_loss_reduction: float
    relative_loss_reduction_interval: tuple[float, float]
    absolute_accuracy_change: float
    absolute_accuracy_change_interval: tuple[float, float]
    relative_accuracy_change: float
    relative_accuracy_change_interval: tuple[float, float]
    ratio: float
    ratio_interval: tuple[float, float]
    ratio_status: str
    ratio_bounded: bool
    paired: bool
    n_items_small: int
    n_items_large: int
    n_bootstrap: int
    level: float


def _ratio_and_status(
    loss_reduction: float, accuracy_small: float, relative_accuracy: float, threshold: float
) -> tuple[float, str]:
    if accuracy_small == 0:
        return math.nan, "accuracy_baseline_zero"
    if abs(relative_accuracy) <= threshold:
        ratio = math.copysign(math.inf, loss_reduction) if loss_reduction != 0 else math.nan
        return ratio, "accuracy_flat"
    return loss_reduction / relative_accuracy, "finite"


def _item_arrays(loss_items, acc_items, which: str) -> tuple[np.ndarray, np.ndarray]:
    losses = _as_1d(loss_items, f"loss_{which}_items")
    accuracies = _as_1d(acc_items, f"acc_{which}_items")
    if losses.size != accuracies.size:
        raise ScalingInputError(
            f"loss_{which}_items has {losses.size} items but acc_{which}_items has "
            f"{accuracies.size}: give the loss and accuracy of the same items"
        )
    if np.any(accuracies < 0) or np.any(accuracies > 1):
        raise ScalingInputError(f"acc_{which}_items must lie in [0, 1]")
    if losses.mean() <= 0:
        raise ScalingInputError(f"the mean of loss_{which}_items must be positive")
    return losses, accuracies


def confidence_competence_gap(
    loss_small_items: Sequence[float],
    loss_large_items: Sequence[float],
    acc_small_items: Sequence[float],
    acc_large_items: Sequence[float],
    *,
    paired: bool = True,
    bootstrap: int = 1000,
    seed: int = 0,
    level: float = 0.95,
    flat_threshold: float = 1e-9,
) -> GapResult:
    """Relative loss improvement over relative accuracy improvement, small -> large model.

    Per-item inputs (shape ``[n_items]`` each): the loss (e.g. negative log-likelihood of
    the gold answer) and accuracy (0/1, or a probability of being right) of each item. With
    ``paired=True`` (default) both models scored the same items in the same order and each
    bootstrap replicate draws the same item indices for both; ``paired=False`` resamples the
    two models' items independently. See :class:`GapResult` for what happens when the
    accuracy change is ~0 (``|relative change| <= flat_threshold``).
    """
    _check_bootstrap(bootstrap, level)
    loss_small, acc_small = _item_arrays(loss_small_items, acc_small_items, "small")
    loss_large, acc_large = _item_arrays(loss_large_items, acc_large_items, "large")
    if paired and loss_small.size != loss_large.size:
        raise ScalingInputError(
            f"paired=True needs the same items for both models, got {loss_small.size} and "
            f"{loss_large.size} items; pass paired=False if the items differ"
        )

    def changes(small_pick, large_pick) -> tuple[float, float, float, float]:
        """(relative loss reduction, absolute and relative accuracy change, small acc)."""
        mean_acc_small = acc_small[small_pick].mean()
        absolute = acc_large[large_pick].mean() - mean_acc_small
        relative = absolute / mean_acc_small if mean_acc_small > 0 else math.nan
        reduction = 1 - loss_large[large_pick].mean() / loss_small[small_pick].mean()
        return reduction, absolute, relative, mean_acc_small

    everything_small, everything_large = np.arange(loss_small.size), np.arange(loss_large.size)
    reduction, absolute, relative, _ = changes(everything_small, everything_large)
    ratio, status = _ratio_and_status(reduction, acc_small.mean(), relative, flat_threshold)

    rng = np.random.default_rng(seed)
    replicates = np.empty((bootstrap, 3))  # [bootstrap, (reduction, absolute, relative)]
    for b in range(bootstrap):
        small_pick = rng.integers(0, loss_small.size, loss_small.size)  # [n_small]
        large_pick = small_pick if paired else rng.integers(0, loss_large.size, loss_large.size)
        replicates[b] = changes(small_pick, large_pick)[:3]
    relative_interval = (
        _percentile_interval(replicates[:, 2], level)
        if not np.any(np.isnan(replicates[:, 2]))
        else (math.nan, math.nan)  # some replicate had small accuracy 0: undefined
    )
    bounded = (
        status == "finite"
        and bootstrap > 0
        and (relative_interval[0] > 0 or relative_interval[1] < 0)
    )
    if bounded:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_samples = replicates[:, 0] / replicates[:, 2]  # [bootstrap]; +-inf if 0
        tail = (1 - level) / 2
        low, high = np.quantile(ratio_samples, [tail, 1 - tail], method="inverted_cdf")
        ratio_interval = (float(low), float(high))
    else:
        ratio_interval = (-math.inf, math.inf)

    return GapResult(
        loss_small=float(loss_small.mean()),
        loss_large=float(loss_large.mean()),
        accuracy_small=float(acc_small.mean()),
        accuracy_large=float(acc_large.mean()),
        relative_loss_reduction=float(reduction),
        relative_loss_reduction_interval=_percentile_interval(replicates[:, 0], level),
        absolute_accuracy_change=float(absolute),
        absolute_accuracy_change_interval=_percentile_interval(replicates[:, 1], level),
        relative_accuracy_change=float(relative),
        relative_accuracy_change_interval=relative_interval,
        ratio=float(ratio),
        ratio_interval=ratio_interval,
        ratio_status=status,
        ratio_bounded=bool(bounded),
        paired=paired,
        n_items_small=int(loss_small.size),
        n_items_large=int(loss_large.size),
        n_bootstrap=bootstrap,
        level=level,
    )


# --------------------------------------------------------------------------- correlation


class ScaleCorrelation(NamedTuple):
    """Rank (Spearman) and linear (Pearson, against log10 N) correlation with model size."""

    n: int
    spearman_rho: float
    spearman_p: float
    pearson_r: float  # correlation of the metric with log10(n_params)
    pearson_p: float
    constant_metric: bool  # True when the metric does not vary: correlations are NaN


def scale_correlation(
    n_params: Sequence[float], metric_values: Sequence[float]
) -> ScaleCorrelation:
    """Does ``metric_values[i]`` move with ``n_params[i]``? Spearman and Pearson vs log N.

    Needs at least 3 models and 2 distinct sizes. A constant metric (e.g. accuracy 0 for
    every model) gives NaN correlations with ``constant_metric=True`` rather than an error.
    p-values are two-sided, from scipy's default (asymptotic) tests: with five models they
    are coarse, a guide rather than a verdict.
    """
    sizes = _as_1d(n_params, "n_params", positive=True)  # [m]
    values = _as_1d(metric_values, "metric_values")  # [m]
    if sizes.shape != values.shape:
        raise ScalingInputError(
            f"n_params has {sizes.size} values but metric_values has {values.size}"
        )
    if sizes.size < 3 or np.unique(sizes).size < 2:
        raise ScalingInputError(
            f"a correlation needs at least 3 models of 2 or more sizes, got sizes {sizes}"
        )
    if np.all(values == values[0]):
        return ScaleCorrelation(int(sizes.size), math.nan, math.nan, math.nan, math.nan, True)
    spearman = scipy.stats.spearmanr(sizes, values)
    pearson = scipy.stats.pearsonr(np.log10(sizes), values)
    return ScaleCorrelation(
        n=int(sizes.size),
        spearman_rho=float(spearman.statistic),
        spearman_p=float(spearman.pvalue),
        pearson_r=float(pearson.statistic),
        pearson_p=float(pearson.pvalue),
        constant_metric=False,
    )
