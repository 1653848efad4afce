"""Small model against large model: the confidence-competence gap and its parts.

* :func:`relative_reduction`: how much the loss fell, relative to the small model's;
* :func:`accuracy_change`: absolute and relative accuracy gain;
* :func:`confidence_competence_gap`: how much more *confident* the large model is on the right
  answer (relative fall of the loss) against how much more often it is *right* (relative rise
  of the accuracy), with bootstrap intervals over items (paired when both models scored the
  same items); the accuracy change of 0/1 outcomes gets Newcombe's exact-coverage score interval
  instead (paired or not), never a percentile bootstrap of 0/1 differences.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from helpers.analysis.scaling.validation import (
    ScalingInputError,
    _as_1d,
    _check_bootstrap,
    _percentile_interval,
)


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


def _exact_accuracy_interval(acc_small, acc_large, paired: bool, level: float) -> tuple[float, float] | None:
    """Newcombe's interval of the accuracy change when every accuracy is 0/1 (paired: method 10 over the
    2x2 table; unpaired: the hybrid score interval, statsmodels), else None (probabilities: bootstrap)."""
    binary = all(np.all((a == 0) | (a == 1)) for a in (acc_small, acc_large))
    if not binary:
        return None
    if paired:
        from helpers.analysis.inference import newcombe_paired_interval

        small, large = acc_small.astype(bool), acc_large.astype(bool)
        return newcombe_paired_interval(
            int((small & large).sum()),
            int((~small & large).sum()),
            int((small & ~large).sum()),
            int((~small & ~large).sum()),
            level,
        )
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(
        int(acc_large.sum()), acc_large.size, int(acc_small.sum()), acc_small.size, method="newcomb", alpha=1 - level
    )
    return float(low), float(high)


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
    bounded = status == "finite" and bootstrap > 0 and (relative_interval[0] > 0 or relative_interval[1] < 0)
    if bounded:
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio_samples = replicates[:, 0] / replicates[:, 2]  # [bootstrap]; +-inf if 0
        tail = (1 - level) / 2
        low, high = np.quantile(ratio_samples, [tail, 1 - tail], method="inverted_cdf")
        ratio_interval = (float(low), float(high))
    else:
        ratio_interval = (-math.inf, math.inf)

    accuracy_interval = _exact_accuracy_interval(acc_small, acc_large, paired, level)
    return GapResult(
        loss_small=float(loss_small.mean()),
        loss_large=float(loss_large.mean()),
        accuracy_small=float(acc_small.mean()),
        accuracy_large=float(acc_large.mean()),
        relative_loss_reduction=float(reduction),
        relative_loss_reduction_interval=_percentile_interval(replicates[:, 0], level),
        absolute_accuracy_change=float(absolute),
        absolute_accuracy_change_interval=accuracy_interval or _percentile_interval(replicates[:, 1], level),
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
