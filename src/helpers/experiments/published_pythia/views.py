"""Tables for the book chapter on the published Pythia arithmetic results (claim 4, accuracy half).

Every table is built on :mod:`helpers.analysis.pythia_arithmetic` and shows **exact match of greedy
generation** (free generation, the first run of digits compared with the answer) of the Pythia
**deduped v0** models, *not* lm-evaluation-harness log-likelihood arithmetic (:data:`METRIC_LABEL`).

Two kinds of output:

* ``*_view`` functions return formatted tables for the page: parameter counts as "162M" / "1.4B",
  percentages rounded to what their interval supports (:func:`format_percent`), labelled columns;
* ``accuracy_points``, ``fit_curves`` and ``compute_comparison`` return tidy numeric tables for
  :mod:`helpers.experiments.published_pythia.charts`.

Intervals: accuracies carry 95% cluster-robust intervals (the 100 first operands are clusters of 50
items; the Wilson interval where every operand scores alike), with the naive Wilson interval and the
design effect beside them; changes carry paired cluster-bootstrap (BCa) intervals.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from helpers.analysis import pythia_arithmetic as pa
from helpers.render import numbers
from helpers.render.numbers import signed

METRIC_LABEL = (
    "exact match of greedy generation (free generation, not lm-evaluation-harness log-likelihood), Pythia deduped v0"
)
"""The metric of every arithmetic table and chart, for captions."""
MMLU_LABEL = "published MMLU-math accuracy (harness hendrycksTest v0, log-likelihood of the answer text), Pythia v1"
POINT_COLUMNS = (
    "model",
    "size",
    "model_label",
    "n_params",
    "step",
    "compute",
    "operation",
    "shots",
    "acc",
    "low",
    "high",
)
"""The columns of :func:`accuracy_points` the charts read."""
FIT_CURVE_COLUMNS = (*(column for column in POINT_COLUMNS if column != "operation"), "layer", "held_out")
"""The columns of :func:`fit_curves` (and ``operation``): a model's observed cell, or a fitted curve's point."""
TERM_LABELS = {
    "intercept": "intercept b0",
    "log10_compute": "b1: log10 training compute",
    "log2_1p_shots": "b2: log2(1 + shots)",
    "log10_compute:log2_1p_shots": "b3: log10 compute × log2(1 + shots)",
}


class PublishedPythiaViewError(ValueError):
    """A view was given settings or tables it cannot use."""


# ----------------------------------------------------------------------------------- formatting


def format_params(n_params: float) -> str:
    """A parameter count for a table: ``162M``, ``1.4B``, ``11.8B`` (exact totals, not the model-name size)."""
    if not isinstance(n_params, (int, float, np.integer, np.floating)) or not n_params > 0:
        raise PublishedPythiaViewError(f"a parameter count must be a positive number; got {n_params!r}.")
    return f"{n_params / 1e9:.1f}B" if n_params >= 1e9 else f"{n_params / 1e6:.0f}M"


def model_label(size: str) -> str:
    """``"1.4b"`` -> ``"pythia-1.4b"`` (the renamed v0 model)."""
    return f"pythia-{size}"


format_percent = numbers.percent_range
"""``0.0406, 0.0264, 0.0548`` -> ``"4.1% (2.6–5.5%)"``: decimals set by the interval's width."""
format_interval = numbers.range_text
"""``0.0264, 0.0548`` -> ``"2.6–5.5%"`` (decimals as in :func:`format_percent`)."""
format_difference = numbers.points_range
"""A difference of accuracies in percentage points: ``"+4.1 pp (+3.0 to +6.0)"``."""
format_p = numbers.p_value
"""The report's one p-value rule: ``"< 0.001"`` below a thousandth, else three decimals."""


def format_percent_bracketed(value: float, low: float, high: float) -> str:
    """``0.874, 0.858, 0.890`` -> ``"87.4% [85.8–89.0%]"``: :func:`format_percent` for running text."""
    if not numbers.finite(value, low, high):
        return "n/a"
    return f"{100 * value:.{numbers.decimals_for(high - low, scale=100)}f}% [{format_interval(low, high)}]"


# ------------------------------------------------------------------------------------- accuracy


def accuracy_points(frame: pd.DataFrame) -> pd.DataFrame:
    """:func:`~helpers.analysis.pythia_arithmetic.accuracy_table` plus ``model_label`` and ``params_label``.

    One row per model, step, operation and shots; numeric, for the charts. Accuracy = exact match of
    greedy generation; ``low``/``high`` = 95% cluster-robust interval.
    """
    table = pa.accuracy_table(frame)
    table["model_label"] = table["size"].map(model_label)
    table["params_label"] = table["n_params"].map(format_params)
    return table


