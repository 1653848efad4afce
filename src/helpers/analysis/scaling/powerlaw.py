"""Power law plus constant, ``L(N) = a * N**(-alpha) + c``, with percentile bootstrap intervals.

:func:`fit_power_law` fits one loss per model, :func:`fit_power_law_items` the mean of per-item
losses. One least-squares fit is :func:`helpers.analysis.scaling.leastsq.fit_once` (the scaling
of ``N``, the bounds and the start are described there).

The bootstrap. :func:`fit_power_law` resamples the ``(N, L)`` points; with five models per
family this is crude (a resample with fewer than three distinct ``N`` cannot be fitted and is
counted as failed), and with only three distinct sizes it cannot work at all: every resample
either repeats a size (too few sizes for three parameters) or is the data set itself (the same
fit again), so no interval is given. :func:`fit_power_law_items` resamples items instead, which
is what varies between runs: with ``paired=True`` (the models scored the same items, in the same
order) one set of item indices is drawn per replicate and used for every model, otherwise each
model's items are resampled independently. Replicates whose fit fails are counted by reason
(:attr:`PowerLawFit.failures`), never dropped silently.

What the result says besides the numbers: ``dof`` (points minus the 3 parameters; 0 means the
curve passes through every point and tests nothing), ``at_bound`` (parameters of the point fit
sitting at a bound of the optimisation: the data push them outside the power-law family), and a
parameter's interval is NaN when at least ``1 - (1 - level) / 2`` of the bootstrap fits put it
at the same bound (the percentile interval would then be the bound itself, zero width). ``note``
says in words why an interval is missing and what is at a bound.
"""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np

from helpers.analysis.scaling.leastsq import (
    MIN_DISTINCT_SIZES,
    PARAMETERS,
    FitFailure,
    describe_bound,
    fit_once,
)
from helpers.analysis.scaling.validation import (
    ScalingInputError,
    _as_1d,
    _check_bootstrap,
    _percentile_interval,
)

NO_POINT_INTERVAL = (
    "no interval: with 3 distinct model sizes a resample of the points either repeats a size "
    "(too few sizes for 3 parameters) or is the data set itself (the same fit), so resampling "
    "points cannot measure the uncertainty; use fit_power_law_items on per-item losses"
)


