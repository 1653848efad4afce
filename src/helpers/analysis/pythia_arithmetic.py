"""Published Pythia (deduped, **v0**) few-shot arithmetic: exact match of free generation, clustered by operand.

The rows (``data/reference/pythia_arithmetic/``, validated), the accuracy per cell with cluster
intervals, and the smallest-vs-largest and along-size comparisons come from
:mod:`helpers.analysis.pythia_arithmetic_accuracy` and are re-exported here, so callers import
everything from this module. This module fits accuracy against training compute C = 6·N·D and shots
(a binomial GLM on the aggregated cells with cluster-robust errors by operand), checks the fit on a
held-out model and by its worst cells, and lines up published MMLU-math accuracy against compute.
Scoring is **greedy generation, exact match**, *not* lm-evaluation-harness log-likelihood arithmetic.
Numbers only: pandas / numpy / scipy / statsmodels, never torch or altair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats

from helpers.analysis import published as reference
from helpers.analysis.pythia_arithmetic_accuracy import ARITHMETIC_DIR as ARITHMETIC_DIR
from helpers.analysis.pythia_arithmetic_accuracy import CELL as CELL
from helpers.analysis.pythia_arithmetic_accuracy import FINAL_STEP as FINAL_STEP
from helpers.analysis.pythia_arithmetic_accuracy import OPERATIONS as OPERATIONS
from helpers.analysis.pythia_arithmetic_accuracy import PYTHIA_SIZES as PYTHIA_SIZES
from helpers.analysis.pythia_arithmetic_accuracy import SHOTS as SHOTS
from helpers.analysis.pythia_arithmetic_accuracy import STEPS as STEPS
from helpers.analysis.pythia_arithmetic_accuracy import TOKENS_PER_STEP, ArithmeticAnalysisError, require_rows
from helpers.analysis.pythia_arithmetic_accuracy import ArithmeticDataError as ArithmeticDataError
from helpers.analysis.pythia_arithmetic_accuracy import ScaleChange as ScaleChange
from helpers.analysis.pythia_arithmetic_accuracy import ScaleTrend as ScaleTrend
from helpers.analysis.pythia_arithmetic_accuracy import accuracy_table as accuracy_table
from helpers.analysis.pythia_arithmetic_accuracy import load_pythia_arithmetic as load_pythia_arithmetic
from helpers.analysis.pythia_arithmetic_accuracy import scale_change as scale_change
from helpers.analysis.pythia_arithmetic_accuracy import scale_trend as scale_trend

TERMS = ("intercept", "log10_compute", "log2_1p_shots", "log10_compute:log2_1p_shots")
MMLU_PATTERN = "hendrycksTest-(" + "|".join(t.removeprefix("hendrycksTest-") for t in reference.MMLU_MATH_SIZES) + ")"


def _design(compute, shots) -> np.ndarray:
    lc, ls = np.broadcast_arrays(
        np.log10(np.asarray(compute, dtype=float)), np.log2(1.0 + np.asarray(shots, dtype=float))
    )
    lc, ls = lc.ravel(), ls.ravel()
    return np.column_stack([np.ones(lc.size), lc, ls, lc * ls])


@dataclass(frozen=True)
class ComputeShotsFit:
    """Exact match of greedy generation ~ binomial GLM, logit(acc) = b0 + b1·lg C + b2·log2(1+s) + b3·lg C·log2(1+s)."""

    operation: str
    errors: str  # "quasi" (Pearson X²/df scale) or "cluster" (sandwich clustered by first operand)
    excluded_models: tuple[str, ...]
    coefficients: pd.DataFrame  # term, estimate, se, low, high
    cells: pd.DataFrame  # model, size, n_params, step, compute, shots, k, n, observed, predicted, residual, pearson
    scale: float  # Pearson X² / df over the aggregated cells (1 = binomial)
    result: Any  # the statsmodels GLMResults

    def predict(self, compute, shots) -> np.ndarray:
        """Predicted exact-match accuracy at training compute ``compute`` (FLOPs) and ``shots`` (broadcast)."""
        eta = _design(compute, shots) @ self.coefficients["estimate"].to_numpy()
        return (1.0 / (1.0 + np.exp(-eta))).reshape(np.broadcast(np.asarray(compute), np.asarray(shots)).shape)


def _cells(rows: pd.DataFrame) -> pd.DataFrame:
    return (
        rows.groupby(["model", "size", "n_params", "step", "compute", "shots"], sort=True, observed=True)
        .agg(k=("k_correct", "sum"), n=("n_items", "sum"))
        .reset_index()
    )


def fit_compute_shots(
    frame: pd.DataFrame,
    operation: str,
    exclude_models: Sequence[str] = (),
    *,
    errors: str = "quasi",
    confidence: float = 0.95,
) -> ComputeShotsFit:
    """Joint fit of exact-match accuracy (greedy generation) in training compute and shots.

    After Montgomery et al. (2025, arXiv:2510.14919): binomial GLM (logit) on the aggregated counts k of
    n = 5,000 per model x step x shots, in log10(C) (C = 6·N·D, N total parameters), log2(1 + shots) and
    their product. ``errors="quasi"`` (default): binomial covariance x Pearson X²/df over the cells, which
    absorbs the lack of fit between models but not the sharing of operands; ``errors="cluster"``: the same
    estimates refitted on per-operand rows, sandwich covariance clustered by operand (sharing, not misfit).

    Zero-accuracy cells stay in the likelihood as observed zeros (log(1 - p) terms; no log(0), nothing
    dropped or smoothed). All cells 0 (or n), one model, or no convergence raise ArithmeticAnalysisError.
    """
    if errors not in ("quasi", "cluster"):
        raise ArithmeticAnalysisError(f"errors={errors!r}; choose 'cluster' or 'quasi'.")
    require_rows(frame)
    rows = frame[(frame["operation"] == operation) & ~frame["model"].isin(list(exclude_models))]
    cells = _cells(rows)
    if cells.empty or cells["k"].sum() == 0 or (cells["k"] == cells["n"]).all() or cells["model"].nunique() < 2:
        raise ArithmeticAnalysisError(
            f"{operation!r} minus {list(exclude_models)}: no rows, one model or all 0 / all n."
        )
    x = _design(cells["compute"], cells["shots"])
    model = sm.GLM(np.column_stack([cells["k"], cells["n"] - cells["k"]]), x, family=sm.families.Binomial())
    result = model.fit()
    if not getattr(result, "converged", True) or not np.all(np.isfinite(result.params)):
        raise ArithmeticAnalysisError(f"{operation}: the binomial GLM did not converge.")
    p = np.clip(1.0 / (1.0 + np.exp(-(x @ np.asarray(result.params)))), 1e-12, 1 - 1e-12)
    cells = cells.assign(observed=cells["k"] / cells["n"], predicted=p, residual=cells["k"] / cells["n"] - p)
    cells["pearson"] = (cells["k"] - cells["n"] * p) / np.sqrt(cells["n"] * p * (1 - p))
    scale = float((cells["pearson"] ** 2).sum() / (len(cells) - len(TERMS)))
    if errors == "quasi":  # a float scale: statsmodels' scale="X2" misreads two-column binomial counts
        result = model.fit(scale=scale)
    else:
        endog = np.column_stack([rows["k_correct"], rows["n_items"] - rows["k_correct"]])
        result = sm.GLM(endog, _design(rows["compute"], rows["shots"]), family=sm.families.Binomial()).fit(
            cov_type="cluster", cov_kwds={"groups": rows["operand"].to_numpy()}
        )
    interval = np.asarray(result.conf_int(alpha=1 - confidence))
    coefficients = pd.DataFrame(
        {
            "term": TERMS,
            "estimate": np.asarray(result.params),
            "se": np.asarray(result.bse),
            "low": interval[:, 0],
            "high": interval[:, 1],
        }
    )
    return ComputeShotsFit(operation, errors, tuple(exclude_models), coefficients, cells, scale, result)


@dataclass(frozen=True)
class HeldOutCheck:
    """The fit without one model, predicting that model's cells (exact match of greedy generation)."""

    model: str
    fit: ComputeShotsFit
    cells: pd.DataFrame  # the held-out model's cells: step, shots, k, n, observed, predicted, error (obs - pred)
    by_shots: pd.DataFrame  # shots, mean_error, mean_abs_error (over steps), final_observed/_predicted/_error