def accuracy_view(frame: pd.DataFrame, step: int = pa.FINAL_STEP, shots: Sequence[int] = (0, 16)) -> pd.DataFrame:
    """Accuracy per model at ``step`` for the given shot counts: cluster interval, Wilson interval, design effect.

    Exact match of greedy generation, Pythia deduped v0; columns ``model``, ``parameters``, ``operation``,
    ``shots``, ``accuracy (95% CI, operands as clusters)``, ``naive 95% CI (Wilson, items independent)``,
    ``design effect``.
    """
    table = pa.accuracy_table(frame)
    table = table[(table["step"] == step) & table["shots"].isin(list(shots))]
    if table.empty:
        raise PublishedPythiaViewError(f"no accuracies at step={step!r}, shots={list(shots)!r}.")
    table = table.sort_values(["operation", "shots", "n_params"], kind="stable")
    return pd.DataFrame(
        {
            "model": table["size"].map(model_label).to_numpy(),
            "parameters": table["n_params"].map(format_params).to_numpy(),
            "operation": table["operation"].to_numpy(),
            "shots": table["shots"].to_numpy(),
            "accuracy (95% CI, operands as clusters)": [
                format_percent(r.acc, r.low, r.high) + (" (Wilson)" if r.interval != "cluster" else "")
                for r in table.itertuples()
            ],
            "naive 95% CI (Wilson, items independent)": [
                format_interval(r.wilson_low, r.wilson_high) for r in table.itertuples()
            ],
            "design effect": ["—" if math.isnan(d) else f"{d:.1f}" for d in table["design_effect"]],
        }
    )


def scale_change_view(
    frame: pd.DataFrame,
    step: int = pa.FINAL_STEP,
    shots: Sequence[int] = pa.SHOTS,
    n_resamples: int = 9999,
    seed: int = 0,
) -> pd.DataFrame:
    """Largest minus smallest model per operation and shots at ``step`` (exact match of greedy generation).

    Columns: ``operation``, ``shots``, ``smallest``, ``largest`` (model and parameters), ``accuracy
    smallest``/``largest`` (95% cluster CI), ``change [95% CI]`` in percentage points (paired
    bootstrap, BCa over operands; "[percentile]" where BCa is undefined), ``operands up / down``
    (of 100), ``p (paired t)``, ``p (sign-flip)``.
    """
    accuracy = pa.accuracy_table(frame).set_index(["model", "step", "operation", "shots"])
    rows = []
    for operation in pa.OPERATIONS:
        for shot in shots:
            change = pa.scale_change(frame, operation, shot, step, n_resamples=n_resamples, seed=seed)
            small = accuracy.loc[(change.small_model, step, operation, shot)]
            large = accuracy.loc[(change.large_model, step, operation, shot)]
            rows.append(
                {
                    "operation": operation,
                    "shots": shot,
                    "smallest": f"{model_label(small['size'])} ({format_params(small['n_params'])})",
                    "largest": f"{model_label(large['size'])} ({format_params(large['n_params'])})",
                    "accuracy smallest": format_percent(small["acc"], small["low"], small["high"]),
                    "accuracy largest": format_percent(large["acc"], large["low"], large["high"]),
                    "change [95% CI]": format_difference(change.difference, change.low, change.high)
                    + ("" if change.interval_method == "BCa" else f" [{change.interval_method}]"),
                    "operands up / down": f"{change.n_better} / {change.n_worse}",
                    "p (paired t)": format_p(change.p_value_t),
                    "p (sign-flip)": format_p(change.p_value_permutation),
                }
            )
    return pd.DataFrame(rows)


def scale_trend_view(frame: pd.DataFrame, step: int = pa.FINAL_STEP, shots: Sequence[int] = pa.SHOTS) -> pd.DataFrame:
    """WLS slope of accuracy (exact match of greedy generation) per tenfold parameters, over the 7 models.

    Columns: ``operation``, ``shots``, ``slope per 10× parameters (95% CI)`` in percentage points,
    ``p``, ``residual df``.
    """
    rows = []
    for operation in pa.OPERATIONS:
        for shot in shots:
            trend = pa.scale_trend(frame, operation, shot, step)
            rows.append(
                {
                    "operation": operation,
                    "shots": shot,
                    "slope per 10× parameters (95% CI)": format_difference(trend.slope, trend.low, trend.high),
                    "p": format_p(trend.p_value),
                    "residual df": int(trend.df_resid),
                }
            )
    return pd.DataFrame(rows)


# ------------------------------------------------------------------------------------------ fit


def fit_coefficients_view(frame: pd.DataFrame, operation: str, exclude_models: Sequence[str] = ()) -> pd.DataFrame:
    """Coefficients of the compute x shots fit (exact match of greedy generation) with both kinds of interval.

    95% Wald intervals from the quasi-binomial covariance (Pearson X²/df: lack of fit between cells) and
    from the sandwich clustered by first operand (the operands shared by every cell); the estimates agree.
    """
    fits = {
        errors: pa.fit_compute_shots(frame, operation, exclude_models, errors=errors) for errors in ("quasi", "cluster")
    }
    quasi, cluster = fits["quasi"].coefficients, fits["cluster"].coefficients
    return pd.DataFrame(
        {
            "term": quasi["term"].map(TERM_LABELS).to_numpy(),
            "estimate": [f"{v:.3g}" for v in quasi["estimate"]],
            f"95% CI, quasi-binomial (scale {fits['quasi'].scale:.0f})": [
                f"{lo:.3g} to {hi:.3g}" for lo, hi in zip(quasi["low"], quasi["high"])
            ],
            "95% CI, cluster-robust by operand": [
                f"{lo:.3g} to {hi:.3g}" for lo, hi in zip(cluster["low"], cluster["high"])
            ],
        }
    )


