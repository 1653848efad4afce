"""Input checks and the percentile interval shared by the scaling modules."""

from __future__ import annotations

import math

import numpy as np

from helpers.analysis.resampling import check_resamples


class ScalingInputError(ValueError):
    """Bad input to a scaling function (shapes, non-finite or non-positive values)."""


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
    """Raise :class:`ScalingInputError` unless ``bootstrap`` is 0 or >= 100 (:mod:`helpers.analysis.resampling`)
    and ``level`` is in (0, 1)."""
    check_resamples(bootstrap, error=ScalingInputError)
    if not 0 < level < 1:
        raise ScalingInputError(f"level must be in (0, 1), e.g. 0.95, got {level!r}")


def _percentile_interval(samples: np.ndarray, level: float) -> tuple[float, float]:
    """The central ``level`` percentile interval of ``samples`` (NaNs if there are none)."""
    if samples.size == 0:
        return (math.nan, math.nan)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(samples, [tail, 100 - tail])
    return (float(low), float(high))
