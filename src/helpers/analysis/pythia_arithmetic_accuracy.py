"""Published Pythia (deduped, **v0**) few-shot arithmetic: the rows, accuracy per cell, and the change along size.

Data: ``data/reference/pythia_arithmetic/`` (provenance in its SOURCES.md): one row per model, checkpoint,
shots and first operand x1, the mean over 50 items (x2 = 1..50). Scoring is **greedy generation, exact
match** of the first run of digits, *not* lm-evaluation-harness log-likelihood arithmetic. Old v0 names
(125m ... 13b) map to the renamed models (pythia-160m ... pythia-12b) and their exact **total** parameter
counts N (embeddings included) from :mod:`helpers.analysis.published`; D = step x 2,097,152 tokens;
training compute C = 6·N·D. The 100 operands are clusters of 50 items in every inference below. The fit
of accuracy on compute and shots lives in :mod:`helpers.analysis.pythia_arithmetic`, which re-exports
the public names of this module (callers import from there). Numbers only: pandas / numpy / scipy /
statsmodels, never torch or altair.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.proportion import proportion_confint

from helpers.analysis import published as reference
from helpers.analysis.paired import paired_bootstrap
from helpers.analysis.trend import MIN_MODELS, item_floor, wls_slope
from helpers.infra.paths import DATA_DIR

ARITHMETIC_DIR = DATA_DIR / "reference" / "pythia_arithmetic"
HEADER = ["model", "checkpoint", "task", "fewshot", "acc", "acc_stderr"]
PYTHIA_SIZES = ("70m", "160m", "410m", "1b", "1.4b", "2.8b", "6.9b", "12b")  # 70m: MMLU table only
OLD_TO_NEW = {
    "125m": "160m",
    "350m": "410m",
    "800m": "1b",
    "1.3b": "1.4b",
    "2.7b": "2.8b",
    "6.7b": "6.9b",
    "13b": "12b",
}
STEPS = (13000, 39000, 65000, 91000, 117000, 143000)
SHOTS = (0, 2, 4, 8, 16)
OPERATIONS = ("addition", "multiplication")
FINAL_STEP = 143000
N_OPERANDS = 100
ITEMS_PER_OPERAND = 50
ROWS_PER_FILE = len(STEPS) * len(SHOTS) * len(OPERATIONS) * N_OPERANDS
TOKENS_PER_STEP = reference.TOKENS_PER_STEP
TASK_RE = r"num_reasoning_arithmetic_(addition|multiplication)_(\d+)"
CELL = ["model", "old_name", "size", "n_params", "step", "tokens", "compute", "operation", "shots"]
ROW_COLUMNS = CELL + ["operand", "acc", "k_correct", "n_items"]


class ArithmeticDataError(ValueError):
    """A CSV of the arithmetic reference is missing or malformed (the message names file, line and field)."""


class ArithmeticAnalysisError(ValueError):
    """An analysis was asked for rows, models or settings the table does not have."""


def _param_counts(published: pd.DataFrame) -> dict[str, int]:
    """Pythia size -> exact total parameter count, from the published table's deduped models."""
    rows = published[published["family"] == "pythia-deduped"].drop_duplicates("model")
    counts = {
        str(m).removeprefix("pythia-").removesuffix("-deduped"): int(p) for m, p in zip(rows["model"], rows["params"])
    }
    missing = [size for size in OLD_TO_NEW.values() if size not in counts]
    if missing:
        raise ArithmeticDataError(f"the published table lacks parameter counts of pythia sizes {missing}.")
    return counts


def _fail(file: Path, line: Any, field: str, message: str) -> None:
    raise ArithmeticDataError(f"{file}, line {line}, field {field!r}: {message}")