def held_out_check(
    frame: pd.DataFrame, operation: str, held_out: str | None = None, *, errors: str = "quasi"
) -> HeldOutCheck:
    """Fit :func:`fit_compute_shots` without ``held_out`` (default: largest model), predict its exact match of greedy
    generation (cells: observed, predicted, error = observed - predicted; by_shots: mean and final-step errors)."""
    held_out = held_out or str(frame.loc[frame["n_params"].idxmax(), "model"])
    if held_out not in set(frame["model"]):
        raise ArithmeticAnalysisError(f"model {held_out!r} not in the table; available: {sorted(set(frame['model']))}.")
    fit = fit_compute_shots(frame, operation, exclude_models=(held_out,), errors=errors)
    cells = _cells(frame[(frame["operation"] == operation) & (frame["model"] == held_out)])
    cells = cells.assign(observed=cells["k"] / cells["n"], predicted=fit.predict(cells["compute"], cells["shots"]))
    cells["error"] = cells["observed"] - cells["predicted"]
    final = cells[cells["step"] == cells["step"].max()].set_index("shots")
    by_shots = (
        cells.assign(abs_error=cells["error"].abs())
        .groupby("shots")
        .agg(mean_error=("error", "mean"), mean_abs_error=("abs_error", "mean"))
    )
    by_shots[["final_observed", "final_predicted", "final_error"]] = final[["observed", "predicted", "error"]]
    return HeldOutCheck(held_out, fit, cells, by_shots.reset_index())


