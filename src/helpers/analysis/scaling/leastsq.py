"""One least-squares fit of ``L(N) = a * N**(-alpha) + c``, and which parameters hit a bound.

``N`` is divided by its geometric mean ``N0`` so the parameters are of order one:
``L = A * (N / N0)**(-alpha) + c`` with ``a = A * N0**alpha``. Least squares on ``L`` itself
(residuals in loss units: losses of one family span a factor of two or so, so log residuals
would weigh points almost equally anyway), with bounds ``A >= 1e-12``, ``alpha`` in
``[1e-6, 10]``, ``0 <= c <= min(L)``. The start comes from a grid over ``alpha``: for a fixed
``alpha`` the model is linear in ``(A, c)``, solved in closed form, and the best grid point
starts ``scipy.optimize.curve_fit``. Three parameters need at least three distinct ``N``.

A parameter within :data:`BOUND_RTOL` (relative to its scale: the mean loss for ``A``,
:data:`ALPHA_MAX` for ``alpha``, ``min(L)`` for ``c``) of a bound is reported at that bound:
the least-squares optimum then lies outside the power-law family the bounds allow (a loss that
does not fall with size, a step rather than a power law, an asymptote at or below zero or
above the smallest loss), and the value is the bound's, not the data's.
"""

from __future__ import annotations

import math
import warnings
from typing import NamedTuple

import numpy as np
import scipy.optimize

__all__ = [
    "ALPHA_GRID",
    "ALPHA_MAX",
    "MIN_DISTINCT_SIZES",
    "PARAMETERS",
    "BOUND_RTOL",
    "FitFailure",
    "OneFit",
    "fit_once",
    "describe_bound",
]

ALPHA_GRID = np.geomspace(0.01, 5.0, 60)
"""Exponents tried to start the fit (the model is linear in ``A`` and ``c`` for each)."""
ALPHA_MAX = 10.0
MIN_DISTINCT_SIZES = 3
PARAMETERS = ("a", "alpha", "c")
AMPLITUDE_MIN = 1e-12
ALPHA_MIN = 1e-6
BOUND_RTOL = 1e-6
"""A parameter this close to a bound (relative to its scale) counts as at the bound."""


class FitFailure(RuntimeError):
    """One fit could not be done; ``reason`` is a short label used to count failures."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


class OneFit(NamedTuple):
    """``(a, alpha, c)`` of one fit and, per parameter, -1 / +1 at its lower / upper bound, 0 inside."""

    params: tuple[float, float, float]
    bounds: tuple[int, int, int]


def describe_bound(name: str, side: int) -> str:
    """Words for parameter ``name`` at its lower (``side=-1``) or upper (``+1``) bound."""
    words = {
        ("a", -1): "a at its lower bound (amplitude ~0: the loss does not fall with size)",
        ("alpha", -1): f"alpha at its lower bound ({ALPHA_MIN:g}: no curvature to fit)",
        ("alpha", 1): f"alpha at its upper bound ({ALPHA_MAX:g}: a step, not a power law)",
        ("c", -1): "c at its lower bound (0: the asymptote wants to be negative)",
        ("c", 1): "c at its upper bound (the smallest loss: no room for the power-law term)",
    }
    return words.get((name, side), f"{name} at its {'lower' if side < 0 else 'upper'} bound")


def _side(value: float, lower: float, upper: float, scale: float) -> int:
    tolerance = BOUND_RTOL * scale
    if value - lower <= tolerance:
        return -1
    if upper - value <= tolerance:
        return 1
    return 0


def _start_from_grid(scaled_sizes: np.ndarray, loss: np.ndarray) -> tuple[float, float, float]:
    """Best ``(A, alpha, c)`` over :data:`ALPHA_GRID`, each solved linearly in ``(A, c)``."""
    power = scaled_sizes[None, :] ** (-ALPHA_GRID[:, None])  # [grid, m]
    centred_power = power - power.mean(axis=1, keepdims=True)  # [grid, m]
    slope = centred_power @ (loss - loss.mean()) / np.maximum(np.sum(centred_power**2, axis=1), 1e-300)  # [grid]
    intercept = np.clip(loss.mean() - slope * power.mean(axis=1), 0.0, loss.min())  # [grid]
    slope = np.maximum(
        np.sum(power * (loss - intercept[:, None]), axis=1) / np.sum(power**2, axis=1), 1e-12
    )  # [grid]: refit with the clipped intercept, amplitude kept positive
    sse = np.sum((slope[:, None] * power + intercept[:, None] - loss) ** 2, axis=1)  # [grid]
    best = int(np.argmin(sse))
    return float(slope[best]), float(ALPHA_GRID[best]), float(intercept[best])


def fit_once(n_params: np.ndarray, loss: np.ndarray) -> OneFit:
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
                bounds=([AMPLITUDE_MIN, ALPHA_MIN, 0.0], [np.inf, ALPHA_MAX, upper_c]),
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
    scales = (max(float(np.mean(np.abs(loss))), 1e-12), ALPHA_MAX, upper_c)
    bounds = tuple(
        _side(value, lower, upper, scale)
        for value, lower, upper, scale in zip(
            (amplitude, alpha, c), (AMPLITUDE_MIN, ALPHA_MIN, 0.0), (math.inf, ALPHA_MAX, upper_c), scales
        )
    )
    return OneFit((amplitude * reference_size**alpha, alpha, c), bounds)