def _read_file(file: Path, old: str) -> pd.DataFrame:
    if not file.is_file():
        _fail(file, "-", "file", "missing; restore data/reference/pythia_arithmetic/ (see its SOURCES.md).")
    with file.open(newline="", encoding="utf-8") as handle:
        header = handle.readline().rstrip("\r\n").split(",")
    if header != HEADER:
        _fail(file, 1, "header", f"got {header}, expected {HEADER}.")
    try:
        raw = pd.read_csv(file, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        _fail(file, "?", "row", f"not a well-formed CSV: {error}")
    if len(raw) != ROWS_PER_FILE:
        _fail(file, len(raw) + 1, "rows", f"{len(raw)} data rows, expected {ROWS_PER_FILE}.")

    def check(bad, field: str, message: str) -> None:
        if np.any(bad):
            index = int(np.flatnonzero(np.asarray(bad))[0])
            _fail(file, index + 2, field, f"value {raw[field].iloc[index]!r} {message}")

    check(raw["model"] != f"EleutherAI/pythia-{old}-deduped", "model", f"is not EleutherAI/pythia-{old}-deduped.")
    step, shots = pd.to_numeric(raw["checkpoint"], errors="coerce"), pd.to_numeric(raw["fewshot"], errors="coerce")
    check(~step.isin(STEPS), "checkpoint", f"is not one of {STEPS}.")
    check(~shots.isin(SHOTS), "fewshot", f"is not one of {SHOTS}.")
    parts = raw["task"].str.extract(f"^{TASK_RE}$")
    operand = pd.to_numeric(parts[1], errors="coerce")
    check(
        ~operand.between(0, N_OPERANDS - 1),
        "task",
        "is not num_reasoning_arithmetic_{addition,multiplication}_<0..99>.",
    )
    acc, stderr = pd.to_numeric(raw["acc"], errors="coerce"), pd.to_numeric(raw["acc_stderr"], errors="coerce")
    check(~acc.between(0.0, 1.0), "acc", "is not a number in [0, 1].")
    k = acc * ITEMS_PER_OPERAND
    check((k - k.round()).abs() > 1e-6, "acc", f"is not a multiple of 1/{ITEMS_PER_OPERAND}.")
    check(~(np.isfinite(stderr) & (stderr >= 0)), "acc_stderr", "is not a finite number >= 0.")
    check(raw.duplicated(["checkpoint", "fewshot", "task"]), "task", "repeats a (checkpoint, fewshot, task).")
    return pd.DataFrame(
        {
            "step": step.astype("int64"),
            "operation": parts[0],
            "operand": operand.astype("int64"),
            "shots": shots.astype("int64"),
            "acc": acc.astype(float),
            "acc_stderr": stderr.astype(float),
            "n_items": ITEMS_PER_OPERAND,
            "k_correct": k.round().astype("int64"),
        }
    )


def load_pythia_arithmetic(path: str | Path | None = None, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """All seven files, validated, in long form (42,000 rows). Accuracy = exact match of greedy generation.

    Columns: model ("pythia-160m-deduped-v0"), old_name ("125m"), size ("160m"), n_params (total, from
    ``published``), step, tokens (step x 2,097,152), compute (6·N·D FLOPs, float), operation, operand (x1),
    shots, acc, acc_stderr (as published), n_items (50), k_correct. Bad files raise ArithmeticDataError.
    """
    folder = Path(path) if path is not None else ARITHMETIC_DIR
    counts = _param_counts(reference.load_published() if published is None else published)
    frames = [
        _read_file(folder / f"pythia-{old}-deduped.csv", old).assign(
            model=f"pythia-{new}-deduped-v0", old_name=old, size=new, n_params=np.int64(counts[new])
        )
        for old, new in OLD_TO_NEW.items()
    ]
    frame = pd.concat(frames, ignore_index=True)
    frame["tokens"] = frame["step"] * TOKENS_PER_STEP
    frame["compute"] = 6.0 * frame["n_params"].astype(float) * frame["tokens"].astype(float)
    frame = frame[CELL[:-1] + ["operand", "shots", "acc", "acc_stderr", "n_items", "k_correct"]]
    return frame.sort_values(["n_params", "step", "operation", "shots", "operand"], kind="stable").reset_index(
        drop=True
    )


def require_rows(frame: pd.DataFrame, columns: Sequence[str] = ROW_COLUMNS) -> None:
    missing = [c for c in columns if c not in getattr(frame, "columns", [])]
    if missing or frame.empty:
        raise ArithmeticAnalysisError(f"the table lacks columns {missing} or is empty; pass load_pythia_arithmetic().")


def accuracy_table(frame: pd.DataFrame, confidence: float = 0.95) -> pd.DataFrame:
    """Accuracy (exact match of greedy generation) per model, step, operation and shots, two intervals.

    ``acc`` = pooled k / n; ``se_cluster`` = the CR1 cluster-sandwich SE of a mean with equal clusters,
    sqrt(var(per-operand acc, ddof=1) / n_clusters); ``low``/``high`` = acc ± t(n_clusters - 1)·se_cluster,
    clipped to [0, 1], or the Wilson interval where every operand scores alike (se_cluster = 0; see
    ``interval``). ``wilson_*`` treat items as independent; ``design_effect`` = (se_cluster / se_binomial)².
    """
    require_rows(frame)
    table = (
        frame.groupby(CELL, sort=True, observed=True)
        .agg(
            k=("k_correct", "sum"), n=("n_items", "sum"), n_clusters=("operand", "nunique"), cluster_var=("acc", "var")
        )
        .reset_index()
    )
    table["acc"] = table["k"] / table["n"]
    se = np.sqrt(table["cluster_var"].fillna(0.0) / table["n_clusters"])
    table["se_cluster"] = np.where(se < 1e-12, 0.0, se)  # equal operands: exactly 0, not round-off
    t = stats.t.ppf(0.5 + confidence / 2, np.maximum(table["n_clusters"] - 1, 1))
    wilson_low, wilson_high = proportion_confint(table["k"], table["n"], 1 - confidence, "wilson")
    table["wilson_low"] = np.where(table["k"] == 0, 0.0, wilson_low)  # exact bounds, not round-off
    table["wilson_high"] = np.where(table["k"] == table["n"], 1.0, wilson_high)
    collapsed = table["se_cluster"] <= 0
    table["low"] = np.where(collapsed, table["wilson_low"], np.clip(table["acc"] - t * table["se_cluster"], 0, 1))
    table["high"] = np.where(collapsed, table["wilson_high"], np.clip(table["acc"] + t * table["se_cluster"], 0, 1))
    table["interval"] = np.where(collapsed, "wilson (no between-operand variance)", "cluster")
    table["se_binomial"] = np.sqrt(table["acc"] * (1 - table["acc"]) / table["n"])
    table["design_effect"] = np.divide(
        table["se_cluster"] ** 2,
        table["se_binomial"] ** 2,
        out=np.full(len(table), np.nan),
        where=(table["se_binomial"] > 0).to_numpy(),
    )
    return table.drop(columns="cluster_var")


def _select(frame: pd.DataFrame, operation: str, shots: int, step: int) -> pd.DataFrame:
    require_rows(frame)
    rows = frame[(frame["operation"] == operation) & (frame["shots"] == shots) & (frame["step"] == step)]
    if rows.empty:
        raise ArithmeticAnalysisError(f"no rows for operation={operation!r}, shots={shots!r}, step={step!r}.")
    return rows


@dataclass(frozen=True)
class ScaleChange:
    """Largest minus smallest model's exact-match accuracy, paired by first operand (the clusters)."""

    operation: str
    shots: int
    step: int
    small_model: str
    large_model: str
    acc_small: float
    acc_large: float
    difference: float  # acc_large - acc_small
    low: float
    high: float
    interval_method: str  # "BCa" (cluster bootstrap); "percentile" where BCa is undefined
    p_value_t: float  # paired t-test over the per-operand differences
    p_value_permutation: float  # Monte Carlo sign-flip test over operands (floor 2 / (n_resamples + 1))
    n_clusters: int
    n_better: int  # operands where the large model scores higher
    n_worse: int


def scale_change(
    frame: pd.DataFrame,
    operation: str,
    shots: int,
    step: int = FINAL_STEP,
    *,
    small: str | None = None,
    large: str | None = None,
    confidence: float = 0.95,
    n_resamples: int = 9999,
    seed: int = 0,
) -> ScaleChange:
    """Largest vs smallest model (by n_params, or ``small``/``large``) at ``step``, exact match of greedy generation.

    The per-operand pairs are resampled as clusters (``scipy.stats.bootstrap``, paired=True, BCa; percentile
    if BCa is undefined); p-values: paired t-test and seeded Monte Carlo sign-flip test
    (``scipy.stats.permutation_test``, never below 1 / (n_resamples + 1), exact when all 2^n sign patterns fit).
    Equal differences everywhere: a point interval, t-test p 1 if 0 else NaN (undefined), the sign-flip p as usual.
    """
    rows = _select(frame, operation, shots, step)
    models = rows.drop_duplicates("model").sort_values("n_params")["model"].tolist()
    small, large = small or models[0], large or models[-1]
    if small not in models or large not in models:
        raise ArithmeticAnalysisError(f"models {small!r}, {large!r}: both must be among {models}.")
    wide = rows.pivot(index="operand", columns="model", values="acc")[[large, small]].dropna()
    a, b = wide[large].to_numpy(), wide[small].to_numpy()
    diff = a - b

    def mean_diff(x, y, axis=-1):
        return np.mean(x - y, axis=axis)

    # the sign-flip test runs in every case (issue 19, rule 9): never p = 0, also when every operand differs equally
    p_perm = float(
        stats.permutation_test(
            (a, b),
            mean_diff,
            permutation_type="samples",
            vectorized=True,
            n_resamples=n_resamples,
            rng=np.random.default_rng(seed),
        ).pvalue
    )
    if np.ptp(diff) == 0:
        low = high = float(diff[0])
        method, p_t = "none (every operand differs equally)", 1.0 if diff[0] == 0 else float("nan")  # t undefined
    else:
        # percentile only where BCa is undefined (NaN); all resamples in one batch
        low, high, method = paired_bootstrap(a, b, mean_diff, confidence, n_resamples, seed, batch=None)
        p_t = float(stats.ttest_rel(a, b).pvalue)
    return ScaleChange(
        operation,
        int(shots),
        int(step),
        small,
        large,
        float(b.mean()),
        float(a.mean()),
        float(diff.mean()),
        low,
        high,
        method,
        p_t,
        p_perm,
        len(diff),
        int((diff > 0).sum()),
        int((diff < 0).sum()),
    )


@dataclass(frozen=True)
class ScaleTrend:
    """WLS slope of exact-match accuracy against log10(total parameters) across the models at one step."""

    operation: str
    shots: int
    step: int
    slope: float  # accuracy change per tenfold parameters
    se: float
    low: float
    high: float
    p_value: float
    df_resid: float  # n_models - 2
    points: pd.DataFrame  # model, n_params, acc, se_used, weight


def scale_trend(
    frame: pd.DataFrame, operation: str, shots: int, step: int = FINAL_STEP, confidence: float = 0.95
) -> ScaleTrend:
    """Slope of accuracy (exact match of greedy generation) on log10(n_params), by
    :func:`~helpers.analysis.trend.wls_slope`.

    Pooled variances, equal weights: each model gets the models' mean sampling variance (each the larger of its
    cluster-robust and its pooled/Wilson-adjusted binomial variance), so a model at 0% (binomial variance ~0)
    cannot carry the fit. Residual scale from the scatter, never below 1; t interval on ``n_models - 2`` df.
    """
    points = accuracy_table(_select(frame, operation, shots, step), confidence)
    if len(points) < MIN_MODELS:
        raise ArithmeticAnalysisError(f"scale_trend needs at least {MIN_MODELS} models; got {len(points)}.")
    acc, n = points["acc"].to_numpy(dtype=float), points["n"].to_numpy(dtype=float)
    own = np.maximum(points["se_cluster"].to_numpy(dtype=float) ** 2, item_floor(acc, n))
    points["se_used"] = np.sqrt(np.full(len(points), own.mean()))  # pooled: the models' mean sampling variance
    points["weight"] = 1.0 / points["se_used"] ** 2
    fit = wls_slope(points["n_params"].to_numpy(dtype=float), acc, points["se_used"].to_numpy())
    half = float(stats.t.ppf(0.5 + confidence / 2, fit.df)) * fit.se
    p_value = float(2 * stats.t.sf(abs(fit.slope / fit.se), fit.df))
    return ScaleTrend(
        operation,
        int(shots),
        int(step),
        fit.slope,
        fit.se,
        fit.slope - half,
        fit.slope + half,
        p_value,
        float(fit.df),
        points[["model", "n_params", "acc", "se_used", "weight"]].reset_index(drop=True),
    )