@dataclass(frozen=True)
class FitFailures:
    """Where the compute x shots fit of exact match (greedy generation) misses: worst cells, held-out errors."""

    worst_cells: pd.DataFrame  # the n_worst cells of the full fit by |Pearson residual|
    held_out: HeldOutCheck


def where_fit_fails(frame: pd.DataFrame, operation: str, n_worst: int = 10, *, errors: str = "quasi") -> FitFailures:
    """The ``n_worst`` cells (exact match of greedy generation) with the largest |Pearson residual|, and the
    held-out check of the largest model (:func:`held_out_check`)."""
    cells = fit_compute_shots(frame, operation, errors=errors).cells
    worst = cells.loc[cells["pearson"].abs().sort_values(ascending=False).index[:n_worst]].reset_index(drop=True)
    return FitFailures(worst, held_out_check(frame, operation, errors=errors))


def mmlu_math_vs_compute(
    published: pd.DataFrame | None = None, *, drop_suspect: bool = True, confidence: float = 0.95
) -> pd.DataFrame:
    """Published MMLU-math accuracy of both Pythia v1 families at every checkpoint, against training compute.

    From :func:`helpers.analysis.published.over_training` (harness hendrycksTest v0, answer text scored by
    **log-likelihood**, 5 subjects size-weighted, N = 1064), 0- and 5-shot: v1 runs, not the v0 arithmetic
    models. Step 0 is dropped; ``drop_suspect`` drops pythia-2.8b(-deduped) at steps <= 43000, else
    ``suspect`` flags them. Columns: family, model, size, n_params, step, tokens, compute (6·N·D), shots,
    metric ("mmlu_math_acc"), value, low, high (value ± z·stderr), stderr, n_items, suspect.
    """
    table = reference.load_published() if published is None else published
    data = pd.concat(
        [
            reference.over_training(table, MMLU_PATTERN, "acc", shots=shots, combine=True).assign(shots=shots)
            for shots in (0, 5)
        ],
        ignore_index=True,
    )
    data = data[(data["step"] > 0) & ~(data["suspect"] & drop_suspect)]
    half = stats.norm.ppf(0.5 + confidence / 2) * data["stderr"].astype(float)
    model, step, n_params = data["model"].astype(str), data["step"].astype("int64"), data["params"].astype("int64")
    out = pd.DataFrame(
        {
            "family": data["family"].astype(str),
            "model": model,
            "size": model.str.extract(r"pythia-([^-]+)")[0],
            "n_params": n_params,
            "step": step,
            "tokens": step * TOKENS_PER_STEP,
            "compute": 6.0 * n_params.astype(float) * (step * TOKENS_PER_STEP).astype(float),
            "shots": data["shots"].astype("int64"),
            "metric": "mmlu_math_acc",
            "value": data["value"].astype(float),
            "low": np.clip(data["value"] - half, 0, 1),
            "high": np.clip(data["value"] + half, 0, 1),
            "stderr": data["stderr"].astype(float),
            "n_items": int(sum(reference.MMLU_MATH_SIZES.values())),
            "suspect": data["suspect"].astype(bool),
        }
    )
    return out.sort_values(["family", "n_params", "shots", "step"], kind="stable").reset_index(drop=True)