def fit_failures_view(failures: pa.FitFailures) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Two tables of where the fit of exact match (greedy generation) fails: the worst cells of the full fit by
    |Pearson residual|, and the held-out largest model per shots (observed, predicted without it, errors)."""
    worst = failures.worst_cells
    worst_table = pd.DataFrame(
        {
            "model": worst["size"].map(model_label).to_numpy(),
            "step": worst["step"].to_numpy(),
            "shots": worst["shots"].to_numpy(),
            "observed": [f"{100 * v:.1f}%" for v in worst["observed"]],
            "fitted": [f"{100 * v:.1f}%" for v in worst["predicted"]],
            "Pearson residual": [f"{signed(v, 0)}" for v in worst["pearson"]],
        }
    )
    held = failures.held_out.by_shots
    held_table = pd.DataFrame(
        {
            "shots": held["shots"].to_numpy(),
            "observed at final step": [f"{100 * v:.1f}%" for v in held["final_observed"]],
            "predicted without it": [f"{100 * v:.1f}%" for v in held["final_predicted"]],
            "error (pp), final step": [f"{signed(100 * v)}" for v in held["final_error"]],
            "mean |error| (pp), all steps": [f"{100 * v:.1f}" for v in held["mean_abs_error"]],
        }
    )
    return worst_table, held_table


def fit_curves(frame: pd.DataFrame, operation: str, n_points: int = 60, errors: str = "quasi") -> pd.DataFrame:
    """Observed cells and fitted curves of :func:`~helpers.analysis.pythia_arithmetic.fit_compute_shots`, for a chart.

    ``layer`` is "observed" (one row per model, step and shots: ``acc`` with the 95% cluster interval,
    ``held_out`` true for the largest model), "fit: all models" or "fit: without <largest>" (``acc``
    predicted over a log-spaced compute grid spanning the data, per shots). Exact match of greedy generation.
    """
    check = pa.held_out_check(frame, operation, errors=errors)
    full = pa.fit_compute_shots(frame, operation, errors=errors)
    observed = accuracy_points(frame[frame["operation"] == operation])
    observed = observed.assign(layer="observed", held_out=observed["model"] == check.model)
    grid = np.logspace(np.log10(observed["compute"].min()), np.log10(observed["compute"].max()), n_points)
    held_label = model_label(check.model.removeprefix("pythia-").removesuffix("-deduped-v0"))
    curves = [
        pd.DataFrame({"compute": grid, "shots": shot, "acc": fit.predict(grid, shot), "layer": label})
        for fit, label in ((full, "fit: all models"), (check.fit, f"fit: without {held_label}"))
        for shot in sorted(observed["shots"].unique())
    ]
    data = pd.concat([observed[list(FIT_CURVE_COLUMNS)], *curves], ignore_index=True)
    data["held_out"] = data["held_out"].fillna(False).astype(bool)
    data["operation"] = operation
    return data


# ----------------------------------------------------------------------------------- comparison


def compute_comparison(
    frame: pd.DataFrame,
    operation: str,
    shots: int,
    mmlu_shots: int = 0,
    family: str = "pythia-deduped",
    min_step: int = pa.STEPS[0],
    published: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Arithmetic and published MMLU-math accuracy against training compute, in one long table.

    ``panel`` is "arithmetic" (exact match of greedy generation, Pythia deduped v0, ``operation`` at
    ``shots``, 95% cluster intervals) or "MMLU-math" (:func:`~helpers.analysis.pythia_arithmetic.
    mmlu_math_vs_compute` of ``family`` at ``mmlu_shots``, ±1.96 stderr; steps >= ``min_step``, suspect
    2.8b rows dropped). Columns: panel, setting (e.g. "addition, 16-shot"), model, size, n_params, step,
    compute, value, low, high.
    """
    columns = ["panel", "setting", "model", "size", "n_params", "step", "compute", "value", "low", "high"]
    points = pa.accuracy_table(frame)
    points = points[(points["operation"] == operation) & (points["shots"] == shots)]
    mmlu = pa.mmlu_math_vs_compute(published)
    mmlu = mmlu[(mmlu["family"] == family) & (mmlu["shots"] == mmlu_shots) & (mmlu["step"] >= min_step)]
    if points.empty or mmlu.empty:
        raise PublishedPythiaViewError(
            f"nothing to compare: arithmetic rows for {operation!r} at {shots} shots: {len(points)}; MMLU-math rows "
            f"for {family!r} at {mmlu_shots} shots from step {min_step}: {len(mmlu)}."
        )
    arithmetic = points.rename(columns={"acc": "value"}).assign(
        panel="arithmetic", setting=f"{operation}, {shots}-shot"
    )
    mmlu = mmlu.assign(panel="MMLU-math", setting=f"{family}, {mmlu_shots}-shot")
    return pd.concat([arithmetic[columns], mmlu[columns]], ignore_index=True)