@dataclass(frozen=True)
class PowerLawFit:
    """``L(N) = a * N**(-alpha) + c`` with bootstrap percentile intervals.

    ``samples`` holds the successful bootstrap replicates' ``(a, alpha, c)`` (shape
    ``[n_ok, 3]``); ``n_failed`` of ``n_bootstrap`` replicates failed, counted by reason in
    ``failures``. ``dof``: residual degrees of freedom, points fitted minus 3 parameters.
    ``at_bound``: names of the point fit's parameters at a bound of the optimisation (e.g.
    ``("alpha",)``). An interval is ``(nan, nan)`` when none can be given (see the module
    docstring); ``note`` says why, and is ``""`` when there is nothing to say.
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
    dof: int
    at_bound: tuple[str, ...]
    note: str
    n_params: np.ndarray = field(repr=False)  # [m] model sizes fitted
    loss: np.ndarray = field(repr=False)  # [m] mean loss per model
    samples: np.ndarray = field(repr=False)  # [n_ok, 3] bootstrap (a, alpha, c)

    def predict(self, n_params) -> np.ndarray:
        """The fitted loss at ``n_params`` (scalar or array of parameter counts)."""
        sizes = np.asarray(n_params, dtype=float)
        return self.a * sizes ** (-self.alpha) + self.c

    def predict_interval(self, n_params) -> tuple[np.ndarray, np.ndarray]:
        """Pointwise bootstrap percentile band ``(low, high)`` of the loss at ``n_params``.

        NaN when there are no bootstrap fits (none requested, none possible, or all failed).
        """
        sizes = np.atleast_1d(np.asarray(n_params, dtype=float))  # [k]
        if len(self.samples) == 0:
            nan = np.full(sizes.shape, np.nan)
            return nan, nan.copy()
        a, alpha, c = (self.samples[:, i : i + 1] for i in range(3))  # each [n_ok, 1]
        curves = a * sizes[None, :] ** (-alpha) + c  # [n_ok, k]
        tail = 100 * (1 - self.level) / 2
        low, high = np.percentile(curves, [tail, 100 - tail], axis=0)  # each [k]
        return low, high

    def to_dict(self) -> dict[str, float | int | str]:
        """Point estimates, interval ends, failures, ``dof``, ``at_bound`` and ``note`` (a table row)."""
        row: dict[str, float | int | str] = {}
        for name in PARAMETERS:
            low, high = getattr(self, f"{name}_interval")
            row.update({name: getattr(self, name), f"{name}_low": low, f"{name}_high": high})
        row.update(
            n_bootstrap=self.n_bootstrap,
            n_failed=self.n_failed,
            dof=self.dof,
            at_bound=",".join(self.at_bound),
            note=self.note,
        )
        return row


def _bootstrap_fits(
    replicate: Callable[[np.random.Generator], tuple[np.ndarray, np.ndarray]],
    bootstrap: int,
    seed: int,
) -> tuple[np.ndarray, np.ndarray, Counter]:
    """Fit ``bootstrap`` resampled data sets.

    Returns ``([n_ok, 3] params, [n_ok, 3] bound codes, failure counts)``; a bound code is -1
    (at the lower bound), +1 (upper) or 0 (inside), per ``(a, alpha, c)``.
    """
    rng = np.random.default_rng(seed)
    samples, codes, failures = [], [], Counter()
    for _ in range(bootstrap):
        sizes, losses = replicate(rng)
        try:
            one = fit_once(sizes, losses)
        except FitFailure as failure:
            failures[failure.reason] += 1
            continue
        samples.append(one.params)
        codes.append(one.bounds)
    return (
        np.array(samples, dtype=float).reshape(-1, 3),
        np.array(codes, dtype=int).reshape(-1, 3),
        failures,
    )


def _interval(samples: np.ndarray, codes: np.ndarray, index: int, level: float, notes: list[str]):
    """Percentile interval of parameter ``index``, or NaNs (and a note) if a bound decides it."""
    name = PARAMETERS[index]
    if samples.shape[0] == 0:
        return _percentile_interval(samples[:, index], level)
    for side in (-1, 1):
        share = float(np.mean(codes[:, index] == side))
        if share >= 1 - (1 - level) / 2:
            notes.append(
                f"no interval for {name}: {describe_bound(name, side)} in {share:.0%} of the "
                f"{samples.shape[0]} bootstrap fits, so the percentile interval would be the bound"
            )
            return (float("nan"), float("nan"))
    return _percentile_interval(samples[:, index], level)


def _make_fit(
    n_params: np.ndarray,
    loss: np.ndarray,
    resampled: tuple[np.ndarray, np.ndarray, Counter] | None,
    bootstrap: int,
    level: float,
) -> PowerLawFit:
    """The point fit plus intervals; ``resampled`` is None when no bootstrap could be run."""
    point = fit_once(n_params, loss)
    notes: list[str] = []
    dof = int(n_params.size) - len(PARAMETERS)
    if dof == 0:
        notes.append(
            "0 residual degrees of freedom: the curve passes through every point, "
            "so the fit cannot test the power-law form"
        )
    at_bound = tuple(name for name, code in zip(PARAMETERS, point.bounds) if code)
    notes.extend(f"point fit: {describe_bound(name, code)}" for name, code in zip(PARAMETERS, point.bounds) if code)
    if resampled is None:
        notes.append(NO_POINT_INTERVAL)
        samples, codes, failures, bootstrap = np.empty((0, 3)), np.empty((0, 3), int), Counter(), 0
    else:
        samples, codes, failures = resampled
    n_failed = int(sum(failures.values()))
    if bootstrap and n_failed > bootstrap / 10:
        warnings.warn(
            f"{n_failed} of {bootstrap} bootstrap fits failed ({dict(failures)}); the intervals rest on the rest only",
            RuntimeWarning,
            stacklevel=3,
        )
    if bootstrap and samples.shape[0] == 0:
        notes.append(f"no interval: all {bootstrap} bootstrap fits failed ({dict(failures)})")
    intervals = [_interval(samples, codes, i, level, notes) for i in range(len(PARAMETERS))]
    a, alpha, c = point.params
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
        dof=dof,
        at_bound=at_bound,
        note="; ".join(notes),
        n_params=n_params,
        loss=loss,
        samples=samples,
    )


def _check_sizes(sizes: np.ndarray) -> None:
    if np.unique(sizes).size < MIN_DISTINCT_SIZES:
        raise ScalingInputError(
            f"a 3-parameter power law needs at least 3 distinct model sizes, got {np.unique(sizes)}"
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
    :func:`fit_power_law_items` when per-item losses are available). With exactly 3 distinct
    sizes no bootstrap is run and the intervals are NaN (``note`` says why). Raises
    :class:`ScalingInputError` for bad input and :class:`FitFailure` if the point fit fails.
    """
    _check_bootstrap(bootstrap, level)
    sizes = _as_1d(n_params, "n_params", positive=True)  # [m]
    losses = _as_1d(loss, "loss")  # [m]
    if sizes.shape != losses.shape:
        raise ScalingInputError(f"n_params has {sizes.size} values but loss has {losses.size}: one loss per model")
    _check_sizes(sizes)
    if np.unique(sizes).size <= MIN_DISTINCT_SIZES:
        return _make_fit(sizes, losses, None, bootstrap, level)

    def replicate(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        picked = rng.integers(0, sizes.size, sizes.size)  # [m]
        return sizes[picked], losses[picked]

    return _make_fit(sizes, losses, _bootstrap_fits(replicate, bootstrap, seed), bootstrap, level)


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
        raise ScalingInputError(f"n_params has {sizes.size} models but item_losses has {len(item_losses)} arrays")
    per_model = [_as_1d(values, f"item_losses[{i}]") for i, values in enumerate(item_losses)]
    _check_sizes(sizes)
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
            means = [values[rng.integers(0, values.size, values.size)].mean() for values in per_model]
            return sizes, np.array(means)

    resampled = _bootstrap_fits(replicate, bootstrap, seed)
    return _make_fit(sizes, mean_losses, resampled, bootstrap, level)
